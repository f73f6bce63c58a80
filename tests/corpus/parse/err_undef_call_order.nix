u1 u2
