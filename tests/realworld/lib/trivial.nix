{ lib }:
rec {
  id = x: x;
  const = x: _: x;
  flip = f: a: b: f b a;
  compose = f: g: x: f (g x);
  pipe = value: fns: builtins.foldl' (acc: f: f acc) value fns;

  boolToString = b: if b then "true" else "false";
  min = a: b: if a < b then a else b;
  max = a: b: if a > b then a else b;
  # Remainder with the sign of the dividend, as C does.
  mod = a: b: a - (a / b) * b;

  throwIfNot = cond: msg: if cond then x: x else throw msg;

  isFunction = f: builtins.isFunction f || (f ? __functor && isFunction (f.__functor f));

  setFunctionArgs = f: args: {
    __functor = self: f;
    __functionArgs = args;
  };

  functionArgs = f:
    if f ? __functor
    then f.__functionArgs or (functionArgs (f.__functor f))
    else builtins.functionArgs f;

  # Digits of an integer in a base, most significant first.
  toBaseDigits = base: i:
    let
      go = i:
        if i < base then [ i ]
        else go (i / base) ++ [ (mod i base) ];
    in
    assert base >= 2; assert i >= 0; go i;

  toHexString = i:
    let
      digits = lib.strings.stringToCharacters "0123456789ABCDEF";
    in
    lib.strings.concatMapStrings (builtins.elemAt digits) (toBaseDigits 16 i);
}
