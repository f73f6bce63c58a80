"""Derivations and the store, seen from the evaluator: `derivationStrict`,
`derivation`, `placeholder`, `toFile`, `storePath`, `path`, `filterSource`,
and copying a path value into the store (`"${./dir}"`).

The store arithmetic (hash modulo, output paths, NAR hashes) lives in
`nixlang.store`; this module turns Nix values into a `Derivation` the way
prim_derivationStrict does:

- the attributes are visited in name order; `args` is coerced element by
  element, every other attribute becomes an environment string (lists joined
  by spaces, `true` as "1", `false` and `null` as "", paths copied to the
  store), or with `__structuredAttrs = true` one JSON object in `__json`;
- `outputs`, `outputHash`, `outputHashAlgo`, `outputHashMode`,
  `__contentAddressed` and `__impure` choose the kind of outputs;
- the string context gathered on the way says what the derivation depends
  on: a plain store path is an input source, `!out!x.drv` one output of an
  input derivation, and `=x.drv` (a `drvPath`) the derivation with its whole
  closure.

Each evaluator owns an `EvalStore`: the derivations and files it has
"written" (in memory; the on-disk store is the CLI's business), the
references of each, and a cache of copied paths.

`derivation` itself is Nix code, the wrapper Nix ships as
«nix-internal»/derivation-internal.nix; its text is laid out so that the
lines Nix's traces quote are where Nix has them.
"""
from __future__ import annotations

import os

from .. import errors as E
from . import lazy_module
from ..runtime import ops
from ..runtime.errors import type_error
from ..runtime.values import Attrs, CtxStr, Path, force, make_string
from ..syntax.printer import identifier
from . import builtin

S = lazy_module("nixlang.store")
from .context import elem_kind
from .filesystem import store_dir
from .control import AlwaysFrame
from .strings import force_string, force_string_no_ctx

DERIVATION_INTERNAL = "«nix-internal»/derivation-internal.nix"


class EvalStore:
    """What one evaluation has put in the (logical) store."""

    def __init__(self, sd: str):
        self.store_dir = sd
        self._hasher = None
        self.drvs: dict[str, tuple[S.Derivation, bytes]] = {}
        self.texts: dict[str, bytes] = {}          # toFile results
        self.refs: dict[str, frozenset] = {}       # store path -> its references
        self.copied: dict[tuple, str] = {}         # (path, name, filter id) -> store path
        self.sources: dict[str, str] = {}          # store path -> the local path copied there
        self.fetched: dict[str, object] = {}       # store path -> fetchers.Fetched (what a fetcher got)
        self.fetch_cache: dict[tuple, object] = {} # this evaluation's downloads, by (kind, URL)
        # where objects are written (read-write mode), or None (`--eval` is read-only)
        self.writer: S.LocalStore | None = None
        # import from derivation: how to build (set by enable_builds), or None
        self.builds = None
        self.built_in: S.LocalStore | None = None   # the store import from derivation built in

    @property
    def hasher(self):
        """The derivations' modulo hasher, made at the first derivation (so
        an evaluation without derivations never imports the store layer)."""
        if self._hasher is None:
            self._hasher = S.ModuloHasher(self._read_derivation)
        return self._hasher

    def _read_derivation(self, drv_path: str) -> S.Derivation:
        hit = self.drvs.get(drv_path)
        if hit is not None:
            return hit[0]
        real = drv_path
        if os.path.exists(real):
            return S.read_derivation_file(real, self.store_dir)
        raise E.EvalError(f"path '{drv_path}' is not a valid store path (pynix has no such derivation)")

    def closure(self, path: str) -> set[str]:
        """computeFSClosure: `path` and everything it references, transitively."""
        seen: set[str] = set()
        todo = [path]
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            todo.extend(self.refs.get(p, ()))
        return seen


