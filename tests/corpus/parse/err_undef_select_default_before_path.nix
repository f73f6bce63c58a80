x: x.${u1} or u2
