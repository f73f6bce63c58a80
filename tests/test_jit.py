"""Tier 2 (generated Python for hot function bodies, compile/codegen.py) must
give exactly what tier 1 (the closures) gives: the same values, the same
errors, the same traces. Each check evaluates in both modes and compares
the whole output: PYNIX_JIT=off (closures only) and PYNIX_JIT=always (every
body generated at its first call, with PYNIX_JIT_STRICT so that a body the
generator fails on is an error rather than a silent fallback).

The language suite runs in the `always` mode too (the scorer, as in
test_conformance_eval.py)."""
from __future__ import annotations

import contextlib
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import SUITE, needs_suite
from test_catalogue import pynix
from test_conformance_eval import XFAIL, _cases, run_scorer
from test_differential import nix_expr


@contextlib.contextmanager
def jit_mode(mode: str):
    saved = {k: os.environ.get(k) for k in ("PYNIX_JIT", "PYNIX_JIT_STRICT")}
    os.environ.update(PYNIX_JIT=mode, PYNIX_JIT_STRICT="1")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_in(mode: str, *argv):
    with jit_mode(mode):
        return pynix(*argv)


def both(expr: str, *flags):
    argv = ["instantiate", "--eval", "--strict", *flags, "-E", expr]
    return run_in("off", *argv), run_in("always", *argv)


@pytest.fixture(autouse=True)
def quiet_folder(tmp_path, monkeypatch):
    """Run in a folder of one file: a case copying `./.` to the store must
    see the same tree in both tiers (the checkout changes while tests run)."""
    (tmp_path / "file.nix").write_text("1\n")
    monkeypatch.chdir(tmp_path)


