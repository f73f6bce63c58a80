"""Filesystem builtins: reading files and folders (`readFile`, `readDir`,
`readFileType`, `pathExists`, `toPath`), the search path (`nixPath`,
`findFile`, which `<name>` means) and `scopedImport`.

Paths given as values are turned into absolute, lexically canonical paths
the way Nix's coerceToPath does (a path, a string starting with `/`, or an
attrset with `__toString` / `outPath`), with Nix 2.36's trace frames.

The search path: the `-I` entries (`ev.options.search_path`, strings
`"dir"` or `"prefix=dir"`, or `(prefix, dir)` pairs), then `NIX_PATH`
(or `ev.options.nix_path` when set), else Nix's default entries that exist.
`<nix/...>` falls back to Nix's built-in `corepkgs` files, held here in
`COREPKGS` under the pseudo-folder `/__corepkgs__`.
"""
from __future__ import annotations

import os
import stat as st_mod
import sys

from .. import errors as E, records
from ..runtime import ops
from ..runtime.errors import type_error
from ..runtime.memory_guard import read_all
from ..runtime.paths import canon_path
from ..runtime.values import Attrs, CtxStr, Env, Path, Thunk, force, make_string
from . import builtin, constant
from .control import log, string_no_context, warning_text, with_frame

COREPKGS_DIR = "/__corepkgs__"

# Nix's built-in <nix/fetchurl.nix> (src/libexpr/fetchurl.nix, Nix 2.36)
_FETCHURL_NIX = r'''{
  system ? "", # obsolete
  url,
  hash ? "", # an SRI hash

  # Legacy hash specification
  md5 ? "",
  sha1 ? "",
  sha256 ? "",
  sha512 ? "",
  outputHash ?
    if hash != "" then
      hash
    else if sha512 != "" then
      sha512
    else if sha1 != "" then
      sha1
    else if md5 != "" then
      md5
    else
      sha256,
  outputHashAlgo ?
    if hash != "" then
      ""
    else if sha512 != "" then
      "sha512"
    else if sha1 != "" then
      "sha1"
    else if md5 != "" then
      "md5"
    else
      "sha256",

  executable ? false,
  unpack ? false,
  name ? baseNameOf (toString url),
  impure ? false,
}:

derivation (
  {
    builder = "builtin:fetchurl";

    # New-style output content requirements.
    outputHashMode = if unpack || executable then "recursive" else "flat";

    inherit
      name
      url
      executable
      unpack
      ;

    system = "builtin";

    # No need to double the amount of network traffic
    preferLocalBuild = true;

    impureEnvVars = [
      # We borrow these environment variables from the caller to allow
      # easy proxy configuration.  This is impure, but a fixed-output
      # derivation like fetchurl is allowed to do so since its result is
      # by definition pure.
      "http_proxy"
      "https_proxy"
      "ftp_proxy"
      "all_proxy"
      "no_proxy"
    ];

    # To make "nix-prefetch-url" work.
    urls = [ url ];
  }
  // (if impure then { __impure = true; } else { inherit outputHashAlgo outputHash; })
)
'''

COREPKGS = {COREPKGS_DIR + "/fetchurl.nix": _FETCHURL_NIX}


def corepkgs_source(path: str):
    """The `Source` of a built-in `<nix/...>` file, or None if `path` is not one."""
    text = COREPKGS.get(path)
    if text is None:
        return None
    from ..source import Source
    return Source(text, path, COREPKGS_DIR)


# -- paths -------------------------------------------------------------------------------------

def _attr_pos(attrs: Attrs, name: str):
    from ..runtime.positions import attr_where
    return attr_where(attrs, name)


