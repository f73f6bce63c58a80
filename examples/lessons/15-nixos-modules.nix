# Lesson 15: a NixOS module
#
# A NixOS system is configured by modules. A module declares options (their
# type, default and description) and defines values for options, its own
# or other modules'. nixpkgs' module system (`lib.evalModules`) reads all
# the modules, checks every definition against its option's type, merges
# the definitions of each option (lists are joined, sets merged; two
# different strings are an error) and gives back `config`: every option's
# final value. Modules refer to that final `config` themselves: a fixed
# point again (lesson 9).
#
# `import <nixpkgs/nixos> { configuration = ./configuration.nix; }` does
# exactly this with nixpkgs' 2,000 NixOS modules plus yours. Here we use
# lib.evalModules directly with a module of our own, which is much faster.
#
# Needs nixpkgs (only its lib/): NIX_PATH=nixpkgs=/path/to/nixpkgs, or
# -I nixpkgs=... (see lesson 12 for how to get one).
let
  lib = import <nixpkgs/lib>;

  # A module is a function of the final `config` (and `lib`, `pkgs`, ...;
  # `...` takes the ones it does not use) to { options; config; }.
  greeterModule = { config, lib, ... }: {
    options.services.greeter = {
      # a boolean option, false by default, described "Whether to enable ..."
      enable = lib.mkEnableOption "the greeter service";
      greeting = lib.mkOption {
        type = lib.types.str;
        default = "Hello";
        description = "What the greeter says.";
      };
      port = lib.mkOption {
        type = lib.types.port;
        default = 8080;
        description = "The TCP port the greeter listens on.";
      };
      users = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
        description = "Who is greeted.";
      };
    };

    # an option of "the system" that other modules can add to
    options.networking.allowedTCPPorts = lib.mkOption {
      type = lib.types.listOf lib.types.port;
      default = [ ];
    };

    # Definitions that depend on other options: only when the service is
    # enabled (mkIf, not `if`: the condition is read from the final config)
    config = lib.mkIf config.services.greeter.enable {
      networking.allowedTCPPorts = [ config.services.greeter.port ];
    };
  };

  # Your configuration, in two modules (two files, in real life): their
  # definitions of `users` are merged
  mine = {
    services.greeter = {
      enable = true;
      greeting = "Good morning";
      users = [ "ada" ];
    };
  };
  alsoMine = { services.greeter.users = [ "grace" ]; };

  system = lib.evalModules { modules = [ greeterModule mine alsoMine ]; };
  disabled = lib.evalModules { modules = [ greeterModule ]; };
in
{
  # the definitions of `users` were joined (in the module system's order:
  # lib.mkBefore and lib.mkAfter are there when the order matters)
  greeter = { inherit (system.config.services.greeter) enable greeting port users; };
  openPorts = system.config.networking.allowedTCPPorts;
  # without `enable = true` the mkIf adds nothing
  openPortsWhenDisabled = disabled.config.networking.allowedTCPPorts;
  # the options themselves can be read too (documentation is made from them)
  portType = system.options.services.greeter.port.type.description;
  enableDescription = system.options.services.greeter.enable.description;
}
# Try: in `mine`, add `port = "8080";` to services.greeter. The module
# system stops with an error that names the option, its type and the wrong
# value (and the file it is in, for a module in a file of its own).
#
# => { enableDescription = "Whether to enable the greeter service."; greeter = { enable = true; greeting = "Good morning"; port = 8080; users = [ "grace" "ada" ]; }; openPorts = [ 8080 ]; openPortsWhenDisabled = [ ]; portType = "16 bit unsigned integer; between 0 and 65535 (both inclusive)"; }
