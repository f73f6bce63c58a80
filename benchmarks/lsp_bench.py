#!/usr/bin/env python3
"""One-command language-server benchmark for pynix.

    python benchmarks/lsp_bench.py [--lines N] [--positions P] [--edits E] [--seed S] [--no-server]

1. Generates, deterministically, a Nix file of about N lines (3,000 by
   default) with the generator of `parse_bench.py` (nixpkgs-like packages,
   modules, overlays, libraries) and writes it to a temporary folder.
2. In process, over `nixlang.ide`: the static diagnostics after each of E
   edits (`AnalysisCache.update`, then `diagnostics`: recovering parse,
   scope resolution, index, lints), and hover, definition and completion at
   P identifiers picked at random (median and 95th percentile).
3. Through a real server process, `python -m nixlang lsp`, driven over stdio
   by the small JSON-RPC client below: `initialize`, `didOpen`, then the same
   requests at the same positions (time from sending a request to reading
   its response), and for each of the E edits the time from sending
   `didChange` to reading the `publishDiagnostics` of that version (this
   includes the server's 5 ms pause that lets a burst of changes be
   analysed once).
4. Prints each figure next to its target (requests: median under 50 ms;
   diagnostics: under 300 ms after an edit), and a last line that sums it up.

    python benchmarks/lsp_bench.py --big [--big-lines N] [--big-edits E] [--interval S]

The big-file scenario instead (issue 15; benchmarks/README.md has the
details): 200 KB of garbage, then a 40,000-line file opened in a real server
with its default settings, 200 edits typed one character at a time while
hover, definition and completion requests stream without waiting for their
answers, then the final diagnostics; with the server's peak memory, its CPU
time beside each wall-clock figure, and the tracebacks it printed.

    python benchmarks/lsp_bench.py --lib [FOLDER] [--lib-requests N]

`lib.` completion in a real server (issue 16; target p95 <= 100 ms once the
background work is done): FOLDER is a nixpkgs tree (given to the server as
its `nixpkgs` setting; the workspace is a temporary folder) or a folder
holding lib/default.nix (nixpkgs-lib; the workspace itself). Default:
../shared/nixpkgs-lib. A `{ lib, ... }:` document nobody calls is opened;
once `lib.` completes (the server warms lib up in the background after
`initialized`), N times an edit types `lib.` on a new line and completion
is asked right after it (median, p95, items per answer).

    python benchmarks/lsp_bench.py --options [--nixos [NIXPKGS]] [--requests N]

Module options (issue 16): a real server opens tests/modules/services/host.nix
(the options of `lib.evalModules` over its imports, nixpkgs' lib from
../shared or --lib), and reports the time from didOpen to the first complete
option completion (the background evaluation included), then the latency of
N option completions, hovers and definitions at five places (median, p95;
target p95 <= 100 ms once the evaluation is done, first result within 2 s).
With --nixos, the same for a NixOS configuration on a nixpkgs tree (default:
the one ../shared/tools/nixpkgs-unpack gives; tests/modules/nixos): the workspace's options
first, NixOS's own after their one-time evaluation (cached on disk; a fresh
cache folder each run unless --keep-cache), and `services.` completion,
which offers ~1,000 names.

Only the standard library and the project itself are used.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from parse_bench import DEFAULT_SEED, Generator  # noqa: E402

REQUEST_TARGET_MS = 50.0
DIAGNOSTICS_TARGET_MS = 300.0


# ======================================================================================
# Workload: positions and edits
# ======================================================================================

def pick_positions(text: str, count: int, seed: int) -> list[int]:
    """Offsets inside identifiers (variables, attribute names, selected names),
    `count` of them picked with a fixed seed, in no particular order."""
    from nixlang.ide.analysis import analyze
    an = analyze(text)
    names = [o for o in an.occurrences if o.kind in ("var", "def", "select", "inherit", "formal")
             and o.end > o.start]
    rng = random.Random(seed)
    picked = rng.sample(names, min(count, len(names)))
    return [rng.randrange(o.start, o.end) + (0 if rng.random() < 0.7 else 1) for o in picked]


def make_edits(text: str, count: int, seed: int) -> list[tuple[int, int, str]]:
    """`count` edits (start, end, new text), applied one after the other, as
    typing does: numbers changed, names mistyped and fixed, a binding added,
    a `;` deleted and put back (so some versions have errors, some not).
    Offsets refer to the text as it is when the edit is applied."""
    rng = random.Random(seed)
    edits = []
    cur = text
    while len(edits) < count:
        kind = len(edits) % 5
        if kind == 0:      # change a number
            i = cur.index("rev = ", rng.randrange(len(cur) // 2)) + 6
            j = i
            while cur[j].isdigit():
                j += 1
            e = (i, j, str(rng.randint(1, 9999)))
        elif kind == 1:    # mistype a name (an undefined variable) ...
            i = cur.index("optionals", rng.randrange(len(cur) // 2))
            e = (i, i + 9, "optionalz")
        elif kind == 2:    # ... and fix it
            i = cur.index("optionalz")
            e = (i, i + 9, "optionals")
        elif kind == 3:    # delete a `;` (a syntax error) ...
            i = cur.index("doCheck = ", rng.randrange(len(cur) // 2))
            i = cur.index(";", i)
            e = (i, i + 1, "")
            deleted_at = i
        else:              # ... put it back, with a new binding after it
            i = deleted_at
            e = (i, i, f";\n      extraFlag{len(edits)} = true;")
        edits.append(e)
        cur = cur[:e[0]] + e[2] + cur[e[1]:]
    return edits


def apply_edit(text: str, edit) -> str:
    s, e, new = edit
    return text[:s] + new + text[e:]


def position(text: str, offset: int) -> dict:
    """LSP position of an offset (the generated text is ASCII: UTF-16 units are characters)."""
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def stats(ms: list[float]) -> tuple[float, float]:
    """(median, 95th percentile) of a list of milliseconds."""
    xs = sorted(ms)
    if not xs:
        return float("nan"), float("nan")
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return statistics.median(xs), p95


# ======================================================================================
# In process
# ======================================================================================

def bench_in_process(text: str, path: str, offsets: list[int], edits: list) -> dict:
    from nixlang import ide
    cache = ide.AnalysisCache()
    key = "file://" + path
    cache.update(key, text, path)
    t = time.perf_counter()
    an = cache.get(key)
    ide.diagnostics(an)
    first = (time.perf_counter() - t) * 1000
    ide.warm_up()
    out: dict = {"open": first, "diagnostics": []}
    cur = text
    for e in edits:
        cur = apply_edit(cur, e)
        t = time.perf_counter()
        cache.update(key, cur, path)
        ide.diagnostics(cache.get(key))
        out["diagnostics"].append((time.perf_counter() - t) * 1000)
    # requests on the original text
    cache.update(key, text, path)
    an = cache.get(key)
    for name, fn in (("hover", ide.hover), ("definition", ide.definition), ("completion", ide.completion)):
        times = []
        for off in offsets:
            t = time.perf_counter()
            fn(an, off)
            times.append((time.perf_counter() - t) * 1000)
        out[name] = times
    return out


# ======================================================================================
# Through the server: a small JSON-RPC client over stdio
# ======================================================================================

class Client:
    """Talks LSP to a server process: Content-Length framed JSON-RPC on its
    stdin/stdout. A reader thread timestamps every message as it arrives;
    requests from the server (configuration, progress) get an empty answer,
    after `answer_after[method]` seconds for the methods listed there (a slow
    client)."""

    def __init__(self, cmd: list[str], stderr=None, answer_after: dict | None = None, env: dict | None = None):
        self.answer_after = answer_after or {}
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr if stderr is not None else subprocess.DEVNULL, cwd=str(REPO),
                                     env=env)
        self.next_id = 0
        self.send_lock = threading.Lock()
        self.responses: dict[int, tuple[float, dict]] = {}
        self.cond = threading.Condition()
        self.diagnostics: "queue.Queue[tuple[float, dict]]" = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _send(self, msg: dict) -> None:
        body = json.dumps(msg).encode("utf-8")
        with self.send_lock:        # the reader thread answers the server's requests too
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _send_late(self, msg: dict) -> None:
        try:
            self._send(msg)
        except (OSError, ValueError):    # the server is gone meanwhile
            pass

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    with self.cond:
                        self.cond.notify_all()
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            msg = json.loads(out.read(length))
            now = time.perf_counter()
            if "id" in msg and "method" in msg:          # a request from the server
                answer = {"jsonrpc": "2.0", "id": msg["id"],
                          "result": [None] if msg["method"] == "workspace/configuration" else None}
                later = self.answer_after.get(msg["method"])
                if later:
                    threading.Timer(later, self._send_late, (answer,)).start()
                else:
                    self._send(answer)
            elif "id" in msg:
                with self.cond:
                    self.responses[msg["id"]] = (now, msg)
                    self.cond.notify_all()
            elif msg.get("method") == "window/logMessage" and os.environ.get("LSP_BENCH_LOG"):
                print("server:", msg["params"]["message"], flush=True)
            elif msg.get("method") == "textDocument/publishDiagnostics":
                self.diagnostics.put((now, msg["params"]))

    def send_request(self, method: str, params) -> tuple[int, float]:
        """Send a request without waiting: (its id, when it was sent)."""
        self.next_id += 1
        rid = self.next_id
        t = time.perf_counter()
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid, t

    def response_time(self, rid: int, sent: float, deadline: float) -> float | None:
        """Milliseconds from `sent` to the response to `rid`, waiting until
        `deadline` (a `time.monotonic()`); None when it did not come."""
        with self.cond:
            self.cond.wait_for(lambda: rid in self.responses or self.proc.poll() is not None,
                               max(0.0, deadline - time.monotonic()))
            got = self.responses.pop(rid, None)
        return None if got is None else (got[0] - sent) * 1000

    def request(self, method: str, params, timeout: float = 60.0) -> tuple[float, dict]:
        """Send a request; return (milliseconds until its response, the response)."""
        rid, t = self.send_request(method, params)
        with self.cond:
            ok = self.cond.wait_for(lambda: rid in self.responses or self.proc.poll() is not None, timeout)
            if not ok or rid not in self.responses:
                raise RuntimeError(f"no response to {method}")
            at, msg = self.responses.pop(rid)
        if "error" in msg:
            raise RuntimeError(f"{method} failed: {msg['error']}")
        return (at - t) * 1000, msg.get("result")

    def notify(self, method: str, params) -> float:
        t = time.perf_counter()
        self._send({"jsonrpc": "2.0", "method": method, "params": params})
        return t

    def wait_diagnostics(self, uri: str, version: int | None, timeout: float = 30.0) -> tuple[float, dict]:
        """The first publishDiagnostics for `uri` (with `version`, when given)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"no diagnostics for version {version}")
            at, params = self.diagnostics.get(timeout=left)
            if params["uri"] == uri and (version is None or params.get("version") == version):
                return at, params

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def bench_server(text: str, path: str, offsets: list[int], edits: list, evaluation: bool) -> dict:
    uri = Path(path).as_uri()
    client = Client([sys.executable, "-m", "nixlang", "lsp"])
    out: dict = {}
    try:
        t = time.perf_counter()
        client.request("initialize", {
            "processId": os.getpid(), "rootUri": Path(path).parent.as_uri(),
            "capabilities": {"general": {"positionEncodings": ["utf-16"]},
                             "textDocument": {"hover": {"contentFormat": ["markdown"]},
                                              "publishDiagnostics": {"versionSupport": True}}},
            "initializationOptions": {"evaluation": {"enable": evaluation}}})
        client.notify("initialized", {})
        out["start"] = (time.perf_counter() - t) * 1000
        sent = client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "nix", "version": 1, "text": text}})
        at, _ = client.wait_diagnostics(uri, 1)
        out["open"] = (at - sent) * 1000
        time.sleep(0.5)      # let the start-up warm-up and a first evaluation settle
        doc = {"uri": uri}
        for name, method in (("hover", "textDocument/hover"), ("definition", "textDocument/definition"),
                             ("completion", "textDocument/completion")):
            times = []
            for off in offsets:
                ms, _ = client.request(method, {"textDocument": doc, "position": position(text, off)})
                times.append(ms)
            out[name] = times
        cur = text
        times = []
        for k, e in enumerate(edits, start=2):
            rng = {"start": position(cur, e[0]), "end": position(cur, e[1])}
            cur = apply_edit(cur, e)
            sent = client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": k},
                "contentChanges": [{"range": rng, "text": e[2]}]})
            at, _ = client.wait_diagnostics(uri, k)
            times.append((at - sent) * 1000)
            time.sleep(0.15)     # a pause in the typing
        out["diagnostics"] = times
        # a request right after an edit waits for that edit's analysis (the
        # same kinds of edits, made for the text as it now is)
        after = []
        for k, e in enumerate(make_edits(cur, 6, len(cur)), start=len(edits) + 2):
            rng = {"start": position(cur, e[0]), "end": position(cur, e[1])}
            cur = apply_edit(cur, e)
            client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": k},
                "contentChanges": [{"range": rng, "text": e[2]}]})
            ms, _ = client.request("textDocument/hover", {"textDocument": doc,
                                                          "position": position(cur, offsets[k % len(offsets)])})
            after.append(ms)
            client.wait_diagnostics(uri, k)
            time.sleep(0.15)
        out["hover_after_edit"] = after
    finally:
        client.close()
    return out


