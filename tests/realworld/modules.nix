# A small NixOS-like module system: typed options, priorities (mkDefault,
# mkForce), mkIf / mkMerge, imports, submodules, definitions from several
# modules merged with a fixed point over `config`, and assertions.
let
  lib = import ./lib;
  inherit (lib) mkOption mkIf mkMerge mkDefault mkForce mkOverride evalModules types;

  # Declarations -------------------------------------------------------------
  networkingModule = { config, lib, ... }: {
    options.networking = {
      hostName = mkOption { type = types.str; default = "nixos"; };
      domain = mkOption { type = types.nullOr types.str; default = null; };
      fqdn = mkOption {
        type = types.str;
        # Refers to other options through the final config.
        default = if config.networking.domain == null then config.networking.hostName
                  else "${config.networking.hostName}.${config.networking.domain}";
      };
      firewall = {
        enable = mkOption { type = types.bool; default = true; };
        allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
        logRefused = mkOption { type = types.bool; default = false; };
      };
      extraHosts = mkOption { type = types.lines; default = ""; };
    };
  };

  userModule = { config, ... }: {
    options.users = mkOption {
      default = { };
      type = types.attrsOf (types.submodule ({ name, config, ... }: {
        options = {
          name = mkOption { type = types.str; default = name; };
          uid = mkOption { type = types.ints.between 0 65535; };
          isAdmin = mkOption { type = types.bool; default = false; };
          groups = mkOption { type = types.listOf types.str; default = [ ]; };
          shell = mkOption { type = types.enum [ "bash" "zsh" "fish" ]; default = "bash"; };
          home = mkOption { type = types.str; default = "/home/${config.name}"; };
          # Never defined and never read: the default would throw.
          password = mkOption { type = types.str; default = throw "no password for ${name}"; };
        };
        config.groups = mkIf config.isAdmin [ "wheel" ];
      }));
    };
  };

  webModule = { config, ... }:
    let cfg = config.services.web; in {
      options.services.web = {
        enable = mkOption { type = types.bool; default = false; };
        port = mkOption { type = types.port; default = 80; };
        user = mkOption { type = types.str; default = "www"; };
        virtualHosts = mkOption {
          default = { };
          type = types.attrsOf (types.submodule ({ name, ... }: {
            options = {
              serverName = mkOption { type = types.str; default = name; };
              root = mkOption { type = types.str; };
              tls = mkOption { type = types.bool; default = false; };
            };
          }));
        };
      };
      config = mkIf cfg.enable {
        networking.firewall.allowedTCPPorts = [ cfg.port ] ++ lib.optional (lib.any (v: v.tls) (builtins.attrValues cfg.virtualHosts)) 443;
        users.${cfg.user} = { uid = mkDefault 33; groups = [ "web" ]; };
        networking.extraHosts = lib.concatMapStringsSep "\n" (v: "127.0.0.1 ${v.serverName}") (builtins.attrValues cfg.virtualHosts);
        assertions = [
          { assertion = cfg.port != 22; message = "services.web.port must not be the SSH port"; }
        ];
      };
    };

  assertionsModule = {
    options.assertions = mkOption {
      type = types.listOf (types.submodule {
        options.assertion = mkOption { type = types.bool; };
        options.message = mkOption { type = types.str; };
      });
      default = [ ];
    };
    options.warnings = mkOption { type = types.listOf types.str; default = [ ]; };
  };

  coreModules = [ networkingModule userModule webModule assertionsModule ];

  # Definitions --------------------------------------------------------------
  hostModule = { config, ... }: {
    imports = [ ./modules/hardware.nix ];
    networking.hostName = "webby";
    networking.domain = "example.org";
    networking.extraHosts = "10.0.0.1 gateway";
    users.alice = { uid = 1000; isAdmin = true; shell = "zsh"; };
    users.bob = { uid = 1001; groups = [ "audio" ]; };
    services.web = {
      enable = true;
      port = 8080;
      virtualHosts."example.org" = { root = "/srv/www"; tls = true; };
      virtualHosts.blog = { root = "/srv/blog"; serverName = "blog.example.org"; };
    };
  };

  policyModule = { config, ... }: {
    # A lower number wins: mkForce beats the plain definition of the firewall.
    networking.firewall.logRefused = mkForce config.networking.firewall.enable;
    networking.firewall.enable = mkDefault false;
    users.alice.shell = mkOverride 900 "fish";
    warnings = lib.optional (config.users ? root) "root user defined"
      ++ lib.optional (config.networking.firewall.allowedTCPPorts != [ ]) "ports open: ${toString config.networking.firewall.allowedTCPPorts}";
    assertions = mkMerge [
      [ { assertion = config.users.alice.isAdmin; message = "alice must be admin"; } ]
      (mkIf (config.services.web.enable) [ { assertion = config.networking.firewall.allowedTCPPorts != [ ]; message = "web needs open ports"; } ])
    ];
  };

  system = modules:
    let
      eval = evalModules { modules = coreModules ++ modules; };
      cfg = eval.config;
      failed = map (a: a.message) (builtins.filter (a: !a.assertion) cfg.assertions);
    in
    if failed != [ ]
    then throw "Failed assertions:\n${lib.concatMapStringsSep "\n" (m: "- ${m}") failed}"
    else eval;

  main = system [ hostModule policyModule ];
  cfg = main.config;

  # Each of these is wrong in one way; tryEval sees the throw.
  broken = {
    wrongType = { networking.hostName = 42; };
    conflicting = { imports = [ { networking.hostName = "a"; } ]; networking.hostName = "b"; };
    missingOption = { networking.hostname = "typo"; };
    badPort = { networking.firewall.allowedTCPPorts = [ 70000 ]; };
    badEnum = { users.carol = { uid = 5; shell = "csh"; }; };
    missingUid = { users.dave = { }; };
    failedAssertion = { services.web = { enable = true; port = 22; }; };
    badMkIf = { networking.firewall.enable = mkIf "yes" true; };
    nullAndNot = { imports = [ { networking.domain = null; } ]; networking.domain = mkForce "x"; };
  };
  tryBroken = lib.mapAttrs (name: m: (builtins.tryEval (builtins.deepSeq (system [ hostModule m ]).config.networking true)).success) broken;
  tryBrokenUsers = lib.mapAttrs (name: m:
    (builtins.tryEval (builtins.deepSeq (removeAttrs (system [ m ]).config.users.${name} [ "password" ]) true)).success)
    { carol = broken.badEnum; dave = broken.missingUid; };

  # Only what we ask for is evaluated: this configuration is broken in an
  # option nobody reads.
  partial = (evalModules { modules = coreModules ++ [ { services.web.port = throw "never forced"; networking.hostName = "lazy"; } ]; });

  # Without the web module's definitions, defaults apply everywhere.
  minimal = (system [ ]).config;

  publicUser = u: removeAttrs u [ "password" ];
in
{
  networking = cfg.networking;
  users = lib.mapAttrs (_: publicUser) cfg.users;
  web = {
    inherit (cfg.services.web) enable port user;
    virtualHosts = cfg.services.web.virtualHosts;
  };
  inherit (cfg) warnings;
  assertionMessages = map (a: a.message) cfg.assertions;
  hardware = cfg.hardware;
  priorities = {
    firewallEnable = main.priorityOf [ "networking" "firewall" "enable" ];
    logRefused = main.priorityOf [ "networking" "firewall" "logRefused" ];
    hostName = main.priorityOf [ "networking" "hostName" ];
    domainUnset = minimal.networking.domain;
  };
  moduleKeys = builtins.length main.moduleKeys;
  broken = tryBroken;
  brokenUsers = tryBrokenUsers;
  partial = {
    hostName = partial.config.networking.fqdn;
    firewall = partial.config.networking.firewall.enable;
    webPort = (builtins.tryEval partial.config.services.web.port).success;
  };
  minimal = {
    inherit (minimal.networking) fqdn extraHosts;
    users = builtins.attrNames minimal.users;
    ports = minimal.networking.firewall.allowedTCPPorts;
  };
  passwordIsLazy = (builtins.tryEval cfg.users.alice.password).success;
}
