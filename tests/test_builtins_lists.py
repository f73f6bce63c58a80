"""List builtins (nixlang/builtins/lists.py): values, laziness and errors.

Expected values were checked against real Nix (2.8) where it has the builtin
and behaves as Nix 2.36; error messages are Nix 2.36's (the conformance
suite's `.err.exp` files)."""
from __future__ import annotations

import pytest

from nixlang import errors as E
from nixlang.builtins.lists import peeksort
from nixlang.evaluator import Evaluator
from nixlang.runtime.printer import print_value
from nixlang.runtime.values import Thunk


def run(expr: str) -> str:
    ev = Evaluator()
    v = ev.eval_string(expr)
    ev.deep_force(v)
    return print_value(v)


def fail(expr: str) -> E.NixError:
    with pytest.raises(E.NixError) as info:
        run(expr)
    return info.value


VALUES = [
    # length / head / tail / elemAt / elem
    ("builtins.length [ ]", "0"),
    ("builtins.length [ 1 (throw \"lazy\") 3 ]", "3"),
    ("builtins.head [ 1 2 3 ]", "1"),
    ("builtins.head [ 1 (throw \"lazy\") ]", "1"),
    ("builtins.tail [ 1 2 3 ]", "[ 2 3 ]"),
    ("builtins.tail [ 1 ]", "[ ]"),
    ("builtins.length (builtins.tail [ (throw \"lazy\") 2 ])", "1"),
    ("builtins.elemAt [ \"a\" \"b\" \"c\" ] 1", '"b"'),
    ("builtins.elemAt [ (throw \"lazy\") 7 ] 1", "7"),
    ("builtins.elem 2 [ 1 2 3 ]", "true"),
    ("builtins.elem 4 [ 1 2 3 ]", "false"),
    ("builtins.elem 2 [ 1 2.0 ]", "true"),
    ("builtins.elem [ 1 ] [ [ 1 ] { } ]", "true"),
    ("builtins.elem 1 [ ]", "false"),
    ("builtins.elem 1 [ 1 (throw \"stops at the first match\") ]", "true"),
    # genList / map
    ("builtins.genList (x: x * x) 5", "[ 0 1 4 9 16 ]"),
    ("builtins.genList (x: x) 0", "[ ]"),
    ("builtins.length (builtins.genList (x: throw \"lazy\") 3)", "3"),
    ("map (x: x * 2) [ 1 2 3 ]", "[ 2 4 6 ]"),
    ("map (x: \"foo\" + x) [ \"bar\" \"bla\" ]", '[ "foobar" "foobla" ]'),
    ("map 1 [ ]", "[ ]"),
    ("builtins.length (map (x: throw \"lazy\") [ 1 2 ])", "2"),
    ("builtins.head (map (x: x + 1) [ 1 (throw \"lazy\") ])", "2"),
    ("map builtins.head [ [ 1 ] [ 2 3 ] ]", "[ 1 2 ]"),
    ("map { __functor = self: x: x + self.n; n = 10; } [ 1 2 ]", "[ 11 12 ]"),
    # filter
    ("builtins.filter (x: x > 1) [ 1 2 3 ]", "[ 2 3 ]"),
    ("builtins.filter (x: false) [ 1 2 ]", "[ ]"),
    ("builtins.filter 1 [ ]", "[ ]"),   # Nix 2.36 looks at the list first (2.8 fails here)
    ("builtins.filter (x: true) [ 1 2 ]", "[ 1 2 ]"),
    # concatLists / concatMap
    ("builtins.concatLists [ [ 1 2 ] [ ] [ 3 ] ]", "[ 1 2 3 ]"),
    ("builtins.concatLists [ ]", "[ ]"),
    ("builtins.concatLists [ [ ] [ 1 ] ]", "[ 1 ]"),
    ("builtins.concatMap (x: [ x x ]) [ 1 2 ]", "[ 1 1 2 2 ]"),
    ("builtins.concatMap (x: [ ]) [ 1 2 ]", "[ ]"),
    ("builtins.concatMap (x: [ x ] ++ [ \"z\" ]) [ \"a\" \"b\" ]", '[ "a" "z" "b" "z" ]'),
    # foldl'
    ("builtins.foldl' (acc: x: acc + x) 0 [ 1 2 3 ]", "6"),
    ("builtins.foldl' (acc: x: acc ++ [ x ]) [ ] [ 1 2 ]", "[ 1 2 ]"),
    ("builtins.foldl' (a: b: a) 5 [ ]", "5"),
    ("builtins.foldl' (acc: x: x) (throw \"initial value not forced\") [ 1 2 ]", "2"),
    ("builtins.head (builtins.foldl' (acc: x: acc ++ [ x ]) [ ] [ 42 (throw \"lazy\") ])", "42"),
    ("builtins.foldl' (a: b: a - b) 10 [ 1 2 3 ]", "4"),
    ("builtins.foldl' builtins.add 0 [ 1 2 3 4 ]", "10"),
    # any / all
    ("builtins.any (x: x == 1) [ ]", "false"),
    ("builtins.any (x: x == 1) [ 2 1 ]", "true"),
    ("builtins.any (x: x == 1) [ 1 (throw \"stops at the first true\") ]", "true"),
    ("builtins.all (x: x == 1) [ ]", "true"),
    ("builtins.all (x: x == 1) [ 1 1 ]", "true"),
    ("builtins.all (x: x == 1) [ 2 (throw \"stops at the first false\") ]", "false"),
    # partition / groupBy
    ("builtins.partition (x: x > 10) [ 1 23 9 3 42 ]", "{ right = [ 23 42 ]; wrong = [ 1 9 3 ]; }"),
    ("builtins.partition (x: true) [ ]", "{ right = [ ]; wrong = [ ]; }"),
    ("builtins.groupBy (x: if x > 2 then \"big\" else \"small\") [ 1 3 2 4 ]",
     "{ big = [ 3 4 ]; small = [ 1 2 ]; }"),
    ("builtins.groupBy (x: x) [ ]", "{ }"),
    ("builtins.attrNames (builtins.groupBy (x: x) [ \"b\" \"a\" \"B\" ])", '[ "B" "a" "b" ]'),
    # sort
    ("builtins.sort builtins.lessThan [ 483 249 526 147 42 77 ]", "[ 42 77 147 249 483 526 ]"),
    ("builtins.sort (x: y: y < x) [ 483 249 526 147 42 77 ]", "[ 526 483 249 147 77 42 ]"),
    ("builtins.sort builtins.lessThan [ \"foo\" \"bar\" \"xyzzy\" \"fnord\" ]", '[ "bar" "fnord" "foo" "xyzzy" ]'),
    ("builtins.sort builtins.lessThan [ [ 1 6 ] [ ] [ 2 3 ] [ 3 ] [ 1 5 ] [ 2 ] [ 1 ] [ ] [ 1 4 ] [ 3 ] ]",
     "[ [ ] [ ] [ 1 ] [ 1 4 ] [ 1 5 ] [ 1 6 ] [ 2 ] [ 2 3 ] [ 3 ] [ 3 ] ]"),
    ("builtins.sort builtins.lessThan [ 2 1.5 1 ]", "[ 1 1.5 2 ]"),
    ("builtins.sort 1 [ ]", "[ ]"),   # as filter: the list first, since Nix 2.36
    ("builtins.sort (a: b: true) [ 1 ]", "[ 1 ]"),
    ("builtins.sort (a: b: a.k < b.k) [ { k = 1; v = 1; } { k = 0; v = 2; } { k = 1; v = 3; } { k = 0; v = 4; } ]",
     "[ { k = 0; v = 2; } { k = 0; v = 4; } { k = 1; v = 1; } { k = 1; v = 3; } ]"),
    # stable on a long input (more than the insertion-sort cut-off of 16)
    ("map (x: x.v) (builtins.sort (a: b: a.k < b.k) "
     "(builtins.genList (i: { k = builtins.div (builtins.sub 40 i) 7 - (builtins.div i 5); v = i; }) 40))",
     "[ 35 36 37 38 39 34 30 31 32 33 27 28 29 25 26 20 21 22 23 24 15 16 17 18 19 13 14 10 11 12 "
     "6 7 8 9 5 0 1 2 3 4 ]"),
    ("builtins.sort builtins.lessThan (builtins.genList (i: builtins.sub 0 i) 20)",
     "[ -19 -18 -17 -16 -15 -14 -13 -12 -11 -10 -9 -8 -7 -6 -5 -4 -3 -2 -1 0 ]"),
    # genericClosure
    ("builtins.genericClosure { startSet = [ { key = 5; } ]; operator = item: [ { key = "
     "if (item.key / 2) * 2 == item.key then item.key / 2 else 3 * item.key + 1; } ]; }",
     "[ { key = 5; } { key = 16; } { key = 8; } { key = 4; } { key = 2; } { key = 1; } ]"),
    # Nix 2.36 returns an empty start set before looking at `operator` (2.8 did not)
    ("builtins.genericClosure { startSet = [ ]; operator = throw \"not needed\"; }", "[ ]"),
    ("builtins.genericClosure { startSet = [ { key = \"a\"; } { key = \"a\"; x = 1; } ]; operator = x: [ ]; }",
     '[ { key = "a"; } ]'),
    ("builtins.genericClosure { startSet = [ { key = 1; } { key = 1.0; } { key = 1.5; } ]; operator = x: [ ]; }",
     "[ { key = 1; } { key = 1.5; } ]"),
    ("builtins.genericClosure { startSet = [ { key = [ 1 2 ]; } { key = [ 1 2 ]; } { key = [ 1 ]; } ]; "
     "operator = x: [ ]; }",
     "[ { key = [ 1 2 ]; } { key = [ 1 ]; } ]"),
    ("builtins.genericClosure { startSet = [ { key = /a; } { key = /b; } { key = /a; } ]; operator = x: [ ]; }",
     "[ { key = /a; } { key = /b; } ]"),
]


