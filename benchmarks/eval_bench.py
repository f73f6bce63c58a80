#!/usr/bin/env python3
"""The evaluation micro-benchmarks alone: `bench.py --group micro`.

    python benchmarks/eval_bench.py [--repeat K] [--only NAME,...] [--pynix CMD] [--no-nix] [--quick] [--json FILE]

Each workload is one Nix expression (fib, foldl', listToAttrs, string
building, a fixed point, sort, toJSON, match, and start-up `-E 1`),
evaluated as a whole process the way a user runs it:

    pynix instantiate --eval --strict -E EXPR
    nix-instantiate   --eval --strict -E EXPR      (when it is on PATH)

measured as benchmarks/harness.py measures everything: a warm-up, then
paired runs, medians of CPU time, peak memory and wall time, pynix's output
checked against Nix's (or the recorded one). Every option of bench.py works
here too. The last line sums it all up:

    eval-bench: geomean CPU pynix/nix R over N workloads (micro R); peak memory M; targets met a/b

Only the standard library is used.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--group" not in argv and not any(a.startswith("--group=") for a in argv):
        argv = ["--group", "micro"] + argv
    return bench.main(argv, prefix="eval-bench")


if __name__ == "__main__":
    sys.exit(main())
