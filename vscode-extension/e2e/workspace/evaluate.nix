let
  base = 40;
in
{
  sum = base + 2;
  greeting = "hello from pynix";
  squares = map (n: n * n) [ 1 2 3 ];
}
