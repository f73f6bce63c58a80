{ lib }:
{
  /**
    How many elements `xs` has, as a greeting.
  */
  count = xs: lib.greet (toString (builtins.length xs));
}
