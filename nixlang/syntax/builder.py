"""Building the AST while Lark parses: the semantic actions of parser.y.

Lark calls one method per grammar rule (named by the rule's `-> alias`) at
the moment it reduces that rule, exactly when Bison would run the action.
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
from .lexer import NixToken
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


_new_object = object.__new__
_set_start = Span.__dict__["start"].__set__
_set_end = Span.__dict__["end"].__set__


def _sp(start: int, end: int) -> Span:
    """`Span(start, end)` at half the cost: the builder makes one or two spans
    for every node, and a frozen dataclass's `__init__` goes through
    `object.__setattr__` for each field. (Setting the slots directly is what
    that `__init__` does, minus the detour; the result is an ordinary Span.)"""
    s = _new_object(Span)
    _set_start(s, start)
    _set_end(s, end)
    return s


def _start(x) -> int:
    return x.start_pos if isinstance(x, NixToken) else x.span.start


def _end(x) -> int:
    return x.end_pos if isinstance(x, NixToken) else x.span.end


def _span(a, b) -> Span:
    return _sp(_start(a), _end(b))


def _tspan(tok) -> Span:
    return _sp(tok.start_pos, tok.end_pos)


class FormalSet:
    __slots__ = ("formals", "ellipsis", "span")

    def __init__(self, formals, ellipsis, span):
        self.formals = formals
        self.ellipsis = ellipsis
        self.span = span


_OP_CALLS = {"MINUS": "__sub", "STAR": "__mul", "SLASH": "__div"}
_BINOP_TEXT = {"EQ": "==", "NEQ": "!=", "AND": "&&", "OR": "||", "IMPL": "->", "UPDATE": "//",
               "CONCAT": "++"}


class Builder:
    """The semantic actions: one method per grammar rule (alias), called with
    the rule's children, returning the AST node. Lark calls them too when it
    runs the parse (they are what its `transformer` option looks up)."""
    __visit_tokens__ = False

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
            self.fail(errors.LintError, message, _sp(offset, offset))
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

    def _var(self, name: str, span: Span, synthetic=True) -> A.Var:
        return A.Var(span, self.sym(name), synthetic)

    def make_call(self, span: Span, fn: A.Node, arg: A.Node, op_span=None) -> A.Node:
        """Nix's makeCall: applying a call adds an argument to it (even to
        `(f a) b`, which then no longer ends at that `)`)."""
        if type(fn) is A.Call:
            fn.args.append(arg)
            fn.span = _sp(fn.span.start, max(fn.span.end, span.end))
            self.outer_end.pop(fn, None)
            return fn
        return A.Call(span, fn, [arg], op_span)

    # -- start, functions --------------------------------------------------------
    def start(self, c):
        return c[0]

    def lambda_simple(self, c):
        ident, _, body = c
        return A.Lambda(self._reach(ident, body), self.sym(str(ident)), None, False, body, _tspan(ident))

    def lambda_formals(self, c):
        fs, _, body = c
        self.validate_formals(fs)
        return A.Lambda(self._reach(fs, body), None, fs.formals, fs.ellipsis, body)

    def lambda_formals_at(self, c):
        fs, _, ident, _, body = c
        span = self._reach(fs, body)
        self.validate_formals(fs, _sp(span.start, span.start), str(ident))
        return A.Lambda(span, self.sym(str(ident)), fs.formals, fs.ellipsis, body, _tspan(ident))

    def lambda_at_formals(self, c):
        ident, _, fs, _, body = c
        span = self._reach(ident, body)
        self.validate_formals(fs, _sp(span.start, span.start), str(ident))
        return A.Lambda(span, self.sym(str(ident)), fs.formals, fs.ellipsis, body, _tspan(ident))

    def validate_formals(self, fs: FormalSet, pos: Span | None = None, arg: str | None = None):
        """ParserState::validateFormals: the reported duplicate is the one with
        the smallest (symbol, position) pair; then the `@` name may not be a formal."""
        order = self.symbols
        formals = sorted(fs.formals, key=lambda f: (order.get(f.name, -1), f.span.start))
        dup = None
        for a, b in zip(formals, formals[1:]):
            if a.name == b.name:
                cand = (order.get(a.name, -1), b.span.start, b)
                if dup is None or cand[:2] < dup[:2]:
                    dup = cand
        if dup is not None:
            f = dup[2]
            self.fail(errors.DuplicateFormal, f"duplicate formal function argument '{f.name}'", f.span,
                      "duplicate-formal", name=f.name)
        if arg is not None and any(f.name == arg for f in fs.formals):
            self.fail(errors.DuplicateFormal, f"duplicate formal function argument '{arg}'", pos,
                      "duplicate-formal", name=arg)

    def assert_(self, c):
        kw, cond, _, body = c
        return A.Assert(self._reach(kw, body), cond, body)

    def with_(self, c):
        kw, env, _, body = c
        return A.With(self._reach(kw, body), env, body)

    def let_(self, c):
        kw, attrs, _, body = c
        span = self._reach(kw, body)
        if attrs.dynamic:
            self.fail(errors.DynamicAttrNotAllowed, "dynamic attributes not allowed in let",
                      _sp(span.start, span.start))
        attrs.span = _sp(kw.end_pos, _start(c[2]))
        return A.Let(span, attrs, body)

    def if_(self, c):
        kw, cond, _, then, _, else_ = c
        return A.If(self._reach(kw, else_), cond, then, else_)

    def pipe_from(self, c):
        f, op, x = c
        return self.make_call(self._reach(f, x), f, x, _tspan(op))

    def pipe_into(self, c):
        x, op, f = c
        return self.make_call(self._reach(x, f), f, x, _tspan(op))

    # -- operators ---------------------------------------------------------------
    def binop(self, c):
        lhs, op, rhs = c
        t = op.type
        span = self._reach(lhs, rhs)
        ospan = _tspan(op)
        if t in _BINOP_TEXT:
            return A.BinOp(span, _BINOP_TEXT[t], lhs, rhs, ospan)
        if t == "PLUS":
            return A.ConcatStrings(span, False, [lhs, rhs], ospan, [self._outer(lhs), self._outer(rhs)])
        if t in _OP_CALLS:
            return A.Call(span, self._var(_OP_CALLS[t], ospan), [lhs, rhs], ospan)
        lt = self._var("__lessThan", ospan)
        if t == "LT":
            return A.Call(span, lt, [lhs, rhs], ospan)
        if t == "GT":
            return A.Call(span, lt, [rhs, lhs], ospan)
        if t == "LEQ":
            return A.Not(span, A.Call(span, lt, [rhs, lhs], ospan))
        if t == "GEQ":
            return A.Not(span, A.Call(span, lt, [lhs, rhs], ospan))
        raise AssertionError(t)

    def not_(self, c):
        bang, e = c
        return A.Not(self._reach(bang, e), e)

    def negate(self, c):
        minus, e = c
        ospan = _tspan(minus)
        return A.Call(self._reach(minus, e), self._var("__sub", ospan), [A.Int(ospan, 0), e], ospan)

    def has_attr(self, c):
        e, _, path = c
        return A.HasAttr(_span(e, path[-1]), e, path)

    # -- application and selection --------------------------------------------------
    def call(self, c):
        f, a = c
        if self.cursed:
            self.warn_if_cursed_or(a)
        return self.make_call(_sp(self._outer(f), self._reach(f, a).end), f, a)

    def select(self, c):
        e, _, path = c
        return A.Select(_sp(self._outer(e), _end(path[-1])), e, path)

    def select_or(self, c):
        e, _, path, _, default = c
        if self.cursed:
            self.warn_if_cursed_or(default)
        return A.Select(_sp(self._outer(e), self._reach(e, default).end), e, path, default)

    def cursed_or(self, c):
        e, kw = c
        # Nix positions the `or` variable at the start of the whole rule
        call = A.Call(_span(e, kw), e, [A.Var(_sp(_start(e), kw.end_pos), self.sym("or"))])
        self.cursed[call] = kw.end_pos
        return call

    # -- atoms ---------------------------------------------------------------------
    def var(self, c):
        tok = c[0]
        span = _tspan(tok)
        if tok.flag:
            return A.Missing(span)
        name = tok.value          # the plain `str` of the identifier (no copy, no NixToken.__eq__)
        if name == "__curPos":
            return A.CurPos(span)
        return A.Var(span, self.sym(name))

    def int_(self, c):
        return A.Int(_tspan(c[0]), c[0].value)

    def float_(self, c):
        return A.Float(_tspan(c[0]), c[0].value)

    def string(self, c):
        open_, parts, close = c
        span = _span(open_, close)
        if parts is None:
            return A.Str(span, "")
        if type(parts) is A.Str:
            parts.span = span
        return parts

    def ind_string(self, c):
        open_, parts, close = c
        return self.strip_indentation(_span(open_, close), parts)

    def path(self, c):
        p, end = c
        return p

    def path_interpolated(self, c):
        p, parts, end = c
        return A.ConcatStrings(_sp(p.span.start, parts[-1].span.end), False, [p] + parts, None,
                               self._part_positions([p] + parts))

    def spath(self, c):
        tok = c[0]
        span = _tspan(tok)
        return A.Call(span, self._var("__findFile", span),
                      [self._var("__nixPath", span), A.Str(span, str(tok)[1:-1])])

    def uri(self, c):
        tok = c[0]
        if self.lints:
            level = self.lints.get("url-literals", "ignore")
            self.diagnose("url-literals", f"URL literals are {'disallowed' if level == 'fatal' else 'discouraged'}"
                          f". Consider using a string literal \"{tok}\" instead", tok.start_pos)
        return A.Str(_tspan(c[0]), str(c[0]), uri=True)

    def parens(self, c):
        # Nix's positions of a call or select start at the opening parenthesis
        self.outer_start[c[1]] = c[0].start_pos
        # a node ending in a parenthesized one ends at its `)` (positions
        # are starts, so Nix's messages do not change; editors see whole ranges)
        self.outer_end[c[1]] = c[2].end_pos
        return c[1]

    def _outer(self, x) -> int:
        return self.outer_start.get(x, _start(x))

    def _reach(self, a, b) -> Span:
        """From the start of `a` to the end of `b`, with the `)` after `b`."""
        end = self.outer_end.get(b) if type(b) is not NixToken else None
        return _sp(_start(a), _end(b) if end is None else end)

    def legacy_let(self, c):
        kw, _, attrs, close = c
        attrs.rec = True
        attrs.span = _span(kw, close)
        body = A.AttrName(attrs.span, self.sym("body"))
        return A.Select(attrs.span, attrs, [body])

    def rec_attrs(self, c):
        kw, _, attrs, close = c
        attrs.rec = True
        attrs.span = _span(kw, close)
        return attrs

    def attrs(self, c):
        open_, attrs, close = c
        attrs.span = _span(open_, close)
        return attrs

    def empty_attrs(self, c):
        return A.Attrs(_span(c[0], c[1]))

    def list_(self, c):
        open_, elems, close = c
        return A.List(_span(open_, close), elems)

    # -- strings ---------------------------------------------------------------------
    def string_parts_str(self, c):
        return A.Str(_tspan(c[0]), c[0].value)

    def string_parts_interp(self, c):
        parts = c[0]
        return A.ConcatStrings(_sp(parts[0].span.start, parts[-1].span.end), True, parts, None,
                               self._part_positions(parts))

    def _part_positions(self, parts) -> list[int]:
        return [self.interp_start.get(p, p.span.start) for p in parts]

    def string_parts_empty(self, c):
        return None

    def interp_more_str(self, c):
        lst, tok = c
        lst.append(A.Str(_tspan(tok), tok.value))
        return lst

    def interp_more_expr(self, c):
        lst, dc, e, _ = c
        self.interp_start[e] = dc.start_pos
        lst.append(e)
        return lst

    def interp_first_expr(self, c):
        self.interp_start[c[1]] = c[0].start_pos
        return [c[1]]

    def interp_first_str_expr(self, c):
        tok, dc, e, _ = c
        self.interp_start[e] = dc.start_pos
        return [A.Str(_tspan(tok), tok.value), e]

    def path_start(self, c):
        tok = c[0]
        lit = str(tok)
        if lit.startswith("/"):
            if self.lints:
                self.diagnose("absolute-path-literals", "absolute path literals are not portable. Consider "
                              f"replacing path literal '{lit}' by a string, relative path, or parameter",
                              tok.start_pos)
            path = canon_path(lit)
        else:
            if self.lints and not lit.startswith("."):
                self.diagnose("short-path-literals", f"relative path literal '{lit}' should be prefixed "
                              f"with '.' for clarity: './{lit}'", tok.start_pos)
            path = canon_path(self.source.base_dir + "/" + lit)
        if len(lit) > 1 and lit.endswith("/"):
            path += "/"
        return A.Path(_tspan(tok), path)

    def hpath_start(self, c):
        tok = c[0]
        if self.lints:
            self.diagnose("absolute-path-literals", "home path literals are not portable. Consider "
                          f"replacing path literal '{tok}' by a string, relative path, or parameter",
                          tok.start_pos)
        home = self.home if self.home is not None else os.environ.get("HOME", "")
        return A.Path(_tspan(tok), home + str(tok)[1:])

    def ind_more_str(self, c):
        lst, tok = c
        lst.append(tok)
        return lst

    def ind_more_expr(self, c):
        lst, dc, e, _ = c
        self.interp_start[e] = dc.start_pos
        lst.append(e)
        return lst

    def ind_empty(self, c):
        return []

    def strip_indentation(self, span: Span, es: list) -> A.Node:
        """ParserState::stripIndentation: remove the common leading spaces of
        an indented string; interpolations and escapes end a line's indent."""
        if not es:
            return A.Str(span, "")
        at_start = True
        min_indent = 1000000
        cur = 0
        for item in es:
            if isinstance(item, A.Node) or not item.flag:
                if at_start:
                    at_start = False
                    min_indent = min(min_indent, cur)
                continue
            for ch in item.value:
                if at_start:
                    if ch == " ":
                        cur += 1
                    elif ch == "\n":
                        cur = 0
                    else:
                        at_start = False
                        min_indent = min(min_indent, cur)
                elif ch == "\n":
                    at_start = True
                    cur = 0
        out: list[A.Node] = []
        at_start = True
        dropped = 0
        n = len(es)
        for item in es:
            if isinstance(item, A.Node):
                at_start = False
                dropped = 0
                out.append(item)
                n -= 1
                continue
            s2 = []
            for ch in item.value:
                if at_start:
                    if ch == " ":
                        if dropped >= min_indent:
                            s2.append(ch)
                        dropped += 1
                    elif ch == "\n":
                        dropped = 0
                        s2.append(ch)
                    else:
                        at_start = False
                        dropped = 0
                        s2.append(ch)
                else:
                    s2.append(ch)
                    if ch == "\n":
                        at_start = True
            s = "".join(s2)
            if n == 1:
                p = s.rfind("\n")
                if p != -1 and s[p + 1:].strip(" ") == "":
                    s = s[:p + 1]
            if s:
                out.append(A.Str(_tspan(item), s))
            n -= 1
        if not out:
            return A.Str(span, "")
        if len(out) == 1 and type(out[0]) is A.Str:
            out[0].span = span
            return out[0]
        return A.ConcatStrings(span, True, out, None, self._part_positions(out))

    # -- bindings ------------------------------------------------------------------------
    def binds(self, c):
        return c[0]

    def binds_empty(self, c):
        return A.Attrs(_sp(0, 0))

    def bind_first(self, c):
        path, _, e, semi = c
        attrs = A.Attrs(_sp(0, 0))
        self.add_attr(attrs, path, e)
        return attrs

    def bind_more(self, c):
        attrs, path, _, e, semi = c
        self.add_attr(attrs, path, e)
        return attrs

    def bind_inherit(self, c):
        attrs, _, names, _ = c
        for name, span in names:
            old = attrs.attrs.get(name)
            if old is not None:
                attrs.merged = True
                shown = show_attr_path([A.AttrName(span, name)])
                self.fail(errors.DuplicateAttr, f"attribute '{shown}' already defined at "
                          f"{self.source.location(old.span.start)}", span,
                          "duplicate", path=shown, first=old.span.start)
                continue
            attrs.attrs[name] = A.AttrDef(A.Var(span, name), span, A.INHERITED, span)
        return attrs

    def bind_inherit_from(self, c):
        attrs, _, _, e, _, names, _ = c
        attrs.inherit_from.append(e)
        src = A.InheritFrom(e.span, len(attrs.inherit_from) - 1)
        for name, span in names:
            old = attrs.attrs.get(name)
            if old is not None:
                attrs.merged = True
                shown = show_attr_path([A.AttrName(span, name)])
                self.fail(errors.DuplicateAttr, f"attribute '{shown}' already defined at "
                          f"{self.source.location(old.span.start)}", span,
                          "duplicate", path=shown, first=old.span.start)
                continue
            sel = A.Select(span, src, [A.AttrName(span, name)])
            attrs.attrs[name] = A.AttrDef(sel, span, A.INHERITED_FROM, span)
        return attrs

    def dup_attr(self, path, span: Span, prev: Span):
        shown = show_attr_path(path)
        self.fail(errors.DuplicateAttr, f"attribute '{shown}' already defined at "
                  f"{self.source.location(prev.start)}", span, "duplicate", path=shown, first=prev.start)

    def add_attr(self, attrs: A.Attrs, path: list[A.AttrName], e: A.Node):
        """ParserState::addAttr: insert `path = e`, creating or entering nested
        attrsets for the leading names and merging two attrset literals."""
        pos = _sp(path[0].span.start, path[-1].span.end)
        for i, an in enumerate(path[:-1]):
            if an.name is not None:
                j = attrs.attrs.get(an.name)
                if j is not None:
                    attrs.merged = True
                    nested = j.value if type(j.value) is A.Attrs else None
                    if nested is None:
                        self.dup_attr(path[:i + 1], pos, j.span)
                        return
                else:
                    nested = A.Attrs(an.span)
                    attrs.attrs[an.name] = A.AttrDef(nested, pos, A.PLAIN, an.span)
            else:
                nested = A.Attrs(an.span)
                attrs.dynamic.append(A.DynamicAttr(an.expr, nested, pos))
            attrs = nested
        last = path[-1]
        if last.name is not None:
            self.add_attr_def(attrs, list(path), last.name, A.AttrDef(e, pos, A.PLAIN, last.span))
        else:
            attrs.dynamic.append(A.DynamicAttr(last.expr, e, pos))

    def add_attr_def(self, attrs: A.Attrs, path: list, name: str, d: A.AttrDef):
        j = attrs.attrs.get(name)
        if j is None:
            attrs.attrs[name] = d
            return
        attrs.merged = True
        ae = d.value if type(d.value) is A.Attrs else None
        jattrs = j.value if type(j.value) is A.Attrs else None
        if ae is None or jattrs is None:
            self.dup_attr(path, d.span, j.span)
            return
        offset = len(jattrs.inherit_from)
        order = self.symbols
        for k, ad in sorted(ae.attrs.items(), key=lambda kv: order.get(kv[0], -1)):
            if ad.kind == A.INHERITED_FROM:
                ad.value.expr.index += offset
            self.add_attr_def(jattrs, path + [A.AttrName(ad.span, k)], k, ad)
        ae.attrs = {}
        jattrs.dynamic.extend(ae.dynamic)
        ae.dynamic = []
        jattrs.inherit_from.extend(ae.inherit_from)
        ae.inherit_from = []

    def attrs_more(self, c):
        lst, an = c
        lst.append((an.name, an.span))
        return lst

    def attrs_more_string(self, c):
        lst, an = c
        if an.name is None:
            self.fail(errors.DynamicAttrNotAllowed, "dynamic attributes not allowed in inherit", an.span)
            return lst
        lst.append((an.name, an.span))
        return lst

    def attrs_empty(self, c):
        return []

    def attrpath_more(self, c):
        lst, _, an = c
        lst.append(an)
        return lst

    def attrpath_first(self, c):
        return [c[0]]

    def attr_id(self, c):
        tok = c[0]
        if tok.flag:
            return A.AttrName(_tspan(tok), "")
        return A.AttrName(_tspan(tok), self.sym(tok.value))

    def string_attr_str(self, c):
        open_, parts, close = c
        span = _span(open_, close)
        if parts is None:
            return A.AttrName(span, self.sym(""))
        if type(parts) is A.Str:
            return A.AttrName(span, self.sym(parts.value))
        return A.AttrName(span, None, parts)

    def string_attr_dyn(self, c):
        open_, e, close = c
        # ToBeStringyExpr::visit: `${"a"}` (a plain string expression) is a static name
        if type(e) is A.Str:
            return A.AttrName(_span(open_, close), self.sym(e.value))
        return A.AttrName(_span(open_, close), None, e)

    def list_more(self, c):
        lst, e = c
        if self.cursed:
            self.warn_if_cursed_or(e)
        lst.append(e)
        return lst

    def list_empty(self, c):
        return []

    # -- formals -----------------------------------------------------------------------
    def formal_set_ellipsis(self, c):
        return FormalSet(c[1], True, _span(c[0], c[-1]))

    def formal_set_only_ellipsis(self, c):
        return FormalSet([], True, _span(c[0], c[-1]))

    def formal_set_plain(self, c):
        return FormalSet(c[1], False, _span(c[0], c[-1]))

    def formal_set_empty(self, c):
        return FormalSet([], False, _span(c[0], c[-1]))

    def formals_more(self, c):
        lst, _, f = c
        lst.append(f)
        return lst

    def formals_first(self, c):
        return [c[0]]

    def formal(self, c):
        tok = c[0]
        return A.Formal(self.sym(str(tok)), None, _tspan(tok))

    def formal_default(self, c):
        tok, _, e = c
        return A.Formal(self.sym(str(tok)), e, _tspan(tok))
