"""Attribute-set builtins and the small integer ones (nixlang/builtins/attrs.py).

Expected values were checked against real Nix (2.8) where it agrees with
Nix 2.36; the cases where 2.36 differs are marked."""
from __future__ import annotations

import pytest

from nixlang.errors import NixError
from nixlang.evaluator import Evaluator
from nixlang.runtime.printer import print_value


def run(expr: str, **kw) -> str:
    ev = Evaluator()
    v = ev.eval_string(expr, **kw)
    ev.deep_force(v)
    return print_value(v)


OK = [
    # attrNames / attrValues: sorted by name
    ('builtins.attrNames { y = 1; x = 2; "a b" = 3; }', '[ "a b" "x" "y" ]'),
    ('builtins.attrNames { }', '[ ]'),
    ('builtins.attrNames ({ y = "y"; x = "x"; } // { x = "newx"; bar = 1; })', '[ "bar" "x" "y" ]'),
    ('builtins.attrValues { y = 1; x = 2; z = 0; }', '[ 2 1 0 ]'),
    ('builtins.attrValues { }', '[ ]'),
    ('builtins.length (builtins.attrNames { a = throw "lazy"; })', '1'),
    ('builtins.attrNames { B = 1; a = 2; _c = 3; "1" = 4; }', '[ "1" "B" "_c" "a" ]'),
    # getAttr / hasAttr
    ('builtins.getAttr "x" { x = 1; y = throw "lazy"; }', '1'),
    ('builtins.getAttr ("x" + "y") { xy = [ 1 ]; }', '[ 1 ]'),
    ('builtins.hasAttr "x" { x = throw "lazy"; }', 'true'),
    ('builtins.hasAttr "z" { x = 1; }', 'false'),
    ('let A = "a"; as = { a = 1; } // { z = 2; }; in [ (builtins.hasAttr A as) (builtins.getAttr "z" as) ]',
     '[ true 2 ]'),
    # removeAttrs
    ('builtins.removeAttrs { x = 1; y = 2; } [ "x" "z" ]', '{ y = 2; }'),
    ('builtins.removeAttrs { x = 1; } [ ]', '{ x = 1; }'),
    ('builtins.removeAttrs { x = throw "no"; y = 2; } [ "x" ]', '{ y = 2; }'),
    ('builtins.removeAttrs { x = 1; y = 2; } [ "x" "y" ]', '{ }'),
    # listToAttrs: first occurrence wins; values stay lazy
    ('builtins.listToAttrs [ { name = "a"; value = 1; } { name = "b"; value = 2; } ]', '{ a = 1; b = 2; }'),
    ('builtins.listToAttrs [ { name = "foo"; value = "bar"; } { name = "foo"; value = "bla"; } ]',
     '{ foo = "bar"; }'),
    ('(builtins.listToAttrs [ { name = "a"; value = 1; } { name = "t"; value = throw "lazy"; } ]).a', '1'),
    ('builtins.listToAttrs [ ]', '{ }'),
    ('builtins.listToAttrs [ { name = "a"; value = 1; extra = throw "ignored"; } ]', '{ a = 1; }'),
    ('builtins.listToAttrs [ { name = "a"; value = 1; } { name = "a"; } ]', '{ a = 1; }'),
    # mapAttrs: lazy in the function and in the values
    ('builtins.mapAttrs (name: value: name + "-" + value) { x = "foo"; y = "bar"; }',
     '{ x = "x-foo"; y = "y-bar"; }'),
    ('builtins.attrNames (builtins.mapAttrs throw { a = 1; b = 2; })', '[ "a" "b" ]'),
    ('(builtins.mapAttrs (n: v: v * 10) { x = 1; y = throw "lazy"; }).x', '10'),
    ('builtins.mapAttrs (n: v: v) { }', '{ }'),
    # intersectAttrs: names of both, values of the second, nothing forced
    ('builtins.intersectAttrs { a = abort "l"; } { a = 1; b = 2; }', '{ a = 1; }'),
    ('builtins.intersectAttrs { a = abort "l1"; } { b = abort "r1"; }', '{ }'),
    ('builtins.intersectAttrs { x = 0; y = 0; z = 0; } { y = 2; }', '{ y = 2; }'),
    ('builtins.intersectAttrs (builtins.mapAttrs throw { a = 1; b = 2; c = 3; }) { a = 1; c = 3; }',
     '{ a = 1; c = 3; }'),
    # catAttrs
    ('builtins.catAttrs "a" [ { a = 1; } { b = 0; } { a = 2; } ]', '[ 1 2 ]'),
    ('builtins.catAttrs "a" [ ]', '[ ]'),
    ('builtins.length (builtins.catAttrs "a" [ { a = throw "lazy"; } ])', '1'),
    # functionArgs
    ('builtins.functionArgs ({ a, b ? 1, ... }: a)', '{ a = false; b = true; }'),
    ('builtins.functionArgs (x: x)', '{ }'),
    ('builtins.functionArgs ({ }: 1)', '{ }'),
    ('builtins.functionArgs builtins.add', '{ }'),
    ('builtins.functionArgs (builtins.add 1)', '{ }'),
    ('builtins.functionArgs (args@{ x, y ? x }: args)', '{ x = false; y = true; }'),
    # zipAttrsWith
    ('builtins.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]', '{ a = [ 1 2 ]; b = [ 3 ]; }'),
    ('builtins.zipAttrsWith (n: vs: { inherit n vs; }) [ { x = "a"; } { } { x = "b"; } ]',
     '{ x = { n = "x"; vs = [ "a" "b" ]; }; }'),
    ('builtins.zipAttrsWith (n: vs: n) [ ]', '{ }'),
    ('builtins.attrNames (builtins.zipAttrsWith throw [ { a = 1; } ])', '[ "a" ]'),
    ('builtins.zipAttrsWith (n: vs: builtins.length vs) [ { a = throw "lazy"; } { a = 1; } ]', '{ a = 2; }'),
    # unsafeGetAttrPos: null when absent or without a position
    ('builtins.unsafeGetAttrPos "abort" builtins', 'null'),
    ('builtins.unsafeGetAttrPos "nope" { a = 1; }', 'null'),
    # Nix 2.36 (unlike 2.8): an expression not read from a file has no position file -> null
    ('builtins.unsafeGetAttrPos "a" { a = 1; }', 'null'),
    # bit operations
    ('builtins.bitAnd 12 10', '8'),
    ('builtins.bitOr 12 10', '14'),
    ('builtins.bitXor 12 10', '6'),
    ('builtins.bitAnd (-1) 255', '255'),
    ('builtins.bitOr (-8) 3', '-5'),
    ('builtins.bitXor (-1) 0', '-1'),
    ('builtins.bitAnd 9223372036854775807 (-9223372036854775807 - 1)', '0'),
    # ceil / floor
    ('[ (builtins.floor 23.5) (builtins.ceil 23.5) (builtins.floor 23) (builtins.ceil 23) ]', '[ 23 24 23 23 ]'),
    ('[ (builtins.floor (-2.5)) (builtins.ceil (-2.5)) (builtins.ceil (-0.5)) ]', '[ -3 -2 0 ]'),
    ('builtins.ceil 1.0e15', '1000000000000000'),
    # like Nix 2.36: the int goes through a double (2^53 + 1 rounds down), and INT64_MAX stays itself
    ('builtins.ceil 9007199254740993', '9007199254740992'),
    ('builtins.floor 9223372036854775807', '9223372036854775807'),
]


