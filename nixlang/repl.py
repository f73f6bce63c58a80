"""`pynix repl`: an interactive Nix prompt for learners, like `nix repl`.

The logic lives in `Repl`, which needs no terminal: `Repl.handle(line)`
returns the text to show, `Repl.needs_more(text)` says whether multi-line
input goes on, `Repl.complete(text)` lists completions. `run_repl` puts a
prompt_toolkit session (history file, completion, highlighting) around it.

Printing: a result is forced to weak head normal form and so is each of its
direct attributes / list elements (an attribute that fails, or anything
deeper, prints as `<CODE>`, as `nix-instantiate --eval` prints what is not
evaluated). `:p EXPR` forces and prints everything (deep_force, strict).

`:e FILE|EXPR` opens $VISUAL or $EDITOR on a file, on the file and line
where a function or an attribute is defined, or on a derivation's
`meta.position`, then reloads like `:r` (as `nix repl` does).

Input is highlighted with pynix's own lexer (`highlight`), which never
raises on half-typed input; Enter inserts a new line instead of running
the input while a bracket, string or `let` is still open.

`:trace EXPR` evaluates EXPR once with an instrumented compiler (a subclass
of `Compiler` used for that one evaluation only; normal evaluation and the
hot runtime code are untouched): it logs each thunk the expression's own
code creates (let bindings, attributes, function arguments), each time one
is forced, and its value, with the source span. Thunks made inside imported
files or builtins are not traced.

Ctrl-C during an evaluation stops it and prompts again, bindings kept,
printing `error: interrupted by the user` as `nix repl` does (`handle` runs
each input as one region of `interrupt.py`). `:te [bool]` shows or hides
error traces (`--show-trace`), as in `nix repl`.
"""
from __future__ import annotations

import inspect
import os
import re
import shlex
import subprocess
import sys

from . import errors as E
from . import interrupt
from .compile import Compiler, node_pos
from .runtime.calls import call_function
from .runtime.positions import attr_where
from .evaluator import Evaluator
from .parse import ParseOptions, parse_full, parse_recover
from .resolve.globals import GLOBAL_NAMES
from .runtime.printer import print_value
from .runtime.values import Attrs, Closure, Path, PrimOp, PrimOpApp, Thunk, force, make_thunk, show_type
from .source import Source
from .syntax import ast as A

HELP = """The following commands are available:

  <expr>         Evaluate and print expression
  <x> = <expr>   Bind expression to variable (later lines see it)
  :a <expr>      Add attributes from resulting set to scope
  :doc <name>    Show documentation of a builtin or a function with a doc comment
  :e <expr>      Open a file, or where a function or attribute is defined, in $EDITOR; then :r
  :explain CODE  Explain a pynix error code (E201, ...)
  :l <path>      Load Nix expression (an attribute set) and add it to scope
  :p <expr>      Evaluate and print expression recursively (strictly)
  :q             Exit the REPL
  :r             Reload all files loaded with :l
  :t <expr>      Describe the type of the result of an expression
  :te [bool]     Enable, disable or toggle showing traces for errors
  :trace <expr>  Show which thunks are created and forced while evaluating
  :?             Show this help
"""

KEYWORDS = ["assert", "else", "if", "in", "inherit", "let", "or", "rec", "then", "with"]
COMMANDS = [":?", ":a", ":doc", ":e", ":explain", ":l", ":p", ":q", ":r", ":t", ":te", ":trace"]
_BINDING = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_'-]*)\s*=(?!=)(.*)$", re.S)
_IDENT = r"[A-Za-z_][A-Za-z0-9_'-]*"
_COMPLETE_TAIL = re.compile(rf"(?:{_IDENT}\.)*(?:{_IDENT})?$")
_GLOBAL_INDEX = {n: i for i, n in enumerate(sorted(GLOBAL_NAMES))}


class Quit(Exception):
    """Raised by `:q`."""


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


# -- :trace --------------------------------------------------------------------------------

