# SYNTAX TEST "source.nix" "strings and nested interpolation"

{
x = "a ${ "b ${c} d" } e";
#   ^^ string.quoted.double.nix
#      ^^ punctuation.section.embedded.begin.nix
#         ^^ string.quoted.double.nix meta.embedded.interpolation.nix string.quoted.double.nix
#            ^^ meta.embedded.interpolation.nix string.quoted.double.nix meta.embedded.interpolation.nix punctuation.section.embedded.begin.nix
#              ^ meta.embedded.interpolation.nix string.quoted.double.nix meta.embedded.interpolation.nix variable.other.nix
#                 ^ string.quoted.double.nix meta.embedded.interpolation.nix string.quoted.double.nix
#                      ^ string.quoted.double.nix
#                       ^ string.quoted.double.nix punctuation.definition.string.end.nix
y = "${ { a = "}"; }.a } tail";
#       ^ meta.embedded.interpolation.nix meta.attrset.nix punctuation.definition.attrset.begin.nix
#         ^ meta.embedded.interpolation.nix meta.attrset.nix entity.other.attribute-name.nix
#             ^^^ meta.embedded.interpolation.nix meta.attrset.nix string.quoted.double.nix
#                   ^^ meta.embedded.interpolation.nix
#                    ^ meta.embedded.interpolation.nix variable.other.member.nix
#                      ^ string.quoted.double.nix meta.embedded.interpolation.nix punctuation.section.embedded.end.nix
#                        ^^^^ string.quoted.double.nix
z = "escaped \${not} and \" quote $${literal} ${real}";
#            ^^ constant.character.escape.nix
#              ^^^^^ string.quoted.double.nix
#                        ^^ constant.character.escape.nix
#                                 ^^^^^^^^^^^ string.quoted.double.nix
#                    ^^^ string.quoted.double.nix
#                                               ^^^^ meta.embedded.interpolation.nix variable.other.nix
w = "${"${"${deep}"}"}";
#            ^^^^ string.quoted.double.nix meta.embedded.interpolation.nix string.quoted.double.nix meta.embedded.interpolation.nix string.quoted.double.nix meta.embedded.interpolation.nix variable.other.nix
after = 1;
# <----- entity.other.attribute-name.nix
#       ^ constant.numeric.integer.nix
}
