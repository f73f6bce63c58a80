"""Helpers of the store database and query tests (test_store_db.py,
test_store_query.py): the build graph of tests/store/closure.nix written by
pynix, its outputs "built" by a stand-in for a builder that registers them
through LocalStore.register_valid_paths (the API a real builder will use),
the same graph instantiated and built by real Nix 2.8, and the recording of
Nix's answers in tests/store/expected.json.

Record again (needs nix-bin, as root for Nix's sandbox):

    .venv/bin/python tests/store_support.py
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from nixlang.cli import run  # noqa: E402
from nixlang.store import LocalStore, PathInfo, nar_hash, read_derivation_file  # noqa: E402

DATA = HERE / "store"
CLOSURE = DATA / "closure.nix"
EXPECTED = DATA / "expected.json"
HAVE_NIX = shutil.which("nix-store") is not None and shutil.which("nix-instantiate") is not None
SANDBOX_PATHS = " ".join(f"{d}={os.path.realpath(d)}" for d in ("/bin", "/lib", "/lib64")
                         if os.path.exists(d)) + " /usr"
NIX_OPTIONS = ["--option", "substituters", "", "--option", "sandbox-paths", SANDBOX_PATHS]
NIX_COMMAND = ["nix", "--extra-experimental-features", "nix-command"]


def pynix(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = run(list(args), out, err)
    return rc, out.getvalue(), err.getvalue()


def pynix_instantiate(root: str) -> str:
    rc, out, err = pynix("instantiate", "--store", root, str(CLOSURE))
    assert rc == 0, err
    return out.strip()


def nix_instantiate(root: str) -> str:
    return subprocess.run(["nix-instantiate", "--store", root, str(CLOSURE)], check=True,
                          capture_output=True, text=True).stdout.strip()


def nix_realise(root: str, drv: str) -> None:
    subprocess.run(["nix-store", "--store", root, *NIX_OPTIONS, "--realise", drv], check=True,
                   capture_output=True, text=True)


# -- a stand-in builder for closure.nix --------------------------------------------------------

def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o444)


def _outputs_of(name: str, out: dict, inputs: dict) -> None:
    """What closure.nix's /bin/sh builders write (echo adds a newline)."""
    if name == "lib":
        _write(out["out"], inputs["note.txt"] + "\n")
    elif name == "tool":
        _write(out["out"], inputs["lib"] + "\n")
        _write(out["dev"], f"{inputs['lib']} {inputs['greeting.txt']}\n")
    elif name == "app":
        d = out["out"]
        os.mkdir(d)
        _write(os.path.join(d, "bin-ref"), inputs["tool"] + "\n")
        _write(os.path.join(d, "dev-ref"), inputs["tool-dev"] + "\n")
        _write(os.path.join(d, "self"), out["logical"] + "\n")
        os.chmod(d, 0o555)
    else:
        raise ValueError(name)


def _scan(real: str, candidates: set[str]) -> frozenset:
    """The candidates whose hash part occurs in the object's bytes (Nix's
    reference scanning)."""
    blobs = []
    for dirpath, _, files in os.walk(real) if os.path.isdir(real) else [("", [], [real])]:
        for f in files:
            with open(os.path.join(dirpath, f), "rb") as h:
                blobs.append(h.read())
    data = b"".join(blobs)
    return frozenset(c for c in candidates if c.rpartition("/")[2][:32].encode() in data)


