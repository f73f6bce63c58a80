"""The Nix daemon's store (`--store daemon`, `unix://SOCKET`, `auto`):
pynix writes what it instantiates through Nix's worker protocol
(`nixlang/store/daemon.py`), and real Nix then builds it.

The wire format is checked against a scripted daemon on a socket pair
(always runs); the rest against a real `nix-daemon` that the tests start on
a socket and a chroot store of their own (skipped without Debian's nix-bin,
or when not root: the daemon of a chroot store must be)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nixlang.store import store_path_for_text
from nixlang.store.daemon import (STDERR_ERROR, STDERR_LAST, STDERR_NEXT, WORKER_MAGIC_1, WORKER_MAGIC_2,
                                  DaemonError, DaemonStore, _Conn)

NIX_DAEMON = shutil.which("nix-daemon")
needs_daemon = pytest.mark.skipif(NIX_DAEMON is None or os.geteuid() != 0,
                                  reason="needs Debian's nix-bin (nix-daemon) and root")

# -- the wire format ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, wire", [
    ("", b"\0" * 8),
    ("abc", b"\3" + b"\0" * 7 + b"abc" + b"\0" * 5),
    ("12345678", b"\x08" + b"\0" * 7 + b"12345678"),
    ("é", b"\2" + b"\0" * 7 + "é".encode() + b"\0" * 6),
])
def test_strings_are_length_bytes_and_padding(value, wire):
    c = _Conn(None)
    c.string(value)
    assert b"".join(c.out) == wire


def _scripted_daemon(script):
    """A socket whose other end plays `script(send, recv)` as the daemon."""
    ours, theirs = socket.socketpair()

    def num(n):
        theirs.sendall(struct.pack("<Q", n))

    def string(s):
        data = s.encode()
        num(len(data))
        theirs.sendall(data + b"\0" * (-len(data) % 8))

    def recv_num():
        data = b""
        while len(data) < 8:
            data += theirs.recv(8 - len(data))
        return struct.unpack("<Q", data)[0]

    def play():
        assert recv_num() == WORKER_MAGIC_1
        num(WORKER_MAGIC_2)
        num((1 << 8) | 34)
        recv_num(), recv_num(), recv_num()        # client version, affinity, reserve space
        string("2.8.0")
        num(STDERR_LAST)
        script(num, string, recv_num)
        theirs.close()
    t = threading.Thread(target=play, daemon=True)
    t.start()
    return ours, t


def _with_socket(sock) -> DaemonStore:
    store = DaemonStore.__new__(DaemonStore)
    store.socket_path, store.store_dir, store.root = "(test)", "/nix/store", None
    store.conn = _Conn(sock)
    store.daemon_version, store.nix_version, store.log = 0, None, None
    store._handshake()
    return store


def test_a_daemon_error_is_raised_with_its_message_after_its_log():
    def script(num, string, recv_num):
        recv_num()                       # the operation
        num(STDERR_NEXT)
        string("a log line")
        num(STDERR_ERROR)
        string("Error")
        num(0)
        string("Error")
        string("path '/tmp/x' is not in the Nix store")
        num(0)
        num(0)
    sock, t = _scripted_daemon(script)
    store = _with_socket(sock)
    assert store.nix_version == "2.8.0"
    with pytest.raises(DaemonError, match="is not in the Nix store"):
        store.is_valid("/tmp/x")
    t.join(5)


def test_a_daemon_that_hangs_up_is_an_error_not_a_traceback():
    def script(num, string, recv_num):
        recv_num()
    sock, t = _scripted_daemon(script)
    store = _with_socket(sock)
    with pytest.raises(DaemonError, match="closed the connection|reading from the Nix daemon"):
        store.is_valid("/nix/store/00000000000000000000000000000000-x")
    t.join(5)


def test_not_a_daemon_is_refused():
    ours, theirs = socket.socketpair()
    theirs.sendall(struct.pack("<Q", 42))
    with pytest.raises(DaemonError, match="not a Nix daemon"):
        _with_socket(ours)


def pynix(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "nixlang", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=300)


def test_no_daemon_gives_nix_s_error(tmp_path):
    sock = tmp_path / "none" / "socket"
    (tmp_path / "a.nix").write_text('derivation { name = "x"; system = "x"; builder = "/bin/sh"; }')
    r = pynix("instantiate", "--store", f"unix://{sock}", str(tmp_path / "a.nix"))
    assert r.returncode == 1
    assert r.stderr == f"error: cannot connect to socket at '{sock}': No such file or directory\n"
    assert "Traceback" not in r.stderr


def test_auto_without_a_daemon_is_the_local_store(tmp_path):
    (tmp_path / "a.nix").write_text('builtins.toFile "a.txt" "a"')
    r = pynix("instantiate", "--eval", "--read-write-mode", "--store", "auto", str(tmp_path / "a.nix"),
              env={"NIX_DAEMON_SOCKET_PATH": str(tmp_path / "no-socket"), "XDG_DATA_HOME": str(tmp_path)})
    assert r.returncode == 0, r.stderr
    out = r.stdout.strip().strip('"')
    assert (tmp_path / "pynix" / "store" / out.lstrip("/")).is_file()


# -- a real daemon --------------------------------------------------------------------------------

def _sandbox_paths() -> str:
    """Nix's sandbox needs /bin/sh inside: the host's tools, symlinked folders resolved."""
    pairs = []
    for d in ("/bin", "/usr", "/lib", "/lib64"):
        if os.path.exists(d):
            real = os.path.realpath(d)
            pairs.append(d if real == d else f"{d}={real}")
    return " ".join(pairs)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    if NIX_DAEMON is None or os.geteuid() != 0:
        pytest.skip("needs Debian's nix-bin (nix-daemon) and root")
    base = tmp_path_factory.mktemp("daemon")
    sock = base / "socket"
    env = {**os.environ, "NIX_DAEMON_SOCKET_PATH": str(sock)}
    proc = subprocess.Popen([NIX_DAEMON, "--store", str(base / "root"), "--option", "sandbox-paths",
                             _sandbox_paths(), "--option", "substituters", ""],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not sock.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    if not sock.exists():
        proc.kill()
        pytest.fail(f"nix-daemon did not start: {proc.stderr.read().decode(errors='replace')}")
    yield {"socket": sock, "root": base / "root", "env": {"NIX_DAEMON_SOCKET_PATH": str(sock)}}
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def nix_store(daemon, *args):
    return subprocess.run(["nix-store", "--store", "daemon", *args], capture_output=True, text=True,
                          env={**os.environ, **daemon["env"]}, timeout=300)


PROJECT = {
    "b.sh": 'read x < "$dep"; echo "top uses $x, $(read n < "$note"; echo "$n") (from $dep)" > "$out"\n',
    "default.nix": """
