{ pkgs ? import <nixpkgs> { } }:
let
  version = "1.2";
  src = ./src/${version}/main.c;
in
rec {
  name = "demo-${version}";
  script = ''
    echo "building ${name}"
  '';
  inherit src;
  result = if version == "1.2" then name else null;
}
