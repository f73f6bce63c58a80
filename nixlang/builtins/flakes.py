"""Flake reference builtins: `parseFlakeRef` and `flakeRefToString`.

A flake reference is either a URL-like string (`github:NixOS/nixpkgs/23.05?dir=lib`,
`git+https://example.org/repo?ref=main`, `path:/some/dir`, `nixpkgs/nixos-23.05`, ...)
or its "exploded" attribute-set form (`{ type = "github"; owner = "NixOS"; ... }`).
Both builtins go through the same model Nix's libflake / libfetchers use:

- a flake reference is an *input* (a flat map of attributes whose values are
  strings, unsigned integers or Booleans, with a `type` naming its input
  scheme) plus a subdirectory `dir`;
- parsing a string tries, in order: the flake-ID shorthand (`nixpkgs`,
  `nixpkgs/<ref>`, `nixpkgs/<ref>/<rev>`), a URL whose scheme one of the
  input schemes claims (a `BadURL` error from either step makes Nix fall
  back to the next), and finally a bare absolute path;
- the input schemes are asked in the order of their names (`file`, `git`,
  `github`, `gitlab`, `hg`, `indirect`, `path`, `sourcehut`, `tarball`);
- printing an input goes through the scheme's `toURL` and the URL printer
  (RFC 3986 percent-encoding of path segments and query parameters, query
  parameters sorted by name).

URLs are parsed the way Nix's `parseURL` does (RFC 3986 URI references, with
the leniencies Nix adds for spaces and quotes in queries and fragments), and
Git reference names are checked like libgit2 does (`isLegalRefName`).
Error messages are Nix's, word for word.
"""
from __future__ import annotations

import base64
import json
import re

from .. import errors as E
from ..runtime.errors import type_error
from ..runtime.values import Attrs, CtxStr, force, show_type
from ..syntax.symbols import PREINTERNED
from . import builtin, lazy_module
from .hashing import BadHash, UsageError, parse_hash_algo, warn
from .strings import from_bytes, to_bytes

ipaddress = lazy_module("ipaddress")   # only IPv6 hosts in flake URLs need it


class BadURL(E.EvalError):
    """Nix's BadURL: a string that is not a (valid) URL, or a URL no input
    scheme accepts as it is. Parsing a flake reference catches it to try the
    next syntax."""
    code = "E213"
    title = "bad URL"


def _err(message: str) -> E.EvalError:
    return E.EvalError(message)


# -- character classes (RFC 3986) --------------------------------------------------------

_ALPHA = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DIGIT = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_UNRESERVED = _ALPHA | _DIGIT | frozenset(b"-._~")
_SUBDELIMS = frozenset(b"!$&'()*+,;=")
_PCHAR = _UNRESERVED | _SUBDELIMS | frozenset(b":@")
_PATH_CHARS = _PCHAR | frozenset(b"/")
_QUERY_CHARS = _PCHAR | frozenset(b"/?")
_USERINFO_CHARS = _UNRESERVED | _SUBDELIMS | frozenset(b":")
_REGNAME_CHARS = _UNRESERVED | _SUBDELIMS

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_DEC_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IPV4_RE = re.compile(rf"{_DEC_OCTET}\.{_DEC_OCTET}\.{_DEC_OCTET}\.{_DEC_OCTET}")
_IPVFUTURE_RE = re.compile(r"[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+")

# url-parts.hh
_PCT = r"(?:%[0-9a-fA-F][0-9a-fA-F])"
_PCHAR_RE = rf"(?:[a-zA-Z0-9\-._~]|{_PCT}|[!$&'\"()*+,;=]|[:@])"
_FRAGMENT_RE = rf"(?:{_PCHAR_RE}|[/? \"^])*"
_REF_RE_S = r"[a-zA-Z0-9@][a-zA-Z0-9_./@+\-]*"
_REV_RE_S = r"[0-9a-fA-F]{40}"
_REF_AND_OR_REV = rf"(?:({_REV_RE_S})|(?:({_REF_RE_S})(?:/({_REV_RE_S}))?))"
_FLAKE_ID_S = r"[a-zA-Z][a-zA-Z0-9_\-]*"
REF_RE = re.compile(_REF_RE_S)
REV_RE = re.compile(_REV_RE_S)
FLAKE_ID_RE = re.compile(_FLAKE_ID_S)
_FLAKE_SHORTHAND_RE = re.compile(rf"(({_FLAKE_ID_S})(?:/(?:{_REF_AND_OR_REV}))?)(?:#({_FRAGMENT_RE}))?")
# ECMAScript's '.' does not match line terminators
_PATH_FLAKE_RE = re.compile(r"([^?#]*)(\?([^#]*))?(#([^\n\r]*))?")
_HOST_RE = re.compile(r"[a-zA-Z0-9.\-]*")   # github.cc: a github, gitlab or sourcehut host


# -- percent-encoding --------------------------------------------------------------------

def _pct_error(s: bytes) -> str | None:
    """Why `s` is not a valid percent-encoded string (Boost.URL's message), or None."""
    i, n = 0, len(s)
    while i < n:
        if s[i] == 0x25:
            if n - i < 3:
                return "incomplete pct-encoding"
            if s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                return "bad hexdig in pct-encoding"
            i += 3
        else:
            i += 1
    return None


def _decode_pct(s: bytes) -> bytes:
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == 0x25 and i + 2 < n:
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(c)
            i += 1
    return bytes(out)


def percent_decode(s: str) -> str:
    """percentDecode: `%XX` sequences to bytes; a malformed one is a BadURL."""
    b = to_bytes(s)
    why = _pct_error(b)
    if why:
        raise BadURL(f"invalid URI parameter '{s}': {why}")
    return from_bytes(_decode_pct(b))


def percent_encode(s: str, keep: str = "") -> str:
    """percentEncode: every byte but the unreserved ones and `keep` as `%XX`."""
    keep_b = frozenset(keep.encode())
    out = []
    for c in to_bytes(s):
        if c in _UNRESERVED or c in keep_b:
            out.append(chr(c))
        else:
            out.append(f"%{c:02X}")
    return "".join(out)


