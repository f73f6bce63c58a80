# Lesson 3: let, with and rec: giving names to values
#
# `let NAME = VALUE; ... in BODY` names values for use in BODY. The names
# exist only inside the let (lexical scope), and a binding may use the
# other bindings of the same let, in any order.
let
  width = 3;
  area = width * height;   # `height` is defined below: order does not matter
  height = 4;

  colors = { red = "#ff0000"; green = "#00ff00"; blue = "#0000ff"; };

  # `rec { ... }` is an attribute set whose attributes can see each other.
  # In a plain `{ ... }` they could not: `name` would be an undefined variable.
  package = rec {
    pname = "hello";
    version = "2.12";
    name = "${pname}-${version}";
  };

  # `with SET; BODY` brings the attributes of SET into scope in BODY.
  # It is handy for long lists such as `with pkgs; [ git curl ]`.
  palette = with colors; [ green blue ];

  # But `with` is weak: a name bound by let or a function argument always
  # wins over one that `with` brings in. This `red` is in scope for the
  # whole let, so `shadowed` below is "crimson", not "#ff0000":
  red = "crimson";
  shadowed = with colors; red;
in
{
  inherit area palette shadowed;
  name = package.name;

  # lets can be nested; the inner one sees the outer names
  perimeter = let twice = x: 2 * x; in twice width + twice height;
}
# Try: remove `rec` from `package` and read the error (`pynix explain E013`).
#
# => { area = 12; name = "hello-2.12"; palette = [ "#00ff00" "#0000ff" ]; perimeter = 14; shadowed = "crimson"; }