class Tracer:
    def __init__(self, source: Source):
        self.source = source
        self.lines: list[str] = []
        self.depth = 0
        self.count = 0
        self.labels: dict[int, str] = {}
        self.forced: set[int] = set()

    def where(self, span) -> str:
        l1, c1 = self.source.line_col(span.start)
        l2, c2 = self.source.line_col(span.end)
        return f"{l1}:{c1}-{l2}:{c2}" if l1 != l2 else f"{l1}:{c1}-{c2}"

    def text(self, n) -> str:
        return _short(self.source.text[n.span.start:n.span.end])

    def log(self, msg: str) -> None:
        self.lines.append("  " * self.depth + msg)

    def created(self, label: str, n) -> int:
        self.count += 1
        num = self.count
        self.labels[num] = label
        self.log(f"create thunk #{num} {label} at {self.where(n.span)}: {self.text(n)}")
        return num

    def bound(self, label: str, n, v) -> None:
        if type(v) is Thunk and v.code is not None:
            self.log(f"{label} at {self.where(n.span)} shares the thunk of `{self.text(n)}` (no new thunk)")
        else:
            self.log(f"{label} at {self.where(n.span)} is already a value, no thunk: "
                     f"{_short(print_value(v, strict=False))}")

    def need(self, name: str, v) -> None:
        if type(v) is Thunk and v.code is not None:
            self.log(f"need {name}: not evaluated yet, force it")
        else:
            self.log(f"need {name}: already a value")

    def forcing(self, num: int) -> None:
        self.forced.add(num)
        self.log(f"force #{num} {self.labels[num]}")
        self.depth += 1

    def done(self, num: int, v) -> None:
        self.depth -= 1
        self.log(f"#{num} {self.labels[num]} = {_short(print_value(v, strict=False))}")

    def failed(self, num: int, exc) -> None:
        self.depth -= 1
        msg = getattr(exc, "message", None) or type(exc).__name__
        self.log(f"#{num} {self.labels[num]} failed: {_short(msg)}")

    def summary(self) -> list[str]:
        never = [f"#{k} {self.labels[k]}" for k in sorted(self.labels) if k not in self.forced]
        out = [f"thunks created: {self.count}, forced: {len(self.forced)}"]
        if never:
            out.append("never forced (laziness: their code never ran): " + ", ".join(never))
        return out


class TracingCompiler(Compiler):
    """A Compiler whose thunks report to a Tracer. Used for one `:trace`."""

    def __init__(self, ev, source, tracer: Tracer, scope_names=()):
        super().__init__(ev, source)
        self.jit_threshold = None      # every thunk is traced: no generated code
        self.tracer = tracer
        self.labels: dict[int, str] = {}
        self.arg_nodes: set[int] = set()
        self.scope_names = set(scope_names)

    def _attr_builders(self, attrs, inner_level_shift):
        for name, d in attrs.attrs.items():
            if d.kind != A.INHERITED_FROM:
                self.labels[id(d.value)] = name
        return super()._attr_builders(attrs, inner_level_shift)

    def lazy(self, n, defer=False):
        # every thunk is traced, so nothing is deferred
        t = type(n)
        tracer = self.tracer
        label = self.labels.get(id(n))
        if t in (A.Int, A.Float, A.Str, A.Path) or (t is A.Var and not n.from_with):
            base = super().lazy(n)
            if label is None:
                return base

            def bind(env):
                v = base(env)
                tracer.bound(label, n, v)
                return v
            return bind
        code = self.compile(n)
        span = n.span
        label = label or ("(argument)" if id(n) in self.arg_nodes else "(thunk)")

        def make(env):
            num = tracer.created(label, n)

            def run(e):
                tracer.forcing(num)
                try:
                    v = code(e)
                except BaseException as exc:
                    tracer.failed(num, exc)
                    raise
                tracer.done(num, v)
                return v
            return make_thunk(run, env)
        return make

    def strict(self, n):
        code = super().strict(n)
        if type(n) is not A.Var or n.from_with or (n.binding is None and n.name not in self.scope_names):
            return code
        raw = self.var_raw(n)
        tracer, name = self.tracer, n.name

        def traced(env):
            tracer.need(name, raw(env))
            return code(env)
        return traced

    def c_Call(self, n):
        # the plain path, without the fast paths that make thunks inline
        fn = self.compile(n.fn)
        self.arg_nodes.update(id(a) for a in n.args)
        args = [self.lazy(a) for a in n.args]
        ev, source, span = self.ev, self.source, node_pos(n)

        def call(env):
            f = fn(env)
            for a in args:
                f = force(call_function(ev, force(f), a(env), source, span))
            return f
        return call


