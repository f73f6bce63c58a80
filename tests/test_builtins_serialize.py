"""Serialisation and hashing builtins: toJSON, fromJSON, toXML, fromTOML,
hashString, hashFile, convertHash. Expected values were checked against real
Nix (2.8 where it has the builtin; the conformance suite pins 2.36)."""
from __future__ import annotations

import pytest

from nixlang import errors as E
from nixlang.builtins import serialize
from nixlang.evaluator import EvalOptions, Evaluator
from nixlang.runtime.printer import print_value

from conftest import SUITE, needs_suite


def ev_print(expr: str, **opts) -> str:
    ev = Evaluator(EvalOptions(**opts)) if opts else Evaluator()
    v = ev.eval_string(expr)
    ev.deep_force(v)
    return print_value(v)


def ev_error(expr: str, **opts) -> E.NixError:
    ev = Evaluator(EvalOptions(**opts)) if opts else Evaluator()
    with pytest.raises(E.NixError) as info:
        v = ev.eval_string(expr)
        ev.deep_force(v)
    return info.value


XML_HEAD = "<?xml version='1.0' encoding='utf-8'?>\\n"

OKAY = [
    # -- toJSON ---------------------------------------------------------------------------
    ('builtins.toJSON { a = 123; b = -456; c = "foo"; e = true; f = null; g = [ 1 2 ]; }',
     r'"{\"a\":123,\"b\":-456,\"c\":\"foo\",\"e\":true,\"f\":null,\"g\":[1,2]}"'),
    ('builtins.toJSON [ 1.0 0.1 1.0e22 1.0e21 123456789012345678.0 1.0e-5 0.0001 (-0.0) ]',
     r'"[1.0,0.1,1e+22,1e+21,1.2345678901234568e+17,1e-05,0.0001,0.0]"'),
    ('builtins.toJSON [ 1.7976931348623157e308 3.14159 1.0e15 1.0e16 123456789012345.6 0.00012 (-2.5) ]',
     r'"[1.7976931348623157e+308,3.14159,1e+15,1e+16,123456789012345.6,0.00012,-2.5]"'),
    ('builtins.toJSON { "a b" = null; "\\n" = true; z = [ ]; }', r'"{\"\\n\":true,\"a b\":null,\"z\":[]}"'),
    ('builtins.toJSON { outPath = "x"; a = 1; }', r'"\"x\""'),
    ('builtins.toJSON { __toString = self: "won"; outPath = abort "no"; }', r'"\"won\""'),
    ('builtins.toJSON { __toString = self: { outPath = "deep"; }; }', r'"\"deep\""'),
    ('builtins.toJSON { outPath = { a = 1; b = 2; }; }', r'"{\"a\":1,\"b\":2}"'),
    ('builtins.toJSON { outPath = 42; }', '"42"'),
    ('builtins.toJSON { k = { __toString = self: self.a; a = "foo"; }; }', r'"{\"k\":\"foo\"}"'),
    # -- fromJSON -------------------------------------------------------------------------
    ("builtins.fromJSON ''{\"a\": [1, -2, 3.5, 1e3, -0, true, null, \"x\\u00e9\"], \"a\": 2}''", "{ a = 2; }"),
    ("builtins.fromJSON ''[1, -2, 3.5, 1e3, -0, true, null, \"x\\u00e9\"]''",
     '[ 1 -2 3.5 1000 0 true null "xé" ]'),
    ('builtins.fromJSON "  9223372036854775807 "', "9223372036854775807"),
    ('builtins.fromJSON "-9223372036854775808"', "-9223372036854775808"),
    ('builtins.fromJSON "-9223372036854775809"', "-9.22337e+18"),
    ('builtins.fromJSON "18446744073709551616"', "1.84467e+19"),
    ('builtins.fromJSON "[1e-400, 1E2, 0.5e1]"', "[ 0 100 5 ]"),
    ("builtins.fromJSON ''\"\\ud83d\\ude00 \\/ \\b\"''", '"😀 / \\b"'.replace("\\b", "\b")),
    ('builtins.fromJSON "[1, /* two */ 2] // end"', "[ 1 2 ]"),
    # -- toXML ----------------------------------------------------------------------------
    ('builtins.toXML { a = "s"; }',
     '"' + XML_HEAD + r'<expr>\n  <attrs>\n    <attr name=\"a\">\n      <string value=\"s\" />\n'
     r'    </attr>\n  </attrs>\n</expr>\n"'),
    ('builtins.toXML [ null true 1.5 1.0e20 "a<&\\"\\n>" /tmp { } ]',
     '"' + XML_HEAD + r'<expr>\n  <list>\n    <null />\n    <bool value=\"true\" />\n'
     r'    <float value=\"1.5\" />\n    <float value=\"1e+20\" />\n'
     r'    <string value=\"a&lt;&amp;&quot;&#xA;&gt;\" />\n    <path value=\"/tmp\" />\n'
     r'    <attrs>\n    </attrs>\n  </list>\n</expr>\n"'),
    ('builtins.toXML [ (x: x) ({ b, a ? 1, ... }@args: a) builtins.map (builtins.map (x: x)) ]',
     '"' + XML_HEAD + r'<expr>\n  <list>\n    <function>\n      <varpat name=\"x\" />\n    </function>\n'
     r'    <function>\n      <attrspat ellipsis=\"1\" name=\"args\">\n        <attr name=\"a\" />\n'
     r'        <attr name=\"b\" />\n      </attrspat>\n    </function>\n    <unevaluated />\n'
     r'    <unevaluated />\n  </list>\n</expr>\n"'),
    ('builtins.toXML { type = "derivation"; drvPath = "/d"; outPath = "/o"; '
     'x = { type = "derivation"; drvPath = "/d"; }; }',
     '"' + XML_HEAD + r'<expr>\n  <derivation drvPath=\"/d\" outPath=\"/o\">\n'
     r'    <attr name=\"drvPath\">\n      <string value=\"/d\" />\n    </attr>\n'
     r'    <attr name=\"outPath\">\n      <string value=\"/o\" />\n    </attr>\n'
     r'    <attr name=\"type\">\n      <string value=\"derivation\" />\n    </attr>\n'
     r'    <attr name=\"x\">\n      <derivation drvPath=\"/d\">\n        <repeated />\n'
     r'      </derivation>\n    </attr>\n  </derivation>\n</expr>\n"'),
    # -- fromTOML -------------------------------------------------------------------------
    ('builtins.fromTOML "a = 1\\nb = [1.5, \\"x\\", true]\\n[c]\\nd = {e = -7}"',
     '{ a = 1; b = [ 1.5 "x" true ]; c = { d = { e = -7; }; }; }'),
    ('builtins.fromTOML "a = nan\\nb = -inf\\nh = 0xff\\no = 0o17\\nbin = 0b101"',
     "{ a = nan; b = -inf; bin = 5; h = 255; o = 15; }"),
    ('builtins.fromTOML "x = 9223372036854775807\\ny = -9223372036854775808"',
     "{ x = 9223372036854775807; y = -9223372036854775808; }"),
    # -- hashing --------------------------------------------------------------------------
    ('builtins.hashString "md5" "abc"', '"900150983cd24fb0d6963f7d28e17f72"'),
    ('builtins.hashString "sha1" ""', '"da39a3ee5e6b4b0d3255bfef95601890afd80709"'),
    ('builtins.hashString "sha256" "text 1"',
     '"900a4469df00ccbfd0c145c6d1e4b7953dd0afafadd7534e3a4019e8d38fc663"'),
    ('builtins.hashString "sha512" ""',
     '"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"'),
    ('builtins.convertHash { hash = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; '
     'toHashFormat = "nix32"; }', '"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"'),
    ('builtins.convertHash { hash = "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73"; '
     'hashAlgo = "sha256"; toHashFormat = "sri"; }', '"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="'),
    ('builtins.convertHash { hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; '
     'toHashFormat = "base16"; }', '"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"'),
    ('builtins.convertHash { hash = "1B2M2Y8AsgTpgAmY7PhCfg=="; hashAlgo = "md5"; toHashFormat = "base64"; }',
     '"1B2M2Y8AsgTpgAmY7PhCfg=="'),
    ('builtins.convertHash { hash = "md5:d41d8cd98f00b204e9800998ecf8427e"; toHashFormat = "nix32"; }',
     '"3y8bwfr609h3lh9ch0izcqq7fl"'),
]

