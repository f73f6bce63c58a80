x: x:x
