"""The Evaluator: one object that the CLI, the REPL, the language server and
the tests all build. It owns the options, the base environment of builtins,
the import cache and the call-depth budget, and evaluates sources."""
from __future__ import annotations

import os

from . import errors as E
from .builtins import load_all
from .compile import Compiler
from .runtime.calls import call_function
from .parse import ParseOptions, parse_cached
from .records import field, record
from .resolve.globals import GLOBAL_NAMES
from .runtime.memory_guard import read_all
from .runtime.values import Attrs, Env, Path, Thunk, force, make_thunk
from .syntax.printer import identifier
from .source import Source, decode


@record
class EvalOptions:
    max_call_depth: int = 10000
    pure: bool = False
    search_path: list = field(default_factory=list)   # (prefix, path) pairs, -I first then NIX_PATH
    home: str | None = None
    experimental_features: set = field(default_factory=set)
    lints: tuple = ()   # (("short-path-literals", "warn"), ...) as the lint-* settings say
    abort_on_warn: bool = False   # the abort-on-warn setting: builtins.warn stops evaluation
    # the settings of Nix's EvalSettings that change evaluation (nixlang/settings.py reads them)
    pure_eval: bool = False       # pure-eval: `pure`, plus no file outside the store, no impure constants
    restrict_eval: bool = False   # restrict-eval: files only under the search path, URIs under allowed_uris
    allowed_uris: tuple = ()      # allowed-uris: URI prefixes fetchers may use in restricted mode
    allow_ifd: bool = True        # allow-import-from-derivation
    nix_path: list | None = None  # nix-path (or NIX_PATH); None: Nix's default entries
    current_system: str | None = None   # eval-system, else system: builtins.currentSystem
    trace_verbose: bool = False   # trace-verbose: builtins.traceVerbose prints
    # for the editor (nixlang/ide/policy.py)
    allowed_paths: tuple = ()     # folders restricted evaluation may read besides the search path (allowPath)
    regular_files_only: bool = False   # refuse to open FIFOs, devices and sockets
    hidden_builtins: tuple = ()   # impure constants left out of the base environment (e.g. currentTime)


