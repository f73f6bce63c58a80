"""Selection paths (`-A a.b."c.d".0`): Nix's parseAttrPath and
findAlongAttrPath (src/libexpr/attr-path.cc), with their error texts.

A path is split at dots; a double-quoted stretch keeps its dots (the quotes
go); a component that reads as an unsigned integer selects a list element.
Before each step the value is auto-called with the --arg values, as
autoCallFunction does.
"""
from __future__ import annotations

from . import errors as E
from .runtime.errors import best_matches
from .runtime.values import Attrs, Closure, force, show_type


def parse_attr_path(s: str) -> list[str]:
    """parseAttrPath: the components of a selection path."""
    res: list[str] = []
    cur: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == ".":
            res.append("".join(cur))
            cur = []
        elif c == '"':
            i += 1
            while True:
                if i == n:
                    raise E.InputError(f"missing closing quote in selection path '{s}'")
                if s[i] == '"':
                    break
                cur.append(s[i])
                i += 1
        else:
            cur.append(c)
        i += 1
    if cur:
        res.append("".join(cur))
    return res


def _index(token: str) -> int | None:
    """string2Int<unsigned int>: the list index a component names, if any."""
    if token.isascii() and token.isdigit() and int(token) < 1 << 32:
        return int(token)
    return None


def auto_call(ev, v, args: dict):
    """autoCallFunction: a function of formals gets the --arg values it
    names (all of them with `...`); a functor gets them all."""
    v = force(v)
    if type(v) is Closure and v.lam.formals is not None:
        names = {n for n, _, _ in v.lam.formals}
        chosen = {k: a for k, a in args.items() if v.lam.ellipsis or k in names}
        try:
            return ev.call(v, Attrs(chosen))
        except E.CallError as e:
            if e.data.get("function") is v.lam.node:
                e.data["auto_call"] = True     # its arguments come from --arg / --argstr
            raise
    if type(v) is Attrs and "__functor" in v.d:
        return ev.call(v, Attrs(dict(args)))
    return v


def find_along_attr_path(ev, v, path: str, args: dict):
    """findAlongAttrPath: follow `path` from `v`."""
    for token in parse_attr_path(path):
        index = _index(token)
        v = force(auto_call(ev, v, args))
        if index is None:
            if type(v) is not Attrs:
                raise E.TypeError_(f"the expression selected by the selection path '{path}' should be a set "
                                   f"but is {show_type(v)}")
            if token == "":
                raise E.EvalError(f"empty attribute name in selection path '{path}'")
            if token not in v.d:
                err = E.MissingAttr(f"attribute '{token}' in selection path '{path}' not found")
                close = best_matches(token, v.d)
                if close:
                    err.suggestions = close
                raise err
            v = v.d[token]
        else:
            if type(v) is not list:
                raise E.TypeError_(f"the expression selected by the selection path '{path}' should be a list "
                                   f"but is {show_type(v)}")
            if index >= len(v):
                raise E.MissingAttr(f"list index {index} in selection path '{path}' is out of range")
            v = v[index]
    return force(v)
