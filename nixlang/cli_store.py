"""`pynix store query`, `pynix path-info` and `pynix why-depends`: the store
database read the way `nix-store -q`, `nix path-info` and `nix why-depends`
read it, with their output formats (nixlang/store/query.py does the work).

The store is the one `pynix instantiate` writes (`--store ROOT`, default the
per-user root), or any store Nix wrote (`--store ROOT` of a chroot store,
`--store /` for the system's). A path argument is a store path, a path
inside a store object, or a symlink to one (a `result` link).
"""
from __future__ import annotations

import json
import os

from . import errors
from .cli import UsageError, _arg

STORE_QUERY_USAGE = """usage: pynix store query [--store ROOT] QUERY [--include-outputs] [--use-output] PATH...

Read the store database as `nix-store --query` does, in its output format:
  --references         the paths PATH refers to
  --referrers          the valid paths that refer to PATH
  --referrers-closure  PATH's referrers, transitively
  --requisites, -R     PATH's closure (dependencies first); --include-outputs
                       adds the valid outputs of the derivations in it
  --tree               the closure as a tree ([...]: shown above)
  --graph              the closure as a Graphviz dot graph
  --deriver, -d        the derivation that built PATH (or unknown-deriver)
  --outputs            a .drv's output paths (the default query)
--use-output (-u) takes a .drv's outputs instead of the .drv itself.
--store ROOT reads the store at ROOT (as `pynix instantiate --store ROOT`
writes it; `/` or `daemon` is the system's /nix); the default (`auto`) is the
system's store when a Nix daemon answers, else pynix's per-user store.
"""

PATH_INFO_USAGE = """usage: pynix path-info [--store ROOT] [-r] [-s] [-S] [-h] [--json] PATH...

What the store database knows of store paths, as `nix path-info` prints it:
  -r, --recursive       the closure of the paths, dependencies first
  -s, --size            the NAR size of each path
  -S, --closure-size    the sum of the NAR sizes of each path's closure
  -h, --human-readable  sizes in KiB, MiB, ... (with -s / -S)
  --json                the path info as JSON (narHash, narSize, references,
                        deriver, ca, registrationTime, closureSize with -S)
"""

WHY_DEPENDS_USAGE = """usage: pynix why-depends [--store ROOT] [--all] [--precise] [--derivation] PACKAGE DEPENDENCY

Show why PACKAGE depends on DEPENDENCY, as `nix why-depends` does: the
shortest chain of references from one to the other; --all (-a) shows every
edge of every chain; --precise shows, for each edge, the files where the
reference occurs, with the text around it. --derivation works on the build
graph instead: an output path stands for the derivation that built it (its
deriver).
"""


def _store(argv: list[str], i: int, opts: dict) -> int | None:
    """--store ROOT at argv[i] (the index after it), or None."""
    a = argv[i]
    if a == "--store" or a.startswith("--store="):
        if "=" in a:
            opts["store"] = a.split("=", 1)[1]
            return i + 1
        opts["store"], = _arg(argv, i)
        return i + 2
    return None


def _parse(argv: list[str], usage: str, help_flags: tuple, out, flag):
    """Walk the arguments: `--store ROOT`, help (prints `usage`; gives None),
    the command's own flags (`flag(a)` is true when it took `a`), the rest
    as paths. Gives (store root, paths)."""
    opts: dict = {"store": None}
    paths: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        nxt = _store(argv, i, opts)
        if nxt is not None:
            i = nxt
            continue
        if a in help_flags:
            out.write(usage)
            return None
        if not flag(a):
            if a.startswith("-") and a != "-":
                raise UsageError(f"unrecognised flag '{a}'")
            paths.append(a)
        i += 1
    return opts["store"], paths


def _open(root: str | None):
    """The local store and its database (read-only use: never created here)."""
    from . import store as S
    from .builtins.derivations import local_store
    from .store.daemon import daemon_available
    if root in (None, "", "auto") and daemon_available() or root == "daemon":
        # the daemon's store is the system's: its database is read directly
        # (the worker protocol's queries are not used)
        local = S.LocalStore("/", S.STORE_DIR)
    elif root is not None and "://" in root:
        raise UsageError(f"pynix reads local stores and the system's (daemon) store; '{root}' is neither")
    else:
        local = local_store(None if root in ("", "auto", "local") else root)
    try:
        db = local.open_db_for_reading()
    except S.StoreError as exc:
        raise errors.InputError(exc.message) from None
    return local, db


def to_store_path(local, arg: str) -> str:
    """followLinksToStorePath: the store path `arg` names (following symlinks,
    dropping a path inside the object); objects under the store's root are
    taken as their logical path."""
    sd = local.store_dir
    path = arg
    for _ in range(40):
        if path.startswith(sd + "/"):
            break
        full = os.path.abspath(path)
        if full.startswith(local.real_dir + "/"):
            path = sd + full[len(local.real_dir):]
            break
        if os.path.islink(full):
            target = os.readlink(full)
            path = os.path.join(os.path.dirname(full), target)
            continue
        raise errors.InputError(f"path '{full}' is not in the Nix store")
    else:
        raise errors.InputError(f"path '{arg}' has too many levels of symbolic links")
    name = path[len(sd) + 1:].split("/", 1)[0]
    from . import store as S
    try:
        S.parse_store_path(sd + "/" + name, sd)
    except S.StoreError as exc:
        raise errors.InputError(exc.message) from None
    return sd + "/" + name


