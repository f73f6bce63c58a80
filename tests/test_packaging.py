"""One install gives every command.

`pip install -e .` (the README's first command) must bring everything that
`pynix`, `pynix repl` and `pynix lsp` import: every third-party module
imported anywhere under nixlang/ and lsp/ (found with `ast`, so an import
hidden inside a function counts too) must come from a distribution named in
pyproject's plain `dependencies`, not in an extra. The module -> distribution
map is the installed one (`importlib.metadata.packages_distributions`).

The slow tier also builds a fresh venv with exactly `pip install -e .` and
runs the REPL and the language server's import from it.
"""
from __future__ import annotations

import ast
import importlib.metadata as md
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
OWN = {"nixlang", "lsp"}


def _norm(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(req: str) -> str:
    return _norm(re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req).group(0))


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the files that import it, for every module that is
    neither the standard library nor pynix's own."""
    found: dict[str, set[str]] = {}
    for pkg in sorted(OWN):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in OWN:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_import_scan_sees_the_commands_third_party_modules():
    # the scan itself works: the REPL's and the server's libraries are found
    mods = third_party_imports()
    assert {"lark", "prompt_toolkit", "pygls", "lsprotocol"} <= set(mods), sorted(mods)


def test_plain_dependencies_cover_every_third_party_import():
    deps = {_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    dists = md.packages_distributions()
    missing = []
    for mod, files in sorted(third_party_imports().items()):
        provided_by = {_norm(d) for d in dists.get(mod, ())}
        assert provided_by, f"{mod} (imported by {sorted(files)}) is not installed: which distribution gives it?"
        if not provided_by & deps:
            missing.append(f"{mod} from {sorted(provided_by)} (imported by {sorted(files)[0]})")
    assert not missing, "pyproject's dependencies lack: " + "; ".join(missing)


def test_old_extras_are_empty_aliases_and_dev_has_the_test_tools():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert extras["lsp"] == [] and extras["repl"] == []
    dev = {_requirement_name(r) for r in extras["dev"]}
    assert {"pytest", "pytest-xdist", "hypothesis", "pytest-lsp"} <= dev


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


def test_readme_has_two_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert "pip install -q -e . " in commands[0] and "pynix eval" in commands[0]
    assert "-e '.[dev]'" in commands[1] and commands[1].endswith("python -m pytest")
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("doc", ["README.md", "vscode-extension/README.md"])
def test_docs_do_not_ask_for_an_extra(doc):
    text = (ROOT / doc).read_text()
    assert not re.search(r"pip install [^\n]*\.\[(lsp|repl)\]", text), f"{doc} still installs an extra"


@pytest.mark.slow
def test_a_fresh_plain_install_runs_the_repl_and_imports_the_server(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    p = subprocess.run([str(py), "-m", "pip", "install", "-q", "-e", str(ROOT)], capture_output=True, text=True,
                       timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    repl = subprocess.run([str(venv / "bin" / "pynix"), "repl"], input="x = 20\nx + 22\n", capture_output=True,
                          text=True, timeout=120, cwd=tmp_path, env=env)
    assert repl.returncode == 0 and repl.stdout.strip() == "42", repl.stdout + repl.stderr
    server = subprocess.run([str(py), "-c", "import lsp.server, prompt_toolkit; print('ok')"], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path, env=env)
    assert server.stdout.strip() == "ok", server.stderr
