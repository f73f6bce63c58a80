"""The ATerm text of a `.drv` file: syntax only, on bytes.

Mirrors the parser and printer in libstore/derivation/aterm.cc (`parse`,
`unparseDerivation`, `printString`, `printUnquotedString`, `parseString`,
`parseUnquotedString`, `parseMap`, `checkMonotonic`). What the fields *mean*
(output kinds, store path validity, content addresses) is derivation.py's
business; this module only reads and writes the text, byte for byte.

The format, one line and no trailing newline:

    Derive([("out","/nix/store/...-x","","")],      outputs: name, path, hashAlgo, hash
           [("/nix/store/...-dep.drv",["out"])],    input derivations and their outputs
           ["/nix/store/...-src"],                  input sources
           "x86_64-linux","/bin/sh",["-e","..."],   platform, builder, args
           [("name","x"),...])                      environment

(without the line breaks). Derivations that depend on outputs of *dynamic*
derivations use `DrvWithVersion("xp-dyn-drv",[outputs],...)`, in which an
input derivation's outputs may be `(["a"],[("b",["c"])])`: its own outputs and,
for each output that is itself a derivation, that one's outputs (recursively).

Strings are byte strings. Two kinds of string field exist, as in Nix:

- *escaped* (builder, args, env names and values, hashAlgo, hash): `"`, `\\`,
  newline, CR and tab are written `\\"`, `\\\\`, `\\n`, `\\r`, `\\t`; every other
  byte, UTF-8 or not, is written as is.
- *unquoted* (store paths, output names, platform): written verbatim, and a
  backslash in one is an error when reading.

The reader is as strict as current Nix: it accepts only the canonical text,
which is what makes "parse, then print" give back the same bytes. Keys of maps
and items of sets must be strictly ascending (byte order) — no duplicates —,
an escapable character must be escaped, only the five escapes exist, and
nothing may follow the closing parenthesis. Errors are `FormatError` with
Nix's messages ("expected string '['", "environment variable 'x' does not
appear in a sorted order", ...).

The writer sorts what Nix keeps in ordered maps and sets (outputs, input
derivations, output names, input sources, environment), so it prints the
canonical text whatever order it is given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import FormatError

DYN_DRV_VERSION = b"xp-dyn-drv"


@dataclass
class InputNode:
    """The outputs wanted of one input derivation (DerivedPathMap's ChildNode):
    `outputs` of the derivation itself, and `dynamic`: for an output that is a
    derivation, the node of what is wanted of *that* one."""

    outputs: list[bytes] = field(default_factory=list)
    dynamic: list[tuple[bytes, "InputNode"]] = field(default_factory=list)


@dataclass
class ATermDerivation:
    """The fields of a `.drv`, as bytes, in file order. `version` is None for
    `Derive(...)` and b"xp-dyn-drv" for `DrvWithVersion("xp-dyn-drv", ...)`."""

    outputs: list[tuple[bytes, bytes, bytes, bytes]]  # (name, path, hashAlgo, hash)
    input_drvs: list[tuple[bytes, InputNode]]
    input_srcs: list[bytes]
    platform: bytes
    builder: bytes
    args: list[bytes]
    env: list[tuple[bytes, bytes]]
    version: bytes | None = None


# -- writing ------------------------------------------------------------------------------
#
# The writer works on text (str, bytes outside UTF-8 carried as surrogate
# escapes) and encodes once at the end: a .drv has hundreds of strings, and the
# evaluator unparses every derivation three times (derivation.py), so the
# writer is built from sections a caller can make once and reuse, and escapes
# a whole list of strings in one pass.

_NEEDS_ESCAPE = re.compile(r'["\\\n\r\t]')


def _escape(s: str) -> str:
    return (s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))


def escape_all(items: list[str]) -> list[str]:
    """printString without the quotes, of each of `items`: one pass over them
    all joined by NUL (which no escape touches), unless one holds a NUL."""
    joined = "\0".join(items)
    if _NEEDS_ESCAPE.search(joined) is None:
        return items
    out = _escape(joined).split("\0")
    return out if len(out) == len(items) else [_escape(s) for s in items]


def quoted_list(items: list[str]) -> str:
    """`"a","b"`: escaped strings, comma-separated (the inside of a list)."""
    return ",".join(['"' + s + '"' for s in escape_all(items)])


def names_list(items) -> str:
    """`"a","b"`: unquoted strings (store paths, output names) as they are."""
    return ",".join(['"' + s + '"' for s in items])


def env_items(keys: list[str], values: list[str]) -> list[str]:
    """The items `("key","value")` of the environment, escaped."""
    esc = escape_all(keys + values)
    n = len(keys)
    return ['("' + k + '","' + v + '")' for k, v in zip(esc[:n], esc[n:])]


def outputs_section(outputs) -> str:
    """The items `("name","path","hashAlgo","hash")` of (name, path, algo, hash) tuples."""
    return ",".join(['("' + n + '","' + p + '",' + quoted_list([a, h]) + ")" for n, p, a, h in outputs])


def node_text(node: "InputNode") -> str:
    """An input derivation's wanted outputs: `["out"]`, or with dynamic
    outputs `(["out"],[("name",...)])`."""
    names = "[" + names_list(node.outputs) + "]"
    if not node.dynamic:
        return names
    children = ",".join(['("' + k + '",' + node_text(v) + ")" for k, v in node.dynamic])
    return "(" + names + ",[" + children + "])"


def inputs_section(input_drvs) -> str:
    """The items `("path",[outputs])` of (path, InputNode) pairs."""
    return ",".join(['("' + p + '",' + node_text(node) + ")" for p, node in input_drvs])


def tail_section(input_srcs, platform: str, builder: str, args: list[str], env: list[str]) -> str:
    """Everything after the input derivations: `],[srcs],"platform","builder",[args],[env])`."""
    return ("],[" + names_list(input_srcs) + '],"' + platform + '",' + quoted_list([builder]) + ",["
            + quoted_list(args) + "],[" + ",".join(env) + "])")


def assemble(version: str | None, outputs: str, inputs: str, tail: str) -> bytes:
    """unparseDerivation from its sections: the bytes of the .drv."""
    head = "Derive([" if version is None else 'DrvWithVersion("' + version + '",['
    return encode(head + outputs + "],[" + inputs + tail)


def decode(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def encode(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _text_node(node: InputNode) -> InputNode:
    return InputNode([decode(o) for o in node.outputs], [(decode(k), _text_node(v)) for k, v in node.dynamic])


def write(d: ATermDerivation) -> bytes:
    """unparseDerivation: the ATerm bytes of `d`, items in the order given (the
    derivation layer hands them over sorted, as Nix's maps and sets are)."""
    env = [(decode(k), decode(v)) for k, v in d.env]
    return assemble(
        None if d.version is None else decode(d.version),
        outputs_section([tuple(decode(f) for f in o) for o in d.outputs]),
        inputs_section([(decode(p), _text_node(n)) for p, n in d.input_drvs]),
        tail_section([decode(s) for s in d.input_srcs], decode(d.platform), decode(d.builder),
                     [decode(a) for a in d.args], env_items([k for k, _ in env], [v for _, v in env])))


# -- reading ------------------------------------------------------------------------------

# the body of a quoted string: runs of ordinary bytes, each escape a backslash and one byte
# (so the body ends at the first quote preceded by an even number of backslashes)
_BODY = re.compile(rb'[^"\\]*(?:\\[\s\S][^"\\]*)*')
_ESCAPE_SEQ = re.compile(rb"\\([\s\S])")
_UNESCAPE = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"\\": b"\\", b'"': b'"'}
_RAW_ESCAPABLE = re.compile(rb"[\n\r\t]")


def _show(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _unescape_lenient(m: re.Match) -> bytes:
    c = m.group(1)
    return _UNESCAPE.get(c, c)  # Nix <= 2.36: an unknown escape stands for the byte itself


def _unescape_strict(m: re.Match) -> bytes:
    c = m.group(1)
    r = _UNESCAPE.get(c)
    if r is None:
        raise FormatError(f"unknown escape '\\{_show(c)}'")
    return r


class _Reader:
    __slots__ = ("s", "i", "strict")

    def __init__(self, data: bytes, strict: bool):
        self.s = data
        self.i = 0
        self.strict = strict

    def expect(self, token: bytes) -> None:
        if not self.s.startswith(token, self.i):
            raise FormatError(f"expected string '{_show(token)}'")
        self.i += len(token)

    def peek(self) -> bytes:
        return self.s[self.i:self.i + 1]

    def string(self) -> bytes:
        """parseString: a quoted string with escapes."""
        self.expect(b'"')
        end = _BODY.match(self.s, self.i).end()
        if self.s[end:end + 1] != b'"':
            raise FormatError("unterminated string in derivation")
        body = self.s[self.i:end]
        self.i = end + 1
        if self.strict and _RAW_ESCAPABLE.search(body):
            raise FormatError("invalid character in string")
        if b"\\" in body:
            return _ESCAPE_SEQ.sub(_unescape_strict if self.strict else _unescape_lenient, body)
        return body

    def unquoted(self) -> bytes:
        """parseUnquotedString (strict); Nix 2.36 reads these fields with
        parseString."""
        if not self.strict:
            return self.string()
        self.expect(b'"')
        end = self.s.find(b'"', self.i)
        if end < 0:
            raise FormatError("unterminated string in derivation")
        body = self.s[self.i:end]
        self.i = end + 1
        if b"\\" in body:
            raise FormatError("unexected escape sequence in unquoted string")  # sic, as Nix says it
        return body

    def list(self, item) -> None:
        """A `[...]` list. Strict: parseList (items separated by commas).
        Lenient: Nix 2.36's `while (!endOfList(str))` loop, which skips one comma
        before each item and stops at `]`."""
        self.expect(b"[")
        s = self.s
        if self.strict:
            if s[self.i:self.i + 1] == b"]":
                self.i += 1
                return
            while True:
                item()
                c = s[self.i:self.i + 1]
                self.i += len(c)
                if c == b"]":
                    return
                if c != b",":
                    raise FormatError("invalid list")
        while True:
            c = s[self.i:self.i + 1]
            if c == b",":
                self.i += 1
            elif c == b"]":
                self.i += 1
                return
            item()


def _check_monotonic(prev: bytes | None, key: bytes, describe) -> None:
    """checkMonotonic: keys strictly ascending, so each value has one encoding."""
    if prev is None:
        return
    if prev == key:
        raise FormatError(f"duplicate {describe(key)}")
    if not prev < key:
        raise FormatError(f"{describe(key)} does not appear in a sorted order")


def _parse_map(r: _Reader, parse_key, parse_value, describe) -> list:
    out: list = []

    def item():
        r.expect(b"(")
        key = parse_key()
        r.expect(b",")
        value = parse_value(key)
        if r.strict:
            _check_monotonic(out[-1][0] if out else None, key, describe)
        out.append((key, value))
        r.expect(b")")

    r.list(item)
    return out


def _parse_set(r: _Reader, parse_item, describe) -> list[bytes]:
    out: list[bytes] = []

    def item():
        v = parse_item()
        if r.strict:
            _check_monotonic(out[-1] if out else None, v, describe)
        out.append(v)

    r.list(item)
    return out


def _parse_names(r: _Reader) -> list[bytes]:
    return _parse_set(r, r.unquoted, lambda v: f"set item '{_show(v)}'")


def _parse_node(r: _Reader, dynamic: bool) -> InputNode:
    """parseDerivedPathMapNode."""
    if not dynamic:
        return InputNode(_parse_names(r))
    c = r.peek()
    if c == b"[":
        return InputNode(_parse_names(r))
    if c == b"(":
        r.expect(b"(")
        outputs = _parse_names(r)
        r.expect(b",")
        children = _parse_map(r, r.string, lambda k: _parse_node(r, True),
                              lambda k: f"output name '{_show(k)}'")
        r.expect(b")")
        return InputNode(outputs, children)
    raise FormatError("invalid inputDrvs entry in derivation")


def parse(data: bytes | str, strict: bool = False,
          versions: tuple[bytes, ...] = (DYN_DRV_VERSION,)) -> ATermDerivation:
    """Parse the bytes of a `.drv`, keeping every item in file order.

    By default this accepts what Nix 2.36 accepts. `strict=True` also applies
    current Nix's canonical-form checks (ascending keys and set items, no
    duplicates, escapable characters escaped, only known escapes, no escape
    in unquoted fields, commas between list items, nothing after the end);
    text accepted in strict mode prints back to the same bytes with `write`.
    `versions` lists the accepted `DrvWithVersion` versions (`()` for the
    intermediate "modulo" form, which is never versioned)."""
    if isinstance(data, str):
        data = encode(data)
    r = _Reader(data, strict)
    r.expect(b"D")
    version = None
    c = r.peek()
    if c == b"e":
        r.expect(b"erive(")
    elif c == b"r":
        r.expect(b"rvWithVersion(")
        version = r.string()
        if version not in versions:
            if not versions:
                raise FormatError("masked derivation must not be versioned")
            raise FormatError(f"Unknown derivation ATerm format version '{_show(version)}'")
        r.expect(b",")
    else:
        raise FormatError("derivation does not start with 'Derive' or 'DrvWithVersion'")
    dynamic = version is not None

    def output_value(name):
        path = r.unquoted()
        r.expect(b",")
        algo = r.string()
        r.expect(b",")
        h = r.string()
        return path, algo, h

    outputs = _parse_map(r, r.unquoted, output_value, lambda k: f"output name '{_show(k)}'")

    def input_value(key):
        node = _parse_node(r, dynamic)
        if not node.outputs and not node.dynamic:
            raise FormatError(f"inputDrvs entry for '{_show(key)}' specifies no outputs")
        return node

    r.expect(b",")
    input_drvs = _parse_map(r, r.unquoted, input_value, lambda k: f"input derivation '{_show(k)}'")
    r.expect(b",")
    input_srcs = _parse_set(r, r.unquoted, lambda v: f"store path '{_show(v)}'")
    r.expect(b",")
    platform = r.unquoted()
    r.expect(b",")
    builder = r.string()
    r.expect(b",")
    args: list[bytes] = []
    r.list(lambda: args.append(r.string()))
    r.expect(b",")
    env = _parse_map(r, r.string, lambda k: r.string(), lambda k: f"environment variable '{_show(k)}'")
    r.expect(b")")
    if strict and r.i != len(data):
        raise FormatError(f"expected end of file, found '{_show(data[r.i:])}'")
    return ATermDerivation(
        outputs=[(k, *v) for k, v in outputs], input_drvs=input_drvs, input_srcs=input_srcs,
        platform=platform, builder=builder, args=args, env=env, version=version)