def local_store(root: str | None) -> S.LocalStore:
    """The on-disk store objects are written to, for the store dir in use: under
    ROOT with `--store ROOT`; otherwise in NIX_STORE_DIR itself when that is set
    (as Nix's local store keeps them), else under the per-user root.

    In NIX_STORE_DIR itself, the database is Nix's, in NIX_STATE_DIR/db; when
    NIX_STATE_DIR is not set, only the real /nix/store is registered (in
    /nix/var/nix/db, as Nix does): another store dir beside the system's
    database is written without one, so the system's never lists paths
    outside /nix/store."""
    if root is None and os.environ.get("NIX_STORE_DIR"):
        sd = store_dir()
        state = os.environ.get("NIX_STATE_DIR")
        return S.LocalStore("/", sd, database=bool(state) or sd == "/nix/store", state_dir=state or None)
    return S.LocalStore(root, store_dir())


def build_store(spec: str | None) -> S.LocalStore:
    """The store builds happen in, for `--store` / the `store` setting: pynix
    builds in its local store (`auto` and `local`: the per-user one; a root:
    the store under it), not through the Nix daemon."""
    if spec in (None, "", "auto", "local"):
        return local_store(None)
    if spec == "daemon" or spec.startswith("unix://"):
        raise E.EvalError(f"pynix builds in its local store (--store ROOT, or local), not through the Nix "
                          f"daemon ('{spec}')")
    return local_store(spec)


def open_store(spec: str | None):
    """The store named by `--store` / the `store` setting, as Nix picks it
    (openStore): `daemon` or `unix://SOCKET` is the Nix daemon's store;
    `auto` (the default) is the daemon when its socket answers, else pynix's
    local store; `local` the per-user local store; anything else a local
    store under that root (`--store ROOT`, as Nix's chroot stores)."""
    from ..store.daemon import DaemonStore, daemon_available
    try:
        if spec == "daemon":
            return DaemonStore()
        if spec is not None and spec.startswith("unix://"):
            return DaemonStore(spec[len("unix://"):])
        if spec in (None, "", "auto"):
            return DaemonStore() if daemon_available() else local_store(None)
    except S.StoreError as exc:
        raise E.EvalError(exc.message) from None
    return local_store(None if spec == "local" else spec)


def _write(call, *args) -> None:
    """A write to the store being written (local or the daemon's), its
    failures as evaluation errors."""
    try:
        call(*args)
    except S.StoreError as exc:
        raise E.EvalError(exc.message) from None


def eval_store(ev) -> EvalStore:
    st = getattr(ev, "_eval_store", None)
    if st is None:
        st = EvalStore(store_dir())
        ev._eval_store = st
    return st


def _attr_where(attrs: Attrs, name: str):
    from ..runtime.positions import attr_where
    return attr_where(attrs, name)


def _bool(v, message: str) -> bool:
    b = force(v)
    if type(b) is not bool:
        err = type_error("a Boolean", b)
        raise err.add_frame(message) if message else err
    return b


def _require_feature(ev, feature: str):
    if feature not in ev.options.experimental_features:
        raise E.EvalError(f"experimental Nix feature '{feature}' is disabled; add "
                          f"'--extra-experimental-features {feature}' to enable it")


# -- copying paths into the store -------------------------------------------------------------

def copy_path_to_store(ev, path: Path | str, name: str | None = None, path_filter=None,
                       filter_key=None) -> str:
    """The store path a local path is copied to (Nix's copyPathToStore /
    addToStore with NAR hashing). Nothing is written here."""
    p = path.path if isinstance(path, Path) else path
    st = eval_store(ev)
    key = (p, name, filter_key)
    hit = st.copied.get(key)
    if hit is not None:
        return hit
    from .filesystem import check_access
    check_access(ev, p)
    if not os.path.lexists(p):
        raise E.EvalError(f"path '{p}' does not exist").tagged("no-such-path", path=p)
    base = name if name is not None else os.path.basename(p.rstrip("/")) or p
    try:
        S.check_name(base)
    except S.BadStorePathName as exc:
        raise E.EvalError(exc.message) from None
    try:
        out = S.path_store_path(p, base, path_filter, st.store_dir)
    except S.StoreError as exc:
        raise E.EvalError(exc.message) from None
    except OSError as exc:
        raise E.EvalError(f"reading '{p}': {exc.strerror}") from None
    st.copied[key] = out
    if filter_key is not None:
        _filters[filter_key] = path_filter
    st.refs.setdefault(out, frozenset())
    st.sources[out] = p
    if st.writer is not None:
        try:
            st.writer.add_tree(out, p, path_filter)
        except S.StoreError as exc:
            raise E.EvalError(exc.message) from None
        except OSError as exc:
            raise E.EvalError(f"copying '{p}' to the store: {exc.strerror or exc}") from None
    return out


