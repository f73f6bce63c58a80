"""Diagnostics of one document: what the parser and resolver found, plus lints.

Every diagnostic has a stable code: the parse and scope errors keep their
pynix codes (E0xx, `pynix explain CODE`), evaluation errors theirs (E2xx),
and the lints below are W0xx. The message starts with Nix's own text where
there is one (people search for it), then says in plain words what to do.

Lints (the ones nil and nixd users know, worded for beginners):

    W001 unused let binding          W006 empty inherit
    W002 unused formal argument      W007 a binding shadows a builtin
    W003 unused `with`               W008 legacy `let { ... }` syntax
    W004 useless `rec`               W009 URL literal
    W005 empty `let`

Names starting with `_` are never reported as unused (the usual way to say
"deliberately unused").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import edit_distance
from ..resolve.globals import GLOBAL_NAMES
from ..syntax import ast as A
from .analysis import Analysis
from .hints import hint_for
from .static import scopes_at

ERROR, WARNING, INFO, HINT = "error", "warning", "information", "hint"
UNNECESSARY, DEPRECATED = "unnecessary", "deprecated"


@dataclass
class Related:
    message: str
    start: int
    end: int
    path: str | None = None        # None: this document


@dataclass
class Diagnostic:
    start: int
    end: int
    severity: str
    code: str
    message: str
    tags: tuple = ()
    related: list = field(default_factory=list)
    source: str = "pynix"
    kind: str = "static"           # "syntax", "scope", "lint" or "eval"
    hint: str = ""
    data: dict | None = None       # for code actions: e.g. {"suggestion": "pkgs"}


LINTS = {
    "W001": ("unused let binding", "nothing uses this binding; remove it, or start its name with `_`"),
    "W002": ("unused formal argument", "the function never uses this argument; remove it from the "
                                       "argument set (keep `...` if callers pass it anyway)"),
    "W003": ("unused with", "no name in the body comes from this `with`; remove `with ...;`"),
    "W004": ("useless rec", "no attribute of this set refers to another one; drop `rec`"),
    "W005": ("empty let", "this `let` binds nothing; remove `let ... in`"),
    "W006": ("empty inherit", "this `inherit` names nothing; remove it"),
    "W007": ("shadows a builtin", "this name hides the builtin of the same name in its scope; "
                                  "pick another name if you meant to use the builtin"),
    "W008": ("legacy let", "`let { ...; body = ...; }` is obsolete syntax; write `let ...; in ...`"),
    "W009": ("URL literal", "unquoted URLs are deprecated (and an error with lint-url-literals = fatal); "
                            "put the URL in quotes"),
}

EXPLAIN = {code: hint for code, (_title, hint) in LINTS.items()}


def diagnostics(an: Analysis, lints: bool = True) -> list[Diagnostic]:
    """All static diagnostics of the document, sorted by position."""
    from . import flakes
    if flakes.is_flake_lock(an):      # JSON, not Nix: only what the lock file itself says
        return [_from_flake(d) for d in flakes.flake_diagnostics(an)]
    # the hints and "did you mean" of an error each look through the text or
    # the tree around it: for the first errors only, so that a file with
    # thousands of them (a generated one, a broken merge) stays quick
    out = [_from_error(an, e, k < ENRICHED_ERRORS) for k, e in enumerate(an.parse_diagnostics)]
    if flakes.is_flake_nix(an) and an.ast is not None:
        out.extend(_from_flake(d) for d in flakes.flake_diagnostics(an))
    if lints and an.ast is not None:
        try:
            out.extend(lint(an))
        except RecursionError:
            pass
    out.sort(key=lambda d: (d.start, d.end, d.code))
    return out


MAX_ERRORS = 100          # errors an editor lists per file (`capped`)
MAX_OTHERS = 1000         # warnings and hints


def capped(diags: list[Diagnostic], max_errors: int = MAX_ERRORS, max_others: int = MAX_OTHERS
           ) -> list[Diagnostic]:
    """`diags` (sorted) as an editor should list them: the first `max_errors`
    errors, then, in place of all the others, the next one with a note of how
    many more there are (as compilers stop listing after so many); the same
    for warnings and hints with `max_others`. 200 KB of garbage has thousands
    of errors, and no one reads past the first ones."""
    errors = [d for d in diags if d.severity == ERROR]
    others = [d for d in diags if d.severity != ERROR]
    if len(errors) <= max_errors and len(others) <= max_others:
        return diags
    out: list[Diagnostic] = []
    for group, limit, what in ((errors, max_errors, "error"), (others, max_others, "warning")):
        out.extend(group[:limit])
        if len(group) > limit:
            d = group[limit]
            more = len(group) - limit - 1
            note = (f"(and {more} more {what}{'s' if more != 1 else ''} after this one, not listed: "
                    f"the first {limit} {what}s of a file are)") if more else ""
            out.append(Diagnostic(d.start, d.end, d.severity, d.code,
                                  f"{d.message}\n{note}" if note else d.message,
                                  d.tags, d.related, d.source, d.kind, d.hint, d.data))
    out.sort(key=lambda d: (d.start, d.end, d.code))
    return out


def _from_flake(d) -> Diagnostic:
    from .flakes import CODES
    return Diagnostic(d.start, d.end, d.severity, d.code, d.message, kind="flake",
                      hint=CODES.get(d.code, ("", ""))[1])


# -- parse and scope errors ------------------------------------------------------------------

ENRICHED_ERRORS = 200      # errors that get a hint and suggestions (see `diagnostics`)


def _from_error(an: Analysis, err, enrich: bool = True) -> Diagnostic:
    span = err.span
    start = span.start if span else 0
    end = span.end if span else start
    start = max(0, min(start, len(an.text)))
    end = max(start, min(end, len(an.text)))
    message = err.message
    kind = "syntax" if err.code < "E010" or err.code == "E014" else "scope"
    related = []
    data = None
    hint = hint_for(err, an) if enrich else ""
    if err.code == "E013" and enrich:
        name = err.data.get("name", "")
        sugg = suggestions(an, name, start)
        if sugg:
            message += ". Did you mean " + (f"'{sugg[0]}'" if len(sugg) == 1 else
                                            "one of " + ", ".join(f"'{s}'" for s in sugg[:-1]) +
                                            f" or '{sugg[-1]}'") + "?"
            data = {"suggestions": sugg}
    off = err.data.get("first") if err.code == "E010" else None
    if off is not None and 0 <= off <= len(an.text):
        first_how = _inherit_at(an, off)
        related.append(Related("first defined here" + (" (by `inherit`)" if first_how else ""),
                               off, _word_end(an.text, off)))
        how = _inherit_at(an, start)
        if how or first_how:
            hint = _inherit_hint(an, err.data.get("path", ""), start, how or first_how)
    if err.code == "E011" and err.data.get("name"):
        first = _first_formal(an, err.data["name"], start)
        if first is not None:
            related.append(Related("first written here", first.start, first.end))
    repair = getattr(err, "repair", "")
    if repair:
        hint = (hint + f" (pynix continued as if it {repair})") if hint else f"pynix continued as if it {repair}"
    if hint:
        message += "\n" + hint
    return Diagnostic(start, end, ERROR, err.code, message, related=related, kind=kind, hint=hint, data=data)


def _inherit_at(an: Analysis, offset: int) -> str:
    """How the name at `offset` is written: "inherit" (`inherit a;`), "inherit-from"
    (`inherit (x) a;`) or "" (anything else)."""
    from .rename import tokens, token_index
    toks = tokens(an)
    i = token_index(toks, offset)
    if not 0 < i < len(toks) or toks[i].start_pos != offset:
        return ""
    j = i - 1
    while j >= 0 and toks[j].type in ("ID", "DQUOTE", "STR", "OR_KW"):
        j -= 1
    if j < 0:
        return ""
    return {"INHERIT": "inherit", "RPAR": "inherit-from"}.get(toks[j].type, "")


def _inherit_hint(an: Analysis, name: str, offset: int, how: str) -> str:
    in_let = any(let.attrs.span.start <= offset <= let.attrs.span.end for let in an.lets)
    if how == "inherit-from":
        stmt, means = f"`inherit (...) {name};`", f"`{name} = (...).{name};`"
    else:
        stmt, means = f"`inherit {name};`", f"`{name} = {name};`"
    if in_let:
        outside = " with the '{name}' from outside the `let`".format(name=name) if how == "inherit" else ""
        return (f"{stmt} in a `let` means {means}{outside}, but this `let` already binds '{name}'; "
                f"remove the `inherit` (or the other binding)")
    return (f"{stmt} means {means}, so this set defines the attribute '{name}' twice; "
            f"remove the `inherit` (or the other definition)")


def _first_formal(an: Analysis, name: str, offset: int):
    """The first formal called `name` of the function whose formals hold `offset`."""
    for lam in an.lambdas:
        fs = [f for f in lam.formals or () if f.name == name]
        if fs and lam.span.start <= offset <= lam.span.end and fs[0].span.start != offset:
            return fs[0].span
        if lam.arg == name and fs and lam.arg_span is not None and fs[0].span.start <= offset:
            return lam.arg_span
    return None


def _word_end(text: str, off: int) -> int:
    m = re.compile(r"[A-Za-z0-9_'\-\.\"]+").match(text, off)
    return m.end() if m else off


# -- "did you mean" --------------------------------------------------------------------------

def suggestions(an: Analysis, name: str, offset: int, limit: int = 3) -> list[str]:
    """Names in scope at `offset` close to `name` (edit distance), best first."""
    if not name:
        return []
    candidates: set[str] = set()
    for fr in scopes_at(an, offset):
        candidates.update(fr.names)
    candidates.update(n for n in GLOBAL_NAMES if not n.startswith("__"))
    candidates.discard(name)
    budget = max(1, min(3, len(name) // 3))
    scored = []
    for c in candidates:
        d = edit_distance(name.lower(), c.lower(), budget)
        if d <= budget:
            scored.append((d, c))
    scored.sort()
    return [c for _, c in scored[:limit]]


# -- lints -----------------------------------------------------------------------------------

def _lint(code: str, start: int, end: int, message: str, severity=WARNING, tags=(), data=None) -> Diagnostic:
    title, hint = LINTS[code]
    return Diagnostic(start, end, severity, code, f"{message}\n{hint}", tags=tags, kind="lint", hint=hint,
                      data=data)


def lint(an: Analysis) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    refs = an.refs
    legacy = {id(a) for a in an.legacy_lets}

    # W001 unused let bindings, W005 empty let
    for let in an.lets:
        attrs = let.attrs
        if not attrs.attrs and not attrs.dynamic:
            start = let.span.start
            out.append(_lint("W005", start, start + 3, "empty let: it binds no names", tags=("unnecessary",)))
        for name, d in attrs.attrs.items():
            if name.startswith("_") or refs.get(id(d)):
                continue
            ns = d.name_span or d.span
            out.append(_lint("W001", ns.start, ns.end, f"unused let binding '{name}'", tags=("unnecessary",),
                             data={"name": name}))

    # W002 unused formals
    for lam in an.lambdas:
        for f in lam.formals or ():
            if f.name.startswith("_") or refs.get(id(f)) or f.name == lam.arg:
                continue
            if sum(1 for g in lam.formals if g.name == f.name) > 1:
                continue    # a duplicate: E011 says it
            out.append(_lint("W002", f.span.start, f.span.end, f"unused formal argument '{f.name}'",
                             severity=HINT, tags=("unnecessary",), data={"name": f.name}))

    # W003 unused with
    for w in an.withs:
        if id(w) not in an.used_withs:
            start = w.span.start
            out.append(_lint("W003", start, start + 4, "unused with: no variable in its body comes from it",
                             tags=("unnecessary",)))

    # W004 useless rec
    for s in an.rec_sets:
        if id(s) in legacy:
            continue
        if not any(refs.get(id(d)) for d in s.attrs.values()):
            start = s.span.start
            if an.text.startswith("rec", start):
                out.append(_lint("W004", start, start + 3, "useless rec: no attribute refers to another one",
                                 tags=("unnecessary",)))

    # W006 empty inherit: `inherit;` leaves no trace in the tree, `inherit (e);` leaves its source
    for m in _EMPTY_INHERIT.finditer(an.text):
        if an.in_comment(m.start()) or an.in_string(m.start()):
            continue
        out.append(_lint("W006", m.start(), m.end(), "empty inherit: it names no attribute",
                         tags=("unnecessary",)))
    _empty_inherit_from(an, out)

    # W007 shadowing a builtin
    for let in an.lets:
        for name, d in let.attrs.attrs.items():
            if name in GLOBAL_NAMES and d.kind == A.PLAIN:
                ns = d.name_span or d.span
                out.append(_shadow(name, ns.start, ns.end, "let binding"))
    for s in an.rec_sets:
        if id(s) in legacy:
            continue
        for name, d in s.attrs.items():
            if name in GLOBAL_NAMES and d.kind == A.PLAIN:
                ns = d.name_span or d.span
                out.append(_shadow(name, ns.start, ns.end, "rec attribute"))
    for lam in an.lambdas:
        if lam.arg is not None and lam.arg in GLOBAL_NAMES and lam.arg_span is not None:
            out.append(_shadow(lam.arg, lam.arg_span.start, lam.arg_span.end, "function argument"))
        for f in lam.formals or ():
            if f.name in GLOBAL_NAMES:
                out.append(_shadow(f.name, f.span.start, f.span.end, "formal argument"))

    # W008 legacy let, W009 URL literals
    for s in an.legacy_lets:
        start = s.span.start
        out.append(_lint("W008", start, start + 3, "legacy let syntax `let { ... }`", tags=("deprecated",)))
    for u in an.uris:
        out.append(_lint("W009", u.span.start, u.span.end,
                         f"URL literals are deprecated. Consider using a string literal \"{u.value}\" instead",
                         tags=("deprecated",)))
    return out


_EMPTY_INHERIT = re.compile(r"(?<![A-Za-z0-9_'\-])inherit(?:\s|#[^\n]*\n|/\*.*?\*/)*;", re.S)


def _empty_inherit_from(an: Analysis, out: list) -> None:
    for n in an.inherit_from_sets:       # the sets with an `inherit (e) ...;` (found by the index)
        used = {d.value.expr.index for d in n.attrs.values() if d.kind == A.INHERITED_FROM}
        for i, src in enumerate(n.inherit_from):
            if i not in used and not _duplicate_after(an, src.span.end):
                j = an.text.rfind("inherit", 0, src.span.start)
                start = j if j >= 0 else src.span.start
                out.append(_lint("W006", start, min(src.span.end + 1, len(an.text)),
                                 "empty inherit: it names no attribute", tags=("unnecessary",)))


def _duplicate_after(an: Analysis, offset: int) -> bool:
    """`inherit (x) a;` whose only names are duplicates (E010 says so): not empty."""
    semi = an.text.find(";", offset)
    return semi >= 0 and any(e.code == "E010" and e.span is not None and offset <= e.span.start < semi
                             for e in an.parse_diagnostics)


def _shadow(name: str, start: int, end: int, what: str) -> Diagnostic:
    return _lint("W007", start, end, f"the {what} '{name}' shadows the builtin '{name}'")


__all__ = ["Diagnostic", "Related", "diagnostics", "lint", "suggestions", "LINTS", "EXPLAIN",
           "ERROR", "WARNING", "INFO", "HINT"]
