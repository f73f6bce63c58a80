"""The "options" job of the evaluation worker: the options of a module set, as plain data.

In the worker (`worker.run_job`), under the editor's rules (`policy`:
restricted, no network, limits of time and memory). The job evaluates

    (import LIB).evalModules { modules = [ FILES... { _module.check = false; } ]; }

or, for a NixOS configuration, nixpkgs' `nixos/lib/eval-config.nix` with
the same modules (NixOS's module list comes with it). `_module.check` is
off so that a definition of an option nobody declared (the mistake the
editor is there to show) does not stop `options` from being read; the
editor reports it itself (`options.undefined`).

It then walks `options` the way `lib.optionAttrSetToDocList` does: an
attrset with `_type = "option"` is an option; its type's
`getSubOptions loc` gives the options of a submodule (`<name>` for each
attribute of an `attrsOf submodule`); anything else is a group to walk
into. For each option: its path, type description, default (`defaultText`
first, as the manual does), example, description, and where it is declared
(`declarationPositions`, or the files of `declarations`). Every field is
read on its own, so one that fails to evaluate is left out, not the
option. A set of options whose module sets `freeformType` is marked
"freeform" (any attribute may be defined there).

Then the definitions written in the workspace's module files (`check`)
are forced, each alone and under a small share of the budget, as
`options.<path to the option>.value` and the attributes below it; an
error saying that a definition is not of the option's type is reported
with the file and the path (the server puts it at that definition).
"""
from __future__ import annotations

import ctypes
import os
import threading
import time

from .evaluation import SoftStop, SoftStopper

MAX_OPTIONS = 60_000      # options listed at most
MAX_SUB_DEPTH = 6         # submodules within submodules walked at most
TEXT_LIMIT = 2000         # characters of a description, default or example kept
CHECK_SECONDS = 3.0       # a definition's check may take this long (wall clock: the first one also
                          # evaluates the shared machinery of the module system; a loaded machine is slow)
TYPE_ERRORS = ("is not of type", "A definition for option")


class _Watchdog:
    """One thread that stops the evaluation thread (`SoftStop`) at the deadline
    armed, for the many small bounded steps of a walk (a thread per step,
    as `SoftStopper` starts, would cost more than most steps)."""

    def __init__(self):
        self.tid = threading.get_ident()
        self.cv = threading.Condition()
        self.deadline: float | None = None
        self.closed = False
        threading.Thread(target=self._loop, name="pynix-options-watchdog", daemon=True).start()

    def arm(self, deadline: float) -> None:
        with self.cv:
            self.deadline = deadline
            self.cv.notify()

    def disarm(self) -> None:
        with self.cv:
            self.deadline = None
            # a stop sent just as the step ended must not hit the code after it
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.tid), None)

    def close(self) -> None:
        with self.cv:
            self.closed = True
            self.cv.notify()

    def _loop(self) -> None:
        with self.cv:
            while not self.closed:
                if self.deadline is None:
                    self.cv.wait()
                    continue
                left = self.deadline - time.monotonic()
                if left > 0:
                    self.cv.wait(left)
                    continue
                self.deadline = None
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.tid), ctypes.py_object(SoftStop))

    def bounded(self, seconds: float, fn, *args):
        """`fn(*args)`, stopped after `seconds` (then None)."""
        self.arm(time.monotonic() + seconds)
        try:
            return fn(*args)
        except SoftStop:
            return None
        finally:
            self.disarm()


def _program(job: dict) -> str:
    mods = " ".join(_nix_string(p) for p in job.get("modules", ()))
    lib = _nix_string(job["lib"])
    extra = "{ _module.check = lib.mkForce false; }"
    if job.get("nixos"):
        conf = _nix_string(os.path.join(job["nixos"], "nixos", "lib", "eval-config.nix"))
        system = _nix_string(job.get("system") or "x86_64-linux")
        return (f"let lib = import {lib}; in (import {conf} {{ inherit lib; system = {system}; "
                f"modules = map (p: /. + p) [ {mods} ] ++ [ {extra} ]; }})")
    return (f"let lib = import {lib}; in lib.evalModules {{ "
            f"modules = map (p: /. + p) [ {mods} ] ++ [ {extra} ]; }}")