def _file_type(p: str) -> str:
    from .filesystem import _file_type as type_of_mode
    try:
        return type_of_mode(os.lstat(p).st_mode)
    except OSError:
        return "unknown"


def _nix_filter(ev, fn):
    """A NAR path filter calling the Nix function `fn path type`."""
    def keep(p: str) -> bool:
        r = ev.call(ev.call(fn, p), _file_type(p))
        r = force(r)
        if type(r) is not bool:
            raise type_error("a Boolean", r).add_frame(
                "while evaluating the return value of the path filter function")
        return r
    return keep


# -- derivationStrict ---------------------------------------------------------------------------

@builtin("derivationStrict", 1)
def _derivation_strict(ev, arg):
    """The primitive under `derivation`: turn an attrset into a store
    derivation and return `{ drvPath = ...; out = ...; }` (one attribute per
    output). Use `derivation`, which adds the usual attributes."""
    a = force(arg)
    if type(a) is not Attrs:
        raise type_error("a set", a).add_frame("while evaluating the argument passed to builtins.derivationStrict")
    if "name" not in a.d:
        raise E.MissingAttr("attribute 'name' missing").add_frame(
            "in the attrset passed as argument to builtins.derivationStrict")
    name_src, name_span = _attr_where(a, "name")
    try:
        drv_name = force_string_no_ctx(a.d["name"], "while evaluating the `name` attribute passed to "
                                       "builtins.derivationStrict")
    except E.EvalError as e:
        raise e.add_frame("while evaluating the derivation attribute 'name'", name_src, name_span)
    try:
        return _derivation_strict_internal(ev, str(drv_name), a)
    except E.EvalError as e:
        where = name_src.location(name_span.start) if name_src is not None else "«unknown»"
        e.frames.append(AlwaysFrame(f"while evaluating derivation '{drv_name}'\n"
                                    f"  whose name attribute is located at {where}"))
        raise


_OUTPUT_CHECKS = frozenset({"allowedReferences", "allowedRequisites", "disallowedReferences",
                            "disallowedRequisites", "maxSize", "maxClosureSize"})
_HASH_MODES = {"flat": "flat", "recursive": "nar", "nar": "nar", "text": "text", "git": "git"}


