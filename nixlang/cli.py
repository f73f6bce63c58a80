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

import json
import os
import sys
import threading

from . import errors
from .source import Source, decode
from .parse import ParseOptions, parse_full, parse_recover
from .syntax.printer import show

USAGE = """usage: pynix COMMAND [ARGS]

commands:
  instantiate   nix-instantiate work-alike (--parse, --eval, --strict, --json, --xml, ...)
  eval          evaluate a file or -E EXPR; errors explained the pynix way
  explain       what an error code means (pynix explain E201, --list)
  derivation    `derivation show`: a .drv or the derivations of a file as JSON
  check         report every syntax, scope, lint and flake diagnostic of files (for editors and CI)
  lsp           run the language server (stdio; --tcp HOST:PORT for debugging)
  repl          interactive prompt for learners (:? for help, :trace EXPR shows laziness)
"""

# nix-instantiate flags taking one / two arguments (accepted, even where unused so far)
_ONE_ARG = {"--expr", "-E", "-A", "--attr", "-I", "--include", "--extra-experimental-features",
            "--experimental-features", "--max-call-depth", "--store", "--add-root", "--eval-store",
            "--find-file", "--arg-from-file", "--arg-from-stdin", "--timeout", "--max-jobs", "-j",
            "--cores"}
_TWO_ARGS = {"--arg", "--argstr", "--option"}


class UsageError(Exception):
    pass


LINTS = ("absolute-path-literals", "short-path-literals", "url-literals")
LINT_LEVELS = ("ignore", "warn", "fatal")


def nix_config() -> list[tuple[str, str]]:
    """The `key = value` settings of the NIX_CONFIG environment variable, in order."""
    out = []
    for line in os.environ.get("NIX_CONFIG", "").splitlines():
        line = line.split("#", 1)[0]
        key, eq, value = line.partition("=")
        if eq:
            out.append((key.strip(), value.strip()))
    return out


def _bool_setting(value: str, name: str) -> bool:
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise UsageError(f"option '{name}' has invalid value '{value}'")


def settings_from_config() -> dict:
    """show-trace and lint-* settings NIX_CONFIG gives (flags override them)."""
    out: dict = {"lints": {}}
    for key, value in nix_config():
        if key == "show-trace":
            out["show_trace"] = _bool_setting(value, key)
        elif key.startswith("lint-") and key[5:] in LINTS:
            out["lints"][key[5:]] = _lint_level(value, key)
    return out


def _lint_level(value: str, name: str) -> str:
    if value not in LINT_LEVELS:
        raise UsageError(f"option '{name}' has invalid value '{value}' (expected one of "
                         f"{', '.join(LINT_LEVELS)})")
    return value


def experimental_features(extra: list[str], replace: list[str] | None) -> set[str]:
    feats: set[str] = set()
    for key, value in nix_config():
        if key == "experimental-features":
            feats = set(value.split())
        elif key == "extra-experimental-features":
            feats |= set(value.split())
    if replace is not None:
        feats = set(replace)
    for e in extra:
        feats |= set(e.split())
    return feats


def _read_input(path: str) -> Source:
    if path == "-":
        return Source(decode(sys.stdin.buffer.read()), "«stdin»", os.getcwd())
    full = os.path.abspath(path)
    if not os.path.lexists(full):
        raise errors.InputError(f"getting status of '{full}': No such file or directory")
    if os.path.isdir(full):
        full = os.path.join(full, "default.nix")
    try:
        with open(full, "rb") as f:
            data = f.read()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise errors.InputError(f"opening file '{full}': {reason}") from None
    return Source(decode(data), full, os.path.dirname(full))


