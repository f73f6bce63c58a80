"""nixpkgs lib's own test scripts, run unchanged with pynix as `nix-instantiate`.

A folder put first on PATH holds a `nix-instantiate` that runs
`python -m nixlang instantiate "$@"` (this interpreter, so this checkout).
Each script runs as lib/tests/test-with-nix.nix runs it: on a copy of
`lib` (the scripts must not write into ../shared), with TEST_LIB pointing at
the copy and the Nix state (NIX_STORE_DIR, NIX_STATE_DIR, ...) in a temporary
TEST_ROOT. lib/path/tests runs as lib/path/tests/default.nix runs it (unit.nix
with `--argstr libpath`, then prop.sh, here with a fixed seed so that a failure
can be replayed). The scripts are written for current Nix (2.36); Nix 2.8
itself fails some of them (see `NIX_28_FAILS`), pynix must pass them all.

modules.sh is one long series of checks (about 400 evaluations of the module
system, minutes here) and cannot be split without editing it, so it runs
whole; the long cases carry the `slow` marker.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SHARED

LIB = SHARED / "nixpkgs-lib" / "lib"

pytestmark = pytest.mark.skipif(not LIB.is_dir(), reason=f"nixpkgs lib not found at {LIB} (../shared is absent)")

# (id, command run in the directory holding the copy of lib, what passing
# looks like): a regex over stdout, or the exact stdout of a .nix file's
# evaluation, or "tests ok", which a passing shell script prints last (stderr)
CASES = [
    ("modules.sh", ["bash", "lib/tests/modules.sh"], re.compile(r"^(\d+) Pass\n0 Fail$", re.M)),
    ("lib.version", ["nix-instantiate", "lib", "-A", "version", "--eval"], re.compile(r'^"[^"\n]+"\n\Z')),
    ("filesystem.sh", ["bash", "lib/tests/filesystem.sh"], "tests ok"),
    ("sources.sh", ["bash", "lib/tests/sources.sh"], "tests ok"),
    ("debug.sh", ["bash", "lib/tests/debug.sh"], "tests ok"),
    ("network.sh", ["bash", "lib/tests/network.sh"], "tests ok"),
    ("systems.nix", ["nix-instantiate", "--eval", "--strict", "lib/tests/systems.nix"], "[ ]\n"),
    ("misc.nix", ["nix-instantiate", "--eval", "--strict", "lib/tests/misc.nix"], "[ ]\n"),
    ("fetchers.nix", ["nix-instantiate", "--eval", "--strict", "lib/tests/fetchers.nix"], "[ ]\n"),
    ("path/unit.nix", ["nix-instantiate", "--eval", "--show-trace", "--argstr", "libpath", "{TEST_LIB}",
                       "lib/path/tests/unit.nix"], "null\n"),
    ("path/prop.sh", ["bash", "lib/path/tests/prop.sh", "1234"], "tests ok"),
]
SLOW = {"modules.sh", "network.sh", "misc.nix"}
# what real Nix 2.8 does with these (measured): it lacks builtins.readFileType
# (filesystem.sh, misc.nix), the fileset checks of modules.sh and the
# `abort-on-warn` setting (8 ABORT_ON_WARN checks of modules.sh): 396 Pass, 11 Fail
NIX_28_FAILS = {"modules.sh", "filesystem.sh", "misc.nix"}

# the variables test-with-nix.nix sets, under TEST_ROOT; the rest of the
# caller's Nix configuration is left out so that it cannot change the results
NIX_ENV_DROP = ("NIX_PATH", "NIX_CONFIG", "NIX_ABORT_ON_WARN", "NIX_SHOW_STATS", "NIX_REMOTE", "NIX_USER_CONF_FILES")


@pytest.fixture(scope="module")
def lib_tree(tmp_path_factory):
    """A copy of lib and a PATH whose nix-instantiate is pynix."""
    top = tmp_path_factory.mktemp("nixpkgs-lib")
    shutil.copytree(LIB, top / "lib", symlinks=True)
    bin_dir = top / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "nix-instantiate"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={Path(__file__).resolve().parents[1]} '
                       f'exec {sys.executable} -m nixlang instantiate "$@"\n')
    wrapper.chmod(0o755)
    return top, bin_dir


def _env(top: Path, bin_dir: Path, root: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in NIX_ENV_DROP}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        TEST_LIB=str(top / "lib"),
        TEST_ROOT=str(root),
        HOME=str(root / "home"),
        XDG_DATA_HOME=str(root / "data"),
        NIX_BUILD_HOOK="",
        NIX_CONF_DIR=str(root / "etc"),
        NIX_LOCALSTATE_DIR=str(root / "var"),
        NIX_LOG_DIR=str(root / "var" / "log" / "nix"),
        NIX_STATE_DIR=str(root / "var" / "nix"),
        NIX_STORE_DIR=str(root / "store"),
        PAGER="cat",
    )
    (root / "home").mkdir(parents=True)
    return env


@pytest.mark.parametrize("name,argv,ok", [
    pytest.param(n, a, o, id=n, marks=[pytest.mark.slow] if n in SLOW else []) for n, a, o in CASES])
def test_lib_script_passes(lib_tree, tmp_path, name, argv, ok):
    top, bin_dir = lib_tree
    env = _env(top, bin_dir, tmp_path / "test-root")
    argv = [a.replace("{TEST_LIB}", env["TEST_LIB"]) for a in argv]
    if name == "modules.sh":
        del env["TEST_LIB"]      # test-with-nix.nix runs modules.sh without it
    start = time.monotonic()
    p = subprocess.run(argv, cwd=top, env=env, capture_output=True, text=True)
    took = time.monotonic() - start
    output = p.stdout + p.stderr
    assert "Traceback" not in output and "internal pynix error" not in output, output[-4000:]
    assert p.returncode == 0, f"{name} failed (exit {p.returncode}):\n{output[-6000:]}"
    if ok == "tests ok":
        assert p.stderr.rstrip("\n").rsplit("\n", 1)[-1] == ok, output[-4000:]
        summary = ok
    elif isinstance(ok, str):
        assert p.stdout == ok, output[-4000:]
        summary = ok.strip()
    else:
        m = ok.search(p.stdout)
        assert m, output[-4000:]
        summary = m.group(0).strip().replace("\n", ", ")
    print(f"\n{name}: {summary} ({took:.1f} s)")
