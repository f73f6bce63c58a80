x: with x; undefinedButWith
