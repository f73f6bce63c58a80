"""Real-world Nix programs (tests/realworld/*.nix) evaluated by pynix.

Each program is written in the style of nixpkgs' lib and package set (a
mini lib with fixed points and overlays, attrset/string/list utilities, a
module system with typed options and priorities, a package set with
callPackage and overrides, config generators, laziness, an interpreter).
The shared library lives in tests/realworld/lib/, imported by the programs.

`NAME.exp` is the output of REAL Nix 2.8:

    nix-instantiate --eval --strict tests/realworld/NAME.nix > tests/realworld/NAME.exp

and pynix must reproduce it byte for byte through its command line. The
programs avoid what Nix 2.8 prints differently from Nix 2.36 (functions,
floats, and lists shared between two places of the output).

When nix-instantiate is on PATH, a second test re-runs real Nix and checks
that the .exp files are not stale.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

HERE = Path(__file__).resolve().parent / "realworld"
PROGRAMS = sorted(HERE.glob("*.nix"))
NIX = shutil.which("nix-instantiate")


def _ids(paths):
    return [p.stem for p in paths]


def test_programs_are_present():
    assert len(PROGRAMS) >= 8
    for p in PROGRAMS:
        assert p.with_suffix(".exp").is_file(), f"{p.name} has no .exp (run real Nix to make it)"
    total = sum(len(p.read_text().splitlines()) for p in HERE.rglob("*.nix"))
    assert total >= 1500


def _pynix(path: Path):
    p = subprocess.run([sys.executable, "-m", "nixlang", "instantiate", "--eval", "--strict", str(path)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("path", PROGRAMS, ids=_ids(PROGRAMS))
def test_program_matches_nix(path: Path):
    expected = path.with_suffix(".exp").read_text()
    rc, out, err = _pynix(path)
    assert "Traceback" not in err
    assert "internal pynix error" not in err, err
    assert rc == 0, f"pynix failed on {path.name}:\n{err}"
    assert out == expected


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not on PATH: the .exp files cannot be re-checked")
@pytest.mark.parametrize("path", PROGRAMS, ids=_ids(PROGRAMS))
def test_expected_output_is_real_nix(path: Path):
    p = subprocess.run([NIX, "--eval", "--strict", str(path)], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert p.stdout == path.with_suffix(".exp").read_text()
