"""The `pynix` command line: a thin adapter over nixlang.

    pynix instantiate [nix-instantiate flags] (FILE | - | --expr EXPR)
        drop-in for nix-instantiate: `--parse`, `--eval [--strict] [--json |
        --xml]`, with Nix's output and error text byte for byte.
    pynix eval [FILE | -E EXPR] [-A ATTR] [--json | --raw]
        the friendly front: the same values, errors with a pynix code, a hint
        and a pointer to `pynix explain`.
    pynix check [--json] [--no-lints] FILE...
        the editor's view: every syntax and static diagnostic of each file,
        with pynix codes and the repair error recovery made, then the lints
        and flake checks (JSON with --json).

Work runs in a thread with a large stack, so deeply nested input gives a
clear error instead of crashing the interpreter.
"""
from __future__ import annotations

import os
import sys
import threading

from . import errors
from .source import Source, decode
from .runtime.memory_guard import (budget_from_env, has_run_out, hidden_out_of_memory, install_guard, ran_out,
                                   read_all)
from .parse import ParseOptions, parse_full, parse_recover
from .syntax.printer import show, write_shown

USAGE = """usage: pynix COMMAND [ARGS]

commands:
  instantiate   nix-instantiate work-alike (--parse, --eval, --strict, --json, --xml, ...)
  eval          evaluate a file or -E EXPR; errors explained the pynix way
  explain       what an error code means (pynix explain E201, --list)
  derivation    `derivation show`: a .drv or the derivations of a file as JSON
  build         nix-build work-alike: build derivations (pynix's store, sandboxed with bwrap, or the daemon)
  store query   nix-store -q: --references, --referrers, --requisites, --tree, --graph, --deriver
  path-info     nix path-info: store paths' NAR sizes, closure sizes (-S), JSON
  why-depends   nix why-depends: the chain of references from a path to a dependency
  check         report every syntax, scope, lint and flake diagnostic of files (for editors and CI)
  lsp           run the language server (stdio; --tcp HOST:PORT for debugging)
  repl          interactive prompt for learners (:? for help, :trace EXPR shows laziness)
  playground    build or serve the browser playground (pynix on Pyodide, for workshops)
  graph         draw a build plan or a closure (SVG, HTML, dot, JSON)
"""

class UsageError(Exception):
    pass


def _common_arg(argv: list[str], i: int, config, common, auto_args: list, include: list) -> int | None:
    """A generic flag of Nix's commands, a setting's flag (see
    nixlang/settings.py) or an evaluation flag at argv[i]: the index after
    it, or None."""
    from .settings import ConfigFileError, SettingError, parse_common_flag
    try:
        nxt = parse_common_flag(argv, i, config, common)
    except SettingError as e:
        raise UsageError(str(e)) from None
    except ConfigFileError as e:
        raise errors.InputError(str(e)) from None
    return nxt if nxt is not None else _eval_arg(argv, i, auto_args, include)


def _flag_or_file(argv: list[str], i: int, config, common, auto_args: list, include: list, files: list,
                  command: str) -> int:
    """A generic flag at argv[i], or else a file argument: the index after it."""
    nxt = _common_arg(argv, i, config, common, auto_args, include)
    if nxt is not None:
        return nxt
    a = argv[i]
    if a.startswith("-") and a != "-":
        raise UsageError(f"unrecognised flag '{a}' (see 'pynix {command} --help')")
    files.append(a)
    return i + 1


def _load_config():
    """The settings of the nix.conf files, NIX_CONFIG and NIX_PATH."""
    from .settings import ConfigFileError, SettingError, load_config, load_nix_path_env
    try:
        config = load_config()
    except SettingError as e:
        raise UsageError(str(e)) from None
    except ConfigFileError as e:
        raise errors.InputError(str(e)) from None
    load_nix_path_env(config)
    return config


def _arg(argv: list[str], i: int, n: int = 1) -> list[str]:
    """The n arguments of the flag at argv[i] (Args: "requires N argument(s)")."""
    if i + n >= len(argv):
        raise UsageError(f"flag '{argv[i]}' requires {n} argument(s)")
    return argv[i + 1:i + 1 + n]


def _eval_arg(argv: list[str], i: int, auto_args: list, include: list) -> int | None:
    """MixEvalArgs' flags: --arg, --argstr, --arg-from-file, --arg-from-stdin,
    -I, --impure, --eval-store, --override-flake, --debugger."""
    a = argv[i]
    if a in ("--arg", "--argstr"):
        name, text = _arg(argv, i, 2)
        auto_args.append((a, name, text))
        return i + 3
    if a == "--arg-from-file":
        name, path = _arg(argv, i, 2)
        try:
            with open(path, "rb") as f:
                auto_args.append(("--argstr", name, decode(f.read())))
        except OSError as exc:
            raise errors.InputError(f"opening file '{os.path.abspath(path)}': {exc.strerror}") from None
        return i + 3
    if a == "--arg-from-stdin":
        (name,) = _arg(argv, i, 1)
        auto_args.append(("--argstr", name, decode(sys.stdin.buffer.read())))
        return i + 2
    if a in ("-I", "--include"):
        include.append(_arg(argv, i, 1)[0])
        return i + 2
    if a in ("--eval-store",):
        _arg(argv, i, 1)
        return i + 2
    if a == "--override-flake":
        _arg(argv, i, 2)
        return i + 3
    if a in ("--impure", "--debugger"):
        return i + 1
    return None


def _input_path(path: str) -> str:
    """The file an input argument names (a folder means its default.nix)."""
    full = os.path.abspath(path)
    return os.path.join(full, "default.nix") if os.path.isdir(full) else full


def _read_input(path: str) -> Source:
    if path == "-":
        return Source(decode(read_all(sys.stdin.buffer)), "«stdin»", os.getcwd())
    full = os.path.abspath(path)
    if not os.path.lexists(full):
        raise errors.InputError(f"getting status of '{full}': No such file or directory")
    if os.path.isdir(full):
        full = os.path.join(full, "default.nix")
    try:
        with open(full, "rb") as f:
            data = read_all(f)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise errors.InputError(f"opening file '{full}': {reason}") from None
    return Source(decode(data), full, os.path.dirname(full))


