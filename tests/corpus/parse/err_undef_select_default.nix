x: x.a or u
