"""The playground's Python side: what the page's Web Worker calls, on Pyodide.

Each function takes the editor's text and returns plain data (dicts, lists,
strings) that the worker hands to the page as JSON:

    diagnostics(text, origin)     syntax, scope and lint diagnostics (nixlang.ide), as you type
    evaluate(text, origin, base)  the value as `pynix eval` prints it, or the error with its code,
                                  hint and the catalogue's explanation; the derivations it wrote
    trace(text, base)             the REPL's `:trace`: the thunks created and forced, in order
    syntax_tree(text)             the parsed AST as a tree, and `nix-instantiate --parse`'s line
    explain(code)                 one entry of the catalogue

Offsets given to the page are UTF-16 code units, as JavaScript strings
(and so CodeMirror) count them; nixlang counts code points.

This module runs in a Web Worker, the only thread there is: nothing here
starts a thread or a process, installs a signal handler or sets a
resource limit (the memory guard and Ctrl-C handling of `cli.main` are not
used; runtime/memory_guard.py reads no limit where /proc and `resource` are
missing). The page stops a runaway evaluation through Pyodide's interrupt
buffer, which raises KeyboardInterrupt at the next bytecode boundary: it
comes back here as the error "interrupted by the user", as in `nix repl`.
"""
from __future__ import annotations

import io
import json
import os
import sys
import time

from .. import errors as E, records
from ..source import Source

# Where the page's files live in the worker's (in-memory) file system: the
# editor's text is evaluated as if it were a file in PLAYGROUND_DIR, so that
# `./file.nix` and paths mean something; the lessons are under LESSONS_DIR.
PLAYGROUND_DIR = "/playground"
LESSONS_DIR = "/lessons"
STRING_ORIGIN = "«string»"          # what `pynix eval -E` calls its input

# Derivations name their platform; a browser's own (wasm32-emscripten) means
# nothing to Nix, so the playground says what most attendees' machines are.
SYSTEM = "x86_64-linux"

INTERRUPTED = "error: interrupted by the user"

# Python frames allowed. Nix's own limit (max-call-depth, 10000 calls) should
# be what stops a deep recursion, as in a terminal, and a Nix call takes a
# few Python frames. Frames of Python code calling Python code live in
# Pyodide's heap; what the browser's own (small) stack limits is recursion
# that passes through C, which the page survives by restarting the worker.
RECURSION_LIMIT = 100_000


