"""`pynix lsp`: the pygls 2 language server, a thin adapter over `nixlang.ide`.

Each handler converts LSP types to offsets, asks `nixlang.ide`, and converts
back (`lsp.convert`); it catches every exception, logs it, and answers
"nothing" instead, so no document and no request can stop the server.

Documents are kept here (`lsp.documents`, not in pygls's workspace copy) so
that positions follow LSP's line rules exactly; edits arrive full or
incremental, and each is recorded so that offsets can be mapped between the
document's texts (`nixlang.ide.editmap`). After each change and a pause
that lets a burst of changes be analysed once (5 ms; for a document whose
analysis is slow, up to a quarter second) the static diagnostics (syntax,
scope, lints; at most 100 errors listed, then "N more") are computed in a
worker thread and published. Work for a text the document no longer has is
abandoned, not queued: the analysis stops at its next checkpoint and its
result, if any, is kept only to answer requests. When there are no syntax
or scope errors, the file is then evaluated in the background under a time
budget (`nixlang.ide.evaluation`) and the evaluation error, if any, is
added; a newer edit cancels the evaluation, and a document bigger than
`evaluation.maxFileSize` is not evaluated at all.

No handler computes on the event loop: requests wait (asynchronously) for
the analysis they need and compute their answer in worker threads. Hover,
definition and completion do not wait for the current analysis when an
older one still holds where they are asked (`lsp.documents.Doc.choose`):
while the text does not parse they read the last analysis that parsed, for
the parts the edits since have not touched, and while a big document is
being analysed again they read its latest analysis. `name.` typed since is
completed as `name` was known there.

Hovers show the evaluated value of the name under the cursor, and
completion after `expr.` adds the attributes of the evaluated `expr`
(`nixlang.ide.values`: pure, no network, under the evaluation budget). A
hover waits only `hover.timeout` for its value; the evaluation goes on in
the background and its result is cached, so hovering again shows it. Any
evaluation still running after `progress.after` s (diagnostics, a hover's value) is
shown as work-done progress (`window/workDoneProgress/create`, then
`$/progress` begin/end) when the client supports `window.workDoneProgress`.
The VS Code commands (Evaluate file/selection, Show derivation, Explain
error) run the `pynix` CLI from the extension, not through this server.

Settings (section `pynix`, from `initializationOptions`, `workspace/configuration`
and `workspace/didChangeConfiguration`; nested objects or dotted keys; values
of the wrong type are ignored). The VS Code extension sends
`{ server: {path, args}, eval: {budgetSeconds}, hover: {values}, trace: {server} }`
plus the `evaluation` object below:

    eval.budgetSeconds  seconds an evaluation may take; 0 turns evaluation diagnostics
                        off (default 2). The same as evaluation.enable + evaluation.timeout,
                        and wins when both are given
    evaluation.enable   evaluate files for diagnostics (default true)
    evaluation.timeout  seconds an evaluation may take (default 2)
    evaluation.delay    seconds to wait after an edit before evaluating (default 0.3)
    evaluation.restricted   restricted evaluation (default true): only the workspace folders,
                        the store and the configured search path are readable, no currentTime,
                        getEnv gives "" (see nixlang/ide/policy.py); false reads any file
    evaluation.allowedPaths folders evaluation may read besides the workspace (default none)
    evaluation.nixPath  search-path entries (`nixpkgs=/path` or `/path`) for `<name>`, readable
                        too (default none; NIX_PATH and nix.conf's nix-path count as well)
    evaluation.memoryLimitMB  memory one evaluation may allocate (default 1024)
    modules.enable      module options (completion, hover, definition, undefined options and type
                        errors in module files; nixlang/ide/options.py), default true
    modules.roots       module files whose `imports` closure is one evaluation (default: found in
                        the workspace, the files nobody imports)
    modules.nixos       "auto" (default: a configuration.nix-like file), true or false: evaluate
                        with NixOS's modules
    modules.nixpkgs     the nixpkgs tree for NixOS and `lib` (default: `nixpkgs=` of the search path,
                        then ~/.nix-defexpr/channels/nixpkgs)
    modules.lib         a nixpkgs `lib` folder, when there is no nixpkgs tree (default none)
    modules.timeout     seconds the options of a module set may take (default 30)
    modules.nixosTimeout  seconds NixOS's own options may take, once per nixpkgs (default 900)
    hover.values        show evaluated values in hovers (default true)
    hover.timeout       seconds a hover waits for its value (default 0.5)
    completion.values   add attributes found by evaluation after `expr.` (default true)
    completion.timeout  seconds completion waits for them (default 0.4)
    progress.after      seconds an evaluation runs before it shows as progress (default 1)
    lints.enable        report lints (W0xx), default true
    docsUrl             base URL of error explanations; diagnostics link to `docsUrl#e013`
    evaluation.maxFileSize  characters: a bigger document is analysed but not evaluated (no
                        evaluation diagnostics, no evaluated values in hovers and completion;
                        default 500000: a 40,000-line file is about 1.6 million)
    nixpkgs             the nixpkgs folder for `lib.`/`pkgs.` in files nobody in the workspace
                        calls (default: found as Nix would, see nixlang/ide/nixpkgs.py)
    nixPath             the search path `<nixpkgs>` links are looked up in: a list of
                        `prefix=folder` / `folder` entries, or one string as in NIX_PATH
                        (default: the NIX_PATH the server was started with)
    server.path, server.args, trace.server
                        read by the VS Code client only (how to start the server, tracing)
"""
from __future__ import annotations