def _nix_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${") + '"'


def evaluate_options_job(job: dict) -> dict:
    """{"modules", "lib", "nixos", "check": [[file, [[path]...]]...], "budget", "policy"} ->
    {"status", "options": [...], "freeform": [...], "errors": [...], "seconds"}."""
    from .. import errors as E
    from ..runtime.values import force
    from ..source import Source
    from .evaluation import new_evaluator

    t0 = time.monotonic()
    budget = float(job.get("budget") or 20.0)
    ev = new_evaluator(job.get("policy") or {})
    try:
        result = force(ev.eval_source(Source(_program(job), "«pynix options»", "/")))
        opts = force(result.d["options"])
    except E.NixError as err:
        return {"status": "error", "detail": err.message.split("\n")[0][:500], "seconds": time.monotonic() - t0}
    walker = _Walker(ev, t0 + budget * 0.75)
    try:
        with SoftStopper(t0 + budget * 0.8) as stopper:
            try:
                prefixes = job.get("prefixes")
                if prefixes is None:
                    walker.walk(opts, [], 0)
                else:
                    for p in prefixes:
                        walker.at(opts, p)
            except SoftStop:
                stopper.fired = True
                walker.incomplete = True
    finally:
        walker.watchdog.close()
    errors = []
    checks = job.get("check") or ()
    end = t0 + budget * 0.95
    for file, paths in checks:
        for path in paths:
            if time.monotonic() >= end:
                walker.incomplete = True
                break
            msg = _check(opts, path, min(end, time.monotonic() + CHECK_SECONDS))
            if msg:
                errors.append({"file": file, "path": path, "message": msg})
    return {"status": "ok", "options": walker.options, "freeform": walker.freeform, "errors": errors,
            "incomplete": walker.incomplete, "seconds": time.monotonic() - t0}


class _Walker:
    def __init__(self, ev, soft_end: float):
        self.ev = ev
        self.options: list = []
        self.freeform: list = []
        self.soft_end = soft_end
        self.incomplete = False
        self.watchdog = _Watchdog()
        self.seen: set = set()

    def at(self, opts, path: list) -> None:
        """Walk the options at `path` only (an option, or a group of them)."""
        from .. import errors as E
        from ..runtime.values import Attrs, force
        v = opts
        try:
            for name in path:
                if type(v) is not Attrs or name not in v.d:
                    return
                v = force(v.d[name])
                if type(v) is Attrs and _is_option(v):
                    return self.option(v, list(path[:path.index(name) + 1]), 0)
        except (E.NixError, RecursionError):
            return
        self.walk(v, list(path), 0)

    def walk(self, attrs, path: list, depth: int) -> None:
        from .. import errors as E
        from ..runtime.values import Attrs, force
        if type(attrs) is not Attrs:
            return
        mod = attrs.d.get("_module")
        if mod is not None and _freeform(mod):
            self.freeform.append(path)
        for name in sorted(attrs.d):
            if name == "_module" or len(self.options) >= MAX_OPTIONS:
                continue
            if time.monotonic() > self.soft_end:
                self.incomplete = True
                return
            try:
                v = force(attrs.d[name])
            except (E.NixError, RecursionError):
                continue
            if type(v) is not Attrs:
                continue
            if _is_option(v):
                self.option(v, path + [name], depth)
            else:
                self.walk(v, path + [name], depth)

    def option(self, opt, path: list, depth: int) -> None:
        from .. import errors as E
        from ..runtime.values import Attrs, force
        d = opt.d
        if tuple(path) in self.seen:
            return
        self.seen.add(tuple(path))
        info = {"path": path}
        t = _get(d, "type")
        if type(t) is Attrs:
            desc = _text(_get(t.d, "description")) or _text(_get(t.d, "name"))
            if desc:
                info["type"] = desc
        default = None
        if "defaultText" in d:
            default = _shown(_get(d, "defaultText"), d["defaultText"]) or \
                self.watchdog.bounded(0.05, _preview, d["defaultText"])
        if default is None and "default" in d:
            default = self.watchdog.bounded(0.05, _preview, d["default"])
        if default is not None:
            info["default"] = default
        if "example" in d:
            ex = _shown(_get(d, "example"), d["example"]) or self.watchdog.bounded(0.05, _preview, d["example"])
            if ex is not None:
                info["example"] = ex
        desc = _shown(_get(d, "description"), None)
        if desc:
            info["description"] = desc
        for flag in ("readOnly", "internal"):
            if _get(d, flag) is True:
                info[flag] = True
        vis = _get(d, "visible")
        if vis is False or vis == "shallow":
            info["visible"] = False if vis is False else "shallow"
        info["declarations"] = _declarations(d)
        self.options.append(info)
        if depth >= MAX_SUB_DEPTH or type(t) is not Attrs or "getSubOptions" not in t.d \
                or info.get("visible") is not None:
            return
        try:
            sub = self.ev.call(force(t.d["getSubOptions"]), _loc(path))
        except (E.NixError, RecursionError):
            return
        if type(sub) is Attrs and any(k != "_module" for k in sub.d):
            self.walk(sub, _sub_path(path, sub), depth + 1)
        elif type(sub) is Attrs and "_module" in sub.d and _freeform(sub.d["_module"]):
            self.freeform.append(_sub_path(path, sub))


def _sub_path(path: list, sub) -> list:
    """The path of a submodule's options: `loc` of one of them, less the last name
    (it has `<name>` for an attrsOf, `*` for a listOf)."""
    from .. import errors as E
    from ..runtime.values import Attrs, force
    for name in sorted(sub.d):
        if name == "_module":
            continue
        try:
            v = force(sub.d[name])
            if type(v) is Attrs and _is_option(v):
                loc = force(v.d["loc"])
                return [str(force(x)) for x in loc][:-1]
        except (E.NixError, RecursionError, KeyError, TypeError):
            break
    return path


def _loc(path: list):
    return list(path)


def _is_option(v) -> bool:
    from .. import errors as E
    from ..runtime.values import force
    t = v.d.get("_type")
    if t is None:
        return False
    try:
        return force(t) == "option"
    except (E.NixError, RecursionError):
        return False


def _freeform(mod) -> bool:
    """Does this `_module` (options) say a freeformType is set?"""
    from ..runtime.values import Attrs, force
    try:
        m = force(mod)
        if type(m) is not Attrs or "freeformType" not in m.d:
            return False
        ft = force(m.d["freeformType"])
        if type(ft) is not Attrs or "value" not in ft.d:
            return False
        return force(ft.d["value"]) is not None
    except (Exception, RecursionError):
        return False


def _get(d: dict, key: str):
    from .. import errors as E
    from ..runtime.values import force
    if key not in d:
        return None
    try:
        return force(d[key])
    except (E.NixError, RecursionError):
        return None


def _text(v) -> str | None:
    return str(v)[:TEXT_LIMIT] if isinstance(v, str) else None


def _shown(v, raw) -> str | None:
    """A description, defaultText or example: a string, `literalExpression`,
    `literalMD`, `mdDoc` ({ _type, text }), or any other value (shown)."""
    from ..runtime.values import Attrs, force
    if isinstance(v, str):
        return str(v)[:TEXT_LIMIT]
    if type(v) is Attrs and "_type" in v.d and "text" in v.d:
        try:
            t = force(v.d["text"])
            return str(t)[:TEXT_LIMIT] if isinstance(t, str) else None
        except Exception:
            return None
    if v is None and raw is None:
        return None
    return None


def _preview(x) -> str | None:
    """A value shown shortly (`values.show_value`); None when it fails (call it bounded)."""
    from .values import show_value
    from ..runtime.values import force
    try:
        return show_value(force(x), time.monotonic() + 0.04)[:TEXT_LIMIT]
    except (Exception, RecursionError):
        return None


def _declarations(d: dict) -> list:
    """[{file, line, column}] where the option is declared (line None when unknown)."""
    from ..runtime.values import Attrs, force
    out = []
    pos = _get(d, "declarationPositions")
    if type(pos) is list:
        for p in pos:
            try:
                p = force(p)
                if type(p) is not Attrs:
                    continue
                f = force(p.d.get("file")) if "file" in p.d else None
                line = force(p.d["line"]) if "line" in p.d else None
                col = force(p.d["column"]) if "column" in p.d else None
                if f is not None:
                    out.append({"file": str(getattr(f, "path", f)), "line": line if type(line) is int else None,
                                "column": col if type(col) is int else None})
            except Exception:
                continue
    if out:
        return out
    files = _get(d, "declarations")
    if type(files) is list:
        for f in files:
            try:
                f = force(f)
                out.append({"file": str(getattr(f, "path", f)), "line": None, "column": None})
            except Exception:
                continue
    return out


def _check(opts, path: list, deadline: float) -> str | None:
    """Force the definition at `path` (through `options`, then `.value`); the
    message of a type error it raises, else None."""
    from .. import errors as E
    from ..runtime.values import Attrs, force
    with SoftStopper(deadline) as stopper:
        try:
            v = opts
            i = 0
            while i < len(path):
                if type(v) is not Attrs or path[i] not in v.d:
                    return None
                v = force(v.d[path[i]])
                i += 1
                if type(v) is Attrs and _is_option(v):
                    v = force(v.d["value"])
                    break
            else:
                return None
            for name in path[i:]:
                if type(v) is not Attrs or name not in v.d:
                    return None
                v = force(v.d[name])
            return None
        except SoftStop:
            stopper.fired = True
            return None
        except E.NixError as err:
            msg = err.message
            if any(t in msg for t in TYPE_ERRORS) and "does not exist" not in msg:
                return msg
            return None
        except RecursionError:
            return None
