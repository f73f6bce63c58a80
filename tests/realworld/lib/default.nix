# A miniature nixpkgs-style `lib`: each part is a file taking { lib } and the
# whole is an extensible fixed point, so parts refer to each other lazily
# through `lib` and users can `lib.extend` it.
let
  fixedPoints = import ./fixed-points.nix { };

  lib = fixedPoints.makeExtensible (self:
    let
      callLibs = file: import file { lib = self; };
    in {
      inherit fixedPoints;
      trivial = callLibs ./trivial.nix;
      lists = callLibs ./lists.nix;
      strings = callLibs ./strings.nix;
      attrsets = callLibs ./attrsets.nix;
      generators = callLibs ./generators.nix;
      types = callLibs ./types.nix;
      modules = callLibs ./modules.nix;

      inherit (builtins) mapAttrs any all elem filter length head tail attrNames attrValues concatStringsSep;
      inherit (fixedPoints) fix fix' extends composeExtensions composeManyExtensions
        makeExtensible makeExtensibleWithCustomName converge;
      inherit (self.trivial) id const flip pipe compose boolToString min max mod
        throwIfNot functionArgs setFunctionArgs isFunction toBaseDigits toHexString;
      inherit (self.lists) foldr foldl imap0 imap1 range flatten concatMap unique
        zipListsWith zipLists sortOn groupBy groupBy' partition take drop sublist
        last init reverseList count findFirst intersperse mergeSort toposort
        replicate optional optionals subtractLists mutuallyExclusive;
      inherit (self.strings) concatStrings concatMapStrings concatMapStringsSep
        concatImapStringsSep stringToCharacters splitString hasPrefix hasSuffix
        removePrefix removeSuffix toUpper toLower escapeShellArg escapeShellArgs
        versionOlder versionAtLeast optionalString fixedWidthString fixedWidthNumber
        toInt trim levenshtein commonPrefixLength escapeNixString;
      inherit (self.attrsets) attrByPath hasAttrByPath setAttrByPath getAttrFromPath
        nameValuePair mapAttrs' mapAttrsToList filterAttrs filterAttrsRecursive
        mapAttrsRecursive mapAttrsRecursiveCond recursiveUpdate recursiveUpdateUntil
        genAttrs collect foldAttrs zipAttrs optionalAttrs cartesianProduct
        showAttrPath attrsToList updateManyAttrsByPath;
      inherit (self.modules) mkOption mkIf mkMerge mkOverride mkDefault mkForce
        mkOptionDefault evalModules;
    });
in
lib
