"""Running the editor's evaluations in worker processes that can be killed.

An `EvalRunner` is one lane of work: one worker process (`worker`) at a
time, one job at a time, jobs in the order they came. Its supervisor thread
(one per runner; never the server's event loop) sends each job, waits for
the answer, and enforces the job's deadline, measured from submission (a
value a hover waits for) or from the job's start (`from_start`: a file's
diagnostics, which may wait behind others):

- a job cancelled or out of time before it starts never starts;
- when a running job is cancelled or its time is up, the worker is asked
  to stop it (`stop`: an exception in the evaluation thread, which ends
  Python code at once); when no answer comes within `GRACE` seconds (the
  worker holds the interpreter lock inside C code, or is blocked in a
  system call), the process is killed (SIGKILL) and the job ends there;
- a worker that dies (its CPU limit, the kernel's OOM killer, a crash) or
  ran out of memory, or grew past `RECYCLE_RSS`, is replaced.

Replacements are cheap: a spawner thread keeps one spare worker started,
imported and warmed up (`python -P -c "...worker import main; main()"`, about half a
second of CPU), so a killed worker's successor is ready at once. The
spawner is a long-lived thread because the workers ask to die with the
thread that started them (PR_SET_PDEATHSIG). Workers get the session's
temporary folder as TMPDIR (their scratch store goes there); `shutdown`,
also run at exit, kills every worker and removes the folder (the folder of
a server killed by a signal is removed by the next server).

Callers submit a job (JSON data, see `worker.run_job`) and get a `Job`:
wait on `job.done`; `job.outcome` is the worker's result (a dict with a
"status"), or {"status": "timeout" | "cancelled" | "skipped" | "internal"}.
"""
from __future__ import annotations

import atexit
import itertools
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from .worker import Reader, encode

GRACE = 0.5                   # seconds a stopped job has to end before its worker is killed
RECYCLE_RSS = 768 << 20       # a worker that holds more memory than this after a job is replaced
START_TIMEOUT = 60.0          # seconds a new worker may take to import the evaluator
_ids = itertools.count(1)


class WorkerUnavailable(Exception):
    """No worker process could be started."""


