"""The lexer's tokens where its fast path (one regular expression for most
of DEFAULT mode, see `lexer.R_DEFAULT`) borders on the rules that compete
for longer matches: paths, URIs, numbers, operators, `<...>`, strings with
and without interpolation. Each case is the token stream (type and value)
flex's longest match gives, as the scanner before the fast path gave it."""
from __future__ import annotations

import pytest

from nixlang.source import Source
from nixlang.syntax.lexer import Lexer, token_tuple

LONG_SELECT = "a." * 40 + "b"     # longer than the fast path's look-ahead (64 characters)

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
    # an identifier and the one-character token after it come from one match
    ('a = b; c=d;e ,f (g) [h ]i ? j @k *l :m', [
        'ID a', 'ASSIGN =', 'ID b', 'SEMI ;', 'ID c', 'ASSIGN =', 'ID d', 'SEMI ;', 'ID e', 'COMMA ,', 'ID f',
        'LPAR (', 'ID g', 'RPAR )', 'LBRACK [', 'ID h', 'RBRACK ]', 'ID i', 'QUESTION ?', 'ID j', 'AT @', 'ID k',
        'STAR *', 'ID l', 'COLON :', 'ID m']),
    ('a ==b', ['ID a', 'EQ ==', 'ID b']),
    ('a = =', ['ID a', 'ASSIGN =', 'ASSIGN =']),
    ('in = or;', ['IN_KW in', 'ASSIGN =', 'OR_KW or', 'SEMI ;']),
    ('a /* c */ = b', ['ID a', 'ASSIGN =', 'ID b']),
    # `a.b.c...`: no path or URI where the run of path characters has no `/` or `:` after it;
    # a run longer than the fast path looks ahead is decided by the competing rules
    ('a.b.c/d.e', ['PATH a.b.c/d.e', 'PATH_END ']),
    ('a.b:c', ['URI a.b:c']),
    ('a_b.c:d', ['ID a_b', 'DOT .', 'URI c:d']),
    ('a.b+c', ['ID a', 'DOT .', 'ID b', 'PLUS +', 'ID c']),
    ('a.-b', ['ID a', 'DOT .', 'MINUS -', 'ID b']),
    ('x.y.', ['ID x', 'DOT .', 'ID y', 'DOT .']),
    (LONG_SELECT, ['ID a', 'DOT .'] * 40 + ['ID b']),
    (LONG_SELECT + '/c', ['PATH ' + LONG_SELECT + '/c', 'PATH_END ']),
    (LONG_SELECT + ':c', ['URI ' + LONG_SELECT + ':c']),
    ('a.' + 'b' * 100 + '.c', ['ID a', 'DOT .', 'ID ' + 'b' * 100, 'DOT .', 'ID c']),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_tokens(text, expected):
    lexer = Lexer(Source(text), pipe_operators=True, collect_comments=True)
    assert [f"{t.type} {t.value!s}" for t in lexer.tokens()] == expected


def test_comments_are_collected_between_tokens():
    lexer = Lexer(Source("/* c */ a # d\nb"), collect_comments=True)
    list(lexer.tokens())
    assert [(c.start, c.end) for c in lexer.comments] == [(0, 7), (10, 13)]


def test_positions_of_an_identifier_and_the_token_after_it():
    text = "a  =b ;c\n, d"
    lexer = Lexer(Source(text))
    assert [(t.type, t.start_pos, t.end_pos) for t in lexer.tokens()] == [
        ("ID", 0, 1), ("ASSIGN", 3, 4), ("ID", 4, 5), ("SEMI", 6, 7), ("ID", 7, 8), ("COMMA", 9, 10), ("ID", 11, 12)]


@pytest.mark.parametrize("text,expected", CASES)
def test_token_tuples_are_the_tokens(text, expected):
    """What the strict parse reads (tuples, in batches) is what `tokens()` gives."""
    def shown(t):      # an ERROR token's error by its message and place
        return t[:4] + ((t[4].message, t[4].span) if t[0] == "ERROR" else (t[4],))
    tuples = [shown(t) for t in Lexer(Source(text), pipe_operators=True).token_tuples()]
    assert tuples == [shown(token_tuple(t)) for t in Lexer(Source(text), pipe_operators=True).tokens()]


LONG = "1" * 5000      # more digits than Python converts to an int (4300)

# The first error is Nix's, whatever the lexer (which reads ahead of the
# parser, a batch of tokens at a time) finds after it.
FIRST_ERRORS = [
    (LONG, f"invalid integer '{LONG}'", (0, 5000)),
    (f"[ 0{LONG} ]", f"invalid integer '0{LONG}'", (2, 5003)),
    ("[ 000000000000000000000000012 ]", None, None),
    (f"a b ) {LONG}", "syntax error, unexpected ')', expecting end of file", (4, 5)),
    ("a ) 99999999999999999999", "syntax error, unexpected ')', expecting end of file", (2, 3)),
    ("a ) ./b/", "syntax error, unexpected ')', expecting end of file", (2, 3)),
    ("a ) 1 |> f", "syntax error, unexpected ')', expecting end of file", (2, 3)),
]


@pytest.mark.parametrize("text,message,span", FIRST_ERRORS)
def test_the_first_error_is_reported_whatever_follows(text, message, span):
    from nixlang.errors import NixError
    from nixlang.parse import parse_full
    if message is None:
        parse_full(text)
        return
    with pytest.raises(NixError) as e:
        parse_full(text)
    assert (e.value.message, (e.value.span.start, e.value.span.end)) == (message, span)
