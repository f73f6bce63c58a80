"""The measuring instrument of the benchmarks: pynix and real Nix run side by side.

A workload is one command line given to both `pynix instantiate` and
`nix-instantiate`. Each is run as a whole process, the way a user runs it,
once untimed (the warm-up: Python's bytecode cache, pynix's parser tables,
the OS file cache) and then K times, PAIRED: pynix, nix, pynix, nix, ... so
that both see the same phases of a machine shared with other work.

Each run is measured from the kernel's accounting of the child (`os.wait4`):
CPU time (user + system, of the child and whatever it waited for), peak
resident memory (`ru_maxrss`), and wall-clock time. CPU time is the primary
measure: on a busy machine wall time mostly measures the neighbours. The
report gives the median of each and the ratios of the medians pynix/nix.

Every run's output is checked: pynix must print what Nix prints, Nix what
the benchmark recorded from it (benchmarks/expected.json), and without Nix
pynix is checked against the recording alone. Any difference, error or
timeout marks the workload FAILED. Workloads that write a store
(`{store}` in their arguments) get an empty store root for each run, and
the store objects written there (names, and the bytes of every `.drv`) are
part of the output compared.

Only the standard library is used.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
LONG_OUTPUT = 2000   # outputs longer than this are compared (and recorded) as a digest


# ======================================================================================
# One process
# ======================================================================================

@dataclass
class Run:
    """One measured process."""
    status: int          # exit status (negative: killed by that signal; -9 also on timeout)
    user: float          # CPU seconds in user mode
    sys: float           # CPU seconds in the kernel
    wall: float          # wall-clock seconds, from spawn to reaping
    rss: int             # peak resident set size, bytes
    out: str             # what it printed on stdout (a digest when long; see output_text)
    err: str             # the end of what it printed on stderr
    timed_out: bool = False

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def output_text(data: bytes, workdir: Path | None = None) -> str:
    """stdout as compared between runs: the text without surrounding blanks, or
    for a long output its size and SHA-256 (so a 10 MB AST is compared, not kept).
    The work directory's path, which differs from run to run of the benchmark,
    is written as $WORKDIR."""
    data = data.strip()
    if workdir is not None:
        data = data.replace(str(workdir).encode(), b"$WORKDIR")
    if len(data) <= LONG_OUTPUT:
        return data.decode("utf-8", "replace")
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"


def run_process(argv: list[str], env: dict, cwd: Path, timeout: float, workdir: Path | None = None) -> Run:
    """Run `argv` to completion and measure it with wait4 (the child's own
    rusage: CPU time and peak RSS, including any children it reaped)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                cwd=cwd, env=env, start_new_session=True)
        expired = threading.Event()

        def kill() -> None:   # the process group we started, nothing else
            expired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:   # Ctrl-C: the child is in its own session and did not get it
            kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -signal.SIGKILL
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read()
        stderr = err.read()[-4000:].decode("utf-8", "replace")
    return Run(status=proc.returncode, user=usage.ru_utime, sys=usage.ru_stime, wall=wall,
               rss=usage.ru_maxrss * 1024, out=output_text(stdout, workdir), err=stderr,
               timed_out=expired.is_set())


def remove_tree(path: Path) -> None:
    """rm -rf, also of a store Nix made read-only."""
    def retry(func, p, _exc):
        os.chmod(os.path.dirname(p), stat.S_IRWXU)
        if os.path.isdir(p) and not os.path.islink(p):
            os.chmod(p, stat.S_IRWXU)
        func(p)
    if path.exists():
        shutil.rmtree(path, onerror=retry)


def store_digest(root: Path) -> str:
    """What a run wrote into the store under `root`: the number of .drv files
    and of other objects, and one SHA-256 over every object's name and every
    .drv's bytes (two stores with the same digest hold the same derivations)."""
    store = root / "nix" / "store"
    names = sorted(p.name for p in store.iterdir() if not p.name.startswith(".")) if store.is_dir() else []
    h = hashlib.sha256()
    drvs = 0
    for name in names:
        h.update(name.encode() + b"\0")
        if name.endswith(".drv"):
            drvs += 1
            h.update((store / name).read_bytes() + b"\0")
    return f"{drvs} .drv files, {len(names) - drvs} other store objects, sha256 {h.hexdigest()}"


# ======================================================================================
# Workloads and targets
# ======================================================================================

