# SYNTAX TEST "source.nix" "indented strings and their escapes"

{
s = ''
#   ^^ string.quoted.other.indented.nix punctuation.definition.string.begin.nix
  keep ''' quotes, ''$ dollar, ''\n newline, ''\t tab
#      ^^^ string.quoted.other.indented.nix constant.character.escape.nix
#                  ^^^ string.quoted.other.indented.nix constant.character.escape.nix
#                              ^^^^ string.quoted.other.indented.nix constant.character.escape.nix
#                                            ^^^^ string.quoted.other.indented.nix constant.character.escape.nix
# ^^^^ string.quoted.other.indented.nix
  ''${not interpolated} but ${pkgs.hello} is
# ^^^ string.quoted.other.indented.nix constant.character.escape.nix
#    ^^^^ string.quoted.other.indented.nix
#                             ^^^^ string.quoted.other.indented.nix meta.embedded.interpolation.nix variable.other.nix
#                                  ^^^^^ string.quoted.other.indented.nix meta.embedded.interpolation.nix variable.other.member.nix
#                                         ^^ string.quoted.other.indented.nix
  $${literal} and ${ ''nested ${x} '' } "quotes" are plain
# ^^^^^^^^^^^ string.quoted.other.indented.nix
#                      ^^^^^^ string.quoted.other.indented.nix meta.embedded.interpolation.nix string.quoted.other.indented.nix
#                               ^ string.quoted.other.indented.nix meta.embedded.interpolation.nix string.quoted.other.indented.nix meta.embedded.interpolation.nix variable.other.nix
#                                       ^^^^^^^^ string.quoted.other.indented.nix
'';
# <-- string.quoted.other.indented.nix punctuation.definition.string.end.nix
t = ''one line ''' '';
#              ^^^ string.quoted.other.indented.nix constant.character.escape.nix
#                  ^^ string.quoted.other.indented.nix punctuation.definition.string.end.nix
u = 1;
# <- entity.other.attribute-name.nix
}
