"""builtins.fetchurl, fetchTarball, fetchTree and fetchGit (nixlang/builtins/fetchers.py).

Files and archives are served from an `http.server` on 127.0.0.1 in a
background thread, or read through file:// URLs. The store paths written
below as literals were computed with real Nix 2.8 (`nix-instantiate --eval`
on the same contents): fetchurl's flat paths and fetchTarball's `source`
paths directly; the roots Nix 2.8 cannot unpack the 2.36 way (two top-level
entries, a single top-level file) and the `type = "file"` NAR path through
`builtins.path { path = <the same tree>; name = "source"; }`. fetchGit's
answers come from Nix 2.8's fetchGit on the same repository (same commits,
byte for byte), except the dirty tree with export-ignore, where 2.8 does
not filter and 2.36 does (checked against `builtins.path` on the filtered tree).
"""
from __future__ import annotations

import http.server
import io
import os
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import zipfile

import pytest

from nixlang.builtins.derivations import eval_store
from nixlang.errors import EvalError
from nixlang.evaluator import EvalOptions, Evaluator
from nixlang.runtime.printer import print_value

# -- the contents and what Nix makes of them ---------------------------------------------------

HELLO = b"hello fetchurl\n"
HELLO_PATH = "/nix/store/3ay25cl2lpykmx07i7m22qxz7zwzqmvy-hello.txt"
HELLO_NAMED = "/nix/store/5mivv2dspngm9qj2kyj2v5ga8xgdav1f-greeting"
HELLO_SHA256_NIX32 = "113a52l57f2jv9fh9igj2xh2mi0is40flxbkqi69wbh7nlybkcbm"
HELLO_SHA256_HEX = "75b1b93cb5072e9e4cc47375ea00d111c42a6017f2c5045dda52b853a8286a84"
HELLO_AS_SOURCE = "/nix/store/3qc99mjy07hrnqljmdzfd1pdzylbwwcg-source"        # NAR of the file
HELLO_NAR_SRI = "sha256-jvtJyhn02dEYpyS4V0tZagEPlfK/GZEWxcDSkxoBxa0="

# pkg/a.txt, pkg/sub/run.sh (executable), pkg/link -> a.txt
PKG_PATH = "/nix/store/2aq3zvviwnbixmazcshlhsil9vkqsyxx-source"
PKG_NAMED = "/nix/store/rq97i6bizsfylcyrcai56k2giv0pcr5z-pkg-src"
PKG_NAR_SRI = "sha256-dAo9wq/JNl7WvelN2wcfW5usA3Di+1F5aSESKFAslg0="
PKG_NAR_NIX32 = "03cn5i82h4i1d5wm3yz2f01sr6sv3w3xnkg9ppb5wdn9mz13s2kl"
PKG_ZIP_PATH = "/nix/store/fs9w0ynjv35g6z6nm0k2xvsl1j0fq5n1-source"          # the zip has no symlink
TWO_ROOTS_PATH = "/nix/store/71dz8li1s9b4pmpw66ig99f86l1zm9fy-source"       # x.txt and y/z.txt
ONE_FILE_PATH = "/nix/store/6a2c1h1hag64xypknxwqaam8mcjf1q05-source"        # solo.txt alone
MTIME = 1600000000                                                          # 2020-09-13 12:26:40 UTC
ZEROS = "0000000000000000000000000000000000000000000000000000"
ZERO_SRI = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def _tar(members, compression: str = "") -> bytes:
    """members: (name, kind, data or link target, mode)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:" + compression) as tf:
        for name, kind, data, mode in members:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            info.mode = mode
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = data
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


PKG = [("pkg", "dir", None, 0o755), ("pkg/a.txt", "file", b"a\n", 0o644), ("pkg/link", "symlink", "a.txt", 0o777),
       ("pkg/sub", "dir", None, 0o755), ("pkg/sub/run.sh", "file", b"#!/bin/sh\necho hi\n", 0o755)]
TWO = [("x.txt", "file", b"x\n", 0o644), ("y/z.txt", "file", b"z\n", 0o644)]
ONE = [("solo.txt", "file", b"solo\n", 0o644)]


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, mode in (("pkg/a.txt", b"a\n", 0o100644), ("pkg/sub/run.sh", b"#!/bin/sh\necho hi\n", 0o100755)):
            info = zipfile.ZipInfo(name, date_time=(2020, 9, 13, 12, 26, 40))
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


FILES = {
    "hello.txt": HELLO,
    "pkg.tar": _tar(PKG),
    "pkg.tar.gz": _tar(PKG, "gz"),
    "pkg.tar.xz": _tar(PKG, "xz"),
    "pkg.tar.bz2": _tar(PKG, "bz2"),
    "pkg.zip": _zip(),
    "two.tar.gz": _tar(TWO, "gz"),
    "one.tar.gz": _tar(ONE, "gz"),
    "notes.tgz": b"this is not an archive\n",
}


# -- fixtures ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """A fresh download cache for every test (the fetchers read XDG_CACHE_HOME each time)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(root))
    monkeypatch.delenv("NIX_CONFIG", raising=False)
    return root


