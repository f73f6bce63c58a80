{ a = let x = 1; in {}; a.b = 1; }
