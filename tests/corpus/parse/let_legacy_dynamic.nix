x: let { ${x} = 1; body = 2; }
