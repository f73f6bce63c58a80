# A package as nixpkgs writes one (lesson 13): a function whose formals name
# what it needs. It does not import nixpkgs itself; `callPackage` passes the
# packages of those names.
{ stdenv, fetchurl }:

stdenv.mkDerivation {
  pname = "hello";
  version = "2.12.1";
  src = fetchurl {
    url = "mirror://gnu/hello/hello-2.12.1.tar.gz";
    hash = "sha256-jZkUKv2SV28wsM18tCqNxoCZmLxdYH2Idh9RLibH2yA=";
  };
}