INSTANTIATE_USAGE = """usage: pynix instantiate [OPTIONS] [FILE... | -E EXPR... | -]

nix-instantiate, byte for byte: evaluate Nix files and write the derivations
they denote to the store (printing their .drv paths), or only parse or
evaluate them. With no FILE and no -E, ./default.nix is evaluated.

  --parse                   print the parsed expression (Nix's AST form)
  --eval, --eval-only       print the value instead of writing derivations
  --strict, --json, --xml, --no-location
                            evaluate completely / print as JSON or XML
  -A, --attr PATH           select an attribute (a."b.c".0) of the value
  --arg NAME EXPR, --argstr NAME STRING, --arg-from-file NAME PATH, --arg-from-stdin NAME
                            arguments for a function the value is
  -E, --expr                the arguments are expressions, not files
  -I, --include PATH        add to the search path (<name> lookups)
  --find-file               print where each <name> argument is found
  --add-root PATH, --indirect, --read-write-mode, --readonly-mode
  --store ROOT|daemon|unix://SOCKET|auto
                            where derivations are written: a local store
                            under ROOT, or a Nix daemon's (auto: the daemon
                            when its socket answers, else pynix's own store)
  --show-trace              errors with every trace frame

Settings (as Nix takes them; also from nix.conf files and NIX_CONFIG):
  --option NAME VALUE, --NAME VALUE, --NAME / --no-NAME (booleans),
  --extra-NAME VALUE (lists), e.g. --pure-eval, --restrict-eval,
  --allowed-uris, --abort-on-warn, --max-call-depth N, --nix-path, --system.
  The generic flags of Nix's commands are accepted: -v, --quiet, -j N,
  --cores N, --timeout N, --keep-going, --fallback, --log-format F, ...
"""


def instantiate(argv: list[str], out, err) -> int:
    """`pynix instantiate`: nix-instantiate's argument handling (LegacyArgs
    plus its own flags, in main_nix_instantiate), then parse, evaluate or
    instantiate each input."""
    from .settings import CommonFlags, expand_short_flags
    config = _load_config()
    common = CommonFlags()
    mode = None
    flags: set[str] = set()
    attr_paths: list[str] = []
    auto_args: list[tuple[str, str, str]] = []   # (kind, name, text)
    include: list[str] = []
    files: list[str] = []
    from_expr = read_stdin = False
    store_root = add_root = None
    argv = expand_short_flags(argv)
    dash_dash = False
    i = 0
    try:
        while i < len(argv):
            a = argv[i]
            if not dash_dash:
                if a == "--":
                    dash_dash = True
                    i += 1
                    continue
                if a == "--help":
                    out.write(INSTANTIATE_USAGE)
                    return 0
                nxt = _common_arg(argv, i, config, common, auto_args, include)
                if nxt is not None:
                    i = nxt
                    continue
            # main_nix_instantiate's own arguments
            if a == "--version":
                from .version import __version__
                out.write(f"pynix instantiate {__version__}\n")
                return 0
            if a == "-":
                read_stdin = True
            elif a in ("--expr", "-E"):
                from_expr = True
            elif a in ("--eval", "--eval-only"):
                mode = mode or "eval"
            elif a in ("--parse", "--parse-only"):
                mode = "parse"
            elif a == "--find-file":
                mode = "find-file"
            elif a in ("--attr", "-A", "--add-root"):
                if i + 1 >= len(argv):
                    raise UsageError(f"'{a}' requires an argument")
                i += 1
                if a == "--add-root":
                    add_root = argv[i]
                else:
                    attr_paths.append(argv[i])
            elif a in ("--read-write-mode", "--strict", "--json", "--xml", "--no-location", "--repair"):
                flags.add(a)
            elif a in ("--dry-run", "--indirect"):
                pass
            elif a.startswith("-"):
                raise UsageError(f"unexpected argument '{a}'" if dash_dash else f"unrecognised flag '{a}'")
            else:
                files.append(a)
            i += 1
    except UsageError:
        config.flush_warnings(err)   # what Nix printed while parsing
        raise
    config.flush_warnings(err)
    store_root = config["store"]          # --store, or the `store` setting (nix.conf, NIX_CONFIG)
    from .settings import eval_options
    options = eval_options(config, include)
    if mode == "find-file":
        return _find_files(files, options, out, err)
    sources: list = []
    if read_stdin:
        sources.append(("-", None))
    if from_expr:
        sources += [(e, Source(e, "«string»", os.getcwd())) for e in files]
    elif files:
        sources += [(f, None) for f in files]
    elif not read_stdin:
        sources.append(("./default.nix", None))
    if mode != "parse":
        if mode == "eval":
            flags.add("--eval")
        return _eval(sources, flags, attr_paths, auto_args, options, out, err,
                     print_result=(mode == "eval"), show_trace=bool(config["show-trace"]),
                     store_root=store_root, add_root=add_root, setup=_builds(config, err, store_root))
    popts = ParseOptions(pipe_operators="pipe-operators" in options.experimental_features,
                         lints=options.lints)
    for name, src in sources:
        if src is None:
            src = _read_input(name)
        result = parse_full(src, popts)
        for message, offset in result.warnings:
            err.write(errors.render_warning(message, src, offset))
        # A big input's text goes before its tree is shown, and the tree is
        # written as it is shown (`write_shown`), so that a big output is never
        # whole in memory (the stream encodes a piece at a time).
        tree, result, src = result.ast, None, None
        write_shown(tree, out.write)
        out.write("\n")
    return 0


def _find_files(names: list[str], options, out, err) -> int:
    """--find-file: where each name is found in the search path."""
    from .builtins.filesystem import find_file, search_path
    from .evaluator import Evaluator
    ev = Evaluator(options)
    ev.stderr = err
    for name in names:
        try:
            out.write(find_file(ev, search_path(ev), name) + "\n")
        except errors.NixError as e:
            err.write(errors.render_nix_eval(e, False))
            return 1
    return 0