def prepare(tables: bytes | None, files_json: str) -> None:
    """Set the worker's Python up, once: the parse tables the build computed
    (so that Lark never runs in the browser), the lessons' files under
    LESSONS_DIR (so that their imports work), an empty PLAYGROUND_DIR."""
    from ..syntax.parser import tables_cache_file
    sys.setrecursionlimit(RECURSION_LIMIT)
    if tables is not None:
        data = tables.to_bytes() if hasattr(tables, "to_bytes") else bytes(tables)   # a JS Uint8Array or bytes
        with open(tables_cache_file(), "wb") as f:
            f.write(data)
    os.makedirs(PLAYGROUND_DIR, exist_ok=True)
    for name, text in json.loads(files_json).items():
        path = os.path.join(LESSONS_DIR, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def call(fn: str, args_json: str) -> str:
    """The worker's one entry point: `fn(*args)` for a function of this
    module named in CALLS, its result as JSON."""
    if fn not in CALLS:
        return json.dumps({"ok": False, "error": f"error: the playground has no function '{fn}'"})
    return json.dumps(CALLS[fn](*json.loads(args_json)), ensure_ascii=False)


def _utf16_index(text: str):
    """A function from code-point offsets of `text` to UTF-16 offsets."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return lambda i: i
    prefix = [0]
    for c in text:
        prefix.append(prefix[-1] + (2 if ord(c) >= 0x10000 else 1))
    return lambda i: prefix[max(0, min(i, len(text)))]


# -- diagnostics as you type ------------------------------------------------------------------

def diagnostics(text: str, origin: str | None = None) -> list[dict]:
    """Everything the editor marks without evaluating: syntax errors (all of
    them, with recovery), scope errors and the lints, each with its code."""
    from .. import ide
    from ..errors.catalogue import explanation
    an = ide.analyze(text, origin if origin and origin.startswith("/") else None)
    at = _utf16_index(text)
    out = []
    for d in ide.diagnostics(an):
        try:
            title = explanation(d.code).title
        except KeyError:
            title = ""
        out.append({"from": at(d.start), "to": at(max(d.end, d.start)), "severity": d.severity,
                    "code": d.code, "title": title, "message": d.message, "hint": d.hint,
                    "kind": d.kind})
    return out


# -- evaluation ---------------------------------------------------------------------------------

def _offline(name: str):
    """What a network builtin does in the browser: a fetch error saying why
    (a browser page has no sockets; Pyodide would emulate them with
    WebSockets to made-up addresses, which must never be tried)."""
    from ..builtins.fetchers import FetchError

    def refuse(ev, *args):
        raise FetchError(f"'builtins.{name}' needs the network, which the playground does not use: it runs pynix "
                         "in your browser, offline (in a terminal, `pynix eval` fetches)").tagged("offline", builtin=name)
    return refuse


def _evaluator(log: io.StringIO):
    from ..evaluator import EvalOptions, Evaluator
    from ..ide.evaluation import no_network
    from ..runtime.values import PrimOp
    ev = Evaluator(EvalOptions(current_system=SYSTEM))
    ev.stderr = log           # builtins.trace, warnings
    no_network(ev, PrimOp, _offline)
    return ev


def _source(text: str, origin: str | None, base_dir: str | None) -> Source:
    if origin and origin.startswith("/"):
        return Source(text, origin, base_dir or origin.rsplit("/", 1)[0] or "/")
    return Source(text, STRING_ORIGIN, base_dir or PLAYGROUND_DIR)


def explain(code: str) -> dict | None:
    """The catalogue's entry for `code`: title, text, a broken and a fixed example."""
    from ..errors.catalogue import explanation
    try:
        e = explanation(code)
    except KeyError:
        return None
    return {"code": e.code, "title": e.title, "text": e.text, "broken": e.broken, "fixed": e.fixed,
            "family": e.family}


def _as_nix_error(exc: BaseException) -> E.NixError | None:
    """The pynix error an exception out of an evaluation stands for (as
    `pynix eval` reports it), or None for a pynix bug."""
    if isinstance(exc, E.NixError):
        return exc
    if isinstance(exc, RecursionError):
        return E.StackOverflow("stack overflow; max-call-depth exceeded")
    if isinstance(exc, MemoryError):
        return E.OutOfMemory("out of memory")
    return None


def evaluate(text: str, origin: str | None = None, base_dir: str | None = None) -> dict:
    """`pynix eval` on the text: `{ok, value, error, code, ...}`.

    The value is computed as `pynix eval` does (a function is called with
    its defaults, the result forced deeply) and printed as it prints it. An
    error is rendered the friendly way (Nix's text, then the code, a hint
    and "did you mean"), and its code's catalogue entry comes along. Also:
    what `builtins.trace` and warnings printed (`log`), every derivation the
    evaluation wrote (`derivations`), and the time it took (`ms`)."""
    from ..attrpath import auto_call
    from ..ide.hints import hint_for, render
    from ..resolve.globals import GLOBAL_NAMES
    from ..runtime.printer import print_value
    log = io.StringIO()
    started = time.perf_counter()
    result: dict = {"ok": False, "value": None, "error": None, "code": None, "hint": None,
                    "explanation": None, "derivations": [], "log": ""}
    ev = None
    try:
        ev = _evaluator(log)
        v = auto_call(ev, ev.eval_source(_source(text, origin, base_dir)), {})
        ev.deep_force(v)
        result["value"] = print_value(v, strict=True)
        result["ok"] = True
    except KeyboardInterrupt:
        result["error"] = INTERRUPTED
        result["interrupted"] = True
    except Exception as exc:      # every error becomes a message, never a traceback
        err = _as_nix_error(exc)
        if err is None:
            result["error"] = f"error: internal pynix error (please report it): {type(exc).__name__}: {exc}"
        else:
            result["error"] = render(err, names=GLOBAL_NAMES).rstrip("\n")
            result["code"] = err.code
            result["title"] = err.title
            try:
                result["hint"] = hint_for(err)
            except Exception:
                result["hint"] = ""
            result["explanation"] = explain(err.code)
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    result["log"] = log.getvalue()
    if ev is not None:
        result["derivations"] = derivations_of(ev)
    return result


def derivations_of(ev) -> list[dict]:
    """Each derivation the evaluation wrote, in order: its .drv store path,
    output paths, `nix derivation show`'s JSON and the ATerm text."""
    from .. import store as S
    from ..builtins.derivations import EvalStore
    st = getattr(ev, "_eval_store", None)
    if not isinstance(st, EvalStore):
        return []
    out = []
    for drv_path, (drv, aterm) in st.drvs.items():
        shown = S.to_json(drv)
        outputs = {name: _full(o.get("path"), drv.store_dir)
                   for name, o in sorted(shown.get("outputs", {}).items())}
        out.append({"path": drv_path, "name": drv.name, "outputs": outputs, "json": shown,
                    "aterm": aterm.decode("utf-8", "replace")})
    return out


def _full(path: str | None, store_dir: str) -> str | None:
    """A store path as `nix derivation show` (format 4) writes it, in full."""
    return path if path is None or path.startswith("/") else f"{store_dir}/{path}"


# -- laziness ------------------------------------------------------------------------------------

def trace(text: str, base_dir: str | None = None) -> str:
    """The REPL's `:trace` of the text: each thunk its own code creates, each
    time one is forced and its value, in order, and those never forced."""
    from ..repl import Repl
    log = io.StringIO()
    repl = Repl(_evaluator(log), cwd=base_dir or PLAYGROUND_DIR)
    try:
        return repl.trace(text)
    except KeyboardInterrupt:
        return INTERRUPTED + "\n"
    except Exception as exc:
        err = _as_nix_error(exc)
        if err is None:
            return f"error: internal pynix error (please report it): {type(exc).__name__}: {exc}\n"
        from ..ide.hints import render
        return render(err)


# -- the syntax tree -------------------------------------------------------------------------------

# fields that are the resolver's bookkeeping or a second copy of a range
_SKIP = frozenset({"binding", "level", "index", "with_levels", "slots", "op_span", "part_pos", "arg_span",
                   "merged", "synthetic", "start", "end", "name_start", "name_end"})


def syntax_tree(text: str) -> dict:
    """`{ok, parse, tree, error}`: the one-line form `nix-instantiate --parse`
    prints, and the tree as nested `{type, from, to, label, children}` (each
    child with the field it sits in). A syntax error gives its message."""
    from ..ide.hints import render
    from ..parse import parse
    from ..syntax.printer import show
    at = _utf16_index(text)
    try:
        node = parse(Source(text, STRING_ORIGIN, PLAYGROUND_DIR))
    except E.NixError as err:
        return {"ok": False, "error": render(err).rstrip("\n"), "code": err.code}
    return {"ok": True, "parse": show(node), "tree": _tree(node, text, at, "")}


def _label(node) -> str:
    parts = []
    for f in records.fields(node):
        if f.name in _SKIP:
            continue
        v = getattr(node, f.name)
        if isinstance(v, bool):
            if v:
                parts.append(f.name)
        elif isinstance(v, (int, float)) or (isinstance(v, str) and f.name != "kind"):
            parts.append(f"{f.name}={v!r}" if f.name != "op" else v)
        elif f.name == "kind":
            parts.append(v)
    return " ".join(parts)


def _tree(node, text: str, at, field: str) -> dict:
    from ..syntax import ast as A
    children = []

    def add(child, name):
        if child is not None and records.is_record(child):
            children.append(_tree(child, text, at, name))
        elif isinstance(child, A.IntRun):
            for i in range(len(child)):
                children.append({"type": "Int", "field": f"{name}[{i}]", "from": at(child.starts[i]),
                                 "to": at(child.ends[i]), "label": f"value={child.values[i]}", "children": []})

    for f in records.fields(node):
        if f.name in _SKIP:
            continue
        v = getattr(node, f.name)
        if isinstance(v, dict):
            for key, item in sorted(v.items(), key=lambda kv: (getattr(kv[1], "start", 0), kv[0])):
                add(item, f"{f.name}.{key}")
        elif isinstance(v, (list, tuple)):
            for i, item in enumerate(v):
                add(item, f"{f.name}[{i}]")
        elif not isinstance(v, (str, int, float, bool)):
            add(v, f.name)
    start, end = getattr(node, "start", 0), getattr(node, "end", 0)
    return {"type": type(node).__name__, "field": field, "from": at(start), "to": at(end),
            "label": _label(node), "children": children}


CALLS = {"diagnostics": diagnostics, "evaluate": evaluate, "trace": trace, "syntax_tree": syntax_tree,
         "explain": explain}
