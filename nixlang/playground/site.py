"""`pynix playground build DIR`: write the playground as a static site.

Everything the page loads comes from DIR, never from a CDN:

    index.html style.css     the page (web/)
    app.js                   its script with CodeMirror 6, bundled by esbuild
    worker.js                the Web Worker that runs pynix (web/src/worker.js)
    pyodide/                 the Pyodide runtime, from its npm package (its standard library
                             compiled to bytecode, see bytecode.py)
    wheels/                  pynix (this source tree, with bytecode) and lark (as installed), see wheels.py
    data/lessons.json        examples/lessons: each lesson's text, exercise and value, and their files
    data/lr-tables.pickle    the parser's tables, so that the browser never computes them
    manifest.json            versions, the files above and their sizes (the page weight)

The npm packages (pinned in web/package-lock.json) are installed with
`npm ci` into a cache folder keyed by the lockfile and the node version
(`~/.cache/pynix/playground`, or $PYNIX_PLAYGROUND_CACHE; `off` uses a
temporary folder), so a second build does not download them again. Nothing
generated is kept in the repository.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from ..version import __version__
from . import wheels

WEB = Path(__file__).resolve().parent / "web"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
NPM_MISSING = ("npm was not found: the playground's build installs Pyodide and CodeMirror with it. "
               "Install Node.js and npm (Debian/Ubuntu: apt-get install npm; elsewhere: https://nodejs.org), "
               "then run the build again")


class BuildError(Exception):
    """The build cannot go on; the message says why and what to do."""


def _lessons_dir() -> Path | None:
    """examples/lessons of the checkout this pynix runs from, if there is one."""
    here = Path(__file__).resolve().parents[2] / "examples" / "lessons"
    return here if here.is_dir() else None


def _run(cmd: list[str], cwd: Path, what: str, log) -> None:
    env = dict(os.environ, npm_config_fund="false", npm_config_audit="false", npm_config_update_notifier="false")
    log(f"  {what}")
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    except FileNotFoundError:
        raise BuildError(NPM_MISSING) from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what} took more than 20 minutes; is the npm registry reachable?") from None
    if p.returncode != 0:
        raise BuildError(f"{what} failed (exit {p.returncode}):\n{(p.stdout + p.stderr)[-3000:]}")


def _tool_version(tool: str) -> str:
    try:
        return subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _cache_root() -> Path | None:
    setting = os.environ.get("PYNIX_PLAYGROUND_CACHE")
    if setting == "off":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(setting or Path(base) / "pynix" / "playground")


def node_modules(log=print) -> Path:
    """A folder holding `node_modules` as web/package-lock.json pins it: from
    the cache when an earlier build installed the same lockfile with the same
    node, else installed now with `npm ci` (and kept in the cache)."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise BuildError(NPM_MISSING)
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        h.update((WEB / name).read_bytes())
    h.update(_tool_version(node).encode())
    key = h.hexdigest()[:20]
    root = _cache_root()
    if root is not None and (root / key / "node_modules" / ".pynix-complete").is_file():
        log(f"  npm packages: cached in {root / key}")
        return root / key
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
        work = root / f".tmp-{uuid.uuid4().hex}"     # beside its final place: renamed there when complete
        work.mkdir()
    else:
        work = Path(tempfile.mkdtemp(prefix="pynix-playground-npm-"))
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(WEB / name, work / name)
    try:
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], work, "installing the npm packages", log)
    except BuildError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    (work / "node_modules" / ".pynix-complete").write_text(key)
    if root is None:
        return work
    for old in root.iterdir():          # the packages of other lockfiles, and what stopped builds left
        stale = old.name.startswith(".tmp-") and old != work and time.time() - old.stat().st_mtime > 3600
        if stale or (old.name != key and not old.name.startswith(".")):
            shutil.rmtree(old, ignore_errors=True)
    try:
        os.rename(work, root / key)
    except OSError:                      # another build got there first: use its copy
        shutil.rmtree(work, ignore_errors=True)
    return root / key


def _bundle(modules: Path, out: Path, log) -> None:
    """app.js: web/src/main.js and the CodeMirror packages in one minified ES module."""
    src = modules / f"src-{uuid.uuid4().hex}"     # beside node_modules, so that imports resolve there
    shutil.copytree(WEB / "src", src)
    try:
        esbuild = modules / "node_modules" / ".bin" / "esbuild"
        _run([str(esbuild), str(src / "main.js"), "--bundle", "--format=esm", "--minify", "--target=es2022",
              f"--outfile={out / 'app.js'}", "--log-level=warning", "--legal-comments=none"],
             modules, "bundling the editor (esbuild)", log)
    finally:
        shutil.rmtree(src, ignore_errors=True)


def _bytecode(modules: Path, stage: Path, stdlib_zip: Path, log) -> None:
    """Compile the standard library zip (in place) and the staged pynix tree
    (stage/pynix) to bytecode with Pyodide itself, under Node (bytecode.py)."""
    shutil.copy2(stdlib_zip, stage / "python_stdlib.zip")
    shutil.copy2(Path(__file__).with_name("bytecode.py"), stage / "bytecode.py")
    node = shutil.which("node")
    if node is None:
        raise BuildError(NPM_MISSING)
    _run([node, str(WEB / "tools" / "run-in-pyodide.mjs"), str(modules / "node_modules" / "pyodide"), str(stage),
          "/host/bytecode.py", "/host/python_stdlib.zip", "/host/python_stdlib.pyc.zip", "/host/pynix"],
         stage, "compiling to bytecode (Pyodide under Node)", log)
    shutil.copy2(stage / "python_stdlib.pyc.zip", stdlib_zip)


