"""Who calls a file: the arguments a file's function is given elsewhere in the workspace.

A Nix file is often a function whose arguments come from another file:
`import ./x.nix { inherit lib; }`, nixpkgs lib's `callLibs ./x.nix` (where
`callLibs = file: import file { lib = self; }`), `callPackage ./x.nix { }`.
To know what `lib` is in `{ lib }: ...`, the editor finds the files that
name this one in a path literal and looks at how the path is used there.

- `PathIndex`: which files mention which paths. Candidate files are the
  `.nix` files of the workspace folders (walked at most every `WALK_TTL`
  seconds, at most `MAX_FILES` files in `MAX_DIRS` folders), and of the
  file's own folder and the two above it; each is scanned for path
  literals with a regular expression (no parse) and kept by modification
  time, so a look-up reads only files that changed;
- `call_arguments(an)`: for the file of `an`, each place it is called:
  (analysis, the argument expression) for `import` and for a function
  whose body imports its argument, or (analysis, CALL_PACKAGE) for a
  `callPackage`-style call (its arguments come from a package set: the
  set the call is written in, then the `{ }` given beside the path).

The analyses of caller files come from the `AnalysisCache` (`load`), like
the files an `import` names.
"""
from __future__ import annotations

import os
import re
import threading
import time

from ..syntax import ast as A
from .analysis import PATH, Analysis

MAX_FILES = 3000          # .nix files walked under the workspace folders
MAX_DIRS = 4000           # folders walked under them (a workspace that is a home folder must not take minutes)
WALK_TTL = 10.0           # seconds a folder walk is trusted
SKIP_DIRS = {".git", "node_modules", ".direnv", "result", ".venv", "__pycache__"}
CALL_PACKAGE_NAMES = ("callPackage", "callPackages", "callPackageWith", "callPackagesWith")

# a path literal as the lexer reads it (`./x`, `../x/y.nix`, `/abs/x`, `~/x`), not inside a word
_PATH_RE = re.compile(r"(?<![A-Za-z0-9._+\-/'])((?:\.\.?|~)?(?:/[A-Za-z0-9._+\-]+)+)")


def _norm_target(base: str, lit: str) -> str:
    p = os.path.expanduser(lit) if lit.startswith("~") else lit
    p = os.path.normpath(os.path.join(base, p))
    if not p.endswith(".nix"):
        p = os.path.join(p, "default.nix")
    return p


class PathIndex:
    """file -> the files its path literals name, for the files around a
    workspace, refreshed by modification time."""

    def __init__(self, cache):
        self.cache = cache
        self._files: dict[str, tuple] = {}      # file -> (stamp, frozenset of target files)
        self._walks: dict[str, tuple] = {}      # folder -> (time, [files])
        self._lock = threading.Lock()

    def _walk(self, root: str, recursive: bool) -> list[str]:
        key = (root, recursive)
        now = time.monotonic()
        hit = self._walks.get(key)
        if hit is not None and now - hit[0] < WALK_TTL:
            return hit[1]
        out: list[str] = []
        if recursive:
            for n, (d, dirs, files) in enumerate(os.walk(root)):
                dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("."))
                out.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(".nix"))
                if len(out) >= MAX_FILES or n >= MAX_DIRS:
                    break
        else:
            try:
                out = [os.path.join(root, f) for f in sorted(os.listdir(root)) if f.endswith(".nix")]
            except OSError:
                out = []
        out = out[:MAX_FILES]
        self._walks[key] = (now, out)
        return out

    def candidates(self, path: str) -> list[str]:
        """The files that may call `path`: its folder and the two above it,
        then the workspace folders."""
        seen: dict[str, None] = {}
        d = os.path.dirname(path)
        for _ in range(3):
            for f in self._walk(d, False):
                seen.setdefault(f)
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
        for root in getattr(self.cache, "roots", ()):
            for f in self._walk(root, True):
                seen.setdefault(f)
        seen.pop(path, None)
        return list(seen)

    def targets(self, f: str) -> frozenset:
        """The files the path literals of `f` name (folders as their default.nix)."""
        text_key = self.cache.open_text(f)
        if text_key is not None:
            stamp = ("buffer", hash(text_key))
        else:
            try:
                st = os.stat(f)
            except OSError:
                return frozenset()
            stamp = (st.st_mtime_ns, st.st_size)
        hit = self._files.get(f)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        text = text_key if text_key is not None else self.cache.text_of(f)
        base = os.path.dirname(f)
        found = frozenset(_norm_target(base, m.group(1)) for m in _PATH_RE.finditer(text or ""))
        with self._lock:
            self._files[f] = (stamp, found)
        return found

    def warm(self) -> int:
        """Scan the workspace folders now (in the background: the first
        question about callers then reads no file); the files scanned."""
        n = 0
        for root in getattr(self.cache, "roots", ()):
            for f in self._walk(root, True):
                self.targets(f)
                n += 1
        return n

    def mentions(self, path: str) -> list[str]:
        """Files with a path literal naming `path`."""
        path = os.path.normpath(path)
        return [f for f in self.candidates(path) if path in self.targets(f)]


