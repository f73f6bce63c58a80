"""Building derivations in the local store (Nix's Worker, DerivationGoal and
LocalDerivationGoal, for input-addressed and fixed-output derivations).

`Worker(store, settings).realise(drv_paths)` builds what is not valid yet,
inputs first: it reads the `.drv` files from the store, walks their input
derivations (a derivation whose outputs are all valid is not looked into),
and builds the rest one by one in dependency order. Building one
derivation (`_build`) follows LocalDerivationGoal:

1. the input closure: the input sources and the wanted outputs of the input
   derivations, with everything they reference;
2. the environment (`initEnv`): `PATH=/path-not-set`, `HOME=/homeless-shelter`,
   `NIX_STORE`, `NIX_BUILD_CORES`, the derivation's env (placeholders of
   its outputs replaced by their paths; `passAsFile` attributes written to
   `.attr-<hash>` files), `NIX_BUILD_TOP`, `TMPDIR`, `TEMPDIR`, `TMP`,
   `TEMP`, `PWD` (the build directory), the `impureEnvVars` of a fixed-output
   derivation, `NIX_LOG_FD=2`, `TERM=xterm-256color`;
3. the builder runs in the sandbox (sandbox.py) or, without bwrap, directly,
   in the build directory, stdin from /dev/null, its output copied to the
   log (`ROOT/nix/var/log/nix/drvs/XX/REST.bz2`, Nix's layout) and to the
   caller;
4. the outputs (`registerOutputs`): each must exist; its metadata is made
   canonical (read-only, mtime 1); one pass over its NAR gives the NAR hash
   and size and the references (refscan.py: the hash parts of the input
   closure and of the derivation's own outputs); outputs referring to each
   other in a cycle are refused; a fixed output's hash is checked; then the
   outputs are moved into the store and registered together (pathinfo.py).

The store layer imports nothing above it: the caller passes what it knows of
paths made by an evaluation (`known_references`) and receives progress
lines and builder output through callables.
"""
from __future__ import annotations

import bz2
import fcntl
import os
import platform
import select
import stat
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from . import sandbox
from .derivation import CAFixed, Derivation, InputAddressed, STRUCTURED_ATTRS_VAR, read_derivation_file
from .errors import BuildError, StoreError
from .hashes import HashSink, hash_file, sha256
from .local import LocalStore, remove_path
from .nar import dump_path, nar_hash
from .pathinfo import ValidPathInfo, check_registrable, query_path_info, register_valid_paths
from .paths import make_fixed_output_path, output_path_name
from .placeholders import hash_placeholder
from .refscan import RefScanSink, hash_part

EXIT_BUILD_FAILED = 100
EXIT_HASH_MISMATCH = 102
MTIME = 1


def this_system() -> str:
    """Nix's `system` setting for this machine (e.g. x86_64-linux)."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if machine in ("i386", "i586", "i686"):
        machine = "i686"
    return f"{machine}-{platform.system().lower()}"


@dataclass
class BuildSettings:
    system: str = field(default_factory=this_system)
    cores: int = 0                        # NIX_BUILD_CORES; 0: the number of CPUs
    keep_failed: bool = False             # --keep-failed: keep the build directory of a failed build
    sandbox_paths: list | None = None     # the `sandbox-paths` setting; None: the host's /bin, /usr, /lib
    tmp_dir: str | None = None            # where build directories go (default: TMPDIR or /tmp)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))   # for impureEnvVars
    system_features: frozenset = field(default_factory=lambda: default_system_features())
    sandbox: bool = True                  # the `sandbox` setting (false: unsandboxed, as Nix, but
                                          # never for a store under another root, which needs the sandbox)


def default_system_features() -> frozenset:
    """Nix's default `system-features` on Linux (kvm when /dev/kvm is usable)."""
    features = {"benchmark", "big-parallel", "nixos-test"}
    if os.access("/dev/kvm", os.R_OK | os.W_OK):
        features.add("kvm")
    return frozenset(features)