# ======================================================================================
# The big file: 40,000 lines, a stream of typing, garbage (issue 15)
# ======================================================================================

# what is typed, one keystroke an edit, at the end of a `doCheck = ...;` line of
# a package (inside its `mkDerivation rec { }`, where `pname` and `version` are in
# scope); each half-typed text is a syntax error, the whole one is not
TYPED = [
    '\n    extraFlags = optionals stdenv.isLinux [ "--enable-fast" ];',
    '\n    greeting = "hello ${pname} ${version}";',
    '\n    helper = x: if x > 2 then x * 2 else x + 1;',
    '\n    tags = [ "a" "b" ] ++ lib.optional doCheck "c";',
]
BIG_TARGETS = {"open_s": 3.0, "request_p95_ms": 100.0, "final_s": 3.0, "rss_mb": 400.0, "garbage_s": 2.0}


def typing_edits(text: str, count: int, seed: int) -> tuple[list, list[int]]:
    """`count` edits that type `TYPED` one character at a time (with a typo now
    and then, deleted at once) at several places; the last edit finishes the
    text being typed, so the final version parses. Returns the edits (offsets
    in the text as it is when each is applied) and, for each edit, the offset
    of the cursor after it."""
    rng = random.Random(seed)
    starts = [m.end() for m in __import__("re").finditer(r"doCheck = [^;\n]*;", text)]
    sites = sorted(rng.sample(starts[len(starts) // 8: -len(starts) // 8], len(TYPED)))
    edits: list = []
    cursors: list[int] = []
    shift = 0                      # characters inserted before the current site so far
    for site, typed in zip(sites, TYPED):
        at = site + shift
        for k, ch in enumerate(typed):
            if len(edits) >= count - 1:
                rest = typed[k:]           # the last edit: the rest at once (a paste, an accepted completion)
                edits.append((at, at, rest))
                cursors.append(at + len(rest))
                return edits, cursors
            if ch.isalpha() and rng.random() < 0.08 and len(edits) < count - 3:
                edits.append((at, at, "q"))            # a typo ...
                cursors.append(at + 1)
                edits.append((at, at + 1, ""))         # ... deleted
                cursors.append(at)
            edits.append((at, at, ch))
            at += 1
            cursors.append(at)
        shift += len(typed)
    return edits, cursors


def moved(offset: int, edit) -> int:
    """An offset of the text before `edit`, in the text after it (inside the edited span: its start)."""
    s, e, new = edit
    if offset >= e:
        return offset + len(new) - (e - s)
    return min(offset, s)


def garbage(size: int, seed: int) -> str:
    """`size` random bytes as an editor shows a binary file: decoded as UTF-8 with
    replacement characters (NULs and control characters kept)."""
    return random.Random(seed).randbytes(size).decode("utf-8", "replace")


def _proc_status(pid: int, key: str) -> int | None:
    """A kB figure of /proc/PID/status (VmRSS, VmHWM), or None off Linux."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for ln in f:
                if ln.startswith(key + ":"):
                    return int(ln.split()[1])
    except OSError:
        return None
    return None


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _open_timed(client: Client, uri: str, text: str, patience: float):
    """Open `text` as `uri`: (seconds until its first diagnostics or None, how
    many (errors, all), CPU seconds the server spent meanwhile)."""
    pid = client.proc.pid
    cpu0 = _cpu_seconds(pid)
    sent = client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "nix", "version": 1, "text": text}})
    try:
        at, params = client.wait_diagnostics(uri, 1, timeout=patience)
        ds = params["diagnostics"]
        seconds, count = at - sent, (sum(1 for d in ds if d.get("severity") == 1), len(ds))
    except (RuntimeError, queue.Empty):
        seconds, count = None, (None, None)
    cpu1 = _cpu_seconds(pid)
    return seconds, count, (cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None)


def bench_big(text: str, path: str, offsets: list[int], n_edits: int, seed: int, *, evaluation: bool,
              interval: float, garbage_size: int, patience: float) -> dict:
    """The real server on a big file (see the module's docstring, `--big`)."""
    uri = Path(path).as_uri()
    junk_uri = Path(path).with_name("garbage.nix").as_uri()
    edits, cursors = typing_edits(text, n_edits, seed)
    sites = [e[0] for e in edits]
    lo, hi = min(sites) - 2000, max(sites) + 2000
    elsewhere = [o for o in offsets if not lo <= o <= hi] or offsets
    err = tempfile.TemporaryFile()
    client = Client([sys.executable, "-m", "nixlang", "lsp"], stderr=err)
    pid = client.proc.pid
    out: dict = {"edits": len(edits)}
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            rss = _proc_status(pid, "VmRSS")
            if rss:
                peak[0] = max(peak[0], rss)
            stop.wait(0.1)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        client.request("initialize", {
            "processId": os.getpid(), "rootUri": Path(path).parent.as_uri(),
            "capabilities": {"general": {"positionEncodings": ["utf-16"]},
                             "window": {"workDoneProgress": True},
                             "textDocument": {"hover": {"contentFormat": ["markdown"]},
                                              "publishDiagnostics": {"versionSupport": True}}},
            "initializationOptions": {"evaluation": {"enable": evaluation}}})
        client.notify("initialized", {})
        time.sleep(1.0)              # the server's start-up warm-up

        # 1. garbage: a binary file opened by mistake
        out["garbage_s"], (out["garbage_errors"], out["garbage_diagnostics"]), out["garbage_cpu_s"] = \
            _open_timed(client, junk_uri, garbage(garbage_size, seed), patience)
        client.notify("textDocument/didClose", {"textDocument": {"uri": junk_uri}})

        # 2. the big file: time to its first diagnostics
        out["open_s"], (_, out["open_diagnostics"]), out["open_cpu_s"] = _open_timed(client, uri, text, patience)

        # 3. typing: an edit every `interval` s, each followed by a request
        #    elsewhere in the file (hover, definition, completion in turn) and,
        #    every fourth, a completion at the cursor; nothing waits for an answer
        doc = {"uri": uri}
        cur = text
        cpu0 = _cpu_seconds(pid)
        pending: list = []           # (kind, id, sent)
        rng = random.Random(seed)
        methods = (("hover", "textDocument/hover"), ("definition", "textDocument/definition"),
                   ("completion", "textDocument/completion"))
        for k, (e, cursor) in enumerate(zip(edits, cursors)):
            rng_ = {"start": position(cur, e[0]), "end": position(cur, e[1])}
            cur = apply_edit(cur, e)
            elsewhere = [moved(o, e) for o in elsewhere]
            last_sent = client.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": k + 2},
                "contentChanges": [{"range": rng_, "text": e[2]}]})
            kind, method = methods[k % 3]
            rid, t = client.send_request(method, {"textDocument": doc,
                                                  "position": position(cur, rng.choice(elsewhere))})
            pending.append((kind, rid, t))
            if k % 4 == 3:
                rid, t = client.send_request("textDocument/completion", {
                    "textDocument": doc, "position": position(cur, cursor)})
                pending.append(("completion at the cursor", rid, t))
            time.sleep(interval)
        # 4. the final version's diagnostics
        cpu_last = _cpu_seconds(pid)
        try:
            at, params = client.wait_diagnostics(uri, len(edits) + 1, timeout=patience)
            out["final_s"] = at - last_sent
            out["final_errors"] = sum(1 for d in params["diagnostics"] if d.get("severity") == 1)
        except (RuntimeError, queue.Empty):
            out["final_s"] = None
        cpu_final = _cpu_seconds(pid)
        out["final_cpu_s"] = cpu_final - cpu_last if cpu_last is not None and cpu_final is not None else None
        deadline = time.monotonic() + patience
        times: dict = {}
        for kind, rid, t in pending:
            times.setdefault(kind, []).append(client.response_time(rid, t, deadline))
        out["requests"] = times
        out["typing_cpu_s"] = cpu_last - cpu0 if cpu0 is not None and cpu_last is not None else None
        out["rss_peak_mb"] = (_proc_status(pid, "VmHWM") or peak[0]) / 1024
    finally:
        stop.set()
        client.close()
        err.seek(0)
        log = err.read().decode("utf-8", "replace")
        err.close()
    out["tracebacks"] = log.count("Traceback (most recent call last)")
    out["stderr_tail"] = log.strip().splitlines()[-3:] if log.strip() else []
    return out


def report_big(n_lines: int, big: dict, patience: float) -> bool:
    """Print the big-file figures next to their targets; True when all are met."""
    T = BIG_TARGETS
    ok = True

    def verdict(good: bool) -> str:
        nonlocal ok
        ok = ok and good
        return "ok" if good else "MISSED"

    def secs(v):
        return f"{v:.2f} s" if v is not None else f"none within {patience:.0f} s"

    def cpu(key):
        v = big.get(key)
        return f" ({v:.2f} s of the server's CPU)" if v is not None else ""
    print(f"Big file ({n_lines} lines) through the server, {big['edits']} edits typed "
          f"(wall-clock times; the server's CPU time beside them does not count waiting for a core):")
    v = big["open_s"]
    print(f"  didOpen -> first diagnostics  {secs(v)}{cpu('open_cpu_s')}"
          f"   target <= {T['open_s']:.0f} s: {verdict(v is not None and v <= T['open_s'])}")
    every = []
    for kind, ms in big["requests"].items():
        got = [m for m in ms if m is not None]
        every += ms
        lost = len(ms) - len(got)
        print(line(kind, got, None) + (f"   {lost} unanswered" if lost else ""))
    got = [m for m in every if m is not None]
    p95 = stats(got)[1] if len(got) == len(every) else float("inf")
    typing = cpu("typing_cpu_s").replace(")", " for the typing and the requests)")
    print(f"  all requests while typing: p95 {p95:.1f} ms   target <= {T['request_p95_ms']:.0f} ms: "
          f"{verdict(p95 <= T['request_p95_ms'])}{typing}")
    v = big["final_s"]
    print(f"  last edit -> its diagnostics  {secs(v)}{cpu('final_cpu_s')}   target <= {T['final_s']:.0f} s: "
          f"{verdict(v is not None and v <= T['final_s'])}")
    rss = big["rss_peak_mb"]
    print(f"  server peak RSS               {rss:.0f} MB   target <= {T['rss_mb']:.0f} MB: "
          f"{verdict(rss <= T['rss_mb'])}")
    v = big["garbage_s"]
    print(f"  200 KB of garbage -> diagnostics  {secs(v)}{cpu('garbage_cpu_s')}, "
          f"{big.get('garbage_diagnostics', '?')} diagnostics ({big.get('garbage_errors', '?')} errors)"
          f"   target <= {T['garbage_s']:.0f} s: {verdict(v is not None and v <= T['garbage_s'])}")
    print(f"  tracebacks on the server's stderr: {big['tracebacks']}   {verdict(big['tracebacks'] == 0)}")
    return ok


# ======================================================================================
# Report
# ======================================================================================

def syntax_errors(text: str, edits: list) -> list[bool]:
    """For each edit: does the text after it have a syntax error? (Such a
    version is always parsed whole, with error recovery; the others mostly
    reparse only the expression the edit touched.)"""
    from nixlang.parse import parse_recover
    from nixlang.source import Source
    out = []
    for e in edits:
        text = apply_edit(text, e)
        out.append(not parse_recover(Source(text)).clean)
    return out


def print_split(ms: list[float], broken: list[bool]) -> None:
    for name, want in (("  versions without a syntax error", False), ("  versions with a syntax error", True)):
        part = [m for m, b in zip(ms, broken) if b is want]
        if part:
            print(line(name.strip(), part, None).replace("  ", "    ", 1))


def line(name: str, ms: list[float], target: float | None) -> str:
    med, p95 = stats(ms)
    mark = ""
    if target is not None:
        mark = f"   target median < {target:.0f} ms: {'ok' if med < target else 'MISSED'}"
    return f"  {name:<22} median {med:7.1f} ms   p95 {p95:7.1f} ms   (n={len(ms)}){mark}"


# ======================================================================================
# Module options (--options)
# ======================================================================================

OPTION_TARGET_P95_MS = 100.0
OPTION_FIRST_TARGET_S = 2.0
def _insert(text: str, places: list[tuple[str, str]]) -> tuple[str, list[dict]]:
    """`text` with each (after, inserted) applied; the LSP positions of the ends of the insertions."""
    offsets = []
    for after, ins in places:
        i = text.index(after) + len(after)
        text = text[:i] + ins + text[i:]
        offsets = [o + len(ins) if o >= i else o for o in offsets] + [i + len(ins)]
    return text, [position(text, o) for o in offsets]


def _complete_when_ready(client: Client, uri: str, pos: dict, patience: float,
                         nonempty: bool = False) -> tuple[float | None, list]:
    """Ask for completion at `pos` until the answer is complete (and, with
    `nonempty`, has items): (seconds since now, labels)."""
    t0 = time.perf_counter()
    end = time.monotonic() + patience
    while time.monotonic() < end:
        _, r = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
        if r and not r.get("isIncomplete") and (r.get("items") or not nonempty):
            return time.perf_counter() - t0, [i["label"] for i in r["items"]]
        time.sleep(0.02)
    return None, []


def _first_items(client: Client, uri: str, pos: dict, patience: float, since: float) -> float | None:
    """Seconds from `since` to the first completion at `pos` with items (complete or not)."""
    end = time.monotonic() + patience
    while time.monotonic() < end:
        _, r = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos})
        if r and r.get("items"):
            return time.perf_counter() - since
        time.sleep(0.02)
    return None