def fake_build(store: LocalStore, drv_path: str) -> None:
    """Realise `drv_path` and its input derivations, dependencies first: write
    each output under a temporary name, rename it into place, then register all
    outputs of the derivation in one call, with their deriver."""
    drv = read_derivation_file(store.real_path(drv_path), store.store_dir)
    for dep in sorted(drv.input_drvs):
        fake_build(store, dep)
    outputs = drv.output_paths()
    if all(store.is_valid(p) for p in outputs.values()):
        return
    inputs = {p.rpartition("/")[2][33:]: p for p in drv.input_srcs}
    for dep, wanted in drv.input_drvs.items():
        dep_outputs = read_derivation_file(store.real_path(dep), store.store_dir).output_paths()
        for o in wanted.outputs:
            inputs[dep_outputs[o].rpartition("/")[2][33:]] = dep_outputs[o]
    tmp = {o: store.real_path(p) + ".tmp-build" for o, p in outputs.items()}
    _outputs_of(drv.name, {**tmp, "logical": outputs["out"]}, inputs)
    for o, p in outputs.items():
        os.rename(tmp[o], store.real_path(p))
    candidates = set(inputs.values()) | set(outputs.values())
    closure_of_inputs = set()
    for p in candidates - set(outputs.values()):
        closure_of_inputs |= _closure(store, p)
    candidates |= closure_of_inputs
    infos = []
    for o, p in sorted(outputs.items()):
        h, size = nar_hash(store.real_path(p))
        infos.append(PathInfo(p, h, size, _scan(store.real_path(p), candidates), deriver=drv_path,
                              ultimate=True))
    store.register_valid_paths(infos)


def _closure(store: LocalStore, path: str) -> set[str]:
    seen, todo = set(), [path]
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(store.db.query_path_info(p).references)
    return seen


# -- what is compared: database rows and query outputs ----------------------------------------

def db_rows(root: str) -> dict:
    """The store database as comparable data (registration times left out)."""
    c = sqlite3.connect(os.path.join(root, "nix/var/nix/db/db.sqlite"))
    try:
        return {
            "ValidPaths": sorted(list(r) for r in c.execute(
                "select path, hash, deriver, narSize, ultimate, sigs, ca from ValidPaths")),
            "Refs": sorted(list(r) for r in c.execute(
                "select a.path, b.path from Refs join ValidPaths a on referrer = a.id "
                "join ValidPaths b on reference = b.id")),
            "DerivationOutputs": sorted(list(r) for r in c.execute(
                "select v.path, d.id, d.path from DerivationOutputs d join ValidPaths v on drv = v.id")),
        }
    finally:
        c.close()


def schema(db_file: str) -> list:
    c = sqlite3.connect(db_file)
    try:
        return [list(r) for r in c.execute("select type, name, tbl_name, sql from sqlite_master order by name")]
    finally:
        c.close()


def mask(text: str) -> str:
    """Registration times differ from store to store."""
    return re.sub(r'"registrationTime":\d+', '"registrationTime":0', text)


def queries(drv: str, outputs: dict) -> list[list[str]]:
    """The pynix command lines compared (each has a Nix equivalent)."""
    app, lib, tool, dev = outputs["app"], outputs["lib"], outputs["tool"], outputs["tool-dev"]
    src = "/nix/store/8sr6hlg0kxypfhdaddcsya2jqizp5a5y-greeting.txt"
    cmds = []
    for q in ("--references", "--referrers", "--requisites", "--tree", "--graph", "--deriver",
              "--referrers-closure"):
        for p in (drv, app, lib, src):
            cmds.append(["store", "query", q, p])
    cmds += [["store", "query", "--outputs", drv], ["store", "query", "--requisites", "--include-outputs", drv],
             ["store", "query", "--requisites", "--use-output", drv], ["store", "query", "--tree", app, dev],
             ["store", "query", "--references", app, tool]]
    for flags in ([], ["-r"], ["-s"], ["-S"], ["-rsS"], ["-rsSh"], ["--json"], ["-r", "--json"],
                  ["-S", "--json"], ["-rS", "--json"]):
        cmds.append(["path-info", *flags, app])
    cmds.append(["path-info", "-s", app, lib, src])
    cmds += [["why-depends", app, src], ["why-depends", "--all", app, src], ["why-depends", app, lib],
             ["why-depends", "--all", app, lib], ["why-depends", "--derivation", app, lib],
             ["why-depends", "--all", "--derivation", app, lib], ["why-depends", lib, app],
             ["why-depends", app, app], ["why-depends", "--precise", app, src],
             ["why-depends", "--precise", "--all", app, src], ["why-depends", "--precise", "--all", app, lib]]
    return cmds


