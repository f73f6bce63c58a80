"""The lexer's tokens where its fast path (one regular expression for most
of DEFAULT mode, see `lexer.R_DEFAULT`) borders on the rules that compete
for longer matches: paths, URIs, numbers, operators, `<...>`, strings with
and without interpolation. Each case is the token stream (type and value)
flex's longest match gives, as the scanner before the fast path gave it."""
from __future__ import annotations

import pytest

from nixlang.source import Source
from nixlang.syntax.lexer import Lexer

CASES = [
    ('a.b.c', ['ID a', 'DOT .', 'ID b', 'DOT .', 'ID c']),
    ('a.b/c', ['PATH a.b/c', 'PATH_END ']),
    ('x:x', ['URI x:x']),
    ('x: x', ['ID x', 'COLON :', 'ID x']),
    ('x:/y', ['URI x:/y']),
    ('https://nixos.org/x?y=1', ['URI https://nixos.org/x?y=1']),
    ('1/2', ['PATH 1/2', 'PATH_END ']),
    ('1.5', ['FLOAT_LIT 1.5']),
    ('00.5', ['INT_LIT 0', 'FLOAT_LIT 0.5']),
    ('.5', ['FLOAT_LIT 0.5']),
    ('1.', ['FLOAT_LIT 1.0']),
    ('3 .x', ['INT_LIT 3', 'DOT .', 'ID x']),
    ('a ++ b', ['ID a', 'CONCAT ++', 'ID b']),
    ('a ++b', ['ID a', 'CONCAT ++', 'ID b']),
    ('++/a', ['PATH ++/a', 'PATH_END ']),
    ('a+b', ['ID a', 'PLUS +', 'ID b']),
    ('a + -1', ['ID a', 'PLUS +', 'MINUS -', 'INT_LIT 1']),
    ('a - b', ['ID a', 'MINUS -', 'ID b']),
    ('a->b', ['ID a-', 'GT >', 'ID b']),
    ('a-b', ['ID a-b']),
    ('./x', ['PATH ./x', 'PATH_END ']),
    ('./x/${y}z', ['PATH ./x/', 'DOLLAR_CURLY ${', 'ID y', 'RBRACE }', 'STR z', 'PATH_END ']),
    ('/${a}', ['PATH /', 'DOLLAR_CURLY ${', 'ID a', 'RBRACE }', 'PATH_END ']),
    ('a/${b}', ['PATH a/', 'DOLLAR_CURLY ${', 'ID b', 'RBRACE }', 'PATH_END ']),
    ('~/x', ['HPATH ~/x', 'PATH_END ']),
    ('<nixpkgs/lib>', ['SPATH <nixpkgs/lib>']),
    ('a < b', ['ID a', 'LT <', 'ID b']),
    ('a<=b', ['ID a', 'LEQ <=', 'ID b']),
    ('a <|b', ['ID a', 'PIPE_FROM <|', 'ID b']),
    ('!a', ['BANG !', 'ID a']),
    ('a != b', ['ID a', 'NEQ !=', 'ID b']),
    ('a >= b', ['ID a', 'GEQ >=', 'ID b']),
    ('a > b', ['ID a', 'GT >', 'ID b']),
    ('a/ b', ['ID a', 'SLASH /', 'ID b']),
    ('a // b', ['ID a', 'UPDATE //', 'ID b']),
    ('"a$"', ['DQUOTE "', 'STR a$', 'DQUOTE "']),
    ('"$${x}"', ['DQUOTE "', 'STR $${x}', 'DQUOTE "']),
    ('"${x}y"', ['DQUOTE "', 'DOLLAR_CURLY ${', 'ID x', 'RBRACE }', 'STR y', 'DQUOTE "']),
    ('"a\\nb\\$"', ['DQUOTE "', 'STR a\nb$', 'DQUOTE "']),
    ("''\n  x ${y}\n''", ["IND_STRING_OPEN ''", 'IND_STR   x ', 'DOLLAR_CURLY ${', 'ID y', 'RBRACE }', 'IND_STR \n', "IND_STRING_CLOSE ''"]),
    ('{ ${a} = 1; }', ['LBRACE {', 'DOLLAR_CURLY ${', 'ID a', 'RBRACE }', 'ASSIGN =', 'INT_LIT 1', 'SEMI ;', 'RBRACE }']),
    ('9223372036854775807', ['INT_LIT 9223372036854775807']),
    ('9223372036854775808', ['ERROR INT_LIT']),
    ('1e5', ['INT_LIT 1', 'ID e5']),
    ("x'.y", ["ID x'", 'DOT .', 'ID y']),
    ('a.or', ['ID a', 'DOT .', 'OR_KW or']),
    ('/* c */ a # d\nb', ['ID a', 'ID b']),
    ('rec { inherit (x) y; }', ['REC rec', 'LBRACE {', 'INHERIT inherit', 'LPAR (', 'ID x', 'RPAR )', 'ID y', 'SEMI ;', 'RBRACE }']),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_tokens(text, expected):
    lexer = Lexer(Source(text), pipe_operators=True, collect_comments=True)
    assert [f"{t.type} {t.value!s}" for t in lexer.tokens()] == expected


def test_comments_are_collected_between_tokens():
    lexer = Lexer(Source("/* c */ a # d\nb"), collect_comments=True)
    list(lexer.tokens())
    assert [(c.start, c.end) for c in lexer.comments] == [(0, 7), (10, 13)]
