"""Compiling the resolved AST: closures for all code, generated Python for hot code.

Why two tiers (measured on a NixOS system evaluation and on nixpkgs lib's
module system; numbers in the README's speed section):

- A tree-walking interpreter pays a dispatch per node per evaluation. The
  first answer, kept as tier 1, compiles each node once into a Python
  closure `code(env) -> value` (compile.closures and the rule modules next
  to it). That removes the dispatch, but every node is still one Python
  call, and Python calls are what an evaluation of nixpkgs spends its time
  on: 3.7 million function calls and 8.5 million thunks for one NixOS
  system.
- Generating Python source per function body (compile.codegen) makes the
  nodes of a body inline statements: variables are frame indexing forced
  once into locals, `n - 1` is a subtraction, `a.b` a dict lookup, a call of
  a lambda enters its body directly. Hand-measured on `fib`, the same
  semantics ran 2.3 times faster than the specialised closures.
- But `compile()` of generated text costs about a millisecond per body,
  and nixpkgs is mostly code that runs once: of the 12,000 lambdas parsed
  for a NixOS system 4,500 are ever called, and 718 of those take 99.7 % of
  the calls. Generating everything would cost more than it saves on a
  first run (10 s or more of `compile()`), so generated code is tier 2:
  a lambda's body becomes generated code at its 40th call
  (`PYNIX_JIT=off|always|N`), the compiled code is kept on disk by the
  hash of its text (compile.codecache), and everything else stays a
  closure, which costs a tenth as much to make.
- Both tiers share one representation: environments are the same lists,
  thunks and closures the same objects, and every slow path and error path
  of generated code is tier 1's (the same trace frames, the same per-site
  helpers). A shape tier 2 does not transcribe calls its tier-1 closure.
  tests/test_jit.py holds them to identical output, and runs the language
  suite with every body generated.
- Compilation itself is lazy: a lambda's body is compiled at its first
  call and the values of a large attrset when first forced, so a 40,000-
  line package set costs only what is used.

Tier 1, in more detail. Each AST node is turned, once, into a Python
function `code(env) -> value` that computes the node's value in weak head
normal form. Variables were resolved statically (nixlang.resolve) to
(level, index), so a variable is a fixed number of `env.up` steps and one
list index; only names provided by `with` are looked up by string at run
time, in the `with` scopes that enclose them, innermost first.

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
