"""The VS Code extension builds and passes its own tests from a clean copy.

A clean copy of `vscode-extension/` (no node_modules, no build output) goes
through exactly what a packager runs: `npm ci`, `npm run compile` (tsc),
`npm run lint`, `npm test` (server discovery unit tests, grammar tests over
the tricky-Nix corpus, and an LSP `initialize` handshake with this
checkout's `pynix lsp`), and `npm run package`, which must leave a .vsix.
Skipped, saying so, where Node.js and npm are not installed.

That takes minutes, so the built copy is kept in a cache folder
(`~/.cache/pynix-tests`, or $PYNIX_TEST_CACHE; `off` turns caching off),
under a hash of the extension's sources and lockfile and of the node and npm
versions. When nothing of those changed since a run that passed, only the
compiled unit tests run again, the handshake with this checkout's server
included (the server is Python, outside the hash). A clean machine, as CI's,
has no cache and runs everything once.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import re
import uuid
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXT = ROOT / "vscode-extension"
NPM = shutil.which("npm")
NODE = shutil.which("node")
BUILT = ("node_modules", "dist", "out", "e2e-artifacts")   # what a build (or `npm run e2e`) adds; never sources


def _is_source(rel: Path) -> bool:
    return not (set(rel.parts) & set(BUILT)) and rel.suffix != ".vsix"


def _source_files() -> list[Path]:
    """The sources, relative to EXT, sorted; build folders are not entered at all (CI's
    end-to-end set-up may be filling node_modules meanwhile)."""
    found = []
    for folder, dirs, files in os.walk(EXT):
        dirs[:] = [d for d in dirs if d not in BUILT]
        base = Path(folder).relative_to(EXT)
        found += [base / f for f in files if _is_source(base / f)]
    return sorted(found)


def _clean_copy(dst: Path) -> Path:
    shutil.copytree(EXT, dst, ignore=shutil.ignore_patterns(*BUILT, "*.vsix"))
    return dst


def _version(tool: str) -> str:
    return subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()


def sources_key() -> str:
    """A hash of everything a clean copy holds (sources, lockfile, grammar,
    tests) and of the node and npm versions."""
    h = hashlib.sha256()
    for rel in _source_files():
        h.update(rel.as_posix().encode() + b"\0" + (EXT / rel).read_bytes() + b"\0")
    h.update(f"node {_version(NODE)} npm {_version(NPM)}".encode())
    return h.hexdigest()[:24]


def _cache_dir() -> Path | None:
    setting = os.environ.get("PYNIX_TEST_CACHE")
    if setting == "off":
        return None
    return Path(setting or Path.home() / ".cache" / "pynix-tests") / "vscode-extension"


def _env() -> dict:
    env = dict(os.environ)
    # the handshake test finds `pynix` on PATH: this checkout's, in this venv
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    pynix = Path(sys.executable).parent / "pynix"
    if pynix.is_file():
        env["PYNIX_SERVER_PATH"] = str(pynix)
    env.setdefault("npm_config_fund", "false")
    env.setdefault("npm_config_audit", "false")
    return env


def _check_node_test_output(out: str) -> None:
    # node --test's summary: nothing failed and nothing skipped (the
    # handshake test skips itself when it cannot find a server)
    assert "# fail 0" in out and "# skipped 0" in out, out[-2000:]


def _check_vsix(vsix: Path) -> None:
    """The package holds what the registries show (icon, README, changelog, license) and
    nothing of the end-to-end suite; the README's screenshots exist (vsce links them, from
    the repository, once package.json names it)."""
    names = set(zipfile.ZipFile(vsix).namelist())
    for inner in ["extension/package.json", "extension/readme.md", "extension/changelog.md", "extension/LICENSE.txt",
                  "extension/images/icon.png", "extension/dist/extension.js"]:
        assert inner in names, f"{inner} is not in {vsix.name}: {sorted(names)}"
    assert not any(n.startswith(("extension/e2e", "extension/images/screenshot")) for n in names), sorted(names)
    readme = (EXT / "README.md").read_text()
    shown = [m for m in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme) if not m.startswith("http")]
    assert len(shown) >= 3 and all((EXT / m).is_file() for m in shown), shown


def _keep(work: Path, cache: Path, key: str) -> None:
    """Move the built copy into the cache as `key` (atomically: a folder there
    is complete), dropping the entries of other sources."""
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.iterdir():
        if old.name != key:
            shutil.rmtree(old, ignore_errors=True)
    tmp = cache / f".tmp-{uuid.uuid4().hex}"
    shutil.move(str(work), str(tmp))
    try:
        os.rename(tmp, cache / key)
    except OSError:                   # another run got there first
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.skipif(NPM is None or NODE is None, reason="Node.js/npm not installed")
def test_extension_builds_tests_and_packages_from_a_clean_copy(tmp_path):
    cache = _cache_dir()
    key = sources_key()
    built = cache / key if cache is not None else None
    env = _env()
    if built is not None and (built / "out" / "test").is_dir() and list(built.glob("*.vsix")):
        # these very sources were built, tested and packaged before: run the unit
        # tests again, with the handshake against this checkout's server
        tests = sorted(str(p.relative_to(built)) for p in (built / "out" / "test").glob("*.test.js"))
        p = subprocess.run([NODE, "--test", *tests], cwd=built, env=env, capture_output=True, text=True,
                           timeout=600)
        assert p.returncode == 0, f"node --test failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
        _check_node_test_output(p.stdout + p.stderr)
        _check_vsix(next(built.glob("*.vsix")))
        return
    work = _clean_copy(tmp_path / "vscode-extension")
    for step in (["ci"], ["run", "compile"], ["run", "lint"], ["test"], ["run", "package"]):
        p = subprocess.run([NPM, *step], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, f"npm {' '.join(step)} failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
        if step == ["test"]:
            _check_node_test_output(p.stdout + p.stderr)
    vsix = list(work.glob("*.vsix"))
    assert len(vsix) == 1 and vsix[0].stat().st_size > 10_000
    _check_vsix(vsix[0])
    if cache is not None:
        _keep(work, cache, key)


def test_the_sources_key_ignores_build_output_only():
    assert _is_source(Path("src/extension.ts")) and _is_source(Path("package-lock.json"))
    assert _is_source(Path("test/grammar/strings.test.nix"))
    assert not _is_source(Path("node_modules/x/index.js")) and not _is_source(Path("out/test/a.test.js"))
    assert not _is_source(Path("dist/extension.js")) and not _is_source(Path("pynix-vscode-0.1.0.vsix"))
    assert not _is_source(Path("e2e-artifacts/01-activation.png")) and _is_source(Path("e2e/workspace/hover.nix"))
