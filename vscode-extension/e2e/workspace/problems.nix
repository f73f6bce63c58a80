# Two mistakes: a missing `;` and a misspelt name.
let
  greeting = "Hello"
  name = "Nix";
in
"${greeting}, ${nmae}!"
