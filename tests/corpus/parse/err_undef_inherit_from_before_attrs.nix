{ a = u1; inherit (u2) b; }
