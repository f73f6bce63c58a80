"""The fast paths of calls (runtime/calls.py), against real Nix and against
the generic call they stand for.

- NIX_28: expressions and what `nix-instantiate --eval --strict` (Nix 2.8)
  prints for them (recorded; `test_recorded_outputs_are_nix_28s` checks
  the record when nix-instantiate is installed).
- TRACES: errors through the fast paths (calls of curried lambdas, variables
  two and three frames up), printed with --show-trace: the output pynix
  gave before those paths existed (Nix 2.36's form; Nix 2.8 words traces
  differently), recorded.
- MAP_OF_ONE: `map f [ x ]` makes its one thunk without a `caller`
  (runtime.calls.apply_pending): values, errors, and the position a stack
  overflow reports for the pending call (the function's), recorded from
  pynix before that path existed, with --max-call-depth 10000 and 1.
- MAP_ATTRS_LATER: mapAttrs / zipAttrsWith entering `name: value: ...`
  directly after the first attribute (builtins.attrs._Fn.inner): the
  errors, traces and call depth of later attributes, recorded likewise.
- LAMBDA_LOOPS: filter, concatMap, any and all entering `x: ...` directly,
  the call depth counted once for the loop, recorded likewise.
- SAME_AS_GENERIC: a function value and arguments; `calln`, which enters
  `a: b: c: ...` at its innermost body, must give what applying the
  arguments one by one with `call_function` gives: the same value, or the
  same error with the same trace frames and positions.
"""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from test_catalogue import pynix

from nixlang import errors as E
from nixlang.evaluator import EvalOptions, Evaluator
from nixlang.runtime.calls import call_function, calln
from nixlang.runtime.printer import print_value
from nixlang.runtime.values import force
from nixlang.source import Source, Span

NIX = shutil.which("nix-instantiate")


def output(expr: str) -> str:
    ev = Evaluator()
    try:
        v = ev.eval_string(expr)
        ev.deep_force(v)
    except E.EvalError as e:
        return "error: " + e.message
    return print_value(v)


NIX_28 = [
    ("let f = a: b: c: a + b * c; in f 1 2 3", "7"),
    ("let f = a: b: c: d: [ a b c d ]; in f 1 2 3 4", "[ 1 2 3 4 ]"),
    ("let f = a: b: c: d: e: [ a b c d e ]; in f 1 2 3 4 5", "[ 1 2 3 4 5 ]"),
    ("let f = a: b: c: x: a + b + c + x; in map (f 1 2 3) [ 10 20 ]", "[ 16 26 ]"),
    ("let f = a: b: { c, d ? 4 }: a + b + c + d; in f 1 2 { c = 3; }", "10"),
    ("let f = a: b: c: { inherit a b c; }; in (f 1 2 3).c", "3"),
    ("let f = a: b: c: a b c; in f (x: y: x + y) 1 2", "3"),
    ('let f = a: b: c: c; in f (throw "a") (throw "b") 3', "3"),
    ("let f = a: b: c: if c then a else b; g = f 1 2; in [ (g true) (g false) ]", "[ 1 2 ]"),
    ("let f = a: b: c: d: a + b + c + d; in builtins.foldl' (acc: x: f acc x x x) 0 [ 1 2 3 ]", "18"),
    ("let f = a: b: c: c; in f 1 2 3 4",
     "error: attempt to call something which is not a function but an integer: 3"),
    ("let f = a: { b }: c: b + c; in f 1 { b = 2; } 3", "5"),
    ("let f = a: b: c: d: e: f: g: a + g; in f 1 2 3 4 5 6 7", "8"),
    # a formal's default naming a builtin is read through its reader's memo
    # (closures.lazy, global_lazy); a shadowing `let` is not a builtin
    ("let f = { a ? null, b ? true, c ? builtins.length }: [ a b (c [ 1 ]) ]; "
     "in [ (f { }) (f { a = 1; }) (f { c = x: 2; }) ]", "[ [ null true 1 ] [ 1 true 1 ] [ null true 2 ] ]"),
    ("let null = 5; f = { a ? null }: a; in [ (f { }) (f { a = 1; }) ]", "[ 5 1 ]"),
    # a lambda's value and a lambda's thunk make its closure with a partial
    ("let f = x: y: x; g = [ (z: z) ]; in [ (f 1 2) ((builtins.head g) 3) ]", "[ 1 3 ]"),
]


@pytest.mark.parametrize("expr,out", NIX_28, ids=[e for e, _ in NIX_28])
def test_nix_28(expr, out):
    assert output(expr) == out


@pytest.mark.skipif(NIX is None, reason="nix-instantiate (Nix 2.8) is not installed")
@pytest.mark.parametrize("expr,out", NIX_28, ids=[e for e, _ in NIX_28])
def test_recorded_outputs_are_nix_28s(expr, out):
    r = subprocess.run([NIX, "--eval", "--strict", "-E", expr], capture_output=True, text=True, timeout=60)
    if out.startswith("error: "):
        # Nix 2.8 words the message without the value; the kind of error is the same
        assert r.returncode != 0 and out.split(":")[1] in r.stderr
    else:
        assert r.stdout.strip() == out


