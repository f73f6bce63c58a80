{ inherit u; }
