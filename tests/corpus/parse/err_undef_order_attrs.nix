{ b = u1; a = u2; }
