x: { inherit "x" ${"x"}; }
