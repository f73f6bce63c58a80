x: { a = { inherit (x) b; }; a.c = 1; }
