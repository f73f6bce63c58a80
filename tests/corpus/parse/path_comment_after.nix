./a#c
