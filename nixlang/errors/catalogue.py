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

This module imports nothing but the standard library: it sits in the
lowest layer, beside the error classes.
"""
from __future__ import annotations

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
    #: runs), "eval" (while evaluating) or "input" (the file could not be
    #: read at all; the examples are then command lines)
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

    def command(self) -> str:
        """How to run an example saved as `example.nix`."""
        if self.stage == "input":
            return "the examples are the commands themselves"
        flags = self.flags()
        if flags is None:
            return ("no pynix command has this setting; a program using the library gets it with "
                    + ", ".join(f"ParseOptions({k}={v!r})" for k, v in self.options.items()))
        if flags:
            return "pynix instantiate --eval --strict " + " ".join(flags) + " example.nix"
        return "pynix eval example.nix"


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


_BY_CODE: dict[str, Explanation] = {e.code: e for e in _ENTRIES}


def all_codes() -> list[str]:
    """Every explained code, in order."""
    return sorted(_BY_CODE)


def explanation(code: str) -> Explanation:
    """The explanation of `code` (case-insensitive); KeyError if unknown."""
    return _BY_CODE[code.strip().upper()]
