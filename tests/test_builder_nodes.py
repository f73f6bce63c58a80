"""The builder makes its commonest nodes (Var, AttrName, Str, AttrDef, Int,
Call, Select, List) without
calling their records' __init__ (nixlang/syntax/builder.py, `_new`): each
such node of a parsed tree has every field of its class, equal to what the
class itself makes of the same arguments (its defaults included)."""
from __future__ import annotations

import pytest

from nixlang.records import fields
from nixlang.source import Source
from nixlang.syntax import ast as A
from nixlang.syntax.parser import ParseOptions, parse_syntax

TEXT = '''
let
  x = 1;
  y = { a = x; "b" = "s${x}t"; c.d = ''i ${x}''; inherit x; };
  f = { p ? "q" }: p + "r";
in [ x y.a (f { }) "plain" (g 1 2) (h.i or 3) [ ] ]
'''


def _nodes(node, out):
    if type(node) is A.AttrDef:
        out.append(node)
        _nodes(node.value, out)
        return
    out.append(node)
    for c in A.children(node):
        _nodes(c, out)
    if type(node) is A.Attrs:
        out.extend(node.attrs.values())
    if type(node) in (A.Select, A.HasAttr):
        out.extend(node.path)


def _same(node) -> A.Node:
    t = type(node)
    if t is A.Var:
        return A.Var(node.start, node.end, node.name)
    if t is A.AttrName:
        return A.AttrName(node.start, node.end, node.name)
    if t is A.Str:
        return A.Str(node.start, node.end, node.value)
    if t is A.Int:
        return A.Int(node.start, node.end, node.value)
    if t is A.Call:
        return A.Call(node.start, node.end, node.fn, node.args, node.op_span)
    if t is A.Select:
        return A.Select(node.start, node.end, node.expr, node.path) if node.default is None else node
    if t is A.List:
        return A.List(node.start, node.end, node.elems)
    return A.AttrDef(node.value, node.start, node.end, A.PLAIN, node.name_start, node.name_end)


@pytest.mark.parametrize("kind", [A.Var, A.AttrName, A.Str, A.AttrDef, A.Int, A.Call, A.Select, A.List])
def test_fast_nodes_have_their_class_fields(kind):
    tree = parse_syntax(Source(TEXT), ParseOptions()).ast
    found = []
    _nodes(tree, found)
    nodes = [n for n in found if type(n) is kind and (kind is not A.AttrDef or n.kind == A.PLAIN)]
    assert nodes
    for n in nodes:
        made = _same(n)
        assert [getattr(n, f.name) for f in fields(kind)] == [getattr(made, f.name) for f in fields(kind)]
