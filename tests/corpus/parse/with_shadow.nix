x: let a = 1; in with x; a
