"""Incremental reparsing gives what a full parse gives.

Random, mostly typing-like edits of real files (a token replaced by another
of the file, a number changed, an expression swapped, a binding deleted or
repeated, and some that break the syntax). After each edit the document is
parsed twice: from scratch, and with the previous result as the base of
`incremental.reparse`. The two must agree on every node, every position,
every resolution and every diagnostic. The test also counts how often the
reparse was taken, so that it cannot pass by always falling back.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from nixlang.parse import parse_recover
from nixlang.source import Source, Span
from nixlang.syntax import ast as A
from nixlang.syntax import incremental
from nixlang.syntax.lexer import Lexer
from nixlang.syntax.incremental import lex
from nixlang.syntax.parser import frontend

ROOT = Path(__file__).resolve().parents[1]
FILES = (sorted((ROOT / "tests" / "realworld").rglob("*.nix"))
         + sorted((ROOT / "examples" / "lessons").glob("*.nix")))

EXPRESSIONS = ["1", "x", "{ a = 1; }", "[ ]", "f x", "let q = 1; in q", "rec { b = b; }", "{ }", '"s${x}"',
               "x: x", "{ y ? 2, ... }: y", "with lib; x", "a.b.c or null", "if x then 1 else 2", "./p",
               "''\n  i ${x}\n''", "(1 + 2) * 3", "!x", "assert x; x", "inherit", "1;", "{ a.b = 1; a.c = 2; }"]


def dump(node, seen_binding=None):
    """Everything a node holds, as nested tuples (positions included). Not
    compared: Var.index and Attrs.slots (the slot order follows the order in
    which names were first seen, which a reparse may change; editors do not
    use it), and the order of an attrset's names (likewise)."""
    if node is None or isinstance(node, (str, int, float, bool)):
        return node
    if isinstance(node, Span):
        return (node.start, node.end)
    if isinstance(node, list):
        return tuple(dump(x) for x in node)
    if isinstance(node, dict):
        return tuple(sorted((k, dump(v)) for k, v in node.items()))
    if isinstance(node, tuple):
        return tuple(dump(x) for x in node)
    t = type(node)
    out = [t.__name__]
    for f in _fields(t):
        v = getattr(node, f)
        if f == "binding" and v is not None:
            out.append(("binding", type(v).__name__, dump(v.span)))
        else:
            out.append((f, dump(v)))
    return tuple(out)


_FIELDS: dict = {}


def _fields(t) -> list[str]:
    """The slots `dump` compares for nodes of type `t` (worked out once per type)."""
    fields = _FIELDS.get(t)
    if fields is None:
        fields = _FIELDS[t] = [f for cls in t.__mro__ for f in getattr(cls, "__slots__", ())
                               if not (f in ("slots", "index") and t in (A.Attrs, A.Var))]
    return fields


def first_difference(x, y):
    """The innermost parts of two dumps where they differ."""
    while isinstance(x, tuple) and isinstance(y, tuple) and len(x) == len(y):
        diff = [(u, v) for u, v in zip(x, y) if u != v]
        if len(diff) != 1:
            break
        x, y = diff[0]
    return x, y


def summary(result) -> tuple:
    return (dump(result.ast),
            tuple((type(d).__name__, d.code, str(d.message) if hasattr(d, "message") else str(d),
                   dump(d.span)) for d in result.diagnostics),
            tuple(dump(c) for c in result.comments or ()))


def tokens_of(text: str) -> list:
    lexer = Lexer(Source(text), pipe_operators=True, url_literals=True)
    try:
        return [t for t in lexer.tokens() if t.type != "ERROR"]
    except Exception:
        return []


