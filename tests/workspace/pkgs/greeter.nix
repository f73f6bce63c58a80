{ lib, hello, punctuation ? "." }:
{
  text = lib.shout hello.message + punctuation;
}
