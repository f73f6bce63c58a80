x: y: { a = { inherit (x) p; }; a = { inherit (y) q; }; }
