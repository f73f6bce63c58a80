"""The evaluation worker: the process in which the editor's evaluations run.

The language server never evaluates a document in its own process: a file
could hold the interpreter lock inside C code (a regular expression that
backtracks for hours), block in `read()` (a named pipe) or allocate without
end, and no thread can be stopped from the outside then. `runner` starts
this module as a separate process (`python -P`, calling `main`) and
kills it when a job overruns; this side runs the jobs.

Messages are JSON objects, each preceded by its length (4 bytes, big
endian), on the worker's stdin (from the server) and stdout (to it):

    <- {"op": "ready", "pid": PID}                      once, when imported and warmed up
    -> {"op": "job", "id": N, "job": {...}, "cpu": S}   run a job (see `run_job`)
    -> {"op": "stop", "id": N}                          stop job N (cancelled, or its time is up)
    <- {"op": "done", "id": N, "result": {...}, "rss": BYTES}

Jobs run one at a time in a thread with a big stack (deep Nix recursion),
like the CLI's. A stop raises `EvalCancelled` in that thread, which ends
Python code at once; the server kills the process when that does not work
in time. Before each job the worker limits itself (`resource`): the soft
RLIMIT_CPU to the CPU time used so far plus the job's seconds (SIGXCPU ends
the process), and RLIMIT_DATA to the memory in use plus the job's memory
(an allocation past it is a `MemoryError`). It writes no core files, runs
at a lower priority than the server, dies with the server
(PR_SET_PDEATHSIG, and end of input), and keeps its temporary files
(the session's scratch store) in the folder the server gives it (TMPDIR).
"""
from __future__ import annotations

import ctypes
import json
import math
import os
import queue
import struct
import sys
import threading

_HEADER = struct.Struct(">I")
MAX_MESSAGE = 1 << 30


# -- framing (both sides) -----------------------------------------------------------------------

def encode(msg: dict) -> bytes:
    body = json.dumps(msg, separators=(",", ":")).encode("utf-8")
    return _HEADER.pack(len(body)) + body


class Reader:
    """Splits a byte stream into messages (`feed` bytes, then `pop`)."""

    def __init__(self):
        self.buf = bytearray()

    def feed(self, data: bytes) -> None:
        self.buf += data

    def pop(self) -> dict | None:
        if len(self.buf) < _HEADER.size:
            return None
        (n,) = _HEADER.unpack_from(self.buf)
        if n > MAX_MESSAGE:
            raise ValueError(f"message of {n} bytes")
        if len(self.buf) < _HEADER.size + n:
            return None
        body = bytes(self.buf[_HEADER.size:_HEADER.size + n])
        del self.buf[:_HEADER.size + n]
        return json.loads(body)


# -- the worker process ---------------------------------------------------------------------------

STACK_SIZE = 512 * 1024 * 1024


class Worker:
    def __init__(self, in_fd: int, out_fd: int):
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.jobs: queue.Queue = queue.Queue()
        self.lock = threading.Lock()
        self.current: int | None = None       # the id of the job running
        self.tid: int | None = None

    def send(self, msg: dict) -> None:
        data = encode(msg)
        with self.lock:
            view = memoryview(data)
            while view:
                n = os.write(self.out_fd, view)
                view = view[n:]

    # the main thread: read messages, hand jobs over, deliver stops
    def read_loop(self) -> None:
        reader = Reader()
        while True:
            try:
                data = os.read(self.in_fd, 1 << 16)
            except InterruptedError:
                continue
            except OSError:
                data = b""
            if not data:
                os._exit(0)                    # the server is gone
            reader.feed(data)
            while True:
                msg = reader.pop()
                if msg is None:
                    break
                if msg.get("op") == "job":
                    self.jobs.put(msg)
                elif msg.get("op") == "stop":
                    self.stop(msg.get("id"))

    def stop(self, job_id) -> None:
        from .evaluation import EvalCancelled
        with self.lock:
            if self.current is not None and self.current == job_id and self.tid is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.tid),
                                                           ctypes.py_object(EvalCancelled))

    # the evaluation thread
    def job_loop(self) -> None:
        from .evaluation import EvalCancelled
        self.tid = threading.get_ident()
        while True:
            msg = result = None
            try:
                msg = self.jobs.get()
                _limit(msg.get("cpu"), (msg.get("job") or {}).get("policy", {}).get("memory"))
                with self.lock:
                    self.current = msg.get("id")
                try:
                    result = run_job(msg.get("job") or {})
                finally:
                    self._idle()
            except EvalCancelled:
                self._idle()           # a stop that came as the job ended
            if msg is not None:
                self.send({"op": "done", "id": msg.get("id"), "result": result or {"status": "cancelled"},
                           "rss": _rss()})

    def _idle(self) -> None:
        """No job runs: a stop sent for the last one must not hit what comes next."""
        with self.lock:
            self.current = None
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.tid), None)


