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
    """Lark's parse table, compiled for `LRParser`."""

    def __init__(self, parse_table, callbacks: dict, start: str = "start"):
        self.states = parse_table.states
        self.start_state = parse_table.start_states[start]
        self.end_state = parse_table.end_states[start]
        self.actions: dict = {}
        for st, row in parse_table.states.items():
            compiled = {}
            for t, (act, arg) in row.items():
                if act is Shift:
                    compiled[t] = (True, arg, None, None)
                else:
                    cb = callbacks[arg]
                    compiled[t] = (False, len(arg.expansion), arg.origin.name, cb)
            self.actions[st] = compiled


class LRParser:
    __slots__ = ("tables", "state_stack", "value_stack")

    def __init__(self, tables: Tables):
        self.tables = tables
        self.state_stack = [tables.start_state]
        self.value_stack: list = []

    def feed_token(self, tok, is_end: bool = False):
        """Feed one token; with `is_end` (the `$END` token) return the result."""
        actions = self.tables.actions
        states = self.tables.states
        sstack, vstack = self.state_stack, self.value_stack
        tt = tok.type
        end_state = self.tables.end_state
        while True:
            if is_end and sstack[-1] == end_state:
                return vstack[-1]
            a = actions[sstack[-1]].get(tt)
            if a is None:
                raise Stuck(tok)
            if a[0]:
                sstack.append(a[1])
                vstack.append(tok)
                return None
            size = a[1]
            if size:
                args = vstack[-size:]
                del vstack[-size:]
                del sstack[-size:]
            else:
                args = []
            value = a[3](args)
            sstack.append(states[sstack[-1]][a[2]][1])
            vstack.append(value)

    def parse(self, tokens, eof_factory):
        """Run over an iterator of tokens, then end of input; return the value
        of the start symbol. Raises `Stuck` at the first token with no action."""
        actions = self.tables.actions
        states = self.tables.states
        sstack, vstack = self.state_stack, self.value_stack
        for tok in tokens:
            row_get = actions[sstack[-1]].get
            tt = tok.type
            while True:
                a = row_get(tt)
                if a is None:
                    raise Stuck(tok)
                if a[0]:
                    sstack.append(a[1])
                    vstack.append(tok)
                    break
                size = a[1]
                if size:
                    args = vstack[-size:]
                    del vstack[-size:]
                    del sstack[-size:]
                else:
                    args = []
                vstack.append(a[3](args))
                top = states[sstack[-1]][a[2]][1]
                sstack.append(top)
                row_get = actions[top].get
        return self.feed_token(eof_factory(), True)