def _encode_chars(s: str, chars: bytes) -> str:
    """percentEncodeCharSet: only the given characters as `%XX`."""
    return "".join(f"%{ord(c):02X}" if len(c) == 1 and c.isascii() and ord(c) in chars else c for c in s)


# -- URLs --------------------------------------------------------------------------------

class Authority:
    __slots__ = ("host_type", "host", "user", "password", "port")

    def __init__(self, host_type="name", host="", user=None, password=None, port=None):
        self.host_type = host_type
        self.host = host
        self.user = user
        self.password = password
        self.port = port

    def copy(self):
        return Authority(self.host_type, self.host, self.user, self.password, self.port)

    def __str__(self):
        res = ""
        if self.user is not None:
            res += percent_encode(self.user)
            if self.password is not None:
                res += ":" + percent_encode(self.password)
            res += "@"
        if self.host_type == "name":
            res += percent_encode(self.host)
        elif self.host_type == "ipv4":
            res += self.host
        else:
            res += "[" + percent_encode(self.host, ":") + "]"
        if self.port is not None:
            res += f":{self.port}"
        return res


class ParsedURL:
    __slots__ = ("scheme", "authority", "path", "query", "fragment")

    def __init__(self, scheme: str, authority: Authority | None = None, path: list | None = None,
                 query: dict | None = None, fragment: str = ""):
        self.scheme = scheme
        self.authority = authority
        self.path = list(path) if path is not None else []
        self.query = dict(query) if query else {}
        self.fragment = fragment

    def copy(self) -> "ParsedURL":
        return ParsedURL(self.scheme, self.authority.copy() if self.authority else None,
                         self.path, self.query, self.fragment)

    def path_segments(self, skip_empty: bool) -> list:
        return [p for p in self.path if p] if skip_empty else list(self.path)

    def __str__(self):
        res = self.scheme + ":"
        if self.authority is not None:
            res += "//" + str(self.authority)
        res += encode_url_path(self.path)
        if self.query:
            res += "?" + encode_query(self.query)
        if self.fragment:
            res += "#" + percent_encode(self.fragment)
        return res


def encode_url_path(path: list) -> str:
    return "/".join(percent_encode(p, ":@") for p in path)


def encode_query(query: dict) -> str:
    return "&".join(percent_encode(k, ":@/?") + "=" + percent_encode(v, ":@/?")
                    for k, v in sorted(query.items(), key=lambda kv: to_bytes(kv[0])))


def _valid_chars(s: bytes, allowed: frozenset) -> str | None:
    """Why `s` is not made of `allowed` characters and percent-encodings, or None."""
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == 0x25:
            if n - i < 3:
                return "incomplete pct-encoding"
            if s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                return "bad hexdig in pct-encoding"
            i += 3
            continue
        if c not in allowed:
            return "leftover"
        i += 1
    return None


def _parse_authority(raw: str, url: str | None = None, grammar_only: bool = False) -> Authority:
    """ParsedURL::Authority::parse (Boost.URL's authority grammar). Within a
    URL (`url` given), a malformed authority makes the whole URL invalid."""
    b = to_bytes(raw)

    def bad(why):
        if url is not None:
            return BadURL(f"'{url}' is not a valid URL: {why}")
        return BadURL(f"invalid URL authority: '{raw}': {why}")

    user = password = None
    if b"@" in b:
        info, b = b.split(b"@", 1)
        why = _valid_chars(info, _USERINFO_CHARS)
        if why:
            raise bad(why)
        if b":" in info:
            u, p = info.split(b":", 1)
            user, password = from_bytes(_decode_pct(u)), from_bytes(_decode_pct(p))
        else:
            user = from_bytes(_decode_pct(info))
    port_s = None
    if b.startswith(b"["):
        end = b.find(b"]")
        if end < 0:
            raise bad("mismatch")
        literal, rest = b[1:end], b[end + 1:]
        text = literal.decode("latin-1")
        if _IPVFUTURE_RE.fullmatch(text):
            host_type = "ipvfuture"
        else:
            try:
                if "%" in text:
                    raise ValueError
                ipaddress.IPv6Address(text)
            except ValueError:
                raise bad("invalid") from None
            host_type = "ipv6"
        host = text
        if rest:
            if not rest.startswith(b":"):
                raise bad("leftover")
            port_s = rest[1:]
    else:
        if b":" in b:
            hb, pb = b.split(b":", 1)
            port_s = pb
        else:
            hb = b
        why = _valid_chars(hb, _REGNAME_CHARS)
        if why:
            raise bad(why)
        text = hb.decode("latin-1")
        if _IPV4_RE.fullmatch(text):
            host_type, host = "ipv4", text
        else:
            host_type, host = "name", from_bytes(_decode_pct(hb))
    port = None
    if port_s is not None:
        if not all(c in _DIGIT for c in port_s):
            raise bad("leftover")
        if port_s and not grammar_only:
            n = int(port_s)
            if n == 0 or n > 65535:
                raise BadURL(f"port '{port_s.decode()}' is invalid")
            port = n
    return Authority(host_type, host, user, password, port)


def parse_url_scheme(scheme: str) -> tuple[str | None, str]:
    """parseUrlScheme: `tarball+https` is ("tarball", "https"), `https` is (None, "https")."""
    if "+" in scheme:
        app, transport = scheme.split("+", 1)
        return app, transport
    return None, scheme


