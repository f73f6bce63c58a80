let
  count = 3;
in
"items: " + count
