"""The closure compiler: each AST node becomes, once, a Python function
`code(env) -> value` giving the node's value in weak head normal form.

The node kinds are compiled by the rule classes of the sibling modules
(variables, selection, attrsets, functions, operators), mixed into
`Compiler` here; this module holds what they share: dispatch, laziness
(`lazy`) and strictness (`strict`).
"""
from __future__ import annotations

import os
import weakref
from functools import partial

from .. import errors as E
from ..source import Source
from ..syntax import ast as A
from ..runtime.calls import LambdaCode
from ..runtime.values import UNSET, Attrs, Path, Thunk, make_thunk
from .attrsets import AttrsetRules
from .functions import FunctionRules
from .operators import OperatorRules
from .selection import SelectionRules
from .variables import VariableRules, memo_of


def jit_threshold_from(setting: str | None) -> int | None:
    """PYNIX_JIT: "off" (closures only), "always" (generate every body at its
    first call), or the number of calls after which a body is generated."""
    if setting is None or setting == "":
        return JIT_THRESHOLD
    if setting == "off":
        return None
    if setting == "always":
        return 1
    try:
        return max(1, int(setting))
    except ValueError:
        return JIT_THRESHOLD


# calls of a function after which its body is generated Python (tier 2)
JIT_THRESHOLD = 40

# the code of a small constant, shared by every literal of that value (a
# NixOS evaluation compiles 110,000 literals, each a function of 200 bytes,
# most of them `""`, small numbers and short names); held weakly, so that a
# long-lived process (the language server) keeps only those in use
_CONSTANT_CODES: "weakref.WeakValueDictionary[tuple, object]" = weakref.WeakValueDictionary()
_SHARED_STR_MAX = 40


def constant_code(v):
    """`lambda env: v`, one per value for ints, Booleans and short strings
    (keyed by type too: `1`, `1.0` and `true` differ). Floats are not
    shared (0.0 and -0.0 are equal keys)."""
    t = type(v)
    if t is int or t is bool or (t is str and len(v) <= _SHARED_STR_MAX):
        key = (t, v)
        code = _CONSTANT_CODES.get(key)
        if code is None:
            code = _CONSTANT_CODES[key] = lambda env, v=v: v
        return code
    return lambda env, v=v: v


# (compiler class, node class) -> the rule method compiling that node kind:
# found once, rather than by name for every node
_RULES: dict = {}


