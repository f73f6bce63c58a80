"""Big attrsets (runtime.bigsets): the shared-key layout gives Nix's answers.

Sets of `BIG` names or more keep their names in a shared KeyTable and their
values in a list (`BigDict`). Every operation on attrsets must give on such
sets what it gives on small ones, which is what Nix gives:

- CASES: expressions over two big sets `B` (3,000 names) and `C` (2,502,
  two of them B's) and what `nix-instantiate --eval --strict` (Nix 2.8)
  printed for them (a message's last line for an error), recorded here;
  `test_cases_are_nix_28s` checks the record against Nix when installed.
- The layout itself: the sets really are BigDicts, the same update chain
  reaches the same shared table, printing and toJSON of one set in either
  layout are the same bytes.
"""
from __future__ import annotations

import shutil
import subprocess

import pytest

from nixlang.builtins.serialize import to_json
from nixlang.errors import NixError
from nixlang.evaluator import Evaluator
from nixlang.runtime import bigsets
from nixlang.runtime.bigsets import BIG, BigDict
from nixlang.runtime.ops import equal
from nixlang.runtime.printer import print_value
from nixlang.runtime.printer import to_json as printer_to_json
from nixlang.runtime.values import Attrs, force

NIX = shutil.which("nix-instantiate")

PRELUDE = ('let B = builtins.listToAttrs (builtins.genList (i: { name = "n${toString i}"; value = i; }) 3000); '
           'C = builtins.listToAttrs (builtins.genList (i: { name = "m${toString i}"; value = -i; }) 2500) '
           '// { n0 = "c"; n5 = 55; }; in ')

CASES = [
    ('update-small-existing',
     'let s = B // { n5 = "five"; }; in [ s.n5 s.n6 (builtins.length (builtins.attrNames s)) ]',
     '[ "five" 6 3000 ]\n'),
    ('update-small-new',
     'let s = B // { zz = 1; n7 = "seven"; }; in [ s.zz s.n7 s.n2999 (builtins.length (builtins.attrNames s)) (builtins.head (builtins.attrNames s)) ]',
     '[ 1 "seven" 2999 3001 "n0" ]\n'),
    ('update-chain-same-table',
     'let f = s: s // { n1 = s.n1 + 1; extra = 0; }; in [ (f (f (f B))).n1 (f (f B)).extra ]',
     '[ 4 0 ]\n'),
    ('update-big-big',
     'let c = B // (builtins.removeAttrs C [ "m1" ]); in [ c.n1 c.m0 (c ? m1) c.n2999 (builtins.length (builtins.attrNames c)) ]',
     '[ 1 0 false 2999 5499 ]\n'),
    ('update-big-big-overlap',
     'let c = C // B; d = B // C; in [ c.n0 d.n0 c.m5 d.m5 (builtins.length (builtins.attrNames c)) (c == d) ]',
     '[ 0 "c" -5 -5 5500 false ]\n'),
    ('update-small-big',
     'let c = { n0 = "x"; q = 1; } // B; in [ c.n0 c.q (builtins.length (builtins.attrValues c)) ]',
     '[ 0 1 3001 ]\n'),
    ('update-same-names',
     'let c = B // (builtins.mapAttrs (n: v: v * 2) B); in [ c.n10 B.n10 ]',
     '[ 20 10 ]\n'),
    ('update-empty',
     '[ ((B // { }) == B) (({ } // B) == B) ]',
     '[ true true ]\n'),
    ('removeAttrs-few',
     'let r = builtins.removeAttrs B [ "n0" "n1" "nope" ]; in [ (r ? n0) (r ? n2) (builtins.length (builtins.attrNames r)) (builtins.head (builtins.attrNames r)) ]',
     '[ false true 2998 "n10" ]\n'),
    ('removeAttrs-to-small',
     'let r = builtins.removeAttrs B (builtins.genList (i: "n${toString i}") 2990); in r',
     '{ n2990 = 2990; n2991 = 2991; n2992 = 2992; n2993 = 2993; n2994 = 2994; n2995 = 2995; n2996 = 2996; n2997 = 2997; n2998 = 2998; n2999 = 2999; }\n'),
    ('removeAttrs-none',
     '(builtins.removeAttrs B [ "zz" ]) == B',
     'true\n'),
    ('intersectAttrs-left-small',
     'builtins.intersectAttrs { n1 = 0; n20 = 0; zz = 0; } B',
     '{ n1 = 1; n20 = 20; }\n'),
    ('intersectAttrs-right-small',
     'builtins.intersectAttrs B { n1 = "a"; zz = "b"; }',
     '{ n1 = "a"; }\n'),
    ('intersectAttrs-both-big',
     'builtins.length (builtins.attrNames (builtins.intersectAttrs B C))',
     '2\n'),
    ('mapAttrs',
     'let m = builtins.mapAttrs (n: v: "${n}=${toString v}") B; in [ m.n42 (builtins.length (builtins.attrNames m)) ]',
     '[ "n42=42" 3000 ]\n'),
    ('mapAttrs-lazy-error',
     'let m = builtins.mapAttrs (n: v: if v == 5 then throw "five" else n) B; in [ m.n4 (builtins.tryEval m.n5) m.n5 ]',
     'error: five'),
    ('listToAttrs-repeats',
     'let l = builtins.listToAttrs ((builtins.genList (i: { name = "k${toString (i / 2)}"; value = i; }) 6000)); in [ l.k0 l.k2999 (builtins.length (builtins.attrNames l)) ]',
     '[ 0 5998 3000 ]\n'),
    ('attrNames-order',
     'let n = builtins.attrNames B; in [ (builtins.elemAt n 0) (builtins.elemAt n 1) (builtins.elemAt n 2) (builtins.elemAt n 2999) ]',
     '[ "n0" "n1" "n10" "n999" ]\n'),
    ('attrValues-order',
     'let v = builtins.attrValues B; in [ (builtins.elemAt v 0) (builtins.elemAt v 1) (builtins.elemAt v 2) (builtins.elemAt v 2999) ]',
     '[ 0 1 10 999 ]\n'),
    ('equality',
     '[ (B == B // { }) (B == B // { n1 = 1; }) (B == B // { n1 = 2; }) (B == C) (B == builtins.removeAttrs B [ "n1" ]) ]',
     '[ true true false false false ]\n'),
    ('hasAttr-getAttr',
     '[ (builtins.hasAttr "n7" B) (builtins.hasAttr "zz" B) (builtins.getAttr "n8" B) (B ? n9) (B.zz or "default") ]',
     '[ true false 8 true "default" ]\n'),
    ('toJSON',
     'builtins.hashString "sha256" (builtins.toJSON (B // { z = [ 1 "x" ]; }))',
     '"1d7b9eeba3ef3f3509e7a22b33d312641651e4e9f6af2b5ebffe3df3eaa5d88f"\n'),
    ('print-strict',
     'builtins.hashString "sha256" (builtins.toString (builtins.attrNames (B // C)))',
     '"e07edd3c71897249a6447f10717488d9500eddb3238818229b6534cf44efb5f8"\n'),
    ('catAttrs-zipAttrsWith',
     '[ (builtins.catAttrs "n3" [ B C B ]) (builtins.length (builtins.attrNames (builtins.zipAttrsWith (n: vs: vs) [ B C ]))) ]',
     '[ [ 3 3 ] 5500 ]\n'),
    ('with',
     'with B; [ n1 n2999 (n3 + n4) ]',
     '[ 1 2999 7 ]\n'),
    ('rec-fixpoint',
     'let fix = f: let x = f x; in x; s = fix (self: B // { a = self.n5 + 1; b = self.a * 2; }); in [ s.a s.b ]',
     '[ 6 12 ]\n'),
    ('missing-attr',
     '(B // { xyz = 1; }).n3000',
     "error: attribute 'n3000' missing"),
    ('functor',
     '(B // { __functor = self: x: x + self.n3; }) 10',
     '13\n'),
    ('formals',
     '(({ n1, n2, ... }: n1 + n2) B)',
     '3\n'),
    ('dynamic-literal',
     'let s = builtins.listToAttrs [ { name = "a"; value = 1; } ]; in builtins.length (builtins.attrNames ({ inherit (B) n1; } // B // s))',
     '3001\n'),
]


