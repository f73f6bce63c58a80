# A helper for lesson 6, imported by lib/settings.nix.
{ background = "white"; text = "black"; }
