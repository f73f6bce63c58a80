"""Module options in the editor: completion, hover, definition and diagnostics of option paths.

In a module file (see `modules`), the options that the modules of its
evaluation declare tell what may be written in `config`:

- completion of option paths where the module sets config (or at its top
  level, for a module without `options` and `config`), inside nested sets
  too (`services.web.` offers `enable`, `port`, `virtualHosts`), and the
  options of submodules (`virtualHosts.<name>.` for an `attrsOf submodule`);
- hover on an option path: type, default, example, description and where it
  is declared; definition jumps there;
- diagnostics: an option nobody declared, with the module system's own
  words and suggestions (nixpkgs' lib/modules.nix `checkUnmatched`: "The
  option `x' does not exist", "Did you mean ..."), and the type errors of
  the file's definitions, at the definition.

The options come from evaluating `lib.evalModules` (or NixOS's
`eval-config.nix`) in the evaluation worker (`option_eval`), in the
background: a request never waits for it; until it is done, nothing is
offered (completion says it is incomplete, so the editor asks again).
Results are kept per module set and computed again after a save.

Which modules: the file itself plus the workspace files that import it,
up to those nobody imports (their `imports` closure is the evaluation);
or the roots of the `modules.roots` setting whose closure holds the file.
A NixOS configuration (a module taking `config`/`pkgs`/`modulesPath` that
sets `boot`, `services`, `fileSystems`, ...; or `modules.nixos: true`) is
evaluated with NixOS's module list when a nixpkgs tree is found
(`modules.nixpkgs`, else `nixpkgs=` on the search path, else
`~/.nix-defexpr/channels/nixpkgs`). `lib` is that nixpkgs' lib, or the
`modules.lib` setting; with neither, there are no options (the server's
log says why).

Undefined options are reported only where the evaluation can know: not at
the top level of a module set evaluated without the framework it is
written for (a home-manager module evaluated alone would have every
option "undefined"), and not below an option whose type takes any
attribute (freeform, `attrs`).
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field

from ..atomicfile import write_atomically
from ..errors import edit_distance
from ..syntax.printer import identifier
from .diagnostics import ERROR, Diagnostic
from .markdown import block, code
from .modules import Module, declared_prefixes, definitions, explicit_sets, imports_of, module_body

DEFAULT_TIMEOUT = 30.0       # seconds the options of a workspace's module set may take
NIXOS_TIMEOUT = 900.0        # seconds NixOS's own options may take (once per nixpkgs, then cached on disk)
NIXOS_MEMORY = 3 << 30       # bytes that evaluation may allocate (its ~30,000 options take ~2 GB here)
MAX_SCAN = 3000              # workspace .nix files looked at for `imports`
SKIP_DIRS = {"node_modules", "result", "__pycache__"}
NAME_WILDCARDS = ("<name>",)


# -- the options of an evaluation -----------------------------------------------------------------

class OptNode:
    __slots__ = ("children", "option", "freeform")

    def __init__(self):
        self.children: dict[str, OptNode] = {}
        self.option: dict | None = None
        self.freeform = False


class OptionTree:
    """The options of one evaluation (the worker's result), as a tree of names."""

    def __init__(self, results: list, nixos: bool = False):
        """`results`: the worker's results (NixOS's own options first, then the
        workspace's); `nixos`: NixOS's options are among them."""
        self.root = OptNode()
        self.nixos = nixos
        self.incomplete = any(r.get("incomplete") for r in results)
        self.errors = [e for r in results for e in r.get("errors") or ()]
        self.count = 0
        for result in results:
            for o in result.get("options") or ():
                path = o.get("path")
                if isinstance(path, list) and path:
                    n = self._node(path)
                    self.count += n.option is None
                    n.option = o
            for path in result.get("freeform") or ():
                if isinstance(path, list):
                    self._node(path).freeform = True

    def _node(self, path) -> OptNode:
        n = self.root
        for p in path:
            n = n.children.setdefault(str(p), OptNode())
        return n

    def resolve(self, path) -> tuple[OptNode | None, int, str]:
        """(node, names matched, status) for a concrete path: status "ok" (an
        option or a group of options), "value" (below an option that takes
        any attribute: no options there), or "missing" (name `i` is not
        declared; node is its parent)."""
        n = self.root
        for i, p in enumerate(path):
            child = n.children.get(p)
            if child is None and p not in NAME_WILDCARDS:
                child = next((n.children[w] for w in NAME_WILDCARDS if w in n.children), None)
            if child is None:
                if n.freeform or (n.option is not None and not n.children):
                    return n, i, "value"
                return n, i, "missing"
            n = child
        return n, len(path), "ok"


def show_option(path) -> str:
    """An option path as the module system prints it (lib.options.showOption)."""
    return ".".join(p if p in ("<name>", "*") else identifier(p) for p in path)


def suggestions(name: str, candidates) -> list[str]:
    """The module system's "did you mean": the 3 closest names (by Levenshtein
    distance; only those within 2 among 100 or more)."""
    cands = sorted(c for c in candidates if c not in NAME_WILDCARDS)
    if len(cands) >= 100:
        scored = [(edit_distance(name, c, 2), c) for c in cands]
        scored = [x for x in scored if x[0] <= 2]
    else:
        scored = [(edit_distance(name, c, 1 << 20), c) for c in cands]
    scored.sort(key=lambda x: x[0])
    return [c for _, c in scored[:3]]


# -- finding nixpkgs and lib ------------------------------------------------------------------------

def find_nixpkgs(explicit: str | None, search_path: list) -> str | None:
    """A nixpkgs tree (a folder with nixos/ and lib/): the explicit setting, else
    `nixpkgs=` in the search path (or a search-path folder holding nixpkgs/),
    else ~/.nix-defexpr/channels/nixpkgs."""
    cands = []
    if explicit:
        cands.append(explicit)
    for prefix, folder in search_path:
        if prefix == "nixpkgs":
            cands.append(folder)
        elif not prefix:
            cands.append(os.path.join(folder, "nixpkgs"))
    cands.append(os.path.expanduser("~/.nix-defexpr/channels/nixpkgs"))
    for c in cands:
        if c and os.path.isfile(os.path.join(c, "lib", "modules.nix")):
            return os.path.realpath(c)
    return None


def is_lib(folder: str | None) -> bool:
    return bool(folder) and os.path.isfile(os.path.join(folder, "modules.nix")) \
        and os.path.isfile(os.path.join(folder, "default.nix"))


# -- the workspace's modules ------------------------------------------------------------------------

class ModuleGraph:
    """Which workspace file imports which (the `imports` lists of its modules)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.edges: dict[str, tuple] = {}         # file -> (mtime, [imported files])
        self.scanned: tuple = ()

    def scan(self, folders: tuple) -> None:
        """Read the `imports` of the .nix files of `folders` (at most MAX_SCAN;
        only files that say `imports =` are parsed)."""
        if self.scanned == folders:
            return
        n = 0
        for folder in folders:
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS
                                     and not d.startswith("result"))
                for f in sorted(filenames):
                    if f.endswith(".nix"):
                        n += 1
                        if n > MAX_SCAN:
                            break
                        self.imports(os.path.join(dirpath, f))
        self.scanned = folders

    def imports(self, path: str) -> list[str]:
        """The files `path` imports (read again when it changed on disk)."""
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            return []
        with self.lock:
            hit = self.edges.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        found = []
        tree = _parse_file(path, _IMPORTS)
        if tree is not None:
            found = imports_of(tree, os.path.dirname(path))
        with self.lock:
            self.edges[path] = (mtime, found)
        return found

    def closure(self, roots) -> list[str]:
        seen, todo = [], list(roots)
        while todo and len(seen) < MAX_SCAN:
            p = todo.pop(0)
            if p in seen:
                continue
            seen.append(p)
            todo.extend(self.imports(p))
        return seen

    def roots_for(self, path: str) -> list[str]:
        """The files that import `path`, directly or not, that nobody imports
        (`path` itself when nobody imports it)."""
        with self.lock:
            importers: dict[str, list] = {}
            for f, (_, imps) in self.edges.items():
                for i in imps:
                    importers.setdefault(i, []).append(f)
        seen, todo, roots = {path}, [path], []
        while todo:
            p = todo.pop()
            ups = [u for u in importers.get(p, ()) if u != p]
            if not ups:
                roots.append(p)
            for u in ups:
                if u not in seen:
                    seen.add(u)
                    todo.append(u)
        return sorted(roots) or [path]


_IMPORTS = re.compile(r"\bimports\s*=")
_MODULE_WORDS = re.compile(r"\b(?:imports|options|config)\b")


def _parse_file(path: str, worth=_MODULE_WORDS):
    """The tree of a file on disk, when its text matches `worth` (else None)."""
    from ..parse import ParseOptions, parse_recover
    from ..source import Source
    try:
        st = os.stat(path)
        if st.st_size > 2_000_000:
            return None
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError:
        return None
    if not worth.search(text):
        return None
    try:
        return parse_recover(Source(text, path, os.path.dirname(path)),
                             ParseOptions(check_scopes=False)).ast
    except Exception:
        return None


# -- the service ----------------------------------------------------------------------------------

@dataclass
class Settings:
    enabled: bool = True
    roots: tuple = ()                 # modules.roots: absolute paths
    nixos: object = "auto"            # modules.nixos: "auto", True, False
    nixpkgs: str | None = None        # modules.nixpkgs
    lib: str | None = None            # modules.lib
    timeout: float = DEFAULT_TIMEOUT  # modules.timeout
    nixos_timeout: float = NIXOS_TIMEOUT   # modules.nixosTimeout

    def update(self, flat: dict, base: str | None) -> None:
        """From the `modules.*` keys of the settings (bad values are ignored)."""
        if isinstance(flat.get("modules.enable"), bool):
            self.enabled = flat["modules.enable"]
        v = flat.get("modules.roots")
        if isinstance(v, str):
            v = [v]
        if isinstance(v, list) and all(isinstance(x, str) and x for x in v):
            self.roots = tuple(_absolute(x, base) for x in v)
        v = flat.get("modules.nixos")
        v = {"always": True, "never": False}.get(v, v) if isinstance(v, str) else v
        if isinstance(v, bool) or v == "auto":
            self.nixos = v
        for key in ("nixpkgs", "lib"):
            v = flat.get(f"modules.{key}")
            if isinstance(v, str):
                setattr(self, key, _absolute(v, base) if v else None)
        for key, attr in (("modules.timeout", "timeout"), ("modules.nixosTimeout", "nixos_timeout")):
            v = flat.get(key)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 3600:
                setattr(self, attr, float(v))


def _absolute(p: str, base: str | None) -> str:
    p = os.path.expanduser(p)
    return os.path.normpath(p if os.path.isabs(p) or not base else os.path.join(base, p))


def _guarded(default):
    """A feature that never raises into the server: a failure (a pynix bug) is
    logged and answered with `default`."""
    def wrap(fn):
        def run(self, *args, **kwargs):
            try:
                return fn(self, *args, **kwargs)
            except (Exception, RecursionError) as exc:
                self.log(f"pynix: module options: {fn.__name__} failed: {exc!r}")
                return default() if callable(default) else default
        run.__name__, run.__doc__ = fn.__name__, fn.__doc__
        return run
    return wrap


@dataclass
class Entry:
    tree: OptionTree | None = None
    generation: int = -1
    running: bool = False
    detail: str = ""                  # why there are no options
    modules: tuple = ()
    seconds: float = 0.0


class OptionsService:
    """Options of the module sets of the open documents; never blocks a request."""

    def __init__(self):
        self.settings = Settings()
        self.folders: tuple = ()
        self.search_path: list = []
        self.policy = lambda path: {}         # path -> the worker's policy for it
        self.on_ready = lambda paths: None    # called (in a background thread) with the files a result is for
        self.log = lambda message: None
        self.graph = ModuleGraph()
        self.lock = threading.Lock()
        self.entries: dict[str, Entry] = {}   # document path -> its module set's options
        self.results: dict[tuple, tuple] = {}   # (modules, nixos, lib, generation) -> (tree, seconds)
        self.generation = 0
        self._runner = None
        self._base_runner = None
        self._bases: dict[str, dict] = {}     # NixOS's own options, by `_nixos_key`
        self._base_lock = threading.Lock()
        self._lines: dict[str, tuple] = {}

    # configuration
    def configure(self, flat: dict, folders: tuple, search_path: list) -> None:
        self.settings.update(flat, folders[0] if folders else None)
        if folders != self.folders or search_path != self.search_path:
            self.folders, self.search_path = folders, search_path
            self.graph.scanned = ()
        self.saved(None)

    def saved(self, path: str | None) -> None:
        """A file was saved (or the settings changed): options are computed again."""
        with self.lock:
            self.generation += 1
            self._lines.pop(path, None)
            self.results.clear()

    # the options of a document
    def module(self, an) -> Module | None:
        if not self.settings.enabled or an.ast is None or not an.path:
            return None
        m = module_body(an.ast)
        if m is None:
            return None
        if not m.strong and not self._imported(an.path):
            return None
        return m

    def _imported(self, path: str) -> bool:
        with self.lock:
            return any(path in imps for _, imps in self.graph.edges.values()) or path in self.settings.roots

    def tree(self, an, start: bool = True) -> OptionTree | None:
        """The options for the document (None while not known); starts their
        evaluation in the background when they are missing or out of date."""
        return self._tree(an.path, start)

    def _tree(self, path: str, start: bool = True) -> OptionTree | None:
        with self.lock:
            e = self.entries.setdefault(path, Entry())
            due = e.generation < self.generation and not e.running
            if due and start:
                e.running = True
            tree = e.tree
        if due and start:
            threading.Thread(target=self._refresh, args=(path, e), name="pynix-options", daemon=True).start()
        return tree

    def wait(self, an, timeout: float) -> OptionTree | None:
        """`tree`, waiting up to `timeout` seconds for a result (tests, benchmarks)."""
        end = time.monotonic() + timeout
        while True:
            t = self.tree(an)
            with self.lock:
                e = self.entries.get(an.path)
                ready = e is not None and not e.running and e.generation >= self.generation
            if ready or time.monotonic() >= end:
                return t
            time.sleep(0.02)

    def _refresh(self, path: str, e: Entry) -> None:
        gen = self.generation
        try:
            tree, detail, modules, seconds = self._compute(path, gen)
        except Exception as exc:            # a pynix bug: logged, never raised into a request
            tree, detail, modules, seconds = None, f"failed inside pynix: {exc!r}", (), 0.0
        with self.lock:
            e.running = False
            e.generation = gen
            if tree is not None:        # a failed evaluation (a file being edited) keeps the last options
                e.tree = tree
            e.detail, e.modules, e.seconds = detail, modules, seconds
        what = f"{tree.count} options" if tree is not None else "no options"
        self.log(f"pynix: module options for {path}: {what}" + (f" ({detail})" if detail else "")
                 + f", {seconds:.2f} s")
        self.on_ready([path])
        if self.generation != gen:
            self._tree(path)           # saved again meanwhile

    def _compute(self, path: str, gen: int):
        """(tree, why not, modules, seconds) for the document at `path`. For a
        NixOS configuration, the workspace's part comes first (published at
        once), NixOS's own options after (from the disk cache, or evaluated
        once per nixpkgs: minutes)."""
        s = self.settings
        self.graph.scan(self.folders)
        # configured roots count inside the workspace only (evaluation may read them)
        roots = [r for r in s.roots if any(_under(r, d) for d in self.folders) and path in self.graph.closure([r])] \
            or self.graph.roots_for(path)
        if path not in roots and path not in self.graph.closure(roots):
            roots.append(path)
        nixpkgs = find_nixpkgs(s.nixpkgs, self.search_path)
        nixos = None
        closure = self.graph.closure(roots)
        in_ws = [f for f in closure if any(_under(f, d) for d in self.folders) or f == path]
        declared = {tuple(p[:2]) for f in in_ws for p in _declared(f)}
        wants_nixos = s.nixos is True or (s.nixos == "auto" and any(_nixos_like(r, declared) for r in [path] + roots))
        if wants_nixos:
            if nixpkgs is None:
                self.log(f"pynix: {path} looks like a NixOS configuration, but no nixpkgs was found "
                         "(set `pynix.modules.nixpkgs` or `nixpkgs=` in the search path): its own modules only")
            nixos = nixpkgs
        lib = s.lib if is_lib(s.lib) else (os.path.join(nixpkgs, "lib") if nixpkgs else None)
        if lib is None:
            return None, "no nixpkgs lib found: set `pynix.modules.nixpkgs` or `pynix.modules.lib`", tuple(roots), 0.0
        key = (tuple(roots), nixos, lib, gen)
        with self.lock:
            hit = self.results.get(key)
        if hit is not None and (nixos is None or hit[0].nixos):
            return hit[0], "", tuple(roots), hit[1]
        check = []
        for f in in_ws[:200]:
            paths = _definition_paths(f)
            if paths:
                check.append([f, paths])
        spec = {"kind": "options", "modules": list(roots), "lib": lib, "nixos": nixos, "check": check,
                "budget": s.timeout, "policy": self._policy(path, lib, nixpkgs, roots)}
        if nixos is not None:
            # NixOS's own options are not walked here (they come from `_nixos_base`)
            spec["prefixes"] = [list(p) for p in sorted({tuple(p) for f in in_ws for p in _declared(f)})]
        t0 = time.monotonic()
        if nixos is not None:
            base = self._nixos_base(nixos, lib, path, roots, wait=False)
            if base is not None:        # NixOS's options at once, the workspace's after its evaluation
                early = OptionTree([base], nixos=True)
                early.incomplete = True
                self._publish_partial(path, early, gen, tuple(roots), 0.0)
        out = self._lane().run(spec, s.timeout)
        seconds = time.monotonic() - t0
        status = out.get("status")
        if status != "ok":
            why = {"timeout": "stopped: out of time", "cancelled": "stopped"}.get(status, status)
            detail = out.get("detail") or ""
            return None, f"{why}: {detail}" if detail else str(why), tuple(roots), seconds
        if nixos is None:
            tree = OptionTree([out])
            if wants_nixos:
                tree.incomplete = True     # NixOS's options are missing: no option is "undefined"
        else:
            base = self._nixos_base(nixos, lib, path, roots, wait=False)
            tree = OptionTree([base, out] if base else [out], nixos=base is not None)
            if base is None:
                tree.incomplete = True        # no option is "undefined" before NixOS's are known
                self._publish_partial(path, tree, gen, tuple(roots), seconds)
                base = self._nixos_base(nixos, lib, path, roots, wait=True)
                if base is None:
                    return tree, "NixOS's options are not available (see the log)", tuple(roots), seconds
                tree = OptionTree([base, out], nixos=True)
                seconds = time.monotonic() - t0
        with self.lock:
            self.results[key] = (tree, seconds)
        return tree, "", tuple(roots), seconds

    def _policy(self, path: str, lib: str, nixpkgs: str | None, roots) -> dict:
        """The document's evaluation rules, widened to read the lib and nixpkgs found."""
        policy = dict(self.policy(path))
        allowed = list(policy.get("allowed", ()))
        for extra in (os.path.dirname(lib), nixpkgs):
            if extra and extra not in allowed:
                allowed.append(extra)
        policy["allowed"] = allowed
        return policy

    def _publish_partial(self, path: str, tree, gen: int, modules: tuple, seconds: float) -> None:
        with self.lock:
            e = self.entries.get(path)
            if e is not None:
                e.tree, e.modules, e.seconds = tree, modules, seconds
        self.log(f"pynix: module options for {path}: {tree.count} options so far; "
                 + ("the workspace's are being evaluated" if tree.nixos else
                    "NixOS's options are being evaluated (once per nixpkgs, cached on disk)"))
        self.on_ready([path])

    def _nixos_base(self, nixpkgs: str, lib: str, path: str, roots, wait: bool) -> dict | None:
        """NixOS's own options (eval-config.nix with no module of the user): from
        memory, the disk cache, or (with `wait`) evaluated now, once at a time."""
        key = _nixos_key(nixpkgs)
        with self.lock:
            hit = self._bases.get(key)
        if hit is not None:
            return hit
        got = _read_cache(key)
        if got is None and wait:
            with self._base_lock:
                with self.lock:
                    hit = self._bases.get(key)
                if hit is not None:
                    return hit
                got = _read_cache(key)
                if got is None:
                    spec = {"kind": "options", "modules": [], "lib": lib, "nixos": nixpkgs, "check": [],
                            "budget": self.settings.nixos_timeout,
                            "policy": self._policy(path, lib, nixpkgs, [])}
                    spec["policy"]["memory"] = max(int(spec["policy"].get("memory") or 0), NIXOS_MEMORY)
                    t0 = time.monotonic()
                    out = self._base_lane().run(spec, self.settings.nixos_timeout)
                    self.log(f"pynix: NixOS's options ({nixpkgs}): {out.get('status')}, "
                             f"{len(out.get('options') or ())} options, {time.monotonic() - t0:.1f} s"
                             + (f" ({out.get('detail')})" if out.get("detail") else ""))
                    if out.get("status") != "ok":
                        return None
                    got = {"options": out.get("options") or [], "freeform": out.get("freeform") or [],
                           "incomplete": bool(out.get("incomplete"))}
                    _write_cache(key, got)
        if got is not None:
            with self.lock:
                self._bases[key] = got
        return got

    def _lane(self):
        if self._runner is None:
            from .runner import EvalRunner
            self._runner = EvalRunner("pynix-eval-options")
        return self._runner

    def _base_lane(self):
        if self._base_runner is None:
            from .runner import EvalRunner
            self._base_runner = EvalRunner("pynix-eval-nixos-options")
        return self._base_runner

    def status(self, path: str) -> Entry | None:
        with self.lock:
            return self.entries.get(path)

    # -- features ---------------------------------------------------------------------------------
    @_guarded(None)
    def completion(self, an, offset: int, text: str | None = None, at: int | None = None):
        """Option names to complete at `offset` (a list, maybe empty), or None
        when the cursor is not where a module defines config. `text` and `at`:
        the current text and offset when `an` is an older analysis."""
        from .completion import CompletionItem, CompletionItems
        m = self.module(an)
        if m is None:
            return None
        text, at = (an.text, offset) if text is None else (text, at)
        typed = _key_before(text, at)
        if typed is None:
            return self._config_completion(an, m, text, at)
        enclosing = None
        for attrs, path in explicit_sets(m, an.text):
            s = attrs.span
            if s.start < offset < s.end and (enclosing is None or s.start >= enclosing[0].span.start):
                enclosing = (attrs, path)
        if enclosing is None:
            if not (m.body.span.start < offset < m.body.span.end):
                return None
            if m.config_roots() and m.config_roots()[0][0] is m.body:
                enclosing = (m.body, ())               # a shorthand module: its body is config
            elif len(typed) > 1 and typed[0] == "config":
                enclosing, typed = (m.body, ()), typed[1:]     # `config.services.` beside `options`
            else:
                return None
        if not _directly_in(an, enclosing[0], offset):
            return None
        tree = self.tree(an)
        items = CompletionItems()
        if tree is None:
            e = self.status(an.path)
            if e is not None and not e.running and e.generation >= 0:
                return None            # no options here (no lib found, the evaluation failed): the usual items
            items.incomplete = True
            return items
        e = self.status(an.path)
        if tree.incomplete and e is not None and e.running:
            items.incomplete = True    # more options are coming (NixOS's): the editor asks again
        path = enclosing[1] + tuple(typed[:-1])
        skip = {"imports", "options", "config"} if path == () and enclosing[0] is m.body else set()
        return self._children(tree, path, items, skip)

    def _children(self, tree: OptionTree, path: tuple, items, skip=frozenset()):
        """`items` plus the options and groups of options right below `path`."""
        from .completion import CompletionItem
        node, _, status = tree.resolve(path)
        if status != "ok" or node is None:
            return items
        for name, child in sorted(node.children.items()):
            if name in NAME_WILDCARDS or name == "_module" or name in skip:
                continue
            o = child.option
            if o is not None and (o.get("internal") or o.get("visible") is False):
                continue
            label = identifier(name)
            if o is not None:
                detail = o.get("type") or "option"
                docs = _option_markdown(path + (name,), o, self._position_text)
                items.append(CompletionItem(label, "field", detail, docs, f"0{name}"))
            else:
                n = _count(child)
                items.append(CompletionItem(label, "module", f"{n} option{'s' if n != 1 else ''}", "",
                                            f"1{name}"))
        return items

    def _config_completion(self, an, m: Module, text: str, at: int):
        """Items after `config.a.b.` (the module's `config` argument), or None."""
        from .completion import CompletionItems
        if "config" not in m.args:
            return None
        line_start = max(text.rfind("\n", 0, at) + 1, at - 400)
        mt = _CONFIG_BEFORE.search(text, line_start, at)
        if mt is None:
            return None
        parts = [p[1:-1] if p.startswith('"') else p for p in (x.strip() for x in _split(mt.group(1))) if p]
        tree = self.tree(an)
        items = CompletionItems()
        if tree is None:
            items.incomplete = True
            return items
        return self._children(tree, tuple(parts), items)

    def _at_definition(self, an, offset: int):
        """(tree, Def, node, status) for the definition name under the cursor,
        or the name of an option path selected from the `config` argument."""
        m = self.module(an)
        if m is None:
            return None
        sel = _config_select(an, m, offset)
        if sel is not None:
            tree = self.tree(an)
            if tree is None:
                return None
            node, i, status = tree.resolve(sel.path)
            return tree, sel, node, status
        for d in definitions(m):
            if d.start <= offset <= d.end:
                tree = self.tree(an)
                if tree is None:
                    return None
                node, i, status = tree.resolve(d.path)
                return tree, d, node, status
        return None

    @_guarded(None)
    def hover(self, an, offset: int):
        """A Hover for the option path under the cursor, or None."""
        from .hover import Hover
        got = self._at_definition(an, offset)
        if got is None:
            return None
        tree, d, node, status = got
        if status != "ok":
            return None
        if node.option is not None:
            md = _option_markdown(d.path, node.option, self._position_text, title=True)
        else:
            n = _count(node)
            md = f"{code(show_option(d.path))}: **option group**, {n} option{'s' if n != 1 else ''}"
        return Hover(d.start, d.end, md)

    @_guarded(list)
    def definition(self, an, offset: int) -> list:
        """Locations where the option under the cursor is declared."""
        from .navigation import Location
        got = self._at_definition(an, offset)
        if got is None:
            return []
        _, _, node, status = got
        if status != "ok" or node.option is None:
            return []
        out = []
        for dec in node.option.get("declarations") or ():
            f = dec.get("file")
            if not isinstance(f, str) or not os.path.isabs(f):
                continue
            start = self._offset(f, dec.get("line"), dec.get("column"))
            out.append(Location(start, start, f))
        return out

    @_guarded(list)
    def diagnostics(self, an) -> list[Diagnostic]:
        """Undefined options and type errors of the document's definitions."""
        m = self.module(an)
        if m is None:
            return []
        tree = self.tree(an)
        if tree is None:
            return []
        out = []
        defs = definitions(m)
        status = []
        for d in defs:
            parent = status[d.parent] if d.parent >= 0 else "ok"
            if parent != "ok":
                status.append("skip")
                continue
            node, i, st = tree.resolve(d.path)
            status.append(st if st != "missing" else "missing")
            if st != "missing" or i != len(d.path) - 1 or tree.incomplete:
                continue
            if i == 0 and not tree.nixos:
                continue   # a top-level name the evaluation may not know (another framework's)
            cands = [k for k in node.children if not (len(d.path) == 1 and k == "_module")]
            sugg = suggestions(d.path[-1], cands)
            msg = f"The option `{show_option(d.path)}' does not exist."
            if sugg:
                full = [f"`{show_option(d.path[:-1] + (s,))}'" for s in sugg]
                msg += "\n\nDid you mean " + (full[0] if len(full) == 1 else
                                              ", ".join(full[:-1]) + " or " + full[-1]) + "?"
            out.append(Diagnostic(d.start, d.end, ERROR, "E204", msg, kind="eval",
                                  data={"suggestions": sugg} if sugg else None))
        for err in tree.errors:
            if err.get("file") != an.path or f"`{an.path}'" not in err.get("message", ""):
                continue
            path = tuple(err.get("path") or ())
            for d in defs:
                if d.path == path:
                    out.append(Diagnostic(d.start, d.end, ERROR, "E204", err["message"], kind="eval"))
                    break
        return out

    # positions in other files
    def _lines_of(self, f: str) -> tuple:
        hit = self._lines.get(f)
        if hit is None:
            try:
                with open(f, encoding="utf-8", errors="surrogateescape") as fh:
                    text = fh.read()
            except OSError:
                text = ""
            starts = [0] + [m.end() for m in re.finditer("\n", text)]
            hit = self._lines[f] = (text, starts)
        return hit

    def _offset(self, f: str, line, column) -> int:
        if not isinstance(line, int) or line < 1:
            return 0
        text, starts = self._lines_of(f)
        if line > len(starts):
            return 0
        return starts[line - 1] + max(0, (column or 1) - 1)

    def _position_text(self, dec: dict) -> str:
        f = dec.get("file", "?")
        line = dec.get("line")
        shown = _short(f, self.folders)
        return f"{shown}:{line}" if isinstance(line, int) else shown


