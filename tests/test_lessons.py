"""The lessons in examples/lessons/ evaluate to the value they state.

Each lesson ends with a comment `# => VALUE`: exactly what
`pynix instantiate --eval --strict LESSON` prints. The comment is data: this
test runs the command (as a separate process, as a learner would) and
compares. When Nix is installed, it checks the same statement against
`nix-instantiate`, so the lessons teach Nix, not pynix.

The lessons from 12 on use nixpkgs (`<nixpkgs>` from the search path). Their
stated values were recorded with Nix 2.8 on the shared nixpkgs tree
(../shared/nixpkgs): the slow tier checks them there, and without that
tree they are skipped with the reason. Without any nixpkgs they must stop
with a pynix error that says how to get one (the fast tier checks that)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import nixpkgs_env, shared_nixpkgs

ROOT = Path(__file__).resolve().parents[1]
LESSONS_DIR = ROOT / "examples" / "lessons"
LESSONS = sorted(LESSONS_DIR.glob("[0-9][0-9]-*.nix"))

# the fundamentals, in the order they are taught
CURRICULUM = ["01-values", "02-attrsets", "03-let-with-rec", "04-functions-and-formals", "05-laziness",
              "06-imports", "07-strings-and-paths", "08-derivations-and-the-store",
              "09-overlays-and-fixed-points", "10-flakes", "11-errors-on-purpose", "12-stdenv-mkderivation",
              "13-callpackage-and-override", "14-overrideattrs", "15-nixos-modules", "16-the-store-layer"]

NIX = shutil.which("nix-instantiate")


def uses_nixpkgs(path: Path) -> bool:
    return "<nixpkgs" in path.read_text(encoding="utf-8")


PLAIN = [p for p in LESSONS if not uses_nixpkgs(p)]
WITH_NIXPKGS = [p for p in LESSONS if uses_nixpkgs(p)]


def stated_value(path: Path) -> str:
    """The value in the lesson's last `# => ` comment, which must be its last line."""
    lines = path.read_text(encoding="utf-8").rstrip("\n").splitlines()
    stated = [line for line in lines if line.startswith("# => ")]
    assert stated, f"{path.name} states no value"
    assert lines[-1] == stated[-1], f"{path.name} must end with its `# =>` comment"
    return stated[-1][len("# => "):]


def clean_env() -> dict:
    """The environment without settings that would change the output."""
    env = dict(os.environ)
    for var in ("NIX_CONFIG", "NIX_PATH", "NIX_STORE_DIR"):
        env.pop(var, None)
    return env


def run(argv, cwd, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env or clean_env(), capture_output=True, text=True, timeout=300)


def test_the_curriculum_is_there_in_order():
    names = [p.stem for p in LESSONS]
    assert len(names) >= 10
    assert names[:len(CURRICULUM)] == CURRICULUM
    # numbered 01, 02, ... without gaps
    assert [int(n[:2]) for n in names] == list(range(1, len(names) + 1))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_is_a_commented_lesson(lesson):
    text = lesson.read_text(encoding="utf-8")
    assert text.startswith(f"# Lesson {int(lesson.name[:2])}: ")
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 10, "a lesson explains itself in comments"


def lesson_params(slow_ones: bool = True):
    """Every lesson; those that use nixpkgs in the slow tier."""
    return [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if slow_ones and p in WITH_NIXPKGS else [])
            for p in LESSONS]


def lesson_env(lesson: Path, home: Path) -> dict:
    """The environment a lesson runs in: the shared nixpkgs tree as `<nixpkgs>`
    for those that use it (skipping without it), nothing for the others."""
    return nixpkgs_env(shared_nixpkgs(), home) if lesson in WITH_NIXPKGS else clean_env()