def instantiate(argv: list[str], out, err) -> int:
    mode = None
    flags: set[str] = set()
    attr_paths: list[str] = []
    auto_args: list[tuple[str, str, str]] = []   # (kind, name, text)
    include: list[str] = []
    max_depth = 10000
    exprs: list[str] = []
    files: list[str] = []
    extra_feats: list[str] = []
    replace_feats: list[str] | None = None
    from_expr = False
    settings = settings_from_config()
    lints = settings["lints"]
    store_root = add_root = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--eval-only":      # an old alias of --eval
            a = "--eval"
        if a in ("--parse", "--eval", "--strict", "--json", "--xml", "--no-location", "--show-trace",
                 "--no-show-trace", "--read-write-mode", "--readonly-mode", "--indirect", "--impure",
                 "--pure-eval", "--dry-run", "--find-file", "-Q", "--no-build-output", "--quiet",
                 "--verbose", "-v"):
            if a in ("--parse", "--eval"):
                mode = a
            elif a == "--find-file":
                mode = a
            flags.add(a)
            if a in ("--show-trace", "--no-show-trace"):
                settings["show_trace"] = a == "--show-trace"
            i += 1
            continue
        if a in ("--expr", "-E"):
            from_expr = True
            i += 1
            continue
        if a in _TWO_ARGS:
            if i + 2 >= len(argv):
                raise UsageError(f"flag '{a}' requires 2 arguments")
            if a in ("--arg", "--argstr"):
                auto_args.append((a, argv[i + 1], argv[i + 2]))
            elif argv[i + 1] == "abort-on-warn":
                settings["abort_on_warn"] = _bool_setting(argv[i + 2], "abort-on-warn")
            i += 3
            continue
        if a.startswith("--lint-") and a[7:] in LINTS:
            if i + 1 >= len(argv):
                raise UsageError(f"flag '{a}' requires 1 argument")
            lints[a[7:]] = _lint_level(argv[i + 1], a[2:])
            i += 2
            continue
        if a in _ONE_ARG:
            if i + 1 >= len(argv):
                raise UsageError(f"flag '{a}' requires 1 argument")
            if a == "--extra-experimental-features":
                extra_feats.append(argv[i + 1])
            elif a == "--experimental-features":
                replace_feats = argv[i + 1].split()
            elif a in ("-A", "--attr"):
                attr_paths.append(argv[i + 1])
            elif a in ("-I", "--include"):
                include.append(argv[i + 1])
            elif a == "--max-call-depth":
                max_depth = int(argv[i + 1])
            elif a == "--store":
                store_root = argv[i + 1]
            elif a == "--add-root":
                add_root = argv[i + 1]
            i += 2
            continue
        if a.startswith("-") and a != "-":
            raise UsageError(f"unrecognised flag '{a}'")
        files.append(a)
        i += 1
    feats = experimental_features(extra_feats, replace_feats)
    lint_items = tuple(sorted(lints.items()))
    options = ParseOptions(pipe_operators="pipe-operators" in feats, lints=lint_items)
    show_trace = settings.get("show_trace", False)
    if from_expr:
        sources = [Source(e, "«string»", os.getcwd()) for e in files]
    else:
        sources = [None] * len(files) if files else [None]
    if mode != "--parse":
        return _eval(sources, files, flags, attr_paths, auto_args, include, max_depth, feats, out, err,
                     print_result=(mode == "--eval"), lints=lint_items, show_trace=show_trace,
                     store_root=store_root, add_root=add_root,
                     abort_on_warn=settings.get("abort_on_warn", False))
    for idx, src in enumerate(sources):
        if src is None:
            src = _read_input(files[idx] if files else "-")
        result = parse_full(src, options)
        for message, offset in result.warnings:
            err.write(errors.render_warning(message, src, offset))
        out.write(show(result.ast) + "\n")
    return 0


