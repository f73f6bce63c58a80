"""Compiling the resolved AST into Python closures.

Each AST node is turned, once, into a Python function `code(env) -> value`
that computes the node's value in weak head normal form. Evaluation then
never walks the tree again: it calls these closures. Variables were resolved
statically (nixlang.resolve) to (level, index), so a variable is a fixed
number of `env.up` steps and one list index; only names provided by `with`
are looked up by string at run time, in the `with` scopes that enclose them,
innermost first.

Laziness: `lazy(node)` gives a function that returns what to store without
evaluating: a constant or lambda directly, an existing variable's thunk (so
it is shared, never copied), or a new `Thunk` for anything else.

Environments mirror the resolver's scopes one to one: the base environment
of builtins, then one frame per `let`, `rec { }`, lambda and `with`. A frame
is a plain list `[up, slot0, slot1, ...]` (`runtime.values.Env`): cheaper to
build and to index than an object, and frames are built on every call.

Speed: the closures are specialised for common shapes (a variable at level
0 or 1, a call with one argument, `n - 1`, `a + b`, `"${x}"`, `if`), and an
operand whose value is needed at once is evaluated directly (`strict`)
instead of through a thunk nothing else can see. Whenever such a fast path
meets anything unusual (an error, an unexpected type) it hands the values it
already has to the generic code, in the same order, so the result, the
error and its trace frames are exactly those of the generic code (see
`_raising`).
"""
from __future__ import annotations

from .closures import Compiler
from .frames import node_pos

__all__ = ["Compiler", "node_pos"]
