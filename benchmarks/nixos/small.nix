# A small NixOS server: a web server and one user. Evaluates to the .drv path
# of the whole system (config.system.build.toplevel); benchmarks/bench.py times it.
let
  nixos = import <nixpkgs/nixos> {
    configuration = { ... }: {
      imports = [ ./common.nix ];
      boot.loader.grub.device = "/dev/sda";
      fileSystems."/" = { device = "/dev/sda1"; fsType = "ext4"; };
      services.nginx.enable = true;
      services.nginx.virtualHosts."example.org".root = "/var/www";
      users.users.alice = { isNormalUser = true; extraGroups = [ "wheel" ]; };
    };
  };
in
nixos.config.system.build.toplevel.drvPath