def bench_options(folder: Path, main_file: str, places, name_places, settings: dict, n: int, patience: float,
                  env: dict | None = None) -> dict:
    """Open `main_file` of `folder` in a real server with `settings`; the first
    complete option completion, then `n` requests of each kind."""
    path = folder / main_file
    text, positions = _insert(path.read_text(), places)
    names = []
    for word in name_places:
        i = text.index(word) + 1
        names.append(position(text, i))
    uri = path.as_uri()
    client = Client([sys.executable, "-m", "nixlang", "lsp"], env=env)
    out: dict = {}
    try:
        client.request("initialize", {
            "processId": os.getpid(), "rootUri": folder.as_uri(),
            "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
            "capabilities": {"textDocument": {"hover": {"contentFormat": ["markdown"]},
                                              "completion": {"completionItem": {"documentationFormat": ["markdown"]}}}},
            "initializationOptions": settings})
        client.notify("initialized", {})
        t_open = client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "nix",
                                                                         "version": 1, "text": text}})
        out["first_items_s"] = _first_items(client, uri, positions[0], patience, t_open)
        first, labels = _complete_when_ready(client, uri, positions[0], patience, nonempty=True)
        out["first_s"] = None if first is None else time.perf_counter() - t_open
        out["first_labels"] = labels
        extra = [(_complete_when_ready(client, uri, p, patience)) for p in positions[1:]]
        out["ready_s"] = time.perf_counter() - t_open
        out["labels"] = [labels] + [e[1] for e in extra]
        for kind, method, pts in (("completion", "textDocument/completion", positions),
                                  ("hover", "textDocument/hover", names),
                                  ("definition", "textDocument/definition", names)):
            ms = []
            for k in range(n):
                p = pts[k % len(pts)]
                t, _ = client.request(method, {"textDocument": {"uri": uri}, "position": p})
                ms.append(t)
            out[kind] = ms
    finally:
        client.close()
    return out


