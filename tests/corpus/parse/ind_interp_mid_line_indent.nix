x: ''
    a ${x}
  b
''