# Each expression puts the construct in a function body (so that `always`
# generates it), and most of them make it fail, to compare the error paths.
CASES = [
    # variables, laziness, frames
    "let f = x: x + 1; in f 41",
    "let f = x: y: x * y; in f 6 7",
    "let f = { a, b ? a + 1, ... }@args: [ a b args.c ]; in f { a = 1; c = 3; }",
    "let f = { a }: a; in f { a = 1; b = 2; }",
    "let f = { a }: a; in f { }",
    "let f = x: let y = x; z = y + 1; in [ y z ]; in f 1",
    "let f = x: let a = b; b = x; in a; in f 5",
    "let f = x: let a = a; in a; in f 1",
    "let f = x: rec { a = x; b = a + 1; c = { inherit a b; }; }; in f 1",
    "let f = s: { inherit (s) a b; c = s.a; }; in f { a = 1; b = 2; }",
    "let f = s: let inherit (s) a missing; in missing; in f { a = 1; }",
    "let f = s: { inherit (s) a; }; in [ (f { a = 1; }).a (f 1).a ]",
    "let f = s: rec { inherit (s) a; b = a; }; in [ (f { a = 1; }).b (f { }).b ]",
    "let f = s: with s; a + b; in f { a = 1; b = 2; }",
    "let f = s: with s; nope; in f { a = 1; }",
    "let f = s: with s; a; in f 1",
    "let f = x: (let a = 1; in a) + (let b = 2; in b) + x; in f 3",
    # selection
    "let f = s: s.a.b; in f { a = { b = 1; }; }",
    "let f = s: s.a.c; in f { a = { b = 1; }; }",
    "let f = s: s.a.b; in f { a = 1; }",
    "let f = s: s.a; in f 1",
    "let f = s: s.a.b or 7; in [ (f { }) (f { a = 1; }) (f { a.b = 2; }) ]",
    "let f = s: s.a or (throw \"no a\"); in f { }",
    "let f = s: [ (s ? a) (s ? a.b) (s ? c) (1 ? a) ]; in f { a.b = 1; }",
    "let f = s: s.${\"a\"}; in f { a = 3; }",
    "let f = s: s.a; in f { a = throw \"boom\"; }",
    "let f = s: s.a.b; in f { a = { b = throw \"deep\"; }; }",
    "let f = s: s.a.b.c; in f { a = { b = { c = throw \"deeper\"; }; }; }",
    "let f = s: s.a.b.c; in f { a = { b = 1; }; }",
    "let f = s: [ s.a s.a ]; in f { a = throw \"twice\"; }",
    "let f = s: builtins.seq s.a s.a; in f { a = 1; }",
    "let f = s: s.x.y; in f (derivation { name = \"d\"; system = \"x\"; builder = \"/b\"; x = 1; })",
    # control
    "let f = x: if x then 1 else 2; in [ (f true) (f false) ]",
    "let f = x: if x then 1 else 2; in f 3",
    "let f = x: assert x > 1; x; in f 0",
    "let f = x: assert x; x; in f 1",
    "let f = x: assert x == 2; x; in f 1",
    "let f = x: !x; in [ (f true) (f 1) ]",
    "let f = x: [ (x && true) (x || false) (x -> false) ]; in f true",
    "let f = x: x && true; in f 1",
    "let f = x: false || x; in f \"s\"",
    "let f = x: x -> true; in f null",
    # operators
    "let f = x: [ (x == 1) (x != 1) (x == \"1\") ([ x ] == [ 1 ]) ]; in f 1",
    "let f = x: (throw \"l\") == x; in f 1",
    "let f = x: x == (throw \"r\"); in f 1",
    "let f = x: x // { b = 2; }; in f { a = 1; }",
    "let f = x: x // { }; in f 1",
    "let f = x: { } // x; in f [ ]",
    "let f = x: x ++ [ 2 ]; in f [ 1 ]",
    "let f = x: x ++ [ 2 ]; in f 1",
    "let f = x: [ 1 ] ++ x; in f { }",
    # arithmetic (the fast paths and their hand-over)
    "let f = x: [ (x - 1) (x * 2) (x / 2) (x < 2) (x - x) (x * x) ]; in f 7",
    "let f = x: x - 1; in f 1.5",
    "let f = x: x - 1; in f \"a\"",
    "let f = x: x - y; in let y = throw \"y\"; in f 1",
    "let f = x: x / 0; in f 1",
    "let f = x: x / y; y = 0; in f 1",
    "let f = x: -9223372036854775807 - x; in f 2",
    "let f = x: x * 9223372036854775807; in f 2",
    "let f = x: x < \"a\"; in f 1",
    "let f = x: x < 2; in f \"a\"",
    "let f = x: x < y; y = 1.5; in [ (f 1) (f 2) ]",
    "let f = x: (throw \"first\") - x; in f 1",
    "let __sub = a: b: 42; f = x: x - 1; in f 5",
    # integer arithmetic on variables and constants computed at once
    # (codegen's pure_arith) or handed to the general code: rounding toward
    # zero, overflow of an intermediate result, a divisor of 0, INT_MIN / -1,
    # a thunk, a float or a string in a slot, a shadowed builtin
    "let f = x: [ (x / 2 * 2 == x) (x / 2) ((0 - x) / 2) (x / (0 - 2)) (x * 3 - 1) (x - x / 3 * 3) (- x - 1) (x < 0) (x + 1 < 2 * x) ]; in [ (f 7) (f (-7)) (f 0) ]",
    "let f = x: y: [ (x / y) (x / y * y + x - x / y * y) (x - 1 < y) (x < y * 2) ]; in [ (f 7 2) (f (-7) 2) (f 7 (-2)) (f (-7) (-2)) ]",
    "let f = x: x * 2 - 1; in f 9223372036854775807",
    "let f = x: x / 2 * 4; in f 9223372036854775807",
    "let f = x: (x - 1) * 2; in [ (f (-4611686018427387903)) ]",
    "let f = x: (x - 2) * 2; in f (-4611686018427387903)",
    "let f = x: y: x / y + 1; in f 1 0",
    "let f = x: y: x / y - 1; in f (-9223372036854775807 - 1) (-1)",
    "let f = x: let y = x + 1; in [ (y * 2 - y) (y / 2) ]; in f 3",
    "let f = x: x / 2 * 2; in [ (f 5.0) (f 5) ]",
    "let f = x: x * 2 - 1; in f \"a\"",
    "let f = x: x - 1 < 2; in f \"a\"",
    "let f = x: y: x - 1 < y; in f 1 (throw \"y\")",
    "let __div = a: b: 42; f = x: x / 2 * 2; in f 5",
    "let xs = builtins.genList (i: 5 - i) 4; f = a: b: [ (a < b) (a - b * 2) (a / (b + 1)) ]; in builtins.seq (builtins.deepSeq xs xs) (map (x: f x (builtins.elemAt xs 0)) xs)",
    "let xs = [ (1.5 + 0) (2 + 0) ]; f = a: b: [ (a - b) (b < a) ]; in builtins.seq (builtins.deepSeq xs xs) (f (builtins.head xs) (builtins.elemAt xs 1))",
    "let f = a: b: a < b; in builtins.sort f [ 3 1 2 (1 + 1) ]",
    "let __mul = a: b: a + b; f = x: [ (x / 2 * 3) (x * 3 < 7) ]; in f 5",
    # `toString x` interpolated: an integer at once, anything else the call
    "let f = x: \"n${toString x}-${toString (x + 1)}\"; in [ (f 1) (f (-3)) ]",
    "let f = x: \"n${toString x}\"; in [ (f \"s\") (f 1.5) (f null) (f [ 1 2 ]) (f true) (f ./file.nix) ]",
    "let f = x: \"n${toString x}\"; in f { }",
    "let f = x: \"n${toString x}\"; in f (throw \"x\")",
    "let toString = x: \"T\"; f = x: \"n${toString x}\"; in f 1",
    "let f = n: builtins.toJSON (builtins.genList (i: { id = i; name = \"n${toString i}\"; ok = i / 2 * 2 == i; tags = [ \"a\" null ]; }) n); in f 5",
    # strings
    "let f = x: \"a${x}b\"; in f \"-\"",
    "let f = x: \"a${x}b\"; in f 1",
    "let f = x: \"a${toString x}b${x}\"; in f ./.",
    "let f = x: \"a${throw \"in\"}b\"; in f 1",
    "let f = x: x + \"b\"; in [ (f \"a\") ]",
    "let f = x: x + 1; in f 9223372036854775807",
    "let f = x: x + 1; in f \"a\"",
    "let f = x: x + \"/b\"; in f ./.",
    "let f = x: (throw \"l\") + x; in f 1",
    "let f = x: x + (throw \"r\"); in f 1",
    # calls
    "let f = g: g 1; in f (x: x + 1)",
    "let f = g: g 1; in f 2",
    "let f = g: g 1 2 3; in f (a: b: c: a + b + c)",
    "let f = g: g 1 2; in f builtins.add",
    "let f = g: g { a = 1; }; in f ({ a }: a)",
    "let f = g: g 1; in f { __functor = self: x: x + 10; }",
    "let f = n: if n == 0 then 0 else f (n - 1); in f 100",
    "let f = n: f (n + 1); in f 0",
    "let f = x: builtins.map (y: y * x) [ 1 2 3 ]; in f 2",
    "let f = x: builtins.foldl' (a: b: a + b) x [ 1 2 3 ]; in f 0",
    "let fix = f: let x = f x; in x; in (fix (self: { a = 1; b = self.a + 1; })).b",
    "let f = x: builtins.genList (i: i * x) 3; in f 3",
    "let f = s: builtins.substring 1 2 s; in [ (f \"abcd\") (f 3) ]",
    "let f = g: g 1 2 3 4; in f builtins.substring",
    "let f = g: g 0 1 \"ab\" 2; in f builtins.substring",
    "let f = g: g (throw \"a\") 1 2; in f builtins.substring",
    "let f = x: builtins.replaceStrings [ \"a\" \"b\" ] [ x \"B\" ] \"abc\"; in [ (f \"1\") (f \"2\") (f 3) ]",
    "let f = x: [ [ ] [ 1 \"a\" ./. 2.5 ] x ]; in [ (f 1) (f 2 == f 3) ]",
    "let f = x: builtins.elemAt [ \"a\" \"b\" ] x; in [ (f 1) (f 2) ]",
    "let f = g: g [ \"b\" ] [ \"B\" ]; in [ ((f builtins.replaceStrings) \"abc\") ((f builtins.substring) \"x\") ]",
    "let f = g: g 1 \"abc\"; in [ (f (builtins.substring 0)) (f (builtins.replaceStrings [ \"a\" ])) ]",
    # a builtin called with all its arguments (call_builtin_or): values,
    # a thunk result, errors with their frames, other functions at the site
    "let f = s: builtins.substring 0 0 s + s; in [ (f \"ab\") (f 1) ]",
    "let f = i: builtins.elemAt [ 1 2 ] i; in [ (f 1) (f 5) ]",
    "let f = g: g \"a\" \"b\"; in [ (f (a: b: a + b)) (f builtins.add) ]",
    "let f = g: g 1 2 3; in [ (f (a: b: c: a + b + c)) (f builtins.substring) ]",
    "let f = x: builtins.elemAt [ (throw \"elem\") ] x; in f 0",
    "let f = x: builtins.substring x 1 \"abc\"; in [ (f 1) (f (-1)) ]",
    # a builtin given its first arguments elsewhere, completed at the call
    "let up = builtins.replaceStrings [ \"a\" ] [ \"A\" ]; f = s: up s; in [ (f \"ab\") (f 1) ]",
    "let g = builtins.substring 1; f = s: g 1 s; in [ (f \"abc\") (f 2) ]",
    "let g = builtins.substring; f = s: g 0 1 s; in [ (f \"abc\") (f { }) ]",
    "let g = builtins.elemAt [ (throw \"e\") ]; f = i: g i; in f 0",
    "let g = builtins.add 1; f = x: (g x) + (builtins.sub 5) x; in [ (f 1) (f \"a\") ]",
    # an argument `n - c` / `n + c` given as a value to a body that forces it
    # first (codegen's pre_evaluated), or as a thunk: overflow, a shadowed
    # `-`, a body that does not force it first
    "let g = n: if n < -5 then n else g (n - 9223372036854775807); in g (-4)",
    "let g = n: if n < 9223372036854775807 then g (n + 7) else n; in g 9223372036854775805",
    "let g = n: if n == 4 then { a = n; b = [ (n - 1) ]; } else g (n + 1); in g 0",
    "let g = n: if n < 1 then [ n ] else g (n - 1); in g \"x\"",
    "let __sub = a: b: a + b; g = n: if n > 9 then n else g (n - 1); in g 0",
    "let g = n: if n < 1 then 0 else g (n - 1); h = k: if k == 0 then g k else h (k - 1); in h 3",
    # positions and lambda names in traces
    "let f = x: { g = y: y.z; }.g x; in f { }",
    "let f = x: let h = y: y.z; in h x; in f { }",
    "let f = x: __curPos; in f 1",
    "let f = x: builtins.unsafeGetAttrPos \"a\" { a = x; }; in f 1",
    # builtins called inline by generated code (one and two arguments): an
    # error of the builtin, of its argument, of the thunk it returns
    "let f = x: builtins.head x; in [ (f [ 1 ]) (f [ ]) ]",
    "let f = x: builtins.head x; in f (throw \"arg\")",
    "let f = x: builtins.head x; in f [ (throw \"elem\") ]",
    "let f = x: builtins.elemAt x 1; in [ (f [ 1 2 ]) (f [ 1 ]) ]",
    "let f = x: builtins.elemAt [ 1 (throw \"elem\") ] x; in f 1",
    "let f = x: builtins.getAttr x { a = 1; }; in [ (f \"a\") (f \"b\") ]",
    "let f = x: builtins.map x [ 1 ]; in builtins.deepSeq (f (y: y + 1)) (f 1)",
    "let f = x: builtins.length x; in f 1",
    "let f = x: y: builtins.seq x y; in f (throw \"s\") 1",
    "let f = g: x: g x 2; in [ (f builtins.add 1) (f builtins.add \"a\") ]",
    "let f = g: [ (g 1 2) (g 1 \"x\") ]; in f (a: b: a + b)",
    "let f = g: g 1 2; in [ (f (a: { b }: b)) ]",
    "let f = g: g 1 2; in f (a: b: throw \"inner\")",
    "let f = x: builtins.foldl' (a: b: a + b) x [ \"s\" ]; in f 1",
    # a call whose function's name is a builtin's (codegen.guessed_builtin):
    # the argument the builtin forces first computed in place, a lambda
    # given as its function argument made a closure; errors of that
    # argument, of the builtin, of the lambda; a name that is not the builtin
    "let f = x: map (y: y + 1) (if x then [ 1 ] else 2); in [ (f true) (f false) ]",
    "let f = x: map (y: y + x) (builtins.tail [ 0 x ]); in [ (f 1) (f \"a\") ]",
    "let f = x: builtins.map (y: y.a) [ x ]; in [ (f { a = 1; }) (f { }) ]",
    "let f = x: map (y: y) (throw \"list\"); in f 1",
    "let f = x: builtins.concatMap (y: [ y y ]) (x ++ [ 1 ]); in [ (f [ 0 ]) (f 0) ]",
    "let f = x: builtins.concatMap (y: y) [ x ]; in [ (f [ 1 ]) (f 1) ]",
    "let f = g: builtins.concatMap g ([ 1 ] ++ [ 2 ]); in [ (f (y: [ y ])) (f (throw \"fn\")) ]",
    "let f = x: builtins.filter (y: y > x) (builtins.tail [ 0 1 2 3 ]); in [ (f 1) (f \"a\") ]",
    "let f = x: builtins.any (y: y == x) ([ 1 ] ++ x); in [ (f [ 2 ]) (f 3) ]",
    "let f = x: builtins.all (y: y) (builtins.tail x); in [ (f [ 0 true ]) (f [ 0 1 ]) ]",
    "let f = x: builtins.foldl' (a: b: a + b) 0 (builtins.tail x); in [ (f [ 0 1 2 ]) (f [ 0 \"x\" ]) ]",
    "let f = x: builtins.sort (a: b: a < b) (builtins.tail x); in [ (f [ 0 3 1 ]) (f [ 0 1 \"a\" ]) ]",
    # sort's loops entering a comparator `a: b: ...` themselves (peeksort):
    # a result not a Boolean, an error in the body, in insertion and in merge
    "let f = x: builtins.sort (a: b: x) (builtins.genList (i: 7 - i) 40); in [ (f true) (f 1) ]",
    "let f = x: builtins.sort (a: b: if a == x then throw \"cmp\" else a < b)"
    " (builtins.genList (i: 50 - i * 3) 40); in [ (f 100) (f 20) ]",
    "let f = x: builtins.partition (y: y) (builtins.tail x); in [ (f [ 0 true false ]) (f 1) ]",
    "let f = x: builtins.groupBy (y: y) (builtins.tail x); in [ (f [ 0 \"a\" ]) (f [ 0 1 ]) ]",
    "let f = x: builtins.length (x ++ [ ]); in [ (f [ 1 ]) (f 1) ]",
    "let f = x: builtins.head (builtins.tail x); in [ (f [ 1 2 ]) (f [ 1 ]) ]",
    "let f = x: builtins.attrNames (x // { }); in [ (f { b = 1; a = 2; }) (f 1) ]",
    "let f = x: builtins.attrValues (x // { }); in [ (f { a = 1; }) (f [ ]) ]",
    "let f = x: builtins.listToAttrs (builtins.tail x); in [ (f [ 0 { name = \"a\"; value = 1; } ]) (f [ 0 1 ]) ]",
    "let f = x: builtins.concatLists (builtins.tail x); in [ (f [ 0 [ 1 ] ]) (f [ 0 1 ]) ]",
    "let f = x: [ (builtins.typeOf (x + 1)) (builtins.isAttrs (x + 1)) (builtins.isList (x + 1)) ]; in [ (f 1) (f { }) ]",
    "let f = x: [ (builtins.isString (x.a)) (builtins.isInt x.a) (builtins.isBool x.a) ]; in [ (f { a = 1; }) (f { }) ]",
    "let f = x: [ (builtins.isFunction (x.a)) (builtins.isNull x.a) (toString x.a) ]; in [ (f { a = 1; }) (f { a = { }; }) ]",
    "let f = x: builtins.removeAttrs (x // { }) [ \"a\" ]; in [ (f { a = 1; b = 2; }) (f 1) ]",
    "let f = x: builtins.mapAttrs (n: v: v + 1) (x // { }); in [ (f { a = 1; }) (f { a = \"s\"; }) (f 1) ]",
    "let f = x: builtins.intersectAttrs (x // { }) { a = 1; b = 2; }; in [ (f { a = 0; }) (f 1) ]",
    "let f = x: builtins.elem 1 (builtins.tail x); in [ (f [ 0 1 ]) (f 1) ]",
    "let f = x: builtins.seq (x.a) 2; in [ (f { a = 1; }) (f { }) ]",
    "let map = f: xs: 5; f = x: map (y: y) (builtins.tail x); in [ (f [ 0 1 ]) (f 1) ]",
    "let lib = { map = f: xs: [ f ]; }; f = x: lib.map (y: y) (x ++ [ ]); in [ (f [ 0 ]) (f 1) ]",
    "let f = x: builtins.map (builtins.head x) (builtins.tail x); in [ (f [ (y: y) 1 ]) (f [ 1 1 ]) ]",
    # a call of three or four arguments entering `a: b: c: ...` at its
    # innermost body (codegen.curried_branch); shorter chains, formals
    "let f = a: b: c: a + b + c; g = x: f x 1 2; in [ (g 1) (g \"s\") ]",
    "let f = a: b: c: d: [ a d ]; g = x: f x 1 2 3; in [ (g 1) (g (throw \"lazy\")) ]",
    "let f = a: b: c: d: a + d; g = x: f x 1 2 \"s\"; in g 1",
    "let f = a: b: c: d: e: [ a e ]; g = x: f x 1 2 3; in builtins.length (g 1 5)",
    "let f = a: b: c: x: a; g = x: f x 1 2 3; in g 1",
    "let f = a: b: c: a b c; g = x: f x 1 2; in [ (g (p: q: p + q)) (g 1) ]",
    "let f = a: { b }: c: b; g = x: f x { b = x; } 2; in [ (g 1) (f 1 { } 2) ]",
    "let f = a: b: c: c.d; g = x: f x 1 x; in [ (g { d = 1; }) (g { }) ]",
    # `==` and `!=` with a string or integer literal on one side
    "let f = x: [ (x == \"a\") (\"a\" == x) (x != \"a\") (x == 1) (1 == x) (x != 1) (x == 1.0) ];"
    " in [ (f \"a\") (f 1) (f 1.0) (f null) (f true) (f \"${\"a\"}\") (f [ ]) (f \"${./file.nix}\") ]",
    "let f = x: x.a == \"a\"; in [ (f { a = \"a\"; }) (f { }) ]",
    "let f = x: [ (x == [ ]) ([ ] != x) (x == { }) ({ } != x) ]; in [ (f [ ]) (f [ 1 ]) (f { }) (f { a = 1; })"
    " (f null) (f \"a\") (f (builtins.listToAttrs (builtins.genList (i: { name = \"a${toString i}\"; value = i; })"
    " 3000))) (f { type = \"derivation\"; outPath = \"x\"; }) (f (throw \"x\")) ]",
    "let f = x: 1 != x.a; in [ (f { a = 1; }) (f { a = throw \"a\"; }) ]",
    # a lambda `a: b: ...` given three arguments (codegen.call_generic)
    "let foldl' = op: acc: builtins.seq acc (builtins.foldl' op acc); f = x: foldl' (a: b: a + b) x [ 1 2 ];"
    " in [ (f 1) (f \"s\") ]",
    "let g = a: b: { x }: a + b + x; f = x: g x 1 { y = 2; }; in [ (f 1) ]",
    "let g = a: b: { x }: a + b + x; f = x: g x 1 { x = 2; }; in [ (f 1) (f \"s\") ]",
    "let g = a: b: 5; f = x: g x 1 2; in f 1",
    "let g = a: b: builtins.add; f = x: g x 1 2; in [ (f 1) (builtins.length (f 1)) ]",
    "let g = a: b: throw \"inner\"; f = x: g x 1 2; in f 1",
    "let g = a: b: { __functor = s: c: c + a; }; f = x: g x 1 2; in [ (f 1) (f \"s\") ]",
    # builtins written inline (codegen.INLINE_BUILTINS) on a variable, a
    # thunk of it that fails, a value of the wrong type, an infinite recursion
    "let f = x: [ (builtins.length x) (builtins.head x) ]; in [ (f [ 1 ]) (f [ ]) ]",
    "let f = x: builtins.length x; in [ (f [ ]) (f { }) ]",
    "let f = x: builtins.head x; in [ (f [ 2 ]) (f [ (throw \"elem\") ]) ]",
    "let f = x: builtins.head x; in [ (f [ 2 ]) (f \"s\") ]",
    "let f = x: [ (builtins.isAttrs x) (builtins.isList x) (builtins.isString x) (builtins.isInt x)"
    " (builtins.isBool x) (builtins.isNull x) (builtins.isFunction x) ];"
    " in [ (f 1) (f \"s\") (f \"${./file.nix}\") (f f) (f null) (f true) (f map) (f (map f)) (f [ ]) (f { })"
    " (f (throw \"arg\")) ]",
    "let f = x: y: builtins.seq x y; in [ (f 1 2) (f 1 (throw \"second\")) (f (throw \"first\") 2) ]",
    "let f = x: let r = builtins.isAttrs r; in r; in f 1",
    "let f = x: let r = builtins.seq r 1; in r; in f 1",
    "let f = x: let r = builtins.length r; in r; in f 1",
    "let f = x: builtins.length x.a; in [ (f { a = [ ]; }) (f { }) ]",
    "let length = x: 7; f = x: [ (length x) (builtins.length x) ]; in f [ ]",
    # `//` of small sets made in place: the positions of both sides kept
    # ("from the definition of 'a'" is found through them)
    "let f = x: y: x // y // { c = throw \"c\"; }; in (f { a = 1; } { b = throw \"b\"; }).b",
    "let f = x: y: x // y // { c = throw \"c\"; }; in (f { a = throw \"a\"; } { b = 1; }).a",
    "let f = x: y: x // y // { c = throw \"c\"; }; in (f { a = 1; } { b = 1; }).c",
    "let f = x: y: x // y; in [ (f { } { a = 1; }) (f { a = 1; } { }) ((f { a = 1; } { a = throw \"a\"; }).a) ]",
    "let f = x: y: x // y; in f { a = 1; } 2",
    # `?` with dynamic names in tier 2 (codegen.dynamic_name)
    "let f = s: k: [ (s ? ${k}) (s ? a.${k}) (s ? ${k}.${k}) (s ? \"${k}\") ];"
    " in [ (f { a = { a = 1; }; } \"a\") (f 1 \"b\") (f { b = 1; } \"b\") ]",
    "let f = s: k: s ? ${k}; in [ (f { } \"a\") (f { } 1) ]",
    "let f = s: k: s ? a.${k}; in [ (f { } 1) (f { a = { }; } 1) ]",
    "let f = s: k: s ? ${k}; in [ (f { } (throw \"name\")) ]",
    "let f = s: k: s ? ${k}; in [ (f (throw \"set\") (throw \"name\")) ]",
    "let f = s: k: s ? ${k}; in f { } \"${./file.nix}\"",
    # `s.${k} or d` in tier 2
    "let f = s: k: [ (s.${k} or 0) (s.a.${k} or 1) (s.${k}.${k} or 2) (s.\"${k}\" or 3) ];"
    " in [ (f { a = { a = 5; }; } \"a\") (f 1 \"b\") (f { b = 1; } \"b\") ]",
    "let f = s: k: s.${k} or 0; in [ (f { } \"a\") (f { } 1) ]",
    "let f = s: k: s.a.${k} or 0; in [ (f 1 1) (f { a = { }; } 1) ]",
    "let f = s: k: s.${k} or 0; in [ (f { a = throw \"value\"; } \"a\") ]",
    "let f = s: k: s.${k} or 0; in [ (f (throw \"set\") (throw \"name\")) ]",
    "let f = s: k: s.${k} or 0; in f { } \"${./file.nix}\"",
    "let f = s: k: s.${k}; in [ (f { a = 1; } \"a\") (f { } \"b\") ]",
    # `toString` of integer arithmetic interpolated, computed at once (int_to_string)
    "let f = i: \"p${toString (i / 2)}-${toString (i - i / 10 * 10)}\"; in map f [ 0 7 15 (-7) 9223372036854775807 ]",
    "let f = i: \"p${toString (i / 2)}\"; in map f [ 1 \"x\" ]",
    "let f = i: \"p${toString (i * 9223372036854775807)}\"; in map f [ 1 2 ]",
    "let f = i: j: \"p${toString (i / j)}\"; in [ (f 4 2) (f 4 0) ]",
    "let toString = x: \"T\"; f = i: \"p${toString (i / 2)}\"; in f 3",
    # `s.${k}` without `or` in tier 2: an error shows the path with its names
    # evaluated again (tier 1's _attr_path_shown)
    "let f = s: k: [ s.${k}.x ]; in [ (f { a = { x = 1; }; } \"a\") (f { a = 2; } \"a\") ]",
    "let f = s: k: s.${k}.x; in f { a = { y = 1; }; } \"a\"",
    "let f = s: k: s.${k}; in [ (f { a = 1; } 3) ]",
    "let f = s: k: s.${k}; in [ (f 3 \"a\") ]",
    "let f = s: k: s.${k}; in [ (f { a = throw \"inner\"; } \"a\") ]",
    "let f = s: k: s.x.${k}; in f { x = 1; } \"a\"",
    "let f = s: k: s.${k}.${k}; in [ (f { a = { a = 7; }; } \"a\") (f { a = { b = 7; }; } \"a\") ]",
    "let f = s: k: s.\"p${k}\"; in [ (f { pa = 1; } \"a\") (f { pa = 1; } \"b\") ]",
    "let f = s: k: s.${k}; in f { } \"${./file.nix}\"",
    "let f = s: s.${s.a}; s = { a = f s; }; in s.a",
    "let f = x: y: x // y; in (f (builtins.listToAttrs [ { name = \"a\"; value = throw \"l\"; } ]) { b = 1; }).a",
    # an attrset of more than MAX_MEMBERS (64) names is tier 1's in both modes
    # (attrsets._build_plain): `inherit (s)` of a missing name, a value's error
    "let f = s: { inherit (s) p q; " + " ".join(f"x{i} = s.p + {i};" for i in range(70)) + " }; in [ (f { p = 1; }).x69 (f { p = \"a\"; }).x3 (f { p = 1; }).q ]",
    # elemAt read in place (codegen.elem_at_call): an index that is a value,
    # a thunk (forced or not, failing), arithmetic computed at once (or not:
    # out of the 64-bit range, a name that is not the builtin); a list that
    # is a thunk or not a list; an element that throws; a name `elemAt`
    # that is not the builtin
    "let inherit (builtins) elemAt; xs = [ 1 2 3 ]; f = l: n: [ (elemAt l n) (elemAt l (n + 1)) (elemAt xs (n - 1)) ]; in [ (f xs 1) (f xs 2) ]",
    "let inherit (builtins) elemAt; f = l: n: elemAt l (n + 1); in [ (f [ 1 ] (-1)) (f [ 1 ] (-2)) ]",
    "let inherit (builtins) elemAt; f = l: n: elemAt l n; in f [ 1 ] \"a\"",
    "let inherit (builtins) elemAt; f = l: n: elemAt l n; in f { } 0",
    "let inherit (builtins) elemAt; f = l: n: elemAt l n; in f (throw \"list\") (throw \"index\")",
    "let inherit (builtins) elemAt; f = l: n: elemAt l (n + 1); in f [ 1 ] (throw \"index\")",
    "let inherit (builtins) elemAt; f = l: n: elemAt l (n + 1); in f [ 1 ] 1.5",
    "let inherit (builtins) elemAt; f = l: n: elemAt l (n + 1); in f [ 1 ] 9223372036854775807",
    "let inherit (builtins) elemAt; f = l: n: elemAt l (n * 2 - 1); in f [ 1 2 3 ] 2",
    "let inherit (builtins) elemAt; f = l: n: elemAt l (n + 0); in f [ 1 (throw \"elem\") ] 1",
    "let inherit (builtins) elemAt; l = [ 1 2 ]; f = n: elemAt l n; in builtins.seq l [ (f 0) (f 1) (f 2) ]",
    "let inherit (builtins) elemAt; l = [ 1 2 ]; i = 0 + 1; j = 0 + 3; f = n: elemAt l n; in builtins.seq i (builtins.seq j [ (f i) (f j) ])",
    "let elemAt = l: n: n; f = l: n: elemAt l (n + 1); in f [ ] 5",
    "builtins.scopedImport { __sub = a: b: 0; } (builtins.toFile \"s.nix\" \"let f = l: n: builtins.elemAt l (n - 1); in [ (f [ 7 8 ] 2) (f [ 7 8 ] 5) ]\")",
    # addErrorContext's value computed in place (codegen.error_context_value):
    # a value, a variable's thunk, a failing value (the context line added,
    # its message made only then), a failing message, nested contexts, the
    # value that is its own thunk, a name that is not the builtin
    "let f = x: builtins.addErrorContext \"ctx ${toString x}\" (if x > 3 then throw \"big\" else x + 1); in [ (f 1) (f 2) (builtins.tryEval (f 5)) (f 9) ]",
    "let h = v: builtins.addErrorContext \"via ${v}\" v; in [ (h \"a\") (h (throw \"boom\")) ]",
    "let g = m: builtins.addErrorContext \"ctx of ${m.file}\" (m.value.a); in [ (g { file = \"f\"; value = { a = 1; }; }) (g { file = \"f\"; value = { }; }) ]",
    "let g = m: builtins.addErrorContext \"ctx of ${m.nofile}\" (m.value.a); in g { file = \"f\"; value = { b = 1; }; }",
    "let g = m: builtins.addErrorContext m (1 + \"a\"); in [ (g \"plain\") (g 5) ]",
    "let loop = n: if n == 0 then throw \"bottom\" else builtins.addErrorContext \"level ${toString n}\" (loop (n - 1)); in loop 4",
    "let f = y: let x = builtins.addErrorContext \"rec\" x; in x + y; in f 1",
    "let addErrorContext = m: v: v + 1; f = x: addErrorContext \"m\" (x * 2); in f 3",
]


