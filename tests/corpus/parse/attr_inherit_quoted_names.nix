x: with x; { inherit "a b" "if"; }
