"""A client of Nix's daemon: the store of a multi-user Nix install.

With `--store daemon` (or `unix://SOCKET`, or `auto` when the daemon's socket
is there, as Nix chooses) the objects an evaluation writes — `.drv` files,
`toFile` results, copied sources, fetched files — go to the Nix daemon, which
registers them in its store. Real Nix can then build what pynix
instantiated: `nix-store --realise $(pynix instantiate file.nix)`.

The conversation is Nix's worker protocol (C++ Nix: `RemoteStore`, the
daemon's `processConnection` in daemon.cc), spoken over a Unix socket:

- Numbers are 64-bit little-endian; a string is its length as a number, its
  bytes, and zeros up to a multiple of 8; a list is its length then its items.
- The handshake: the client sends WORKER_MAGIC_1, the daemon answers
  WORKER_MAGIC_2 and its protocol version; the client sends its own version,
  then "no CPU affinity" and "no space to reserve"; from version 1.33 on
  the daemon sends its Nix version; then its log messages, up to STDERR_LAST.
- Every operation is its number and its arguments; the daemon then streams
  log messages (`processStderr`: text, activities, results) and ends them
  with STDERR_LAST, after which the operation's answer follows, or with
  STDERR_ERROR and the error, which this client raises as a `DaemonError`
  carrying the daemon's message.
- Data too big for one string (a NAR, a file's contents) is sent *framed*:
  chunks, each preceded by its length, then an empty chunk (protocol 1.23+,
  `FramedSink`).

Objects are added with `wopAddToStore` in its content-addressed form
(protocol 1.25+): a name, a content-address method (`text:sha256`,
`fixed:r:sha256`, `fixed:sha256`), references, and the framed contents. The
daemon computes the store path itself; this client checks that it is the
path pynix computed, so a disagreement is an error, never a silent wrong
path. This protocol version is Nix 2.8's (1.34); the daemon agrees on the
lower of the two versions, and versions before 1.25 are refused.
"""
from __future__ import annotations

import os
import re
import socket
import struct
from typing import Iterable

from .errors import StoreError
from .nar import dump_path
from .paths import STORE_DIR

WORKER_MAGIC_1 = 0x6E697863
WORKER_MAGIC_2 = 0x6478696F
PROTOCOL_VERSION = (1 << 8) | 34
MIN_MINOR = 25

# operations (worker-protocol.hh)
OP_IS_VALID_PATH = 1
OP_ADD_TO_STORE = 7
OP_BUILD_PATHS = 9
OP_ADD_TEMP_ROOT = 11
OP_QUERY_PATH_INFO = 26

# log messages before an answer
STDERR_NEXT = 0x6F6C6D67
STDERR_READ = 0x64617461
STDERR_WRITE = 0x64617416
STDERR_LAST = 0x616C7473
STDERR_ERROR = 0x63787470
STDERR_START_ACTIVITY = 0x53545254
STDERR_STOP_ACTIVITY = 0x53544F50
STDERR_RESULT = 0x52534C54
RES_BUILD_LOG_LINE = 101        # a result: one line of a builder's output
LVL_INFO = 3                    # the verbosity a client shows by default

DEFAULT_SOCKET = "/nix/var/nix/daemon-socket/socket"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")     # the daemon's messages are coloured (filterANSIEscapes)
FRAME = 1 << 16


class DaemonError(StoreError):
    """The daemon refused an operation, or the conversation broke."""


def socket_path() -> str:
    """Where the daemon listens: NIX_DAEMON_SOCKET_PATH, else under
    NIX_STATE_DIR, else Nix's default (settings.nixDaemonSocketFile)."""
    explicit = os.environ.get("NIX_DAEMON_SOCKET_PATH")
    if explicit:
        return explicit
    state = os.environ.get("NIX_STATE_DIR")
    if state:
        return os.path.join(state, "daemon-socket", "socket")
    return DEFAULT_SOCKET


