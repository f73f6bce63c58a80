"""Names bound in Nix's base environment (EvalState::createBaseEnv, Nix 2.36).

Every builtin is reachable as `__name` and as `builtins.name`; a few are also
bound without the prefix. The resolver treats these as the outermost scope;
the evaluator will bind the same names to values.
"""

# builtins.* of Nix 2.36 that evaluate offline or online (the attribute names of `builtins`)
BUILTIN_NAMES = frozenset("""
abort add addDrvOutputDependencies addErrorContext all any appendContext attrNames attrValues
baseNameOf bitAnd bitOr bitXor break builtins catAttrs ceil compareVersions concatLists
concatMap concatStringsSep convertHash currentSystem currentTime deepSeq derivation
derivationStrict dirOf div elem elemAt false fetchClosure fetchGit fetchMercurial fetchTarball
fetchTree fetchurl filter filterSource findFile flakeRefToString floor foldl' fromJSON fromTOML
functionArgs genList genericClosure getAttr getContext getEnv getFlake groupBy hasAttr
hasContext hashFile hashString head import intersectAttrs isAttrs isBool isFloat isFunction
isInt isList isNull isPath isString langVersion length lessThan listToAttrs map mapAttrs match
mul nixPath nixVersion null outputOf parseDrvName parseFlakeRef partition path pathExists
placeholder readDir readFile readFileType removeAttrs replaceStrings scopedImport seq sort
split splitVersion storeDir storePath stringLength sub substring tail throw toFile toJSON
toPath toString toXML trace traceVerbose true tryEval typeOf unsafeDiscardOutputDependency
unsafeDiscardStringContext unsafeGetAttrPos warn zipAttrsWith
""".split())

# bound without the `__` prefix too
TOP_LEVEL = frozenset("""
abort baseNameOf break builtins derivation derivationStrict dirOf false fetchGit fetchMercurial
fetchTarball fetchTree fromTOML import isNull map null placeholder removeAttrs scopedImport
throw toString true
""".split())

GLOBAL_NAMES = frozenset(TOP_LEVEL | {"__" + n for n in BUILTIN_NAMES})
