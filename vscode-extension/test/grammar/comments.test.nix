# SYNTAX TEST "source.nix" "comments in odd places"

# a line comment with ${not} "a string"
# <--- comment.line.number-sign.nix
#                     ^^^^^^ comment.line.number-sign.nix
{ a /* inside a binding */ = 1; b = /* before a value */ 2; }
#   ^^^^^^^^^^^^^^^^^^^^^^ comment.block.nix
#                          ^ keyword.operator.assignment.nix
#                                   ^^^^^^^^^^^^^^^^^^^^ meta.binding.value.nix comment.block.nix
#                                                        ^ constant.numeric.integer.nix
[ 1 # comment in a list
#   ^^^^^^^^^^^^^^^^^^^ meta.list.nix comment.line.number-sign.nix
  2 ]
# ^ meta.list.nix constant.numeric.integer.nix
s = "# not a comment /* nor this */";
#    ^^^^^ string.quoted.double.nix
#                    ^^ string.quoted.double.nix
t = ''# not a comment either'';
#     ^ string.quoted.other.indented.nix
x: /* between */ x
# <- variable.parameter.function.nix
#  ^^^^^^^^^^^^^ comment.block.nix
./a/*b*/
# <--- string.unquoted.path.nix
#  ^^^^^ comment.block.nix
/* multi
# <-------- comment.block.nix
   line # still block */ after
#       ^^^^^^^ comment.block.nix
#                        ^^^^^ variable.other.nix
{ a, # comment in formals
# ^ variable.parameter.function.nix
#    ^^^^^^^^^ comment.line.number-sign.nix
  b ? /* default */ 1 }: a
# ^ variable.parameter.function.nix
#     ^^^^^^^^^^^^^ meta.default.nix comment.block.nix
#                      ^ punctuation.separator.function.nix