@pytest.mark.parametrize("expr,expected", OKAY)
def test_okay(expr, expected):
    assert ev_print(expr) == expected


FAIL = [
    ('builtins.toJSON (x: x)', "cannot convert a function to JSON"),
    ('builtins.toJSON builtins.map', "cannot convert a built-in function to JSON"),
    ('builtins.toJSON { __toString = self: 42; }', "`__toString` should return a string, but got an integer: 42"),
    ('builtins.toJSON { __toString = self: { a = 1; }; }',
     "`__toString` must return a string, but got a set: { a = 1; }"),
    ('builtins.toJSON { outPath = { __toString = self: 42; }; }',
     "`__toString` should return a string, but got an integer: 42"),
    ('builtins.toJSON { a.b = [ true { c.d = throw "hah no"; } ]; }', "hah no"),
    ("builtins.fromJSON ''{\"a\\u0000b\": 1}''",
     "input string 'a\u2400b' cannot be represented as Nix string because it contains null bytes"),
    ("builtins.fromJSON ''\"a\\u0000b\"''",
     "input string 'a\u2400b' cannot be represented as Nix string because it contains null bytes"),
    ("builtins.fromJSON ''{\"attr\": 18446744073709551615}''",
     "unsigned json number 18446744073709551615 outside of Nix integer range"),
    ('builtins.fromJSON "1e400"', "[json.exception.out_of_range.406] number overflow parsing '1e400'"),
    ('builtins.fromJSON 1', "expected a string but found an integer: 1"),
    # nlohmann::json's parse errors, word for word (checked with Nix 2.8)
    ('builtins.fromJSON "{a"', "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error "
     "while parsing object key - invalid literal; last read: '{a'; expected string literal"),
    ('builtins.fromJSON "[1,]"', "[json.exception.parse_error.101] parse error at line 1, column 4: syntax error "
     "while parsing value - unexpected ']'; expected '[', '{', or a literal"),
    ('builtins.fromJSON ""', "[json.exception.parse_error.101] parse error at line 1, column 1: syntax error "
     "while parsing value - unexpected end of input; expected '[', '{', or a literal"),
    ('builtins.fromJSON "1 2"', "[json.exception.parse_error.101] parse error at line 1, column 3: syntax error "
     "while parsing value - unexpected number literal; expected end of input"),
    ('builtins.fromJSON "\n\n  tru "', "[json.exception.parse_error.101] parse error at line 3, column 6: "
     "syntax error while parsing value - invalid literal; last read: '<U+000A><U+000A>  tru '"),
    (r'builtins.fromJSON "\"a\nb\""', "[json.exception.parse_error.101] parse error at line 2, column 0: "
     "syntax error while parsing value - invalid string: control character U+000A (LF) must be escaped to "
     "\\u000A or \\n; last read: '\"a<U+000A>'"),
    (r'builtins.fromJSON "\"\\ud83d\""', "[json.exception.parse_error.101] parse error at line 1, column 8: "
     "syntax error while parsing value - invalid string: surrogate U+D800..U+DBFF must be followed by "
     "U+DC00..U+DFFF; last read: '\"\\ud83d\"'"),
    (r'builtins.fromJSON "{\"a\": 1 \"b\"}"', "[json.exception.parse_error.101] parse error at line 1, "
     "column 11: syntax error while parsing object - unexpected string literal; expected '}'"),
    ('builtins.fromJSON "1e+"', "[json.exception.parse_error.101] parse error at line 1, column 4: syntax error "
     "while parsing value - invalid number; expected digit after exponent sign; last read: '1e+'"),
    ('builtins.fromTOML "a = 1979-05-27"', "while parsing TOML: Dates and times are not supported"),
    ("builtins.fromTOML ''\"a\\u0000b\" = 1''",
     "while parsing TOML: error: input string 'a\u2400b' cannot be represented as Nix string because it "
     "contains null bytes"),
    ("builtins.fromTOML ''k = \"a\\u0000b\"''",
     "while parsing TOML: error: input string 'a\u2400b' cannot be represented as Nix string because it "
     "contains null bytes"),
    ("builtins.fromTOML ''attr = 9223372036854775808''",
     "while parsing TOML: [error] toml::parse_dec_integer: too large integer: current max digits = 2^63\n"
     " --> fromTOML\n   |\n 1 | attr = 9223372036854775808\n"
     "   |                           ^-- must be < 2^63\n"),
    ("builtins.fromTOML ''attr = -9223372036854775809''",
     "while parsing TOML: [error] toml::parse_dec_integer: too large integer: current max digits = 2^63\n"
     " --> fromTOML\n   |\n 1 | attr = -9223372036854775809\n"
     "   |                            ^-- must be < 2^63\n"),
    ('builtins.hashString 1 { }', "expected a string but found an integer: 1"),
    ('builtins.hashString "foo" "content"',
     "unknown hash algorithm 'foo', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'"),
    ('builtins.hashString "sha256" { }', "expected a string but found a set: { }"),
    ('builtins.hashFile "sha1" /this-file-is-definitely-not-there-7392097',
     "path '/this-file-is-definitely-not-there-7392097' does not exist"),
    ('builtins.hashFile "sha1" "rel"', "string 'rel' doesn't represent an absolute path"),
    ('builtins.convertHash { hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; toHashFormat = "base16"; }',
     "hash '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' does not include a type, nor is the type "
     "otherwise known from context"),
    ('builtins.convertHash { hash = "sha256:abc"; toHashFormat = "base16"; }',
     "hash 'abc' has wrong length for hash algorithm 'sha256'"),
    ('builtins.convertHash { hash = "sha256:e3b0"; toHashFormat = "foo"; }',
     "unknown hash format 'foo', expect 'base16', 'base32', 'base64', or 'sri'"),
    ('builtins.convertHash { hash = "md5:d41d8cd98f00b204e9800998ecf8427e"; hashAlgo = "sha1"; toHashFormat = "sri"; }',
     "hash 'md5:d41d8cd98f00b204e9800998ecf8427e' should have type 'sha1'"),
    ('builtins.convertHash { hash = "md5:zzzzzzzzzzzzzzzzzzzzzzzzzz"; toHashFormat = "sri"; }',
     "invalid base-32 hash 'zzzzzzzzzzzzzzzzzzzzzzzzzz'"),
    ('builtins.convertHash { toHashFormat = "sri"; }', "attribute 'hash' missing"),
]


