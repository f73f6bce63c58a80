let zzz = u1; map = u2; in 1
