# A first Nix expression: a function from an attrset of options to an attrset.
# `pynix instantiate --parse examples/hello.nix` prints how Nix reads it.
{ name ? "world", greeting ? "Hello" }:

let
  # string interpolation: ${...} inside "..."
  message = "${greeting}, ${name}!";
  shout = s: s + "!!";
in {
  inherit message;
  loud = shout message;
  lines = ''
    ${message}
      (indented strings drop the common indentation)
  '';
  numbers = [ 1 2 (3 + 4) ];
  nested.attr.path = true;   # same as nested = { attr = { path = true; }; }
  here = ./.;                 # a path literal, relative to this file
}