def _config_select(an, m: Module, offset: int):
    """A `Def`-like (path, start, end) for the name under the cursor in
    `config.a.b.c`, where `config` is the module's argument."""
    from ..syntax import ast as A
    from .modules import Def
    from .static import node_path
    if "config" not in m.args:
        return None
    for node in reversed(node_path(an, offset)):
        if type(node) is not A.Select:
            continue
        e = node.expr
        if not (type(e) is A.Var and e.name == "config" and type(e.binding) is A.Formal
                and any(f is e.binding for f in m.lam.formals)):
            return None
        names = []
        for n in node.path:
            if n.name is None:
                return None
            names.append(n.name)
            if n.span.start <= offset <= n.span.end:
                return Def(tuple(names), n.span.start, n.span.end, None, -1)
        return None
    return None


def _short(f: str, folders) -> str:
    for d in folders:
        if _under(f, d):
            return os.path.relpath(f, d)
    m = re.search(r"/(nixos/modules/.*)$", f)
    return f"<nixpkgs/{m.group(1)}>" if m else f


def _under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")


def _count(node: OptNode) -> int:
    n, todo = 0, [node]
    while todo and n < 100_000:
        x = todo.pop()
        if x.option is not None:
            n += 1
        todo.extend(x.children.values())
    return n


