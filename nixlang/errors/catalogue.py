"""The error catalogue: a beginner's explanation of every pynix error code.

`pynix explain CODE` prints one entry; the language server links the same
text from its diagnostics. Each entry says what happened, why Nix behaves
that way, and how to fix it, and carries two small programs: `broken`, which
really raises the code, and `fixed`, which evaluates without error
(tests/test_catalogue.py runs both).

Most examples run as they are (`pynix eval example.nix`). A few need a
setting (`options`, keyword arguments of `EvalOptions`, plus `url_literals`
of `ParseOptions`) or files beside them (`files`); `flags()` gives the
matching `pynix instantiate` flags when the command line has them. The
examples of E090 are command lines, since that error is about the input
itself.

Besides errors, the catalogue explains the warnings of the editor tooling:
the lints W001-W009 (stage "lint": the broken example is legal Nix that
evaluates, the language server warns about it) and the flake checks
F001-F005 (stage "flake": a flake.nix and its flake.lock belong together,
so each example is a small set of files, every one introduced by a line
`==> NAME <==`; `example_files()` splits it).

This module imports nothing but the standard library: it sits in the
lowest layer, beside the error classes.
"""
from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field

__all__ = ["Explanation", "explanation", "all_codes"]


@dataclass(frozen=True)
class Explanation:
    code: str
    title: str
    #: what happened, why Nix behaves this way, how to fix it (paragraphs)
    text: str
    #: a small program that raises `code`
    broken: str
    #: the same program, repaired: it evaluates without error
    fixed: str
    #: when the error is found: "parse" (reading the file, before anything
    #: runs), "eval" (while evaluating), "input" (the file could not be
    #: read at all; the examples are then command lines), "lint" (a warning
    #: of the editor tooling about code that runs) or "flake" (a check of a
    #: flake.nix against its flake.lock; the examples are sets of files)
    stage: str = "eval"
    #: settings both examples need: `max_call_depth`, `lints`,
    #: `experimental_features` (EvalOptions) or `url_literals` (ParseOptions)
    options: dict = field(default_factory=dict)
    #: files the examples expect in the current folder: (name, content) pairs
    files: tuple = ()
    #: how the error is related to others, for codes that name a family
    family: str = ""

    def flags(self) -> list[str] | None:
        """The `pynix instantiate` flags that give the examples their settings,
        or None when one of them has no command-line flag."""
        out: list[str] = []
        for key, value in self.options.items():
            if key == "max_call_depth":
                out += ["--max-call-depth", str(value)]
            elif key == "experimental_features":
                out += ["--extra-experimental-features", " ".join(sorted(value))]
            elif key == "lints":
                for lint, level in value:
                    out += [f"--lint-{lint}", level]
            else:
                return None
        return out

    def example_files(self, which: str = "broken") -> list[tuple[str, str]]:
        """The files of the `broken` or `fixed` example as (name, content)
        pairs: for a flake entry, the parts after each `==> NAME <==` line;
        for any other, the one file `example.nix`."""
        text = self.broken if which == "broken" else self.fixed
        if self.stage != "flake":
            return [("example.nix", text)]
        out: list[tuple[str, list[str]]] = []
        for line in text.splitlines(keepends=True):
            m = _FILE_MARK.match(line)
            if m:
                out.append((m.group(1), []))
            elif out:
                out[-1][1].append(line)
        return [(name, "".join(lines)) for name, lines in out]

    def command(self) -> str:
        """How to run an example saved as `example.nix`."""
        if self.stage == "input":
            return "the examples are the commands themselves"
        if self.stage == "lint":
            return ("save an example as example.nix and run `pynix check example.nix` (or open it in "
                    "an editor that runs the pynix language server, `pynix lsp`: the warning shows "
                    "as you type). The code itself evaluates: `pynix eval example.nix`")
        if self.stage == "flake":
            return ("save each file of an example under its name in an empty folder and run "
                    f"`pynix check {self.example_files()[0][0]}` there (or open it in an editor that "
                    "runs the pynix language server, `pynix lsp`)")
        flags = self.flags()
        if flags is None:
            return ("no pynix command has this setting; a program using the library gets it with "
                    + ", ".join(f"ParseOptions({k}={v!r})" for k, v in self.options.items()))
        if flags:
            return "pynix instantiate --eval --strict " + " ".join(flags) + " example.nix"
        return "pynix eval example.nix"


_FILE_MARK = re.compile(r"^==> (\S+) <==\s*$")


def _text(s: str) -> str:
    return textwrap.dedent(s).strip("\n")


def _code(s: str) -> str:
    return textwrap.dedent(s).strip("\n") + "\n"


_ENTRIES: list[Explanation] = []


def _add(code, title, text, broken, fixed, **kw):
    _ENTRIES.append(Explanation(code, title, _text(text), _code(broken), _code(fixed), **kw))


# -- the family code --------------------------------------------------------------------------

_add("E000", "parse error", """
    What happened: E000 is the family name of every error found while Nix
    reads a file, before it evaluates anything. pynix always reports the
    precise member of the family instead (E001 for a syntax error, E013 for
    an undefined variable, and so on), so you should never see E000 alone;
    if you do, please report it as a pynix bug.

    Why: Nix works in two steps. First it reads the whole file and checks
    that it is well formed and that every name it uses is defined; only
    then does it evaluate. An error of the first step means nothing of your
    program has run yet.

    How to fix: look up the specific code that was printed with
    `pynix explain CODE`. The example below is the most common member of
    the family, a missing semicolon (E001).
    """,
    """
    let x = 1 in x
    """,
    """
    let x = 1; in x
    """,
    stage="parse", family="every parse-time code (E001-E015) belongs to E000")


# -- syntax (E00x) ------------------------------------------------------------------------------

