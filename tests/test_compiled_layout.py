"""How compiled code is laid out in memory (issue 14: peak memory on NixOS).

- A literal's code `lambda env: v` is shared by every literal of the same
  small value (ints, Booleans, strings of up to 40 characters), keyed by
  type and value: `1`, `1.0` and `"1"` each have their own; a literal used
  lazily (an attribute's value) and strictly shares one code too.
- An `inherit (s) name;` thunk's environment is the source set itself (its
  code is made once per inherited name), in both tiers (closures and
  generated code), and gives the same values and errors as before.
"""
from __future__ import annotations

import pytest

from nixlang.compile import closures
from nixlang.errors import NixError
from nixlang.evaluator import Evaluator
from nixlang.runtime.values import Attrs, Thunk, force


@pytest.mark.parametrize("a, b, shared", [
    (1, 1, True),
    ("", "", True),
    ("override", "override", True),
    (True, True, True),
    (1, True, False),          # equal in Python, different Nix values
    (1, "1", False),
    (1.0, 1.0, False),         # floats are never shared (0.0 == -0.0)
    ("x" * 41, "x" * 41, False),
])
def test_constant_code_is_shared_by_value_and_type(a, b, shared):
    ca, cb = closures.constant_code(a), closures.constant_code(b)
    assert (ca is cb) == shared
    # (equal, not necessarily the same object: an earlier test in this
    # process may have made the shared code of an equal string)
    assert ca(None) == a and type(ca(None)) is type(a) and type(cb(None)) is type(b)


def test_literals_of_one_value_share_their_code():
    ev = Evaluator()
    v = ev.eval_string('let f = x: { a = "same"; b = [ "same" 7 ]; c = 7; }; in f 1')
    a, b, c = (v.d[k] for k in "abc")
    assert a == "same" and c == 7
    assert force(force(b)[0]) == "same" and force(b)[1] == 7


@pytest.mark.parametrize("jit", ["off", "always"])
def test_inherit_from_thunks_hold_the_source_set(jit, monkeypatch):
    monkeypatch.setenv("PYNIX_JIT", jit)
    ev = Evaluator()
    v = ev.eval_string('let s = { a = 1; b = 2; }; f = t: { inherit (t) a b; }; in '
                       '[ (f s) (let inherit (s) a; in { x = a; }) ]')
    made = force(force(v)[0])
    t = made.d["a"]
    assert type(t) is Thunk and t.code is not None
    assert type(force(t.value)) is Attrs           # the source set, not a tuple
    assert force(t) == 1 and force(made.d["b"]) == 2
    assert force(force(force(v)[1]).d["x"]) == 1


@pytest.mark.parametrize("jit", ["off", "always"])
@pytest.mark.parametrize("expr, message", [
    ('let s = { a = 1; }; f = t: { inherit (t) b; }; in (f s).b', "attribute 'b' missing"),
    ('let f = t: { inherit (t) b; }; in (f 3).b', "expected a set but found an integer: 3"),
])
def test_inherit_from_errors_keep_their_position(jit, expr, message, monkeypatch):
    monkeypatch.setenv("PYNIX_JIT", jit)
    ev = Evaluator()
    with pytest.raises(NixError) as info:
        force(ev.eval_string(expr))
    e = info.value
    assert message in str(e)
    # the error points at the inherited name, `b` of `inherit (t) b;`
    assert e.span is not None and expr[e.span.start:e.span.end] == "b"