import asyncio
import functools
import gc
import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path, to_fs_path

from nixlang import gcpause, ide
from nixlang.errors.catalogue import all_codes, explanation
from nixlang.ide import evaluation as ide_evaluation
from nixlang.ide import nixpkgs as ide_nixpkgs
from nixlang.ide import options as ide_options
from nixlang.ide import policy as ide_policy
from nixlang.ide import runner as ide_runner
from nixlang.ide import values as ide_values
from nixlang.ide.completion import dotted_before, dotted_completion, warm_lib
from nixlang.ide.diagnostics import capped
from nixlang.ide.links import parse_search_path, path_links
from nixlang.ide.navigation import workspace_references
from nixlang.version import __version__

from . import convert
from .documents import Doc, View

log = logging.getLogger("pynix.lsp")


@dataclass
class Settings:
    eval_enabled: bool = True
    eval_timeout: float = 2.0
    eval_delay: float = 0.3
    hover_values: bool = True
    hover_timeout: float = 0.5
    completion_values: bool = True
    completion_timeout: float = 0.4
    progress_after: float = 1.0     # seconds an evaluation runs before it shows as progress
    lints: bool = True
    docs_url: str | None = None
    eval_max_size: int = 500_000    # characters: larger documents are analysed, not evaluated
    link_nix_path: list | None = None   # `nixPath`: the search path for `<...>` links; None: see search_path
    eval_restricted: bool = True    # the editor's restricted evaluation (nixlang/ide/policy.py)
    allowed_paths: tuple = ()
    nix_path: tuple = ()            # `evaluation.nixPath`: search-path entries evaluation may use
    memory_mb: float = 1024.0
    nixpkgs: str | None = None      # `nixpkgs`: the nixpkgs folder; None: found as Nix would
    modules: dict = field(default_factory=dict)     # the `modules.*` keys (nixlang/ide/options.py reads them)

    @property
    def value_budget(self) -> float:
        """Seconds an evaluation for a hover or a completion may take in all."""
        return self.eval_timeout if self.eval_timeout > 0 else max(self.hover_timeout, self.completion_timeout)

    def update(self, data) -> None:
        """Apply a `pynix` settings object (nested or dotted keys); bad values are ignored."""
        if not isinstance(data, dict):
            return
        flat: dict = {}

        def walk(prefix, d):
            for k, v in d.items():
                key = f"{prefix}{k}"
                if isinstance(v, dict):
                    walk(key + ".", v)
                else:
                    flat[key] = v
        walk("", data)

        def number(key, low=0.0, high=600.0):
            v = flat.get(key)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= high:
                return float(v)
            return None
        if isinstance(flat.get("evaluation.enable"), bool):
            self.eval_enabled = flat["evaluation.enable"]
        for key, attr in (("evaluation.timeout", "eval_timeout"), ("evaluation.delay", "eval_delay")):
            v = number(key)
            if v is not None:
                setattr(self, attr, v)
        v = number("evaluation.maxFileSize", 0.0, 1e9)
        if v is not None:
            self.eval_max_size = int(v)
        budget = number("eval.budgetSeconds")          # the VS Code extension's key
        if budget is not None:
            self.eval_enabled = budget > 0
            if budget > 0:
                self.eval_timeout = budget
        for key, attr in (("hover.values", "hover_values"), ("completion.values", "completion_values")):
            if isinstance(flat.get(key), bool):
                setattr(self, attr, flat[key])
        for key, attr in (("hover.timeout", "hover_timeout"), ("completion.timeout", "completion_timeout"),
                          ("progress.after", "progress_after")):
            v = number(key, 0.0, 30.0)
            if v is not None:
                setattr(self, attr, v)
        if isinstance(flat.get("evaluation.restricted"), bool):
            self.eval_restricted = flat["evaluation.restricted"]
        for key, attr in (("evaluation.allowedPaths", "allowed_paths"), ("evaluation.nixPath", "nix_path")):
            v = flat.get(key)
            if isinstance(v, list) and all(isinstance(x, str) and x for x in v):
                setattr(self, attr, tuple(os.path.expanduser(x) for x in v))
        v = number("evaluation.memoryLimitMB", 16.0, 1 << 20)
        if v is not None:
            self.memory_mb = v
        if isinstance(flat.get("lints.enable"), bool):
            self.lints = flat["lints.enable"]
        if isinstance(flat.get("docsUrl"), str) and flat["docsUrl"]:
            self.docs_url = flat["docsUrl"]
        if isinstance(flat.get("nixpkgs"), str):
            self.nixpkgs = os.path.expanduser(flat["nixpkgs"]) or None
        self.modules.update({k: v for k, v in flat.items() if k.startswith("modules.")})
        np = flat.get("nixPath")
        if isinstance(np, str) or (isinstance(np, list) and all(isinstance(e, str) for e in np)):
            self.link_nix_path = parse_search_path(np)

    def search_path(self) -> list:
        """(prefix, folder) pairs `<...>` is looked up in (document links):
        the `nixPath` setting, else evaluation's `evaluation.nixPath`, else $NIX_PATH."""
        if self.link_nix_path is not None:
            return self.link_nix_path
        if self.nix_path:
            return parse_search_path(list(self.nix_path))
        return parse_search_path(os.environ.get("NIX_PATH", ""))