@pytest.fixture
def files(tmp_path):
    d = tmp_path / "files"
    d.mkdir()
    for name, data in FILES.items():
        (d / name).write_bytes(data)
    return d


class Server:
    def __init__(self, directory):
        hits = self.hits = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(directory), **kw)

            def do_GET(self):
                hits.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(5)


@pytest.fixture
def server(files):
    s = Server(files)
    yield s
    s.stop()


def evaluate(expr: str, features=("flakes",), pure=False, ev=None):
    ev = ev or Evaluator(EvalOptions(experimental_features=set(features), pure=pure))
    v = ev.eval_string(expr)
    ev.deep_force(v)
    return print_value(v)


def error(expr: str, **kw) -> str:
    with pytest.raises(EvalError) as info:
        evaluate(expr, **kw)
    return info.value.message


def q(s: str) -> str:
    return '"' + s + '"'


# -- fetchurl and fetchTarball over HTTP ---------------------------------------------------------------

# (expression, with {u} the served file's URL and {h} its name) -> the store path
FETCH_OK = [
    ('builtins.fetchurl "{u}"', "hello.txt", HELLO_PATH),
    ('builtins.fetchurl {{ url = "{u}"; }}', "hello.txt", HELLO_PATH),
    ('builtins.fetchurl {{ url = "{u}"; name = "greeting"; }}', "hello.txt", HELLO_NAMED),
    (f'builtins.fetchurl {{{{ url = "{{u}}"; sha256 = "{HELLO_SHA256_NIX32}"; }}}}', "hello.txt", HELLO_PATH),
    (f'builtins.fetchurl {{{{ url = "{{u}}"; sha256 = "{HELLO_SHA256_HEX}"; }}}}', "hello.txt", HELLO_PATH),
    (f'builtins.fetchurl {{{{ url = "{{u}}"; sha256 = "sha256:{HELLO_SHA256_NIX32}"; }}}}', "hello.txt",
     HELLO_PATH),
    ('builtins.fetchTarball "{u}"', "pkg.tar.gz", PKG_PATH),
    ('builtins.fetchTarball "{u}"', "pkg.tar", PKG_PATH),
    ('builtins.fetchTarball "{u}"', "pkg.tar.xz", PKG_PATH),
    ('builtins.fetchTarball "{u}"', "pkg.tar.bz2", PKG_PATH),
    ('builtins.fetchTarball "{u}"', "pkg.zip", PKG_ZIP_PATH),
    # no single top-level directory: the tree is the archive's root as it is
    ('builtins.fetchTarball "{u}"', "two.tar.gz", TWO_ROOTS_PATH),
    ('builtins.fetchTarball "{u}"', "one.tar.gz", ONE_FILE_PATH),
    ('builtins.fetchTarball {{ url = "{u}"; name = "pkg-src"; }}', "pkg.tar.gz", PKG_NAMED),
    (f'builtins.fetchTarball {{{{ url = "{{u}}"; sha256 = "{PKG_NAR_NIX32}"; }}}}', "pkg.tar.gz", PKG_PATH),
    (f'builtins.fetchTarball {{{{ url = "{{u}}"; sha256 = "{PKG_NAR_SRI}"; }}}}', "pkg.tar.gz", PKG_PATH),
]


@pytest.mark.parametrize("expr,name,want", FETCH_OK)
def test_fetch_over_http(server, expr, name, want):
    assert evaluate(expr.format(u=server.url(name))) == q(want)


def test_result_carries_its_store_path_as_context(server):
    out = evaluate(f'builtins.getContext (builtins.fetchurl "{server.url("hello.txt")}")')
    assert out == f'{{ "{HELLO_PATH}" = {{ path = true; }}; }}'