def _eval(sources, flags, attr_paths, auto_args, options, out, err, print_result=True, show_trace=False,
          render=None, store_root=None, add_root=None, always_call=False, collect=None, setup=None) -> int:
    """Evaluate each (name, source) input (a None source: read the file
    `name`, `-` for stdin) and print the values, or write and print the
    derivations they denote (or, given a `collect` list, add their
    (drvPath, output) pairs to it). `setup(ev)` runs before evaluating."""
    from .attrpath import auto_call, find_along_attr_path
    from .evaluator import Evaluator
    from .runtime.printer import print_value
    ev = Evaluator(options)
    _keep(ev)
    ev.stderr = err
    render = render or errors.render_nix_eval
    from .builtins.derivations import eval_store, open_store
    if not print_result or "--read-write-mode" in flags:
        # nix-instantiate writes derivations unless it only evaluates (--eval
        # is read-only, as in Nix, unless --read-write-mode)
        try:
            eval_store(ev).writer = open_store(store_root)
        except errors.NixError as e:
            err.write(render(e, False))
            return 1
    if setup is not None:
        setup(ev)
    roots = 0
    warned_gc = False
    strict = "--strict" in flags
    for name, src in sources:
        out_of_memory = False
        try:
            if src is None:
                if name.startswith("<") and name.endswith(">") and len(name) > 2:
                    # lookupFileArg: <name> is looked up in the search path
                    from .builtins.filesystem import find_file, search_path
                    name = find_file(ev, search_path(ev), name[1:-1])
                if name != "-":
                    # the file itself is read through the evaluator's access checks
                    ev.check_access(_input_path(name))
                src = _read_input(name)
            root = ev.eval_source(src)
            args = {}
            for kind, arg_name, text in auto_args:
                args[arg_name] = text if kind == "--argstr" else ev.eval_string(text)
            for path in attr_paths or [""]:
                v = find_along_attr_path(ev, root, path, args)
                if args or always_call:
                    # nix-instantiate calls the result only when given --arg/--argstr;
                    # `pynix eval`, like `nix eval -f`, always does
                    v = auto_call(ev, v, args)
                if not print_result:
                    # nix-instantiate without --eval: the derivations found were
                    # written as they were made; print their paths
                    from .builtins.derivations import get_derivations
                    for drv_path, output in get_derivations(ev, v, lambda x: auto_call(ev, x, args)):
                        if collect is not None:
                            collect.append((drv_path, output))
                            continue
                        shown = drv_path
                        if add_root is None:
                            if not warned_gc:   # printGCWarning warns once
                                warned_gc = True
                                err.write("warning: you did not specify '--add-root'; the result might be "
                                          "removed by the garbage collector\n")
                        else:
                            roots += 1
                            shown = os.path.abspath(add_root) + (f"-{roots}" if roots > 1 else "")
                            _add_root(shown, eval_store(ev).writer.real_path(drv_path))
                        out.write(shown + ("" if output == "out" else "!" + output) + "\n")
                    continue
                # with --strict, --xml and --json force each value as they
                # print it, in their order (names sorted), as nix-instantiate's
                # printValueAsXML / printValueAsJSON do (without it they force
                # nothing); the plain printer gets the value forced first
                # (forceValueDeep, the attrsets' own order): the order decides
                # which of two errors shows
                if strict and "--xml" not in flags and "--json" not in flags:
                    ev.deep_force(v)
                if "--xml" in flags:
                    from .builtins.serialize import to_xml
                    out.write(to_xml(ev, v, location="--no-location" not in flags, strict=strict))
                elif "--json" in flags:
                    from .builtins.serialize import to_json as builtin_to_json
                    out.write(builtin_to_json(ev, v, strict=strict) + "\n")
                elif "--raw" in flags:
                    from .runtime import ops
                    out.write(ops.coerce_to_string(v, set(), interp=True, call=ev.call))
                else:
                    out.write(print_value(v, strict=strict) + "\n")
        except errors.InputError:
            out.flush()
            raise                    # an unreadable input: shown as Nix shows it, by run()
        except errors.NixError as e:
            out.flush()
            err.write(render(e, show_trace))
            return 1
        except RecursionError:
            out.flush()
            err.write(render(errors.StackOverflow("stack overflow; max-call-depth exceeded"), show_trace))
            return 1
        except MemoryError:
            out_of_memory = True
        except Exception as e:  # a pynix bug must still be a clean error, never a traceback
            if not hidden_out_of_memory(e):
                out.flush()
                err.write(f"error: internal pynix error (please report it): {type(e).__name__}: {e}\n")
                return 1
            out_of_memory = True
        if out_of_memory:
            # said after the except clause has let go of the error: its
            # traceback holds the frames, and the memory, that ran out (writing
            # the message inside it could fail for want of memory)
            ran_out()
            out.flush()
            err.write(render(errors.OutOfMemory("out of memory"), show_trace))
            return 1
    return 0


BUILD_USAGE = """usage: pynix build [OPTIONS] [FILE... | -E EXPR... | PATH.drv...]

nix-build: evaluate Nix files (./default.nix by default) or expressions,
write their derivations to the store, build them (inputs first) and print
the output paths. Builders run with Nix's environment, inside a sandbox
made by bwrap (Debian: bubblewrap) that shows only the input closure (the
store read-only), no network unless the derivation is fixed-output, and the
host's /bin, /usr, /lib, /lib64 (the `sandbox-paths` setting replaces them);
without bwrap they run unsandboxed, with a warning. Outputs are checked
(references, cycles, fixed-output hashes), registered and kept in the store;
each build's log is ROOT/nix/var/log/nix/drvs/XX/REST.bz2.

  -A, --attr PATH           select an attribute of the value
  -E, --expr                the arguments are expressions, not files
  -o, --out-link PATH       the symlink to the result (default ./result;
                            then result-2, ..., result-dev for output dev)
  --no-out-link             make no symlink
  -K, --keep-failed         keep the build directory of a failed build
  --dry-run                 show what would be built, build nothing
  --store STORE             ROOT: the store under ROOT/nix/store; local: a
                            per-user folder; daemon or unix://SOCKET: the Nix
                            daemon's store, which then builds; auto (the
                            default): the daemon when one answers, else local
  --arg NAME EXPR, --argstr NAME STRING, -I PATH, --option NAME VALUE, --cores N,
  --show-trace, ...         as for pynix instantiate
"""


