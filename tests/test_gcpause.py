"""nixlang.gcpause: the collector is off while a tree is built, and what was
built goes straight to the oldest generation afterwards (no young collection
walks it), unless the process keeps frozen objects of its own."""
import gc

import pytest

from nixlang import gcpause


class Node:
    def __init__(self, parent=None):
        self.parent = parent
        self.kids = []


def build(n):
    root = Node()
    for _ in range(n):
        kid = Node(root)   # a cycle: kid -> root -> kid
        root.kids.append(kid)
    return root


def generation_of(obj):
    for g in range(3):
        if any(o is obj for o in gc.get_objects(generation=g)):
            return g
    return None


@pytest.fixture
def collector_on(monkeypatch):
    monkeypatch.setattr(gcpause, "HANDOVER_MIN", 500)   # the trees below are small
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.skipif(gc.get_freeze_count() != 0, reason="this process keeps frozen objects")
def test_tree_goes_to_the_oldest_generation(collector_on):
    with gcpause.paused():
        assert not gc.isenabled()
        tree = build(1000)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert generation_of(tree) == 2 and generation_of(tree.kids[-1]) == 2
    assert gc.get_count()[0] < 100      # the young generation starts empty again


@pytest.mark.skipif(gc.get_freeze_count() != 0, reason="this process keeps frozen objects")
def test_cycles_are_still_freed_by_a_full_collection(collector_on):
    with gcpause.paused():
        tree = build(100)
    kid = tree.kids[0]
    import weakref
    ref = weakref.ref(kid)
    del tree, kid
    assert ref() is not None            # a cycle: reference counting alone keeps it
    gc.collect()
    assert ref() is None


def test_a_small_pause_leaves_its_objects_young(collector_on):
    with gcpause.paused():
        tree = build(10)
    assert generation_of(tree) in (0, 1)     # young: a young collection may have moved it once


def test_nested_pauses_hand_over_once(collector_on):
    with gcpause.paused():
        with gcpause.paused():
            pass
        assert not gc.isenabled()        # the outer pause still holds
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    was = gc.isenabled()
    gc.disable()
    try:
        with gcpause.paused():
            tree = build(10)
        assert not gc.isenabled()
        assert generation_of(tree) == 0  # nothing moved: the process manages its collector itself
    finally:
        if was:
            gc.enable()


def test_frozen_objects_stay_frozen(collector_on):
    keep = build(10)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gcpause.paused():
            tree = build(10)
        assert gc.get_freeze_count() == frozen   # nothing unfrozen, the new tree not frozen
        assert generation_of(keep) is None
        assert generation_of(tree) is not None
    finally:
        gc.unfreeze()
