"""Inlay hints: small grey notes the editor shows inside the code.

Nix calls have no parentheses and no argument names: in `f 1 2` or
`builtins.substring 0 3 s` a beginner cannot see which value is which. Two
kinds of hints help, both found statically (no evaluation, so they are cheap
and cannot hang or fail):

- parameter names before the arguments of a call, `f a: 1 b: 2`, when the
  function is known: a lambda written in the source that the called name
  statically denotes (a `let` binding, a `rec` or plain attribute, an
  attribute of a set the source shows, `import`ed files included; see
  `static`), or a builtin with a well-known signature (the names the Nix
  manual uses, for the builtins whose argument order people mix up). A hint
  is left out where it would only repeat the argument (`f a` for a
  parameter `a`, or `cfg.port` for `port`), for `_`-names (unused by
  convention) and for set patterns `{ a, b }: ...` (the argument is a set
  whose names are visible already);
- the value of a binding whose value is integer arithmetic on literals:
  `timeout = 60 * 60 * 24;` shows `= 86400`. Only `+ - * /` on integers are
  folded, with Nix's rules (64-bit integers, overflow and division by zero
  are errors, division truncates toward zero), and only when `__sub`,
  `__mul` and `__div` (what `-`, `*`, `/` call) are the builtins. Anything
  else (floats, strings, variables) gets no hint: every hint must be right.

Hints are returned for the part of the document a request covers; the walk
skips subtrees that end before it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..syntax import ast as A
from .analysis import Analysis
from .static import Seen, static_lambda

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1


@dataclass(frozen=True)
class InlayHint:
    offset: int
    label: str
    kind: str                 # "parameter" or "value"
    padding_left: bool = False
    padding_right: bool = False
    tooltip: str = ""


# Parameter names of builtins taking two or more arguments whose order is easy
# to get wrong (names after the Nix manual's signatures). Builtins where the
# order is obvious (`add`, `lessThan`, `seq`) are left out.
BUILTIN_PARAMS: dict[str, tuple[str, ...]] = {
    "elemAt": ("list", "index"),
    "map": ("f", "list"),
    "filter": ("pred", "list"),
    "foldl'": ("op", "nul", "list"),
    "genList": ("generator", "length"),
    "substring": ("start", "len", "s"),
    "replaceStrings": ("from", "to", "s"),
    "concatStringsSep": ("separator", "list"),
    "concatMap": ("f", "list"),
    "getAttr": ("name", "set"),
    "hasAttr": ("name", "set"),
    "removeAttrs": ("set", "names"),
    "mapAttrs": ("f", "set"),
    "elem": ("x", "list"),
    "any": ("pred", "list"),
    "all": ("pred", "list"),
    "sort": ("comparator", "list"),
    "partition": ("pred", "list"),
    "groupBy": ("f", "list"),
    "catAttrs": ("name", "list"),
    "split": ("regex", "str"),
    "match": ("regex", "str"),
    "zipAttrsWith": ("f", "list"),
    "hashString": ("type", "s"),
    "toFile": ("name", "s"),
    "trace": ("message", "value"),
    "warn": ("message", "value"),
    "scopedImport": ("scope", "path"),
    "intersectAttrs": ("e1", "e2"),
}


def inlay_hints(an: Analysis, start: int = 0, end: int | None = None) -> list[InlayHint]:
    """Hints at offsets within `start..end` (the whole document by default), in order."""
    if an.ast is None:
        return []
    end = len(an.text) if end is None else end
    out: list[InlayHint] = []
    stack = [an.ast]
    seen = 0
    while stack and seen < 500000:
        seen += 1
        node = stack.pop()
        sp = node.span
        t = type(node)
        if sp.start > end:
            continue
        if sp.end < start and t is not A.Attrs:
            continue                  # (desugared `a.b = ...` sets have the span of `a` only)
        if t is A.Call:
            _call_hints(an, node, start, end, out)
        elif t is A.Attrs:            # (a `let`'s bindings are its Attrs child)
            for d in node.attrs.values():
                if d.kind == A.PLAIN:
                    _value_hint(an, d, start, end, out)
        stack.extend(A.children(node))
    out.sort(key=lambda h: h.offset)
    return out


# -- parameter names --------------------------------------------------------------------------

def _param_names(an: Analysis, fn, nargs: int) -> list[str | None] | None:
    """The names of the first `nargs` parameters of `fn`, None where unknown."""
    t = type(fn)
    name = None
    if t is A.Var and fn.binding is None and not fn.from_with and fn.level >= 0 and not fn.synthetic:
        name = fn.name[2:] if fn.name.startswith("__") else fn.name
    elif t is A.Select and len(fn.path) == 1 and fn.path[0].name is not None and fn.default is None:
        e = fn.expr
        if type(e) is A.Var and e.name == "builtins" and e.binding is None and not e.from_with and e.level >= 0:
            name = fn.path[0].name
    if name is not None:
        params = BUILTIN_PARAMS.get(name)
        return list(params[:nargs]) if params else None
    if t not in (A.Var, A.Select) or (t is A.Var and fn.synthetic):
        return None
    try:
        found = static_lambda(an, fn, Seen())
    except RecursionError:
        return None
    if found is None:
        return None
    lam = found[1]
    out: list[str | None] = []
    for _ in range(nargs):
        if type(lam) is not A.Lambda:
            break
        out.append(lam.arg if lam.formals is None else None)
        lam = lam.body
    return out


def _arg_name(arg) -> str | None:
    t = type(arg)
    if t is A.Var:
        return arg.name
    if t is A.Select and arg.path and arg.path[-1].name is not None:
        return arg.path[-1].name
    return None


def _call_hints(an: Analysis, call: A.Call, start: int, end: int, out: list) -> None:
    if call.op_span is not None or not call.args:
        return
    names = _param_names(an, call.fn, len(call.args))
    if not names:
        return
    for arg, name in zip(call.args, names):
        if name is None or name.startswith("_") or type(arg) is A.Missing:
            continue
        if _arg_name(arg) == name:
            continue
        at = _start_of(an, arg)
        if at is not None and start <= at <= end:
            out.append(InlayHint(at, f"{name}:", "parameter", padding_right=True))


def _start_of(an: Analysis, node) -> int | None:
    """Where an argument starts in the text. The AST span of an interpolated
    string starts at its first part, so its opening quote is found from the
    tokens (only then is the text lexed)."""
    t = type(node)
    if t is A.ConcatStrings and node.force_string and node.op_span is None:
        text = an.text
        s = node.span.start
        if text.startswith("''", s):
            return s
        from .tokens import lexed
        lx = lexed(an)
        k = lx.token_at(s)
        types, enc = lx.types, lx.enc
        while k >= 0 and types[k] not in ("DQUOTE", "IND_STRING_OPEN"):
            k = enc[k]        # out to the innermost string around the first part
        return lx.starts[k] if k >= 0 else None
    return node.span.start


# -- constant values ------------------------------------------------------------------------------

def _is_builtin(v, name: str) -> bool:
    return type(v) is A.Var and v.name == name and v.binding is None and not v.from_with and v.level >= 0


def fold_int(node, budget: list | None = None) -> int | None:
    """The value of integer arithmetic on literals, or None (not such an
    expression, or an evaluation error: overflow, division by zero)."""
    budget = budget if budget is not None else [200]
    budget[0] -= 1
    if budget[0] < 0:
        return None
    t = type(node)
    if t is A.Int:
        return node.value
    if t is A.ConcatStrings and not node.force_string and node.op_span is not None:
        total = 0
        for p in node.parts:
            v = fold_int(p, budget)
            if v is None:
                return None
            total += v
            if not INT_MIN <= total <= INT_MAX:
                return None
        return total
    if t is A.Call and node.op_span is not None and len(node.args) == 2 and type(node.fn) is A.Var \
            and node.fn.synthetic:
        op = node.fn.name
        if op not in ("__sub", "__mul", "__div") or not _is_builtin(node.fn, op):
            return None
        a = fold_int(node.args[0], budget)
        b = fold_int(node.args[1], budget) if a is not None else None
        if a is None or b is None:
            return None
        if op == "__sub":
            r = a - b
        elif op == "__mul":
            r = a * b
        else:
            if b == 0:
                return None
            q = abs(a) // abs(b)
            r = q if (a >= 0) == (b >= 0) else -q
        return r if INT_MIN <= r <= INT_MAX else None
    return None


def _has_operation(node) -> bool:
    """True unless the value is a plain literal (`5`, `-5`)."""
    if type(node) is A.Int:
        return False
    if type(node) is A.Call and node.op_span is not None and type(node.fn) is A.Var \
            and node.fn.name == "__sub" and type(node.args[0]) is A.Int \
            and node.args[0].span == node.op_span and type(node.args[1]) is A.Int:
        return False              # `-5` is written `__sub 0 5`
    return True


def _value_hint(an: Analysis, d: A.AttrDef, start: int, end: int, out: list) -> None:
    v = d.value
    tv = type(v)
    if tv is not A.ConcatStrings and tv is not A.Call:
        return
    if not _has_operation(v):
        return
    value = fold_int(v)
    if value is None:
        return
    # after the value (and any closing parentheses), before the `;`
    text = an.text
    i = v.span.end
    at = i
    n = len(text)
    while i < n and text[i] in " \t)":
        i += 1
        if text[i - 1] == ")":
            at = i
    if i >= n or text[i] != ";" or "\n" in text[v.span.start:at]:
        return
    if start <= at <= end:
        out.append(InlayHint(at, f"= {value}", "value", padding_left=True,
                             tooltip="the value of this arithmetic, computed without evaluating"))


__all__ = ["InlayHint", "inlay_hints", "fold_int", "BUILTIN_PARAMS"]
