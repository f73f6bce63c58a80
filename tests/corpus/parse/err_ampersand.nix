a: a & a
