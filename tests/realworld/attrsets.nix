# Attribute-set utilities on a nested "inventory" of hosts and services.
let
  lib = import ./lib;
  inherit (lib) mapAttrsRecursive mapAttrsRecursiveCond recursiveUpdate filterAttrsRecursive
    genAttrs collect attrByPath setAttrByPath hasAttrByPath getAttrFromPath mapAttrs'
    nameValuePair mapAttrsToList filterAttrs foldAttrs zipAttrs cartesianProduct
    showAttrPath attrsToList updateManyAttrsByPath recursiveUpdateUntil;

  inventory = {
    web = {
      frontend = { replicas = 3; port = 443; tags = [ "public" "tls" ]; owner = "alice"; };
      api = { replicas = 2; port = 8080; tags = [ "internal" ]; owner = "bob"; debug = null; };
    };
    data = {
      postgres = { replicas = 1; port = 5432; tags = [ "stateful" ]; owner = "carol"; };
      redis = { replicas = 1; port = 6379; tags = [ ]; owner = "bob"; };
    };
    # Forcing this throws; every function below must leave it alone unless asked.
    experimental = { unstable = throw "experimental.unstable is not ready"; };
  };

  safe = removeAttrs inventory [ "experimental" ];

  isService = x: builtins.isAttrs x && x ? port;

  overrides = {
    web.frontend.replicas = 5;
    web.frontend.tags = [ "public" ];
    data.redis = { persistence = true; };
    monitoring.prometheus = { replicas = 1; port = 9090; tags = [ "ops" ]; owner = "dave"; };
  };

  merged = recursiveUpdate safe overrides;

  # recursiveUpdateUntil stopping at depth 2 replaces whole services.
  shallowMerged = recursiveUpdateUntil (path: l: r: builtins.length path > 1) safe overrides;

  # Dotted paths turned into a nested set and back.
  dotted = {
    "services.web.enable" = true;
    "services.web.port" = 80;
    "networking.hostName" = "box";
    "users.root.shell" = "/bin/sh";
  };
  fromDotted = builtins.foldl' (acc: k:
    recursiveUpdate acc (setAttrByPath (lib.splitString "." k) dotted.${k})) { } (builtins.attrNames dotted);
  flattenAttrs = prefix: set: builtins.concatLists (mapAttrsToList (k: v:
    let p = prefix ++ [ k ]; in
    if builtins.isAttrs v then flattenAttrs p v else [ (nameValuePair (builtins.concatStringsSep "." p) v) ]) set);
in
rec {
  serviceNames = map (s: s.owner) (collect isService safe);
  lazyCollect = builtins.length (collect isService (inventory // { experimental = { }; }));

  ports = mapAttrsRecursiveCond (x: !(isService x)) (path: svc: "${showAttrPath path}:${toString svc.port}") safe;

  recursiveLeaves = mapAttrsRecursive (path: v:
    if builtins.isList v then builtins.length v else if v == null then "null" else v) safe.data;

  inherit merged;
  shallow = shallowMerged.data.redis;
  mergedKeepsOthers = merged.web.api.port;

  publicOnly = filterAttrsRecursive (n: v: !(builtins.isAttrs v && v ? tags) || builtins.elem "public" v.tags) safe;
  noNulls = filterAttrsRecursive (n: v: v != null) safe.web.api;
  filterLazy = builtins.attrNames (filterAttrs (n: v: n != "experimental") inventory);

  byOwner = foldAttrs (svc: acc: [ svc ] ++ acc) [ ]
    (map (svc: { ${svc.owner} = svc.port; }) (collect isService safe));

  zipped = zipAttrs [ { a = 1; b = 2; } { b = 3; c = 4; } { a = 5; } ];

  paths = {
    deep = attrByPath [ "web" "api" "port" ] 0 inventory;
    missing = attrByPath [ "web" "nope" "port" ] "default" inventory;
    throughNonSet = attrByPath [ "web" "api" "port" "x" ] "stop" inventory;
    has = map (p: hasAttrByPath p inventory) [ [ "data" "redis" ] [ "data" "mysql" ] [ "experimental" "unstable" ] [ ] ];
    got = getAttrFromPath [ "data" "postgres" "owner" ] inventory;
    gotMissing = builtins.tryEval (getAttrFromPath [ "data" "mysql" ] inventory);
    lazyThrowing = builtins.tryEval (getAttrFromPath [ "experimental" "unstable" ] inventory);
    set = setAttrByPath [ "a" "b" "c" ] [ 1 2 ];
    shown = map showAttrPath [ [ "a" "b" ] [ "a.b" "c d" ] [ "_x'" "1st" ] [ ] ];
  };

  generated = genAttrs [ "x86_64-linux" "aarch64-linux" "riscv64-linux" ] (system:
    let parts = lib.splitString "-" system; in {
      arch = builtins.head parts;
      kernel = builtins.elemAt parts 1;
      is64 = builtins.match ".*64.*" system != null;
    });

  renamed = mapAttrs' (n: v: nameValuePair "svc-${n}" v.replicas) safe.web;

  products = cartesianProduct { os = [ "linux" "darwin" ]; arch = [ "x86" "arm" ]; debug = [ false ]; };

  inherit fromDotted;
  roundTrip = builtins.listToAttrs (flattenAttrs [ ] fromDotted) == dotted;
  asList = attrsToList { z = 1; a = 2; m = 3; };

  edited = updateManyAttrsByPath [
    { path = [ "web" "frontend" "replicas" ]; update = old: old * 10; }
    { path = [ "web" "newsvc" ]; update = old: { created = old == null; }; }
    { path = [ "data" "redis" "tags" ]; update = old: old ++ [ "cache" ]; }
  ] safe;

  # The result of an update refers back to this attrset (rec) lazily.
  summary = {
    services = builtins.length serviceNames;
    totalReplicas = builtins.foldl' builtins.add 0 (map (s: s.replicas) (collect isService merged));
    editedFrontend = edited.web.frontend.replicas;
  };
}
