"""The one-line AST form printed by `nix-instantiate --parse`.

Mirrors the `show` methods of C++ Nix (src/libexpr/nixexpr.cc): every
compound form is parenthesised, attributes are sorted by name (inherits
first, then `inherit (e)` groups in source order, then plain definitions,
then dynamic ones), formals are sorted, names that are not plain
identifiers are quoted (printIdentifier), and strings are escaped like
printLiteralString. Floats print like C++ `ostream << double` (`%g`).

The printer recurses, one call per node; a tree deeper than Python's
recursion limit (10,000 nested parentheses) is printed again over a work
stack instead. The CLI's `--parse` prints over the work stack always
(`write_shown`), writing as it goes, so a big file's output is never whole
in memory.
"""
from __future__ import annotations

import re

from . import ast as A

RESERVED = frozenset(("if", "then", "else", "assert", "with", "let", "in", "rec", "inherit"))
_plain_id = re.compile(r"[a-zA-Z_][a-zA-Z0-9_'\-]*").fullmatch


def literal_string(s: str) -> str:
    """printLiteralString: `"` and `\\` escaped, `\\n` `\\r` `\\t` written as
    escapes, and a `$` before `{` escaped (so `${` cannot start an interpolation)."""
    if '"' in s or "\\" in s:
        s = s.replace("\\", "\\\\").replace('"', '\\"')
    if "\n" in s or "\r" in s or "\t" in s:
        s = s.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if "${" in s:
        s = s.replace("${", "\\${")
    return '"' + s + '"'


def identifier(s: str) -> str:
    """printIdentifier: a name as Nix code (quoted when it is not a plain identifier)."""
    if _plain_id(s):
        return '"' + s + '"' if s in RESERVED else s
    if not s:
        return '""'
    return literal_string(s)


def format_float(v: float) -> str:
    """C++ `ostream << double` with default flags: `%g`, 6 significant digits."""
    return "%g" % v


def show_attr_path(path) -> str:
    parts = []
    for an in path:
        if an.name is not None:
            parts.append(identifier(an.name))
        else:
            parts.append('"${' + show(an.expr) + '}"')
    return ".".join(parts)


def show(node: A.Node) -> str:
    out: list[str] = []
    try:
        _emit(node, out.append)
    except RecursionError:
        return _show_deep(node)
    return "".join(out)


def _emit(node: A.Node, emit) -> None:
    """The pieces of `node` in order, nested nodes shown in place (one
    Python call per node; Python 3.11 keeps these calls off the C stack)."""
    for piece in _pieces(node):
        t = type(piece)
        if t is str:
            emit(piece)
        elif t is A.Var:          # the commonest leaves, shown here at once
            emit(identifier(piece.name))
        elif t is A.Str:
            emit(literal_string(piece.value))
        else:
            _emit(piece, emit)


def _show_deep(node: A.Node) -> str:
    """`show` without recursion, for trees deeper than the recursion limit."""
    out: list[str] = []
    _stream(node, out, None)
    return "".join(out)


def write_shown(node: A.Node, write, batch: int = 1 << 14) -> None:
    """`show(node)` passed to `write` a few thousand pieces at a time: the
    CLI's `--parse` holds neither all the pieces (a list of 10 million for a
    10 MB list literal) nor the whole text of a big output at once."""
    out: list[str] = []

    def flush() -> None:
        write("".join(out))
        out.clear()

    _stream(node, out, flush, batch)
    flush()


def _stream(node: A.Node, out: list, flush, batch: int = 0) -> None:
    """The pieces of `node` appended to `out` in order over a work stack, no
    recursion; with `flush`, called whenever `out` holds `batch` pieces."""
    # The stack holds nodes to show and plain strings to emit, in reverse order.
    stack: list = [node]
    pop = stack.pop
    emit = out.append
    while stack:
        item = pop()
        t = type(item)
        if t is str:
            emit(item)
        elif t is A.Var:
            emit(identifier(item.name))
        elif t is A.Str:
            emit(literal_string(item.value))
        else:
            if flush is not None and len(out) >= batch:
                flush()
            pieces = _pieces(item)
            pieces.reverse()
            if stack:
                stack += pieces
            else:           # (the root, a list literal of millions: no copy)
                stack = pieces
                pop = stack.pop


