"""Incremental reparsing: after an edit, parse only the expression it touched.

An editor sends a new text after every keystroke, and parsing a 3,000-line
file from scratch costs most of the time a language server has to answer.
Usually the edit lies inside one small expression: the value of a binding,
the body of a `let` or a lambda, a branch of an `if`. This module reuses the
tree of the last text that parsed without a syntax error and parses again
only that expression.

Why it gives the same tree as a full parse
------------------------------------------
The grammar is context free and unambiguous (LALR(1)). Take a node N that
fills a slot where the grammar expects a whole `expr`: `name = N;`,
`let ... in N`, `x: N`, `with e; N`, `assert e; N`, `if N then N else N`.
If the new text of that stretch, on its own, parses as an `expr` without any
error, then the new file parses as the old one with N replaced: the rest of
the derivation is unchanged, and since the grammar is unambiguous it is
*the* parse. Three things could still break this, and each is checked:

- tokens, not characters, are what the parser sees. The stretch must start
  and end at token boundaries that cannot merge with their neighbours (the
  character before it is blank or one of `= ; ( {`, the one after is blank,
  one of `; ) }`, or the end of the file); its lexer must end in its first
  mode with no error (strings, `${ }` and comments all closed), and must not
  end inside a `#` comment (which would run on into the following text);
- the builder merges attribute paths: in `{ a = { x = 1; }; a.y = 2; }` the
  value of `a` holds `y`, written outside it. A set where a name was written
  twice is marked (`Attrs.merged`); a value that is (or becomes) an attrset
  literal in such a set is not reparsed alone;
- the builder reports duplicates and warnings with positions in their text;
  the old parse must have had no diagnostic at all, and the new stretch must
  not produce one (a full parse then decides).

Then the old tree is copied with every offset after the stretch moved by the
length difference, and the new subtree put in N's place. The copy is what
keeps the last analysis usable while the new one is built in another thread:
the resolver writes into `Var` nodes, so the two trees share none. Names
first seen in the new stretch are interned after all the old ones, so the
symbol order (which only orders the walk over an attrset's names) can differ
from a full parse's; positions, diagnostics and every node agree, and
`tests/test_incremental.py` compares the two on thousands of random edits.

A text with a syntax error goes through error recovery, which plans its
repairs over the whole token list on bare parser states (cheap) and then
parses with the semantic actions. When every planned repair falls inside one
such expression, and that expression's text is whole on its own (strings and
brackets closed, so the tokens after it are the old ones), the repaired
tokens of that stretch derive an `expr` and the same argument holds: only
they are parsed again (`reparse_repaired`); the messages come from the plan
of the whole text, so they are exactly a full parse's.

When no candidate works (an edit between two top-level bindings, a merged
set, a repair outside the edited expression), the caller parses the whole
text. Even then the tokens
are mostly reused (`lex`): lexing is about a third of a parse. The lexer is
restarted after the last `;` before the edit, with the mode stack it had
there (`;` is a token only in code, never inside a string or a comment), and
stops at the first `;` after the edit where the old tokens have a `;` with
the same mode stack: from there on text and lexer state are the same, so the
old tokens, moved, are what lexing would give.
"""
from __future__ import annotations

import bisect
import re

from ..records import record
from ..source import Source, Span
from . import ast as A
from .lexer import INITIAL, Lexer, NixToken, make_token, token_tuple
from .lr import LRParser, Stuck

# how far out from the edit to look, and how big a stretch is still worth it
MAX_TRIES = 3
MAX_SHARE = 0.6

_BEFORE_OK = frozenset(" \t\r\n=;({")
_AFTER_OK = frozenset(" \t\r\n;)}")
_ASSIGN_GAP = re.compile(r"[ \t\r\n]*=[ \t\r\n]*\Z")
_SEMI_AFTER = re.compile(r"[ \t\r\n]*;")