def edit(rng: random.Random, text: str) -> tuple[int, int, str]:
    """One edit, most of them of the kind typing makes."""
    toks = tokens_of(text)
    op = rng.random()
    if not toks or op < 0.1:                      # anything, mostly an error
        a = rng.randrange(len(text) + 1)
        return a, min(len(text), a + rng.randint(0, 5)), rng.choice(["", ";", "{", "}", "x", " ", '"', "#"])
    t = rng.choice(toks)
    if op < 0.45:                                  # a token replaced by one of the same kind
        same = [u for u in toks if u.type == t.type] or toks
        return t.start_pos, t.end_pos, str(rng.choice(same).value) if t.type != "STR" \
            else text[rng.choice(same).start_pos:rng.choice(same).end_pos]
    if op < 0.6:                                   # a number or name typed
        return t.start_pos, t.end_pos, rng.choice([str(rng.randint(0, 999)), "foo", "lib", "x", "self"])
    if op < 0.8:                                   # an expression swapped for another
        a = t.start_pos
        b = min(len(text), max(a, rng.choice(toks).end_pos if rng.random() < 0.2 else t.end_pos))
        return a, b, rng.choice(EXPRESSIONS)
    if op < 0.84:                                  # an expression put in parentheses, or commented out
        u = rng.choice(toks)
        if u.start_pos > t.start_pos:
            if rng.random() < 0.5:
                return t.start_pos, u.end_pos, "(" + text[t.start_pos:u.end_pos] + ")"
            return t.start_pos, u.end_pos, "/*" + text[t.start_pos:u.end_pos] + "*/"
    if op < 0.9:                                   # a binding deleted or repeated
        semis = [u for u in toks if u.type == "SEMICOLON" and u.start_pos > t.start_pos]
        if semis:
            end = semis[0].end_pos
            return (t.start_pos, end, "") if rng.random() < 0.5 else (end, end, text[t.start_pos:end])
    a = t.end_pos                                  # a character typed inside or after a token
    return a, a, rng.choice([" ", "a", "1", "\n", "-", "."])


def token_dump(lexed) -> tuple:
    return (tuple((t.type, t.value, t.start_pos, t.end_pos, t.flag, t.line, t.column) for t in lexed.tokens),
            tuple((c.start, c.end) for c in lexed.comments), lexed.eof_offset, lexed.errors,
            tuple(sorted(lexed.semis.items())), lexed.open_comment)


def run_file(path: Path, steps: int, seed: str) -> tuple[int, int]:
    """(edits compared, edits reparsed incrementally)."""
    rng = random.Random(seed)
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    origin, base_dir = str(path), str(path.parent)
    prev = parse_recover(Source(text, origin, base_dir))
    lexed = prev.lexed
    compared = reparsed = 0
    for step in range(steps):
        s, e, new = edit(rng, text)
        new_text = text[:s] + new + text[e:]
        source = Source(new_text, origin, base_dir)
        if prev.clean and incremental.reparse(prev, text, source, None, frontend()) not in (None, incremental.STUCK):
            reparsed += 1
        inc = parse_recover(source, base=prev, lexed=lexed)
        full = parse_recover(Source(new_text, origin, base_dir))
        relexed = lex(source, lexed)
        assert token_dump(relexed) == token_dump(lex(Source(new_text, origin, base_dir))), \
            f"{path.name}, edit {step + 1}: the tokens differ"
        assert inc.clean == full.clean
        a, b = summary(inc), summary(full)
        if a != b:
            what, x, y = next(w for w in zip(("trees", "diagnostics", "comments"), a, b) if w[1] != w[2])
            x, y = first_difference(x, y)
            raise AssertionError(f"{path.name}, edit {step + 1} ({s}-{e} -> {new[:60]!r}): {what} differ:\n"
                                 f"  incremental {str(x)[:1500]}\n  full        {str(y)[:1500]}")
        compared += 1
        # go on from the edited text most of the time; sometimes undo an error
        if full.clean or rng.random() < 0.5:
            text, prev = new_text, inc
            lexed = relexed
    return compared, reparsed


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_reparse_agrees_with_a_full_parse(path: Path):
    compared, reparsed = run_file(path, 12, f"pynix-incremental:{path.name}")
    assert compared == 12


