"""Queries over the store database, printed as Nix prints them.

Each function reads a StoreDB (db.py) and returns the lines Nix's command
would print: `nix-store -q` (`--references`, `--referrers`, `--requisites`,
`--tree`, `--graph`, `--deriver`, `--outputs`; opQuery, printTree,
printDotGraph in nix-store.cc and dotgraph.cc), `nix path-info` (closure
sizes, JSON: CmdPathInfo, Store::pathInfoToJSON) and `nix why-depends`
(CmdWhyDepends: the shortest chain of references, or with `all` every edge
on a chain). Paths are logical store paths; an invalid one is Nix's
"path '…' is not valid".
"""
from __future__ import annotations

import heapq
from collections import deque
from typing import Iterable

from .db import PathInfo, StoreDB, closure, topo_sort
from .errors import StoreError

TREE_CONN, TREE_LINE, TREE_LAST, TREE_NULL = "├───", "│   ", "└───", "    "
GREY, NORMAL = "\x1b[38;5;244m", "\x1b[0m"


def _base(path: str) -> str:
    return path.rpartition("/")[2]


def path_info(db: StoreDB, path: str) -> PathInfo:
    info = db.query_path_info(path)
    if info is None:
        raise StoreError(f"path '{path}' is not valid")
    return info


def references(db: StoreDB, path: str) -> frozenset:
    return path_info(db, path).references


def topo_sort_paths(db: StoreDB, paths: Iterable[str]) -> list[str]:
    """Store::topoSortPaths: referrers first."""
    return topo_sort(paths, lambda p: references(db, p))


def derivation_outputs(db: StoreDB, drv_path: str) -> list[str]:
    """maybeUseOutputs for a .drv: its output paths, in store path order."""
    path_info(db, drv_path)
    return sorted(set(db.derivation_outputs(drv_path).values()), key=_base)


def fs_closure(db: StoreDB, paths: Iterable[str], backwards: bool = False,
               include_outputs: bool = False) -> set[str]:
    """Store::computeFSClosure: along references (or referrers, `backwards`);
    with `include_outputs`, a .drv also leads to its valid outputs."""
    def edges(p: str) -> Iterable[str]:
        if backwards:
            path_info(db, p)
            return db.referrers(p)
        out = set(references(db, p))
        if include_outputs and p.endswith(".drv"):
            out.update(o for o in db.derivation_outputs(p).values() if db.is_valid(o))
        return out
    return closure(paths, edges)


# -- nix-store -q ----------------------------------------------------------------------------

def query_paths(db: StoreDB, kind: str, paths: list[str], use_output: bool = False,
                include_outputs: bool = False) -> list[str]:
    """opQuery's qReferences, qReferrers, qRequisites and qReferrersClosure:
    the union over the arguments, printed dependencies first (the reverse
    of topoSortPaths)."""
    found: set[str] = set()
    for arg in paths:
        for p in (derivation_outputs(db, arg) if use_output and arg.endswith(".drv") else [arg]):
            if kind == "requisites":
                found |= fs_closure(db, [p], include_outputs=include_outputs)
            elif kind == "references":
                found |= references(db, p)
            elif kind == "referrers":
                path_info(db, p)
                found |= db.referrers(p)
            elif kind == "referrers-closure":
                found |= fs_closure(db, [p], backwards=True)
            else:
                raise ValueError(kind)
    return list(reversed(topo_sort_paths(db, found)))


def query_outputs(db: StoreDB, paths: list[str]) -> list[str]:
    """qOutputs: a .drv's output paths; any other path is itself."""
    res: list[str] = []
    for p in paths:
        res.extend(derivation_outputs(db, p) if p.endswith(".drv") else [path_info(db, p).path])
    return res


def query_deriver(db: StoreDB, paths: list[str]) -> list[str]:
    """qDeriver: the deriver recorded for each path, or `unknown-deriver`."""
    return [path_info(db, p).deriver or "unknown-deriver" for p in paths]


