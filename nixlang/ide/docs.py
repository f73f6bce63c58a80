"""Documentation of a value, found where the value is defined.

`:doc EXPR` in the REPL asks for it. A function's doc comment is the block
comment right before the lambda, or before the `name =` it is bound to (as
in Nix 2.24's `:doc`, which reads RFC 145 `/** ... */` comments). pynix
also reads the older `/* ... */` comments nixpkgs still has, and documents
an attribute that is not a lambda by where the attribute is defined: nixpkgs
writes `mapAttrs = builtins.mapAttrs;` under a doc comment in
lib/attrsets.nix, and `lib.mapAttrs` comes from `inherit (self.attrsets)
... mapAttrs ...;` in lib/default.nix. An `inherit (E) name;` is followed to
where `E.name` is defined, when E is an attribute path that can be found
again from the set being asked about (or from the REPL's scope) and gives
the very same value: a guess that is checked, never a wrong answer."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..errors import NixError
from ..parse import ParseOptions, parse_cached
from ..runtime.positions import attr_where
from ..runtime.values import Attrs, Closure, PrimOp, PrimOpApp, force
from ..source import Source
from ..syntax import ast as A
from ..syntax.lexer import Lexer

_IDENT = r"[A-Za-z_][A-Za-z0-9_'-]*"
_BINDING_BEFORE = re.compile(rf"(?:{_IDENT}|\"[^\"\\\n]*\")(?:\s*\.\s*(?:{_IDENT}|\"[^\"\\\n]*\"))*\s*=\s*$")


@dataclass
class Doc:
    text: str                 # the comment's text, delimiters and indentation removed
    file: str                 # where the documented definition is
    line: int
    column: int


def comment_text(raw: str) -> str:
    """The text of a block comment (`/** ... */` or `/* ... */`): delimiters
    removed, the common indentation of the lines after the first removed
    (and a column of leading `*`, as in `/* ...\\n * ...\\n */`), blank edges
    dropped."""
    rfc145 = raw.startswith("/**")
    body = raw[3:] if rfc145 else raw[2:]
    body = body[:-2] if body.endswith("*/") else body
    lines = body.split("\n")
    first, rest = lines[0].strip(), lines[1:]
    nonblank = [l.strip() for l in rest if l.strip()]
    if not rfc145 and nonblank and all(l.startswith("*") for l in nonblank):
        rest = [re.sub(r"^\s*\*", "", l) for l in rest]
    indents = [len(l) - len(l.lstrip()) for l in rest if l.strip()]
    cut = min(indents) if indents else 0
    out = ([first] if first else []) + [l[cut:].rstrip() for l in rest]
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


_comments_cache: dict[tuple[str, int], dict[int, tuple[int, int]]] = {}


def _block_comments(source: Source) -> dict[int, tuple[int, int]]:
    """Offset of the first code after each doc comment -> the comment's
    (start, end), for one source (lexed once per text): every `/** */`, and
    each `/* */` with no blank line after it."""
    key = (source.origin, hash(source.text))
    hit = _comments_cache.get(key)
    if hit is not None:
        return hit
    lexer = Lexer(source, collect_comments=True)
    try:
        for _ in lexer.tokens():
            pass
    except Exception:       # a file the evaluator read parses; anything else has no docs
        return {}
    found = doc_comment_map(source.text, lexer.comments or ())
    if len(_comments_cache) > 64:
        _comments_cache.clear()
    _comments_cache[key] = found
    return found


def doc_comment_map(text: str, comments) -> dict[int, tuple[int, int]]:
    """`_block_comments` for comment spans known already (an editor's
    analysis has them: its text is not lexed again)."""
    found = {}
    for span in comments:
        if text.startswith("/*", span.start) and not text.startswith("/**/", span.start):
            after = span.end
            while after < len(text) and text[after] in " \t\r\n":
                after += 1
            # an older `/* */` comment documents only what follows it at once;
            # after a blank line it heads a section (`/* Properties. */`)
            if text.startswith("/**", span.start) or text.count("\n", span.end, after) <= 1:
                found[after] = (span.start, span.end)
    return found


def comment_before(source: Source, offset: int, binding: bool = True, comments=None) -> str | None:
    """The text of the block comment right before `offset` (only blanks
    between), or, with `binding`, before the `name =` / `a.b =` that ends
    there (`f = /** doc */ x: ...` and `/** doc */ f = x: ...` both work).
    `comments`: the `doc_comment_map` of the source, when known."""
    if comments is None:
        comments = _block_comments(source)
    hit = comments.get(offset)
    if hit is None and binding:
        m = _BINDING_BEFORE.search(source.text, max(0, offset - 300), offset)
        if m is not None:
            hit = comments.get(m.start())
    return comment_text(source.text[hit[0]:hit[1]]) if hit else None


def _doc_at(source: Source, offset: int, binding: bool = True) -> Doc | None:
    text = comment_before(source, offset, binding)
    if not text:
        return None
    line, col = source.line_col(offset)
    return Doc(text, source.origin, line, col)


def lambda_doc(v: Closure) -> Doc | None:
    """A function's doc comment: before the lambda or the binding it is the value of."""
    src = v.lam.source
    return _doc_at(src, v.lam.node.span.start) if src is not None else None


