"""Building the AST while Lark parses: the semantic actions of parser.y.

The LR driver (lr.py) calls one method per grammar rule (named by the
rule's `-> alias`), with the rule's children as arguments, at the moment it
reduces that rule, exactly when Bison would run the action (Lark's own loop,
used by the tests, calls the same methods). Tokens come as the lexer's
tuples, read by index: tok[0] type, tok[1] value, tok[2] start, tok[3] end,
tok[4] flag (an IND_STR that may carry indentation; a virtual token).
So the checks Nix makes inside its actions (duplicate attributes through
nested paths and merges, duplicate formals, dynamic attributes in `let` and
`inherit`) fire at the same point in the parse as in Nix, and the first
error reported is the same one.

In recovery mode (`Builder(recover=True)`) those checks append to
`diagnostics` instead of raising, and parsing goes on.
"""
from __future__ import annotations

import os

from .. import errors
from ..source import Source, Span
from . import ast as A
from .printer import show_attr_path
from .symbols import PREINTERNED


def canon_path(path: str) -> str:
    """Nix's canonPath without symlink resolution: drop `.`, empty parts and
    resolve `..` lexically."""
    parts: list[str] = []
    for p in path.split("/"):
        if p == "" or p == ".":
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/" + "/".join(parts)


def _appended(seq, item) -> list:
    """`seq` (a list, or the shared empty tuple of a new `Attrs`) with `item` added."""
    if type(seq) is list:
        seq.append(item)
        return seq
    return [*seq, item]


# The commonest nodes (names, variables, string pieces, bindings, calls,
# selections, integers, lists: about 80% of a file's nodes) are made here without calling the record's __init__:
# `object.__new__` and each field set in place, the defaults written out as
# in nixlang/syntax/ast.py (tests/test_builder_nodes.py checks they are the
# same). Calling a class with a Python __init__ costs about as much again as
# setting its fields.
_new = object.__new__
_Var, _AttrName, _Str, _AttrDef, _PLAIN = A.Var, A.AttrName, A.Str, A.AttrDef, A.PLAIN
_Int, _Call, _Select, _List = A.Int, A.Call, A.Select, A.List


def _tspan(tok) -> Span:
    return Span(tok[2], tok[3])


class FormalSet:
    __slots__ = ("formals", "ellipsis", "start", "end")

    def __init__(self, formals, ellipsis, start, end):
        self.formals = formals
        self.ellipsis = ellipsis
        self.start = start
        self.end = end



_OP_CALLS = {"MINUS": "__sub", "STAR": "__mul", "SLASH": "__div"}
_BINOP_TEXT = {"EQ": "==", "NEQ": "!=", "AND": "&&", "OR": "||", "IMPL": "->", "UPDATE": "//",
               "CONCAT": "++"}