def edit_between(old: str, new: str) -> tuple[int, int, int]:
    """(start, old end, new end): the one stretch that differs between two
    texts (common prefix and suffix removed). Compares chunk by chunk, so
    the work is in C even for long texts."""
    n = min(len(old), len(new))
    lo, hi = 0, n                    # the common prefix is lo long, at most hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo:mid] == new[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, n - prefix           # the common suffix
    lo_old, lo_new = len(old), len(new)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[lo_old - mid:lo_old - lo] == new[lo_new - mid:lo_new - lo]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, len(old) - lo, len(new) - lo


# -- where the edit is --------------------------------------------------------------------

def _inside(span: Span, start: int, end: int) -> bool:
    return span.start <= start and end <= span.end


def expr_slots(root: A.Node, start: int, end: int) -> list:
    """The nodes that fill a whole-`expr` slot and contain [start, end],
    innermost first, as (node, container Attrs or None, AttrDef or None).
    Walks down one branch: the child whose span holds the stretch."""
    found = []
    node = root
    while node is not None:
        t = type(node)
        nxt = None
        slots = ()
        if t is A.Attrs:
            nxt = _in_attrs(node, start, end, found)
        elif t is A.Let:
            nxt = _in_attrs(node.attrs, start, end, found)
            slots = (node.body,)
        elif t is A.Lambda:
            slots = (node.body,)
        elif t is A.With:
            slots = (node.env, node.body)
        elif t is A.If:
            slots = (node.cond, node.then, node.else_)
        elif t is A.Assert:
            slots = (node.cond, node.body)
        if nxt is None:
            for c in slots:
                if _inside(c.span, start, end):
                    found.append((c, None, None))
                    nxt = c
                    break
        if nxt is None:
            for c in A.children(node):
                if _inside(c.span, start, end):
                    nxt = c
                    break
        node = nxt
    found.reverse()
    return found


def _in_attrs(attrs: A.Attrs, start: int, end: int, found: list):
    """The value in `attrs` holding the stretch (recorded as a slot), looking
    through the sets that `a.b = ...;` makes (their span is the name `a`)."""
    for d in attrs.attrs.values():
        if d.kind != A.PLAIN:
            continue
        v = d.value
        if _inside(v.span, start, end):
            found.append((v, attrs, d))
            return v
        if type(v) is A.Attrs and v.span == d.name_span:
            hit = _in_attrs(v, start, end, found)
            if hit is not None:
                return hit
    return None


# -- reparsing one stretch ----------------------------------------------------------------

def _stretches(base, old_text: str, new_text: str):
    """The expressions of `base` (clean, of `old_text`) that hold the edit
    made to reach `new_text` and may be reparsed on their own, innermost
    first: (node, its container Attrs or None, length difference)."""
    if base.ast is None or not base.clean:
        return
    start, old_end, new_end = edit_between(old_text, new_text)
    delta = new_end - old_end
    if delta == 0 and start == old_end:          # same text
        return
    limit = MAX_SHARE * len(new_text)
    tries = 0
    for node, container, d in expr_slots(base.ast, start, old_end):
        span = node.span
        if span.end - span.start > limit or tries >= MAX_TRIES:
            return
        if not _boundaries_ok(old_text, span, d):
            continue
        tries += 1
        if _lex(base.source, span.start, span.end) is None:
            continue      # the node's span is not the whole of its text (parentheses)
        yield node, container, delta


def _splice(base, node, container, tree, delta: int, end: int):
    """The tree of `base` with `tree` (whose text ends at `end`: after its
    `)` when it is parenthesized) in place of `node`, or None when a merged
    attribute path forbids it (or the copy runs out of stack)."""
    if container is not None and container.merged and (type(node) is A.Attrs or type(tree) is A.Attrs):
        return None
    return _Copier(node, tree, node.span.end, delta, end).copy(base.ast)