# -- the REPL --------------------------------------------------------------------------------

class Repl:
    def __init__(self, evaluator: Evaluator | None = None, cwd: str | None = None):
        self.ev = evaluator or Evaluator()
        self.cwd = cwd or os.getcwd()
        self.scope: dict[str, object] = {}
        self.loaded: list[str] = []
        self.counter = 0
        self.origins: dict[str, Attrs] = {}     # name -> the set `:l` / `:a` took it from (for `:e NAME`)
        self.show_trace = False                 # `:te` toggles it, as in `nix repl`

    # -- evaluation ---------------------------------------------------------------------------
    def _compile(self, text: str, compiler_cls=Compiler, **kw):
        self.counter += 1
        source = Source(text, "«string»", self.cwd)
        names = tuple(self.scope)
        ast = parse_full(source, ParseOptions(extra_globals=names)).ast
        env = list(self.ev.base_env)
        for name in names:
            i = _GLOBAL_INDEX.get(name)
            if i is not None:
                env[i + 1] = self.scope[name]
            else:
                env.append(self.scope[name])
        compiler = compiler_cls(self.ev, source, **kw) if kw else compiler_cls(self.ev, source)
        return compiler.compile(ast), env, source

    def eval(self, text: str):
        code, env, _ = self._compile(text)
        self.ev.depth = 0
        return force(code(env))

    def thunk(self, text: str) -> Thunk:
        code, env, _ = self._compile(text)
        return make_thunk(code, env)

    def show(self, v) -> str:
        v = force(v)
        if type(v) is Attrs:
            children = v.d.values()
        elif type(v) is list:
            children = v
        else:
            children = ()
        for c in children:
            try:
                force(c)
            except E.EvalError:
                pass
        return print_value(v, strict=False, derivations=True)

    # -- input --------------------------------------------------------------------------------
    def needs_more(self, text: str) -> bool:
        """Whether `text` is an unfinished expression (open bracket, string,
        `let` without `in`, ...): the recovering parser hit the end of input."""
        body = text.strip()
        if not body or body.startswith(":"):
            m = re.match(r":(\w+|\?)\s*(.*)$", body, re.S)
            if not m or m.group(1) not in ("p", "t", "a", "trace") or not m.group(2).strip():
                return False
            body = m.group(2)
        else:
            m = _BINDING.match(body)
            if m:
                body = m.group(2)
                if not body.strip():
                    return True
        result = parse_recover(Source(body, "«string»", self.cwd), ParseOptions(check_scopes=False))
        return any(d.kind == "syntax" and d.data.get("unexpected") == "$END" for d in result.diagnostics)

    def handle(self, line: str) -> str:
        """Run one (possibly multi-line) input; return what to print. Ctrl-C
        stops it with Nix's message; the bindings stay (interrupt.py)."""
        text = line.strip()
        if not text:
            return ""
        stopped, shown = interrupt.run(self._handle, text, fresh=True)
        return interrupt.MESSAGE if stopped else shown

    def _handle(self, text: str) -> str:
        try:
            if text.startswith(":"):
                return self._command(text)
            m = _BINDING.match(text)
            if m:
                name, expr = m.group(1), m.group(2)
                self.scope[name] = self.thunk(expr)   # lazy, like nix repl
                self.origins.pop(name, None)
                return ""
            return self.show(self.eval(text)) + "\n"
        except Quit:
            raise
        except E.NixError as err:
            from .ide.hints import render
            return render(err, show_trace=self.show_trace, names=self.names())
        except RecursionError:
            return "error: expression nested too deeply (pynix E014)\n"
        except MemoryError:        # the memory guard tripped; what was built is freed
            from .ide.hints import render
            return render(E.OutOfMemory("out of memory"))
        except Exception as exc:   # a pynix bug: say so, but keep the session alive
            return f"error: internal error in pynix: {type(exc).__name__}: {exc}\n"

    def _command(self, text: str) -> str:
        m = re.match(r":([\w-]+|\?)\s*(.*)$", text, re.S)
        cmd, arg = (m.group(1), m.group(2).strip()) if m else (text[1:], "")
        if cmd in ("q", "quit"):
            raise Quit()
        if cmd in ("?", "help"):
            return HELP
        if cmd in ("p", "print"):
            v = self.eval(arg)
            self.ev.deep_force(v)
            return print_value(v, strict=True) + "\n"
        if cmd in ("t", "type"):
            return show_type(self.eval(arg)) + "\n"
        if cmd == "doc":
            return self.doc(arg)
        if cmd == "explain":
            from .errors.catalogue import explanation
            try:
                e = explanation(arg)
            except KeyError:
                return f"error: unknown error code '{arg}' (see 'pynix explain --list')\n"
            return (f"{e.code}: {e.title}\n\n{e.text}\n\nBroken:\n{e.broken}\nFixed:\n{e.fixed}\n"
                    f"Try it: {e.command()}\n")
        if cmd in ("l", "load"):
            if not arg:
                return "usage: :l FILE | <NAME>   (a file, or a name looked up in the search path)\n"
            out = self._load(arg)
            self.loaded.append(arg)
            return out
        if cmd in ("a", "add"):
            return self._add(self.eval(arg))
        if cmd in ("r", "reload"):
            self.ev.reset_file_cache()
            return "".join(self._load(p) for p in self.loaded)
        if cmd == "trace":
            return self.trace(arg)
        if cmd in ("te", "trace-enable"):
            return self.trace_enable(arg, cmd)
        if cmd in ("e", "edit"):
            return self.edit(arg)
        return f"error: unknown command ':{cmd}' (type :? for help)\n"

    def trace_enable(self, arg: str, cmd: str = "te") -> str:
        """`:te [bool]`: show error traces or not (`--show-trace`); no argument toggles."""
        if arg == "false" or (arg == "" and self.show_trace):
            self.show_trace = False
            return "not showing error traces\n"
        if arg == "true" or (arg == "" and not self.show_trace):
            self.show_trace = True
            return "showing error traces\n"
        return f"error: unexpected argument '{arg}' to :{cmd}\n"

    def _load(self, arg: str) -> str:
        v = force(self.ev.eval_file(self._file_arg(arg)))
        if type(v) in (Closure, PrimOp, PrimOpApp):
            v = self.ev.call(v, Attrs({}))   # like nix repl: auto-call with no arguments
        return self._add(v)

    def _file_arg(self, arg: str) -> str:
        """The file `:l ARG` loads (Nix's lookupFileArg): `<name>` is looked
        up in the search path (-I, NIX_PATH), anything else is a path
        relative to the current directory."""
        if len(arg) > 2 and arg[0] == "<" and arg[-1] == ">":
            from .builtins.filesystem import find_file, search_path
            return find_file(self.ev, search_path(self.ev), arg[1:-1])
        return os.path.join(self.cwd, os.path.expanduser(arg))

    def _add(self, v) -> str:
        v = force(v)
        if type(v) is not Attrs:
            raise E.EvalError(f"expected a set but found {show_type(v)}: {print_value(v, strict=False)}")
        self.scope.update(v.d)
        self.origins.update(dict.fromkeys(v.d, v))
        return f"Added {len(v.d)} variables.\n"

    def doc(self, name: str) -> str:
        """`:doc EXPR`: a builtin's documentation, or the doc comment found
        where the value is defined (ide/docs.py): before a function, or
        before the definition of the attribute EXPR selects, following
        `inherit (E) name;` (`:doc lib.mapAttrs` after `:l <nixpkgs>`)."""
        if not name:
            return "usage: :doc NAME\n"
        key = name[len("builtins."):] if name.startswith("builtins.") else name
        key = key[2:] if key.startswith("__") else key
        from .builtins import load_all
        registry = load_all(complete=True)     # the docs of the builtins imported at first use too
        v = registry.get(key) if key not in self.scope else None
        if type(v) is PrimOp:
            args = f" ({v.arity} argument{'s' if v.arity != 1 else ''})"
            return f"builtins.{v.name}{args}\n\n{inspect.cleandoc(v.doc) or '(no documentation)'}\n"
        from .ide import docs
        v = force(self.eval(name))
        found = docs.lambda_doc(v) if type(v) is Closure else None
        m = re.fullmatch(rf"({_IDENT}(?:\.{_IDENT})*)\.({_IDENT})", name)
        if found is None and m:
            try:
                owner = force(self.eval(m.group(1)))
            except E.NixError:
                owner = None
            if type(owner) is Attrs and m.group(2) in owner.d:
                found = docs.attribute_doc(owner, m.group(2), self._lookup_path)
        primop = docs.primop_of(v)
        if found is not None:
            head = [name]
            if os.path.isfile(found.file):
                head.append(f"  … defined at {found.file}:{found.line}:{found.column}")
            if primop is not None:
                head.append(f"  (it is builtins.{primop.name}: `:doc builtins.{primop.name}` shows Nix's own "
                            f"documentation)")
            return "\n".join(head) + f"\n\n{found.text}\n"
        if primop is not None:
            return f"builtins.{primop.name}\n\n{inspect.cleandoc(primop.doc) or '(no documentation)'}\n"
        if type(v) is Closure:
            return f"error: value does not have documentation (no /** doc comment */ before `{name}`)\n"
        return f"error: value does not have documentation: it is {show_type(v)}\n"

    def trace(self, text: str) -> str:
        tracer = Tracer(Source(text, "«string»", self.cwd))
        code, env, source = self._compile(text, TracingCompiler, tracer=tracer,
                                          scope_names=tuple(self.scope))
        tracer.source = source
        out = [f"trace of: {_short(text, 60)}"]
        whnf = None         # (value as first computed, steps taken by then) when printing forces more
        try:
            self.ev.depth = 0
            v = force(code(env))
            shallow = print_value(v, strict=False)
            n = len(tracer.lines)
            # printing forces what the value still holds as thunks (as the REPL
            # does); show that part of the evaluation on its own
            result = "result: " + print_value(v, strict=True)
            if len(tracer.lines) > n or shallow != result[len("result: "):]:
                whnf = (shallow, n)
        except E.NixError as err:
            from .ide.hints import render
            result = "result: error\n" + render(err).rstrip("\n")
            if "shallow" in locals() and whnf is None:
                whnf = (shallow, n)
        steps = tracer.lines or ["(no thunks: everything was a value already)"]
        numbered = [f"{i:3}. {s}" for i, s in enumerate(steps, 1)]
        if whnf is not None:
            shallow, n = whnf
            out += numbered[:n]
            out.append(f"value (only as far as needed, <CODE> = not yet evaluated): {shallow}")
            out.append("printing it evaluates the rest:")
            out += numbered[n:]
        else:
            out += numbered
        out.append(result)
        out += tracer.summary()
        return "\n".join(out) + "\n"

    # -- :e -----------------------------------------------------------------------------------
    def edit(self, arg: str) -> str:
        """`:e FILE|EXPR`: open the editor on a file, or on where a value is
        defined, then reload the files loaded with `:l` (nix repl's `:e`)."""
        if not arg:
            return "usage: :e FILE | EXPR   (a file, a function, an attribute or a derivation)\n"
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not editor or not editor.strip():
            return ("error: no editor set: set $EDITOR (or $VISUAL) to use :e, e.g. `export EDITOR=nano` "
                    "before starting pynix repl\n")
        path, line = self._edit_target(arg)
        argv = editor_command(editor, path, line)
        try:
            rc = self.run_editor(argv)
        except OSError as exc:
            return f"error: cannot start the editor '{argv[0]}': {exc.strerror or exc}\n"
        out = "" if rc == 0 else f"warning: the editor exited with status {rc}\n"
        # like nix repl: forget cached files and reload what :l loaded
        return out + self._command(":r")

    @staticmethod
    def run_editor(argv: list[str]) -> int:
        return subprocess.call(argv)

    def _edit_target(self, arg: str) -> tuple[str, int]:
        """(file, line) that `:e arg` opens; line 0 when it is a whole file."""
        candidate = os.path.join(self.cwd, os.path.expanduser(arg))
        if os.path.isfile(candidate):
            return os.path.abspath(candidate), 0
        if os.path.isdir(candidate) and os.path.isfile(os.path.join(candidate, "default.nix")):
            return os.path.abspath(os.path.join(candidate, "default.nix")), 0
        m = re.fullmatch(rf"(?:({_IDENT}(?:\.{_IDENT})*)\.)?({_IDENT})", arg)
        if m:
            # an attribute (or a name `:l` brought in): where it is defined, as written in its file
            try:
                owner = force(self.eval(m.group(1))) if m.group(1) else self.origins.get(m.group(2))
            except E.NixError:
                owner = None
            if type(owner) is Attrs and m.group(2) in owner.d:
                src, span = attr_where(owner, m.group(2))
                if src is not None and os.path.isfile(src.origin):
                    return src.origin, src.line_col(span.start)[0]
        v = force(self.eval(arg))
        if type(v) is Path:
            return v.path, 0
        if type(v) is Closure:
            src = v.lam.source
            if src is not None and os.path.isfile(src.origin):
                return src.origin, src.line_col(v.lam.node.span.start)[0]
            raise E.EvalError("cannot open the editor: this function was defined at the prompt, not in a file")
        if type(v) is Attrs:
            pos = _meta_position(v)
            if pos is not None:
                return pos
        if type(v) is str and v.startswith("/") and os.path.isfile(v):
            return v, 0
        raise E.EvalError(f"cannot open the editor: {show_type(v)} has no file or position "
                          "(give a file, a function, an attribute of a loaded file or a derivation)")

    # -- completion ---------------------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted(set(self.scope) | {n for n in GLOBAL_NAMES if not n.startswith("__")} | set(KEYWORDS))

    def complete(self, text: str) -> list[str]:
        """Completions of the word before the cursor (`text` is the line up to
        it): commands, names in scope, attribute paths (`pkgs.he` -> `pkgs.hello`)."""
        if text.startswith(":") and " " not in text:
            return [c for c in COMMANDS if c.startswith(text)]
        m = _COMPLETE_TAIL.search(text)
        word = m.group(0) if m else ""
        if "." not in word:
            return [n for n in self.names() if n.startswith(word)]
        head, _, last = word.rpartition(".")
        try:
            v = force(self._lookup_path(head.split(".")))
        except (E.NixError, KeyError, RecursionError):
            return []
        if type(v) is not Attrs:
            return []
        return sorted(f"{head}.{k}" for k in v.d if k.startswith(last))

    def _lookup_path(self, parts: list[str]):
        first = parts[0]
        if first in self.scope:
            v = self.scope[first]
        elif first == "builtins":
            v = self.ev.builtins
        elif first in _GLOBAL_INDEX:
            v = self.ev.base_env[_GLOBAL_INDEX[first] + 1]
        else:
            raise KeyError(first)
        for p in parts[1:]:
            v = force(v)
            if type(v) is not Attrs or p not in v.d:
                raise KeyError(p)
            v = v.d[p]
        return v