@pytest.mark.parametrize("expr,expected", VALUES)
def test_value(expr, expected):
    assert run(expr) == expected


ERRORS = [
    # (expression, the error's message, its trace lines innermost first)
    ("builtins.head [ ]", "'builtins.head' called on an empty list", []),
    ("builtins.head 1", "expected a list but found an integer: 1",
     ["while evaluating the first argument passed to 'builtins.head'"]),
    ("builtins.tail [ ]", "'builtins.tail' called on an empty list", []),
    ("builtins.tail 1", "expected a list but found an integer: 1",
     ["while evaluating the first argument passed to 'builtins.tail'"]),
    ("builtins.length \"foo\"", 'expected a list but found a string: "foo"',
     ["while evaluating the first argument passed to builtins.length"]),
    ("builtins.elemAt [ ] (-1)", "'builtins.elemAt' called with index -1 on a list of size 0", []),
    ("builtins.elemAt [ \"foo\" ] 3", "'builtins.elemAt' called with index 3 on a list of size 1", []),
    ("builtins.elemAt \"foo\" (-1)", 'expected a list but found a string: "foo"',
     ["while evaluating the first argument passed to 'builtins.elemAt'"]),
    ("builtins.elemAt [ 1 ] \"0\"", 'expected an integer but found a string: "0"',
     ["while evaluating the second argument passed to 'builtins.elemAt'"]),
    ("builtins.elem 1 \"foo\"", 'expected a list but found a string: "foo"',
     ["while evaluating the second argument passed to builtins.elem"]),
    ("builtins.genList 1 \"foo\"", 'expected an integer but found a string: "foo"',
     ["while evaluating the second argument passed to builtins.genList"]),
    ("builtins.genList 1 2", "expected a function but found an integer: 1",
     ["while evaluating the first argument passed to builtins.genList"]),
    ("builtins.genList false (-3)", "cannot create list of size -3", []),
    ("builtins.map 1 \"foo\"", 'expected a list but found a string: "foo"',
     ["while evaluating the second argument passed to builtins.map"]),
    ("builtins.map 1 [ 1 ]", "expected a function but found an integer: 1",
     ["while evaluating the first argument passed to builtins.map"]),
    ("builtins.filter 1 \"foo\"", 'expected a list but found a string: "foo"',
     ["while evaluating the second argument passed to builtins.filter"]),
    ("builtins.filter 1 [ \"foo\" ]", "expected a function but found an integer: 1",
     ["while evaluating the first argument passed to builtins.filter"]),
    ("builtins.filter (_: 5) [ \"foo\" ]", "expected a Boolean but found an integer: 5",
     ["while evaluating the return value of the filtering function passed to builtins.filter"]),
    ("builtins.concatLists 1", "expected a list but found an integer: 1",
     ["while evaluating the first argument passed to builtins.concatLists"]),
    ("builtins.concatLists [ [ 1 ] \"foo\" ]", 'expected a list but found a string: "foo"',
     ["while evaluating a value of the list passed to builtins.concatLists"]),
    ("builtins.concatMap 1 \"foo\"", "expected a function but found an integer: 1",
     ["while evaluating the first argument passed to builtins.concatMap"]),
    ("builtins.concatMap (x: 1) \"foo\"", 'expected a list but found a string: "foo"',
     ["while evaluating the second argument passed to builtins.concatMap"]),
    ("builtins.concatMap (x: 1) [ \"foo\" ]", "expected a list but found an integer: 1",
     ["while evaluating the return value of the function passed to builtins.concatMap"]),
    ("builtins.foldl' 1 \"foo\" true", "expected a function but found an integer: 1",
     ["while evaluating the first argument passed to builtins.foldlStrict"]),
    ("builtins.foldl' (_: 1) \"foo\" true", "expected a list but found a Boolean: true",
     ["while evaluating the third argument passed to builtins.foldlStrict"]),
    ("builtins.foldl' (_: 1) \"foo\" [ true ]",
     "attempt to call something which is not a function but an integer: 1", None),
    ("builtins.foldl' (a: b: a) (throw \"forced when the list is empty\") [ ]",
     "forced when the list is empty", None),
    ("builtins.foldl' (_: f: f null) null [ (_: throw \"intermediate results are forced\") (_: 23) ]",
     "intermediate results are forced", None),
    ("builtins.any 1 \"foo\"", "expected a function but found an integer: 1",
     ["while evaluating the first argument passed to builtins.any"]),
    ("builtins.any (_: 1) \"foo\"", 'expected a list but found a string: "foo"',
     ["while evaluating the second argument passed to builtins.any"]),
    ("builtins.any (_: 1) [ \"foo\" ]", "expected a Boolean but found an integer: 1",
     ["while evaluating the return value of the function passed to builtins.any"]),
    ("builtins.all (_: 1) [ \"foo\" ]", "expected a Boolean but found an integer: 1",
     ["while evaluating the return value of the function passed to builtins.all"]),
    ("builtins.partition 1 \"foo\"", "expected a function but found an integer: 1",
     ["while evaluating the first argument passed to builtins.partition"]),
    ("builtins.partition (_: 1) [ \"foo\" ]", "expected a Boolean but found an integer: 1",
     ["while evaluating the return value of the partition function passed to builtins.partition"]),
    ("builtins.partition (_: true) [ (throw \"partition forces each element\") ]",
     "partition forces each element", None),
    ("builtins.groupBy (_: 1) \"foo\"", 'expected a list but found a string: "foo"',
     ["while evaluating the second argument passed to builtins.groupBy"]),
    ("builtins.groupBy (x: x) [ \"foo\" 1 ]", "expected a string but found an integer: 1",
     ["while evaluating the return value of the grouping function passed to builtins.groupBy"]),
    ("builtins.sort 1 \"foo\"", 'expected a list but found a string: "foo"',
     ["while evaluating the second argument passed to builtins.sort"]),
    ("builtins.sort 1 [ \"foo\" ]", "expected a function but found an integer: 1",
     ["while evaluating the first argument passed to builtins.sort"]),
    ("builtins.sort (_: 1) [ \"foo\" \"bar\" ]",
     "attempt to call something which is not a function but an integer: 1", None),
    ("builtins.sort (_: _: 1) [ \"foo\" \"bar\" ]", "expected a Boolean but found an integer: 1",
     ["while evaluating the return value of the sorting function passed to builtins.sort"]),
    ("builtins.sort (a: b: a <= b) [ \"foo\" { } ]", 'cannot compare a string with a set; values are "foo" and { }',
     None),
    ("builtins.sort builtins.lessThan [ { } { } ]",
     "cannot compare a set with a set; values of that type are incomparable (values are { } and { })",
     ["while evaluating the ordering function passed to builtins.sort"]),
    ("builtins.sort builtins.lessThan [ 1 (throw \"sort forces every element\") ]",
     "sort forces every element", None),
    # genericClosure
    ("builtins.genericClosure \"not an attrset\"", 'expected a set but found a string: "not an attrset"',
     ["while evaluating the first argument passed to builtins.genericClosure"]),
    ("builtins.genericClosure { operator = x: [ ]; }", "attribute 'startSet' missing",
     ["in the attrset passed as argument to builtins.genericClosure"]),
    ("builtins.genericClosure { startSet = [ { key = 1; } ]; }", "attribute 'operator' missing",
     ["in the attrset passed as argument to builtins.genericClosure"]),
    ("builtins.genericClosure { startSet = \"not a list\"; operator = x: [ ]; }",
     'expected a list but found a string: "not a list"',
     ["while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure"]),
    ("builtins.genericClosure { startSet = [ { key = 1; } ]; operator = \"not a function\"; }",
     'expected a function but found a string: "not a function"',
     ["while evaluating the 'operator' attribute passed as argument to builtins.genericClosure"]),
    ("builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: \"not a list\"; }",
     'expected a list but found a string: "not a list"',
     ["while evaluating the return value of the `operator` passed to builtins.genericClosure",
      "while calling operator on genericClosure element { key = 1; }"]),
    ("builtins.genericClosure { startSet = [ { nokey = 1; } ]; operator = x: [ ]; }",
     "attribute 'key' missing", ["in genericClosure element { nokey = 1; }"]),
    ("builtins.genericClosure { startSet = [ \"not an attrset\" ]; operator = x: [ ]; }",
     'expected a set but found a string: "not an attrset"', ['in genericClosure element "not an attrset"']),
    ("builtins.genericClosure { startSet = [ { key = 1; } { key = \"string\"; } ]; operator = x: [ ]; }",
     'cannot compare a string with an integer; values are "string" and 1',
     ["with element { key = 1; }", 'while comparing element { key = "string"; }']),
    ("builtins.genericClosure { startSet = [ { key = { }; } { key = { }; } ]; operator = x: [ ]; }",
     "cannot compare a set with a set; values of that type are incomparable (values are { } and { })",
     ["with element { key = { }; }", "while comparing element { key = { }; }"]),
    ("builtins.genericClosure { startSet = [ { key = true; } { key = false; } ]; operator = x: [ ]; }",
     "cannot compare a Boolean with a Boolean; values of that type are incomparable "
     "(values are false and true)", None),
]


