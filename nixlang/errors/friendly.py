"""The pynix way of showing an error (`pynix eval`, the REPL): Nix's own text
first, unchanged, so it can be searched for; then the stable pynix code with
its title, a one-line hint about the usual cause, and where to read more.

The hints are short on purpose: the long explanation of each code belongs
to `pynix explain CODE`. A hint may depend on the message when one code
covers several beginner traps (a type error from calling a set, say).
"""
from __future__ import annotations

import re

from . import NixError, render_nix, render_nix_eval

# one line per code: the usual cause, in a beginner's words
HINTS: dict[str, str] = {
    "E001": "the parser met something it did not expect here; look just before the marked spot "
            "for a missing ';', ')', ']' or '}'",
    "E002": "this number does not fit a 64-bit integer or is not a valid number",
    "E003": "a path literal may not end in '/'; drop the slash or write it as a string",
    "E004": "this syntax belongs to an experimental feature; enable it with "
            "--extra-experimental-features",
    "E005": "URL literals are disabled here; write the URL as a string",
    "E006": "Nix strings cannot contain NUL bytes",
    "E010": "an attrset defines the same attribute twice; remove or rename one of them",
    "E011": "a function's formals list the same argument twice",
    "E012": "attribute names computed with ${...} are not allowed in let or inherit",
    "E013": "the name is not bound by any let, function argument, with or builtin in scope; "
            "check its spelling or bring it into scope",
    "E014": "the expression is nested too deeply to parse; split it into smaller pieces",
    "E015": "a lint setting turned this literal into an error; use a string or a ./relative path",
    "E090": "the file could not be read; check the path",
    "E200": "evaluation failed; read the trace from the top to see what was being computed",
    "E201": "a value of one type was used where another was needed; the trace shows where it came from",
    "E202": "the attrset has no such attribute; use `x.a or default` or `x ? a` when it may be absent",
    "E203": "a value depends on itself; look for an attribute defined in terms of itself (often in rec "
            "or a fixed point)",
    "E204": "the code called `throw` on purpose; its message says why",
    "E205": "the code called `abort`; its message says why (tryEval cannot catch this one)",
    "E206": "an `assert` condition was false",
    "E207": "integer division by zero",
    "E208": "the result does not fit a 64-bit signed integer",
    "E209": "a function was called with arguments it does not accept; compare the call with its formals",
    "E210": "the evaluation recursed too deeply; look for unbounded recursion",
    "E299": "this part of Nix is not implemented in pynix yet",
}

# specific traps inside one code: (code, pattern on the message, hint)
_TRAPS = [
    ("E201", re.compile(r"^attempt to call something which is not a function but a set"),
     "a set is not a function: did you mean to select an attribute (`s.f x`) or is `__functor` missing?"),
    ("E201", re.compile(r"^expected a set but found a function"),
     "this function takes arguments first: call it (`f { ... }`) before selecting from its result"),
    ("E201", re.compile(r"^cannot coerce a set to a string"),
     "an attrset cannot be put in a string unless it has `outPath` or `__toString`; select the "
     "attribute you meant"),
    ("E201", re.compile(r"^cannot coerce a function to a string"),
     "a function cannot be put in a string; did you forget to call it?"),
    ("E209", re.compile(r"called without required argument"),
     "pass every formal that has no default (`{ a, b ? 1 }` needs `a`)"),
    ("E209", re.compile(r"called with unexpected argument"),
     "the function does not take that argument; add `...` to its formals to allow extra ones"),
]


def hint_for(err: NixError) -> str:
    for code, pattern, hint in _TRAPS:
        if err.code == code and pattern.search(err.message):
            return hint
    return HINTS.get(err.code, "")


def render_friendly(err: NixError, show_trace: bool = False) -> str:
    """Nix's rendering of `err`, then the pynix code, a hint and a pointer."""
    text = render_nix_eval(err, show_trace) if getattr(err, "frames", None) is not None else render_nix(err)
    lines = [text.rstrip("\n"), ""]
    hint = hint_for(err)
    lines.append(f"  [{err.code}] {err.title}" + (f": {hint}" if hint else ""))
    lines.append(f"  more: pynix explain {err.code}")
    return "\n".join(lines) + "\n"