def _derivation_strict_internal(ev, drv_name: str, a: Attrs):
    d = a.d
    st = eval_store(ev)
    structured = None
    if "__structuredAttrs" in d and _bool(d["__structuredAttrs"], "while evaluating the `__structuredAttrs` "
                                          "attribute passed to builtins.derivationStrict"):
        structured = {}
    ignore_nulls = False
    if "__ignoreNulls" in d:
        ignore_nulls = _bool(d["__ignoreNulls"], "while evaluating the `__ignoreNulls` attribute passed to "
                             "builtins.derivationStrict")
    try:
        S.check_name(drv_name)
    except S.BadStorePathName as exc:
        raise E.EvalError(f"invalid derivation name: {exc.message}. Please pass a different 'name'.") from None

    drv = S.Derivation(drv_name, store_dir=st.store_dir)
    ctx: set = set()
    content_addressed = impure = False
    output_hash = None
    output_hash_algo = ""
    method = None
    outputs = ["out"]

    def hash_mode(s: str):
        nonlocal method
        m = _HASH_MODES.get(s)
        if m is None:
            raise E.EvalError(f"invalid value '{s}' for 'outputHashMode' attribute")
        if m == "text":
            _require_feature(ev, "dynamic-derivations")
        if m == "git":
            _require_feature(ev, "git-hashing")
        method = m

    def set_outputs(names):
        nonlocal outputs
        seen: list[str] = []
        for j in names:
            if j in seen:
                raise E.EvalError(f"duplicate derivation output '{j}'")
            if j == "drvPath":
                raise E.EvalError("invalid derivation output name 'drvPath'")
            seen.append(j)
        if not seen:
            raise E.EvalError("derivation cannot have an empty set of outputs")
        outputs = seen

    def coerce(v, error_ctx=None):
        return ops.coerce_to_string(v, ctx, interp=False, copy_to_store=lambda p: copy_path_to_store(ev, p),
                                    call=ev.call, error_ctx=error_ctx)

    for key in sorted(d, key=lambda k: k.encode("utf-8", "surrogateescape")):
        if key == "__ignoreNulls":
            continue
        v = d[key]
        try:
            if ignore_nulls and force(v) is None:
                continue
            if key == "__contentAddressed" and _bool(v, ""):
                content_addressed = True
                _require_feature(ev, "ca-derivations")
            elif key == "__impure" and _bool(v, ""):
                impure = True
                _require_feature(ev, "impure-derivations")
            elif key == "args":
                lst = force(v)
                if type(lst) is not list:
                    raise type_error("a list", lst)
                for elem in lst:
                    drv.args.append(coerce(elem, ("while evaluating an element of the argument list",
                                                  None, None)))
            elif structured is not None:
                if key == "__structuredAttrs":
                    continue
                from .serialize import to_json_value
                structured[key] = to_json_value(ev, v, ctx, copy_to_store=True)
                if key == "builder":
                    drv.builder = str(force_string(v, ctx, ""))
                elif key == "system":
                    drv.platform = str(force_string_no_ctx(v, ""))
                elif key == "outputHash":
                    output_hash = str(force_string_no_ctx(v, ""))
                elif key == "outputHashAlgo":
                    output_hash_algo = str(force_string_no_ctx(v, ""))
                elif key == "outputHashMode":
                    hash_mode(str(force_string_no_ctx(v, "")))
                elif key == "outputs":
                    lst = force(v)
                    if type(lst) is not list:
                        raise type_error("a list", lst)
                    set_outputs([str(force_string_no_ctx(e, "")) for e in lst])
                if key in _OUTPUT_CHECKS:
                    from .control import log
                    w = E.EvalError(f"'structuredAttrs' disables the effect of the derivation attribute "
                                    f"'{key}'; use 'outputChecks.<output>.{key}' instead", *_attr_where(a, key))
                    w.add_frame(f"while evaluating derivation '{drv_name}'")
                    log(ev, E.render_warning_eval(w).rstrip("\n"))
            else:
                s = coerce(v)
                drv.env[key] = s
                if key == "builder":
                    drv.builder = s
                elif key == "system":
                    drv.platform = s
                elif key == "outputHash":
                    output_hash = s
                elif key == "outputHashAlgo":
                    output_hash_algo = s
                elif key == "outputHashMode":
                    hash_mode(s)
                elif key == "outputs":
                    set_outputs(s.split())
        except E.EvalError as e:
            raise e.add_frame(f"while evaluating attribute '{identifier(key)}' of derivation '{drv_name}'",
                              *_attr_where(a, key))

    if structured is not None:
        from .serialize import dump_json
        drv.structured_attrs = dump_json(structured)

    for elem in ctx:
        kind, path, output = elem_kind(elem)
        if kind == "opaque":
            drv.add_input_src(path)
        elif kind == "built":
            drv.add_input_drv(path, output)
        else:
            for p in st.closure(path):
                drv.add_input_src(p)
                if p.endswith(".drv"):
                    drv.add_input_drv(p, *st._read_derivation(p).outputs)

    if drv.builder == "":
        raise E.EvalError("required attribute 'builder' missing")
    if drv.platform == "":
        raise E.EvalError("required attribute 'system' missing")
    if drv_name.endswith(".drv") and not (method == "text" and outputs == ["out"]):
        raise E.EvalError("derivation names are allowed to end in '.drv' only if they produce a single "
                          "derivation file")

    fixed = None
    floating = None
    if output_hash is not None:
        if outputs != ["out"]:
            raise E.EvalError("multiple outputs are not supported in fixed-output derivations")
        try:
            h, warning = S.new_hash_allow_empty(output_hash, output_hash_algo or None)
        except S.StoreError as exc:
            raise E.EvalError(exc.message) from None
        if warning:
            from .control import log
            log(ev, f"warning: {warning}")
        fixed = S.CAFixed(method or "flat", h)
    elif content_addressed or impure:
        if content_addressed and impure:
            raise E.EvalError("derivation cannot be both content-addressed and impure")
        floating = (method or "nar", output_hash_algo or "sha256")

    try:
        res = S.instantiate(drv, sorted(outputs), st.hasher, fixed=fixed,
                            content_addressed=floating, impure=impure)
    except S.StoreError as exc:
        raise E.EvalError(exc.message) from None
    st.drvs[res.drv_path] = (drv, res.aterm)
    st.refs[res.drv_path] = frozenset(drv.references())
    if st.writer is not None:
        _write(st.writer.add_text, res.drv_path, res.aterm, st.refs[res.drv_path])
    result = {"drvPath": CtxStr(res.drv_path, frozenset({"=" + res.drv_path}))}
    for out, path in res.outputs.items():
        result[out] = CtxStr(path, frozenset({f"!{out}!{res.drv_path}"}))
    return Attrs(result)