# A big attrset written out (compile.attrsets._build_plain gives it its table
# of names once): `inherit (s)`, `inherit (B)`, `inherit s`, values compiled
# when first forced, a function. LITERAL_CASES are recorded from Nix 2.8 too.
BIG_LITERAL = ("{ inherit (s) p; inherit (B) n7; " + " ".join(f"x{i} = s.q + {i};" for i in range(2100))
               + " f = a: a + s.p; inherit s; }")
LITERAL_PRELUDE = f"s = {{ p = 1; q = 10; }}; L = {BIG_LITERAL}; "

LITERAL_CASES = [
    ('literal-values',
     '[ L.p L.n7 L.x0 L.x2099 (L.f 1) (builtins.length (builtins.attrNames L)) (builtins.head (builtins.attrNames L)) ]',
     '[ 1 7 10 2109 2 2104 "f" ]\n'),
    ('literal-update',
     '(L // { x1 = 0; }).x1 + L.x1 + (builtins.removeAttrs L [ "x1" ]).x2',
     '23\n'),
    ('literal-inherit-missing',
     'let M = let s = { }; in ' + BIG_LITERAL.replace("inherit (B) n7;", "") + '; in M.p',
     "error: attribute 'p' missing"),
    ('literal-value-error',
     'let M = let s = { q = "a"; }; in ' + BIG_LITERAL + '; in M.x3',
     "error: cannot coerce an integer to a string"),
]
CASES += [(name, "let " + LITERAL_PRELUDE + "in " + expr, expected) for name, expr, expected in LITERAL_CASES]


def pynix(expr: str) -> str:
    ev = Evaluator()
    try:
        v = ev.eval_string(PRELUDE + expr)
        ev.deep_force(v)
    except NixError as e:
        return e.message if hasattr(e, "message") else str(e)
    return print_value(v) + "\n"


