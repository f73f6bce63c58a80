"""What the editor's evaluations may do: Nix's restricted evaluation, for a checkout nobody vetted.

Every evaluation the language server runs (a file's diagnostics, a value in
a hover, the attributes completion offers) happens in a worker process
(`runner`, `worker`) under these rules:

- restricted as Nix's `restrict-eval`: readable are the workspace folders,
  the store, and the search-path entries the user configured (`NIX_PATH`,
  `nix-path` in nix.conf, the `evaluation.nixPath` setting); anything else
  is Nix's "access to absolute path '...' is forbidden in restricted mode".
  A document outside every workspace folder may also read its own folder,
  unless that folder is `/`, the home folder or a folder above it;
- as in `pure-eval`: no `builtins.currentTime`; `builtins.getEnv` gives ""
  (restricted evaluation's rule);
- never the network (a fetcher stops the evaluation quietly), never a named
  pipe, device or socket (a clear error), and store objects only in the
  session's temporary store, removed when the server exits;
- per job, a memory limit (`memory` bytes more than the worker uses when the
  job starts) and a time limit (the job's budget: a wall-clock deadline the
  server enforces by killing the worker, RLIMIT_CPU as a backstop).

Settings widen this deliberately; each is off by default:
`evaluation.allowedPaths` (more readable folders), `evaluation.nixPath`
(search-path entries: used for `<name>` and readable), and
`evaluation.restricted: false` (any file, `currentTime` and `getEnv` as on
the command line; still no network, pipes or devices).
`evaluation.memoryLimitMB` sets the memory per job.

The server sets `provider` (a function giving the current `Policy`);
`for_document` turns a policy into what the worker gets for one document
(plain JSON data), and `eval_options` (run in the worker) into the
evaluator's options, through `nixlang.settings` like the command line.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .. import records

DEFAULT_MEMORY = 1 << 30          # bytes an evaluation may allocate (1 GiB)


@dataclass(frozen=True)
class Policy:
    restricted: bool = True
    folders: tuple = ()           # the workspace folders
    allowed_paths: tuple = ()     # evaluation.allowedPaths
    nix_path: tuple = ()          # evaluation.nixPath: "prefix=path" or "path"
    memory: int = DEFAULT_MEMORY  # bytes per job

    def for_document(self, path: str | None) -> dict:
        """What an evaluation of the document at `path` may do, for the worker."""
        allowed = [os.path.abspath(f) for f in self.folders + self.allowed_paths]
        if path and os.path.isabs(path) and not any(_under(path, f) for f in self.folders):
            own = os.path.dirname(os.path.abspath(path))
            if not _too_wide(own):
                allowed.append(own)
        return {"restricted": self.restricted, "allowed": allowed, "nix_path": list(self.nix_path),
                "memory": int(self.memory)}


def _under(path: str, folder: str) -> bool:
    folder = os.path.abspath(folder).rstrip("/") or "/"
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _too_wide(folder: str) -> bool:
    """The root, the home folder, or a folder holding it: never readable as
    "the document's own folder" (that would be the user's secrets)."""
    home = os.path.abspath(os.path.expanduser("~"))
    return folder == "/" or _under(home, folder)


def _default() -> Policy:
    return Policy()


provider = _default


def current() -> Policy:
    try:
        return provider()
    except Exception:          # a half-initialised server: the strictest rules
        return Policy()


def for_document(path: str | None) -> dict:
    return current().for_document(path)


_config = None


def _nix_config():
    """nix.conf and NIX_CONFIG (and NIX_PATH), read once per worker."""
    global _config
    if _config is None:
        from ..settings import Config, ConfigFileError, SettingError, load_config, load_nix_path_env
        try:
            _config = load_config()
            load_nix_path_env(_config)
        except (SettingError, ConfigFileError, OSError, ValueError):
            _config = Config()
    return _config


def eval_options(p: dict):
    """The EvalOptions of an editor evaluation under the rules `p` (from
    `for_document`): the user's Nix settings, then the editor's restrictions."""
    from ..settings import eval_options as from_settings
    opts = from_settings(_nix_config(), search_path=[str(e) for e in p.get("nix_path", ())])
    if not p.get("restricted", True):
        return records.replace(opts, regular_files_only=True)
    return records.replace(opts, restrict_eval=True, pure_eval=False, pure=False, allowed_uris=(),
                            allowed_paths=tuple(p.get("allowed", ())), regular_files_only=True,
                            hidden_builtins=("currentTime",))
