let
  /** Doubles a number: `double 21` is 42. */
  double = x: x * 2;
  answer = double 21;
  primes = [ 2 3 5 7 ];
in
{
  inherit answer;
  count = builtins.length primes;
  twice = double answer;
}
