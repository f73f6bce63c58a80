"""Evaluator.deep_force (builtins.deepSeq, --strict): Nix's forceValueDeep.

It forces a list's elements in order and an attrset's values in symbol order
(the order names were first interned: C++ Nix's SymbolTable), each list and
attrset once, one call deeper per level. The walk passes plain values over
without a call and sorts an attrset's names only when two or more values
still have work; these tests hold it to the plain walk (the reference below,
one call per value, every attrset sorted), which is what it replaced:

- a table of expressions with the traces they print and their result or
  first error, in the order Nix 2.36 uses (Nix 2.8 agrees where noted;
  2.8 ordered attributes by the address of their symbol, so two rows differ
  there);
- generated nestings of lists and attrsets with traces, throws, shared
  values, values forced beforehand and names made at run time, under every
  call-depth limit from 1 to 12: the same traces, result, error, frames and
  call depth afterwards as the reference.
"""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nixlang import errors as E
from nixlang.evaluator import EvalOptions, Evaluator
from nixlang.runtime.calls import value_position
from nixlang.runtime.positions import attr_position
from nixlang.runtime.values import Attrs, Thunk, force
from nixlang.syntax.printer import identifier
from nixlang.syntax.symbols import symbol_sorted


def plain_deep_force(ev, v):
    """The reference: forceValueDeep as one call per value, every attrset's
    names sorted (deep_force before it skipped plain values)."""
    seen = set()

    def go(x):
        x = force(x)
        if type(x) is list:
            if id(x) in seen:
                return
            seen.add(id(x))
            for i, e in enumerate(x):
                try:
                    level(e)
                except E.EvalError as err:
                    raise err.add_frame(f"while evaluating list element at index {i}")
        elif type(x) is Attrs:
            if id(x) in seen:
                return
            seen.add(id(x))
            for k in symbol_sorted(x.d):
                try:
                    level(x.d[k])
                except E.EvalError as e:
                    where = attr_position(x.pos, k)
                    raise e.add_frame(f"while evaluating the attribute '{identifier(k)}'", *(where or (None, None)))

    def level(x):
        if ev.depth >= ev.max_call_depth:
            src, span = value_position(x)
            raise E.StackOverflow("stack overflow; max-call-depth exceeded", src, span)
        ev.depth += 1
        try:
            go(x)
        finally:
            ev.depth -= 1
    level(v)
    return force(v)


def outcome(expr: str, walk, max_call_depth: int = 10000):
    """What deep-forcing `expr` does: (traces, result or error, frames, depth after)."""
    ev = Evaluator(EvalOptions(max_call_depth=max_call_depth))
    ev.stderr = io.StringIO()
    try:
        r = walk(ev, ev.eval_string(expr))
        result = ("value", repr(r) if r is None or type(r) in (int, str, bool, float) else type(r).__name__)
        frames = []
    except E.EvalError as e:
        where = None if e.span is None else (e.source.origin, e.span.start, e.span.end)
        result = (type(e).__name__, e.message, where)
        frames = [(f.message, None if f.span is None else (f.span.start, f.span.end)) for f in e.frames]
    return ev.stderr.getvalue().splitlines(), result, frames, ev.depth


def walk_now(ev, v):
    return ev.deep_force(v)


