# A service module: options with a submodule per virtual host.
{ config, lib, ... }:
let
  cfg = config.services.web;
in
{
  options.services.web = {
    enable = lib.mkEnableOption "the web server";

    port = lib.mkOption {
      type = lib.types.port;
      default = 8080;
      example = 80;
      description = "Port the web server listens on.";
    };

    virtualHosts = lib.mkOption {
      type = lib.types.attrsOf (lib.types.submodule ({ name, ... }: {
        options = {
          root = lib.mkOption {
            type = lib.types.str;
            description = "Folder the host serves.";
          };
          ssl = lib.mkOption {
            type = lib.types.bool;
            default = false;
            description = "Serve this host over TLS.";
          };
        };
      }));
      default = { };
      description = "Virtual hosts, by name.";
    };
  };

  config = lib.mkIf cfg.enable {
    services.db.enable = lib.mkDefault true;
  };
}
