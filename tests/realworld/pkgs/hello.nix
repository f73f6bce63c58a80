# A package file in the nixpkgs style, called through callPackage.
{ mkPackage, fetchSource, lib, gettext ? null, enableNls ? true, version ? "2.12" }:

mkPackage {
  pname = "hello";
  inherit version;
  src = fetchSource { name = "hello-${version}.tar.gz"; hash = "sha256-hello-${version}"; };
  buildInputs = lib.optional (enableNls && gettext != null) gettext;
  configureFlags = [ "--prefix=$out" ] ++ lib.optional (!enableNls) "--disable-nls";
  meta = { description = "A program that produces a familiar, friendly greeting"; license = "gpl3Plus"; };
}