class Builder:
    """The semantic actions: one method per grammar rule (alias), called with
    the rule's children as arguments, returning the AST node. Lark calls them
    too when it runs the parse (through `Frontend.lark`)."""
    __visit_tokens__ = False
    # rules whose action the LR driver makes itself (see lr.Tables), by what it
    # does: [x], [], `lst x` -> lst + [x], `lst sep x` -> lst + [x]; the methods
    # below do the same for the other parser loops
    INLINE = {"attrpath_first": "list1", "formals_first": "list1", "list_empty": "empty",
              "attrs_empty": "empty", "ind_empty": "empty", "ind_more_str": "append", "attrs_more": "append",
              "attrpath_more": "append3", "formals_more": "append3"}
    # rules of one symbol whose value is that symbol's: a unit reduction for the driver
    PASS = frozenset(("start", "binds"))

    def __init__(self, source: Source, recover: bool = False, home: str | None = None,
                 lints: dict | None = None):
        super().__init__()
        self.source = source
        self.recover = recover
        self.home = home
        self.lints = lints or {}
        self.diagnostics: list[errors.NixError] = []
        # parse-time warnings, in the order Nix emits them: (message, offset)
        self.warnings: list[tuple[str, int | None]] = []
        # Nix interns symbols in creation order and keeps attributes in that
        # order; the resolver walks them in it to report the same first error.
        # Names Nix creates before reading any file come first.
        self.symbols: dict[str, int] = dict(PREINTERNED)
        # tables keyed by node, by identity (a key keeps its node alive for the
        # whole parse, so no node that recovery drops can pass its id on)
        self.cursed: dict = {}         # call of a `f or` -> end of its `or`
        self.outer_start: dict = {}    # expr -> start of the `(` around it
        self.interp_start: dict = {}   # expr -> offset of its `${`
        self.outer_end: dict = {}      # expr -> end of the `)` around it

    # -- helpers ---------------------------------------------------------------
    def sym(self, name: str) -> str:
        if name not in self.symbols:
            self.symbols[name] = len(self.symbols)
        return name

    def fail(self, cls, message: str, span: Span, kind: str = "", **data):
        err = cls(message, self.source, span)
        if kind:
            err.tagged(kind, **data)
        if not self.recover:
            raise err
        self.diagnostics.append(err)

    def diagnose(self, lint: str, message: str, offset: int):
        """A lint at parse time (diagnose() in C++ Nix): ignored, a warning, or
        a fatal parse error, as the `lint-LINT` setting says."""
        level = self.lints.get(lint, "ignore")
        if level == "ignore":
            return
        message = f"{message} (lint-{lint})"
        if level == "fatal":
            self.fail(errors.LintError, message, Span(offset, offset))
        else:
            self.warnings.append((message, offset))

    def warn_if_cursed_or(self, e):
        """`f x or` parses as `f (x or)` with `or` a variable; a future Nix reads it
        differently, so Nix warns where such a call is an argument, a list element
        or an `or` default (warnIfCursedOr). Parentheses around it make it fine."""
        end = self.cursed.get(e)
        if end is None or e in self.outer_start:
            return
        start = self._outer(e.fn)
        text = self.source.text[start:end]
        self.warnings.append((
            f"at {self.source.location(start)}: This expression uses `or` as an identifier in a way "
            "that will change in a future Nix release.\nWrap this entire expression in parentheses "
            f"to preserve its current meaning:\n    ({text})\n"
            "Give feedback at https://github.com/NixOS/nix/pull/11121", None))

    def _var(self, name: str, tok) -> A.Var:
        """A variable the desugaring makes (`__sub`, `__findFile`...) at a token."""
        return A.Var(tok[2], tok[3], self.sym(name), True)

    def make_call(self, start: int, end: int, fn: A.Node, arg: A.Node, op_span=None) -> A.Node:
        """Nix's makeCall: applying a call adds an argument to it (even to
        `(f a) b`, which then no longer ends at that `)`)."""
        if type(fn) is A.Call:
            fn.args.append(arg)
            if end > fn.end:
                fn.end = end
            if self.outer_end:
                self.outer_end.pop(fn, None)
            return fn
        c = _new(_Call)                  # A.Call(start, end, fn, [arg], op_span)
        c.start = start
        c.end = end
        c.fn = fn
        c.args = [arg]
        c.op_span = op_span
        return c

    # -- start, functions --------------------------------------------------------
    def start(self, e):
        return e

    def lambda_simple(self, ident, _1, body):
        return A.Lambda(ident[2], self._reach(body), self.sym(ident[1]), None, False, body,
                        _tspan(ident))

    def lambda_formals(self, fs, _1, body):
        self.validate_formals(fs)
        return A.Lambda(fs.start, self._reach(body), None, fs.formals, fs.ellipsis, body)

    def lambda_formals_at(self, fs, _1, ident, _2, body):
        self.validate_formals(fs, Span(fs.start, fs.start), ident[1])
        return A.Lambda(fs.start, self._reach(body), self.sym(ident[1]), fs.formals, fs.ellipsis, body,
                        _tspan(ident))

    def lambda_at_formals(self, ident, _1, fs, _2, body):
        start = ident[2]
        self.validate_formals(fs, Span(start, start), ident[1])
        return A.Lambda(start, self._reach(body), self.sym(ident[1]), fs.formals, fs.ellipsis, body,
                        _tspan(ident))

    def validate_formals(self, fs: FormalSet, pos: Span | None = None, arg: str | None = None):
        """ParserState::validateFormals: the reported duplicate is the one with
        the smallest (symbol, position) pair; then the `@` name may not be a formal."""
        order = self.symbols
        formals = sorted(fs.formals, key=lambda f: (order.get(f.name, -1), f.start))
        dup = None
        for a, b in zip(formals, formals[1:]):
            if a.name == b.name:
                cand = (order.get(a.name, -1), b.start, b)
                if dup is None or cand[:2] < dup[:2]:
                    dup = cand
        if dup is not None:
            f = dup[2]
            self.fail(errors.DuplicateFormal, f"duplicate formal function argument '{f.name}'", f.span,
                      "duplicate-formal", name=f.name)
        if arg is not None and any(f.name == arg for f in fs.formals):
            self.fail(errors.DuplicateFormal, f"duplicate formal function argument '{arg}'", pos,
                      "duplicate-formal", name=arg)

    def assert_(self, kw, cond, _1, body):
        return A.Assert(kw[2], self._reach(body), cond, body)

    def with_(self, kw, env, _1, body):
        return A.With(kw[2], self._reach(body), env, body)

    def let_(self, kw, attrs, in_, body):
        start = kw[2]
        if attrs.dynamic:
            self.fail(errors.DynamicAttrNotAllowed, "dynamic attributes not allowed in let",
                      Span(start, start))
        attrs.start = kw[3]
        attrs.end = in_[2]
        return A.Let(start, self._reach(body), attrs, body)

    def if_(self, kw, cond, _1, then, _2, else_):
        return A.If(kw[2], self._reach(else_), cond, then, else_)

    def pipe_from(self, f, op, x):
        return self.make_call(f.start, self._reach(x), f, x, _tspan(op))

    def pipe_into(self, x, op, f):
        return self.make_call(x.start, self._reach(f), f, x, _tspan(op))

    # -- operators ---------------------------------------------------------------
    def binop(self, lhs, op, rhs):
        t = op[0]
        start, end = lhs.start, self._reach(rhs)
        ospan = _tspan(op)
        if t in _BINOP_TEXT:
            return A.BinOp(start, end, _BINOP_TEXT[t], lhs, rhs, ospan)
        if t == "PLUS":
            return A.ConcatStrings(start, end, False, [lhs, rhs], ospan, [self._outer(lhs), self._outer(rhs)])
        if t in _OP_CALLS:
            return A.Call(start, end, self._var(_OP_CALLS[t], op), [lhs, rhs], ospan)
        lt = self._var("__lessThan", op)
        if t == "LT":
            return A.Call(start, end, lt, [lhs, rhs], ospan)
        if t == "GT":
            return A.Call(start, end, lt, [rhs, lhs], ospan)
        if t == "LEQ":
            return A.Not(start, end, A.Call(start, end, lt, [rhs, lhs], ospan))
        if t == "GEQ":
            return A.Not(start, end, A.Call(start, end, lt, [lhs, rhs], ospan))
        raise AssertionError(t)

    def not_(self, bang, e):
        return A.Not(bang[2], self._reach(e), e)

    def negate(self, minus, e):
        s, t = minus[2], minus[3]
        return A.Call(s, self._reach(e), self._var("__sub", minus), [A.Int(s, t, 0), e], Span(s, t))

    def has_attr(self, e, _1, path):
        return A.HasAttr(e.start, path[-1].end, e, path)

    # -- application and selection --------------------------------------------------
    def call(self, f, a):
        if self.cursed:
            self.warn_if_cursed_or(a)
        # (self._outer(f), self._reach(a), inlined: a call is made for every argument)
        return self.make_call(self.outer_start.get(f, f.start), self.outer_end.get(a, a.end), f, a)

    def select(self, e, _1, path):
        n = _new(_Select)                # A.Select(self._outer(e), path[-1].end, e, path)
        n.start = self.outer_start.get(e, e.start)
        n.end = path[-1].end
        n.expr = e
        n.path = path
        n.default = None
        return n

    def select_or(self, e, _1, path, _2, default):
        if self.cursed:
            self.warn_if_cursed_or(default)
        return A.Select(self._outer(e), self._reach(default), e, path, default)

    def cursed_or(self, e, kw):
        # Nix positions the `or` variable at the start of the whole rule
        start, end = e.start, kw[3]
        call = A.Call(start, end, e, [A.Var(start, end, self.sym("or"))])
        self.cursed[call] = end
        return call

    # -- atoms ---------------------------------------------------------------------
    def var(self, tok):
        if tok[4]:
            return A.Missing(tok[2], tok[3])
        name = tok[1]          # the plain `str` of the identifier (no copy)
        if name == "__curPos":
            return A.CurPos(tok[2], tok[3])
        symbols = self.symbols
        if name not in symbols:
            symbols[name] = len(symbols)
        v = _new(_Var)                   # A.Var(tok[2], tok[3], name)
        v.start = tok[2]
        v.end = tok[3]
        v.name = name
        v.synthetic = False
        v.level = -1
        v.index = -1
        v.from_with = False
        v.binding = None
        v.with_levels = ()
        return v

    def int_(self, tok):
        n = _new(_Int)                   # A.Int(tok[2], tok[3], tok[1])
        n.start = tok[2]
        n.end = tok[3]
        n.value = tok[1]
        return n

    def float_(self, tok):
        return A.Float(tok[2], tok[3], tok[1])

    def string(self, open_, parts, close):
        if parts is None:
            return A.Str(open_[2], close[3], "")
        if type(parts) is A.Str:
            parts.start = open_[2]
            parts.end = close[3]
        return parts

    def ind_string(self, open_, parts, close):
        return self.strip_indentation(open_[2], close[3], parts)

    def path(self, p, end):
        return p

    def path_interpolated(self, p, parts, end):
        parts = [p] + parts
        return A.ConcatStrings(p.start, parts[-1].end, False, parts, None, self._part_positions(parts))

    def spath(self, tok):
        s, e = tok[2], tok[3]
        return A.Call(s, e, self._var("__findFile", tok),
                      [self._var("__nixPath", tok), A.Str(s, e, tok[1][1:-1])])

    def uri(self, tok):
        if self.lints:
            level = self.lints.get("url-literals", "ignore")
            self.diagnose("url-literals", f"URL literals are {'disallowed' if level == 'fatal' else 'discouraged'}"
                          f". Consider using a string literal \"{tok[1]}\" instead", tok[2])
        return A.Str(tok[2], tok[3], tok[1], uri=True)

    def parens(self, open_, e, close):
        # Nix's positions of a call or select start at the opening parenthesis
        self.outer_start[e] = open_[2]
        # a node ending in a parenthesized one ends at its `)` (positions
        # are starts, so Nix's messages do not change; editors see whole ranges)
        self.outer_end[e] = close[3]
        return e

    def _outer(self, x) -> int:
        """Where node `x` starts, with the `(` before it."""
        return self.outer_start.get(x, x.start)

    def _reach(self, b) -> int:
        """Where node `b` ends, with the `)` after it."""
        return self.outer_end.get(b, b.end)

    def legacy_let(self, kw, _1, attrs, close):
        attrs.rec = True
        start, end = kw[2], close[3]
        attrs.start, attrs.end = start, end
        return A.Select(start, end, attrs, [A.AttrName(start, end, self.sym("body"))])

    def rec_attrs(self, kw, _1, attrs, close):
        attrs.rec = True
        attrs.start, attrs.end = kw[2], close[3]
        return attrs

    def attrs(self, open_, attrs, close):
        attrs.start, attrs.end = open_[2], close[3]
        return attrs

    def empty_attrs(self, open_, close):
        return A.Attrs(open_[2], close[3])

    def list_(self, open_, elems, close):
        n = _new(_List)                  # A.List(open_[2], close[3], elems)
        n.start = open_[2]
        n.end = close[3]
        n.elems = elems
        return n

    # -- strings ---------------------------------------------------------------------
    def string_parts_str(self, tok):
        v = _new(_Str)                   # A.Str(tok[2], tok[3], tok[1])
        v.start = tok[2]
        v.end = tok[3]
        v.value = tok[1]
        v.uri = False
        return v

    def string_parts_interp(self, parts):
        return A.ConcatStrings(parts[0].start, parts[-1].end, True, parts, None, self._part_positions(parts))

    def _part_positions(self, parts) -> list[int]:
        get = self.interp_start.get
        return [get(p, p.start) for p in parts]

    def string_parts_empty(self):
        return None

    def interp_more_str(self, lst, tok):
        lst.append(self.string_parts_str(tok))
        return lst

    def interp_more_expr(self, lst, dc, e, _1):
        self.interp_start[e] = dc[2]
        lst.append(e)
        return lst

    def interp_first_expr(self, dc, e, _):
        self.interp_start[e] = dc[2]
        return [e]

    def interp_first_str_expr(self, tok, dc, e, _1):
        self.interp_start[e] = dc[2]
        return [A.Str(tok[2], tok[3], tok[1]), e]

    def path_start(self, tok):
        lit = tok[1]
        if lit.startswith("/"):
            if self.lints:
                self.diagnose("absolute-path-literals", "absolute path literals are not portable. Consider "
                              f"replacing path literal '{lit}' by a string, relative path, or parameter",
                              tok[2])
            path = canon_path(lit)
        else:
            if self.lints and not lit.startswith("."):
                self.diagnose("short-path-literals", f"relative path literal '{lit}' should be prefixed "
                              f"with '.' for clarity: './{lit}'", tok[2])
            path = canon_path(self.source.base_dir + "/" + lit)
        if len(lit) > 1 and lit.endswith("/"):
            path += "/"
        return A.Path(tok[2], tok[3], path)

    def hpath_start(self, tok):
        if self.lints:
            self.diagnose("absolute-path-literals", "home path literals are not portable. Consider "
                          f"replacing path literal '{tok[1]}' by a string, relative path, or parameter",
                          tok[2])
        home = self.home if self.home is not None else os.environ.get("HOME", "")
        return A.Path(tok[2], tok[3], home + tok[1][1:])

    def ind_more_str(self, lst, tok):
        lst.append(tok)
        return lst

    def ind_more_expr(self, lst, dc, e, _1):
        self.interp_start[e] = dc[2]
        lst.append(e)
        return lst

    def ind_empty(self):
        return []

    def strip_indentation(self, start: int, end: int, es: list) -> A.Node:
        """ParserState::stripIndentation: remove the common leading spaces of
        an indented string; interpolations and escapes end a line's indent.
        (Nix walks the text a character at a time; this walks it a line at a
        time, with the same counts.)"""
        if not es:
            return A.Str(start, end, "")
        # 1. the smallest indentation of a line that has more than spaces
        at_start = True
        min_indent = 1000000
        cur = 0
        for item in es:
            if type(item) is not tuple or not item[4]:
                if at_start:
                    at_start = False
                    min_indent = min(min_indent, cur)
                continue
            lines = item[1].split("\n")
            last = len(lines) - 1
            for k, line in enumerate(lines):
                if k:                         # after a newline: a new line starts
                    at_start, cur = True, 0
                elif not at_start:            # the rest of a line begun before
                    continue
                text = line.lstrip(" ")
                if text:
                    at_start = False
                    min_indent = min(min_indent, cur + len(line) - len(text))
                elif k == last:               # spaces only, so far: the next item goes on
                    cur += len(line)
                # (a line of spaces only does not count)
        # 2. each line without its first `min_indent` spaces
        out: list[A.Node] = []
        at_start = True
        dropped = 0
        n_left = len(es)
        for item in es:
            if type(item) is not tuple:
                at_start = False
                dropped = 0
                out.append(item)
                n_left -= 1
                continue
            kept = []
            lines = item[1].split("\n")
            last = len(lines) - 1
            for k, line in enumerate(lines):
                if k:
                    kept.append("\n")
                    at_start = True
                if at_start:
                    text = line.lstrip(" ")
                    spaces = len(line) - len(text)
                    if spaces:
                        keep = dropped + spaces - max(dropped, min_indent)
                        if keep > 0:
                            kept.append(" " * keep)
                        dropped += spaces
                    if not text:
                        if k != last:         # an empty line: the next one starts afresh
                            dropped = 0
                        continue
                    at_start = False
                    dropped = 0
                    line = text
                kept.append(line)
            s = "".join(kept)
            if n_left == 1:
                # the last line goes if it is only spaces
                p = s.rfind("\n")
                if p != -1 and s[p + 1:].strip(" ") == "":
                    s = s[:p + 1]
            if s:
                out.append(A.Str(item[2], item[3], s))
            n_left -= 1
        if not out:
            return A.Str(start, end, "")
        if len(out) == 1 and type(out[0]) is A.Str:
            out[0].start, out[0].end = start, end
            return out[0]
        return A.ConcatStrings(start, end, True, out, None, self._part_positions(out))

    # -- bindings ------------------------------------------------------------------------
    def binds(self, attrs):
        return attrs

    def binds_empty(self):
        return A.Attrs(0, 0)

    def bind_first(self, path, _1, e, semi):
        attrs = A.Attrs(0, 0)
        self.add_attr(attrs, path, e)
        return attrs

    def bind_more(self, attrs, path, _1, e, semi):
        if len(path) == 1:
            # the commonest binding, `name = e;` with a new name (add_attr's last case)
            an = path[0]
            name = an.name
            if name is not None and name not in attrs.attrs:
                d = _new(_AttrDef)       # A.AttrDef(e, start, end, A.PLAIN, start, end)
                d.value = e
                d.start = d.name_start = an.start
                d.end = d.name_end = an.end
                d.kind = _PLAIN
                attrs.attrs[name] = d
                return attrs
        self.add_attr(attrs, path, e)
        return attrs

    def bind_inherit(self, attrs, _1, names, _2):
        for an in names:
            name, start, end = an.name, an.start, an.end
            if self._inherit_dup(attrs, an):
                continue
            attrs.attrs[name] = A.AttrDef(A.Var(start, end, name), start, end, A.INHERITED, start, end)
        return attrs

    def bind_inherit_from(self, attrs, _1, _2, e, _3, names, _4):
        attrs.inherit_from = _appended(attrs.inherit_from, e)
        src = A.InheritFrom(e.start, e.end, len(attrs.inherit_from) - 1)
        for an in names:
            name, start, end = an.name, an.start, an.end
            if self._inherit_dup(attrs, an):
                continue
            sel = A.Select(start, end, src, [A.AttrName(start, end, name)])
            attrs.attrs[name] = A.AttrDef(sel, start, end, A.INHERITED_FROM, start, end)
        return attrs

    def _inherit_dup(self, attrs: A.Attrs, an: A.AttrName) -> bool:
        """Is the inherited name `an` defined already? (then reported)"""
        old = attrs.attrs.get(an.name)
        if old is None:
            return False
        attrs.merged = True
        shown = show_attr_path([an])
        self.fail(errors.DuplicateAttr, f"attribute '{shown}' already defined at "
                  f"{self.source.location(old.start)}", an.span, "duplicate", path=shown, first=old.start)
        return True

    def dup_attr(self, path, start: int, end: int, prev: int):
        shown = show_attr_path(path)
        self.fail(errors.DuplicateAttr, f"attribute '{shown}' already defined at "
                  f"{self.source.location(prev)}", Span(start, end), "duplicate", path=shown, first=prev)

    def add_attr(self, attrs: A.Attrs, path: list[A.AttrName], e: A.Node):
        """ParserState::addAttr: insert `path = e`, creating or entering nested
        attrsets for the leading names and merging two attrset literals."""
        last = path[-1]
        start, end = path[0].start, last.end
        if len(path) > 1:
            for i, an in enumerate(path[:-1]):
                if an.name is not None:
                    j = attrs.attrs.get(an.name)
                    if j is not None:
                        attrs.merged = True
                        nested = j.value if type(j.value) is A.Attrs else None
                        if nested is None:
                            self.dup_attr(path[:i + 1], start, end, j.start)
                            return
                    else:
                        nested = A.Attrs(an.start, an.end)
                        attrs.attrs[an.name] = A.AttrDef(nested, start, end, A.PLAIN, an.start, an.end)
                else:
                    nested = A.Attrs(an.start, an.end)
                    attrs.dynamic = _appended(attrs.dynamic, A.DynamicAttr(an.expr, nested, start, end))
                attrs = nested
        name = last.name
        if name is None:
            attrs.dynamic = _appended(attrs.dynamic, A.DynamicAttr(last.expr, e, start, end))
        elif name not in attrs.attrs:      # the common case of add_attr_def
            attrs.attrs[name] = A.AttrDef(e, start, end, A.PLAIN, last.start, last.end)
        else:
            self.add_attr_def(attrs, list(path), name, A.AttrDef(e, start, end, A.PLAIN, last.start, last.end))

    def add_attr_def(self, attrs: A.Attrs, path: list, name: str, d: A.AttrDef):
        j = attrs.attrs.get(name)
        if j is None:
            attrs.attrs[name] = d
            return
        attrs.merged = True
        ae = d.value if type(d.value) is A.Attrs else None
        jattrs = j.value if type(j.value) is A.Attrs else None
        if ae is None or jattrs is None:
            self.dup_attr(path, d.start, d.end, j.start)
            return
        offset = len(jattrs.inherit_from)
        order = self.symbols
        for k, ad in sorted(ae.attrs.items(), key=lambda kv: order.get(kv[0], -1)):
            if ad.kind == A.INHERITED_FROM:
                ad.value.expr.index += offset
            self.add_attr_def(jattrs, path + [A.AttrName(ad.start, ad.end, k)], k, ad)
        ae.attrs = {}
        if ae.dynamic:
            jattrs.dynamic = [*jattrs.dynamic, *ae.dynamic]
            ae.dynamic = ()
        if ae.inherit_from:
            jattrs.inherit_from = [*jattrs.inherit_from, *ae.inherit_from]
            ae.inherit_from = ()

    def attrs_more(self, lst, an):
        lst.append(an)
        return lst

    def attrs_more_string(self, lst, an):
        if an.name is None:
            self.fail(errors.DynamicAttrNotAllowed, "dynamic attributes not allowed in inherit", an.span)
            return lst
        lst.append(an)
        return lst

    def attrs_empty(self):
        return []

    def attrpath_more(self, lst, _1, an):
        lst.append(an)
        return lst

    def attrpath_first(self, an):
        return [an]

    def attr_id(self, tok):
        if tok[4]:
            return A.AttrName(tok[2], tok[3], "")
        name = tok[1]
        symbols = self.symbols
        if name not in symbols:
            symbols[name] = len(symbols)
        v = _new(_AttrName)              # A.AttrName(tok[2], tok[3], name)
        v.start = tok[2]
        v.end = tok[3]
        v.name = name
        v.expr = None
        return v

    def string_attr_str(self, open_, parts, close):
        start, end = open_[2], close[3]
        if parts is None:
            return A.AttrName(start, end, self.sym(""))
        if type(parts) is A.Str:
            return A.AttrName(start, end, self.sym(parts.value))
        return A.AttrName(start, end, None, parts)

    def string_attr_dyn(self, open_, e, close):
        start, end = open_[2], close[3]
        # ToBeStringyExpr::visit: `${"a"}` (a plain string expression) is a static name
        if type(e) is A.Str:
            return A.AttrName(start, end, self.sym(e.value))
        return A.AttrName(start, end, None, e)

    def list_more(self, lst, e):
        if self.cursed:
            self.warn_if_cursed_or(e)
        lst.append(e)
        return lst

    def list_empty(self):
        return []

    def append_run(self, elems, run: A.IntRun):
        """A run of integers added to a list's elements at once (lr.LRParser.feed_int_run)."""
        if type(elems) is not A.ListElems:
            elems = A.ListElems(elems)
        elems.extend_run(run)
        return elems

    # -- formals -----------------------------------------------------------------------
    def formal_set_ellipsis(self, open_, formals, _1, _2, close):
        return FormalSet(formals, True, open_[2], close[3])

    def formal_set_only_ellipsis(self, open_, _, close):
        return FormalSet([], True, open_[2], close[3])

    def formal_set_plain(self, open_, formals, *rest):     # `{ a, b }` and `{ a, b, }`
        return FormalSet(formals, False, open_[2], rest[-1][3])

    def formal_set_empty(self, open_, close):
        return FormalSet([], False, open_[2], close[3])

    def formals_more(self, lst, _1, f):
        lst.append(f)
        return lst

    def formals_first(self, f):
        return [f]

    def formal(self, tok):
        return A.Formal(self.sym(tok[1]), None, tok[2], tok[3])

    def formal_default(self, tok, _1, e):
        return A.Formal(self.sym(tok[1]), e, tok[2], tok[3])