def test_fetched_objects_are_recorded_for_the_store(server):
    ev = Evaluator(EvalOptions())
    evaluate(f'[ (builtins.fetchurl "{server.url("hello.txt")}") (builtins.fetchTarball "{server.url("pkg.tar.gz")}") ]',
             ev=ev)
    fetched = eval_store(ev).fetched
    assert set(fetched) == {HELLO_PATH, PKG_PATH}
    flat, tree = fetched[HELLO_PATH], fetched[PKG_PATH]
    assert (flat.method, tree.method) == ("flat", "nar")
    with open(flat.local, "rb") as f:
        assert f.read() == HELLO
    assert sorted(os.listdir(tree.local)) == ["a.txt", "link", "sub"]
    assert os.readlink(os.path.join(tree.local, "link")) == "a.txt"
    assert os.access(os.path.join(tree.local, "sub", "run.sh"), os.X_OK)
    assert flat.hash.nix32 == HELLO_SHA256_NIX32 and tree.hash.sri == PKG_NAR_SRI


# (expression, file) -> the complete message; hash mismatches print nix32 with the algorithm
MISMATCH = [
    (f'builtins.fetchurl {{{{ url = "{{u}}"; sha256 = "{ZEROS}"; }}}}', "hello.txt",
     "hash mismatch in file downloaded from '{u}':\n  specified: sha256:" + ZEROS
     + "\n  got:       sha256:" + HELLO_SHA256_NIX32),
    (f'builtins.fetchTarball {{{{ url = "{{u}}"; sha256 = "{ZEROS}"; }}}}', "pkg.tar.gz",
     "hash mismatch in file downloaded from '{u}':\n  specified: sha256:" + ZEROS
     + "\n  got:       sha256:" + PKG_NAR_NIX32),
    (f'builtins.fetchTree {{{{ type = "tarball"; url = "{{u}}"; narHash = "{ZERO_SRI}"; }}}}', "pkg.tar.gz",
     "NAR hash mismatch in input '{u}?narHash=sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D', expected '"
     + ZERO_SRI + "' but got '" + PKG_NAR_SRI + "'"),
    (f'builtins.fetchTree {{{{ type = "file"; url = "{{u}}"; narHash = "{ZERO_SRI}"; }}}}', "hello.txt",
     "NAR hash mismatch in input '{u}?narHash=sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D', expected '"
     + ZERO_SRI + "' but got '" + HELLO_NAR_SRI + "'"),
]


@pytest.mark.parametrize("expr,name,message", MISMATCH)
def test_wrong_hash(server, expr, name, message):
    u = server.url(name)
    with pytest.raises(EvalError) as info:
        evaluate(expr.format(u=u))
    assert info.value.message == message.format(u=u)
    assert getattr(info.value, "exit_status", None) == 102


def test_fetchtree_mismatch_names_the_input(server):
    u = server.url("pkg.tar.gz")
    with pytest.raises(EvalError) as info:
        evaluate(f'builtins.fetchTree {{ type = "tarball"; url = "{u}"; narHash = "{ZERO_SRI}"; }}')
    frames = [f.message for f in info.value.frames]
    assert f"while fetching the input '{u}?narHash=sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D'" in frames


# -- fetchTree ------------------------------------------------------------------------------------------

FETCH_TREE = [
    ('builtins.fetchTree {{ type = "file"; url = "{u}"; }}', "hello.txt",
     f'{{ narHash = "{HELLO_NAR_SRI}"; outPath = "{HELLO_AS_SOURCE}"; }}'),
    ('builtins.fetchTree {{ type = "tarball"; url = "{u}"; }}', "pkg.tar.gz",
     f'{{ lastModified = {MTIME}; lastModifiedDate = "20200913122640"; narHash = "{PKG_NAR_SRI}"; '
     f'outPath = "{PKG_PATH}"; }}'),
    (f'builtins.fetchTree {{{{ type = "tarball"; url = "{{u}}"; narHash = "{PKG_NAR_SRI}"; }}}}', "pkg.tar.xz",
     f'{{ lastModified = {MTIME}; lastModifiedDate = "20200913122640"; narHash = "{PKG_NAR_SRI}"; '
     f'outPath = "{PKG_PATH}"; }}'),
    # a string is a URL (flakes); with a tree wanted, http(s) means tarball
    ('builtins.fetchTree "{u}"', "pkg.tar.gz",
     f'{{ lastModified = {MTIME}; lastModifiedDate = "20200913122640"; narHash = "{PKG_NAR_SRI}"; '
     f'outPath = "{PKG_PATH}"; }}'),
    ('builtins.fetchTree "file+{u}"', "hello.txt", f'{{ narHash = "{HELLO_NAR_SRI}"; outPath = "{HELLO_AS_SOURCE}"; }}'),
    # attributes the caller gives pass through
    ('builtins.fetchTree {{ type = "tarball"; url = "{u}"; lastModified = 7; revCount = 3; }}', "pkg.tar.gz",
     f'{{ lastModified = 7; lastModifiedDate = "19700101000007"; narHash = "{PKG_NAR_SRI}"; '
     f'outPath = "{PKG_PATH}"; revCount = 3; }}'),
]