class WorkerProcess:
    """One worker process and the two pipes to it."""

    def __init__(self, tmpdir: str):
        env = dict(os.environ, TMPDIR=tmpdir)
        # -P: the folder the server runs in (maybe the checkout) is not on sys.path
        self.proc = subprocess.Popen([sys.executable, "-P", "-c", "from nixlang.ide.worker import main; main()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     start_new_session=True, bufsize=0)
        self.pid = self.proc.pid
        self.in_fd = self.proc.stdin.fileno()
        self.out_fd = self.proc.stdout.fileno()
        os.set_blocking(self.in_fd, False)
        os.set_blocking(self.out_fd, False)
        self.reader = Reader()
        self.dead = False

    def send(self, msg: dict, deadline: float) -> bool:
        """Write a message; False when the worker is gone or does not read it by `deadline`."""
        view = memoryview(encode(msg))
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or self.dead:
                return False
            try:
                _, w, _ = select.select([], [self.in_fd], [], min(left, 0.1))
                if w:
                    view = view[os.write(self.in_fd, view):]
            except (BlockingIOError, InterruptedError):
                continue
            except (OSError, ValueError):
                self.dead = True
                return False
        return True

    def receive(self, timeout: float) -> dict | None:
        """The next message, or None after `timeout` seconds (or when the worker
        died: then `dead` is set)."""
        msg = self._pop()
        if msg is not None:
            return msg
        end = time.monotonic() + timeout
        while not self.dead:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                r, _, _ = select.select([self.out_fd], [], [], left)
                if not r:
                    return None
                data = os.read(self.out_fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                continue
            except (OSError, ValueError):
                data = b""
            if not data:
                self.dead = True
                return None
            self.reader.feed(data)
            msg = self._pop()
            if msg is not None:
                return msg
        return None

    def _pop(self) -> dict | None:
        try:
            return self.reader.pop()
        except ValueError:          # not our protocol: the worker is broken
            self.kill()
            return None

    def kill(self) -> None:
        self.dead = True
        try:
            self.proc.kill()
        except OSError:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass

    def end_signal(self) -> int | None:
        """The signal that ended the process, once it has ended."""
        try:
            code = self.proc.wait(2)
        except subprocess.TimeoutExpired:
            return None
        return -code if code is not None and code < 0 else None


SESSION_PREFIX = "pynix-eval-session-"


def _remove_orphans() -> None:
    """Remove the session folders of servers that are gone (killed by a signal,
    they could not remove their own): each folder's name holds its server's pid."""
    base = tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(base) if n.startswith(SESSION_PREFIX)]
    except OSError:
        return
    for n in names:
        pid = n[len(SESSION_PREFIX):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
            continue                  # its server still runs
        except ProcessLookupError:
            pass
        except OSError:
            continue                  # another user's: not ours to remove
        shutil.rmtree(os.path.join(base, n), ignore_errors=True)


class _Spawner:
    """Keeps one spare worker ready (started from one long-lived thread)."""

    def __init__(self):
        self.lock = threading.Condition()
        self.spare: WorkerProcess | None = None
        self.wanted = False
        self.failures = 0
        self.error = ""
        self.thread: threading.Thread | None = None
        self.tmpdir: str | None = None
        self.live: set[WorkerProcess] = set()
        self.closed = False

    def _ensure(self) -> None:
        if self.thread is None or not self.thread.is_alive():
            if self.tmpdir is None:
                _remove_orphans()
                self.tmpdir = tempfile.mkdtemp(prefix=f"{SESSION_PREFIX}{os.getpid()}-")
            self.thread = threading.Thread(target=self._loop, name="pynix-spawner", daemon=True)
            self.thread.start()

    def prestart(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.wanted = True
            self._ensure()
            self.lock.notify_all()

    def take(self, timeout: float = START_TIMEOUT) -> WorkerProcess:
        """A ready worker (the spare; another is started behind it)."""
        end = time.monotonic() + timeout
        with self.lock:
            if self.closed:
                raise WorkerUnavailable("the server is shutting down")
            self.wanted = True
            self._ensure()
            self.lock.notify_all()
            while self.spare is None:
                left = end - time.monotonic()
                if left <= 0 or self.failures >= 3:
                    raise WorkerUnavailable(self.error or "the worker did not start in time")
                self.lock.wait(min(left, 0.5))
                if self.closed:
                    raise WorkerUnavailable("the server is shutting down")
            w, self.spare = self.spare, None
            self.lock.notify_all()
            return w

    def _loop(self) -> None:
        while True:
            with self.lock:
                while self.closed or self.spare is not None or not self.wanted:
                    if self.closed:
                        return
                    self.lock.wait()
                tmpdir = self.tmpdir
            w = None
            try:
                w = WorkerProcess(tmpdir)
                with self.lock:
                    self.live.add(w)
                msg = w.receive(START_TIMEOUT)
                ok = msg is not None and msg.get("op") == "ready"
            except OSError as exc:
                ok = False
                self.error = f"cannot start the evaluation worker: {exc}"
            with self.lock:
                if ok and not self.closed:
                    self.spare = w
                    self.failures = 0
                else:
                    self.failures += 1
                    if not self.error:
                        self.error = "the evaluation worker did not start"
                self.lock.notify_all()
            if not ok and w is not None:
                self.forget(w)
                w.kill()
                time.sleep(min(5.0, 0.2 * 2 ** self.failures))

    def forget(self, w: WorkerProcess) -> None:
        with self.lock:
            self.live.discard(w)

    def shutdown(self) -> None:
        with self.lock:
            self.closed = True
            live = list(self.live)
            self.live.clear()
            self.spare = None
            self.lock.notify_all()
        for w in live:
            w.kill()
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


_spawner = _Spawner()


def prestart() -> None:
    """Start the spare worker now (in the background), so the first evaluation need not wait."""
    _spawner.prestart()


def shutdown() -> None:
    """Kill every worker and remove the session's temporary folder."""
    _spawner.shutdown()


atexit.register(shutdown)


class Job:
    __slots__ = ("id", "spec", "budget", "deadline", "cancel", "done", "outcome", "started")

    def __init__(self, spec: dict, budget: float, deadline: float | None, cancel: threading.Event):
        self.id = next(_ids)
        self.spec = spec
        self.budget = budget
        self.deadline = deadline        # None: `budget` seconds from the start
        self.cancel = cancel
        self.done = threading.Event()
        self.outcome: dict | None = None
        self.started = False

    def finish(self, outcome: dict) -> None:
        if not self.done.is_set():
            self.outcome = outcome
            self.done.set()


class EvalRunner:
    """One lane: a worker process that runs the jobs submitted, one at a time."""

    def __init__(self, name: str = "pynix-eval"):
        self.name = name
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._worker: WorkerProcess | None = None
        self._busy = 0

    def submit(self, spec: dict, timeout: float, cancel: threading.Event | None = None,
               from_start: bool = False) -> Job:
        """Run the job `spec` within `timeout` seconds from now (or from its
        start, with `from_start`); never blocks."""
        timeout = max(0.0, timeout)
        job = Job(spec, timeout, None if from_start else time.monotonic() + timeout, cancel or threading.Event())
        with self._lock:
            self._busy += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def run(self, spec: dict, timeout: float, cancel: threading.Event | None = None) -> dict:
        """Run the job `spec` for at most `timeout` seconds from its start and
        wait for the outcome (blocks: not for an event loop)."""
        job = self.submit(spec, timeout, cancel, from_start=True)
        job.done.wait()         # the supervisor ends every job: at its deadline, or by a kill
        return job.outcome or {"status": "timeout"}

    def load(self) -> int:
        """Jobs queued or running."""
        return self._busy

    def close(self) -> None:
        w, self._worker = self._worker, None
        if w is not None:
            _spawner.forget(w)
            w.kill()

    def _loop(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
            except Exception as exc:         # a bug here must not end the lane
                job.finish({"status": "internal", "detail": repr(exc)})
            finally:
                job.finish({"status": "internal", "detail": "no outcome"})
                with self._lock:
                    self._busy -= 1

    def _run(self, job: Job) -> None:
        if job.cancel.is_set():
            return job.finish({"status": "cancelled"})
        if job.deadline is not None and time.monotonic() >= job.deadline:
            return job.finish({"status": "timeout"})
        w = self._worker
        if w is None or w.dead:
            try:
                w = self._worker = _spawner.take()
            except WorkerUnavailable as exc:
                return job.finish({"status": "internal", "detail": str(exc)})
        job.started = True
        if job.deadline is None:
            job.deadline = time.monotonic() + job.budget
        left = job.deadline - time.monotonic()
        if not w.send({"op": "job", "id": job.id, "job": job.spec, "cpu": left + 2 * GRACE},
                      time.monotonic() + max(left, GRACE)):
            self._replace(w)
            return job.finish({"status": "timeout"})
        stopped_at = None
        while True:
            msg = w.receive(0.05)
            if msg is not None:
                if msg.get("op") == "done" and msg.get("id") == job.id:
                    result = msg.get("result") if isinstance(msg.get("result"), dict) else {}
                    if result.get("recycle") or (msg.get("rss") or 0) > RECYCLE_RSS:
                        self._replace(w)
                    if stopped_at is not None and result.get("status") == "cancelled":
                        result = {"status": "cancelled" if job.cancel.is_set() else "timeout"}
                    return job.finish(result)
                continue
            if w.dead:
                sig = w.end_signal()
                self._replace(w)
                if stopped_at is not None or sig == signal.SIGXCPU:
                    return job.finish({"status": "cancelled" if job.cancel.is_set() else "timeout"})
                return job.finish({"status": "skipped",
                                   "detail": f"the evaluation worker ended (signal {sig})" if sig
                                   else "the evaluation worker ended"})
            now = time.monotonic()
            if stopped_at is None and (job.cancel.is_set() or now >= job.deadline):
                stopped_at = now
                w.send({"op": "stop", "id": job.id}, now + GRACE)
            elif stopped_at is not None and now >= stopped_at + GRACE:
                # the job did not stop: the worker is stuck in C code or a system call
                self._replace(w)
                return job.finish({"status": "cancelled" if job.cancel.is_set() else "timeout"})

    def _replace(self, w: WorkerProcess) -> None:
        _spawner.forget(w)
        w.kill()
        if self._worker is w:
            self._worker = None