@pytest.mark.parametrize("lesson", lesson_params())
def test_lesson_evaluates_to_the_stated_value(lesson, tmp_path):
    expected = stated_value(lesson)
    env = lesson_env(lesson, tmp_path)
    # run from elsewhere: a lesson's paths are relative to the lesson, not to the caller
    proc = run([sys.executable, "-m", "nixlang", "instantiate", "--eval", "--strict", str(lesson)], tmp_path, env)
    assert proc.stderr == ""
    assert proc.returncode == 0
    assert proc.stdout == expected + "\n"


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not installed")
@pytest.mark.parametrize("lesson", lesson_params())
def test_nix_agrees_with_the_lesson(lesson, tmp_path):
    proc = run([NIX, "--eval", "--strict", str(lesson)], tmp_path, lesson_env(lesson, tmp_path))
    assert (proc.returncode, proc.stdout) == (0, stated_value(lesson) + "\n"), proc.stderr


# -- the lessons that use nixpkgs, on a machine without one ------------------------------------------

def test_the_nixpkgs_lessons_are_there():
    assert [p.stem for p in WITH_NIXPKGS] == CURRICULUM[11:15]


@pytest.mark.parametrize("lesson", WITH_NIXPKGS, ids=lambda p: p.stem)
def test_a_nixpkgs_lesson_says_how_to_get_nixpkgs(lesson, tmp_path):
    text = lesson.read_text(encoding="utf-8")
    # the lesson says how to point pynix at a nixpkgs, and where to find how to get one
    assert "NIX_PATH=nixpkgs=/path/to/nixpkgs" in text and "-I nixpkgs=" in text
    first = WITH_NIXPKGS[0]
    assert ("git clone --depth 1 -b nixos-24.11 https://github.com/NixOS/nixpkgs" in text if lesson == first
            else f"lesson {int(first.name[:2])} for how to get one" in text)
    # run with an empty search path (no channel of this machine's either), it stops with
    # Nix's error, the pynix code and the hint that says how to get nixpkgs; no traceback
    env = dict(clean_env(), NIX_PATH="", HOME=str(tmp_path))
    proc = run([sys.executable, "-m", "nixlang", "eval", str(lesson)], tmp_path, env)
    assert proc.returncode == 1 and proc.stdout == "", proc.stderr
    assert "Traceback" not in proc.stderr
    assert re.search(r"error: file 'nixpkgs(/lib)?' was not found in the Nix search path \(add it using "
                     r"\$NIX_PATH or -I\)\n", proc.stderr), proc.stderr
    hint = [line for line in proc.stderr.splitlines() if line.startswith("  [E204] ")]
    assert len(hint) == 1, proc.stderr
    for phrase in ("the search path is empty", "`-I nixpkgs=/path/to/nixpkgs`",
                   "`export NIX_PATH=nixpkgs=/path/to/nixpkgs`", "git clone", "nixos-24.11.tar.gz"):
        assert phrase in hint[0], proc.stderr
    # nix-instantiate's drop-in: Nix's error alone, exit status 1
    proc = run([sys.executable, "-m", "nixlang", "instantiate", "--eval", "--strict", str(lesson)], tmp_path, env)
    assert proc.returncode == 1 and proc.stderr.startswith("error:") and "Traceback" not in proc.stderr


# -- the "Try:" lines -------------------------------------------------------------------------------
#
# Several lessons end with "Try: <break something on purpose>". Each such
# instruction is carried out here exactly as written (the edit below is the
# one the sentence describes, and every snippet it names is quoted from the
# sentence), then the edited lesson is evaluated with `pynix eval`, as the
# learner would: it must fail with the code the lesson points to, and a hint
# that speaks of what was changed.

