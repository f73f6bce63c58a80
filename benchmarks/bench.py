#!/usr/bin/env python3
"""pynix against real Nix: every benchmark workload, one command.

    python benchmarks/bench.py                      # all groups (takes a while: NixOS is slow today)
    python benchmarks/bench.py --quick              # small sizes, 1 run each, no nixpkgs/NixOS
    python benchmarks/bench.py --group micro,lib    # groups: micro lib parse nixpkgs nixos
    python benchmarks/bench.py --only "fib,nixos small" --json table.json

Each workload runs `pynix instantiate ARGS` and `nix-instantiate ARGS` as
whole processes: one untimed warm-up each, then K paired runs (pynix, nix,
pynix, nix, ...). The table gives the medians of CPU time (user + system,
the primary measure), peak memory and wall time, the ratios pynix/nix of
the medians, and each workload's target. Outputs are checked: pynix must
print what Nix prints (and Nix what benchmarks/expected.json recorded from
it); a difference or an error marks the workload FAILED and the exit status
is 1. Without Nix, pynix is checked against the recording.

The last line sums it all up:

    bench: geomean CPU pynix/nix R over N workloads (micro .., lib .., ...); peak memory M; targets met a/b; ...

See benchmarks/README.md for the workloads, their targets and how to read
the table. Only the standard library and the project itself are used.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
import workloads  # noqa: E402

EXPECTED = Path(__file__).resolve().parent / "expected.json"


def load_expected() -> dict:
    if not EXPECTED.exists():
        return {}
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def select(args, ap) -> tuple[list[harness.Workload], list[harness.Result]]:
    """The workloads to run, and the ones left out by --quick (reported as skipped)."""
    groups = workloads.GROUPS
    if args.group:
        groups = [g.strip() for g in args.group.split(",") if g.strip()]
        bad = [g for g in groups if g not in workloads.GROUPS]
        if bad:
            ap.error(f"unknown group {', '.join(bad)}; the groups are {' '.join(workloads.GROUPS)}")
    ws = workloads.build(groups, args.quick, args.workdir)
    left_out = []
    if args.only:
        wanted = [x.strip().lower() for x in args.only.split(",") if x.strip()]
        ws = [w for w in ws if any(w.name.lower().startswith(x) or w.group == x for x in wanted)]
        if not ws:
            ap.error(f"no workload matches {args.only!r}; try --list")
    elif args.quick and not args.group:
        for w in ws:
            if w.heavy:
                left_out.append(harness.Result(w, status="skipped",
                                               reason="--quick leaves out nixpkgs and NixOS; ask with "
                                                      "--group or --only"))
        ws = [w for w in ws if not w.heavy]
    return ws, left_out


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=harness.REPO,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def record(ctx: harness.Context, ws: list[harness.Workload]) -> int:
    """Run Nix once on each workload and store what it printed in expected.json
    (pynix, for the workloads whose output Nix 2.8 prints differently)."""
    if ctx.nix is None:
        print("--record needs nix-instantiate", file=sys.stderr)
        return 2
    expected = load_expected()
    status = 0
    for w in ws:
        if not w.skip and w.prepare is not None:
            w.skip = w.prepare(w)
        if w.skip or w.expected is not None or (w.nix_skip and not w.nix_prints_differently):
            continue
        if w.nix_prints_differently:   # pynix's own output, kept to guard against changes
            side, argv = "pynix", ctx.pynix + ["instantiate"] + w.args
        else:
            side, argv = "nix", [ctx.nix] + (w.nix_args if w.nix_args is not None else w.args)
        run = harness._one_run(ctx, w, side, argv, "record")
        if run.status != 0:
            print(f"{w.name}: {side} failed: {run.err.strip()[-500:]}", file=sys.stderr)
            status = 1
            continue
        if expected.get(w.name) != run.out:
            print(f"{w.name}: {harness.short(expected.get(w.name))} -> {harness.short(run.out)}")
        expected[w.name] = run.out
    EXPECTED.write_text(json.dumps(dict(sorted(expected.items())), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(f"recorded {EXPECTED}")
    return status


def main(argv: list[str] | None = None, prefix: str = "bench") -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--group", help=f"comma-separated groups to run: {' '.join(workloads.GROUPS)} (default: all)")
    ap.add_argument("--only", help="comma-separated workload names (or prefixes, or group names) to run; "
                                   "names nixpkgs/NixOS workloads in --quick too")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes, one timed run each, nixpkgs and NixOS left out unless asked for")
    ap.add_argument("--repeat", type=int, help="timed runs per side (default: 5 micro/lib, 3 parse/nixpkgs/nixos; "
                                               "1 with --quick)")
    ap.add_argument("--json", metavar="FILE", help="also write the table as JSON to FILE ('-': stdout)")
    ap.add_argument("--pynix", help="the pynix command to time (default: the venv's `pynix` script)")
    ap.add_argument("--no-nix", action="store_true", help="do not run nix-instantiate even when installed")
    ap.add_argument("--timeout", type=float, help="seconds per run before it counts as failed "
                                                  "(default 600; 1800 for nixpkgs and NixOS)")
    ap.add_argument("--workdir", type=Path, help="where to generate files (default: a temporary directory)")
    ap.add_argument("--list", action="store_true", help="print the selected workloads, then exit")
    ap.add_argument("--record", action="store_true",
                    help="run Nix once on the selected workloads and store its outputs in benchmarks/expected.json")
    args = ap.parse_args(argv)

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="pynix-bench-")
        args.workdir = Path(tmp.name)
    else:
        args.workdir = args.workdir.resolve()
        args.workdir.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, ap, prefix)
    finally:
        if tmp is not None:
            harness.remove_tree(Path(tmp.name))


def run(args, ap, prefix: str) -> int:
    ws, left_out = select(args, ap)
    if args.list:
        for w in ws:
            print(f"{w.group:<8} {w.name}: {w.what}" + (" [heavy]" if w.heavy else ""))
            if w.args and w.prepare is None:
                print(f"         args: {' '.join(w.args)}")
        return 0

    pynix = harness.pynix_command(args.pynix)
    nix = None if args.no_nix else shutil.which("nix-instantiate")
    nix_note = "--no-nix" if args.no_nix else "nix-instantiate is not on PATH"
    nix_version = ""
    if nix:
        nix_version = subprocess.run([nix, "--version"], capture_output=True, text=True).stdout.strip()
    ctx = harness.Context(pynix=pynix, nix=nix, nix_note=nix_note, workdir=args.workdir,
                          expected=load_expected(), repeat_override=1 if args.quick and not args.repeat
                          else args.repeat, timeout_override=args.timeout,
                          progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    if args.record:
        return record(ctx, ws)

    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "commit": git_commit(), "pynix": " ".join(pynix), "python": platform.python_version(),
            "nix": nix_version or None, "nix_note": None if nix else nix_note,
            "cpus": os.cpu_count(), "load": os.getloadavg()[0], "quick": args.quick,
            "repeat": ctx.repeat_override or workloads.DEFAULT_REPEAT}
    print("pynix benchmarks against real Nix")
    print(f"  pynix    {' '.join(pynix)} instantiate ...  (python {platform.python_version()})")
    print(f"  nix      {nix_version + ' (' + nix + ')' if nix else 'not run: ' + nix_note}")
    print(f"  machine  {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start; commit {meta['commit']}")
    repeat = (f"{ctx.repeat_override} timed runs" if ctx.repeat_override else
              "timed runs: " + ", ".join(f"{g} {k}" for g, k in workloads.DEFAULT_REPEAT.items()))
    print(f"  method   whole processes, a warm-up each, then pynix and nix alternately ({repeat});")
    print("           medians of CPU time (user+sys), peak RSS and wall time; ratios are pynix/nix")
    print()
    print(harness.HEADER)
    print(harness.HEADER2)
    print("-" * len(harness.HEADER))

    results = []
    group = None
    for w in ws:
        if w.group != group:
            group = w.group
            print(f"[{group}]", flush=True)
        r = harness.measure(ctx, w, workloads.DEFAULT_REPEAT[w.group])
        results.append(r)
        print("\n".join(harness.table_row(r)), flush=True)
    for r in left_out:
        results.append(r)
    if left_out:
        print(f"[left out by --quick] {', '.join(r.workload.name for r in left_out)}")

    summary = harness.summarise(results, workloads.GEOMEAN_TARGETS)
    print()
    for g, x in summary["geomean_cpu_ratio_by_group"].items():
        t = summary["geomean_targets"].get(g)
        note = f"  (target {t['target']}: {'met' if t['met'] else 'NOT met'})" if t else ""
        print(f"geomean CPU ratio, {g}: {harness.fmt_x(x)}{note}")
    for t in summary["series"]:
        if not t["ratios"]:
            continue
        print(f"{t['series']}: CPU ratio by N: "
              + ", ".join(f"N={p['size']} {harness.fmt_x(p['cpu_ratio'])}" for p in t["ratios"])
              + f": {t['verdict']}")
        if t["marginal"]:
            print(f"{t['series']}: marginal CPU ratio (the added work alone): "
                  + ", ".join(f"N={m['from']}->{m['to']} {harness.fmt_x(m['cpu_ratio'])}" for m in t["marginal"]))
    missed = [(r.workload.name, t) for r in results if r.status == "ok" for t in r.targets if t["met"] is False]
    if missed:
        print("targets not met: " + "; ".join(f"{name} ({t['target']})" for name, t in missed))
    if summary["failed"]:
        print(f"FAILED (wrong output or error): {', '.join(summary['failed'])}")
    if args.json:
        harness.write_json(args.json, meta, results, summary)
    print()
    print(harness.summary_line(prefix, summary))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