T = "builtins.trace"
# The symbol table is the process's: names other tests (or files) interned
# before keep their places, so each row uses names of its own ("df" and a number)
TABLE = [
    # (expression, traces, value or first error message); "2.8" marks rows Nix 2.8 agrees with
    (f'{{ df1b = {T} "b" 1; df1a = {T} "a" 2; df1c = 3; }}', ["b", "a"], "2.8"),
    (f'[ ({T} "1" 1) 2 ({T} "3" 3) ]', ["1", "3"], "2.8"),
    ('{ df2z = throw "zz"; df2y = throw "yy"; }', [], "zz"),
    (f'{{ df3x = {{ df3y = {T} "inner" 1; df3l = [ ({T} "l0" 0) {{ df3m = {T} "m" 1; }} ]; }}; df3w = {T} "w" 2; }}',
     ["inner", "l0", "m", "w"], None),      # (Nix 2.8 orders symbols by address: by chance the same)
    (f'let s = {{ df4b = {T} "b" 1; df4a = {T} "a" 2; }}; in builtins.seq s.df4a s', ["a", "b"], "2.8"),
    (f'builtins.listToAttrs [ {{ name = "df5q"; value = {T} "q" 1; }} {{ name = "df5p"; value = {T} "p" 2; }} ]',
     ["p", "q"], None),                     # run-time names are interned by name; 2.8: q first
    (f'let l = [ ({T} "once" 1) ]; in [ l l {{ df6a = l; }} ]', ["once"], "2.8"),
    (f'let s = {{ df7k = {T} "k" [ ({T} "k0" 1) ]; df7j = {T} "j" 3; }}; in builtins.seq s.df7k s',
     ["k", "k0", "j"], "2.8"),
    ('[ 1 "s" null true 1.5 ./. (x: x) ]', [], "2.8"),
    ('[ 1 (throw "second") ]', [], "second"),
    ('{ df8a = 1; df8b = [ 2 { df8c = throw "deep"; } ]; }', [], "deep"),
    (f'{{ df9one = {T} "only" 1; df9two = 2; }}', ["only"], "2.8"),
]


@pytest.mark.parametrize("expr,traces,note", TABLE, ids=[t[0][:50] for t in TABLE])
def test_deep_force_order(expr, traces, note):
    got = outcome(expr, walk_now)
    assert [t.removeprefix("trace: ") for t in got[0]] == traces
    if note not in (None, "2.8"):
        assert got[1][:2] == ("ThrownError", note) or got[1][1] == note
    assert got == outcome(expr, plain_deep_force)
    assert got[3] == 0


def test_deep_force_at_every_depth_limit():
    # a nesting 10 deep with plain values at each level: the limit falls on
    # each level in turn, where a plain value's own check decides
    expr = ("let f = n: if n == 0 then [ 0 \"s\" ] else [ (f (n - 1)) 1 { a = 2; b = [ 3 ]; c = f 0; } ]; "
            "in f 10")
    for limit in range(1, 16):
        got = outcome(expr, walk_now, limit)
        assert got == outcome(expr, plain_deep_force, limit), limit


# -- generated nestings -----------------------------------------------------------------

NAMES = ["a", "b", "zq", "yq", "name", "value", "x1"]


def values(depth: int, shared: bool = True):
    leaf = st.one_of(
        st.integers(0, 9).map(str),
        st.just('"s"'),
        st.just("null"),
        st.integers(0, 99).map(lambda n: f'({T} "t{n}" {n})'),
        st.integers(0, 99).map(lambda n: f'(throw "e{n}")'),
        st.just("shared" if shared else "7"),
        st.just("(x: x)"),
    )
    if depth == 0:
        return leaf
    sub = values(depth - 1, shared)
    lists = st.lists(sub, max_size=4).map(lambda xs: "[ " + " ".join(xs) + " ]")
    sets = st.dictionaries(st.sampled_from(NAMES), sub, max_size=4).map(
        lambda d: "{ " + " ".join(f"{k} = {v};" for k, v in d.items()) + " }")
    runtime_names = st.lists(st.tuples(st.sampled_from(["p", "o", "n9", "m"]), sub), max_size=3).map(
        lambda kv: "builtins.listToAttrs [ " + " ".join(f'{{ name = "{k}"; value = {v}; }}' for k, v in kv) + " ]")
    forced_first = st.tuples(sets, st.sampled_from(NAMES)).map(
        lambda p: f"(let s = {p[0]}; in builtins.seq (builtins.tryEval (s.{p[1]} or 0)) s)")
    return st.one_of(leaf, lists, sets, runtime_names, forced_first)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=values(3), shared=values(1, shared=False), limit=st.integers(1, 12))
def test_deep_force_is_the_plain_walk(body, shared, limit):
    expr = f"let shared = {shared}; in {body}"
    assert outcome(expr, walk_now, limit) == outcome(expr, plain_deep_force, limit)