def _id(i):
    return f"case{i:02d}"


@pytest.mark.parametrize("expr", CASES, ids=[_id(i) for i in range(len(CASES))])
def test_tiers_agree(expr):
    off, always = both(expr, "--show-trace")
    assert always == off


@pytest.mark.parametrize("expr", CASES[:20], ids=[_id(i) for i in range(20)])
def test_tiers_agree_without_trace(expr):
    off, always = both(expr)
    assert always == off


# without --strict, what is stored unevaluated prints as Nix prints it (Nix 2.8's
# output): a list literal, even one of constants only, is a thunk until used
LAZY = [
    ("let f = x: { l = [ 1 2 ]; e = [ ]; m = (g: g [ 1 ]) (y: y); }; in f 1",
     "{ e = <CODE>; l = <CODE>; m = <CODE>; }\n"),
    # `k - 1` reaches a body that does not force it first: still a thunk
    ("let g = n: { a = n; }; h = k: if k < 0 then k else g (k - 1); in h 5", "{ a = <CODE>; }\n"),
    ("let g = n: if n == 4 then { a = n; b = n + 1; } else g (n + 1); in g 0", "{ a = 4; b = <CODE>; }\n"),
    # `inherit (s) a;` is a thunk (made by tier 2 itself: codegen.inherited_from)
    ("let f = s: { inherit (s) a; b = s; }; in f { a = 1; }", "{ a = <CODE>; b = <CODE>; }\n"),
    # more than 8 attributes: values compiled when first forced (tier 1's
    # attrsets._build_plain makes their thunks itself)
    ("let f = s: { inherit (s) p; a = 1; b = s.p; c = [ 1 ]; d = 2; e = 3; f = x: x; g = 4; h = 5; i = 6; }; in f { p = 1; }",
     "{ a = 1; b = <CODE>; c = <CODE>; d = 2; e = 3; f = <CODE>; g = 4; h = 5; i = 6; p = <CODE>; }\n"),
]


