{ lib }:
{
  name = "hello";
  message = lib.greet "hello";
}
