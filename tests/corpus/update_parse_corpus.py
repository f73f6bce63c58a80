"""Maintain tests/corpus/parse: write missing goldens and recompute AGREE.

    python tests/corpus/update_parse_corpus.py            # goldens for new cases, then AGREE
    python tests/corpus/update_parse_corpus.py --force N  # rewrite the golden of case N from pynix
    python tests/corpus/update_parse_corpus.py --report   # print how each case compares with nix

A golden is the output Nix 2.36 prints. A new golden is taken from pynix's
current output, so check it by hand (and against real Nix where you can):
where pynix is wrong, edit the golden to the correct output. Never use
--force on a case whose golden was written by hand for a known bug (see
README.md beside the corpus).

AGREE lists the cases where the installed nix-instantiate and pynix print
byte-identical output (run from the same working directory with the same
HOME); AGREE_NORMALISED the error cases that agree once older Nix's blank
lines and Bison token names are normalised. test_parse_corpus.py re-checks
exactly those.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import test_parse_corpus as T  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--force", action="append", default=[], metavar="NAME")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    cases = sorted(p.name[:-4] for p in T.CORPUS.glob("*.nix"))
    for name in cases:
        has = (T.CORPUS / f"{name}.exp").exists() or (T.CORPUS / f"{name}.err.exp").exists()
        if not has or name in args.force:
            code, text = T.run_pynix((T.CORPUS / f"{name}.nix").read_bytes())
            T.write_golden(name, code, text)
            print(f"wrote golden for {name} (exit {code}): check it by hand")
    if shutil.which("nix-instantiate") is None:
        print("nix-instantiate not on PATH: AGREE left as it is")
        return 0
    cwd = os.path.realpath(tempfile.mkdtemp(prefix="pynix-corpus-"))

    def one(name):
        data = (T.CORPUS / f"{name}.nix").read_bytes()
        return name, T.run_nix(data, cwd), T.run_pynix(data, base_dir=cwd)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, cases))
    agree = [name for name, nix, py in results if nix == py]
    normalised = [name for name, nix, py in results
                  if nix != py and nix[0] == py[0] == 1 and T.normalise_old_nix(nix[1]) == py[1]]
    (T.CORPUS / "AGREE").write_text("".join(n + "\n" for n in agree))
    (T.CORPUS / "AGREE_NORMALISED").write_text("".join(n + "\n" for n in normalised))
    print(f"{len(agree)} of {len(cases)} cases agree byte for byte with the installed nix-instantiate, "
          f"{len(normalised)} more after normalising its error layout and token names")
    if args.report:
        for name, nix, py in results:
            if nix != py and name not in normalised:
                print(f"--- {name}\nnix (exit {nix[0]}):\n{nix[1]}pynix (exit {py[0]}):\n{py[1]}")
    shutil.rmtree(cwd, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
