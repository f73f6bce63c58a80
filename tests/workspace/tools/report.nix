{ lib, ... }:
{
  summary = lib.count [ 1 2 3 ];
}
