# Values from across the nixpkgs tree, evaluated in ONE process (tests/test_nixpkgs.py,
# `--eval --strict --json`): mostly drvPaths, whose hashes cover every input of every
# derivation below them, so one differing string or attribute anywhere shows.
let
  pkgs = import <nixpkgs> { config = { }; overlays = [ ]; };
  drvPaths = builtins.mapAttrs (name: drv: drv.drvPath);
in
drvPaths {
  # packages, by the build system their derivation goes through
  inherit (pkgs) hello git curl openssl coreutils bash perl zlib jq sqlite nginx vim cmake;
  inherit (pkgs) python3 nodejs go rustc systemd linux firefox emacs;
  ripgrep = pkgs.ripgrep;                                   # buildRustPackage
  hugo = pkgs.hugo;                                         # buildGoModule
  "llvmPackages.clang" = pkgs.llvmPackages.clang;           # a wrapped compiler
  # language package sets
  "python3Packages.requests" = pkgs.python3Packages.requests;
  "python3Packages.numpy" = pkgs.python3Packages.numpy;
  "python3.withPackages" = pkgs.python3.withPackages (ps: [ ps.requests ]);
  "perlPackages.JSON" = pkgs.perlPackages.JSON;
  # other platforms: static, musl, 32-bit, cross-compilation
  "pkgsStatic.hello" = pkgs.pkgsStatic.hello;
  "pkgsMusl.hello" = pkgs.pkgsMusl.hello;
  "pkgsi686Linux.hello" = pkgs.pkgsi686Linux.hello;
  "pkgsCross.aarch64-multiplatform.hello" = pkgs.pkgsCross.aarch64-multiplatform.hello;
  "pkgsCross.aarch64-multiplatform.pkgsStatic.hello" = pkgs.pkgsCross.aarch64-multiplatform.pkgsStatic.hello;
  "pkgsCross.riscv64.hello" = pkgs.pkgsCross.riscv64.hello;
  "pkgsCross.mingwW64.hello" = pkgs.pkgsCross.mingwW64.hello;
  "pkgsCross.raspberryPi.hello" = pkgs.pkgsCross.raspberryPi.hello;
  # overrides
  "hello.overrideAttrs" = pkgs.hello.overrideAttrs (old: { pname = "hello-patched"; doCheck = false; });
  "curl.override" = pkgs.curl.override { brotliSupport = false; };
  # trivial builders and fetchers (fixed-output derivations)
  writeShellScript = pkgs.writeShellScript "greet" "echo hi";
  runCommand = pkgs.runCommand "x" { } "touch $out";
  buildEnv = pkgs.buildEnv { name = "tools"; paths = [ pkgs.hello pkgs.jq ]; };
  fetchurl = pkgs.fetchurl {
    url = "https://example.org/x.tar.gz";
    hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  };
  fetchFromGitHub = pkgs.fetchFromGitHub {
    owner = "NixOS"; repo = "nix"; rev = "2.8.0";
    hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  };
}
// {
  # not drvPaths: every output of a multiple-output package, a package's meta
  # (without `position`, a path into the tree), and the size of the package set
  "curl.all" = map (output: output.outPath) pkgs.curl.all;
  "hello.meta" = builtins.removeAttrs pkgs.hello.meta [ "position" ];
  "attrNames pkgs" = builtins.length (builtins.attrNames pkgs);
}
