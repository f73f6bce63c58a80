a: b: c: d: a.1