# near the call-depth limit, an argument computed by the caller must not move
# the point where Nix's stack overflow happens (tier 1 never computes early)
DEPTH = [
    "let f = n: if n == 0 then 0 else f (n - 1); in f 30",
    "let f = n: if n < 1 then 0 else f (n - 1); in f 30",
    "let f = n: if n < 1 then 0 else 1 + f (n - 1); in f 30",
    "let f = n: if n > 0 then f (n - 1) else 0; in f 30",
    "let f = n: if n <= 0 then 0 else 1 + f (n - 1); in f 30",
    "let f = n: if n <= 0 then builtins.head [ 0 ] else builtins.add 1 (f (n - 1)); in f 30",
    "let g = a: b: if b <= 0 then a else g a (b - 1); in g 0 30",
    "let f = n: if n <= 0 then 0 else builtins.foldl' (a: b: a + b) 0 [ (f (n - 1)) ]; in f 30",
    "let f = n: if n <= 0 then builtins.substring 0 1 \"ab\" else f (n - 1); in f 30",
    "let f = n: if n <= 0 then builtins.elemAt [ 1 ] 0 else f (n - 1); in f 30",
    "let f = n: if n <= 0 then builtins.elemAt [ 1 ] (n * 2 - n) else f (n - 1); in f 30",
    "let f = n: if n <= 0 then [ 0 ] else map (x: x + 1) (f (n - 1)); in builtins.head (f 30)",
    "let f = n: if n <= 0 then [ 0 ] else builtins.concatMap (x: [ x ]) (f (n - 1)); in f 30",
    "let f = n: if n <= 0 then 0 else builtins.length [ (f (n - 1)) ] + builtins.seq (f (n - 1)) 0; in f 30",
    "let g = a: b: c: if c <= 0 then a else g a b (c - 1); in g 0 0 30",
    "let g = a: b: c: d: if d <= 0 then a else 1 + g a b c (d - 1); in g 0 0 0 30",
    "let f = n: if n * 2 / 2 < 1 then n - 1 - 1 else f (n - 1); in f 30",
    "let f = n: if n <= 0 then 0 else (f (n - 1)) + n * 2 - n / 2 * 2; in f 30",
    "let f = n: if n <= 0 then \"\" else \"${toString n}${f (n - 1)}\"; in f 30",
    "let f = n: if n <= 0 then \"\" else \"${toString (n / 2 - 1)}${f (n - 1)}\"; in f 30",
    "let f = n: if n <= 0 then builtins.length [ 0 ] else builtins.seq (f (n - 1)) (builtins.isInt n); in f 30",
    "let f = n: l: if n <= 0 then builtins.head l else f (n - 1) l; in f 30 [ 1 ]",
    "let g = a: b: let h = c: if c <= 0 then a else g a b (c - 1); in h; in g 0 0 30",
    "let f = n: if n <= 0 then 0 else builtins.addErrorContext \"at ${toString n}\" (f (n - 1)); in f 30",
]