def build_cmd(argv: list[str], out, err) -> int:
    """`pynix build`: nix-build's argument handling (main_nix_build), then
    instantiate and realise (nixlang/store/build.py)."""
    from .settings import CommonFlags, eval_options, expand_short_flags
    config = _load_config()
    common = CommonFlags()
    attr_paths: list[str] = []
    auto_args: list = []
    include: list[str] = []
    files: list[str] = []
    from_expr = dry_run = False
    out_link: str | None = "result"
    argv = expand_short_flags(argv)
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            out.write(BUILD_USAGE)
            return 0
        if a in ("-A", "--attr", "-o", "--out-link"):
            (value,) = _arg(argv, i, 1)
            if a in ("-A", "--attr"):
                attr_paths.append(value)
            else:
                out_link = value
            i += 2
            continue
        if a in ("-E", "--expr"):
            from_expr = True
        elif a == "--no-out-link":
            out_link = None
        elif a == "--dry-run":
            dry_run = True
        else:
            i = _flag_or_file(argv, i, config, common, auto_args, include, files, "build")
            continue
        i += 1
    config.flush_warnings(err)
    from .builtins.derivations import build_store, enable_builds, eval_store
    from .store.daemon import daemon_available
    spec = str(config["store"] or "auto")
    if spec == "daemon" or spec.startswith("unix://") or (spec == "auto" and daemon_available()):
        return _build_through_daemon(spec, files, from_expr, attr_paths, auto_args, include, config,
                                     out_link, dry_run, out, err)
    try:
        store = build_store(config["store"])
    except errors.NixError as e:
        err.write(errors.render_nix(e))
        return 1
    store_root = store.root
    settings = build_settings(config)
    wanted, sources = _build_targets(files, from_expr, store.store_dir)
    known: dict = {}
    if sources:
        def setup(ev):
            enable_builds(ev, settings, progress=_progress(err), output=_builder_output(err), root=store_root)
            known["refs"] = eval_store(ev).refs
        status = _eval(sources, set(), attr_paths, auto_args, eval_options(config, include), out, err,
                       print_result=False, show_trace=bool(config["show-trace"]), store_root=store_root,
                       collect=wanted, setup=setup)
        if status:
            return status
    from .store.build import BuildFailure, Worker
    from .store.errors import StoreError
    worker = Worker(store, settings, progress=_progress(err), output=_builder_output(err),
                    known_references=known.get("refs"))
    drvs = list(dict.fromkeys(d for d, _ in wanted))
    try:
        if dry_run:                 # what would be built, in Nix 2.8's words
            worker.announce(worker.plan(drvs))
            return 0
        built = worker.realise(drvs)
    except BuildFailure as e:
        for line in e.lines:
            err.write(_error_text(line))
        return e.status
    except StoreError as e:
        err.write(_error_text(e.message))
        return getattr(e, "status", 1)
    except OSError as e:
        err.write(_error_text(f"{e.filename or 'the store'}: {e.strerror or e}"))
        return 1
    _results(wanted, built, out_link, store.real_path, out)
    return 0


def _build_targets(files: list[str], from_expr: bool, store_dir: str):
    """What `pynix build` was given: (wanted, sources), the .drv paths in the
    store as (drv, "": all its outputs) and the files or expressions to
    evaluate as `_eval` takes them (./default.nix when nothing is given)."""
    wanted: list[tuple[str, str]] = []
    sources = []
    for f in files:
        if not from_expr and f.endswith(".drv") and f.startswith(store_dir + "/"):
            wanted.append((f, ""))
        else:
            sources.append((f, Source(f, "«string»", os.getcwd()) if from_expr else None))
    if not files:
        sources.append(("./default.nix", None))
    return wanted, sources


def _results(wanted, built, out_link, real_path, out) -> None:
    """The result symlinks, as nix-build names them: one prefix per
    derivation (result, result-2, ...), "-OUTPUT" for an output other than
    out; then the output paths, one per line."""
    prefixes: dict[str, str] = {}
    paths: list[str] = []
    for drv_path, output in wanted:
        for name in ([output] if output else sorted(built[drv_path])):
            path = built[drv_path][name]
            paths.append(path)
            if out_link is None:
                continue
            if drv_path not in prefixes:
                prefixes[drv_path] = out_link + (f"-{len(prefixes) + 1}" if prefixes else "")
            link = prefixes[drv_path] + ("" if name == "out" else "-" + name)
            _add_root(os.path.abspath(link), real_path(path))
    for path in paths:
        out.write(path + "\n")


def _build_through_daemon(spec, files, from_expr, attr_paths, auto_args, include, config, out_link, dry_run,
                          out, err) -> int:
    """`pynix build` with a Nix daemon's store (`--store daemon`,
    `unix://SOCKET`, or `auto` when a daemon answers, as nix-build chooses):
    the derivations are written through the daemon and the daemon builds
    them (wopBuildPaths), its build log shown as it comes."""
    from . import store as S
    from .builtins.derivations import eval_store
    from .settings import eval_options
    from .store.daemon import DaemonStore
    if dry_run:
        raise UsageError("--dry-run is not supported with the Nix daemon's store (use nix-build --dry-run)")
    wanted, sources = _build_targets(files, from_expr, S.STORE_DIR)
    known: dict = {}
    if sources:
        status = _eval(sources, set(), attr_paths, auto_args, eval_options(config, include), out, err,
                       print_result=False, show_trace=bool(config["show-trace"]), store_root=spec,
                       collect=wanted, setup=lambda ev: known.setdefault("st", eval_store(ev)))
        if status:
            return status
    st = known.get("st")
    built: dict[str, dict[str, str]] = {}
    try:
        for drv_path, _ in wanted:
            if drv_path not in built:
                drv = st.drvs[drv_path][0] if st is not None and drv_path in st.drvs \
                    else S.read_derivation_file(drv_path)
                built[drv_path] = drv.output_paths(drv_path)
        store = st.writer if st is not None and isinstance(st.writer, DaemonStore) \
            else DaemonStore(None if spec in ("daemon", "auto") else spec[len("unix://"):])
        store.log = lambda line: (err.write(line + "\n"), err.flush())
        outputs: dict[str, set] = {}
        for drv_path, output in wanted:
            outputs.setdefault(drv_path, set()).update([output] if output else built[drv_path])
        store.build_paths(sorted(outputs.items()))
    except S.StoreError as e:
        err.write(_error_text(e.message))
        return 1                  # (nix-build through the daemon exits 1 too: the status stays there)
    except OSError as e:
        err.write(_error_text(f"reading '{e.filename}': {e.strerror}"))
        return 1
    _results(wanted, built, out_link, lambda p: p, out)
    return 0