def main_options(args) -> int:
    lib = Path(args.lib) if args.lib else REPO.parent / "shared" / "nixpkgs-lib" / "lib"
    if (lib / "lib" / "default.nix").is_file():       # a folder holding lib/ (as --lib takes for `lib.`)
        lib = lib / "lib"
    if not args.nixos_only:
        if not (lib / "modules.nix").is_file():
            print(f"lsp-bench --options: no nixpkgs lib at {lib} (give --lib)")
            return 1
        places = [("services.web = {", "\n        "), ('"example.org" = {', "\n          "),
                  ("(lib.mkIf config.services.web.enable {", "\n      services.db."),
                  ('services.db.user = "app";', "\n      services.db.tuning."),
                  ("lib.mkMerge [\n    {", "\n      ")]
        with tempfile.TemporaryDirectory(prefix="pynix-lsp-bench-") as tmp:
            folder = Path(tmp) / "services"
            shutil.copytree(REPO / "tests" / "modules" / "services", folder)
            r = bench_options(folder, "host.nix", places, ["root = ", "ssl = ", "enable = true", "user = "],
                              {"modules": {"lib": str(lib)}}, args.requests, args.patience)
        print(f"lsp-bench --options: tests/modules/services (lib.evalModules, lib {lib}); "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        first = r["first_s"]
        print(f"  didOpen -> first complete option completion  "
              f"{'none' if first is None else f'{first:.2f} s'}   target < {OPTION_FIRST_TARGET_S:.0f} s: "
              f"{'ok' if first is not None and first < OPTION_FIRST_TARGET_S else 'MISSED'}")
        print(f"  labels at the five places: {r['labels']}")
        for kind in ("completion", "hover", "definition"):
            print(_p95_line(f"option {kind}", r[kind]))
    if args.nixos is not None:
        tree = args.nixos or subprocess.run([str(REPO.parent / "shared" / "tools" / "nixpkgs-unpack")],
                                            capture_output=True, text=True).stdout.strip()
        if not tree or not (Path(tree) / "nixos").is_dir():
            print("lsp-bench --options --nixos: no nixpkgs tree (give --nixos PATH)")
            return 1
        with tempfile.TemporaryDirectory(prefix="pynix-lsp-bench-") as tmp:
            folder = Path(tmp) / "nixos"
            shutil.copytree(REPO / "tests" / "modules" / "nixos", folder)
            env = dict(os.environ)
            if not args.keep_cache:
                env["PYNIX_OPTIONS_CACHE"] = str(Path(tmp) / "cache")
            places = [("services.nginx = {", "\n    "), ('"example.org" = {', "\n      "),
                      ("services.myapp.enable = true;", "\n  services.")]
            r = bench_options(folder, "configuration.nix", places, ["root = ", "enable = true", "device ="],
                              {"modules": {"nixpkgs": tree}}, args.requests, args.patience, env)
        first = "none" if r["first_s"] is None else f"{r['first_s']:.1f} s"
        if r["first_items_s"] is not None:
            first += f" (first items, before the workspace's options: {r['first_items_s']:.1f} s)"
        print(f"lsp-bench --options --nixos: a NixOS configuration on {tree}"
              f"{' (options cache kept)' if args.keep_cache else ' (a fresh options cache)'}")
        print(f"  didOpen -> `services.nginx` options complete  {first}; all three places "
              f"{r['ready_s']:.1f} s; `services.` offers {len(r['labels'][-1])} names")
        for kind in ("completion", "hover", "definition"):
            print(_p95_line(f"NixOS option {kind}", r[kind]))
    return 0


def _p95_line(name: str, ms: list[float]) -> str:
    med, p95 = stats(ms)
    return (f"  {name:<26} median {med:7.1f} ms   p95 {p95:7.1f} ms   (n={len(ms)})   target p95 <= "
            f"{OPTION_TARGET_P95_MS:.0f} ms: {'ok' if p95 <= OPTION_TARGET_P95_MS else 'MISSED'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=3000)
    ap.add_argument("--positions", type=int, default=200)
    ap.add_argument("--edits", type=int, default=20)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", help="write the generated file here (default: a temporary folder)")
    ap.add_argument("--no-server", action="store_true", help="only the in-process measurements")
    ap.add_argument("--evaluation", action="store_true",
                    help="leave the server's background evaluation on (off by default: the file is "
                         "meant to be analysed, not evaluated)")
    ap.add_argument("--big", action="store_true",
                    help="the big-file scenario instead: a 40,000-line file, 200 edits typed while "
                         "requests are made, 200 KB of garbage (issue 15's targets)")
    ap.add_argument("--big-lines", type=int, default=40000)
    ap.add_argument("--big-edits", type=int, default=200)
    ap.add_argument("--interval", type=float, default=0.05, help="seconds between keystrokes (--big)")
    ap.add_argument("--garbage", type=int, default=200_000, help="bytes of garbage (--big)")
    ap.add_argument("--patience", type=float, default=240.0,
                    help="seconds to wait for an answer before calling it missing (--big)")
    ap.add_argument("--no-evaluation", action="store_true",
                    help="--big: turn the server's evaluation off (it is on, as in an editor)")
    ap.add_argument("--lib", nargs="?", const=str(REPO.parent / "shared" / "nixpkgs-lib"), default=None,
                    help="`lib.` completion latency instead (a nixpkgs tree or a folder with lib/default.nix; "
                         "default ../shared/nixpkgs-lib); with --options: nixpkgs' lib folder for the options")
    ap.add_argument("--lib-requests", type=int, default=100, help="completions asked (--lib)")
    ap.add_argument("--options", action="store_true",
                    help="module options instead: first result and latency of option completion, hover "
                         "and definition (issue 16)")
    ap.add_argument("--nixos", nargs="?", const="", default=None, metavar="NIXPKGS",
                    help="--options: also a NixOS configuration on this nixpkgs tree (default: "
                         "../shared/tools/nixpkgs-unpack's)")
    ap.add_argument("--nixos-only", action="store_true", help="--options --nixos: skip the module set")
    ap.add_argument("--keep-cache", action="store_true",
                    help="--options --nixos: use the user's cache of NixOS's options (default: a fresh one)")
    ap.add_argument("--requests", type=int, default=200, help="--options: requests of each kind")
    args = ap.parse_args(argv)
    if args.big:
        return main_big(args)
    if args.options:
        if args.patience == 240.0:
            args.patience = 1200.0 if args.nixos is not None else 120.0
        return main_options(args)
    if args.lib:
        return bench_lib(args.lib, args.lib_requests)

    text = Generator(args.seed, args.lines).generate()
    tmp = None
    if args.out:
        path = os.path.abspath(args.out)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="pynix-lsp-bench-")
        path = os.path.join(tmp.name, "default.nix")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    n_lines = text.count("\n")
    offsets = pick_positions(text, args.positions, args.seed)
    edits = make_edits(text, args.edits, args.seed)
    print(f"lsp-bench: {n_lines} lines ({len(text)} characters), seed {args.seed}, {len(offsets)} positions, "
          f"{len(edits)} edits; Python {sys.version.split()[0]}")

    broken = syntax_errors(text, edits)
    ip = bench_in_process(text, path, offsets, edits)
    print("In process (nixlang.ide):")
    print(f"  first analysis + diagnostics  {ip['open']:.1f} ms (includes one-time set-up)")
    print(line("diagnostics after edit", ip["diagnostics"], DIAGNOSTICS_TARGET_MS))
    print_split(ip["diagnostics"], broken)
    for name in ("hover", "definition", "completion"):
        print(line(name, ip[name], REQUEST_TARGET_MS))

    sv = None
    if not args.no_server:
        sv = bench_server(text, path, offsets, edits, args.evaluation)
        print(f"Through the server (python -m nixlang lsp, stdio; evaluation {'on' if args.evaluation else 'off'}):")
        print(f"  start-up (initialize)  {sv['start']:.0f} ms; didOpen -> diagnostics {sv['open']:.0f} ms")
        print(line("didChange -> diagnostics", sv["diagnostics"], DIAGNOSTICS_TARGET_MS))
        print_split(sv["diagnostics"], broken)
        for name in ("hover", "definition", "completion"):
            print(line(name, sv[name], REQUEST_TARGET_MS))
        print(line("hover right after edit", sv["hover_after_edit"], None))
    if tmp is not None:
        tmp.cleanup()

    def med(ms):
        return stats(ms)[0]
    summary = (f"lsp-bench: {n_lines} lines; in-process diagnostics {med(ip['diagnostics']):.0f} ms, "
               f"hover/definition/completion {med(ip['hover']):.1f}/{med(ip['definition']):.1f}/"
               f"{med(ip['completion']):.1f} ms")
    ok = med(ip["diagnostics"]) < DIAGNOSTICS_TARGET_MS and all(
        med(ip[k]) < REQUEST_TARGET_MS for k in ("hover", "definition", "completion"))
    if sv is not None:
        summary += (f"; server didChange->diagnostics {med(sv['diagnostics']):.0f} ms "
                    f"(p95 {stats(sv['diagnostics'])[1]:.0f}), hover/definition/completion "
                    f"{med(sv['hover']):.1f}/{med(sv['definition']):.1f}/{med(sv['completion']):.1f} ms")
        ok = ok and med(sv["diagnostics"]) < DIAGNOSTICS_TARGET_MS and all(
            med(sv[k]) < REQUEST_TARGET_MS for k in ("hover", "definition", "completion"))
    summary += f" (targets: diagnostics < {DIAGNOSTICS_TARGET_MS:.0f} ms, requests < {REQUEST_TARGET_MS:.0f} ms: " \
               f"{'met' if ok else 'MISSED'})"
    print(summary)
    return 0


LIB_COMPLETION_TARGET_MS = 100.0


def bench_lib(folder: str, n: int) -> int:
    """`lib.` completion latency through a real server (see the module's text)."""
    folder = os.path.abspath(folder)
    tree = os.path.isdir(os.path.join(folder, "pkgs")) and os.path.isfile(os.path.join(folder, "lib", "default.nix"))
    tmp = tempfile.TemporaryDirectory(prefix="pynix-lsp-bench-lib-")
    root = tmp.name if tree else folder
    uri = Path(root, "pynix-bench-lib-completion.nix").as_uri()     # never written: an editor buffer
    client = Client([sys.executable, "-m", "nixlang", "lsp"])
    options = {"evaluation": {"enable": False}}
    if tree:
        options["nixpkgs"] = folder
    try:
        t0 = time.perf_counter()
        client.request("initialize", {
            "processId": os.getpid(), "rootUri": Path(root).as_uri(),
            "workspaceFolders": [{"uri": Path(root).as_uri(), "name": "bench"}],
            "capabilities": {"general": {"positionEncodings": ["utf-16"]},
                             "textDocument": {"completion": {"completionItem": {
                                 "documentationFormat": ["markdown"]}}}},
            "initializationOptions": options})
        client.notify("initialized", {})
        lines = ["{ lib, ... }:", "{"]
        text = "\n".join(lines + ["  x0 = lib.;", "}", ""])
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "nix", "version": 1,
                                                                 "text": text}})
        first = None
        while time.perf_counter() - t0 < 300:
            _, res = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                                "position": {"line": 2, "character": 11}})
            items = (res or {}).get("items", []) if isinstance(res, dict) else (res or [])
            if items:
                first = (time.perf_counter() - t0) * 1000
                break
            time.sleep(0.05)
        if first is None:
            print("lsp-bench --lib: `lib.` never completed (is there a lib?)")
            return 1
        ms, counts = [], []
        for i in range(1, n + 1):
            lines.append(f"  x{i} = lib.;")
            text = "\n".join(lines + ["}", ""])
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": i + 1},
                                                     "contentChanges": [{"text": text}]})
            took, res = client.request("textDocument/completion", {
                "textDocument": {"uri": uri}, "position": {"line": len(lines) - 1, "character": len(lines[-1]) - 1}})
            ms.append(took)
            counts.append(len((res or {}).get("items", []) if isinstance(res, dict) else (res or [])))
    finally:
        client.close()
        tmp.cleanup()
    med, p95 = stats(ms)
    print(f"lsp-bench --lib: {folder} ({'nixpkgs tree, by the nixpkgs setting' if tree else 'workspace folder'})")
    print(f"  first full `lib.` answer {first:.0f} ms after start-up; {statistics.median(counts):.0f} items an answer")
    print(f"  `lib.` completion right after an edit: median {med:.1f} ms, p95 {p95:.1f} ms (n={len(ms)}); "
          f"target p95 <= {LIB_COMPLETION_TARGET_MS:.0f} ms: {'met' if p95 <= LIB_COMPLETION_TARGET_MS else 'MISSED'}")
    return 0