_add("E001", "syntax error", """
    What happened: the parser met a token it did not expect at this point.
    Nix's message names the token it found ("unexpected '}'") and, when it
    can, what it would have accepted ("expecting ';'").

    Why: Nix's grammar is strict about punctuation. Every binding in an
    attribute set or a `let` ends with `;`, even the last one; list
    elements are separated by spaces, not commas; function arguments in
    `{ ... }` patterns are separated by commas. Because of this, the real
    mistake is usually just before the marked spot: the parser only
    notices when the next token cannot fit.

    How to fix: look at the end of the line before the caret for a missing
    `;`, `)`, `]` or `}`. Count your brackets. If you come from JSON, remove
    commas between list elements and use `=` instead of `:` in attribute
    sets.
    """,
    """
    {
      name = "hello";
      version = "2.12"
    }
    """,
    """
    {
      name = "hello";
      version = "2.12";
    }
    """,
    stage="parse")

_add("E002", "invalid number literal", """
    What happened: a number in the source cannot be represented. Integers
    in Nix are 64-bit signed numbers, from -9223372036854775808 up to
    9223372036854775807; a floating-point literal must fit a double.

    Why: Nix reads numbers while parsing, and a literal that does not fit
    is rejected right away instead of silently wrapping around or losing
    digits.

    How to fix: if the number is really an identifier (a serial number, a
    phone number, a big hexadecimal value), write it as a string. If you
    need an approximate large value, use a float such as `1.0e20`.
    """,
    """
    { bytesInAZettabyte = 1000000000000000000000; }
    """,
    """
    { bytesInAZettabyte = 1.0e21; }
    """,
    stage="parse")

_add("E003", "path has a trailing slash", """
    What happened: a path literal ends in `/`, like `./src/`.

    Why: Nix path literals name one file or folder, and Nix writes them
    without a final slash. Allowing both `./src` and `./src/` would give
    two spellings of the same path, so the parser refuses the second one.

    How to fix: drop the trailing slash. If you need the slash in a string
    (to build a URL or a shell command), append it with string
    interpolation: `"${toString ./src}/"`.
    """,
    """
    { src = ./src/; }
    """,
    """
    { src = ./src; }
    """,
    stage="parse")

_add("E004", "experimental feature disabled", """
    What happened: the code uses syntax that belongs to an experimental
    Nix feature which is turned off, for example the pipe operators `|>`
    and `<|` (feature `pipe-operators`).

    Why: Nix keeps new language features behind a switch until they are
    stable, so that files written today keep meaning the same thing for
    everyone. Code that needs such a feature only works for people who
    enabled it.

    How to fix: either write the expression without the new syntax (a pipe
    `x |> f` is just the call `f x`), or enable the feature with
    `--extra-experimental-features pipe-operators` (or the
    `extra-experimental-features` line of nix.conf), knowing that others
    must do the same.
    """,
    """
    [ 3 1 2 ] |> builtins.sort builtins.lessThan
    """,
    """
    builtins.sort builtins.lessThan [ 3 1 2 ]
    """,
    stage="parse")

_add("E005", "URL literal", """
    What happened: the code contains a URL written without quotes, such as
    `https://example.org/x.tar.gz`, and URL literals are turned off.

    Why: early Nix let you write URLs bare, and they simply became strings.
    This makes code hard to read (is `a:b` a URL or a function?) and the
    feature is being phased out: old Nix versions refused bare URLs under
    the `no-url-literals` experimental feature, newer ones report them
    through the `lint-url-literals` setting (pynix code E015). In pynix,
    E005 comes from a program that uses the library with URL literals
    switched off (`ParseOptions(url_literals=False)`).

    How to fix: put the URL in double quotes. The value is the same string.
    """,
    """
    { url = https://example.org/hello-2.12.tar.gz; }
    """,
    """
    { url = "https://example.org/hello-2.12.tar.gz"; }
    """,
    stage="parse", options={"url_literals": False})

_add("E006", "null byte in a string", """
    What happened: a string in the file contains a NUL byte (the character
    with code 0), shown as ␀ in the message and in the example below.

    Why: Nix's strings are C strings inside, and a NUL byte would end them
    early, so current Nix refuses them outright (older versions silently
    cut the string at the NUL). A NUL usually arrives by accident:
    a binary file pasted into an editor, a file saved in UTF-16, or output
    of a tool captured into a .nix file.

    How to fix: remove the byte (a hex editor or `tr -d '\\000'` helps). If
    you need binary data, keep it in a separate file and refer to it with
    a path; Nix can copy any file into the store without reading it as a
    string.
    """,
    """
    { motto = "all\0together"; }
    """,
    """
    { motto = "all together"; }
    """,
    stage="parse")

# -- static checks (E01x) -----------------------------------------------------------------------

_add("E010", "attribute already defined", """
    What happened: an attribute set (or a `let`) defines the same name
    twice.

    Why: an attribute set maps each name to exactly one value, and Nix
    checks this while reading the file rather than silently keeping the
    first or the last definition. (Nested paths are merged, though:
    `a.b = 1; a.c = 2;` is fine, because each full path is defined once.)

    How to fix: remove one of the definitions, or rename one. If you meant
    to change a value that came from elsewhere, build a new set with `//`:
    `old // { name = "new"; }`.
    """,
    """
    {
      name = "hello";
      version = "2.12";
      name = "hello-2.12";
    }
    """,
    """
    {
      pname = "hello";
      version = "2.12";
      name = "hello-2.12";
    }
    """,
    stage="parse")

_add("E011", "duplicate formal function argument", """
    What happened: a function's argument pattern `{ a, b, ... }` lists the
    same name twice.

    Why: each name in the pattern becomes a variable inside the function,
    and one variable cannot stand for two arguments. Nix checks this when
    it reads the file.

    How to fix: remove the repeated name. This often happens when two
    argument lists were merged by hand, e.g. `{ lib, stdenv, lib }`.
    """,
    """
    let
      describe = { name, version, name }: "${name}-${version}";
    in
    describe { name = "hello"; version = "2.12"; }
    """,
    """
    let
      describe = { name, version }: "${name}-${version}";
    in
    describe { name = "hello"; version = "2.12"; }
    """,
    stage="parse")