@pytest.mark.parametrize("expr,expected", OK)
def test_value(expr, expected):
    assert run(expr) == expected


FAIL = [
    ('builtins.attrNames [ ]', 'expected a set but found a list: [ ]'),
    ('builtins.attrValues [ ]', 'expected a set but found a list: [ ]'),
    ('builtins.getAttr [ ] [ ]', 'expected a string but found a list: [ ]'),
    ('builtins.getAttr "foo" [ ]', 'expected a set but found a list: [ ]'),
    ('builtins.getAttr "foo" { }', "attribute 'foo' missing"),
    ('builtins.hasAttr [ ] [ ]', 'expected a string but found a list: [ ]'),
    ('builtins.hasAttr "foo" [ ]', 'expected a set but found a list: [ ]'),
    ('builtins.removeAttrs "" [ "1" ]', 'expected a set but found a string: ""'),
    ('builtins.removeAttrs { } ""', 'expected a list but found a string: ""'),
    ('builtins.removeAttrs { } [ 1 ]', 'expected a string but found an integer: 1'),
    ('builtins.listToAttrs 1', 'expected a list but found an integer: 1'),
    ('builtins.listToAttrs [ 1 ]', 'expected a set but found an integer: 1'),
    ('builtins.listToAttrs [ { } ]', "attribute 'name' missing"),
    ('builtins.listToAttrs [ { name = 1; } ]', 'expected a string but found an integer: 1'),
    ('builtins.listToAttrs [ { name = "foo"; } ]', "attribute 'value' missing"),
    # all names are checked before any value
    ('builtins.listToAttrs [ { name = "a"; } { } ]', "attribute 'name' missing"),
    ('builtins.mapAttrs [ ] [ ]', 'expected a set but found a list: [ ]'),
    ('builtins.mapAttrs "" { foo.bar = 1; }', 'attempt to call something which is not a function but a string: ""'),
    ('builtins.mapAttrs (x: x + "1") { foo.bar = 1; }',
     'attempt to call something which is not a function but a string: "foo1"'),
    ('builtins.intersectAttrs [ ] [ ]', 'expected a set but found a list: [ ]'),
    ('builtins.intersectAttrs { } [ ]', 'expected a set but found a list: [ ]'),
    ('builtins.catAttrs [ ] { }', 'expected a string but found a list: [ ]'),
    ('builtins.catAttrs "foo" { }', 'expected a list but found a set: { }'),
    ('builtins.catAttrs "foo" [ { foo = 1; } 1 { bar = 5; } ]', 'expected a set but found an integer: 1'),
    ('builtins.functionArgs { }', "'functionArgs' requires a function"),
    ('builtins.functionArgs 1', "'functionArgs' requires a function"),
    ('builtins.zipAttrsWith [ ] [ 1 ]', 'expected a function but found a list: [ ]'),
    ('builtins.zipAttrsWith (_: 1) [ 1 ]', 'expected a set but found an integer: 1'),
    ('builtins.zipAttrsWith (_: 1) [ { foo = 1; } ]',
     'attempt to call something which is not a function but an integer: 1'),
    ('builtins.unsafeGetAttrPos 1 { }', 'expected a string but found an integer: 1'),
    ('builtins.unsafeGetAttrPos "a" 1', 'expected a set but found an integer: 1'),
    ('builtins.bitAnd 1.1 2', 'expected an integer but found a float: 1.1'),
    ('builtins.bitAnd 1 2.2', 'expected an integer but found a float: 2.2'),
    ('builtins.bitOr 1.1 2', 'expected an integer but found a float: 1.1'),
    ('builtins.bitOr 1 2.2', 'expected an integer but found a float: 2.2'),
    ('builtins.bitXor 1.1 2', 'expected an integer but found a float: 1.1'),
    ('builtins.bitXor 1 true', 'expected an integer but found a Boolean: true'),
    ('builtins.ceil "foo"', 'expected a float but found a string: "foo"'),
    ('builtins.floor "foo"', 'expected a float but found a string: "foo"'),
    ('builtins.floor true', 'expected a float but found a Boolean: true'),
]