# a document smaller than this, or analysed faster, has requests wait for its
# current analysis; a bigger and slower one answers from its latest analysis
# where it still holds
QUICK_SIZE = 100_000     # characters (about 2,500 lines)
QUICK_ANALYSIS = 0.15    # CPU seconds
SLOW_ANALYSIS = 0.25     # CPU seconds: a document analysed slower waits longer after a change (publish_soon)
MAX_DEBOUNCE = 0.25      # the longest pause after a change before analysing (publish_soon)
FREEZE_SIZE = 200_000    # characters: a document this big has its analyses frozen (`noted`)
IDLE_COLLECT = 3.0       # seconds without a change before frozen garbage is collected


def _collect_frozen() -> None:
    """A full collection of everything, frozen analyses included, then freeze what is left."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()

# one-line titles of every code, from the catalogue `pynix explain` prints
# (tests/test_catalogue.py checks it covers every code the server can report)
TITLES = {code: explanation(code).title for code in all_codes()}


class _Protocol(LanguageServerProtocol):
    def _send_data(self, data) -> None:
        if getattr(self._server, "exited", False):
            return            # after `exit` the transport closes: a late notification is dropped
        super()._send_data(data)


class PynixLanguageServer(LanguageServer):
    def __init__(self):
        super().__init__("pynix", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         protocol_cls=_Protocol)
        self.settings = Settings()
        self.docs: dict[str, Doc] = {}
        self.cache = ide.AnalysisCache()
        self.static: dict[str, list] = {}           # uri -> static lsp diagnostics last published
        self.eval_tasks: dict[str, asyncio.Task] = {}
        self.eval_cancel: dict[str, threading.Event] = {}
        self.pending: dict[str, asyncio.Task] = {}       # uri -> diagnostics waiting for typing to pause
        self.publishing: set[asyncio.Task] = set()       # static diagnostics being computed
        # one thread computes static diagnostics (never queued behind evaluations)
        self.analysis_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pynix-analysis")
        # requests compute their answers here, off the event loop
        self.request_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pynix-request")
        self.last_change = 0.0           # time.monotonic() of the latest didChange
        self.gc_due = False              # big analyses were frozen (`noted`); collect when idle
        self.collector: asyncio.Task | None = None
        self.options = ide_options.OptionsService()     # module options, computed in the background
        self.closing = False          # `shutdown` came: nothing more is started
        self.exited = False           # `exit` came: the transport closes, nothing more is sent
        self._reporting = False

    def report_server_error(self, error, source) -> None:
        """pygls shows an error that happened outside a request as a message,
        which is sent too: when sending is what failed (the client is gone,
        the transport closed after `exit`), that would fail again, and again.
        Such an error is only logged."""
        if self.exited or self._reporting:
            log.warning("not shown to the client: %r", error)
            return
        self._reporting = True
        try:
            super().report_server_error(error, source)
        finally:
            self._reporting = False

    # -- helpers -------------------------------------------------------------------------------
    @property
    def codec(self):
        try:
            return self.workspace.position_codec
        except Exception:
            return None

    def editor_policy(self) -> ide_policy.Policy:
        """What evaluations may do now: the settings and the workspace folders."""
        st = self.settings
        try:
            ws = self.workspace
            uris = [f.uri for f in ws.folders.values()] or ([ws.root_uri] if ws.root_uri else [])
        except Exception:          # before `initialize`
            uris = []
        folders = tuple(p for p in (to_fs_path(u) for u in uris if u.startswith("file:")) if p)
        return ide_policy.Policy(restricted=st.eval_restricted, folders=folders, allowed_paths=st.allowed_paths,
                                 nix_path=st.nix_path, memory=int(st.memory_mb * (1 << 20)))

    def find_nixpkgs(self) -> None:
        """Tell the analyses the workspace folders and the nixpkgs found for
        them; start computing its package names in the background."""
        self.cache.roots = self.editor_policy().folders
        found = ide_nixpkgs.locate(self.settings.nixpkgs, self.settings.search_path(), self.cache.roots)
        self.cache.nixpkgs = found.path if found else None
        log.info("nixpkgs: %s", found)
        if found is not None:
            ide_nixpkgs.package_names.get(found.path)
        warm_lib(self.cache)         # `lib.` completion answers at once from now on
        threading.Thread(target=self.cache.path_index.warm, name="pynix-path-index", daemon=True).start()
    def configure_options(self) -> None:
        """Give the module options service the settings, folders and search path;
        a result it computes re-publishes the diagnostics of its documents."""
        pol = self.editor_policy()
        opts = self.options
        opts.policy = pol.for_document
        try:
            loop = asyncio.get_running_loop()
            opts.on_ready = lambda paths: loop.call_soon_threadsafe(self._options_ready, paths)
            opts.log = lambda message: loop.call_soon_threadsafe(_log, self, message)
        except RuntimeError:
            pass
        flat = dict(self.settings.modules)
        found = self.settings.nixpkgs or getattr(self.cache, "nixpkgs", None)
        if not flat.get("modules.nixpkgs") and found:
            flat["modules.nixpkgs"] = found      # the nixpkgs `lib.` and `pkgs.` use (find_nixpkgs)
        opts.configure(flat, pol.folders, self.settings.search_path())

    def _options_ready(self, paths) -> None:
        for uri, doc in list(self.docs.items()):
            if doc.path in paths:
                self.publish(uri)

    def index(self, doc: Doc) -> convert.LineIndex:
        return doc.state.index

    def analysis(self, uri: str):
        """(document, analysis of its current text), computed now if need be:
        for code outside the event loop (worker threads, tests); handlers
        use `current` or `view`."""
        doc = self.docs.get(uri)
        if doc is None:
            return None, None
        return doc, self.cache.get(uri)

    async def run(self, fn, *args):
        """`fn(*args)` in a request worker thread: the event loop goes on
        reading and answering meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self.request_executor, functools.partial(fn, *args))

    async def current(self, uri: str):
        """(document, its state, the analysis of that state's text), analysed in
        a worker thread if it is not yet (a request waits for the analysis
        being made rather than making another); None when the document is not
        open. A text replaced meanwhile is given up for the newer one."""
        while True:
            doc = self.docs.get(uri)
            if doc is None:
                return None
            st = doc.state
            got = doc.fresh(st.seq)
            if got is not None:
                return doc, st, got.an
            an = await self.run(self.cache.get, uri, st.text)
            if an is not None and self.docs.get(uri) is doc:
                self.noted(doc, st.seq, an)
                return doc, st, an

    async def view(self, uri: str, position):
        """(document, state, View) for a hover, definition or completion at
        `position` of the current text (`Doc.choose`): at once from an older
        analysis where it still holds, else after the current analysis. A
        small document's current analysis is waited for (it comes soon, and
        is exact)."""
        doc = self.docs.get(uri)
        if doc is None:
            return None, None, None
        st = doc.state
        off = st.index.offset(position)
        if doc.fresh(st.seq) is None and (len(st.text) < QUICK_SIZE or doc.cost < QUICK_ANALYSIS):
            await self.current(uri)
        v = doc.choose(off, st.seq)
        if v is None:
            await self.current(uri)
            v = doc.choose(off, st.seq)
        return doc, st, v

    def other_index(self, path: str):
        """(uri, LineIndex) of another file, for locations in it."""
        text = self.cache.text_of(path)
        if text is None:
            return None
        return from_fs_path(path) or path, convert.LineIndex(text, self.codec)

    def location(self, doc: Doc, idx: convert.LineIndex, loc, view: View | None = None) -> types.Location | None:
        """An LSP location; with `view`, a location in the analysed text is moved
        into the request's (None when an edit since touched it)."""
        if loc.path is None or (doc.path and os.path.abspath(loc.path) == doc.path):
            span = (loc.start, loc.end) if view is None else view.span(loc.start, loc.end)
            return None if span is None else types.Location(uri=doc.uri, range=idx.range(*span))
        if loc.start == 0 and loc.end == 0:
            zero = types.Position(line=0, character=0)
            return types.Location(uri=from_fs_path(loc.path) or loc.path, range=types.Range(start=zero, end=zero))
        other = self.other_index(loc.path)
        if other is None:
            return None
        return types.Location(uri=other[0], range=other[1].range(loc.start, loc.end))

    # -- documents and diagnostics ---------------------------------------------------------------
    def open(self, uri: str, text: str, version) -> None:
        path = None
        if uri.startswith("file:"):
            try:
                path = to_fs_path(uri)
            except Exception:
                path = None
        self.docs[uri] = Doc(uri, text, version, os.path.abspath(path) if path else None, self.codec)
        self.cache.update(uri, text, path)

    def change(self, uri: str, changes, version) -> None:
        doc = self.docs.get(uri)
        if doc is None:
            return
        doc.apply(changes, self.codec)
        doc.version = version
        self.cache.update(uri, doc.text, doc.path)

    def close(self, uri: str) -> None:
        self.cancel_eval(uri)
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        doc = self.docs.pop(uri, None)
        self.static.pop(uri, None)
        self.cache.close(uri)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        if doc is not None:
            self._recheck_flake(doc)

    def publish(self, uri: str) -> None:
        """Static diagnostics of the current text as soon as they are computed;
        evaluation diagnostics later (when there are no errors). In the server
        the analysis runs in a worker thread, one document at a time, so
        requests keep being answered meanwhile. Work for a text the document
        no longer has is abandoned (the analysis at its next checkpoint, see
        `AnalysisCache`), never queued: the change that replaced the text
        scheduled its own publication. Outside a running event loop: at once."""
        self._schedule(uri, 0.0)

    def publish_soon(self, uri: str) -> None:
        """Publish after a pause, so that a burst of changes (a paste, an edit at
        several cursors, a formatter, fast typing) is analysed once: 5 ms,
        or for a document whose analysis takes more than `SLOW_ANALYSIS` of
        CPU time a quarter of that (at most `MAX_DEBOUNCE`: a 40,000-line
        file is analysed when typing pauses, not after every keystroke)."""
        doc = self.docs.get(uri)
        cost = doc.cost if doc is not None else 0.0
        self._schedule(uri, min(MAX_DEBOUNCE, cost / 4) if cost > SLOW_ANALYSIS else 0.005)

    def _schedule(self, uri: str, delay: float) -> None:
        old = self.pending.pop(uri, None)
        if old is not None and not old.done():
            old.cancel()
        doc = self.docs.get(uri)
        if doc is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            st = doc.state
            result = self._static_diagnostics(uri, doc, st)
            if result is not None and result[1] is not None:
                self.noted(doc, st.seq, result[0], result[3])
                self._send_static(uri, doc, result[1], result[2])
            return
        task = loop.create_task(self._publish_async(uri, doc, delay))
        self.pending[uri] = task
        self.publishing.add(task)                 # a reference, so the task is not collected
        task.add_done_callback(self.publishing.discard)

    async def _publish_async(self, uri: str, doc: Doc, delay: float) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            if self.pending.get(uri) is asyncio.current_task():
                self.pending.pop(uri, None)       # from here on a newer change no longer cancels this task
            st = doc.state
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.analysis_executor, self._static_diagnostics, uri, doc, st)
            if result is None or self.docs.get(uri) is not doc:
                return
            an, diags, out, cpu = result
            self.noted(doc, st.seq, an, cpu)
            if diags is None or doc.seq != st.seq:
                return                            # out of date: a newer publication is on its way
            self._send_static(uri, doc, diags, out)
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            _report(self, f"diagnostics of {uri}", exc)

    def _static_diagnostics(self, uri: str, doc: Doc, st):
        """(analysis, ide diagnostics, LSP diagnostics, CPU seconds of the
        analysis) of the text of state `st`; (analysis, None, None, seconds)
        when the document changed after its analysis (the analysis still
        serves requests about unchanged parts); None when it changed before.
        Runs in the worker thread: the analysis, the lints, the cap on their
        number and the conversion to LSP."""
        if self.docs.get(uri) is not doc or doc.state is not st:
            return None
        cpu = time.thread_time()
        with gcpause.paused():
            an = self.cache.get(uri, st.text)
            if an is not None and len(st.text) >= FREEZE_SIZE:
                gc.freeze()      # before the collector wakes up and scans the new tree (see `noted`)
        cpu = time.thread_time() - cpu
        if an is None or (an.text is not st.text and an.text != st.text):
            return None                   # (an equal text: a change that changed nothing, still published)
        if doc.state is not st:
            return an, None, None, cpu
        diags = ide.diagnostics(an, lints=self.settings.lints)
        more = self.options.diagnostics(an)
        if more:
            diags = sorted(diags + more, key=lambda d: (d.start, d.end))
        diags = capped(diags)
        if doc.state is not st:
            return an, None, None, cpu
        idx = st.index
        out = [convert.diagnostic(d, idx, uri, self.settings.docs_url, TITLES, self.other_index) for d in diags]
        return an, diags, out, cpu

    def _send_static(self, uri: str, doc: Doc, diags: list, out: list) -> None:
        if self.closing:
            return
        self.static[uri] = out
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=doc.version, diagnostics=out))
        self.cancel_eval(uri)
        if self.settings.eval_enabled and not any(d.severity == "error" for d in diags) \
                and self.evaluates(doc) and not (doc.path and os.path.basename(doc.path) == "flake.lock"):
            try:
                self.eval_tasks[uri] = asyncio.get_running_loop().create_task(self.evaluate(uri, doc.version))
            except RuntimeError:     # no loop (called outside the server): skip
                pass
        self._recheck_flake(doc)

    def _recheck_flake(self, doc: Doc) -> None:
        """A flake.lock changed, opened or closed: the flake.nix beside it is
        checked against the lock's buffer (or the disk): check it again."""
        if doc.path and os.path.basename(doc.path) == "flake.lock":
            flake = os.path.join(os.path.dirname(doc.path), "flake.nix")
            for other, d in list(self.docs.items()):
                if d.path == flake:
                    self.publish(other)

    def noted(self, doc: Doc, seq: int, an, seconds: float | None = None) -> None:
        """An analysis of text `seq` of `doc` is done (see `Doc.note`). A big
        one's objects are moved out of the cyclic garbage collector's reach
        (`gc.freeze`): they live until the next analysis replaces them, and
        scanning a million of them again and again held the event loop for a
        second each time. The cycles among them, once the analysis is
        dropped, are collected when typing has paused for a while."""
        doc.note(seq, an, seconds)
        if len(an.text) >= FREEZE_SIZE:
            gc.freeze()
            self.gc_due = True
            if self.collector is None or self.collector.done():
                try:
                    self.collector = asyncio.get_running_loop().create_task(self._collect_when_idle())
                except RuntimeError:
                    pass

    async def _collect_when_idle(self) -> None:
        loop = asyncio.get_running_loop()
        while self.gc_due:
            await asyncio.sleep(1.0)
            if time.monotonic() - self.last_change >= IDLE_COLLECT:
                self.gc_due = False
                await loop.run_in_executor(self.analysis_executor, _collect_frozen)

    def evaluates(self, doc: Doc) -> bool:
        """Is the document small enough to be evaluated (`evaluation.maxFileSize`)?"""
        return len(doc.text) <= self.settings.eval_max_size

    def cancel_eval(self, uri: str) -> None:
        ev = self.eval_cancel.pop(uri, None)
        if ev is not None:
            ev.set()
        task = self.eval_tasks.pop(uri, None)
        if task is not None and not task.done():
            task.cancel()

    async def evaluate(self, uri: str, version) -> None:
        try:
            await asyncio.sleep(self.settings.eval_delay)
            doc = self.docs.get(uri)
            if doc is None or doc.version != version:
                return
            cancel = threading.Event()
            self.eval_cancel[uri] = cancel
            text, path = doc.text, doc.path
            loop = asyncio.get_running_loop()
            work = loop.run_in_executor(None, functools.partial(
                ide_evaluation.evaluate, text, path, self.settings.eval_timeout, cancel))
            name = os.path.basename(path) if path else "the document"
            shown = loop.create_task(progress_while(self, f"pynix: evaluating {name}", work.done))
            try:
                outcome = await work
            finally:
                shown.cancel()
            result = outcome.diagnostics if outcome.status in ("ok", "error") else None
            doc = self.docs.get(uri)
            stale = doc is None or doc.version != version or doc.text is not text or cancel.is_set()
            if result is not None and not stale:
                idx = self.index(doc)
                extra = [convert.diagnostic(d, idx, uri, self.settings.docs_url, TITLES, self.other_index)
                         for d in result]
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                    uri=uri, version=doc.version, diagnostics=list(self.static.get(uri, [])) + extra))
            _log_outcome(self, path or uri, outcome, stale)
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            _report(self, f"evaluation of {uri}", exc)
        finally:
            if self.eval_tasks.get(uri) is asyncio.current_task():
                self.eval_tasks.pop(uri, None)