@pytest.mark.parametrize("expr,message,frames", ERRORS)
def test_error(expr, message, frames):
    err = fail(expr)
    assert err.message == message
    if frames is not None:
        got = [f.message for f in getattr(err, "frames", [])]
        # the builtin's own lines come first; the caller adds "while calling the 'X' builtin" after them
        assert got[:len(frames)] == frames, got


@pytest.mark.parametrize("expr,line,present", [
    # forcing a function or an integer argument: any error gets the line
    ("builtins.map (throw \"x\") [ 1 ]", "while evaluating the first argument passed to builtins.map", True),
    ("builtins.elemAt [ 1 ] (throw \"x\")", "while evaluating the second argument passed to 'builtins.elemAt'",
     True),
    # forcing a list or a set: only a wrong type gets it
    ("builtins.genericClosure { startSet = throw \"x\"; operator = x: [ ]; }",
     "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure", False),
    # an error inside the called function is not about its return value
    ("builtins.any (x: throw \"x\") [ 1 ]", "while evaluating the return value of the function passed to builtins.any",
     False),
    ("builtins.map (x: x) (throw \"x\")", "while evaluating the second argument passed to builtins.map", False),
    ("builtins.genericClosure (throw \"x\")",
     "while evaluating the first argument passed to builtins.genericClosure", False),
])
def test_trace_line_on_errors_while_forcing(expr, line, present):
    err = fail(expr)
    assert err.message == "x"
    assert (line in [f.message for f in err.frames]) is present


