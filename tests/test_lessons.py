"""The lessons in examples/lessons/ evaluate to the value they state.

Each lesson ends with a comment `# => VALUE`: exactly what
`pynix instantiate --eval --strict LESSON` prints. The comment is data: this
test runs the command (as a separate process, as a learner would) and
compares. When Nix is installed, it checks the same statement against
`nix-instantiate`, so the lessons teach Nix, not pynix."""
from __future__ import annotations

import os
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