def tree(db: StoreDB, paths: list[str]) -> list[str]:
    """printTree: each path, then its references (those deeper in the graph
    first), a path already shown is marked `[...]` and not expanded."""
    lines: list[str] = []
    done: set[str] = set()
    # an explicit stack: (path, first pad, tail pad)
    stack = [(p, "", "") for p in reversed(paths)]
    while stack:
        path, first, tail = stack.pop()
        if path in done:
            lines.append(f"{first}{path} [...]")
            continue
        done.add(path)
        lines.append(f"{first}{path}")
        refs = list(reversed(topo_sort_paths(db, references(db, path))))
        children = []
        for n, ref in enumerate(refs):
            last = n + 1 == len(refs)
            children.append((ref, tail + (TREE_LAST if last else TREE_CONN),
                             tail + (TREE_NULL if last else TREE_LINE)))
        stack.extend(reversed(children))
    return lines


DOT_COLOURS = ["black", "red", "green", "blue", "magenta", "burlywood"]


def dot_graph(db: StoreDB, roots: Iterable[str]) -> list[str]:
    """printDotGraph: a node per path of the closure (taken from a work set in
    store path order), an edge from each reference to its referrer, edge
    colours taken in turn."""
    lines = ["digraph G {"]
    work = [(_base(p), p) for p in set(roots)]
    heapq.heapify(work)
    queued = {p for _, p in work}
    done: set[str] = set()
    colour = 0
    while work:
        _, path = heapq.heappop(work)
        queued.discard(path)
        if path in done:
            continue
        done.add(path)
        base = _base(path)
        lines.append(f'"{base}" [label = "{base[33:]}", shape = box, style = filled, fillcolor = "#ff0000"];')
        for ref in sorted(references(db, path), key=_base):
            if ref == path:
                continue
            if ref not in queued:
                queued.add(ref)
                heapq.heappush(work, (_base(ref), ref))
            lines.append(f'"{_base(ref)}" -> "{base}" [color = "{DOT_COLOURS[colour % len(DOT_COLOURS)]}"];')
            colour += 1
    lines.append("}")
    return lines


# -- nix path-info ---------------------------------------------------------------------------

def closure_size(db: StoreDB, path: str) -> int:
    """Store::getClosureSize: the NAR sizes of the closure, summed."""
    return sum(path_info(db, p).nar_size for p in fs_closure(db, [path]))


def path_info_paths(db: StoreDB, paths: list[str], recursive: bool) -> list[str]:
    """The paths `nix path-info` reports: the arguments in store path order,
    or with -r their closure, dependencies first."""
    if recursive:
        return list(reversed(topo_sort_paths(db, fs_closure(db, paths))))
    for p in paths:
        path_info(db, p)
    return sorted(set(paths), key=_base)


def format_size(value: int, human: bool) -> str:
    """printSize: a tab and the size in 11 columns, or with -h in 1024ths."""
    if not human:
        return f"\t{value:11d}"
    units = " KMGTPEZY"
    power, res = 0, float(value)
    while res > 1024 and power < len(units) - 1:
        power += 1
        res /= 1024
    return f"\t{res:6.1f}{units[power]}"


def path_info_lines(db: StoreDB, paths: list[str], size: bool = False, closure: bool = False,
                    human: bool = False) -> list[str]:
    """CmdPathInfo's text: each path, padded to the longest when sizes follow."""
    width = max((len(p) for p in paths), default=0)
    lines = []
    for p in paths:
        info = path_info(db, p)
        line = p
        if size or closure:
            line += " " * (width - len(p))
        if size:
            line += format_size(info.nar_size, human)
        if closure:
            line += format_size(closure_size(db, p), human)
        lines.append(line)
    return lines


def path_info_json(db: StoreDB, paths: list[str], closure: bool = False) -> list[dict]:
    """pathInfoToJSON: one object per path, in store path order."""
    return [path_info(db, p).to_json(closure_size(db, p) if closure else None)
            for p in sorted(set(paths), key=_base)]


# -- nix why-depends -------------------------------------------------------------------------