@dataclass
class Target:
    """A goal printed beside a result: `measure(result)` compared with `bound`."""
    label: str
    measure: Callable[["Result"], float | None]
    bound: float
    at_most: bool = True
    unit: str = "x"

    def check(self, result: "Result") -> dict:
        value = self.measure(result)
        met = None if value is None else (value <= self.bound if self.at_most else value >= self.bound)
        return {"target": self.label, "value": value, "met": met}


def cpu_ratio_at_most(x: float) -> Target:
    return Target(f"CPU <= {x:g}x", lambda r: r.ratio("cpu"), x)


def rss_ratio_at_most(x: float) -> Target:
    return Target(f"peak mem <= {x:g}x", lambda r: r.ratio("rss"), x)


def cpu_seconds_at_most(s: float) -> Target:
    return Target(f"CPU <= {s:g} s", lambda r: r.median("pynix", "cpu"), s, unit="s")


def rss_per_input_at_most(x: float, nbytes: int) -> Target:
    return Target(f"peak <= {x:g}x file",
                  lambda r: (r.median("pynix", "rss") or 0) / nbytes if r.pynix else None, x)


def metric_at_least(name: str, bound: float, label: str, unit: str = "") -> Target:
    return Target(label, lambda r: r.metrics.get(name), bound, at_most=False, unit=unit)


@dataclass
class Workload:
    """One thing to measure. `args` go to `pynix instantiate` and to
    `nix-instantiate` alike, unless `pynix_argv` (a whole command line for the
    pynix side) or `nix_args` is given; `nix_skip` says why Nix is not run."""
    name: str
    group: str
    what: str
    args: list[str] = field(default_factory=list)
    pynix_argv: list[str] | None = None
    nix_args: list[str] | None = None
    nix_skip: str | None = None
    expected: str | None = None      # the recorded output (else benchmarks/expected.json)
    expected_source: str = "recorded from nix"   # where `expected` comes from
    nix_prints_differently: str | None = None   # why Nix's output is not compared (it is still
                                     # timed): pynix is checked against its recorded output
    targets: list[Target] = field(default_factory=list)
    env: dict = field(default_factory=dict)
    heavy: bool = False              # left out of --quick unless asked for by name or group
    repeat: int | None = None        # runs per side (default: the group's)
    skip: str | None = None          # why the whole workload cannot run here
    prepare: Callable[["Workload"], str | None] | None = None   # just before it runs: generates its
                                     # files, may fill in args/env; returns a reason to skip, or None
    series: str | None = None        # workloads of one scaling series (e.g. the module system)
    size: int | None = None          # this workload's N in its series
    metrics: Callable[["Result"], dict] | None = None   # extra figures from the runs
    timeout: float = 600.0

    @property
    def writes_store(self) -> bool:
        return any("{store}" in a for a in self.args)


@dataclass
class Result:
    workload: Workload
    status: str = "ok"               # ok | FAILED | skipped
    reason: str = ""
    pynix: list[Run] = field(default_factory=list)
    nix: list[Run] = field(default_factory=list)
    nix_note: str = ""               # why there are no Nix runs
    output: str | None = None
    metrics: dict = field(default_factory=dict)
    targets: list[dict] = field(default_factory=list)

    def median(self, side: str, what: str) -> float | None:
        runs = self.pynix if side == "pynix" else self.nix
        if not runs:
            return None
        return statistics.median(getattr(r, what) for r in runs)

    def ratio(self, what: str) -> float | None:
        p, n = self.median("pynix", what), self.median("nix", what)
        if p is None or not n:
            return None
        return p / n

    def checked_against(self) -> str:
        w = self.workload
        if self.nix and not w.nix_prints_differently:
            return "nix"
        return w.expected_source

    def to_json(self) -> dict:
        w = self.workload

        def side(runs: list[Run]) -> dict | None:
            if not runs:
                return None
            return {"cpu": statistics.median(r.cpu for r in runs),
                    "user": statistics.median(r.user for r in runs),
                    "sys": statistics.median(r.sys for r in runs),
                    "wall": statistics.median(r.wall for r in runs),
                    "rss": int(statistics.median(r.rss for r in runs)),
                    "runs": [{"cpu": round(r.cpu, 4), "wall": round(r.wall, 4), "rss": r.rss} for r in runs]}
        return {"name": w.name, "group": w.group, "what": w.what, "status": self.status,
                "reason": self.reason, "pynix": side(self.pynix), "nix": side(self.nix),
                "nix_note": self.nix_note, "cpu_ratio": self.ratio("cpu"),
                "wall_ratio": self.ratio("wall"), "rss_ratio": self.ratio("rss"),
                "output": self.output, "checked_against": self.checked_against(),
                "metrics": self.metrics, "targets": self.targets,
                "series": w.series, "size": w.size}