_add("E012", "dynamic attribute not allowed here", """
    What happened: a `let` binding (or an `inherit`) uses a computed name,
    `${...}`, where only a plain name is allowed.

    Why: the names a `let` defines are variables, and Nix works out which
    variable each name in your code refers to before evaluating anything
    (lexical scoping). A name computed at run time cannot take part in that
    check. Attribute sets are different: their names are only data, so
    `{ ${name} = value; }` is allowed there.

    How to fix: give the binding a plain name. If the name really has to be
    computed, build an attribute set and select from it, or use
    `builtins.listToAttrs`.
    """,
    """
    let
      ${"gree" + "ting"} = "hello";
    in
    greeting
    """,
    """
    let
      attrs = { ${"gree" + "ting"} = "hello"; };
    in
    attrs.greeting
    """,
    stage="parse")

_add("E013", "undefined variable", """
    What happened: a name is used that nothing in scope defines: no `let`,
    no function argument, no `with`, no `rec` set and no builtin.

    Why: Nix checks every variable when it reads the file, before running
    anything, so even a typo in a branch that would never be evaluated is
    reported. Scopes in Nix are lexical: a `let` only covers the expression
    after its `in`, a function argument only covers the function body, and
    the attributes of a plain (non-`rec`) attribute set are not variables
    at all.

    How to fix: check the spelling (the message quotes the name). If the
    value lives in an attribute set, select it (`pkgs.hello`) or bring the
    set into scope with `with pkgs;` or `inherit (pkgs) hello;`. If a
    function needs it, add it to the function's arguments.
    """,
    """
    let
      greeting = "hello";
    in
    "${greting}, world"
    """,
    """
    let
      greeting = "hello";
    in
    "${greeting}, world"
    """,
    stage="parse")

_add("E014", "expression nested too deeply", """
    What happened: the expression is nested so deeply (brackets inside
    brackets, sets inside sets, tens of thousands of levels) that the
    parser ran out of room to keep track of it.

    Why: reading a nested expression needs memory for every level that is
    still open. Human-written code never gets close to the limit; this
    error almost always comes from generated code, such as a program that
    writes a linked list as nested sets. (Real Nix has similar limits and
    may crash instead of reporting them.)

    How to fix: generate flatter code: a list of items instead of items
    nested inside each other, or several files that import each other. The
    example builds the text of a file and imports it, to show the problem
    without a huge file; the fixed version stores the same number of items
    side by side. (Importing a file made by `builtins.toFile` writes to the
    store: with real Nix, give `nix-instantiate --eval` the flag
    `--read-write-mode`.)
    """,
    """
    let
      depth = 150000;
      repeat = s: builtins.concatStringsSep "" (builtins.genList (_: s) depth);
      text = repeat "{ next = " + "null" + repeat "; }";
    in
    import (builtins.toFile "nested.nix" text)
    """,
    """
    let
      depth = 150000;
      repeat = s: builtins.concatStringsSep "" (builtins.genList (_: s) depth);
      text = "[" + repeat " null" + " ]";
    in
    builtins.length (import (builtins.toFile "flat.nix" text))
    """,
    stage="parse")

_add("E015", "lint", """
    What happened: a `lint-*` setting is set to `fatal`, and the file
    contains the kind of literal it forbids: an absolute or home path
    (`/home/ada/src`, `~/src`, lint `absolute-path-literals`), a relative
    path without `./` (`src/main.c`, lint `short-path-literals`) or a bare
    URL (lint `url-literals`).

    Why: these literals are legal Nix but make code fragile. An absolute
    path only exists on the machine that wrote it, so the code is not
    portable and not reproducible; `src/main.c` is easy to misread as
    division; a bare URL is easy to confuse with other syntax. Projects
    switch the lints on to keep such code out. At `warn` you get a warning,
    at `fatal` an error.

    How to fix: use a path relative to the file (`./src`), take the path as
    a function argument, or write it as a string if it is not meant to be
    copied into the store; add `./` to short paths; quote URLs.
    """,
    """
    { src = /home/ada/projects/hello/src; }
    """,
    """
    { src = ./src; }
    """,
    stage="parse", options={"lints": (("absolute-path-literals", "fatal"),)})

# -- input (E09x) ----------------------------------------------------------------------------------

_add("E090", "cannot read input", """
    What happened: pynix could not read the file you asked for: it does
    not exist, you may not read it, or it is a folder without a
    default.nix.

    Why: this happens before any Nix code is read, so there is nothing
    wrong with your program yet; the command line points at the wrong
    place. When you name a folder, Nix reads the default.nix inside it.

    How to fix: check the spelling and the current directory (`ls`),
    and remember that a relative name is taken from where you run the
    command. The examples here are commands, run in a folder that
    contains greeting.nix.
    """,
    """
    pynix eval greting.nix
    """,
    """
    pynix eval greeting.nix
    """,
    stage="input", files=(("greeting.nix", '"Hello from a file"\n'),))

# -- evaluation (E2xx) -------------------------------------------------------------------------------

_add("E200", "evaluation error", """
    What happened: evaluation failed for a reason that has no more specific
    code, for example a list index out of range, a missing file, or a
    builtin given a value it cannot use. Nix's message says what went
    wrong.

    Why: Nix evaluates lazily, so an error appears only when the faulty
    value is actually needed, which may be far from where it was written.
    The `… while ...` lines of the trace (use `--show-trace` for all of
    them) lead from what you asked for down to the failing spot.

    How to fix: read the last `error:` line first, then the trace from the
    top to see why that value was needed. For this example: lists count
    from 0, so the last element of a list of 2 is at index 1; to avoid
    counting, use `builtins.length` or the list functions (`head`,
    `builtins.filter`, ...).
    """,
    """
    let
      colours = [ "red" "green" ];
    in
    builtins.elemAt colours 2
    """,
    """
    let
      colours = [ "red" "green" ];
    in
    builtins.elemAt colours (builtins.length colours - 1)
    """,
    family="every evaluation code (E201-E299) is a kind of E200")