let
  dep = derivation { name = "dep"; system = "x86_64-linux"; builder = "/bin/sh";
                     args = [ "-c" "echo dep > $out" ]; };
in derivation {
  name = "top"; system = "x86_64-linux"; builder = "/bin/sh";
  args = [ "-c" ". $src" ];
  src = ./b.sh;
  inherit dep;
  note = builtins.toFile "note.txt" "a note";
  tree = builtins.path { path = ./data; name = "data"; };
}
""",
    "data/one": "1\n",
    "data/sub/two": "2\n",
}


@pytest.fixture
def project(tmp_path):
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@needs_daemon
@pytest.mark.parametrize("spec", ["daemon", "unix", "auto"])
def test_instantiate_writes_through_the_daemon(daemon, project, spec):
    store = {"daemon": "daemon", "unix": f"unix://{daemon['socket']}", "auto": "auto"}[spec]
    r = pynix("instantiate", "--store", store, str(project), env=daemon["env"])
    assert r.returncode == 0, r.stderr
    drv = r.stdout.split()[0]
    # the same path as Nix's own instantiation (written to a scratch chroot store)
    nix = subprocess.run(["nix-instantiate", "--store", str(project / "nix-root"), str(project)],
                         capture_output=True, text=True, timeout=300)
    assert nix.returncode == 0, nix.stderr
    assert nix.stdout.split()[0] == drv
    # registered in the daemon's database, with the references Nix gives them
    q = nix_store(daemon, "-q", "--references", drv)
    assert q.returncode == 0, q.stderr
    names = sorted(p.split("-", 1)[1] for p in q.stdout.split())
    assert names == ["b.sh", "data", "dep.drv", "note.txt"]
    # and the whole store is valid and intact as the daemon checks it
    v = nix_store(daemon, "--verify", "--check-contents")
    assert v.returncode == 0 and "error" not in v.stderr, v.stderr


@needs_daemon
def test_real_nix_builds_what_pynix_instantiated(daemon, project):
    r = pynix("instantiate", "--store", "daemon", str(project), env=daemon["env"])
    assert r.returncode == 0, r.stderr
    drv = r.stdout.split()[0]
    built = nix_store(daemon, "--realise", drv)
    assert f"building '{drv}'" in built.stderr
    # (the client then reads the .drv itself to print the outputs, which a chroot store does not let it)
    out = pynix("instantiate", "--eval", "-E", f"(import {project}).outPath").stdout.strip().strip('"')
    text = (daemon["root"] / out.lstrip("/")).read_text()
    assert text.startswith("top uses dep, a note (from /nix/store/") and text.endswith("-dep)\n")
    # its closure, as the daemon's database records it: the output refers to dep's
    g = pynix("graph", "--store", f"unix://{daemon['socket']}", "--format", "json", out)
    assert g.returncode == 0, g.stderr
    nodes = {n["label"]: n for n in json.loads(g.stdout)["nodes"]}
    assert set(nodes) == {"top", "dep"}
    assert nodes["top"]["closureSize"] == nodes["top"]["narSize"] + nodes["dep"]["narSize"]


@needs_daemon
def test_writing_twice_is_idempotent(daemon, project):
    first = pynix("instantiate", "--store", "daemon", str(project), env=daemon["env"])
    second = pynix("instantiate", "--store", "daemon", str(project), env=daemon["env"])
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


@needs_daemon
def test_the_client_checks_the_daemon_s_path(daemon):
    with DaemonStore(str(daemon["socket"])) as store:
        good = store_path_for_text("t.txt", b"text")
        assert store.add_text(good, b"text") == good
        assert store.is_valid(good)
        info = store.query_path_info(good)
        assert info.references == [] and info.nar_size > 0 and info.ca.startswith("text:sha256:")
        with pytest.raises(DaemonError, match="where pynix computed"):
            store.add_text(store_path_for_text("u.txt", b"one"), b"another")
        assert store.query_path_info("/nix/store/00000000000000000000000000000000-none") is None
        with pytest.raises(DaemonError, match="not in the Nix store"):
            store.is_valid("/tmp/elsewhere")
        assert store.is_valid(good)          # the connection goes on after an error


@needs_daemon
def test_the_daemon_builds_on_pynix_s_request(daemon, tmp_path):
    (tmp_path / "ok.nix").write_text(
        'derivation { name = "ok"; system = "x86_64-linux"; builder = "/bin/sh"; '
        'args = [ "-c" "echo building now; echo fine > $out" ]; }')
    (tmp_path / "bad.nix").write_text(
        'derivation { name = "bad"; system = "x86_64-linux"; builder = "/bin/sh"; '
        'args = [ "-c" "echo about to fail; exit 3" ]; }')
    paths = {}
    for name in ("ok", "bad"):
        r = pynix("instantiate", "--store", "daemon", str(tmp_path / f"{name}.nix"), env=daemon["env"])
        assert r.returncode == 0, r.stderr
        paths[name] = r.stdout.split()[0]
    lines: list = []
    with DaemonStore(str(daemon["socket"])) as store:
        store.log = lines.append
        store.build_paths([(paths["ok"], ["out"])])
        assert "building now" in lines
        out = pynix("instantiate", "--eval", str(tmp_path / "ok.nix"), "-A", "outPath").stdout.strip().strip('"')
        assert (daemon["root"] / out.lstrip("/")).read_text() == "fine\n"
        assert store.query_path_info(out).deriver == paths["ok"]
        with pytest.raises(DaemonError) as failed:
            store.build_paths([(paths["bad"], ["out"])])
        assert f"builder for '{paths['bad']}' failed with exit code 3" in str(failed.value)
        assert "about to fail" in lines


@needs_daemon
def test_pynix_build_through_the_daemon(daemon, tmp_path):
    (tmp_path / "ok.nix").write_text(
        'derivation { name = "ok2"; system = "x86_64-linux"; builder = "/bin/sh"; '
        'args = [ "-c" "echo made it; echo fine > $out" ]; }')
    (tmp_path / "bad.nix").write_text(
        'derivation { name = "bad2"; system = "x86_64-linux"; builder = "/bin/sh"; '
        'args = [ "-c" "echo about to fail; exit 3" ]; }')
    r = pynix("build", "--store", f"unix://{daemon['socket']}", str(tmp_path / "ok.nix"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout.strip()
    assert out.startswith("/nix/store/") and out.endswith("-ok2")
    assert os.readlink(tmp_path / "result") == out
    assert "made it" in r.stderr.splitlines() and "-ok2.drv'..." in r.stderr
    assert (daemon["root"] / out.lstrip("/")).read_text() == "fine\n"
    # a failure: Nix's message and status through the daemon (nix-build exits 1 there too)
    r = pynix("build", "--store", "daemon", str(tmp_path / "bad.nix"), env=daemon["env"], cwd=tmp_path)
    assert r.returncode == 1
    assert "-bad2.drv' failed with exit code 3;" in r.stderr and "> about to fail" in r.stderr
    assert "Traceback" not in r.stderr
