"""The real `pynix repl` (python -m nixlang repl) in a pseudo-terminal, the way
a learner uses it: prompt_toolkit on a tty, keys typed one input at a time.

A tiny expect helper (select with timeouts on the pty's master side) stands
in for pexpect. prompt_toolkit redraws the input line with cursor movements,
so the helper matches on the output with escape sequences removed. The
prompt is redrawn as keys arrive; a fresh prompt is the one that follows a
new line (`PROMPT`), and each step waits for it before typing on. Cursor position requests are switched off
(PROMPT_TOOLKIT_NO_CPR) so no reply from a terminal is needed."""
from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

pty = pytest.importorskip("pty")
fcntl = pytest.importorskip("fcntl")
termios = pytest.importorskip("termios")

ROOT = Path(__file__).resolve().parents[1]
PROMPT = r"\nnix-repl>"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>]")


def plain(raw: str) -> str:
    return _ANSI.sub("", raw).replace("\r", "")


class Terminal:
    """One child process on a pty, and what it has printed."""

    def __init__(self, argv, cwd, env, rows=40, cols=160):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        # a session of its own with the pty as its controlling terminal, as in a
        # real terminal: Ctrl-C typed while the terminal is not in raw mode
        # sends SIGINT to the REPL
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                                     close_fds=True, start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.fd = master
        self.raw = ""          # everything read so far
        self.mark = 0          # where the next expect starts looking, in the plain text

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def _read(self, timeout: float) -> bool:
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:        # the child closed the terminal
            return False
        self.raw += data.decode("utf-8", "replace")
        return bool(data)

    def expect(self, pattern: str, timeout: float = 15.0) -> re.Match:
        """Wait until `pattern` (a regex) appears in the plain output after the
        last match; return the match. Fails with the output seen so far."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            text = plain(self.raw)
            m = rx.search(text, self.mark)
            if m:
                self.mark = m.end()
                return m
            left = end - time.monotonic()
            got = left > 0 and self._read(min(left, 0.2))
            if not got and (left <= 0 or self.proc.poll() is not None):
                if self._read(0):
                    continue
                raise AssertionError(f"timed out waiting for {pattern!r}; output so far:\n"
                                     f"{text[self.mark:][-3000:]}")

    def wait_cooked(self, timeout: float = 15.0) -> None:
        """Wait until the program has left raw mode (prompt_toolkit switches
        ISIG off while it reads a line): from then on Ctrl-C is a signal."""
        end = time.monotonic() + timeout
        while not termios.tcgetattr(self.fd)[3] & termios.ISIG:
            assert time.monotonic() < end, "the terminal stayed in raw mode"
            self._read(0.05)

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Read until nothing has arrived for `quiet` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self._read(quiet):
            pass

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.fd)


@pytest.fixture
def repl(tmp_path):
    env = dict(os.environ, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", HOME=str(tmp_path),
               XDG_STATE_HOME=str(tmp_path / "state"), PYTHONPATH=str(ROOT))
    for name in ("VISUAL", "EDITOR", "NIX_CONFIG"):
        env.pop(name, None)
    started = []

    def start(**extra):
        t = Terminal([sys.executable, "-m", "nixlang", "repl"], str(tmp_path), {**env, **extra})
        started.append(t)
        t.expect(r"Welcome to pynix repl")
        t.expect(PROMPT)
        return t
    yield start
    for t in started:
        if t.proc.poll() is None:
            t.proc.kill()
            t.proc.wait()


def test_session_in_a_terminal(repl, tmp_path):
    t = repl()

    # a binding persists; the input is highlighted by pynix's lexer (the number in cyan)
    t.send("myvariable = 21\r")
    t.expect(PROMPT)
    assert re.search(r"\x1b\[[0-9;]*36m21", t.raw), "the number was not highlighted"

    # tab completes a name in scope
    t.send("myvari\t")
    t.expect(r"myvariable")                 # completion runs in the background: wait for it
    t.send(" * 2\r")
    t.expect(r"myvariable \* 2\n42\n")
    t.expect(PROMPT)

    # an open `{` continues on the next line (continuation prompt), and the
    # whole input is evaluated once it is complete
    start = t.mark
    t.send("{\r")
    t.expect(r"> ")
    t.send("  a = 1 + 1;\r")
    t.expect(r"> ")
    t.send("}\r")
    t.expect(r"\n\{ a = 2; \}\n")
    assert "error" not in plain(t.raw)[start:t.mark]
    t.expect(PROMPT)

    # :t and :doc
    t.send(":t myvariable\r")
    t.expect(r"\nan integer\n")
    t.expect(PROMPT)
    t.send(":doc map\r")
    t.expect(r"builtins\.map \(2 arguments\)")
    t.expect(r"Apply a function to every element")
    t.expect(PROMPT)

    # :trace shows laziness: the thunk of x is made but never forced
    t.send(':trace let x = throw "no"; in 1\r')
    m = t.expect(r"trace of: let x = throw \"no\"; in 1\n((?:.*\n)*?)never forced[^\n]*\n")
    steps = m.group(1)
    assert 'create thunk #1 x at 1:9-19: throw "no"' in steps
    assert "result: 1" in steps and "thunks created: 1, forced: 0" in steps
    assert "force #1" not in steps
    t.expect(PROMPT)

    # :explain knows the lint codes too
    t.send(":explain W001\r")
    t.expect(r"W001: unused let binding")

    t.send(":q\r")
    assert t.close() == 0
    assert "Traceback" not in plain(t.raw)
    # history is kept between sessions
    history = (tmp_path / "state" / "pynix" / "repl-history").read_text()
    assert "myvariable = 21" in history and ":trace let x" in history


def test_history_from_the_last_session_is_offered(repl, tmp_path):
    t = repl()
    t.send("40 + 2\r")
    t.expect(r"\n42\n")
    t.send(":q\r")
    assert t.close() == 0
    t = repl()
    t.send("\x1b[A")              # up arrow: the last input of the previous session (:q)
    t.expect(r":q")
    t.send("\x1b[A\r")            # and the one before it, run: 42 (this session typed no 40)
    t.expect(r"\n42\n")
    t.send(":q\r")
    assert t.close() == 0


def test_edit_runs_the_editor_in_the_terminal(repl, tmp_path):
    lib = tmp_path / "lib.nix"
    lib.write_text("{\n  answer = 42;\n}\n")
    log = tmp_path / "editor.log"
    editor = tmp_path / "fake-vim"
    # an "editor" that records its arguments and whether it has the terminal, then edits the file
    editor.write_text("#!/bin/sh\n"
                      f"echo \"$@\" > {log}\n"
                      f"[ -t 0 ] && echo tty >> {log}\n"
                      "sed -i 's/42/43/' \"$2\"\n")
    editor.chmod(0o755)
    t = repl(EDITOR=str(editor))
    t.send(":l lib.nix\r")
    t.expect(r"Added 1 variables\.")
    t.expect(PROMPT)
    t.send(":e answer\r")
    t.expect(r"Added 1 variables\.")          # reloaded after the editor exited
    t.expect(PROMPT)
    t.send("answer\r")
    t.expect(r"\n43\n")
    t.send(":q\r")
    assert t.close() == 0
    assert log.read_text().split("\n")[:2] == [f"+2 {lib}", "tty"]


def test_edit_without_an_editor_says_so(repl):
    t = repl()
    t.send(":e ./x.nix\r")
    t.expect(r"no editor set: set \$EDITOR")
    t.send(":q\r")
    assert t.close() == 0


LONG = [
    # long but shallow: Nix function calls all the way
    "let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1); in f 60",
    # inside a long builtin (genList builds its list in one Python loop)
    "builtins.foldl' (a: b: a + b) 0 (builtins.genList (x: x) 100000000)",
]


def interrupt(t, line: str) -> str:
    """Type `line`, let it run, press Ctrl-C; what was printed in between."""
    start = t.mark
    t.send(line + "\r")
    t.expect(re.escape(line[-12:]) + r"\n")
    t.wait_cooked()
    t.settle(quiet=0.3, timeout=0.6)       # it is evaluating: nothing arrives
    t.send("\x03")
    t.expect(r"(\n|\^C)error: interrupted by the user\n", timeout=30)   # the terminal echoes ^C
    t.expect(PROMPT)
    return plain(t.raw)[start:t.mark]


def test_ctrl_c_stops_an_evaluation_and_keeps_the_bindings(repl):
    t = repl()
    t.send("keep = 41\r")
    t.expect(PROMPT)
    for expr in LONG:
        shown = interrupt(t, expr)
        assert "Traceback" not in shown and "KeyboardInterrupt" not in shown, shown
    # a binding whose evaluation was stopped is evaluated afresh next time
    # (not "infinite recursion"): its thunk was put back, as Nix does
    t.send("slow = " + LONG[0] + "\r")
    t.expect(PROMPT)
    for _ in range(2):
        assert "infinite recursion" not in interrupt(t, "slow")
    t.send("keep + 1\r")
    t.expect(r"\n42\n")
    t.send(":q\r")
    assert t.close() == 0
    assert "Traceback" not in plain(t.raw)


@pytest.mark.slow
def test_nixpkgs_in_a_terminal(repl):
    """A workshop's first steps: load nixpkgs, look at a package, read a
    function's documentation (the shared nixpkgs tree stands for the learner's)."""
    from conftest import shared_nixpkgs
    tree = shared_nixpkgs()
    t = repl(NIX_PATH=f"nixpkgs={tree}")
    t.send(":l <nixpkgs>\r")
    t.expect(r"\nAdded 22841 variables\.\n", timeout=120)
    t.expect(PROMPT)
    t.send("pkgs.hello\r")
    t.expect(r"\n«derivation /nix/store/0ia8zz7yjzv9qqzh1pwn64rwlqdhywcp-hello-2\.12\.1\.drv»\n", timeout=60)
    t.expect(PROMPT)
    t.send(":doc lib.mapAttrs\r")
    t.expect(r"defined at " + re.escape(f"{tree}/lib/attrsets.nix:1017:3"))
    t.expect(r"Apply a function to each element in an attribute set")
    t.expect(PROMPT)
    t.send(":q\r")
    assert t.close() == 0
    assert "Traceback" not in plain(t.raw)
