x: a/${x}/b