TRIES = {
    # lesson: (text to replace, its replacement, snippets the Try sentence names, code, phrase of the hint)
    "01-values": ("(7 / 2)               #", "(7 / 0)               #", ["(7 / 2)", "(7 / 0)"], "E207",
                  "integer division by zero"),
    "03-let-with-rec": ("package = rec {", "package = {", ["`rec`", "`package`"], "E013",
                        "`pname` is an attribute of the set around it (line 15, column 13), but the "
                        "attributes of a plain `{ ... }` cannot see each other: make it `rec { ... }`"),
    "05-laziness": ("  shortCircuit = false && boom;\n", "  shortCircuit = false && boom;\n  port = config.port;\n",
                    ["`port = config.port;`", "the result"], "E204",
                    "the code called `throw` on purpose; its message says why"),
    "09-overlays-and-fixed-points": ('message = prev.message + "!!"', 'message = final.message + "!!"',
                                     ["`excited`", "final.message", "prev.message"], "E203",
                                     "`message` is defined from `final.message`, the same attribute of the "
                                     "finished set `final`, so it needs its own value; to build on the value "
                                     "before this change, use `prev.message`"),
    "11-errors-on-purpose": ('notANumber = try (half "ten");', 'notANumber = half "ten";',
                             ['`try (half "ten")`', '`half "ten"`', "the result", "`pynix eval`"], "E206",
                             "an `assert` condition was false"),
    "15-nixos-modules": ('      greeting = "Good morning";\n', '      greeting = "Good morning";\n      port = "8080";\n',
                         ["`mine`", '`port = "8080";`', "services.greeter"], "E204",
                         "the code called `throw` on purpose; its message says why"),
}
# what the module system says in 15's Try (lib's own text, as Nix 2.8 prints it)
TRY_MESSAGES = {
    "15-nixos-modules": "error: A definition for option `services.greeter.port' is not of type `16 bit unsigned "
                        "integer; between 0 and 65535 (both inclusive)'. Definition values:\n"
                        "       - In `<unknown-file>': \"8080\"\n",
}


def try_sentence(path: Path) -> str | None:
    """The lesson's "Try:" paragraph, joined into one line, or None."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# Try:"):
            out = [line[2:]]
            for more in lines[i + 1:]:
                if not more.startswith("# ") or more.startswith("# =>"):
                    break
                out.append(more[2:])
            return " ".join(out)
    return None


def test_every_try_is_carried_out():
    with_try = {p.stem for p in LESSONS if try_sentence(p) is not None}
    assert with_try == set(TRIES)


@pytest.mark.parametrize("stem", [pytest.param(stem, marks=[pytest.mark.slow] if LESSONS_DIR.joinpath(
    f"{stem}.nix") in WITH_NIXPKGS else []) for stem in sorted(TRIES)])
def test_try_gives_the_error_it_announces(stem, tmp_path, monkeypatch):
    import io
    from nixlang.cli import run as pynix_run
    old, new, named, code, phrase = TRIES[stem]
    sentence = try_sentence(LESSONS_DIR / f"{stem}.nix")
    for snippet in named:
        assert snippet in sentence, (snippet, sentence)
    # the code the sentence sends the learner to explain, if it names one
    assert re.findall(r"\bE\d{3}\b", sentence) in ([], [code]), sentence
    # the lesson folder, copied, with the one change the sentence asks for
    folder = tmp_path / "lessons"
    shutil.copytree(LESSONS_DIR, folder)
    lesson = folder / f"{stem}.nix"
    text = lesson.read_text(encoding="utf-8")
    assert text.count(old) == 1
    lesson.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    if lesson.name in {p.name for p in WITH_NIXPKGS}:
        monkeypatch.setenv("NIX_PATH", f"nixpkgs={shared_nixpkgs()}")
    else:
        monkeypatch.delenv("NIX_PATH", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert pynix_run(["eval", str(lesson)], out, err) == 1
    coded = [line for line in err.getvalue().splitlines() if line.startswith(f"  [{code}] ")]
    assert len(coded) == 1, err.getvalue()
    assert phrase in coded[0], err.getvalue()
    if stem in TRY_MESSAGES:
        assert TRY_MESSAGES[stem] in err.getvalue()
        if NIX is not None:      # the same words from Nix
            proc = run([NIX, "--eval", "--strict", str(lesson)], tmp_path, lesson_env(LESSONS_DIR / lesson.name,
                                                                                     tmp_path))
            assert proc.returncode == 1 and proc.stderr.startswith(TRY_MESSAGES[stem]), proc.stderr
