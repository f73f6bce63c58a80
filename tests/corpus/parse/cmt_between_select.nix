a: a /*x*/ . /*y*/ b
