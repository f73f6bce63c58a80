# A module of the configuration's own, declaring an option of its own.
{ config, lib, ... }:
{
  options.services.myapp.enable = lib.mkEnableOption "my app";
  config = lib.mkIf config.services.myapp.enable {
    services.nginx.virtualHosts.app.root = "/srv/app";
  };
}