@pytest.mark.parametrize("expr,name,want", FETCH_TREE)
def test_fetch_tree(server, expr, name, want):
    assert evaluate(expr.format(u=server.url(name))) == want


def _pkg_dir(root) -> str:
    d = os.path.join(str(root), "pkg")
    os.makedirs(os.path.join(d, "sub"))
    with open(os.path.join(d, "a.txt"), "wb") as f:
        f.write(b"a\n")
    with open(os.path.join(d, "sub", "run.sh"), "wb") as f:
        f.write(b"#!/bin/sh\necho hi\n")
    os.chmod(os.path.join(d, "sub", "run.sh"), 0o755)
    os.symlink("a.txt", os.path.join(d, "link"))
    for dirpath, dirnames, filenames in os.walk(d):
        for n in dirnames + filenames + [""]:
            os.utime(os.path.join(dirpath, n), (MTIME, MTIME), follow_symlinks=False)
    return d


@pytest.mark.parametrize("form", ['{{ type = "path"; path = "{d}"; }}', '{{ type = "path"; path = {d}; }}',
                                  '"path:{d}"'])
def test_fetch_tree_path(tmp_path, form):
    d = _pkg_dir(tmp_path)
    assert evaluate("builtins.fetchTree " + form.format(d=d)) == (
        f'{{ lastModified = {MTIME}; lastModifiedDate = "20200913122640"; narHash = "{PKG_NAR_SRI}"; '
        f'outPath = "{PKG_PATH}"; }}')


def test_fetch_tree_path_mismatch_is_worded_as_nix_mounts_it(tmp_path):
    # EvalState::mountInput prints the computed hash first
    d = _pkg_dir(tmp_path)
    msg = error(f'builtins.fetchTree {{ type = "path"; path = "{d}"; narHash = "{ZERO_SRI}"; }}')
    assert msg == (f"NAR hash mismatch in input 'path:{d}?narHash=sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D', "
                   f"expected '{PKG_NAR_SRI}' but got '{ZERO_SRI}'")


# -- file:// URLs ----------------------------------------------------------------------------------------

FILE_URLS = [
    ('builtins.fetchurl "file://{f}/hello.txt"', q(HELLO_PATH)),
    ('builtins.fetchTarball "file://{f}/pkg.tar.gz"', q(PKG_PATH)),
    ('builtins.fetchTarball {{ url = "file://{f}/one.tar.gz"; }}', q(ONE_FILE_PATH)),
    ('(builtins.fetchTree "file://{f}/pkg.tar.bz2").outPath', q(PKG_PATH)),
]


@pytest.mark.parametrize("expr,want", FILE_URLS)
def test_file_urls(files, expr, want):
    assert evaluate(expr.format(f=files)) == want


FILE_URL_ERRORS = [
    ('builtins.fetchurl "file://{f}/missing"', "unable to download 'file://{f}/missing': Couldn't read a file:// file (37)"),
    ('builtins.fetchTarball "file://{f}/missing.tar.gz"', 'tarball "{f}/missing.tar.gz" does not exist.'),
    ('builtins.fetchTarball "file://{f}"', 'tarball "{f}" is a directory, not a file.'),
    ('builtins.fetchTarball "file://{f}/notes.tgz"', "failed to open archive (Unrecognized archive format)"),
]


@pytest.mark.parametrize("expr,message", FILE_URL_ERRORS)
def test_file_url_errors(files, expr, message):
    assert error(expr.format(f=files)) == message.format(f=files)


# -- the download cache ------------------------------------------------------------------------------------

CACHED = [
    ('builtins.fetchurl "{u}"', "hello.txt", q(HELLO_PATH)),
    ('builtins.fetchTarball "{u}"', "pkg.tar.gz", q(PKG_PATH)),
    ('(builtins.fetchTree {{ type = "file"; url = "{u}"; }}).outPath', "hello.txt", q(HELLO_AS_SOURCE)),
    ('(builtins.fetchTree {{ type = "tarball"; url = "{u}"; }}).narHash', "pkg.zip",
     '"sha256-eZSb/8AqBL8FwboOZYHu3iLNXavgxzCQAxAhZjGWjVg="'),
]


@pytest.mark.parametrize("expr,name,want", CACHED)
def test_second_fetch_works_with_the_server_stopped(server, expr, name, want):
    e = expr.format(u=server.url(name))
    assert evaluate(e) == want
    assert server.hits == ["/" + name]
    server.stop()
    assert evaluate(e) == want          # a new evaluator: only the disk cache is shared
    assert server.hits == ["/" + name]