def test_concat_map_frame_points_at_the_function():
    err = fail("builtins.concatMap (x: 1) [ \"foo\" ]")
    frame = err.frames[0]
    assert frame.source is not None
    assert frame.source.line_col(frame.span.start) == (1, 21)


def test_map_and_gen_list_build_unevaluated_elements():
    ev = Evaluator()
    for expr in ("map (x: x + 1) [ 1 2 3 ]", "builtins.genList (x: x + 2) 3"):
        v = ev.eval_string(expr)
        assert len(v) == 3
        assert all(type(t) is Thunk and t.code is not None for t in v)   # nothing called yet
        assert print_value(v) == "[ 2 3 4 ]"


def _plain_stable_sort(xs, less):
    out = []
    for x in xs:   # insertion after the last element not greater: stable
        i = len(out)
        while i > 0 and less(x, out[i - 1]):
            i -= 1
        out.insert(i, x)
    return out


@pytest.mark.parametrize("n", [0, 1, 2, 3, 16, 17, 40, 100, 257])
def test_peeksort_is_a_stable_sort(n):
    import random
    rng = random.Random(n)
    xs = [(rng.randrange(8), i) for i in range(n)]
    for data in (xs, sorted(xs), sorted(xs, reverse=True), xs[: n // 2] + sorted(xs[n // 2:])):
        a = list(data)
        peeksort(a, lambda p, q: p[0] < q[0])
        assert a == _plain_stable_sort(data, lambda p, q: p[0] < q[0])


def test_peeksort_with_a_broken_comparator_permutes():
    import random
    rng = random.Random(1)
    xs = list(range(200))
    a = list(xs)
    peeksort(a, lambda p, q: rng.random() < 0.5)
    assert sorted(a) == xs
