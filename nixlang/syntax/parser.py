"""The parser front end: Lark LALR over our lexer, with Nix's error messages.

`parse_syntax()` is the strict entry point: it raises the first error exactly
as Nix reports it. `recover_syntax()` is for editors: it never raises, and
returns a partial AST plus every diagnostic. (`nixlang.parse` adds the scope
check on top of both; that is what callers use.)

Syntax errors as Bison words them
---------------------------------
Nix's parser is Bison with `parse.error verbose`: "syntax error, unexpected
X, expecting A or B" where the expected tokens are listed only when there are
at most four. Bison detects an error later than a plain LALR driver would:
in every state that has a reduction it makes the most common one its
*default* and performs it without looking at the token, so the error shows
up only in a state that can shift and nothing else. `_bison_error` replays
exactly that on Lark's automaton (same grammar shape, see grammar/nix.lark),
running the same semantic actions Bison would have run on the way (so a
duplicate attribute found by such a reduction is reported first, as in Nix).
Non-associative operators (`a == b == c`) are explicit errors in Bison's
tables and are reported where Bison reports them.

Caching: the tables are loaded once per process. Lark computes them from
the grammar; pynix keeps them, converted to plain objects (`lr.ParseTable`),
in its own cache file, keyed by the grammar text, so that a process whose
cache is valid never imports Lark at all (Lark's import and its own cache
cost about 40 ms of every start-up). The Lark parser object is still made on
demand (`Frontend.lark`), from Lark's own cache. Parsed files are cached by
content hash one layer up (`nixlang.parse.parse_cached`).

The same file keeps, after the table, the driver's compiled form of it
(`lr.Tables`: per token type, the action in each state), which costs more
to build than the table costs to load (see `_load_compiled`): a second
pickle, whose builder callbacks are stored by method name, valid for the
sources of the modules that shape it (`_compiled_key`).
"""
from __future__ import annotations

import heapq
import os
import threading
from collections import Counter

from .. import errors
from ..atomicfile import write_atomically
from ..records import field, record
from ..source import Source, Span
from . import ast as A
from .builder import Builder
from .incremental import STUCK, Lexed, lex, reparse, reparse_repaired
from .lexer import Lexer, NixToken, _make_lark_lexer_class, make_token, token_tuple
from .lr import (APPEND, APPEND3, EMPTY, LIST1, LRParser, ParseTable, Reduce, Shift, Stuck, Tables,
                 advance_states, run_states)

# Bison's names for tokens, in Bison's symbol order (the order of the
# "expecting" list): declared tokens first, then character literals in order
# of first appearance in parser.y.
BISON_TOKENS = [
    ("$END", "end of file"), ("ID", "identifier"), ("STR", "string"), ("IND_STR", "indented string"),
    ("INT_LIT", "integer"), ("FLOAT_LIT", "floating-point literal"), ("PATH", "path"),
    ("HPATH", "'~/…' path"), ("SPATH", "'<…>' path"), ("PATH_END", "end of path"), ("URI", "URI"),
    ("IF", "'if'"), ("THEN", "'then'"), ("ELSE", "'else'"), ("ASSERT", "'assert'"),
    ("WITH", "'with'"), ("LET", "'let'"), ("IN_KW", "'in'"), ("REC", "'rec'"),
    ("INHERIT", "'inherit'"), ("EQ", "'=='"), ("NEQ", "'!='"), ("LEQ", "'<='"), ("GEQ", "'>='"),
    ("UPDATE", "'//'"), ("CONCAT", "'++'"), ("AND", "'&&'"), ("OR", "'||'"), ("IMPL", "'->'"),
    ("OR_KW", "'or'"), ("PIPE_FROM", "'<|'"), ("PIPE_INTO", "'|>'"), ("DOLLAR_CURLY", "'${'"),
    ("IND_STRING_OPEN", "start of an indented string"),
    ("IND_STRING_CLOSE", "end of an indented string"), ("ELLIPSIS", "'...'"),
    ("LT", "'<'"), ("GT", "'>'"), ("PLUS", "'+'"), ("MINUS", "'-'"), ("STAR", "'*'"),
    ("SLASH", "'/'"), ("QUESTION", "'?'"), ("COLON", "':'"), ("AT", "'@'"), ("SEMI", "';'"),
    ("BANG", "'!'"), ("DOT", "'.'"), ("DQUOTE", "'\"'"), ("LPAR", "'('"), ("RPAR", "')'"),
    ("LBRACE", "'{'"), ("RBRACE", "'}'"), ("LBRACK", "'['"), ("RBRACK", "']'"),
    ("ASSIGN", "'='"), ("COMMA", "','"), ("INVALID", "invalid token"),
]
TOKEN_NAME = dict(BISON_TOKENS)
TOKEN_ORDER = {t: i for i, (t, _) in enumerate(BISON_TOKENS)}
NONASSOC = ({"EQ", "NEQ"}, {"LT", "GT", "LEQ", "GEQ"})

