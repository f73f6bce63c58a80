"""The memory guard: an evaluation that needs more memory than the machine
has fails with Nix's "out of memory" instead of making the machine swap.
(How garbage is collected is runtime/memory.py's business.)

Nix gets this from Boehm GC: when the collector's heap cannot grow, its
out-of-memory handler throws `std::bad_alloc`, and the `handleExceptions`
of every Nix command prints `error: out of memory` and exits 1. pynix gets
the same from the kernel: `install_guard` caps the process's data segment
(`RLIMIT_DATA`: the heap and private writable mappings, where Python's
objects live), so an allocation past the cap raises `MemoryError`, which
the commands print as Nix does.

The cap is what the process uses when the guard is installed (the big
stacks of the evaluation thread are already reserved then, and count) plus
a budget: `PYNIX_MAX_MEMORY` (bytes, or with a K/M/G/T suffix; `0`, `off` or
`unlimited` for no guard), by default three quarters of the physical
memory. A soft limit set lower before (`ulimit -d`) stays.

Reading files goes through `read_all`: a file that cannot fit in what is
left is refused before it is read (Nix would try, and run out), and a file
of unknown size (a device, a pipe, `/proc`) is read in chunks up to what is
left, so `builtins.readFile "/dev/zero"` fails fast and clean.

Where there is neither /proc nor `resource` (Pyodide, in the browser
playground), `data_in_use` is 0 and `install_guard` caps nothing; the
playground never installs it: the browser bounds a page's memory itself,
and a MemoryError there is Nix's "out of memory" as anywhere.
"""
from __future__ import annotations

import os
import re
import stat

ENV_VAR = "PYNIX_MAX_MEMORY"
_CHUNK = 1 << 24
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_limit: int | None = None          # the cap install_guard set, in bytes of VmData