def test_one_download_per_evaluation(server, monkeypatch):
    monkeypatch.setenv("NIX_CONFIG", "tarball-ttl = 0")
    u = server.url("hello.txt")
    assert evaluate(f'[ (builtins.fetchurl "{u}") (builtins.fetchurl {{ url = "{u}"; name = "greeting"; }}) ]') == (
        f'[ "{HELLO_PATH}" "{HELLO_NAMED}" ]')
    assert server.hits == ["/hello.txt"]


def test_pinned_hash_in_cache_needs_no_server(server):
    u = server.url("hello.txt")
    evaluate(f'builtins.fetchurl "{u}"')
    server.stop()
    pinned = f'builtins.fetchurl {{ url = "http://127.0.0.1:9/elsewhere.txt"; name = "hello.txt"; sha256 = "{HELLO_SHA256_NIX32}"; }}'
    assert evaluate(pinned) == q(HELLO_PATH)


def test_expired_entry_falls_back_for_files_only(server, monkeypatch, capsys):
    hello, pkg = server.url("hello.txt"), server.url("pkg.tar.gz")
    evaluate(f'[ (builtins.fetchurl "{hello}") (builtins.fetchTarball "{pkg}") ]')
    server.stop()
    monkeypatch.setenv("NIX_CONFIG", "tarball-ttl = 0")
    assert evaluate(f'builtins.fetchurl "{hello}"') == q(HELLO_PATH)
    assert (f"warning: unable to download '{hello}': Couldn't connect to server (7); using cached version"
            in capsys.readouterr().err)
    assert error(f'builtins.fetchTarball "{pkg}"') == f"unable to download '{pkg}': Couldn't connect to server (7)"


def test_refetch_after_ttl_sees_new_contents(server, files, monkeypatch):
    monkeypatch.setenv("NIX_CONFIG", "tarball-ttl = 0")
    u = server.url("hello.txt")
    assert evaluate(f'builtins.fetchurl "{u}"') == q(HELLO_PATH)
    (files / "hello.txt").write_bytes(b"changed\n")
    assert evaluate(f'builtins.fetchurl "{u}"') != q(HELLO_PATH)
    assert len(server.hits) == 2


# -- failing fast ------------------------------------------------------------------------------------------

def _count_connections(monkeypatch) -> list:
    from nixlang.builtins import fetchers
    attempts = []
    real = fetchers._create_connection

    def counting(address, *args, **kwargs):
        attempts.append(tuple(address))
        return real(address, *args, **kwargs)
    monkeypatch.setattr(fetchers, "_create_connection", counting)
    return attempts


def test_unreachable_url_fails_fast(monkeypatch):
    # fast = one connection attempt and no retries (counted, not timed)
    attempts = _count_connections(monkeypatch)
    msg = error('builtins.fetchurl "http://127.0.0.1:9/x"')
    assert msg == "unable to download 'http://127.0.0.1:9/x': Couldn't connect to server (7)"
    assert attempts == [("127.0.0.1", 9)]


def test_silent_server_times_out(monkeypatch):
    monkeypatch.setenv("NIX_CONFIG", "connect-timeout = 1\nstalled-download-timeout = 1")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)                      # accepts the connection, never answers
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/x.tar.gz"
        attempts = _count_connections(monkeypatch)
        start = time.monotonic()
        msg = error(f'builtins.fetchTarball "{url}"')
        # the stalled-download timeout of 1 s applies, not Nix's default of 300 s: a
        # bound generous enough for a loaded machine still tells the two apart
        assert time.monotonic() - start < 60
        assert msg == f"unable to download '{url}': Timeout was reached (28)"
        assert len(attempts) == 1
    finally:
        sock.close()


def test_http_error_status(server):
    u = server.url("missing.txt")
    assert error(f'builtins.fetchurl "{u}"') == f"unable to download '{u}': HTTP error 404"


# -- argument checks (no download happens) ---------------------------------------------------------------

