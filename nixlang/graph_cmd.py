"""`pynix graph`: draw a build plan or a closure (nixlang/store/graph.py).

What is drawn comes from a Nix file or expression (evaluated read-only, as
`pynix derivation show` does: the plan of the derivations it denotes),
from `.drv` paths in a store (their plan, read from the .drv files), or
from other store paths (their closure, with sizes, from a store that
records references: a Nix daemon's, `--store daemon`, or a local store's
database).
"""
from __future__ import annotations

import os
import shutil
import subprocess

from . import errors

GRAPH_USAGE = """usage: pynix graph [OPTIONS] (FILE [-A ATTR] | -E EXPR | STORE-PATH...)

Draw the build plan of what a Nix file or expression denotes (sources at
the bottom, derivations as build tasks, their outputs, arrows from what is
needed to what needs it), or the closure of store paths with their sizes.

  -A, --attr PATH        an attribute of the file's value (repeatable)
  -E, --expr             the arguments are expressions, not files
  --format FORMAT        svg (the default; Graphviz's `dot` draws it when
                         installed), html (a page of its own, nothing needed),
                         dot, or json; -o FILE.ext picks it too
  -o, --output FILE      write there instead of standard output
  --highlight NAME       mark the chain from the top down to NAME (a store
                         path, or a name such as hello-2.12.1), as why-depends
  --depth N              keep N steps below the top; fold the rest
  --no-outputs           derivation to derivation arrows, no output nodes
  --store STORE          where STORE-PATHs are read: a local root, or
                         daemon / unix://SOCKET for a Nix daemon's store
  --no-dot               never call Graphviz, draw with pynix's own layout
"""

FORMATS = ("svg", "html", "dot", "json")


def graph_cmd(argv: list[str], out, err) -> int:
    from .cli import UsageError, _arg, evaluate_derivations
    from .store import graph as G
    opts = {"format": None, "output": None, "highlight": None, "depth": None, "store": None}
    attr_paths: list[str] = []
    targets: list[str] = []
    outputs = use_dot = True
    from_expr = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            out.write(GRAPH_USAGE)
            return 0
        if a in ("-A", "--attr", "--format", "-o", "--output", "--highlight", "--depth", "--store"):
            val, = _arg(argv, i)
            if a in ("-A", "--attr"):
                attr_paths.append(val)
            else:
                opts[{"-o": "output"}.get(a, a.lstrip("-"))] = val
            i += 2
            continue
        if a in ("-E", "--expr"):
            from_expr = True
        elif a == "--no-outputs":
            outputs = False
        elif a == "--no-dot":
            use_dot = False
        elif a.startswith("-") and a != "-":
            raise UsageError(f"unrecognised flag '{a}' (see 'pynix graph --help')")
        else:
            targets.append(a)
        i += 1
    if not targets:
        raise UsageError("give a Nix file, -E EXPR or store paths (see 'pynix graph --help')")
    fmt = opts["format"]
    if fmt is None and opts["output"]:
        ext = os.path.splitext(opts["output"])[1].lstrip(".").lower()
        fmt = {"gv": "dot", "htm": "html"}.get(ext, ext if ext in FORMATS else None)
    fmt = fmt or "svg"
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}' (svg, html, dot or json)")
    depth = None
    if opts["depth"] is not None:
        try:
            depth = int(opts["depth"])
            if depth < 0:
                raise ValueError
        except ValueError:
            raise UsageError(f"--depth wants a number of steps, not '{opts['depth']}'") from None

    store_paths = [t for t in targets if not from_expr and t.startswith("/nix/store/")]
    if store_paths and len(store_paths) != len(targets):
        raise UsageError("give either store paths or Nix files, not both")
    if store_paths:
        g = _from_store(store_paths, opts["store"], outputs)
        title = "closure of " + ", ".join(G._label(p) for p in store_paths)
    else:
        got = evaluate_derivations([] if from_expr else targets, targets if from_expr else [], attr_paths, err,
                                   from_context=True)
        if got is None:
            return 1
        read, drv_paths = got
        if not drv_paths:
            raise errors.InputError("the expression denotes no derivation, and none is named in its "
                                    "strings: nothing to draw")
        g = G.plan_graph(drv_paths, read, outputs=outputs)
        title = "build plan of " + ", ".join(G._label(p)[:-4] for p in drv_paths)
    if opts["highlight"]:
        target = G.find_node(g, opts["highlight"])
        if target is None or not G.highlight_path(g, target):
            raise errors.InputError(f"'{opts['highlight']}' is not in the graph")
    if depth is not None:
        g = G.cut(g, depth)
    if fmt == "json":
        text = G.to_json(g)
    elif fmt == "dot":
        text = G.to_dot(g)
    elif fmt == "html":
        text = G.to_html(g, title)
    else:
        text = _dot_svg(G.to_dot(g)) if use_dot else None
        text = text or G.to_svg(g)
    if opts["output"]:
        try:
            with open(opts["output"], "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            raise errors.InputError(f"writing '{opts['output']}': {exc.strerror}") from None
    else:
        out.write(text)
    return 0


def _dot_svg(dot_text: str) -> str | None:
    """Graphviz's drawing, when `dot` is installed (None otherwise, or when it fails)."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    try:
        r = subprocess.run([dot, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 and r.stdout else None


def _from_store(paths: list[str], spec: str | None, outputs: bool):
    """The plan of .drv paths read from a store's files, or the closure of
    other paths from a store that records references."""
    from . import store as S
    from .store import graph as G
    from .builtins.derivations import local_store, open_store
    if all(p.endswith(".drv") for p in paths):
        local = local_store(None if spec in (None, "auto", "local") else spec) \
            if not (spec or "").startswith(("daemon", "unix://")) else None

        def read(drv_path: str):
            real = local.real_path(drv_path) if local is not None else drv_path
            if not os.path.exists(real) and os.path.exists(drv_path):
                real = drv_path                     # the machine's own /nix/store
            try:
                with open(real, "rb") as f:
                    data = f.read()
            except OSError as exc:
                raise errors.InputError(f"opening file '{real}': {exc.strerror}") from None
            try:
                return S.parse_derivation(data, os.path.basename(drv_path)[33:-4])
            except S.StoreError as exc:
                raise errors.InputError(f"error parsing derivation '{drv_path}': {exc.message}") from None
        return G.plan_graph(paths, read, outputs=outputs)
    store = open_store(spec or "auto")
    query = getattr(store, "query_path_info", None)
    if query is None:
        raise errors.InputError("this store does not record references; draw a closure from a Nix "
                                "daemon's store (--store daemon), or give .drv paths")
    infos: dict = {}

    def info(p: str):
        if p not in infos:
            try:
                infos[p] = query(p)
            except S.StoreError as exc:
                raise errors.InputError(exc.message) from None
            if infos[p] is None:
                raise errors.InputError(f"path '{p}' is not valid")
        return infos[p]
    return G.closure_graph(paths, lambda p: info(p).references, lambda p: info(p).nar_size)
