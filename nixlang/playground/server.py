"""`pynix playground serve [--port N] [--host H] [DIR]`: serve a built site.

A plain static file server (Python's http.server), with what the page needs
on top:

- cross-origin isolation (`Cross-Origin-Opener-Policy: same-origin`,
  `Cross-Origin-Embedder-Policy: require-corp`), which gives the page
  SharedArrayBuffer and so a Stop button that interrupts Python instead of
  restarting it (browsers allow this only on localhost or HTTPS: attendees
  reaching a teacher's laptop over plain HTTP get the restart);
- the right types for `.mjs` (JavaScript) and `.wasm` (so that the
  browser compiles Pyodide while it downloads).

Any static host serves the site as well (without the faster Stop unless it
sends the two headers).
"""
from __future__ import annotations

import functools
import http.server
import os
import socketserver
from pathlib import Path

TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".json": "application/json", ".pickle": "application/octet-stream", ".whl": "application/zip",
         ".zip": "application/zip"}


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
