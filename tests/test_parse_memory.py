"""What a parse leaves behind, and how `--parse` prints a big tree.

A one-shot command runs with the cyclic collector off (runtime/memory.py),
so whatever a parse leaves in a reference cycle stays until the process
ends: these check that a parse leaves none that holds the source text, and
that the pieces of the escaping and printing paths that were rewritten for
memory (unescaping in pieces, printing as it goes) still give the same
text as before, at every piece boundary."""
from __future__ import annotations

import gc
import weakref

import pytest

from nixlang.parse import ParseOptions, parse_full
from nixlang.resolve import Resolver
from nixlang.source import Source
from nixlang.syntax import lexer as L
from nixlang.syntax import printer as P
from nixlang.syntax.parser import frontend, parse_syntax

from test_ast_golden import ROWS


def _unescape_by_characters(s: str) -> str:
    """Nix's unescapeStr written the obvious way, as the reference."""
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            out.append({"n": "\n", "r": "\r", "t": "\t"}.get(s[i + 1], s[i + 1]))
            i += 2
        elif c == "\r":
            out.append("\n")
            i += 2 if s[i + 1:i + 2] == "\n" else 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


UNESCAPE = [
    ("plain", "plain"), ("a\\nb", "a\nb"), ("\\r\\t", "\r\t"), ("\\q\\\\", "q\\"),
    ("a\r\nb\rc", "a\nb\nc"), ("\\\r\n", "\r\n"), ("end\\", "end\\"), ("\\\\\\", "\\\\"),
    ("\\$\\{", "${"), ("\r\r\n\n", "\n\n\n"), ("x\\\\\\\\y\\\\", "x\\\\y\\"),
]


@pytest.mark.parametrize("text,want", UNESCAPE)
@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1 << 16])
def test_unescape_at_every_piece_size(monkeypatch, text, want, piece):
    monkeypatch.setattr(L, "_UNESCAPE_CHUNK", piece)
    assert _unescape_by_characters(text) == want
    assert L.unescape_str(text) == want
    # the same runs many times over, so that pieces end at every offset
    long = (text + "ab") * 50
    assert L.unescape_str(long) == _unescape_by_characters(long)


def test_a_resolver_is_not_a_reference_cycle():
    src = Source("let a = 1; in { b = a; c = x: x.y or a; }", "«test»", "/")
    tree = parse_syntax(src).ast
    r = Resolver(src)
    r.resolve(tree)
    ref = weakref.ref(r)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del r
        assert ref() is None, "the resolver lives on in a cycle"
    finally:
        if enabled:
            gc.enable()


def test_the_parser_lets_go_of_the_text():
    text = "[ " + "\"x\" " * 1000 + "]"
    parse_full(Source(text, "«test»", "/"), ParseOptions())
    assert frontend().builder.source.text == ""


def _deep(n: int) -> str:
    return "x: " + "[ (x " * n + "1" + ")]" * n


@pytest.mark.parametrize("src", [s for s, _ in ROWS] + [_deep(100), "[ " + "{ a = 1; } " * 2000 + "]"])
@pytest.mark.parametrize("batch", [1, 3, 1 << 14])
def test_write_shown_is_show(src, batch):
    tree = parse_full(Source(src, "/pwd/x.nix", "/pwd"), ParseOptions(home="/home/test")).ast
    pieces: list[str] = []
    P.write_shown(tree, pieces.append, batch)
    assert "".join(pieces) == P.show(tree) == P._show_deep(tree)
    if batch == 1 and src.startswith("[ { a"):
        assert len(pieces) > 100, "written as it goes, not at the end"