# -- reading store paths back (realiseContext) ------------------------------------------------

def enable_builds(ev, settings, progress, output, root: str | None = None) -> None:
    """Let this evaluation build what import from derivation needs (the CLI
    does; the editor and the playground never build): in the store objects
    are written to, else in the one `root` (a `--store` value) names
    (build_store). `settings` is a
    store.build.BuildSettings, or a function giving one at the first build
    (an evaluation that builds nothing then never imports the builder);
    `progress(line)` and `output(bytes)` get what the build prints."""
    eval_store(ev).builds = (settings, progress, output, root)


def _build_for_import(ev, st: EvalStore, drvs: list[str]) -> None:
    """realiseContext's build: write the derivations (and what they refer to)
    into the store if this evaluation has not, then build them."""
    from ..store.build import BuildFailure, Worker
    settings, progress, output, spec = st.builds
    if callable(settings):
        settings = settings()
        st.builds = (settings, progress, output, spec)
    store = st.writer if isinstance(st.writer, S.LocalStore) else build_store(spec)
    if st.writer is not None and store is not st.writer:
        raise E.EvalError(f"cannot build '{drvs[0]}' during evaluation: pynix builds in its local store, "
                          "and this evaluation writes to the Nix daemon's")
    for drv in drvs:
        for p in sorted(st.closure(drv)):
            if not store.has(p):
                _write_object(st, store, p)
    try:
        Worker(store, settings, progress=progress, output=output, known_references=st.refs).realise(drvs)
    except BuildFailure as exc:
        raise E.EvalError("\n".join(exc.lines)) from None
    except S.StoreError as exc:
        raise E.EvalError(exc.message) from None
    st.built_in = store


def realise(ev, path: str, ctx) -> str:
    """realiseContext + the store accessor: check that what `path` refers to is
    available, and return where its bytes are on disk. Derivation outputs
    are built first (import from derivation) when the evaluation may build
    (enable_builds); otherwise that is an error naming the derivation. A
    store object this evaluation made (a copied source, a `toFile` result, a
    .drv) is read from where pynix keeps it."""
    st = eval_store(ev)
    to_build: list[str] = []
    for elem in sorted(ctx):
        kind, drv, output = elem_kind(elem)
        if kind != "opaque":
            what = f"{drv}^{output}" if kind == "built" else drv
            if not getattr(ev.options, "allow_ifd", True):
                raise E.EvalError(f"cannot build '{what}' during evaluation because the option "
                                  "'allow-import-from-derivation' is disabled")
            if st.builds is None:
                raise E.EvalError(f"cannot build '{what}' during evaluation because this evaluation does "
                                  "not build derivations (this is import from derivation: the value depends "
                                  "on a build result; `pynix build`, `pynix eval` and `pynix instantiate` "
                                  "build)")
            to_build.append(drv)
    if to_build:
        _build_for_import(ev, st, list(dict.fromkeys(to_build)))
    sd = st.store_dir
    if not path.startswith(sd + "/"):
        return path
    rest = path[len(sd) + 1:]
    name, sep, tail = rest.partition("/")
    base = sd + "/" + name
    real = _materialise(ev, st, base)
    if real is None:
        return path            # not ours: the real store may have it
    return real + (sep + tail if sep else "")


