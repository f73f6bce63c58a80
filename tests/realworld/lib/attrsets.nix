{ lib }:
let
  inherit (builtins) head tail length attrNames attrValues listToAttrs isAttrs
    concatMap zipAttrsWith elemAt mapAttrs concatStringsSep foldl' hasAttr getAttr;
in
rec {
  nameValuePair = name: value: { inherit name value; };

  attrByPath = attrPath: default: set:
    let
      go = path: s:
        if path == [ ] then s
        else
          let n = head path; in
          if isAttrs s && s ? ${n} then go (tail path) s.${n} else default;
    in
    go attrPath set;

  # Never forces the value found at the end of the path.
  hasAttrByPath = attrPath: set:
    if attrPath == [ ] then true
    else
      let n = head attrPath; in
      isAttrs set && set ? ${n} && hasAttrByPath (tail attrPath) set.${n};

  setAttrByPath = attrPath: value:
    if attrPath == [ ] then value
    else { ${head attrPath} = setAttrByPath (tail attrPath) value; };

  showAttrPath = path:
    if path == [ ] then "<root attribute path>"
    else concatStringsSep "." (map (p:
      if builtins.match "[a-zA-Z_][a-zA-Z0-9_'-]*" p != null then p
      else lib.strings.escapeNixString p) path);

  getAttrFromPath = attrPath: set:
    attrByPath attrPath (throw "cannot find attribute '${showAttrPath attrPath}'") set;

  mapAttrs' = f: set: listToAttrs (map (name: f name set.${name}) (attrNames set));

  mapAttrsToList = f: attrs: map (name: f name attrs.${name}) (attrNames attrs);

  attrsToList = mapAttrsToList nameValuePair;

  filterAttrs = pred: set:
    listToAttrs (concatMap (name:
      let v = set.${name}; in
      if pred name v then [ (nameValuePair name v) ] else [ ]) (attrNames set));

  filterAttrsRecursive = pred: set:
    listToAttrs (concatMap (name:
      let v = set.${name}; in
      if pred name v
      then [ (nameValuePair name (if isAttrs v then filterAttrsRecursive pred v else v)) ]
      else [ ]) (attrNames set));

  mapAttrsRecursiveCond = cond: f: set:
    let
      recurse = path: mapAttrs (name: value:
        if isAttrs value && cond value
        then recurse (path ++ [ name ]) value
        else f (path ++ [ name ]) value);
    in
    recurse [ ] set;

  mapAttrsRecursive = mapAttrsRecursiveCond (_: true);

  recursiveUpdateUntil = pred: lhs: rhs:
    let
      f = attrPath: zipAttrsWith (n: values:
        let here = attrPath ++ [ n ]; in
        if length values == 1 || pred here (elemAt values 1) (head values)
        then head values
        else f here values);
    in
    f [ ] [ rhs lhs ];

  recursiveUpdate = recursiveUpdateUntil (path: lhs: rhs: !(isAttrs lhs && isAttrs rhs));

  genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);

  collect = pred: attrs:
    if pred attrs then [ attrs ]
    else if isAttrs attrs then concatMap (collect pred) (attrValues attrs)
    else [ ];

  foldAttrs = op: nul: list_of_attrs:
    foldl' (acc: set:
      foldl' (acc': name: acc' // { ${name} = op set.${name} (acc'.${name} or nul); }) acc (attrNames set))
      { } (lib.lists.reverseList list_of_attrs);

  zipAttrs = zipAttrsWith (name: values: values);

  optionalAttrs = cond: as: if cond then as else { };

  cartesianProduct = attrsOfLists:
    foldl' (listOfAttrs: attrName:
      concatMap (attrs: map (v: attrs // { ${attrName} = v; }) attrsOfLists.${attrName}) listOfAttrs)
      [ { } ] (attrNames attrsOfLists);

  # Apply { path = [..]; update = old: new; } edits to a nested attrset.
  updateManyAttrsByPath = updates: value:
    foldl' (acc: u:
      let
        go = path: v:
          if path == [ ] then u.update v
          else
            let n = head path; in
            (if isAttrs v then v else { }) // { ${n} = go (tail path) (if isAttrs v && v ? ${n} then v.${n} else null); };
      in
      go u.path acc) value updates;
}
