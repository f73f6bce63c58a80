"""Nix settings on pynix's command line, in NIX_CONFIG and in nix.conf files,
and the settings that change evaluation (abort-on-warn, pure-eval,
restrict-eval, ...), checked against Nix's texts."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT


def cli(*args, stdin=None, env=None, cwd=ROOT):
    p = subprocess.run([sys.executable, "-m", "nixlang", *args], input=stdin, capture_output=True,
                       text=True, timeout=120, cwd=cwd, env=env)
    return p.returncode, p.stdout, p.stderr


def test_lib_modules_sh_flags(tmp_path):
    """nixpkgs' lib/tests/modules.sh runs nix-instantiate with these flags."""
    f = tmp_path / "w.nix"
    f.write_text('{ a = builtins.warn "w" 1; }')
    base = ["instantiate", "--timeout", "1", "--eval-only", "--show-trace", "--read-write-mode", "--json"]
    assert cli(*base, str(f), "-A", "a")[:2] == (0, "1\n")
    rc, out, err = cli(*base, "--option", "abort-on-warn", "true", str(f), "-A", "a")
    assert rc == 1 and out == ""
    assert err.startswith("evaluation warning: w\n")
    assert "error: aborting to reveal stack trace of warning, as abort-on-warn is set" in err