MAX_DEPTH_MESSAGE = "expression nested too deeply"
INLINE_KINDS = {"list1": LIST1, "empty": EMPTY, "append": APPEND, "append3": APPEND3}


def grammar_text() -> str:
    """The grammar: installed as package data `nixlang.grammar`
    (nixlang/grammar/nix.lark), or read from the source tree's grammar/
    folder when running from a checkout."""
    here = os.path.dirname(os.path.realpath(__file__))      # nixlang/syntax
    for path in (os.path.join(here, "..", "grammar", "nix.lark"),
                 os.path.join(here, "..", "..", "grammar", "nix.lark")):
        try:
            with open(path, encoding="utf-8") as f:
                return f.read()
        except OSError:
            pass
    from importlib import resources   # any other installation layout
    return resources.files("nixlang.grammar").joinpath("nix.lark").read_text("utf-8")


def _cache_file(name: str = "lark-tables.pickle") -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    d = os.path.join(base, "pynix")
    try:
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, name)
    except OSError:
        import tempfile
        return os.path.join(tempfile.gettempdir(), "pynix-" + name)


# bump when the cached form of the tables (lr.ParseTable and what it holds) changes
_TABLES_FORMAT = 1


def _make_lark(builder):
    """Lark's LALR parser for the grammar (Lark's own cache file keeps its
    tables between processes)."""
    from lark import Lark
    text = grammar_text()
    lexer = _make_lark_lexer_class()
    try:
        return Lark(text, parser="lalr", lexer=lexer, transformer=builder,
                    cache=_cache_file(), maybe_placeholders=False)
    except Exception:  # an unreadable or stale cache must never stop parsing
        return Lark(text, parser="lalr", lexer=lexer, transformer=builder, maybe_placeholders=False)


def tables_cache_file() -> str:
    """The file that keeps the parse tables between processes (the
    playground's build ships a copy of it to the browser, which then never
    computes them)."""
    return _cache_file(f"lr-tables-{_TABLES_FORMAT}.pickle")


def _load_table(builder):
    """(ParseTable, Lark parser or None, compiled Tables or None): the tables
    from pynix's cache when it holds them for this very grammar (no Lark
    needed), with their compiled form when the file has it (see
    `_load_compiled`), else from Lark (and then cached for the next process)."""
    import pickle
    text = grammar_text()
    path = tables_cache_file()
    try:
        with open(path, "rb") as f:
            fmt, cached_text, table = pickle.load(f)
            if fmt == _TABLES_FORMAT and cached_text == text and type(table) is ParseTable:
                return table, None, _load_compiled(f, table, builder)
    except Exception:   # missing, unreadable or stale: compute the tables again
        pass
    lark = _make_lark(builder)
    table = ParseTable.from_lark(lark)
    _write_tables(path, pickle.dumps((_TABLES_FORMAT, text, table), protocol=pickle.HIGHEST_PROTOCOL))
    return table, lark, None


def _write_tables(path: str, data: bytes) -> None:
    try:
        write_atomically(path, data)
    except OSError:
        pass


def _compiled_key() -> bytes | None:
    """What the compiled tables depend on besides the table: the sources of
    the driver (lr), the builder (its methods and INLINE/PASS rules) and this
    module (how callbacks are chosen). None when they cannot be read."""
    from ..digest import sha256
    from . import builder as builder_module, lr
    h = sha256()
    try:
        for file in (lr.__file__, builder_module.__file__, __file__):
            with open(file, "rb") as f:
                h.update(f.read())
    except (OSError, TypeError, AttributeError):
        return None
    return h.digest()


def _load_compiled(f, table: ParseTable, builder) -> Tables | None:
    """The compiled `Tables` pickled after the table in file `f`, their
    callbacks bound to `builder`; None when absent or made for other sources.
    (Building them from the table is ~3,300 actions and ~8,000 gotos put in
    the driver's layout, about 5 ms; loading them, well under one.)"""
    import pickle
    key = _compiled_key()
    if key is None:
        return None
    try:
        stored_key, names = pickle.load(f)
        if stored_key != key:
            return None
        # each callback is a persistent id (its method name) at every action
        # that calls it: looked up in a dict (a C call, no Python frame)
        bound = {name: getattr(builder, name) for name in names}
        bound[""] = _first
        reader = pickle.Unpickler(f)
        reader.persistent_load = bound.__getitem__
        state = reader.load()
    except Exception:   # absent (a file written before), truncated, or a renamed builder method
        return None
    tables = Tables.__new__(Tables)
    tables.__dict__.update(state)
    tables.states = table.states
    return tables


