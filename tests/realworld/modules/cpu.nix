{ lib, ... }:
{
  options.hardware.cpu = {
    cores = lib.mkOption { type = lib.types.int; default = 2; };
    vendor = lib.mkOption { type = lib.types.enum [ "intel" "amd" "arm" ]; default = "amd"; };
    flags = lib.mkOption { type = lib.types.commas; default = ""; };
  };
  config.hardware.cpu = lib.mkMerge [
    { cores = 8; flags = "sse4"; }
    (lib.mkIf true { flags = "avx2"; })
    (lib.mkIf false { vendor = "intel"; })
  ];
}