def why_depends(db: StoreDB, package: str, dependency: str, all_edges: bool = False,
                colour: bool = False, real_path=None) -> list[str] | None:
    """CmdWhyDepends: the chain of references from `package` to
    `dependency`, shortest first; with `all_edges` every edge of every chain,
    a path already expanded shown again (grey) but not expanded. Given
    `real_path` (store path -> where its object is on disk), --precise: each
    edge shows the files of the referrer where the reference occurs. None
    when `dependency` is not in the closure of `package`."""
    path_info(db, dependency)
    graph = fs_closure(db, [package])
    if dependency not in graph:
        return None
    refs = {p: references(db, p) for p in graph}
    rrefs: dict[str, set] = {p: set() for p in graph}
    for p, rs in refs.items():
        for r in rs:
            rrefs[r].add(p)
    # distances to `dependency` (unit weights: breadth first)
    dist = {dependency: 0}
    queue = deque([dependency])
    while queue:
        node = queue.popleft()
        for r in sorted(rrefs[node], key=_base):
            if r not in dist:
                dist[r] = dist[node] + 1
                queue.append(r)
    grey, normal = (GREY, NORMAL) if colour else ("", "")
    lines: list[str] = []
    visited: set[str] = set()

    class BailOut(Exception):
        pass

    precise = real_path is not None
    dep_hash = _base(dependency)[:32]

    def print_node(node: str, first: str, tail: str) -> None:
        if precise:
            lines.append(f"{first}{grey if node in visited else ''}{'→ ' if first else ''}{node}{normal}")
        if node == dependency and not all_edges and package != dependency:
            raise BailOut
        if node in visited:
            return
        if precise:
            visited.add(node)
        nexts = [r for r in sorted(refs[node], key=_base)
                 if not (r == node and package != dependency) and r in dist]
        nexts.sort(key=lambda r: dist[r])          # stable: store path order within a distance
        hits = _hits(real_path(node), {_base(r)[:32] for r in nexts}, dep_hash, colour) if precise else {}
        for n, ref in enumerate(nexts):
            last = n + 1 == len(nexts) if all_edges else True
            for i, hit in enumerate(hits.get(_base(ref)[:32], [])):
                lines.append(f"{tail}{(TREE_LAST if last else TREE_CONN) if i == 0 else (TREE_NULL if last else TREE_LINE)}"
                             f"{hit}")
                if not all_edges:
                    break
            if not precise:
                lines.append(f"{first}{grey if ref in visited else ''}{TREE_LAST if last else TREE_CONN}"
                             f"{ref}{normal}")
                visited.add(node)
            pad = tail + (TREE_NULL if last else TREE_LINE)
            print_node(ref, pad, pad)

    try:
        if not precise:
            lines.append(package)
        print_node(package, "", "")
    except BailOut:
        pass
    return lines


def _printable(data: bytes) -> str:
    """filterPrintable: a byte that is not printable ASCII becomes '.'."""
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data)


def _hits(real: str, hashes: set[str], dep_hash: str, colour: bool) -> dict[str, list[str]]:
    """For --precise: where in the object at `real` each hash part occurs:
    `file: …context…` (32 bytes either side) or `link -> target`, files in
    name order, the hash highlighted when `colour` (green for the
    dependency, blue otherwise)."""
    import os
    hits: dict[str, list[str]] = {}

    def mark(text: str, pos: int, h: str) -> str:
        if not colour:
            return text
        c = "\x1b[32;1m" if h == dep_hash else "\x1b[34;1m"
        return text[:pos] + c + text[pos:pos + 32] + NORMAL + text[pos + 32:]

    def visit(path: str, rel: str) -> None:
        if os.path.islink(path):
            target = os.fsencode(os.readlink(path))
            for h in sorted(hashes):
                pos = target.find(h.encode())
                if pos >= 0:
                    hits.setdefault(h, []).append(f"{rel} -> {mark(_printable(target), pos, h)}")
        elif os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                visit(os.path.join(path, name), name if rel == "/" else f"{rel}/{name}")
        elif os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            for h in sorted(hashes):
                pos = data.find(h.encode())
                if pos >= 0:
                    start = max(0, pos - 32)
                    window = _printable(data[start:pos + 32 + 32])
                    hits.setdefault(h, []).append(f"{rel}: …{mark(window, pos - start, h)}…")

    visit(real, "/")
    return hits
