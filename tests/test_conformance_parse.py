"""The official Nix language suite, parse cases (read from ../shared).

Every parse-okay / parse-fail case runs in process, compared byte for byte
as the reference harness does; then the shared scorer itself runs against
the `pynix instantiate` command and must report every parse case passing.
Known failures would be listed in conformance_xfail.txt (checked both ways).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, SHARED, SUITE, needs_suite
from nixlang.errors import NixError, render_nix
from nixlang.source import Source, decode
from nixlang.parse import ParseOptions, parse_full
from nixlang.syntax.printer import show

XFAIL = {l.strip() for l in (ROOT / "tests" / "conformance_xfail.txt").read_text().splitlines()
         if l.strip() and not l.startswith("#")}


def _cases(kind):
    if not SUITE.is_dir():
        return []
    return sorted(p.name[:-4] for p in SUITE.glob(kind + "-*.nix"))


def _read(name, ext):
    p = SUITE / (name + ext)
    return p.read_bytes().decode("utf-8", "replace") if p.exists() else ""


def run_parse(name):
    """(exit code, output) of `nix-instantiate --parse -` on the case, in process."""
    src = Source(decode((SUITE / (name + ".nix")).read_bytes()), "«stdin»", "/pwd")
    try:
        return 0, show(parse_full(src, ParseOptions(home="/test-home")).ast) + "\n"
    except NixError as e:
        return 1, render_nix(e)


def _expect(name, want_rc, ext):
    """Compare one case; a case listed in conformance_xfail.txt must fail."""
    rc, out = run_parse(name)
    want = _read(name, ext)
    if name in XFAIL:
        assert not (rc == want_rc and out == want), \
            f"{name} is listed in conformance_xfail.txt but passes now: remove it"
        return
    assert rc == want_rc, out
    assert out == want


@needs_suite
@pytest.mark.parametrize("name", _cases("parse-okay"))
def test_parse_okay(name):
    _expect(name, 0, ".exp")


@needs_suite
@pytest.mark.parametrize("name", _cases("parse-fail"))
def test_parse_fail(name):
    _expect(name, 1, ".err.exp")


@needs_suite
def test_scorer_parse_cases():
    """The shared scorer, run on the real command line, passes every parse case."""
    scorer = SHARED / "tools" / "nix-lang-suite"
    cmd = f"{sys.executable} -m nixlang instantiate"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, str(scorer), "--cmd", cmd, "-k", "parse-okay", "-k", "parse-fail"],
                       capture_output=True, text=True, timeout=600, env=env)
    last = p.stdout.strip().splitlines()[-1]
    n_okay, n_fail = len(_cases("parse-okay")), len(_cases("parse-fail"))
    x_okay = sum(1 for c in XFAIL if c.startswith("parse-okay"))
    x_fail = sum(1 for c in XFAIL if c.startswith("parse-fail"))
    assert f"parse-okay {n_okay - x_okay}/{n_okay}, parse-fail {n_fail - x_fail}/{n_fail}" in last, p.stdout
