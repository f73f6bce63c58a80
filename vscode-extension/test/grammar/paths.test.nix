# SYNTAX TEST "source.nix" "paths, search paths and interpolated paths"

{
a = ./a/b.nix;
#   ^^^^^^^^^ string.unquoted.path.nix
b = ../x;
#   ^^^^ string.unquoted.path.nix
c = ~/x/.config;
#   ^^^^^^^^^^^ string.unquoted.path.nix
d = /nix/store;
#   ^^^^^^^^^^ string.unquoted.path.nix
e = <nixpkgs>;
#   ^^^^^^^^^ string.unquoted.path.search.nix
f = <nixpkgs/lib>;
#   ^^^^^^^^^^^^^ string.unquoted.path.search.nix
g = ./a/${b}/c;
#   ^^^^ string.unquoted.path.nix
#       ^^ string.unquoted.path.nix meta.embedded.interpolation.nix punctuation.section.embedded.begin.nix
#         ^^ string.unquoted.path.nix meta.embedded.interpolation.nix
#           ^^ string.unquoted.path.nix
#             ^ punctuation.terminator.binding.nix
h = ./${name}.nix;
#   ^^ string.unquoted.path.nix
#       ^^^^ string.unquoted.path.nix meta.embedded.interpolation.nix
#            ^^^^ string.unquoted.path.nix
i = a/b;
#   ^^^ string.unquoted.path.nix
j = x / y;
#     ^ keyword.operator.arithmetic.nix
#   ^ variable.other.nix
k = x // y;
#     ^^ keyword.operator.update.nix
l = import ./default.nix { };
#   ^^^^^^ support.function.builtin.nix
#          ^^^^^^^^^^^^^ string.unquoted.path.nix
}
