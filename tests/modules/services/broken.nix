# Mistakes the editor points out: a misspelled option and a type error.
{ lib, ... }:
{
  imports = [ ./modules/web.nix ./modules/db.nix ];

  services.web.enabel = true;
  services.web.port = "eighty";
  services.web.virtualHosts.docs.rooot = "/srv/docs";
}
