"""The store layer as a picture: a build plan, or a closure, as a graph.

A derivation is a build task: it consumes store objects (sources, and the
outputs of other tasks) and produces its outputs. `plan_graph` follows a
derivation's inputs down to the sources, giving three kinds of node —
sources (leaves, data), derivations (tasks) and outputs (data made by a
task) — with edges in the direction data flows: from what is needed to
what needs it. `closure_graph` draws an output closure instead: store
objects and their references (what `nix-store -q --graph` prints), with
each object's size and its closure's size when the store knows them.

Rendering:
- `to_dot`: Graphviz's language (`dot -Tsvg` draws it best when installed);
- `to_json`: nodes and edges, for other tools;
- `to_svg` / `to_html`: a layout of pynix's own, so that a picture needs
  nothing installed. Nodes are put in layers by *height* (a source is 0, a
  task one more than its highest input), so dependencies sit below what
  depends on them; within a layer, nodes are ordered by the mean position
  of their neighbours in the layer below, then above (the barycentre
  heuristic of Sugiyama-style layouts), a few sweeps.

Big graphs stay readable: `max_depth` keeps the nodes within that many
steps of the roots and folds the rest into one "… N more" node per cut
edge's target layer; `highlight` marks one path from a root down to a
node (the chain `nix why-depends` prints) and dims the rest. Shared
inputs appear once (it is a graph, not a tree).
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .derivation import Derivation

DERIVATION, SOURCE, OUTPUT, OBJECT, MORE = "derivation", "source", "output", "object", "more"


@dataclass
class Node:
    id: str                     # a store path (or "more:<layer>" for a fold)
    kind: str
    label: str
    size: int | None = None     # NAR size of the object, when known
    closure: int | None = None  # closure size, when known
    height: int = 0
    highlight: bool = False


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)     # (needed, needed by)
    roots: list[str] = field(default_factory=list)

    def add(self, node: Node) -> Node:
        return self.nodes.setdefault(node.id, node)

    def edge(self, a: str, b: str) -> None:
        self.edges.append((a, b))


def _label(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return base[33:] if len(base) > 33 and base[32] == "-" else base


# -- building the graph -----------------------------------------------------------------------

def plan_graph(roots: Iterable[str], read: Callable[[str], Derivation], outputs: bool = True) -> Graph:
    """The build plan of the derivations `roots` (their .drv paths): each
    derivation read with `read`, its inputs followed down to the sources.
    `outputs=False` leaves the output nodes out (task to task edges)."""
    g = Graph()
    seen: set[str] = set()
    order = list(dict.fromkeys(roots))
    g.roots = list(order)
    todo = list(order)
    while todo:
        drv_path = todo.pop()
        if drv_path in seen:
            continue
        seen.add(drv_path)
        drv = read(drv_path)
        g.add(Node(drv_path, DERIVATION, drv.name))
        for src in sorted(drv.input_srcs):
            g.add(Node(src, SOURCE, _label(src)))
            g.edge(src, drv_path)
        for dep_path, wanted in sorted(drv.input_drvs.items()):
            todo.append(dep_path)
            if not outputs:
                g.edge(dep_path, drv_path)
                continue
            dep = read(dep_path)
            paths = dep.output_paths(dep_path)
            for out in sorted(wanted.outputs):
                out_id = paths.get(out) or f"{dep_path}!{out}"
                g.add(Node(out_id, OUTPUT, out if out != "out" else _label(out_id)))
                g.edge(dep_path, out_id)
                g.edge(out_id, drv_path)
        if outputs and drv_path in g.roots:
            for out, path in sorted(drv.output_paths(drv_path).items()):
                out_id = path or f"{drv_path}!{out}"
                g.add(Node(out_id, OUTPUT, _label(out_id) if out == "out" else out))
                g.edge(drv_path, out_id)
    g.edges = sorted(set(g.edges))
    _heights(g)
    return g


def closure_graph(roots: Iterable[str], references: Callable[[str], Iterable[str]],
                  size: Callable[[str], int | None] = lambda p: None) -> Graph:
    """The closure of the store objects `roots`: each object and what it
    references (self-references left out), with NAR and closure sizes when
    `size` knows them."""
    g = Graph()
    g.roots = list(dict.fromkeys(roots))
    todo = list(g.roots)
    while todo:
        p = todo.pop()
        if p in g.nodes:
            continue
        kind = DERIVATION if p.endswith(".drv") else OBJECT
        g.add(Node(p, kind, _label(p), size(p)))
        for r in sorted(set(references(p))):
            if r != p:
                g.edge(r, p)
                todo.append(r)
    g.edges = sorted(set(g.edges))
    _heights(g)
    below = _inputs(g)
    for n in g.nodes.values():
        closure = _reach(below, n.id)
        sizes = [g.nodes[q].size for q in closure]
        n.closure = sum(sizes) if all(s is not None for s in sizes) else None
    return g


def _inputs(g: Graph) -> dict[str, list[str]]:
    below: dict[str, list[str]] = {n: [] for n in g.nodes}
    for a, b in g.edges:
        below[b].append(a)
    return below


def _reach(below: dict[str, list[str]], start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for q in below[todo.pop()]:
            if q not in seen:
                seen.add(q)
                todo.append(q)
    return seen


def _heights(g: Graph) -> None:
    """A node's layer: 0 for what needs nothing, else one more than its
    highest input (iteratively, so deep plans do not exhaust the stack)."""
    below = _inputs(g)
    height: dict[str, int] = {}
    for start in g.nodes:
        if start in height:
            continue
        stack = [(start, False)]
        on_path: set[str] = set()
        while stack:
            n, done = stack.pop()
            if done:
                on_path.discard(n)
                height[n] = 1 + max((height.get(q, -1) for q in below[n]), default=-1)
                continue
            if n in height or n in on_path:
                continue                     # a cycle cannot be a plan; it is drawn, not looped on
            on_path.add(n)
            stack.append((n, True))
            stack.extend((q, False) for q in below[n] if q not in height)
        for n in on_path:
            height.setdefault(n, 0)
    for n, node in g.nodes.items():
        node.height = height.get(n, 0)


# -- what to show ------------------------------------------------------------------------------

def _from_roots(g: Graph) -> dict[str, tuple[int, str | None]]:
    """Breadth first from the roots down the inputs: each node reached ->
    (its distance from a root, the node it was reached from), in the order
    reached."""
    below = _inputs(g)
    reached: dict[str, tuple[int, str | None]] = {r: (0, None) for r in g.roots if r in g.nodes}
    todo = list(reached)
    while todo:
        nxt = []
        for n in todo:
            depth = reached[n][0] + 1
            for q in below[n]:
                if q not in reached:
                    reached[q] = (depth, n)
                    nxt.append(q)
        todo = nxt
    return reached


def find_node(g: Graph, what: str) -> str | None:
    """A node by store path, base name, name (`hello-2.12.1`), package name
    (`hello`: a name followed by `-version`) or name prefix; among several,
    the one nearest the roots (a derivation before its output)."""
    if what in g.nodes:
        return what
    reached = _from_roots(g)
    order = list(reached) + sorted(set(g.nodes) - set(reached))
    tests = (lambda n: n.id.rsplit("/", 1)[-1] == what, lambda n: n.label == what,
             lambda n: n.label.startswith(what + "-"), lambda n: n.label.startswith(what))
    for test in tests:
        for n in order:
            if test(g.nodes[n]):
                return n
    return None


def highlight_path(g: Graph, target: str) -> list[str]:
    """Mark a shortest chain from a root down to `target` (why-depends); the
    chain, root first ([] when no root depends on it)."""
    reached = _from_roots(g)
    if target not in reached:
        return []
    chain = [target]
    while reached[chain[-1]][1] is not None:
        chain.append(reached[chain[-1]][1])
    for n in chain:
        g.nodes[n].highlight = True
    return chain[::-1]


def cut(g: Graph, max_depth: int) -> Graph:
    """The nodes within `max_depth` steps of the roots; below them, one
    "… N more" node per folded node's layer."""
    below = _inputs(g)
    keep = {n for n, (d, _) in _from_roots(g).items() if d <= max_depth or g.nodes[n].highlight}
    out = Graph(roots=list(g.roots))
    for n in g.nodes.values():
        if n.id in keep:
            out.nodes[n.id] = n
    folded: dict[int, set[str]] = {}
    for a, b in g.edges:
        if a in keep and b in keep:
            out.edge(a, b)
        elif b in keep:
            folded.setdefault(b, set()).add(a)        # type: ignore[arg-type]
    for b, hidden in folded.items():
        below_all = set()
        for h in hidden:
            below_all |= _reach(below, h)
        count = len(below_all - keep)
        fold_id = f"more:{b}"
        out.add(Node(fold_id, MORE, f"… {count} more"))
        out.edge(fold_id, b)
    out.edges = sorted(set(out.edges))
    _heights(out)
    return out


