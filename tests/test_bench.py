"""The benchmark harness (benchmarks/bench.py, harness.py, workloads.py) works.

No timing is asserted: these tests check that the harness runs a tiny
workload end to end with --quick, checks outputs (a wrong answer is FAILED),
writes the JSON table with its structure, and that its parts (process
measurement, store digests, output digests, output checks, the scaling
verdict) do what the report says they do.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402
import workloads  # noqa: E402

HAVE_NIX = shutil.which("nix-instantiate") is not None


def bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH / "bench.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


RUN_KEYS = {"cpu", "wall", "rss"}
SIDE_KEYS = {"cpu", "user", "sys", "wall", "rss", "runs"}
WORKLOAD_KEYS = {"name", "group", "what", "status", "reason", "pynix", "nix", "nix_note", "cpu_ratio",
                 "wall_ratio", "rss_ratio", "output", "checked_against", "metrics", "targets", "series", "size"}
SUMMARY_KEYS = {"geomean_cpu_ratio", "n_ratios", "geomean_cpu_ratio_by_group", "geomean_rss_ratio",
                "targets_met", "targets_total", "failed", "skipped", "series", "geomean_targets"}


def test_quick_run_of_tiny_workloads_writes_the_json_table(tmp_path):
    out = tmp_path / "table.json"
    p = bench("--quick", "--only", "startup,fib", "--json", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip().splitlines()[-1].startswith("bench: ")
    doc = json.loads(out.read_text())
    assert set(doc) == {"meta", "workloads", "summary"}
    assert doc["meta"]["quick"] is True
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert [w["name"] for w in doc["workloads"]] == ["startup", "fib 20"]
    for w, output in zip(doc["workloads"], ["1", "6765"]):
        assert set(w) == WORKLOAD_KEYS
        assert w["status"] == "ok" and w["group"] == "micro"
        assert w["output"] == output
        assert set(w["pynix"]) == SIDE_KEYS and len(w["pynix"]["runs"]) == 1
        assert set(w["pynix"]["runs"][0]) == RUN_KEYS
        assert w["pynix"]["rss"] > 0 and w["pynix"]["cpu"] >= 0
        assert all(set(t) == {"target", "value", "met"} for t in w["targets"]) and w["targets"]
        if HAVE_NIX:
            assert w["checked_against"] == "nix" and set(w["nix"]) == SIDE_KEYS
            assert w["cpu_ratio"] is not None
        else:
            assert w["checked_against"] == "recorded from nix" and w["nix"] is None


def test_a_wrong_answer_is_failed_and_the_exit_status_says_so(tmp_path):
    out = tmp_path / "table.json"
    # a "pynix" that prints 2 whatever it is asked: checked against the recorded 1
    p = bench("--quick", "--no-nix", "--only", "startup", "--pynix", f"{sys.executable} -c print(2)",
              "--json", str(out))
    assert p.returncode == 1
    [w] = json.loads(out.read_text())["workloads"]
    assert w["status"] == "FAILED" and "pynix printed '2'" in w["reason"] and w["pynix"] is None
    assert "FAILED" in p.stdout.strip().splitlines()[-1]


def test_an_error_is_failed():
    p = bench("--quick", "--no-nix", "--only", "startup", "--pynix", f"{sys.executable} -c exit(3)")
    assert p.returncode == 1
    assert "pynix failed (exit 3)" in p.stdout


def test_without_the_shared_data_its_workloads_are_skipped_with_the_reason(tmp_path):
    out = tmp_path / "table.json"
    env = dict(os.environ, PYNIX_SHARED=str(tmp_path / "absent"))
    p = subprocess.run([sys.executable, str(BENCH / "bench.py"), "--only", "modules,lib misc,hello,nixos",
                        "--json", str(out)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(out.read_text())
    assert doc["workloads"] and all(w["status"] == "skipped" for w in doc["workloads"])
    reasons = {w["name"]: w["reason"] for w in doc["workloads"]}
    assert "nixpkgs' lib not found" in reasons["modules N=50"]
    assert "nixpkgs tarball is not in" in reasons["nixos small"]
    assert doc["summary"]["skipped"] == list(reasons)


def test_quick_leaves_out_the_heavy_workloads_unless_asked():
    p = bench("--quick", "--list")
    assert p.returncode == 0
    assert "nixos small" not in p.stdout and "hello.drvPath" not in p.stdout
    p = bench("--quick", "--list", "--only", "nixos")
    assert "nixos small" in p.stdout and "nixos desktop" in p.stdout
    p = bench("--quick", "--list", "--group", "nixpkgs")
    assert "hello.drvPath" in p.stdout and "hello closure to a store" in p.stdout


@pytest.mark.parametrize("quick", [False, True])
def test_every_workload_checked_without_nix_has_a_recorded_output(tmp_path, quick):
    recorded = json.loads((BENCH / "expected.json").read_text())
    for w in workloads.build(workloads.GROUPS, quick, tmp_path):
        if w.expected is None and w.pynix_argv is None and not (w.nix_skip and not w.nix_prints_differently):
            assert w.name in recorded, f"{w.name}: run bench.py --record"


def test_nixos_systems_are_files_of_the_benchmark():
    for name, _ in workloads.NIXOS_SYSTEMS:
        text = (BENCH / "nixos" / f"{name}.nix").read_text()
        assert "./common.nix" in text and "system.build.toplevel.drvPath" in text


# -- the parts -----------------------------------------------------------------------------

def test_run_process_measures_the_child(tmp_path):
    code = "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('done')"
    run = harness.run_process([sys.executable, "-c", code], dict(os.environ), tmp_path, timeout=120)
    assert run.status == 0 and run.out == "done" and not run.timed_out
    assert run.rss > 150 * 2**20          # the child's peak, from wait4
    assert run.cpu == run.user + run.sys and run.cpu >= 0


def test_run_process_kills_on_timeout(tmp_path):
    run = harness.run_process(["sleep", "60"], dict(os.environ), tmp_path, timeout=0.5)
    assert run.timed_out and run.status == -9


LONG = b"y" * (harness.LONG_OUTPUT + 1)


@pytest.mark.parametrize("data, expected", [
    (b"  1\n", "1"),
    (b"x" * harness.LONG_OUTPUT + b"\n", "x" * harness.LONG_OUTPUT),
    (LONG + b"\n", f"{len(LONG)} bytes, sha256 {hashlib.sha256(LONG).hexdigest()}"),
])
def test_output_text(data, expected):
    assert harness.output_text(data) == expected


def test_output_text_hides_the_work_directory(tmp_path):
    assert harness.output_text(f"{tmp_path}/a.patch\n".encode(), tmp_path) == "$WORKDIR/a.patch"


def test_store_digest_sees_names_and_drv_bytes(tmp_path):
    def store(files: dict) -> str:
        root = tmp_path / str(len(list(tmp_path.iterdir())))
        (root / "nix" / "store").mkdir(parents=True)
        for name, data in files.items():
            (root / "nix" / "store" / name).write_bytes(data)
        return harness.store_digest(root)

    base = store({"aaa-x.drv": b"Derive(1)", "bbb-src.patch": b"p", ".links": b""})
    assert base.startswith("1 .drv files, 1 other store objects, sha256 ")
    assert store({"aaa-x.drv": b"Derive(1)", "bbb-src.patch": b"p"}) == base
    assert store({"aaa-x.drv": b"Derive(2)", "bbb-src.patch": b"p"}) != base   # .drv bytes count
    assert store({"aaa-x.drv": b"Derive(1)", "ccc-src.patch": b"p"}) != base   # other objects' names count


def _w(**kw) -> harness.Workload:
    return harness.Workload("w", "micro", "test", **kw)


@pytest.mark.parametrize("workload, outputs, recorded, problem", [
    (_w(), {"pynix": "1", "nix": "1"}, {"w": "1"}, ""),
    (_w(), {"pynix": "1", "nix": "1"}, {}, ""),
    (_w(), {"pynix": "2", "nix": "1"}, {"w": "1"}, "pynix printed '2', nix printed '1'"),
    (_w(), {"pynix": "1", "nix": "1"}, {"w": "0"}, "nix printed '1', but the benchmark recorded '0'"),
    (_w(), {"pynix": "1"}, {"w": "1"}, ""),
    (_w(), {"pynix": "2"}, {"w": "1"}, "pynix printed '2', expected (recorded from nix) '1'"),
    (_w(), {"pynix": "1"}, {}, "no recorded output"),
    (_w(expected="[ ]", expected_source="its contract"), {"pynix": "[ ]"}, {}, ""),
    (_w(nix_prints_differently="older form"), {"pynix": "a", "nix": "b"}, {"w": "a"}, ""),
    (_w(nix_prints_differently="older form", expected_source="pynix's"), {"pynix": "c", "nix": "b"},
     {"w": "a"}, "pynix printed 'c', expected (pynix's) 'a'"),
])
def test_check_outputs(workload, outputs, recorded, problem):
    got = harness.check_outputs(workload, outputs, recorded)
    assert (got == "") if not problem else (problem in got), got


def test_marginal_ratio_leaves_out_the_fixed_costs():
    # pynix: 1 s fixed + 0.04 s a service; nix: 0.02 s fixed + 0.001 s a service
    results = [_result(n, 1 + 0.04 * n, 0.02 + 0.001 * n) for n in (50, 200, 1000)]
    [trend] = harness.series_trend(results)
    assert [round(m["cpu_ratio"], 6) for m in trend["marginal"]] == [40.0, 40.0]
    assert [(m["from"], m["to"]) for m in trend["marginal"]] == [(50, 200), (200, 1000)]


def _result(size: int, pynix_cpu: float, nix_cpu: float) -> harness.Result:
    def run(cpu: float) -> harness.Run:
        return harness.Run(status=0, user=cpu, sys=0.0, wall=cpu, rss=1, out="", err="")
    w = harness.Workload(f"m{size}", "lib", "", series="modules", size=size)
    return harness.Result(w, pynix=[run(pynix_cpu)], nix=[run(nix_cpu)])


@pytest.mark.parametrize("ratios, verdict", [
    ([(50, 10.0), (200, 10.5), (1000, 10.2)], "flat"),
    ([(50, 10.0), (200, 8.0), (1000, 6.0)], "falling"),
    ([(50, 6.0), (200, 8.0), (1000, 10.0)], "RISING"),
    # each step under 15% but a quarter in all: rising (the morning's 6.8/7.5/8.6)
    ([(50, 6.8), (200, 7.52), (1000, 8.61)], "RISING"),
    ([(50, 7.0), (200, 7.3), (1000, 7.6)], "flat"),
    ([(50, 6.0)], "not enough"),
])
def test_series_verdict(ratios, verdict):
    [trend] = harness.series_trend([_result(n, x, 1.0) for n, x in ratios])
    assert trend["verdict"].startswith(verdict)
    assert len(trend["marginal"]) == len(ratios) - 1
    assert [p["size"] for p in trend["ratios"]] == ([n for n, _ in ratios] if len(ratios) > 1 else [50])