class Compiler(VariableRules, SelectionRules, AttrsetRules, FunctionRules, OperatorRules):
    def __init__(self, ev, source: Source):
        self.ev = ev
        self.source = source
        self._lambda_names: dict[int, str] = {}   # Nix names a lambda after the attribute it defines
        # node -> code: each node is compiled once (keyed by the node itself,
        # hashed by identity: an id would be an int object of 32 bytes a node)
        self._compiled: dict = {}
        self._lambda_codes: dict[int, LambdaCode] = {}
        self._sites: dict[int, object] = {}        # id(node) -> what its slow paths share (both tiers)
        self.jit_threshold = jit_threshold_from(os.environ.get("PYNIX_JIT"))

    # -- laziness ------------------------------------------------------------------
    def lazy(self, n: A.Node, defer: bool = False):
        """Code giving what to store for `n` without evaluating it: a constant,
        a variable's own value or thunk, or a new thunk. With `defer`, `n`
        itself is compiled only when such a thunk is first forced."""
        t = type(n)
        if t in (A.Int, A.Float, A.Str, A.Path):
            return self.compile(n)      # a constant is its own lazy value
        if t is A.Var and not n.from_with:
            # share the variable's own thunk; a slot of the frame being built
            # (`let x = y; y = ...;`) is not filled yet: read it later
            code = self.compile(n)
            level, i = n.level, n.index + 1
            if level == 0:
                def var_lazy0(env, i=i, code=code):
                    v = env[i]
                    return v if v is not UNSET else make_thunk(code, env)
                return var_lazy0
            if level == 1:
                def var_lazy1(env, i=i, code=code):
                    v = env[0][i]
                    return v if v is not UNSET else make_thunk(code, env)
                return var_lazy1
            raw = self.var_raw(n)
            memo = memo_of(raw)
            if memo is not None and n.binding is None:
                # a name of the base environment (`null` as a formal's default):
                # its reader's memo, once found, without calling the reader
                def global_lazy(env, memo=memo, raw=raw, code=code):
                    if memo:
                        return memo[0]
                    v = raw(env)
                    return v if v is not UNSET else make_thunk(code, env)
                global_lazy.memo = memo     # (read by runtime.calls.make_binder)
                return global_lazy

            def var_lazy(env, raw=raw, code=code):
                v = raw(env)
                return v if v is not UNSET else make_thunk(code, env)
            return var_lazy
        if defer and n not in self._compiled:
            # compiled when a thunk of it is first forced: most attributes of
            # a large attrset (a package set, a module's options) never are
            return self._deferred(lambda n=n: n)
        # a partial, not a lambda: 100 bytes less, and no Python frame per thunk made
        return partial(make_thunk, self.compile(n))

    def lazy_def(self, d: A.LazyAttrDef, name: str):
        """`lazy(d.value, defer=True)` for a value still pickled (see
        `ast.LazyAttrDef`; never a constant or a variable): thunks whose
        first forcing unpickles the value, names its lambdas and compiles it."""
        def load(d=d, name=name, self=self):
            n = d.value
            self._name_lambdas(n, name)
            return n
        return self._deferred(load)

    def _deferred(self, node_of):
        """Code making thunks of the node `node_of()` gives, compiled when the
        first of them is forced."""
        compiler, code_of = self, [None]

        def compile_then_run(env, compiler=compiler, code_of=code_of, node_of=node_of):
            code = code_of[0] = compiler.compile(node_of())
            return code(env)
        code_of[0] = compile_then_run

        def make_deferred(env, code_of=code_of, T=Thunk):
            t = T()      # (make_thunk(code_of[0], env) without a frame of its own)
            t.code = code_of[0]
            t.value = env
            return t
        # the cell of the code, for builders that make such thunks themselves
        # (compile.attrsets: an attrset of thousands of names)
        make_deferred.code_of = code_of
        return make_deferred

    def _name_lambdas(self, n: A.Node, name: str) -> None:
        """ExprLambda::setName: a lambda bound to an attribute takes its name,
        and so do the lambdas of its curried body (`f = a: b: ...`)."""
        while type(n) is A.Lambda:
            self._lambda_names[id(n)] = name
            n = n.body

    def strict(self, n: A.Node):
        """Code giving `force(lazy(n)(env))`, the value of an operand needed at
        once, without the thunk `lazy` would build when nothing else can see
        that thunk. A variable is forced as `force` does it (its own thunk,
        no position added to an infinite recursion, as through `lazy`)."""
        if type(n) is not A.Var or n.from_with:
            return self.compile(n)
        code = self.compile(n)
        level, i = n.level, n.index + 1
        if level == 0:
            def strict_var0(env, code=code, i=i):
                v = env[i]
                if type(v) is Thunk:
                    return v.value if v.code is None else v.force()
                return v if v is not UNSET else code(env)
            return strict_var0
        if level == 1:
            def strict_var1(env, code=code, i=i):
                v = env[0][i]
                if type(v) is Thunk:
                    return v.value if v.code is None else v.force()
                return v if v is not UNSET else code(env)
            return strict_var1
        raw = self.var_raw(n)

        def strict_var(env, code=code, raw=raw):
            v = raw(env)
            if type(v) is Thunk:
                return v.value if v.code is None else v.force()
            return v if v is not UNSET else code(env)
        return strict_var

    def constant(self, n):
        t = type(n)
        if t is A.Path:
            return Path(n.value)
        return n.value

    # -- the compiler proper -----------------------------------------------------------
    def compile(self, n: A.Node):
        """The code of node `n`; compiled once, however many times it is asked
        for (fast paths ask for an operand's code more than once)."""
        code = self._compiled.get(n)
        if code is None:
            rule = _RULES.get((type(self), type(n)))
            if rule is None:
                rule = _RULES[(type(self), type(n))] = getattr(type(self), "c_" + type(n).__name__)
            code = self._compiled[n] = rule(self, n)
        return code

    def c_Int(self, n):
        return constant_code(n.value)

    c_Float = c_Str = c_Int

    def c_Path(self, n):
        v = Path(n.value)
        return lambda env, v=v: v

    def c_CurPos(self, n):
        line, col = self.source.line_col(n.span.start)
        origin = self.source.origin
        def curpos(env):
            return Attrs({"file": origin, "line": line, "column": col})
        return curpos

    def c_Missing(self, n):
        source, span = self.source, n.span
        def missing(env):
            raise E.EvalError("syntax error: missing expression", source, span)
        return missing

    def promote(self, lam_node: A.Lambda, code):
        """Tier 2 for a hot lambda: its generated body, or `code` (its
        closure) when the body cannot be generated."""
        from .codegen import generate_body
        generated = generate_body(self, lam_node)
        return generated if generated is not None else code