class Evaluator:
    def __init__(self, options: EvalOptions | None = None):
        self.options = options or EvalOptions()
        # Nix's addCallDepth checks before counting a call, so `max-call-depth`
        # N allows N + 1 nested calls; the compiled code counts first and
        # checks after, hence the + 1 here. `depth_guard` counts the same way.
        self.max_call_depth = self.options.max_call_depth + 1
        self.depth = 0
        self.import_cache: dict[str, object] = {}
        # folder prefixes with their symlinks resolved (builtins.filesystem.resolve_symlinks)
        self.resolved_paths: dict[str, tuple[str, int]] = {}
        from .builtins.filesystem import STORE_PREFIX
        self.store_prefix = STORE_PREFIX
        self.parse_options = ParseOptions(pipe_operators="pipe-operators" in self.options.experimental_features,
                                          home=self.options.home, lints=tuple(self.options.lints))
        self.base_env = self._base_env()

    def _base_env(self) -> Env:
        registry = load_all()
        names = sorted(GLOBAL_NAMES)
        builtins_attrs = Attrs({})
        vals = []
        for n in names:
            key = n[2:] if n.startswith("__") else n
            if n == "builtins":
                vals.append(builtins_attrs)
            elif key in registry:
                vals.append(registry[key])
            else:
                vals.append(_missing_builtin(key))
        for k, v in registry.items():
            builtins_attrs.d[k] = v
        # constants that depend on this evaluator's options (the search path)
        from .builtins.filesystem import EVAL_CONSTANTS
        for k, make in EVAL_CONSTANTS.items():
            value = make_thunk(lambda _env, make=make: make(self), None)
            builtins_attrs.d[k] = value
            for global_name in (k, "__" + k):
                if global_name in names:
                    vals[names.index(global_name)] = value
        builtins_attrs.d.setdefault("builtins", builtins_attrs)
        if self.options.current_system is not None:
            system = self.options.current_system
            builtins_attrs.d["currentSystem"] = system
            vals[names.index("__currentSystem")] = system
        # pure evaluation has no impure constants (EvalState::createBaseEnv)
        hidden = ("currentSystem", "currentTime") if self.options.pure_eval else ()
        for k in hidden + tuple(n for n in self.options.hidden_builtins if n not in hidden):
            if builtins_attrs.d.pop(k, None) is not None:
                vals[names.index("__" + k)] = make_thunk(_undefined(k), None)
        self.builtins = builtins_attrs
        return Env(None, vals)

    # -- evaluation --------------------------------------------------------------------
    def eval_source(self, source: Source):
        ast = parse_cached(source, self.parse_options, self._parse_warning)
        code = Compiler(self, source).compile(ast)
        return code(self.base_env)

    def _parse_warning(self, message: str, source: Source, offset):
        from .builtins.control import log
        log(self, E.render_warning(message, source, offset).rstrip("\n"))

    def eval_string(self, text: str, base_dir: str | None = None):
        return self.eval_source(Source(text, "«string»", base_dir or os.getcwd()))

    def check_access(self, path: str) -> str:
        """In pure or restricted evaluation: fail unless `path` may be read
        (see builtins.filesystem.check_access)."""
        from .builtins.filesystem import check_access
        return check_access(self, path)

    def eval_file(self, path: str, folder_checked: bool = False):
        """Evaluate the file at `path` (a folder: its default.nix;
        `folder_checked`: `path` is known to be no folder)."""
        from .builtins.filesystem import corepkgs_source
        full = os.path.abspath(path)
        src = corepkgs_source(full)
        if src is not None:
            return self.eval_source(src)
        self.check_access(full)
        if not folder_checked and os.path.isdir(full):
            full = os.path.join(full, "default.nix")
            self.check_access(full)
        from .builtins.filesystem import open_to_read, resolve_symlinks
        if self.options.pure_eval or self.options.restrict_eval:
            # where a symlink leads is checked too (realisePath resolves it before the check)
            self.check_access(resolve_symlinks(full, True, self.resolved_paths))
        try:
            with open_to_read(self, full) as f:
                data = read_all(f)
        except FileNotFoundError:
            raise E.EvalError(f"path '{full}' does not exist").tagged("no-such-path", path=full) from None
        except OSError as exc:
            raise E.EvalError(f"opening file '{full}': {exc.strerror}") from None
        return self.eval_source(Source(decode(data), full, os.path.dirname(full)))

    def import_value(self, path):
        p = force(path)
        if type(p) is Path:
            target = p.path
        elif isinstance(p, str):
            target = str(p)
            if not target.startswith("/"):
                raise E.EvalError(f"string '{target}' doesn't represent an absolute path").tagged(
                    "not-absolute", string=target)
            ctx = getattr(p, "context", None)
            if ctx or target.startswith(self.store_prefix):
                from .builtins.derivations import realise
                target = realise(self, target, ctx or ())
        elif type(p) is Attrs and "outPath" in p.d:
            return self.import_value(p.d["outPath"])
        else:
            from .runtime.errors import type_error
            raise type_error("a path", p)
        hit = self.import_cache.get(target)
        if hit is not None:
            return hit
        from .builtins.filesystem import corepkgs_source
        full = target
        if corepkgs_source(target) is None and os.path.isdir(target):
            full = os.path.join(target, "default.nix")
            hit = self.import_cache.get(full)
            if hit is not None:
                self.import_cache[target] = hit
                return hit
        v = self.eval_file(full, folder_checked=True)
        # under the path as written too: the next import of a folder spares its stat
        self.import_cache[full] = self.import_cache[target] = v
        return v

    def reset_file_cache(self) -> None:
        """Forget what was read from the file system (the REPL's `:reload`,
        EvalState::resetFileCache): imported files, resolved folders."""
        self.import_cache.clear()
        self.resolved_paths.clear()

    def call(self, f, arg, source=None, span=None):
        return force(call_function(self, force(f), arg, source, span))

    def deep_force(self, v, seen=None):
        """Evaluate a value completely (deepSeq / --strict), as Nix's
        forceValueDeep: each level is one call deeper (addCallDepth, so a deep
        structure is a stack overflow at the value's position), a list's
        elements in order, an attrset's values in symbol order, each list and
        attrset once. An error inside gets Nix's "while evaluating list
        element at index i" / "while evaluating the attribute 'x'" frame.

        Walking a plain value (a string, a number, a forced thunk of one) does
        nothing but that depth check, which it passes whenever the container
        holding it did; so a list's or attrset's plain values are passed over
        without a call, and an attrset's names are sorted only when two or
        more of its values still have work (unforced thunks, lists, attrsets):
        forcing happens in the same order, with the same side effects (traces)
        and the same first error, at a fraction of the calls."""
        from .runtime.positions import attr_position
        from .syntax.symbols import SYMBOL_ORDER, intern_fresh
        from .runtime.calls import value_position
        seen = set() if seen is None else seen
        ev = self
        order = SYMBOL_ORDER

        def force_deeper(t: Thunk):
            # level(t) up to the force, where the depth check is known to pass;
            # what comes out is walked by level only when it is a list or attrset
            ev.depth += 1
            try:
                return t.force()
            finally:
                ev.depth -= 1

        def level(x):
            if ev.depth >= ev.max_call_depth:
                src, span = value_position(x)
                raise E.StackOverflow("stack overflow; max-call-depth exceeded", src, span)
            ev.depth += 1
            try:
                if type(x) is Thunk:
                    x = x.force()
                t = type(x)
                if t is list:
                    if id(x) in seen:
                        return
                    seen.add(id(x))
                    plain_pass = ev.depth < ev.max_call_depth
                    for i, e in enumerate(x):
                        try:
                            if plain_pass:
                                if type(e) is Thunk:
                                    e = e.value if e.code is None else force_deeper(e)
                                te = type(e)
                                if te is not list and te is not Attrs:
                                    continue
                            level(e)
                        except E.EvalError as err:
                            raise err.add_frame(f"while evaluating list element at index {i}")
                elif t is Attrs:
                    if id(x) in seen:
                        return
                    seen.add(id(x))
                    d = x.d
                    intern_fresh(d)     # as symbol_sorted, even when nothing is sorted
                    plain_pass = ev.depth < ev.max_call_depth
                    if plain_pass:
                        work = []
                        for k, e in d.items():
                            te = type(e)
                            if te is Thunk:
                                if e.code is not None:
                                    work.append(k)
                                    continue
                                te = type(e.value)
                            if te is list or te is Attrs:
                                work.append(k)
                        if len(work) > 1:
                            work.sort(key=order.__getitem__)
                    else:
                        work = sorted(d, key=order.__getitem__)
                    for k in work:
                        try:
                            y = d[k]
                            if plain_pass and type(y) is Thunk and y.code is not None:
                                y = force_deeper(y)
                                ty = type(y)
                                if ty is not list and ty is not Attrs:
                                    continue
                            level(y)
                        except E.EvalError as e:
                            where = attr_position(x.pos, k)
                            raise e.add_frame(f"while evaluating the attribute '{identifier(k)}'",
                                              *(where or (None, None)))
            finally:
                ev.depth -= 1
        level(v)
        return force(v)

    def copy_path_to_store(self, path: Path) -> str:
        """The store path `path` is copied to when used in a string (`"${./f}"`)."""
        from .builtins.derivations import copy_path_to_store
        return copy_path_to_store(self, path)


def _undefined(name):
    def fail(_env):
        raise E.EvalError(f"undefined variable '__{name}'")
    return fail


def _missing_builtin(name):
    from .runtime.values import PrimOp

    def fail(ev, *args):
        raise E.NotImplementedYet(f"builtins.{name} is not implemented in pynix yet")
    return PrimOp(name, 1, fail)
