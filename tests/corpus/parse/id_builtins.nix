[ true false null builtins __add map import ]
