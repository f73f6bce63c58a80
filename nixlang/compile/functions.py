"""Compiling lambdas and calls.

A lambda compiles to a `LambdaCode` (runtime.calls) shared by every closure
made from it. A call site inlines the most common case, a lambda `x: ...`
called with one argument, and leaves the rest to `call_function`. Calls of
the builtins `__sub`, `__mul`, `__div` and `__lessThan` (what `-`, `*`,
`/` and `<` parse to) compute on two integers directly, and hand anything
else to the builtin exactly as the generic call would.
"""
from __future__ import annotations

from functools import partial

from .. import errors as E
from ..syntax import ast as A
from ..runtime import ops
from ..runtime.calls import LambdaCode, call2, call_function, call_primop, calling, calln
from ..runtime.values import Closure, PrimOp, Thunk, force, make_closure
from .frames import _NOTHING, _raising, node_pos
from .variables import memo_of

_ARITH_PRIMOPS = {"__sub": "sub", "__mul": "mul", "__div": "div", "__lessThan": "lessThan"}
INT_MIN, INT_MAX = ops.INT_MIN, ops.INT_MAX
# the probe of a body starting with `x == e`: no builtin to check
_EQUALITY = ([ops.equal], ops.equal)


class FunctionRules:
    """Compiler methods for `A.Lambda` and `A.Call`."""

    # -- functions -------------------------------------------------------------------------
    def c_Lambda(self, n: A.Lambda):
        slot = 0
        formals = None
        if n.arg is not None:
            slot = 1
        if n.formals is not None:
            formals = []
            for f in n.formals:
                formals.append([f.name, slot, None])
                slot += 1
        lam = LambdaCode(n, n.arg, formals, n.ellipsis, None, slot, self.source, self.ev)
        self._lambda_codes[id(n)] = lam
        lam.name = self._lambda_names.get(id(n))
        if formals is not None:
            for entry, f in zip(formals, n.formals):
                if f.default is not None:
                    # lazy, as Nix's maybeThunk: a default that is a variable
                    # already bound shares that variable's thunk
                    entry[2] = self.lazy(f.default)
            lam.formals = [tuple(e) for e in formals]
        body = n.body
        if type(body) is A.Lambda:
            # `a: b: ...`: the inner lambda's code now (its own body waits)
            lam.body = self.compile(body)
            lam.inner = self._lambda_codes.get(id(body))
        else:
            # the body is compiled at the first call: most functions of a
            # large file are never called
            compiler = self

            def compile_body(env):
                code = lam.body = compiler.compile(body)
                lam.probe = compiler.argument_probe(n)
                threshold = compiler.jit_threshold
                if threshold is not None:
                    if threshold <= 1:
                        code = lam.body = compiler.promote(n, code)
                    else:
                        lam.body = _counting(compiler, lam, n, code, threshold)
                return code(env)
            lam.body = compile_body
        # a partial, not a lambda: no Python frame of its own each time a
        # closure is made (or a lambda's thunk forced)
        return partial(make_closure, lam)

    def argument_probe(self, n: A.Lambda):
        """Whether the body of `x: ...` starts by forcing x: it is (or is an
        `if` whose condition is, or the negation of) `x < e`, `x - e`, `x * e`,
        `x / e` with the builtin, the same with a constant before x (`c < x`,
        which `x > c` and `x <= c` are), or `x == e` / `x != e`. A caller may then give it x's value
        instead of a thunk computing it, when that computation cannot fail
        (codegen's pre-evaluated arguments): the thunk would be forced before
        anything could see it. Returns what the caller checks, (memo, builtin):
        the builtin is the one called (`memo[0]` once found), or None."""
        if n.formals is not None or n.arg is None:
            return None
        e = n.body
        while type(e) is A.If or type(e) is A.Not:
            e = e.cond if type(e) is A.If else e.expr

        def is_arg(v) -> bool:
            return type(v) is A.Var and not v.from_with and v.level == 0 and v.index == 0

        if (type(e) is A.Call and type(e.fn) is A.Var and not e.fn.from_with and len(e.args) == 2
                and e.fn.name in _ARITH_PRIMOPS
                and (is_arg(e.args[0]) or type(e.args[0]) is A.Int and is_arg(e.args[1]))):
            site = self.arith_site(e)
            if site is None or site.memo is None:
                return None
            return site.memo, site.prim
        if type(e) is A.BinOp and e.op in ("==", "!=") and is_arg(e.lhs):
            return _EQUALITY
        return None

    def c_Call(self, n: A.Call):
        fn_node = n.fn
        if (type(fn_node) is A.Var and not fn_node.from_with and len(n.args) == 2
                and fn_node.name in _ARITH_PRIMOPS):
            fast = self._arith_call(n)
            if fast is not None:
                return fast
        return self._call(n)

    def _call(self, n: A.Call):
        fn = self.compile(n.fn)
        args = [self.lazy(a) for a in n.args]
        ev = self.ev
        source, span = self.source, node_pos(n)
        if len(args) == 1 and _makes_thunk(n.args[0]):
            # `f (n - 1)`: the argument's thunk made here
            acode = self.compile(n.args[0])

            def call1_thunk(env, fn=fn, acode=acode, ev=ev, source=source, span=span):
                f = fn(env)
                arg = Thunk()
                arg.code = acode
                arg.value = env
                if type(f) is Closure:
                    lam = f.lam
                    if lam.formals is None:
                        ev.depth += 1
                        try:
                            if ev.depth > ev.max_call_depth:
                                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
                            try:
                                return lam.body([f.env, arg])
                            except E.EvalError as e:
                                e.add_frame(f"while calling {calling(lam)}", lam.source, lam.node.span)
                                e.add_frame("from call site", source, span)
                                raise
                        finally:
                            ev.depth -= 1
                return force(call_function(ev, f, arg, source, span))
            return call1_thunk
        if len(args) == 1:
            a0, = args

            def call1(env, fn=fn, a0=a0, ev=ev, source=source, span=span):
                # call_function, with its most common case (a lambda `x: ...`) inline
                f = fn(env)
                arg = a0(env)
                if type(f) is Closure:
                    lam = f.lam
                    if lam.formals is None:
                        ev.depth += 1
                        try:
                            if ev.depth > ev.max_call_depth:
                                raise E.StackOverflow("stack overflow; max-call-depth exceeded", source, span)
                            try:
                                return lam.body([f.env, arg])
                            except E.EvalError as e:
                                e.add_frame(f"while calling {calling(lam)}", lam.source, lam.node.span)
                                e.add_frame("from call site", source, span)
                                raise
                        finally:
                            ev.depth -= 1
                return force(call_function(ev, f, arg, source, span))
            return call1
        if len(args) == 2:
            a0, a1 = args

            def call2_(env, fn=fn, a0=a0, a1=a1, ev=ev, source=source, span=span):
                return call2(ev, fn(env), a0(env), a1(env), source, span)
            return call2_

        def call(env, fn=fn, args=args, ev=ev, source=source, span=span):
            return calln(ev, fn(env), tuple([a(env) for a in args]), source, span)
        return call

    def arith_site(self, n: A.Call):
        """What both tiers share for `a - b`, `a * b`, `a / b`, `a < b`: the
        builtin, how to read the name it is called by, the generic call and
        the builtin called on two values (`slow`); None when the builtin is
        not a two-argument primop here."""
        if id(n) in self._sites:
            return self._sites[id(n)]
        fn_node = n.fn
        which = _ARITH_PRIMOPS[fn_node.name]
        builtins = getattr(self.ev, "builtins", None)
        prim = builtins.d.get(which) if builtins is not None else None
        if type(prim) is not PrimOp or prim.arity != 2:
            self._sites[id(n)] = None
            return None
        raw = self.var_raw(fn_node)
        ev, source, span = self.ev, self.source, node_pos(n)

        def slow(x, y):
            return force(call_primop(ev, prim, (x, y), source, span))
        site = self._sites[id(n)] = ArithSite(
            which, prim, raw, memo_of(raw), self._call(n), slow, self.lazy(n.args[1]))
        return site

    def _arith_call(self, n: A.Call):
        """`a - b`, `a * b`, `a / b`, `a < b` (calls of __sub, __mul, __div,
        __lessThan): on two integers, computed here; anything else (another
        type, an error, overflow, a `__sub` that is not the builtin) goes to
        the builtin exactly as the generic call would."""
        site = self.arith_site(n)
        if site is None:
            return None
        which, prim, raw, memo, generic, slow, ly = (site.which, site.prim, site.raw, site.memo, site.generic,
                                                     site.slow, site.ly)
        x_node, y_node = n.args
        sx, sy = self.strict(x_node), self.strict(y_node)
        ev = self.ev

        # Like call_primop, the operands are evaluated one call deeper (the
        # builtin's call counts towards max-call-depth); when that call would
        # be one too many, the generic path raises the error as Nix does.
        if which == "lessThan" and type(y_node) is A.Int:
            # `n < 2`
            yv = y_node.value

            def less_than_const(env):
                if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                    return generic(env)
                err = None
                ev.depth += 1
                try:
                    x = sx(env)
                except Exception as e:
                    err = e
                finally:
                    ev.depth -= 1
                if err is not None:
                    return slow(_raising(err), yv)
                tx = type(x)
                if tx is int or tx is float:
                    return x < yv
                return slow(x, yv)
            return less_than_const
        if which == "lessThan":
            # lessThan forces both operands before it looks at their types
            def less_than(env):
                if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                    return generic(env)
                x = err = None
                ev.depth += 1
                try:
                    x = _NOTHING
                    x = sx(env)
                    y = sy(env)
                except Exception as e:
                    err = e
                finally:
                    ev.depth -= 1
                if err is not None:
                    return slow(_raising(err), ly(env)) if x is _NOTHING else slow(x, _raising(err))
                tx, ty = type(x), type(y)
                if (tx is int or tx is float) and (ty is int or ty is float):
                    return x < y
                return slow(x, y)
            return less_than

        # sub, mul, div check the first operand before they force the second
        def arith(env):
            if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                return generic(env)
            x = y = err = None
            ev.depth += 1
            try:
                x = _NOTHING
                x = sx(env)
                y = _NOTHING
                if type(x) is int:
                    y = sy(env)
            except Exception as e:
                err = e
            finally:
                ev.depth -= 1
            if err is not None:
                return slow(_raising(err), ly(env)) if x is _NOTHING else slow(x, _raising(err))
            if y is _NOTHING:   # the first operand is not an integer
                return slow(x, ly(env))
            if type(y) is int:
                if which == "sub":
                    r = x - y
                elif which == "mul":
                    r = x * y
                elif y == 0 or (y == -1 and x == INT_MIN):
                    return slow(x, y)
                else:
                    q = abs(x) // abs(y)
                    r = q if (x >= 0) == (y >= 0) else -q
                if INT_MIN <= r <= INT_MAX:
                    return r
            return slow(x, y)

        if which == "sub" and type(y_node) is A.Int:
            # the most common one, `n - 1`
            yv = y_node.value

            def sub_const(env):
                if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                    return generic(env)
                err = None
                ev.depth += 1
                try:
                    x = sx(env)
                except Exception as e:
                    err = e
                finally:
                    ev.depth -= 1
                if err is not None:
                    return slow(_raising(err), yv)
                if type(x) is int:
                    r = x - yv
                    if INT_MIN <= r <= INT_MAX:
                        return r
                return slow(x, yv)
            return sub_const
        if which == "sub":
            # without the dispatch on `which`
            def sub(env):
                if (memo[0] if memo else raw(env)) is not prim or ev.depth >= ev.max_call_depth:
                    return generic(env)
                x = y = err = None
                ev.depth += 1
                try:
                    x = _NOTHING
                    x = sx(env)
                    y = _NOTHING
                    if type(x) is int:
                        y = sy(env)
                except Exception as e:
                    err = e
                finally:
                    ev.depth -= 1
                if err is not None:
                    return slow(_raising(err), ly(env)) if x is _NOTHING else slow(x, _raising(err))
                if y is _NOTHING:
                    return slow(x, ly(env))
                if type(y) is int:
                    r = x - y
                    if INT_MIN <= r <= INT_MAX:
                        return r
                return slow(x, y)
            return sub
        return arith


