# Type `builtins.` at the end: the server completes the builtins' names.
let
  primes = [ 2 3 5 7 ];
in
