x: y: { inherit x; inherit (y) b a; inherit (x) c; d = 1; }