def daemon_available(path: str | None = None) -> bool:
    """Whether a daemon answers at `path` (Nix's `auto` store: the daemon
    when its socket exists and can be connected to)."""
    path = path or socket_path()
    if not os.path.exists(path):
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class _Conn:
    """The wire format on one socket: numbers, strings, lists, frames."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.out: list[bytes] = []
        self.buf = b""

    # writing (buffered until `flush`)
    def num(self, n: int) -> None:
        self.out.append(struct.pack("<Q", n))

    def string(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.num(len(data))
        self.out.append(data)
        if len(data) % 8:
            self.out.append(b"\0" * (8 - len(data) % 8))

    def strings(self, items: Iterable[str]) -> None:
        items = list(items)
        self.num(len(items))
        for s in items:
            self.string(s)

    def frame(self, data: bytes) -> None:
        if data:
            self.num(len(data))
            self.out.append(data)
            if sum(map(len, self.out)) >= FRAME:
                self.flush()

    def flush(self) -> None:
        if self.out:
            data = b"".join(self.out)
            self.out.clear()
            try:
                self.sock.sendall(data)
            except OSError as exc:
                raise DaemonError(f"writing to the Nix daemon: {exc.strerror or exc}") from None

    # reading
    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(max(FRAME, n - len(self.buf)))
            except OSError as exc:
                raise DaemonError(f"reading from the Nix daemon: {exc.strerror or exc}") from None
            if not chunk:
                raise DaemonError("the Nix daemon closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_num(self) -> int:
        return struct.unpack("<Q", self._read(8))[0]

    def read_bytes(self) -> bytes:
        n = self.read_num()
        data = self._read(n)
        if n % 8:
            self._read(8 - n % 8)
        return data

    def read_string(self) -> str:
        return self.read_bytes().decode("utf-8", "surrogateescape")

    def read_strings(self) -> list[str]:
        return [self.read_string() for _ in range(self.read_num())]


class PathInfo:
    """What the daemon knows of a valid path (ValidPathInfo)."""

    __slots__ = ("path", "deriver", "nar_hash", "references", "registration_time", "nar_size",
                 "ultimate", "sigs", "ca")

    def __init__(self, path, deriver, nar_hash, references, registration_time, nar_size, ultimate, sigs, ca):
        self.path, self.deriver, self.nar_hash = path, deriver, nar_hash
        self.references, self.registration_time, self.nar_size = references, registration_time, nar_size
        self.ultimate, self.sigs, self.ca = ultimate, sigs, ca

    def __repr__(self) -> str:
        return f"PathInfo({self.path!r}, nar_hash={self.nar_hash!r}, references={self.references!r})"


class DaemonStore:
    """The store behind a Nix daemon, with the writer interface of
    `LocalStore` (`add_text`, `add_tree`, `has`, `real_path`), so the
    evaluator writes through it unchanged."""

    def __init__(self, path: str | None = None, store_dir: str = STORE_DIR):
        self.socket_path = path or socket_path()
        self.store_dir = store_dir
        self.root = None
        self.conn: _Conn | None = None
        self.log = None             # where the daemon's messages go (a function of a line), or kept
        self.daemon_version = 0
        self.nix_version = None
        self._connect()

    def _connect(self) -> _Conn:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.socket_path)
        except OSError as exc:
            s.close()
            raise DaemonError(f"cannot connect to socket at '{self.socket_path}': {exc.strerror or exc}") from None
        self.conn = _Conn(s)
        try:
            self._handshake()
        except DaemonError:
            self.close()
            raise
        return self.conn

    def _handshake(self) -> None:
        c = self.conn
        c.num(WORKER_MAGIC_1)
        c.flush()
        if c.read_num() != WORKER_MAGIC_2:
            raise DaemonError("protocol mismatch: that socket is not a Nix daemon's")
        self.daemon_version = c.read_num()
        if self.daemon_version >> 8 != 1:
            raise DaemonError("Nix daemon protocol version not supported")
        if self.minor < MIN_MINOR:
            raise DaemonError(f"the Nix daemon is too old (protocol 1.{self.minor}; pynix needs 1.{MIN_MINOR})")
        c.num(PROTOCOL_VERSION)
        c.num(0)                 # no CPU affinity (minor >= 14)
        c.num(0)                 # no space to reserve (minor >= 11)
        c.flush()
        if self.minor >= 33:
            self.nix_version = c.read_string()
        self._stderr()

    @property
    def minor(self) -> int:
        return min(self.daemon_version, PROTOCOL_VERSION) & 0xFF

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.sock.close()
            except OSError:
                pass
            self.conn = None

    def _op(self, op: int, *strings: str) -> _Conn:
        """Send operation `op` with its string arguments, ready for more."""
        c = self.conn or self._connect()
        c.num(op)
        for s in strings:
            c.string(s)
        return c

    def _answer(self) -> _Conn:
        """Flush, then read the daemon's log up to the answer. After an
        error the connection is dropped (the daemon may have stopped
        reading mid-operation); the next operation opens another."""
        c = self.conn
        try:
            c.flush()
            self._stderr()
        except DaemonError:
            self.close()
            raise
        return c

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the daemon's log messages (RemoteStore::Connection::processStderr) --------------------
    def _stderr(self) -> list[str]:
        c = self.conn
        log: list[str] = []
        say = self.log or log.append
        while True:
            kind = c.read_num()
            if kind == STDERR_LAST:
                return log
            if kind == STDERR_ERROR:
                raise DaemonError(self._read_error())
            if kind == STDERR_NEXT:
                say(c.read_string().rstrip("\n"))
            elif kind == STDERR_START_ACTIVITY:
                c.read_num()                                  # id
                level = c.read_num()
                c.read_num()                                  # type
                text = c.read_string()
                self._fields()
                c.read_num()                                  # parent
                if text and level <= LVL_INFO:                # as Nix's simple logger shows them
                    say(text + "...")
            elif kind == STDERR_STOP_ACTIVITY:
                c.read_num()
            elif kind == STDERR_RESULT:
                c.read_num()
                rtype = c.read_num()
                fields = self._fields()
                if rtype == RES_BUILD_LOG_LINE and fields:
                    say(str(fields[0]))
            elif kind in (STDERR_READ, STDERR_WRITE):
                raise DaemonError("the Nix daemon asked for a data transfer pynix does not make")
            else:
                raise DaemonError(f"unknown message from the Nix daemon ({kind:#x})")

    def _fields(self) -> list:
        c = self.conn
        return [c.read_num() if c.read_num() == 0 else c.read_string() for _ in range(c.read_num())]

    def _read_error(self) -> str:
        """An error (minor >= 26): type, level, name, message, position, traces."""
        c = self.conn
        c.read_string()             # "Error"
        c.read_num()                # level
        c.read_string()             # name
        msg = c.read_string()
        c.read_num()                # have a position: always 0 over the wire
        for _ in range(c.read_num()):
            c.read_num()
            c.read_string()
        return _ANSI.sub("", msg)

    # -- operations -----------------------------------------------------------------------------
    def is_valid(self, store_path: str) -> bool:
        self._op(OP_IS_VALID_PATH, store_path)
        return bool(self._answer().read_num())

    has = is_valid

    def real_path(self, store_path: str) -> str:
        """The daemon's objects are read where the store dir says."""
        if not store_path.startswith(self.store_dir + "/"):
            raise ValueError(f"path '{store_path}' is not in the Nix store")
        return store_path

    def query_path_info(self, store_path: str) -> PathInfo | None:
        self._op(OP_QUERY_PATH_INFO, store_path)
        if not self._answer().read_num():
            return None
        return self._path_info(store_path)

    def _path_info(self, path: str) -> PathInfo:
        c = self.conn
        deriver = c.read_string() or None
        nar_hash = c.read_string()
        refs = c.read_strings()
        reg, size, ultimate = c.read_num(), c.read_num(), bool(c.read_num())
        sigs = c.read_strings()
        ca = c.read_string() or None
        return PathInfo(path, deriver, nar_hash, refs, reg, size, ultimate, sigs, ca)

    def build_paths(self, drv_outputs: Iterable[tuple[str, Iterable[str]]]) -> None:
        """wopBuildPaths: build the given outputs of derivations already in
        the daemon's store (or substitute them), inputs first, as
        `nix-store --realise` does; a failure is raised with Nix's message.
        Build logs go to `self.log` when set."""
        c = self._op(OP_BUILD_PATHS)
        items = [f"{drv}!{','.join(sorted(outs))}" for drv, outs in drv_outputs]
        c.strings(items)
        c.num(0)                                    # bmNormal
        self._answer().read_num()

    def add_temp_root(self, store_path: str) -> None:
        """Keep `store_path` from the garbage collector while this connection lives."""
        self._op(OP_ADD_TEMP_ROOT, store_path)
        self._answer().read_num()

    def _add(self, store_path: str, method: str, references: Iterable[str], write) -> PathInfo:
        """wopAddToStore, content-addressed (protocol 1.25+): the daemon makes
        the store path from `method` and the framed contents `write` sends."""
        name = store_path[len(self.store_dir) + 1:].split("-", 1)[1]
        c = self._op(OP_ADD_TO_STORE, name, method)
        c.strings(sorted(references))
        c.num(0)                                    # no repair
        try:
            write(c.frame)
        except BaseException:
            self.close()                            # half an operation sent: this connection is done
            raise
        c.num(0)                                    # the empty frame: the end
        c = self._answer()
        got = c.read_string()
        info = self._path_info(got)
        if got != store_path:
            raise DaemonError(f"the Nix daemon stored '{got}' where pynix computed '{store_path}'")
        return info

    def add_text(self, store_path: str, data: bytes, references: Iterable[str] = ()) -> str:
        """A text object (a .drv, a `toFile` result) with its references."""
        if not self.is_valid(store_path):
            self._add(store_path, "text:sha256", references, lambda frame: frame(data))
        return store_path

    def add_tree(self, store_path: str, source: str, path_filter=None, method: str = "fixed:r:sha256") -> str:
        """A copied path: its NAR (`fixed:r:ALGO`) or, flat (`fixed:ALGO`), the
        file's bytes."""
        if self.is_valid(store_path):
            return store_path

        def write(frame):
            if method.startswith("fixed:r:"):
                pending: list[bytes] = []
                size = 0

                def sink(data: bytes) -> None:
                    nonlocal size
                    pending.append(bytes(data))
                    size += len(data)
                    if size >= FRAME:
                        frame(b"".join(pending))
                        pending.clear()
                        size = 0
                dump_path(source, sink, path_filter)
                frame(b"".join(pending))
            else:
                with open(source, "rb") as f:
                    while True:
                        chunk = f.read(FRAME)
                        if not chunk:
                            break
                        frame(chunk)
        self._add(store_path, method, (), write)
        return store_path