CALL_PACKAGE = "callPackage"


def path_uses(an: Analysis, target: str):
    """The path literal occurrences of `an` that name `target`."""
    from .static import path_target
    for o in an.occurrences:
        if o.kind == PATH:
            p = path_target(an, o.node)
            if p is not None and os.path.normpath(p) == target:
                yield o.node


def call_arguments(an: Analysis) -> list[tuple]:
    """(analysis, argument expression or CALL_PACKAGE, the Call) for each
    place the file of `an` is called from (see the module's text)."""
    ws = an.workspace
    if ws is None or not an.path:
        return []
    memo = ws.memo("callers", an.path)
    if memo is not None:
        return memo
    out = []
    target = os.path.normpath(an.path)
    for f in ws.path_index.mentions(target)[:64]:
        other = ws.load(f)
        if other is None or other.ast is None:
            continue
        for node in path_uses(other, target):
            got = _use_of(other, node)
            if got is not None:
                out.append(got)
    ws.set_memo("callers", an.path, out)
    return out


def parent_of(an: Analysis, node):
    """The expression directly holding `node` (by identity), or None."""
    from .static import node_path
    path = node_path(an, node.span.start)
    for i, n in enumerate(path):
        if n is node:
            return path[i - 1] if i > 0 else None
    return None


def _use_of(an: Analysis, path_node):
    from .static import Seen, static_lambda
    call = parent_of(an, path_node)
    if type(call) is not A.Call or not call.args:
        return None
    fn = call.fn
    if call.args[0] is path_node:
        if _is_import(fn):
            return (an, call.args[1], call) if len(call.args) > 1 else None
        if callee_name(fn) in CALL_PACKAGE_NAMES:
            return (an, CALL_PACKAGE, call)
        found = static_lambda(an, fn, Seen())
        if found is not None:
            lam_an, lam = found
            args = _imports_its_argument(lam)
            if args is not None:
                return (lam_an, args, call)
    elif len(call.args) > 1 and call.args[1] is path_node and callee_name(fn) in CALL_PACKAGE_NAMES:
        return (an, CALL_PACKAGE, call)        # callPackageWith set ./x.nix { }
    return None


def _is_import(fn) -> bool:
    return type(fn) is A.Var and fn.name == "import" and fn.binding is None and not fn.from_with


def callee_name(node) -> str | None:
    if type(node) is A.Var:
        return node.name
    if type(node) is A.Select and node.path:
        return node.path[-1].name
    return None


def _imports_its_argument(lam):
    """For `file: import file ARGS` (through `let`s): ARGS."""
    if type(lam) is not A.Lambda or lam.arg is None:
        return None
    body = lam.body
    while type(body) is A.Let:
        body = body.body
    if type(body) is A.Call and _is_import(body.fn) and len(body.args) == 2:
        first = body.args[0]
        if type(first) is A.Var and first.binding is lam:
            return body.args[1]
    return None
