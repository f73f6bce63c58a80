# The configuration: imports the services and sets their options.
{ config, lib, ... }:
{
  imports = [ ./modules/web.nix ./modules/db.nix ];

  config = lib.mkMerge [
    {
      services.web = {
        enable = true;
        virtualHosts."example.org" = {
          root = "/srv/www";
          ssl = true;
        };
      };
    }
    (lib.mkIf config.services.web.enable {
      services.db.user = "app";
      services.db.tuning.maxConnections = 10;
      services.db.settings.anything = "goes";
    })
  ];
}
