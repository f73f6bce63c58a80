"""Shared test helpers: where the shared data (the conformance suite, nixpkgs'
lib, flake examples) lives, and small parse helpers.

The shared data is `../shared` beside the clone, or the folder named by the
environment variable PYNIX_SHARED. Copies of it differ in one way that
matters: some keep the suite's symlinks as links, others store each as a
plain file holding the link's target; the tests pass with either.
"""
from __future__ import annotations

import atexit
import compileall
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYNIX_SHARED") or ROOT.parent / "shared").absolute()
SUITE = SHARED / "conformance" / "nix-lang"


def suite_available() -> bool:
    return SUITE.is_dir()


needs_suite = pytest.mark.skipif(not SUITE.is_dir(),
                                 reason=f"conformance suite not found at {SUITE} (../shared is absent)")


# Neither pynix nor the real Nix the tests compare with may read this
# machine's nix.conf files: every test sees an empty configuration.
_EMPTY_CONF = Path(__file__).resolve().parent / "data" / "empty-nix-conf"
os.environ["NIX_CONF_DIR"] = str(_EMPTY_CONF)
os.environ["NIX_USER_CONF_FILES"] = ""
os.environ.pop("NIX_CONFIG", None)
# nor a Nix daemon this machine may run: the `auto` store is the local one
# (tests of the daemon store start a daemon of their own on their own socket)
os.environ["NIX_DAEMON_SOCKET_PATH"] = str(Path(tempfile.gettempdir()) / "pynix-tests-no-daemon" / "socket")
# pynix's cache of compiled tier-2 code, likewise
if "PYNIX_CACHE_DIR" not in os.environ:
    os.environ["PYNIX_CACHE_DIR"] = tempfile.mkdtemp(prefix="pynix-test-cache-")
    atexit.register(shutil.rmtree, os.environ["PYNIX_CACHE_DIR"], True)

# The on-disk parse cache (nixlang/parse_cache.py) of the tests' processes
# lives in a temporary directory of its own, never in the user's ~/.cache.
os.environ["PYNIX_PARSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="pynix-test-parse-cache-")
atexit.register(shutil.rmtree, os.environ["PYNIX_PARSE_CACHE_DIR"], True)


def pytest_sessionstart(session):
    """Compile pynix's modules to bytecode once, up front. Many tests run
    `python -m nixlang` as a new process (the conformance scorer alone runs
    hundreds); where PYTHONDONTWRITEBYTECODE is set (it is on these machines) each
    of them would otherwise compile every module from source again, which is
    most of its start-up time. Bytecode is still read when that variable is
    set; writing it here is what a first run without the variable does."""
    for pkg in ("nixlang", "lsp"):
        compileall.compile_dir(str(ROOT / pkg), quiet=1)


# -- the whole nixpkgs tree (../shared/nixpkgs, unpacked once by its tool) ---------------------

NIXPKGS_TARBALLS = SHARED / "nixpkgs"
_nixpkgs: list = []


def shared_nixpkgs() -> Path:
    """The unpacked shared nixpkgs tree (`../shared/tools/nixpkgs-unpack`
    prints its cached path); skips the test, with the reason, when there is none."""
    if not _nixpkgs:
        import subprocess
        tree, reason = None, ""
        if not list(NIXPKGS_TARBALLS.glob("nixpkgs-*.tar.xz")):
            reason = f"the nixpkgs tarball is not in {NIXPKGS_TARBALLS} (../shared is absent)"
        else:
            try:
                out = subprocess.run([str(SHARED / "tools" / "nixpkgs-unpack")], capture_output=True,
                                     text=True, check=True, timeout=1800)
                tree = Path(out.stdout.strip())
                if not (tree / "default.nix").is_file():
                    tree, reason = None, f"nixpkgs-unpack printed {tree}, which holds no nixpkgs"
            except (OSError, subprocess.SubprocessError) as e:
                reason = f"nixpkgs-unpack failed: {e}"
        _nixpkgs.append((tree, reason))
    tree, reason = _nixpkgs[0]
    if tree is None:
        pytest.skip(reason)
    return tree


def nixpkgs_env(tree: Path, home: Path) -> dict:
    """An environment in which `<nixpkgs>` is `tree` and nothing of this
    machine's user changes what nixpkgs evaluates to (no config, overlays)."""
    env = dict(os.environ, NIX_PATH=f"nixpkgs={tree}", HOME=str(home))
    for var in ("NIXPKGS_CONFIG", "NIXPKGS_ALLOW_UNFREE", "NIXPKGS_ALLOW_BROKEN", "NIXPKGS_ALLOW_INSECURE",
                "NIXPKGS_ALLOW_UNSUPPORTED_SYSTEM", "NIX_CONFIG", "NIX_STORE_DIR"):
        env.pop(var, None)
    return env


_ERROR_LINE = re.compile(r"^(?: {7})?error:(?: |$)")
_SHOW_TRACE_NOTE = "(use '--show-trace' to show detailed location information)"


def error_message(stderr: str) -> str:
    """The message of the error nix-instantiate printed, without its layout:
    the text after the last `error:` prefix, its further lines unindented.
    It reads both Nix 2.8's layout (`error: MESSAGE`, no frames, then a note
    on --show-trace) and Nix 2.36's, which pynix prints (frames, then the
    message as `       error: MESSAGE`), so the two can be compared where
    only the frames differ."""
    lines = stderr.rstrip("\n").split("\n")
    starts = [i for i, line in enumerate(lines) if _ERROR_LINE.match(line)]
    if not starts:
        return ""
    first, *rest = lines[starts[-1]:]
    rest = [line for line in rest if line != _SHOW_TRACE_NOTE]
    head = first.lstrip(" ")[len("error:"):].removeprefix(" ")
    return "\n".join([head] + [line.removeprefix("       ") for line in rest])
