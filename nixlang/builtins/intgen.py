"""genList's elements when its function is integer arithmetic (`n: first + n`,
`i: i * 2`, `n: n`): each element stays a thunk (Nix's mkApp, printed
`<CODE>` until forced), but forcing it runs one small Python function
instead of a call of the lambda (call_lambda, then the body's code).

What makes that the same value: the body is integer arithmetic on the
argument, on variables of enclosing frames and on integer constants, with
`+` and the builtins `__sub`, `__mul`, `__div` (`-`, `*`, `/`). When
genList is called, each outer variable already holds an integer (a value
or a forced thunk: Nix values never change), each of those names is the
builtin itself (not shadowed by scopedImport), and each variable divisor is
not 0; these are read once and passed to the function. On forcing, the
value is computed when the call depth leaves room for the lambda's call and
the deepest builtin call in it (as call_lambda and the arith sites count
them) and every intermediate result is a 64-bit integer; otherwise the
element is computed by the real call (`slow`), which then meets the stack
overflow or the integer overflow with Nix's message and frames.

A body `elemAt xs <integer arithmetic>` (lib's sublist, take, drop: `n:
elemAt list (n + start)`) is done the same way when `xs` already holds a
list and `elemAt` is the builtin: the element at the computed index, when
the index is inside the list and that element is a value (or a forced
thunk), is what the call would give; any other element (a thunk to force,
with the frames of elemAt and of the lambda on its errors) and any other
index are the real call.
"""
from __future__ import annotations

from ..runtime import ops
from ..runtime.values import Closure, PrimOp, Thunk
from ..syntax import ast as A

_OPS = {"__sub": ("sub", "-"), "__mul": ("mul", "*"), "__div": ("div", "/")}
# compiled makers by the lambda's body node (kept with the node); emptied
# when it grows past MAX_MAKERS (a language server sees new nodes each edit)
_MAKERS: dict[int, tuple] = {}
MAX_MAKERS = 512
_UNSUPPORTED = object()


class _Shape:
    """The body translated: Python text with one parameter per outer
    variable read (`c0`, `c1`, ...), the builtin each operator name must be,
    and the height in builtin calls."""

    def __init__(self):
        self.steps: list[str] = []
        self.outer: list[tuple[int, int]] = []      # (level, index) of each `cN`
        self.names: list[tuple[int, int, str]] = []  # (level, index, builtin name) to check
        self.nonzero: list[str] = []                 # divisor parameters that must not be 0
        self.list_var: tuple[int, int] | None = None  # (level, index) of `xs` in `elemAt xs ...`

    def tmp(self) -> str:
        return f"r{len(self.steps)}"

    def offset(self) -> str | None:
        """For a body that is one addition of the argument and something
        else (`n: first + n`), that other operand (`c0` or a literal)."""
        if len(self.steps) != 1:
            return None
        parts = self.steps[0].partition(" = ")[2].split(" ")
        if len(parts) != 3 or parts[1] != "+" or (parts[0] == "i") == (parts[2] == "i"):
            return None
        return parts[2] if parts[0] == "i" else parts[0]

    def translate(self, n):
        """(expression, height) or None."""
        t = type(n)
        if t is A.Int:
            return repr(n.value), 0
        if t is A.Var:
            if n.from_with:
                return None
            if n.level == 0 and n.index == 0:
                return "i", 0
            if n.level == 0:
                return None
            key = (n.level, n.index)
            if key not in self.outer:
                self.outer.append(key)
            return f"c{self.outer.index(key)}", 0
        if t is A.ConcatStrings:
            if n.force_string or n.op_span is None or len(n.parts) != 2:
                return None
            x = self.translate(n.parts[0])
            y = x and self.translate(n.parts[1])
            if y is None:
                return None
            r = self.tmp()
            self.steps.append(f"{r} = {x[0]} + {y[0]}")
            return r, max(x[1], y[1])
        if (t is not A.Call or type(n.fn) is not A.Var or n.fn.from_with or len(n.args) != 2
                or n.fn.name not in _OPS or n.fn.level == 0):
            return None
        x = self.translate(n.args[0])
        y = x and self.translate(n.args[1])
        if y is None:
            return None
        which, op = _OPS[n.fn.name]
        self.names.append((n.fn.level, n.fn.index, which))
        r = self.tmp()
        if op == "/":
            if type(n.args[1]) is A.Int:
                if n.args[1].value == 0:
                    return None
            elif y[0].startswith("c"):
                self.nonzero.append(y[0])
            else:
                return None     # (a divisor that might be 0 only once computed)
            self.steps.append(f"{r} = {ops.int_div_text(x[0], y[0])}")
        else:
            self.steps.append(f"{r} = {x[0]} {op} {y[0]}")
        return r, 1 + max(x[1], y[1])


