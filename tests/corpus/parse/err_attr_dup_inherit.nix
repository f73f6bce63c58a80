x: { inherit x; x = 1; }