# (function, arguments): each evaluated in its own `let`; errors compared whole
SAME_AS_GENERIC = [
    ("a: b: c: a + b + c", ["1", "2", "3"]),
    ("a: b: c: a + b + c", ["1", "2", '"x"']),
    ("a: b: c: throw c", ["1", "2", '"boom"']),
    ("a: b: c: d: a + b + c + d", ["1", "2", "3", "4"]),
    ("a: b: c: d: a + b + c + d", ["1", "2", "3", "null"]),
    ("a: b: c: d: e: e.x", ["1", "2", "3", "4", "{ }"]),
    ("a: b: c: c", ["1", "2", "3", "4"]),
    ("a: b: c: x: x", ["1", "2", "3", "4", "5"]),
    ("a: b: c: y: y + 1", ["1", "2", "3", "true"]),
    ("a: b: { c }: c", ["1", "2", "{ d = 1; }"]),
    ("a: b: c: assert c; a", ["1", "2", "false"]),
    ("let g = a: b: c: g a b c; in g", ["1", "2", "3"]),
]


def generic(ev, f, args, source, span):
    for a in args:
        f = force(call_function(ev, f, a, source, span))
    return f


def outcome(fn, ev, f, args, source, span) -> str:
    try:
        v = fn(ev, f, args, source, span)
        ev.deep_force(v)
        return print_value(v)
    except E.EvalError as e:
        return E.render_nix_eval(e, show_trace=True)


@pytest.mark.parametrize("fn,args", SAME_AS_GENERIC, ids=[f"{f} {' '.join(a)}" for f, a in SAME_AS_GENERIC])
def test_calln_is_the_generic_call(fn, args):
    results = []
    for apply in (calln, generic):
        ev = Evaluator(EvalOptions(max_call_depth=200))
        source = Source("f " + " ".join(args), "«call site»", "/")
        f = ev.eval_source(Source(f"let f = {fn}; in f", "«string»", "/"))
        argv = tuple(ev.eval_source(Source(a, "«string»", "/")) for a in args)
        results.append(outcome(apply, ev, f, argv, source, Span(0, len(source.text))))
    assert results[0] == results[1]


TRACES = [
    ('let x = let y = 1; in let z = 2; in x + y + z; in x',
     "error:\n       … entering the infinite recursion\n\n       … in an operand of '+'\n         at «string»:1:39:\n            1| let x = let y = 1; in let z = 2; in x + y + z; in x\n             |                                       ^\n\n       … in an operand of '+'\n         at «string»:1:37:\n            1| let x = let y = 1; in let z = 2; in x + y + z; in x\n             |                                     ^\n\n       error: infinite recursion encountered\n       at «string»:1:51:\n            1| let x = let y = 1; in let z = 2; in x + y + z; in x\n             |                                                   ^\n"),
    ('let x = let y = 1; in let z = 2; in let w = 3; in x; in x',
     'error:\n       … entering the infinite recursion\n\n       error: infinite recursion encountered\n       at «string»:1:51:\n            1| let x = let y = 1; in let z = 2; in let w = 3; in x; in x\n             |                                                   ^\n'),
    ('let f = a: let b = 1; in let c = 2; in (q: a + b + c + q); in f "s" 1',
     'error:\n       … from call site\n         at «string»:1:63:\n            1| let f = a: let b = 1; in let c = 2; in (q: a + b + c + q); in f "s" 1\n             |                                                               ^\n\n       … while calling anonymous lambda\n         at «string»:1:41:\n            1| let f = a: let b = 1; in let c = 2; in (q: a + b + c + q); in f "s" 1\n             |                                         ^\n\n       … in an operand of \'+\'\n         at «string»:1:50:\n            1| let f = a: let b = 1; in let c = 2; in (q: a + b + c + q); in f "s" 1\n             |                                                  ^\n\n       … in an operand of \'+\'\n         at «string»:1:46:\n            1| let f = a: let b = 1; in let c = 2; in (q: a + b + c + q); in f "s" 1\n             |                                              ^\n\n       … while evaluating a path segment\n         at «string»:1:48:\n            1| let f = a: let b = 1; in let c = 2; in (q: a + b + c + q); in f "s" 1\n             |                                                ^\n\n       error: cannot coerce an integer to a string: 1\n'),
    ('let f = a: b: c: d: a + b + c + d; in f 1 2 3 "x"',
     'error:\n       … from call site\n         at «string»:1:39:\n            1| let f = a: b: c: d: a + b + c + d; in f 1 2 3 "x"\n             |                                       ^\n\n       … while calling \'f\'\n         at «string»:1:18:\n            1| let f = a: b: c: d: a + b + c + d; in f 1 2 3 "x"\n             |                  ^\n\n       error: cannot add a string to an integer\n       at «string»:1:33:\n            1| let f = a: b: c: d: a + b + c + d; in f 1 2 3 "x"\n             |                                 ^\n'),
    ('let f = a: b: c: c; in f 1 2 3 4',
     'error: attempt to call something which is not a function but an integer: 3\n       at «string»:1:24:\n            1| let f = a: b: c: c; in f 1 2 3 4\n             |                        ^\n'),
    ('let m = { a = x: y: z: z.nope; }; in builtins.mapAttrs (n: v: v 1 2 { }) m',
     "error:\n       … while evaluating the attribute 'a'\n\n       … while calling anonymous lambda\n         at «string»:1:60:\n            1| let m = { a = x: y: z: z.nope; }; in builtins.mapAttrs (n: v: v 1 2 { }) m\n             |                                                            ^\n\n       … from call site\n         at «string»:1:63:\n            1| let m = { a = x: y: z: z.nope; }; in builtins.mapAttrs (n: v: v 1 2 { }) m\n             |                                                               ^\n\n       … while calling 'a'\n         at «string»:1:21:\n            1| let m = { a = x: y: z: z.nope; }; in builtins.mapAttrs (n: v: v 1 2 { }) m\n             |                     ^\n\n       … while evaluating the attribute 'nope'\n         at «string»:1:24:\n            1| let m = { a = x: y: z: z.nope; }; in builtins.mapAttrs (n: v: v 1 2 { }) m\n             |                        ^\n\n       error: attribute 'nope' missing\n"),
    ('let f = a: b: { c }: c; in f 1 2 { d = 1; }',
     "error:\n       … from call site\n         at «string»:1:28:\n            1| let f = a: b: { c }: c; in f 1 2 { d = 1; }\n             |                            ^\n\n       error: function 'f' called without required argument 'c'\n       at «string»:1:15:\n            1| let f = a: b: { c }: c; in f 1 2 { d = 1; }\n             |               ^\n"),
]


