"""The on-disk cache of parsed files, shared between processes.

An evaluation of a NixOS system parses some 2,600 files of nixpkgs, a fifth of
its time; the next evaluation parses the very same files again. This cache
keeps the result of the syntax layer (`parser.parse_syntax`: the AST, the
symbol order, the parse-time warnings) of each file with its scopes resolved
(`resolve`: each variable's level and slot, each scope's slots, the links
from variables to their definitions), pickled, under $XDG_CACHE_HOME/pynix/parse
(~/.cache/pynix/parse). Loading an entry is about five times faster than
parsing the file (measured on 2,155 nixpkgs files: 0.9 s against 4.5-5.3 s of
CPU), and keeping the resolution in it spares as much again as the loading
(resolving hello's 132 cached files took 0.5 s after 0.6 s of loading).

What makes an entry (its file name is the SHA-256 of all of these):
- the text, its origin and base directory (paths are resolved against it,
  warnings name the file), the home directory `~/` paths expand to;
- the parse options that change the tree (pipe operators, URL literals, lints,
  whether scopes are resolved and the extra global names they may use);
- the code that builds trees: the pynix version and a hash of the sources of
  the syntax and resolve layers and the grammar, so a changed parser or
  resolver never reads an old tree.

Safety: an entry is written to a temporary file and renamed into place, so a
reader sees a whole entry or none; an entry that cannot be read (truncated,
from another Python, garbage) counts as absent and is removed. The cache
holds at most MAX_BYTES; past that, the least recently used entries go. Only
files of at least MIN_CHARS are cached (a smaller file parses faster than it
loads), and only trees shallow enough to pickle without deep recursion.
The cache directory is the user's own (mode 0700): a pickle is code to
whoever can write it, as are the parser tables beside it.

Lazy values: in an attrset of at least LAZY_MIN_ATTRS attributes (outside
any `let`), each attribute's value that is more than a constant or a
variable is pickled apart, as bytes inside the entry, and comes back as an
`ast.LazyAttrDef` that unpickles it when the value is first read. A package
set is loaded mostly as bytes: hello's evaluation reads 61 of the 5,717
values all-packages.nix keeps apart (197 of 7,362 in all its files), and
unpickled that whole file in 57 ms of its 170 ms of loading. The variables inside such a value are bound
(`Var.binding`) to binders outside it: those are pickled once, in the
entry, in a list (`binders`), and the value's pickle names them by their
index in it (pickle's persistent ids), so that loading keeps the tree's
links as they were made.

PYNIX_PARSE_CACHE=0 (or off, no, false) turns the cache off;
PYNIX_PARSE_CACHE_DIR=DIR puts it elsewhere (the tests use a temporary one).

What this module needs beyond `os` (hashlib, pickle, pathlib) is imported
where it is used: `pynix instantiate --eval -E 1` and every other small
input never reaches the disk cache, and pathlib alone (with the
urllib.parse and ipaddress it imports) was a tenth of its start-up; a
small text's digest is `digest.sha256`'s, without hashlib.
"""
from __future__ import annotations

import os
import threading

from .atomicfile import replacing
from .syntax import ast as A

FORMAT = 3                      # bump when what an entry holds changes
MAX_BYTES = 512 * 1024 * 1024   # the whole cache
MIN_CHARS = 256                 # smaller files are not worth an entry (parsing 256 chars
                                #   took 180 us, loading them 100 us; 70 chars: 43 against 57)
FRESH_SECONDS = 3600            # an entry used this recently is not marked used again
MAX_DEPTH = 400                 # deeper trees are not pickled (its recursion follows the tree)
_PRUNE_EVERY = 256              # writes between two checks of the cache's size
LAZY_MIN_ATTRS = 64             # attrsets this big keep their values pickled until read

_lock = threading.Lock()
_code_hash: bytes | None = None
_writes = 0


def enabled() -> bool:
    return os.environ.get("PYNIX_PARSE_CACHE", "1").strip().lower() not in ("0", "off", "no", "false")


def directory() -> Path:
    from pathlib import Path
    d = os.environ.get("PYNIX_PARSE_CACHE_DIR")
    if d:
        return Path(d)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pynix" / "parse"


def _code_fingerprint() -> bytes:
    """A hash of the code that builds trees (computed once per process)."""
    global _code_hash
    if _code_hash is None:
        from hashlib import sha256
        from pathlib import Path

        from . import version
        from .syntax.parser import grammar_text
        h = sha256(f"{FORMAT} {version.__version__}\0".encode())
        syntax_dir = Path(A.__file__).resolve().parent
        resolve_dir = syntax_dir.parent / "resolve"
        for path in (sorted(syntax_dir.glob("*.py")) + sorted(resolve_dir.glob("*.py"))
                     + [syntax_dir.parent / "source.py", syntax_dir.parent / "records.py"]):
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        h.update(grammar_text().encode())
        _code_hash = h.digest()
    return _code_hash


def text_digest(text: str) -> bytes:
    """The SHA-256 of a file's text, which names its entry (`key`)."""
    from .digest import sha256
    return sha256(text.encode("utf-8", "surrogatepass")).digest()


def key(source, options, digest: bytes | None = None) -> str:
    """The name of the entry for parsing `source` with `options` (`digest`:
    its text's `text_digest`, when the caller has it already)."""
    from hashlib import sha256
    home = options.home if options.home is not None else os.environ.get("HOME", "")
    h = sha256(_code_fingerprint())
    meta = repr((source.origin, source.base_dir, home, options.pipe_operators, options.url_literals,
                 tuple(options.lints), options.check_scopes, tuple(options.extra_globals or ())))
    h.update(meta.encode("utf-8", "surrogatepass") + b"\0")
    h.update(digest if digest is not None else text_digest(source.text))
    return h.hexdigest()


