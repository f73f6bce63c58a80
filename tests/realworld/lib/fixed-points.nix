{ }:
rec {
  # The least fixed point of f, found lazily.
  fix = f: let x = f x; in x;

  # Like fix, but remembers f so the result can be re-opened.
  fix' = f: let x = f x // { __unfix__ = f; }; in x;

  # Iterate f from x until the value stops changing.
  converge = f: x:
    let x' = f x; in
    if x' == x then x else converge f x';

  # Turn an overlay (final: prev: attrs) and a recursive attrset function
  # into a new recursive attrset function.
  extends = overlay: rattrs: final:
    let prev = rattrs final; in
    prev // overlay final prev;

  composeExtensions = f: g: final: prev:
    let
      fApplied = f final prev;
      prev' = prev // fApplied;
    in
    fApplied // g final prev';

  composeManyExtensions = builtins.foldl' composeExtensions (final: prev: { });

  makeExtensible = makeExtensibleWithCustomName "extend";

  makeExtensibleWithCustomName = extenderName: rattrs:
    fix' (self: rattrs self // {
      ${extenderName} = overlay: makeExtensibleWithCustomName extenderName (extends overlay rattrs);
    });
}