server = PynixLanguageServer()
ide_policy.provider = server.editor_policy


def _log_outcome(ls: PynixLanguageServer, name: str, outcome, stale: bool = False) -> None:
    """How an evaluation ended, in the client's log (type Log), after its
    diagnostics were published: why a file shows no evaluation errors is
    then visible (out of time, out of memory, needs the network)."""
    why = {"ok": "no error", "error": f"{len(outcome.diagnostics)} error(s)", "timeout": "stopped: out of time",
           "cancelled": "cancelled by a newer edit", "skipped": "not reported",
           "internal": "failed inside pynix"}.get(outcome.status, outcome.status)
    detail = f" ({outcome.detail})" if outcome.detail else ""
    detail += "; out of date, not shown" if stale and outcome.status in ("ok", "error") else ""
    if ls.closing:
        return
    try:
        ls.window_log_message(types.LogMessageParams(
            type=types.MessageType.Log, message=f"pynix: evaluated {name}: {why}{detail}, {outcome.seconds:.2f} s"))
    except Exception:
        pass


def _log(ls: PynixLanguageServer, message: str) -> None:
    """A line in the client's log (type Log), from any thread."""
    if ls.closing:
        return
    try:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=message))
    except Exception:
        pass


def _report(ls: PynixLanguageServer, name: str, exc: BaseException) -> None:
    """Log a failed handler to stderr and to the client's log (window/logMessage)."""
    log.error("%s failed", name, exc_info=exc)
    try:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Error,
                                                     message=f"pynix: {name} failed: {exc!r}"))
    except Exception:
        pass