# ======================================================================================
# Running a workload, paired
# ======================================================================================

@dataclass
class Context:
    pynix: list[str]                 # the pynix command (before `instantiate`)
    nix: str | None                  # nix-instantiate, or None when not run
    nix_note: str                    # why Nix is not run (when nix is None)
    workdir: Path                    # generated files, store roots, the empty nix.conf dir
    expected: dict                   # recorded outputs by workload name
    repeat_override: int | None = None
    timeout_override: float | None = None
    progress: Callable[[str], None] = lambda msg: None

    def env(self, w: Workload) -> dict:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)   # a normal install uses its bytecode cache
        env.pop("NIX_CONFIG", None)                # neither side reads this machine's settings
        confdir = self.workdir / "empty-nix-conf"
        confdir.mkdir(exist_ok=True)
        env["NIX_CONF_DIR"] = str(confdir)
        env["NIX_USER_CONF_FILES"] = ""
        if "-m" in self.pynix:                     # a plain checkout: make `import nixlang` work
            env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        env.update(w.env)
        return env


def pynix_command(arg: str | None) -> list[str]:
    """--pynix CMD if given, else the `pynix` script beside this Python (the
    installed entry point), else `python -m nixlang`."""
    if arg:
        return arg.split()
    script = Path(sys.executable).with_name("pynix")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "nixlang"]


def _one_run(ctx: Context, w: Workload, side: str, argv: list[str], label: str) -> Run:
    store = None
    if w.writes_store:
        store = Path(tempfile.mkdtemp(prefix=f"store-{side}-", dir=ctx.workdir))
        argv = [a.replace("{store}", str(store)) for a in argv]
    timeout = ctx.timeout_override or w.timeout
    run = run_process(argv, ctx.env(w), REPO, timeout, ctx.workdir)
    if store is not None:
        if run.status == 0:
            run.out = run.out + "\n" + store_digest(store)
        remove_tree(store)
    if run.timed_out:
        run.err = f"timed out after {timeout:.0f} s\n" + run.err
    ctx.progress(f"  {w.name}: {side} {label} cpu {run.cpu:.2f} s, wall {run.wall:.2f} s, "
                 f"peak {run.rss / 2**20:.0f} MiB" + ("" if run.status == 0 else f", exit {run.status}"))
    return run


def _failure(side: str, run: Run) -> str:
    tail = run.err.strip()[-800:] or f"exit status {run.status}"
    return f"{side} failed (exit {run.status}): {tail}"


def measure(ctx: Context, w: Workload, default_repeat: int) -> Result:
    """Warm up both sides once, then run them K times, alternating; check outputs."""
    result = Result(w)
    if not w.skip and w.prepare is not None:
        w.skip = w.prepare(w)
    if w.skip:
        result.status, result.reason = "skipped", w.skip
        return result
    py_argv = w.pynix_argv if w.pynix_argv is not None else ctx.pynix + ["instantiate"] + w.args
    nix_argv = None
    if w.nix_skip:
        result.nix_note = w.nix_skip
    elif ctx.nix is None:
        result.nix_note = ctx.nix_note
    else:
        nix_argv = [ctx.nix] + (w.nix_args if w.nix_args is not None else w.args)
    sides = [("pynix", py_argv)] + ([("nix", nix_argv)] if nix_argv else [])
    k = max(1, ctx.repeat_override or w.repeat or default_repeat)

    outputs: dict[str, str] = {}
    for i in range(k + 1):
        for side, argv in sides:
            run = _one_run(ctx, w, side, argv, "warm-up" if i == 0 else f"run {i}/{k}")
            if run.status != 0:
                result.status, result.reason = "FAILED", _failure(side, run)
                return result
            if side in outputs and run.out != outputs[side]:
                result.status = "FAILED"
                result.reason = f"{side}'s output changed between runs: {outputs[side]!r}, then {run.out!r}"
                return result
            outputs[side] = run.out
            if i > 0:
                (result.pynix if side == "pynix" else result.nix).append(run)
        if i == 0:   # the warm-up outputs decide correctness; no point timing a wrong answer
            problem = check_outputs(w, outputs, ctx.expected)
            if problem:
                result.status, result.reason = "FAILED", problem
                result.output = outputs.get("pynix")
                return result
    result.output = outputs["pynix"]
    if w.metrics:
        result.metrics = w.metrics(result)
    result.targets = [t.check(result) for t in w.targets]
    return result