@pytest.mark.parametrize("expr", DEPTH)
@pytest.mark.parametrize("depth", [29, 30, 31, 32, 33, 59, 60, 61, 62, 63])
def test_tiers_agree_at_the_call_depth_limit(expr, depth):
    off, always = both(expr, "--show-trace", "--max-call-depth", str(depth))
    assert always == off


@pytest.mark.parametrize("expr,expected", LAZY)
def test_tiers_print_unevaluated_values_as_nix(expr, expected):
    for mode in ("off", "always"):
        assert run_in(mode, "instantiate", "--eval", "-E", expr) == (0, expected, "")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(nix_expr())
def test_tiers_agree_on_generated_expressions(expr):
    # put the generated expression in a function body, called twice
    wrapped = f"let f = _u: ({expr}); in [ (f null) (f 1) ]"
    off, always = both(wrapped, "--show-trace")
    assert always == off


def test_a_generated_body_is_really_used():
    """The `always` mode generates code: a value computed by a generated
    body has no closure of tier 1 on its path (checked by counting the
    bodies the generator wrote)."""
    from nixlang.compile import codegen
    made = []
    real = codegen.CodeGen.generate

    def counting(self):
        made.append(self.lam_node)
        return real(self)
    codegen.CodeGen.generate = counting
    try:
        rc, out, _ = run_in("always", "instantiate", "--eval", "-E", "let f = x: x * 2; in f 21")
    finally:
        codegen.CodeGen.generate = real
    assert (rc, out) == (0, "42\n")
    assert len(made) == 1