def safe(default=None):
    """Never let an exception out of a handler: report it and answer `default`."""
    def wrap(fn):
        if asyncio.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(ls, params):
                try:
                    return await fn(ls, params)
                except Exception as exc:
                    _report(ls, fn.__name__, exc)
                    return default
            return run_async

        @functools.wraps(fn)
        def run(ls, params):
            try:
                return fn(ls, params)
            except Exception as exc:
                _report(ls, fn.__name__, exc)
                return default
        return run
    return wrap


_progress_ids = iter(range(1, 1 << 62))


async def answer_within(request, seconds: float):
    """The client's answer to a request the server sent, waiting at most
    `seconds` (TimeoutError after). The request itself is never cancelled:
    cancelling pygls's future would make the late answer, when it comes,
    fail inside pygls with an `InvalidStateError` traceback."""
    fut = asyncio.ensure_future(request)
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())    # a late error: retrieved, not logged
    return await asyncio.wait_for(asyncio.shield(fut), seconds)


async def progress_while(ls: PynixLanguageServer, title: str, done, started: float | None = None) -> None:
    """Work-done progress for something still running `progress.after` seconds
    after `started` (a `time.monotonic()`, default now), until `done()` is true.
    Quick work shows nothing; clients without `window.workDoneProgress` neither."""
    start = time.monotonic() if started is None else started
    await asyncio.sleep(max(0.0, start + ls.settings.progress_after - time.monotonic()))
    if done() or ls.closing:
        return
    caps = ls.client_capabilities
    if not (caps and caps.window and caps.window.work_done_progress):
        return
    token = f"pynix-eval-{next(_progress_ids)}"
    progress = ls.work_done_progress
    try:
        await answer_within(progress.create_async(token), 5)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.warning("window/workDoneProgress/create failed: %r", exc)
        return
    try:
        if done():
            return
        progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=False))
        try:
            while not done():
                await asyncio.sleep(0.05)
        finally:
            progress.end(token, types.WorkDoneProgressEnd())
    finally:
        progress.tokens.pop(token, None)


