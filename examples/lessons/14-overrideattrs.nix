# Lesson 14: overrideAttrs
#
# `.override` (lesson 13) changes the arguments of a package's function:
# which stdenv, which fetchurl, which libraries. `.overrideAttrs` changes
# the other layer: the attribute set given to stdenv.mkDerivation (name,
# version, src, patches, build flags, phases). You pass a function of the
# old attributes, `old: { ... }`, and get a new derivation made from the
# old attributes updated with yours (`//`, lesson 2), so you can build on
# the old values: `patches = old.patches ++ [ ./fix.patch ]`.
#
# nixpkgs' hello is written `stdenv.mkDerivation (finalAttrs: { ... })`:
# its attributes can refer to their own final values, like the fixed
# points of lesson 9. Its src URL uses `finalAttrs.version`, so changing
# the version with overrideAttrs changes the URL too.
#
# Needs nixpkgs: NIX_PATH=nixpkgs=/path/to/nixpkgs, or -I nixpkgs=... (see
# lesson 12 for how to get one; paths are those of November 2024's nixpkgs).
let
  pkgs = import <nixpkgs> { system = "x86_64-linux"; config = { }; overlays = [ ]; };
  inherit (pkgs) hello;

  # skip the tests, and add a step after the install phase
  quick = hello.overrideAttrs (old: {
    pname = "${old.pname}-quick";
    doCheck = false;
    postInstall = (old.postInstall or "") + ''
      ln -s hello $out/bin/hi
    '';
  });

  # a set instead of a function, when the old values are not needed
  older = hello.overrideAttrs { version = "2.10"; };
in
{
  original = { inherit (hello) name doCheck; url = hello.src.url; };

  quick = { inherit (quick) name doCheck postInstall; };
  # a changed recipe is another derivation
  quickIsAnother = quick.drvPath != hello.drvPath;
  # what was not changed stays: the same source
  quickSameSource = quick.src == hello.src;

  # the URL followed the version (finalAttrs.version) ...
  olderUrl = older.src.url;
  # ... but the hash is still 2.12.1's: building this would fail with a
  # hash mismatch, and the error names the right hash; set `src` too
  # (with fetchurl and the new hash) to really change the version
  olderHash = older.src.outputHash;
}
# `overrideAttrs` works on anything made by mkDerivation; `override` on
# anything made by callPackage. Most packages are both.
#
# => { olderHash = "sha256-jZkUKv2SV28wsM18tCqNxoCZmLxdYH2Idh9RLibH2yA="; olderUrl = "mirror://gnu/hello/hello-2.10.tar.gz"; original = { doCheck = true; name = "hello-2.12.1"; url = "mirror://gnu/hello/hello-2.12.1.tar.gz"; }; quick = { doCheck = false; name = "hello-quick-2.12.1"; postInstall = "ln -s hello $out/bin/hi\n"; }; quickIsAnother = true; quickSameSource = true; }
