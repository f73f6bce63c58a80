"""Big literals parse in memory proportional to their text.

Each case parses a generated file of about a megabyte (a string, an indented
string, a comment, a list of integers) and checks the peak of Python's
allocations (tracemalloc) against a budget of 20 times the file size. Nix
data files have lists of millions of numbers and strings of megabytes; what
these cases guard against is a per-character or per-element cost that
outlives the parse: regex backtracking state (a repetition of a group keeps
some for every pass), a node and two offsets per list element. Memory is
counted, not time, so the tests do not depend on the machine's load.

The integer runs of a list are packed by the lexer and the parser
(`ast.IntRun`, `ast.ListElems`): the other cases here check that a tree
with them reads exactly like the tree without them, which error recovery
(it lexes without runs) still builds.
"""
from __future__ import annotations

import gc
import tracemalloc

import pytest

from nixlang.errors import NixError
from nixlang.parse import parse_full, parse_recover
from nixlang.source import Source
from nixlang.syntax import ast as A
from nixlang.syntax.lexer import INT_RUN_MIN
from nixlang.syntax.printer import show

SIZE = 1_000_000
BUDGET = 20          # peak allocations per byte of source


def _ints(n: int) -> str:
    return " ".join(str((k * 7919) % 1000) for k in range(n))


BIG = {
    "string": '"' + ("abcdefghij" * 7 + "\n") * (SIZE // 71) + '"',
    "string with escapes": '"' + ("abcdefghij" * 7 + "\\n${\"$\"}\n") * (SIZE // 80) + '"',
    "indented string": "''\n" + ("    abcdefghij" * 5 + "\n") * (SIZE // 71) + "''",
    "indented string with escapes": "''\n" + ("    abcdefghij" * 5 + " ''$ x\n") * (SIZE // 80) + "''",
    "comment": "/* " + ("comment * text / " * 4 + "\n") * (SIZE // 70) + "*/ 1",
    "line comments": ("# a comment line of some length\n" * (SIZE // 32)) + "1",
    "integer list": "[ " + _ints(SIZE // 4) + " ]",
    "integer list in lines": "[\n" + "\n".join(_ints(10) for _ in range(SIZE // 40)) + "\n]",
}


@pytest.mark.parametrize("name", sorted(BIG))
def test_big_literal_parses_within_memory_budget(name):
    text = BIG[name]
    gc.collect()
    tracemalloc.start()
    try:
        result = parse_full(Source(text, "/big.nix", "/"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.ast is not None
    assert peak <= BUDGET * len(text), f"{name}: peak {peak / len(text):.1f} bytes per source byte"


# -- integer runs ---------------------------------------------------------------------------

RUN = INT_RUN_MIN + 10


def _run(start: int = 0, n: int = RUN) -> str:
    return " ".join(str(k) for k in range(start, start + n))


RUN_CASES = [
    f"[ {_run()} ]",
    f"[ {_run()}\n {_run(5)} ]",
    f'x: [ "a" {_run()} (x 1) {_run(3)} {{ }} {_run()} 1.5 ./p ]',
    f"f: f {_run()}",
    f"f: [ (f {_run()}) {_run()} f ]",
    f"[ {_run()} .x ]",
    f"[ {_run()} .x or 5 ]",
    f"[ {_run()} 922337203685477580 9223372036854775807 {_run()} ]",
    f"[ {_run()} # comment\n {_run()} /* c */ {_run()} ]",
    f"[ {_run()} 1/2 {_run()} 007 {_run()} ]",
    f"[ [ {_run()} ] [ ] [ {_run(9)} ] ]",
    f"let l = [ {_run()} ]; in l",
]


def _positions(node) -> list:
    """Every node's type and range, in a walk that goes into list elements."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        out.append((type(n).__name__, n.start, n.end))
        if type(n) is A.List:
            stack.extend(reversed(list(n.elems)))
        else:
            stack.extend(reversed(A.children(n)))
    return out


@pytest.mark.parametrize("text", RUN_CASES, ids=range(len(RUN_CASES)))
def test_integer_runs_read_like_separate_integers(text):
    src = Source(text, "/t.nix", "/")
    packed = parse_full(src).ast
    plain = parse_recover(src).ast          # recovery lexes without runs
    assert show(packed) == show(plain)
    assert _positions(packed) == _positions(plain)


def test_a_long_integer_list_is_packed():
    lst = parse_full(f"[ {_run()} ]").ast
    assert type(lst.elems) is A.ListElems
    assert len(lst.elems) == RUN
    assert [e.value for e in lst.elems] == list(range(RUN))
    assert lst.elems[0].value == 0 and lst.elems[-1].value == RUN - 1
    assert [e.value for e in lst.elems[2:5]] == [2, 3, 4]
    assert len(lst.elems.exprs()) == 1      # the last integer is a node of its own
    with pytest.raises(IndexError):
        lst.elems[RUN]
    # a short list stays a plain list
    assert type(parse_full("[ 1 2 3 ]").ast.elems) is list


@pytest.mark.parametrize("text, message", [
    (f"y: {{ x = y. {_run()}; }}", "syntax error, unexpected integer"),
    (f"[ {_run()} 9223372036854775808 ]", "invalid integer '9223372036854775808'"),
])
def test_errors_inside_integer_runs_are_the_same(text, message):
    with pytest.raises(NixError) as e:
        parse_full(text)
    first = parse_recover(text).diagnostics[0]      # lexed without runs
    assert e.value.message.startswith(message)
    assert (e.value.message, e.value.span) == (first.message, first.span)