def generated_code(expr: str, monkeypatch, tmp_path) -> tuple[str, str]:
    """What `expr` prints, and the text tier 2 writes for the bodies it runs
    (PYNIX_JIT_DUMP)."""
    dump = tmp_path / "dump.py"
    monkeypatch.setenv("PYNIX_JIT_DUMP", str(dump))
    monkeypatch.setenv("PYNIX_CACHE", "off")
    rc, out, err = run_in("always", "instantiate", "--eval", "--strict", "-E", expr)
    assert rc == 0, err
    return out, dump.read_text()


def test_fast_paths_see_builtins_shadowed_by_scoped_import(tmp_path):
    """A file read with scopedImport may give `toString`, `__div` or `__sub`
    other values: the interpolation and arithmetic fast paths check the
    name's value, not its spelling (outputs of Nix 2.8)."""
    (tmp_path / "f.nix").write_text('map (i: "n${toString i}-${toString (i / 2 * 2 - 1)}") [ 1 2 3 ]\n')
    expr = ('[ (builtins.scopedImport { toString = x: "T"; } ./f.nix)'
            ' (builtins.scopedImport { __div = a: b: 100; __sub = a: b: a; } ./f.nix) (import ./f.nix) ]')
    off, always = both(expr)
    assert off == always == (0, '[ [ "nT-T" "nT-T" "nT-T" ] [ "n1-200" "n2-200" "n3-200" ]'
                                ' [ "n1--1" "n2-1" "n3-1" ] ]\n', "")