def coerce_to_path(ev, v, ctx: set, error_ctx: str) -> str:
    """Nix's coerceToPath: an absolute canonical path from a path value, a
    string, or an attrset with `__toString` / `outPath`. String context is
    added to `ctx`."""
    from ..runtime.calls import call_function
    v = with_frame(error_ctx, force, v)
    t = type(v)
    if t is Path:
        return v.path
    if t is Attrs:
        f = v.d.get("__toString")
        if f is not None:
            src, span = _attr_pos(v, "__toString")
            try:
                r = force(call_function(ev, force(f), v, src, span))
            except E.EvalError as e:
                raise e.add_frame("while calling the `__toString` attribute", src, span)
            try:
                return coerce_to_path(ev, r, ctx, error_ctx)
            except E.EvalError as e:
                raise e.add_frame("while using the result of the `__toString` attribute", src, span)
        o = v.d.get("outPath")
        if o is not None:
            src, span = _attr_pos(v, "outPath")
            try:
                force(o)
            except E.EvalError as e:
                raise e.add_frame("while evaluating the `outPath` attribute", src, span)
            try:
                return coerce_to_path(ev, o, ctx, error_ctx)
            except E.EvalError as e:
                raise e.add_frame("while using the `outPath` attribute", src, span)
    s = with_frame(error_ctx, lambda: ops.coerce_to_string(v, ctx, interp=True,
                                                           call=ev.call))
    if not s.startswith("/"):
        raise E.EvalError(f"string '{s}' doesn't represent an absolute path").tagged(
            "not-absolute", string=s).add_frame(error_ctx)
    return canon_path(s)


MAX_SYMLINKS = 1024     # symlinks followed in one path before "infinite symlink recursion"


def resolve_symlinks(path: str, full: bool = True, memo: dict | None = None) -> str:
    """SourceAccessor::resolveSymlinks: follow symlinks component by component
    (the last one too when `full`), `..` taken lexically.

    With `memo` (an evaluator's `resolved_paths`), the resolution of each
    folder prefix is remembered, so that the next path under a known folder
    costs one `lstat` instead of one per component, as Nix's
    PosixSourceAccessor caches its lstat results for the evaluation. A
    prefix is resolved by the same walk the whole path would have taken
    (symlinks of a component are followed before the next component), and
    the symlinks followed in it still count against the path's budget."""
    if memo is None:
        return _joined(_follow([], path.split("/"), MAX_SYMLINKS, full, path)[0])
    if full:
        hit = memo.get(path)
        if hit is not None:
            return hit[0]
    parts = path.split("/")
    last = len(parts) - 1
    # the longest folder prefix already resolved (parts[:known])
    known = last
    while known > 0 and "/".join(parts[:known]) not in memo:
        known -= 1
    if known:
        resolved, used = memo["/".join(parts[:known])]
        res, links = resolved.split("/")[1:] if resolved != "/" else [], MAX_SYMLINKS - used
    else:
        res, links = [], MAX_SYMLINKS
    for i in range(known, last):
        res, links = _follow(res, [parts[i]], links, True, path)
        memo["/".join(parts[:i + 1])] = (_joined(res), MAX_SYMLINKS - links)
    res, links = _follow(res, [parts[last]], links, full, path)
    out = _joined(res)
    if full:
        memo[path] = (out, MAX_SYMLINKS - links)
    return out


def _joined(res: list) -> str:
    return "/" + "/".join(res)


def _follow(res: list, todo: list, links: int, full: bool, path: str):
    """The walk of resolve_symlinks: the components `todo` taken onto the
    resolved components `res` (both lists are consumed), with `links`
    symlinks left to follow; gives (res, links left)."""
    while todo:
        c = todo.pop(0)
        if c in ("", "."):
            continue
        if c == "..":
            if res:
                res.pop()
            continue
        res.append(c)
        if full or todo:
            p = _joined(res)
            try:
                is_link = st_mod.S_ISLNK(os.lstat(p).st_mode)
            except OSError:
                is_link = False
            if is_link:
                links -= 1
                if links < 0:
                    raise E.EvalError(f"infinite symlink recursion in path '{path}'")
                target = os.readlink(p)
                res.pop()
                if target.startswith("/"):
                    res = []
                todo[:0] = target.split("/")
    return res, links


def store_dir() -> str:
    """The logical store directory: NIX_STORE_DIR, canonicalised, or /nix/store."""
    return canon_path(os.environ.get("NIX_STORE_DIR") or "/nix/store")


STORE_PREFIX = store_dir() + "/"


def realise_path(ev, v, resolve: str | None = "full") -> str:
    """Nix's realisePath: coerce (frame "while realising the context of a
    path"), then resolve symlinks ("full", "ancestors" or None)."""
    ctx: set = set()
    p = coerce_to_path(ev, v, ctx, "while realising the context of a path")
    check_access(ev, p)
    if ctx or p.startswith(STORE_PREFIX):
        from .derivations import realise
        p = realise(ev, p, ctx)
    if p.startswith(COREPKGS_DIR + "/") or resolve is None:
        return p
    return check_access(ev, resolve_symlinks(p, resolve == "full", getattr(ev, "resolved_paths", None)))


