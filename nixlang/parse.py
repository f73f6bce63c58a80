"""Reading a Nix file the way Nix does: parse, then check scopes.

Nix reports undefined variables while loading a file, before anything is
evaluated, so "parsing" for every caller (CLI, evaluator, REPL, language
server) means the syntax layer plus static name resolution. This module
puts the two layers together:

- `parse` / `parse_full`: strict; raise the first error as Nix would;
- `parse_recover`: for editors; never raises; partial AST and every
  diagnostic (syntax, duplicates, undefined names) in source order;
- `parse_cached`: `parse`, memoised by content hash, so importing the same
  file twice (or a big tree of files) pays for parsing once, and kept on
  disk (`nixlang.parse_cache`), so the next process loads the tree instead.
"""
from __future__ import annotations

import os
import threading

from . import errors, gcpause, parse_cache
from .resolve import Resolver
from .source import Source, Span
from .syntax import ast as A
from .syntax.symbols import intern
from .syntax.parser import (MAX_DEPTH_MESSAGE, ParseOptions, ParseResult, parse_syntax,  # noqa: F401
                            recover_syntax)


def _source(source: Source | str) -> Source:
    if isinstance(source, str):
        return Source(source, "«string»", os.getcwd())
    return source


def parse_full(source: Source | str, options: ParseOptions | None = None) -> ParseResult:
    """Parse and statically check one expression; raise the first error as Nix would."""
    source = _source(source)
    options = options or ParseOptions()
    with gcpause.paused(keep=True):    # a tree its caller keeps (see gcpause)
        result = parse_syntax(source, options)
        _check_scopes(source, options, result)
    return result


def _check_scopes(source: Source, options: ParseOptions, result: ParseResult) -> None:
    if options.check_scopes:
        try:
            Resolver(source, result.symbols, extra_globals=options.extra_globals).resolve(result.ast)
        except RecursionError:
            raise errors.TooDeep(MAX_DEPTH_MESSAGE, source, Span(0, len(source.text))) from None


def _parse_stored(source: Source, options: ParseOptions, digest: bytes | None = None) -> ParseResult:
    """`parse_full`, through the on-disk cache (`parse_cache`) for files big
    enough to gain from it: the syntax layer's result is loaded or stored
    there, with its scopes resolved (a file whose scopes do not resolve
    raises before it is stored)."""
    if not parse_cache.wanted(source):
        return parse_full(source, options)
    name = parse_cache.key(source, options, digest)
    with gcpause.paused(keep=True):
        got = parse_cache.load(name)
        if got is not None:
            # stored with its scopes resolved (when the options ask for it)
            return ParseResult(got[0], source, [], got[1], [], got[2])
        result = parse_syntax(source, options)
        _check_scopes(source, options, result)
        parse_cache.store(name, result.ast, result.symbols, result.warnings)
    return result


def parse_own(source: Source, options: ParseOptions) -> ParseResult:
    """`parse_full` through the on-disk cache, for a caller that changes the
    tree (scopedImport resolves it in its own scope): each call gives a tree
    of its own, loaded or parsed, never one another caller holds."""
    return _parse_stored(source, options)


def parse(source: Source | str, options: ParseOptions | None = None) -> A.Node:
    return parse_full(source, options).ast


def parse_recover(source: Source | str, options: ParseOptions | None = None,
                  base: ParseResult | None = None, lexed=None) -> ParseResult:
    """Parse for an editor: never raises. The (possibly partial) AST and all
    diagnostics, sorted by position. With `base` (the result for an earlier
    text of the document, parsed with the same options), an edit inside one
    expression reparses only that expression; `lexed` (tokens of an earlier
    text) spares most of the lexing otherwise (see `recover_syntax`)."""
    source = _source(source)
    options = options or ParseOptions()
    with gcpause.paused():
        return _parse_recover(source, options, base, lexed)


def _parse_recover(source: Source, options: ParseOptions, base, lexed) -> ParseResult:
    result = recover_syntax(source, options, base, lexed)
    if result.ast is not None and options.check_scopes:
        try:
            r = Resolver(source, result.symbols, recover=True, extra_globals=options.extra_globals)
            r.resolve(result.ast)
            result.diagnostics.extend(r.diagnostics)
        except RecursionError:
            result.diagnostics.append(errors.TooDeep(MAX_DEPTH_MESSAGE, source, Span(0, 0)))
        except Exception as exc:  # never a crash in an editor
            result.diagnostics.append(errors.SyntaxError_(f"internal resolver error: {exc!r}", source,
                                                          Span(0, 0)))
    result.diagnostics.sort(key=lambda e: (e.span.start if e.span else 0))
    return result


_cache: dict = {}
_cache_lock = threading.Lock()


def parse_cached(source: Source, options: ParseOptions | None = None, warn=None) -> A.Node:
    """`parse`, memoised by (origin, base dir, content hash, options), in this
    process and on disk (`parse_cache`). The AST
    is shared between callers, who must not mutate it. Parse-time warnings
    (lints, the cursed `or`) go to `warn(message, source, offset)` on every
    call, cached or not, so each evaluator sees them."""
    options = options or ParseOptions()
    digest = parse_cache.text_digest(source.text)
    key = (source.origin, source.base_dir, digest, options.pipe_operators, options.url_literals,
           options.home, options.check_scopes, options.extra_globals, options.lints)
    hit = _cache.get(key)
    if hit is None:
        result = _parse_stored(source, options, digest)
        intern(result.symbols)
        hit = (result.ast, result.warnings)
        with _cache_lock:
            if len(_cache) > 4096:
                _cache.clear()
            _cache[key] = hit
    if warn is not None:
        for message, offset in hit[1]:
            warn(message, source, offset)
    return hit[0]