def test_integer_arithmetic_is_computed_at_once(monkeypatch, tmp_path):
    """`x / 2 * 2 == x` and `i - 1 < n` on integers in their slots are
    Python arithmetic guarded by one test (pure_arith), not two builtin
    calls each with its depth step and handlers."""
    out, code = generated_code("let f = x: n: [ (x / 2 * 2 == x) (x - 1 < n) ]; in f 7 3", monkeypatch, tmp_path)
    assert out == "[ false false ]\n"
    assert "// 2 if" in code and "* 2\n" in code
    assert code.count("ev.depth + 2 <= MAXD") == 2     # (each tree two builtins high)


def test_elem_at_reads_the_element_in_place(monkeypatch, tmp_path):
    """`elemAt l (n + 1)` on a list and integers in their slots: the index
    computed and the element read by the generated code (elem_at_call), the
    builtin called only for what that does not decide."""
    out, code = generated_code("let inherit (builtins) elemAt; f = l: n: elemAt l (n + 1); in f [ 1 2 ] 0",
                               monkeypatch, tmp_path)
    assert out == "2\n"
    assert re.search(r"r\d+ = i\d+ \+ 1\n", code)
    assert re.search(r" and 0 <= ix\d+ < len\(xs\d+\)\):\n", code)


def test_interpolated_to_string_of_an_integer_is_its_text(monkeypatch, tmp_path):
    out, code = generated_code('let f = i: "n${toString i}"; in f 42', monkeypatch, tmp_path)
    assert out == '"n42"\n'
    assert "= str(" in code


