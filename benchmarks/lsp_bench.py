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

Only the standard library and the project itself are used.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import random
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
    requests from the server (configuration, progress) get an empty answer."""

    def __init__(self, cmd: list[str]):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=str(REPO))
        self.next_id = 0
        self.responses: dict[int, tuple[float, dict]] = {}
        self.cond = threading.Condition()
        self.diagnostics: "queue.Queue[tuple[float, dict]]" = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _send(self, msg: dict) -> None:
        body = json.dumps(msg).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

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
                self._send({"jsonrpc": "2.0", "id": msg["id"],
                            "result": [None] if msg["method"] == "workspace/configuration" else None})
            elif "id" in msg:
                with self.cond:
                    self.responses[msg["id"]] = (now, msg)
                    self.cond.notify_all()
            elif msg.get("method") == "textDocument/publishDiagnostics":
                self.diagnostics.put((now, msg["params"]))

    def request(self, method: str, params, timeout: float = 60.0) -> tuple[float, dict]:
        """Send a request; return (milliseconds until its response, the response)."""
        self.next_id += 1
        rid = self.next_id
        t = time.perf_counter()
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
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
    args = ap.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
