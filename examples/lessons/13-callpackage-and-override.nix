# Lesson 13: callPackage and override
#
# A package in nixpkgs is a file holding a function, like lib/hello-package.nix
# here: `{ stdenv, fetchurl }: stdenv.mkDerivation { ... }`. Its formals
# (lesson 4) list what it needs. `pkgs.callPackage FILE { }` imports the
# file, reads the names of the formals (builtins.functionArgs) and calls
# the function with nixpkgs' packages of those names. The set after FILE
# gives arguments yourself; they win over nixpkgs'.
#
# The result remembers how it was called: `.override { ... }` calls the
# same function again with some arguments replaced. That is how you build
# a package with another compiler or another version of a library,
# without copying its file.
#
# Needs nixpkgs: NIX_PATH=nixpkgs=/path/to/nixpkgs, or -I nixpkgs=... (see
# lesson 12 for how to get one; paths are those of November 2024's nixpkgs).
let
  pkgs = import <nixpkgs> { system = "x86_64-linux"; config = { }; overlays = [ ]; };

  myHello = pkgs.callPackage ./lib/hello-package.nix { };

  # the same package built with clang instead of gcc
  withClang = myHello.override { stdenv = pkgs.clangStdenv; };

  # fetchurl replaced by one that fetches from another mirror
  fromOtherMirror = myHello.override {
    fetchurl = args: pkgs.fetchurl (args // { url = "https://ftpmirror.gnu.org/hello/hello-2.12.1.tar.gz"; });
  };
in
{
  # what callPackage saw: the formals of the file's function
  needs = builtins.attrNames (builtins.functionArgs (import ./lib/hello-package.nix));

  name = myHello.name;
  compiler = myHello.stdenv.cc.name;
  drvPath = myHello.drvPath;

  # override: another stdenv, so another compiler and another package
  overriddenCompiler = withClang.stdenv.cc.name;
  overriddenDrvPath = withClang.drvPath;

  # A source fetched with a hash is a fixed-output derivation: its path
  # comes from the hash and the name, not the URL. nixpkgs' own hello
  # fetches the same file, so the path is the same ...
  sameSourceAsNixpkgs = myHello.src.outPath == pkgs.hello.src.outPath;
  # ... but it is not the same package (nixpkgs' runs tests, has more inputs)
  samePackageAsNixpkgs = myHello.drvPath == pkgs.hello.drvPath;

  # Another mirror changes the recipe of the source (its URL), so the
  # .drv is another one; but the result is the same file, so the
  # package's output path does not change.
  mirrorSameDrv = fromOtherMirror.drvPath == myHello.drvPath;
  mirrorSameOut = fromOtherMirror.outPath == myHello.outPath;
}
# nixpkgs itself is written this way: pkgs/by-name/he/hello/package.nix
# is `{ callPackage, lib, stdenv, fetchurl, ... }: ...`, and nixpkgs calls
# every such file with callPackage.
#
# => { compiler = "gcc-wrapper-13.3.0"; drvPath = "/nix/store/b986jzacph4x9fq3c40rzdi0gv6029p4-hello-2.12.1.drv"; mirrorSameDrv = false; mirrorSameOut = true; name = "hello-2.12.1"; needs = [ "fetchurl" "stdenv" ]; overriddenCompiler = "clang-wrapper-18.1.8"; overriddenDrvPath = "/nix/store/mbq0fh73rhffh4n7frn10xs55ll52vsz-hello-2.12.1.drv"; samePackageAsNixpkgs = false; sameSourceAsNixpkgs = true; }