def _eval(sources, files, flags, attr_paths, auto_args, include, max_depth, feats, out, err,
          print_result=True, lints=(), show_trace=False, render=None, store_root=None,
          add_root=None, always_call=False, abort_on_warn=False) -> int:
    from .evaluator import EvalOptions, Evaluator
    from .runtime.printer import print_value, to_json
    from .runtime.values import Attrs, Closure, force
    ev = Evaluator(EvalOptions(max_call_depth=max_depth, experimental_features=feats,
                               search_path=include, lints=lints, abort_on_warn=abort_on_warn))
    ev.stderr = err
    render = render or errors.render_nix_eval
    from .builtins.derivations import eval_store
    if not print_result or "--read-write-mode" in flags:
        from .store import LocalStore
        # nix-instantiate writes derivations unless it only evaluates (--eval
        # is read-only, as in Nix, unless --read-write-mode)
        eval_store(ev).writer = LocalStore(store_root)
    roots = 0
    warned_gc = False
    strict = "--strict" in flags
    for idx, src in enumerate(sources):
        if src is None:
            src = _read_input(files[idx] if files else "-")
        try:
            root = ev.eval_source(src)
            args = {}
            for kind, name, text in auto_args:
                args[name] = text if kind == "--argstr" else ev.eval_string(text)
            for path in attr_paths or [""]:
                v = _find_along_attr_path(ev, root, path, args)
                if args or always_call:
                    # nix-instantiate calls the result only when given --arg/--argstr;
                    # `pynix eval`, like `nix eval -f`, always does
                    v = _auto_call(ev, v, args)
                if not print_result:
                    # nix-instantiate without --eval: the derivations found were
                    # written as they were made; print their paths
                    from .builtins.derivations import get_derivations
                    for drv_path, output in get_derivations(ev, v, lambda x: _auto_call(ev, x, args)):
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
                if strict or "--json" in flags:
                    ev.deep_force(v)
                if "--xml" in flags:
                    from .builtins.serialize import to_xml
                    out.write(to_xml(ev, v, location="--no-location" not in flags, strict=strict))
                elif "--json" in flags:
                    from .builtins.serialize import to_json as builtin_to_json
                    out.write(builtin_to_json(ev, v) + "\n")
                elif "--raw" in flags:
                    from .runtime import ops
                    out.write(ops.coerce_to_string(v, set(), interp=True, call=ev.call))
                else:
                    out.write(print_value(v, strict=strict) + "\n")
        except errors.NixError as e:
            out.flush()
            err.write(render(e, show_trace))
            return 1
        except RecursionError:
            out.flush()
            err.write(render(errors.StackOverflow("stack overflow; max-call-depth exceeded"), show_trace))
            return 1
        except Exception as e:  # a pynix bug must still be a clean error, never a traceback
            out.flush()
            err.write(f"error: internal pynix error (please report it): {type(e).__name__}: {e}\n")
            return 1
    return 0


EVAL_USAGE = """usage: pynix eval [FILE | -E EXPR] [-A ATTR] [--json | --raw] [--arg NAME EXPR]
                  [--argstr NAME STRING] [-I PATH] [--show-trace]

Evaluate a Nix file or expression completely and print the value (like
`nix eval`). Errors show Nix's message, then the pynix code, a hint and
where to read more (`pynix explain CODE`).
"""


def eval_cmd(argv: list[str], out, err) -> int:
    """`pynix eval`: the friendly front; same values as `pynix instantiate --eval --strict`."""
    from .errors.friendly import render_friendly as _render
    from .resolve.globals import GLOBAL_NAMES

    def render_friendly(e, show_trace):
        # "did you mean" also looks among the builtins always in scope
        return _render(e, show_trace, names=GLOBAL_NAMES)
    flags = {"--strict"}
    files: list[str] = []
    attr_paths: list[str] = []
    auto_args: list[tuple[str, str, str]] = []
    include: list[str] = []
    exprs: list[str] = []
    settings = settings_from_config()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            out.write(EVAL_USAGE)
            return 0
        if a in ("--json", "--raw", "--impure"):
            flags.add(a)
        elif a in ("--show-trace", "--no-show-trace"):
            settings["show_trace"] = a == "--show-trace"
        elif a in ("-E", "--expr", "-A", "--attr", "-I", "--include"):
            if i + 1 >= len(argv):
                raise UsageError(f"flag '{a}' requires 1 argument")
            {"-E": exprs, "--expr": exprs, "-A": attr_paths, "--attr": attr_paths,
             "-I": include, "--include": include}[a].append(argv[i + 1])
            i += 1
        elif a in ("--arg", "--argstr"):
            if i + 2 >= len(argv):
                raise UsageError(f"flag '{a}' requires 2 arguments")
            auto_args.append((a, argv[i + 1], argv[i + 2]))
            i += 2
        elif a.startswith("-") and a != "-":
            raise UsageError(f"unrecognised flag '{a}' (see 'pynix eval --help')")
        else:
            files.append(a)
        i += 1
    if "--json" in flags and "--raw" in flags:
        raise UsageError("--json and --raw cannot be used together")
    if exprs and files:
        raise UsageError("give either a file or -E EXPR, not both")
    if not exprs and not files:
        raise UsageError("nothing to evaluate: give a FILE or -E EXPR (see 'pynix eval --help')")
    sources = [Source(e, "«string»", os.getcwd()) for e in exprs] if exprs else [None] * len(files)
    lints = tuple(sorted(settings["lints"].items()))
    return _eval(sources, files, flags, attr_paths, auto_args, include, 10000,
                 experimental_features([], None), out, err, lints=lints,
                 show_trace=settings.get("show_trace", False), render=render_friendly, always_call=True)


