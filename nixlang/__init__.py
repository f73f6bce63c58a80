"""pynix: a Nix language toolkit (parser, evaluator, store layer, IDE support).

The public entry points for the syntax layer are re-exported here:
`parse` (strict, raises a `NixError` as Nix would), `parse_recover` (for
editors: never raises, returns a partial AST and every diagnostic) and
`show` (the one-line AST form of `nix-instantiate --parse`).
"""
from .version import __version__  # noqa: F401

from .parse import parse, parse_cached, parse_full, parse_recover  # noqa: E402,F401
from .syntax.printer import show  # noqa: E402,F401


def __getattr__(name):
    # the evaluator is imported on first use, so parsing alone stays light
    if name in ("Evaluator", "EvalOptions"):
        from . import evaluator
        return getattr(evaluator, name)
    raise AttributeError(f"module 'nixlang' has no attribute {name!r}")