def _maker(node):
    """The compiled maker of element functions for the lambda body `node`,
    with what it needs read from the closure; _UNSUPPORTED when the body is
    not of that shape."""
    entry = _MAKERS.get(id(node))
    if entry is not None and entry[0] is node:
        return entry[1]
    sh = _Shape()
    index = _elem_at_index(node, sh)
    tree = sh.translate(node if index is None else index)
    if tree is None:
        made = _UNSUPPORTED
    else:
        expr, height = tree
        params = ", ".join(f"c{k}" for k in range(len(sh.outer)))
        checks = " and ".join(f"INT_MIN <= r{k} <= INT_MAX" for k in range(len(sh.steps))) or "True"
        lines = [f"def make(ev, slow, {params + ', ' if params else ''}bounded=False, xs=None, "
                 f"INT_MIN={ops.INT_MIN}, INT_MAX={ops.INT_MAX}):"]
        if index is None and sh.offset() is not None:
            # `i + c` (or `c + i`) of a list whose first and last elements
            # are 64-bit integers: so is every element
            lines += ["    if bounded:",
                      "        def element(i):",
                      f"            if ev.depth + {1 + height} <= ev.max_call_depth:",
                      f"                return {sh.steps[0].partition(' = ')[2]}",
                      "            return slow(i)",
                      "        return element"]
        # the lambda's call, the builtins' in it (with elemAt, its call and
        # then the arithmetic forced in it)
        lines += ["    def element(i):",
                  f"        if ev.depth + {1 + height + (index is not None)} <= ev.max_call_depth:"]
        lines += [f"            {s}" for s in sh.steps]
        if index is None:
            lines += [f"            if {checks}:",
                      f"                return {expr}"]
        else:
            lines += [f"            if {checks} and 0 <= {expr} < len(xs):",
                      f"                x = xs[{expr}]",
                      "                if type(x) is not Thunk:",
                      "                    return x",
                      "                if x.code is None:",
                      "                    return x.value"]
        lines += ["        return slow(i)",
                  "    return element"]
        g: dict = {"Thunk": Thunk}
        exec(compile("\n".join(lines) + "\n", "<pynix genList element>", "exec"), g)
        made = (g["make"], sh)
    if len(_MAKERS) >= MAX_MAKERS:
        _MAKERS.clear()
    _MAKERS[id(node)] = (node, made)
    return made


def _elem_at_index(node, sh: _Shape):
    """For a body `elemAt xs i` (`elemAt` and `xs` variables of enclosing
    frames): its index expression, with `xs` and the name `elemAt` noted
    in `sh`; else None."""
    if type(node) is not A.Call or len(node.args) != 2:
        return None
    fn, xs = node.fn, node.args[0]
    if (type(fn) is not A.Var or fn.from_with or fn.name != "elemAt" or fn.level == 0
            or type(xs) is not A.Var or xs.from_with or xs.level == 0):
        return None
    sh.names.append((fn.level, fn.index, "elemAt"))
    sh.list_var = (xs.level, xs.index)
    return node.args[1]


def _read(env, level: int, index: int):
    """The value of the variable `level` frames above the lambda's own (its
    closure's environment is level 1), or None when it is not a value yet."""
    for _ in range(level - 1):
        env = env[0]
        if env is None:
            return None
    v = env[index + 1]
    if type(v) is Thunk:
        return v.value if v.code is None else None
    return v


def element_code(ev, f, slow, size: int | None = None):
    """A thunk code for genList's `make_thunk(code, i)` computing `f i` as
    described above, or None when `f` or its environment does not allow it.
    With the list's `size`, a body `first + n` whose values for 0 and
    size - 1 are 64-bit integers checks no range."""
    if type(f) is not Closure:
        return None
    lam = f.lam
    if lam.formals is not None or lam.inner is not None or lam.arg is None:
        return None
    made = _maker(lam.node.body)
    if made is _UNSUPPORTED:
        return None
    make, sh = made
    up = f.env
    builtins = getattr(ev, "builtins", None)
    for level, index, which in sh.names:
        prim = builtins.d.get(which) if builtins is not None else None
        if type(prim) is not PrimOp or _read(up, level, index) is not prim:
            return None
    values = []
    for level, index in sh.outer:
        v = _read(up, level, index)
        if type(v) is not int:
            return None
        values.append(v)
    for name in sh.nonzero:
        if values[int(name[1:])] == 0:
            return None
    bounded = False
    off = sh.offset()
    if size is not None and size > 0 and off is not None:
        base = values[int(off[1:])] if off.startswith("c") else int(off)
        bounded = ops.INT_MIN <= base and base + size - 1 <= ops.INT_MAX
    xs = None
    if sh.list_var is not None:
        xs = _read(up, *sh.list_var)
        if type(xs) is not list:
            return None
    code = make(ev, slow, *values, bounded=bounded, xs=xs)
    code.pos = slow.pos
    return code

