"""String context builtins: looking at and editing what a string refers to.

A string's context is the set of store objects it mentions, so that a
derivation using the string depends on them. pynix stores each element as
the text C++ Nix uses for NixStringContextElem:

- `/nix/store/…-name`        Opaque: a plain store path (a copied source);
- `=/nix/store/…-name.drv`   DrvDeep: a derivation and its whole closure
                             (what `drvPath` carries);
- `!out!/nix/store/…-name.drv` Built: one output of a derivation (`outPath`).

`getContext` shows these as an attrset keyed by store path: `{ path = true; }`,
`{ allOutputs = true; }`, `{ outputs = [ "out" ]; }`; `appendContext` is its
inverse. The `unsafeDiscard*` builtins drop context or weaken it, and
`addDrvOutputDependencies` strengthens a `.drv` path to its closure.
"""
from __future__ import annotations

from .. import errors as E
from ..runtime.errors import type_error
from ..runtime.values import Attrs, force, make_string
from . import builtin
from .filesystem import store_dir
from .strings import force_string




def elem_kind(elem: str) -> tuple[str, str, str | None]:
    """(kind, store path, output name) of one context element."""
    if elem.startswith("="):
        return "drv-deep", elem[1:], None
    if elem.startswith("!"):
        output, _, path = elem[1:].partition("!")
        return "built", path, output
    return "opaque", elem, None


def _str_with_ctx(ev, v, what: str):
    ctx: set = set()
    s = force_string(v, ctx, f"while evaluating the argument passed to builtins.{what}")
    return s, ctx


@builtin("hasContext", 1)
def _has_context(ev, s):
    """Whether a string refers to any store path: `builtins.hasContext "${./f}"` is true."""
    _, ctx = _str_with_ctx(ev, s, "hasContext")
    return bool(ctx)


@builtin("unsafeDiscardStringContext", 1)
def _unsafe_discard_string_context(ev, s):
    """The same string without its context (dependencies on store paths are lost)."""
    text, _ = _str_with_ctx(ev, s, "unsafeDiscardStringContext")
    return str(text)


@builtin("unsafeDiscardOutputDependency", 1)
def _unsafe_discard_output_dependency(ev, s):
    """Weaken `drvPath` context (the derivation with its whole closure) to the
    `.drv` file alone."""
    text, ctx = _str_with_ctx(ev, s, "unsafeDiscardOutputDependency")
    out = set()
    for elem in ctx:
        kind, path, _ = elem_kind(elem)
        out.add(path if kind == "drv-deep" else elem)
    return make_string(str(text), out)


@builtin("addDrvOutputDependencies", 1)
def _add_drv_output_dependencies(ev, s):
    """Turn the context of a `.drv` path into a dependency on the derivation
    and all its outputs (the inverse of unsafeDiscardOutputDependency)."""
    text, ctx = _str_with_ctx(ev, s, "addDrvOutputDependencies")
    if len(ctx) != 1:
        raise E.EvalError(f"context of string '{text}' must have exactly one element, but has {len(ctx)}")
    (elem,) = ctx
    kind, path, output = elem_kind(elem)
    if kind == "built":
        raise E.EvalError("`addDrvOutputDependencies` can only act on derivations, not on a derivation "
                          f"output such as '{output}'")
    if kind == "opaque":
        if not path.endswith(".drv"):
            raise E.EvalError(f"path '{path}' is not a derivation")
        elem = "=" + path
    return make_string(str(text), {elem})


@builtin("getContext", 1)
def _get_context(ev, s):
    """The context of a string as an attrset keyed by store path, e.g.
    `{ "/nix/store/…-a.drv" = { outputs = [ "out" ]; }; }`."""
    _, ctx = _str_with_ctx(ev, s, "getContext")
    info: dict[str, dict] = {}
    for elem in sorted(ctx, key=lambda e: elem_kind(e)[1]):
        kind, path, output = elem_kind(elem)
        entry = info.setdefault(path, {})
        if kind == "opaque":
            entry["path"] = True
        elif kind == "drv-deep":
            entry["allOutputs"] = True
        else:
            entry.setdefault("outputs", []).append(output)
    result = {}
    for path, entry in info.items():
        if "outputs" in entry:
            entry["outputs"] = sorted(entry["outputs"])
        result[path] = Attrs(entry)
    return Attrs(result)


@builtin("appendContext", 2)
def _append_context(ev, s, context):
    """Add context, in the form `getContext` returns, to a string."""
    text, ctx = _str_with_ctx(ev, s, "appendContext")
    c = force(context)
    if type(c) is not Attrs:
        raise type_error("a set", c).add_frame(
            "while evaluating the second argument passed to builtins.appendContext")
    from ..store.paths import is_store_path
    sd = store_dir()
    for path in sorted(c.d):
        if not is_store_path(path, sd):
            raise E.EvalError(f"context key '{path}' is not a store path")
        entry = force(c.d[path])
        if type(entry) is not Attrs:
            raise type_error("a set", entry).add_frame(
                "while evaluating the value of a string context")
        if "path" in entry.d:
            flag = force(entry.d["path"])
            if type(flag) is not bool:
                raise type_error("a Boolean", flag).add_frame(
                    "while evaluating the `path` attribute of a string context")
            if flag:
                ctx.add(path)
        if "allOutputs" in entry.d:
            flag = force(entry.d["allOutputs"])
            if type(flag) is not bool:
                raise type_error("a Boolean", flag).add_frame(
                    "while evaluating the `allOutputs` attribute of a string context")
            if flag:
                if not path.endswith(".drv"):
                    raise E.EvalError(f"tried to add all-outputs context of {path}, which is not a "
                                      "derivation, to a string")
                ctx.add("=" + path)
        if "outputs" in entry.d:
            outs = force(entry.d["outputs"])
            if type(outs) is not list:
                raise type_error("a list", outs).add_frame(
                    "while evaluating the `outputs` attribute of a string context")
            if outs and not path.endswith(".drv"):
                raise E.EvalError(f"tried to add derivation output context of {path}, which is not a "
                                  "derivation, to a string")
            for o in outs:
                name = force_string(o, set(), "while evaluating an output name within a string context")
                ctx.add(f"!{name}!{path}")
    return make_string(str(text), ctx)
