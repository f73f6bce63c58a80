"""Names known before any file is read: Nix's builtins, and the symbols C++
Nix interns before it parses anything, in (approximately) its order.

Nix keeps attributes and formals ordered by symbol, i.e. by the time a name
was first interned, and the static checks walk them in that order. So when
two attributes both hold an error, which one Nix reports depends on whether
their names already existed: the EvalState constructor interns a fixed list
(outPath, type, name, value, ...), then the parser's own symbols (__sub,
__lessThan, ...), then createBaseEnv interns every builtin.
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

_STATIC = """
<with> outPath drvPath type meta name value system __overrides outputs outputName __ignoreNulls
file line column __functor __toString right wrong __structuredAttrs __json allowedReferences
allowedRequisites disallowedReferences disallowedRequisites maxSize maxClosureSize builder args
__contentAddressed __impure outputHash outputHashAlgo outputHashMode recurseForDerivations
description self  startSet operator key path prefix outputSpecified
__sub __lessThan __mul __div or __findFile __nixPath body
builtins true false null currentTime __currentTime currentSystem __currentSystem nixVersion
__nixVersion storeDir __storeDir langVersion __langVersion nixPath __nixPath
"""


def _build() -> dict[str, int]:
    order: dict[str, int] = {}
    for name in _STATIC.split():
        order.setdefault(name, len(order))
    order.setdefault("", len(order))  # sEpsilon
    for n in sorted(BUILTIN_NAMES):
        order.setdefault(n, len(order))
        order.setdefault("__" + n, len(order))
    return order


PREINTERNED: dict[str, int] = _build()


# The process-wide symbol table's order, as C++ Nix's SymbolTable: the
# pre-interned names, then every name in the order files were parsed, then
# names made at run time. Nix keeps an attrset's attributes sorted by symbol,
# so this is the order in which `--strict` and `deepSeq` force them.
SYMBOL_ORDER: dict[str, int] = dict(PREINTERNED)


def intern(names) -> None:
    """Add names to the table in the order given (known ones keep their place)."""
    order = SYMBOL_ORDER
    for n in names:
        if n not in order:
            order[n] = len(order)


def intern_fresh(names) -> None:
    """Intern those of `names` never seen, by name (as symbol_sorted does
    before sorting): what C++ Nix's symbol table holds once a run-time
    attrset's names have been sorted."""
    order = SYMBOL_ORDER
    fresh = [n for n in names if n not in order]
    if fresh:
        intern(sorted(fresh))


def symbol_sorted(names) -> list[str]:
    """`names` in symbol order; names never seen are interned now, by name."""
    intern_fresh(names)
    return sorted(names, key=SYMBOL_ORDER.__getitem__)