def fresh(*argv) -> str:
    """`pynix ARGV`'s output and errors from a process of its own, as Nix's
    answers are. `--strict` forces an attrset's values in symbol order, and a
    process that has evaluated other code has its symbols in another order
    (`c` made before `a`): which attribute's error comes first, and through
    which call's frames, would depend on the tests run before in the same
    worker (it did: `mapAttrs (n: v: v + 1) { a = 1; b = 2; c = "x"; }`
    after test_bigsets)."""
    p = subprocess.run([sys.executable, "-m", "nixlang", *argv], capture_output=True, text=True, timeout=120)
    return p.stdout + p.stderr


@pytest.mark.parametrize("expr,out", TRACES, ids=[e for e, _ in TRACES])
def test_traces(expr, out):
    assert fresh("instantiate", "--eval", "--strict", "--show-trace", "-E", expr) == out


MAP_OF_ONE = [
    ('builtins.map (x: x + "a") [ 1 ]', '10000',
     'error:\n       … while evaluating list element at index 0\n\n       … from call site\n         at «string»:1:15:\n            1| builtins.map (x: x + "a") [ 1 ]\n             |               ^\n\n       … while calling anonymous lambda\n         at «string»:1:15:\n            1| builtins.map (x: x + "a") [ 1 ]\n             |               ^\n\n       error: cannot add a string to an integer\n       at «string»:1:22:\n            1| builtins.map (x: x + "a") [ 1 ]\n             |                      ^\n'),
    ('builtins.map (x: x + "a") [ 1 ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:15:\n            1| builtins.map (x: x + "a") [ 1 ]\n             |               ^\n'),
    ('builtins.map (x: throw "t") [ 1 ]', '10000',
     'error:\n       … while evaluating list element at index 0\n\n       … from call site\n         at «string»:1:15:\n            1| builtins.map (x: throw "t") [ 1 ]\n             |               ^\n\n       … while calling anonymous lambda\n         at «string»:1:15:\n            1| builtins.map (x: throw "t") [ 1 ]\n             |               ^\n\n       … while calling the \'throw\' builtin\n         at «string»:1:18:\n            1| builtins.map (x: throw "t") [ 1 ]\n             |                  ^\n\n       error: t\n'),
    ('builtins.map (x: throw "t") [ 1 ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:15:\n            1| builtins.map (x: throw "t") [ 1 ]\n             |               ^\n'),
    ('let f = x: x.a; in map f [ { } ]', '10000',
     "error:\n       … while evaluating list element at index 0\n\n       … from call site\n         at «string»:1:9:\n            1| let f = x: x.a; in map f [ { } ]\n             |         ^\n\n       … while calling 'f'\n         at «string»:1:9:\n            1| let f = x: x.a; in map f [ { } ]\n             |         ^\n\n       … while evaluating the attribute 'a'\n         at «string»:1:12:\n            1| let f = x: x.a; in map f [ { } ]\n             |            ^\n\n       error: attribute 'a' missing\n"),
    ('let f = x: x.a; in map f [ { } ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:9:\n            1| let f = x: x.a; in map f [ { } ]\n             |         ^\n'),
    ('builtins.map (x: [ [ [ x ] ] ]) [ 1 ]', '10000',
     '[ [ [ [ 1 ] ] ] ]\n'),
    ('builtins.map (x: [ [ [ x ] ] ]) [ 1 ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:15:\n            1| builtins.map (x: [ [ [ x ] ] ]) [ 1 ]\n             |               ^\n'),
    ('builtins.map builtins.head [ [ ] ]', '10000',
     "error:\n       … while evaluating list element at index 0\n\n       … while calling the 'head' builtin\n\n       error: 'builtins.head' called on an empty list\n"),
    ('builtins.map builtins.head [ [ ] ]', '1',
     "error:\n       … while evaluating list element at index 0\n\n       … while calling the 'head' builtin\n\n       error: stack overflow; max-call-depth exceeded\n"),
    ('builtins.map { __functor = s: x: x + 1; } [ 1 ]', '10000',
     '[ 2 ]\n'),
    ('builtins.map { __functor = s: x: x + 1; } [ 1 ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n'),
    ('builtins.map ({ a }: a) [ { b = 1; } ]', '10000',
     "error:\n       … while evaluating list element at index 0\n\n       … from call site\n         at «string»:1:15:\n            1| builtins.map ({ a }: a) [ { b = 1; } ]\n             |               ^\n\n       error: function 'anonymous lambda' called without required argument 'a'\n       at «string»:1:15:\n            1| builtins.map ({ a }: a) [ { b = 1; } ]\n             |               ^\n"),
    ('builtins.map ({ a }: a) [ { b = 1; } ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:15:\n            1| builtins.map ({ a }: a) [ { b = 1; } ]\n             |               ^\n'),
    ('builtins.map (x: x) [ (throw "elem") ]', '10000',
     'error:\n       … while evaluating list element at index 0\n\n       … from call site\n         at «string»:1:15:\n            1| builtins.map (x: x) [ (throw "elem") ]\n             |               ^\n\n       … while calling anonymous lambda\n         at «string»:1:15:\n            1| builtins.map (x: x) [ (throw "elem") ]\n             |               ^\n\n       … while calling the \'throw\' builtin\n         at «string»:1:24:\n            1| builtins.map (x: x) [ (throw "elem") ]\n             |                        ^\n\n       error: elem\n'),
    ('builtins.map (x: x) [ (throw "elem") ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:15:\n            1| builtins.map (x: x) [ (throw "elem") ]\n             |               ^\n'),
    ('builtins.length (builtins.map (x: throw "lazy") [ 1 ])', '10000',
     '1\n'),
    ('builtins.length (builtins.map (x: throw "lazy") [ 1 ])', '1',
     '1\n'),
    ('let f = a: b: a + b; in builtins.map (f 1) [ 2 ]', '10000',
     '[ 3 ]\n'),
    ('let f = a: b: a + b; in builtins.map (f 1) [ 2 ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:12:\n            1| let f = a: b: a + b; in builtins.map (f 1) [ 2 ]\n             |            ^\n'),
]

