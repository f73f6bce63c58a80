"""Finding nixpkgs for the editor, and the names of its top-level packages.

`locate` looks where Nix would, first match wins:

1. the `nixpkgs` setting (a folder), when the user gave one;
2. the `nixpkgs` input of a workspace folder's flake.lock, when its source
   (the store path of its narHash, see `flakes.store_path`) is in the store:
   a flake is evaluated with its locked inputs, whatever the search path says;
3. the search path, as `<nixpkgs>` is looked up (`EvalState::findFile`): the
   editor's entries (`evaluation.nixPath` / `nixPath`, the `-I` of the
   editor), then `NIX_PATH`, then `nix-path` of nix.conf;
4. Nix's default search path: `~/.nix-defexpr/channels/nixpkgs`, then root's
   channels.

A folder counts when it holds `lib/default.nix`. Its `lib` gives the `lib.`
of `{ lib, ... }:` files nobody in the workspace calls (`static.default_lib`).

`PackageNames` gives the top-level attribute names of `import nixpkgs { }`
for `pkgs.` completion: computed once per nixpkgs revision (`revision_key`)
by a job in a background worker process (`runner`; the "pkgs-names" job
runs `names_job` there under a time budget), kept on disk under
`$XDG_CACHE_HOME/pynix/pkgs-names/`, never waited for by a request.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass

from ..atomicfile import write_atomically

NAMES_BUDGET = 120.0        # seconds the background evaluation of the package names may take
NAMES_MEMORY = 2 << 30      # bytes it may allocate
CACHE_VERSION = 1


@dataclass(frozen=True)
class Found:
    path: str          # the nixpkgs folder
    how: str           # "setting", "flake.lock", "search path", "NIX_PATH", "nix.conf", "channels"


def is_nixpkgs(folder: str | None) -> bool:
    return bool(folder) and os.path.isfile(os.path.join(folder, "lib", "default.nix"))


def locate(setting: str | None = None, search_path=(), folders=(), environ=None,
           home: str | None = None, nix_conf_path=None) -> Found | None:
    """Where nixpkgs is for this workspace (see the module's text), or None.
    `search_path`: the editor's (prefix, folder) entries; `nix_conf_path`: the
    nix.conf `nix-path` entries (read from the user's configuration when None)."""
    from .links import find_in_search_path, parse_search_path
    environ = os.environ if environ is None else environ
    if setting:
        p = os.path.abspath(os.path.expanduser(setting))
        if is_nixpkgs(p):
            return Found(p, "setting")
    for folder in folders:
        p = flake_nixpkgs(folder)
        if p is not None:
            return Found(p, "flake.lock")
    if nix_conf_path is None:
        nix_conf_path = _nix_conf_nix_path()
    for how, entries in (("search path", list(search_path)),
                         ("NIX_PATH", parse_search_path(environ.get("NIX_PATH", ""))),
                         ("nix.conf", parse_search_path(list(nix_conf_path)))):
        hit = find_in_search_path(entries, "nixpkgs")
        if hit is not None and is_nixpkgs(os.path.dirname(hit)):
            return Found(os.path.dirname(hit), how)
    home = home or os.path.expanduser("~")
    for p in (os.path.join(home, ".nix-defexpr", "channels", "nixpkgs"),
              "/nix/var/nix/profiles/per-user/root/channels/nixpkgs"):
        if is_nixpkgs(p):
            return Found(p, "channels")
    return None


def _nix_conf_nix_path() -> list:
    """`nix-path` as nix.conf (and NIX_CONFIG) set it; empty when unset or unreadable."""
    try:
        from ..settings import load_config
        config = load_config()
        return list(config["nix-path"]) if "nix-path" in config.overridden else []
    except Exception:          # a broken nix.conf: no entries from it
        return []


def flake_nixpkgs(folder: str) -> str | None:
    """The store path of the locked `nixpkgs` input of `folder`'s flake.lock,
    when it is in the store and is a nixpkgs tree."""
    from .flakes import parse_lock, store_path
    try:
        with open(os.path.join(folder, "flake.lock"), encoding="utf-8") as f:
            lock = parse_lock(f.read())
    except (OSError, UnicodeDecodeError):
        return None
    if lock is None:
        return None
    nid = lock.resolve_path(["nixpkgs"])
    if nid is None:
        return None
    p = store_path(lock.node(nid))
    return p if p is not None and is_nixpkgs(p) else None


# -- the top-level package names -----------------------------------------------------------------

def revision_key(folder: str) -> str:
    """What identifies a nixpkgs revision: its real path, its `.git-revision`
    and `.version`, and the modification times of the files that decide the
    top-level names (a store path never changes; a checkout does)."""
    real = os.path.realpath(folder)
    parts = [real]
    for name in (".git-revision", ".version"):
        try:
            with open(os.path.join(real, name), encoding="utf-8", errors="replace") as f:
                parts.append(f.read(200).strip())
        except OSError:
            parts.append("")
    if not real.startswith("/nix/store/"):
        for rel in ("pkgs/top-level/all-packages.nix", "pkgs/top-level/default.nix", "pkgs/by-name",
                    "pkgs/top-level/aliases.nix"):
            try:
                parts.append(str(os.stat(os.path.join(real, rel)).st_mtime_ns))
            except OSError:
                parts.append("-")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pynix", "pkgs-names")


def _cache_file(folder: str) -> str:
    return os.path.join(cache_dir(), f"{revision_key(folder)}.json")


def read_cached(folder: str) -> list | None:
    try:
        with open(_cache_file(folder), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("names"), list):
        return None
    return [n for n in data["names"] if isinstance(n, str)]


def _write_cached(folder: str, names: list) -> None:
    path = _cache_file(folder)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_atomically(path, json.dumps({"version": CACHE_VERSION, "nixpkgs": folder, "names": names}))
    except OSError:
        pass                     # no cache: the names are computed again next session


def names_job(job: dict) -> dict:
    """The "pkgs-names" job, in the worker: the sorted top-level attribute
    names of `import NIXPKGS { config = { }; overlays = [ ]; }`."""
    from ..runtime.values import force
    from ..source import Source
    from .evaluation import new_evaluator
    folder = job["nixpkgs"]
    ev = new_evaluator(job.get("policy"))
    where = json.dumps(folder, ensure_ascii=False).replace("${", "\\${")      # a Nix string literal
    program = f"builtins.attrNames (import (/. + {where}) {{ config = {{ }}; overlays = [ ]; }})"
    v = force(ev.eval_source(Source(program, "«pkgs names»", folder)))
    if type(v) is not list:
        return {"status": "internal", "detail": "not a list"}
    return {"status": "ok", "names": [n for n in (force(x) for x in v) if isinstance(n, str)]}


class PackageNames:
    """The package names of each nixpkgs folder: from the disk cache, else
    computed in the background (`get` never blocks)."""

    def __init__(self):
        self._names: dict[str, list] = {}
        self._jobs: dict[str, object] = {}
        self._failed: set = set()
        self._lock = threading.Lock()
        self._runner = None

    def get(self, folder: str) -> list | None:
        """The names, or None while they are being computed (or could not be)."""
        with self._lock:
            hit = self._names.get(folder)
            if hit is not None:
                return hit
            job = self._jobs.get(folder)
            if job is not None and job.done.is_set():
                del self._jobs[folder]
                out = job.outcome or {}
                if out.get("status") == "ok" and isinstance(out.get("names"), list):
                    self._names[folder] = out["names"]
                    _write_cached(folder, out["names"])
                    return out["names"]
                self._failed.add(folder)
                return None
            if job is not None or folder in self._failed:
                return None
        cached = read_cached(folder)
        with self._lock:
            if cached is not None:
                self._names[folder] = cached
                return cached
            if folder not in self._jobs:
                self._jobs[folder] = self._submit(folder)
        return None

    def _submit(self, folder: str):
        from .policy import current
        from .runner import EvalRunner
        if self._runner is None:
            self._runner = EvalRunner("pynix-pkgs-names")
        policy = current().for_document(None)
        policy["allowed"] = list(policy.get("allowed", ())) + [os.path.realpath(folder), folder]
        policy["memory"] = max(int(policy.get("memory", 0)), NAMES_MEMORY)
        return self._runner.submit({"kind": "pkgs-names", "nixpkgs": folder, "policy": policy,
                                    "budget": NAMES_BUDGET}, NAMES_BUDGET, from_start=True)

    def wait(self, folder: str, timeout: float) -> list | None:
        """For tests and benchmarks: start if need be, then wait for the names."""
        import time
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            got = self.get(folder)
            if got is not None or folder in self._failed:
                return got
            time.sleep(0.05)
        return None


package_names = PackageNames()