def parse_url(url: str, lenient: bool = False, ev=None) -> ParsedURL:
    """parseURL: an RFC 3986 URI (a relative reference has no scheme and is a
    BadURL). With `lenient`, unescaped spaces and quotes are allowed in the
    query, and spaces, quotes and `^` in the fragment, as Nix allows them."""
    fixed = url
    if lenient:
        view = url
        out = ""
        if "?" in view:
            before, view = view.split("?", 1)
            out += before + "?"
            fs = view.find("#")
            query_view = view if fs < 0 else view[:fs]
            out += _encode_chars(query_view, b' "')
            view = "" if fs < 0 else view[fs:]
        if "#" in view:
            before, view = view.split("#", 1)
            out += before + "#" + _encode_chars(view, b' "^')
        else:
            out += view
        fixed = out

    def invalid(why):
        return BadURL(f"'{url}' is not a valid URL: {why}")

    m = _SCHEME_RE.match(fixed)
    rest = fixed[m.end():] if m else fixed
    fragment = None
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
    query = None
    if "?" in rest:
        rest, query = rest.split("?", 1)
    authority_raw = None
    if rest.startswith("//"):
        cut = rest.find("/", 2)
        authority_raw = rest[2:] if cut < 0 else rest[2:cut]
        path_raw = "" if cut < 0 else rest[cut:]
    else:
        path_raw = rest
    for part, allowed in ((path_raw, _PATH_CHARS), (query, _QUERY_CHARS), (fragment, _QUERY_CHARS)):
        if part is not None:
            why = _valid_chars(to_bytes(part), allowed)
            if why:
                raise invalid(why)
    if not m:
        # a relative reference: its first path segment cannot hold a ':'
        if authority_raw is None and ":" in path_raw.split("/", 1)[0]:
            raise invalid("leftover")
        if authority_raw is not None:
            _parse_authority(authority_raw, url, grammar_only=True)
        raise BadURL(f"'{fixed}' doesn't have a scheme")
    scheme = m.group(0)[:-1]
    authority = _parse_authority(authority_raw, url) if authority_raw is not None else None
    transport_is_file = parse_url_scheme(scheme)[1] == "file"
    if authority is not None and authority.host and transport_is_file:
        raise BadURL(f"file:// URL '{fixed}' has unexpected authority '{authority}'")
    path = [percent_decode(seg) for seg in path_raw.split("/")]
    if transport_is_file and not path:
        path = [""]
    q = decode_query(query, lenient, ev) if query is not None else {}
    frag = from_bytes(_decode_pct(to_bytes(fragment))) if fragment is not None else ""
    return ParsedURL(scheme, authority, path, q, frag)


def decode_query(query: str, lenient: bool, ev=None) -> dict:
    """decodeQuery: `a=1&b=2` to a map (the first of two equal names wins);
    a parameter without `=` is ignored with a warning."""
    fixed = _encode_chars(query, b' "') if lenient else query
    b = to_bytes(fixed)
    why = _valid_chars(b, _QUERY_CHARS)
    if why:
        raise BadURL(f"invalid URI query '{query}': {why}")
    result: dict = {}
    if not b:
        return result
    for param in b.split(b"&"):
        if b"=" not in param:
            warn(ev, f"dubious URI query '{from_bytes(param)}' is missing equal sign '=', ignoring")
            continue
        k, v = param.split(b"=", 1)
        result.setdefault(from_bytes(_decode_pct(k)), from_bytes(_decode_pct(v)))
    return result


def url_path_to_path(url_path: list) -> str:
    """urlPathToPath: URL path segments to a file system path."""
    for comp in url_path:
        if "/" in comp:
            raise BadURL(f"URL path component '{comp}' contains '/', which is not allowed in file names")
        if "\0" in comp:
            shown = comp.replace("\0", "␀")
            raise BadURL(f"URL path component '{shown}' contains NUL byte which is not allowed")
    result = ""
    it = iter(url_path)
    if url_path and url_path[0] == "":
        next(it)
        result = "/"
    for seg in it:
        if result and not result.endswith("/"):
            result += "/"
        result += seg
    return result


def _scp_style(url: str, ev=None) -> ParsedURL | None:
    """Git's SCP-like syntax (`user@host:path`) as an ssh:// URL, if `url` is one."""
    if "://" in url:
        return None
    colon = url.find(":")
    if colon < 0:
        return None
    host = url[:colon]
    if "/" in host:
        return None
    supported = {"ssh", "http", "https", "file", "ftp", "ftps", "git"}
    if host in supported or host in {"git+" + s for s in supported}:
        return None
    bracket = -1
    at_br = url.find("@[")
    if at_br >= 0:
        bracket = at_br + 1
    elif url.startswith("["):
        bracket = 0
    if bracket >= 0:
        close = url.find("]", bracket + 1)
        if close >= 0:
            if close + 1 < len(url) and url[close + 1] == ":":
                host = url[:close + 1]
            else:
                return None
    path_view = url[len(host) + 1:]
    user = None
    if "@" in host:
        user, host = host.split("@", 1)
    if _IPV4_RE.fullmatch(host):
        auth = Authority("ipv4", host)
    elif host.startswith("[") and host.endswith("]"):
        inner = host[1:-1]
        try:
            addr = ipaddress.IPv6Address(inner)
        except ValueError:
            raise BadURL(f"Git SCP bracketed URL is not valid: '{inner}' is not a valid IPv6 address") from None
        auth = Authority("ipv6", addr.compressed)
    else:
        auth = Authority("name", host)
    auth.user = user
    if not path_view:
        raise BadURL(f"SCP-style Git URL '{url}' has an empty path")
    res = ParsedURL("ssh", auth, path_view.split("/"))
    path = res.path
    if path and path[0] != "":
        path.insert(0, "")
        if not path[1].startswith("~"):
            tilde = res.copy()
            tilde.path.insert(1, "~")
            warn(ev, f"SCP-style URL '{url}' has a relative path which cannot be faithfully converted to an SSH URL: "
                     "we will convert it to an absolute path when making an SSH URL.\n\n"
                     f"Use an explicit absolute path:\n\n    {host}:/{path_view}\n\n"
                     f"or with an explicit SSH URL:\n\n    {res}\n\n"
                     "instead, to explicitly use an absolute path (and silence this warning). "
                     "Or, to be relative to the remote user's home directory:\n\n"
                     f"    {host}:~/{path_view}\n\n"
                     f"or with an explicit SSH URL:\n\n    {tilde}")
    return res


def fix_git_url(url: str, ev=None) -> ParsedURL:
    """fixGitURL: absolute paths become file:// URLs, SCP-like `host:path`
    becomes ssh://, and a `git+` prefix of the scheme is dropped."""
    if url.startswith("/"):
        path = [""] + [c for c in url.split("/") if c]
        if url.endswith("/") and len(path) > 1:
            path.append("")
        elif len(path) == 1:
            path.append("")
        return ParsedURL("file", Authority(), path)
    scp = _scp_style(url, ev)
    if scp is not None:
        return scp
    parsed = parse_url(url, ev=ev)
    app, transport = parse_url_scheme(parsed.scheme)
    if app == "git":
        parsed.scheme = transport
    return parsed