class Worker:
    """Builds derivations of one store. `progress(line)` gets Nix's progress
    and warning lines; `output(bytes)` gets what builders print."""

    def __init__(self, store: LocalStore, settings: BuildSettings | None = None, *,
                 progress: Callable[[str], None] = lambda line: None,
                 output: Callable[[bytes], None] = lambda data: None,
                 known_references: Mapping[str, Iterable[str]] | None = None):
        self.store = store
        self.settings = settings or BuildSettings()
        self.progress = progress
        self.output = output
        self.known_references = known_references or {}
        self._drvs: dict[str, Derivation] = {}
        self._refs: dict[str, frozenset] = {}
        self._warned = False

    # -- what there is to do --------------------------------------------------------------

    def derivation(self, drv_path: str) -> Derivation:
        drv = self._drvs.get(drv_path)
        if drv is None:
            real = self.store.real_path(drv_path)
            if not os.path.exists(real):
                raise BuildError(f"path '{drv_path}' is not valid")
            drv = read_derivation_file(real, self.store.store_dir)
            self._drvs[drv_path] = drv
        return drv

    def output_paths(self, drv_path: str) -> dict[str, str]:
        """Each output's store path (known in advance for the derivations
        pynix builds: input-addressed and fixed-output ones)."""
        drv = self.derivation(drv_path)
        paths = {}
        for name, out in sorted(drv.outputs.items()):
            if isinstance(out, InputAddressed):
                paths[name] = out.path
            elif isinstance(out, CAFixed):
                paths[name] = out.path(drv.name, name, drv.store_dir)
            else:
                kind = {"CAFloating": "content-addressed (floating)", "Deferred": "deferred (it depends on a "
                        "content-addressed derivation)", "Impure": "impure"}.get(type(out).__name__, "unknown")
                raise BuildError(f"cannot build '{drv_path}': pynix builds input-addressed and fixed-output "
                                 f"derivations only, and its output '{name}' is {kind}")
        return paths

    def _valid(self, path: str) -> bool:
        return query_path_info(self.store, path) is not None

    def plan(self, drv_paths: Iterable[str]) -> list[str]:
        """The derivations to build, each after its inputs (derivations whose
        outputs are all valid are neither built nor looked into)."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(drv_path: str) -> None:
            if drv_path in seen:
                return
            seen.add(drv_path)
            if all(self._valid(p) for p in self.output_paths(drv_path).values()):
                return
            for inp in sorted(self.derivation(drv_path).input_drvs):
                visit(inp)
            order.append(drv_path)

        for p in drv_paths:
            visit(p)
        return order

    def announce(self, todo: list[str]) -> None:
        """printMissing: what will be built."""
        if todo:
            head = "this derivation will be built:" if len(todo) == 1 else \
                f"these {len(todo)} derivations will be built:"
            self.progress(head + "".join(f"\n  {p}" for p in sorted(todo)))

    def realise(self, drv_paths: Iterable[str]) -> dict[str, dict[str, str]]:
        """Build every derivation in `drv_paths` (and what it needs); gives
        each one's output paths. The first failure stops the work, as Nix
        does without --keep-going: its error, then one line for each
        derivation it held back, are raised as a BuildError."""
        drv_paths = list(dict.fromkeys(drv_paths))
        check_registrable(self.store)
        todo = self.plan(drv_paths)
        self.announce(todo)
        failed: dict[str, int] = {}   # derivation -> how many of its inputs failed (0: itself)
        first: BuildError | None = None
        for drv_path in todo:
            bad = sum(1 for inp in self.derivation(drv_path).input_drvs if inp in failed)
            if bad:
                failed[drv_path] = bad
                continue
            if first is not None:
                continue
            try:
                with _output_locks([self.store.real_path(p) for p in self.output_paths(drv_path).values()]):
                    # another process may have built it while we waited for the locks
                    if not all(self._valid(p) for p in self.output_paths(drv_path).values()):
                        self._build(drv_path)
            except StoreError as exc:
                failed[drv_path] = 0
                first = exc if isinstance(exc, BuildError) else BuildError(exc.message)
            except OSError as exc:       # the store or the build directory cannot be written
                failed[drv_path] = 0
                where = f" '{exc.filename}'" if exc.filename else ""
                first = BuildError(f"building '{drv_path}': cannot write{where}: {exc.strerror or exc}")
        if first is not None:
            lines = [first.message]
            for drv_path in todo:
                if failed.get(drv_path):
                    lines.append(f"{failed[drv_path]} dependencies of derivation '{drv_path}' failed to build")
            raise BuildFailure(lines, first.status)
        return {p: self.output_paths(p) for p in drv_paths}

    # -- the input closure ----------------------------------------------------------------

    def references(self, path: str) -> frozenset:
        """What the store object `path` refers to: from its registration, from
        the evaluation that made it, from the derivation (a .drv), or else by
        scanning it for the hash parts of the objects in the store."""
        refs = self._refs.get(path)
        if refs is not None:
            return refs
        info = query_path_info(self.store, path)
        if info is not None:
            refs = frozenset(info.references)
        elif path in self.known_references:
            refs = frozenset(self.known_references[path])
        elif not self.store.has(path):
            raise BuildError(f"path '{path}' is not valid")
        elif path.endswith(".drv"):
            refs = frozenset(self.derivation(path).references())
        else:
            names = [n for n in os.listdir(self.store.real_dir) if len(n) > 33 and not n.startswith(".")]
            sink = RefScanSink(n[:32] for n in names)
            dump_path(self.store.real_path(path), sink)
            found = sink.found()
            refs = frozenset(self.store.store_dir + "/" + n for n in names if n[:32] in found)
        self._refs[path] = refs
        return refs

    def closure(self, paths: Iterable[str], new: Mapping[str, ValidPathInfo] | None = None) -> set[str]:
        """computeFSClosure over references (those of `new`, the infos of paths
        being registered, first)."""
        seen: set[str] = set()
        todo = list(paths)
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo.extend(new[p].references if new and p in new else self.references(p))
        return seen

    def _register_inputs(self, paths: Iterable[str]) -> None:
        """Make the objects of an input closure that were written without being
        registered (by an evaluation, or an older pynix) valid, so outputs
        referring to them can be registered."""
        infos = []
        for p in sorted(paths):
            if self._valid(p):
                continue
            h, size = nar_hash(self.store.real_path(p))
            infos.append(ValidPathInfo(p, h, size, self.references(p)))
        if infos:
            register_valid_paths(self.store, infos)

    def _input_closure(self, drv_path: str, drv: Derivation) -> set[str]:
        starts = set(drv.input_srcs)
        for inp, node in drv.input_drvs.items():
            outs = self.output_paths(inp)
            for name in node.outputs:
                if name not in outs:
                    raise BuildError(f"derivation '{inp}' does not have an output named '{name}'")
                starts.add(outs[name])
        closure = self.closure(starts)
        self._register_inputs(closure)
        return closure

    # -- building one derivation ----------------------------------------------------------

    def _check_buildable(self, drv_path: str, drv: Derivation) -> None:
        if drv.builder.startswith("builtin:"):
            raise BuildError(f"cannot build '{drv_path}': pynix does not have Nix's builtin builder "
                             f"'{drv.builder}'")
        required = set(drv.env.get("requiredSystemFeatures", "").split())
        have = self.settings.system_features
        if drv.platform != self.settings.system or not required <= have:
            raise BuildError(f"a '{drv.platform}' with features {{{', '.join(sorted(required))}}} is required "
                             f"to build '{drv_path}', but I am a '{self.settings.system}' with features "
                             f"{{{', '.join(sorted(have))}}}")
        if drv.structured_attrs is not None or STRUCTURED_ATTRS_VAR in drv.env:
            raise BuildError(f"cannot build '{drv_path}': pynix does not build derivations with structured "
                             "attributes (__structuredAttrs) yet")

    def _build(self, drv_path: str) -> None:
        drv = self.derivation(drv_path)
        self._check_buildable(drv_path, drv)
        outputs = self.output_paths(drv_path)
        inputs = self._input_closure(drv_path, drv)
        fixed = isinstance(drv.outputs.get("out"), CAFixed)
        diverted = self.store.real_dir != self.store.store_dir
        exe, why = (sandbox.find_bwrap() if self.settings.sandbox or diverted
                    else (None, "the `sandbox` setting is false"))
        if exe is None and not self._warned:
            self._warned = True
            self.progress(f"warning: building without a sandbox: {why}; the builder sees the whole machine"
                          + ("" if not diverted else
                             f", and writes its outputs straight to their place under '{self.store.root}'")
                          + ", so outputs may differ from a sandboxed Nix build")
        self.progress(f"building '{drv_path}'...")
        os.makedirs(self.store.real_dir, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".tmp-build-", dir=self.store.real_dir)
        build_dir = _make_build_dir(self.settings.tmp_dir, drv_path)
        keep_build_dir = False
        try:
            if exe is not None:
                top = sandbox.SANDBOX_BUILD_DIR
                where = {name: os.path.join(staging, "store", p.rpartition("/")[2]) for name, p in outputs.items()}
            else:
                top = build_dir
                where = {name: self.store.real_path(p) for name, p in outputs.items()}
            for name, p in outputs.items():
                if not self._valid(p):
                    remove_path(self.store.real_path(p))   # what an interrupted build left
            env = self._environment(drv, outputs, top, build_dir, fixed)
            args = [_rewrite(a, self._placeholders(outputs)) for a in drv.args]
            if exe is not None:
                os.makedirs(os.path.join(staging, "store"))
                sandbox.write_etc(os.path.join(staging, "etc"))
                paths = (sandbox.parse_sandbox_paths(self.settings.sandbox_paths)
                         if self.settings.sandbox_paths else sandbox.default_sandbox_paths())
                argv = sandbox.bwrap_command(
                    exe, store_dir=self.store.store_dir, staging_store=os.path.join(staging, "store"),
                    inputs={p: self.store.real_path(p) for p in inputs}, build_dir=build_dir,
                    etc_dir=os.path.join(staging, "etc"), sandbox_paths=paths, network=fixed,
                    argv=[drv.builder] + args,
                    argv0=os.path.basename(drv.builder) if sandbox.supports_argv0(exe) else None)
                status = self._run(drv_path, argv, None, env, build_dir)
            else:
                env = {k: (v if k not in outputs else where[k]) for k, v in env.items()}
                status = self._run(drv_path, [os.path.basename(drv.builder)] + args, drv.builder, env, build_dir)
            if status != 0:
                raise BuildError(f"builder for '{drv_path}' {_status_text(status)}", EXIT_BUILD_FAILED)
            self._register_outputs(drv_path, drv, outputs, where, inputs)
        except StoreError:
            # deleteTmpDir(false): --keep-failed keeps the build directory of
            # any failed build (the builder's or the checks of its outputs)
            keep_build_dir = self.settings.keep_failed
            if keep_build_dir:
                self.progress(f"note: keeping build directory '{build_dir}'")
            if exe is None:
                self._remove_invalid(outputs, where)
            raise
        except BaseException:
            if exe is None:
                self._remove_invalid(outputs, where)
            raise
        finally:
            remove_path(staging)
            if not keep_build_dir:
                remove_path(build_dir)

    def _remove_invalid(self, outputs: Mapping[str, str], where: Mapping[str, str]) -> None:
        """What an unsandboxed build that failed left at the outputs' places."""
        for name, p in outputs.items():
            if not self._valid(p):
                remove_path(where[name])

    def _placeholders(self, outputs: Mapping[str, str]) -> dict[str, str]:
        return {hash_placeholder(name): path for name, path in outputs.items()}

    def _environment(self, drv: Derivation, outputs: Mapping[str, str], top: str, build_dir: str,
                     fixed: bool) -> dict[str, str]:
        """initEnv, with initTmpDir's part."""
        rewrites = self._placeholders(outputs)
        env = {"PATH": "/path-not-set", "HOME": "/homeless-shelter", "NIX_STORE": self.store.store_dir,
               "NIX_BUILD_CORES": str(self.settings.cores or os.cpu_count() or 1)}
        pass_as_file = set(drv.env.get("passAsFile", "").split())
        for key, value in drv.env.items():
            value = _rewrite(value, rewrites)
            if key in pass_as_file:
                name = ".attr-" + sha256(key).nix32
                with open(os.path.join(build_dir, name), "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(value)
                env[key + "Path"] = top + "/" + name
            else:
                env[key] = value
        for key in ("NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP", "TEMP", "PWD"):
            env[key] = top
        if fixed:
            for key in drv.env.get("impureEnvVars", "").split():
                env[key] = self.settings.environ.get(key, "")
        env["NIX_LOG_FD"] = "2"
        env["TERM"] = "xterm-256color"
        return env

    def _run(self, drv_path: str, argv: list[str], executable: str | None, env: dict[str, str],
             build_dir: str) -> int:
        """Run the builder; copy what it prints to the log and to `output`."""
        log_path = self._log_path(drv_path)
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        with bz2.open(log_path, "wb") as log:
            try:
                proc = subprocess.Popen(argv, executable=executable, env=_encode_env(env), cwd=build_dir,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True, umask=0o022)
            except OSError as exc:
                raise BuildError(f"executing '{executable or argv[0]}': {exc.strerror}") from None
            try:
                fd = proc.stdout.fileno()
                while True:
                    # wake up now and then, so that an interruption (an
                    # exception raised in this thread, interrupt.py) stops the build
                    ready, _, _ = select.select([fd], [], [], 0.25)
                    if not ready:
                        continue
                    data = os.read(fd, 65536)
                    if not data:
                        break
                    log.write(data)
                    self.output(data)
                return proc.wait()
            finally:
                if proc.poll() is None:
                    try:
                        os.killpg(proc.pid, 9)
                    except OSError:
                        pass
                    proc.wait()
                proc.stdout.close()

    def _log_path(self, drv_path: str) -> str:
        base = drv_path.rpartition("/")[2]
        return os.path.join(self.store.root, "nix", "var", "log", "nix", "drvs", base[:2], base[2:] + ".bz2")

    # -- the outputs ----------------------------------------------------------------------

    def _register_outputs(self, drv_path: str, drv: Derivation, outputs: Mapping[str, str],
                          where: Mapping[str, str], inputs: set[str]) -> None:
        """registerOutputs."""
        for name in sorted(outputs):
            if not os.path.lexists(where[name]):
                raise BuildError(f"builder for '{drv_path}' failed to produce output path for output "
                                 f"'{name}' at '{where[name]}'")
        candidates = {hash_part(p): p for p in inputs | set(outputs.values())}
        scanned: dict[str, tuple] = {}
        for name in sorted(outputs):
            canonicalise_path_meta_data(where[name])
            hasher = HashSink("sha256")
            refs = RefScanSink(candidates)

            def sink(data: bytes, hasher=hasher, refs=refs) -> None:
                hasher.update(data)
                refs(data)
            dump_path(where[name], sink)
            h, size = hasher.finish()
            scanned[name] = (h, size, frozenset(candidates[x] for x in refs.found()))
        by_path = {p: name for name, p in outputs.items()}
        order = _sort_outputs(drv_path, outputs, lambda n: {by_path[r] for r in scanned[n][2] if r in by_path})
        infos: list[ValidPathInfo] = []
        mismatch: BuildError | None = None
        final = dict(outputs)
        for name in order:
            h, size, refs = scanned[name]
            ca = None
            out = drv.outputs[name]
            if isinstance(out, CAFixed):
                if refs:
                    raise BuildError(f"illegal path references in fixed-output derivation '{drv_path}'")
                got = _fixed_output_hash(drv_path, out, where[name])
                ca = "fixed:" + ("r:" if out.method == "nar" else "") + f"{got.algo}:{got.nix32}"
                if got != out.hash:
                    # as Nix 2.8: the output is kept under the path of what was got,
                    # registered, and the derivation fails
                    mismatch = BuildError(f"hash mismatch in fixed-output derivation '{drv_path}':\n"
                                          f"  specified: {out.hash.sri}\n     got:    {got.sri}",
                                          EXIT_HASH_MISMATCH)
                    final[name] = make_fixed_output_path(out.method, got, output_path_name(drv.name, name),
                                                         store_dir=self.store.store_dir)
            infos.append(ValidPathInfo(final[name], h, size, refs, deriver=drv_path, ultimate=True, ca=ca))
        self._check_outputs(drv, outputs, {i.path: i for i in infos})
        for name in order:
            target = self.store.real_path(final[name])
            if where[name] != target and not self._valid(final[name]):
                remove_path(target)
                os.rename(where[name], target)
        register_valid_paths(self.store, [i for i in infos if not self._valid(i.path)])
        if mismatch is not None:
            raise mismatch


    def _check_outputs(self, drv: Derivation, outputs: Mapping[str, str], new: dict) -> None:
        """checkOutputs: the allowedReferences, allowedRequisites,
        disallowedReferences and disallowedRequisites attributes (store paths
        or names of this derivation's outputs). As Nix does without
        structured attributes, an output's own path is not among its
        requisites here."""
        checks = [("allowedReferences", True, False), ("allowedRequisites", True, True),
                  ("disallowedReferences", False, False), ("disallowedRequisites", False, True)]
        for path, info in new.items():
            for attr, allowed, recursive in checks:
                if attr not in drv.env:
                    continue
                spec = set()
                for item in drv.env[attr].split():
                    if item.startswith(self.store.store_dir + "/"):
                        spec.add(item)
                    elif item in outputs:
                        spec.add(outputs[item])
                    else:
                        raise BuildError(f"derivation contains an illegal reference specifier '{item}'")
                used = self.closure([path], new) - {path} if recursive else set(info.references)
                bad = sorted(p for p in used if (p in spec) != allowed)
                if bad:
                    raise BuildError(f"output '{path}' is not allowed to refer to the following paths:"
                                     + "".join("\n  " + p for p in bad))


class BuildFailure(BuildError):
    """The errors of a failed realisation, one message per line of `lines`
    (the first failure, then the derivations it held back)."""

    def __init__(self, lines: list[str], status: int):
        super().__init__(lines[0], status)
        self.lines = lines


@contextmanager
def _output_locks(real_paths: list[str]):
    """Nix's output locks (PathLocks): `<output>.lock` beside each output,
    held while the derivation builds, so two processes never build the same
    outputs into one store at once. As in Nix, the lock files are deleted
    afterwards, marked stale first (a byte written) so that a process that
    was waiting on one takes a fresh one."""
    held: list[tuple[str, int]] = []
    try:
        for path in sorted(real_paths):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            while True:
                fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_size == 0:
                    break
                os.close(fd)             # stale: its holder deleted it
            held.append((path + ".lock", fd))
        yield
    finally:
        for lock, fd in held:
            try:
                os.unlink(lock)
                os.write(fd, b"d")
            except OSError:
                pass
            os.close(fd)


def _sort_outputs(drv_path: str, outputs: Mapping[str, str], children: Callable[[str], set]) -> list[str]:
    """topoSort of the outputs by their references to each other (referenced
    outputs first); a cycle is Nix's error."""
    visited: set[str] = set()
    parents: set[str] = set()
    order: list[str] = []

    def visit(name: str, parent: str | None) -> None:
        if name in parents:
            raise BuildError(f"cycle detected in build of '{drv_path}' in the references of output "
                             f"'{name}' from output '{parent}'")
        if name in visited:
            return
        visited.add(name)
        parents.add(name)
        for child in sorted(children(name)):
            if child != name:
                visit(child, name)
        order.append(name)
        parents.discard(name)

    for name in sorted(outputs):
        visit(name, None)
    return order


def _fixed_output_hash(drv_path: str, out: CAFixed, path: str):
    """The hash a fixed output is checked against: of the file (flat) or of
    its NAR (recursive)."""
    if out.method == "flat":
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_mode & stat.S_IXUSR:
            raise BuildError(f"output path '{path}' should be a non-executable regular file since recursive "
                             "hashing is not enabled (outputHashMode=flat)")
        return hash_file(out.hash.algo, path)
    if out.method == "nar":
        return nar_hash(path, out.hash.algo)[0]
    raise BuildError(f"cannot build '{drv_path}': pynix does not check '{out.method}' fixed outputs")


def canonicalise_path_meta_data(path: str) -> None:
    """canonicalisePathMetaData: every file read-only (executables keep
    their execute bits), mtime 1; refuses file types a store cannot hold."""
    st = os.lstat(path)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        os.chmod(path, mode | 0o700)      # while its entries are fixed
        for name in os.listdir(path):
            canonicalise_path_meta_data(os.path.join(path, name))
        os.chmod(path, 0o555)
    elif stat.S_ISREG(mode):
        os.chmod(path, 0o555 if mode & stat.S_IXUSR else 0o444)
    elif not stat.S_ISLNK(mode):
        raise StoreError(f"file '{path}' has an unsupported type")
    os.utime(path, (MTIME, MTIME), follow_symlinks=False)


def _make_build_dir(tmp_dir: str | None, drv_path: str) -> str:
    """createTempDir: `nix-build-<name>.drv-N` in TMPDIR, the first N free."""
    parent = tmp_dir or os.environ.get("TMPDIR") or "/tmp"
    stem = "nix-build-" + drv_path.rpartition("/")[2][33:] + "-"
    n = 0
    while True:
        path = os.path.join(parent, f"{stem}{n}")
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            n += 1


def _rewrite(text: str, rewrites: Mapping[str, str]) -> str:
    for old, new in rewrites.items():
        if old in text:
            text = text.replace(old, new)
    return text


def _encode_env(env: Mapping[str, str]) -> dict[bytes, bytes]:
    return {os.fsencode(k): os.fsencode(v) for k, v in env.items()}


def _status_text(status: int) -> str:
    """statusToString."""
    if status < 0:
        import signal
        try:
            name = signal.strsignal(-status)
        except ValueError:
            name = None
        return f"failed due to signal {-status} ({name})"
    return f"failed with exit code {status}"