def _makes_thunk(n: A.Node) -> bool:
    """Whether `Compiler.lazy(n)` makes a new thunk (not a constant, a
    lambda or a variable's own value)."""
    t = type(n)
    return t not in (A.Int, A.Float, A.Str, A.Path, A.Lambda) and not (t is A.Var and not n.from_with)


def _counting(compiler, lam, node, code, threshold):
    """`code`, counting its calls: at the `threshold`th the lambda's body
    becomes generated code (compile.codegen), when it can."""
    calls = [1]

    def counting(env, calls=calls, threshold=threshold, lam=lam, compiler=compiler, node=node, code=code):
        calls[0] += 1
        if calls[0] >= threshold:
            lam.body = compiler.promote(node, code)
        return code(env)
    return counting


class ArithSite:
    """One `a - b` (`*`, `/`, `<`) call site: the builtin `prim` named
    `which`, `raw(env)` reading the name it is called by (`memo` holds the
    builtin once found in the base environment), the `generic` call, `slow`
    (the builtin on two values) and `ly`, the lazy second operand."""
    __slots__ = ("which", "prim", "raw", "memo", "generic", "slow", "ly")

    def __init__(self, which, prim, raw, memo, generic, slow, ly):
        self.which, self.prim, self.raw, self.memo = which, prim, raw, memo
        self.generic, self.slow, self.ly = generic, slow, ly
