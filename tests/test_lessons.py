"""The lessons in examples/lessons/ evaluate to the value they state.

Each lesson ends with a comment `# => VALUE`: exactly what
`pynix instantiate --eval --strict LESSON` prints. The comment is data: this
test runs the command (as a separate process, as a learner would) and
compares. When Nix is installed, it checks the same statement against
`nix-instantiate`, so the lessons teach Nix, not pynix."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS_DIR = ROOT / "examples" / "lessons"
LESSONS = sorted(LESSONS_DIR.glob("[0-9][0-9]-*.nix"))

# the fundamentals, in the order they are taught
CURRICULUM = ["01-values", "02-attrsets", "03-let-with-rec", "04-functions-and-formals", "05-laziness",
              "06-imports", "07-strings-and-paths", "08-derivations-and-the-store",
              "09-overlays-and-fixed-points", "10-flakes"]

NIX = shutil.which("nix-instantiate")


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


def run(argv, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=120)


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


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_evaluates_to_the_stated_value(lesson, tmp_path):
    expected = stated_value(lesson)
    # run from elsewhere: a lesson's paths are relative to the lesson, not to the caller
    proc = run([sys.executable, "-m", "nixlang", "instantiate", "--eval", "--strict", str(lesson)], tmp_path)
    assert proc.stderr == ""
    assert proc.returncode == 0
    assert proc.stdout == expected + "\n"


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not installed")
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_nix_agrees_with_the_lesson(lesson, tmp_path):
    proc = run([NIX, "--eval", "--strict", str(lesson)], tmp_path)
    assert (proc.returncode, proc.stdout) == (0, stated_value(lesson) + "\n"), proc.stderr


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


@pytest.mark.parametrize("stem", sorted(TRIES))
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
    monkeypatch.delenv("NIX_PATH", raising=False)
    out, err = io.StringIO(), io.StringIO()
    assert pynix_run(["eval", str(lesson)], out, err) == 1
    coded = [line for line in err.getvalue().splitlines() if line.startswith(f"  [{code}] ")]
    assert len(coded) == 1, err.getvalue()
    assert phrase in coded[0], err.getvalue()