def main_big(args) -> int:
    text = Generator(args.seed, args.big_lines).generate()
    with tempfile.TemporaryDirectory(prefix="pynix-lsp-bench-") as tmp:
        path = os.path.abspath(args.out) if args.out else os.path.join(tmp, "default.nix")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        n_lines = text.count("\n")
        offsets = pick_positions(text, args.positions, args.seed)
        print(f"lsp-bench --big: {n_lines} lines ({len(text)} characters), seed {args.seed}, "
              f"{args.big_edits} edits {args.interval * 1000:.0f} ms apart, evaluation "
              f"{'off' if args.no_evaluation else 'on'}; Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        big = bench_big(text, path, offsets, args.big_edits, args.seed, evaluation=not args.no_evaluation,
                        interval=args.interval, garbage_size=args.garbage, patience=args.patience)
    ok = report_big(n_lines, big, args.patience)
    if big["stderr_tail"]:
        print("  server stderr ends with:", *big["stderr_tail"], sep="\n    ")

    def fmt(v, unit="s"):
        return "none" if v is None else f"{v:.2f} {unit}"
    every = [m for ms in big["requests"].values() for m in ms]
    got = [m for m in every if m is not None]
    print(f"lsp-bench --big: {n_lines} lines; first diagnostics {fmt(big['open_s'])}, requests while typing "
          f"median {stats(got)[0]:.1f} ms p95 {stats(got)[1]:.1f} ms ({len(every) - len(got)} unanswered), "
          f"final diagnostics {fmt(big['final_s'])}, peak RSS {big['rss_peak_mb']:.0f} MB, garbage "
          f"{fmt(big['garbage_s'])} ({big.get('garbage_diagnostics', '?')} diagnostics), "
          f"{big['tracebacks']} tracebacks (targets: {'met' if ok else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
