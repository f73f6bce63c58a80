{ mkPackage, fetchSource, lib, zlib, openssl, libssh2 ? null, http2Support ? false, nghttp2 }:

mkPackage rec {
  pname = "curl";
  version = "8.5.0";
  src = fetchSource { name = "curl-${version}.tar.xz"; hash = "sha256-curl"; };
  buildInputs = [ zlib openssl ]
    ++ lib.optional (libssh2 != null) libssh2
    # nghttp2 is only forced when HTTP/2 is on.
    ++ lib.optional http2Support nghttp2;
  configureFlags = [ "--with-ssl=${openssl}" ] ++ lib.optional http2Support "--with-nghttp2";
  passthru.features = { ssl = true; ssh = libssh2 != null; http2 = http2Support; };
}