def _builds(config, err, store_root):
    """The `setup` that lets an evaluation build what import from derivation
    needs, in the store `store_root` (a --store value) names."""
    def setup(ev):
        from .builtins.derivations import enable_builds
        # the settings (and the builder they import) are made at the first
        # build: most evaluations build nothing
        enable_builds(ev, lambda: build_settings(config), progress=_progress(err),
                      output=_builder_output(err), root=store_root)
    return setup


def build_settings(config):
    """The settings of a build, from nix.conf and the command line."""
    from .store.build import BuildSettings
    return BuildSettings(system=str(config["system"]), cores=int(config["cores"] or 0),
                         keep_failed=bool(config["keep-failed"]),
                         sandbox_paths=list(config["sandbox-paths"]) or None,
                         tmp_dir=str(config["build-dir"]) or None,
                         sandbox=str(config["sandbox"]).lower() not in ("false", "0"),
                         **({"system_features": frozenset(config["system-features"])}
                            if config["system-features"] else {}))


def _progress(err):
    def write(line: str) -> None:
        err.write(line + "\n")
        err.flush()
    return write


def _builder_output(err):
    """Where builders' output goes: the error stream, as bytes."""
    def write(data: bytes) -> None:
        err.flush()
        buffer = getattr(err, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:
            err.write(data.decode("utf-8", "replace"))
    return write


def _error_text(message: str) -> str:
    """A store error as Nix prints it: `error: `, further lines indented."""
    first, *rest = message.split("\n")
    return "error: " + first + "".join("\n       " + r for r in rest) + "\n"


EVAL_USAGE = """usage: pynix eval [FILE | -E EXPR] [-A ATTR] [--json | --raw] [--arg NAME EXPR]
                  [--argstr NAME STRING] [-I PATH] [--show-trace] [SETTINGS...]

Evaluate a Nix file or expression completely and print the value (like
`nix eval`). Errors show Nix's message, then the pynix code, a hint and
where to read more (`pynix explain CODE`).

Settings are taken as `pynix instantiate` takes them: --option NAME VALUE,
--NAME VALUE, --NAME / --no-NAME, --extra-NAME VALUE, nix.conf and NIX_CONFIG.
"""


def eval_cmd(argv: list[str], out, err) -> int:
    """`pynix eval`: the friendly front; same values as `pynix instantiate --eval --strict`."""
    from .ide.hints import render as _render
    from .resolve.globals import GLOBAL_NAMES
    from .settings import CommonFlags, eval_options, expand_short_flags

    def render_friendly(e, show_trace):
        # "did you mean" also looks among the builtins always in scope
        return _render(e, show_trace, names=GLOBAL_NAMES)
    flags = {"--strict"}
    files: list[str] = []
    attr_paths: list[str] = []
    auto_args: list[tuple[str, str, str]] = []
    include: list[str] = []
    exprs: list[str] = []
    config = _load_config()
    common = CommonFlags()
    argv = expand_short_flags(argv)
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            out.write(EVAL_USAGE)
            return 0
        if a in ("--json", "--raw"):
            flags.add(a)
        elif a in ("-E", "--expr", "-A", "--attr"):
            (value,) = _arg(argv, i, 1)
            (exprs if a in ("-E", "--expr") else attr_paths).append(value)
            i += 1
        else:
            i = _flag_or_file(argv, i, config, common, auto_args, include, files, "eval")
            continue
        i += 1
    config.flush_warnings(err)
    if "--json" in flags and "--raw" in flags:
        raise UsageError("--json and --raw cannot be used together")
    if exprs and files:
        raise UsageError("give either a file or -E EXPR, not both")
    if not exprs and not files:
        raise UsageError("nothing to evaluate: give a FILE or -E EXPR (see 'pynix eval --help')")
    sources = ([(e, Source(e, "«string»", os.getcwd())) for e in exprs] if exprs
               else [(f, None) for f in files])
    return _eval(sources, flags, attr_paths, auto_args, eval_options(config, include), out, err,
                 show_trace=bool(config["show-trace"]), render=render_friendly, always_call=True,
                 setup=_builds(config, err, config["store"]))


def _keep(ev) -> None:
    """In a one-shot process the evaluator lives until the process exits
    (runtime/memory.py: no teardown of the heap)."""
    from .runtime import memory
    if memory.ONE_SHOT:
        memory.keep_alive(ev)


def _add_root(link: str, target: str) -> None:
    """--add-root: a symlink to the store object (replaced if it exists)."""
    tmp = link + ".tmp-pynix"
    try:
        os.unlink(tmp)
    except OSError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)


CHECK_USAGE = """usage: pynix check [--json] [--no-lints] FILE...

Report what the editor shows, in a terminal: every syntax and scope error of
each file (with the repair error recovery made), then the lints (W0xx) and,
for a flake.nix beside its flake.lock, the flake checks (F0xx), one
`FILE:LINE:COL: CODE message` line each (a JSON list with --json). `-` reads
standard input. The exit status is 1 when there is an error.
"""


def check(argv: list[str], out, err) -> int:
    """`pynix check [--json] [--no-lints] FILE...`: what the editor shows, in a
    terminal: every syntax and scope error (with the repair recovery made),
    then the lints (W0xx) and, for a flake.nix beside its flake.lock, the
    flake checks (F0xx), each `FILE:LINE:COL: CODE message`. The exit status
    is 1 when there is an error; warnings alone leave it 0."""
    if any(a in ("-h", "--help") for a in argv):
        out.write(CHECK_USAGE)
        return 0
    as_json = "--json" in argv
    lints = "--no-lints" not in argv
    paths = [a for a in argv if a not in ("--json", "--no-lints")]
    for a in paths:
        if a.startswith("-") and a != "-":
            raise UsageError(f"unrecognised flag '{a}' (see 'pynix check --help')")
    if not paths:
        raise UsageError("pynix check: give one or more files (or - for stdin)")
    worst = 0
    report = []
    for p in paths:
        src = _read_input(p)
        # a flake.lock is JSON: only the flake checks apply to it (as in the editor)
        is_lock = os.path.basename(src.origin) == "flake.lock"
        res = parse_recover(src) if not is_lock else None
        for d in res.diagnostics if res is not None else ():
            worst = 1
            item = d.to_dict()
            item["severity"] = "error"
            repair = getattr(d, "repair", "")
            if repair:
                item["repair"] = repair
            report.append(item)
            if not as_json:
                line, col = src.line_col(d.span.start) if d.span else (0, 0)
                extra = f" [{repair}]" if repair else ""
                out.write(f"{src.origin}:{line}:{col}: {d.code} {d.message}{extra}\n")
        if not lints and not is_lock:
            continue
        from . import ide         # the editor's checks (an adapter may use every layer)
        path = src.origin if os.path.isabs(src.origin) else None
        an = ide.analyze(src.text, path)
        for d in ide.diagnostics(an):
            if d.code.startswith("E") and not is_lock:      # reported above, from the same parse
                continue
            if d.severity == "error":
                worst = 1
            (sl, sc), (el, ec) = src.line_col(d.start), src.line_col(d.end)
            message = d.message.split("\n", 1)[0]
            report.append({"code": d.code, "message": message, "origin": src.origin, "start": [sl, sc],
                           "end": [el, ec], "severity": d.severity, "hint": d.hint})
            if not as_json:
                out.write(f"{src.origin}:{sl}:{sc}: {d.code} {message}\n")
                if d.hint:
                    out.write(f"    {d.hint}\n")
    if as_json:
        import json
        out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return worst


