"""The two wheels the browser installs: pynix and lark, both pure Python.

pynix's wheel is made from the `nixlang` package this process runs (a
checkout or an installation alike) with the grammar inside it, where
`syntax.parser.grammar_text` looks first; the playground's web sources stay
out (the page is built from them, Python never reads them). lark's wheel is
made from its installed files, as `importlib.metadata` lists them, so the
build needs no index and gives the browser exactly the version the tests ran
with. A wheel is a zip with a `.dist-info` folder (METADATA, WHEEL, RECORD:
PEP 427); Pyodide unpacks it into site-packages.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import zipfile
from pathlib import Path

from ..version import __version__

TAG = "py3-none-any"
_SKIP_DIRS = {"__pycache__", "web", "node_modules"}


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def write_wheel(out_dir: Path, name: str, version: str, files: dict[str, bytes], metadata: str) -> Path:
    """Write `name-version-py3-none-any.whl` holding `files` (archive name ->
    bytes) and its dist-info; entries in sorted order with a fixed date, so
    the same files give the same wheel."""
    dist = f"{name.replace('-', '_')}-{version}"
    info = f"{dist}.dist-info"
    entries = dict(sorted(files.items()))
    entries[f"{info}/METADATA"] = metadata.encode()
    entries[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: pynix playground\nRoot-Is-Purelib: true\n"
                                f"Tag: {TAG}\n").encode()
    record = "".join(f"{arc},{_record_hash(data)},{len(data)}\n" for arc, data in entries.items())
    entries[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{dist}-{TAG}.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in entries.items():
            z.writestr(zipfile.ZipInfo(arc, date_time=(2020, 1, 1, 0, 0, 0)), data,
                       compress_type=zipfile.ZIP_DEFLATED)
    return path


def pynix_files() -> dict[str, bytes]:
    """The `nixlang` package's modules and the grammar, by archive name."""
    from ..syntax.parser import grammar_text
    pkg = Path(__file__).resolve().parents[1]
    files: dict[str, bytes] = {}
    for path in sorted(pkg.rglob("*.py")):
        rel = path.relative_to(pkg)
        if _SKIP_DIRS & set(rel.parts[:-1]):
            continue
        files[f"nixlang/{rel.as_posix()}"] = path.read_bytes()
    files["nixlang/grammar/__init__.py"] = b""
    files["nixlang/grammar/nix.lark"] = grammar_text().encode()
    return files


def tree_files(root: Path) -> dict[str, bytes]:
    """Every file under `root` (a staged package tree), by archive name."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def pynix_wheel(out_dir: Path, files: dict[str, bytes]) -> Path:
    metadata = f"Metadata-Version: 2.1\nName: pynix\nVersion: {__version__}\nRequires-Dist: lark\n"
    return write_wheel(out_dir, "pynix", __version__, files, metadata)


def installed_wheel(out_dir: Path, dist_name: str) -> Path:
    """A wheel of an installed pure-Python distribution, from its own files
    (compiled bytecode and the old dist-info's RECORD left out)."""
    dist = md.distribution(dist_name)
    files: dict[str, bytes] = {}
    for f in dist.files or ():
        parts = f.parts
        if "__pycache__" in parts or f.suffix in (".pyc", ".so", ".pyd") or parts[0].endswith(".dist-info"):
            continue
        if parts[0] in ("..", "bin") or f.name.endswith(".pth"):
            continue
        files[f.as_posix()] = Path(dist.locate_file(f)).read_bytes()
    if not files:
        raise FileNotFoundError(f"{dist_name} is installed without a file list; cannot repack it")
    metadata = dist.read_text("METADATA") or f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {dist.version}\n"
    return write_wheel(out_dir, dist.metadata["Name"], dist.version, files, metadata)
