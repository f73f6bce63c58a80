x: y: ./a/${x}/${y}.nix
