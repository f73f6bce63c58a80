#!/usr/bin/env python3
"""One-command evaluation benchmark for pynix, against real Nix when installed.

    python benchmarks/eval_bench.py [--repeat K] [--only NAME,...] [--pynix CMD]

Each workload is one Nix expression, evaluated as a whole process, the way a
user would run it:

    pynix instantiate --eval --strict -E EXPR
    nix-instantiate   --eval --strict -E EXPR      (when it is on PATH)

Every expression forces its result and prints a small summary (a number, a
short list), so laziness cannot skip the work. The script checks that pynix
prints exactly what Nix prints (or, without Nix, the output recorded below),
and fails when it does not.

The report is a table of median wall-clock times (of K runs) with the ratio
pynix/nix, then the geometric mean of the ratios over the workloads (start-up
excluded) and the start-up time (`-E 1`). The last line sums it all up:

    eval-bench: geomean pynix/nix R over N workloads; start-up pynix S s, nix T s

Only the standard library is used.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (name, what it measures, expression, expected output)
# Expected outputs are what Nix prints; they are used when Nix is not installed.
WORKLOADS = [
    ("startup", "`-E 1`: interpreter, imports, parser tables, builtins",
     "1",
     "1"),
    ("fib 25", "naive recursion: 250k calls, ints, if, +, -, <",
     "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 25",
     "75025"),
    ("foldl' 200k", "builtins.foldl' over builtins.genList of 200k ints",
     "builtins.foldl' (acc: x: acc + x) 0 (builtins.genList (i: i * 2) 200000)",
     "39999800000"),
    ("listToAttrs 50k", "builtins.listToAttrs of 50k name/value pairs, names interpolated",
     'let s = builtins.listToAttrs (builtins.genList (i: { name = "k${toString i}"; value = i; }) 50000);'
     " in builtins.length (builtins.attrNames s) + s.k49999 + s.k0",
     "99999"),
    ("strings 5k", "a string from 5k interpolated pieces: concatStringsSep and foldl' with +",
     'let xs = builtins.genList (i: "item-${toString i};") 5000;'
     ' a = builtins.concatStringsSep "" xs;'
     " b = builtins.foldl' (acc: x: acc + x) \"\" xs;"
     " in [ (builtins.stringLength a) (builtins.stringLength b) (builtins.substring 4990 20 b) (a == b) ]",
     '[ 48890 48890 "66;item-567;item-568" true ]'),
    ("fix 3k attrs", "a fixed point `fix (self: ...)` over 3k packages that refer to each other through self",
     "let fix = f: let x = f x; in x;"
     " pkgs = fix (self: builtins.listToAttrs (builtins.genList (i: {"
     ' name = "p${toString i}";'
     " value = rec {"
     ' pname = "p${toString i}";'
     ' version = "1.${toString (i - i / 10 * 10)}";'
     ' name = "${pname}-${version}";'
     ' deps = if i == 0 then [ ] else [ self."p${toString (i / 2)}" self."p${toString (i / 3)}" ];'
     " depth = builtins.foldl' (m: d: if d.depth + 1 > m then d.depth + 1 else m) 1 deps;"
     " }; }) 3000));"
     " in builtins.foldl' (acc: k: acc + pkgs.${k}.depth + builtins.stringLength pkgs.${k}.name) 0"
     " (builtins.attrNames pkgs)",
     "60795"),
    ("sort 20k", "builtins.sort with a lambda comparator on 20k pseudo-random ints",
     "let xs = builtins.genList (i: (i * 2654435761 + 12345) - (i * 2654435761 + 12345) / 1000003 * 1000003) 20000;"
     " s = builtins.sort (a: b: a < b) xs;"
     " in [ (builtins.head s) (builtins.elemAt s 9999) (builtins.elemAt s 19999) (builtins.length s) ]",
     "[ 18 500052 999956 20000 ]"),
]


def pynix_command(arg: str | None) -> list[str]:
    """The pynix command line: --pynix if given, else the `pynix` script next to
    this Python (the installed entry point), else `python -m nixlang`."""
    if arg:
        return arg.split()
    script = Path(sys.executable).with_name("pynix")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "nixlang"]


def child_env(cmd: list[str]) -> dict:
    env = dict(os.environ)
    # time what a user sees: Python's bytecode cache in use (the first, untimed
    # run writes it when it is missing)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if "-m" in cmd:  # a plain checkout: make `import nixlang` work
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_once(cmd: list[str], timeout: float) -> tuple[float, int, str, str]:
    """(wall-clock seconds, exit status, stdout, stderr) of one whole process."""
    env = child_env(cmd)
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        return time.perf_counter() - t, -1, "", f"timed out after {timeout:.0f} s"
    wall = time.perf_counter() - t
    return wall, p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def measure(cmd: list[str], repeat: int, timeout: float) -> dict:
    """Median wall time of `repeat` runs of `cmd` (after one untimed warm-up
    run), its output, and the CPU split (user/sys, from the children's
    resource usage) of the median run."""
    import resource
    run_once(cmd, timeout)   # warm-up: bytecode and parser-table caches, the OS file cache
    walls, cpus, out, err, status = [], [], None, "", 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, status, o, e = run_once(cmd, timeout)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(wall)
        cpus.append((after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime))
        if status != 0:
            return {"ok": False, "error": (e.strip() or f"exit status {status}")[:800], "out": o}
        if out is not None and o != out:
            return {"ok": False, "error": f"output changed between runs: {out!r} then {o!r}", "out": o}
        out, err = o, e
    med = statistics.median(walls)
    user, sys_ = cpus[walls.index(sorted(walls)[len(walls) // 2])]
    return {"ok": True, "wall": med, "runs": walls, "user": user, "sys": sys_, "out": out}


def fmt(t: float | None) -> str:
    return "-" if t is None else f"{t:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians are reported (default 3)")
    ap.add_argument("--only", help="comma-separated workload names (or unique prefixes) to run")
    ap.add_argument("--pynix", help="the pynix command to time (default: the venv's `pynix` script)")
    ap.add_argument("--no-nix", action="store_true", help="do not run nix-instantiate even when installed")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run before giving up (default 600)")
    ap.add_argument("--list", action="store_true", help="print the workloads and their expressions, then exit")
    args = ap.parse_args(argv)
    k = max(1, args.repeat)

    workloads = WORKLOADS
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        workloads = [w for w in WORKLOADS if any(w[0].startswith(x) for x in wanted)]
        if not workloads:
            ap.error(f"no workload matches {args.only!r}; try --list")
    if args.list:
        for name, what, expr, expected in workloads:
            print(f"{name}: {what}\n    {expr}\n    => {expected}")
        return 0

    pynix = pynix_command(args.pynix)
    nix = None if args.no_nix else shutil.which("nix-instantiate")
    nix_version = ""
    if nix:
        nix_version = subprocess.run([nix, "--version"], capture_output=True, text=True).stdout.strip()

    print("pynix evaluation benchmark")
    print(f"  pynix    {' '.join(pynix)} instantiate --eval --strict -E EXPR")
    print(f"  python   {platform.python_version()} ({sys.executable})")
    if nix:
        print(f"  nix      {nix_version} ({nix})")
    else:
        print(f"  nix      {'not run (--no-nix)' if args.no_nix else 'nix-instantiate not on PATH'}: pynix only")
    print(f"  timing   whole processes, median wall-clock seconds of {k} runs (after a warm-up run)\n")

    header = f"{'workload':<17} {'pynix s':>8} {'nix s':>8} {'ratio':>7}   {'pynix user/sys':>15}"
    print(header)
    print("-" * len(header))
    failures = []
    ratios = []
    startup = {}
    for name, _what, expr, expected in workloads:
        p = measure(pynix + ["instantiate", "--eval", "--strict", "-E", expr], k, args.timeout)
        n = measure([nix, "--eval", "--strict", "-E", expr], k, args.timeout) if nix else None
        problems = []
        if not p["ok"]:
            problems.append(f"pynix failed: {p['error']}")
        if n is not None and not n["ok"]:
            problems.append(f"nix-instantiate failed: {n['error']}")
        reference = n["out"].strip() if n is not None and n["ok"] else expected
        if p["ok"] and p["out"].strip() != reference:
            problems.append(f"pynix printed {p['out'].strip()!r}, "
                            f"{'nix' if n is not None and n['ok'] else 'expected'} {reference!r}")
        if n is not None and n["ok"] and n["out"].strip() != expected:
            problems.append(f"nix printed {n['out'].strip()!r}, the script expects {expected!r}")
        pw = p["wall"] if p["ok"] else None
        nw = n["wall"] if n is not None and n["ok"] else None
        ratio = pw / nw if pw is not None and nw else None
        cpu = f"{p['user']:.2f}/{p['sys']:.2f}" if p["ok"] else "-"
        print(f"{name:<17} {fmt(pw):>8} {fmt(nw):>8} {('%.1f' % ratio) if ratio else '-':>7}   {cpu:>15}"
              + ("   MISMATCH" if problems else ""), flush=True)
        for msg in problems:
            print(f"    {msg}")
        if problems:
            failures.append(name)
            continue
        if name == "startup":
            startup = {"pynix": pw, "nix": nw}
        elif ratio is not None:
            ratios.append(ratio)

    print()
    summary = []
    if ratios:
        gm = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"geometric mean of ratios pynix/nix: {gm:.2f}  (over {len(ratios)} workloads, start-up excluded)")
        summary.append(f"geomean pynix/nix {gm:.2f} over {len(ratios)} workloads")
    elif nix is None:
        summary.append("no ratios (nix-instantiate not run)")
    if startup:
        line = f"start-up (-E 1): pynix {startup['pynix']:.3f} s"
        if startup.get("nix"):
            line += f", nix {startup['nix']:.3f} s"
        print(line)
        summary.append(line.replace("start-up (-E 1): ", "start-up "))
    if failures:
        print(f"FAILED (wrong output or error): {', '.join(failures)}")
        summary.append(f"{len(failures)} FAILED")
    print(f"\neval-bench: {'; '.join(summary)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