def nix_equivalent(cmd: list[str], root: str) -> list[str]:
    if cmd[0] == "store":
        return ["nix-store", "--store", root, "-q", *cmd[2:]]
    return [*NIX_COMMAND, *NIX_OPTIONS, cmd[0], "--store", root, *cmd[1:]]


def run_nix(cmd: list[str], root: str) -> dict:
    p = subprocess.run(nix_equivalent(cmd, root), capture_output=True, text=True)
    out = re.sub(r"\x1b\[[0-9;]*m", "", p.stdout)
    if out and not out.endswith("\n"):
        out += "\n"        # Nix 2.8's JSON ends without a newline; pynix ends every line
    return {"rc": p.returncode, "stdout": mask(out),
            "stderr": [line for line in p.stderr.splitlines() if "does not depend" in line]}


def run_pynix(cmd: list[str], root: str) -> dict:
    rc, out, err = pynix(*cmd[:2 if cmd[0] == "store" else 1], "--store", root,
                         *cmd[2 if cmd[0] == "store" else 1:])
    return {"rc": rc, "stdout": mask(out),
            "stderr": [line for line in err.splitlines() if "does not depend" in line]}


def output_map(store_root: str, drv: str) -> dict:
    """name -> output path of every derivation in the closure of `drv`."""
    store = LocalStore(store_root)
    res = {}
    todo = [drv]
    while todo:
        d = todo.pop()
        parsed = read_derivation_file(store.real_path(d), store.store_dir)
        for o, p in parsed.output_paths().items():
            res[parsed.name if o == "out" else f"{parsed.name}-{o}"] = p
        todo.extend(parsed.input_drvs)
    return res


# objects copied in every way the evaluator copies: flat, NAR, fetched, filtered
COPIED = ('let g = ./greeting.txt; in [ (builtins.path { path = g; recursive = false; }) '
          '(builtins.path { path = g; name = "r"; }) (builtins.fetchurl "file://${toString g}") '
          '(builtins.filterSource (p: t: baseNameOf p == "greeting.txt") ./.) ]')


def eval_copied(command: list[str], root: str) -> None:
    """Evaluate COPIED in tests/store, writing to the store at `root`."""
    subprocess.run([*command, "--eval", "--strict", "--read-write-mode", "--store", root, "-E", COPIED],
                   check=True, cwd=DATA, capture_output=True)


def record(tmp: str) -> None:
    croot = os.path.join(tmp, "nix-copied")
    eval_copied(["nix-instantiate"], croot)
    nroot = os.path.join(tmp, "nix-instantiated")
    drv = nix_instantiate(nroot)
    instantiated = db_rows(nroot)
    init = os.path.join(tmp, "nix-init")
    subprocess.run(["nix-store", "--store", init, "--init"], check=True)
    broot = os.path.join(tmp, "nix-built")
    nix_instantiate(broot)
    nix_realise(broot, drv)
    outputs = output_map(broot, drv)
    results = [{"cmd": cmd, **run_nix(cmd, broot)} for cmd in queries(drv, outputs)]
    dump = list(sqlite3.connect(os.path.join(broot, "nix/var/nix/db/db.sqlite")).iterdump())
    EXPECTED.write_text(json.dumps({
        "drv": drv, "outputs": outputs,
        "schema": schema(os.path.join(init, "nix/var/nix/db/db.sqlite")),
        "instantiated": instantiated, "built": db_rows(broot), "copied": db_rows(croot),
        "queries": results, "nix_built_db": [mask_time(line) for line in dump],
    }, indent=1) + "\n")


def mask_time(sql: str) -> str:
    return re.sub(r"(INSERT INTO \"ValidPaths\" VALUES\(\d+,'[^']*','[^']*',)\d+", r"\g<1>1", sql)


def load(path: Path = EXPECTED) -> dict:
    return json.loads(path.read_text())


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        record(t)
    print(f"wrote {EXPECTED}")
