# A package set built like nixpkgs: a fixed point of overlays, callPackage
# filling function arguments from the set (functionArgs + intersectAttrs),
# .override / .overrideAttrs, and dependency closures. Store paths are fake
# but deterministic (hashString), so nothing needs a store.
let
  lib = import ./lib;
  inherit (lib) fix extends makeExtensible;
  inherit (builtins) functionArgs intersectAttrs hashString substring attrNames attrValues;

  fakeHash = s: substring 0 32 (hashString "sha256" s);

  # A package is an attrset that coerces to its out path.
  mkPackage = args:
    let
      pkg = rec {
        inherit (args) pname version;
        name = "${pname}-${version}";
        buildInputs = args.buildInputs or [ ];
        configureFlags = args.configureFlags or [ ];
        src = args.src or null;
        meta = { license = "unfree"; } // (args.meta or { });
        hash = fakeHash (builtins.toJSON {
          inherit name configureFlags;
          inputs = map (d: d.outPath) buildInputs;
          src = if src == null then null else src.hash;
        });
        outPath = "/nix/store/${hash}-${name}";
        overrideAttrs = f: mkPackage (args // (if builtins.isFunction f then f args else f));
      } // (args.passthru or { });
    in
    pkg;

  fetchSource = { name, hash }: { inherit name hash; url = "https://example.invalid/${name}"; };

  # makeOverridable + callPackageWith, the way nixpkgs wires them.
  makeOverridable = f: origArgs:
    let
      result = f origArgs;
      overrideWith = newArgs: origArgs // (if builtins.isFunction newArgs then newArgs origArgs else newArgs);
      # Keep .override available after .overrideAttrs.
      wrap = r: r // {
        override = newArgs: makeOverridable f (overrideWith newArgs);
        overrideAttrs = g: wrap (r.overrideAttrs g);
      };
    in
    wrap result;

  callPackageWith = autoArgs: fn: args:
    let
      f = if builtins.isFunction fn then fn else import fn;
      fargs = functionArgs f;
      auto = intersectAttrs fargs autoArgs;
      missing = builtins.filter (n: !fargs.${n} && !(auto ? ${n}) && !(args ? ${n})) (attrNames fargs);
    in
    if missing != [ ]
    then throw "callPackage: function called without required argument(s) ${toString missing}"
    else makeOverridable f (auto // args);

  base = final: prev: {
    inherit lib mkPackage fetchSource;
    callPackage = callPackageWith final;

    zlib = final.callPackage ({ mkPackage }: mkPackage { pname = "zlib"; version = "1.3"; }) { };
    perl = final.callPackage ({ mkPackage, zlib }: mkPackage { pname = "perl"; version = "5.38"; buildInputs = [ zlib ]; }) { };
    openssl = final.callPackage ({ mkPackage, perl, zlib, static ? false }: mkPackage {
      pname = "openssl";
      version = "3.0.12";
      buildInputs = [ zlib ];
      configureFlags = lib.optional static "--static";
      passthru.nativeTools = [ perl.name ];
    }) { };
    libssh2 = final.callPackage ({ mkPackage, openssl }: mkPackage { pname = "libssh2"; version = "1.11"; buildInputs = [ openssl ]; }) { };
    # Evaluating this package is an error; it must stay unevaluated.
    nghttp2 = throw "nghttp2 is broken on this platform";
    gettext = final.callPackage ({ mkPackage }: mkPackage { pname = "gettext"; version = "0.22"; }) { };
    hello = final.callPackage ./pkgs/hello.nix { };
    curl = final.callPackage ./pkgs/curl.nix { };
    curlMinimal = final.curl.override { libssh2 = null; };
  };

  # Overlays, applied in order.
  securityUpdates = final: prev: {
    openssl = prev.openssl.overrideAttrs (old: { version = "3.0.13"; });
  };
  customisations = final: prev: {
    hello = prev.hello.override { enableNls = false; version = "2.12.1"; };
    helloWithNls = prev.hello;
    curl = prev.curl.overrideAttrs (old: { meta = { license = "curl"; }; });
    myTools = {
      # A nested set whose members still come from the final set.
      all = [ final.hello final.curl ];
      names = map (p: p.name) final.myTools.all;
    };
  };
  staticOpenssl = final: prev: {
    opensslStatic = prev.openssl.override { static = true; };
  };

  overlays = [ securityUpdates customisations staticOpenssl ];
  pkgs = fix (builtins.foldl' (lib.flip extends) (self: base self { }) overlays);
  pkgsNoOverlays = fix (self: base self { });

  # Dependency closure via genericClosure, keyed by name.
  closure = pkg: map (x: x.pkg.name) (builtins.genericClosure {
    startSet = [ { key = pkg.name; inherit pkg; } ];
    operator = item: map (d: { key = d.name; pkg = d; }) item.pkg.buildInputs;
  });

  # Build order: dependencies first (toposort over the closure).
  buildOrder = pkg:
    let
      all = builtins.genericClosure {
        startSet = [ { key = pkg.name; inherit pkg; } ];
        operator = item: map (d: { key = d.name; pkg = d; }) item.pkg.buildInputs;
      };
      names = map (x: x.key) all;
      byName = builtins.listToAttrs (map (x: lib.nameValuePair x.key x.pkg) all);
      before = a: b: builtins.elem a (map (d: d.name) byName.${b}.buildInputs);
    in
    (lib.toposort before names).result;

  describe = p: {
    inherit (p) name;
    deps = map (d: d.name) p.buildInputs;
    flags = p.configureFlags;
    license = p.meta.license;
    pathOk = lib.hasPrefix "/nix/store/" p.outPath && lib.hasSuffix p.name (toString p);
  };

  interesting = [ "zlib" "openssl" "opensslStatic" "libssh2" "hello" "helloWithNls" "curl" "curlMinimal" ];
in
{
  packages = lib.genAttrs interesting (n: describe pkgs.${n});
  # The security overlay reached every dependent through the fixed point.
  opensslEverywhere = map (n: builtins.filter (lib.hasPrefix "openssl") (closure pkgs.${n})) [ "curl" "libssh2" "curlMinimal" ];
  changedHashes = builtins.filter (n: pkgs.${n}.outPath != pkgsNoOverlays.${n}.outPath) [ "zlib" "perl" "openssl" "libssh2" "curl" "gettext" ];
  closures = { curl = closure pkgs.curl; hello = closure pkgs.hello; };
  order = buildOrder pkgs.curl;
  features = pkgs.curl.features;
  tools = pkgs.myTools.names;
  nativeTools = pkgs.openssl.nativeTools;
  functionArgs = {
    hello = functionArgs (import ./pkgs/hello.nix);
    curl = functionArgs (import ./pkgs/curl.nix);
  };
  lazyBroken = (builtins.tryEval pkgs.nghttp2).success;
  http2Forced = (builtins.tryEval (pkgs.curl.override { http2Support = true; }).outPath).success;
  missingArg = (builtins.tryEval (pkgs.callPackage ({ mkPackage, doesNotExist }: mkPackage { pname = "x"; version = "1"; }) { })).success;
  explicitArg = (pkgs.callPackage ({ mkPackage, doesNotExist }: mkPackage { pname = "x"; version = doesNotExist; }) { doesNotExist = "7"; }).name;
  interpolated = "curl is at ${pkgs.curl}";
  attrCount = builtins.length (attrNames pkgs);
}