# -- rendering ---------------------------------------------------------------------------------

def to_json(g: Graph) -> str:
    return json.dumps({
        "roots": g.roots,
        "nodes": [{"id": n.id, "kind": n.kind, "label": n.label, "layer": n.height,
                   **({"narSize": n.size} if n.size is not None else {}),
                   **({"closureSize": n.closure} if n.closure is not None else {}),
                   **({"highlight": True} if n.highlight else {})}
                  for n in sorted(g.nodes.values(), key=lambda n: (n.height, n.id))],
        "edges": [{"from": a, "to": b} for a, b in g.edges],
    }, indent=2, ensure_ascii=False) + "\n"


_DOT_STYLE = {DERIVATION: 'shape=box, style="rounded,filled", fillcolor="#dbe8ff"',
              SOURCE: 'shape=note, style=filled, fillcolor="#e9f5e1"',
              OUTPUT: 'shape=ellipse, style=filled, fillcolor="#fff1cc"',
              OBJECT: 'shape=box, style=filled, fillcolor="#fff1cc"',
              MORE: 'shape=plaintext'}


def human_size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _caption(n: Node) -> str:
    text = n.label
    if n.closure is not None and n.size is not None:
        text += f"\n{human_size(n.size)} (closure {human_size(n.closure)})"
    elif n.size is not None:
        text += f"\n{human_size(n.size)}"
    return text