# mapAttrs / zipAttrsWith: once one attribute's call has found the function
# to be a lambda `name: value: ...` (builtins.attrs._Fn.inner), the other
# attributes enter its inner body directly. Errors, traces and the call
# depth of those later attributes, recorded from pynix before that path.
MAP_ATTRS_LATER = [
    ('builtins.mapAttrs (n: v: v + 1) { a = 1; b = 2; c = "x"; }', '10000',
     'error:\n       … while evaluating the attribute \'c\'\n\n       … from call site\n         at «string»:1:20:\n            1| builtins.mapAttrs (n: v: v + 1) { a = 1; b = 2; c = "x"; }\n             |                    ^\n\n       … while calling anonymous lambda\n         at «string»:1:23:\n            1| builtins.mapAttrs (n: v: v + 1) { a = 1; b = 2; c = "x"; }\n             |                       ^\n\n       … while evaluating a path segment\n         at «string»:1:30:\n            1| builtins.mapAttrs (n: v: v + 1) { a = 1; b = 2; c = "x"; }\n             |                              ^\n\n       error: cannot coerce an integer to a string: 1\n'),
    ('builtins.zipAttrsWith (n: vs: builtins.head vs + 1) [ { a = 1; b = 2; } { c = "x"; } ]', '10000',
     'error:\n       … while evaluating the attribute \'c\'\n\n       … from call site\n         at «string»:1:24:\n            1| builtins.zipAttrsWith (n: vs: builtins.head vs + 1) [ { a = 1; b = 2; } { c = "x"; } ]\n             |                        ^\n\n       … while calling anonymous lambda\n         at «string»:1:27:\n            1| builtins.zipAttrsWith (n: vs: builtins.head vs + 1) [ { a = 1; b = 2; } { c = "x"; } ]\n             |                           ^\n\n       … while evaluating a path segment\n         at «string»:1:50:\n            1| builtins.zipAttrsWith (n: vs: builtins.head vs + 1) [ { a = 1; b = 2; } { c = "x"; } ]\n             |                                                  ^\n\n       error: cannot coerce an integer to a string: 1\n'),
    ('let m = builtins.mapAttrs (n: v: v) { a = 1; b = 2; }; f = x: x; in [ m.a (f (f m.b)) ]', '3',
     "error:\n       … while evaluating list element at index 1\n\n       … from call site\n         at «string»:1:76:\n            1| let m = builtins.mapAttrs (n: v: v) { a = 1; b = 2; }; f = x: x; in [ m.a (f (f m.b)) ]\n             |                                                                            ^\n\n       … while calling 'f'\n         at «string»:1:60:\n            1| let m = builtins.mapAttrs (n: v: v) { a = 1; b = 2; }; f = x: x; in [ m.a (f (f m.b)) ]\n             |                                                            ^\n\n       … from call site\n         at «string»:1:79:\n            1| let m = builtins.mapAttrs (n: v: v) { a = 1; b = 2; }; f = x: x; in [ m.a (f (f m.b)) ]\n             |                                                                               ^\n\n       … while calling 'f'\n         at «string»:1:60:\n            1| let m = builtins.mapAttrs (n: v: v) { a = 1; b = 2; }; f = x: x; in [ m.a (f (f m.b)) ]\n             |                                                            ^\n\n       … while evaluating the attribute 'b'\n         at «string»:1:81:\n            1| let m = builtins.mapAttrs (n: v: v) { a = 1; b = 2; }; f = x: x; in [ m.a (f (f m.b)) ]\n             |                                                                                 ^\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:28:\n            1| let m = builtins.mapAttrs (n: v: v) { a = 1; b = 2; }; f = x: x; in [ m.a (f (f m.b)) ]\n             |                            ^\n"),
    ('let m = builtins.mapAttrs (n: v: v) { a = 1; b = 2; }; f = x: x; in [ m.a (f (f m.b)) ]', '4',
     '[ 1 2 ]\n'),
    ('let f = n: v: v.x; in builtins.mapAttrs f { a = { x = 1; }; b = { }; }', '10000',
     "error:\n       … while evaluating the attribute 'b'\n\n       … from call site\n         at «string»:1:9:\n            1| let f = n: v: v.x; in builtins.mapAttrs f { a = { x = 1; }; b = { }; }\n             |         ^\n\n       … while calling 'f'\n         at «string»:1:12:\n            1| let f = n: v: v.x; in builtins.mapAttrs f { a = { x = 1; }; b = { }; }\n             |            ^\n\n       … while evaluating the attribute 'x'\n         at «string»:1:15:\n            1| let f = n: v: v.x; in builtins.mapAttrs f { a = { x = 1; }; b = { }; }\n             |               ^\n\n       error: attribute 'x' missing\n"),
]


