rec { ${u1} = 1; b = u2; }
