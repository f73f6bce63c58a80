{ lib }:
let
  callPackage =
    path: overrides:
    let
      f = import path;
    in
    f (builtins.intersectAttrs (builtins.functionArgs f) ({ inherit lib; } // scope) // overrides);
  scope = {
    hello = callPackage ./hello.nix { };
    greeter = callPackage ./greeter.nix { punctuation = "?"; };
  };
in
scope