@pytest.mark.parametrize("expr,message", FAIL)
def test_fail(expr, message):
    assert ev_error(expr).message == message


def test_fail_frames():
    e = ev_error('builtins.hashString "sha256" { }')
    assert [f.message for f in e.frames][:1] == ["while evaluating the second argument passed to builtins.hashString"]
    e = ev_error('builtins.toJSON { a.b = [ true { c.d = throw "hah no"; } ]; }')
    msgs = [f.message for f in e.frames]
    assert msgs[msgs.index("while evaluating attribute 'd'"):][:5] == [
        "while evaluating attribute 'd'", "while evaluating attribute 'c'",
        "while evaluating list element at index 1", "while evaluating attribute 'b'",
        "while evaluating attribute 'a'"]


def test_to_json_non_utf8():
    ev = Evaluator()
    bad = "_invalid UTF-8: " + b"\xff".decode("utf-8", "surrogateescape") + "_"
    with pytest.raises(E.NixError) as info:
        serialize.to_json(ev, bad)
    assert info.value.message == ("JSON serialization error: [json.exception.type_error.316] invalid UTF-8 "
                                  "byte at index 16: 0xFF")


def test_to_json_string_escapes():
    ev = Evaluator()
    assert serialize.to_json(ev, 'a\x01\x1f\x7f\t\r\n"\\/é→😀\b\f') == \
        '"a\\u0001\\u001f\x7f\\t\\r\\n\\"\\\\/é→😀\\b\\f"'