def _materialise(ev, st: EvalStore, base: str) -> str | None:
    if st.writer is not None and st.writer.has(base):
        return st.writer.real_path(base)
    if st.built_in is not None and st.built_in.has(base):
        return st.built_in.real_path(base)
    if base in st.sources and base not in st.texts:
        filtered = any(k[2] is not None and v == base for k, v in st.copied.items())
        if not filtered:
            return st.sources[base]
    data = st.texts.get(base)
    if data is None and base in st.drvs:
        data = st.drvs[base][1]
    if data is None and base not in st.sources:
        return None
    if getattr(st, "scratch", None) is None:
        import atexit
        import tempfile
        st.scratch = S.LocalStore(tempfile.mkdtemp(prefix="pynix-objects-"), st.store_dir, database=False)
        atexit.register(lambda root=st.scratch.root: __import__("shutil").rmtree(root, ignore_errors=True))
    return _write_object(st, st.scratch, base)


def _write_object(st: EvalStore, store, base: str) -> str | None:
    """Write the object `base` this evaluation made (a .drv, a `toFile`
    result, a copied source) into `store`; None when it made no such object."""
    data = st.texts.get(base)
    if data is None and base in st.drvs:
        data = st.drvs[base][1]
    if data is not None:
        return store.add_text(base, data, st.refs.get(base, ()))
    key = next((k for k, v in st.copied.items() if v == base), None)
    if key is None:
        return None
    fn = None if key[2] is None else _filters.get(key[2])
    return store.add_tree(base, st.sources[base], fn)


_filters: dict = {}


# -- finding the derivations in a value (nix-instantiate, nix-env) -----------------------------

_ATTR_NAME = __import__("re").compile(r"[A-Za-z_][A-Za-z0-9\-_+]*")


def get_derivations(ev, v, auto_call=lambda v: v) -> list[tuple[str, str]]:
    """getDerivations: (drvPath, outputName) of every derivation in `v`: `v`
    itself, or the attributes of a top-level attrset (nested ones only with
    `recurseForDerivations = true`), or the elements of a list."""
    found: list[tuple[str, str]] = []
    done: set[int] = set()

    def is_drv(x) -> bool:
        if type(x) is not Attrs or "type" not in x.d:
            return False
        t = force(x.d["type"])
        return isinstance(t, str) and str(t) == "derivation"

    def add(x) -> bool:
        """getDerivation: record `x` if it is a derivation; True means "not
        one, look inside"."""
        x = force(x)
        if not is_drv(x):
            return True
        if id(x.d) in done:
            return False
        done.add(id(x.d))
        if "drvPath" not in x.d:
            raise E.EvalError("derivation does not have attribute 'drvPath'")
        drv_path = str(force_string(x.d["drvPath"], set(), "while evaluating the 'drvPath' attribute of a "
                                    "derivation"))
        out = "out"
        if "outputName" in x.d:
            out = str(force_string(x.d["outputName"], set(), "while evaluating the output name of a derivation"))
        found.append((drv_path, out))
        return False

    def walk(x, top: bool):
        x = force(auto_call(x))
        if not add(x):
            return
        if type(x) is Attrs:
            for k in sorted(x.d, key=lambda k: k.encode("utf-8", "surrogateescape")):
                if not _ATTR_NAME.fullmatch(k):
                    continue
                child = x.d[k]
                if add(child):
                    c = force(child)
                    if type(c) is Attrs and "recurseForDerivations" in c.d:
                        if _bool(c.d["recurseForDerivations"],
                                 "while evaluating the attribute `recurseForDerivations`"):
                            walk(c, False)
        elif type(x) is list:
            for e in x:
                if add(e):
                    walk(e, False)
        else:
            raise E.TypeError_("expression does not evaluate to a derivation (or a set or list of those)")

    walk(v, True)
    return found