def to_dot(g: Graph) -> str:
    lines = ["digraph plan {", "  rankdir=BT;", '  node [fontname="sans-serif", fontsize=10];',
             '  edge [color="#7a869a"];']
    for n in sorted(g.nodes.values(), key=lambda n: (n.height, n.id)):
        extra = ', color="#d0021b", penwidth=2' if n.highlight else ""
        lines.append(f"  {json.dumps(n.id)} [label={json.dumps(_caption(n))}, {_DOT_STYLE[n.kind]}{extra}];")
    for a, b in g.edges:
        hot = ' [color="#d0021b", penwidth=2]' if g.nodes[a].highlight and g.nodes[b].highlight else ""
        lines.append(f"  {json.dumps(a)} -> {json.dumps(b)}{hot};")
    lines.append("}")
    return "\n".join(lines) + "\n"


_FILL = {DERIVATION: "#dbe8ff", SOURCE: "#e9f5e1", OUTPUT: "#fff1cc", OBJECT: "#fff1cc", MORE: "#ffffff"}
NODE_W, NODE_H, GAP_X, GAP_Y = 180, 34, 16, 56


def layout(g: Graph, sweeps: int = 4) -> dict[str, tuple[float, float]]:
    """Each node's centre: layers by height (the highest at the top), the
    order within a layer by barycentres of the neighbours, alternating down
    and up sweeps."""
    layers: dict[int, list[str]] = {}
    for n in sorted(g.nodes.values(), key=lambda n: n.id):
        layers.setdefault(n.height, []).append(n.id)
    above: dict[str, list[str]] = {n: [] for n in g.nodes}
    below = _inputs(g)
    for a, b in g.edges:
        above[a].append(b)
    top = max(layers, default=0)
    for k in range(sweeps):
        rng = range(top - 1, -1, -1) if k % 2 == 0 else range(1, top + 1)
        for h in rng:
            ref = layers.get(h + 1 if k % 2 == 0 else h - 1, [])
            pos = {n: i for i, n in enumerate(ref)}
            neighbours = above if k % 2 == 0 else below

            def key(n, neighbours=neighbours, pos=pos):
                xs = [pos[m] for m in neighbours[n] if m in pos]
                return sum(xs) / len(xs) if xs else float("inf")
            if h in layers:
                layers[h].sort(key=key)
    width = max((len(v) for v in layers.values()), default=1) * (NODE_W + GAP_X)
    where = {}
    for h, names in layers.items():
        row = len(names) * (NODE_W + GAP_X)
        x0 = (width - row) / 2 + (NODE_W + GAP_X) / 2
        y = (top - h) * (NODE_H + GAP_Y) + NODE_H / 2 + GAP_Y / 2
        for i, n in enumerate(names):
            where[n] = (x0 + i * (NODE_W + GAP_X), y)
    return where


