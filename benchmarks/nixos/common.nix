# What every benchmark system needs to evaluate with the shared nixpkgs tree
# (see ../shared/nixpkgs/README.md): no manuals (the tree has no doc/), and a
# stand-in for shellcheck-minimal, which writeShellApplication's check phase
# uses and which cannot evaluate because the tree's Haskell package set is a stub.
{ ... }:
let
  stub = name: derivation {
    inherit name;
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo stub > $out" ];
  };
in
{
  documentation.enable = false;
  documentation.nixos.enable = false;
  system.stateVersion = "24.05";
  nixpkgs.overlays = [
    (self: super: {
      shellcheck-minimal = stub "shellcheck-stub" // {
        meta.mainProgram = "shellcheck";
        compiler = stub "ghc-stub";
      };
    })
  ];
}
