./a/b:c
