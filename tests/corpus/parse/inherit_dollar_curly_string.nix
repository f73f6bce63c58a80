x: with x; { inherit ${"a"}; }