_add("E201", "wrong type", """
    What happened: a value of one type was used where another type was
    needed: a number where a string was expected, a set called like a
    function, a function put into a string, and so on. The message names
    both types and shows the value.

    Why: Nix is dynamically typed, so types are checked at the moment a
    value is used, not when it is written. It also converts very little on
    its own: `+` joins two strings or adds two numbers, but will not turn a
    number into a string for you, because a silent conversion would hide
    mistakes.

    How to fix: convert explicitly (`toString 3`, `builtins.toJSON x`),
    select the attribute you meant (`s.name` instead of `s`), or call the
    function before using its result. The trace shows where the value
    came from.
    """,
    """
    let
      unread = 3;
    in
    "You have " + unread + " new messages"
    """,
    """
    let
      unread = 3;
    in
    "You have ${toString unread} new messages"
    """)

_add("E202", "attribute missing", """
    What happened: the code selected an attribute (`set.name`) that the
    set does not have. When a similar name exists, Nix suggests it.

    Why: selecting a missing attribute is an error, not `null`, so that
    typos are caught instead of spreading. The set may also be different
    from what you think: an override or a function may have produced it.

    How to fix: check the spelling against the suggestion. When the
    attribute may legitimately be absent, say so: `set.name or "default"`
    gives a fallback, and `set ? name` tests for it. `builtins.attrNames
    set` lists what is there.
    """,
    """
    let
      pkgs = { hello = "hello-2.12"; cowsay = "cowsay-3.7"; };
    in
    pkgs.helo
    """,
    """
    let
      pkgs = { hello = "hello-2.12"; cowsay = "cowsay-3.7"; };
    in
    pkgs.hello
    """)

_add("E203", "infinite recursion", """
    What happened: to compute a value, Nix needed that same value first.

    Why: Nix is lazy: every value is computed when it is first needed and
    then remembered. While a value is being computed it is marked as
    "in progress"; if computing it asks for itself again, no amount of
    waiting can give an answer, so Nix stops. Laziness lets `rec` sets,
    `let` and fixed points (overlays, the module system) refer to each
    other freely, as long as no value depends on itself.

    How to fix: follow the chain of names (`a` needs `b`, `b` needs `a`)
    and break the cycle by giving one of them a value that does not depend
    on the other. In overlays, use `prev` (the previous stage) where you
    wrote `final`, or the other way round; in modules, do not make a
    `config` value decide which modules or options exist.
    """,
    """
    let
      server = rec {
        port = defaultPort;
        defaultPort = port + 1;
      };
    in
    server.port
    """,
    """
    let
      server = rec {
        port = defaultPort;
        defaultPort = 8080;
      };
    in
    server.port
    """)

_add("E204", "thrown error", """
    What happened: the code called `throw "message"`. The text after
    `error:` is that message, written by whoever wrote the function.

    Why: `throw` is how Nix code reports that it was used wrongly, for
    example a package that does not support your platform, or an argument
    out of range. Like everything in Nix it is lazy: the error only
    happens if the value containing `throw` is actually needed.

    How to fix: read the message; it usually says what to change. The
    trace shows which of your values led there. If a failure is acceptable,
    `builtins.tryEval` turns a `throw` into `{ success = false; }`.
    """,
    """
    let
      checkAge = age:
        if age < 0 then throw "age must not be negative, got ${toString age}" else age;
    in
    checkAge (-3)
    """,
    """
    let
      checkAge = age:
        if age < 0 then throw "age must not be negative, got ${toString age}" else age;
    in
    checkAge 3
    """)

_add("E205", "evaluation aborted", """
    What happened: the code called `abort "message"`, which stops the
    whole evaluation.

    Why: `abort` is the harsher cousin of `throw`: it means "this must
    never happen", and even `builtins.tryEval` cannot catch it. Library
    code uses it for broken configurations that must be fixed by hand.

    How to fix: read the message and fix the cause; there is no way to
    recover from `abort` inside Nix. In your own code, prefer `throw`
    unless stopping everything is really what you want.
    """,
    """
    let
      config = { user = "ada"; };
    in
    if config ? hostName then config.hostName else abort "config.hostName must be set"
    """,
    """
    let
      config = { user = "ada"; hostName = "workshop"; };
    in
    if config ? hostName then config.hostName else abort "config.hostName must be set"
    """)

_add("E206", "assertion failed", """
    What happened: an `assert CONDITION; BODY` expression found its
    condition false. For a comparison like `a == b`, Nix shows both sides.

    Why: `assert` states something the author requires before the body
    makes sense, such as an argument having the right type. It is checked
    when the `assert` expression is evaluated, so a wrong call fails early
    with a clear cause instead of much later with a confusing one.

    How to fix: the condition tells you what was expected; change the
    value you pass so that it holds. Do not remove the assert unless you
    understand why it was there.
    """,
    """
    let
      half = n: assert builtins.isInt n; n / 2;
    in
    half "10"
    """,
    """
    let
      half = n: assert builtins.isInt n; n / 2;
    in
    half 10
    """)

_add("E207", "division by zero", """
    What happened: an integer (or float) was divided by zero with `/` or
    `builtins.div`.

    Why: the result has no value, and Nix reports it rather than inventing
    one. The zero is often computed: the length of an empty list, a count
    that was never incremented.

    How to fix: check the divisor first: `if n == 0 then 0 else total /
    n`, or make sure the list cannot be empty.
    """,
    """
    let
      average = xs: builtins.foldl' (a: b: a + b) 0 xs / builtins.length xs;
    in
    average [ ]
    """,
    """
    let
      average = xs:
        if xs == [ ] then 0 else builtins.foldl' (a: b: a + b) 0 xs / builtins.length xs;
    in
    average [ ]
    """)

_add("E208", "integer overflow", """
    What happened: an integer operation gave a result outside the 64-bit
    signed range (about ±9.2 × 10^18).

    Why: Nix integers have a fixed size. Current Nix reports an overflow as
    an error instead of wrapping around to a wrong (often negative) number;
    older versions such as Nix 2.8 wrapped silently, so code that "worked"
    there may fail now.

    How to fix: keep numbers smaller, or use floats (`21.0`) when an
    approximate answer is enough. Factorials and powers grow fast: 20! is
    the largest factorial that fits.
    """,
    """
    let
      factorial = n: if n == 0 then 1 else n * factorial (n - 1);
    in
    factorial 21
    """,
    """
    let
      factorial = n: if n == 0 then 1 else n * factorial (n - 1);
    in
    factorial 20
    """)

