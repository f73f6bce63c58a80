# Lesson 2: attribute sets
#
# An attribute set ("attrset") maps names to values. It is Nix's record,
# dictionary and module all in one: packages, configurations and flakes
# are all attribute sets. Every binding ends with `;`, even the last one.
let
  hello = {
    pname = "hello";
    version = "2.12";
    # a dotted name builds nested sets: meta = { license = "GPL-3.0"; };
    meta.license = "GPL-3.0";
    meta.platforms = [ "x86_64-linux" "aarch64-linux" ];
  };

  # `//` makes a new set: the right side's attributes win. Nothing is
  # changed in place; `hello` stays as it was.
  patched = hello // { version = "2.12.1"; };
in
{
  # select with a dot, even through nested sets
  license = hello.meta.license;

  # selecting a missing attribute is an error (`pynix explain E202`), so
  # say what to use instead with `or` ...
  homepage = hello.meta.homepage or "unknown";

  # ... or ask first with `?`
  hasMeta = hello ? meta;

  # `//` is shallow: it replaces whole attributes, not nested ones
  versions = [ hello.version patched.version ];

  # the names of a set, always in alphabetical order
  names = builtins.attrNames hello;

  # `inherit x;` is short for `x = x;` and `inherit (set) a;` for `a = set.a;`
  inherit (hello) pname;

  # a name can be computed with ${...}, and any string can be a name
  ${"dyn" + "amic"} = true;
  "with spaces" = 1;
}
# The output lists attributes in alphabetical order, whatever order you
# wrote them in.
#
# => { dynamic = true; hasMeta = true; homepage = "unknown"; license = "GPL-3.0"; names = [ "meta" "pname" "version" ]; pname = "hello"; versions = [ "2.12" "2.12.1" ]; "with spaces" = 1; }
