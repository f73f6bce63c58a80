"""lr.Tables.fuse_shifts: a shift into one of Bison's consistent states makes
the reductions that must follow it at once (SHIFT_R1, SHIFT_REDUCE, ...).
Parsing with those rows and with plain ones (the same table, no shift fused)
gives the same trees, and on broken input the same first error, message and
position: Bison makes those reductions before it reads the next token too,
and the error replay (`Frontend.bison_error`) makes them when they are not
made yet. Broken inputs: a table of errors right after such a shift, and
mutations (fixed seed) of a valid text."""
from __future__ import annotations

import random

import pytest

from nixlang import errors
from nixlang.source import Source
from nixlang.syntax import lr, parser
from nixlang.syntax.parser import ParseOptions, parse_syntax
from nixlang.syntax.printer import show

VALID = '''{ lib, stdenv, fetchurl, ... }:
let
  inherit (lib) optional;
  v = "1.0";
  xs = [ 1 2.5 ./p "s" ''i ${v}'' ];
  f = { a ? 1, b }: a + b * 2 - 3 / 4;
in stdenv.mkDerivation rec {
  pname = "x";
  version = v;
  src = fetchurl { url = "https://e.org/${pname}-${version}.tar.gz"; sha256 = "0"; };
  meta.flag = !(xs == [ ]) && f { b = 1; } >= 2 || lib.a.b or null;
  passthru = { inherit pname; } // (with lib; { c = optional true 1; });
}
'''

BROKEN = [
    "a = 1; ;", "{ a = \"x\" }", "[ 1 ] ]", "x.y.", "f (a) )", "''x'' ''", "{ a.b = 1; a.b = 2; }",
    "{ a = 1; a = 2; }", "let a = 1; in", "{ inherit a b; ", "x: y: ]", "[ \"a\" \"b\" ;", "(a b c) = 1",
    "{ a = ./p; b = ./q/${x} }", "{ ${a} = 1; } ==", "a.b.c or", "{ a = 1; } . ", "rec { x = 1; } }",
    "f 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 "
    "39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 ;",
    "[ 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 "
    "39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 99999999999999999999 ]",
    "a == b == c", "\"${a}\" \"", "{ a = 1; } 9999999999999999999999",
]


def _mutations(count: int) -> list[str]:
    rng = random.Random(14)
    pieces = list(" .;=(){}[]\",:@?!+-*/") + ["${", "''", "in", "let", "or", "then", "a", "1", "rec", "inherit"]
    out = []
    for _ in range(count):
        p = rng.randrange(len(VALID) + 1)
        out.append(VALID[:p] + "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))
                   + VALID[p + rng.randint(0, 3):])
    return out


def _outcomes(texts) -> list:
    out = []
    for text in texts:
        try:
            result = parse_syntax(Source(text, "/d/x.nix", "/d"), ParseOptions())
            out.append(("ok", show(result.ast), result.warnings))
        except errors.NixError as e:
            out.append((type(e).__name__, str(e), e.span.start if e.span else None, e.span.end if e.span else None))
    return out


def test_fused_shifts_are_in_the_rows():
    kinds = {a[0] for row in parser.frontend().tables.rows.values() for a in row}
    assert {lr.SHIFT_R1, lr.SHIFT_R1_LIST, lr.SHIFT_REDUCE, lr.SHIFT_EMPTY} <= kinds


@pytest.mark.parametrize("texts", [[VALID] + BROKEN, _mutations(400)], ids=["table", "mutations"])
def test_same_trees_and_errors_as_plain_shifts(texts, monkeypatch):
    fused = _outcomes(texts)
    # a frontend of this thread made afresh, with no shift fused
    monkeypatch.setattr(lr.Tables, "_fused", lambda self, s, t, consistent: (lr.SHIFT, t))
    monkeypatch.setattr(parser, "_load_compiled", lambda *a: None)
    monkeypatch.setattr(parser, "_store_compiled", lambda *a: None)
    monkeypatch.setattr(parser._local, "frontend", None, raising=False)
    assert not any(a[0] > lr.UNIT and a[0] != lr.NO_ACTION and a[0] >= lr.SHIFT_R1
                   for row in parser.frontend().tables.rows.values() for a in row)
    assert _outcomes(texts) == fused
    assert sum(o[0] != "ok" for o in fused) > len(texts) // 3