# -- the other store builtins --------------------------------------------------------------------

@builtin("placeholder", 1)
def _placeholder(ev, output):
    """A placeholder for an output path of the derivation being built:
    `builtins.placeholder "out"` is replaced by `$out`'s path at build time."""
    name = force_string(output, set(), "while evaluating the first argument passed to builtins.placeholder")
    return S.hash_placeholder(str(name))


@builtin("toFile", 2)
def _to_file(ev, name, contents):
    """Write a string to a file in the store and return its path:
    `builtins.toFile "hello.txt" "hi"`. The string may refer to other store
    paths (not to derivation outputs)."""
    n = str(force_string_no_ctx(name, "while evaluating the first argument passed to builtins.toFile"))
    ctx: set = set()
    text = force_string(contents, ctx, "while evaluating the second argument passed to builtins.toFile")
    refs = set()
    for elem in ctx:
        kind, path, _ = elem_kind(elem)
        if kind != "opaque":
            raise E.EvalError("files created by builtins.toFile may not reference derivation outputs")
        refs.add(path)
    st = eval_store(ev)
    data = str(text).encode("utf-8", "surrogateescape")
    try:
        out = S.store_path_for_text(n, data, refs, st.store_dir)
    except S.StoreError as exc:
        raise E.EvalError(exc.message) from None
    st.texts[out] = data
    st.refs[out] = frozenset(refs)
    if st.writer is not None:
        _write(st.writer.add_text, out, data, st.refs[out])
    return CtxStr(out, frozenset({out}))


@builtin("storePath", 1)
def _store_path(ev, p):
    """Turn a string naming a store path into that path with its context,
    as if it had come from a derivation: `builtins.storePath /nix/store/…-hello`."""
    from .filesystem import coerce_to_path
    if getattr(ev.options, "pure_eval", False):
        raise E.EvalError("'builtins.storePath' is not allowed in pure evaluation mode")
    ctx: set = set()
    path = coerce_to_path(ev, p, ctx, "while evaluating the first argument passed to 'builtins.storePath'")
    sd = eval_store(ev).store_dir
    if not path.startswith(sd + "/"):
        raise E.EvalError(f"path '{path}' is not in the Nix store")
    rest = path[len(sd) + 1:]
    base = sd + "/" + rest.split("/", 1)[0]
    try:
        S.parse_store_path(base, sd)
    except S.StoreError as exc:
        raise E.EvalError(exc.message) from None
    ctx.add(base)
    return make_string(path, ctx)


@builtin("filterSource", 2)
def _filter_source(ev, fn, p):
    """Copy a path to the store keeping only what `fn path type` accepts:
    `builtins.filterSource (path: type: type != "symlink") ./src`."""
    from .filesystem import coerce_to_path
    ctx: set = set()
    path = coerce_to_path(ev, p, ctx, "while evaluating the second argument (the path to filter) passed to "
                          "'builtins.filterSource'")
    f = force(fn)
    from ..runtime.values import Closure, PrimOp, PrimOpApp
    if type(f) not in (Closure, PrimOp, PrimOpApp) and not (type(f) is Attrs and "__functor" in f.d):
        raise type_error("a function", f).add_frame(
            "while evaluating the first argument passed to builtins.filterSource")
    try:
        out = copy_path_to_store(ev, path, None, _nix_filter(ev, f), filter_key=id(f))
    except E.EvalError as e:
        raise e.add_frame(f"while adding path '{path}'")
    return CtxStr(out, frozenset({out}))


