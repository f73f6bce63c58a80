x: { inherit (x a; }