def _nixos_like(path: str, declared) -> bool:
    tree = _parse_file(path)
    m = module_body(tree) if tree is not None else None
    return m is not None and m.nixos_like(declared)


def _declared(path: str) -> list:
    tree = _parse_file(path)
    m = module_body(tree) if tree is not None else None
    return [] if m is None else [list(p) for p in declared_prefixes(m)]


def _nixos_key(nixpkgs: str) -> str:
    """Names NixOS's options of one nixpkgs tree: its path, the times its module
    list and lib/modules.nix changed, and pynix's version."""
    import hashlib
    from ..version import __version__
    parts = [nixpkgs, __version__]
    for f in ("nixos/modules/module-list.nix", "lib/modules.nix", "lib/types.nix", ".version"):
        try:
            parts.append(f"{f}:{os.stat(os.path.join(nixpkgs, f)).st_mtime_ns}")
        except OSError:
            parts.append(f"{f}:-")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def cache_dir() -> str:
    """Where NixOS's options are kept between sessions ($PYNIX_OPTIONS_CACHE, else
    $XDG_CACHE_HOME/pynix/options)."""
    d = os.environ.get("PYNIX_OPTIONS_CACHE")
    if d:
        return d
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pynix", "options")


def _read_cache(key: str) -> dict | None:
    import json
    try:
        with open(os.path.join(cache_dir(), f"nixos-{key}.json"), encoding="utf-8") as f:
            got = json.load(f)
        return got if isinstance(got, dict) and isinstance(got.get("options"), list) else None
    except (OSError, ValueError):
        return None


