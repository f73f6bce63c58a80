{ b