_add("E209", "bad function call", """
    What happened: a function that takes an attribute set of named
    arguments, `{ a, b }: ...`, was called without one it requires, or with
    one it does not accept.

    Why: the pattern `{ a, b }` is a contract: `a` and `b` must be given
    (unless they have a default, `b ? 1`), and nothing else may be given
    (unless the pattern ends with `...`). Nix checks it at the call, so a
    typo in an argument name is caught instead of silently ignored.

    How to fix: compare the call with the function's pattern. Pass the
    missing argument, give it a default with `?`, or add `...` to the
    pattern if extra arguments should be allowed.
    """,
    """
    let
      greet = { name, greeting }: "${greeting}, ${name}!";
    in
    greet { name = "Ada"; }
    """,
    """
    let
      greet = { name, greeting ? "Hello" }: "${greeting}, ${name}!";
    in
    greet { name = "Ada"; }
    """)

_add("E210", "stack overflow", """
    What happened: function calls were nested deeper than the allowed
    limit (the `max-call-depth` setting, 10000 by default).

    Why: Nix has no loops; repetition is written as recursion, and every
    call that has not returned yet takes room. A recursion that never
    reaches its base case keeps going until the limit stops it. Very deep
    data (a list built by recursion with millions of steps) can hit the
    limit too.

    How to fix: check that every recursive function has a base case that
    is reached (here: counting down to 0, not up). For long lists, prefer
    builtins that loop internally, such as `builtins.genList`,
    `builtins.foldl'` and `builtins.map`. `--max-call-depth N` raises the
    limit when the recursion is correct but deep.
    """,
    """
    let
      countdown = n: if n == 0 then [ ] else [ n ] ++ countdown (n + 1);
    in
    countdown 3
    """,
    """
    let
      countdown = n: if n == 0 then [ ] else [ n ] ++ countdown (n - 1);
    in
    countdown 3
    """)

_add("E211", "usage error", """
    What happened: a builtin was given an option it does not know, most
    often a hash algorithm name other than `md5`, `sha1`, `sha256` or
    `sha512` (names are lower case).

    Why: such names are not values Nix can interpret loosely; a wrong name
    could mean a wrong hash, so it is rejected with the list of the
    accepted ones.

    How to fix: use one of the names the message lists, spelled exactly.
    """,
    """
    builtins.hashString "SHA256" "hello"
    """,
    """
    builtins.hashString "sha256" "hello"
    """)

_add("E212", "bad hash", """
    What happened: a hash string could not be understood: it is cut short,
    has characters that do not belong to its encoding, or does not match
    the length of its algorithm.

    Why: Nix accepts hashes in several spellings (hexadecimal, Nix's own
    base-32, base-64, and SRI like `sha256-...=`), and checks the length
    exactly, because a hash that is almost right is still wrong.

    How to fix: copy the whole hash again; a truncated copy-paste is the
    usual cause. An SRI hash is the algorithm, a dash, and 44 base-64
    characters for sha256 (ending in `=`).
    """,
    """
    builtins.convertHash {
      hash = "sha256-47DEQpj8HBSa";
      toHashFormat = "base16";
    }
    """,
    """
    builtins.convertHash {
      hash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
      toHashFormat = "base16";
    }
    """)

_add("E213", "bad URL", """
    What happened: a URL or flake reference could not be parsed, or no
    kind of input accepts it as written.

    Why: flake references are compact (`github:OWNER/REPO`, `nixpkgs`,
    `path:./dir`, `git+https://...`), and each kind needs its own parts:
    a GitHub reference needs both owner and repository. Nix reads them
    strictly so that a reference always means the same source.

    How to fix: compare with the forms above; check for a missing part or
    a stray character. `builtins.parseFlakeRef` shows how a valid
    reference is understood.
    """,
    """
    builtins.parseFlakeRef "github:NixOS"
    """,
    """
    builtins.parseFlakeRef "github:NixOS/nixpkgs"
    """)

_add("E214", "out of memory", """
    What happened: the evaluation needed more memory than pynix allows
    itself, and stopped with Nix's "out of memory" instead of making the
    whole machine slow. Reading a file that never ends (`/dev/zero`, a
    device or a pipe) or a file larger than the memory left is refused the
    same way.

    Why: Nix values live in memory until the evaluation ends, and nothing
    limits how large a string or a list may grow: a recursion that doubles
    a string forty times asks for a terabyte. Real Nix grows until the
    system refuses. pynix caps itself at three quarters of the physical
    memory (the `PYNIX_MAX_MEMORY` environment variable sets another cap,
    such as `8G`, or `off`), so it fails before the machine starts to swap.

    How to fix: look for a value that grows without end: a recursion whose
    base case is never reached while it builds a string or list, a
    `builtins.readFile` of something that is not an ordinary file. When the
    evaluation is right and only big, raise the cap with
    `PYNIX_MAX_MEMORY`.
    """,
    """
    builtins.stringLength (builtins.readFile "/dev/zero")
    """,
    """
    builtins.stringLength (builtins.readFile ./greeting.txt)
    """,
    files=(("greeting.txt", "Hello from a local file!\n"),))

