"""Layers import downward only (DESIGN.md): syntax -> resolve -> runtime ->
compile -> builtins; store imports nothing of the evaluator; lsp and cli sit on top.
This test reads every module's imports and checks the rule."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# layer rank: a module may import only modules of its own or a lower rank
RANK = {
    "nixlang.source": 0, "nixlang.records": 0, "nixlang.codecache": 0, "nixlang.atomicfile": 0, "nixlang.errors": 0, "nixlang.version": 0, "nixlang.store": 0, "nixlang.interrupt": 0,
    "nixlang.gcpause": 0, "nixlang.digest": 0,
    "nixlang.syntax": 1, "nixlang.resolve": 2, "nixlang.parse": 2, "nixlang.parse_cache": 2, "nixlang.runtime": 3, "nixlang.compile": 4,
    "nixlang.builtins": 5, "nixlang.evaluator": 6, "nixlang.attrpath": 6, "nixlang.ide": 7,
    "nixlang.settings": 7,
    "nixlang.repl": 8, "nixlang.cli": 8, "nixlang.cli_store": 8, "nixlang.graph_cmd": 8, "nixlang.playground": 8,
    "nixlang.__main__": 9, "nixlang": 9, "lsp": 10,
}


def rank(mod: str) -> int:
    best = None
    for prefix, r in RANK.items():
        if mod == prefix or mod.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, r)
    return best[1] if best else -1


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path, mod: str):
    tree = ast.parse(path.read_text())
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    for a in node.names:
                        yield name + "." + a.name
                    continue
                yield name
            elif node.module:
                yield node.module


def test_imports_point_down():
    bad = []
    files = list((ROOT / "nixlang").rglob("*.py")) + list((ROOT / "lsp").rglob("*.py"))
    for f in files:
        mod = module_name(f)
        r = rank(mod)
        for imp in imports_of(f, mod):
            if not (imp.startswith("nixlang") or imp.startswith("lsp")):
                continue
            ri = rank(imp)
            if mod == "nixlang" or imp == "nixlang":
                continue
            if ri > r:
                bad.append(f"{mod} (layer {r}) imports {imp} (layer {ri})")
    assert not bad, "\n".join(bad)


def test_store_is_independent():
    store = ROOT / "nixlang" / "store"
    if not store.exists():
        return
    for f in store.rglob("*.py"):
        for imp in imports_of(f, module_name(f)):
            assert not imp.startswith(("nixlang.syntax", "nixlang.resolve", "nixlang.runtime",
                                       "nixlang.compile", "nixlang.builtins", "nixlang.evaluator")), (f, imp)