def _add_root(link: str, target: str) -> None:
    """--add-root: a symlink to the store object (replaced if it exists)."""
    tmp = link + ".tmp-pynix"
    try:
        os.unlink(tmp)
    except OSError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _find_along_attr_path(ev, v, path: str, args: dict):
    """findAlongAttrPath: follow `a.b.0` from `v`; before each step the value
    is auto-called (a function of formals gets the --arg values)."""
    from .runtime.values import Attrs, force
    for part in [p for p in path.split(".") if p]:
        v = force(_auto_call(ev, v, args))
        if part.isdigit():
            if type(v) is not list:
                raise errors.TypeError_(f"the expression selected by the selection path '{path}' should be a "
                                        f"list but is {_type_words(v)}")
            i = int(part)
            if i >= len(v):
                raise errors.MissingAttr(f"list index {i} in selection path '{path}' is out of range")
            v = v[i]
            continue
        if type(v) is not Attrs:
            raise errors.TypeError_(f"the expression selected by the selection path '{path}' should be a set "
                                    f"but is {_type_words(v)}")
        if part not in v.d:
            raise errors.MissingAttr(f"attribute '{part}' in selection path '{path}' not found")
        v = v.d[part]
    return force(v)


def _type_words(v) -> str:
    from .runtime.values import show_type
    return show_type(v)


def _auto_call(ev, v, args):
    from .runtime.values import Attrs, Closure, force
    v = force(v)
    if type(v) is Closure and v.lam.formals is not None:
        names = {n for n, _, _ in v.lam.formals}
        chosen = {k: a for k, a in args.items() if v.lam.ellipsis or k in names}
        return ev.call(v, Attrs(chosen))
    if type(v) is Attrs and "__functor" in v.d:
        return ev.call(v, Attrs(dict(args)))
    return v


def check(argv: list[str], out, err) -> int:
    """`pynix check [--json] [--no-lints] FILE...`: what the editor shows, in a
    terminal: every syntax and scope error (with the repair recovery made),
    then the lints (W0xx) and, for a flake.nix beside its flake.lock, the
    flake checks (F0xx), each `FILE:LINE:COL: CODE message`. The exit status
    is 1 when there is an error; warnings alone leave it 0."""
    as_json = "--json" in argv
    lints = "--no-lints" not in argv
    paths = [a for a in argv if a not in ("--json", "--no-lints")]
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
        out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return worst


DERIVATION_USAGE = """usage: pynix derivation show [--store DIR] [--legacy] (PATH.drv | FILE [-A ATTR] | -E EXPR)

Print derivations as JSON, as `nix derivation show` does (format version 4,
keyed by the .drv's name in the store); --legacy prints Nix 2.8's
`nix show-derivation` layout. A .drv path is read from the store (--store as
for instantiate); a Nix file or expression is evaluated, read-only, and the
derivations it denotes are shown.
"""