def _path_pieces(path) -> list:
    res: list = []
    for i, an in enumerate(path):
        if i:
            res.append(".")
        if an.name is not None:
            res.append(identifier(an.name))
        else:
            res += ['"${', an.expr, '}"']
    return res


def _bindings(attrs: A.Attrs) -> list:
    inherits: list[str] = []
    groups: dict[int, list[str]] = {}
    plain: list = []
    for n, d in sorted(attrs.attrs.items()):
        kind = d.kind
        if kind == A.PLAIN:
            plain += [identifier(n) + " = ", d.value, "; "]
        elif kind == A.INHERITED:
            inherits.append(n)
        else:
            groups.setdefault(d.value.expr.index, []).append(n)
    res: list = []
    if inherits:
        res.append("inherit" + "".join(" " + identifier(n) for n in inherits) + "; ")
    for idx in sorted(groups):
        res += ["inherit (", attrs.inherit_from[idx], ")"]
        res.append("".join(" " + identifier(n) for n in groups[idx]) + "; ")
    res += plain
    for d in attrs.dynamic:
        res += ['"${', d.name, '}" = ', d.value, "; "]
    return res


def _pieces(n) -> list:
    t = type(n)
    # (the commonest forms first; `_emit` shows Var and Str itself)
    if t is A.Select:
        res: list = ["(", n.expr, ")."] + _path_pieces(n.path)
        if n.default is not None:
            res += [" or (", n.default, ")"]
        return res
    if t is A.Call:
        res = ["(", n.fn]
        for a in n.args:
            res += [" ", a]
        res.append(")")
        return res
    if t is A.Attrs:
        return [("rec { " if n.rec else "{ ")] + _bindings(n) + ["}"]
    if t is A.Var:
        return [identifier(n.name)]
    if t is A.Int:
        return [str(n.value)]
    if t is A.Str:
        return [literal_string(n.value)]
    if t is A.Path:
        return [n.value]
    if t is A.Float:
        return [format_float(n.value)]
    if t is A.HasAttr:
        return ["((", n.expr, ") ? "] + _path_pieces(n.path) + [")"]
    if t is A.List:
        res = ["[ "]
        elems = n.elems
        for e in (elems.parts if type(elems) is A.ListElems else elems):
            if type(e) is A.IntRun:      # packed integers: a piece per 4096 of them
                vs = e.values
                res += ["".join(["(%d) " % v for v in vs[k:k + 4096]]) for k in range(0, len(vs), 4096)]
            else:
                res += ["(", e, ") "]
        res.append("]")
        return res
    if t is A.Lambda:
        res = ["("]
        if n.formals is not None:
            res.append("{ ")
            first = True
            for f in sorted(n.formals, key=lambda f: f.name):
                if not first:
                    res.append(", ")
                first = False
                res.append(identifier(f.name))
                if f.default is not None:
                    res += [" ? ", f.default]
            if n.ellipsis:
                res.append("..." if first else ", ...")
            res.append(" }")
            if n.arg is not None:
                res.append(" @ ")
        if n.arg is not None:
            res.append(identifier(n.arg))
        res += [": ", n.body, ")"]
        return res
    if t is A.Let:
        return ["(let "] + _bindings(n.attrs) + ["in ", n.body, ")"]
    if t is A.With:
        return ["(with ", n.env, "; ", n.body, ")"]
    if t is A.If:
        return ["(if ", n.cond, " then ", n.then, " else ", n.else_, ")"]
    if t is A.Assert:
        return ["assert ", n.cond, "; ", n.body]
    if t is A.Not:
        return ["(! ", n.expr, ")"]
    if t is A.BinOp:
        return ["(", n.lhs, " " + n.op + " ", n.rhs, ")"]
    if t is A.ConcatStrings:
        res = ["("]
        for i, p in enumerate(n.parts):
            if i:
                res.append(" + ")
            res.append(p)
        res.append(")")
        return res
    if t is A.CurPos:
        return ["__curPos"]
    if t is A.InheritFrom:
        return ["<inherit-from>"]
    if t is A.Missing:
        return ["<missing>"]
    raise TypeError(f"cannot show {t.__name__}")
