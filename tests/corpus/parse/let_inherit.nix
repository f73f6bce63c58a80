x: y: let inherit x; inherit (y) p q; in p
