# NixOS configurations broken on purpose: the small server of
# benchmarks/nixos/small.nix with one bad module added, chosen by `case`.
# tests/test_nixpkgs.py compares the error pynix prints with Nix's.
{ case }:
let
  broken = {
    # a misspelled option name (enable)
    unknown-option = { services.nginx.enabel = true; };
    # a string where the option's type is bool
    type-error = { services.openssh.enable = "yes"; };
    # no root file system: an assertion of nixos/modules/tasks/filesystems.nix fails
    no-root-fs = { lib, ... }: { fileSystems = lib.mkForce { }; };
  };
  # small.nix evaluates `import <nixpkgs/nixos> { configuration = ...; }`:
  # that one import gets the bad module beside the system's configuration
  withModule = module: args:
    import <nixpkgs/nixos> (args // { configuration = { imports = [ args.configuration module ]; }; });
in
scopedImport {
  import = path: if path == <nixpkgs/nixos> then withModule broken.${case} else import path;
} ../../benchmarks/nixos/small.nix
