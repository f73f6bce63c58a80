"""The VS Code extension builds and passes its own tests from a clean copy.

A clean copy of `vscode-extension/` (no node_modules, no build output) goes
through exactly what a packager runs: `npm ci`, `npm run compile` (tsc),
`npm run lint`, `npm test` (server discovery unit tests, grammar tests over
the tricky-Nix corpus, and an LSP `initialize` handshake with this
checkout's `pynix lsp`), and `npm run package`, which must leave a .vsix.
Skipped, saying so, where Node.js and npm are not installed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "vscode-extension"
NPM = shutil.which("npm")


def _clean_copy(dst: Path) -> Path:
    shutil.copytree(EXT, dst, ignore=shutil.ignore_patterns("node_modules", "dist", "out", "*.vsix"))
    return dst


@pytest.mark.skipif(NPM is None or shutil.which("node") is None, reason="Node.js/npm not installed")
def test_extension_builds_tests_and_packages_from_a_clean_copy(tmp_path):
    work = _clean_copy(tmp_path / "vscode-extension")
    env = dict(os.environ)
    # the handshake test finds `pynix` on PATH: this checkout's, in this venv
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("npm_config_fund", "false")
    env.setdefault("npm_config_audit", "false")
    for step in (["ci"], ["run", "compile"], ["run", "lint"], ["test"], ["run", "package"]):
        p = subprocess.run([NPM, *step], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, f"npm {' '.join(step)} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
        if step == ["test"]:
            out = p.stdout + p.stderr
            # node --test's summary: nothing failed and nothing skipped (the
            # handshake test skips itself when it cannot find a server)
            assert "# fail 0" in out and "# skipped 0" in out, out[-2000:]
    vsix = list(work.glob("*.vsix"))
    assert len(vsix) == 1 and vsix[0].stat().st_size > 10_000