def to_svg(g: Graph) -> str:
    where = layout(g)
    w = max((x for x, _ in where.values()), default=0) + NODE_W / 2 + GAP_X
    h = max((y for _, y in where.values()), default=0) + NODE_H / 2 + GAP_Y / 2
    dim = any(n.highlight for n in g.nodes.values())
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
           f'viewBox="0 0 {w:.0f} {h:.0f}" font-family="sans-serif" font-size="11">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#7a869a"/></marker></defs>']
    for a, b in g.edges:
        (x1, y1), (x2, y2) = where[a], where[b]
        hot = g.nodes[a].highlight and g.nodes[b].highlight
        colour = "#d0021b" if hot else "#7a869a"
        opacity = "1" if hot or not dim else "0.25"
        out.append(f'<line class="edge" data-from="{html.escape(a)}" data-to="{html.escape(b)}" '
                   f'x1="{x1:.1f}" y1="{y1 - NODE_H / 2:.1f}" x2="{x2:.1f}" y2="{y2 + NODE_H / 2:.1f}" '
                   f'stroke="{colour}" stroke-width="{2 if hot else 1}" opacity="{opacity}" '
                   'marker-end="url(#arrow)"/>')
    for n in sorted(g.nodes.values(), key=lambda n: n.id):
        x, y = where[n.id]
        rx = 14 if n.kind == OUTPUT else 6
        stroke = "#d0021b" if n.highlight else "#44546a"
        opacity = "1" if n.highlight or not dim else "0.35"
        lines = _caption(n).split("\n")
        out.append(f'<g class="node {n.kind}" data-id="{html.escape(n.id)}" opacity="{opacity}">'
                   f'<title>{html.escape(n.id)}</title>'
                   f'<rect x="{x - NODE_W / 2:.1f}" y="{y - NODE_H / 2:.1f}" width="{NODE_W}" height="{NODE_H}" '
                   f'rx="{rx}" fill="{_FILL[n.kind]}" stroke="{stroke}" stroke-width="{2 if n.highlight else 1}"/>')
        for i, line in enumerate(lines):
            dy = (i - (len(lines) - 1) / 2) * 13 + 4
            text = line if len(line) <= 28 else line[:27] + "…"
            out.append(f'<text x="{x:.1f}" y="{y + dy:.1f}" text-anchor="middle">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1rem; color: #1d2533; }}
.legend span {{ display: inline-block; padding: 2px 8px; margin-right: 8px; border: 1px solid #44546a;
  border-radius: 4px; font-size: 12px; }}
#picture {{ overflow: auto; border: 1px solid #d5dbe5; margin-top: .5rem; }}
g.node {{ cursor: pointer; }}
#info {{ font-family: monospace; margin-top: .5rem; min-height: 1.2em; }}
</style></head>
<body>
<h1>{title}</h1>
<p>{summary}</p>
<div class="legend"><span style="background:#e9f5e1">source</span><span style="background:#dbe8ff">derivation (a build task)</span><span style="background:#fff1cc">output / store object</span>
Arrows go from what is needed to what needs it. Click a node to see its store path and what it depends on.</div>
<div id="info"></div>
<div id="picture">
{svg}</div>
<script>
(function () {{
  var svg = document.querySelector("#picture svg");
  var info = document.getElementById("info");
  svg.addEventListener("click", function (e) {{
    var g = e.target.closest("g.node");
    if (!g) return;
    var id = g.getAttribute("data-id");
    var inputs = Array.prototype.filter.call(svg.querySelectorAll("line.edge"),
      function (l) {{ return l.getAttribute("data-to") === id; }});
    info.textContent = id + "  (" + inputs.length + " direct inputs)";
    svg.querySelectorAll("line.edge").forEach(function (l) {{
      var hot = l.getAttribute("data-to") === id || l.getAttribute("data-from") === id;
      l.setAttribute("stroke", hot ? "#0057d9" : "#7a869a");
      l.setAttribute("stroke-width", hot ? 2 : 1);
    }});
  }});
}})();
</script>
</body></html>
"""


_KIND_NAMES = {DERIVATION: ("derivation", "derivations"), SOURCE: ("source", "sources"),
               OUTPUT: ("output", "outputs"), OBJECT: ("store object", "store objects"),
               MORE: ("folded group", "folded groups")}


def to_html(g: Graph, title: str) -> str:
    kinds: dict[str, int] = {}
    for n in g.nodes.values():
        kinds[n.kind] = kinds.get(n.kind, 0) + 1
    summary = ", ".join(f"{v} {_KIND_NAMES[k][v != 1]}" for k, v in sorted(kinds.items()))
    summary += f", {len(g.edges)} edges; {1 + max((n.height for n in g.nodes.values()), default=0)} layers"
    return _PAGE.format(title=html.escape(title), summary=html.escape(summary), svg=to_svg(g))