def derivation_cmd(argv: list[str], out, err) -> int:
    """`pynix derivation show`."""
    if not argv or argv[0] in ("-h", "--help") or argv[0] != "show":
        out.write(DERIVATION_USAGE)
        return 0 if argv and argv[0] in ("-h", "--help") else 1
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
            if i + 1 >= len(argv):
                raise UsageError(f"flag '{a}' requires 1 argument")
            val = argv[i + 1]
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
    local = S.LocalStore(store_root)
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
        from .builtins.derivations import eval_store, get_derivations
        from .evaluator import EvalOptions, Evaluator
        ev = Evaluator(EvalOptions(experimental_features=experimental_features([], None)))
        ev.stderr = err
        sources = [Source(e, "«string»", os.getcwd()) for e in exprs] + [_read_input(f) for f in nix_files]
        try:
            for src in sources:
                root = ev.eval_source(src)
                for path in attr_paths or [""]:
                    v = _find_along_attr_path(ev, root, path, {})
                    for drv_path, _ in get_derivations(ev, v, lambda x: _auto_call(ev, x, {})):
                        show_one(drv_path, eval_store(ev).drvs[drv_path][0])
        except errors.NixError as e:
            err.write(errors.render_nix_eval(e, False))
            return 1
    if not drv_files and not nix_files and not exprs:
        raise UsageError("give a .drv path, a Nix file or -E EXPR (see 'pynix derivation --help')")
    out.write(json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return 0


def explain(argv: list[str], out, err) -> int:
    """`pynix explain CODE` / `--list`: what an error code means, from the
    catalogue (nixlang/errors/catalogue.py): the explanation, a broken
    example that raises the code and its fixed version."""
    from .errors.catalogue import all_codes, explanation
    if not argv or argv[0] in ("-h", "--help"):
        out.write("usage: pynix explain CODE | --list\n")
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


def lsp_cmd(argv: list[str], out, err) -> int:
    """`pynix lsp [--stdio | --tcp HOST:PORT]`: the language server.

    The server (package `lsp`) sits above the CLI in the layer order, so it
    is imported by name at run time rather than with an import statement."""
    import importlib
    try:
        server = importlib.import_module("lsp.server")
    except ImportError as exc:
        err.write(f"error: the language server needs pygls and lsprotocol ({exc}); "
                  "install them with: pip install 'pynix[lsp]'\n")
        return 1
    return server.main(argv, out, err)


def repl_cmd(argv: list[str], out, err) -> int:
    """`pynix repl`: the interactive prompt (nixlang/repl.py)."""
    if argv and argv[0] in ("-h", "--help"):
        out.write("usage: pynix repl   (then :? for the commands)\n")
        return 0
    if argv:
        raise UsageError(f"unexpected argument '{argv[0]}' (see 'pynix repl --help')")
    from .repl import run_repl
    return run_repl()


COMMANDS = {"instantiate": instantiate, "eval": eval_cmd, "check": check, "explain": explain,
            "derivation": derivation_cmd, "lsp": lsp_cmd, "repl": repl_cmd}


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
        err.write(f"error: {e}\nTry 'pynix --help' for more information.\n")
        return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pynix` script: run in a big-stack thread."""
    argv = sys.argv[1:] if argv is None else argv
    result = [1]

    def target():
        try:
            result[0] = run(argv)
        except RecursionError:
            sys.stderr.write("error: expression nested too deeply (pynix E014)\n")
            result[0] = 1
        except KeyboardInterrupt:
            result[0] = 130
        except BrokenPipeError:
            result[0] = 1

    # text that came in as undecodable bytes goes out as the same bytes
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="surrogateescape")
        except (AttributeError, ValueError):
            pass
    sys.setrecursionlimit(200000)
    threading.stack_size(512 * 1024 * 1024)
    # a roomy frame stack too: CPython 3.11 would otherwise mmap/munmap a frame
    # chunk whenever deep recursion crosses a chunk boundary (see runtime/stack.py)
    from .runtime.stack import in_roomy_frame_stack, tune_gc
    tune_gc()
    t = threading.Thread(target=lambda: in_roomy_frame_stack(target), name="pynix-main")
    t.start()
    t.join()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return result[0]


if __name__ == "__main__":
    sys.exit(main())
