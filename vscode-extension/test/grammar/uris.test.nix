# SYNTAX TEST "source.nix" "URIs"

{
src = https://example.org/a-1.0.tar.gz?x=1&y=2;
#     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ string.unquoted.uri.nix
git = git+ssh://git@github.com:org/repo;
#     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ string.unquoted.uri.nix
u = x:y;
#   ^^^ string.unquoted.uri.nix
f = x: y;
#   ^ variable.parameter.function.nix
#    ^ punctuation.separator.function.nix
}
