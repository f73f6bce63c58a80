a: a.b or or
