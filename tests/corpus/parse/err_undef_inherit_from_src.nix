{ inherit (u) a; }
