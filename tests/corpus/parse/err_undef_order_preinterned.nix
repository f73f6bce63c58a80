{ zzz = u1; name = u2; }
