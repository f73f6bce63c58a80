{ lib }:
let
  inherit (builtins) isBool isInt isString isList isAttrs isFunction all any elem length head
    concatStringsSep concatLists filter mapAttrs zipAttrsWith toJSON foldl' attrNames;
  inherit (lib.lists) imap1 last;
  showOption = loc: concatStringsSep "." loc;
  showFiles = defs: concatStringsSep ", " (map (d: "`${d.file}'") defs);
in
rec {
  inherit showOption;

  isType = t: x: isAttrs x && x._type or null == t;

  mkOptionType =
    { name
    , description ? name
    , check ? (_: true)
    , merge ? mergeEqualOption
    , emptyValue ? { }
    , nestedTypes ? { }
    }:
    { _type = "option-type"; inherit name description check merge emptyValue nestedTypes; };

  mergeEqualOption = loc: defs:
    if defs == [ ] then throw "The option `${showOption loc}' has no definitions."
    else
      let first = head defs; in
      foldl' (acc: d:
        if d.value != first.value
        then throw "The option `${showOption loc}' has conflicting definition values: ${showFiles defs}."
        else acc) first.value defs;

  mergeOneOption = loc: defs:
    if length defs == 1 then (head defs).value
    else throw "The unique option `${showOption loc}' is defined multiple times, in ${showFiles defs}.";

  bool = mkOptionType { name = "bool"; description = "boolean"; check = isBool; };

  int = mkOptionType { name = "int"; description = "signed integer"; check = isInt; };

  ints = {
    between = lowest: highest:
      assert lowest <= highest;
      mkOptionType {
        name = "intBetween";
        description = "integer between ${toString lowest} and ${toString highest} (both inclusive)";
        check = x: isInt x && x >= lowest && x <= highest;
      };
    unsigned = ints.between 0 4294967295;
    positive = ints.between 1 4294967295;
  };

  port = ints.between 0 65535;

  str = mkOptionType { name = "str"; description = "string"; check = isString; };

  separatedString = sep: mkOptionType {
    name = "separatedString";
    description = "strings concatenated with ${toJSON sep}";
    check = isString;
    merge = loc: defs: concatStringsSep sep (map (d: d.value) defs);
  };

  lines = separatedString "\n";
  commas = separatedString ",";

  enum = values: mkOptionType {
    name = "enum";
    description = "one of ${concatStringsSep ", " (map toJSON values)}";
    check = x: elem x values;
  };

  anything = mkOptionType {
    name = "anything";
    description = "anything";
    merge = loc: defs:
      let values = map (d: d.value) defs; in
      if all isAttrs values then
        mapAttrs (n: vs: (lib.modules.mergeDefinitions (loc ++ [ n ]) anything vs).mergedValue)
          (zipAttrsWith (n: vs: vs) (map (d: mapAttrs (n: v: { inherit (d) file; value = v; }) d.value) defs))
      else if all isList values then concatLists values
      else mergeEqualOption loc defs;
  };

  nullOr = elemType: mkOptionType {
    name = "nullOr";
    description = "null or ${elemType.description}";
    check = x: x == null || elemType.check x;
    merge = loc: defs:
      let nulls = filter (d: d.value == null) defs; in
      if length nulls == length defs then null
      else if nulls == [ ] then elemType.merge loc defs
      else throw "The option `${showOption loc}' is defined both null and not null, in ${showFiles defs}.";
    nestedTypes.elemType = elemType;
  };

  either = t1: t2: mkOptionType {
    name = "either";
    description = "${t1.description} or ${t2.description}";
    check = x: t1.check x || t2.check x;
    merge = loc: defs:
      let values = map (d: d.value) defs; in
      if all t1.check values then t1.merge loc defs
      else if all t2.check values then t2.merge loc defs
      else mergeOneOption loc defs;
  };

  listOf = elemType: mkOptionType {
    name = "listOf";
    description = "list of ${elemType.description}";
    check = isList;
    merge = loc: defs:
      concatLists (imap1 (n: def:
        concatLists (imap1 (m: v:
          let r = lib.modules.mergeDefinitions (loc ++ [ "[definition ${toString n}-entry ${toString m}]" ])
            elemType [ { inherit (def) file; value = v; } ]; in
          if r.isDefined then [ r.mergedValue ] else [ ]) def.value)) defs);
    nestedTypes.elemType = elemType;
  };

  attrsOf = elemType: mkOptionType {
    name = "attrsOf";
    description = "attribute set of ${elemType.description}";
    check = isAttrs;
    merge = loc: defs:
      let
        pushed = concatLists (map (def:
          map (v: { inherit (def) file; value = v; }) (lib.modules.pushDownProperties def.value)) defs);
        perName = zipAttrsWith (name: defs': lib.modules.mergeDefinitions (loc ++ [ name ]) elemType defs')
          (map (def: mapAttrs (n: v: { inherit (def) file; value = v; }) def.value) pushed);
      in
      mapAttrs (n: r: r.mergedValue) (lib.attrsets.filterAttrs (n: r: r.isDefined) perName);
    nestedTypes.elemType = elemType;
  };

  # A submodule type: definitions are themselves modules, evaluated together
  # with the declaring module(s). Inside, `name` is the attribute name when
  # used under attrsOf.
  submodule = modules: mkOptionType {
    name = "submodule";
    description = "submodule";
    check = x: isAttrs x || isFunction x;
    merge = loc: defs:
      (lib.modules.evalModules {
        modules = lib.lists.flatten [ modules ]
          ++ map (d: if isFunction d.value then d.value else { _file = d.file; config = d.value; }) defs;
        prefix = loc;
        specialArgs = { name = last loc; };
      }).config;
  };
}
