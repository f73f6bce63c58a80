a: b: c: d: [ (a < b) (a <= b) (a > b) (a >= b) (a == b) (a != b) ]