def _run(fn):
    """Store errors (an invalid path, a cycle) as pynix input errors."""
    from . import store as S
    try:
        return fn()
    except S.StoreError as exc:
        raise errors.InputError(exc.message) from None


QUERY_FLAGS = {"--references": "references", "--referrers": "referrers",
               "--referrers-closure": "referrers-closure", "--requisites": "requisites", "-R": "requisites",
               "--tree": "tree", "--graph": "graph", "--deriver": "deriver", "-d": "deriver",
               "--outputs": "outputs"}


def store_cmd(argv: list[str], out, err) -> int:
    """`pynix store query ...`."""
    if not argv or argv[0] in ("-h", "--help"):
        out.write(STORE_QUERY_USAGE)
        return 0 if argv else 1
    if argv[0] not in ("query", "-q", "--query"):
        raise UsageError(f"'{argv[0]}' is not a recognised command of 'pynix store' (its subcommand is: query)")
    state = {"query": None, "use_output": False, "include_outputs": False}

    def flag(a: str) -> bool:
        if a in QUERY_FLAGS:
            if state["query"] not in (None, QUERY_FLAGS[a]):
                raise UsageError("query type already specified")
            state["query"] = QUERY_FLAGS[a]
        elif a in ("--use-output", "-u"):
            state["use_output"] = True
        elif a == "--include-outputs":
            state["include_outputs"] = True
        else:
            return False
        return True

    parsed = _parse(argv[1:], STORE_QUERY_USAGE, ("-h", "--help"), out, flag)
    if parsed is None:
        return 0
    root, paths = parsed
    query, use_output, include_outputs = state["query"], state["use_output"], state["include_outputs"]
    query = query or "outputs"     # nix-store -q's default query
    from .store import query as Q
    local, db = _open(root)
    targets = [to_store_path(local, p) for p in paths]

    def work() -> list[str]:
        if query == "tree":
            return Q.tree(db, targets)
        if query == "graph":
            roots = []
            for t in targets:
                roots.extend(Q.derivation_outputs(db, t) if use_output and t.endswith(".drv") else [t])
            return Q.dot_graph(db, roots)
        if query == "deriver":
            return Q.query_deriver(db, targets)
        if query == "outputs":
            return Q.query_outputs(db, targets)
        return Q.query_paths(db, query, targets, use_output, include_outputs)

    for line in _run(work):
        out.write(line + "\n")
    return 0


def path_info_cmd(argv: list[str], out, err) -> int:
    """`pynix path-info`."""
    flags: set[str] = set()
    short = {"-r": "--recursive", "-s": "--size", "-S": "--closure-size", "-h": "--human-readable"}

    def flag(a: str) -> bool:
        if a in ("--recursive", "--size", "--closure-size", "--human-readable", "--json"):
            flags.add(a)
        elif a.startswith("-") and not a.startswith("--") and len(a) > 1:
            for ch in a[1:]:
                if "-" + ch not in short:
                    raise UsageError(f"unrecognised flag '-{ch}'")
                flags.add(short["-" + ch])
        else:
            return False
        return True

    parsed = _parse(argv, PATH_INFO_USAGE, ("--help",), out, flag)
    if parsed is None:
        return 0
    root, paths = parsed
    if not paths:
        raise UsageError("give one or more store paths (see 'pynix path-info --help')")
    from .store import query as Q
    local, db = _open(root)
    targets = [to_store_path(local, p) for p in paths]

    def work() -> list[str]:
        chosen = Q.path_info_paths(db, targets, "--recursive" in flags)
        if "--json" in flags:
            return [json.dumps(Q.path_info_json(db, chosen, "--closure-size" in flags), separators=(",", ":"))]
        return Q.path_info_lines(db, chosen, "--size" in flags, "--closure-size" in flags,
                                 "--human-readable" in flags)

    for line in _run(work):
        out.write(line + "\n")
    return 0


def why_depends_cmd(argv: list[str], out, err) -> int:
    """`pynix why-depends`."""
    state = {"all": False, "derivation": False, "precise": False}

    def flag(a: str) -> bool:
        key = {"--all": "all", "-a": "all", "--derivation": "derivation", "--precise": "precise"}.get(a)
        if key:
            state[key] = True
        return key is not None

    parsed = _parse(argv, WHY_DEPENDS_USAGE, ("-h", "--help"), out, flag)
    if parsed is None:
        return 0
    root, paths = parsed
    all_edges, derivation = state["all"], state["derivation"]
    if len(paths) != 2:
        raise UsageError("give exactly two paths: PACKAGE DEPENDENCY (see 'pynix why-depends --help')")
    from .store import query as Q
    local, db = _open(root)
    package, dependency = (to_store_path(local, p) for p in paths)

    def as_derivation(p: str) -> str:
        if p.endswith(".drv"):
            return p
        deriver = Q.path_info(db, p).deriver
        if deriver is None:
            raise errors.InputError(f"'{p}' does not have a known deriver")
        return deriver

    def work():
        a, b = (as_derivation(package), as_derivation(dependency)) if derivation else (package, dependency)
        colour = hasattr(out, "isatty") and out.isatty()
        real = local.real_path if state["precise"] else None
        return a, b, Q.why_depends(db, a, b, all_edges, colour, real)

    a, b, lines = _run(work)
    if lines is None:
        err.write(f"'{a}' does not depend on '{b}'\n")
        return 0
    for line in lines:
        out.write(line + "\n")
    return 0
