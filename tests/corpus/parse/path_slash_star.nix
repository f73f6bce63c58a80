a: b: a/*c*/b