@pytest.mark.slow
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_reparse_agrees_with_a_full_parse_over_many_edits(path: Path):
    # 40 more edits per file, other ones (another seed) than the fast tier's 12
    compared, reparsed = run_file(path, 40, f"pynix-incremental-long:{path.name}")
    assert compared == 40


def typing_edit(rng: random.Random, text: str) -> tuple[int, int, str] | None:
    """What typing inside an expression does: a number changed, a name
    changed, a character typed in a string."""
    toks = [t for t in tokens_of(text) if t.type in ("INT_LIT", "ID", "STR")]
    if not toks:
        return None
    t = rng.choice(toks)
    if t.type == "INT_LIT":
        return t.start_pos, t.end_pos, str(rng.randint(0, 9999))
    if t.type == "ID":
        return t.end_pos, t.end_pos, rng.choice(["s", "2", "_x"])
    return t.start_pos, t.start_pos, rng.choice(["a", " ", "-"])


def test_reparse_is_taken_when_typing_inside_an_expression():
    tried = hits = 0
    for path in FILES[:8]:
        rng = random.Random(f"pynix-incremental-typing:{path.name}")
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        base = parse_recover(Source(text, str(path), str(path.parent)))
        for _ in range(30):
            e = typing_edit(rng, text)
            new_text = text[:e[0]] + e[2] + text[e[1]:]
            source = Source(new_text, str(path), str(path.parent))
            full = parse_recover(source)
            if not full.clean:
                continue        # an identifier that became a keyword, say
            tried += 1
            hits += incremental.reparse(base, text, source, None, frontend()) not in (None, incremental.STUCK)
            assert summary(parse_recover(source, base=base)) == summary(full)
    # the misses: names of bindings and `inherit`s (no expression holds them),
    # and stretches of more than MAX_SHARE of the file
    assert tried >= 150 and hits >= tried * 0.7, f"{hits} of {tried} edits reparsed incrementally"


@pytest.mark.parametrize("before, after, reparsed", [
    # inside a binding's value: reparsed
    ("{ a = 1; b = 2; }", "{ a = 12; b = 2; }", True),
    ("let x = 1; in x + 1", "let x = 1; in x + 2", True),
    ('{ s = "abc"; }', '{ s = "a${b}c"; }', True),
    ("{ a.b = 1; a.c = 2; }", "{ a.b = 3; a.c = 2; }", True),
    # a binding's value that other bindings merge into: not reparsed alone
    ("{ a = { x = 1; }; a.y = 2; }", "{ a = { x = 5; }; a.y = 2; }", True),   # inner value x
    ("{ a = { x = 1; }; a.y = 2; }", "{ a = { x = 1; z = 3; }; a.y = 2; }", False),
    ("{ a = { x = 1; }; a.y = 2; }", "{ a = 5; a.y = 2; }", False),
    # a new binding between two others: the whole file
    ("{ a = 1; b = 2; }", "{ a = 1; c = 3; b = 2; }", False),
    # tokens that would merge with their neighbours
    ("{ a = 1; }", "{ a = 1 # c\n; }", True),       # the comment ends inside the stretch
    ("{ a = 1; }", "{ a = 1 #; }", False),
    ("{ a = (x); }", "{ a = x; }", False),           # the parentheses are outside the value's span
    ("{ a = f (x); }", "{ a = f (y); }", True),      # ... but inside its parent's
    ("x: (y)", "x:y", False),
    # syntax errors: a full parse reports them
    ("{ a = 1; }", "{ a = 1 +; }", False),
    ("{ a = 1; }", '{ a = "1; }', False),
    ("{ a = 1; }", "{ a = " + "[" * 20000 + "; }", False),     # too deep to repair
    # a body put in parentheses: its parents end at the `)`
    ("{ f = x: x; }", "{ f = x: (x); }", True),
    ("let a = 1; in x", "let a = 1; in (x)", True),
    ("{ f = x: y; }", "{ f = x: ((y)); }", True),
    ("{ a = if a then b else c; }", "{ a = if a then b else (c); }", True),
    ("let f = x: x; in f", "let f = x: (x +); in f", False),       # (repaired: see below)
    # the lambda ends where its body's last token does, not at the stretch's end
    ("{ f = x: x; }", "{ f = x: x ; }", True),
    ("{ f = x: x; }", "{ f = x: x # c\n; }", True),
    ("let f = x: if x then 1 else 2; in f", "let f = x: if x then 1 else 2 /* c */ ; in f", True),
])
def test_when_reparse_is_used(before: str, after: str, reparsed: bool):
    base = parse_recover(Source(before))
    assert base.clean
    got = incremental.reparse(base, before, Source(after), None, frontend())
    assert (got not in (None, incremental.STUCK)) == reparsed
    assert summary(parse_recover(Source(after), base=base)) == summary(parse_recover(Source(after)))


