# Lesson 4: functions and formals
#
# A function is written `ARGUMENT: BODY`. It has no name; to call it by
# name, bind it with let (or put it in an attribute set). Calling is just
# writing the argument after the function: `f x`, no parentheses, no commas.
let
  double = x: x * 2;

  # Every function takes exactly one argument. A function of two arguments
  # is a function that returns a function ("currying"):
  add = a: b: a + b;
  addTen = add 10;          # give only the first argument: a new function

  # The other style takes one attribute set and names its attributes in a
  # pattern, the "formals". `?` gives a default; without one, the argument
  # is required (`pynix explain E209`).
  greet = { name, greeting ? "Hello" }: "${greeting}, ${name}!";

  # `...` allows (and ignores) extra attributes; `args@` names the whole set
  describe = args@{ pname, version, ... }:
    "${pname} ${version} (${toString (builtins.length (builtins.attrNames args))} attributes)";

  # functions are values: they can be passed to other functions
  twice = f: x: f (f x);
in
{
  doubled = double 21;
  sum = add 1 2;
  partial = addTen 5;
  hello = greet { name = "Ada"; };
  hi = greet { name = "Grace"; greeting = "Hi"; };
  described = describe { pname = "hello"; version = "2.12"; license = "GPL-3.0"; };
  quadrupled = twice double 3;

  # builtins.map calls a function on each element of a list
  squares = builtins.map (x: x * x) [ 1 2 3 4 ];

  # functionArgs shows a function's formals: true means "has a default"
  formals = builtins.functionArgs greet;
}
# Note: `double 21` needs no parentheses, but `double (1 + 2)` does, because
# a call binds tighter than any operator: `double 1 + 2` is (double 1) + 2.
#
# => { described = "hello 2.12 (3 attributes)"; doubled = 42; formals = { greeting = true; name = false; }; hello = "Hello, Ada!"; hi = "Hi, Grace!"; partial = 15; quadrupled = 12; squares = [ 1 4 9 16 ]; sum = 3; }