@needs_suite
def test_language_suite_with_every_body_generated():
    with jit_mode("always"):
        results = run_scorer()
    wrong = [name for name in _cases()
             if name in results and results[name] == (name in XFAIL)]
    missing = [name for name in _cases() if name not in results]
    assert not wrong and not missing, (wrong, missing)
    assert SUITE.is_dir()


def test_compiled_code_is_cached_on_disk(tmp_path, monkeypatch):
    from nixlang.compile import codecache
    monkeypatch.setenv("PYNIX_CACHE_DIR", str(tmp_path))
    text = "def body(env):\n    return env + 1\n"
    first = codecache.compile_cached(text, "<t>")
    entries = list((tmp_path / "tier2").rglob("*"))
    files = [p for p in entries if p.is_file()]
    assert len(files) == 1
    second = codecache.compile_cached(text, "<t>")
    assert second == first and second is not first      # read back, equal code
    files[0].write_bytes(b"not marshal data")           # a corrupt entry is compiled again
    g: dict = {}
    exec(codecache.compile_cached(text, "<t>"), g)
    assert g["body"](1) == 2
    monkeypatch.setenv("PYNIX_CACHE", "off")
    codecache.compile_cached("x = 1\n", "<t>")
    assert len([p for p in (tmp_path / "tier2").rglob("*") if p.is_file()]) == 1


@pytest.mark.parametrize("mode", ["off", "always"])
def test_max_call_depth_of_a_hundred_thousand(mode):
    """`--max-call-depth 100000` lets 100,000 nested calls evaluate, in
    either tier (a tier-1 call is several Python frames: the CLI's
    recursion limit leaves room for them), and one more is Nix's error."""
    import subprocess
    import sys
    expr = "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f {}"
    env = dict(os.environ, PYNIX_JIT=mode)
    ok = subprocess.run([sys.executable, "-m", "nixlang", "instantiate", "--eval", "--max-call-depth", "100000",
                         "-E", expr.format(99999)], capture_output=True, text=True, env=env, timeout=600)
    assert (ok.returncode, ok.stdout) == (0, "99999\n"), ok.stderr[-2000:]
    over = subprocess.run([sys.executable, "-m", "nixlang", "instantiate", "--eval", "--max-call-depth", "100000",
                           "-E", expr.format(100000)], capture_output=True, text=True, env=env, timeout=600)
    assert over.returncode == 1
    assert "error: stack overflow; max-call-depth exceeded" in over.stderr
    assert "Traceback" not in over.stderr
