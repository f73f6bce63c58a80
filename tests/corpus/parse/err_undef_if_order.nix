if u1 then u2 else u3
