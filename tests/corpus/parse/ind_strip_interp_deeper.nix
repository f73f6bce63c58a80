x: ''
    ${x} a
  b
''
