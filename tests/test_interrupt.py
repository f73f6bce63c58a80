"""Ctrl-C (nixlang/interrupt.py): `pynix eval` and `pynix instantiate` stop
with Nix's one line and exit 130, never a traceback; the regions that the
REPL and the CLI run their evaluations in stop, report it, and leave nothing
behind. (The REPL in a real terminal: tests/test_repl_pty.py.)"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from conftest import ROOT
from nixlang import interrupt

# long evaluations; each says "started" on stderr first (builtins.trace), so
# the test knows the evaluation runs before it sends SIGINT
LONG = {
    "calls": "let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1); in f 60",
    "builtin": "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 100000000)",
}
COMMANDS = {
    "eval": ["eval", "-E"],
    "instantiate": ["instantiate", "--eval", "-E"],
}


def _interrupted_run(args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NIX_CONFIG", None)
    p = subprocess.Popen([sys.executable, "-m", "nixlang", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, text=True)
    try:
        first = p.stderr.readline()
        assert first == "trace: started\n", first + p.stderr.read()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return subprocess.CompletedProcess(args, p.returncode, out, err)


@pytest.mark.parametrize("what", sorted(LONG))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_sigint_exits_130_with_nix_s_line(command, what):
    r = _interrupted_run(COMMANDS[command] + [f'builtins.trace "started" ({LONG[what]})'])
    assert (r.returncode, r.stdout, r.stderr) == (130, "", "error: interrupted by the user\n")


# -- regions, in process -----------------------------------------------------------------------

def _in_worker(fn, *args, **kw):
    """Run `interrupt.run(fn, ...)` in a thread, as cli.main does; returns
    (thread, a dict that gets the outcome)."""
    box: dict = {}
    started = threading.Event()

    def body():
        def marked(*a):
            started.set()
            return fn(*a)
        box["outcome"] = interrupt.run(marked, *args, **kw)
    t = threading.Thread(target=body)
    t.start()
    return t, box, started


def _spin():
    while True:
        pass


def test_a_request_stops_the_region_in_its_thread():
    t, box, started = _in_worker(_spin, fresh=True)
    assert started.wait(30)
    interrupt.request()
    t.join(30)
    assert not t.is_alive() and box["outcome"] == (True, None)


def test_a_swallowed_interruption_is_sent_again():
    """Code that swallows every exception (like a gc callback) eats the first
    one; the main thread's loop (wait_for) sends it again."""
    swallowed = []

    def stubborn():
        try:
            _spin()
        except BaseException as exc:       # noqa: BLE001 - on purpose
            swallowed.append(exc)
        _spin()
    t, box, started = _in_worker(stubborn, fresh=True)
    assert started.wait(30)
    threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
    interrupt.wait_for(t)                  # turns the SIGINT into a request, then resends
    assert box["outcome"] == (True, None)
    assert len(swallowed) == 1 and isinstance(swallowed[0], interrupt.Interrupted)


def test_a_finished_region_returns_its_value_and_leaves_nothing_pending():
    assert interrupt.run(lambda: 42) == (False, 42)
    interrupt.request()                    # no region: nothing is raised anywhere
    # a non-fresh region (a CLI command) sees the earlier Ctrl-C and does not start
    ran = []
    assert interrupt.run(ran.append, 1) == (True, None) and ran == []
    # a fresh one (a REPL input) forgets it, as nix repl does for each line
    assert interrupt.run(lambda: 7, fresh=True) == (False, 7)
    assert interrupt.run(lambda: 8) == (False, 8)


def test_other_exceptions_pass_through_and_the_region_ends():
    def boom():
        raise ValueError("x")
    with pytest.raises(ValueError):
        interrupt.run(boom, fresh=True)
    interrupt.request()
    assert interrupt.run(lambda: 1, fresh=True) == (False, 1)
