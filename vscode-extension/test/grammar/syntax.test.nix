# SYNTAX TEST "source.nix" "keywords, bindings, formals, numbers, operators"

{ pkgs ? import <nixpkgs> { }, lib, ... }@args:
# ^^^^ meta.attrset.nix variable.parameter.function.nix
#      ^ keyword.operator.default.nix
#        ^^^^^^ meta.default.nix support.function.builtin.nix
#                              ^^^ variable.parameter.function.nix
#                                   ^^^ punctuation.definition.ellipsis.nix
#                                        ^ punctuation.separator.at.nix
#                                         ^^^^ variable.parameter.function.nix
let
# <--- meta.let.nix keyword.other.let.nix
  inherit (pkgs) hello "quoted";
# ^^^^^^^ keyword.other.inherit.nix
#          ^^^^ variable.other.nix
#                ^^^^^ meta.inherit.nix entity.other.attribute-name.nix
  a.b.c = rec { d = 1.5e3; e = d; };
# ^ entity.other.attribute-name.nix
#   ^ entity.other.attribute-name.nix
#     ^ entity.other.attribute-name.nix
#         ^^^ storage.modifier.rec.nix
#                   ^^^^^ constant.numeric.float.nix
#                              ^ variable.other.nix
  "quoted attr".${dyn} = with lib; [ true false null ];
# ^^^^^^^^^^^^^ string.quoted.double.nix
#                 ^^^ variable.other.nix
#                        ^^^^ keyword.other.with.nix
#                                    ^^^^ constant.language.boolean.nix
#                                               ^^^^ constant.language.null.nix
  f = x: y: if x == y then x ++ [ y ] else x.z or -1;
# ^ entity.other.attribute-name.nix
#     ^ variable.parameter.function.nix
#        ^ variable.parameter.function.nix
#           ^^ keyword.control.conditional.nix
#                ^^ keyword.operator.comparison.nix
#                     ^^^^ keyword.control.conditional.nix
#                            ^^ keyword.operator.concat.nix
#                                     ^^^^ keyword.control.conditional.nix
#                                              ^^ keyword.operator.or.nix
#                                            ^ variable.other.member.nix
  g = assert a != b; !c && d || e -> f;
#     ^^^^^^ keyword.other.assert.nix
#              ^^ keyword.operator.comparison.nix
#                       ^^ keyword.operator.logical.nix
#                                 ^^ keyword.operator.logical.nix
  let-in' = 0.5;
# ^^^^^^^ entity.other.attribute-name.nix
#           ^^^ constant.numeric.float.nix
in a ? b
# <-- meta.let.nix keyword.other.let.nix
#    ^ keyword.operator.has-attr.nix