ARGUMENTS = [
    ('builtins.fetchurl "https://example.com/~wiggle~"',
     "invalid store path name when fetching URL 'https://example.com/~wiggle~': name '~wiggle~' contains illegal "
     "character '~'. Please pass an attribute set with 'url' and 'name' attributes to 'fetchurl',  so that it can "
     "create a valid store path."),
    ('builtins.fetchTarball { url = "https://example.com/x.tar.gz"; name = "a b"; }',
     "invalid store path name when fetching URL 'https://example.com/x.tar.gz': name 'a b' contains illegal "
     "character ' '. Please change the value for the 'name' attribute passed to 'fetchTarball', so that it can "
     "create a valid store path."),
    ('builtins.fetchurl { url = "https://example.com/a"; hash = "x"; }', "unsupported argument 'hash' to 'fetchurl'"),
    ('builtins.fetchTarball { name = "x"; }', "'url' argument required"),
    ('builtins.fetchurl { url = "https://example.com/a"; sha256 = "abc"; }',
     "hash 'abc' has wrong length for hash algorithm 'sha256'"),
    ('builtins.fetchTree { url = "https://example.com/a"; }', "argument 'type' is missing in call to 'fetchTree'"),
    ('builtins.fetchTree { type = "file"; url = "file:///x"; owner = -1; }',
     "negative value given for 'fetchTree' argument 'owner': -1"),
    ('builtins.fetchTree { type = "file"; url = "file:///x"; name = "n"; }',
     "argument 'name' isn\u2019t supported in call to 'fetchTree'"),
    ('builtins.fetchTree { type = "file"; url = "file:///x"; foo = [ ]; }',
     "argument 'foo' to 'fetchTree' is a list while a string, Boolean or integer is expected"),
    ('builtins.fetchTree { type = "file"; url = "file:///x"; foo = "y"; }',
     "input attribute 'foo' not supported by scheme 'file'"),
    ('builtins.fetchGit { url = "/x"; type = "git"; }', "unexpected argument 'type'"),
    ('builtins.fetchTree "file:./relative-path.tar.gz"',
     "tarball 'file:./relative-path.tar.gz' must use an absolute path. The 'file' scheme does not support relative "
     "paths."),
    ('builtins.fetchTree { type = "path"; path = "rel"; }',
     "cannot fetch input 'path:rel' because it uses a relative path"),
]


@pytest.mark.parametrize("expr,message", ARGUMENTS)
def test_argument_checks(expr, message):
    assert error(expr) == message


def test_string_fetch_tree_needs_flakes():
    assert error('builtins.fetchTree "https://example.com/x.tar.gz"', features=()) == (
        "passing a string argument to 'fetchTree' requires the 'flakes' experimental feature")


PURE = [
    ('builtins.fetchurl "https://example.com/a"', "in pure evaluation mode, 'fetchurl' requires a 'sha256' argument"),
    ('builtins.fetchTarball "https://example.com/a.tar.gz"',
     "in pure evaluation mode, 'fetchTarball' requires a 'sha256' argument"),
    ('builtins.fetchTree { type = "tarball"; url = "https://example.com/a.tar.gz"; }',
     "in pure evaluation mode, 'fetchTree' doesn't fetch unlocked input 'https://example.com/a.tar.gz'"),
]


@pytest.mark.parametrize("expr,message", PURE)
def test_pure_mode_wants_hashes(expr, message):
    assert error(expr, pure=True) == message


# -- fetchGit on a local repository --------------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

REV1 = "5bab8388ca5c5ccdf9b1514ee37e4670d7ca0b0a"
REV2 = "9e5ddd473126cf8a920e9ad1e9d5eb90462d687d"
GIT_HEAD = "/nix/store/gkx7ydrnfv8aridl17q24cyg88dv7664-source"        # export-ignore applied (2.8 too)
GIT_HEAD_NAR = "sha256-CHUwH7ROCULDjRLa/1QmPv2cC5W8Z1NG8aW909JNJm0="
GIT_REV1 = "/nix/store/isf6ciivmx5qa6sqbgfgc2ab0sv25kva-source"
GIT_REV1_NAR = "sha256-r55gL8pZeA0NhSalbYlu6U6xW5Ku1Bovw969sJioDYo="
GIT_HEAD_ALL = "/nix/store/gj4ldx8sqlamr066nrkwqqk1j468gc4p-source"     # exportIgnore = false
GIT_HEAD_ALL_NAR = "sha256-VmPSAX2nL62aZ/Apnbb4uUj6KUVuwR/bgpHjsGpYRnQ="
GIT_DIRTY = "/nix/store/frw9rfd096jbklvnaaahnkp7zaffv3v6-source"        # 2.36: filtered
GIT_DIRTY_ALL = "/nix/store/pz4rb6rifbb02saglcn03xmv45qnpliw-source"    # what Nix 2.8 gives


def _git(repo, *args, date=None):
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="T",
               GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@e")
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, stdout=subprocess.DEVNULL)