# -- lifecycle --------------------------------------------------------------------------------

@server.feature(types.INITIALIZE)
@safe()
def initialize(ls: PynixLanguageServer, params: types.InitializeParams):
    opts = params.initialization_options
    if isinstance(opts, dict):
        ls.settings.update(opts.get("pynix", opts))
    ide_runner.prestart()        # a worker process, ready by the time the first file is evaluated
    ls.configure_options()


@server.feature(types.SHUTDOWN)
@safe()
def shutdown(ls: PynixLanguageServer, params):
    """Stop everything that would still send: evaluations (their workers are
    killed, which ends the jobs threads wait for) and pending publications."""
    ls.closing = True
    for uri in list(ls.eval_tasks) + list(ls.eval_cancel):
        ls.cancel_eval(uri)
    for task in list(ls.pending.values()):
        task.cancel()
    ide_runner.shutdown()


@server.feature(types.EXIT)
@safe()
def exit_(ls: PynixLanguageServer, params):
    ls.closing = ls.exited = True


@server.feature(types.INITIALIZED)
@safe()
async def initialized(ls: PynixLanguageServer, params: types.InitializedParams):
    await pull_configuration(ls)
    await ls.run(ls.find_nixpkgs)
    ls.configure_options()        # (with the nixpkgs found, when `modules.nixpkgs` names none)


