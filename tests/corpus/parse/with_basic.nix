x: with x; a + b
