"""Printing values as nix-instantiate does (`--eval`, `--strict`, `--json`).

Mirrors C++ Nix's printValue: attributes sorted by name, `«repeated»` for a
list or attrset already being printed higher up (a cycle or plain sharing,
as Nix 2.36 prints it), `<LAMBDA>`, `<PRIMOP>`, `<PRIMOP-APP>`, and `«thunk»`
for what is not evaluated when printing lazily. Floats print like C++'s
default stream format (`%g`, 6 significant digits).
"""
from __future__ import annotations

import json
import math

from ..syntax.printer import identifier, literal_string
from .values import Attrs, Closure, CtxStr, Path, PrimOp, PrimOpApp, Thunk, force


def format_float(v: float) -> str:
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if math.isnan(v):
        return "nan" if math.copysign(1, v) > 0 else "-nan"
    return "%g" % v


def print_value(v, strict: bool = True, force_fn=force) -> str:
    out: list[str] = []
    active: set[int] = set()

    def go(v):
        if type(v) is Thunk:
            if strict or v.code is None:
                v = force_fn(v)
            else:
                out.append("«thunk»")
                return
        t = type(v)
        if t is bool:
            out.append("true" if v else "false")
        elif t is int:
            out.append(str(v))
        elif t is float:
            out.append(format_float(v))
        elif t is str or t is CtxStr:
            out.append(literal_string(v))
        elif t is Path:
            out.append(v.path)
        elif v is None:
            out.append("null")
        elif t is list:
            if id(v) in active:
                out.append("«repeated»")
                return
            active.add(id(v))
            out.append("[ ")
            for e in v:
                go(e)
                out.append(" ")
            out.append("]")
            active.discard(id(v))
        elif t is Attrs:
            if id(v) in active:
                out.append("«repeated»")
                return
            drv = _derivation_path(v, force_fn) if strict else None
            if drv is not None:
                out.append(f"«derivation {drv}»")
                return
            active.add(id(v))
            out.append("{ ")
            for k in sorted(v.d):
                out.append(identifier(k) + " = ")
                go(v.d[k])
                out.append("; ")
            out.append("}")
            active.discard(id(v))
        elif t is Closure:
            out.append("<LAMBDA>")
        elif t is PrimOp:
            out.append("<PRIMOP>")
        elif t is PrimOpApp:
            out.append("<PRIMOP-APP>")
        else:
            out.append(f"<{t.__name__}>")

    go(v)
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
    """The value as shown in error messages: evaluated parts only, nested
    containers abbreviated like Nix's `ValuePrinter` with its error options."""
    v = v.force() if type(v) is Thunk and v.code is None else v
    t = type(v)
    if t is list:
        if not v:
            return "[ ]"
        items = [print_value_short(e) if not (type(e) is Thunk and e.code is not None) else "«thunk»"
                 for e in v[:10]]
        more = f" «{len(v) - 10} items elided»" if len(v) > 10 else ""
        return "[ " + " ".join(items) + more + " ]"
    if t is Attrs:
        if not v.d:
            return "{ }"
        parts = []
        for k in sorted(v.d)[:10]:
            e = v.d[k]
            shown = "«thunk»" if type(e) is Thunk and e.code is not None else print_value_short(e)
            parts.append(f"{identifier(k)} = {shown};")
        more = f" «{len(v.d) - 10} attributes elided»" if len(v.d) > 10 else ""
        return "{ " + " ".join(parts) + more + " }"
    if type(v) is Thunk:
        return "«thunk»"
    return print_value(v, strict=False)


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
    return json.dumps(conv(v), ensure_ascii=False, separators=(",", ":"))
