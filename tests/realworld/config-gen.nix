# A configuration generator: one Nix description of a service rendered as
# JSON, TOML, INI, key=value and Nix text, then parsed back (fromJSON,
# fromTOML) and compared with the source.
let
  lib = import ./lib;
  gen = lib.generators;

  settings = {
    server = {
      host = "0.0.0.0";
      port = 8443;
      workers = 4;
      tls = { enable = true; cert = "/etc/ssl/cert.pem"; ciphers = [ "TLS_AES_128_GCM_SHA256" "TLS_CHACHA20" ]; };
    };
    database = {
      url = "postgres://app@db/app?sslmode=require";
      pool = { min = 2; max = 16; };
      "read-replicas" = [ "db-r1" "db-r2" ];
    };
    logging = { level = "info"; json = false; fields = { service = "app"; "env name" = "prod \"eu\""; }; };
    features = [ "search" "uploads" ];
    limits = [ { path = "/api"; rps = 100; } { path = "/upload"; rps = 5; burst = 10; } ];
    motd = "Welcome!\n\tTabs, \"quotes\", back\\slashes and unicode: é ☃";
    empty = { };
  };

  # JSON: toJSON sorts keys; fromJSON must give the same value back.
  json = builtins.toJSON settings;
  jsonBack = builtins.fromJSON json;

  # TOML: our own writer, read back with the builtin parser.
  toml = gen.toTOML settings;
  tomlBack = builtins.fromTOML toml;

  # TOML the other way round: a hand-written document.
  handToml = ''
    # comment
    title = "TOML example"
    enabled = true
    ports = [ 8000, 8001, 8002 ]
    negative = -42
    hex = 0xff
    literal = 'C:\path\no escapes'
    multi = """
    line one
    line two"""

    [owner]
    name = "Tom"
    "quoted key" = "yes"

    [servers.alpha]
    ip = "10.0.0.1"
    role = "frontend"

    [servers.beta]
    ip = "10.0.0.2"
    role = "backend"

    [[products]]
    name = "Hammer"
    sku = 738594937

    [[products]]
    name = "Nail"
    sku = 284758393
    color = "gray"

    [inline]
    point = { x = 1, y = 2 }
    nested = [ [ 1, 2 ], [ "a", "b" ] ]
  '';
  parsedToml = builtins.fromTOML handToml;

  ini = gen.toINI { } {
    general = { name = "app"; debug = false; retries = 3; };
    paths = { data = "/var/lib/app"; cache = null; };
  };

  keyValue = gen.toKeyValue { sep = ": "; } { Host = "example.org"; Port = 22; Compression = true; };

  # Render settings for the environment: an attrset of strings only.
  toEnv = prefix: set: builtins.concatLists (lib.mapAttrsToList (k: v:
    let name = "${prefix}_${lib.toUpper (builtins.replaceStrings [ "-" " " ] [ "_" "_" ] k)}"; in
    if builtins.isAttrs v then toEnv name v
    else if builtins.isList v then [ (lib.nameValuePair name (builtins.concatStringsSep "," (map builtins.toJSON v))) ]
    else [ (lib.nameValuePair name (if builtins.isString v then v else builtins.toJSON v)) ]) set);
  env = builtins.listToAttrs (toEnv "APP" (removeAttrs settings [ "motd" "limits" ]));

  pretty = gen.toPretty "" { inherit (settings) server limits; flag = null; "weird key" = [ ]; };

  # A JSON document with numbers, escapes and nesting, round-tripped twice.
  doc = ''{"a":[1,-2,3e0,true,false,null],"b":{"c":"\u00e9\n\t\"","d":[]},"e":""}'';
  docValue = builtins.fromJSON doc;

  badJson = builtins.tryEval (builtins.fromJSON "{not json");
in
{
  inherit json toml ini keyValue pretty;
  jsonRoundTrip = jsonBack == settings;
  tomlRoundTrip = tomlBack == settings;
  tomlDiff = lib.filterAttrs (n: v: v != settings.${n} or null) tomlBack;
  parsedToml = parsedToml;
  env = env;
  docValue = removeAttrs docValue [ "a" ] // { aLength = builtins.length docValue.a; aTypes = map builtins.typeOf docValue.a; };
  docAgain = builtins.toJSON (removeAttrs docValue [ "a" ]);
  jsonOfNested = builtins.toJSON { z = [ { } [ ] "" 0 ]; a = { b = { c = null; }; }; };
  unicodeLength = builtins.stringLength settings.motd;
}