# editors known to take `+LINE` before the file (Nix's editorFor knows emacs, nano, vim and kak)
_PLUS_LINE_EDITORS = ("vi", "vim", "nvim", "gvim", "view", "emacs", "emacsclient", "nano", "pico", "kak",
                      "micro", "joe", "jed", "mg", "ne")


def editor_command(editor: str, path: str, line: int) -> list[str]:
    """The command that opens `path` at `line` in `editor` (a command line,
    as in $EDITOR: `code --wait` works)."""
    try:
        argv = shlex.split(editor)
    except ValueError:
        argv = editor.split()
    name = os.path.basename(argv[0]) if argv else ""
    if line > 0 and (name in _PLUS_LINE_EDITORS or any(k in name for k in ("vim", "emacs", "nano", "kak"))):
        argv.append(f"+{line}")
    return argv + [path]


def _meta_position(v: Attrs) -> tuple[str, int] | None:
    """`meta.position` of a derivation ("FILE:LINE"), if it has one."""
    try:
        meta = force(v.d["meta"]) if "meta" in v.d else None
        pos = force(meta.d["position"]) if type(meta) is Attrs and "position" in meta.d else None
    except E.NixError:
        return None
    if type(pos) is not str:
        return None
    file, _, line = pos.rpartition(":")
    if file and line.isdigit() and os.path.isfile(file):
        return file, int(line)
    return None