def _write_cache(key: str, data: dict) -> None:
    import json
    d = cache_dir()
    try:
        os.makedirs(d, exist_ok=True)
        write_atomically(os.path.join(d, f"nixos-{key}.json"), json.dumps(data))
    except OSError:
        pass


def _definition_paths(path: str) -> list:
    tree = _parse_file(path)
    m = module_body(tree) if tree is not None else None
    if m is None:
        return []
    seen, out = set(), []
    for d in definitions(m):
        if d.path not in seen and len(out) < 2000:
            seen.add(d.path)
            out.append(list(d.path))
    return out


# `config.a.b.` (or `config.a.b.pre`) before the cursor: group 1 is `.a.b` (maybe empty)
_CONFIG_BEFORE = re.compile(r'(?<![A-Za-z0-9_\'.\-])config((?:\s*\.\s*(?:[A-Za-z_][A-Za-z0-9_\'\-]*|"[^"\\$]*"))*)'
                            r'\s*\.\s*[A-Za-z_]?[A-Za-z0-9_\'\-]*$')
_KEY = re.compile(r'(?:(?:[A-Za-z_][A-Za-z0-9_\'\-]*|"[^"\\$]*")\s*\.\s*)*(?:[A-Za-z_][A-Za-z0-9_\'\-]*)?$')


