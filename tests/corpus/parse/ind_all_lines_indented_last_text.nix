''
    a
      b
    c''
