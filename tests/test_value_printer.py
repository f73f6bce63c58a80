"""The value printer (nixlang/runtime/printer.py): `--eval` and `--eval --strict`
output as nix-instantiate prints it. Each row was printed the same by Nix 2.8
(`nix-instantiate --eval [--strict] -E EXPR`): escapes, quoted and reserved
names, names sorted, «repeated» for sharing, <CODE> for what a lazy print
does not evaluate (and the values of thunks forced before), <LAMBDA>,
<PRIMOP>, <PRIMOP-APP>, floats. The printer writes plain values in a list or
attrset without a call each and keeps each attrset shape's sorted names:
these rows hold it to the output of the walk that printed each value by itself.
"""
from __future__ import annotations

import io

import pytest

from nixlang.cli import run

ROWS = [
    # (expression, --strict, Nix 2.8's output)
    ('[ 1 "a\\"b\\\\c" "x${"$"}{y}" "tab\\there" null true false 1.5 /tmp/pt (x: x) builtins.map (builtins.map (x: x)) ]',
     True, '[ 1 "a\\"b\\\\c" "x\\${y}" "tab\\there" null true false 1.5 /tmp/pt <LAMBDA> <PRIMOP> <PRIMOP-APP> ]'),
    ('[ 1 "a\\"b\\\\c" "x${"$"}{y}" "tab\\there" null true false 1.5 /tmp/pt (x: x) builtins.map (builtins.map (x: x)) ]',
     False, '[ 1 "a\\"b\\\\c" <CODE> "tab\\there" null true false 1.5 /tmp/pt <CODE> <CODE> <CODE> ]'),
    ('{ a = 1; "b c" = 2; "if" = 3; "" = 4; z = [ ]; y = { }; x = "s"; w = null; v = true; }',
     True, '{ "" = 4; a = 1; "b c" = 2; "if" = 3; v = true; w = null; x = "s"; y = { }; z = [ ]; }'),
    ('{ a = 1; "b c" = 2; "if" = 3; "" = 4; z = [ ]; y = { }; x = "s"; w = null; v = true; }',
     False, '{ "" = 4; a = 1; "b c" = 2; "if" = 3; v = true; w = null; x = "s"; y = <CODE>; z = <CODE>; }'),
    ('let s = { p = 1; }; l = [ 1 2 ]; in [ s s l l { inherit s l; } ]',
     True, '[ { p = 1; } «repeated» [ 1 2 ] «repeated» { l = «repeated»; s = «repeated»; } ]'),
    ('let s = { p = 1; }; l = [ 1 2 ]; in [ s s l l { inherit s l; } ]',
     False, '[ <CODE> <CODE> <CODE> <CODE> <CODE> ]'),
    ('let xs = builtins.genList (i: { id = i; name = "n${toString i}"; ok = i / 2 * 2 == i; tags = [ "a" null ]; }) 3; in [ xs xs ]',
     True, '[ [ { id = 0; name = "n0"; ok = true; tags = [ "a" null ]; } { id = 1; name = "n1"; ok = false; tags = [ "a" null ]; } { id = 2; name = "n2"; ok = true; tags = [ "a" null ]; } ] «repeated» ]'),
    ('let xs = builtins.genList (i: { id = i; name = "n${toString i}"; ok = i / 2 * 2 == i; tags = [ "a" null ]; }) 3; in [ xs xs ]',
     False, '[ <CODE> <CODE> ]'),
    ('let a = { x = 1; }; in [ a (a // { }) (builtins.head [ a ]) ]',
     True, '[ { x = 1; } «repeated» «repeated» ]'),
    ('let a = { x = 1; }; in [ a (a // { }) (builtins.head [ a ]) ]',
     False, '[ <CODE> <CODE> <CODE> ]'),
    ('[ (builtins.toString 5) 2.0 1.0e30 (0.1 + 0.2) (-0.0) ]',
     True, '[ "5" 2 1e+30 0.3 0 ]'),
    ('[ (builtins.toString 5) 2.0 1.0e30 (0.1 + 0.2) (-0.0) ]',
     False, '[ <CODE> 2 1e+30 <CODE> <CODE> ]'),
    ('{ deep = { er = { still = [ [ [ { a = 1; } ] ] ]; }; }; }',
     True, '{ deep = { er = { still = [ [ [ { a = 1; } ] ] ]; }; }; }'),
    ('{ deep = { er = { still = [ [ [ { a = 1; } ] ] ]; }; }; }',
     False, '{ deep = <CODE>; }'),
    ('let f = x: { inherit x; y = x + 1; }; in builtins.genList f 4',
     True, '[ { x = 0; y = 1; } { x = 1; y = 2; } { x = 2; y = 3; } { x = 3; y = 4; } ]'),
    ('let f = x: { inherit x; y = x + 1; }; in builtins.genList f 4',
     False, '[ <CODE> <CODE> <CODE> <CODE> ]'),
    ('let l = [ (1 + 1) (2 + 2) { a = 3 + 3; } ]; in builtins.seq (builtins.elemAt l 0) (builtins.seq (builtins.elemAt l 2).a l)',
     True, '[ 2 4 { a = 6; } ]'),
    ('let l = [ (1 + 1) (2 + 2) { a = 3 + 3; } ]; in builtins.seq (builtins.elemAt l 0) (builtins.seq (builtins.elemAt l 2).a l)',
     False, '[ 2 <CODE> { a = 6; } ]'),
]


@pytest.mark.parametrize("expr,strict,printed", ROWS, ids=[f"{'strict' if r[1] else 'lazy'}:{r[0][:40]}" for r in ROWS])
def test_prints_as_nix(expr, strict, printed):
    out, err = io.StringIO(), io.StringIO()
    rc = run(["instantiate", "--eval", *(["--strict"] if strict else []), "-E", expr], out, err)
    assert (rc, out.getvalue(), err.getvalue()) == (0, printed + "\n", "")
