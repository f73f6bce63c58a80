{ lib }:
{
  /**
    Say hello to `name`.
  */
  greet = name: "hello ${name}";

  /**
    Greet `name`, loudly.
  */
  shout = name: lib.strings.greet name + "!";
}
