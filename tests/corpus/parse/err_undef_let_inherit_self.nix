let inherit a; in 1