def test_the_analysis_cache_reparses_incrementally():
    """The editor's cache passes the last clean parse on: an edit inside a
    value is reparsed alone (no new tokens: the parse carries the old ones),
    a name edit relexes, and the diagnostics are those of a full analysis."""
    from nixlang import ide
    text = "let\n  a = 1;\n  b = a + 2;\nin\n{ inherit a b; c = [ a b ]; }\n"
    cache = ide.AnalysisCache()
    cache.update("doc", text)
    first = cache.get("doc")
    # (the last edit is reparsed alone too: against the last clean text, it is inside the list)
    edits = [("a + 2", "a + 3", True), ("a + 3", "a + zz", True), ("  b =", "  bb =", False),
             ("[ a b ]", "[ a b", False), ("[ a b", "[ a bb ]", True)]
    for old, new, alone in edits:
        text = text.replace(old, new, 1)
        cache.update("doc", text)
        an = cache.get("doc")
        assert (an.parsed.lexed is first.parsed.lexed) == alone, (old, new)
        full = ide.analyze(text)
        assert [(d.code, d.start, d.end, d.message) for d in ide.diagnostics(an)] == \
            [(d.code, d.start, d.end, d.message) for d in ide.diagnostics(full)]
        first = an


@pytest.mark.parametrize("before, after", [
    # a `/*` without its `*/` is lexed as `/` and `*`; a `*/` added later makes
    # a comment of the code between, `;`s included: no restart in there
    ("{ a = 1; /* b = 2; c = 3; }", "{ a = 1; /* b = 2; */ c = 3; }"),
    ("{ a = 1; /* b = 2; c = 3; d = 4; }", "{ a = 1; /* b = 2; c = 3; */ d = 4; }"),
    ("{ x = 1; y = 2; }", "{ x = 1; /* y = 2; }"),
    ("{ x = 1; /* y */ z = 2; }", "{ x = 1; /* y  z = 2; }"),
    ('{ s = "a;b"; t = 1; }', '{ s = "a;b; t = 1; }'),
])
def test_relexing_agrees_with_lexing(before: str, after: str):
    old = lex(Source(before))
    assert token_dump(lex(Source(after), old)) == token_dump(lex(Source(after)))
    base = parse_recover(Source(before))
    assert summary(parse_recover(Source(after), base=base, lexed=old)) == summary(parse_recover(Source(after)))


def test_a_deep_file_is_not_lost_to_a_wrong_guess():
    """The expression around the edit does not parse alone (`2; b = ...`), so
    recovery guesses a syntax error and plans first; the plan gives up on the
    nesting; then the plain parse still builds the tree, as a full parse does."""
    before = "{ a = 1; }"
    after = "{ a = 2; b = " + "[" * 12000 + "1" + "]" * 12000 + "; }"
    got = parse_recover(Source(after), base=parse_recover(Source(before)))
    full = parse_recover(Source(after))
    assert (got.ast is None) == (full.ast is None)
    assert [d.code for d in got.diagnostics] == [d.code for d in full.diagnostics]
