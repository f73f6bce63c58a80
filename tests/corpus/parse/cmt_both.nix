# hello
/* a */ 1 /* b */ # c
