let a'b = 1; a-b = 2; a--b = 3; _a = 4; a'' = 5; a''b = 6; in [ a'b a-b a--b _a a'' a''b ]