def _store_compiled(table: ParseTable, tables: Tables, builder) -> None:
    """Write the cache file again: the table, then `tables` compiled (before
    any parse: their unit-chain memos are still empty)."""
    import io
    import pickle
    key = _compiled_key()
    if key is None:
        return
    out = io.BytesIO()
    pickle.dump((_TABLES_FORMAT, grammar_text(), table), out, protocol=pickle.HIGHEST_PROTOCOL)
    names: set = set()

    def persistent_id(obj):
        if obj is _first:
            return ""
        if getattr(obj, "__self__", None) is builder:
            names.add(obj.__name__)
            return obj.__name__
        return None
    body = io.BytesIO()
    writer = pickle.Pickler(body, protocol=pickle.HIGHEST_PROTOCOL)
    writer.persistent_id = persistent_id
    state = {k: v for k, v in tables.__dict__.items() if k != "states"}
    try:
        writer.dump(state)
        pickle.dump((key, sorted(names)), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(body.getvalue())
    except Exception:   # something the compiled form holds does not pickle: keep building it
        return
    _write_tables(tables_cache_file(), out.getvalue())


@record
class ParseOptions:
    pipe_operators: bool = False
    url_literals: bool = True
    home: str | None = None
    check_scopes: bool = True
    extra_globals: tuple = ()
    # lint levels, e.g. (("short-path-literals", "warn"),): ignore | warn | fatal
    lints: tuple = ()


class Frontend:
    """The parser tables with their AST builder (one per thread)."""

    def __init__(self):
        self.builder = Builder(Source(""))
        self.table, self._lark, tables = _load_table(self.builder)
        self._lark_callbacks = None   # the Lark parser whose loop has our callbacks
        self.callbacks = self._callbacks(self.table.states)
        if tables is None:
            inline = {rule: INLINE_KINDS[Builder.INLINE[rule.alias or rule.origin.name]]
                      for rule in self.callbacks if (rule.alias or rule.origin.name) in Builder.INLINE}
            tables = Tables(self.table, self.callbacks, _first, append_run=self.builder.append_run,
                            inline=inline)
            _store_compiled(self.table, tables, self.builder)
        self.tables = tables
        self.states = self.table.states
        self.rule_index = {rule: rule.order for rule in self.callbacks}
        self.end_states = set(self.table.end_states.values())
        self._narrow = None
        self._default_reductions: dict = {}

    def _callbacks(self, states) -> dict:
        """The semantic action of every rule the table reduces by: the builder
        method for rules with an alias (or a name of their own), and plain
        pass-through for unit rules (`?level: next_level`, and rules the
        builder passes through, `Builder.PASS`), keyed by the very rule
        objects the table holds (so lookups hit by identity)."""
        rules = {arg for acts in states.values() for act, arg in acts.values() if act is Reduce}
        callbacks = {}
        for rule in rules:
            name = rule.alias or rule.origin.name
            method = getattr(self.builder, name, None)
            if len(rule.expansion) == 1 and (rule.alias is None and rule.options.expand1
                                             or name in Builder.PASS):
                callbacks[rule] = _first
            elif method is not None:
                callbacks[rule] = method
            else:
                raise AssertionError(f"no AST builder for rule {rule}")
        return callbacks

    @property
    def lark(self):
        """Lark's own parser over the same grammar, made on first use, with
        the same builder methods as direct callbacks of its parser loop
        (skipping Lark's generic tree-building wrappers)."""
        if self._lark is None:
            self._lark = _make_lark(self.builder)
        lark = self._lark
        if self._lark_callbacks is not lark:
            parse_conf = lark.parser.parser.parser
            from lark.parsers.lalr_analysis import Reduce as LarkReduce
            rules = {arg for acts in parse_conf.parse_table.states.values() for act, arg in acts.values()
                     if act is LarkReduce}
            callbacks = {}
            for rule in rules:
                if rule.alias is None and rule.options.expand1 and len(rule.expansion) == 1:
                    callbacks[rule] = _lark_first
                else:
                    # Lark passes the children as one list, its tokens NixTokens (the
                    # builder reads token tuples)
                    method = getattr(self.builder, rule.alias or rule.origin.name)
                    callbacks[rule] = lambda children, method=method: method(
                        *[token_tuple(c) if type(c) is NixToken else c for c in children])
            parse_conf.callbacks = callbacks
            self._lark_callbacks = lark
        return lark

    # -- Bison's view of a syntax error --------------------------------------------
    def default_reduction(self, state):
        """Bison's default reduction for `state` (the most common one, the
        earliest rule on ties), or None for a state that only shifts.
        Computed once a state (garbage input asks thousands of times)."""
        try:
            return self._default_reductions[state]
        except KeyError:
            pass
        counts = Counter(arg for act, arg in self.states[state].values() if act is Reduce)
        rule = None
        if counts:
            top = max(counts.values())
            rule = min((r for r, c in counts.items() if c == top), key=lambda r: self.rule_index.get(r, 0))
        self._default_reductions[state] = rule
        return rule

    def narrow_states(self) -> frozenset:
        """States where neither a token recovery may insert nor the end of input
        can come next (after `rec`, only `{`)."""
        if self._narrow is None:
            usable = set(INSERTABLE) | {"$END"}
            self._narrow = frozenset(s for s in self.states if not usable & set(self._terminal_actions(s)))
        return self._narrow

    def _terminal_actions(self, state):
        if state in self.end_states:
            return ["$END"]
        return [t for t in self.states[state] if t.isupper() or t == "$END"]

    def bison_message(self, state_stack: list, tok_type: str, values: list | None = None) -> str:
        """Replay Bison's default reductions from `state_stack` for a token it
        cannot shift; return its message. With `values`, the
        semantic actions run too (and may raise their own errors first)."""
        return self.bison_error(state_stack, tok_type, values)[0]

    def bison_error(self, state_stack: list, tok_type: str, values: list | None = None):
        """`bison_message`, and the token types the parser expected there
        (those the message names; none when it names none)."""
        states = self.states
        stack = state_stack if values is not None else list(state_stack)
        while True:
            state = stack[-1]
            act = states[state].get(tok_type)
            if act is not None:
                if act[0] is Shift:
                    break
                # an explicit reduction (a lookahead merged in from another
                # context): Bison takes it too and goes on
                rule = act[1]
            else:
                rule = self.default_reduction(state)
                if rule is None:
                    break
            if tok_type not in ("$END",) and rule.alias == "binop" and len(rule.expansion) == 3:
                op = rule.expansion[1].name
                if any(op in cls and tok_type in cls for cls in NONASSOC):
                    return f"syntax error, unexpected {TOKEN_NAME.get(tok_type, tok_type)}", []
            self._reduce(stack, values, rule)
        expected = sorted((t for t in self._terminal_actions(stack[-1])),
                          key=lambda t: TOKEN_ORDER.get(t, 999))
        msg = f"syntax error, unexpected {TOKEN_NAME.get(tok_type, tok_type)}"
        if 0 < len(expected) <= 4:
            msg += ", expecting " + " or ".join(TOKEN_NAME.get(t, t) for t in expected)
            return msg, expected
        return msg, []

    def _reduce(self, stack: list, values: list | None, rule) -> None:
        """Apply one reduction to the stacks (with its semantic action when
        `values` is given)."""
        size = len(rule.expansion)
        if values is not None:
            args = values[-size:] if size else []
            if size:
                del values[-size:]
            value = self.callbacks[rule](*args)
        if size:
            del stack[-size:]
        stack.append(self.states[stack[-1]][rule.origin.name][1])
        if values is not None:
            values.append(value)

    def consistent_reductions(self, pstate) -> None:
        """Run the reductions Bison makes before it reads the next token
        (states whose only action is one reduction)."""
        while True:
            acts = self.states[pstate.state_stack[-1]]
            terminal_acts = [acts[t] for t in acts if t.isupper() or t == "$END"]
            if not terminal_acts or any(a is Shift for a, _ in terminal_acts):
                return
            rules = {arg for _, arg in terminal_acts}
            if len(rules) != 1:
                return
            self._reduce(pstate.state_stack, pstate.value_stack, rules.pop())

    def advance(self, state_stack: list, t: str) -> list | None:
        """The state stack after feeding token type `t` (no semantic actions),
        or None if `t` is a syntax error there. For `$END`, the returned stack
        is the accepting one."""
        stack = list(state_stack)
        return stack if advance_states(self.tables, stack, t) else None

    def simulate(self, state_stack: list, types: list[str]) -> bool:
        """Can these token types be fed from this stack? (no semantic actions)"""
        stack = list(state_stack)
        tables = self.tables
        for t in types:
            if not advance_states(tables, stack, t):
                return False
        return True

    def completion(self, state_stack: list, costs: dict[str, int], limit: int = 3000) -> list[str] | None:
        """The cheapest sequence of token types (by `costs`) that completes the
        input from this stack, so that end of file is accepted: a uniform-cost
        search over parser stacks, each visited once, within `limit` steps.
        When that finds nothing (what is open is nested too deep for the
        search: garbage), a greedy descent closes it (`_closing`); so it does
        at once on a stack so deep that each step of the search would copy
        thousands of states."""
        if len(state_stack) > SEARCH_MAX_DEPTH:
            return self._closing(state_stack, costs)
        start = tuple(state_stack)
        heap = [(0, 0, start, ())]
        seen = set()
        counter = 0
        while heap and limit > 0:
            cost, _, stack, path = heapq.heappop(heap)
            if stack in seen:
                continue
            seen.add(stack)
            limit -= 1
            if self.advance(list(stack), "$END") is not None:
                return list(path)
            for c, w in costs.items():
                nxt = self.advance(list(stack), c)
                if nxt is not None:
                    t = tuple(nxt)
                    if t not in seen:
                        counter += 1
                        heapq.heappush(heap, (cost + w, counter, t, path + (c,)))
        return self._closing(state_stack, costs)

    def _closing(self, state_stack: list, costs: dict[str, int]) -> list[str] | None:
        """Some sequence of token types that completes the input: at each step
        the token that leaves the shallowest stack (the cheapest on a tie),
        never a stack met before; None when it runs into a dead end, or when
        the stack is too deep to be worth it (a tree of garbage helps no one)."""
        if len(state_stack) > CLOSING_MAX_DEPTH:
            return None
        order = sorted(costs, key=costs.get)
        stack = list(state_stack)
        seen = {tuple(stack)}
        path: list[str] = []
        for _ in range(4 * len(stack) + 100):
            if self.advance(stack, "$END") is not None:
                return path
            best = None
            for c in order:
                nxt = self.advance(stack, c)
                if nxt is not None and (best is None or len(nxt) < len(best[1])) and tuple(nxt) not in seen:
                    best = (c, nxt)
            if best is None:
                return None
            path.append(best[0])
            stack = best[1]
            seen.add(tuple(stack))
        return None


def _first(child):
    """The action of a unit rule (`a: b`): b's value."""
    return child


def _lark_first(children):
    return children[0]


_local = threading.local()


def frontend() -> Frontend:
    fe = getattr(_local, "frontend", None)
    if fe is None:
        fe = _local.frontend = Frontend()
    return fe


def _error_position(lexer: Lexer | Lexed, tok) -> Span:
    """Where the syntax error at `tok` (a NixToken or a token tuple) is reported."""
    if type(tok) is NixToken:
        tok = token_tuple(tok)
    if tok[0] == "$END":
        # Bison's error(): for "unexpected end of file" the location is moved to
        # its end; the end of file token has the location of the last match
        n = lexer.eof_offset
        return Span(n, n)
    return Span(tok[2], tok[3])


@record
class ParseResult:
    ast: A.Node | None
    source: Source
    diagnostics: list = field(default_factory=list)
    symbols: dict = field(default_factory=dict)
    comments: list = field(default_factory=list)
    warnings: list = field(default_factory=list)   # (message, offset or None), in Nix's order
    # no syntax diagnostic and no warning: a base for `incremental.reparse`
    clean: bool = False
    lexed: object = None     # incremental.Lexed of this text or an earlier one (editor parses)


_NO_SOURCE = Source("")


def parse_syntax(source: Source, options: ParseOptions | None = None) -> ParseResult:
    """Parse one Nix expression; raise the first syntax error (or error found
    by the parser's own checks) exactly as Nix reports it. Scopes are checked
    one layer up (`nixlang.parse`)."""
    options = options or ParseOptions()
    fe = frontend()
    builder = fe.builder
    builder.__init__(source, recover=False, home=options.home, lints=dict(options.lints))
    lexer = Lexer(source, pipe_operators=options.pipe_operators, url_literals=options.url_literals,
                  collect_comments=True, int_runs=True)
    n = len(source.text)
    eof = lambda: ("$END", "", lexer.eof_offset, lexer.eof_offset, False)  # noqa: E731
    pstate = LRParser(fe.tables)
    try:
        try:
            tree = pstate.parse(lexer.token_tuples(), eof)
            symbols, warnings = builder.symbols, builder.warnings
        except Stuck as e:
            tok = e.token
            if tok[0] == "ERROR":
                fe.consistent_reductions(pstate)
                raise tok[4] from None
            msg, expected = fe.bison_error(pstate.state_stack, tok[0], pstate.value_stack)
            raise errors.SyntaxError_(msg, source, _error_position(lexer, tok)).tagged(
                "syntax", unexpected=tok[0], expected=expected) from None
    except RecursionError:
        raise errors.TooDeep(MAX_DEPTH_MESSAGE, source, Span(0, n)) from None
    finally:
        # the thread's builder outlives the parse: it lets go of the text and
        # of its tables of nodes (a 10 MB input's text stayed alive until the
        # next parse)
        pstate = None
        builder.__init__(_NO_SOURCE)
    return ParseResult(tree, source, [], dict(symbols), lexer.comments or [], warnings)


# -- error recovery for editors ---------------------------------------------------------

# what recovery may insert in front of an unexpected token, most plausible first
INSERTABLE = ["SEMI", "RBRACE", "RBRACK", "RPAR", "ID", "THEN", "ELSE", "IN_KW", "COLON",
              "ASSIGN", "DQUOTE", "IND_STRING_CLOSE", "PATH_END"]
# what recovery appends at end of input to close what is open
# (with a cost each: closing what is open is cheap, inventing code is dear)
CLOSERS = {"SEMI": 1, "RBRACE": 1, "RBRACK": 1, "RPAR": 1, "DQUOTE": 1, "IND_STRING_CLOSE": 1,
           "PATH_END": 1, "IN_KW": 2, "THEN": 2, "ELSE": 2, "ID": 2, "COLON": 3, "ASSIGN": 3}
_VIRTUAL_TEXT = {"SEMI": ";", "RBRACE": "}", "RBRACK": "]", "RPAR": ")", "ID": "", "THEN": "then",
                 "ELSE": "else", "IN_KW": "in", "COLON": ":", "ASSIGN": "=", "DQUOTE": '"',
                 "IND_STRING_CLOSE": "''", "PATH_END": ""}


@record
class SyntaxDiagnostic:
    """One recovered syntax problem: the Nix error, and the repair recovery made."""
    error: errors.NixError
    repair: str = ""          # e.g. "inserted ';'", "skipped token"


def _virtual(type_: str, at: int) -> tuple:
    """A token tuple recovery inserts (flagged virtual)."""
    return (type_, _VIRTUAL_TEXT.get(type_, ""), at, at, True)


def recover_syntax(source: Source, options: ParseOptions | None = None,
                   base: ParseResult | None = None, lexed=None) -> ParseResult:
    """Parse for an editor: never raises. Returns the (possibly partial) AST
    and every diagnostic of the syntax layer: syntax errors with the repairs
    made to continue, lexer errors, duplicate attributes and formals.
    `base`, the result for an earlier text of the same document, lets an
    edit inside one expression reparse only that (`incremental`); `lexed`
    (by default `base.lexed`), tokens of an earlier text, are reused where
    the text is the same when the whole text has to be parsed."""
    options = options or ParseOptions()
    if lexed is None and base is not None:
        lexed = base.lexed
    try:
        result = None
        parts = None
        if base is not None and base.clean:
            try:
                parts = reparse(base, base.source.text, source, options.home, frontend())
            except Exception:        # never worse than a full parse
                parts = None
            if parts is not None and parts is not STUCK:
                result = ParseResult(parts[0], source, [], parts[1], parts[2], [], clean=True, lexed=lexed)
        if result is None:
            try:
                lexed = lex(source, lexed)
            except Exception:
                lexed = lex(source)
            result = _parse_recover(source, options, lexed, likely_broken=parts is STUCK,
                                    base=base if parts is STUCK else None)
            result.clean = result.ast is not None and not result.diagnostics and not result.warnings
            result.lexed = lexed
        return result
    except RecursionError:
        return ParseResult(None, source, [errors.TooDeep(MAX_DEPTH_MESSAGE, source, Span(0, 0))])
    except Exception as exc:  # last line of defence: an editor must never see a crash
        return ParseResult(None, source, [errors.SyntaxError_(f"internal parser error: {exc!r}",
                                                               source, Span(0, 0))])


def _parse_recover(source: Source, options: ParseOptions, lexer, likely_broken: bool = False,
                   base: ParseResult | None = None) -> ParseResult:
    """Recovery in (at most) three passes, so that a file without syntax errors
    costs no more than a strict parse:

    1. parse with the semantic actions, as `parse_syntax` does; if no token
       is stuck, that is the result;
    2. otherwise plan the repairs on bare state stacks (`_plan_repairs`): the
       repairs depend only on the parser states, never on the values, so
       this pass runs no semantic action and can back up a token cheaply;
    3. parse again with the semantic actions, applying the plan (which
       cannot get stuck: it takes the very transitions pass 2 checked).

    When the text `likely_broken` (an edit made the expression around it
    stop parsing), pass 1 is skipped: it would only get stuck. The result is
    the same either way (for a text without errors, the plan is empty and
    pass 3 is pass 1). Then, given `base` (a clean parse of an earlier text),
    pass 3 runs only over the expression around the edit when every repair
    falls inside it (`incremental.reparse_repaired`).
    """
    fe = frontend()
    lex_diags = []
    tokens = list(lexer.tokens)
    if lexer.errors:
        # each lexer error is a diagnostic, and its token goes on as the type it stands for
        for k, t in enumerate(tokens):
            if t.type == "ERROR":
                lex_diags.append(t.error)
                fallback = t.value
                value = {"INT_LIT": 0, "FLOAT_LIT": 0.0}.get(fallback, source.text[t.start_pos:t.end_pos])
                tokens[k] = make_token(fallback, value, t.start_pos, t.end_pos, t.line, t.column)
    n = lexer.eof_offset
    eof = make_token("$END", "", n, n, *(_line_col(source, n)))
    builder = fe.builder
    if not likely_broken:
        builder.__init__(source, recover=True, home=options.home)
        pstate = LRParser(fe.tables)
        try:
            pstate.feed_tokens(map(token_tuple, tokens))
            result = pstate.feed_token(token_tuple(eof), True)
        except Stuck:
            pass
        else:
            return ParseResult(result, source, lex_diags + builder.diagnostics, dict(builder.symbols),
                               lexer.comments or [])
        if len(pstate.state_stack) > MAX_RECOVER_DEPTH:
            return _too_deep(source, lexer, lex_diags)
    plan = _plan_repairs(fe, source, lexer, tokens, eof)
    if plan is None:
        if likely_broken:       # pass 1 may still build a tree (a deep file without errors)
            return _parse_recover(source, options, lexer)
        return _too_deep(source, lexer, lex_diags)
    inserts, deletes, syntax, eof_seq = plan
    diags: list = lex_diags
    for i in sorted(syntax):
        d = syntax[i]
        d.error.repair = d.repair
        diags.append(d.error)
    if base is not None and not lexer.errors and eof_seq == []:
        # every repair inside the expression around the edit: parse only that
        def parse_range(first: int, last: int):
            builder.__init__(source, recover=True, home=options.home)
            builder.symbols = dict(base.symbols)
            pstate = LRParser(fe.tables)
            try:
                _feed_repaired(pstate, source, tokens, first, last + 1, inserts, deletes)
                end = tokens[last].end_pos
                tree = pstate.feed_token(("$END", "", end, end, False), True)
            except Stuck:
                return None
            if builder.warnings or tree is None:
                return None
            return tree, builder.symbols, builder.diagnostics, builder.outer_end.get(tree, tree.end)
        try:
            got = reparse_repaired(base, source, tokens, inserts, deletes, parse_range)
        except Exception:          # never worse than a whole parse
            got = None
        if got is not None:
            return ParseResult(got[0], source, diags + got[2], got[1], lexer.comments or [])
    builder.__init__(source, recover=True, home=options.home)
    pstate = LRParser(fe.tables)
    _feed_repaired(pstate, source, tokens, 0, len(tokens), inserts, deletes)
    result = None
    if eof_seq is not None:
        for cand in eof_seq:
            pstate.feed_token(_virtual(cand, eof.start_pos))
        result = pstate.feed_token(token_tuple(eof), True)
    diags.extend(builder.diagnostics)
    return ParseResult(result, source, diags, dict(builder.symbols), lexer.comments or [])


def _feed_repaired(pstate: LRParser, source: Source, tokens: list, start: int, end: int,
                   inserts: dict, deletes: set) -> None:
    """Feed tokens[start:end] to the parser with the planned repairs: virtual
    tokens inserted before token k (`inserts[k]`), token k skipped (`deletes`)."""
    pos = start
    for k in sorted(k for k in set(inserts) | deletes if start <= k <= end):
        pstate.feed_tokens(map(token_tuple, tokens[pos:k]))
        if inserts.get(k):
            at = tokens[k - 1].end_pos if k > 0 else 0
            for vt in inserts[k]:
                pstate.feed_token(_virtual(vt, at))
        pos = k + 1 if k in deletes else k
    pstate.feed_tokens(map(token_tuple, tokens[pos:end]))


# Error recovery copies parser stacks token by token, and its search for the
# tokens that close what is open grows with the nesting; past this depth
# (Bison's own default stack limit) a broken file gets one "nested too deeply"
# diagnostic instead of a repair.
MAX_RECOVER_DEPTH = 10000
SEARCH_MAX_DEPTH = 1000       # deeper stacks are closed greedily at end of input (`Frontend.completion`)
CLOSING_MAX_DEPTH = 4000      # and deeper ones not at all


def _too_deep(source: Source, lexer: Lexed, lex_diags: list) -> ParseResult:
    return ParseResult(None, source, lex_diags + [errors.TooDeep(MAX_DEPTH_MESSAGE, source, Span(0, 0))],
                       {}, lexer.comments or [])


def _plan_repairs(fe: Frontend, source: Source, lexer: Lexed, tokens: list, eof):
    """Decide the repairs, on state stacks only: (inserts, deletes, syntax
    diagnostics, closing tokens at end of input or None), or None when the
    nesting is too deep to repair.

    Token by token: a token the parser cannot take is reported (Bison's
    message), then repaired by the first of
    - inserting one token in front of it (`INSERTABLE`, most plausible first);
    - skipping the previous token when it allows only a token recovery never
      inserts (`rec` wants `{`), then taking this one again;
    - a missing `;` at the end of the previous line (`a = 1 <newline> b = 2;`):
      back up one token, insert `;` before it and go on from there;
    - skipping it (and reporting nothing for the next three tokens, which
      usually fail for the same reason).
    At end of input the cheapest sequence of `CLOSERS` completes the file.
    The parse with semantic actions then replays exactly these repairs."""
    tables = fe.tables
    text = source.text
    advance = advance_states
    narrow = fe.narrow_states()
    n = len(tokens)
    inserts: dict[int, list[str]] = {}
    deletes: set[int] = set()
    syntax: dict[int, SyntaxDiagnostic] = {}
    stack = [tables.start_state]
    prev_stack = None     # the stack before token i-1 (after its inserts), if it was taken as is
    prev_base = None      # the stack before the inserts at token i-1
    quiet_until = -1
    i = 0
    while i <= n:
        if len(stack) > MAX_RECOVER_DEPTH:
            return None
        ins = inserts.get(i)
        if i < n and not ins:
            # the tokens that go in as they are, in one tight loop
            j, before, prev_before = run_states(tables, stack, tokens, i, n, MAX_RECOVER_DEPTH)
            if j > i:
                prev_stack = prev_base = prev_before
            if before is None:       # went through to the end, or too deep
                i = j
                continue
            i = j
            tok = tokens[i]
            tt = tok.type
        else:
            tok = tokens[i] if i < n else eof
            tt = tok.type
            base = None
            if ins:
                base = stack[:]
                for vt in list(ins):
                    trial = stack[:]
                    if not advance(tables, trial, vt):
                        ins.remove(vt)     # cannot happen with a consistent plan; drop it
                        break
                    stack = trial
            before = stack[:]
            if advance(tables, stack, tt):
                prev_stack = before
                prev_base = base if base is not None else before
                i += 1
                continue
        if i not in syntax and i > quiet_until:
            # Bison's message (which replays its reductions) only for a reported token
            msg, expected = fe.bison_error(stack, tt)
            syntax[i] = SyntaxDiagnostic(errors.SyntaxError_(msg, source, _error_position(lexer, tok)).tagged(
                "syntax", unexpected=tt, expected=expected))
        diag = syntax.get(i)
        stack = before       # repairs start from the stack the token met
        if tt == "$END":
            seq = fe.completion(stack, CLOSERS)
            if seq is None and prev_stack is not None:
                # nothing closes what the last token opened (`x: rec`): drop that token
                seq = fe.completion(prev_stack, CLOSERS)
                if seq is not None:
                    deletes.add(n - 1)
            if diag and seq:
                _note(diag, "inserted " + " ".join(_VIRTUAL_TEXT[c] or TOKEN_NAME[c] for c in seq),
                      inserted=seq, at=eof.start_pos)
            return inserts, deletes, syntax, seq
        top_actions = tables.actions[stack[-1]]   # a token the top state has no action for is out at once
        cand = next((c for c in INSERTABLE if c in top_actions and fe.simulate(stack, [c, tt])), None)
        if cand is not None:
            inserts.setdefault(i, []).append(cand)
            advance(tables, stack, cand)
            advance(tables, stack, tt)
            if diag:
                _note(diag, f"inserted {TOKEN_NAME[cand]}", inserted=[cand],
                      at=tokens[i - 1].end_pos if i > 0 else 0)
            prev_stack = None
            i += 1
            continue
        if prev_stack is not None and stack[-1] in narrow:
            # the previous token allows only what no repair gives (`rec` wants `{`):
            # skip that token, then take this one again (and repair it if need be)
            deletes.add(i - 1)
            if diag:
                diag.repair = "skipped " + TOKEN_NAME.get(tokens[i - 1].type, tokens[i - 1].type)
            stack = prev_stack[:]
            prev_stack = None
            continue
        if (prev_stack is not None and i >= 2 and "SEMI" not in inserts.get(i - 1, ())
                and "\n" in text[tokens[i - 2].end_pos:tokens[i - 1].start_pos]
                and fe.simulate(prev_stack, ["SEMI", tokens[i - 1].type, tt])):
            inserts.setdefault(i - 1, []).append("SEMI")
            if diag:
                _note(diag, "inserted ';'", inserted=["SEMI"], at=tokens[i - 2].end_pos)
            # back up: token i-1 again, now after the `;`
            stack = prev_base[:]
            prev_stack = None
            quiet_until = -1
            i -= 1
            continue
        deletes.add(i)
        prev_stack = None
        quiet_until = i + 3
        if diag:
            _note(diag, "skipped " + TOKEN_NAME.get(tt, tt))
        i += 1
        # more of the same token meet the same stack, fail the same way and are
        # skipped as quietly: skip them at once (200,000 `)` plan in a blink)
        while i < n and tokens[i].type == tt and i not in inserts:
            deletes.add(i)
            quiet_until = i + 3
            i += 1
    return inserts, deletes, syntax, []


def _note(diag: SyntaxDiagnostic, repair: str, inserted=None, at: int | None = None) -> None:
    """Record a repair (after the one already made for the same token, if any);
    for an insertion, the error's data says which tokens went in where."""
    diag.repair = f"{diag.repair} and {repair}" if diag.repair else repair
    if inserted:
        diag.error.data.setdefault("inserted", []).append((list(inserted), at))


def _line_col(source: Source, offset: int) -> tuple[int, int]:
    line, _ = source.line_col(offset)
    return line, offset - source.line_starts[line - 1] + 1