async def pull_configuration(ls: PynixLanguageServer) -> None:
    caps = ls.client_capabilities
    if not (caps and caps.workspace and caps.workspace.configuration):
        return
    try:
        result = await answer_within(ls.workspace_configuration_async(types.ConfigurationParams(
            items=[types.ConfigurationItem(section="pynix")])), 5)
    except Exception as exc:
        log.warning("workspace/configuration failed: %r", exc)
        return
    if result:
        ls.settings.update(result[0])
        ls.configure_options()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
@safe()
async def did_change_configuration(ls: PynixLanguageServer, params: types.DidChangeConfigurationParams):
    s = params.settings
    if isinstance(s, dict) and isinstance(s.get("pynix"), dict):
        ls.settings.update(s["pynix"])
    else:
        await pull_configuration(ls)
    await ls.run(ls.find_nixpkgs)
    ls.configure_options()
    ide_values.clear_cache()      # budgets may have changed: evaluate values afresh
    for uri in list(ls.docs):
        ls.publish(uri)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@safe()
def did_open(ls: PynixLanguageServer, params: types.DidOpenTextDocumentParams):
    td = params.text_document
    ls.open(td.uri, td.text, td.version)
    ls.publish(td.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@safe()
def did_change(ls: PynixLanguageServer, params: types.DidChangeTextDocumentParams):
    uri = params.text_document.uri
    ls.last_change = time.monotonic()
    ls.change(uri, params.content_changes, params.text_document.version)
    ls.cancel_eval(uri)
    ls.publish_soon(uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@safe()
def did_save(ls: PynixLanguageServer, params: types.DidSaveTextDocumentParams):
    """A saved file may declare or define other options: module options are computed again."""
    uri = params.text_document.uri
    ls.options.saved(to_fs_path(uri) if uri.startswith("file:") else None)
    for other, doc in list(ls.docs.items()):
        if doc.path and ls.options.status(doc.path) is not None:
            ls.publish(other)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@safe()
def did_close(ls: PynixLanguageServer, params: types.DidCloseTextDocumentParams):
    ls.close(params.text_document.uri)


# -- requests ---------------------------------------------------------------------------------

async def _at(ls: PynixLanguageServer, params):
    """(document, analysis of its current text, line index, offset of the
    request's position), or Nones; the analysis made off the event loop."""
    got = await ls.current(params.text_document.uri)
    if got is None:
        return None, None, None, None
    doc, st, an = got
    return doc, an, st.index, st.index.offset(params.position)


async def _document(ls: PynixLanguageServer, params):
    """(document, analysis of its current text, line index), or Nones."""
    got = await ls.current(params.text_document.uri)
    if got is None:
        return None, None, None
    doc, st, an = got
    return doc, an, st.index


@server.feature(types.TEXT_DOCUMENT_HOVER)
@safe()
async def hover(ls: PynixLanguageServer, params: types.HoverParams):
    doc, st, v = await ls.view(params.text_document.uri, params.position)
    if v is None:
        return None
    an, off = v.an, v.offset
    h = await ls.run(ide.hover, an, off)
    oh = await ls.run(ls.options.hover, an, off)
    if oh is not None:      # an option path: the option's docs replace what the name is
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=oh.markdown),
                           range=st.index.range(*span) if (span := v.span(oh.start, oh.end)) else None)
    span = None if h is None else v.span(h.start, h.end)
    if span is None:
        return None
    md = h.markdown
    if ls.settings.hover_values and ls.evaluates(doc):
        extra = await _hover_value(ls, an, off)
        if extra:
            md += "\n\n---\n\n" + extra
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=md),
                       range=st.index.range(*span))


async def _hover_value(ls: PynixLanguageServer, an, off: int) -> str:
    """The evaluated value for a hover, waiting at most `hover.timeout`; an
    evaluation still running then goes on (with progress) and is cached."""
    hp = ide_values.hover_probe(an, off)
    if hp is None:
        return ""
    req = ide_values.request(hp[2], "show", max(ls.settings.value_budget, ls.settings.hover_timeout),
                             ls.editor_policy().for_document(an.path))
    end = time.monotonic() + ls.settings.hover_timeout
    while not req.done and time.monotonic() < end:
        await asyncio.sleep(0.01)
    if not req.done and id(req) not in _progress_requests:
        _progress_requests.add(id(req))

        async def show():
            try:
                await progress_while(ls, "pynix: evaluating a value", lambda: req.done, req.started)
            finally:
                _progress_requests.discard(id(req))
        asyncio.get_running_loop().create_task(show())
    return ide_values.preview_markdown(req.result(), hp[2].kind)


_progress_requests: set = set()       # id() of value evaluations whose progress is shown


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
@safe()
async def definition(ls: PynixLanguageServer, params: types.DefinitionParams):
    doc, st, v = await ls.view(params.text_document.uri, params.position)
    if v is None:
        return None

    def answer():
        found = ls.options.definition(v.an, v.offset) or ide.definition(v.an, v.offset)
        out = [ls.location(doc, st.index, loc, v) for loc in found]
        return [l for l in out if l is not None] or None
    return await ls.run(answer)


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
@safe()
async def references(ls: PynixLanguageServer, params: types.ReferenceParams):
    doc, an, idx, off = await _at(ls, params)
    if doc is None:
        return None
    include = params.context.include_declaration if params.context else True
    return await ls.run(lambda: [ls.location(doc, idx, loc)
                                 for loc in workspace_references(an, off, include)] or None)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
