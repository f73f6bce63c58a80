let { body = a; a = 1; }
