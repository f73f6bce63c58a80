"""Bytecode for the browser, compiled at build time by the browser's own Python.

Pyodide's npm package ships its standard library as Python source, and a
wheel holds source too: every page load would compile all of it again (that
was most of the time to the first result). The build runs this file inside
Pyodide under Node (web/tools/run-in-pyodide.mjs), so the bytecode is made by
exactly the interpreter that will load it:

- the standard library zip becomes one of `.pyc` files (zipimport takes a
  `.pyc` beside, or instead of, the `.py`); a module that does not compile
  keeps its source;
- every module of a source tree (the pynix wheel's) gets its
  `__pycache__/NAME.cpython-3XY.pyc`.

The `.pyc` files are hash-based and unchecked (PEP 552): their source is
never consulted, so the zip and the wheel need no file times to be right.

    python bytecode.py STDLIB_ZIP OUT_ZIP TREE      (run inside Pyodide)
"""
from __future__ import annotations

import importlib.util
import os
import sys
import zipfile


def _pyc(source: bytes, filename: str) -> bytes:
    from importlib._bootstrap_external import _code_to_hash_pyc
    code = compile(source, filename, "exec", dont_inherit=True, optimize=0)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), False))


def compile_stdlib(src_zip: str, out_zip: str) -> int:
    """Copy `src_zip` to `out_zip` with each module as bytecode; returns how
    many. Code objects name their file as the browser will see it (inside
    the zip on sys.path)."""
    prefix = next((p for p in sys.path if p.endswith(".zip")), "")
    done = 0
    with zipfile.ZipFile(src_zip) as src, zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".py"):
                try:
                    pyc = _pyc(data, f"{prefix}/{info.filename}")
                except (SyntaxError, ValueError):
                    out.writestr(info, data)
                    continue
                entry = zipfile.ZipInfo(info.filename[:-3] + ".pyc", date_time=info.date_time)
                out.writestr(entry, pyc, compress_type=zipfile.ZIP_DEFLATED)
                done += 1
            else:
                out.writestr(info, data)
    return done


def compile_tree(root: str) -> int:
    """Write `__pycache__/*.pyc` for every `.py` under `root`, a tree that
    the browser unpacks into site-packages; returns how many."""
    import sysconfig
    site = sysconfig.get_paths()["purelib"]
    done = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                source = f.read()
            target = importlib.util.cache_from_source(path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(_pyc(source, os.path.join(site, os.path.relpath(path, root))))
            done += 1
    return done


if __name__ == "__main__":
    stdlib, out, tree = sys.argv[1:4]
    print(f"{compile_stdlib(stdlib, out)} standard modules, {compile_tree(tree)} pynix modules, "
          f"for {sys.implementation.cache_tag}")
