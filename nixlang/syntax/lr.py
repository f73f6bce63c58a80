"""A compact LALR(1) driver over the tables Lark computes for grammar/nix.lark.

Lark builds the automaton (LR(0) item sets, DeRemer–Pennello lookaheads) and
could run it too, through its custom-lexer hook (`LarkNixLexer`), and the
test suite checks that both give the same AST. We run the tables ourselves
because the driver is the innermost loop of every parse: compiling each
action once into a tuple (shift target, or rule size / goto / callback) and
skipping Lark's per-step checks makes parsing about 2.5 times faster, which
is the difference between a slow and a usable editor on a big file.

`LRParser` keeps the same two stacks as Lark's ParserState (`state_stack`,
`value_stack`), so error reporting and recovery read them the same way. It
reads tokens as the lexer's tuples (type, value, start, end, flag: see
lexer.py), which go on the value stack as they are; callers holding
`NixToken`s feed `lexer.token_tuple(t)`.
"""
from __future__ import annotations



class Shift:
    """Action marker in a parse table row: (Shift, next state)."""


class Reduce:
    """Action marker in a parse table row: (Reduce, rule)."""


class Sym:
    """A grammar symbol in a rule's expansion (as Lark's `Symbol`: its `name`)."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return self.name


class RuleOptions:
    __slots__ = ("expand1",)

    def __init__(self, expand1: bool):
        self.expand1 = expand1


class Rule:
    """A grammar rule as the parser needs it (the parts of Lark's `Rule` it
    reads): `origin.name`, `expansion` (symbols with a `name`), `alias`,
    `options.expand1`, and `order`, its position in the grammar."""
    __slots__ = ("origin", "expansion", "alias", "options", "order")

    def __init__(self, origin: str, expansion, alias, expand1: bool, order: int):
        self.origin = Sym(origin)
        self.expansion = tuple(Sym(x) for x in expansion)
        self.alias = alias
        self.options = RuleOptions(expand1)
        self.order = order

    def __repr__(self):
        return f"<{self.origin.name} : {' '.join(s.name for s in self.expansion)}>"


class ParseTable:
    """Lark's LALR table in plain objects (picklable, no Lark needed to use
    it): per state, symbol -> (Shift, state) | (Reduce, Rule); start and end
    states per start symbol."""
    __slots__ = ("states", "start_states", "end_states")

    def __init__(self, states: dict, start_states: dict, end_states: dict):
        self.states = states
        self.start_states = start_states
        self.end_states = end_states

    def __getstate__(self):
        return (self.states, self.start_states, self.end_states)

    def __setstate__(self, state):
        self.states, self.start_states, self.end_states = state

    @classmethod
    def from_lark(cls, lark) -> "ParseTable":
        """The table of a Lark LALR parser, converted."""
        from lark.parsers.lalr_analysis import Shift as LarkShift
        table = lark.parser.parser.parser.parse_table
        order = {r: i for i, r in enumerate(lark.rules)}
        rules: dict = {}

        # names as plain `str` (Lark's are often its own `Token`s): the table
        # must unpickle without Lark
        def rule(r):
            hit = rules.get(r)
            if hit is None:
                hit = rules[r] = Rule(str(r.origin.name), [str(x.name) for x in r.expansion],
                                      None if r.alias is None else str(r.alias),
                                      bool(r.options.expand1), order.get(r, 0))
            return hit
        states = {int(st): {str(t): (Shift, int(arg)) if act is LarkShift else (Reduce, rule(arg))
                            for t, (act, arg) in row.items()}
                  for st, row in table.states.items()}
        return cls(states, {str(k): int(v) for k, v in table.start_states.items()},
                   {str(k): int(v) for k, v in table.end_states.items()})


class Stuck(Exception):
    """No action for this token (a token tuple, see lexer.py) in the current
    state (a syntax error; the stacks are left as they were when it was found)."""

    def __init__(self, token):
        super().__init__(token[0])
        self.token = token


class Tables:
    """The parse table (a `ParseTable`), compiled for `LRParser`: per state, token type ->
    (SHIFT, target) | (UNIT, nonterminal, memo) | (kind, size, nonterminal, callback),
    and per state, nonterminal -> goto state. A UNIT reduction (`a: b`, whose
    value is its only child's) touches no value at all.

    Reductions: the callback gets the rule's children as positional
    arguments; REDUCE1 is a rule of one symbol (its value replaced in
    place), REDUCE any other. The commonest rules that only make or extend
    a list (`attrpath: attr`, `attrpath: attrpath . attr`, `list: `, ...)
    are made by the driver itself, without calling anything: `inline` maps
    such rules to LIST1 ([x]), EMPTY ([]), APPEND (`lst x`: lst + [x]) or
    APPEND3 (`lst sep x`), and their callbacks (which do the same) are only
    called elsewhere (Lark's loop, Bison's error replay).

    Unit chains: Nix's grammar has one level per operator precedence, so a
    token usually triggers a run of UNIT reductions (`expr_select` ->
    `expr_app` -> `expr_op` -> ... -> `expr`), about three per token. Such a
    run replaces only the top state, and where it ends depends on nothing but
    the state below it, the top state and the lookahead; each UNIT action
    (one per top state and token type) memoises, in its `memo` (a list, by state), state below
    -> (final top state, the action there), so the driver makes the whole
    run in one lookup of a small integer."""

    def __init__(self, parse_table, callbacks: dict, unit_callback, start: str = "start",
                 append_run=None, inline: dict | None = None):
        self.states = parse_table.states
        # `append_run(elements, run)`: adds a lexer's INT_RUN to the elements of
        # the list being parsed (see `LRParser.feed_int_run`)
        self.append_run = append_run
        self.start_state = parse_table.start_states[start]
        self.end_state = parse_table.end_states[start]
        actions: dict = {}
        gotos: dict = {}
        for st, row in parse_table.states.items():
            compiled = {}
            goto = {}
            for t, (act, arg) in row.items():
                if act is Shift:
                    if t.isupper() or t == "$END":
                        compiled[t] = (SHIFT, arg)
                    else:
                        goto[t] = arg
                else:
                    cb = callbacks[arg]
                    name = arg.origin.name
                    size = len(arg.expansion)
                    kind = inline.get(arg) if inline else None
                    if cb is unit_callback and size == 1:
                        # a[2]: the unit chain's end memoised per state below
                        # (see `unit_chain`), for this state and token type
                        compiled[t] = (UNIT, name, [])
                    else:
                        compiled[t] = (kind if kind is not None else REDUCE1 if size == 1 else REDUCE,
                                       size, name, cb)
            actions[st] = compiled
            gotos[st] = goto
        # states are numbered 0..n-1: index lists, not dictionaries
        count = len(actions)
        assert sorted(actions) == list(range(count)), "LR states are not numbered 0..n-1"
        self.actions = [actions[k] for k in range(count)]
        self.gotos = [gotos[k] for k in range(count)]
        # The driver's own layout: per token type, its action in each state (a
        # list indexed by state, `rows[type][state]`), and each reduction with,
        # as a[4], the goto on its nonterminal from each state (a[4][state]):
        # list indexing only, no hashing, in the inner loop.
        goto_rows: dict = {}
        for g in self.gotos:
            for nt in g:
                if nt not in goto_rows:
                    goto_rows[nt] = [self.gotos[k].get(nt) for k in range(count)]
        rows: dict = {}
        for k, row in enumerate(self.actions):
            for t, a in row.items():
                if a[0] > UNIT:
                    a = row[t] = a + (goto_rows[a[2]],)
                rows.setdefault(t, [None] * count)[k] = a
        self.rows = rows
        # the states inside `[ ... ]` where the next element may come: those
        # reached by the goto on the nonterminal `list`
        self.list_states = frozenset(g["list"] for g in gotos.values() if "list" in g)
        self.fuse_shifts()

    def consistent_states(self) -> dict:
        """The states whose every token action is one and the same reduction
        (Bison's "consistent" states: it reduces there without reading the
        next token), mapped to that action. The accepting state is left out."""
        out = {}
        for st, row in enumerate(self.actions):
            if st == self.end_state or not row:
                continue
            kinds = {(a[0], a[1]) if a[0] == UNIT else a[:4] for a in row.values()}
            if len(kinds) == 1 and next(iter(row.values()))[0] != SHIFT:
                out[st] = next(iter(row.values()))
        return out

    def fuse_shifts(self) -> None:
        """Give each shift in `rows` the reductions that must follow it: where a
        token goes to a consistent state, the reduction made there on any next
        token is made at once, with the shift (`feed_tokens` then has one
        action to take instead of two or three). Which reductions follow, and
        the state they end in, depend only on the state the token is shifted
        from when each of them takes one symbol (`a: ID`, then `b: a`...): such
        a run becomes SHIFT_R1 (the token through one callback; UNIT steps
        change nothing) or SHIFT_R1_LIST (then made a one-element list), with
        its final state. A reduction of several symbols right after the shift
        becomes SHIFT_REDUCE / SHIFT_APPEND (the goto from the state under
        them), and an empty list made right after it SHIFT_EMPTY.

        Bison makes these very reductions before it reads the next token, so
        an error on that token meets the same stacks (and `Frontend.bison_error`,
        which replays Bison's default reductions, the same messages).
        `actions`, which error recovery and `reduce_before` read, keep the
        plain shifts. Absent actions become `_NONE`."""
        consistent = self.consistent_states()
        for row in self.rows.values():
            for s, a in enumerate(row):
                if a is None:
                    row[s] = _NONE
                elif a[0] == SHIFT:
                    row[s] = self._fused(s, a[1], consistent)

    def _fused(self, s: int, t: int, consistent: dict) -> tuple:
        """The action for shifting into state `t` from state `s` (see `fuse_shifts`)."""
        goto = self.gotos[s]
        state, steps = t, []          # steps: the kinds of the value-changing reductions so far
        callback = None
        while state in consistent:
            c = consistent[state]
            kind = c[0]
            if kind == UNIT:
                state = goto[c[1]]
            elif kind == REDUCE1 and not steps:
                steps.append(kind)
                callback = c[3]
                state = goto[c[2]]
            elif kind == LIST1 and steps == [REDUCE1]:
                steps.append(kind)
                state = goto[c[2]]
            else:
                break
        if steps == [REDUCE1]:
            return (SHIFT_R1, callback, state)
        if steps:
            return (SHIFT_R1_LIST, callback, state)
        c = consistent.get(state)
        if c is not None and c[0] in (REDUCE, APPEND, APPEND3) and c[1] >= 2:
            return (SHIFT_REDUCE if c[0] == REDUCE else SHIFT_APPEND, c[1], c[3], c[4])
        if c is not None and c[0] == EMPTY:
            return (SHIFT_EMPTY, state, self.gotos[state][c[2]])
        return (SHIFT, state)

    def grow_memo(self, memo: list) -> None:
        """Make a UNIT action's memo (a list, empty until first used) one entry a state."""
        memo.extend([None] * (len(self.actions) - len(memo)))

    def unit_chain(self, below: int, top: int, tt: str) -> tuple:
        """Run the UNIT reductions on lookahead `tt` from `top` (over `below`);
        return (the state where they end, its action for `tt` or None). The
        callers memoise it in the UNIT action's `memo`."""
        actions, goto = self.actions, self.gotos[below]
        state = top
        a = actions[state].get(tt)
        while a is not None and a[0] == UNIT and not (tt == "$END" and state == self.end_state):
            state = goto[a[1]]
            a = actions[state].get(tt)
        return state, a


SHIFT, UNIT, REDUCE1, REDUCE, LIST1, EMPTY, APPEND, APPEND3 = range(8)
# Kinds only `Tables.rows` holds (see `Tables.fuse_shifts`): a shift with the
# reductions that must follow it, and the absence of an action.
SHIFT_R1, SHIFT_R1_LIST, SHIFT_REDUCE, SHIFT_APPEND, SHIFT_EMPTY, NO_ACTION = range(8, 14)
_NONE = (NO_ACTION,)


class _NoRow:
    """The row of a token type no state has an action for: none anywhere."""

    def __getitem__(self, state):
        return _NONE


_NO_ROW = _NoRow()


def reduction_value(a: tuple, args: list):
    """The value of reduction action `a` over its children `args` (the
    driver's inline kinds made the same way its loop makes them)."""
    kind = a[0]
    if kind == REDUCE1 or kind == REDUCE:
        return a[3](*args)
    if kind == LIST1:
        return [args[0]]
    if kind == EMPTY:
        return []
    lst = args[0]       # APPEND, APPEND3
    lst.append(args[-1])
    return lst


class LRParser:
    __slots__ = ("tables", "state_stack", "value_stack")

    def __init__(self, tables: Tables):
        self.tables = tables
        self.state_stack = [tables.start_state]
        self.value_stack: list = []

    def feed_token(self, tok, is_end: bool = False):
        """Feed one token; with `is_end` (the `$END` token) return the result."""
        a = self.reduce_before(tok, is_end)
        if a is None:
            return self.value_stack[-1]
        self.state_stack.append(a[1])
        self.value_stack.append(tok)
        return None

    def reduce_before(self, tok, is_end: bool = False, tt: str | None = None):
        """Make the reductions token `tok` (read as type `tt`, by default its
        own) calls for; return the SHIFT action that then takes it, or None when
        `is_end` and the input is accepted. Raises Stuck if it has no action."""
        tables = self.tables
        actions = tables.actions
        gotos = tables.gotos
        sstack, vstack = self.state_stack, self.value_stack
        if tt is None:
            tt = tok[0]
        end_state = tables.end_state
        while True:
            if is_end and sstack[-1] == end_state:
                return None
            a = actions[sstack[-1]].get(tt)
            if a is None:
                raise Stuck(tok)
            kind = a[0]
            if kind == SHIFT:
                return a
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
            value = reduction_value(a, args)
            sstack.append(gotos[sstack[-1]][a[2]])
            vstack.append(value)

    def feed_tokens(self, tokens) -> None:
        """Feed every token of an iterable (not the end of input): the inner
        loop of every parse, so `feed_token` inlined, with unit chains
        memoised (see `Tables`). Raises `Stuck` at the first token with no
        action, the stacks left as `feed_token` would leave them.

        The current state lives in a local while the loop runs (`state`, off
        the stack; put back at the end, however the loop ends): indexing a
        list from its end (`stack[-1]`) is CPython's slow path."""
        tables = self.tables
        chain = tables.unit_chain
        grow = tables.grow_memo
        sstack, vstack = self.state_stack, self.value_stack
        spush, vpush, vpop, spop = sstack.append, vstack.append, vstack.pop, sstack.pop
        rows = tables.rows
        no_row = _NO_ROW
        state = spop()
        # the kinds are written as numbers (a constant is cheaper than a global): see
        # SHIFT, UNIT, ... and SHIFT_R1, ... NO_ACTION above
        try:
            for tok in tokens:
                tt = tok[0]
                try:
                    row = rows[tt]
                except KeyError:          # a type no state takes
                    row = no_row
                a = row[state]
                while True:
                    kind = a[0]
                    if kind == 0:             # SHIFT
                        spush(state)
                        vpush(tok)
                        state = a[1]
                        break
                    if kind == 1:             # UNIT: where the run of them ends, memoised
                        below = sstack[-1]
                        memo = a[2]
                        try:
                            hit = memo[below]
                        except IndexError:
                            hit = grow(memo)
                        if hit is None:
                            hit = memo[below] = chain(below, state, tt)
                        state = hit[0]
                        a = row[state]
                        continue
                    if kind == 8:             # SHIFT_R1: the token's value through one callback
                        spush(state)
                        vpush(a[1](tok))
                        state = a[2]
                        break
                    if kind == 10:            # SHIFT_REDUCE: the token is the rule's last child
                        size = a[1]
                        if size == 2:
                            vstack[-1] = a[2](vstack[-1], tok)
                        elif size == 3:
                            value = vpop()
                            vstack[-1] = a[2](vstack[-1], value, tok)
                            del sstack[-1]
                        else:
                            args = vstack[1 - size:]
                            del vstack[1 - size:]
                            args.append(tok)
                            vpush(a[2](*args))
                            del sstack[2 - size:]
                        state = a[3][sstack[-1]]
                        break
                    if kind == 9:             # SHIFT_R1_LIST: then made a one-element list
                        spush(state)
                        vpush([a[1](tok)])
                        state = a[2]
                        break
                    if kind == 2:             # REDUCE1, the commonest: replace the top in place
                        vstack[-1] = a[3](vstack[-1])
                        state = a[4][sstack[-1]]
                    elif kind == 3:           # REDUCE
                        size = a[1]
                        if size == 2:
                            value = vpop()
                            vstack[-1] = a[3](vstack[-1], value)
                            del sstack[-1]
                        elif size == 3:
                            value = vpop()
                            middle = vpop()
                            vstack[-1] = a[3](vstack[-1], middle, value)
                            del sstack[-2:]
                        elif size:
                            args = vstack[-size:]
                            del vstack[-size:]
                            vpush(a[3](*args))
                            del sstack[1 - size:]
                        else:
                            vpush(a[3]())
                            spush(state)
                        state = a[4][sstack[-1]]
                    elif kind == 4:           # LIST1
                        vstack[-1] = [vstack[-1]]
                        state = a[4][sstack[-1]]
                    elif kind == 5:           # EMPTY
                        vpush([])
                        spush(state)
                        state = a[4][state]
                    elif kind <= 7:           # APPEND, APPEND3: the list below takes the top
                        size = a[1]
                        value = vstack[-1]
                        del vstack[1 - size:]
                        vstack[-1].append(value)
                        del sstack[1 - size:]
                        state = a[4][sstack[-1]]
                    elif kind == 11:          # SHIFT_APPEND: the list below takes the token
                        size = a[1]
                        if size > 2:
                            del vstack[2 - size:]
                            del sstack[2 - size:]
                        vstack[-1].append(tok)
                        state = a[3][sstack[-1]]
                        break
                    elif kind == 12:          # SHIFT_EMPTY: then an empty list
                        spush(state)
                        vpush(tok)
                        spush(a[1])
                        vpush([])
                        state = a[2]
                        break
                    else:                     # NO_ACTION
                        spush(state)
                        try:
                            if tt != "INT_RUN":
                                raise Stuck(tok)
                            self.feed_int_run(tok)
                        finally:
                            state = spop()
                        break
                    a = row[state]
        finally:
            spush(state)

    def feed_int_run(self, tok) -> None:
        """Feed an INT_RUN token (integers in a row, all but the last of them:
        see `lexer.Lexer.int_runs`). Inside a list, each of them would be
        shifted, made an `Int` and appended, coming back to the same state
        (the next token is an integer again, so none of them can be more than
        an element): the run is appended to the elements at once. Anywhere
        else (`f 1 2 ...`) its integers are fed one by one."""
        try:
            self.reduce_before(tok, tt="INT_LIT")
        except Stuck:
            pass          # the first integer gets stuck again below, and is reported
        else:
            if self.state_stack[-1] in self.tables.list_states:
                vstack = self.value_stack
                vstack[-1] = self.tables.append_run(vstack[-1], tok[1])
                return
        self.feed_tokens(int_tokens(tok))

    def parse(self, tokens, eof_factory):
        """Run over an iterator of tokens, then end of input; return the value
        of the start symbol. Raises `Stuck` at the first token with no action."""
        self.feed_tokens(tokens)
        return self.feed_token(eof_factory(), True)


def int_tokens(run_tok):
    """The INT_LIT tokens of an INT_RUN token."""
    run = run_tok[1]
    for v, s, e in zip(run.values, run.starts, run.ends):
        yield ("INT_LIT", v, s, e, False)


def advance_states(tables: Tables, stack: list, tt: str) -> bool:
    """Feed token type `tt` to a bare state stack, in place, without semantic
    actions (what error recovery explores). True once `tt` is shifted (for
    `$END`: once the input is accepted); False when there is no action, the
    stack left as it was found then (after the reductions made on the way),
    as `LRParser` leaves it."""
    actions, gotos, end_state = tables.actions, tables.gotos, tables.end_state
    is_end = tt == "$END"
    while True:
        top = stack[-1]
        if is_end and top == end_state:
            return True
        a = actions[top].get(tt)
        if a is None:
            return False
        kind = a[0]
        if kind == SHIFT:
            stack.append(a[1])
            return True
        if kind == UNIT:
            stack[-1] = gotos[stack[-2]][a[1]]
            continue
        size = a[1]
        if size:
            del stack[-size:]
        stack.append(gotos[stack[-1]][a[2]])


def run_states(tables: Tables, stack: list, tokens: list, i: int, stop: int, max_depth: int):
    """Feed tokens[i:stop] to a bare state stack, in place (`advance_states`
    inlined, for error recovery's planning pass). Returns (j, before,
    prev_before): `j` the index of the first token that got stuck (`stop`
    if none did), `before` a copy of the stack as that token met it (None if
    none got stuck, or once the stack is deeper than `max_depth`), and
    `prev_before` the stack as token j-1 met it (None if j == i)."""
    actions, gotos = tables.actions, tables.gotos
    chain = tables.unit_chain
    prev_before = None
    before = stack[:]
    for j in range(i, stop):
        tt = tokens[j].type
        a = actions[stack[-1]].get(tt)
        while True:
            if a is None:
                return j, before, prev_before
            kind = a[0]
            if kind == SHIFT:
                stack.append(a[1])
                break
            if kind == UNIT:
                memo = a[2]
                try:
                    hit = memo[stack[-2]]
                except IndexError:
                    hit = tables.grow_memo(memo)
                if hit is None:
                    hit = memo[stack[-2]] = chain(stack[-2], stack[-1], tt)
                stack[-1], a = hit
                continue
            size = a[1]
            if size:
                del stack[-size:]
            top = gotos[stack[-1]][a[2]]
            stack.append(top)
            a = actions[top].get(tt)
        if len(stack) > max_depth:
            return j + 1, None, before
        prev_before = before
        before = stack[:]
    return stop, None, prev_before if stop > i else None
