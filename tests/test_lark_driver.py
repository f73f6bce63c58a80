"""Our LR driver and Lark's own parser loop (fed through Lark's custom-lexer
hook) run the same tables: they must build the same AST for every valid
input of the corpus."""
from __future__ import annotations

from pathlib import Path

import pytest

from nixlang.source import Source, decode
from nixlang.syntax.lexer import Lexer, LexerInput
from nixlang.syntax.parser import ParseOptions, frontend, parse_syntax
from nixlang.syntax.printer import show

CORPUS = Path(__file__).parent / "corpus" / "parse"
OKAY = sorted(p.stem for p in CORPUS.glob("*.nix") if (CORPUS / (p.stem + ".exp")).exists())


def _lark_parse(src: Source) -> str:
    fe = frontend()
    fe.builder.__init__(src, recover=False, home="/home/test")
    text = LexerInput(src.text)
    text.lexer = Lexer(src)
    return show(fe.lark.parse(text))


@pytest.mark.parametrize("name", OKAY)
def test_same_ast_as_lark_driver(name):
    text = decode((CORPUS / (name + ".nix")).read_bytes())
    src = Source(text, "«stdin»", "/pwd")
    ours = show(parse_syntax(src, ParseOptions(home="/home/test")).ast)
    assert _lark_parse(src) == ours


def test_corpus_has_valid_cases():
    assert len(OKAY) > 100