@builtin("path", 1)
def _path(ev, args):
    """Copy a path to the store with options: `builtins.path { path = ./src;
    name = "source"; filter = path: type: true; recursive = true; sha256 = "…"; }`."""
    from .filesystem import coerce_to_path
    a = force(args)
    if type(a) is not Attrs:
        raise type_error("a set", a).add_frame("while evaluating the argument passed to builtins.path")
    path = name = fn = expected = None
    recursive = True
    for key in sorted(a.d):
        v = a.d[key]
        if key == "path":
            path = coerce_to_path(ev, v, set(), "while evaluating the 'path' attribute passed to 'builtins.path'")
        elif key == "name":
            name = str(force_string_no_ctx(v, "while evaluating the `name` attribute passed to builtins.path"))
        elif key == "filter":
            fn = force(v)
        elif key == "recursive":
            recursive = _bool(v, "while evaluating the `recursive` attribute passed to builtins.path")
        elif key == "sha256":
            expected = str(force_string_no_ctx(v, "while evaluating the `sha256` attribute passed to "
                                                  "builtins.path"))
        else:
            raise E.EvalError(f"unsupported argument '{key}' to 'builtins.path'")
    if path is None:
        raise E.EvalError("missing required 'path' attribute in the first argument to 'builtins.path'")
    if not recursive:
        if fn is not None:
            raise E.EvalError("'recursive = false' cannot be combined with a filter in 'builtins.path'")
        try:
            out = S.flat_file_store_path(path, name, store_dir=eval_store(ev).store_dir)
        except S.StoreError as exc:
            raise E.EvalError(exc.message) from None
    else:
        try:
            out = copy_path_to_store(ev, path, name, _nix_filter(ev, fn) if fn is not None else None,
                                     filter_key=id(fn) if fn is not None else None)
        except E.EvalError as e:
            raise e.add_frame(f"while adding path '{path}'")
    if expected:
        try:
            h = S.Hash.parse_any(expected, "sha256")
        except S.StoreError as exc:
            raise E.EvalError(exc.message) from None
        want = S.make_fixed_output_path("nar" if recursive else "flat", h, name or os.path.basename(path),
                                        store_dir=eval_store(ev).store_dir)
        if want != out:
            raise E.EvalError(f"store path mismatch in (possibly filtered) path added from '{path}'")
    return CtxStr(out, frozenset({out}))


# -- `derivation`: the Nix wrapper -------------------------------------------------------------------

# Lines 36 and 48-50 are the ones Nix's traces quote; keep them where they are.
DERIVATION_NIX = """\
# The `derivation` builtin: a wrapper around `derivationStrict`, which does
# the work (checks the attributes, computes the store paths). The wrapper
# adds what users expect to find on a derivation value:
#
#   - one attribute per output (`out`, `dev`, ...), each itself a complete
#     derivation value whose `outPath` is that output's path;
#   - `all`: the list of those per-output values;
#   - `drvAttrs`: the attributes passed in;
#   - `drvPath`, `outPath`, `outputName` and `type = "derivation"`.
#
# Everything is lazy: `drvAttrs.name` is available without building a
# derivation, and `outPath` forces `derivationStrict` only when asked.
# (This text is pynix's own; its line numbers follow Nix's file, whose lines
# 36 and 48-50 error traces quote.)
/**
  Create a derivation.

  # Inputs

  The single argument is an attribute set that describes what to build and
  how to build it: at least `name`, `system` and `builder`; `args`, `outputs`
  and any other attribute (passed to the builder in its environment).

  # Output

  An attribute set describing the derivation; its outputs are strings with
  context that refer to the store paths they will be built at.
*/
drvAttrs@{
  outputs ? [ "out" ],
  ...
}:

let

  strict = derivationStrict drvAttrs;

  commonAttrs =
    drvAttrs
    // (builtins.listToAttrs outputsList)
    // {
      all = map (x: x.value) outputsList;
      inherit drvAttrs;
    };

  outputToAttrListElement = outputName: {
    name = outputName;
    value = commonAttrs // {
      outPath = strict.${outputName};
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };

  outputsList = map outputToAttrListElement outputs;

in
(builtins.head outputsList).value
"""


def derivation_value(ev):
    """The `derivation` function: derivation-internal.nix evaluated once per evaluator."""
    from ..source import Source
    return ev.eval_source(Source(DERIVATION_NIX, DERIVATION_INTERNAL, "/"))


def _register():
    from .filesystem import EVAL_CONSTANTS
    EVAL_CONSTANTS["derivation"] = derivation_value


_register()
