a:b'c
