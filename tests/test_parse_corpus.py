"""Golden and differential tests for the parser over tests/corpus/parse/.

Each case is `NAME.nix` (bytes fed to the parser exactly as they are on
disk: CR, CRLF, tabs and trailing spaces matter) with its expected output
beside it, exactly as `nix-instantiate --parse -` prints it (Nix 2.36):

    NAME.exp        the one-line AST (stdout, exit 0)
    NAME.err.exp    the error (stdout + stderr, exit 1)

The goldens are made with fixed settings so they do not depend on the
machine: the input is «stdin», relative paths resolve against "/pwd", and
`~` is "/home/test".

`test_parse_golden` runs pynix in process and compares with the golden.

The differential tests run the real `nix-instantiate` (when it is on PATH,
else they are skipped) from a temporary working directory, and pynix with the
same directory and HOME, so the agreement with real Nix stays measured:

    AGREE             cases where the installed Nix (2.8 when the corpus was
                      made) and pynix print byte-identical output
    AGREE_NORMALISED  error cases that differ only by older Nix's error layout
                      (blank lines) and Bison token names (`ID` for identifier)

The remaining cases differ from Nix 2.8 by a known version difference or are
pynix bugs; tests/corpus/parse/README.md classifies every one.

To add a case: write `NAME.nix`, then run
`python tests/corpus/update_parse_corpus.py` (writes missing goldens from
pynix's current output, which you must then check by hand, and recomputes
both lists when nix-instantiate is available).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nixlang import errors
from nixlang.source import Source, decode
from nixlang.parse import ParseOptions, parse_full
from nixlang.syntax.printer import show

CORPUS = Path(__file__).parent / "corpus" / "parse"
BASE_DIR = "/pwd"
HOME = "/home/test"
ORIGIN = "«stdin»"

CASES = sorted(p.name[:-4] for p in CORPUS.glob("*.nix"))


def run_pynix(data: bytes, base_dir: str = BASE_DIR, home: str = HOME) -> tuple[int, str]:
    """pynix instantiate --parse - on `data`: (exit code, stdout + stderr)."""
    src = Source(decode(data), ORIGIN, base_dir)
    try:
        result = parse_full(src, ParseOptions(home=home))
    except errors.NixError as exc:
        return 1, errors.render_nix(exc)
    return 0, show(result.ast) + "\n"


def read_golden(name: str) -> tuple[int, str]:
    ok, err = CORPUS / f"{name}.exp", CORPUS / f"{name}.err.exp"
    if ok.exists() == err.exists():
        raise AssertionError(f"{name}: need exactly one of {ok.name} and {err.name}")
    path, code = (ok, 0) if ok.exists() else (err, 1)
    return code, path.read_bytes().decode("utf-8", "surrogateescape")


def write_golden(name: str, code: int, text: str) -> None:
    for suffix in (".exp", ".err.exp"):
        (CORPUS / f"{name}{suffix}").unlink(missing_ok=True)
    path = CORPUS / (f"{name}.exp" if code == 0 else f"{name}.err.exp")
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def read_list(filename: str) -> list[str]:
    path = CORPUS / filename
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def run_nix(data: bytes, cwd: str, home: str = HOME, timeout: float = 60) -> tuple[int, str]:
    """The real `nix-instantiate --parse -`: (exit code, stdout + stderr)."""
    env = dict(os.environ, HOME=home)
    proc = subprocess.run(["nix-instantiate", "--parse", "-"], input=data, capture_output=True,
                          cwd=cwd, env=env, timeout=timeout)
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "surrogateescape")


def test_corpus_is_consistent():
    assert len(CASES) >= 150
    for name in CASES:
        read_golden(name)
    for listed in ("AGREE", "AGREE_NORMALISED"):
        unknown = sorted(set(read_list(listed)) - set(CASES))
        assert not unknown, f"{listed} lists cases that do not exist: {unknown}"


@pytest.mark.parametrize("name", CASES)
def test_parse_golden(name):
    data = (CORPUS / f"{name}.nix").read_bytes()
    want_code, want = read_golden(name)
    got_code, got = run_pynix(data)
    assert got == want
    assert got_code == want_code


# -- differential: the real Nix, where it is installed ---------------------------------------

NIX = shutil.which("nix-instantiate")
AGREE = read_list("AGREE")
AGREE_NORMALISED = read_list("AGREE_NORMALISED")

# Bison's names for tokens in older Nix (2.8) -> Nix 2.36's names.
_OLD_TOKEN_NAMES = {
    "ID": "identifier", "INT": "integer", "FLOAT": "floating-point literal", "STR": "string",
    "IND_STR": "indented string", "PATH": "path", "HPATH": "'~/…' path", "SPATH": "'<…>' path",
    "PATH_END": "end of path", "URI": "URI", "IF": "'if'", "THEN": "'then'", "ELSE": "'else'",
    "ASSERT": "'assert'", "WITH": "'with'", "LET": "'let'", "IN": "'in'", "REC": "'rec'",
    "INHERIT": "'inherit'", "EQ": "'=='", "NEQ": "'!='", "LEQ": "'<='", "GEQ": "'>='",
    "AND": "'&&'", "OR": "'||'", "IMPL": "'->'", "UPDATE": "'//'", "CONCAT": "'++'",
    "OR_KW": "'or'", "DOLLAR_CURLY": "'${'", "IND_STRING_OPEN": "start of an indented string",
    "IND_STRING_CLOSE": "end of an indented string", "ELLIPSIS": "'...'", "$end": "end of file",
    "$undefined": "invalid token",
}


def normalise_old_nix(text: str) -> str:
    """Undo the two presentation differences of older Nix error output: the blank
    lines it put after the message and the `at` line, and Bison's raw token names
    (`unexpected ID` is `unexpected identifier` in Nix 2.36)."""
    out = []
    for line in text.split("\n"):
        if line == "":
            continue
        if line.startswith("error: syntax error, "):
            line = re.sub(r"\$end|\$undefined|\b[A-Z_]+\b",
                          lambda m: _OLD_TOKEN_NAMES.get(m.group(0), m.group(0)), line)
        out.append(line)
    return "\n".join(out) + "\n"


def nix_results(names: list[str], cwd: str) -> dict[str, tuple[int, str]]:
    """Run nix-instantiate on the named cases. Cases whose golden is a success
    go through one `nix-instantiate --parse --expr e1 e2 ...` call (an AST
    prints the same whatever the origin); errors, which show «stdin» and the
    code, are fed on stdin one by one (in parallel)."""
    results: dict[str, tuple[int, str]] = {}
    batch = []
    for name in names:
        data = (CORPUS / f"{name}.nix").read_bytes()
        if read_golden(name)[0] == 0 and b"\0" not in data and not data.lstrip().startswith(b"-"):
            batch.append((name, data))
    if batch:
        env = dict(os.environ, HOME=HOME)
        proc = subprocess.run(["nix-instantiate", "--parse", "--expr", *[d for _, d in batch]],
                              capture_output=True, cwd=cwd, env=env, timeout=120)
        lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
        if proc.returncode == 0 and len(lines) == len(batch) + 1:
            for (name, _), line in zip(batch, lines):
                results[name] = (0, line + "\n")
    rest = [n for n in names if n not in results]

    def one(name):
        return name, run_nix((CORPUS / f"{name}.nix").read_bytes(), cwd)

    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2))) as pool:
        results.update(pool.map(one, rest))
    return results


@pytest.fixture(scope="module")
def nix_outputs(tmp_path_factory):
    """nix-instantiate's output for every listed case, run from one temporary
    working directory; pynix is given the same directory and HOME."""
    cwd = os.path.realpath(tmp_path_factory.mktemp("nixcwd"))
    return cwd, nix_results(AGREE + AGREE_NORMALISED, cwd)


needs_nix = pytest.mark.skipif(
    NIX is None, reason="nix-instantiate is not on PATH: the differential test against real Nix "
                        "needs it (the golden tests above do not)")


@needs_nix
@pytest.mark.parametrize("name", AGREE)
def test_agrees_with_nix(name, nix_outputs):
    """Byte-identical output (and exit code) to the installed Nix."""
    cwd, results = nix_outputs
    py_code, py_out = run_pynix((CORPUS / f"{name}.nix").read_bytes(), base_dir=cwd)
    nix_code, nix_out = results[name]
    assert py_out == nix_out
    assert py_code == nix_code


@needs_nix
@pytest.mark.parametrize("name", AGREE_NORMALISED)
def test_agrees_with_nix_normalised(name, nix_outputs):
    """Errors that differ from older Nix only in layout and token names."""
    cwd, results = nix_outputs
    py_code, py_out = run_pynix((CORPUS / f"{name}.nix").read_bytes(), base_dir=cwd)
    nix_code, nix_out = results[name]
    assert py_out == normalise_old_nix(nix_out)
    assert py_code == nix_code