_add("E220", "fetch failed", """
    What happened: a fetcher (`fetchurl`, `fetchTarball`, `fetchGit`,
    `fetchTree`) could not get what it was asked for: the download failed,
    the archive was unreadable, or the content did not match the hash you
    gave.

    Why: fetchers with a hash are "fixed-output": you promise what the
    content is, and Nix checks the promise, so a build can never quietly
    use different sources. The usual workflow when adding a new source is
    to put a fake hash (zeros), run once, and copy the real hash from the
    "got:" line of this error.

    How to fix: for a hash mismatch, check that the URL is right and the
    content is the one you expect, then use the hash after "got:". For a
    failed download, check the URL and your network. The example fetches
    a local file, greeting.txt, so it runs offline.
    """,
    """
    builtins.fetchurl {
      url = "file://${toString ./greeting.txt}";
      sha256 = "0000000000000000000000000000000000000000000000000000";
    }
    """,
    """
    builtins.fetchurl {
      url = "file://${toString ./greeting.txt}";
      sha256 = "15bpxs2s897hqgpbdmi62xwy9y6s38c75d7bzkld2d5h50b5nw8y";
    }
    """,
    files=(("greeting.txt", "Hello from a local file!\n"),))

_add("E299", "not implemented in pynix yet", """
    What happened: the code is valid Nix, but it uses something pynix does
    not implement (yet): here, BLAKE3 hashes.

    Why: pynix is a reimplementation of Nix for learning and tooling, and
    it covers the language and the builtins that work offline, not every
    corner of Nix. This error is about pynix, not about your code.

    How to fix: use an equivalent pynix has (here, another hash algorithm),
    or evaluate this code with real Nix. Reports of what you miss are
    welcome.
    """,
    """
    builtins.hashString "blake3" "hello"
    """,
    """
    builtins.hashString "sha256" "hello"
    """,
    options={"experimental_features": frozenset({"blake3-hashes"})})


# -- lints (W0xx): warnings of the editor tooling ---------------------------------------------------
#
# The code of these examples is legal Nix and evaluates; the language server
# (`pynix lsp`, nixlang/ide/diagnostics.py) warns about it because it is
# almost always a mistake or a leftover.

_add("W001", "unused let binding", """
    What happened: a `let` defines a name that nothing in the `let` (or
    after its `in`) ever uses.

    Why: Nix is lazy, so an unused binding costs nothing at run time: its
    value is never computed. That is also why Nix itself stays silent about
    it, and why it is worth a warning: a binding nobody reads is usually a
    leftover of an edit, or a sign that the name you meant to use is
    spelled differently somewhere else (then the value you wanted is
    silently not the one being used).

    How to fix: remove the binding if it is a leftover, or use it where you
    meant to. If you want to keep it on purpose (as documentation, or for
    later), start its name with `_`; names starting with `_` are never
    reported as unused.
    """,
    """
    let
      name = "hello";
      version = "2.12";
    in
    "${name}"
    """,
    """
    let
      name = "hello";
      version = "2.12";
    in
    "${name}-${version}"
    """,
    stage="lint")

_add("W002", "unused formal argument", """
    What happened: a function that takes named arguments, `{ a, b }: ...`,
    lists an argument that its body never uses.

    Why: the names between the braces are a contract with every caller:
    each one without a default (`b ? 1`) must be passed. An argument the
    body ignores makes callers provide something for nothing, and often
    hides a typo or a forgotten use (here the greeting is written into the
    string by hand instead of using `greeting`). This is only a hint: in
    package functions called by `callPackage`, unused arguments are common
    and harmless.

    How to fix: use the argument where it was meant to be used, or remove
    it from the braces. If callers pass it anyway, keep `...` in the
    pattern so the call still works without listing it; or start its name
    with `_` to say that it is unused on purpose.
    """,
    """
    let
      greet = { name, greeting }: "Hello, ${name}!";
    in
    greet { name = "Ada"; greeting = "Hi"; }
    """,
    """
    let
      greet = { name, greeting }: "${greeting}, ${name}!";
    in
    greet { name = "Ada"; greeting = "Hi"; }
    """,
    stage="lint")

_add("W003", "unused with", """
    What happened: a `with SET;` expression brings the attributes of a set
    into scope, but no name in its body is taken from it.

    Why: `with` is a dynamic scope: Nix only looks a name up in the set when
    no `let`, function argument or enclosing binding defines it, so which
    names come from a `with` is easy to misjudge. A `with` that provides
    nothing only makes readers search the set for names that are not
    there. (Here the one use already says `pkgs.hello` in full.)

    How to fix: delete `with ...;`. If you did mean to use names from the
    set, check that they are not also bound by a `let` or a function
    argument: those always win over `with`, whatever the set contains.
    """,
    """
    let
      pkgs = { hello = "hello-2.12"; };
    in
    with pkgs; [ pkgs.hello ]
    """,
    """
    let
      pkgs = { hello = "hello-2.12"; };
    in
    [ pkgs.hello ]
    """,
    stage="lint")

_add("W004", "useless rec", """
    What happened: an attribute set is marked `rec`, but none of its
    attributes refers to another one.

    Why: `rec { ... }` makes every attribute of the set a variable inside
    the set, so attributes can be defined from each other (`name =
    "${pname}-${version}"`). That power has a price: inside a `rec` set a
    name such as `version` means the attribute, not an outer variable of
    the same name, and two attributes that refer to each other can form an
    infinite recursion. Without any reference, `rec` only adds that risk.

    How to fix: drop the `rec` keyword; the set means exactly the same
    without it. Add it back only when one attribute really needs another,
    or use a `let` for the shared values instead.
    """,
    """
    rec {
      pname = "hello";
      version = "2.12";
    }
    """,
    """
    {
      pname = "hello";
      version = "2.12";
    }
    """,
    stage="lint")

_add("W005", "empty let", """
    What happened: a `let ... in` binds no names at all: nothing stands
    between `let` and `in`.

    Why: an empty `let` is legal and changes nothing: the expression after
    `in` is the whole value. It is usually what is left after the last
    binding was deleted, and it makes readers look for definitions that do
    not exist.

    How to fix: remove the words `let` and `in` and keep the expression
    that followed `in`.
    """,
    """
    let
    in
    { pname = "hello"; }
    """,
    """
    { pname = "hello"; }
    """,
    stage="lint")