def _pyodide_version(modules: Path) -> str:
    return json.loads((modules / "node_modules" / "pyodide" / "package.json").read_text())["version"]


def _tables(out: Path) -> str | None:
    """The parser's tables as this process uses them (computed and cached by
    the first parse), copied into the site when they match the grammar."""
    from ..parse import parse
    from ..syntax.parser import _TABLES_FORMAT, grammar_text, tables_cache_file
    parse("1")
    try:
        data = Path(tables_cache_file()).read_bytes()
        fmt, text, _table = pickle.loads(data)
    except (OSError, ValueError, pickle.UnpicklingError, EOFError):
        return None
    if fmt != _TABLES_FORMAT or text != grammar_text():
        return None
    (out / "data").mkdir(exist_ok=True)
    (out / "data" / "lr-tables.pickle").write_bytes(data)
    return "data/lr-tables.pickle"


_TITLE = re.compile(r"^#\s*(Lesson\s+\d+:.*)$", re.M)
_EXPECTED = re.compile(r"^#\s*=>\s*(.+)$", re.M)


def lesson_info(name: str, text: str) -> dict:
    """A lesson's title (its first line), its exercise (the comment paragraph
    that starts with "Try:") and the value it states (its "# => " line)."""
    title = _TITLE.search(text)
    expected = _EXPECTED.search(text)
    exercise = ""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^#\s*Try:\s*(.*)$", line)
        if m:
            para = [m.group(1)]
            for nxt in lines[i + 1:]:
                body = re.match(r"^#\s?(.*)$", nxt)
                if body is None or not body.group(1).strip() or body.group(1).lstrip().startswith("=>"):
                    break
                para.append(body.group(1).strip())
            exercise = " ".join(p for p in para if p)
            break
    stem = name[:-4]
    return {"id": stem, "file": name, "title": title.group(1).strip() if title else stem, "text": text,
            "exercise": exercise, "expected": expected.group(1).strip() if expected else ""}


def needs_nixpkgs(text: str) -> bool:
    """Does a lesson look up nixpkgs in the search path?"""
    return "<nixpkgs" in text


def lessons_data(folder: Path | None) -> dict:
    """{lessons: [...], files: {relative path: text}}: every lesson that runs
    without nixpkgs (the browser has no nixpkgs tree: the lessons on
    mkDerivation, callPackage and modules look up `<nixpkgs>`), and every
    file of the folder (the lessons import some) for the browser's file system."""
    if folder is None:
        return {"lessons": [], "files": {}}
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            try:
                files[p.relative_to(folder).as_posix()] = p.read_text("utf-8")
            except UnicodeDecodeError:
                continue
    lessons = [lesson_info(name, text) for name, text in files.items()
               if "/" not in name and name.endswith(".nix") and not needs_nixpkgs(text)]
    return {"lessons": lessons, "files": files}


def build(out_dir: str | os.PathLike, lessons: str | os.PathLike | None = None, log=print) -> dict:
    """Build the site into `out_dir` (made if missing; the files the build
    writes are replaced, others left alone). Returns the manifest."""
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise BuildError(f"'{out}' exists and is not a folder")
    log(f"building the pynix playground in {out}")
    modules = node_modules(log)
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("pyodide", "wheels", "data"):
        shutil.rmtree(out / sub, ignore_errors=True)
    _bundle(modules, out, log)
    pyodide_version = _pyodide_version(modules)
    (out / "pyodide").mkdir()
    for name in PYODIDE_FILES:
        shutil.copy2(modules / "node_modules" / "pyodide" / name, out / "pyodide" / name)
    log(f"  Pyodide {pyodide_version}: copied from its npm package")
    with tempfile.TemporaryDirectory(prefix="pynix-playground-stage-") as stage:
        stage = Path(stage)
        for arc, data in wheels.pynix_files().items():
            (stage / "pynix" / arc).parent.mkdir(parents=True, exist_ok=True)
            (stage / "pynix" / arc).write_bytes(data)
        _bytecode(modules, stage, out / "pyodide" / "python_stdlib.zip", log)
        built = [wheels.pynix_wheel(out / "wheels", wheels.tree_files(stage / "pynix")),
                 wheels.installed_wheel(out / "wheels", "lark")]
    log("  wheels: " + ", ".join(w.name for w in built))
    shutil.copy2(WEB / "src" / "worker.js", out / "worker.js")
    shutil.copy2(WEB / "style.css", out / "style.css")
    html = (WEB / "index.html").read_text()
    html = html.replace("__PYNIX_VERSION__", __version__).replace("__PYODIDE_VERSION__", pyodide_version)
    (out / "index.html").write_text(html)
    folder = Path(lessons) if lessons is not None else _lessons_dir()
    if folder is not None and not folder.is_dir():
        raise BuildError(f"no lessons folder at '{folder}'")
    data = lessons_data(folder)
    (out / "data").mkdir(exist_ok=True)
    (out / "data" / "lessons.json").write_text(json.dumps(data, ensure_ascii=False, indent=1))
    log(f"  lessons: {len(data['lessons'])}" + ("" if folder else " (no examples/lessons beside this pynix)"))
    tables = _tables(out)
    manifest = {
        "pynix": __version__, "pyodide": pyodide_version,
        "wheels": [f"wheels/{w.name}" for w in built],
        "lessons": "data/lessons.json", "tables": tables,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    sizes = {p.relative_to(out).as_posix(): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}
    manifest["files"] = sizes
    manifest["weight"] = sum(sizes.values())
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    log(f"  page weight: {manifest['weight'] / 1e6:.1f} MB in {len(sizes)} files")
    log(f"done: serve it with `pynix playground serve {out_dir}` and open the address it prints")
    return manifest
