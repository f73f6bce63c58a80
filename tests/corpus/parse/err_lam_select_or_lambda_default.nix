a: a.b or x: x