def reparse(base, old_text: str, source: Source, home: str | None, frontend):
    """(tree, symbols, comments) of `source`, made from `base` (a clean
    ParseResult of `old_text`) by reparsing one expression, or None when
    that is not safe or not worth it (then parse the whole text), or STUCK
    when the expressions around the edit do not parse."""
    broken = False
    for node, container, delta in _stretches(base, old_text, source.text):
        span = node.span
        new = _parse_stretch(base, source, span.start, span.end + delta, home, frontend)
        if new is STUCK:
            broken = True
            continue
        if new is None:
            continue
        tree, symbols, comments, end = new
        root = _splice(base, node, container, tree, delta, end)
        if root is not None:
            return root, symbols, _comments(base.comments or [], comments, span, delta)
    return STUCK if broken else None


def reparse_repaired(base, source: Source, tokens: list, inserts, deletes, parse_range):
    """(tree, symbols, builder diagnostics) of `source`, a text with syntax
    errors, from `base` (a clean ParseResult of an earlier text), or None.

    `tokens` are all of `source`'s tokens, and `inserts` / `deletes` the
    repairs error recovery planned for them (token indices); the plan is
    that of the whole text, so its messages are exactly those of a whole
    parse. When every repair falls inside one expression that holds the
    edit, and that expression's text is whole on its own (`_lex`: then the
    tokens after it are the old ones), only its tokens are parsed again,
    with the repairs (`parse_range(first, last)`: the builder's tree,
    symbols, diagnostics and where the tree's text ends, or None). The repaired stretch then derives an
    `expr` and the rest of the repaired token sequence is unchanged, so by
    the argument at the top this is the tree a whole parse builds."""
    keys = set(inserts) | set(deletes)
    if not keys:
        return None
    lo = min(keys)
    hi_insert = max(inserts, default=-1)
    hi_delete = max(deletes, default=-1)
    starts = [t.start_pos for t in tokens]
    for node, container, delta in _stretches(base, base.source.text, source.text):
        s, e = node.span.start, node.span.end + delta
        first = bisect.bisect_left(starts, s)
        last = bisect.bisect_left(starts, e) - 1
        if first > last or tokens[last].end_pos > e:
            continue
        if not (first <= lo and hi_insert <= last + 1 and hi_delete <= last):
            continue
        if _lex(source, s, e) is None:
            continue
        got = parse_range(first, last)
        if got is None:
            continue
        tree, symbols, diagnostics, end = got
        if not (s <= tree.span.start and end <= e):
            continue
        root = _splice(base, node, container, tree, delta, end)
        if root is not None:
            return root, symbols, diagnostics
    return None


# what `reparse` returns when the stretch around the edit does not parse: the
# whole text most likely has a syntax error (a hint, not a proof: `1` made
# into `1; b = 2` is fine in the file, not as one expression)
STUCK = "stuck"


def _boundaries_ok(text: str, span: Span, d) -> bool:
    s, e = span.start, span.end
    if s == 0 or text[s - 1] not in _BEFORE_OK:
        return False
    if e < len(text) and text[e] not in _AFTER_OK:
        return False
    if d is not None:   # `name = N ;`: nothing else in between
        if not _ASSIGN_GAP.search(text, d.span.end, s) or not _SEMI_AFTER.match(text, e):
            return False
    return True


def _lex(source: Source, start: int, end: int):
    """The tokens and comments of source.text[start:end] lexed on its own,
    with offsets in place (the text cut at `end`, the lexer started at
    `start`); None unless the stretch is whole: no lexer error, every string,
    `${ }`, bracket and comment closed, and no `#` comment running to its end."""
    text = source.text[:end]
    if not text[start:].strip():
        return None
    lexer = Lexer(Source(text, source.origin, source.base_dir),
                  pipe_operators=True, url_literals=True, collect_comments=True)
    lexer.restart(start)
    tokens = list(lexer.tokens())
    if lexer.errors or lexer.modes != [INITIAL] or not tokens:
        return None
    if tokens[0].start_pos < start or tokens[-1].end_pos > end:
        return None
    depth = 0
    for t in tokens:
        d = _DEPTH.get(t.type)
        if d is not None:
            depth += d
            if depth < 0:
                return None
    if depth:
        return None
    comments = lexer.comments or []
    if comments and comments[-1].end == end and source.text[comments[-1].start] == "#":
        return None
    return tokens, comments, lexer.eof_offset


