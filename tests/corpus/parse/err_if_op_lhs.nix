x: 1 + if x then 2 else 3
