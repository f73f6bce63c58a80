let
  lib = import ./lib { };
  pkgs = import ./pkgs { inherit lib; };
in
{
  inherit lib pkgs;
  greeting = lib.greet "world";
}
