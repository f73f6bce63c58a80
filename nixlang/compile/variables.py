"""Compiling variables: statically bound slots, and names from `with`.

A variable the resolver bound statically is `level` frames up, at slot
`index`: `env[0]` `level` times, then one list index. A slot of the base
environment (the builtins) never changes, so once read it is remembered.
A name only some enclosing `with` can provide is looked up by string in
those `with` attrsets, innermost first, at run time.
"""
from __future__ import annotations

from .. import errors as E
from ..syntax import ast as A
from ..runtime.errors import type_error
from ..runtime.values import UNSET, Attrs, Thunk, force


def memo_of(get) -> list | None:
    """The memo of a reader `var_raw` made for a variable two or more frames
    up: its first default argument (not an attribute of the function, whose
    dict would cost 200 bytes a reader); None for the readers of the nearest
    two frames, which have none."""
    defaults = get.__defaults__
    return defaults[0] if defaults and type(defaults[0]) is list else None


class VariableRules:
    """Compiler methods for `A.Var`."""

    def var_raw(self, n: A.Var):
        """The stored value of a statically bound variable (maybe a thunk).
        A slot of the base environment (builtins; `up` is None) never
        changes, so once found it is remembered."""
        level, i = n.level, n.index + 1
        if level == 0:
            return lambda env, i=i: env[i]
        if level == 1:
            return lambda env, i=i: env[0][i]
        if n.binding is not None:
            # bound in this file (a let, a lambda, a rec set): never the base
            # environment, so nothing to remember (the memo, a first default
            # like every reader's, stays empty); the common depths unrolled
            if level == 2:
                def get2(env, memo=[], i=i):
                    return env[0][0][i]
                return get2
            if level == 3:
                def get3(env, memo=[], i=i):
                    return env[0][0][0][i]
                return get3
        memo = []

        def get(env, memo=memo, level=level, i=i):
            if memo:
                return memo[0]
            for _ in range(level):
                env = env[0]
            v = env[i]
            if env[0] is None and v is not UNSET:
                memo.append(v)
            return v
        return get

    def c_Var(self, n: A.Var):
        if not n.from_with:
            # the span is made only for an error (a node's span is a new
            # object per read, and most variables never fail)
            source = self.source
            level, i = n.level, n.index + 1
            if level == 0:
                def var0(env, i=i, source=source, n=n):
                    v = env[i]
                    if type(v) is Thunk:
                        # the value replaces its forced thunk in the frame
                        if v.code is None:
                            v = env[i] = v.value
                            return v
                        try:
                            v = env[i] = v.force()
                            return v
                        except E.InfiniteRecursionError as e:
                            e.at(source, n.span)
                            raise
                    return v
                return var0
            if level == 1:
                def var1(env, i=i, source=source, n=n):
                    up = env[0]
                    v = up[i]
                    if type(v) is Thunk:
                        if v.code is None:
                            v = up[i] = v.value
                            return v
                        try:
                            v = up[i] = v.force()
                            return v
                        except E.InfiniteRecursionError as e:
                            e.at(source, n.span)
                            raise
                    return v
                return var1
            raw = self.var_raw(n)
            memo = memo_of(raw)

            def var(env, memo=memo, raw=raw, source=source, n=n):
                v = memo[0] if memo else raw(env)
                if type(v) is Thunk:
                    if v.code is None:
                        return v.value
                    try:
                        return v.force()
                    except E.InfiniteRecursionError as e:
                        e.at(source, n.span)
                        raise
                return v
            return var
        levels, name = n.with_levels, n.name
        source, span = self.source, n.span

        def with_var(env, levels=levels, name=name, source=source, span=span):
            return with_lookup(env, levels, name, source, span)
        return with_var


def with_lookup(env, levels, name, source, span):
    """The value of `name` from the `with` scopes `levels` frames up from
    `env` (innermost first): each `with`'s attrset is forced in turn until
    one has the name."""
    depth = 0
    e = env
    seen = []
    for lv in levels:
        while depth < lv:
            e = e[0]
            depth += 1
        attrs = force(e[1])
        if type(attrs) is not Attrs:
            raise type_error("a set", attrs, source, span)
        v = attrs.d.get(name, UNSET)
        if v is not UNSET:
            return force(v)
        seen.append(attrs)
    # the names the `with`s did have, for "did you mean"
    raise E.UndefinedVariable(f"undefined variable '{name}'", source, span).tagged(
        "undefined-variable", name=name, with_names=sorted({k for a in seen for k in a.d}))
