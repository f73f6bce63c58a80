"""The memory guard (nixlang/runtime/memory_guard.py): running out of memory is
Nix's clean `error: out of memory`, exit 1 (in `pynix eval`: with the code
E214), never a Python MemoryError, and never a machine that swaps.

The commands run as separate processes (the guard is a process limit) with
a small PYNIX_MAX_MEMORY, so the tests cost little memory."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from nixlang.cli import run
from nixlang.runtime import memory_guard as memory

DOUBLING = ("let f = s: n: if n == 0 then s else f (s + s) (n - 1); "
            "in builtins.stringLength (f \"ab\" 40)")

MAP_ATTRS_MANY = ("builtins.length (builtins.filter (x: x.a != null) "
                  "(builtins.genList (i: builtins.mapAttrs (n: v: v) {a = i;}) 1500000))")


def pynix_process(*args, budget="512M"):
    env = dict(os.environ, PYNIX_MAX_MEMORY=budget)
    env.pop("NIX_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "nixlang", *args], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args,budget", [
    (["instantiate", "--eval", "-E", DOUBLING], "512M"),
    (["instantiate", "--eval", "-E", 'builtins.readFile "/dev/zero"'], "512M"),
    (["instantiate", "--eval", "--strict", "-E", "builtins.genList (i: i) 4000000"], "128M"),
    (["instantiate", "--eval", "-"], "512M"),       # stdin is /dev/zero
    (["instantiate", "--eval", "-E", 'builtins.hashFile "sha256" "/dev/zero"'], "512M"),
    # CPython 3.11 can report an allocation that failed under the cap as
    # "SystemError: error return without exception set", even from a frame
    # returning after the MemoryError was reported (memory_guard.hidden_out_of_memory)
    (["instantiate", "--eval", "--strict", "-E", MAP_ATTRS_MANY], "250M"),
    (["instantiate", "--eval", "--strict", "-E", MAP_ATTRS_MANY], "160M"),
    (["instantiate", "--eval", "--strict", "-E", MAP_ATTRS_MANY.replace("builtins.mapAttrs (n: v: v) {a = i;}",
                                                                      "{a = i;} // {b = i;}")], "200M"),
])
def test_out_of_memory_is_nix_text(args, budget):
    env = dict(os.environ, PYNIX_MAX_MEMORY=budget)
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run([sys.executable, "-m", "nixlang", *args], env=env, stdin=zero,
                              capture_output=True, text=True, timeout=300)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", "error: out of memory\n")


def test_out_of_memory_in_pynix_eval_has_a_code():
    proc = pynix_process("eval", "-E", DOUBLING)
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[0] == "error: out of memory"
    assert lines[2].startswith("  [E214] out of memory: ") and "PYNIX_MAX_MEMORY" in lines[2]
    assert lines[-1] == "  more: pynix explain E214"


def test_the_guard_leaves_room_for_ordinary_work():
    # the 512 MiB stack of the evaluation thread is reserved before the cap is set
    proc = pynix_process("instantiate", "--eval", "-E",
                         "let f = n: if n == 0 then 0 else 1 + f (n - 1); in f 5000", budget="256M")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "5000\n", "")


def test_a_bad_budget_is_an_error():
    proc = pynix_process("instantiate", "--eval", "-E", "1", budget="lots")
    assert proc.returncode == 1 and proc.stderr.startswith("error: not a memory size: 'lots'")


def test_no_guard_when_asked():
    proc = pynix_process("instantiate", "--eval", "-E", "1 + 1", budget="off")
    assert (proc.returncode, proc.stdout) == (0, "2\n")


@pytest.mark.parametrize("text,size", [
    ("1024", 1024), ("4k", 4096), ("512M", 512 << 20), ("2G", 2 << 30), ("1.5g", 3 << 29), ("8GiB", 8 << 30),
    ("1T", 1 << 40), ("off", None), ("0", None), ("unlimited", None),
])
def test_parse_size(text, size):
    assert memory.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1G", "4X", "G"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        memory.parse_size(text)


def test_default_budget_is_three_quarters_of_the_machine():
    assert memory.default_budget() == memory.physical_memory() * 3 // 4
    assert memory.budget_from_env({}) == memory.default_budget()
    assert memory.budget_from_env({"PYNIX_MAX_MEMORY": "1G"}) == 1 << 30
    assert memory.budget_from_env({"PYNIX_MAX_MEMORY": "off"}) is None


# -- reading files within the budget ---------------------------------------------------------------

def test_read_all_refuses_a_regular_file_larger_than_the_room(tmp_path, monkeypatch):
    f = tmp_path / "big"
    f.write_bytes(b"x" * 4096)
    monkeypatch.setattr(memory, "headroom", lambda: 4096)        # room for 2048 bytes and their string
    with open(f, "rb") as fh, pytest.raises(MemoryError):
        memory.read_all(fh)
    monkeypatch.setattr(memory, "headroom", lambda: 8192)
    with open(f, "rb") as fh:
        assert memory.read_all(fh) == b"x" * 4096


def test_read_all_of_a_file_without_a_size():
    with open("/proc/self/status", "rb") as fh:      # a regular file of nominal size 0
        assert b"VmData:" in memory.read_all(fh)
    r, w = os.pipe()
    os.write(w, b"abc" * 1000)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        assert memory.read_all(fh) == b"abc" * 1000


def test_read_all_of_an_endless_device_stops_at_the_room(monkeypatch):
    monkeypatch.setattr(memory, "headroom", lambda: 200 << 20)
    with open("/dev/zero", "rb") as fh, pytest.raises(MemoryError):
        memory.read_all(fh, stop_at=b"\0")
    r, w = os.pipe()
    os.write(w, b"ab\0cd")
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        assert memory.read_all(fh, stop_at=b"\0") is None      # ended: the caller reports the NUL


def test_read_file_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("PYNIX_MAX_MEMORY", "64M")
    out, err = io.StringIO(), io.StringIO()
    assert run(["instantiate", "--eval", "-E", 'builtins.readFile "/dev/zero"'], out, err) == 1
    assert err.getvalue() == "error: out of memory\n"
    nul = tmp_path / "nul"
    nul.write_bytes(b"a\0b")
    err = io.StringIO()
    assert run(["instantiate", "--eval", "-E", f'builtins.readFile "{nul}"'], out, err) == 1
    assert f"the contents of the file '{nul}' cannot be represented as a Nix string" in err.getvalue()


def test_the_language_server_gets_no_cap(capsys):
    # it starts threads with big stacks as it goes (they count against the cap)
    import resource
    import threading
    from nixlang.cli import main
    before = resource.getrlimit(resource.RLIMIT_DATA)
    stack, depth = threading.stack_size(), sys.getrecursionlimit()
    try:
        assert main(["lsp", "--help"]) == 0
    finally:                         # main sets both for the process; give this one its own back
        threading.stack_size(stack)
        sys.setrecursionlimit(depth)
    assert resource.getrlimit(resource.RLIMIT_DATA) == before and memory._limit is None


def test_the_repl_survives_running_out(monkeypatch):
    from nixlang.repl import Repl
    monkeypatch.setenv("PYNIX_MAX_MEMORY", "64M")
    r = Repl()
    out = r.handle('builtins.readFile "/dev/zero"')
    assert out.startswith("error: out of memory\n") and "[E214]" in out
    assert r.handle("1 + 1") == "2\n"


# a string that doubles forty times: a terabyte, unless something stops it
GROWING = 'let f = n: s: if n == 0 then s else f (n - 1) (s + s); in builtins.stringLength (f 40 "x")'


def test_the_editor_skips_an_evaluation_that_runs_out(tmp_path):
    """The editor's worker process limits each job's memory (the policy's
    `memory`, RLIMIT_DATA in the worker): the job stops, nothing is reported."""
    from nixlang.ide.evaluation import evaluate
    from nixlang.ide.policy import Policy
    doc = tmp_path / "doc.nix"
    policy = Policy(memory=64 << 20).for_document(str(doc))
    outcome = evaluate(GROWING, str(doc), timeout=60, policy=policy)
    assert (outcome.status, outcome.detail) == ("skipped", "out of memory")
    # the worker was replaced, the next job runs
    assert evaluate("1 + 1", str(doc), timeout=60, policy=policy).status == "ok"


STATUS = b"Name:\tpython\nVmPeak:\t  900000 kB\nVmSize:\t  500000 kB\nVmHWM:\t 1 kB\nVmData:\t  300000 kB\n"


@pytest.mark.parametrize("text,peak", [
    (STATUS, (900000 - (500000 - 300000)) * 1024),          # the peak less what is not data
    (STATUS.replace(b"900000", b"500000"), 300000 * 1024),  # no peak above now: VmData itself
    (b"VmPeak:\t 10 kB\nVmSize:\t 10 kB\n", 0),              # a field missing: unknown
    (STATUS.replace(b"300000 kB", b"lots"), 0),              # unreadable
    (b"", 0),
])
def test_peak_data_from_a_status(text, peak):
    assert memory.peak_data(text) == peak


def test_peak_data_remembers_a_freed_block():
    before = memory.data_in_use()
    block = bytearray(256 << 20)           # malloc maps it; freeing unmaps it
    del block
    assert memory.data_in_use() < before + (64 << 20)
    assert memory.peak_data() >= before + (192 << 20)


@pytest.mark.parametrize("error,limit,peak,ran_out,hidden", [
    (SystemError("error return without exception set"), 1 << 30, (1 << 30) - (1 << 20), False, True),
    (SystemError("error return without exception set"), 1 << 30, 1 << 29, False, False),
    (SystemError("error return without exception set"), 1 << 30, 1 << 29, True, True),
    (SystemError("error return without exception set"), None, 1 << 30, True, False),   # no guard
    (SystemError("bad argument"), 1 << 30, 1 << 30, True, False),
    (RuntimeError("error return without exception set"), 1 << 30, 1 << 30, True, False),
])
def test_hidden_out_of_memory(monkeypatch, error, limit, peak, ran_out, hidden):
    monkeypatch.setattr(memory, "_limit", limit)
    monkeypatch.setattr(memory, "_ran_out", ran_out)
    monkeypatch.setattr(memory, "peak_data", lambda: peak)
    assert memory.hidden_out_of_memory(error) is hidden
