# Imported by path from modules.nix; declares and defines its own options and
# imports a sibling module.
{ config, lib, ... }:
let inherit (lib) mkOption types mkDefault; in
{
  imports = [ ./cpu.nix ];
  options.hardware = {
    memoryMiB = mkOption { type = types.ints.positive; default = 1024; };
    disks = mkOption { type = types.attrsOf types.int; default = { }; };
    summary = mkOption { type = types.str; };
  };
  config.hardware = {
    disks = { sda = 512; sdb = 2048; };
    memoryMiB = mkDefault 4096;
    summary = "${toString config.hardware.cpu.cores} cores, ${toString config.hardware.memoryMiB} MiB, "
      + "${toString (builtins.length (builtins.attrNames config.hardware.disks))} disks";
  };
}
