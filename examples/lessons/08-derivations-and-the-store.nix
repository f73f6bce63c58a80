# Lesson 8: derivations and the store
#
# A derivation is a build recipe: a builder program, its arguments and
# environment, and the platform to run it on. `derivation { ... }` does
# not build anything. It writes the recipe down (a .drv file) and computes
# where the result will be: a path in the Nix store, /nix/store/HASH-NAME,
# whose hash comes from the whole recipe. Change any input and the path
# changes; this is what makes Nix builds reproducible and lets different
# versions live side by side.
#
# pynix computes the same .drv files and store paths as Nix (this lesson
# only reads the recipes; `pynix build` runs them). We fix `system`
# instead of using builtins.currentSystem so that the paths below are the
# same on every machine.
let
  greeting = derivation {
    name = "greeting";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo Hello > $out" ];
  };

  # Using a derivation in a string gives its output path ... and remembers,
  # invisibly, that the string depends on that derivation. This hidden
  # part of a string is its "context".
  script = "tr a-z A-Z < ${greeting} > $out";

  # A derivation whose recipe mentions that string depends on `greeting`:
  # Nix will build `greeting` first. Nobody had to list the dependency.
  shout = derivation {
    name = "shout";
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" script ];
  };
in
{
  # a derivation is an attribute set with type = "derivation"
  # (we call our attribute `kind`: a set with `type = "derivation"` would
  # itself be printed as a derivation)
  kind = greeting.type;

  # where the recipe is written, and where the result will be
  inherit (greeting) drvPath outPath;

  # the string is just text ...
  script = script;
  # ... with a context: the derivations (and outputs) it needs
  needs = builtins.getContext script;
  hasContext = builtins.hasContext script;
  plainText = builtins.hasContext (builtins.unsafeDiscardStringContext script);

  # the recipe changed (it mentions greeting), so shout has its own path
  shoutPath = shout.outPath;
}
# To read a recipe, `pynix derivation show -E 'EXPR'` prints the .drv as
# JSON, and `pynix instantiate FILE` writes the .drv files of the
# derivations FILE evaluates to.
#
# => { drvPath = "/nix/store/pfx6i0rpk3vchkxasndml2rsiygpmziy-greeting.drv"; hasContext = true; kind = "derivation"; needs = { "/nix/store/pfx6i0rpk3vchkxasndml2rsiygpmziy-greeting.drv" = { outputs = [ "out" ]; }; }; outPath = "/nix/store/gcr89dhxd4aqw7pxnn3iy3gkg6vbylj7-greeting"; plainText = false; script = "tr a-z A-Z < /nix/store/gcr89dhxd4aqw7pxnn3iy3gkg6vbylj7-greeting > $out"; shoutPath = "/nix/store/yzsiwfz48n5a37q02zhr66a2d7fd24qq-shout"; }