def check_outputs(w: Workload, outputs: dict, recorded: dict) -> str:
    """The reason the outputs are wrong, or "" when they are right."""
    expected = w.expected if w.expected is not None else recorded.get(w.name)
    p, n = outputs.get("pynix"), outputs.get("nix")
    if n is not None and not w.nix_prints_differently:
        if p != n:
            return f"pynix printed {short(p)}, nix printed {short(n)}"
        if expected is not None and n != expected:
            return (f"nix printed {short(n)}, but the benchmark recorded {short(expected)} "
                    "(update benchmarks/expected.json with --record if the workload changed)")
        return ""
    if expected is None:
        return "no recorded output to check pynix against (run with Nix, or --record)"
    if p != expected:
        return f"pynix printed {short(p)}, expected ({w.expected_source}) {short(expected)}"
    return ""


def short(s: str | None, n: int = 300) -> str:
    if s is None:
        return "nothing"
    return repr(s if len(s) <= n else s[:n] + "...")


# ======================================================================================
# The report
# ======================================================================================

def geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt_s(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t:.3f}" if t < 10 else f"{t:.1f}"


def fmt_mb(b: float | None) -> str:
    return "-" if b is None else f"{b / 2**20:.0f}"


def fmt_x(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def fmt_value(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit == "x":
        return fmt_x(v)
    if unit == "s":
        return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"
    return f"{v:,.0f}{unit}"


NAME_WIDTH = 32
HEADER = (f"{'workload':<{NAME_WIDTH}} {'pynix':>8} {'nix':>7} {'CPU':>7}  {'pynix':>6} {'nix':>6} {'mem':>7}"
          f"  {'pynix':>7} {'nix':>7}  target")
HEADER2 = (f"{'':<{NAME_WIDTH}} {'CPU s':>8} {'CPU s':>7} {'ratio':>7}  {'MiB':>6} {'MiB':>6} {'ratio':>7}"
           f"  {'wall s':>7} {'wall s':>7}")


def table_row(r: Result) -> list[str]:
    """The table line(s) of one result: the figures, then notes indented below."""
    w = r.workload
    if r.status == "skipped":
        return [f"{w.name:<{NAME_WIDTH}} skipped: {r.reason}"]
    if r.status == "FAILED" and not r.pynix:
        lines = [f"{w.name:<{NAME_WIDTH}} FAILED"]
    else:
        target_text = "; ".join(
            f"{t['target']}: {fmt_value(t['value'], _unit(w, t['target']))} "
            f"{'met' if t['met'] else 'NOT met' if t['met'] is False else '?'}" for t in r.targets)
        lines = [f"{w.name:<{NAME_WIDTH}} {fmt_s(r.median('pynix', 'cpu')):>8} {fmt_s(r.median('nix', 'cpu')):>7} "
                 f"{fmt_x(r.ratio('cpu')):>7}  {fmt_mb(r.median('pynix', 'rss')):>6} "
                 f"{fmt_mb(r.median('nix', 'rss')):>6} {fmt_x(r.ratio('rss')):>7}  "
                 f"{fmt_s(r.median('pynix', 'wall')):>7} {fmt_s(r.median('nix', 'wall')):>7}  {target_text}"]
    if r.status == "FAILED":
        lines += ["    " + line for line in r.reason.splitlines()[:12]]
    if r.nix_note and r.status == "ok":
        lines.append(f"    nix not run: {r.nix_note}")
    if w.nix_prints_differently and r.status == "ok" and r.nix:
        lines.append(f"    output checked against the recording, not nix: {w.nix_prints_differently}")
    if r.metrics:
        lines.append("    " + ", ".join(f"{k} {_fmt_metric(v)}" for k, v in r.metrics.items()))
    return lines


def _unit(w: Workload, label: str) -> str:
    return next((t.unit for t in w.targets if t.label == label), "x")


def _fmt_metric(v) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if v < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def series_trend(results: list[Result]) -> list[dict]:
    """For each scaling series (workloads sharing `series`), the CPU ratio per
    size and whether it stays flat (no step up by more than 10%, and the
    largest size within 10% of the smallest) or falls as N grows. (Until
    2026-12-07 each step could rise 15%, which called 6.8x / 7.5x / 8.6x
    flat: a series rising by a quarter.)
    Also the marginal ratio of each step, (pynix CPU at N2 - at N1) / (nix CPU
    at N2 - at N1): the cost of the added work alone, without the fixed costs
    (start-up, imports) that weigh most at small N."""
    out = []
    names = []
    for r in results:
        if r.workload.series and r.workload.series not in names:
            names.append(r.workload.series)
    for name in names:
        done = sorted((r for r in results if r.workload.series == name and r.status == "ok" and r.ratio("cpu")),
                      key=lambda r: r.workload.size)
        points = [(r.workload.size, r.ratio("cpu")) for r in done]
        if len(points) < 2:
            verdict = "not enough sizes with both pynix and nix to judge"
        else:
            steps = [b / a for (_, a), (_, b) in zip(points, points[1:])]
            if all(s <= 1.10 for s in steps) and points[-1][1] <= points[0][1] * 1.10:
                verdict = "falling" if points[-1][1] < points[0][1] / 1.10 else "flat"
                verdict += " (ok: the ratio must stay flat or fall as N grows)"
            else:
                verdict = "RISING (the ratio must stay flat or fall as N grows)"
        marginal = []
        for a, b in zip(done, done[1:]):
            dn = b.median("nix", "cpu") - a.median("nix", "cpu")
            dp = b.median("pynix", "cpu") - a.median("pynix", "cpu")
            marginal.append({"from": a.workload.size, "to": b.workload.size,
                             "cpu_ratio": dp / dn if dn > 0 else None})
        out.append({"series": name, "ratios": [{"size": s, "cpu_ratio": x} for s, x in points],
                    "marginal": marginal, "verdict": verdict})
    return out


def summarise(results: list[Result], geomean_targets: dict[str, float] | None = None) -> dict:
    """The figures of the summary: geometric means of the CPU ratios (start-up
    left out) by group and overall, with their targets (`geomean_targets`:
    group -> largest ratio), targets met, failures, the scaling series."""
    ok = [r for r in results if r.status == "ok"]
    by_group: dict[str, list[float]] = {}
    for r in ok:
        x = r.ratio("cpu")
        if x is not None and not r.workload.name.startswith("startup"):
            by_group.setdefault(r.workload.group, []).append(x)
    all_ratios = [x for xs in by_group.values() for x in xs]
    by_group_mean = {g: geomean(xs) for g, xs in by_group.items()}
    group_targets = {g: {"target": f"<= {bound:g}x", "value": by_group_mean[g], "met": by_group_mean[g] <= bound}
                     for g, bound in (geomean_targets or {}).items() if by_group_mean.get(g) is not None}
    targets = [t for r in ok for t in r.targets if t["met"] is not None]
    return {
        "geomean_cpu_ratio": geomean(all_ratios),
        "n_ratios": len(all_ratios),
        "geomean_cpu_ratio_by_group": by_group_mean,
        "geomean_targets": group_targets,
        "geomean_rss_ratio": geomean([r.ratio("rss") for r in ok if r.ratio("rss")]),
        "targets_met": sum(1 for t in targets if t["met"]),
        "targets_total": len(targets),
        "failed": [r.workload.name for r in results if r.status == "FAILED"],
        "skipped": [r.workload.name for r in results if r.status == "skipped"],
        "series": series_trend(results),
    }


def summary_line(prefix: str, s: dict) -> str:
    parts = []
    if s["geomean_cpu_ratio"] is not None:
        groups = ", ".join(f"{g} {fmt_x(x)}" for g, x in s["geomean_cpu_ratio_by_group"].items())
        parts.append(f"geomean CPU pynix/nix {fmt_x(s['geomean_cpu_ratio'])} over {s['n_ratios']} "
                     f"workload{'s' if s['n_ratios'] != 1 else ''} "
                     f"({groups})")
        if s["geomean_rss_ratio"] is not None:
            parts.append(f"peak memory {fmt_x(s['geomean_rss_ratio'])}")
    else:
        parts.append("no ratios (nix not run)")
    if s["targets_total"]:
        parts.append(f"targets met {s['targets_met']}/{s['targets_total']}")
    for t in s["series"]:
        if not t["ratios"]:
            continue
        parts.append(f"{t['series']} ratio by N " + " ".join(f"{p['size']}:{fmt_x(p['cpu_ratio'])}"
                                                            for p in t["ratios"])
                     + f" {t['verdict'].split(' ')[0]}")
    if s["skipped"]:
        parts.append(f"{len(s['skipped'])} skipped")
    if s["failed"]:
        parts.append(f"{len(s['failed'])} FAILED ({', '.join(s['failed'])})")
    return f"{prefix}: " + "; ".join(parts)


def write_json(path: str, meta: dict, results: list[Result], summary: dict) -> None:
    doc = {"meta": meta, "workloads": [r.to_json() for r in results], "summary": summary}
    text = json.dumps(doc, indent=1, ensure_ascii=False)
    if path == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")