# filter / concatMap / any / all given a lambda `x: ...` enter its body
# directly, the call depth counted once around the loop
# (builtins.lists._call_each): values, errors, traces
# and the call depth, recorded from pynix before that path (at f228190).
LAMBDA_LOOPS = [
    # map of two: the position its pending calls report (the lambda's)
    ('builtins.map (x: [ [ x ] ]) [ 1 2 ]', '10000',
     '[ [ [ 1 ] ] [ [ 2 ] ] ]\n'),
    ('builtins.map (x: [ [ x ] ]) [ 1 2 ]', '2',
     'error:\n       … while evaluating list element at index 0\n\n       … while evaluating list element at index 0\n\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n'),
    ('builtins.map (x: [ [ x ] ]) [ 1 2 ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:15:\n            1| builtins.map (x: [ [ x ] ]) [ 1 2 ]\n             |               ^\n'),
    ('let f = x: x + 1; in builtins.map f [ 1 2 ]', '10000',
     '[ 2 3 ]\n'),
    ('let f = x: x + 1; in builtins.map f [ 1 2 ]', '2',
     '[ 2 3 ]\n'),
    ('let f = x: x + 1; in builtins.map f [ 1 2 ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:9:\n            1| let f = x: x + 1; in builtins.map f [ 1 2 ]\n             |         ^\n'),
    ('builtins.filter (x: x + "a") [ 1 ]', '10000',
     'error:\n       … while calling the \'filter\' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:18:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             |                  ^\n\n       error: cannot add a string to an integer\n       at «string»:1:25:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             |                         ^\n'),
    ('builtins.filter (x: x + "a") [ 1 ]', '2',
     'error:\n       … while calling the \'filter\' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:18:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             |                  ^\n\n       error: cannot add a string to an integer\n       at «string»:1:25:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             |                         ^\n'),
    ('builtins.filter (x: x + "a") [ 1 ]', '1',
     'error:\n       … while calling the \'filter\' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:18:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             |                  ^\n\n       error: cannot add a string to an integer\n       at «string»:1:25:\n            1| builtins.filter (x: x + "a") [ 1 ]\n             |                         ^\n'),
    ('builtins.filter (x: x.a) [ { a = true; } { a = 1; } ]', '10000',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: x.a) [ { a = true; } { a = 1; } ]\n             | ^\n\n       … while evaluating the return value of the filtering function passed to builtins.filter\n\n       error: expected a Boolean but found an integer: 1\n"),
    ('builtins.filter (x: x.a) [ { a = true; } { a = 1; } ]', '2',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: x.a) [ { a = true; } { a = 1; } ]\n             | ^\n\n       … while evaluating the return value of the filtering function passed to builtins.filter\n\n       error: expected a Boolean but found an integer: 1\n"),
    ('builtins.filter (x: x.a) [ { a = true; } { a = 1; } ]', '1',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: x.a) [ { a = true; } { a = 1; } ]\n             | ^\n\n       … while evaluating the return value of the filtering function passed to builtins.filter\n\n       error: expected a Boolean but found an integer: 1\n"),
    ('builtins.filter (x: [ [ x ] ]) [ 1 ]', '10000',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: [ [ x ] ]) [ 1 ]\n             | ^\n\n       … while evaluating the return value of the filtering function passed to builtins.filter\n\n       error: expected a Boolean but found a list: [ «thunk» ]\n"),
    ('builtins.filter (x: [ [ x ] ]) [ 1 ]', '2',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: [ [ x ] ]) [ 1 ]\n             | ^\n\n       … while evaluating the return value of the filtering function passed to builtins.filter\n\n       error: expected a Boolean but found a list: [ «thunk» ]\n"),
    ('builtins.filter (x: [ [ x ] ]) [ 1 ]', '1',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: [ [ x ] ]) [ 1 ]\n             | ^\n\n       … while evaluating the return value of the filtering function passed to builtins.filter\n\n       error: expected a Boolean but found a list: [ «thunk» ]\n"),
    ('builtins.filter (x: builtins.head x) [ [ true ] [ ] ]', '10000',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:18:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             |                  ^\n\n       … while calling the 'head' builtin\n         at «string»:1:21:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             |                     ^\n\n       error: 'builtins.head' called on an empty list\n"),
    ('builtins.filter (x: builtins.head x) [ [ true ] [ ] ]', '2',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:18:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             |                  ^\n\n       … while calling the 'head' builtin\n         at «string»:1:21:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             |                     ^\n\n       error: 'builtins.head' called on an empty list\n"),
    ('builtins.filter (x: builtins.head x) [ [ true ] [ ] ]', '1',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:1:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:18:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             |                  ^\n\n       … while calling the 'head' builtin\n         at «string»:1:21:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             |                     ^\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:21:\n            1| builtins.filter (x: builtins.head x) [ [ true ] [ ] ]\n             |                     ^\n"),
    ('let p = x: x > 1; in builtins.filter p [ 1 2 3 ]', '10000',
     '[ 2 3 ]\n'),
    ('let p = x: x > 1; in builtins.filter p [ 1 2 3 ]', '2',
     '[ 2 3 ]\n'),
    ('let p = x: x > 1; in builtins.filter p [ 1 2 3 ]', '1',
     "error:\n       … while calling the 'filter' builtin\n         at «string»:1:22:\n            1| let p = x: x > 1; in builtins.filter p [ 1 2 3 ]\n             |                      ^\n\n       … while calling 'p'\n         at «string»:1:9:\n            1| let p = x: x > 1; in builtins.filter p [ 1 2 3 ]\n             |         ^\n\n       … while calling the 'lessThan' builtin\n         at «string»:1:14:\n            1| let p = x: x > 1; in builtins.filter p [ 1 2 3 ]\n             |              ^\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:14:\n            1| let p = x: x > 1; in builtins.filter p [ 1 2 3 ]\n             |              ^\n"),
    ('builtins.concatMap (x: 1) [ 1 ]', '10000',
     "error:\n       … while calling the 'concatMap' builtin\n         at «string»:1:1:\n            1| builtins.concatMap (x: 1) [ 1 ]\n             | ^\n\n       … while evaluating the return value of the function passed to builtins.concatMap\n         at «string»:1:21:\n            1| builtins.concatMap (x: 1) [ 1 ]\n             |                     ^\n\n       error: expected a list but found an integer: 1\n"),
    ('builtins.concatMap (x: 1) [ 1 ]', '2',
     "error:\n       … while calling the 'concatMap' builtin\n         at «string»:1:1:\n            1| builtins.concatMap (x: 1) [ 1 ]\n             | ^\n\n       … while evaluating the return value of the function passed to builtins.concatMap\n         at «string»:1:21:\n            1| builtins.concatMap (x: 1) [ 1 ]\n             |                     ^\n\n       error: expected a list but found an integer: 1\n"),
    ('builtins.concatMap (x: 1) [ 1 ]', '1',
     "error:\n       … while calling the 'concatMap' builtin\n         at «string»:1:1:\n            1| builtins.concatMap (x: 1) [ 1 ]\n             | ^\n\n       … while evaluating the return value of the function passed to builtins.concatMap\n         at «string»:1:21:\n            1| builtins.concatMap (x: 1) [ 1 ]\n             |                     ^\n\n       error: expected a list but found an integer: 1\n"),
    ('builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]', '10000',
     "error:\n       … while calling the 'concatMap' builtin\n         at «string»:1:1:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:21:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             |                     ^\n\n       … while evaluating one of the elements to concatenate\n         at «string»:1:30:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             |                              ^\n\n       error: expected a list but found an integer: 2\n"),
    ('builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]', '2',
     "error:\n       … while calling the 'concatMap' builtin\n         at «string»:1:1:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:21:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             |                     ^\n\n       … while evaluating one of the elements to concatenate\n         at «string»:1:30:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             |                              ^\n\n       error: expected a list but found an integer: 2\n"),
    ('builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]', '1',
     "error:\n       … while calling the 'concatMap' builtin\n         at «string»:1:1:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:21:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             |                     ^\n\n       … while evaluating one of the elements to concatenate\n         at «string»:1:30:\n            1| builtins.concatMap (x: [ x ] ++ x) [ [ 1 ] 2 ]\n             |                              ^\n\n       error: expected a list but found an integer: 2\n"),
    ('builtins.concatMap (x: throw "c") [ ]', '10000',
     '[ ]\n'),
    ('builtins.concatMap (x: throw "c") [ ]', '2',
     '[ ]\n'),
    ('builtins.concatMap (x: throw "c") [ ]', '1',
     '[ ]\n'),
    ('let f = x: if x == 2 then [ x ] else [ ]; in builtins.concatMap f [ 1 2 3 ]', '10000',
     '[ 2 ]\n'),
    ('let f = x: if x == 2 then [ x ] else [ ]; in builtins.concatMap f [ 1 2 3 ]', '2',
     '[ 2 ]\n'),
    ('let f = x: if x == 2 then [ x ] else [ ]; in builtins.concatMap f [ 1 2 3 ]', '1',
     '[ 2 ]\n'),
    ('builtins.concatMap (x: [ [ x ] ]) [ 1 2 ]', '10000',
     '[ [ 1 ] [ 2 ] ]\n'),
    ('builtins.concatMap (x: [ [ x ] ]) [ 1 2 ]', '2',
     '[ [ 1 ] [ 2 ] ]\n'),
    ('builtins.concatMap (x: [ [ x ] ]) [ 1 2 ]', '1',
     'error:\n       … while evaluating list element at index 0\n\n       … while evaluating list element at index 0\n\n       error: stack overflow; max-call-depth exceeded\n'),
    ('builtins.any (x: x.a) [ { a = false; } { } ]', '10000',
     "error:\n       … while calling the 'any' builtin\n         at «string»:1:1:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:15:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             |               ^\n\n       … while evaluating the attribute 'a'\n         at «string»:1:18:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             |                  ^\n\n       error: attribute 'a' missing\n"),
    ('builtins.any (x: x.a) [ { a = false; } { } ]', '2',
     "error:\n       … while calling the 'any' builtin\n         at «string»:1:1:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:15:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             |               ^\n\n       … while evaluating the attribute 'a'\n         at «string»:1:18:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             |                  ^\n\n       error: attribute 'a' missing\n"),
    ('builtins.any (x: x.a) [ { a = false; } { } ]', '1',
     "error:\n       … while calling the 'any' builtin\n         at «string»:1:1:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             | ^\n\n       … while calling anonymous lambda\n         at «string»:1:15:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             |               ^\n\n       … while evaluating the attribute 'a'\n         at «string»:1:18:\n            1| builtins.any (x: x.a) [ { a = false; } { } ]\n             |                  ^\n\n       error: attribute 'a' missing\n"),
    ('builtins.all (x: x) [ true 1 ]', '10000',
     "error:\n       … while calling the 'all' builtin\n         at «string»:1:1:\n            1| builtins.all (x: x) [ true 1 ]\n             | ^\n\n       … while evaluating the return value of the function passed to builtins.all\n\n       error: expected a Boolean but found an integer: 1\n"),
    ('builtins.all (x: x) [ true 1 ]', '2',
     "error:\n       … while calling the 'all' builtin\n         at «string»:1:1:\n            1| builtins.all (x: x) [ true 1 ]\n             | ^\n\n       … while evaluating the return value of the function passed to builtins.all\n\n       error: expected a Boolean but found an integer: 1\n"),
    ('builtins.all (x: x) [ true 1 ]', '1',
     "error:\n       … while calling the 'all' builtin\n         at «string»:1:1:\n            1| builtins.all (x: x) [ true 1 ]\n             | ^\n\n       … while evaluating the return value of the function passed to builtins.all\n\n       error: expected a Boolean but found an integer: 1\n"),
    ('builtins.all (x: throw "never") [ ]', '10000',
     'true\n'),
    ('builtins.all (x: throw "never") [ ]', '2',
     'true\n'),
    ('builtins.all (x: throw "never") [ ]', '1',
     'true\n'),
    ('let q = x: builtins.head [ x ]; in builtins.any q [ false true ]', '10000',
     'true\n'),
    ('let q = x: builtins.head [ x ]; in builtins.any q [ false true ]', '2',
     'true\n'),
    ('let q = x: builtins.head [ x ]; in builtins.any q [ false true ]', '1',
     "error:\n       … while calling the 'any' builtin\n         at «string»:1:36:\n            1| let q = x: builtins.head [ x ]; in builtins.any q [ false true ]\n             |                                    ^\n\n       … while calling 'q'\n         at «string»:1:9:\n            1| let q = x: builtins.head [ x ]; in builtins.any q [ false true ]\n             |         ^\n\n       … while calling the 'head' builtin\n         at «string»:1:12:\n            1| let q = x: builtins.head [ x ]; in builtins.any q [ false true ]\n             |            ^\n\n       error: stack overflow; max-call-depth exceeded\n       at «string»:1:12:\n            1| let q = x: builtins.head [ x ]; in builtins.any q [ false true ]\n             |            ^\n"),
]


@pytest.mark.parametrize("expr,depth,out", MAP_OF_ONE + MAP_ATTRS_LATER + LAMBDA_LOOPS,
                         ids=[f"{e} {d}" for e, d, _ in MAP_OF_ONE + MAP_ATTRS_LATER + LAMBDA_LOOPS])
def test_map_of_one(expr, depth, out):
    assert fresh("instantiate", "--eval", "--strict", "--show-trace", "--max-call-depth", depth, "-E", expr) == out



@pytest.mark.parametrize("expr,values,through_call2", [
    ("builtins.mapAttrs (n: v: v * 2) { a = 1; b = 2; c = 3; d = 4; }", [2, 4, 6, 8], []),
    ("builtins.zipAttrsWith (n: vs: builtins.length vs) [ { a = 1; b = 2; } { b = 3; } ]", [1, 2], []),
    # not `name: value: ...`: every call through call2
    ("builtins.mapAttrs (n: { x }: x) { a = { x = 1; }; b = { x = 2; }; }", [1, 2], ["a", "b"]),
    ("builtins.mapAttrs builtins.seq { a = 1; b = 2; }", [1, 2], ["a", "b"]),
])
def test_map_attrs_calls_go_direct(monkeypatch, expr, values, through_call2):
    """mapAttrs' and zipAttrsWith's thunks enter a lambda `name: value: ...`
    at its inner body, the first call too (from no position, as Nix makes
    it while the function is an unevaluated argument: MAP_ATTRS_LATER and
    TRACES record the frames); other functions go through call2."""
    from nixlang.builtins import attrs

    calls = []
    real = attrs.call2

    def counting(*args):
        calls.append(args[2])
        return real(*args)
    monkeypatch.setattr(attrs, "call2", counting)
    ev = Evaluator()
    v = ev.eval_string(f"builtins.attrValues ({expr})")
    assert [force(x) for x in v] == values
    assert calls == through_call2


@pytest.mark.parametrize("expr,value", [
    ("builtins.filter (x: x > 1) [ 1 2 3 ]", [2, 3]),
    ("builtins.concatMap (x: [ x x ]) [ 1 2 ]", [1, 1, 2, 2]),
    ("builtins.any (x: x == 2) [ 1 2 ]", True),
    ("builtins.all (x: x < 2) [ 1 2 ]", False),
])
def test_list_builtins_enter_plain_lambdas_directly(monkeypatch, expr, value):
    """filter, concatMap, any and all call a lambda `x: ...` without a
    runtime.calls.caller made for it (a lambda with formals still takes it)."""
    from nixlang.builtins import lists

    made = []
    real = lists.caller

    def counting(ev, f, *rest):
        made.append(f)
        return real(ev, f, *rest)
    monkeypatch.setattr(lists, "caller", counting)
    ev = Evaluator()
    v = ev.eval_string(expr)
    ev.deep_force(v)
    assert (v if type(v) is bool else [force(x) for x in v]) == value
    assert made == []
    ev.deep_force(ev.eval_string("builtins.filter ({ a }: a) [ { a = true; } ]"))
    assert len(made) == 1


def test_arith_sites_remember_their_builtin(monkeypatch):
    """`n - 1` and `n < 1` read `__sub` / `__lessThan` from the base
    environment once (the site's memo): tier 2's pre-evaluated integer
    arguments depend on it, and without it fib 28 made a thunk per argument
    again (35% slower, after the readers' memo moved to a default argument)."""
    from nixlang.compile import functions
    from nixlang.evaluator import Evaluator

    sites = []
    init = functions.ArithSite.__init__

    def recording(self, *args):
        init(self, *args)
        sites.append(self)
    monkeypatch.setattr(functions.ArithSite, "__init__", recording)
    ev = Evaluator()
    assert ev.eval_string("let f = n: if n < 1 then 0 else f (n - 1); in f 50") == 0
    assert {s.which for s in sites} >= {"sub", "lessThan"}
    for s in sites:
        assert type(s.memo) is list and s.memo == [s.prim], s.which


# bind_formals' work written out per lambda (calls.make_binder): the same
# frames and the same errors (a binder leaves them to bind_formals) as the
# loop over the formals, with the binder made before the first call's
# binding (BINDER_AFTER 0) or never; the values are Nix 2.8's
BINDERS = [
    ("let f = { a, b ? a + 1, ... }@s: [ a b (s.c or 0) ]; in [ (f { a = 1; }) (f { a = 1; c = 3; }) "
     "(f { a = 1; b = 5; }) (f { a = 2; }) ]", "[ [ 1 2 0 ] [ 1 2 3 ] [ 1 5 0 ] [ 2 3 0 ] ]"),
    ("let g = { a, b ? 2 }: [ a b ]; in [ (g { a = 1; }) (g { a = 1; b = null; }) (g { a = null; }) "
     "(g { b = 1; a = 0; }) ]", "[ [ 1 2 ] [ 1 null ] [ null 2 ] [ 0 1 ] ]"),
    ("let g = { a, b ? 2 }: a; in [ (g { a = 1; }) (g { a = 1; }) (g { a = 1; b = null; c = 1; }) ]",
     "error: function 'g' called with unexpected argument 'c'"),
    ("let g = { a, b ? 2 }: a; in [ (g { a = 1; }) (g { a = 1; }) (g { b = 1; }) ]",
     "error: function 'g' called without required argument 'a'"),
    ("let g = { a ? b, b ? a }: a; in [ (g { a = 1; }) (g { b = 2; }) (g { a = 3; b = 4; }) (g { }) ]",
     "error: infinite recursion encountered"),
    ('let g = { ... }: 1; in [ (g { }) (g { a = 1; }) (g { b = throw "b"; }) ]', "[ 1 1 1 ]"),
    ("let g = s@{ x ? s.y, ... }: x; in [ (g { y = 1; }) (g { x = 2; }) (g { x = null; y = 3; }) ]",
     "[ 1 2 null ]"),
    # an attrset of BIG names and more (a BigDict) as the argument
    ('let g = { a }: a; in [ (g { a = 1; }) (g { a = 2; }) (g (builtins.listToAttrs (builtins.genList '
     '(i: { name = "a${toString i}"; value = i; }) 3000))) ]',
     "error: function 'g' called without required argument 'a'"),
    ('let g = { a0, ... }: a0; in [ (g { a0 = 1; }) (g { a0 = 2; }) (g (builtins.listToAttrs (builtins.genList '
     '(i: { name = "a${toString i}"; value = i; }) 3000))) ]', "[ 1 2 0 ]"),
    ("let g = { a }: a; in [ (g { a = 1; }) (g { a = 2; }) (g 3) ]",
     "error: expected a set but found an integer: 3"),
    # a default naming a builtin: read through its reader's memo (global_lazy.memo)
    ("let f = { a ? null, b ? true, c ? builtins.length }: [ a b (c [ 1 ]) ]; "
     "in [ (f { }) (f { a = 1; }) (f { c = x: 2; }) (f { }) ]",
     "[ [ null true 1 ] [ 1 true 1 ] [ null true 2 ] [ null true 1 ] ]"),
    ("let null = 5; f = { a ? null }: a; in [ (f { }) (f { }) (f { a = 1; }) (f { }) ]", "[ 5 5 1 5 ]"),
]


@pytest.mark.parametrize("after", [0, 10**9])
@pytest.mark.parametrize("expr,out", BINDERS, ids=[e for e, _ in BINDERS])
def test_formals_binder(expr, out, after, monkeypatch):
    import nixlang.runtime.calls as calls
    monkeypatch.setattr(calls, "BINDER_AFTER", after)
    assert output(expr) == out