def _string2uint64(s: str) -> int | None:
    if re.fullmatch(r"\+?[0-9]+", s):
        n = int(s)
        if n < (1 << 64):
            return n
    return None


# -- fetcher attributes ------------------------------------------------------------------
#
# An input's attributes: a dict from names to `str`, `bool` (Explicit<bool>) or
# `int` (uint64_t). Test `bool` before `int`.

def _json_str(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20:
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def attrs_to_json(attrs: dict) -> str:
    """attrsToJSON(...).dump(): compact JSON, names sorted."""
    parts = []
    for k in sorted(attrs, key=to_bytes):
        v = attrs[k]
        if type(v) is bool:
            val = "true" if v else "false"
        elif type(v) is int:
            val = str(v)
        else:
            val = _json_str(v)
        parts.append(_json_str(k) + ":" + val)
    return "{" + ",".join(parts) + "}"


def maybe_get_str(attrs: dict, name: str) -> str | None:
    if name not in attrs:
        return None
    v = attrs[name]
    if type(v) is str:
        return v
    raise _err(f"input attribute '{name}' is not a string {attrs_to_json(attrs)}")


def get_str(attrs: dict, name: str) -> str:
    s = maybe_get_str(attrs, name)
    if s is None:
        raise _err(f"input attribute '{name}' is missing")
    return s


def maybe_get_int(attrs: dict, name: str) -> int | None:
    if name not in attrs:
        return None
    v = attrs[name]
    if type(v) is int:
        return v
    raise _err(f"input attribute '{name}' is not an integer")


def maybe_get_bool(attrs: dict, name: str) -> bool | None:
    if name not in attrs:
        return None
    v = attrs[name]
    if type(v) is bool:
        return v
    raise _err(f"input attribute '{name}' is not a Boolean")


def attrs_to_query(attrs: dict) -> dict:
    q = {}
    for k, v in attrs.items():
        if type(v) is bool:
            q[k] = "1" if v else "0"
        elif type(v) is int:
            q[k] = str(v)
        else:
            q[k] = v
    return q


# -- hashes (revisions and NAR hashes) ---------------------------------------------------

_HASH_SIZES = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64, "blake3": 32}


def _nix32_len(size: int) -> int:
    return (size * 8 - 1) // 5 + 1


def _nix32_decode(s: str) -> bytes:
    from ..store.nixbase32 import ALPHABET as NIX32_CHARS   # the store package is not needed at start-up
    res = bytearray()
    for n in range(len(s)):
        digit = NIX32_CHARS.find(s[len(s) - n - 1])
        if digit < 0 or len(s[len(s) - n - 1]) != 1:
            raise ValueError
        b = n * 5
        i, j = b // 8, b % 8
        while len(res) < i + 1:
            res.append(0)
        res[i] |= (digit << j) & 0xFF
        carry = digit >> (8 - j)
        if carry:
            while len(res) < i + 2:
                res.append(0)
            res[i + 1] |= carry
    return bytes(res)


def _base64_decode(s: str) -> bytes:
    """Nix's base64::decode: stops at '=', skips newlines."""
    table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    res = bytearray()
    d = bits = 0
    for c in s:
        if c == "=":
            break
        if c == "\n":
            continue
        digit = table.find(c)
        if digit < 0 or len(c) != 1:
            raise ValueError
        bits += 6
        d = (d << 6 | digit) & 0xFFFFFFFF
        if bits >= 8:
            res.append((d >> (bits - 8)) & 0xFF)
            bits -= 8
    return bytes(res)


def _decode_low(rest: str, algo: str, encoding: str) -> bytes:
    size = _HASH_SIZES[algo]
    try:
        if encoding == "base16":
            if not all(c in "0123456789abcdefABCDEF" for c in rest):
                raise ValueError
            d = bytes.fromhex(rest)
        elif encoding == "nix32":
            d = _nix32_decode(rest)
        else:
            d = _base64_decode(rest)
    except ValueError:
        d = b""          # Nix records the decoding error in a trace it then drops
    if len(d) != size:
        raise BadHash(f"invalid {encoding} hash '{rest}', length {len(d)} != expected length {size}")
    return d