_DEPTH = {"LPAR": 1, "RPAR": -1, "LBRACK": 1, "RBRACK": -1, "LBRACE": 1, "RBRACE": -1,
          "DOLLAR_CURLY": 1}


def _parse_stretch(base, source: Source, start: int, end: int, home, fe):
    """Parse source.text[start:end] on its own: (node, symbols, comments,
    where the node's text ends), STUCK when it is not an expression, or None."""
    lexed = _lex(source, start, end)
    if lexed is None:
        return STUCK
    tokens, comments, n = lexed
    builder = fe.builder
    builder.__init__(source, recover=True, home=home)
    builder.symbols = dict(base.symbols)
    pstate = LRParser(fe.tables)
    try:
        pstate.feed_tokens(map(token_tuple, tokens))
        tree = pstate.feed_token(("$END", "", n, n, False), True)
    except Stuck:
        return STUCK
    if builder.diagnostics or builder.warnings or tree is None:
        return None
    tree_end = builder.outer_end.get(tree, tree.span.end)     # `(e)`: its `)`
    if not (start <= tree.span.start and tree_end <= end):
        return None
    return tree, builder.symbols, comments, tree_end


def _comments(old: list, new: list, span: Span, delta: int) -> list:
    out = [c for c in old if c.end <= span.start]
    out += new
    out += [Span(c.start + delta, c.end + delta) for c in old if c.start >= span.end]
    return out


# -- copying the rest of the tree -----------------------------------------------------------

class _Copier:
    """A copy of a tree with `old` replaced by `new` and every offset at or
    after `cut` (the end of `old`) moved by `delta`, except the ends of the
    nodes that ended with `old` (a lambda whose body it was, say): they end
    with `new`, which need not fill its whole stretch (trailing blanks or a
    comment; a repaired stretch whose last tokens were skipped). Leaves
    without positions after the cut and without annotations are shared;
    everything else is new (the resolver writes into `Var`s and
    `Attrs.slots`)."""

    def __init__(self, old: A.Node, new: A.Node, cut: int, delta: int, new_end: int):
        self.old, self.new, self.cut, self.delta = old, new, cut, delta
        self.new_end = new_end

    def copy(self, root: A.Node):
        try:
            return self.node(root)
        except RecursionError:
            return None

    def span(self, s: Span | None) -> Span | None:
        if s is None:
            return None
        cut = self.cut
        if s.end < cut:
            return s
        if s.start >= cut:
            return Span(s.start + self.delta, s.end + self.delta)
        return Span(s.start, self.new_end if s.end == cut else s.end + self.delta)

    def range(self, x) -> tuple[int, int]:
        """`x.start, x.end` (of a node, AttrDef, Formal...), shifted as `span` shifts a Span."""
        start, end = x.start, x.end
        cut = self.cut
        if end < cut:
            return start, end
        if start >= cut:
            return start + self.delta, end + self.delta
        return start, self.new_end if end == cut else end + self.delta

    def node(self, n):
        if n is self.old:
            return self.new
        return _COPY[type(n)](self, n)

    def nodes(self, ns):
        node = self.node
        return [node(x) for x in ns]

    def names(self, path):
        rng, node = self.range, self.node
        return [A.AttrName(*rng(a), a.name, None if a.expr is None else node(a.expr)) for a in path]

    def attrdef(self, d: A.AttrDef) -> A.AttrDef:
        name = self.span(d.name_span)
        return A.AttrDef(self.node(d.value), *self.range(d), d.kind, name.start, name.end)


def _leaf_fields(cls):
    names = []
    for k in cls.__mro__:
        names += [f for f in getattr(k, "__slots__", ()) if f not in names]
    return tuple(names)