@safe()
async def document_highlight(ls: PynixLanguageServer, params: types.DocumentHighlightParams):
    doc, an, idx, off = await _at(ls, params)
    if doc is None:
        return None
    return await ls.run(lambda: [types.DocumentHighlight(range=idx.range(l.start, l.end))
                                 for l in ide.references(an, off, True) if l.path is None] or None)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@safe()
async def document_symbol(ls: PynixLanguageServer, params: types.DocumentSymbolParams):
    doc, an, idx = await _document(ls, params)
    if doc is None:
        return None
    return await ls.run(lambda: [convert.document_symbol(s, idx) for s in ide.document_symbols(an)])


@server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)
@safe()
async def folding_range(ls: PynixLanguageServer, params: types.FoldingRangeParams):
    doc, an, idx = await _document(ls, params)
    if doc is None:
        return None
    return await ls.run(lambda: [convert.folding_range(f) for f in ide.folding_ranges(an)])


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
@safe()
async def completion(ls: PynixLanguageServer, params: types.CompletionParams):
    doc, st, v = await ls.view(params.text_document.uri, params.position)
    if v is None:
        return None
    s = ls.settings
    wait = s.completion_timeout if s.completion_values and ls.evaluates(doc) else None
    budget = max(s.value_budget, s.completion_timeout)
    found = await ls.run(ls.options.completion, v.an, v.offset, st.text, v.at)
    if found is None:
        found = await ls.run(_complete, v, st, wait, budget)
    items = [convert.completion_item(c) for c in found]
    return types.CompletionList(is_incomplete=bool(getattr(found, "incomplete", False)), items=items)


def _complete(v: View, st, wait, budget: float):
    """Completion items at the view's offset. From an older analysis (the text
    does not parse, or is still being analysed), `name.` before the cursor
    is looked up where `name` was written in that analysis's text, or, when
    the name was typed since, in the scopes where the cursor was."""
    if v.stale:
        found = dotted_before(st.text, v.at)
        if found is not None:
            start, end, parts = found
            a, b = v.back(start), v.back(end)
            if a is None or b is None or v.an.text[a:b] != st.text[start:end]:
                a = b = v.offset
            return dotted_completion(v.an, a, b, parts, wait, budget)
    return ide.completion(v.an, v.offset, values=wait, budget=budget)


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
@safe()
async def document_link(ls: PynixLanguageServer, params: types.DocumentLinkParams):
    doc, an, idx = await _document(ls, params)
    if doc is None:
        return None
    search = ls.settings.search_path()
    return await ls.run(lambda: [
        types.DocumentLink(range=idx.range(l.start, l.end), target=l.target, tooltip=l.tooltip or None)
        for l in ide.document_links(an) + path_links(an, search)] or None)


from . import edits  # noqa: E402,F401  (rename, code actions)
from . import structure  # noqa: E402,F401  (selection ranges, semantic tokens, inlay hints)


# -- entry point ------------------------------------------------------------------------------

USAGE = """usage: pynix lsp [--stdio | --tcp HOST:PORT] [--log-level LEVEL]

Run the pynix language server: on stdin/stdout (the default, what editors
start), or listening on a TCP address (for debugging).
"""


def preload() -> None:
    """Import, in this thread and before any worker thread starts, what the
    workers would otherwise import on first use: the evaluator with every
    builtin module, and the store. Two threads importing one package for the
    first time can meet halfway ("partially initialized module"); this also
    loads the builtins' docs, so the first hover does not pay for them
    (about 30 ms)."""
    import nixlang.evaluator  # noqa: F401
    import nixlang.store  # noqa: F401
    ide.warm_up()


def main(argv: list[str], out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    tcp = None
    level = "WARNING"
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            out.write(USAGE)
            return 0
        if a == "--stdio":
            pass
        elif a == "--tcp" or a.startswith("--tcp="):
            value = a.split("=", 1)[1] if "=" in a else (argv[i + 1] if i + 1 < len(argv) else "")
            if "=" not in a:
                i += 1
            host, _, port = value.rpartition(":")
            if not port.isdigit():
                err.write(f"error: --tcp needs HOST:PORT, not '{value}'\n")
                return 1
            tcp = (host or "127.0.0.1", int(port))
        elif a == "--log-level" and i + 1 < len(argv):
            level = argv[i + 1].upper()
            i += 1
        else:
            err.write(f"error: unknown argument '{a}'\n{USAGE}")
            return 1
        i += 1
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.WARNING),
                        format="pynix-lsp %(levelname)s %(name)s: %(message)s")
    preload()
    if tcp is not None:
        try:
            server.start_tcp(*tcp)
        except SystemExit as e:      # the `exit` notification ends the TCP server this way
            return e.code if isinstance(e.code, int) else 0
        except OSError as e:
            err.write(f"error: cannot listen on {tcp[0]}:{tcp[1]}: {e.strerror}\n")
            return 1
        return 0
    # the protocol owns the real stdout; anything else printed goes to stderr
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    server.start_io(stdin, stdout)
    return 0