def _parse_hash(original: str, algo: str | None, prefixed: bool, ev=None) -> tuple[str, bytes]:
    """Hash::parseAny (or parseAnyPrefixed): `algo:...`, `algo-<base64>`, or
    a bare base16 / nix32 / base64 body of the right length."""
    rest = original
    parsed = None
    is_sri = False
    if ":" in rest:
        head, rest = rest.split(":", 1)
        parsed = parse_hash_algo(head, ev)
    elif "-" in rest:
        head, rest = rest.split("-", 1)
        is_sri = True
        parsed = parse_hash_algo(head, ev)
    if prefixed:
        if parsed is None:
            raise BadHash(f"hash '{original}' does not include a type")
    elif parsed is None and algo is None:
        raise BadHash(f"hash '{original}' does not include a type, nor is the type otherwise known from context")
    elif parsed is not None and algo is not None and parsed != algo:
        raise BadHash(f"hash '{original}' should have type '{algo}'")
    algo = parsed or algo
    size = _HASH_SIZES[algo]
    if is_sri:
        return algo, _decode_low(rest, algo, "SRI")
    if len(rest) == size * 2:
        enc = "base16"
    elif len(rest) == _nix32_len(size):
        enc = "nix32"
    elif len(rest) == ((4 * size // 3) + 3) & ~3:
        enc = "Base64"
    else:
        raise BadHash(f"hash '{rest}' has wrong length for hash algorithm '{algo}'")
    return algo, _decode_low(rest, algo, enc)


def parse_rev_sha1(s: str, ev=None) -> str:
    """Hash::parseAny(s, SHA1).gitRev(): the revision as lowercase hex."""
    return _parse_hash(s, "sha1", False, ev)[1].hex()


def get_rev(attrs: dict, ev=None) -> str | None:
    """Input::getRev: a prefixed hash of any algorithm, else a SHA-1; as hex."""
    s = maybe_get_str(attrs, "rev")
    if s is None:
        return None
    try:
        return _parse_hash(s, None, True, ev)[1].hex()
    except BadHash:
        return parse_rev_sha1(s, ev)


def get_nar_hash_sri(attrs: dict, ev=None) -> str | None:
    """Input::getNarHash, printed in SRI form."""
    s = maybe_get_str(attrs, "narHash")
    if s is None:
        return None
    if s == "":
        algo, digest = "sha256", bytes(32)
    else:
        rest = s
        if "-" not in rest:
            raise BadHash(f"hash '{s}' is not SRI")
        head, rest = rest.split("-", 1)
        algo = parse_hash_algo(head, ev)
        digest = _decode_low(rest, algo, "SRI")
    if algo != "sha256":
        raise UsageError("narHash must use SHA-256")
    return "sha256-" + base64.b64encode(digest).decode("ascii")


# -- Git reference names (libgit2) -------------------------------------------------------

def _all_caps(seg: bytes) -> bool:
    if not all(c == 0x5F or 0x41 <= c <= 0x5A for c in seg):
        return False
    return seg[:1] != b"_" and seg[-1:] != b"_"


def _valid_refname(name: bytes) -> bool:
    """git_reference_name_is_valid (one-level names allowed)."""
    if not name or name[0] == 0x2F:
        return False
    segments = name.split(b"/")
    for seg in segments:
        if not seg or seg[0] == 0x2E:
            return False
        prev = 0
        for c in seg:
            if c <= 0x20 or c in b"~^:\\?[*":
                return False
            if (prev == 0x2E and c == 0x2E) or (prev == 0x40 and c == 0x7B):
                return False
            prev = c
        if seg.endswith(b".lock"):
            return False
    if segments[-1].endswith(b"."):
        return False
    if len(segments) == 1:
        return _all_caps(segments[0])
    return not _all_caps(segments[0])


def is_legal_ref_name(ref: str) -> bool:
    """isLegalRefName: a valid Git reference, branch or tag name."""
    if ref == "@" or "\x7f" in ref:
        return False
    b = to_bytes(ref).split(b"\0", 1)[0]
    if _valid_refname(b):
        return True
    if b[:1] == b"-":
        return False
    return _valid_refname(b"refs/heads/" + b) or _valid_refname(b"refs/tags/" + b)


# -- input schemes -----------------------------------------------------------------------

class Scheme:
    name = ""
    allowed: frozenset = frozenset()
    experimental: str | None = None

    def input_from_url(self, ev, url: ParsedURL, require_tree: bool) -> dict | None:
        raise NotImplementedError

    def input_from_attrs(self, ev, attrs: dict) -> dict | None:
        return dict(attrs)

    def to_url(self, ev, attrs: dict) -> ParsedURL:
        raise _err(f"don't know how to convert input '{attrs_to_json(attrs)}' to a URL")


_TARBALL_EXTS = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst")


class CurlScheme(Scheme):
    allowed = frozenset({"url", "narHash", "name", "unpack", "rev", "revCount", "lastModified"})
    transports = frozenset({"file", "http", "https"})

    @staticmethod
    def has_tarball_extension(url: ParsedURL) -> bool:
        return bool(url.path) and url.path[-1].endswith(_TARBALL_EXTS)

    def valid(self, url: ParsedURL, require_tree: bool) -> bool:
        raise NotImplementedError

    def input_from_url(self, ev, url, require_tree):
        if not self.valid(url, require_tree):
            return None
        url = url.copy()
        url.scheme = parse_url_scheme(url.scheme)[1]
        attrs: dict = {}
        if "narHash" in url.query:
            attrs["narHash"] = url.query["narHash"]
        if "rev" in url.query:
            attrs["rev"] = url.query["rev"]
        for name in ("revCount", "lastModified"):
            if name in url.query:
                n = _string2uint64(url.query[name])
                if n is not None:
                    attrs[name] = n
        for param in self.allowed:
            url.query.pop(param, None)
        attrs["type"] = self.name
        attrs["url"] = str(url)
        return attrs

    def to_url(self, ev, attrs):
        url = parse_url(get_str(attrs, "url"), ev=ev)
        nar = get_nar_hash_sri(attrs, ev)
        if nar is not None:
            url.query["narHash"] = nar
        return url


class FileScheme(CurlScheme):
    name = "file"

    def valid(self, url, require_tree):
        app, transport = parse_url_scheme(url.scheme)
        if transport not in self.transports:
            return False
        return app == self.name if app is not None else (not require_tree and not self.has_tarball_extension(url))


class TarballScheme(CurlScheme):
    name = "tarball"

    def valid(self, url, require_tree):
        app, transport = parse_url_scheme(url.scheme)
        if transport not in self.transports:
            return False
        return app == self.name if app is not None else (require_tree or self.has_tarball_extension(url))


def _require_feature(ev, feature: str) -> None:
    feats = getattr(getattr(ev, "options", None), "experimental_features", None) or set()
    if feature not in feats:
        raise _err(f"experimental Nix feature '{feature}' is disabled; add "
                   f"'--extra-experimental-features {feature}' to enable it")


def _public_keys(attrs: dict) -> list[tuple[str, str]]:
    keys = []
    if "publicKeys" in attrs:
        text = get_str(attrs, "publicKeys")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _err(f"[json.exception.parse_error.101] parse error: {exc}") from None
        if not isinstance(data, list):
            raise _err(f"Expected JSON value to be of type 'array' but it is of type "
                       f"'{_json_type(data)}': {json.dumps(data, separators=(',', ':'))}")
        for k in data:
            if isinstance(k, dict):
                keys.append((str(k.get("type", "ssh-ed25519")), str(k.get("key", ""))))
    if "publicKey" in attrs:
        keys.append((maybe_get_str(attrs, "keytype") or "ssh-ed25519", get_str(attrs, "publicKey")))
    return keys


def _json_type(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "object" if isinstance(v, dict) else "array"


class GitScheme(Scheme):
    name = "git"
    allowed = frozenset({"url", "ref", "rev", "shallow", "submodules", "lfs", "exportIgnore", "lastModified",
                         "revCount", "narHash", "allRefs", "name", "dirtyRev", "dirtyShortRev",
                         "verifyCommit", "keytype", "publicKey", "publicKeys"})
    _BOOLS = ("shallow", "submodules", "lfs", "exportIgnore", "allRefs", "verifyCommit")

    def input_from_url(self, ev, url, require_tree):
        if url.scheme != "git" and parse_url_scheme(url.scheme)[0] != "git":
            return None
        url2 = url.copy()
        url2.query = {}
        attrs: dict = {"type": "git"}
        for name, value in url.query.items():
            if name in ("rev", "ref", "keytype", "publicKey", "publicKeys"):
                attrs.setdefault(name, value)
            elif name in self._BOOLS:
                attrs.setdefault(name, value == "1")
            else:
                url2.query.setdefault(name, value)
        attrs.setdefault("url", str(url2))
        return self.input_from_attrs(ev, attrs)

    def input_from_attrs(self, ev, attrs):
        for name in attrs:
            if name in ("verifyCommit", "keytype", "publicKey", "publicKeys"):
                _require_feature(ev, "verified-fetches")
        maybe_get_bool(attrs, "verifyCommit")
        ref = maybe_get_str(attrs, "ref")
        if ref is not None and not is_legal_ref_name(ref):
            raise BadURL(f"invalid Git branch/tag name '{ref}'")
        res = dict(attrs)
        res["url"] = str(fix_git_url(get_str(attrs, "url"), ev))
        for name in ("shallow", "submodules", "allRefs"):
            maybe_get_bool(res, name)
        return res

    def to_url(self, ev, attrs):
        url = parse_url(get_str(attrs, "url"), ev=ev)
        if url.scheme != "git":
            url.scheme = "git+" + url.scheme
        rev = get_rev(attrs, ev)
        if rev is not None:
            url.query["rev"] = rev
        ref = maybe_get_str(attrs, "ref")
        if ref is not None:
            url.query["ref"] = ref
        for name in ("shallow", "lfs", "submodules", "exportIgnore", "verifyCommit"):
            if maybe_get_bool(attrs, name):
                url.query[name] = "1"
        keys = _public_keys(attrs)
        if len(keys) == 1:
            url.query["keytype"], url.query["publicKey"] = keys[0]
        elif len(keys) > 1:
            url.query["publicKeys"] = "[" + ",".join(
                "{" + f'"key":{_json_str(k)},"type":{_json_str(t)}' + "}" for t, k in keys) + "]"
        return url


class GitArchiveScheme(Scheme):
    allowed = frozenset({"owner", "repo", "ref", "rev", "narHash", "lastModified", "host"})
    experimental = "flakes"

    def input_from_url(self, ev, url, require_tree):
        if url.scheme != self.name:
            return None
        path = url.path_segments(skip_empty=True)
        rev = ref = host = None
        if len(path) == 3:
            if REV_RE.fullmatch(path[2]):
                rev = path[2]
            else:
                ref = path[2]
        elif len(path) > 3:
            ref = "/".join(path[2:])
        elif len(path) < 2:
            raise BadURL(f"URL '{url}' is invalid")
        for name, value in sorted(url.query.items(), key=lambda kv: to_bytes(kv[0])):
            if name == "rev":
                if rev is not None:
                    raise BadURL(f"URL '{url}' contains multiple commit hashes")
                rev = value
            elif name == "ref":
                if ref is not None:
                    raise BadURL(f"URL '{url}' contains multiple branch/tag names")
                ref = value
            elif name == "host":
                host = value
        attrs: dict = {"type": self.name, "owner": path[0], "repo": path[1]}
        if rev is not None:
            attrs["rev"] = rev
        if ref is not None:
            attrs["ref"] = ref
        if host is not None:
            attrs["host"] = host
        if "narHash" in url.query:
            attrs["narHash"] = url.query["narHash"]
        return self.input_from_attrs(ev, attrs)

    def input_from_attrs(self, ev, attrs):
        get_str(attrs, "owner")
        get_str(attrs, "repo")
        ref = maybe_get_str(attrs, "ref")
        rev = maybe_get_str(attrs, "rev")
        if ref is not None and rev is not None:
            raise BadURL(f"input {attrs_to_json(attrs)} contains both a commit hash ('{rev}') "
                         f"and a branch/tag name ('{ref}')")
        if rev is not None:
            parse_rev_sha1(rev, ev)
        if ref is not None and not is_legal_ref_name(ref):
            raise BadURL(f"input {attrs_to_json(attrs)} contains an invalid branch/tag name")
        host = maybe_get_str(attrs, "host")
        if host is not None and not _HOST_RE.fullmatch(host):
            raise BadURL(f"input {attrs_to_json(attrs)} contains an invalid instance host")
        return dict(attrs)

    def to_url(self, ev, attrs):
        path = [get_str(attrs, "owner"), get_str(attrs, "repo")]
        ref = maybe_get_str(attrs, "ref")
        rev = get_rev(attrs, ev)
        if ref is not None:
            path.append(ref)
        if rev is not None:
            path.append(rev)
        url = ParsedURL(self.name, None, path)
        nar = get_nar_hash_sri(attrs, ev)
        if nar is not None:
            url.query["narHash"] = nar
        host = maybe_get_str(attrs, "host")
        if host is not None:
            url.query["host"] = host
        return url


class GitHubScheme(GitArchiveScheme):
    name = "github"


class GitLabScheme(GitArchiveScheme):
    name = "gitlab"


class SourceHutScheme(GitArchiveScheme):
    name = "sourcehut"


class MercurialScheme(Scheme):
    name = "hg"
    allowed = frozenset({"url", "ref", "rev", "revCount", "narHash", "name"})

    def input_from_url(self, ev, url, require_tree):
        if url.scheme not in ("hg+http", "hg+https", "hg+ssh", "hg+file"):
            return None
        url2 = url.copy()
        url2.scheme = url2.scheme[3:]
        url2.query = {}
        attrs: dict = {"type": "hg"}
        for name, value in url.query.items():
            if name in ("rev", "ref"):
                attrs.setdefault(name, value)
            else:
                url2.query.setdefault(name, value)
        attrs.setdefault("url", str(url2))
        return self.input_from_attrs(ev, attrs)

    def input_from_attrs(self, ev, attrs):
        parse_url(get_str(attrs, "url"), ev=ev)
        ref = maybe_get_str(attrs, "ref")
        if ref is not None and not REF_RE.fullmatch(ref):
            raise BadURL(f"invalid Mercurial branch/tag name '{ref}'")
        return dict(attrs)

    def to_url(self, ev, attrs):
        url = parse_url(get_str(attrs, "url"), ev=ev)
        url.scheme = "hg+" + url.scheme
        rev = get_rev(attrs, ev)
        if rev is not None:
            url.query["rev"] = rev
        ref = maybe_get_str(attrs, "ref")
        if ref is not None:
            url.query["ref"] = ref
        return url


class IndirectScheme(Scheme):
    name = "indirect"
    allowed = frozenset({"id", "ref", "rev", "narHash"})
    experimental = "flakes"

    def input_from_url(self, ev, url, require_tree):
        if url.scheme != "flake":
            return None
        path = url.path_segments(skip_empty=True)
        rev = ref = None
        if len(path) == 1:
            pass
        elif len(path) == 2:
            if REV_RE.fullmatch(path[1]):
                rev = parse_rev_sha1(path[1], ev)
            elif is_legal_ref_name(path[1]):
                ref = path[1]
            else:
                raise BadURL(f"in flake URL '{url}', '{path[1]}' is not a commit hash or branch/tag name")
        elif len(path) == 3:
            if not is_legal_ref_name(path[1]):
                raise BadURL(f"in flake URL '{url}', '{path[1]}' is not a branch/tag name")
            ref = path[1]
            if not REV_RE.fullmatch(path[2]):
                raise BadURL(f"in flake URL '{url}', '{path[2]}' is not a commit hash")
            rev = parse_rev_sha1(path[2], ev)
        else:
            raise BadURL(f"GitHub URL '{url}' is invalid")
        if not FLAKE_ID_RE.fullmatch(path[0]):
            raise BadURL(f"'{path[0]}' is not a valid flake ID")
        attrs: dict = {"type": "indirect", "id": path[0]}
        if rev is not None:
            attrs["rev"] = rev
        if ref is not None:
            attrs["ref"] = ref
        return attrs

    def input_from_attrs(self, ev, attrs):
        fid = get_str(attrs, "id")
        if not FLAKE_ID_RE.fullmatch(fid):
            raise BadURL(f"'{fid}' is not a valid flake ID")
        return dict(attrs)

    def to_url(self, ev, attrs):
        path = [get_str(attrs, "id")]
        ref = maybe_get_str(attrs, "ref")
        if ref is not None:
            path.append(ref)
        rev = get_rev(attrs, ev)
        if rev is not None:
            path.append(rev)
        return ParsedURL("flake", None, path)


class PathScheme(Scheme):
    name = "path"
    allowed = frozenset({"path", "rev", "revCount", "lastModified", "narHash"})
    experimental = "flakes"

    def input_from_url(self, ev, url, require_tree):
        if url.scheme != "path":
            return None
        if url.authority is not None and url.authority.host:
            raise _err(f"path URL '{url}' should not have an authority ('{url.authority}')")
        attrs: dict = {"type": "path", "path": url_path_to_path(url.path)}
        for name, value in sorted(url.query.items(), key=lambda kv: to_bytes(kv[0])):
            if name in ("rev", "narHash"):
                attrs[name] = value
            elif name in ("revCount", "lastModified"):
                n = _string2uint64(value)
                if n is None:
                    raise _err(f"path URL '{url}' has invalid parameter '{name}'")
                attrs[name] = n
            else:
                raise _err(f"path URL '{url}' has unsupported parameter '{name}'")
        return attrs

    def input_from_attrs(self, ev, attrs):
        get_str(attrs, "path")
        return dict(attrs)

    def to_url(self, ev, attrs):
        query = attrs_to_query(attrs)
        for k in ("path", "type", "__final"):
            query.pop(k, None)
        return ParsedURL("path", None, get_str(attrs, "path").split("/"), query)


# in the order Nix asks them: by name
SCHEMES: list[Scheme] = sorted([FileScheme(), GitScheme(), GitHubScheme(), GitLabScheme(), MercurialScheme(),
                                IndirectScheme(), PathScheme(), SourceHutScheme(), TarballScheme()],
                               key=lambda s: s.name)
_BY_NAME = {s.name: s for s in SCHEMES}


def _fixup(attrs: dict) -> None:
    """fixupInput: the attributes every input may have, checked."""
    get_str(attrs, "type")
    maybe_get_str(attrs, "ref")
    maybe_get_int(attrs, "revCount")
    maybe_get_int(attrs, "lastModified")


def input_from_url(ev, url: ParsedURL, require_tree: bool) -> tuple[Scheme, dict]:
    """Input::fromURL: the first scheme that accepts the URL."""
    for scheme in SCHEMES:
        attrs = scheme.input_from_url(ev, url, require_tree)
        if attrs is not None:
            _fixup(attrs)
            return scheme, attrs
    app, transport = parse_url_scheme(url.scheme)
    if app == "file" and transport == "git":
        raise _err(f"input '{url}' is unsupported; did you mean 'git+file' instead of 'file+git'?")
    raise _err(f"input '{url}' is unsupported")


def input_from_attrs(ev, attrs: dict) -> tuple[Scheme | None, dict]:
    """Input::fromAttrs: a scheme's input, or a "raw" one for an unknown type."""
    type_ = maybe_get_str(attrs, "type")
    if type_ is None:
        raise _err("'type' attribute to specify input scheme is required but not provided")
    scheme = _BY_NAME.get(type_)
    if scheme is None:
        _fixup(attrs)
        return None, dict(attrs)
    for name in sorted(attrs, key=to_bytes):
        if name not in ("type", "__final") and name not in scheme.allowed:
            raise _err(f"input attribute '{name}' not supported by scheme '{type_}'")
    res = scheme.input_from_attrs(ev, attrs)
    if res is None:
        _fixup(attrs)
        return None, dict(attrs)
    _fixup(res)
    return scheme, res


# -- flake references --------------------------------------------------------------------

def _from_parsed_url(ev, url: ParsedURL, is_flake: bool) -> tuple[dict, str, str]:
    """fromParsedURL: `?dir=` is the flake's subdirectory, the fragment is returned apart."""
    url = url.copy()
    subdir = url.query.pop("dir", "")
    fragment, url.fragment = url.fragment, ""
    _scheme, attrs = input_from_url(ev, url, is_flake)
    return attrs, subdir, fragment


def _parse_flake_id_ref(ev, s: str):
    m = _FLAKE_SHORTHAND_RE.fullmatch(s)
    if not m:
        return None
    url = ParsedURL("flake", None, m.group(1).split("/"))
    _scheme, attrs = input_from_url(ev, url, True)
    return attrs, "", percent_decode(m.group(6) or "")


def _parse_url_flake_ref(ev, s: str):
    try:
        parsed = parse_url(s, lenient=True, ev=ev)
        return _from_parsed_url(ev, parsed, True)
    except BadURL:
        return None


def _parse_path_flake_ref(ev, s: str):
    m = _PATH_FLAKE_RE.fullmatch(s)
    if not m:
        raise _err(f"invalid flakeref '{s}'")
    path = m.group(1)
    query = decode_query(m.group(3) or "", True, ev)
    fragment = percent_decode(m.group(5) or "")
    if not path.startswith("/"):
        raise BadURL(f"flake reference '{s}' is not an absolute path")
    url = ParsedURL("path", Authority(), path.split("/"), query, fragment)
    return _from_parsed_url(ev, url, True)


def parse_flake_ref(ev, s: str) -> tuple[dict, str]:
    """parseFlakeRef (no base directory, missing flake.nix allowed): the
    input's attributes and the subdirectory."""
    res = _parse_flake_id_ref(ev, s)
    if res is None:
        res = _parse_url_flake_ref(ev, s)
    if res is None:
        res = _parse_path_flake_ref(ev, s)
    attrs, subdir, fragment = res
    if fragment != "":
        raise _err(f"unexpected fragment '{fragment}' in flake reference '{s}'")
    return attrs, subdir


def flake_ref_attrs(attrs: dict, subdir: str) -> dict:
    """FlakeRef::toAttrs: the input's attributes, plus `dir` when there is one."""
    out = dict(attrs)
    if subdir != "":
        out.setdefault("dir", subdir)
    return out


def flake_ref_to_string(ev, attrs: dict) -> str:
    """FlakeRef::fromAttrs(attrs).to_string()."""
    subdir = maybe_get_str(attrs, "dir") or ""
    rest = {k: v for k, v in attrs.items() if k != "dir"}
    scheme, input_attrs = input_from_attrs(ev, rest)
    if scheme is None:
        raise _err(f"cannot show unsupported input '{attrs_to_json(input_attrs)}'")
    url = scheme.to_url(ev, input_attrs)
    if subdir != "":
        url.query.setdefault("dir", subdir)
    return str(url)


# -- the builtins ------------------------------------------------------------------------

def _nix_attrs(attrs: dict) -> Attrs:
    d = {}
    for k in sorted(attrs, key=to_bytes):
        v = attrs[k]
        if type(v) is int and v >= (1 << 63):
            v -= 1 << 64        # a uint64_t stored in a Nix (signed) integer
        d[k] = v
    return Attrs(d)


def _arg_frame(name: str) -> str:
    return f"while evaluating the argument passed to builtins.{name}"


def _nix_order(d: dict) -> list:
    """The order Nix visits an attribute set in (by symbol): names Nix interns
    before reading any file first, then in order of appearance."""
    index = {k: i for i, k in enumerate(d)}
    big = len(PREINTERNED)
    return sorted(d, key=lambda k: (PREINTERNED.get(k, big), index[k]))


@builtin("parseFlakeRef", 1)
def _parse_flake_ref(ev, s):
    """Parse a flake reference and return its exploded form:
    `builtins.parseFlakeRef "github:NixOS/nixpkgs/23.05?dir=lib"` is
    `{ dir = "lib"; owner = "NixOS"; ref = "23.05"; repo = "nixpkgs"; type = "github"; }`."""
    try:
        v = force(s)
        if type(v) not in (str, CtxStr):
            raise type_error("a string", v)
        if type(v) is CtxStr and v.context:
            some = sorted(str(x) for x in v.context)[0]
            raise E.EvalError(f"the string '{v}' is not allowed to refer to a store path (such as '{some}')")
    except E.EvalError as e:
        raise e.add_frame(_arg_frame("parseFlakeRef"))
    attrs, subdir = parse_flake_ref(ev, str(v))
    return _nix_attrs(flake_ref_attrs(attrs, subdir))


@builtin("flakeRefToString", 1)
def _flake_ref_to_string(ev, a):
    """Convert a flake reference from its attribute-set form to its URL form:
    `builtins.flakeRefToString { type = "github"; owner = "NixOS"; repo = "nixpkgs"; ref = "23.05"; dir = "lib"; }`
    is `"github:NixOS/nixpkgs/23.05?dir=lib"`."""
    v = force(a)
    if type(v) is not Attrs:
        raise type_error("a set", v).add_frame(_arg_frame("flakeRefToString"))
    attrs: dict = {}
    for name in _nix_order(v.d):
        x = force(v.d[name])
        t = type(x)
        if t is int:
            if x < 0:
                raise E.EvalError(f"negative value given for flake ref attr {name}: {x}")
            attrs[name] = x
        elif t is bool:
            attrs[name] = x
        elif t is str or t is CtxStr:
            attrs[name] = str(x)
        else:
            raise E.EvalError("flake reference attribute sets may only contain integers, Booleans, "
                              f"and strings, but attribute '{name}' is {show_type(x)}")
    return flake_ref_to_string(ev, attrs)
