{ lib }:
let
  inherit (builtins) isAttrs isBool isFunction isPath isList attrNames head tail length
    concatLists filter mapAttrs zipAttrsWith foldl' genericClosure functionArgs intersectAttrs
    removeAttrs elemAt toString;
  inherit (lib.lists) concatMap imap1;
  inherit (lib.types) showOption;
in
rec {
  defaultPriority = 100;

  mkOption = attrs: attrs // { _type = "option"; };
  isOption = x: isAttrs x && x._type or null == "option";

  mkIf = condition: content: { _type = "if"; inherit condition content; };
  mkMerge = contents: { _type = "merge"; inherit contents; };
  mkOverride = priority: content: { _type = "override"; inherit priority content; };
  mkOptionDefault = mkOverride 1500;
  mkDefault = mkOverride 1000;
  mkForce = mkOverride 50;

  # Move mkIf / mkMerge / mkOverride of an attrset into its attributes.
  pushDownProperties = cfg:
    let t = if isAttrs cfg then cfg._type or "" else ""; in
    if t == "merge" then concatMap pushDownProperties cfg.contents
    else if t == "if" then map (mapAttrs (n: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
    else if t == "override" then map (mapAttrs (n: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
    else [ cfg ];

  # Evaluate mkIf conditions and flatten mkMerge; mkOverride stays.
  dischargeProperties = def:
    let t = if isAttrs def then def._type or "" else ""; in
    if t == "merge" then concatMap dischargeProperties def.contents
    else if t == "if" then
      if isBool def.condition
      then (if def.condition then dischargeProperties def.content else [ ])
      else throw "mkIf called with a non-Boolean condition"
    else [ def ];

  getPriority = v: if isAttrs v && v._type or "" == "override" then v.priority else defaultPriority;

  filterOverrides = defs:
    let
      highestPrio = foldl' (prio: def: lib.trivial.min (getPriority def.value) prio) 9999 defs;
      strip = def: if isAttrs def.value && def.value._type or "" == "override"
        then def // { value = def.value.content; } else def;
    in
    {
      inherit highestPrio;
      values = concatMap (def: if getPriority def.value == highestPrio then [ (strip def) ] else [ ]) defs;
    };

  mergeDefinitions = loc: type: defs:
    let
      discharge = ds: concatMap (d: map (v: { inherit (d) file; value = v; }) (dischargeProperties d.value)) ds;
      filtered = filterOverrides (discharge defs);
      final = discharge filtered.values;
      checked = map (d:
        if type.check d.value then d
        else throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition in `${d.file}'.")
        final;
      isDefined = final != [ ];
    in
    {
      inherit isDefined;
      inherit (filtered) highestPrio;
      files = map (d: d.file) final;
      mergedValue =
        if isDefined then type.merge loc checked
        else throw "The option `${showOption loc}' is used but not defined.";
    };

  # All definitions found at an attribute path of one module's config.
  defsAt = path: cfg:
    if path == [ ] then [ cfg ]
    else
      let n = head path; in
      concatMap (c: if isAttrs c && c ? ${n} then defsAt (tail path) c.${n} else [ ]) (pushDownProperties cfg);

  evalModules = { modules, prefix ? [ ], specialArgs ? { } }:
    let
      args = { inherit lib config options; } // specialArgs;

      applyModule = m:
        if isFunction m then
          let fa = functionArgs m; in
          m (if fa == { } then args else intersectAttrs fa args)
        else m;

      normalise = key: file: m:
        let
          m' = applyModule (if isPath m then import m else m);
          file' = if isPath m then toString m else m._file or file;
          structured = m' ? options || m' ? config;
        in
        {
          inherit key;
          file = file';
          imports = m'.imports or [ ];
          options = if structured then m'.options or { } else { };
          config = if structured then m'.config or { } else removeAttrs m' [ "_file" "key" "imports" ];
        };

      keyOf = parent: i: m: if isPath m then toString m else "${parent}:${toString i}";

      collected = genericClosure {
        startSet = imap1 (i: m: normalise (keyOf "<root>" i m) "<unknown-file>" m) modules;
        operator = item: imap1 (i: m: normalise (keyOf item.key i m) item.file m) item.imports;
      };

      # Merge option declarations; an option may be declared once.
      options = foldl' (acc: m: mergeDecls [ ] acc m.options) { } collected;

      mergeDecls = path: a: b:
        if isOption a || isOption b then
          throw "The option `${showOption (prefix ++ path)}' is declared more than once."
        else
          a // mapAttrs (n: v: if a ? ${n} then mergeDecls (path ++ [ n ]) a.${n} v else v) b;

      defsFor = path: concatMap (m: map (v: { inherit (m) file; value = v; }) (defsAt path m.config)) collected;

      evalOption = path: opt:
        let
          loc = prefix ++ path;
          defaults = if opt ? default then [ { file = "<default>"; value = mkOptionDefault opt.default; } ] else [ ];
          res = mergeDefinitions loc opt.type (defaults ++ defsFor path);
        in
        if opt ? apply then opt.apply res.mergedValue else res.mergedValue;

      mapOptions = path: opts:
        mapAttrs (n: o: if isOption o then evalOption (path ++ [ n ]) o else mapOptions (path ++ [ n ]) o) opts;

      rawConfig = mapOptions [ ] options;
      config = rawConfig;

      # Every defined attribute must correspond to a declared option.
      checkDefs = path: opts: file: cfg:
        foldl' (ok: c:
          if !(isAttrs c) then ok
          else foldl' (ok': n:
            if !(opts ? ${n}) then
              throw "The option `${showOption (prefix ++ path ++ [ n ])}' does not exist. Definition in `${file}'."
            else if isOption opts.${n} then ok'
            else checkDefs (path ++ [ n ]) opts.${n} file c.${n} && ok') ok (attrNames c))
          true (pushDownProperties cfg);

      checked = foldl' (ok: m: checkDefs [ ] options m.file m.config && ok) true collected;

      priorityOf = path:
        (mergeDefinitions (prefix ++ path) lib.types.anything (
          (let opt = lib.attrsets.getAttrFromPath path options; in
           if opt ? default then [ { file = "<default>"; value = mkOptionDefault opt.default; } ] else [ ])
          ++ defsFor path)).highestPrio;
    in
    {
      config = builtins.seq checked config;
      inherit options priorityOf;
      moduleKeys = map (m: m.key) collected;
    };
}
