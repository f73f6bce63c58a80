"""Builtins: one module per theme, each registering its primops here.

A builtin is a Python function `fn(ev, *args)` taking the evaluator and its
arguments (values or thunks: a builtin forces what it needs, which is how
Nix's strictness rules are reproduced). Its docstring is its hover text.
`REGISTRY` maps the name (as in `builtins.NAME`) to a `PrimOp` or a constant.
"""
from __future__ import annotations

from ..runtime.values import PrimOp

REGISTRY: dict[str, object] = {}

# Builtins whose theme module is imported at their first call rather than at
# start-up: the fetchers and flake references, with what they import, were 8%
# of `pynix instantiate --eval -E 1`, and the serialisers (toJSON and the
# rest, the biggest theme module) 2%. name -> (theme module, arity). The
# registry holds a PrimOp for each from the start; the module's @builtin
# completes that very object (its function and doc), so a value already
# holding it (the base environment, a partial application) calls the real one.
DEFERRED = {"fetchurl": ("fetchers", 1), "fetchTarball": ("fetchers", 1), "fetchTree": ("fetchers", 1),
            "fetchGit": ("fetchers", 1), "parseFlakeRef": ("flakes", 1), "flakeRefToString": ("flakes", 1),
            "toJSON": ("serialize", 1), "fromJSON": ("serialize", 1), "toXML": ("serialize", 1),
            "fromTOML": ("serialize", 1)}
_stubs: dict[str, PrimOp] = {}      # deferred builtins whose module is not imported yet


def builtin(name: str, arity: int):
    def register(fn):
        doc = (fn.__doc__ or "").strip()
        stub = _stubs.pop(name, None)
        if stub is None:
            REGISTRY[name] = PrimOp(name, arity, fn, doc)
        else:
            stub.arity, stub.fn, stub.doc = arity, fn, doc
        return fn
    return register


def _deferred(name: str, theme: str):
    def first_call(ev, *args):
        __import__(f"{__name__}.{theme}")     # its @builtin replaces this function in the PrimOp
        return REGISTRY[name].fn(ev, *args)
    return first_call


class lazy_module:
    """A module imported on first attribute access. Builtins that need the
    store layer, the network or archive formats import them this way, so
    start-up (and `-E 1`) does not pay for what most evaluations never use."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        import importlib
        return getattr(importlib.import_module(self._name), attr)


def constant(name: str, value) -> None:
    REGISTRY[name] = value


def load_all(complete: bool = False) -> dict[str, object]:
    """Import every theme module (each registers itself) and return the
    registry; the modules of DEFERRED builtins only with `complete` (for
    their docs: the language server, the REPL's `:doc`)."""
    from . import core  # noqa: F401
    themes = ["lists", "attrs", "strings", "types", "control", "versions",
              "hashing", "filesystem", "context", "derivations"]
    for name, (theme, arity) in DEFERRED.items():
        if name not in REGISTRY:      # (else its module is imported: the real one is there)
            REGISTRY[name] = _stubs[name] = PrimOp(name, arity, _deferred(name, theme), "")
    if complete:
        themes += sorted({theme for theme, _ in DEFERRED.values()})
    for theme in themes:
        try:
            __import__(f"{__name__}.{theme}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{theme}":
                raise
    return REGISTRY