def wanted(source) -> bool:
    return len(source.text) >= MIN_CHARS and enabled()


def load(name: str):
    """(ast, symbols, warnings) of entry `name`, or None."""
    import pickle
    import time
    path = os.path.join(directory(), name[:2], name)
    try:
        f = open(path, "rb")
    except OSError:
        return None
    try:
        with f:     # read as it is unpickled: a big entry is never in memory twice
            used = os.fstat(f.fileno()).st_mtime
            fmt, stored_name, _binders, ast, symbols, warnings = pickle.load(f)
        if fmt != FORMAT or stored_name != name or not isinstance(ast, A.Node):
            raise ValueError("not an entry of this cache")
    except Exception:      # truncated, corrupt or foreign: forget it
        _remove(path)
        return None
    if not (0 <= time.time() - used < FRESH_SECONDS):
        try:
            os.utime(path)      # recently used (an hour is close enough for `prune`)
        except OSError:
            pass
    return ast, symbols, warnings


def store(name: str, ast, symbols: dict, warnings: list) -> None:
    """Write entry `name` (never raises: a cache that cannot be written is skipped)."""
    global _writes
    if _depth_over(ast, MAX_DEPTH):
        return
    top = directory()
    d = top / name[:2]
    try:
        top.mkdir(mode=0o700, parents=True, exist_ok=True)
        d.mkdir(mode=0o700, exist_ok=True)
        with replacing(d / name, mode=0o600) as f:     # pickled straight to the file, a frame at a time
            _dump((FORMAT, name, ast, symbols, warnings), ast, f)
    except Exception:       # no room, RecursionError, an unpicklable value: not cached
        return
    with _lock:
        _writes += 1
        check = _writes % _PRUNE_EVERY == 1
    if check:
        prune(top, MAX_BYTES)


_EAGER = (A.Int, A.Float, A.Str, A.Path, A.Var)   # values too small to be worth deferring
_BINDERS = frozenset((A.AttrDef, A.Formal, A.Lambda))   # what a `Var.binding` may be (a set:
                                                          # found by the types' identity hash)


def _lazy_split(ast):
    """The attribute definitions whose values are pickled apart (id -> def),
    and the binders outside those values (each variable's binding is a
    binder around it: inside its own value, or one of these)."""
    lazy: dict = {}
    binders: list = []
    let_attrs: set = set()
    stack = [ast]
    children = A.children
    while stack:
        n = stack.pop()
        t = type(n)
        if t is A.Attrs:
            big = len(n.attrs) >= LAZY_MIN_ATTRS and id(n) not in let_attrs
            stack.extend(n.inherit_from)
            for d in n.attrs.values():
                binders.append(d)
                if big and d.kind == A.PLAIN and type(d.value) not in _EAGER:
                    lazy[id(d)] = d
                elif d.kind != A.INHERITED_FROM:
                    stack.append(d.value)
            for d in n.dynamic:
                stack += (d.name, d.value)
            continue
        if t is A.Lambda:
            binders.append(n)
            binders.extend(n.formals or ())
        elif t is A.Let:
            let_attrs.add(id(n.attrs))
        stack.extend(children(n))
    return lazy, binders


def _dump(entry: tuple, ast, f) -> None:
    """Pickle `entry` (whose tree is `ast`) to `f`: the tree with the values
    `_lazy_split` picks pickled apart, each as an `ast.LazyAttrDef`'s blob."""
    import io
    import pickle
    lazy, binders = _lazy_split(ast)
    index = {id(b): i for i, b in enumerate(binders)}

    def outer(obj):
        return index.get(id(obj)) if type(obj) in _BINDERS else None

    blobs = {}
    for key, d in lazy.items():
        # a pickler each: clearing one's memo clears (memsets) all the room
        # its biggest value ever took
        buf = io.BytesIO()
        part = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
        part.persistent_id = outer
        part.dump(d.value)
        blobs[key] = buf.getvalue()

    class EntryPickler(pickle.Pickler):
        def reducer_override(self, obj):
            if type(obj) is A.AttrDef and id(obj) in lazy:
                state = {"start": obj.start, "end": obj.end, "kind": obj.kind, "name_start": obj.name_start,
                         "name_end": obj.name_end, "blob": blobs[id(obj)], "binders": binders}
                # object.__new__(LazyAttrDef), then the slots set from `state`:
                # no Python code runs per definition while loading
                return object.__new__, (A.LazyAttrDef,), (None, state)
            return NotImplemented

    fmt, name, *rest = entry
    EntryPickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump((fmt, name, binders, *rest))


def prune(top: Path, limit: int) -> None:
    """Remove the least recently used entries until the cache holds at most
    three quarters of `limit` (when it holds more than `limit`)."""
    entries = []
    total = 0
    try:
        for sub in os.scandir(top):
            if not sub.is_dir(follow_symlinks=False):
                continue
            for e in os.scandir(sub.path):
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                entries.append((st.st_mtime, st.st_size, e.path))
                total += st.st_size
    except OSError:
        return
    if total <= limit:
        return
    entries.sort()
    for _, size, path in entries:
        if total <= limit * 3 // 4:
            break
        _remove(path)
        total -= size


def _remove(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _depth_over(node, limit: int) -> bool:
    """Is the tree deeper than `limit` nodes?"""
    stack = [(node, 1)]
    children = A.children
    while stack:
        n, depth = stack.pop()
        if depth > limit:
            return True
        for c in children(n):
            stack.append((c, depth + 1))
    return False