@pytest.mark.parametrize("expr,message", FAIL)
def test_error(expr, message):
    with pytest.raises(NixError) as info:
        run(expr)
    assert info.value.message == message


FRAMES = [
    ('builtins.attrNames [ ]', 'while evaluating the argument passed to builtins.attrNames'),
    ('builtins.bitAnd 1 2.2', 'while evaluating the second argument passed to builtins.bitAnd'),
    ('builtins.getAttr "foo" { }', 'in the attribute set under consideration'),
    ('builtins.listToAttrs [ { } ]', 'in a {name=...; value=...;} pair'),
    ('builtins.catAttrs "foo" [ 1 ]',
     'while evaluating an element in the list passed as second argument to builtins.catAttrs'),
    ('builtins.zipAttrsWith (_: 1) [ 1 ]',
     'while evaluating a value of the list passed as second argument to builtins.zipAttrsWith'),
    ('builtins.removeAttrs { } [ 1 ]',
     'while evaluating the values of the second argument passed to builtins.removeAttrs'),
    ('builtins.floor "foo"', 'while evaluating the first argument passed to builtins.floor'),
]


@pytest.mark.parametrize("expr,frame", FRAMES)
def test_trace_frame(expr, frame):
    with pytest.raises(NixError) as info:
        run(expr)
    assert frame in [f.message for f in info.value.frames]


