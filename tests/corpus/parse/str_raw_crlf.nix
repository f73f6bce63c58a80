"a
b
"