def attribute_doc(owner: Attrs, name: str, lookup=None, depth: int = 0) -> Doc | None:
    """The doc comment of attribute `name` of `owner`, by where it is
    defined, following `inherit (E) name;` (see the module's text).
    `lookup(parts)` finds an attribute path in the caller's scope, or
    raises KeyError."""
    src, span = attr_where(owner, name)
    if src is None or not os.path.isfile(src.origin) or depth > 8:
        return None
    doc = _doc_at(src, span.start, binding=False)
    if doc is not None:
        return doc
    parts = _inherit_source_path(src, span.start, name)
    if not parts:
        return None
    try:
        value = force(owner.d[name])
    except NixError:
        return None
    for candidate in _candidates(owner, parts, lookup):
        try:
            inner = force(candidate)
            same = type(inner) is Attrs and name in inner.d and force(inner.d[name]) is value
        except (NixError, RecursionError):
            continue
        if same:
            return attribute_doc(inner, name, lookup, depth + 1)
    return None


def _candidates(owner: Attrs, parts: list[str], lookup):
    """Values that `E` (the attribute path `parts`) may be: the path looked
    up in `owner` without its first names (`self.attrsets` -> owner.attrsets,
    for a set defined as a fixed point `self`), then in the caller's scope."""
    for k in range(len(parts) + 1):
        v = owner
        try:
            for p in parts[k:]:
                v = force(v)
                if type(v) is not Attrs or p not in v.d:
                    raise KeyError(p)
                v = v.d[p]
        except (KeyError, NixError):
            continue
        if v is not owner:
            yield v
    if lookup is not None:
        try:
            yield lookup(parts)
        except (KeyError, NixError):
            pass


def _inherit_source_path(source: Source, offset: int, name: str) -> list[str] | None:
    """When the attribute at `offset` is written `inherit (E) ... name ...;`
    and E is an attribute path (`self.attrsets`, `lib`), E's names."""
    try:
        tree = parse_cached(source, ParseOptions(check_scopes=False))
    except NixError:
        return None
    stack = [tree]
    while stack:
        node = stack.pop()
        attrs = node.attrs if type(node) is A.Let else node
        if type(attrs) is A.Attrs:
            d = attrs.attrs.get(name)
            if d is not None and d.kind == A.INHERITED_FROM and d.start == offset:
                return _attr_path(attrs.inherit_from[d.value.expr.index])
        stack.extend(A.children(node))
    return None


def _attr_path(node) -> list[str] | None:
    if type(node) is A.Var:
        return [node.name]
    if type(node) is A.Select and node.default is None and all(p.name is not None for p in node.path):
        head = _attr_path(node.expr)
        return head + [p.name for p in node.path] if head is not None else None
    return None


def primop_of(v) -> PrimOp | None:
    if type(v) is PrimOpApp:
        v = v.primop
    return v if type(v) is PrimOp else None
