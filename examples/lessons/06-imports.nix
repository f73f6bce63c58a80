# Lesson 6: imports
#
# `import PATH` reads the Nix file at PATH and gives its value, as if the
# file's expression were written in its place. A file is just one
# expression, so what you import is whatever that expression is:
# lib/greet.nix is a function, lib/settings.nix an attribute set.
#
# Imported files do not see the importer's variables: every file starts
# with only the builtins in scope. To give a file something, make its value
# a function and call it with arguments. This is how nixpkgs passes
# `pkgs` and `lib` around, for example in `callPackage`.
let
  greet = import ./lib/greet.nix;
  settings = import ./lib/settings.nix;

  # importing the same file twice gives the same value; Nix reads it once
  again = import ./lib/settings.nix;
in
{
  # import and call in one go: calls are read from left to right, so this
  # is (import ./lib/greet.nix) applied to the set
  greeting = import ./lib/greet.nix { name = "Ada"; };
  question = greet { name = "Grace"; punctuation = "?"; };

  # lib/settings.nix imported lib/colors.nix, relative to itself
  theme = settings.theme.background;
  same = settings == again;

  # a path to a folder imports its default.nix (there is none in lib/,
  # so we only ask whether the files exist)
  hasHelper = builtins.pathExists ./lib/greet.nix;
  hasDefault = builtins.pathExists ./lib/default.nix;
}
# => { greeting = "Hello, Ada!"; hasDefault = false; hasHelper = true; question = "Hello, Grace?"; same = true; theme = "white"; }
