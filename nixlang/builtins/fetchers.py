"""Fetchers: `builtins.fetchurl`, `fetchTarball`, `fetchGit` and `fetchTree`.

They follow Nix 2.36 (libexpr/primops/fetchTree.cc and libfetchers): the
same argument checks and messages, and the same store paths.

- `fetchurl url` / `fetchurl { url; name ? baseNameOf url; sha256 ? ...; }`
  downloads one file; its store path is the *flat* fixed-output path
  `makeFixedOutputPath(flat, sha256(bytes), name)`.
- `fetchTarball url` / `{ url; name ? "source"; sha256 ? ...; }` downloads
  an archive (tar, tar.gz, tar.xz, tar.bz2, zip: told apart by their
  contents, as libarchive does), unpacks it, drops a single top-level
  directory, and names the tree by the sha256 of its NAR (a `source` path).
- `fetchTree` takes an input (an attribute set with `type`, or with the
  `flakes` feature a URL): `file`, `tarball`, `path` and `git` are fetched;
  the result has `outPath`, `narHash` and what the input scheme knows
  (`lastModified`, `rev`, `revCount`, ...).
- `fetchGit` is `fetchTree` for `type = "git"` with `fetchGit`'s defaults
  (`exportIgnore = true`, a null `rev`/`revCount` for a dirty tree). Only
  local repositories are supported (`url` a path, `file://...`, or a bare
  repository on disk); pynix runs the `git` command line.

Downloads (http, https and file URLs) have a short connect timeout and are
not retried, so a fetch without network fails at once naming the URL. What
was downloaded is kept in a per-user cache, `$XDG_CACHE_HOME/pynix/fetchers`
(else `~/.cache/pynix/fetchers`):

    blobs/<sha256 hex>      downloaded bytes, by content
    trees/<NAR hash nix32>  unpacked tarballs and exported Git trees, by NAR hash
    urls/<key>.json         what a URL gave last time (and when, its ETag)

A URL fetched less than `tarball-ttl` seconds ago (NIX_CONFIG, default 3600)
is not downloaded again, and a pinned hash whose content is in the cache is
never downloaded, so a second fetch works offline. Each evaluation records
what it fetched in `eval_store(ev).fetched` (store path -> `Fetched`: the
local file or tree, and whether it is added flat or as a NAR), for whatever
later writes those paths into a real store.
"""
from __future__ import annotations

import errno
import hashlib
import importlib
import io
import json
import os
import stat
import threading
import time
import types


from . import lazy_module  # noqa: E402  (needed by the lazy modules below)

# the network and archive modules cost tens of milliseconds to import, and
# most evaluations never fetch: import them on first use
http = types.SimpleNamespace(client=lazy_module("http.client"))
urllib = types.SimpleNamespace(error=lazy_module("urllib.error"), parse=lazy_module("urllib.parse"),
                               request=lazy_module("urllib.request"))
shutil = lazy_module("shutil")
socket = lazy_module("socket")
ssl = lazy_module("ssl")
subprocess = lazy_module("subprocess")
tarfile = lazy_module("tarfile")
tempfile = lazy_module("tempfile")
zipfile = lazy_module("zipfile")

from .. import errors as E, records
from ..atomicfile import write_atomically
from ..runtime import ops
from ..runtime.values import Attrs, CtxStr, Path, force, show_type
from ..syntax.symbols import symbol_sorted
from . import builtin

S = lazy_module("nixlang.store")
from .derivations import eval_store
from .flakes import (BadURL, TarballScheme, attrs_to_json, fix_git_url, get_nar_hash_sri, get_rev,
                     get_str, input_from_attrs, input_from_url, maybe_get_bool, maybe_get_int, maybe_get_str,
                     parse_url, url_path_to_path)
from .filesystem import check_uri
from .hashing import warn
from .strings import base_name, from_bytes, to_bytes, while_

NULL_REV = "0" * 40


class FetchError(E.EvalError):
    """A fetch that failed: a download, an archive, a hash that does not match."""
    code = "E220"
    title = "fetch failed"

    def __init__(self, message: str, exit_status: int = 1):
        super().__init__(message)
        #: the exit code Nix gives this error (102 for a hash mismatch)
        self.exit_status = exit_status


def _err(message: str) -> E.EvalError:
    return E.EvalError(message)


# -- settings (NIX_CONFIG) ------------------------------------------------------------------

def _setting(name: str, default: float) -> float:
    value = None
    for line in os.environ.get("NIX_CONFIG", "").splitlines():
        key, eq, v = line.split("#", 1)[0].partition("=")
        if eq and key.strip() == name:
            value = v.strip()
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default


def tarball_ttl() -> float:
    """How long a downloaded URL is reused without asking the server (`tarball-ttl`)."""
    return _setting("tarball-ttl", 3600)


def connect_timeout() -> float:
    """Seconds to wait for a connection (`connect-timeout`, 0 meaning Nix's 5)."""
    t = _setting("connect-timeout", 5)
    return t if t > 0 else 5.0


def stalled_timeout() -> float:
    """Seconds a download may stall (`stalled-download-timeout`)."""
    t = _setting("stalled-download-timeout", 300)
    return t if t > 0 else 300.0


# -- the download cache -----------------------------------------------------------------------

_FALLBACK_CACHE: list[str] = []


