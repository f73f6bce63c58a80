{ lib }:
let
  inherit (builtins) stringLength substring concatStringsSep replaceStrings split
    filter isString genList elemAt length match head;
in
rec {
  concatStrings = concatStringsSep "";
  concatMapStrings = f: list: concatStrings (map f list);
  concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);
  concatImapStringsSep = sep: f: list: concatStringsSep sep (lib.lists.imap1 f list);

  optionalString = cond: s: if cond then s else "";

  stringToCharacters = s: genList (p: substring p 1 s) (stringLength s);

  escape = list: replaceStrings list (map (c: "\\${c}") list);

  escapeRegex = escape (stringToCharacters "\\[{()^$?*+|.");

  splitString = sep: s: filter isString (split (escapeRegex sep) s);

  hasPrefix = pref: str: substring 0 (stringLength pref) str == pref;

  hasSuffix = suffix: content:
    let
      lenContent = stringLength content;
      lenSuffix = stringLength suffix;
    in
    lenContent >= lenSuffix && substring (lenContent - lenSuffix) lenContent content == suffix;

  removePrefix = prefix: str:
    if hasPrefix prefix str
    then substring (stringLength prefix) (stringLength str - stringLength prefix) str
    else str;

  removeSuffix = suffix: str:
    if hasSuffix suffix str
    then substring 0 (stringLength str - stringLength suffix) str
    else str;

  lowerChars = stringToCharacters "abcdefghijklmnopqrstuvwxyz";
  upperChars = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

  toUpper = replaceStrings lowerChars upperChars;
  toLower = replaceStrings upperChars lowerChars;

  # Quote for a POSIX shell unless the word is obviously safe.
  escapeShellArg = arg:
    let s = toString arg; in
    if match "[[:alnum:],._+:@%/=-]+" s != null
    then s
    else "'${replaceStrings [ "'" ] [ "'\\''" ] s}'";

  escapeShellArgs = concatMapStringsSep " " escapeShellArg;

  escapeNixString = s: "\"${replaceStrings [ "\\" "\"" "\n" "\t" "$" ] [ "\\\\" "\\\"" "\\n" "\\t" "\\$" ] s}\"";

  versionOlder = v1: v2: builtins.compareVersions v2 v1 == 1;
  versionAtLeast = v1: v2: !versionOlder v1 v2;

  fixedWidthString = width: filler: str:
    let strw = stringLength str; in
    if strw >= width then str
    else fixedWidthString width filler (filler + str);

  fixedWidthNumber = width: n: fixedWidthString width "0" (toString n);

  toInt = str:
    let m = match " *(-?[0-9]+) *" str; in
    if m == null
    then throw "toInt: could not convert '${str}' to an integer"
    else builtins.fromJSON (let d = head m; in
      # fromJSON rejects leading zeros, so strip them.
      let stripped = match "(-?)0*([0-9]+)" d; in
      "${elemAt stripped 0}${elemAt stripped 1}");

  trim = s:
    let m = match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s; in
    if m == null then "" else head m;

  commonPrefixLength = a: b:
    let
      m = lib.trivial.min (stringLength a) (stringLength b);
      go = i: if i < m && substring i 1 a == substring i 1 b then go (i + 1) else i;
    in
    go 0;

  # Edit distance with a lazily filled table: each cell is a thunk that only
  # gets forced when some other cell needs it.
  levenshtein = a: b:
    let
      la = stringLength a;
      lb = stringLength b;
      table = genList (i: genList (j: cell i j) (lb + 1)) (la + 1);
      at = i: j: elemAt (elemAt table i) j;
      cell = i: j:
        if i == 0 then j
        else if j == 0 then i
        else
          let
            cost = if substring (i - 1) 1 a == substring (j - 1) 1 b then 0 else 1;
          in
          lib.trivial.min (lib.trivial.min (at (i - 1) j + 1) (at i (j - 1) + 1))
            (at (i - 1) (j - 1) + cost);
    in
    at la lb;
}