@pytest.fixture
def repo(tmp_path):
    """Two commits; `.gitattributes` export-ignores `ign/` and `secret.txt`."""
    r = tmp_path / "repo"
    r.mkdir()
    _git(r, "init", "-q", "-b", "main")
    (r / "a.txt").write_text("one\n")
    (r / "d").mkdir()
    (r / "d" / "x.sh").write_text("#!/bin/sh\n")
    os.chmod(r / "d" / "x.sh", 0o755)
    os.symlink("a.txt", r / "l")
    (r / ".gitattributes").write_text("ign/ export-ignore\nsecret.txt export-ignore\n")
    (r / "ign").mkdir()
    (r / "ign" / "f").write_text("i\n")
    (r / "secret.txt").write_text("s\n")
    _git(r, "add", "-A")
    _git(r, "commit", "-qm", "one", date="2020-01-02T03:04:05Z")
    with open(r / "a.txt", "a") as f:
        f.write("two\n")
    _git(r, "add", "-A")
    _git(r, "commit", "-qm", "two", date="2021-02-03T04:05:06Z")
    return r


def _git_attrs(out, nar, rev, count, lm=1612325106, date="20210203040506", extra=""):
    return (f'{{ {extra}lastModified = {lm}; lastModifiedDate = "{date}"; narHash = "{nar}"; outPath = "{out}"; '
            f'rev = "{rev}"; revCount = {count}; shortRev = "{rev[:7]}"; submodules = false; }}')


FETCH_GIT = [
    ("builtins.fetchGit {r}", _git_attrs(GIT_HEAD, GIT_HEAD_NAR, REV2, 2)),
    ('builtins.fetchGit "{r}"', _git_attrs(GIT_HEAD, GIT_HEAD_NAR, REV2, 2)),
    ('builtins.fetchGit {{ url = "file://{r}"; }}', _git_attrs(GIT_HEAD, GIT_HEAD_NAR, REV2, 2)),
    ('builtins.fetchGit {{ url = {r}; ref = "main"; }}', _git_attrs(GIT_HEAD, GIT_HEAD_NAR, REV2, 2)),
    (f'builtins.fetchGit {{{{ url = {{r}}; rev = "{REV1}"; }}}}',
     _git_attrs(GIT_REV1, GIT_REV1_NAR, REV1, 1, 1577934245, "20200102030405")),
    ('builtins.fetchGit {{ url = {r}; exportIgnore = false; }}', _git_attrs(GIT_HEAD_ALL, GIT_HEAD_ALL_NAR, REV2, 2)),
    ('(builtins.fetchGit {{ url = {r}; name = "src"; }}).outPath',
     '"/nix/store/i7hifc7pxisarirlj4kvv2d91ddzza3m-src"'),
    # fetchTree: shallow by default (no revCount), no export-ignore
    ('builtins.fetchTree {{ type = "git"; url = "{r}"; }}',
     f'{{ lastModified = 1612325106; lastModifiedDate = "20210203040506"; narHash = "{GIT_HEAD_ALL_NAR}"; '
     f'outPath = "{GIT_HEAD_ALL}"; rev = "{REV2}"; shortRev = "{REV2[:7]}"; submodules = false; }}'),
    ('(builtins.fetchTree "git+file://{r}?exportIgnore=1").outPath', q(GIT_HEAD)),
]


@needs_git
@pytest.mark.parametrize("expr,want", FETCH_GIT)
def test_fetch_git(repo, expr, want):
    assert evaluate(expr.format(r=repo)) == want


@needs_git
def test_fetch_git_dirty_tree(repo, capsys):
    with open(repo / "a.txt", "a") as f:
        f.write("dirty\n")
    (repo / "untracked.txt").write_text("not in the index: not fetched\n")
    out = evaluate(f"builtins.fetchGit {repo}")
    assert f'outPath = "{GIT_DIRTY}"' in out
    assert (f'dirtyRev = "{REV2}-dirty"; dirtyShortRev = "{REV2[:7]}-dirty"; lastModified = 1612325106; ' in out)
    assert 'rev = "0000000000000000000000000000000000000000"; revCount = 0; shortRev = "0000000"' in out
    assert f"warning: Git tree '{repo}' is dirty" in capsys.readouterr().err
    assert evaluate(f"(builtins.fetchGit {{ url = {repo}; exportIgnore = false; }}).outPath") == q(GIT_DIRTY_ALL)
    # a ref or rev ignores the working tree
    assert evaluate(f'(builtins.fetchGit {{ url = {repo}; ref = "main"; }}).outPath') == q(GIT_HEAD)


