x: let ${x} = 1; in 1
