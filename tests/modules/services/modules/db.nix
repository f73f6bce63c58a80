# A second service: a plain submodule option and a freeform settings set.
{ lib, ... }:
{
  options.services.db = {
    enable = lib.mkEnableOption "the database";
    user = lib.mkOption {
      type = lib.types.str;
      default = "db";
      description = "User the database runs as.";
    };
    tuning = lib.mkOption {
      type = lib.types.submodule {
        options.maxConnections = lib.mkOption {
          type = lib.types.ints.positive;
          default = 100;
          description = "Connections accepted at most.";
        };
      };
      default = { };
      description = "Tuning knobs.";
    };
    settings = lib.mkOption {
      type = lib.types.submodule { freeformType = lib.types.attrsOf lib.types.str; };
      default = { };
      description = "Free-form settings, passed on as they are.";
    };
  };
}
