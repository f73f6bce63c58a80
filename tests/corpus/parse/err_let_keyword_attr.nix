let in = 1; in 1
