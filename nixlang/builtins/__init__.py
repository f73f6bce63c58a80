"""Builtins: one module per theme, each registering its primops here.

A builtin is a Python function `fn(ev, *args)` taking the evaluator and its
arguments (values or thunks: a builtin forces what it needs, which is how
Nix's strictness rules are reproduced). Its docstring is its hover text.
`REGISTRY` maps the name (as in `builtins.NAME`) to a `PrimOp` or a constant.
"""
from __future__ import annotations

from ..runtime.values import PrimOp

REGISTRY: dict[str, object] = {}


def builtin(name: str, arity: int):
    def register(fn):
        REGISTRY[name] = PrimOp(name, arity, fn, (fn.__doc__ or "").strip())
        return fn
    return register


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


def load_all() -> dict[str, object]:
    """Import every theme module (each registers itself) and return the registry."""
    from . import core  # noqa: F401
    for theme in ("lists", "attrs", "strings", "types", "control", "serialize", "versions",
                  "hashing", "filesystem", "flakes", "context", "derivations", "fetchers"):
        try:
            __import__(f"{__name__}.{theme}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{theme}":
                raise
    return REGISTRY