_add("W006", "empty inherit", """
    What happened: an `inherit;` or `inherit (set);` statement names no
    attribute, so it copies nothing.

    Why: `inherit (pkgs) hello;` is short for `hello = pkgs.hello;`: it
    needs the names to copy after the parentheses. Without names the line
    is legal but does nothing, which is rarely what was meant: usually the
    names were forgotten, or deleted while editing.

    How to fix: list the attributes to copy (`inherit (pkgs) hello;`), or
    delete the statement.
    """,
    """
    let
      pkgs = { hello = "hello-2.12"; };
    in
    {
      inherit (pkgs);
      name = "demo";
    }
    """,
    """
    let
      pkgs = { hello = "hello-2.12"; };
    in
    {
      inherit (pkgs) hello;
      name = "demo";
    }
    """,
    stage="lint")

_add("W007", "shadows a builtin", """
    What happened: a `let` binding, `rec` attribute or function argument
    has the same name as a builtin that is always in scope, such as
    `toString`, `map`, `import` or `baseNameOf`.

    Why: Nix's scoping is lexical: the innermost definition of a name wins.
    Inside the scope of your binding, every use of the name means your
    value, not the builtin; code you paste there that expects the builtin
    then behaves differently, and readers who know the builtin are misled.
    The builtin stays reachable as `builtins.NAME`, which is why the broken
    example still works, but only because it spells that out.

    How to fix: choose a name of your own (`showNumber` instead of
    `toString`). If shadowing is deliberate, refer to the original as
    `builtins.NAME` wherever you need it.
    """,
    """
    let
      toString = n: "#${builtins.toString n}";
    in
    toString 3
    """,
    """
    let
      showNumber = n: "#${toString n}";
    in
    showNumber 3
    """,
    stage="lint")

_add("W008", "legacy let", """
    What happened: the code uses the old form `let { ...; body = ...; }`,
    an attribute set after `let` whose `body` attribute is the result.

    Why: this is syntax from the earliest versions of Nix, kept only so
    that very old files still parse. It reads like an attribute set but is
    not one, every binding can see every other (like `rec`), and few
    people recognise it. Current Nix warns that it is deprecated.

    How to fix: write an ordinary `let`: move the bindings between `let`
    and `in`, and put the expression of `body` after `in`.
    """,
    """
    let {
      greeting = "hello";
      body = greeting + ", world";
    }
    """,
    """
    let
      greeting = "hello";
    in
    greeting + ", world"
    """,
    stage="lint")

_add("W009", "URL literal", """
    What happened: a URL is written without quotes, for example
    `https://example.org/hello.tar.gz`.

    Why: Nix once allowed bare URLs and turned them into strings, but they
    make code hard to read (is `x:y` a URL or a function?) and they are
    deprecated. Projects can forbid them with the `lint-url-literals`
    setting: at `warn` Nix prints a warning, at `fatal` it refuses the file
    (pynix code E015). The language server warns in every case, so the
    code keeps working when someone turns the setting on.

    How to fix: put the URL in double quotes; the value is the same
    string.
    """,
    """
    { src = https://example.org/hello-2.12.tar.gz; }
    """,
    """
    { src = "https://example.org/hello-2.12.tar.gz"; }
    """,
    stage="lint")


# -- flakes (F0xx): a flake.nix checked against its flake.lock -----------------------------------

def _github(owner: str, repo: str, rev: str, modified: int, nar_hash: str, ref: str | None = None) -> dict:
    """A lock node of a github input, as `nix flake lock` writes it."""
    original = {"owner": owner, "repo": repo, "type": "github"}
    if ref:
        original["ref"] = ref
    return {"locked": {"lastModified": modified, "narHash": nar_hash, "owner": owner, "repo": repo,
                       "rev": rev, "type": "github"},
            "original": original}


_NIXPKGS_2405 = _github("NixOS", "nixpkgs", "205fd4226592cc83fd4c0885a3e4c9c400efabb5", 1720535198,
                        "sha256-zwVvxrdIzralnSbcpghA92tWu2DV2lwv89xZc8MTrbg=", "nixos-24.05")
_NIXPKGS_2411 = _github("NixOS", "nixpkgs", "7ffd9ae656aec493492b44d0ddfb28e79a1ea25d", 1739214665,
                        "sha256-CG3hu1j4Py0qgpkcJBo8Z8P43bn6d6y0nc2P0SRdmHw=", "nixos-24.11")
_FLAKE_UTILS = _github("numtide", "flake-utils", "b1d9ab70662946ef0850d488da1c9019f3a9752a", 1710146030,
                       "sha256-SZ5L6eA7HJ/nmkzGG7/ISclqe6oZdOZTNoesiInkXPQ=")


def _lock(version: int = 7, **nodes) -> str:
    """A flake.lock pinning `nodes` (input name -> node) as direct inputs of the root."""
    nodes = {name.replace("_", "-"): node for name, node in nodes.items()}
    data = {"nodes": {**nodes, "root": {"inputs": {name: name for name in nodes}}},
            "root": "root", "version": version}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _files(*pairs) -> str:
    return "".join(f"==> {name} <==\n{_code(content) if name.endswith('.nix') else content}"
                   for name, content in pairs)


_ONE_INPUT = """
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
      outputs = { nixpkgs, ... }: {
        packages.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.hello;
      };
    }
    """

_TWO_INPUTS = """
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
      inputs.flake-utils.url = "github:numtide/flake-utils";
      outputs = { nixpkgs, flake-utils, ... }:
        flake-utils.lib.eachDefaultSystem (system: {
          packages.default = nixpkgs.legacyPackages.${system}.hello;
        });
    }
    """

_NEW_BRANCH = """
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
      outputs = { nixpkgs, ... }: {
        packages.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.hello;
      };
    }
    """

def _conflicted(lock: str, old_rev: str, new_rev: str) -> str:
    """`lock` as a version control merge leaves it when both sides changed a rev."""
    line = next(l for l in lock.splitlines(keepends=True) if f'"rev": "{old_rev}"' in l)
    return lock.replace(line, "<<<<<<< HEAD\n" + line + "=======\n" + line.replace(old_rev, new_rev)
                        + ">>>>>>> update-nixpkgs\n")