# -- pure and restricted evaluation ------------------------------------------------------------

def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _allowed_roots(ev) -> list[str]:
    """The folders restricted evaluation may read: the search path entries
    (-I, nix-path / NIX_PATH), as written and with symlinks resolved
    (EvalState's constructor allows each resolved lookup path entry), and
    the `allowed_paths` of the options (the editor's workspace folders)."""
    cached = ev.__dict__.get("_pynix_allowed_roots")
    if cached is None:
        cached = []
        for _prefix, value in search_path(ev):
            if _is_pseudo_url(value) or value.startswith("flake:"):
                continue
            p = canon_path(os.path.join(os.getcwd(), value))
            cached += [p, resolve_symlinks(p)]
        for value in getattr(ev.options, "allowed_paths", ()):     # EvalState::allowPath
            p = canon_path(os.path.join(os.getcwd(), value))
            cached += [p, resolve_symlinks(p)]
        ev.__dict__["_pynix_allowed_roots"] = cached
    return cached


def _own_store_dirs(ev) -> list[str]:
    """The real folders of the stores this evaluation writes its objects to."""
    st = getattr(ev, "_eval_store", None)
    return [s.real_dir for s in (getattr(st, "scratch", None), getattr(st, "writer", None)) if s is not None]


def check_access(ev, path: str) -> str:
    """The allow-list of pure and restricted evaluation (Nix's
    AllowListSourceAccessor, checkSourcePath in older Nix): a path outside
    the search path entries is "access to absolute path '...' is
    forbidden". Store objects and Nix's built-in files stay readable."""
    o = ev.options
    pure = getattr(o, "pure_eval", False)
    if not (pure or getattr(o, "restrict_eval", False)):
        return path
    if path.startswith(COREPKGS_DIR + "/") or (path.startswith(STORE_PREFIX) and len(path) > len(STORE_PREFIX)):
        return path
    if _under(path, _own_store_dirs(ev)):
        return path           # a store object this evaluation made (`toFile`), where it was written
    if not pure and _under(path, _allowed_roots(ev)):
        return path
    mode = "in pure evaluation mode (use '--impure' to override)" if pure else "in restricted mode"
    raise E.RestrictedPathError(f"access to absolute path '{path}' is forbidden {mode}")


def _is_allowed_uri(uri: str, prefixes) -> bool:
    """isAllowedURI: the URI is a prefix, under a prefix (at a '/'), or of a
    whole scheme given as `scheme:`."""
    for prefix in prefixes:
        if uri == prefix:
            return True
        if len(uri) > len(prefix) > 0 and uri.startswith(prefix) and (
                prefix.endswith("/") or uri[len(prefix)] == "/"
                or (prefix.endswith(":") and _is_scheme_name(prefix[:-1]))):
            return True
    return False


def _is_scheme_name(s: str) -> bool:
    return bool(s) and s[0].isascii() and s[0].isalpha() and all(
        c.isascii() and (c.isalnum() or c in "+-.") for c in s)


def check_uri(ev, uri: str) -> None:
    """EvalState::checkURI: in restricted mode a fetcher may only use a URI
    under `allowed-uris` (or a path / file:// URL restricted evaluation may read)."""
    if not getattr(ev.options, "restrict_eval", False):
        return
    if _is_allowed_uri(uri, getattr(ev.options, "allowed_uris", ())):
        return
    if uri.startswith("/"):
        check_access(ev, canon_path(uri))
        return
    if uri.startswith("file://"):
        check_access(ev, canon_path(uri[7:]))
        return
    raise E.RestrictedPathError(f"access to URI '{uri}' is forbidden in restricted mode")


_SPECIAL = ((st_mod.S_ISFIFO, "a named pipe (FIFO)"), (st_mod.S_ISCHR, "a character device"),
            (st_mod.S_ISBLK, "a block device"), (st_mod.S_ISSOCK, "a socket"))


def open_to_read(ev, path: str):
    """`open(path, "rb")`; with the option `regular_files_only` (the editor), a
    named pipe, device or socket is refused before it is opened: opening a
    pipe blocks until someone writes, and `/dev/zero` never ends."""
    if getattr(ev.options, "regular_files_only", False):
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = 0
        for test, what in _SPECIAL:
            if test(mode):
                raise E.NotRegularFile(f"refusing to read '{path}': it is {what}, not a regular file "
                                       "(the editor's evaluation reads regular files only)")
    return open(path, "rb")


