a: b: c: d: a ? ${