_CONFLICT = _conflicted(_lock(nixpkgs=_NIXPKGS_2405), "205fd4226592cc83fd4c0885a3e4c9c400efabb5",
                        "7ffd9ae656aec493492b44d0ddfb28e79a1ea25d")


def _flake(code, title, text, broken, fixed):
    _ENTRIES.append(Explanation(code, title, _text(text), broken, fixed, stage="flake"))


_flake("F001", "input missing from flake.lock", """
    What happened: flake.nix declares an input (in `inputs`, or as an
    argument of `outputs`) that flake.lock does not pin.

    Why: a flake's lock file records the exact revision and content hash
    of every input, so that everyone who builds the flake gets the same
    sources (purity and reproducibility). An input without an entry has no
    fixed version yet. Nix would fetch whatever the input points to today
    and rewrite the lock file, or refuse when the lock may not change
    (`--no-update-lock-file`, or a read-only checkout in CI).

    How to fix: run `nix flake lock` in the flake's folder to add the
    missing entries without updating the others (`nix flake update INPUT`
    also re-locks one input), and commit the new flake.lock together with
    flake.nix. In the example the input `flake-utils` was added to
    flake.nix; the fixed flake.lock is what `nix flake lock` writes.
    """,
    _files(("flake.nix", _TWO_INPUTS), ("flake.lock", _lock(nixpkgs=_NIXPKGS_2405))),
    _files(("flake.nix", _TWO_INPUTS), ("flake.lock", _lock(nixpkgs=_NIXPKGS_2405, flake_utils=_FLAKE_UTILS))))

_flake("F002", "flake.lock out of date", """
    What happened: the url of an input in flake.nix no longer matches what
    flake.lock says the input was locked from (its `original` entry): here
    the branch changed from `nixos-24.05` to `nixos-24.11`, but the lock
    still pins a revision of the old branch.

    Why: the lock file is only rewritten when Nix locks the flake. Editing
    the url in flake.nix does not change which sources are used until then,
    so the flake silently keeps building against the old input. Nix notices
    the difference the next time it evaluates the flake and re-locks it,
    or refuses to when the lock file may not change.

    How to fix: run `nix flake lock` (or `nix flake update INPUT` for just
    this input) after changing an input's url, check that the new revision
    is the one you want, and commit flake.nix and flake.lock together.
    """,
    _files(("flake.nix", _NEW_BRANCH), ("flake.lock", _lock(nixpkgs=_NIXPKGS_2405))),
    _files(("flake.nix", _NEW_BRANCH), ("flake.lock", _lock(nixpkgs=_NIXPKGS_2411))))

_flake("F003", "non-literal flake input", """
    What happened: the `inputs` of flake.nix contain something other than
    plain strings, booleans and attribute sets of those: a variable, a
    `let`, string interpolation, a function call or, as here, strings joined
    with `+`.

    Why: Nix reads `inputs` before it evaluates anything else in the
    flake, in order to fetch and lock the inputs, and it does so without
    running code: the inputs must be known without evaluation so that
    locking stays simple and cannot depend on the inputs themselves
    (which are not fetched yet). So the values must be literals; Nix
    rejects a computed one with an error when it reads the flake.

    How to fix: write each url out in full as one string literal. If
    several inputs share a version, repeat it, or let one input `follows`
    another (`inputs.foo.inputs.nixpkgs.follows = "nixpkgs";`).
    """,
    _files(("flake.nix", """
    {
      inputs.nixpkgs.url = "github:NixOS/nixpkgs/" + "nixos-24.05";
      outputs = { nixpkgs, ... }: {
        packages.x86_64-linux.default = nixpkgs.legacyPackages.x86_64-linux.hello;
      };
    }
    """)),
    _files(("flake.nix", _ONE_INPUT)))

_flake("F004", "flake.lock is not readable", """
    What happened: flake.lock is not valid JSON, or it is JSON but not a
    lock file (an object with `nodes`, `root` and `version`).

    Why: flake.lock is written by Nix and read by Nix; it is not meant to
    be edited by hand. The most common way to break it is a version control
    merge: two branches each updated the lock, and the merge left conflict
    markers (`<<<<<<<`, `=======`, `>>>>>>>`) inside it, as in the example.
    Until the file is valid again, Nix cannot know what the inputs are
    pinned to and refuses to use the flake.

    How to fix: do not merge lock files line by line. Take one side's
    flake.lock whole (for example `git checkout --theirs flake.lock`) and
    run `nix flake lock` to add what the other side needed, or run `nix
    flake update` to re-lock everything.
    """,
    _files(("flake.lock", _CONFLICT), ("flake.nix", _ONE_INPUT)),
    _files(("flake.lock", _lock(nixpkgs=_NIXPKGS_2405)), ("flake.nix", _ONE_INPUT)))

_flake("F005", "unsupported lock file version", """
    What happened: flake.lock says it has a format version other than 7,
    the version current Nix writes and pynix understands. The file is kept
    as it is; pynix just cannot show what it pins (hover, go to definition
    and the other checks are off for it).

    Why: the lock file format changed while flakes were experimental.
    Files with older versions come from early Nix releases that supported
    flakes; a newer version would come from a Nix that pynix does not know
    yet. Reading a format by guesswork could show wrong revisions, so pynix
    prefers to say that it does not read it.

    How to fix: let a current Nix rewrite the file: `nix flake lock`
    converts an old lock file while keeping the pinned revisions (`nix
    flake update` also moves the inputs to their latest versions). Commit
    the result.
    """,
    _files(("flake.lock", _lock(5, nixpkgs=_NIXPKGS_2405)), ("flake.nix", _ONE_INPUT)),
    _files(("flake.lock", _lock(nixpkgs=_NIXPKGS_2405)), ("flake.nix", _ONE_INPUT)))

_BY_CODE: dict[str, Explanation] = {e.code: e for e in _ENTRIES}


def all_codes() -> list[str]:
    """Every explained code, in order."""
    return sorted(_BY_CODE)


def explanation(code: str) -> Explanation:
    """The explanation of `code` (case-insensitive); KeyError if unknown."""
    return _BY_CODE[code.strip().upper()]
