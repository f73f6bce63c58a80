# Lesson 12: stdenv.mkDerivation
#
# Lesson 8 wrote a derivation by hand: a builder, its arguments, a system.
# Packages in nixpkgs use `stdenv.mkDerivation` instead, which fills all
# that in: a bash builder that runs the standard phases (unpack, patch,
# configure, build, check, install, fixup), a C compiler and the usual
# tools (coreutils, make, sed, ...). You write only what is particular to
# your package, and its result is still one derivation.
#
# This lesson (and the next three) needs nixpkgs. `<nixpkgs>` is looked up
# in the search path, so tell pynix where yours is:
#   NIX_PATH=nixpkgs=/path/to/nixpkgs pynix eval 12-stdenv-mkderivation.nix
# or `pynix eval -I nixpkgs=/path/to/nixpkgs ...`. No nixpkgs yet? Get one:
#   git clone --depth 1 -b nixos-24.11 https://github.com/NixOS/nixpkgs
# The store paths below come from the nixpkgs of November 2024 (24.11
# before its release); another nixpkgs gives other hashes, since every
# input of a package is part of its hash.
let
  # nixpkgs is a function. We name the platform and turn off the user's
  # own config and overlays, so that the answer is the same on every
  # machine (on your own, `import <nixpkgs> { }` is the usual call).
  pkgs = import <nixpkgs> { system = "x86_64-linux"; config = { }; overlays = [ ]; };

  greeter = pkgs.stdenv.mkDerivation {
    # name = "${pname}-${version}"
    pname = "greeter";
    version = "1.0";

    # The source: a folder beside this lesson. A path is copied into the
    # store as it is, and its store path is a hash of its contents.
    src = ./lib/greeter;

    # What the package uses on the platform it runs on: here a program it
    # calls (libraries it links with go here too). Tools that only run
    # during the build go in `nativeBuildInputs`.
    buildInputs = [ pkgs.hello ];

    # There is no configure script or Makefile: we write the install phase
    # ourselves. `${pkgs.hello}` is hello's output path (lesson 8: a string
    # with context, one more reason the build depends on hello).
    dontConfigure = true;
    dontBuild = true;
    installPhase = ''
      install -Dm755 greet.sh $out/bin/greet
      substituteInPlace $out/bin/greet --replace-fail @hello@ ${pkgs.hello}
    '';
  };
in
{
  # the attributes you gave are still there, and `name` was made from them
  inherit (greeter) name pname version;

  # one derivation, as in lesson 8: where its recipe is, where its result will be
  inherit (greeter) drvPath outPath;

  # the source folder as it is in the store (only its contents and its
  # name, "greeter", make the hash: not where this lesson is on your disk)
  src = "${greeter.src}";

  # the dependencies, by name
  buildInputs = map (p: p.name) greeter.buildInputs;

  # what stdenv filled in: the builder is bash from the store, the platform
  # is the one nixpkgs was called with
  inherit (greeter) builder system;
}
# To read a package's whole recipe as JSON (its `env` shows what the
# builder gets, buildInputs as store paths):
#   pynix derivation show -E '(import <nixpkgs> { }).hello'
# Building it needs Nix itself (`nix-build`): pynix computes recipes and
# store paths, it does not run builds.
#
# => { buildInputs = [ "hello-2.12.1" ]; builder = "/nix/store/0irlcqx2n3qm6b1pc9rsd2i8qpvcccaj-bash-5.2p37/bin/bash"; drvPath = "/nix/store/rla95zc0bj7vxr1pdkiwygwccc8iv52h-greeter-1.0.drv"; name = "greeter-1.0"; outPath = "/nix/store/ls5dkzlg4v5kjxyp58s5d1q6mzzpxqsw-greeter-1.0"; pname = "greeter"; src = "/nix/store/x1k1mpazi8qfyn81myd273phldf44014-greeter"; system = "x86_64-linux"; version = "1.0"; }
