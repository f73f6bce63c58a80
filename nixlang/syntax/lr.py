"""A compact LALR(1) driver over the tables Lark computes for grammar/nix.lark.

Lark builds the automaton (LR(0) item sets, DeRemer–Pennello lookaheads) and
could run it too, through its custom-lexer hook (`LarkNixLexer`), and the
test suite checks that both give the same AST. We run the tables ourselves
because the driver is the innermost loop of every parse: compiling each
action once into a tuple (shift target, or rule size / goto / callback) and
skipping Lark's per-step checks makes parsing about 2.5 times faster, which
is the difference between a slow and a usable editor on a big file.

`LRParser` keeps the same two stacks as Lark's ParserState (`state_stack`,
`value_stack`), so error reporting and recovery read them the same way.
"""
from __future__ import annotations

from lark.parsers.lalr_analysis import Shift


class Stuck(Exception):
    """No action for this token in the current state (a syntax error; the
    stacks are left as they were when it was found)."""

    def __init__(self, token):
        super().__init__(token.type)
        self.token = token


class Tables:
    """Lark's parse table, compiled for `LRParser`: per state, token type ->
    (SHIFT, target) | (UNIT, nonterminal) | (REDUCE, size, nonterminal, callback),
    and per state, nonterminal -> goto state. A UNIT reduction (`a: b`, whose
    value is its only child's) touches no value at all."""

    def __init__(self, parse_table, callbacks: dict, unit_callback, start: str = "start"):
        self.states = parse_table.states
        self.start_state = parse_table.start_states[start]
        self.end_state = parse_table.end_states[start]
        self.actions: dict = {}
        self.gotos: dict = {}
        for st, row in parse_table.states.items():
            compiled = {}
            gotos = {}
            for t, (act, arg) in row.items():
                if act is Shift:
                    if t.isupper() or t == "$END":
                        compiled[t] = (SHIFT, arg)
                    else:
                        gotos[t] = arg
                else:
                    cb = callbacks[arg]
                    name = arg.origin.name
                    if cb is unit_callback and len(arg.expansion) == 1:
                        compiled[t] = (UNIT, name)
                    else:
                        compiled[t] = (REDUCE, len(arg.expansion), name, cb)
            self.actions[st] = compiled
            self.gotos[st] = gotos


SHIFT, UNIT, REDUCE = 0, 1, 2


class LRParser:
    __slots__ = ("tables", "state_stack", "value_stack")

    def __init__(self, tables: Tables):
        self.tables = tables
        self.state_stack = [tables.start_state]
        self.value_stack: list = []

    def feed_token(self, tok, is_end: bool = False):
        """Feed one token; with `is_end` (the `$END` token) return the result."""
        actions = self.tables.actions
        gotos = self.tables.gotos
        sstack, vstack = self.state_stack, self.value_stack
        tt = tok.type
        end_state = self.tables.end_state
        while True:
            if is_end and sstack[-1] == end_state:
                return vstack[-1]
            a = actions[sstack[-1]].get(tt)
            if a is None:
                raise Stuck(tok)
            kind = a[0]
            if kind == SHIFT:
                sstack.append(a[1])
                vstack.append(tok)
                return None
            if kind == UNIT:
                sstack[-1] = gotos[sstack[-2]][a[1]]
                continue
            size = a[1]
            if size:
                args = vstack[-size:]
                del vstack[-size:]
                del sstack[-size:]
            else:
                args = []
            value = a[3](args)
            sstack.append(gotos[sstack[-1]][a[2]])
            vstack.append(value)

    def parse(self, tokens, eof_factory):
        """Run over an iterator of tokens, then end of input; return the value
        of the start symbol. Raises `Stuck` at the first token with no action."""
        feed = self.feed_token
        for tok in tokens:
            feed(tok)
        return feed(eof_factory(), True)
