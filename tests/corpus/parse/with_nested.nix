x: y: with x; with y; z
