"""The official Nix language suite, evaluation cases (read from ../shared).

The shared scorer runs every eval-okay / eval-fail case against the real
`pynix instantiate` command line, exactly as the reference harness does,
and writes one PASS/FAIL line per case. Each case is then a test here: a
case listed in conformance_xfail.txt must fail (so the list shrinks as
pynix improves, and a fixed case is noticed), every other case must pass.
Regenerate the list with `python tests/conformance_xfail.py --update`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT, SHARED, SUITE, needs_suite

XFAIL = {l.split("#", 1)[0].strip() for l in (ROOT / "tests" / "conformance_xfail.txt").read_text().splitlines()
         if l.split("#", 1)[0].strip()}


def _cases():
    if not SUITE.is_dir():
        return []
    out = []
    for p in sorted(SUITE.glob("eval-*.nix")):
        name = p.name[:-4]
        if name.startswith("eval-okay-") and (SUITE / (name + ".exp-disabled")).exists():
            continue
        if name.startswith(("eval-okay-", "eval-fail-")):
            out.append(name)
    return out


def run_scorer(kinds=("eval-okay", "eval-fail")) -> dict[str, bool]:
    scorer = SHARED / "tools" / "nix-lang-suite"
    cmd = f"{sys.executable} -m nixlang instantiate"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        listing = os.path.join(tmp, "results")
        args = [sys.executable, str(scorer), "--cmd", cmd, "--list", listing, "-j", "2", "--timeout", "120"]
        for k in kinds:
            args += ["-k", k]
        subprocess.run(args, capture_output=True, text=True, timeout=3000, env=env)
        results = {}
        with open(listing) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    results[parts[1]] = parts[2] == "PASS"
    return results


@pytest.fixture(scope="session")
def eval_results():
    return run_scorer()


@needs_suite
@pytest.mark.parametrize("name", _cases())
def test_eval_case(eval_results, name):
    assert name in eval_results, f"the scorer did not report {name}"
    if name in XFAIL:
        assert not eval_results[name], f"{name} passes now: remove it from tests/conformance_xfail.txt"
    else:
        assert eval_results[name], f"{name} fails: run ../shared/tools/nix-lang-suite -v {name}"
