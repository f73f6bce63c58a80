x: [ (assert x; x) ]
