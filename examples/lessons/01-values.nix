# Lesson 1: values
#
# A Nix file is one expression, and evaluating it gives one value. There are
# no statements and no variables that change: you describe a value, Nix
# computes it. Run this lesson with
#
#     pynix instantiate --eval --strict examples/lessons/01-values.nix
#
# (`--strict` evaluates everything inside the result; without it Nix stops
# at the outermost value, because it is lazy; see lesson 5.)
#
# The result here is a list, so we can look at many small values at once.
# List elements are separated by spaces, not commas.
[
  # numbers: 64-bit integers and floating-point numbers
  (1 + 2 * 3)           # 7: the usual precedence
  (7 / 2)               # 3: dividing two integers gives an integer
  (7.0 / 2)             # 3.5: one float makes the result a float

  # strings, in double quotes; `+` joins them
  ("Hello, " + "Nix")

  # booleans and the logical operators && || !
  (true && !false)

  # `null` means "no value here"
  null

  # comparisons give booleans; == compares values, even whole lists
  (1 < 2)
  ([ 1 2 ] == [ 1 2 ])

  # `if` is an expression, so it always has an `else` and gives a value
  (if 3 > 2 then "yes" else "no")

  # builtins.typeOf names the type of any value
  (builtins.typeOf 42)
  (builtins.typeOf 4.2)
  (builtins.typeOf [ ])
]
# Try: replace (7 / 2) by (7 / 0) and read the error; `pynix explain E207`
# tells you more.
#
# => [ 7 3 3.5 "Hello, Nix" true null true true "yes" "int" "float" "list" ]