def _file_type(mode: int) -> str:
    if st_mod.S_ISREG(mode):
        return "regular"
    if st_mod.S_ISDIR(mode):
        return "directory"
    if st_mod.S_ISLNK(mode):
        return "symlink"
    return "unknown"


@builtin("readFile", 1)
def _read_file(ev, path):
    """The contents of a file as a string: `builtins.readFile ./hello.txt`."""
    p = realise_path(ev, path)
    src = corepkgs_source(p)
    if src is not None:
        return src.text
    try:
        with open_to_read(ev, p) as f:
            data = read_all(f, stop_at=b"\0")
    except IsADirectoryError:
        raise E.EvalError(f"reading from file '{p}': Is a directory") from None
    except OSError as exc:
        raise E.EvalError(f"opening file '{p}': {exc.strerror}") from None
    if data is None:
        raise E.EvalError(f"the contents of the file '{p}' cannot be represented as a Nix string")
    return data.decode("utf-8", "surrogateescape")


@builtin("readDir", 1)
def _read_dir(ev, path):
    """The entries of a folder: an attrset from each name to its type,
    `"regular"`, `"directory"`, `"symlink"` or `"unknown"`:
    `builtins.readDir ./.` may be `{ "default.nix" = "regular"; }`."""
    p = realise_path(ev, path)
    try:
        st = os.lstat(p)
    except OSError:
        raise E.EvalError(f"path '{p}' does not exist").tagged("no-such-path", path=p) from None
    if not st_mod.S_ISDIR(st.st_mode):
        raise E.EvalError(f"'{p}' is not a directory")
    out = {}
    try:
        with os.scandir(p) as it:
            # (the folder's entry types, as the directory listing gives them:
            # no stat per entry, except on file systems that leave them out)
            for entry in it:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        kind = "directory"
                    elif entry.is_file(follow_symlinks=False):
                        kind = "regular"
                    elif entry.is_symlink():
                        kind = "symlink"
                    else:
                        kind = "unknown"
                except OSError:
                    kind = "unknown"
                out[entry.name] = kind      # a str: `p` is one
    except OSError as exc:
        raise E.EvalError(f"reading directory '{p}': {exc.strerror}") from None
    return Attrs(out)


@builtin("readFileType", 1)
def _read_file_type(ev, path):
    """The type of what a path names, without following a final symlink:
    `"regular"`, `"directory"`, `"symlink"` or `"unknown"`:
    `builtins.readFileType ./.` is `"directory"`."""
    p = realise_path(ev, path, resolve=None)
    if p in COREPKGS:
        return "regular"
    try:
        st = os.lstat(p)
    except OSError:
        raise E.EvalError(f"path '{p}' does not exist").tagged("no-such-path", path=p) from None
    return _file_type(st.st_mode)


@builtin("pathExists", 1)
def _path_exists(ev, path):
    """Whether a path exists (a string ending in `/` or `/.` must name a
    folder): `builtins.pathExists ./default.nix`."""
    v = force(path)
    must_be_dir = type(v) in (str, CtxStr) and (v.endswith("/") or v.endswith("/."))
    try:
        p = realise_path(ev, v, resolve="full" if must_be_dir else "ancestors")
    except E.RestrictedPathError:
        return False        # a path evaluation may not see does not exist for it
    if p in COREPKGS:
        return not must_be_dir
    try:
        st = os.lstat(p)
    except OSError:
        return False
    return not must_be_dir or st_mod.S_ISDIR(st.st_mode)


@builtin("toPath", 1)
def _to_path(ev, v):
    """Check that a value is an absolute path and give it, canonical, as a
    string (deprecated): `builtins.toPath "/a/../b"` is `"/b"`."""
    ctx: set = set()
    p = coerce_to_path(ev, v, ctx, "while evaluating the first argument passed to builtins.toPath")
    return make_string(p, ctx)


constant("storeDir", store_dir())


# -- the search path ----------------------------------------------------------------------------

def parse_nix_path(s: str) -> list[str]:
    """NIX_PATH split on `:` as Nix does (not inside URLs such as `https://`)."""
    res: list[str] = []
    i, n = 0, len(s)
    while i < n:
        start = i
        start2 = i
        while i < n and s[i] != ":":
            if s[i] == "=":
                start2 = i + 1
            i += 1
        if i == n:
            if i != start:
                res.append(s[start:i])
            break
        prefix = s[start2:]
        if _is_pseudo_url(prefix) or prefix.startswith("flake:"):
            i += 1
            while i < n and s[i] != ":":
                i += 1
        res.append(s[start:i])
        if i == n:
            break
        i += 1
    return res


