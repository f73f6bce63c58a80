"""The pynix way of showing an error (`pynix eval`, the REPL): Nix's own text
first, so it can be searched for (only the caret under the error's own
excerpt grows into an underline of the whole span); then the stable pynix
code with its title and a one-line hint, "did you mean" for an undefined
name, and where to read more.

The hints are short on purpose: the long explanation of each code belongs
to `pynix explain CODE`. `HINTS` has the usual cause of each code; one code
covers several beginner traps (E201 is any wrong type), and the hint of the
specific trap an error is comes from nixlang/ide/hints.py, which reads the
parsed program and the facts the error carries (`NixError.kind`, `.data`).
This module only renders: it sits in the lowest layer and reads no source.
"""
from __future__ import annotations

from . import NixError, edit_distance, render_nix, render_nix_eval

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
    "E211": "a builtin was given an option it does not know (a hash algorithm name, say); use one of "
            "the names the message lists",
    "E212": "the hash is cut short, misspelt or of the wrong length; copy the whole hash again",
    "E213": "the URL or flake reference is not in a form Nix accepts; compare it with `github:OWNER/REPO`, "
            "`path:./dir` or `git+https://...`",
    "E214": "the evaluation needed more memory than pynix allows itself (three quarters of this machine's "
            "memory, or PYNIX_MAX_MEMORY): look for a value that grows without end, such as a string or "
            "list doubled in a recursion, or a file that never ends like /dev/zero; if the evaluation "
            "really needs more, set PYNIX_MAX_MEMORY=8G (say)",
    "E220": "the fetcher could not get the source, or got content with another hash; for a new source, "
            "use the hash after `got:`",
    "E299": "this part of Nix is not implemented in pynix yet",
}

_KEYWORDS = frozenset(("assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with"))


def similar(name: str, candidates, limit: int = 3) -> list[str]:
    """The candidates closest to `name` (edit distance, case-insensitive), best first."""
    budget = max(1, min(3, len(name) // 3))
    scored = []
    for c in set(candidates):
        if c == name or c.startswith("__") or c in _KEYWORDS:
            continue
        d = edit_distance(name.lower(), c.lower(), budget)
        if d <= budget:
            scored.append((d, c))
    scored.sort()
    return [c for _, c in scored[:limit]]


# -- rendering -------------------------------------------------------------------------------

def _underline(text: str, err: NixError) -> str:
    """Grow the caret under the error's own excerpt into an underline of its span."""
    if err.source is None or err.span is None or err.span.end <= err.span.start:
        return text
    line, col = err.source.line_col(err.span.start)
    end_line, end_col = err.source.line_col(err.span.end)
    if end_line != line:     # to the end of the first line
        end_col = len((err.source.line_text(line) or "").rstrip(" \t\r").encode("utf-8", "surrogateescape")) + 1
    width = max(1, end_col - col)
    caret = f"{' ' * 13}|{' ' * col}^"
    i = text.rfind("\n" + caret + "\n")
    if i < 0 or width == 1:
        return text
    i += 1
    return text[:i] + caret + "~" * (width - 1) + text[i + len(caret):]


def render_friendly(err: NixError, show_trace: bool = False, hint: str | None = None,
                    did_you_mean=()) -> str:
    """Nix's rendering of `err` (its span underlined), then the pynix code with
    `hint` (by default the code's usual cause), "did you mean" with the names
    given, and a pointer to `pynix explain`."""
    text = render_nix_eval(err, show_trace) if getattr(err, "frames", None) is not None else render_nix(err)
    try:
        text = _underline(text, err)
    except Exception:
        pass
    lines = [text.rstrip("\n"), ""]
    if hint is None:
        hint = HINTS.get(err.code, "")
    lines.append(f"  [{err.code}] {err.title}" + (f": {hint}" if hint else ""))
    sugg = list(did_you_mean)
    if sugg:
        lines.append("  did you mean " + (f"'{sugg[0]}'" if len(sugg) == 1 else
                                          "one of " + ", ".join(f"'{s}'" for s in sugg)) + "?")
    lines.append(f"  more: pynix explain {err.code}")
    return "\n".join(lines) + "\n"
