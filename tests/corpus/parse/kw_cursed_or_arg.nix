let or = 1; f = x: y: x; in f or 1