def test_sizes_are_big():
    assert 2500 >= BIG, "the prelude's sets must be big for these cases to test the layout"


@pytest.mark.parametrize("name,expr,expected", CASES, ids=[c[0] for c in CASES])
def test_case(name, expr, expected):
    got = pynix(expr)
    if expected.startswith("error: "):
        assert expected[len("error: "):] in got
    else:
        assert got == expected


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not installed")
def test_cases_are_nix_28s():
    for name, expr, expected in CASES:
        r = subprocess.run([NIX, "--eval", "--strict", "-E", PRELUDE + expr], capture_output=True, text=True)
        if expected.startswith("error: "):
            assert expected in r.stderr, name
        else:
            assert r.stdout == expected, name


def value(ev: Evaluator, expr: str):
    v = ev.eval_string(PRELUDE + expr)
    ev.deep_force(v)
    return v


def test_big_sets_use_the_shared_layout():
    ev = Evaluator()
    for expr in ("B", "C", "B // { z = 1; }", "{ z = 1; } // B", "B // C", "builtins.mapAttrs (n: v: v) B",
                 "builtins.removeAttrs B [ \"n1\" ]", "with B; B"):
        assert type(value(ev, expr).d) is BigDict, expr
    for expr in ("{ a = 1; }", "builtins.removeAttrs B (builtins.genList (i: \"n${toString i}\") 2990)",
                 "builtins.intersectAttrs { n1 = 0; } B"):
        assert type(value(ev, expr).d) is dict, expr


def test_a_big_literal_gets_one_table():
    ev = Evaluator()
    a, b = map(force, force(ev.eval_string(PRELUDE + "let f = s: " + BIG_LITERAL + "; in [ (f { p = 1; q = 2; }) (f { }) ]")))
    assert type(a.d) is BigDict and a.d.table is b.d.table
    assert type(force(a.d["p"])) is int


def test_same_update_chain_shares_one_table():
    ev = Evaluator()
    a, b = map(force, value(ev, "[ (B // { z = 1; n1 = 0; }) (B // { z = 2; n1 = 5; }) ]"))
    assert type(a.d) is BigDict and a.d.table is b.d.table
    a, b = map(force, value(ev, "[ (B // C) (B // C // { }) ]"))
    assert a.d.table is b.d.table
    # a set converted from a dict finds the table of the same names
    x, y = map(force, value(ev, "[ B (builtins.listToAttrs (map (n: { name = n; value = 0; }) (builtins.attrNames B))) ]"))
    assert x.d.table is y.d.table


def test_tables_are_freed_with_their_sets():
    ev = Evaluator()
    value(ev, "let D = builtins.listToAttrs (builtins.genList (i: { name = \"q${toString i}\"; value = i; }) 2100);"
              " in D // { r = 1; }")
    import gc
    gc.collect()
    assert not any(names[0] == "q0" for names in list(bigsets._TABLES.keys()))


def _as_dict(a: Attrs) -> Attrs:
    plain = Attrs({})
    plain.d = dict(a.d.items())
    plain.pos = a.pos
    return plain


@pytest.mark.parametrize("expr", ["B", "B // C // { z = [ 1 { y = 2; } ]; }",
                                  "builtins.mapAttrs (n: v: toString v) C"])
def test_printing_and_json_do_not_depend_on_the_layout(expr):
    ev = Evaluator()
    big = value(ev, expr)
    assert type(big.d) is BigDict
    small = _as_dict(big)
    assert print_value(big) == print_value(small)
    assert to_json(ev, big) == to_json(ev, small)
    assert printer_to_json(big) == printer_to_json(small)
    assert equal(big, small) and equal(small, big)


@pytest.mark.parametrize("nx,ny,shared", [(1, 2100, 0), (1, 2100, 1), (70, 2500, 0), (2100, 2500, 0),
                                          (2100, 2500, 3), (3000, 2100, 2100), (2100, 7, 2)])
def test_merge_keeps_the_order_and_values_of_a_dict_update(nx, ny, shared):
    """`//` with a big side (bigsets._merge: a concatenation when no name is
    shared, else an itemgetter of positions) against dict(x).update(y), twice
    (the second time through the cached plan), names shared at both ends."""
    xs = [f"x{i}" for i in range(nx)]
    ys = [f"y{i}" for i in range(ny - shared)]
    common = xs[:shared // 2] + xs[nx - (shared - shared // 2):] if shared else []
    ys = ys[:len(ys) // 2] + common + ys[len(ys) // 2:]
    x = {k: ("x", k) for k in xs}
    y = {k: ("y", k) for k in ys}
    want = dict(x)
    want.update(y)
    for _ in range(2):
        xd = bigsets.from_dict(x) if len(x) >= BIG else dict(x)
        yd = bigsets.from_dict(y) if len(y) >= BIG else dict(y)
        got = bigsets.update(xd, yd)
        assert list(got.items()) == list(want.items())
