"""nixlang.gcpause: the collector is off while a tree is built, and a kept
tree goes straight to the oldest generation afterwards (no young collection
walks it), unless the pause made few objects or the process keeps frozen
objects of its own.

The hand-over tests run in a fresh interpreter each: the collector's state
is the whole process's, and other tests in a worker freeze objects
(`runtime.memory.tune_gc`)."""
import gc
import subprocess
import sys
import textwrap

import pytest

from nixlang import gcpause

HELPERS = '''
import gc, weakref
from nixlang import gcpause

class Node:
    def __init__(self, parent=None):
        self.parent = parent
        self.kids = []

def build(n):
    root = Node()
    for _ in range(n):
        root.kids.append(Node(root))    # a cycle: kid -> root -> kid
    return root

def generation_of(obj):
    for g in range(3):
        if any(o is obj for o in gc.get_objects(generation=g)):
            return g
    return None

gcpause.HANDOVER_MIN = 500              # the trees here are small
gc.enable()
'''


def isolated(body: str) -> None:
    """Run HELPERS then `body` in a new interpreter; its assertions must hold."""
    code = HELPERS + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_a_big_tree_goes_to_the_oldest_generation():
    isolated('''
        assert gc.get_freeze_count() == 0
        with gcpause.paused(keep=True):
            assert not gc.isenabled()
            tree = build(1000)
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0            # frozen and unfrozen at once
        assert generation_of(tree) == 2 and generation_of(tree.kids[-1]) == 2
        assert gc.get_count()[0] < 100               # the young generation starts empty again
    ''')


def test_its_cycles_are_still_freed_by_a_full_collection():
    isolated('''
        with gcpause.paused(keep=True):
            tree = build(1000)
        ref = weakref.ref(tree.kids[0])
        del tree
        assert ref() is not None                     # a cycle: reference counting alone keeps it
        gc.collect()
        assert ref() is None
    ''')


@pytest.mark.parametrize("keep, n", [(True, 10), (False, 1000)])
def test_a_small_or_passing_tree_stays_young(keep, n):
    """Few objects, or objects not kept (an editor's analysis, garbage at the
    next change): left to the young collections."""
    isolated(f'''
        with gcpause.paused(keep={keep}):
            tree = build({n})
        assert generation_of(tree) in (0, 1)         # a young collection may have moved it once
    ''')


def test_frozen_objects_stay_frozen():
    isolated('''
        keep = build(10)
        gc.freeze()
        frozen = gc.get_freeze_count()
        with gcpause.paused(keep=True):
            tree = build(1000)
        assert gc.get_freeze_count() == frozen       # nothing unfrozen, the new tree not frozen
        assert generation_of(keep) is None
        assert generation_of(tree) is not None
    ''')


def test_the_outermost_pause_decides():
    isolated('''
        with gcpause.paused():                       # an editor's analysis, which parses inside
            with gcpause.paused(keep=True):
                tree = build(1000)
        assert generation_of(tree) in (0, 1)
        with gcpause.paused(keep=True):
            with gcpause.paused():
                tree = build(1000)
        assert generation_of(tree) == 2
    ''')


def test_nested_pauses_resume_once():
    was = gc.isenabled()
    gc.enable()
    try:
        with gcpause.paused():
            with gcpause.paused():
                pass
            assert not gc.isenabled()                # the outer pause still holds
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()


def test_a_disabled_collector_stays_disabled():
    was = gc.isenabled()
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()                    # the process manages its collector itself
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("n", [10, 1000])
def test_handover_needs_the_collector_on(n):
    """With the collector off (the CLI's policy) nothing is moved, big or small."""
    isolated(f'''
        gc.disable()
        with gcpause.paused(keep=True):
            tree = build({n})
        assert not gc.isenabled() and generation_of(tree) == 0
    ''')