def cache_root() -> str:
    """The per-user fetcher cache (created on first use); a temporary folder
    when the cache directory cannot be written."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    root = os.path.join(base, "pynix", "fetchers")
    try:
        for sub in ("blobs", "trees", "urls", "tmp"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        return root
    except OSError:
        if not _FALLBACK_CACHE:
            _FALLBACK_CACHE.append(tempfile.mkdtemp(prefix="pynix-fetchers-"))
        root = _FALLBACK_CACHE[0]
        for sub in ("blobs", "trees", "urls", "tmp"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        return root


def _cache_tmp() -> str:
    return os.path.join(cache_root(), "tmp")


def blob_path(hex_digest: str) -> str:
    return os.path.join(cache_root(), "blobs", hex_digest)


def put_blob(data: bytes) -> tuple[str, str]:
    """Store downloaded bytes by their sha256; returns (hex digest, file)."""
    digest = hashlib.sha256(data).hexdigest()
    dest = blob_path(digest)
    if not os.path.isfile(dest):
        write_atomically(dest, data)
    return digest, dest


def tree_path(nar_hash: S.Hash) -> str:
    return os.path.join(cache_root(), "trees", nar_hash.nix32)


def put_tree(tmp_tree: str) -> tuple[str, S.Hash]:
    """Move a tree (built under the cache's tmp folder) to its place by NAR hash."""
    h, _ = S.nar_hash(tmp_tree)
    dest = tree_path(h)
    if os.path.lexists(dest):
        S.remove_path(tmp_tree)
    else:
        try:
            os.rename(tmp_tree, dest)
        except OSError:          # another process was quicker
            S.remove_path(tmp_tree)
    return dest, h


def _url_meta_file(kind: str, key: str) -> str:
    digest = hashlib.sha256(f"{kind}\0{key}".encode("utf-8", "surrogateescape")).hexdigest()
    return os.path.join(cache_root(), "urls", digest + ".json")


def lookup_meta(kind: str, key: str) -> dict | None:
    try:
        with open(_url_meta_file(kind, key), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("key") == key else None


def store_meta(kind: str, key: str, meta: dict) -> None:
    meta = dict(meta, key=key, kind=kind, time=time.time())
    write_atomically(_url_meta_file(kind, key), json.dumps(meta))


def _fresh(meta: dict) -> bool:
    return time.time() < float(meta.get("time", 0)) + tarball_ttl()


# -- what an evaluation fetched -----------------------------------------------------------------

@records.record(frozen=True)
class Fetched:
    """A store path a fetcher produced: `local` holds its contents (a file
    added flat, or a file / tree serialised as a NAR), `hash` is the sha256 of
    the file (flat) or of the NAR."""
    local: str
    method: str     # "flat" or "nar"
    hash: S.Hash
    origin: str     # the URL, path or input it came from


def _record(ev, out: str, local: str, method: str, h: S.Hash, origin: str) -> CtxStr:
    """Remember what `out` holds (and write it when the evaluation writes a store)."""
    st = eval_store(ev)
    st.fetched[out] = Fetched(local, method, h, origin)
    st.refs.setdefault(out, frozenset())
    # the local copy is exactly the object's contents (a flat file is the file
    # itself), so the evaluator can read it back like a copied source
    st.sources.setdefault(out, local)
    writer = getattr(st, "writer", None)
    if writer is not None and local != out:
        try:
            writer.add_tree(out, local, None, _ca_method(method, h))
        except S.StoreError as exc:
            raise _err(exc.message) from None
        except (OSError, ValueError) as exc:
            raise _err(f"copying '{origin}' to the store: {getattr(exc, 'strerror', None) or exc}") from None
    return CtxStr(out, frozenset({out}))


def _ca_method(method: str, h: S.Hash) -> str:
    """The content-address method of a fixed output (renderContentAddressMethod)."""
    return f"fixed:r:{h.algo}" if method in ("nar", "recursive") else f"fixed:{h.algo}"


def _store_path(ev, method: str, h: S.Hash, name: str) -> str:
    try:
        return S.make_fixed_output_path(method, h, name, store_dir=eval_store(ev).store_dir)
    except S.StoreError as exc:
        raise _err(exc.message) from None


# -- downloading ----------------------------------------------------------------------------------

@records.record
class Download:
    data: bytes | None       # None: the server said our cached copy is current (304)
    etag: str
    url: str                 # after redirects


_CURL_ERRORS = {
    "connect": "Couldn't connect to server (7)",
    "timeout": "Timeout was reached (28)",
    "resolve": "Couldn't resolve host name (6)",
    "ssl": "SSL connect error (35)",
    "recv": "Failure when receiving data from the peer (56)",
    "file": "Couldn't read a file:// file (37)",
    "protocol": "Unsupported protocol (1)",
}


def _unable(url: str, why: str) -> FetchError:
    return FetchError(f"unable to download '{url}': {why}")


def _resolve(host: str, port: int, timeout: float):
    """getaddrinfo with a deadline (a resolver that does not answer must not hang us)."""
    box: dict = {}

    def go():
        try:
            box["infos"] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except OSError as exc:
            box["error"] = exc

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise socket.timeout("timed out resolving host")
    if "error" in box:
        raise box["error"]
    return box["infos"]


def _create_connection(address, timeout=None, source_address=None, *args, **kwargs):
    """socket.create_connection with `connect-timeout` for connecting and
    `stalled-download-timeout` afterwards."""
    host, port = address[0], address[1]
    deadline = time.monotonic() + connect_timeout()
    infos = _resolve(host, port, connect_timeout())
    last: OSError | None = None
    for af, socktype, proto, _canon, sa in infos:
        sock = socket.socket(af, socktype, proto)
        try:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            if source_address:
                sock.bind(source_address)
            sock.connect(sa)
            sock.settimeout(stalled_timeout())
            return sock
        except OSError as exc:
            last = exc
            sock.close()
    raise last if last is not None else OSError(errno.EHOSTUNREACH, "no address")


def _with_timeouts(cls):
    def make(host, **kw):
        conn = cls(host, **kw)
        conn._create_connection = _create_connection
        return conn
    return make


def _handlers():
    """urllib handlers whose connections use our connect timeouts (made on
    first use, so importing this module does not import urllib.request)."""
    class _HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(_with_timeouts(http.client.HTTPConnection), req)

    class _HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(_with_timeouts(http.client.HTTPSConnection), req,
                                context=ssl.create_default_context())
    return _HTTPHandler, _HTTPSHandler


def _why(exc: BaseException) -> str:
    """curl's words for a failed transfer."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, socket.gaierror):
        return _CURL_ERRORS["resolve"]
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return _CURL_ERRORS["timeout"]
    if isinstance(exc, ssl.SSLError):
        return _CURL_ERRORS["ssl"]
    if isinstance(exc, (ConnectionRefusedError, ConnectionAbortedError)):
        return _CURL_ERRORS["connect"]
    if isinstance(exc, (ConnectionResetError, http.client.HTTPException)):
        return _CURL_ERRORS["recv"]
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ECONNREFUSED,
                                                  errno.EADDRNOTAVAIL):
        return _CURL_ERRORS["connect"]
    if isinstance(exc, OSError) and exc.strerror:
        return f"{_CURL_ERRORS['connect'][:-4]} ({exc.strerror})"
    return f"{exc}"


def file_url_path(url: str) -> str:
    """The local path of a file:// URL (as curl reads it)."""
    parts = urllib.parse.urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise _unable(url, _CURL_ERRORS["file"])
    return urllib.parse.unquote(parts.path, errors="surrogateescape")


def download(url: str, etag: str = "") -> Download:
    """Fetch `url` (http, https, file) in one attempt, without retries."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "file":
        path = file_url_path(url)
        try:
            with open(path, "rb") as f:
                return Download(f.read(), "", url)
        except OSError:
            raise _unable(url, _CURL_ERRORS["file"]) from None
    if scheme not in ("http", "https"):
        raise _unable(url, _CURL_ERRORS["protocol"])
    opener = urllib.request.build_opener(*_handlers())
    headers = {"User-Agent": "pynix (Nix/2.36.0)", "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    req = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(req, timeout=connect_timeout()) as resp:
            data = resp.read()
            return Download(data, resp.headers.get("ETag", "") or "", resp.geturl())
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and etag:
            return Download(None, etag, url)
        raise _unable(url, f"HTTP error {exc.code}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _unable(url, _why(exc)) from None
    except ValueError as exc:     # e.g. a URL urllib cannot parse
        raise _unable(url, f"URL using bad/illegal format or missing URL (3): {exc}") from None


# -- downloadFile: one file, cached -----------------------------------------------------------------

def download_file(ev, url: str) -> tuple[str, S.Hash]:
    """Nix's downloadFile: the bytes of `url` (a cached copy when fresh).
    Returns (local file holding them, their sha256)."""
    check_uri(ev, url)
    memo = eval_store(ev).fetch_cache
    hit = memo.get(("file", url))
    if hit is not None:
        return hit
    meta = lookup_meta("file", url)
    cached = None
    if meta is not None and os.path.isfile(blob_path(str(meta.get("sha256", "")))):
        cached = meta
    if cached is not None and _fresh(cached):
        res = blob_path(cached["sha256"]), S.Hash("sha256", bytes.fromhex(cached["sha256"]))
        memo[("file", url)] = res
        return res
    try:
        d = download(url, cached.get("etag", "") if cached else "")
    except FetchError as exc:
        if cached is None:
            raise
        warn(ev, f"{exc.message}; using cached version")
        res = blob_path(cached["sha256"]), S.Hash("sha256", bytes.fromhex(cached["sha256"]))
        memo[("file", url)] = res
        return res
    if d.data is None:
        digest = cached["sha256"]
    else:
        digest, _ = put_blob(d.data)
    info = {"sha256": digest, "etag": d.etag, "url": d.url}
    for u in {url, d.url}:
        store_meta("file", u, info)
    res = blob_path(digest), S.Hash("sha256", bytes.fromhex(digest))
    memo[("file", url)] = res
    return res


# -- archives ------------------------------------------------------------------------------------------

def _canon_member(name: str) -> list[str]:
    """CanonPath of an archive member name: components, `.` dropped, `..` popped."""
    out: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return out


class _TreeBuilder:
    """Builds a file tree under `root` from archive entries, never writing
    outside it (a symlink on the way is replaced by a directory)."""

    def __init__(self, root: str):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def _parent(self, parts: list[str]) -> str:
        cur = self.root
        for p in parts[:-1]:
            cur = os.path.join(cur, p)
            if os.path.islink(cur) or (os.path.lexists(cur) and not os.path.isdir(cur)):
                os.unlink(cur)
            if not os.path.lexists(cur):
                os.mkdir(cur)
        return os.path.join(cur, parts[-1])

    def _clear(self, target: str, keep_dir: bool = False) -> None:
        if os.path.islink(target) or (os.path.lexists(target) and not os.path.isdir(target)):
            os.unlink(target)
        elif os.path.isdir(target) and not keep_dir:
            shutil.rmtree(target)

    def directory(self, parts: list[str]) -> None:
        if not parts:
            return
        target = self._parent(parts)
        self._clear(target, keep_dir=True)
        if not os.path.isdir(target):
            os.mkdir(target)

    def file(self, parts: list[str], data: bytes, executable: bool) -> None:
        if not parts:
            raise FetchError("archive member '/' is not a directory")
        target = self._parent(parts)
        self._clear(target)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755 if executable else 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(target, 0o755 if executable else 0o644)

    def symlink(self, parts: list[str], target_text: str) -> None:
        if not parts:
            raise FetchError("archive member '/' is not a directory")
        target = self._parent(parts)
        self._clear(target)
        os.symlink(target_text, target)

    def hardlink(self, parts: list[str], to: list[str], name: str) -> None:
        src = os.path.join(self.root, *to) if to else self.root
        if not os.path.isfile(src) or os.path.islink(src):
            raise FetchError(f"cannot find hard link target '{'/'.join(to)}' for path '{name}'")
        with open(src, "rb") as f:
            data = f.read()
        self.file(parts, data, bool(os.lstat(src).st_mode & stat.S_IXUSR))


def _zip_mtime(info: zipfile.ZipInfo) -> int:
    """The entry's mtime as libarchive reads it: the extended-timestamp
    field (UTC) when present, else the DOS time in the local time zone."""
    extra = info.extra
    i = 0
    while i + 4 <= len(extra):
        tag, size = int.from_bytes(extra[i:i + 2], "little"), int.from_bytes(extra[i + 2:i + 4], "little")
        body = extra[i + 4:i + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            return int.from_bytes(body[1:5], "little", signed=True)
        i += 4 + size
    try:
        return int(time.mktime(info.date_time + (0, 0, -1)))
    except (OverflowError, ValueError):
        return 0


def unpack_archive(data: bytes, dest: str) -> int:
    """Unpack a tar (plain, gzip, bzip2, xz) or zip archive into `dest`,
    like unpackTarfileToSink; returns the newest member mtime (lastModified)."""
    b = _TreeBuilder(dest)
    last = 0
    if data[:4] == b"\x28\xb5\x2f\xfd":
        raise FetchError("failed to open archive (zstd-compressed archives are not supported by pynix: the "
                         "Python standard library has no zstd)")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise FetchError(f"failed to open archive ({exc})") from None
        with zf:
            for info in zf.infolist():
                parts = _canon_member(info.filename)
                last = max(last, _zip_mtime(info))
                mode = info.external_attr >> 16
                if info.is_dir():
                    b.directory(parts)
                elif stat.S_ISLNK(mode):
                    b.symlink(parts, from_bytes(zf.read(info)))
                else:
                    b.file(parts, zf.read(info), bool(mode & stat.S_IXUSR))
        return last
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise FetchError("failed to open archive (Unrecognized archive format)") from None
    with tf:
        try:
            for m in tf:
                parts = _canon_member(m.name)
                last = max(last, int(m.mtime))
                if m.islnk():
                    b.hardlink(parts, _canon_member(m.linkname), m.name)
                elif m.isdir():
                    b.directory(parts)
                elif m.isreg():
                    f = tf.extractfile(m)
                    b.file(parts, f.read() if f is not None else b"", bool(m.mode & stat.S_IXUSR))
                elif m.issym():
                    b.symlink(parts, m.linkname)
                else:
                    kinds = {tarfile.CHRTYPE: 0o020000, tarfile.BLKTYPE: 0o060000, tarfile.FIFOTYPE: 0o010000}
                    raise FetchError(f"file '{m.name}' in tarball has unsupported file type "
                                     f"{kinds.get(m.type, 0)}")
        except (tarfile.TarError, EOFError, zipfile.BadZipFile) as exc:
            raise FetchError(f"failed to extract archive ({exc})") from None
        except (OSError, ValueError) as exc:
            raise FetchError(f"failed to extract archive ({exc})") from None
    return last


def _single_dir(tree: str) -> str:
    """dereferenceSingletonDirectory: a tree whose only entry is a directory is that directory."""
    entries = os.listdir(tree)
    if len(entries) == 1:
        only = os.path.join(tree, entries[0])
        if os.path.isdir(only) and not os.path.islink(only):
            return only
    return tree


@records.record
class TarballResult:
    tree: str
    nar_hash: S.Hash
    last_modified: int


def download_tarball(ev, url: str) -> TarballResult:
    """Nix's downloadTarball_: download (or reuse) and unpack `url`."""
    check_uri(ev, url)
    try:
        parsed = parse_url(url, ev=ev)
    except BadURL:
        parsed = None
    if parsed is not None and parsed.scheme == "file":
        local = url_path_to_path(parsed.path)
        if not local.startswith("/"):
            raise FetchError(f"tarball '{parsed}' must use an absolute path. "
                             "The 'file' scheme does not support relative paths.")
        if not os.path.exists(local):
            raise FetchError(f'tarball "{local}" does not exist.')
        if os.path.isdir(local):
            if os.path.exists(os.path.join(local, ".git")):
                raise FetchError(f'tarball "{local}" is a git repository, not a tarball. '
                                 "Please use `git+file` as the scheme.")
            raise FetchError(f'tarball "{local}" is a directory, not a file.')
    memo = eval_store(ev).fetch_cache
    hit = memo.get(("tarball", url))
    if hit is not None:
        return hit
    meta = lookup_meta("tarball", url)
    cached = None
    if meta is not None and "narHash" in meta:
        h = S.Hash.parse_sri(meta["narHash"])
        if os.path.lexists(tree_path(h)):
            cached = meta
    if cached is not None and _fresh(cached):
        res = _tarball_result(cached)
        memo[("tarball", url)] = res
        return res
    d = download(url, cached.get("etag", "") if cached else "")
    if d.data is None:
        store_meta("tarball", url, cached)
        res = _tarball_result(cached)
        memo[("tarball", url)] = res
        return res
    work = tempfile.mkdtemp(dir=_cache_tmp())
    try:
        root = os.path.join(work, "unpack")
        last = unpack_archive(d.data, root)
        chosen = _single_dir(root)
        tree, h = put_tree(chosen)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info = {"narHash": h.sri, "lastModified": last, "etag": d.etag, "url": d.url}
    for u in {url, d.url}:
        store_meta("tarball", u, info)
    res = TarballResult(tree, h, last)
    memo[("tarball", url)] = res
    return res


def _tarball_result(meta: dict) -> TarballResult:
    h = S.Hash.parse_sri(meta["narHash"])
    return TarballResult(tree_path(h), h, int(meta.get("lastModified", 0)))


# -- fetchurl and fetchTarball ---------------------------------------------------------------------------

def resolve_pseudo_url(url: str) -> str:
    """EvalSettings::resolvePseudoUrl: `channel:NAME` is the channel's nixexprs tarball."""
    if url.startswith("channel:"):
        return f"https://channels.nixos.org/{url[8:]}/nixexprs.tar.xz"
    return url


def _string_no_ctx(v, frame: str) -> str:
    from .strings import force_string_no_ctx
    return str(force_string_no_ctx(v, frame))


def _fetch(ev, arg, who: str, unpack: bool, name: str):
    """prim_fetchurl / prim_fetchTarball (`fetch` in fetchTree.cc)."""
    a = force(arg)
    url = None
    expected: S.Hash | None = None
    is_attrs = type(a) is Attrs
    name_passed = False
    if is_attrs:
        for n in symbol_sorted(a.d):
            v = a.d[n]
            if n == "url":
                url = _string_no_ctx(v, "while evaluating the url we should fetch")
            elif n == "sha256":
                text = _string_no_ctx(v, "while evaluating the sha256 of the content we should fetch")
                try:
                    expected, warning = S.new_hash_allow_empty(text, "sha256")
                except S.StoreError as exc:
                    raise _err(exc.message) from None
                if warning:
                    warn(ev, warning)
            elif n == "name":
                name_passed = True
                name = _string_no_ctx(v, "while evaluating the name of the content we should fetch")
            else:
                raise _err(f"unsupported argument '{n}' to '{who}'")
        if url is None:
            raise _err("'url' argument required")
    else:
        url = _string_no_ctx(a, "while evaluating the url we should fetch")

    if who == "fetchTarball":
        url = resolve_pseudo_url(url)
    if name == "":
        name = base_name(url)
    try:
        S.check_name(name)
    except S.BadStorePathName as exc:
        if name_passed:
            fix = (f"Please change the value for the 'name' attribute passed to '{who}', so that it can create "
                   "a valid store path.")
        elif is_attrs:
            fix = (f"Please add a valid 'name' attribute to the argument for '{who}', so that it can create a "
                   "valid store path.")
        else:
            fix = (f"Please pass an attribute set with 'url' and 'name' attributes to '{who}',  so that it can "
                   "create a valid store path.")
        raise _err(f"invalid store path name when fetching URL '{url}': {exc.message}. {fix}") from None
    if getattr(ev.options, "pure", False) and expected is None:
        raise _err(f"in pure evaluation mode, '{who}' requires a 'sha256' argument")

    method = "nar" if unpack else "flat"
    # early exit: the pinned path is already there (this evaluation, the cache, the store)
    if expected is not None and expected.algo == "sha256":
        want = _store_path(ev, method, expected, name)
        if want in eval_store(ev).fetched:
            return CtxStr(want, frozenset({want}))
        local = tree_path(expected) if unpack else blob_path(expected.base16)
        if os.path.lexists(local):
            return _record(ev, want, local, method, expected, url)
        if os.path.lexists(want):        # in the store already (ensurePath)
            return _record(ev, want, want, method, expected, url)

    if unpack:
        try:
            res = download_tarball(ev, url)
        except E.EvalError as e:
            raise e.add_frame(f"while fetching the input '{_tarball_input_string(ev, url)}'")
        got, local = res.nar_hash, res.tree
    else:
        local, got = download_file(ev, url)
    if expected is not None and got != expected:
        raise FetchError(f"hash mismatch in file downloaded from '{url}':\n"
                         f"  specified: {expected.to_string('nix32')}\n"
                         f"  got:       {got.to_string('nix32')}", exit_status=102)
    out = _store_path(ev, method, got, name)
    return _record(ev, out, local, method, got, url)


def _tarball_input_string(ev, url: str) -> str:
    try:
        return str(TarballScheme().to_url(ev, {"type": "tarball", "url": url}))
    except E.EvalError:
        return url


@builtin("fetchurl", 1)
def _fetchurl(ev, arg):
    """Download a file and return its store path (added flat):
    `builtins.fetchurl "https://example.org/a.txt"` or
    `builtins.fetchurl { url = "..."; sha256 = "..."; name = "a.txt"; }`."""
    return _fetch(ev, arg, "fetchurl", False, "")


@builtin("fetchTarball", 1)
def _fetch_tarball(ev, arg):
    """Download and unpack a tarball (tar, tar.gz, tar.xz, tar.bz2, zip) and
    return the store path of its tree (a single top-level directory is
    removed): `builtins.fetchTarball { url = "..."; sha256 = "..."; }`."""
    return _fetch(ev, arg, "fetchTarball", True, "source")


# -- Git (local repositories, through the git command) -----------------------------------------------------

class GitError(FetchError):
    pass


def _git_env(extra: dict | None = None) -> dict:
    env = dict(os.environ, LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_ATTR_NOSYSTEM="1")
    for k in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(k, None)
    if extra:
        env.update(extra)
    return env


class GitRepo:
    """A repository on disk: a working tree (`workdir`) or a bare one."""

    def __init__(self, path: str):
        self.path = path
        self.bare = not os.path.exists(os.path.join(path, ".git"))
        if shutil.which("git") is None:
            raise GitError("cannot run 'git': the git command is not installed")
        if not os.path.isdir(path):
            raise GitError(f"opening Git repository \"{path}\": could not find repository at '{path}'")
        if self.bare:
            ok = self.run("rev-parse", "--is-bare-repository", check=False)
            if ok is None or ok.strip() != b"true":
                raise GitError(f"opening Git repository \"{path}\": could not find repository at '{path}'")

    def _base(self) -> list[str]:
        where = ["--git-dir", self.path] if self.bare else ["-C", self.path]
        return ["git", "-c", "safe.directory=*", "-c", "core.quotePath=false", "-c", "log.showSignature=false",
                *where]

    def run(self, *args: str, input: bytes | None = None, check: bool = True, env: dict | None = None):
        try:
            p = subprocess.run(self._base() + list(args), input=input, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=_git_env(env))
        except OSError as exc:
            raise GitError(f"cannot run 'git': {exc.strerror}") from None
        if p.returncode != 0:
            if not check:
                return None
            msg = from_bytes(p.stderr).strip() or f"exit code {p.returncode}"
            raise GitError(f"running 'git {' '.join(args)}' in '{self.path}': {msg}")
        return p.stdout

    # -- revisions
    def head(self) -> str | None:
        out = self.run("rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
        return out.decode().strip() if out else None

    def workdir_ref(self) -> str | None:
        out = self.run("symbolic-ref", "-q", "HEAD", check=False)
        return from_bytes(out).strip() if out else None

    def resolve_ref(self, ref: str) -> str:
        """GitRepo::resolveRef: a full revision is itself; a short name
        (`main`, `v1`) is looked up like git does, then the reference."""
        if len(ref) == 40 and all(c in "0123456789abcdefABCDEF" for c in ref):
            return ref.lower()
        if ref.startswith("-"):        # not a legal ref name (the input scheme refuses it first)
            raise GitError(f"resolving Git reference '{ref}': the given reference name '{ref}' is not valid")
        full = self.run("rev-parse", "--symbolic-full-name", ref, "--", check=False)
        lines = from_bytes(full or b"").split("\n")
        name = lines[0].strip() if lines and lines[0].strip() not in ("", "--") else ref
        out = self.run("rev-parse", "--verify", "-q", name + "^{commit}", check=False)
        if not out:
            if name.startswith("refs/") or name in ("HEAD", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD"):
                why = f"reference '{name}' not found"
            else:
                why = f"the given reference name '{name}' is not valid"
            raise GitError(f"resolving Git reference '{name}': {why}")
        return out.decode().strip()

    def has_commit(self, rev: str) -> bool:
        return self.run("cat-file", "-e", rev + "^{commit}", check=False) is not None

    def last_modified(self, rev: str) -> int:
        return int(self.run("show", "-s", "--format=%ct", rev).decode().strip() or 0)

    def rev_count(self, rev: str, location: str) -> int:
        if (self.run("rev-parse", "--is-shallow-repository", check=False) or b"").strip() == b"true":
            raise GitError(f"'{location}' is a shallow Git repository, so 'revCount' is not available")
        return int(self.run("rev-list", "--count", rev).decode().strip())

    # -- the working tree
    def is_dirty(self) -> bool:
        out = self.run("--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=no",
                       "--ignore-submodules=all")
        return bool(out.strip(b"\0"))

    def index_entries(self) -> list[tuple[str, str]]:
        """(mode, path) of the index's entries (each path once)."""
        out = self.run("ls-files", "-s", "-z")
        seen: dict[str, str] = {}
        for rec in out.split(b"\0"):
            if not rec:
                continue
            meta, _, path = rec.partition(b"\t")
            seen.setdefault(from_bytes(path), meta.split(b" ")[0].decode())
        return [(mode, path) for path, mode in seen.items()]

    def export_ignored(self, paths: list[str], index_env: dict | None = None) -> set[str]:
        """The paths whose `export-ignore` attribute is set (directories end in '/'),
        from the .gitattributes of the index (or of a temporary one)."""
        if not paths:
            return set()
        data = b"\0".join(to_bytes(p) for p in paths) + b"\0"
        out = self.run("check-attr", "--cached", "-z", "--stdin", "export-ignore", input=data, env=index_env)
        fields = out.split(b"\0")
        res = set()
        for i in range(0, len(fields) - 2, 3):
            if fields[i + 2] == b"set":
                res.add(from_bytes(fields[i]))
        return res

    def tree_entries(self, rev: str) -> list[tuple[str, str, str, str]]:
        """(mode, type, object id, path) of every entry of `rev`'s tree, recursively."""
        out = self.run("ls-tree", "-r", "-t", "-z", "--full-tree", rev)
        res = []
        for rec in out.split(b"\0"):
            if not rec:
                continue
            meta, _, path = rec.partition(b"\t")
            mode, typ, oid = meta.decode().split(" ")
            res.append((mode, typ, oid, from_bytes(path)))
        return res

    def read_blobs(self, oids: list[str]) -> dict[str, bytes]:
        if not oids:
            return {}
        uniq = list(dict.fromkeys(oids))
        out = self.run("cat-file", "--batch", input=("\n".join(uniq) + "\n").encode())
        res: dict[str, bytes] = {}
        pos = 0
        for oid in uniq:
            nl = out.index(b"\n", pos)
            header = out[pos:nl].decode().split(" ")
            if len(header) < 3:
                raise GitError(f"getting Git object '{oid}': object not found - no match for id ({oid})")
            size = int(header[2])
            res[oid] = out[nl + 1:nl + 1 + size]
            pos = nl + 1 + size + 1
        return res

    def submodule_urls(self, rev: str | None) -> dict[str, tuple[str, str]]:
        """.gitmodules (at `rev`, else in the working tree): path -> (url, branch)."""
        if rev is not None:
            if self.run("cat-file", "-e", f"{rev}:.gitmodules", check=False) is None:
                return {}
            where = ["--blob", f"{rev}:.gitmodules"]
        else:
            f = os.path.join(self.path, ".gitmodules")
            if not os.path.isfile(f):
                return {}
            where = ["--file", f]
        out = self.run("config", *where, "-z", "--get-regexp", r"^submodule\..*\.(path|url|branch)$", check=False)
        if not out:
            return {}
        by_name: dict[str, dict] = {}
        for rec in out.split(b"\0"):
            if not rec:
                continue
            key, _, value = from_bytes(rec).partition("\n")
            name, _, field = key[len("submodule."):].rpartition(".")
            by_name.setdefault(name, {})[field] = value
        return {d["path"]: (d.get("url", ""), d.get("branch", "")) for d in by_name.values() if "path" in d}

    def resolve_submodule_url(self, url: str) -> str:
        """git_submodule_resolve_url: a relative URL is relative to `origin`'s URL (else the repository)."""
        if not (url.startswith("./") or url.startswith("../")):
            return url
        base = (self.run("config", "--get", "remote.origin.url", check=False) or b"").decode().strip()
        if not base:
            base = self.path
        if base.startswith("file://"):
            base = urllib.parse.unquote(urllib.parse.urlsplit(base).path)
        parts = base.rstrip("/").split("/")
        for comp in url.split("/"):
            if comp == "..":
                if parts:
                    parts.pop()
            elif comp not in ("", "."):
                parts.append(comp)
        return "/".join(parts)


def _export_files(root: str, files: list[tuple[str, str, bytes | str | None, bool]]) -> None:
    """Write (path, kind, content, executable) entries under `root`; kind is
    "file", "symlink" or "dir"."""
    b = _TreeBuilder(root)
    for path, kind, content, executable in files:
        parts = [p for p in path.split("/") if p]
        if kind == "dir":
            b.directory(parts)
        elif kind == "symlink":
            b.symlink(parts, content if isinstance(content, str) else from_bytes(content or b""))
        else:
            b.file(parts, content if isinstance(content, bytes) else b"", executable)


def _hidden(path: str, ignored: set[str]) -> bool:
    """Is `path` export-ignored, itself or through a directory above it?"""
    parts = path.split("/")
    for i in range(1, len(parts)):
        if "/".join(parts[:i]) + "/" in ignored:
            return True
    return path in ignored or path + "/" in ignored


@records.record
class GitTree:
    tree: str                 # the exported tree (in the cache, or a fresh temporary folder)
    nar_hash: S.Hash
    attrs: dict               # the input's attributes after fetching


def _export_commit(ev, repo: GitRepo, rev: str, export_ignore: bool, submodules: bool, dest: str) -> None:
    entries = repo.tree_entries(rev)
    ignored: set[str] = set()
    if export_ignore:
        with tempfile.TemporaryDirectory(dir=_cache_tmp()) as tmp:
            index_env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            repo.run("read-tree", rev, env=index_env)
            ignored = repo.export_ignored([p + "/" if t == "tree" else p for _m, t, _o, p in entries], index_env)
    blobs = repo.read_blobs([o for m, t, o, p in entries if t == "blob" and not _hidden(p, ignored)])
    files = []
    gitlinks = []
    os.makedirs(dest, exist_ok=True)
    for mode, typ, oid, path in entries:
        if _hidden(path, ignored):
            continue
        if typ == "tree":
            files.append((path, "dir", None, False))
        elif typ == "commit":        # a submodule: an empty directory unless fetched
            files.append((path, "dir", None, False))
            gitlinks.append((path, oid))
        elif mode == "120000":
            files.append((path, "symlink", blobs[oid], False))
        else:
            files.append((path, "file", blobs[oid], mode == "100755"))
    _export_files(dest, files)
    if submodules and gitlinks:
        urls = repo.submodule_urls(rev)
        for path, sub_rev in gitlinks:
            url, _branch = urls.get(path, ("", ""))
            if not url:
                continue
            sub_path = repo.resolve_submodule_url(url)
            if sub_path.startswith("file://"):
                sub_path = urllib.parse.unquote(urllib.parse.urlsplit(sub_path).path)
            if not sub_path.startswith("/"):
                raise GitError(f"fetching submodule '{path}' from '{url}': pynix fetches local Git "
                               "repositories only")
            sub = GitRepo(sub_path)
            if not sub.has_commit(sub_rev):
                raise GitError(f"getting Git object '{sub_rev}': object not found - no match for id ({sub_rev})")
            target = os.path.join(dest, path)
            shutil.rmtree(target, ignore_errors=True)
            _export_commit(ev, sub, sub_rev, export_ignore, True, target)


def _export_workdir(ev, repo: GitRepo, export_ignore: bool, submodules: bool, dest: str) -> bool:
    """Export the files of the index with their contents on disk; returns
    whether a submodule's working tree is dirty."""
    entries = repo.index_entries()
    files_in = [(m, p) for m, p in entries if m != "160000"]
    gitlinks = [p for m, p in entries if m == "160000"]
    ignored: set[str] = set()
    if export_ignore:
        dirs = set()
        for _m, p in files_in:
            parts = p.split("/")
            for i in range(1, len(parts)):
                dirs.add("/".join(parts[:i]) + "/")
        ignored = repo.export_ignored(sorted(dirs) + [p for _m, p in files_in])
    files = []
    for _mode, path in files_in:
        if _hidden(path, ignored):
            continue
        full = os.path.join(repo.path, path)
        try:
            st = os.lstat(full)
        except OSError:
            continue                  # deleted in the working tree
        if stat.S_ISLNK(st.st_mode):
            files.append((path, "symlink", os.readlink(full), False))
        elif stat.S_ISREG(st.st_mode):
            with open(full, "rb") as f:
                files.append((path, "file", f.read(), bool(st.st_mode & stat.S_IXUSR)))
    os.makedirs(dest, exist_ok=True)
    _export_files(dest, files)
    dirty = False
    if submodules:
        for path in gitlinks:
            target = os.path.join(dest, path)
            os.makedirs(target, exist_ok=True)
            sub_dir = os.path.join(repo.path, path)
            if not os.path.exists(os.path.join(sub_dir, ".git")):
                continue
            sub = GitRepo(sub_dir)
            if sub.is_dirty():
                dirty = True
            dirty |= _export_workdir(ev, sub, False, True, target)
    return dirty


def _git_location(ev, attrs: dict) -> str:
    """The local path of the repository (file:// URLs and paths only)."""
    check_uri(ev, get_str(attrs, "url"))
    url = parse_url(get_str(attrs, "url"), ev=ev)
    if url.scheme != "file":
        raise GitError(f"pynix fetches local Git repositories only, not '{url}'")
    path = url_path_to_path(url.path)
    if not path.startswith("/"):
        warn(ev, f"Fetching Git repository '{url}', which uses a path relative to the current directory. "
                 "This is not supported and will stop working in a future release. "
                 "See https://github.com/NixOS/nix/issues/12281 for details.")
        path = os.path.abspath(path)
    return os.path.normpath(path) if path != "/" else path


def fetch_git(ev, attrs: dict) -> GitTree:
    """GitInputScheme::getAccessor for a local repository."""
    res = dict(attrs)
    if maybe_get_bool(attrs, "exportIgnore") and maybe_get_bool(attrs, "submodules"):
        raise _err("exportIgnore and submodules are not supported together yet")
    if maybe_get_bool(attrs, "lfs"):
        raise GitError("pynix does not support Git LFS ('lfs = true')")
    if maybe_get_bool(attrs, "verifyCommit") or "publicKey" in attrs or "publicKeys" in attrs:
        # refuse rather than return an unverified tree
        raise GitError("pynix cannot verify Git commit signatures ('verifyCommit', 'publicKey', 'publicKeys')")
    rev = get_rev(attrs, ev)
    if rev is not None and len(rev) not in (40, 64):
        algo = {32: "md5", 128: "sha512"}.get(len(rev), "blake3")
        raise _err(f"Hash '{algo}:{rev}' is not supported by Git. Supported types are sha1 and sha256.")
    location = _git_location(ev, attrs)
    repo = GitRepo(location)
    export_ignore = bool(maybe_get_bool(attrs, "exportIgnore"))
    submodules = bool(maybe_get_bool(attrs, "submodules"))
    shallow = bool(maybe_get_bool(attrs, "shallow"))
    ref = maybe_get_str(attrs, "ref")

    def commit_tree(rev: str) -> tuple[str, S.Hash]:
        key = f"{rev}{';s' if submodules else ''}{';e' if export_ignore else ''}"
        meta = lookup_meta("git-tree", key)
        if meta is not None:
            h = S.Hash.parse_sri(meta["narHash"])
            if os.path.lexists(tree_path(h)):
                return tree_path(h), h
        work = tempfile.mkdtemp(dir=_cache_tmp())
        try:
            _export_commit(ev, repo, rev, export_ignore, submodules, os.path.join(work, "tree"))
            tree, h = put_tree(os.path.join(work, "tree"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        store_meta("git-tree", key, {"narHash": h.sri})
        return tree, h

    if ref is not None or rev is not None or repo.bare:
        # getAccessorFromCommit
        if ref is None:
            ref = repo.workdir_ref()
            if ref is None:
                warn(ev, f"could not read HEAD ref from repo at '{location}', using 'master'")
                ref = "master"
        res["ref"] = ref
        if rev is None:
            rev = repo.resolve_ref(ref)
            res["rev"] = rev
        elif not repo.has_commit(rev):
            raise GitError(f"getting Git object '{rev}': object not found - no match for id ({rev})")
        if "lastModified" not in res:
            res["lastModified"] = repo.last_modified(rev)
        if not shallow and "revCount" not in res:
            res["revCount"] = repo.rev_count(rev, location)
        tree, h = commit_tree(rev)
        return GitTree(tree, h, res)

    # getAccessorFromWorkdir
    head = repo.head()
    dirty = repo.is_dirty() or (head is None and bool(repo.index_entries()))
    work = tempfile.mkdtemp(dir=_cache_tmp())
    try:
        sub_dirty = _export_workdir(ev, repo, export_ignore, submodules, os.path.join(work, "tree"))
        tree, h = put_tree(os.path.join(work, "tree"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    dirty = dirty or sub_dirty
    if not dirty:
        wref = repo.workdir_ref()
        if wref is not None:
            res["ref"] = wref
        r = head or NULL_REV
        res["rev"] = r
        if not shallow:
            res["revCount"] = 0 if r == NULL_REV else repo.rev_count(r, location)
    else:
        warn(ev, f"Git tree '{location}' is dirty")
        if head is not None:
            res["dirtyRev"] = head + "-dirty"
            res["dirtyShortRev"] = head[:7] + "-dirty"
    res["lastModified"] = repo.last_modified(head) if head is not None else 0
    return GitTree(tree, h, res)


# -- fetchTree -------------------------------------------------------------------------------------------------

def _input_string(ev, scheme, attrs: dict) -> str:
    """Input::to_string."""
    if scheme is None:
        raise _err(f"cannot show unsupported input '{attrs_to_json(attrs)}'")
    return str(scheme.to_url(ev, attrs))


def _nar_hash(ev, attrs: dict) -> S.Hash | None:
    sri = get_nar_hash_sri(attrs, ev)
    return S.Hash.parse_sri(sri) if sri is not None else None


def _is_locked(ev, scheme_name: str, attrs: dict) -> bool:
    if scheme_name in ("file", "tarball", "path"):
        return _nar_hash(ev, attrs) is not None
    if scheme_name == "git":
        rev = get_rev(attrs, ev)
        return rev is not None and rev != NULL_REV
    if scheme_name in ("github", "gitlab", "sourcehut"):
        return get_rev(attrs, ev) is not None and _nar_hash(ev, attrs) is not None
    if scheme_name == "hg":
        return get_rev(attrs, ev) is not None
    return False


def _check_locks(ev, scheme, specified: dict, result: dict) -> None:
    """Input::checkLocks (for an input that is not final)."""
    prev = _nar_hash(ev, specified)
    if prev is not None:
        got = _nar_hash(ev, result)
        if got != prev:
            if got is not None:
                raise FetchError(f"NAR hash mismatch in input '{_input_string(ev, scheme, specified)}', expected "
                                 f"'{prev.sri}' but got '{got.sri}'", exit_status=102)
            raise FetchError(f"NAR hash mismatch in input '{_input_string(ev, scheme, specified)}', expected "
                             f"'{prev.sri}' but got none", exit_status=102)
    lm = maybe_get_int(specified, "lastModified")
    if lm is not None and maybe_get_int(result, "lastModified") != lm:
        got = maybe_get_int(result, "lastModified")
        raise _err(f"'lastModified' attribute mismatch in input '{_input_string(ev, scheme, result)}', expected "
                   f"{lm}, got {got if got is not None else -1}")
    rev = get_rev(specified, ev)
    if rev is not None and get_rev(result, ev) != rev:
        raise _err(f"'rev' attribute mismatch in input '{_input_string(ev, scheme, result)}', expected {rev}")
    rc = maybe_get_int(specified, "revCount")
    if rc is not None and maybe_get_int(result, "revCount") != rc:
        raise _err(f"'revCount' attribute mismatch in input '{_input_string(ev, scheme, result)}', expected {rc}")


def _path_mtime(p: str) -> int:
    """dumpPathAndGetMtime's mtime: the newest of the tree's entries."""
    newest = int(os.lstat(p).st_mtime)
    if os.path.isdir(p) and not os.path.islink(p):
        for root, dirs, files in os.walk(p):
            for n in dirs + files:
                try:
                    newest = max(newest, int(os.lstat(os.path.join(root, n)).st_mtime))
                except OSError:
                    pass
    return newest


def _get_accessor(ev, scheme, attrs: dict) -> tuple[str, dict, S.Hash]:
    """InputScheme::getAccessor: (local file or tree, result attributes, the
    NAR hash of the tree). The `file` and `tarball` schemes put the NAR hash
    in the result, so Input::checkLocks compares it; `path` and `git` leave
    the caller's `narHash` there, and the comparison happens when the tree is
    mounted (with Nix's wording for that case)."""
    name = scheme.name
    res = dict(attrs)
    if name == "file":
        local, _sha = download_file(ev, get_str(attrs, "url"))
        h, _ = S.nar_hash(local)
        res["narHash"] = h.sri
        return local, res, h
    if name == "tarball":
        t = download_tarball(ev, get_str(attrs, "url"))
        if t.last_modified and "lastModified" not in res:
            res["lastModified"] = t.last_modified
        res["narHash"] = t.nar_hash.sri
        return t.tree, res, t.nar_hash
    if name == "path":
        path = get_str(attrs, "path")
        if not path.startswith("/"):
            raise _err(f"cannot fetch input '{_input_string(ev, scheme, attrs)}' because it uses a relative path")
        from ..runtime.paths import canon_path
        path = canon_path(path)
        if not os.path.lexists(path):
            raise _err(f"getting status of '{path}': No such file or directory")
        try:
            h, _ = S.nar_hash(path)
        except S.StoreError as exc:
            raise _err(exc.message) from None
        if maybe_get_int(res, "lastModified") is None:
            res["lastModified"] = _path_mtime(path)
        return path, res, h
    if name == "git":
        g = fetch_git(ev, attrs)
        return g.tree, g.attrs, g.nar_hash
    raise _err(f"pynix cannot fetch '{name}' inputs yet (it fetches 'file', 'tarball', 'path' and local 'git' "
               f"inputs): '{_input_string(ev, scheme, attrs)}'")


def _emit(out: CtxStr, attrs: dict, ev, empty_rev_fallback: bool, is_git: bool) -> Attrs:
    """emitTreeAttrs."""
    d: dict = {"outPath": out}
    sri = get_nar_hash_sri(attrs, ev)
    if sri is not None:
        d["narHash"] = sri
    if is_git:
        d["submodules"] = bool(maybe_get_bool(attrs, "submodules"))
    rev = get_rev(attrs, ev)
    if rev is not None:
        d["rev"] = rev
        d["shortRev"] = rev[:7]
    elif empty_rev_fallback:
        d["rev"] = NULL_REV
        d["shortRev"] = NULL_REV[:7]
    rc = maybe_get_int(attrs, "revCount")
    if rc is not None:
        d["revCount"] = rc
    elif empty_rev_fallback:
        d["revCount"] = 0
    dirty = maybe_get_str(attrs, "dirtyRev")
    if dirty is not None:
        d["dirtyRev"] = dirty
        d["dirtyShortRev"] = maybe_get_str(attrs, "dirtyShortRev") or ""
    lm = maybe_get_int(attrs, "lastModified")
    if lm is not None:
        d["lastModified"] = lm
        d["lastModifiedDate"] = time.strftime("%Y%m%d%H%M%S", time.gmtime(lm))
    return Attrs({k: d[k] for k in sorted(d)})


def _require(ev, feature: str) -> None:
    feats = getattr(getattr(ev, "options", None), "experimental_features", None) or set()
    if feature not in feats:
        raise _err(f"experimental Nix feature '{feature}' is disabled; add "
                   f"'--extra-experimental-features {feature}' to enable it")


def _coerce_attr(ev, v) -> str:
    ctx: set = set()
    return str(ops.coerce_to_string(v, ctx, interp=True, call=ev.call))


def _fetch_tree(ev, arg, *, is_fetch_git: bool = False, empty_rev_fallback: bool = False,
                allow_name: bool = False):
    fetcher = "fetchGit" if is_fetch_git else "fetchTree"
    type_ = "git" if is_fetch_git else None
    a = force(arg)
    if type(a) is Attrs:
        attrs: dict = {}
        if "type" in a.d:
            if type_ is not None:
                raise _err("unexpected argument 'type'")
            type_ = _string_no_ctx(a.d["type"], f"while evaluating the `type` argument passed to '{fetcher}'")
        elif type_ is None:
            raise _err(f"argument 'type' is missing in call to '{fetcher}'")
        attrs["type"] = type_
        for n in symbol_sorted(a.d):
            if n == "type":
                continue
            v = force(a.d[n])
            t = type(v)
            if t in (str, CtxStr, Path):
                s = _coerce_attr(ev, v)
                attrs[n] = str(fix_git_url(s, ev)) if is_fetch_git and n == "url" else s
            elif t is bool:
                attrs[n] = v
            elif t is int:
                if v < 0:
                    raise _err(f"negative value given for '{fetcher}' argument '{n}': {v}")
                attrs[n] = v
            elif n == "publicKeys":
                _require(ev, "verified-fetches")
                from .serialize import dump_json, to_json_value
                attrs[n] = dump_json(to_json_value(ev, v, set()))
            else:
                raise E.TypeError_(f"argument '{n}' to '{fetcher}' is {show_type(v)} while a string, Boolean or "
                                   "integer is expected")
        if is_fetch_git and "exportIgnore" not in attrs and not maybe_get_bool(attrs, "submodules"):
            attrs["exportIgnore"] = True
        if type_ == "git" and not is_fetch_git and "shallow" not in attrs:
            attrs["shallow"] = True
        if not allow_name and "name" in attrs:
            raise _err(f"argument 'name' isn\u2019t supported in call to '{fetcher}'")
        scheme, attrs = input_from_attrs(ev, attrs)
        if scheme is not None and scheme.experimental:
            _require(ev, scheme.experimental)
    else:
        def go():
            ctx: set = set()
            return str(ops.coerce_to_string(a, ctx, interp=True, call=ev.call))
        with while_(f"while evaluating the first argument passed to '{fetcher}'"):
            url = go()
        if is_fetch_git:
            attrs = {"type": "git", "url": str(fix_git_url(url, ev)), "exportIgnore": True}
            scheme, attrs = input_from_attrs(ev, attrs)
        else:
            if "flakes" not in (getattr(ev.options, "experimental_features", None) or set()):
                raise _err(f"passing a string argument to '{fetcher}' requires the 'flakes' experimental feature")
            scheme, attrs = input_from_url(ev, parse_url(url, ev=ev), True)
            if scheme.experimental:
                _require(ev, scheme.experimental)

    if scheme is not None and scheme.name == "indirect":
        raise _err(f"pynix cannot look up flake registries: input '{_input_string(ev, scheme, attrs)}' is "
                   "indirect")
    if getattr(ev.options, "pure", False) and not (scheme is not None and _is_locked(ev, scheme.name, attrs)):
        if scheme is not None and _nar_hash(ev, attrs) is not None:
            warn(ev, f"Input '{_input_string(ev, scheme, attrs)}' is unlocked (e.g. lacks a Git revision) but does "
                     "have a NAR hash. This is deprecated since such inputs are verifiable but may not be "
                     "reproducible.")
        else:
            raise _err(f"in pure evaluation mode, '{fetcher}' doesn't fetch unlocked input "
                       f"'{_input_string(ev, scheme, attrs)}'")
    if maybe_get_bool(attrs, "__final"):
        raise _err(f"input '{_input_string(ev, scheme, attrs)}' is not allowed to use the '__final' attribute")
    if scheme is None:
        raise _err(f"cannot fetch unsupported input '{attrs_to_json(attrs)}'")

    # Input::getAccessor
    try:
        local, result, h = _get_accessor(ev, scheme, attrs)
        result["__final"] = True
        _check_locks(ev, scheme, attrs, result)
    except E.EvalError as e:
        try:
            shown = _input_string(ev, scheme, attrs)
        except E.EvalError:
            shown = attrs_to_json(attrs)
        raise e.add_frame(f"while fetching the input '{shown}'")
    # EvalState::mountInput
    name = maybe_get_str(result, "name") or "source"
    try:
        S.check_name(name)
    except S.BadStorePathName as exc:
        raise _err(exc.message) from None
    out = _store_path(ev, "nar", h, name)
    result["narHash"] = h.sri
    original = _nar_hash(ev, attrs)
    if original is not None and original != h:
        # Nix prints the computed hash as "expected" here (EvalState::mountInput)
        raise FetchError(f"NAR hash mismatch in input '{_input_string(ev, scheme, attrs)}', expected "
                         f"'{h.sri}' but got '{original.sri}'", exit_status=102)
    value = _record(ev, out, local, "nar", h, _input_string(ev, scheme, attrs))
    return _emit(value, result, ev, empty_rev_fallback, scheme.name == "git")


@builtin("fetchTree", 1)
def _fetch_tree_builtin(ev, arg):
    """Fetch a tree or a file and return `{ outPath; narHash; ... }`:
    `builtins.fetchTree { type = "tarball"; url = "https://.../x.tar.gz"; narHash = "sha256-..."; }`,
    `{ type = "file"; url = ...; }`, `{ type = "path"; path = ...; }`, `{ type = "git"; url = ...; }`;
    with the `flakes` feature also a URL like `"https://example.org/x.tar.gz"`."""
    return _fetch_tree(ev, arg)


@builtin("fetchGit", 1)
def _fetch_git(ev, arg):
    """Fetch a local Git repository and return `{ outPath; rev; shortRev; revCount;
    lastModified; lastModifiedDate; narHash; submodules; }`:
    `builtins.fetchGit ./.` or `builtins.fetchGit { url = ./repo; ref = "main"; rev = "..."; }`."""
    return _fetch_tree(ev, arg, is_fetch_git=True, empty_rev_fallback=True, allow_name=True)
