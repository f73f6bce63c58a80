"""resolve_symlinks with an evaluator's memo of resolved folders gives what
the plain component-by-component walk gives, for every path of a tree of
symlinks (relative, absolute, chained, through `..`, dangling, looping),
whatever paths were resolved before; and the files an evaluation imports
and reads through such folders are the ones Nix reads."""
from __future__ import annotations

import itertools
import os

import pytest

from nixlang import errors as E
from nixlang.builtins.filesystem import MAX_SYMLINKS, resolve_symlinks
from nixlang.evaluator import Evaluator
from nixlang.runtime.values import force


@pytest.fixture
def tree(tmp_path):
    """real/{a.nix, sub/b.nix}, and links: to a folder (relative, absolute),
    a chain of links, a link through `..`, a dangling link, a loop."""
    root = tmp_path
    (root / "real" / "sub").mkdir(parents=True)
    (root / "real" / "a.nix").write_text("1")
    (root / "real" / "sub" / "b.nix").write_text("2")
    (root / "real" / "sub" / "default.nix").write_text("3")
    os.symlink("real", root / "rel")
    os.symlink(str(root / "real" / "sub"), root / "abs")
    os.symlink("rel", root / "chain")
    os.symlink("../a.nix", root / "real" / "sub" / "up.nix")
    os.symlink("sub/..", root / "real" / "back")
    os.symlink("missing", root / "dangling")
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    return root


PATHS = ["real/a.nix", "rel/a.nix", "rel/sub/b.nix", "abs/b.nix", "abs/up.nix", "chain/sub/up.nix",
         "chain/back/a.nix", "rel/../real/a.nix", "abs/../a.nix", "dangling", "dangling/x",
         "chain", "abs", "rel/sub/", "rel/./sub/.", "real/back", "loop1", "loop1/x", "rel//sub//b.nix",
         "missing/x/y"]


def _plain(path: str, full: bool):
    try:
        return resolve_symlinks(path, full)
    except E.EvalError as e:
        return str(e)


def _memo(path: str, full: bool, memo: dict):
    try:
        return resolve_symlinks(path, full, memo)
    except E.EvalError as e:
        return str(e)


@pytest.mark.parametrize("order", ["forward", "backward", "interleaved"])
def test_memo_gives_the_plain_walk(tree, order):
    paths = [f"{tree}/{p}" for p in PATHS]
    if order == "backward":
        paths.reverse()
    elif order == "interleaved":
        paths = paths[::2] + paths[1::2]
    memo: dict = {}
    for path, full in itertools.product(paths, (True, False)):
        assert _memo(path, full, memo) == _plain(path, full), (path, full)
    # asked again, from the memo alone
    for path, full in itertools.product(paths, (False, True)):
        assert _memo(path, full, memo) == _plain(path, full), (path, full)


def test_a_loop_is_named_by_the_whole_path(tree):
    memo: dict = {}
    message = _memo(f"{tree}/loop1/x", True, memo)
    assert message.startswith("infinite symlink recursion in path ") and message.endswith("/loop1/x'")


def test_symlinks_of_a_remembered_prefix_count_against_the_budget(tmp_path):
    # a chain of links as long as the budget allows: its folder resolves,
    # one more link after it is over the budget, as without the memo
    os.mkdir(tmp_path / "end")
    os.symlink("end", tmp_path / f"l{MAX_SYMLINKS - 1}")
    for i in range(MAX_SYMLINKS - 1):
        os.symlink(f"l{i + 1}", tmp_path / f"l{i}")
    os.symlink("..", tmp_path / "end" / "up")
    memo: dict = {}
    assert _memo(f"{tmp_path}/l0", True, memo) == str(tmp_path / "end")
    for path in (f"{tmp_path}/l0/up", f"{tmp_path}/l0/x"):
        assert _memo(path, True, memo) == _plain(path, True)
    assert _plain(f"{tmp_path}/l0/up", True).startswith("infinite symlink recursion")


def test_imports_through_symlinked_folders(tree):
    ev = Evaluator()
    expr = (f"[ (import {tree}/rel/a.nix) (import {tree}/chain/sub/b.nix) (import {tree}/abs/up.nix)"
            f" (import {tree}/abs) (import {tree}/rel/sub/default.nix) (import {tree}/abs) ]")
    v = ev.deep_force(ev.eval_string(expr))
    assert [force(x) for x in v] == [1, 2, 1, 3, 3, 3]


def test_reset_file_cache_sees_a_changed_link(tree):
    ev = Evaluator()
    read = f'builtins.readDir "{tree}/chain"'
    assert "a.nix" in ev.deep_force(ev.eval_string(read)).d
    os.unlink(tree / "chain")
    os.symlink("real/sub", tree / "chain")
    ev.reset_file_cache()
    assert "b.nix" in ev.deep_force(ev.eval_string(read)).d