def _copy_leaf(c: _Copier, n):
    if n.end < c.cut:
        return n
    n2 = object.__new__(type(n))
    for f in _LEAF_FIELDS[type(n)]:
        setattr(n2, f, getattr(n, f))
    n2.start, n2.end = c.range(n)
    return n2


_LEAVES = (A.Int, A.Float, A.Str, A.Path, A.CurPos, A.Missing, A.InheritFrom)
_LEAF_FIELDS = {cls: _leaf_fields(cls) for cls in _LEAVES}


def _attrs(c: _Copier, n: A.Attrs) -> A.Attrs:
    ad = c.attrdef
    node = c.node
    rng = c.range
    out = A.Attrs(*rng(n), n.rec, {k: ad(d) for k, d in n.attrs.items()},
                  [A.DynamicAttr(node(d.name), node(d.value), *rng(d)) for d in n.dynamic],
                  c.nodes(n.inherit_from))
    out.merged = n.merged
    return out


def _lambda(c: _Copier, n: A.Lambda) -> A.Lambda:
    formals = None
    if n.formals is not None:
        rng, node = c.range, c.node
        formals = [A.Formal(f.name, None if f.default is None else node(f.default), *rng(f))
                   for f in n.formals]
    return A.Lambda(*c.range(n), n.arg, formals, n.ellipsis, c.node(n.body), c.span(n.arg_span))


def _concat(c: _Copier, n: A.ConcatStrings) -> A.ConcatStrings:
    pos = n.part_pos
    if pos is not None:
        cut, delta = c.cut, c.delta
        pos = [p + delta if p >= cut else p for p in pos]
    return A.ConcatStrings(*c.range(n), n.force_string, c.nodes(n.parts), c.span(n.op_span), pos)


_COPY = {cls: _copy_leaf for cls in _LEAVES}
_COPY.update({
    A.Var: lambda c, n: A.Var(*c.range(n), n.name, n.synthetic),
    A.AttrName: lambda c, n: c.names([n])[0],
    A.Select: lambda c, n: A.Select(*c.range(n), c.node(n.expr), c.names(n.path),
                                    None if n.default is None else c.node(n.default)),
    A.HasAttr: lambda c, n: A.HasAttr(*c.range(n), c.node(n.expr), c.names(n.path)),
    A.Attrs: _attrs,
    A.List: lambda c, n: A.List(*c.range(n), c.nodes(n.elems)),
    A.Lambda: _lambda,
    A.Call: lambda c, n: A.Call(*c.range(n), c.node(n.fn), c.nodes(n.args), c.span(n.op_span)),
    A.Let: lambda c, n: A.Let(*c.range(n), c.node(n.attrs), c.node(n.body)),
    A.With: lambda c, n: A.With(*c.range(n), c.node(n.env), c.node(n.body)),
    A.If: lambda c, n: A.If(*c.range(n), c.node(n.cond), c.node(n.then), c.node(n.else_)),
    A.Assert: lambda c, n: A.Assert(*c.range(n), c.node(n.cond), c.node(n.body)),
    A.Not: lambda c, n: A.Not(*c.range(n), c.node(n.expr)),
    A.BinOp: lambda c, n: A.BinOp(*c.range(n), n.op, c.node(n.lhs), c.node(n.rhs), c.span(n.op_span)),
    A.ConcatStrings: _concat,
})


# -- reusing tokens --------------------------------------------------------------------------

@record(slots=True)
class Lexed:
    """The tokens of one text, with what relexing a later version needs."""
    text: str
    tokens: list            # NixTokens, ERROR tokens included
    comments: list          # Spans
    semis: dict             # offset of each `;` -> (its index in tokens, the lexer's mode stack)
    eof_offset: int
    errors: int             # ERROR tokens
    # where the first `/*` without its `*/` is (lexed as `/` and `*`): a later
    # `*/` turns the code after it into a comment, so no restart after it
    open_comment: int | None = None


