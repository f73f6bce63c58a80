"""Printing values as nix-instantiate does (`--eval`, `--strict`, `--json`).

Mirrors C++ Nix's printValue: attributes sorted by name, `«repeated»` for a
list or attrset already being printed higher up (a cycle or plain sharing,
as Nix 2.36 prints it), `<LAMBDA>`, `<PRIMOP>`, `<PRIMOP-APP>`, and `<CODE>`
for what is not evaluated when printing lazily (printAmbiguous). Floats print like C++'s
default stream format (`%g`, 6 significant digits).
"""
from __future__ import annotations

import math

from ..syntax.printer import identifier, literal_string
from .values import Attrs, Closure, CtxStr, Path, PrimOp, PrimOpApp, Thunk, force


def format_float(v: float) -> str:
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if math.isnan(v):
        return "nan" if math.copysign(1, v) > 0 else "-nan"
    return "%g" % v


def scalar_text(v) -> str | None:
    """How a bool, number, string, path or null prints; None for anything else."""
    t = type(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return format_float(v)
    if t is str or t is CtxStr:
        return literal_string(v)
    if t is Path:
        return v.path
    if v is None:
        return "null"
    return None


def print_value(v, strict: bool = True, force_fn=force, derivations: bool | None = None) -> str:
    """`derivations`: print a derivation as `«derivation DRVPATH»` (forcing
    its `type` and `drvPath`); by default only when `strict`, as
    nix-instantiate does; the REPL asks for it always, as `nix repl` does,
    and then a derivation seen before is named again, not `«repeated»`."""
    if derivations is None:
        derivations = strict
    out: list[str] = []
    # printAmbiguous marks what it has printed and prints a second visit as
    # «repeated»: a non-empty list by its *value slot* (a thunk here, or the
    # list itself when it was stored directly; the top-level value is a copy
    # in Nix, so it is never marked), a non-empty attrset by its bindings
    # (shared by `x // { }`, `head [ x ]`, ...), top level included.
    seen: set[int] = set()
    append = out.append
    shapes: dict[tuple, list] = {}

    def names_of(d) -> list:
        # the names in printing order, each with its `name = `: kept per
        # tuple of names (the sets one expression makes share them)
        key = tuple(d) if len(d) <= 64 else None
        names = shapes.get(key) if key is not None else None
        if names is None:
            names = [(k, identifier(k) + " = ") for k in sorted(d)]
            if key is not None:
                shapes[key] = names
        return names

    def go(v, key):
        if type(v) is Thunk:
            if strict or v.code is None:
                v = force_fn(v)
            else:
                out.append("<CODE>")
                return
        t = type(v)
        text = scalar_text(v)
        if text is not None:
            out.append(text)
        elif t is list:
            if key is not None and v:
                if key in seen:
                    out.append("«repeated»")
                    return
                seen.add(key)
            append("[ ")
            for e in v:
                # a plain value (or a thunk holding one) is written here, as
                # go would write it; anything else goes through go
                x = e.value if type(e) is Thunk and e.code is None else e
                tx = type(x)
                if tx is int:
                    append(str(x) + " ")
                elif tx is str:
                    append(literal_string(x) + " ")
                elif x is None:
                    append("null ")
                elif tx is bool:
                    append("true " if x else "false ")
                else:
                    go(e, id(e))
                    append(" ")
            append("]")
        elif t is Attrs:
            # the REPL names a derivation wherever it is, a second time too
            drv = _derivation_path(v, force_fn) if derivations and not strict else None
            if drv is None and v.d:
                if id(v.d) in seen:
                    out.append("«repeated»")
                    return
                seen.add(id(v.d))
            if drv is None and strict and derivations:
                drv = _derivation_path(v, force_fn)
            if drv is not None:
                out.append(f"«derivation {drv}»")
                return
            append("{ ")
            d = v.d
            for k, name in names_of(d):
                e = d[k]
                x = e.value if type(e) is Thunk and e.code is None else e
                tx = type(x)
                if tx is int:
                    append(name + str(x) + "; ")
                elif tx is str:
                    append(name + literal_string(x) + "; ")
                elif x is None:
                    append(name + "null; ")
                elif tx is bool:
                    append(name + ("true; " if x else "false; "))
                else:
                    append(name)
                    go(e, id(e))
                    append("; ")
            append("}")
        elif t is Closure:
            out.append("<LAMBDA>")
        elif t is PrimOp:
            out.append("<PRIMOP>")
        elif t is PrimOpApp:
            out.append("<PRIMOP-APP>")
        else:
            out.append(f"<{t.__name__}>")

    go(v, None)
    return "".join(out)


def _derivation_path(a: Attrs, force_fn):
    t = a.d.get("type")
    if t is None:
        return None
    t = force_fn(t)
    if t != "derivation":
        return None
    p = a.d.get("drvPath")
    if p is None:
        return "???"
    p = force_fn(p)
    return str(p) if isinstance(p, str) else "???"


def print_value_short(v) -> str:
    """The value as shown in error messages (Nix's ValuePrinter with its error
    options): only what is already evaluated, at most 10 attributes and 10
    list items in the whole value (the rest elided), and 10 levels deep. As in
    Nix, an attribute or item counts once it is printed, nested ones first."""
    budget = {"attrs": 10, "items": 10}

    def go(v, depth):
        if type(v) is Thunk:
            if v.code is not None:
                return "«thunk»"
            v = v.value
        t = type(v)
        if t is list:
            if not v:
                return "[ ]"
            if depth >= 10:
                return "[ ... ]"
            items = []
            for i, e in enumerate(v):
                if budget["items"] <= 0:
                    n = len(v) - i
                    items.append(f"«{n} item{'s' if n != 1 else ''} elided»")
                    break
                items.append(go(e, depth + 1))
                budget["items"] -= 1
            return "[ " + " ".join(items) + " ]"
        if t is Attrs:
            if not v.d:
                return "{ }"
            if depth >= 10:
                return "{ ... }"
            parts = []
            keys = sorted(v.d)
            for i, k in enumerate(keys):
                if budget["attrs"] <= 0:
                    n = len(keys) - i
                    parts.append(f"«{n} attribute{'s' if n != 1 else ''} elided»")
                    break
                parts.append(f"{identifier(k)} = {go(v.d[k], depth + 1)};")
                budget["attrs"] -= 1
            return "{ " + " ".join(parts) + " }"
        if t is Closure:
            lam = v.lam
            line, col = lam.source.line_col(lam.node.span.start)
            name = f"{lam.name} " if lam.name else ""
            return f"«lambda {name}@ {lam.source.origin}:{line}:{col}»"
        if t is PrimOp:
            return f"«primop {v.name}»"
        if t is PrimOpApp:
            return f"«partially applied primop {v.primop.name}»"
        return print_value(v, strict=False)

    return go(v, 0)


def to_json(v, force_fn=force, coerce_path=None) -> str:
    """`--json` / builtins.toJSON layout (compact, keys sorted)."""
    def conv(v):
        v = force_fn(v)
        t = type(v)
        if t is bool or v is None or t is int:
            return v
        if t is float:
            return v
        if t is str or t is CtxStr:
            return str(v)
        if t is Path:
            return coerce_path(v) if coerce_path else v.path
        if t is list:
            return [conv(e) for e in v]
        if t is Attrs:
            if "outPath" in v.d:
                return conv(v.d["outPath"])
            return {k: conv(v.d[k]) for k in sorted(v.d)}
        from ..errors import TypeError_
        raise TypeError_(f"cannot convert {print_value_short(v)} to JSON")
    import json     # here: start-up needs no json
    return json.dumps(conv(v), ensure_ascii=False, separators=(",", ":"))
