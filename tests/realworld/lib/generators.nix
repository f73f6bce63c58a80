{ lib }:
let
  inherit (builtins) isAttrs isList isString isInt isBool attrNames concatStringsSep
    toJSON filter all length;
  inherit (lib.strings) concatMapStringsSep escapeNixString;
  inherit (lib.attrsets) mapAttrsToList filterAttrs;
in
rec {
  mkValueStringDefault = v:
    if isInt v then toString v
    else if isString v then v
    else if v == true then "true"
    else if v == false then "false"
    else if v == null then "null"
    else throw "generators.mkValueStringDefault: cannot render a ${builtins.typeOf v}";

  toKeyValue = { sep ? "=", mkValueString ? mkValueStringDefault }: attrs:
    concatStringsSep "" (mapAttrsToList (k: v: "${k}${sep}${mkValueString v}\n") attrs);

  toINI = { }: sections:
    concatStringsSep "\n" (mapAttrsToList (name: body:
      "[${name}]\n" + toKeyValue { } body) sections);

  # A TOML writer: scalars and arrays inline, attrsets as [tables],
  # lists of attrsets as [[arrays of tables]].
  tomlKey = k:
    if builtins.match "[A-Za-z0-9_-]+" k != null then k else toJSON k;

  tomlValue = v:
    if isList v then "[ ${concatMapStringsSep ", " tomlValue v} ]"
    else if isAttrs v then "{ ${concatStringsSep ", " (mapAttrsToList (k: x: "${tomlKey k} = ${tomlValue x}") v)} }"
    else if isString v then toJSON v
    else if isBool v then lib.trivial.boolToString v
    else if isInt v then toString v
    else throw "toTOML: unsupported value of type ${builtins.typeOf v}";

  isTable = v: isAttrs v;
  isTableArray = v: isList v && v != [ ] && all isAttrs v;

  toTOML = attrs:
    let
      render = path: set:
        let
          scalars = filterAttrs (k: v: !(isTable v) && !(isTableArray v)) set;
          tables = filterAttrs (k: v: isTable v) set;
          arrays = filterAttrs (k: v: isTableArray v) set;
          header = concatMapStringsSep "." tomlKey path;
          body = concatStringsSep "" (mapAttrsToList (k: v: "${tomlKey k} = ${tomlValue v}\n") scalars);
        in
        (if path != [ ] && (scalars != { } || tables == { } && arrays == { }) then "\n[${header}]\n" else "")
        + body
        + concatStringsSep "" (mapAttrsToList (k: v: render (path ++ [ k ]) v) tables)
        + concatStringsSep "" (mapAttrsToList (k: vs:
            concatMapStringsSep "" (v:
              "\n[[${concatMapStringsSep "." tomlKey (path ++ [ k ])}]]\n"
              + concatStringsSep "" (mapAttrsToList (k2: x: "${tomlKey k2} = ${tomlValue x}\n") v)) vs) arrays);
    in
    render [ ] attrs;

  # A Nix-syntax pretty printer (data only), indented.
  toPretty = indent: v:
    let
      next = indent + "  ";
    in
    if isAttrs v then
      if v == { } then "{ }"
      else "{\n" + concatStringsSep "" (mapAttrsToList (k: x:
        "${next}${lib.attrsets.showAttrPath [ k ]} = ${toPretty next x};\n") v) + "${indent}}"
    else if isList v then
      if v == [ ] then "[ ]"
      else "[\n" + concatMapStringsSep "" (x: "${next}${toPretty next x}\n") v + "${indent}]"
    else if isString v then escapeNixString v
    else mkValueStringDefault v;
}