DERIVATION_USAGE = """usage: pynix derivation show [--store DIR] [--legacy] (PATH.drv | FILE [-A ATTR] | -E EXPR)

Print derivations as JSON, as `nix derivation show` does (format version 4,
keyed by the .drv's name in the store); --legacy prints Nix 2.8's
`nix show-derivation` layout. A .drv path is read from the store (--store as
for instantiate); a Nix file or expression is evaluated, read-only, and the
derivations it denotes are shown.
"""


def evaluate_derivations(files: list[str], exprs: list[str], attr_paths: list[str], err,
                         from_context: bool = False):
    """Evaluate, read-only, the Nix files and expressions given and find the
    derivations they denote (as `nix-instantiate` would, `-A` paths and
    auto-called functions included): (read, their .drv paths), `read` giving
    the `Derivation` of any .drv path met (inputs too); None after printing
    the evaluation error. With `from_context`, a value that denotes no
    derivation is evaluated completely and the derivations its strings'
    contexts name are taken (`"${pkgs.hello}"`, a record of drvPaths)."""
    from .attrpath import auto_call, find_along_attr_path
    from .builtins.derivations import eval_store, get_derivations
    from .evaluator import Evaluator
    from .settings import eval_options
    ev = Evaluator(eval_options(_load_config()))
    _keep(ev)
    ev.stderr = err
    sources = [Source(e, "«string»", os.getcwd()) for e in exprs] + [_read_input(f) for f in files]
    found: list[str] = []
    try:
        for src in sources:
            root = ev.eval_source(src)
            for path in attr_paths or [""]:
                v = find_along_attr_path(ev, root, path, {})
                got = [drv_path for drv_path, _ in get_derivations(ev, v, lambda x: auto_call(ev, x, {}))]
                found += got or (_context_derivations(ev, v) if from_context else [])
    except errors.NixError as e:
        err.write(errors.render_nix_eval(e, False))
        return None
    st = eval_store(ev)
    return st._read_derivation, list(dict.fromkeys(found))


def _context_derivations(ev, v) -> list[str]:
    """The .drv paths named by the contexts of the strings in `v`, evaluated completely."""
    from .builtins.context import elem_kind
    from .runtime.values import Attrs, CtxStr, force
    ev.deep_force(v)
    found: list[str] = []
    seen: set = set()
    todo = [v]
    while todo:
        x = force(todo.pop())
        if type(x) is CtxStr:
            for elem in sorted(x.context):
                kind, path, _ = elem_kind(elem)
                if kind != "opaque" or path.endswith(".drv"):
                    found.append(path)
        elif type(x) in (list, Attrs) and id(x) not in seen:
            seen.add(id(x))
            todo.extend(reversed(list(x.d.values())) if type(x) is Attrs else reversed(x))
    return list(dict.fromkeys(found))


