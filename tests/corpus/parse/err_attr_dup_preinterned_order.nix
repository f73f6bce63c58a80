{ zzz = 1; name = 2; zzz = 3; name = 4; }