def run_job(job: dict) -> dict:
    """One job: {"kind": "diagnostics", "text", "path", "budget", "policy"} or
    {"kind": "value", "program", "origin", "base_dir", "mode", "budget", "policy"} or
    {"kind": "pkgs-names", "nixpkgs", "budget", "policy"};
    {"kind": "options", ...} (see `option_eval`);
    a JSON result with at least a "status"."""
    from .evaluation import EvalCancelled, Skip
    try:
        if job.get("kind") == "diagnostics":
            from .evaluation import evaluate_document
            return evaluate_document(job)
        if job.get("kind") == "value":
            from .values import evaluate_job
            return evaluate_job(job)
        if job.get("kind") == "pkgs-names":
            from .nixpkgs import names_job
            return names_job(job)
        if job.get("kind") == "options":
            from .option_eval import evaluate_options_job
            return evaluate_options_job(job)
        return {"status": "internal", "detail": f"unknown job {job.get('kind')!r}"}
    except EvalCancelled:
        return {"status": "cancelled"}
    except Skip as why:
        return {"status": "skipped", "detail": str(why) or "needs the network"}
    except RecursionError:
        return {"status": "skipped", "detail": "recursion too deep"}
    except MemoryError:
        return {"status": "skipped", "detail": "out of memory", "recycle": True}
    except Exception as exc:            # a pynix bug: the server logs it, never shows it as a diagnostic
        return {"status": "internal", "detail": repr(exc)}


def _limit(cpu, memory) -> None:
    """This job's limits: `cpu` more seconds of CPU time, `memory` more bytes of data."""
    import resource
    from ..runtime import memory_guard
    if isinstance(cpu, (int, float)) and cpu > 0:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime + cpu)
        try:
            _, hard = resource.getrlimit(resource.RLIMIT_CPU)
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        except (ValueError, OSError):
            pass
    if isinstance(memory, int) and memory > 0:
        cap = memory_guard.default_budget()
        memory_guard.limit_data(min(memory, cap) if cap else memory)


def _rss() -> int:
    from ..runtime.memory import resident_bytes
    try:
        return resident_bytes()
    except Exception:
        return 0


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)                    # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        os._exit(0)


def _warm_up() -> None:
    """Import and run the evaluator once, so that the first job is fast."""
    from ..evaluator import EvalOptions, Evaluator
    from ..runtime.memory import tune_gc
    from . import evaluation, values  # noqa: F401
    Evaluator(EvalOptions()).eval_string("builtins.length [ 1 ]")
    tune_gc()


def main() -> None:
    import resource
    import signal
    _die_with_parent()
    # the pipes to the server are kept apart: anything printed goes to stderr
    in_fd, out_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # the server decides when this process ends
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    try:
        os.nice(5)
    except OSError:
        pass
    sys.setrecursionlimit(1_000_000)
    _warm_up()
    w = Worker(in_fd, out_fd)
    from ..runtime.stack import in_roomy_frame_stack
    old = threading.stack_size()
    threading.stack_size(STACK_SIZE)
    try:
        t = threading.Thread(target=lambda: in_roomy_frame_stack(w.job_loop), name="pynix-eval", daemon=True)
        t.start()
    finally:
        threading.stack_size(old)
    w.send({"op": "ready", "pid": os.getpid()})
    w.read_loop()


if __name__ == "__main__":
    main()