GIT_ERRORS = [
    ('builtins.fetchGit {{ url = {r}; ref = "refs/heads/nope"; }}',
     "resolving Git reference 'refs/heads/nope': reference 'refs/heads/nope' not found"),
    ('builtins.fetchGit {{ url = {r}; ref = "nope"; }}', "resolving Git reference 'nope': the given reference name 'nope' is not valid"),
    ('builtins.fetchGit {{ url = {r}; rev = "1111111111111111111111111111111111111111"; }}',
     "getting Git object '1111111111111111111111111111111111111111': object not found - no match for id "
     "(1111111111111111111111111111111111111111)"),
    ('builtins.fetchGit {{ url = {r}; submodules = true; exportIgnore = true; }}',
     "exportIgnore and submodules are not supported together yet"),
    ('builtins.fetchGit {{ url = {r}; verifyCommit = true; }}',
     "experimental Nix feature 'verified-fetches' is disabled; add '--extra-experimental-features "
     "verified-fetches' to enable it"),
    (f'builtins.fetchGit {{{{ url = {{r}}; rev = "{REV1}"; narHash = "{ZERO_SRI}"; }}}}',
     # a Git input's URL has no narHash (GitInputScheme::toURL), and mountInput's order
     f"NAR hash mismatch in input 'git+file://{{r}}?exportIgnore=1&rev={REV1}', expected '{GIT_REV1_NAR}' "
     f"but got '{ZERO_SRI}'"),
]


@needs_git
@pytest.mark.parametrize("expr,message", GIT_ERRORS)
def test_fetch_git_errors(repo, expr, message):
    assert error(expr.format(r=repo)) == message.format(r=repo)


@needs_git
def test_signature_checks_are_refused_not_skipped(repo):
    msg = error(f'builtins.fetchGit {{ url = {repo}; publicKey = "AAAA"; }}', features=("verified-fetches",))
    assert msg == "pynix cannot verify Git commit signatures ('verifyCommit', 'publicKey', 'publicKeys')"


@needs_git
def test_fetch_git_bare_repository(repo, tmp_path):
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    assert evaluate(f"builtins.fetchGit {bare}") == _git_attrs(GIT_HEAD, GIT_HEAD_NAR, REV2, 2)


SUB_REV = "308539b4848edd8acd9407902322b6ba4350b773"
SUB_COMMIT = "/nix/store/9mwyapkiri9hzlhgivk3rifnghj2vva4-source"     # Nix 2.8, ref = "main": sm/ empty
SUB_WORKDIR = "/nix/store/q3x5w2savbq61ldbqcqiv1q0i4g72fm0-source"    # 2.36's working tree: no sm/ at all
SUB_WITH = "/nix/store/dnaa115g4qvn3fryilkb0sfpliffp6i4-source"       # sm/s.txt inside, no export-ignore

# (fetchGit arguments besides url) -> outPath, for a repository with a submodule at sm/
SUBMODULES = [
    ("", SUB_WORKDIR),
    ('ref = "main";', SUB_COMMIT),
    ("submodules = true;", SUB_WITH),
    ('submodules = true; ref = "main";', SUB_WITH),
]


@pytest.fixture
def with_submodule(repo, tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    _git(sub, "init", "-q", "-b", "main")
    (sub / "s.txt").write_text("in the submodule\n")
    _git(sub, "add", "-A")
    _git(sub, "commit", "-qm", "s", date="2022-01-01T00:00:00Z")
    _git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", "../sub", "sm")
    _git(repo, "commit", "-qm", "three", date="2022-01-02T00:00:00Z")
    return repo


@needs_git
@pytest.mark.parametrize("args,want", SUBMODULES)
def test_fetch_git_submodules(with_submodule, args, want):
    out = evaluate(f"builtins.fetchGit {{ url = {with_submodule}; {args} }}")
    assert f'outPath = "{want}"' in out
    assert f'rev = "{SUB_REV}"; revCount = 3;' in out
    assert ("submodules = true;" in out) == ("submodules = true" in args)


# -- the same answers as real Nix, when it is installed ------------------------------------------------------

@pytest.mark.skipif(shutil.which("nix-instantiate") is None, reason="nix-instantiate is not installed")
def test_same_store_paths_as_nix(files, tmp_path):
    expr = (f'[ (builtins.fetchurl "file://{files}/hello.txt") '
            f'(builtins.fetchurl {{ url = "file://{files}/hello.txt"; name = "greeting"; }}) '
            f'(builtins.fetchTarball "file://{files}/pkg.tar.gz") '
            f'(builtins.fetchTarball {{ url = "file://{files}/pkg.tar.xz"; name = "pkg-src"; }}) ]')
    home = tmp_path / "nixhome"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / "cache"))
    env.pop("NIX_CONFIG", None)
    p = subprocess.run(["nix-instantiate", "--store", str(tmp_path / "nixroot"), "--eval", "--strict", "--expr", expr],
                       capture_output=True, text=True, env=env, timeout=120)
    if p.returncode != 0:
        pytest.skip(f"nix-instantiate cannot run here: {p.stderr.strip()[:200]}")
    assert evaluate(expr) == p.stdout.strip()