def _is_pseudo_url(s: str) -> bool:
    if s.startswith("channel:"):
        return True
    scheme, sep, _ = s.partition("://")
    return bool(sep) and scheme in ("http", "https", "file", "channel", "git", "s3", "ssh")


def _elem(e) -> tuple[str, str]:
    if isinstance(e, tuple):
        return (e[0] or "", e[1])
    prefix, sep, path = e.partition("=")
    return (prefix, path) if sep else ("", e)


def _default_nix_path(ev) -> list[str]:
    home = getattr(ev.options, "home", None) or os.environ.get("HOME", "")
    res = []
    channels = "/nix/var/nix/profiles/per-user/root/channels"
    for p, prefix in ((os.path.join(home, ".nix-defexpr", "channels"), ""),
                      (channels + "/nixpkgs", "nixpkgs"), (channels, "")):
        if home or not p.startswith("/.nix"):
            if os.path.exists(p):
                res.append(f"{prefix}={p}" if prefix else p)
    return res


def search_path(ev) -> list[tuple[str, str]]:
    """The lookup path as (prefix, path) pairs: -I entries, then NIX_PATH."""
    cached = ev.__dict__.get("_pynix_search_path")
    if cached is not None:
        return cached
    pure = getattr(ev.options, "pure", False)
    # Nix's pure evaluation has no search path at all, -I included
    elems = [] if getattr(ev.options, "pure_eval", False) else [_elem(e) for e in (ev.options.search_path or [])]
    nix_path = getattr(ev.options, "nix_path", None)
    if pure:
        nix_path = []
    elif nix_path is None:
        if "NIX_PATH" in os.environ:
            nix_path = parse_nix_path(os.environ["NIX_PATH"])
        elif getattr(ev.options, "restrict_eval", False):
            nix_path = []       # restricted evaluation has no default entries
        else:
            nix_path = _default_nix_path(ev)
    elems += [_elem(e) for e in nix_path]
    ev.__dict__["_pynix_search_path"] = elems
    return elems


def nix_path_value(ev) -> list:
    """`builtins.nixPath`: `[ { prefix; path; } ... ]`, paths as given."""
    return [Attrs({"path": p, "prefix": prefix}) for prefix, p in search_path(ev)]


# Constants that depend on the evaluator's options: the evaluator binds
# `name` to `make(ev)` in each base environment.
EVAL_CONSTANTS = {"nixPath": nix_path_value}


def _suffix_if_match(prefix: str, path: str):
    n = len(prefix)
    need_sep = 0 < n < len(path)
    if need_sep and path[n] != "/":
        return None
    if not path.startswith(prefix):
        return None
    return path[n + 1:] if need_sep else path[n:]


def _resolve_lookup_entry(ev, value: str, prefix: str = ""):
    cache = ev.__dict__.setdefault("_pynix_lookup_resolved", {})
    if value in cache:
        return cache[value]
    if _is_pseudo_url(value) or value.startswith("flake:"):
        raise E.NotImplementedYet(f"Nix search path entry '{value}' is a URL; downloading it needs the "
                                  "fetchers, which pynix does not have yet").tagged("search-path-url", url=value,
                                                                                prefix=prefix)
    path = canon_path(os.path.join(os.getcwd(), value))
    if os.path.exists(path):
        res = path
    else:
        log(ev, warning_text(f"Nix search path entry '{value}' does not exist, ignoring", from_expr=False))
        res = None
    cache[value] = res
    return res


def find_file(ev, entries: list[tuple[str, str]], name: str) -> str:
    """Resolve `<name>` through `entries` ((prefix, path) pairs) as Nix does."""
    for prefix, value in entries:
        suffix = _suffix_if_match(prefix, name)
        if suffix is None:
            continue
        root = _resolve_lookup_entry(ev, value, prefix)
        if root is None:
            continue
        res = canon_path(root + "/" + suffix)
        if os.path.exists(res):
            return res
    if name.startswith("nix/"):
        p = COREPKGS_DIR + canon_path(name[3:])
        if p in COREPKGS:
            return p
        raise E.NotImplementedYet(f"the built-in file '<{name}>' is not available in pynix")
    if getattr(ev.options, "pure", False):
        raise E.ThrownError(f"cannot look up '<{name}>' in pure evaluation mode (use '--impure' to override)")
    raise E.ThrownError(f"file '{name}' was not found in the Nix search path "
                        "(add it using $NIX_PATH or -I)").tagged(
        "not-in-search-path", name=name, entries=[(prefix, value) for prefix, value in entries])