def _key_before(text: str, at: int) -> list[str] | None:
    """The attribute path being typed before `at` in a binding's name (the last
    part maybe empty or half-typed), or None when `at` is not in a name."""
    line_start = max(text.rfind("\n", 0, at) + 1, at - 400)
    m = _KEY.search(text, line_start, at)
    if m is None:
        return None
    before = text[:m.start()].rstrip()
    if before and before[-1] not in "{;":
        return None
    parts = [p.strip() for p in _split(m.group(0))]
    return [p[1:-1] if p.startswith('"') else p for p in parts]


def _split(key: str) -> list[str]:
    out, cur, q = [], "", False
    for ch in key:
        if ch == '"':
            q = not q
        if ch == "." and not q:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def _directly_in(an, attrs, offset: int) -> bool:
    """Is `offset` in `attrs` itself (where a name starts), not inside one of its
    values? (The set a dotted name makes, `a.b = 1;`, has no text of its own.)"""
    from ..syntax import ast as A
    for d in attrs.attrs.values():
        v = d.value
        s = getattr(v, "span", None)
        if s is None or type(v) is A.Missing or not (d.name_end <= s.start and s.start < offset < s.end):
            continue
        if type(v) is A.Attrs and not an.text.startswith(("{", "rec"), s.start):
            continue
        return False
    return True


def _option_markdown(path, o: dict, where, title: bool = False) -> str:
    parts = []
    if title:
        parts.append(f"{code(show_option(path))}: **option**")
    if o.get("type"):
        parts.append(f"*Type:* {code(o['type'])}")
    if o.get("readOnly"):
        parts.append("*Read-only.*")
    if o.get("description"):
        parts.append(o["description"].strip())
    if "default" in o:
        parts.append("*Default:*\n" + block(o["default"]))
    if "example" in o:
        parts.append("*Example:*\n" + block(o["example"]))
    decs = [where(d) for d in o.get("declarations") or ()]
    if decs:
        parts.append("*Declared in:* " + ", ".join(code(x) for x in decs))
    return "\n\n".join(parts)
