"""`pynix playground serve [--port N] [--host H] [DIR]`: serve a built site.

A plain static file server (Python's http.server), with what the page needs
on top:

- cross-origin isolation (`Cross-Origin-Opener-Policy: same-origin`,
  `Cross-Origin-Embedder-Policy: require-corp`), which gives the page
  SharedArrayBuffer and so a Stop button that interrupts Python instead of
  restarting it (browsers allow this only on localhost or HTTPS: attendees
  reaching a teacher's laptop over plain HTTP get the restart);
- the right types for `.mjs` (JavaScript) and `.wasm` (so that the
  browser compiles Pyodide while it downloads);
- gzip for the files that shrink (Pyodide's WebAssembly to a third): a
  room of attendees on one laptop's Wi-Fi downloads about half the bytes.

Any static host serves the site as well (without the faster Stop unless it
sends the two headers).
"""
from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import socketserver
from pathlib import Path

TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".json": "application/json", ".pickle": "application/octet-stream", ".whl": "application/zip",
         ".zip": "application/zip"}


# what gzip shrinks (the zips and wheels are compressed already)
COMPRESSIBLE = frozenset({".wasm", ".mjs", ".js", ".json", ".css", ".html", ".pickle"})


@functools.lru_cache(maxsize=64)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    with open(path, "rb") as f:
        return gzip.compress(f.read(), 6, mtime=0)


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}
    quiet = False
    isolated = True

    def end_headers(self):
        if self.isolated:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_head(self):
        path = self.translate_path(self.path)
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not accepts or os.path.splitext(path)[1] not in COMPRESSIBLE or not os.path.isfile(path):
            return super().send_head()
        st = os.stat(path)
        body = _gzipped(path, st.st_mtime_ns, st.st_size)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def check_site(directory: str | os.PathLike) -> Path:
    site = Path(directory).resolve()
    if not (site / "manifest.json").is_file() or not (site / "index.html").is_file():
        raise FileNotFoundError(f"'{site}' is not a playground site (no manifest.json): "
                                f"build one with `pynix playground build {directory}`")
    return site


def make_server(directory: str | os.PathLike, port: int = 8000, host: str = "127.0.0.1",
                quiet: bool = False, isolated: bool = True) -> Server:
    """A server for the site in `directory` (not started); port 0 picks a free
    one. `isolated=False` leaves the isolation headers out, as a plain static
    host would (the tests use it for the Stop button's other way)."""
    site = check_site(directory)
    handler = functools.partial(type("SiteHandler", (Handler,), {"quiet": quiet, "isolated": isolated}),
                                directory=str(site))
    return Server((host, port), handler)


def url_of(server: Server) -> str:
    host, port = server.server_address[:2]
    shown = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
    return f"http://{shown}:{port}/"


def serve(directory: str | os.PathLike = ".", port: int = 8000, host: str = "127.0.0.1", out=None) -> int:
    """Serve until Ctrl-C."""
    server = make_server(directory, port, host)
    if out is not None:
        out.write(f"Serving the pynix playground from {check_site(directory)} at {url_of(server)}\n"
                  "Open that address in a browser (Ctrl-C stops the server).\n")
        out.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