# -- highlighting ----------------------------------------------------------------------------

_TOKEN_STYLE = {
    **{t: "keyword" for t in ("IF", "THEN", "ELSE", "ASSERT", "WITH", "LET", "IN_KW", "REC", "INHERIT", "OR_KW")},
    **{t: "string" for t in ("DQUOTE", "STR", "IND_STRING_OPEN", "IND_STR", "IND_STRING_CLOSE")},
    "INT_LIT": "number", "FLOAT_LIT": "number",
    "PATH": "path", "HPATH": "path", "SPATH": "path", "URI": "path",
    "ERROR": "error", "INVALID": "error",
}
STYLES = {"keyword": "ansiblue bold", "string": "ansigreen", "number": "ansicyan", "comment": "ansibrightblack",
          "path": "ansiyellow", "builtin": "ansimagenta", "constant": "ansicyan", "interpolation": "ansired",
          "error": "ansired underline"}


def highlight(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of the highlighted pieces of `text` (see STYLES),
    from pynix's own lexer. Half-typed input (an open string or bracket) is
    fine; if the lexer fails anyway, the text is simply not highlighted."""
    from .syntax.lexer import Lexer
    out: list[tuple[str, int, int]] = []
    lexer = Lexer(Source(text, "«repl»"), collect_comments=True)
    braces: list[bool] = []        # for each open `{` / `${`: whether it is an interpolation
    try:
        for tok in lexer.tokens():
            t = tok.type
            kind = _TOKEN_STYLE.get(t)
            if t == "DOLLAR_CURLY":
                braces.append(True)
                kind = "interpolation"
            elif t == "LBRACE":
                braces.append(False)
            elif t == "RBRACE":
                if braces and braces.pop():
                    kind = "interpolation"
            elif t == "PATH_END" and tok.start_pos == tok.end_pos:
                continue
            elif t == "ID":
                if tok in ("true", "false", "null"):
                    kind = "constant"
                elif tok == "builtins" or tok in GLOBAL_NAMES:
                    kind = "builtin"
            if kind is not None and tok.end_pos > tok.start_pos:
                out.append((kind, tok.start_pos, tok.end_pos))
    except Exception:
        return []
    for span in lexer.comments or ():
        out.append(("comment", span.start, span.end))
    # an unterminated block comment is no comment to the lexer yet, but it is to the reader
    i = text.find("/*")
    while i >= 0:
        if not any(s <= i < e for _, s, e in out) and text.find("*/", i + 2) < 0:
            out = [p for p in out if p[1] < i] + [("comment", i, len(text))]
            break
        i = text.find("/*", i + 2)
    out.sort(key=lambda p: p[1])
    return out


# -- the terminal front ----------------------------------------------------------------------

def history_path() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "pynix", "repl-history")


def _prompt_parts(repl: Repl):
    from prompt_toolkit.completion import Completer, Completion
    from prompt_toolkit.lexers import Lexer

    class NixCompleter(Completer):
        def get_completions(self, document, complete_event):
            before = document.text_before_cursor
            m = _COMPLETE_TAIL.search(before) if not before.startswith(":") or " " in before else None
            word = before if m is None else m.group(0)
            for c in repl.complete(before):
                yield Completion(c, start_position=-len(word))

    class NixLexer(Lexer):
        """Highlighting from pynix's lexer (`highlight`); a `:command` line
        shows its command word as a keyword and the expression after it."""

        def lex_document(self, document):
            text = document.text
            lines = document.lines
            starts = [0]
            for line in lines[:-1]:
                starts.append(starts[-1] + len(line) + 1)
            styles = [""] * len(text)
            m = re.match(r"\s*:\S*\s*", text)
            offset = 0
            if m:
                for i in range(len(m.group(0).rstrip())):
                    styles[i] = STYLES["keyword"]
                offset = m.end()
            for kind, s0, e0 in highlight(text[offset:]):
                for i in range(s0 + offset, min(e0 + offset, len(text))):
                    styles[i] = STYLES[kind]

            def get_line(i):
                if i >= len(lines):
                    return []
                start, line = starts[i], lines[i]
                out: list[tuple[str, str]] = []
                for j, ch in enumerate(line):
                    style = styles[start + j] if start + j < len(styles) else ""
                    if out and out[-1][0] == style:
                        out[-1] = (style, out[-1][1] + ch)
                    else:
                        out.append((style, ch))
                return out
            return get_line
    return NixCompleter(), NixLexer()


def _key_bindings(repl: Repl):
    """Enter runs the input when it is complete, and starts a new line while
    a bracket, string or `let` is still open."""
    from prompt_toolkit.key_binding import KeyBindings
    kb = KeyBindings()

    @kb.add("enter")
    def _(event):
        buf = event.current_buffer
        if buf.complete_state is not None and buf.complete_state.current_completion is not None:
            buf.complete_state = None           # Enter picks the completion shown
            return
        if buf.document.is_cursor_at_the_end and repl.needs_more(buf.text):
            buf.insert_text("\n")
        else:
            buf.validate_and_handle()
    return kb


def run_repl(input=None, output=None, history: str | None = None, repl: Repl | None = None,
             load=()) -> int:
    """The interactive loop; `input`/`output` are prompt_toolkit Input/Output
    (for tests), the terminal by default. `load`: files (or `<name>`s) to
    `:l` first, as `nix repl FILE` does."""
    repl = repl or Repl()
    loaded = "".join(repl.handle(f":l {f}") for f in load)
    if input is None and not sys.stdin.isatty():
        if loaded:
            sys.stdout.write(loaded + "\n")
        return _run_piped(repl)
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    path = history if history is not None else history_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        hist = FileHistory(path)
    except OSError:
        hist = InMemoryHistory()
    completer, lexer = _prompt_parts(repl)
    session = PromptSession(history=hist, completer=completer, lexer=lexer, input=input, output=output,
                            complete_while_typing=False, multiline=True, key_bindings=_key_bindings(repl),
                            prompt_continuation=lambda width, line_number, is_soft_wrap: " " * (width - 2) + "> ")
    write = session.output.write_raw if output is not None else (lambda s: print(s, end="", flush=True))
    write("Welcome to pynix repl. Type :? for help.\n\n" + (loaded + "\n" if loaded else ""))
    while True:
        try:
            text = session.prompt("nix-repl> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        try:
            shown = repl.handle(text)
        except Quit:
            break
        except KeyboardInterrupt:
            shown = interrupt.MESSAGE
        if shown:
            write(shown.replace("\r\n", "\n") + "\n")
        if output is not None:
            session.output.flush()
    return 0


def _run_piped(repl: Repl) -> int:
    """Input from a pipe or file (`printf '1 + 2\\n' | pynix repl`): no prompt,
    no line editing; each complete input's output, as a script would want."""
    text = ""
    for line in sys.stdin:
        text = line.rstrip("\n") if not text else text + "\n" + line.rstrip("\n")
        if repl.needs_more(text):
            continue
        try:
            shown = repl.handle(text)
        except Quit:
            return 0
        text = ""
        if shown:
            sys.stdout.write(shown.replace("\r\n", "\n") + "\n")
            sys.stdout.flush()
    return 0