@pytest.mark.parametrize("expr,frame,present", [
    # attrsets and lists: only a type mismatch gets the argument frame (forceAttrs / forceList)
    ('builtins.attrNames (throw "x")', 'while evaluating the argument passed to builtins.attrNames', False),
    ('builtins.catAttrs "a" (throw "x")', 'while evaluating the second argument passed to builtins.catAttrs',
     False),
    # strings and integers: any error while evaluating the argument gets it (forceString / forceInt)
    ('builtins.getAttr (throw "x") { }', 'while evaluating the first argument passed to builtins.getAttr', True),
    ('builtins.bitAnd (throw "x") 1', 'while evaluating the first argument passed to builtins.bitAnd', True),
])
def test_argument_frame_scope(expr, frame, present):
    with pytest.raises(NixError) as info:
        run(expr)
    assert info.value.message == "x"
    assert (frame in [f.message for f in info.value.frames]) is present


def test_round_out_of_range():
    # Nix 2.36 refuses a float outside the 64-bit range (the exact wording is not pinned here)
    with pytest.raises(NixError) as info:
        run("builtins.ceil 1.0e30")
    assert "out of range" in info.value.message


def test_positions_from_a_file(tmp_path):
    src = tmp_path / "pos.nix"
    src.write_text(
        "let\n"
        "  as = {\n"
        "    foo = \"bar\";\n"
        "  };\n"
        "  fun = { foo, bar ? 1 }: { };\n"
        "  l = builtins.listToAttrs [ { name = \"a\"; value = 1; } ];\n"
        "  p = n: s: builtins.unsafeGetAttrPos n s;\n"
        "in [\n"
        "  (p \"foo\" as)\n"
        "  (p \"bar\" (builtins.functionArgs fun))\n"
        "  (p \"a\" l)\n"
        "  (p \"foo\" (builtins.removeAttrs as [ \"x\" ]))\n"
        "  (p \"foo\" (builtins.intersectAttrs as as))\n"
        "  (p \"foo\" (builtins.mapAttrs (n: v: v) as))\n"
        "  (p \"foo\" (builtins.zipAttrsWith (n: v: v) [ as ]))\n"
        "]\n")
    ev = Evaluator()
    v = ev.eval_file(str(src))
    ev.deep_force(v)
    f = str(src)
    pos = lambda line, col: f'{{ column = {col}; file = "{f}"; line = {line}; }}'
    assert print_value(v) == ("[ " + " ".join([pos(3, 5), pos(5, 16), pos(6, 44), pos(3, 5), pos(3, 5),
                                                  "null", "null"]) + " ]")


def test_docstrings():
    from nixlang.builtins import REGISTRY, load_all
    load_all()
    for name in ("attrNames", "attrValues", "getAttr", "hasAttr", "removeAttrs", "listToAttrs",
                 "mapAttrs", "intersectAttrs", "catAttrs", "functionArgs", "zipAttrsWith",
                 "unsafeGetAttrPos", "bitAnd", "bitOr", "bitXor", "ceil", "floor"):
        assert REGISTRY[name].doc, name
