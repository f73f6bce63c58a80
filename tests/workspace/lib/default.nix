{ }:
let
  callLibs = file: import file { lib = self; };
  self = {
    strings = callLibs ./strings.nix;
    lists = callLibs ./lists.nix;
    inherit (self.strings) greet shout;
    inherit (self.lists) count;
  };
in
self