def derivation_cmd(argv: list[str], out, err) -> int:
    """`pynix derivation show`."""
    if not argv:
        raise UsageError("'pynix derivation' needs a subcommand: show (see 'pynix derivation --help')")
    if argv[0] in ("-h", "--help"):
        out.write(DERIVATION_USAGE)
        return 0
    if argv[0] != "show":
        raise UsageError(f"'{argv[0]}' is not a recognised command of 'pynix derivation' "
                         "(its subcommand is: show)")
    if any(a in ("-h", "--help") for a in argv[1:]):
        out.write(DERIVATION_USAGE)
        return 0
    from . import store as S
    store_root = None
    legacy = False
    attr_paths: list[str] = []
    targets: list[str] = []
    exprs: list[str] = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("--store", "-A", "--attr", "-E", "--expr"):
            val, = _arg(argv, i)
            if a == "--store":
                store_root = val
            elif a in ("-A", "--attr"):
                attr_paths.append(val)
            else:
                exprs.append(val)
            i += 2
            continue
        if a == "--legacy":
            legacy = True
        elif a.startswith("-"):
            raise UsageError(f"unrecognised flag '{a}' (see 'pynix derivation --help')")
        else:
            targets.append(a)
        i += 1
    from .builtins.derivations import local_store
    local = local_store(store_root)
    shown: dict = {}

    def show_one(drv_path: str, drv) -> None:
        if legacy:
            shown.update(S.to_legacy_json(drv, drv_path))
        else:
            shown[drv_path.rpartition("/")[2]] = S.to_json(drv)

    drv_files = [t for t in targets if t.endswith(".drv")]
    nix_files = [t for t in targets if not t.endswith(".drv")]
    for t in drv_files:
        real = t if os.path.exists(t) and not t.startswith(local.store_dir + "/") else None
        if real is None:
            try:
                real = local.real_path(t)
            except ValueError as exc:
                raise errors.InputError(str(exc)) from None
        try:
            with open(real, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise errors.InputError(f"opening file '{real}': {exc.strerror}") from None
        name = os.path.basename(t)[33:-4] if len(os.path.basename(t)) > 37 else None
        try:
            drv = S.parse_derivation(data, name)
        except S.StoreError as exc:
            raise errors.InputError(f"error parsing derivation '{t}': {exc.message}") from None
        path = t if t.startswith(local.store_dir + "/") else local.store_dir + "/" + os.path.basename(t)
        show_one(path, drv)
    if nix_files or exprs:
        got = evaluate_derivations(nix_files, exprs, attr_paths, err)
        if got is None:
            return 1
        read, drv_paths = got
        for drv_path in drv_paths:
            show_one(drv_path, read(drv_path))
    if not drv_files and not nix_files and not exprs:
        raise UsageError("give a .drv path, a Nix file or -E EXPR (see 'pynix derivation --help')")
    import json
    out.write(json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return 0


EXPLAIN_USAGE = """usage: pynix explain CODE | --list

What an error code of pynix means (E0xx syntax, E2xx evaluation, W0xx lints,
F0xx flake checks): the explanation, a broken example and its fix.
--list lists every code with its title.
"""


def explain(argv: list[str], out, err) -> int:
    """`pynix explain CODE` / `--list`: what an error code means, from the
    catalogue (nixlang/errors/catalogue.py): the explanation, a broken
    example that raises the code and its fixed version."""
    from .errors.catalogue import all_codes, explanation
    if not argv or argv[0] in ("-h", "--help"):
        out.write(EXPLAIN_USAGE)
        return 0 if argv else 1
    if argv[0] == "--list":
        for code in all_codes():
            out.write(f"{code}  {explanation(code).title}\n")
        return 0
    if len(argv) > 1:
        raise UsageError("give one error code (see 'pynix explain --list')")
    try:
        e = explanation(argv[0])
    except KeyError:
        raise UsageError(f"unknown error code '{argv[0]}' (see 'pynix explain --list')") from None

    def example(text: str) -> str:
        # a NUL byte (E006) is shown as Nix shows it in messages
        return "".join(f"    {line}".rstrip() + "\n" for line in text.replace("\0", "\u2400").splitlines())

    out.write(f"{e.code}: {e.title}\n\n{e.text}\n")
    if e.family:
        out.write(f"\n(Family: {e.family}.)\n")
    out.write("\nBroken:\n" + example(e.broken) + "\nFixed:\n" + example(e.fixed))
    if e.stage == "input":
        out.write("\nRun the commands")
    elif e.stage in ("lint", "flake"):
        out.write(f"\nTry it: {e.command()}")
    else:
        out.write(f"\nTry it: save an example as example.nix and run `{e.command()}`"
                  if e.flags() is not None else f"\nTry it: {e.command()}")
    if e.files:
        out.write(" in a folder that also holds " + ", ".join(name for name, _ in e.files))
    out.write(".\n")
    return 0


LSP_USAGE = """usage: pynix lsp [--stdio | --tcp HOST:PORT]

Run the Nix language server (needs the `lsp` extra: pip install 'pynix[lsp]').
"""


def lsp_cmd(argv: list[str], out, err) -> int:
    """`pynix lsp [--stdio | --tcp HOST:PORT]`: the language server.

    The server (package `lsp`) sits above the CLI in the layer order, so it
    is imported by name at run time rather than with an import statement."""
    import importlib
    try:
        server = importlib.import_module("lsp.server")
    except ImportError as exc:
        if any(a in ("-h", "--help") for a in argv):
            out.write(LSP_USAGE)
            return 0
        err.write(f"error: the language server needs pygls and lsprotocol ({exc}), which pynix "
                  "depends on: reinstall pynix (pip install -e . in a clone)\n")
        return 1
    return server.main(argv, out, err)


REPL_USAGE = """usage: pynix repl [-I PATH]... [FILE | <NAME>]...

An interactive Nix prompt for learners, like `nix repl`: type expressions or
bindings (`x = 1`); `:?` lists the commands (`:p`, `:t`, `:doc`, `:l`,
`:explain CODE`, `:trace EXPR`, `:q`, ...). Each FILE (or `<NAME>` from the
search path: `pynix repl '<nixpkgs>'`) is loaded first, as `:l` does; -I adds
to the search path before NIX_PATH.
"""


def repl_cmd(argv: list[str], out, err) -> int:
    """`pynix repl`: the interactive prompt (nixlang/repl.py)."""
    from .settings import CommonFlags, eval_options, expand_short_flags
    config = _load_config()
    common = CommonFlags()
    argv = expand_short_flags(argv)
    include: list[str] = []
    auto_args: list = []
    files: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            out.write(REPL_USAGE)
            return 0
        nxt = _common_arg(argv, i, config, common, auto_args, include)
        if nxt is not None:
            i = nxt
            continue
        if a.startswith("-"):
            raise UsageError(f"unrecognised flag '{a}' (see 'pynix repl --help')")
        files.append(a)
        i += 1
    config.flush_warnings(err)
    if auto_args:
        raise UsageError("--arg and --argstr are not supported by pynix repl")
    from .evaluator import Evaluator
    from .repl import Repl, run_repl
    repl = Repl(Evaluator(eval_options(config, include)))
    _builds(config, sys.stderr, config["store"])(repl.ev)      # import from derivation builds, as in `nix repl`
    return run_repl(repl=repl, load=files)


PLAYGROUND_USAGE = """usage: pynix playground build DIR [--lessons FOLDER]
       pynix playground serve [--port N] [--host HOST] [DIR]

build: write the browser playground into DIR, a static site that needs
nothing from the network once built: the Pyodide runtime and the editor come
from npm (the build runs npm, which must be installed), pynix and lark are
packed as wheels from this installation, the lessons from examples/lessons.
serve: serve DIR (default: the current folder) on localhost, port 8000 by
default; --host 0.0.0.0 lets other machines in (a workshop's attendees).
"""


def playground_cmd(argv: list[str], out, err) -> int:
    """`pynix playground build|serve` (nixlang/playground)."""
    if not argv or argv[0] in ("-h", "--help"):
        out.write(PLAYGROUND_USAGE)
        return 0 if argv else 1
    sub, rest = argv[0], argv[1:]
    if sub not in ("build", "serve"):
        raise UsageError(f"'{sub}' is not a subcommand of 'pynix playground' (build or serve)")
    if any(a in ("-h", "--help") for a in rest):
        out.write(PLAYGROUND_USAGE)
        return 0
    opts = {"--port": "8000", "--host": "127.0.0.1", "--lessons": None}
    allowed = ("--lessons",) if sub == "build" else ("--port", "--host")
    positional: list[str] = []
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in allowed:
            (opts[a],) = _arg(rest, i, 1)
            i += 2
            continue
        if a.startswith("-"):
            raise UsageError(f"unrecognised flag '{a}' (see 'pynix playground --help')")
        positional.append(a)
        i += 1
    if len(positional) > 1:
        raise UsageError("give one folder")
    if sub == "build":
        if not positional:
            raise UsageError("pynix playground build: give the folder to write the site into")
        from .playground.site import BuildError, build
        try:
            build(positional[0], opts["--lessons"], log=lambda line: (out.write(line + "\n"), out.flush()))
        except BuildError as e:
            err.write(f"error: {e}\n")
            return 1
        return 0
    try:
        port = int(opts["--port"])
        if not 0 <= port < 65536:
            raise ValueError
    except ValueError:
        raise UsageError(f"--port wants a port number, not '{opts['--port']}'") from None
    from .playground.server import serve
    try:
        return serve(positional[0] if positional else ".", port, opts["--host"], out=out)
    except FileNotFoundError as e:
        err.write(f"error: {e}\n")
        return 1
    except OSError as e:
        err.write(f"error: cannot serve on {opts['--host']}:{port}: {e.strerror or e}\n")
        return 1


def _store_command(name: str):
    """A command of cli_store.py, imported when it runs."""
    def cmd(argv: list[str], out, err) -> int:
        from . import cli_store
        return getattr(cli_store, name)(argv, out, err)
    return cmd


COMMANDS = {"instantiate": instantiate, "eval": eval_cmd, "check": check, "explain": explain,
            "derivation": derivation_cmd, "build": build_cmd, "lsp": lsp_cmd, "repl": repl_cmd,
            "playground": playground_cmd, "graph": lambda argv, out, err: _graph_cmd(argv, out, err),
            "store": _store_command("store_cmd"), "path-info": _store_command("path_info_cmd"),
            "why-depends": _store_command("why_depends_cmd")}


def _graph_cmd(argv, out, err) -> int:
    from .graph_cmd import graph_cmd
    return graph_cmd(argv, out, err)


def run(argv: list[str], out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    if not argv or argv[0] in ("-h", "--help", "help"):
        out.write(USAGE)
        return 0 if argv else 1
    if argv[0] == "--version":
        from .version import __version__
        out.write(f"pynix {__version__}\n")
        return 0
    cmd = COMMANDS.get(argv[0])
    if cmd is None:
        err.write(f"error: unknown command '{argv[0]}'\n{USAGE}")
        return 1
    try:
        return cmd(argv[1:], out, err)
    except errors.NixError as e:
        err.write(errors.render_nix(e))
        return 1
    except UsageError as e:
        err.write(f"error: {e}\nTry 'pynix {argv[0]} --help' for more information.\n")
        return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pynix` script: run in a big-stack thread."""
    from . import interrupt
    argv = sys.argv[1:] if argv is None else argv
    result = [None]      # the command's exit status, once it has one

    def target():
        if argv[:1] != ["lsp"]:
            # the language server starts threads with big stacks as it goes and
            # stops its evaluations by time; everything else gets a memory cap
            try:
                install_guard(budget_from_env())
            except ValueError as e:       # a PYNIX_MAX_MEMORY that is not a size
                sys.stderr.write(f"error: {e}\n")
                return
        out_of_memory = False
        try:
            if argv[:1] == ["repl"]:
                result[0] = run(argv)      # each input is interruptible on its own (repl.py)
                return
            # Ctrl-C stops the command: Nix's one line, exit 130 (see interrupt.py)
            stopped, result[0] = interrupt.run(run, argv)
            if stopped:
                sys.stdout.flush()
                sys.stderr.write(interrupt.MESSAGE)
                result[0] = interrupt.EXIT_STATUS
        except RecursionError:
            sys.stderr.write("error: expression nested too deeply (pynix E014)\n")
            result[0] = 1
        except MemoryError:
            out_of_memory = True
        except KeyboardInterrupt:
            sys.stderr.write(interrupt.MESSAGE)
            result[0] = interrupt.EXIT_STATUS
        except BrokenPipeError:
            result[0] = 1
        if out_of_memory:     # said once the error has let go of its frames (as in _eval)
            ran_out()
            sys.stderr.write("error: out of memory\n")
            result[0] = 1

    # text that came in as undecodable bytes goes out as the same bytes
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="surrogateescape")
        except (AttributeError, ValueError):
            pass
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(512 * 1024 * 1024)
    # a roomy frame stack too: CPython 3.11 would otherwise mmap/munmap a frame
    # chunk whenever deep recursion crosses a chunk boundary (see runtime/stack.py)
    from .runtime.memory import tune_gc
    from .runtime.stack import in_roomy_frame_stack
    tune_gc()
    def main_thread():
        try:
            in_roomy_frame_stack(target)
        except Exception as e:
            # CPython 3.11 can fail returning from a frame after an allocation
            # failed under the memory cap (memory_guard.hidden_out_of_memory),
            # even after the command wrote its "out of memory": said once
            if not hidden_out_of_memory(e):
                sys.stderr.write(f"error: internal pynix error (please report it): {type(e).__name__}: {e}\n")
            elif not has_run_out():
                ran_out()
                sys.stderr.write("error: out of memory\n")
            if result[0] is None or result[0] == 0:
                result[0] = 1
    t = threading.Thread(target=main_thread, name="pynix-main")
    t.start()
    interrupt.wait_for(t)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return 1 if result[0] is None else result[0]


# commands whose heap lives until they exit (those that evaluate once, and the
# REPL, whose scope keeps what it loads): no cyclic collection until memory is
# scarce, and no teardown of the heap at the end (runtime/memory.py)
ONE_SHOT = {"instantiate", "eval", "derivation", "build", "check", "explain", "repl", "graph"}


def entry() -> None:
    """The `pynix` console script (and `python -m nixlang`): `main`, with the
    one-shot memory policy for the commands that evaluate once, then a
    flush and an immediate exit instead of freeing the heap object by
    object."""
    argv = sys.argv[1:]
    one_shot = bool(argv) and argv[0] in ONE_SHOT
    if one_shot:
        from .runtime import memory
        memory.collect_only_under_pressure()
        memory.ONE_SHOT = True
    code = main(argv)
    if not one_shot:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    entry()
