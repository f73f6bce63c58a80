# A NixOS configuration with two mistakes (a misspelled option, a type error).
{ config, pkgs, lib, ... }:
{
  imports = [ ./app.nix ];
  boot.loader.grub.device = "/dev/sda";
  fileSystems."/".device = "/dev/sda1";
  services.nginx = {
    enable = true;
    virtualHosts."example.org" = {
      root = "/srv/www";
    };
  };
  services.nginx.enabel = true;
  services.myapp.enable = true;
  networking.hostName = 42;
}
