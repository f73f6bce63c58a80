"""Compiling operators and control: `if`, `assert`, `!`, `&&`, `||`, `->`,
`==`, `!=`, `//`, `++`, and string concatenation and interpolation
(`a + b` and `"${x}"` are both ConcatStrings).
"""
from __future__ import annotations

from .. import errors as E
from ..source import Span
from ..syntax import ast as A
from ..syntax.printer import show
from ..runtime import ops
from ..runtime.calls import call_function
from ..runtime.errors import type_error
from ..runtime.bigsets import BIG, update as big_update
from ..runtime.positions import attr_position_of, merge_pos
from ..runtime.values import Attrs
from .frames import _bool_framed, _frame_value_fn, _framed, _lazy_framed, _raising, node_pos

INT_MIN, INT_MAX = ops.INT_MIN, ops.INT_MAX


class OperatorRules:
    """Compiler methods for control and operators."""

    # -- control ----------------------------------------------------------------------------
    def _bool(self, n: A.Node):
        code = self.compile(n)
        source, span = self.source, n.span

        def b(env, code=code, source=source, span=span):
            v = code(env)
            if type(v) is not bool:
                raise type_error("a Boolean", v, source, span)
            return v
        return b

    def c_If(self, n: A.If):
        cond, then, else_ = self.compile(n.cond), self.compile(n.then), self.compile(n.else_)
        source, span = self.source, n.cond.span

        def if_(env, cond=cond, else_=else_, source=source, span=span, then=then):
            c = cond(env)
            if c is True:
                return then(env)
            if c is False:
                return else_(env)
            raise type_error("a Boolean", c, source, span)
        return if_

    def c_Assert(self, n: A.Assert):
        body = self.compile(n.body)
        text = show(n.cond)
        source, span = self.source, n.span
        frame = f"while evaluating the condition of the assertion '{text}'"
        if type(n.cond) is A.BinOp and n.cond.op == "==":
            # Nix 2.36 explains a failed `assert a == b` (assertEqValues)
            lhs, rhs = self.compile(n.cond.lhs), self.compile(n.cond.rhs)
            op_span = n.cond.op_span

            def assert_eq(env):
                try:
                    ops.assert_equal(lhs(env), rhs(env), source, op_span, attr_position_of)
                except E.EvalError as e:
                    raise e.add_frame(frame, source, span)
                return body(env)
            return assert_eq

        cond = self._bool(n.cond)

        def assert_(env):
            try:
                ok = cond(env)
            except E.EvalError as e:
                raise e.add_frame(frame, source, span)
            if not ok:
                raise E.AssertionFailed(f"assertion '{text}' failed", source, span)
            return body(env)
        return assert_

    def c_Not(self, n: A.Not):
        code = self.compile(n.expr)
        source, span, pos = self.source, n.expr.span, node_pos(n.expr)

        def not_(env, code=code, pos=pos, source=source, span=span):
            try:
                v = code(env)
                if type(v) is not bool:
                    raise type_error("a Boolean", v, source, span)
            except E.EvalError as e:
                raise e.add_frame("in the argument of '!'", source, pos)
            return not v
        return not_

    def c_BinOp(self, n: A.BinOp):
        op = n.op
        source, span = self.source, n.op_span or n.span
        src = self.source
        if op in ("&&", "||", "->"):
            a = _bool_framed(self.compile(n.lhs), f"in the left operand of '{op}'", src, n.lhs.span,
                             node_pos(n.lhs))
            b = _bool_framed(self.compile(n.rhs), f"in the right operand of '{op}'", src, n.rhs.span,
                             node_pos(n.rhs))
            if op == "&&":
                return lambda env: a(env) and b(env)
            if op == "||":
                return lambda env: a(env) or b(env)
            return lambda env: (not a(env)) or b(env)
        if op in ("==", "!="):
            ca, cb = self.compile(n.lhs), self.compile(n.rhs)
            lmsg, rmsg = f"in the left operand of '{op}'", f"in the right operand of '{op}'"
            lpos, rpos = node_pos(n.lhs), node_pos(n.rhs)
            equal = ops.equal

            def eq(env, ca=ca, cb=cb, equal=equal, lmsg=lmsg, lpos=lpos, rmsg=rmsg, rpos=rpos, src=src):
                try:
                    x = ca(env)
                except E.EvalError as e:
                    raise e.add_frame(lmsg, src, lpos)
                try:
                    y = cb(env)
                except E.EvalError as e:
                    raise e.add_frame(rmsg, src, rpos)
                t = type(x)
                if t is type(y) and (t is int or t is str):
                    return x == y
                if x is None or y is None:     # `x == null`: only null is null
                    return x is y
                return equal(x, y)
            if op == "==":
                return eq
            return lambda env: not eq(env)
        a = _framed(self.compile(n.lhs), f"in the left operand of '{op}'", src, node_pos(n.lhs))
        b = _framed(self.compile(n.rhs), f"in the right operand of '{op}'", src, node_pos(n.rhs))
        if op == "//":
            def update(env, a=a, b=b, source=source, span=span):
                x, y = a(env), b(env)
                if type(x) is not Attrs:
                    raise type_error("a set", x, source, span)
                if type(y) is not Attrs:
                    raise type_error("a set", y, source, span)
                xd, yd = x.d, y.d
                if not yd:
                    return x
                if not xd:
                    return y
                if type(xd) is dict and type(yd) is dict and len(xd) + len(yd) < BIG:
                    d = dict(xd)
                    d.update(yd)
                else:
                    d = big_update(xd, yd)
                return Attrs(d, merge_pos(x.pos, y.pos))
            return update
        if op == "++":
            def concat(env, a=a, b=b, source=source, span=span):
                x, y = a(env), b(env)
                for v in (x, y):
                    if type(v) is not list:
                        raise type_error("a list", v).add_frame(
                            "while evaluating one of the elements to concatenate", source, span)
                return x + y if x and y else (y if not x else x)
            return concat
        raise AssertionError(op)

    def concat_site(self, n: A.ConcatStrings) -> "ConcatSite":
        """The slow paths of one string concatenation, shared by its closure
        and its generated code (compile.codegen); made once per node."""
        site = self._sites.get(id(n))
        if site is not None:
            return site
        parts = [self.lazy(p) for p in n.parts]
        if not n.force_string and n.op_span is not None:
            # `a + b`: an error in an operand is "in an operand of '+'"
            parts = [_lazy_framed(code, "in an operand of '+'", self.source, node_pos(p))
                     for code, p in zip(parts, n.parts)]
        force_string = n.force_string
        ev = self.ev
        source, span = self.source, n.op_span or n.span
        positions = [Span(p, p) for p in (n.part_pos or [q.span.start for q in n.parts])]
        concat_strings = ops.concat_strings

        def call(f, a, s=None, sp=None, ev=ev, source=source, span=span):
            return call_function(ev, f, a, s or source, sp or span)

        def finish(vals, call=call, concat_strings=concat_strings, ev=ev, force_string=force_string, positions=positions, source=source):
            return concat_strings(vals, force_string, ev.copy_path_to_store, call, source, positions)

        site = self._sites[id(n)] = ConcatSite(parts, finish)
        if len(n.parts) == 2:
            site.framed_x = _frame_value_fn("in an operand of '+'", source, node_pos(n.parts[0]))
            site.framed_y = _frame_value_fn("in an operand of '+'", source, node_pos(n.parts[1]))
        return site

    def c_ConcatStrings(self, n: A.ConcatStrings):
        site = self.concat_site(n)
        parts, finish = site.parts, site.finish

        def concat(env, finish=finish, parts=parts):
            return finish([p(env) for p in parts])

        stricts = [self.strict(p) for p in n.parts]
        if n.force_string:
            # "...${x}...": plain strings are joined here; at the first other
            # value (or error) the generic code takes over with what is known
            pairs = list(enumerate(stricts))
            resume = site.resume

            def interpolate(env, pairs=pairs, resume=resume):
                out = []
                for k, sp in pairs:
                    try:
                        v = sp(env)
                    except Exception as e:
                        return resume(env, out, k, _raising(e))
                    if type(v) is str:
                        out.append(v)
                    else:
                        return resume(env, out, k, v)
                return "".join(out)
            return interpolate
        if n.op_span is None or len(parts) != 2:
            return concat
        # `a + b` on two integers or two plain strings
        sx, sy = stricts
        x_failed, x_other, y_failed = site.x_failed, site.x_other, site.y_failed

        def plus(env, finish=finish, sx=sx, sy=sy, x_failed=x_failed, x_other=x_other, y_failed=y_failed):
            try:
                x = sx(env)
            except Exception as e:
                return x_failed(env, e)
            tx = type(x)
            if tx is not int and tx is not str:
                return x_other(env, x)
            try:
                y = sy(env)
            except Exception as e:
                return y_failed(x, e)
            ty = type(y)
            if tx is ty:
                r = x + y
                if tx is str or INT_MIN <= r <= INT_MAX:
                    return r
            return finish([x, y])
        return plus


class ConcatSite:
    """The slow paths of a string concatenation: `finish(values)` is Nix's
    concatStrings over the parts' values; the others resume it from a fast
    path that met something other than plain strings or integers, or an
    error, handing over what it has in the generic order."""
    __slots__ = ("parts", "finish", "framed_x", "framed_y")

    def __init__(self, parts, finish):
        self.parts = parts          # the lazy code of each part
        self.finish = finish
        self.framed_x = self.framed_y = None

    def resume(self, env, out, k, v):
        """Interpolation: parts before `k` gave the plain strings `out`, part
        `k` gave `v` (a value, or `_raising(error)`)."""
        return self.finish(out + [v] + [p(env) for p in self.parts[k + 1:]])

    def x_failed(self, env, e):
        """`a + b`: evaluating `a` raised `e`."""
        return self.finish([self.framed_x(_raising(e)), self.parts[1](env)])

    def x_other(self, env, x):
        """`a + b`: `a` is neither an integer nor a plain string."""
        return self.finish([x, self.parts[1](env)])

    def y_failed(self, x, e):
        """`a + b`: evaluating `b` raised `e`."""
        return self.finish([x, self.framed_y(_raising(e))])
