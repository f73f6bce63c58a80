"""`pynix graph` and nixlang/store/graph.py: the build plan of a small
project (its exact nodes and edges), closures with sizes, finding and
highlighting a chain (why-depends), folding below a depth, and the four
renderings (JSON, dot through Graphviz when installed, SVG, HTML in a real
browser)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nixlang.store import graph as G

PROJECT = {
    "b.sh": 'read x < "$dep"; echo "top uses $x" > "$out"\n',
    "default.nix": """
let
  dep = derivation { name = "dep"; system = "x86_64-linux"; builder = "/bin/sh";
                     args = [ "-c" "echo dep > $out" ]; };
  two = derivation { name = "two"; system = "x86_64-linux"; builder = "/bin/sh";
                     outputs = [ "out" "doc" ]; args = [ "-c" "echo > $out; echo > $doc" ]; };
in derivation {
  name = "top"; system = "x86_64-linux"; builder = "/bin/sh";
  args = [ "-c" ". $src" ];
  src = ./b.sh;
  inherit dep;
  manual = two.doc;
  note = builtins.toFile "note.txt" "a note";
}
""",
}

# the plan by labels: (label, kind, layer) and the edges (needed -> needed by)
PLAN_NODES = {
    ("b.sh", "source", 0), ("note.txt", "source", 0), ("dep", "derivation", 0), ("two", "derivation", 0),
    ("dep", "output", 1), ("doc", "output", 1), ("top", "derivation", 2), ("top", "output", 3),
}
PLAN_EDGES = {
    ("b.sh", "top"), ("note.txt", "top"), ("dep", "dep"), ("dep", "top"), ("two", "doc"), ("doc", "top"),
    ("top", "top"),
}


def pynix(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "nixlang", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture
def project(tmp_path):
    for name, text in PROJECT.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def _by_label(doc):
    label = {n["id"]: n["label"] for n in doc["nodes"]}
    nodes = {(n["label"], n["kind"], n["layer"]) for n in doc["nodes"]}
    edges = {(label[e["from"]], label[e["to"]]) for e in doc["edges"]}
    return nodes, edges


def test_the_plan_of_a_project(project):
    r = pynix("graph", "--format", "json", str(project))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert _by_label(doc) == (PLAN_NODES, PLAN_EDGES)
    assert [os.path.basename(p) for p in doc["roots"]] == [
        n["id"].rsplit("/", 1)[1] for n in doc["nodes"] if n["kind"] == "derivation" and n["label"] == "top"]


def test_the_plan_read_back_from_the_store_is_the_same(project, tmp_path):
    root = tmp_path / "store"
    r = pynix("instantiate", "--store", str(root), str(project))
    assert r.returncode == 0, r.stderr
    drv = r.stdout.split()[0]
    from_store = pynix("graph", "--format", "json", "--store", str(root), drv)
    from_file = pynix("graph", "--format", "json", str(project))
    assert from_store.returncode == 0, from_store.stderr
    assert json.loads(from_store.stdout) == json.loads(from_file.stdout)


def test_without_outputs_tasks_point_at_tasks(project):
    doc = json.loads(pynix("graph", "--format", "json", "--no-outputs", str(project)).stdout)
    nodes, edges = _by_label(doc)
    assert {k for _, k, _ in nodes} == {"source", "derivation"}
    assert edges == {("b.sh", "top"), ("note.txt", "top"), ("dep", "top"), ("two", "top")}


@pytest.mark.parametrize("what, chain", [
    ("b.sh", ["top", "b.sh"]),
    ("dep", ["top", "dep"]),            # the derivation's output, nearest the top
    ("two", ["top", "doc", "two"]),
    ("note", ["top", "note.txt"]),      # a name prefix
])
def test_highlight_marks_the_chain_from_the_top(project, what, chain):
    doc = json.loads(pynix("graph", "--format", "json", "--highlight", what, str(project)).stdout)
    marked = [n for n in doc["nodes"] if n.get("highlight")]
    assert sorted(n["label"] for n in marked) == sorted(chain)


def test_highlight_of_something_absent_is_an_error(project):
    r = pynix("graph", "--highlight", "nothing-like-it", str(project))
    assert r.returncode == 1
    assert "'nothing-like-it' is not in the graph" in r.stderr and "Traceback" not in r.stderr


def test_depth_folds_what_is_below(project):
    doc = json.loads(pynix("graph", "--format", "json", "--depth", "1", str(project)).stdout)
    nodes, edges = _by_label(doc)
    kinds = {k for _, k, _ in nodes}
    assert "more" in kinds
    assert ("dep", "derivation", 0) not in nodes             # two steps below the top: folded
    assert ("… 1 more", "top") in edges or ("… 1 more", "dep") in edges or ("… 1 more", "doc") in edges


@pytest.mark.parametrize("args, message", [
    (["--format", "png"], "unknown format 'png'"),
    (["--depth", "-1"], "--depth wants a number of steps"),
    (["--frobnicate"], "unrecognised flag '--frobnicate'"),
])
def test_usage_errors(project, args, message):
    r = pynix("graph", *args, str(project))
    assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr


def test_an_expression_without_derivations():
    r = pynix("graph", "-E", "{ a = 1; }")
    assert r.returncode == 1 and "denotes no derivation" in r.stderr


def test_an_evaluation_error_is_nix_s():
    r = pynix("graph", "-E", "derivation { name = 1; }")
    assert r.returncode == 1 and r.stderr.startswith("error:") and "Traceback" not in r.stderr


def test_svg_and_html_are_self_contained(project, tmp_path):
    svg = pynix("graph", "--no-dot", "--format", "svg", str(project)).stdout
    tree = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(tree.findall(f"{ns}g")) == len(PLAN_NODES)
    assert len(tree.findall(f"{ns}line")) == len(PLAN_EDGES)
    out = tmp_path / "plan.html"
    assert pynix("graph", "-o", str(out), str(project)).returncode == 0
    page = out.read_text()
    assert "<svg" in page and "build plan of top" in page
    assert "src=" not in page and "href=" not in page            # nothing fetched from anywhere


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) is not installed")
def test_graphviz_draws_the_dot_text(project):
    svg = pynix("graph", "--format", "svg", str(project)).stdout
    assert "Generated by graphviz" in svg
    ET.fromstring(svg)


# -- closures, on made-up references -------------------------------------------------------------

REFS = {"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app": ["/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib",
                                                             "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app"],
        "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib": ["/nix/store/cccccccccccccccccccccccccccccccc-libc"],
        "/nix/store/cccccccccccccccccccccccccccccccc-libc": []}
SIZES = {"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app": 100,
         "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib": 20,
         "/nix/store/cccccccccccccccccccccccccccccccc-libc": 3}


def test_a_closure_with_sizes():
    g = G.closure_graph(["/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-app"], REFS.__getitem__, SIZES.get)
    by = {n.label: (n.size, n.closure, n.height) for n in g.nodes.values()}
    assert by == {"app": (100, 123, 2), "lib": (20, 23, 1), "libc": (3, 3, 0)}
    assert len(g.edges) == 2                       # the self-reference is not drawn
    assert "app\n100 B (closure 123 B)" in G.to_dot(g).replace("\\n", "\n")


def test_a_reference_cycle_is_drawn_not_looped_on():
    refs = {"/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x": ["/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-y"],
            "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-y": ["/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x"]}
    g = G.closure_graph(["/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x"], refs.__getitem__)
    assert len(g.nodes) == 2 and len(g.edges) == 2
    ET.fromstring(G.to_svg(g))


def test_a_deep_plan_does_not_exhaust_the_stack():
    refs = {f"/nix/store/{i:032d}-n{i}": [f"/nix/store/{i + 1:032d}-n{i + 1}"] for i in range(20000)}
    refs["/nix/store/" + f"{20000:032d}-n20000"] = []
    g = G.closure_graph(["/nix/store/" + f"{0:032d}-n0"], refs.__getitem__)
    assert max(n.height for n in g.nodes.values()) == 20000


# -- in a real browser ---------------------------------------------------------------------------

CHROMIUM = "/usr/lib/chromium/chromium"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed (.ci/setup-chromium)")
def test_the_page_in_chromium(project, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "plan.html"
    assert pynix("graph", "-o", str(out), str(project)).returncode == 0
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page()
            errors: list = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(out.as_uri())
            assert page.locator("g.node").count() == len(PLAN_NODES)
            box = page.locator("g.node.derivation", has_text="top").bounding_box()
            assert box and box["width"] > 50
            page.locator("g.node.derivation", has_text="top").click()
            info = page.locator("#info").inner_text()
            assert info.endswith("-top.drv (4 direct inputs)"), info      # (the page shows two spaces; inner_text folds them)
            assert errors == []
        finally:
            browser.close()
