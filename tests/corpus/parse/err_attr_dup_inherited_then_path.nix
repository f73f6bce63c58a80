x: { inherit x; x.y = 1; }
