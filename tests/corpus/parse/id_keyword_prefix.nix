let iff = 1; let' = 2; in-x = 3; inherit_ = 4; in [ iff let' in-x inherit_ ]