def parse_size(text: str) -> int | None:
    """`4G`, `512m`, `1000000` -> bytes; `0`, `off`, `none`, `unlimited` -> None
    (no guard). Raises ValueError for anything else."""
    t = text.strip().lower()
    if t in ("0", "off", "none", "unlimited", "no"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?", t)
    if m is None:
        raise ValueError(f"not a memory size: '{text}' (write it like 4G or 512M, or off)")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def default_budget() -> int | None:
    """Three quarters of the physical memory: the rest is for the system and
    the other programs, so the guard trips before the machine swaps."""
    phys = physical_memory()
    return None if phys is None else phys * 3 // 4


def budget_from_env(environ=None) -> int | None:
    """The budget `PYNIX_MAX_MEMORY` asks for (None: no guard), or the default."""
    environ = os.environ if environ is None else environ
    text = environ.get(ENV_VAR)
    if text is None or not text.strip():
        return default_budget()
    return parse_size(text)


def _read_status() -> bytes:
    """The text of /proc/self/status; empty where there is none."""
    try:
        with open("/proc/self/status", "rb") as f:
            return f.read()
    except OSError:
        return b""


def status_fields(text: bytes, fields) -> list[int]:
    """`fields` read from the text of a /proc/PID/status (kB lines), in bytes;
    an empty list when one is missing or unreadable."""
    found = {}
    for line in text.splitlines():
        name, _, rest = line.partition(b":")
        if name in fields:
            try:
                found[name] = int(rest.split()[0]) * 1024
            except (ValueError, IndexError):
                return []
    return [found[f] for f in fields] if len(found) == len(fields) else []


def data_in_use() -> int:
    """The process's data segment now (VmData), in bytes; 0 where unknown."""
    got = status_fields(_read_status(), (b"VmData",))
    return got[0] if got else 0


def peak_data(status: bytes | None = None) -> int:
    """The most the data segment has held, estimated: the kernel keeps the
    peak of the whole address space (`VmPeak`) but not of the data segment,
    so the part that is not data (code, stacks, file mappings: `VmSize` less
    `VmData`, which hardly moves) is taken off the peak. 0 where unknown.
    When an allocation fails under the cap and the failure unwinds, what it
    held is freed: VmData is then far below the cap, the peak is not.
    `status`: the text of a /proc/PID/status (by default this process's)."""
    got = status_fields(_read_status() if status is None else status, (b"VmPeak", b"VmSize", b"VmData"))
    if not got:
        return 0
    peak, size, data = got
    return max(data, peak - (size - data))


def install_guard(budget: int | None) -> int | None:
    """Cap the data segment at what is in use now plus `budget` (no cap when
    `budget` is None). Returns the cap set, or None."""
    global _limit
    if budget is None:
        return None
    try:
        import resource
        soft, _hard = resource.getrlimit(resource.RLIMIT_DATA)
    except (ImportError, OSError, ValueError):
        return None
    if soft != resource.RLIM_INFINITY and soft <= data_in_use() + budget:
        _limit = soft
        return soft
    limit = limit_data(budget)
    if limit is None:
        return None
    # a one-shot command collects garbage cycles only under pressure: make
    # that pressure come before the cap
    from .memory import collect_before
    collect_before(budget // 2)
    return limit


def limit_data(budget: int) -> int | None:
    """Set the soft cap of the data segment to what is in use now plus
    `budget`, lower or higher than before (under the hard limit): the
    editor's worker does so before each job. Returns the cap, or None."""
    global _limit
    try:
        import resource
        _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = data_in_use() + budget
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ImportError, OSError, ValueError):
        return None
    _limit = limit
    return limit


def headroom() -> int | None:
    """Bytes the process may still allocate: under the guard, what is left of
    its cap; without one (a library user, the language server), the budget
    itself; None when unlimited."""
    if _limit is not None:
        return max(0, _limit - data_in_use())
    try:
        return budget_from_env()
    except ValueError:
        return default_budget()


def hidden_out_of_memory(e: BaseException) -> bool:
    """Whether `e` is an allocation that failed under the cap but reached
    Python as something else than MemoryError: CPython 3.11 has paths (a
    new chunk of a thread's frame stack among them) that fail without
    setting an exception, which the interpreter then reports as
    `SystemError: error return without exception set`, sometimes only
    when a frame returns after the MemoryError was handled. Such an error
    while the guard's cap is all but reached, or once the command has
    run out (`ran_out`), is running out of memory. "All but reached" is
    judged on the data segment's peak (`peak_data`), not on what it holds
    when the error is seen: by then the failed work may have been freed."""
    if type(e) is not SystemError or "without exception set" not in str(e) or _limit is None:
        return False
    return _ran_out or _limit - peak_data() < _HIDDEN_OOM_MARGIN


_HIDDEN_OOM_MARGIN = 32 << 20
_ran_out = False


def ran_out() -> None:
    """Note that the command met a MemoryError (and reported it)."""
    global _ran_out
    _ran_out = True


def has_run_out() -> bool:
    """Whether `ran_out` was noted in this process."""
    return _ran_out


def read_all(f, stop_at: bytes | None = None) -> bytes | None:
    """All of the binary file object `f`, or MemoryError when it cannot fit:
    its contents and the string made of them need twice its size. Once
    `stop_at` is seen the rest is read only to find the end, and None is
    returned (for readFile, which refuses a NUL byte anyway: /dev/zero then
    costs no memory to run out on)."""
    room = headroom()
    cap = None if room is None else room // 2
    try:
        st = os.fstat(f.fileno())
        regular = stat.S_ISREG(st.st_mode)
    except (OSError, AttributeError, ValueError):
        regular, st = False, None
    if regular:
        if cap is not None and st.st_size > cap:
            raise MemoryError(f"file of {st.st_size} bytes")
        data = f.read()
        return None if stop_at is not None and stop_at in data else data
    chunks: list[bytes] = []
    total = 0
    seen = False
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    while True:
        n = f.readinto(view)
        if not n:
            break
        total += n
        if cap is not None and total > cap:
            raise MemoryError(f"more than {cap} bytes")
        if seen:
            continue
        piece = bytes(view[:n])
        if stop_at is not None and stop_at in piece:
            seen = True
            chunks.clear()
            continue
        chunks.append(piece)
    return None if seen else b"".join(chunks)