@builtin("findFile", 2)
def _find_file(ev, lst, name):
    """Look `name` up in a search path (a list of `{ prefix; path; }`), as
    `<name>` does with `builtins.nixPath`:
    `builtins.findFile builtins.nixPath "nixpkgs"`."""
    def want_list():
        v = force(lst)
        if type(v) is not list:
            raise type_error("a list", v)
        return v
    items = with_frame("while evaluating the first argument passed to builtins.findFile", want_list)
    entries = []
    for item in items:
        def want_attrs(item=item):
            a = force(item)
            if type(a) is not Attrs:
                raise type_error("a set", a)
            return a
        a = with_frame("while evaluating an element of the list passed to builtins.findFile", want_attrs)
        prefix = ""
        if "prefix" in a.d:
            prefix = string_no_context(a.d["prefix"], "while evaluating the `prefix` attribute of an "
                                                      "element of the list passed to builtins.findFile")
        if "path" not in a.d:
            raise E.TypeError_("attribute 'path' missing").add_frame("in an element of the __nixPath")
        ctx: set = set()
        path = with_frame("while evaluating the `path` attribute of an element of the list passed to "
                          "builtins.findFile",
                          lambda: ops.coerce_to_string(a.d["path"], ctx, interp=True,
                                                       call=ev.call))
        entries.append((prefix, str(path)))
    s = string_no_context(name, "while evaluating the second argument passed to builtins.findFile")
    return Path(find_file(ev, entries, s))


# -- scopedImport ---------------------------------------------------------------------------

def _expr_path(p: str) -> str:
    """resolveExprPath: a folder means its default.nix."""
    if p in COREPKGS:
        return p
    q = resolve_symlinks(p, full=True)
    if os.path.isdir(q):
        return canon_path(q + "/default.nix")
    return q


def _read_source(ev, path: str):
    from ..source import Source, decode
    src = corepkgs_source(path)
    if src is not None:
        return src
    try:
        with open_to_read(ev, path) as f:
            data = read_all(f)
    except FileNotFoundError:
        raise E.EvalError(f"path '{path}' does not exist").tagged("no-such-path", path=path) from None
    except OSError as exc:
        raise E.EvalError(f"opening file '{path}': {exc.strerror}") from None
    return Source(decode(data), path, os.path.dirname(path))


def eval_with_scope(ev, source, scope: Attrs):
    """Evaluate `source` with the attributes of `scope` as an extra static
    scope between the builtins and the file (they shadow builtins)."""
    from ..compile import Compiler
    from ..parse import MAX_DEPTH_MESSAGE, parse_own
    from ..resolve import Resolver, Scope
    from ..source import Span
    options = records.replace(ev.parse_options, check_scopes=False)
    result = parse_own(source, options)
    names = sorted(scope.d)
    resolver = Resolver(source, result.symbols)
    inner = Scope({n: (i, None) for i, n in enumerate(names)}, resolver.root)
    try:
        resolver._walk(result.ast, inner)
    except RecursionError:
        raise E.TooDeep(MAX_DEPTH_MESSAGE, source, Span(0, len(source.text))) from None
    code = Compiler(ev, source).compile(result.ast)
    return code(Env(ev.base_env, [scope.d[n] for n in names]))


@builtin("scopedImport", 2)
def _scoped_import(ev, scope, path):
    """Like `import`, but the names of the attrset `scope` are in scope in
    the imported file, ahead of the builtins:
    `scopedImport { x = 1; } ./uses-x.nix`."""
    def want_attrs():
        a = force(scope)
        if type(a) is not Attrs:
            raise type_error("a set", a)
        return a
    attrs = with_frame("while evaluating the first argument passed to builtins.scopedImport", want_attrs)
    p = check_access(ev, _expr_path(realise_path(ev, path, resolve=None)))   # where a symlink leads, too
    if not attrs.d and p not in COREPKGS:
        return ev.import_value(Path(p))
    return eval_with_scope(ev, _read_source(ev, p), attrs)
