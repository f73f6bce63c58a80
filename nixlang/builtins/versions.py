"""Version builtins: compareVersions, splitVersion, parseDrvName, with Nix's
rules for version components (libstore's names.cc):

- components are separated by `.` and `-`; a component is either a run of
  digits or a run of other characters (so `2.3pre1` is `2`, `3`, `pre`, `1`);
- two numbers compare as numbers (when they fit a C `int`), `pre` sorts below
  anything else, a missing component below a number, a string below a number,
  and two strings compare byte by byte.
"""
from __future__ import annotations

from ..runtime.values import Attrs
from . import builtin
from .strings import force_string_no_ctx, from_bytes, to_bytes

_INT_MAX = (1 << 31) - 1
_DIGITS = frozenset(b"0123456789")
_ALPHA = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def next_component(s: bytes, p: int) -> tuple[bytes, int]:
    """The component of `s` starting at or after `p`, and where it ends."""
    n = len(s)
    while p < n and s[p] in b".-":
        p += 1
    if p == n:
        return b"", p
    start = p
    if s[p] in _DIGITS:
        while p < n and s[p] in _DIGITS:
            p += 1
    else:
        while p < n and s[p] not in _DIGITS and s[p] not in b".-":
            p += 1
    return s[start:p], p


def _as_int(c: bytes):
    if c and all(ch in _DIGITS for ch in c):
        v = int(c)
        if v <= _INT_MAX:
            return v
    return None


def components_lt(c1: bytes, c2: bytes) -> bool:
    n1, n2 = _as_int(c1), _as_int(c2)
    if n1 is not None and n2 is not None:
        return n1 < n2
    if c1 == b"" and n2 is not None:
        return True
    if c1 == b"pre" and c2 != b"pre":
        return True
    if c2 == b"pre":
        return False
    if n2 is not None:
        return True
    if n1 is not None:
        return False
    return c1 < c2


def compare_versions(v1: bytes, v2: bytes) -> int:
    p1 = p2 = 0
    while p1 < len(v1) or p2 < len(v2):
        c1, p1 = next_component(v1, p1)
        c2, p2 = next_component(v2, p2)
        if components_lt(c1, c2):
            return -1
        if components_lt(c2, c1):
            return 1
    return 0


def split_version(v: bytes) -> list[bytes]:
    out = []
    p = 0
    while p < len(v):
        c, p = next_component(v, p)
        if not c:
            break
        out.append(c)
    return out


def parse_drv_name(s: bytes) -> tuple[bytes, bytes]:
    """Name and version: the version starts after the first `-` that is not
    followed by a letter."""
    for i in range(len(s)):
        if s[i] == 0x2D and i + 1 < len(s) and s[i + 1] not in _ALPHA:
            return s[:i], s[i + 1:]
    return s, b""


@builtin("compareVersions", 2)
def _compare_versions(ev, a, b):
    """Compare two version strings: `-1`, `0` or `1` as the first is older,
    the same, or newer (`pre` releases come first):
    `builtins.compareVersions "2.3pre1" "2.3"` is `-1`."""
    v1 = force_string_no_ctx(a, "while evaluating the first argument passed to builtins.compareVersions")
    v2 = force_string_no_ctx(b, "while evaluating the second argument passed to builtins.compareVersions")
    return compare_versions(to_bytes(v1), to_bytes(v2))


@builtin("splitVersion", 1)
def _split_version(ev, v):
    """Split a version string into its components, the way compareVersions
    sees them: `builtins.splitVersion "1.2a-3"` is `[ "1" "2" "a" "3" ]`."""
    s = force_string_no_ctx(v, "while evaluating the first argument passed to builtins.splitVersion")
    return [from_bytes(c) for c in split_version(to_bytes(s))]


@builtin("parseDrvName", 1)
def _parse_drv_name(ev, s):
    """Split a package name into `name` and `version` at the first dash not
    followed by a letter: `builtins.parseDrvName "nix-2.3"` is
    `{ name = "nix"; version = "2.3"; }`."""
    v = force_string_no_ctx(s, "while evaluating the first argument passed to builtins.parseDrvName")
    name, version = parse_drv_name(to_bytes(v))
    return Attrs({"name": from_bytes(name), "version": from_bytes(version)})
