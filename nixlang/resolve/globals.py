"""Names bound in Nix's base environment (EvalState::createBaseEnv, Nix 2.36).

Every builtin is reachable as `__name` and as `builtins.name`; a few are also
bound without the prefix. The resolver treats these as the outermost scope;
the evaluator will bind the same names to values.
"""

from ..syntax.symbols import BUILTIN_NAMES, TOP_LEVEL

GLOBAL_NAMES = frozenset(TOP_LEVEL | {"__" + n for n in BUILTIN_NAMES})
