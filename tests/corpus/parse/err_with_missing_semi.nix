x: with x a
