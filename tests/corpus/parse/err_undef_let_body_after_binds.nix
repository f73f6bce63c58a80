let a = u1; in u2
