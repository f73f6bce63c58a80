{ a = let; }