def test_json_float_layout():
    f = serialize.json_float
    assert [f(x) for x in (1.0, 1e14, 1e15, 1e-4, 1e-5, 5e-324, float("nan"), -1.5e300)] == [
        "1.0", "100000000000000.0", "1e+15", "0.0001", "1e-05", "5e-324", "null", "-1.5e+300"]


def test_toml_timestamps_with_feature():
    expr = ('builtins.fromTOML "a = 1979-05-27T00:32:00.1234567891-07:00\\nb = 1979-05-27 07:32:00.1z\\n'
            'c = 07:32:00.1234\\nd = 1979-05-27"')
    assert ev_print(expr, experimental_features={"parse-toml-timestamps"}) == (
        '{ a = { _type = "timestamp"; value = "1979-05-27T00:32:00.123456789-07:00"; }; '
        'b = { _type = "timestamp"; value = "1979-05-27T07:32:00.100Z"; }; '
        'c = { _type = "timestamp"; value = "07:32:00.123400"; }; '
        'd = { _type = "timestamp"; value = "1979-05-27"; }; }')


def test_to_xml_location():
    ev = Evaluator()
    v = ev.eval_string("{ a = x: x; }")
    out = serialize.to_xml(ev, v, location=True)
    assert '<attr column="3" line="1" name="a">' in out
    assert '<function column="7" line="1">' in out


def test_convert_hash_base32_warns(capsys):
    assert ev_print('builtins.convertHash { hash = "md5:d41d8cd98f00b204e9800998ecf8427e"; '
                    'toHashFormat = "base32"; }') == '"3y8bwfr609h3lh9ch0izcqq7fl"'
    assert capsys.readouterr().err == 'warning: "base32" is a deprecated alias for hash format "nix32".\n'


@needs_suite
def test_hash_file_suite_data():
    assert ev_print(f'builtins.hashFile "sha256" {SUITE}/binary-data') == \
        '"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"'
