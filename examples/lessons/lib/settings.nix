# A helper for lesson 6: this file's value is an attribute set.
# Paths in a file are relative to that file, so `./colors.nix` here means
# lib/colors.nix, wherever the importing file is.
{
  theme = import ./colors.nix;
  fontSize = 14;
}
