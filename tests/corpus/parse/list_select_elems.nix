a: [ a.b a.c or 1 ]