def lex(source: Source, before: Lexed | None = None) -> Lexed:
    """The tokens of `source` (as the editor's parse lexes: pipe operators and
    URL literals on, comments collected), reusing those of `before`, the
    tokens of an earlier version of the same document, where the text did
    not change."""
    if before is not None and before.errors == 0:
        lexed = _relex(source, before)
        if lexed is not None:
            return lexed
    lexer = Lexer(source, pipe_operators=True, url_literals=True, collect_comments=True)
    return _run(lexer, source.text, [], {}, [], None, 0)


def _run(lexer: Lexer, text: str, tokens: list, semis: dict, comments: list, old: Lexed | None,
         delta: int, resync_from: int = 0, open_comment: int | None = None) -> Lexed:
    """Lex on from where `lexer` starts, appending to `tokens`; with `old`,
    stop at the first `;` at or after `resync_from` that `old` has too, with
    the same mode stack, and take the rest of `old`'s tokens, moved."""
    modes = lexer.modes
    append = tokens.append
    old_semis = old.semis if old is not None else None
    for t in lexer.tokens():
        append(t)
        tt = t.type
        if tt == "SEMI":
            here = tuple(modes)
            semis[t.start_pos] = (len(tokens) - 1, here)
            if old_semis is not None and t.start_pos >= resync_from:
                was = old_semis.get(t.start_pos - delta)
                if was is not None and was[1] == here:
                    return _take_rest(lexer, text, tokens, semis, comments, old, delta, t.start_pos - delta,
                                      was[0], open_comment)
        elif tt == "STAR" and open_comment is None and text[t.start_pos - 1:t.start_pos] == "/":
            open_comment = t.start_pos - 1
    comments += lexer.comments or []
    return Lexed(text, tokens, comments, semis, lexer.eof_offset, lexer.errors, open_comment)


def _relex(source: Source, old: Lexed) -> Lexed | None:
    text = source.text
    prefix, old_end, new_end = edit_between(old.text, text)
    delta = new_end - old_end
    offsets = list(old.semis)                 # increasing
    limit = prefix if old.open_comment is None else min(prefix, old.open_comment)
    k = bisect.bisect_right(offsets, limit - 1) - 1
    lexer = Lexer(source, pipe_operators=True, url_literals=True, collect_comments=True)
    if k < 0:
        return _run(lexer, text, [], {}, [], old, delta, new_end)
    restart = offsets[k] + 1                  # just after that `;`
    index, modes = old.semis[offsets[k]]
    tokens = old.tokens[:index + 1]
    lexer.restart(restart, modes, tokens[-1])
    # these tokens are shared with `old` (and maybe with other relexes of it);
    # every text involved is the same up to here, so pointing them at the new
    # one changes no line or column, and no token keeps an old text alive
    for t in tokens:
        t._text = text
    semis = {o: v for o, v in old.semis.items() if o < restart}
    comments = [c for c in old.comments if c.end <= restart]
    return _run(lexer, text, tokens, semis, comments, old, delta, new_end)     # (no `/*` open before restart)


def _take_rest(lexer: Lexer, text: str, tokens: list, semis: dict, comments: list, old: Lexed,
               delta: int, old_semi: int, old_index: int, open_comment: int | None) -> Lexed:
    comments += lexer.comments or []
    comments += [Span(c.start + delta, c.end + delta) for c in old.comments if c.start > old_semi]
    base = len(tokens) - 1 - old_index        # the `;` is at old_index there, last here
    for o, (i, m) in old.semis.items():
        if o > old_semi:
            semis[o + delta] = (i + base, m)
    new = _str_new
    append = tokens.append
    for t in old.tokens[old_index + 1:]:
        u = new(NixToken, t)
        u.type = t.type
        u.value = t.value
        u.start_pos = t.start_pos + delta
        u.end_pos = t.end_pos + delta
        u.flag = t.flag
        u.error = None
        u._text = text
        u._lc = None
        append(u)
    if open_comment is None and old.open_comment is not None and old.open_comment > old_semi:
        open_comment = old.open_comment + delta
    return Lexed(text, tokens, comments, semis, old.eof_offset + delta, lexer.errors, open_comment)


_str_new = str.__new__
