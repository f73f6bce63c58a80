# Lesson 10: flakes, seen as plain Nix
#
# A flake is a folder with a flake.nix file. That file is one attribute set
# with (mainly) three attributes:
#
#   description  a line of text
#   inputs       where other flakes come from (URLs, pinned in flake.lock)
#   outputs      a FUNCTION from the fetched inputs to what the flake offers:
#                packages, dev shells, NixOS configurations, library code...
#
# The `nix` command fetches the inputs, calls `outputs`, and looks up
# attributes such as packages.<system>.default. Nothing about that is magic:
# below, `flake` is what a flake.nix could contain, and we call its outputs
# function ourselves with made-up inputs, without any network.
let
  flake = {
    description = "A tiny example flake";

    inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";

    # the argument names match the input names, plus `self`
    outputs = { self, nixpkgs }:
      let
        systems = [ "x86_64-linux" "aarch64-darwin" ];
        # build one attribute per system: { x86_64-linux = f "x86_64-linux"; ... }
        forAllSystems = f: builtins.listToAttrs
          (map (system: { name = system; value = f system; }) systems);
      in
      {
        packages = forAllSystems (system: {
          hello = nixpkgs.legacyPackages.${system}.hello;
          # `self` is this flake's own outputs, so one output can use another
          default = self.packages.${system}.hello;
        });

        lib.greet = name: "Hello, ${name}!";
      };
  };

  # Stand-ins for what Nix would fetch: a "nixpkgs" with one package per system.
  # (Real packages are derivations, lesson 8; strings keep this short.)
  fakeNixpkgs = {
    legacyPackages = {
      x86_64-linux.hello = "hello-2.12 for x86_64-linux";
      aarch64-darwin.hello = "hello-2.12 for aarch64-darwin";
    };
  };

  # `self` is the result of the very call it is passed to: a fixed point,
  # as in lesson 9, and it works for the same reason, laziness.
  outputs = flake.outputs { self = outputs; nixpkgs = fakeNixpkgs; };
in
{
  inherit (flake) description;

  # the inputs `outputs` asks for, read from its formals (lesson 4)
  wants = builtins.attrNames (builtins.functionArgs flake.outputs);

  systems = builtins.attrNames outputs.packages;

  # what `nix build .#default` would build on an x86_64-linux machine
  default = outputs.packages.x86_64-linux.default;

  greeting = outputs.lib.greet "workshop";
}
# With Nix and flakes enabled, the same outputs of a real flake.nix are
# listed by `nix flake show` and built by `nix build .#hello`.
#
# => { default = "hello-2.12 for x86_64-linux"; description = "A tiny example flake"; greeting = "Hello, workshop!"; systems = [ "aarch64-darwin" "x86_64-linux" ]; wants = [ "nixpkgs" "self" ]; }
