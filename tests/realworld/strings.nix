# String utilities: splitting, case conversion, shell quoting, versions,
# formatting tables and a small text report built from "log lines".
let
  lib = import ./lib;
  inherit (lib) concatMapStringsSep concatImapStringsSep splitString hasPrefix hasSuffix
    removePrefix removeSuffix toUpper toLower escapeShellArg escapeShellArgs versionOlder
    versionAtLeast fixedWidthString fixedWidthNumber toInt trim levenshtein
    commonPrefixLength stringToCharacters concatStrings optionalString escapeNixString;

  log = ''
    2024-01-03 INFO  web    started on port 8080
    2024-01-03 WARN  db     slow query: SELECT * FROM "users"
    2024-01-04 ERROR web    upstream timed out after 30s
    2024-01-04 INFO  cron   job 'cleanup' finished
    2024-01-05 ERROR db     connection reset; retrying
    2024-01-05 INFO  web    stopped
  '';

  lines = builtins.filter (l: l != "") (splitString "\n" log);

  parseLine = l:
    let m = builtins.match "([0-9-]+) +([A-Z]+) +([a-z]+) +(.*)" l; in
    if m == null then throw "unparsable line: ${l}"
    else {
      date = builtins.elemAt m 0;
      level = builtins.elemAt m 1;
      component = builtins.elemAt m 2;
      message = builtins.elemAt m 3;
    };

  entries = map parseLine lines;
  errors = builtins.filter (e: e.level == "ERROR") entries;

  pad = w: s: s + concatStrings (builtins.genList (_: " ") (w - builtins.stringLength s));
  table = rows:
    let
      widths = builtins.genList (i:
        builtins.foldl' (m: r: lib.max m (builtins.stringLength (builtins.elemAt r i))) 0 rows) 3;
    in
    concatMapStringsSep "\n" (r: concatImapStringsSep " | " (i: c: pad (builtins.elemAt widths (i - 1)) c) r) rows;

  versions = [ "1.2.10" "1.2.9" "1.10" "1.2" "1.2pre1" "2.0-rc1" "2.0" "0.9.99" "1.2.9a" ];
  sortedVersions = builtins.sort versionOlder versions;

  camelToSnake = s:
    concatStrings (map (c: if builtins.elem c lib.strings.upperChars then "_" + toLower c else c) (stringToCharacters s));
  snakeToCamel = s:
    let parts = splitString "_" s; in
    builtins.head parts + concatMapStringsSep "" (p:
      toUpper (builtins.substring 0 1 p) + builtins.substring 1 (-1) p) (builtins.tail parts);

  # Word frequency with a deterministic order.
  words = builtins.filter (w: w != "") (splitString " " (toLower (builtins.replaceStrings [ "," "." ";" "!" "?" ] [ "" "" "" "" "" ]
    "The quick brown fox. The lazy dog; the QUICK cat! Is the fox quick?")));
  freq = lib.groupBy (w: w) words;
  top = lib.take 3 (lib.sortOn (p: -p.n * 1000 + builtins.stringLength p.w) (lib.mapAttrsToList (w: ws: { inherit w; n = builtins.length ws; }) freq));
in
{
  lineCount = builtins.length lines;
  components = lib.unique (map (e: e.component) entries);
  errorsByDay = lib.mapAttrs' (d: es: lib.nameValuePair "day-${lib.removePrefix "2024-01-" d}" (map (e: e.component) es))
    (lib.groupBy (e: e.date) errors);
  quoted = map (e: escapeShellArg e.message) entries;
  shellCommand = "grep " + escapeShellArgs [ "-e" "it's" "a b" "plain" "" "$HOME" ];
  table = table ([ [ "level" "component" "first word" ] ] ++ map (e: [ e.level e.component (builtins.head (splitString " " e.message)) ]) entries);
  prefixes = {
    has = map (hasPrefix "2024-01-0") [ "2024-01-03" "2023-01-03" "" ];
    hasSuffix = map (hasSuffix ".nix") [ "default.nix" "nix" ".nix" "a.nix.bak" ];
    removed = map (removePrefix "lib") [ "libfoo" "foolib" "lib" ];
    removedSuffix = map (removeSuffix ".tar.gz") [ "src.tar.gz" "src.tar.xz" ];
  };
  cases = {
    upper = toUpper "Hello, World! 123 ßé";
    lower = toLower "MiXeD CaSe";
    snake = map camelToSnake [ "camelCaseString" "already_snake" "HTTPServer" ];
    camel = map snakeToCamel [ "snake_case_string" "x" "a__b" ];
  };
  split = {
    simple = splitString "," "a,b,,c,";
    regexChars = splitString "." "1.2.3";
    multi = splitString "::" "std::vector::iterator";
    raw = builtins.split "(a)|(b)" "xaybz";
    noMatch = splitString "|" "abc";
  };
  versions = {
    sorted = sortedVersions;
    olderPairs = map (p: versionOlder (builtins.elemAt p 0) (builtins.elemAt p 1))
      [ [ "1.0" "1.1" ] [ "1.10" "1.9" ] [ "1.0pre" "1.0" ] [ "2.0" "2.0" ] [ "1.0a" "1.0" ] ];
    atLeast = versionAtLeast "2.8.0" "2.4";
    parsed = builtins.parseDrvName "nix-2.8.0pre20220101";
    components = builtins.splitVersion "1.2.3-rc.4foo";
  };
  formatting = {
    widths = map (fixedWidthNumber 5) [ 7 42 12345 123456 ];
    hex = map lib.toHexString [ 0 9 10 255 4096 65535 ];
    ints = map toInt [ "42" " -17 " "007" "0" ];
    badInt = builtins.tryEval (toInt "4x2");
    trimmed = map trim [ "  padded  " "\tx y\n" "   " "" ];
    nixStrings = map escapeNixString [ "plain" "with \"quotes\"" "dollar \${x}" "tab\there" ];
    optional = optionalString true "yes" + optionalString false "no";
  };
  distances = map (p: levenshtein (builtins.elemAt p 0) (builtins.elemAt p 1))
    [ [ "kitten" "sitting" ] [ "flaw" "lawn" ] [ "" "abc" ] [ "nixpkgs" "nixpkgs" ] [ "intention" "execution" ] ];
  common = commonPrefixLength "nixos-unstable" "nixos-23.11";
  wordsTop = top;
  interpolation = let name = "world"; n = 3; in "hello ${name}, ${toString n} times: ${concatMapStringsSep "," toString (lib.range 1 n)}";
  indented = ''
    line one
      indented ''${not interpolated}
    tab:	end
    dollar: $ and ''' quote
  '';
}
