"""Serialisation builtins: `toJSON`, `fromJSON`, `toXML`, `fromTOML`.

`to_json` is Nix's printValueAsJSON and the nlohmann::json dump it ends in
(shortest round-trip floats with `.0` or `e+NN`, `\\u00XX` for control
characters, UTF-8 checked byte by byte), writing the text while it walks the
value; `to_json_value` / `dump_json` do the same in two steps (Python data,
then text) for the rarer values and for structured attrs;
`to_xml` is the printer behind `builtins.toXML` and `nix-instantiate --xml`.
"""
from __future__ import annotations

import itertools
import math
import re
try:
    # json's C string encoder (what json.encoder.encode_basestring is), without
    # importing the json package at start-up
    from _json import encode_basestring as _encode_json_string
except ImportError:     # a Python without the _json accelerator
    from json.encoder import encode_basestring as _encode_json_string

from .. import errors as E
from ..runtime.printer import format_float, print_value_short
from ..runtime.values import (BLACKHOLE, FAILED, Attrs, Closure, CtxStr, Path, Thunk, force, force_failed,
                              make_string, show_type)
from ..syntax.printer import identifier
from . import builtin
from .strings import to_bytes

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1
_ABSENT = object()


def _attr_pos(a: Attrs, name: str):
    from ..runtime.positions import attr_where
    return attr_where(a, name)


def _fn_pos(v):
    if type(v) is Closure:
        lam = v.lam
        return lam.source, getattr(lam.node, "span", None)
    return None, None


# =========================================================================================
# toJSON
# =========================================================================================

class _Depth:
    """Nix's addCallDepth around each nested value."""
    __slots__ = ("ev", "source", "span")

    def __init__(self, ev, source, span):
        self.ev, self.source, self.span = ev, source, span

    def __enter__(self):
        ev = self.ev
        if ev.depth >= ev.max_call_depth:
            raise E.StackOverflow("stack overflow; max-call-depth exceeded", self.source, self.span)
        ev.depth += 1

    def __exit__(self, *exc):
        self.ev.depth -= 1
        return False


def peel_to_string_out_path(ev, v, source, span, check_to_string_return: bool, cb):
    """EvalState::peelToStringOutPath: follow `__toString` (called) and
    `outPath` until something that is not a peelable attrset, then `cb(value,
    came_through_to_string)`."""
    came = False

    def peel(v, source, span):
        nonlocal came
        v = force(v)
        if type(v) is not Attrs:
            if check_to_string_return and came and type(v) not in (str, CtxStr, Path):
                raise E.TypeError_(f"`__toString` should return a string, but got {show_type(v)}: "
                                   f"{print_value_short(v)}", source, span)
            return cb(v, came)
        if "__toString" in v.d:
            ts_source, ts_span = _attr_pos(v, "__toString")
            f = v.d["__toString"]
            try:
                r = ev.call(f, v)
            except E.EvalError as e:
                e.add_frame("while calling the `__toString` attribute", ts_source, ts_span)
                raise
            came = True
            try:
                with _Depth(ev, source, span):
                    return peel(r, ts_source, ts_span)
            except E.EvalError as e:
                e.add_frame("while using the result of the `__toString` attribute", ts_source, ts_span)
                raise
        if "outPath" in v.d:
            op_source, op_span = _attr_pos(v, "outPath")
            o = v.d["outPath"]
            try:
                o = force(o)
            except E.EvalError as e:
                e.add_frame("while evaluating the `outPath` attribute", op_source, op_span)
                raise
            try:
                with _Depth(ev, source, span):
                    return peel(o, op_source, op_span)
            except E.EvalError as e:
                e.add_frame("while using the `outPath` attribute", op_source, op_span)
                raise
        if check_to_string_return and came:
            raise E.TypeError_(f"`__toString` must return a string, but got {show_type(v)}: "
                               f"{print_value_short(v)}", source, span)
        return cb(v, came)

    return peel(v, source, span)


def to_json_value(ev, v, ctx: set, copy_to_store: bool = True, strict: bool = True,
                  source=None, span=None):
    """printValueAsJSON: the value as Python JSON data (dict keys sorted),
    collecting string context in `ctx`."""

    def conv(v, source, span, copy):
        with _Depth(ev, source, span):
            if strict and type(v) is Thunk:
                try:
                    v = v.force()
                except E.StackOverflow as e:
                    # Nix forces a pending call at the position of the value
                    # being serialised, so that is where the overflow shows.
                    if not e.frames and source is not None:
                        e.source, e.span = source, span
                    raise
            t = type(v)
            if t is bool or v is None:
                return v
            if t is int:
                return v
            if t is float:
                return v
            if t is str:
                return v
            if t is CtxStr:
                ctx.update(v.context)
                return str(v)
            if t is Path:
                if copy:
                    p = ev.copy_path_to_store(v)
                    ctx.add(p)
                    return str(p)
                return v.path
            if t is Attrs:
                def done(peeled, came):
                    if type(peeled) is not Attrs:
                        return conv(peeled, source, span, copy and not came)
                    out = {}
                    for k in sorted(peeled.d, key=_sort_key):
                        a_source, a_span = _attr_pos(peeled, k)
                        try:
                            out[k] = conv(peeled.d[k], a_source, a_span, copy)
                        except E.EvalError as e:
                            e.add_frame(f"while evaluating attribute '{identifier(k)}'", a_source, a_span)
                            raise
                    return out
                return peel_to_string_out_path(ev, v, source, span, True, done)
            if t is list:
                out = []
                for i, e in enumerate(v):
                    try:
                        out.append(conv(e, source, span, copy))
                    except E.EvalError as err:
                        err.add_frame(f"while evaluating list element at index {i}", source, span)
                        raise
                return out
            fs, fsp = _fn_pos(v)
            raise E.TypeError_(f"cannot convert {show_type(v)} to JSON",
                               fs or source, fsp if fs is not None else span)

    return conv(v, source, span, copy_to_store)


def _valid_utf8(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _sort_key(name: str):
    return name.encode("utf-8", "surrogateescape")


class _JsonTypeError(Exception):
    pass


def _check_utf8(b: bytes) -> None:
    """nlohmann's UTF-8 check while dumping (type_error 316)."""
    n = len(b)
    i = 0
    while i < n:
        c = b[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            need, lo, hi = 1, 0x80, 0xBF
        elif c == 0xE0:
            need, lo, hi = 2, 0xA0, 0xBF
        elif 0xE1 <= c <= 0xEC or 0xEE <= c <= 0xEF:
            need, lo, hi = 2, 0x80, 0xBF
        elif c == 0xED:
            need, lo, hi = 2, 0x80, 0x9F
        elif c == 0xF0:
            need, lo, hi = 3, 0x90, 0xBF
        elif 0xF1 <= c <= 0xF3:
            need, lo, hi = 3, 0x80, 0xBF
        elif c == 0xF4:
            need, lo, hi = 3, 0x80, 0x8F
        else:
            raise _JsonTypeError(f"[json.exception.type_error.316] invalid UTF-8 byte at index {i}: 0x{c:02X}")
        for k in range(1, need + 1):
            j = i + k
            if j >= n:
                raise _JsonTypeError("[json.exception.type_error.316] incomplete UTF-8 string; "
                                     f"last byte: 0x{b[-1]:02X}")
            lo_k, hi_k = (lo, hi) if k == 1 else (0x80, 0xBF)
            if not lo_k <= b[j] <= hi_k:
                raise _JsonTypeError(f"[json.exception.type_error.316] invalid UTF-8 byte at index {j}: "
                                     f"0x{b[j]:02X}")
        i += need + 1


_ESC = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_string(s: str) -> str:
    b = s.encode("utf-8", "surrogateescape")
    _check_utf8(b)
    s = b.decode("utf-8")
    out = ['"']
    for ch in s:
        e = _ESC.get(ch)
        if e is not None:
            out.append(e)
        elif ch < " ":
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def json_float(x: float) -> str:
    """nlohmann::json's float output: shortest round-trip digits, laid out by
    its format_buffer (min_exp -4, max_exp 15)."""
    if math.isnan(x) or math.isinf(x):
        return "null"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    import decimal   # here, not at the top: it costs start-up time and is rarely needed
    d = decimal.Decimal(repr(abs(x))).normalize()
    _, digits, exp = d.as_tuple()
    buf = "".join(map(str, digits))
    k = len(buf)
    n = k + exp
    if k <= n <= 15:
        return sign + buf + "0" * (n - k) + ".0"
    if 0 < n <= 15:
        return sign + buf[:n] + "." + buf[n:]
    if -4 < n <= 0:
        return sign + "0." + "0" * (-n) + buf
    mant = buf if k == 1 else buf[0] + "." + buf[1:]
    e = n - 1
    es = ("-" if e < 0 else "+") + ("%02d" % abs(e))
    return sign + mant + "e" + es


def dump_json(x) -> str:
    """nlohmann::json::dump() of data from to_json_value (compact)."""
    out: list[str] = []

    def go(x):
        t = type(x)
        if x is None:
            out.append("null")
        elif t is bool:
            out.append("true" if x else "false")
        elif t is int:
            out.append(str(x))
        elif t is float:
            out.append(json_float(x))
        elif t is str:
            out.append(json_string(x))
        elif t is list:
            out.append("[")
            for i, e in enumerate(x):
                if i:
                    out.append(",")
                go(e)
            out.append("]")
        elif t is dict:
            out.append("{")
            for i, (k, e) in enumerate(x.items()):
                if i:
                    out.append(",")
                out.append(json_string(k))
                out.append(":")
                go(e)
            out.append("}")
    go(x)
    return "".join(out)


def to_json(ev, v, ctx: set | None = None, copy_to_store: bool = True, strict: bool = True,
            source=None, span=None) -> str:
    """Nix's printValueAsJSON to text (what builtins.toJSON gives, and --json),
    written while the value is walked. Plain values, lists and attrsets are
    handled here with no work per value beyond Nix's (the call-depth count):
    where an attrset's attribute was defined is looked up only when an error
    inside it needs the trace frame. Paths and attrsets that stand for a
    string (`__toString`, `outPath`) go through `to_json_value`, which has
    the rest of Nix's rules. A string that is not valid UTF-8 is nlohmann's
    error, which Nix meets when it dumps the finished tree: it is raised
    after the walk, so an evaluation error anywhere wins over it."""
    ctx = set() if ctx is None else ctx
    out: list[str] = []   # the pieces written since the last flush into `done`
    done: list[str] = []
    append = out.append
    bad: list[str] = []   # the first UTF-8 error in dump order
    encode = _encode_json_string

    def string(s: str) -> None:
        if s.isascii():
            append(encode(s))
            return
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            try:
                _check_utf8(to_bytes(s))
            except _JsonTypeError as e:
                if not bad:
                    bad.append(str(e))
                append('""')
                return
        append(encode(s))

    def where(pa, pk):
        if pa is None:
            return source, span
        return _attr_pos(pa, pk)

    def slow(v, pa, pk, copy) -> None:
        # the generic code, from the forced value, called from inside `walk`:
        # it counts this value's call depth itself
        ev.depth -= 1
        try:
            data = to_json_value(ev, v, ctx, copy, strict, *where(pa, pk))
        finally:
            ev.depth += 1
        try:
            append(dump_json(data))
        except _JsonTypeError as e:
            if not bad:
                bad.append(str(e))

    shapes: dict[tuple, list | None] = {}
    max_depth = ev.max_call_depth
    fast = strict     # thunks are forced: the loops of lists and attrsets below may run

    def flush() -> None:
        # many small pieces cost more memory than the text they make
        done.append("".join(out))
        out.clear()

    def shape(d: dict):
        """The names of an attrset in Nix's order (bytewise), each with what
        goes before its value (`{"name":` or `,"name":`); kept per tuple of
        names, as the sets one expression builds share them. None when a
        name is not UTF-8 (its error must come in dump order)."""
        names = tuple(d)
        sh = shapes.get(names, _ABSENT)
        if sh is _ABSENT:
            keys = sorted(names)
            if not "".join(keys).isascii():
                if not all(_valid_utf8(k) for k in keys):
                    return None
                keys.sort(key=_sort_key)
            sh = [(k, "," + encode(k) + ":") for k in keys]
            sh[0] = (keys[0], "{" + sh[0][1][1:])
            if len(names) <= 64:
                shapes[names] = sh
        return sh

    def overflow_here(e, pa, pk) -> None:
        # Nix forces a pending call at the position of the value being
        # serialised, so that is where a stack overflow shows
        if isinstance(e, E.StackOverflow) and not e.frames:
            vs, vsp = where(pa, pk)
            if vs is not None:
                e.source, e.span = vs, vsp

    def items(v, seq, pa, pk, copy) -> None:
        # the elements of a list (`seq` None) or the attributes of an attrset
        # (`seq` its shape), each one call deeper (Nix's addCallDepth): here
        # a thunk is forced and a plain string, integer, Boolean or null
        # written, which is the same as long as that depth is allowed (`leaf_ok`)
        leaf_ok = ev.depth < ev.max_call_depth
        if seq is None:
            is_list, c = True, v
            if leaf_ok and strict:
                list_items(v, pa, pk, copy)
                return
            seq = zip(range(len(v)), itertools.chain(("[",), itertools.repeat(",")))
        else:
            if leaf_ok and strict:
                attr_items(v, seq, copy)
                return
            is_list, c = False, v.d
        for k, pre in seq:
            append(pre)
            x = c[k]
            if type(x) is Thunk:
                if x.code is None:
                    x = x.value
                elif leaf_ok and strict:
                    x = force_child(x, v, k, pa, pk, is_list)
            tx = type(x)
            if leaf_ok and (tx is str and x.isascii() or tx is int or tx is bool or x is None):
                append(encode(x) if tx is str else str(x) if tx is int else
                       "null" if x is None else "true" if x else "false")
                continue
            try:
                walk(x, pa, pk, copy) if is_list else walk(x, v, k, copy)
            except E.EvalError as e:
                raise child_frame(e, v, k, pa, pk, is_list)
            if len(out) > 4096:
                flush()

    def force_child(x: Thunk, v, k, pa, pk, is_list: bool):
        # an element or attribute value forced one call deeper; its errors
        # get the frame of where it is in `v`
        ev.depth += 1
        try:
            return x.force()
        except E.EvalError as e:
            overflow_here(e, pa, pk) if is_list else overflow_here(e, v, k)
            raise child_frame(e, v, k, pa, pk, is_list)
        finally:
            ev.depth -= 1

    def list_items(v: list, pa, pk, copy) -> None:
        # `items` of a list when its leaves may be written here (the call
        # depth allows them) and thunks forced: the same steps, with the
        # index and the separator kept by hand. A thunk is forced here (as
        # force_child, inline); an attrset element that needs nothing of
        # `walk` but its depth is written here too, by attr_items's loop
        # (inline: a list of 100,000 small attrsets makes no call per set).
        # The depth is set, not counted up and down: `finally` puts back
        # the depth the list started at, whatever was raised inside
        k = 0
        out.append("[")
        d0 = ev.depth
        d1 = d0 + 1    # the elements' depth (Nix's addCallDepth for each)
        ev.depth = d1
        try:
            for x in v:
                if k:
                    out.append(",")
                tx = type(x)
                if tx is Thunk:
                    code = x.code
                    if code is None:
                        x = x.value
                    else:
                        try:
                            # Thunk.force, inline (see values.force_failed);
                            # the markers BLACKHOLE and FAILED are not
                            # callable: Thunk.force raises their error
                            x.code = BLACKHOLE
                            try:
                                r = code(x.value)
                            except E.EvalError as e:
                                force_failed(x, code, e)
                                raise
                            except BaseException:
                                x.code = code
                                if code is BLACKHOLE or code is FAILED:
                                    x.force()
                                raise
                            x.value = r
                            x.code = None
                            x = r
                        except E.EvalError as e:
                            overflow_here(e, pa, pk)
                            raise child_frame(e, v, k, pa, pk, True)
                    tx = type(x)
                if tx is Attrs:
                    # names seen before have a shape, and then no `__toString`
                    # or `outPath` (walk makes shapes only without them)
                    d = x.d
                    sh = shapes.get(tuple(d)) if d else None
                    if sh is not None and d1 < max_depth:
                        # what `walk` would do: attr_items, inline
                        d2 = d1 + 1    # the values' depth
                        ev.depth = d2
                        try:
                            for ak, pre in sh:
                                y = d[ak]
                                ty = type(y)
                                if ty is Thunk:
                                    code = y.code
                                    if code is None:
                                        y = y.value
                                    else:
                                        try:
                                            # (as above)
                                            y.code = BLACKHOLE
                                            try:
                                                r = code(y.value)
                                            except E.EvalError as e:
                                                force_failed(y, code, e)
                                                raise
                                            except BaseException:
                                                y.code = code
                                                if code is BLACKHOLE or code is FAILED:
                                                    y.force()
                                                raise
                                            y.value = r
                                            y.code = None
                                            y = r
                                        except E.EvalError as e:
                                            overflow_here(e, x, ak)
                                            raise child_frame(e, x, ak, None, None, False)
                                    ty = type(y)
                                if ty is str:
                                    if y.isascii():
                                        out.append(pre + encode(y))
                                        continue
                                elif ty is int:
                                    out.append(pre + str(y))
                                    continue
                                elif y is None:
                                    out.append(pre + "null")
                                    continue
                                elif ty is bool:
                                    out.append(pre + ("true" if y else "false"))
                                    continue
                                elif ty is list and y and d2 < max_depth:
                                    # (as attr_items)
                                    parts = []
                                    for e in y:
                                        te = type(e)
                                        if te is str:
                                            if not e.isascii():
                                                break
                                            parts.append(encode(e))
                                        elif te is int:
                                            parts.append(str(e))
                                        elif e is None:
                                            parts.append("null")
                                        elif te is bool:
                                            parts.append("true" if e else "false")
                                        else:
                                            break
                                    else:
                                        out.append(pre + "[" + ",".join(parts) + "]")
                                        continue
                                    out.append(pre)
                                    try:
                                        list_items(y, x, ak, copy)
                                    except E.EvalError as e:
                                        raise child_frame(e, x, ak, None, None, False)
                                    out.append("]")
                                    continue
                                out.append(pre)
                                ev.depth = d1    # (walk counts it)
                                try:
                                    walk(y, x, ak, copy)
                                except E.EvalError as e:
                                    raise child_frame(e, x, ak, None, None, False)
                                ev.depth = d2
                                if len(out) > 4096:
                                    flush()
                        except E.EvalError as e:
                            raise child_frame(e, v, k, pa, pk, True)
                        ev.depth = d1
                        out.append("}")
                        if len(out) > 4096:
                            flush()
                        k += 1
                        continue
                elif tx is str:
                    if x.isascii():
                        out.append(encode(x))
                        k += 1
                        continue
                elif tx is int:
                    out.append(str(x))
                    k += 1
                    continue
                elif x is None:
                    out.append("null")
                    k += 1
                    continue
                elif tx is bool:
                    out.append("true" if x else "false")
                    k += 1
                    continue
                # anything else: what `walk` writes
                ev.depth = d0    # (walk counts it)
                try:
                    walk(x, pa, pk, copy)
                except E.EvalError as e:
                    raise child_frame(e, v, k, pa, pk, True)
                ev.depth = d1
                if len(out) > 4096:
                    flush()
                k += 1
        finally:
            ev.depth = d0

    def attr_items(v: Attrs, seq, copy) -> None:
        # `items` of an attrset, as list_items is of a list
        d = v.d
        ev.depth += 1    # the values' depth
        try:
            for k, pre in seq:
                x = d[k]
                if type(x) is Thunk:
                    code = x.code
                    if code is None:
                        x = x.value
                    else:
                        try:
                            # Thunk.force, inline (see values.force_failed);
                            # the markers BLACKHOLE and FAILED are not
                            # callable: Thunk.force raises their error
                            x.code = BLACKHOLE
                            try:
                                r = code(x.value)
                            except E.EvalError as e:
                                force_failed(x, code, e)
                                raise
                            except BaseException:
                                x.code = code
                                if code is BLACKHOLE or code is FAILED:
                                    x.force()
                                raise
                            x.value = r
                            x.code = None
                            x = r
                        except E.EvalError as e:
                            overflow_here(e, v, k)
                            raise child_frame(e, v, k, None, None, False)
                tx = type(x)
                if tx is str and x.isascii():
                    append(pre + encode(x))
                elif tx is int:
                    append(pre + str(x))
                elif x is None:
                    append(pre + "null")
                elif tx is bool:
                    append(pre + ("true" if x else "false"))
                elif tx is list and x and ev.depth < ev.max_call_depth:
                    # what `walk` would do; a list of plain strings, integers,
                    # Booleans and nulls (`[ "a" null ]`) is what list_items
                    # writes for it, with no call (a thunk or anything else
                    # stops the look before anything is forced or written)
                    parts = []
                    for e in x:
                        te = type(e)
                        if te is str:
                            if not e.isascii():
                                break
                            parts.append(encode(e))
                        elif te is int:
                            parts.append(str(e))
                        elif e is None:
                            parts.append("null")
                        elif te is bool:
                            parts.append("true" if e else "false")
                        else:
                            break
                    else:
                        append(pre + "[" + ",".join(parts) + "]")
                        continue
                    append(pre)
                    try:
                        list_items(x, v, k, copy)
                    except E.EvalError as e:
                        raise child_frame(e, v, k, None, None, False)
                    append("]")
                else:
                    append(pre)
                    ev.depth -= 1    # (walk counts it)
                    try:
                        walk(x, v, k, copy)
                    except E.EvalError as e:
                        raise child_frame(e, v, k, None, None, False)
                    finally:
                        ev.depth += 1
                    if len(out) > 4096:
                        flush()
        finally:
            ev.depth -= 1

    def child_frame(e, v, k, pa, pk, is_list):
        if is_list:
            return e.add_frame(f"while evaluating list element at index {k}", *where(pa, pk))
        return e.add_frame(f"while evaluating attribute '{identifier(k)}'", *_attr_pos(v, k))

    def walk(v, pa, pk, copy) -> None:
        # `pa`/`pk`: the attrset and name holding `v` (its position, for errors)
        if ev.depth >= ev.max_call_depth:
            raise E.StackOverflow("stack overflow; max-call-depth exceeded", *where(pa, pk))
        ev.depth += 1
        try:
            if type(v) is Thunk:
                if v.code is None:
                    v = v.value
                elif strict:
                    try:
                        v = v.force()
                    except E.StackOverflow as e:
                        overflow_here(e, pa, pk)
                        raise
            t = type(v)
            if t is Attrs:
                d = v.d
                if "__toString" in d or "outPath" in d:
                    slow(v, pa, pk, copy)
                elif not d:
                    append("{}")
                else:
                    sh = shape(d)
                    if sh is None:
                        slow(v, pa, pk, copy)
                    else:
                        if fast and ev.depth < ev.max_call_depth:
                            attr_items(v, sh, copy)     # (what `items` would call)
                        else:
                            items(v, sh, pa, pk, copy)
                        append("}")
            elif t is list:
                if not v:
                    append("[]")
                else:
                    if fast and ev.depth < ev.max_call_depth:
                        list_items(v, pa, pk, copy)
                    else:
                        items(v, None, pa, pk, copy)
                    append("]")
            elif t is str:
                string(v)
            elif t is int:
                append(str(v))
            elif t is bool:
                append("true" if v else "false")
            elif v is None:
                append("null")
            elif t is CtxStr:
                ctx.update(v.context)
                string(v)
            elif t is float:
                append(json_float(v))
            else:
                slow(v, pa, pk, copy)
        finally:
            ev.depth -= 1

    try:
        walk(v, None, None, copy_to_store)
    finally:
        # `walk`, `items` and the two loops refer to each other: reference
        # cycles, which a one-shot evaluation (no cyclic collector,
        # runtime/memory.py) would keep, with everything the call made, for
        # every call
        del walk, list_items, attr_items
    if bad:
        raise E.EvalError(f"JSON serialization error: {bad[0]}")
    if done:
        flush()
        return "".join(done)
    return "".join(out)


@builtin("toJSON", 1)
def _to_json(ev, v):
    """The JSON text of a value; attribute sets are objects with sorted keys,
    paths are copied to the store, `__toString`/`outPath` sets become what they
    stand for: `builtins.toJSON { a = [ 1 2.5 ]; }` is `"{\\"a\\":[1,2.5]}"`."""
    if type(v) is Thunk:
        if v.code is None:
            v = v.value
        elif ev.depth < ev.max_call_depth:
            # forced as `walk` forces the top value (one call deeper; an error
            # passes through with no frame of toJSON's own), so that a string
            # argument (lib.escapeNixString's) is answered below
            ev.depth += 1
            try:
                v = v.force()
            finally:
                ev.depth -= 1
    if type(v) is str and v.isascii() and ev.depth < ev.max_call_depth:
        return _encode_json_string(v)    # (lib.escapeNixString: a string each time)
    ctx: set = set()
    s = to_json(ev, v, ctx)
    return make_string(s, ctx)


# =========================================================================================
# fromJSON
# =========================================================================================

def _no_null(s: str) -> str:
    if "\0" in s:
        shown = s.replace("\0", "\u2400")
        raise E.EvalError(f"input string '{shown}' cannot be represented as Nix string because it "
                          "contains null bytes")
    return s


class _JsonParseError(Exception):
    pass


def parse_json(text: str):
    """Parse JSON text into a Nix value (Nix's parseJSON: nlohmann::json in
    strict mode with comments allowed; its messages)."""
    try:
        return _NlohmannReader(text.encode("utf-8", "surrogateescape")).parse()
    except _JsonParseError as e:
        err = E.EvalError(str(e))
        err.add_frame("while decoding a JSON string")
        raise err from None


# -- a JSON reader with nlohmann::json's rules and messages (Nix parses with it) ----------

_EOF = -1
_CTRL_NAMES = ["NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
               "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB",
               "ESC", "FS", "GS", "RS", "US"]
_CTRL_SHORT = {8: "b", 9: "t", 10: "n", 12: "f", 13: "r"}
_TOKEN_NAMES = {"true": "true literal", "false": "false literal", "null": "null literal",
                "string": "string literal", "number": "number literal", "[": "'['", "{": "'{'",
                "]": "']'", "}": "'}'", ":": "':'", ",": "','", "error": "<parse error>",
                "eof": "end of input", "value": "'[', '{', or a literal"}


class _NlohmannReader:
    """nlohmann::json's lexer and SAX parser (strict, comments ignored),
    building Python data; errors carry nlohmann's exact text."""

    def __init__(self, data: bytes):
        self.data = data
        self.i = 0
        self.current = _EOF
        self.next_unget = False
        self.total = 0
        self.col = 0
        self.lines = 0
        self.token = bytearray()
        self.error_message = ""
        self.value = None

    # -- lexer ---------------------------------------------------------------------------
    def get(self):
        self.total += 1
        self.col += 1
        if self.next_unget:
            self.next_unget = False
        else:
            if self.i < len(self.data):
                self.current = self.data[self.i]
                self.i += 1
            else:
                self.current = _EOF
        if self.current != _EOF:
            self.token.append(self.current)
        if self.current == 0x0A:
            self.lines += 1
            self.col = 0
        return self.current

    def unget(self):
        self.next_unget = True
        self.total -= 1
        if self.col == 0:
            if self.lines > 0:
                self.lines -= 1
        else:
            self.col -= 1
        if self.current != _EOF and self.token:
            self.token.pop()

    def reset(self):
        self.token = bytearray()
        if self.current != _EOF:
            self.token.append(self.current)

    def token_string(self) -> str:
        out = []
        for c in self.token:
            out.append("<U+%04X>" % c if c <= 0x1F else chr(c) if c < 0x80 else None)
            if out[-1] is None:
                out[-1] = bytes([c]).decode("latin-1")
        s = "".join(out)
        return s.encode("latin-1").decode("utf-8", "surrogateescape")

    def fail(self, msg):
        self.error_message = msg
        return "error"

    def scan(self):
        if self.total == 0:
            if self.get() == 0xEF:
                if self.get() != 0xBB or self.get() != 0xBF:
                    return self.fail("invalid BOM; must be 0xEF 0xBB 0xBF if given")
            else:
                self.unget()
        while True:
            self.get()
            if self.current not in (0x20, 0x09, 0x0A, 0x0D):
                break
        while self.current == 0x2F:       # '/'
            if not self.scan_comment():
                return "error"
            while True:
                self.get()
                if self.current not in (0x20, 0x09, 0x0A, 0x0D):
                    break
        c = self.current
        if c != _EOF and c in b"[]{}:,":
            return chr(c)
        if c == 0x74:
            return self.scan_literal(b"true", "true")
        if c == 0x66:
            return self.scan_literal(b"false", "false")
        if c == 0x6E:
            return self.scan_literal(b"null", "null")
        if c == 0x22:
            return self.scan_string()
        if c == 0x2D or 0x30 <= c <= 0x39:
            return self.scan_number()
        if c == 0 or c == _EOF:
            return "eof"
        return self.fail("invalid literal")

    def scan_comment(self):
        c = self.get()
        if c == 0x2F:
            while True:
                c = self.get()
                if c in (0x0A, 0x0D, _EOF):
                    return True
        if c == 0x2A:
            while True:
                c = self.get()
                if c == _EOF:
                    self.error_message = "invalid comment; missing closing '*/'"
                    return False
                if c == 0x2A:
                    if self.get() == 0x2F:
                        return True
                    self.unget()
        self.error_message = "invalid comment; expecting '/' or '*' after '/'"
        return False

    def scan_literal(self, text: bytes, kind: str):
        for ch in text[1:]:
            if self.get() != ch:
                return self.fail("invalid literal")
        self.value = {"true": True, "false": False, "null": None}[kind]
        return kind

    def _hex4(self):
        v = 0
        for _ in range(4):
            c = self.get()
            if 0x30 <= c <= 0x39:
                d = c - 0x30
            elif 0x41 <= c <= 0x46:
                d = c - 0x37
            elif 0x61 <= c <= 0x66:
                d = c - 0x57
            else:
                return -1
            v = v * 16 + d
        return v

    def _in_ranges(self, ranges):
        for lo, hi in ranges:
            c = self.get()
            if not (c != _EOF and lo <= c <= hi):
                return False
        return True

    def scan_string(self):
        self.reset()
        buf = bytearray()
        while True:
            c = self.get()
            if c == _EOF:
                return self.fail("invalid string: missing closing quote")
            if c == 0x22:
                self.value = buf.decode("utf-8", "surrogateescape")
                return "string"
            if c == 0x5C:
                e = self.get()
                simple = {0x22: b'"', 0x5C: b"\\", 0x2F: b"/", 0x62: b"\b", 0x66: b"\f", 0x6E: b"\n",
                          0x72: b"\r", 0x74: b"\t"}
                if e in simple:
                    buf += simple[e]
                    continue
                if e == 0x75:
                    cp1 = self._hex4()
                    if cp1 == -1:
                        return self.fail("invalid string: '\\u' must be followed by 4 hex digits")
                    cp = cp1
                    if 0xD800 <= cp1 <= 0xDBFF:
                        if self.get() == 0x5C and self.get() == 0x75:
                            cp2 = self._hex4()
                            if cp2 == -1:
                                return self.fail("invalid string: '\\u' must be followed by 4 hex digits")
                            if 0xDC00 <= cp2 <= 0xDFFF:
                                cp = 0x10000 + ((cp1 - 0xD800) << 10) + (cp2 - 0xDC00)
                            else:
                                return self.fail("invalid string: surrogate U+D800..U+DBFF must be followed "
                                                 "by U+DC00..U+DFFF")
                        else:
                            return self.fail("invalid string: surrogate U+D800..U+DBFF must be followed by "
                                             "U+DC00..U+DFFF")
                    elif 0xDC00 <= cp1 <= 0xDFFF:
                        return self.fail("invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF")
                    buf += chr(cp).encode("utf-8")
                    continue
                return self.fail("invalid string: forbidden character after backslash")
            if c <= 0x1F:
                short = _CTRL_SHORT.get(c)
                alt = f" or \\{short}" if short else ""
                return self.fail(f"invalid string: control character U+{c:04X} ({_CTRL_NAMES[c]}) must be "
                                 f"escaped to \\u{c:04X}{alt}")
            if c < 0x80:
                buf.append(c)
                continue
            start = len(self.token) - 1
            if 0xC2 <= c <= 0xDF:
                ok = self._in_ranges([(0x80, 0xBF)])
            elif c == 0xE0:
                ok = self._in_ranges([(0xA0, 0xBF), (0x80, 0xBF)])
            elif 0xE1 <= c <= 0xEC or 0xEE <= c <= 0xEF:
                ok = self._in_ranges([(0x80, 0xBF), (0x80, 0xBF)])
            elif c == 0xED:
                ok = self._in_ranges([(0x80, 0x9F), (0x80, 0xBF)])
            elif c == 0xF0:
                ok = self._in_ranges([(0x90, 0xBF), (0x80, 0xBF), (0x80, 0xBF)])
            elif 0xF1 <= c <= 0xF3:
                ok = self._in_ranges([(0x80, 0xBF)] * 3)
            elif c == 0xF4:
                ok = self._in_ranges([(0x80, 0x8F), (0x80, 0xBF), (0x80, 0xBF)])
            else:
                ok = False
            if not ok:
                return self.fail("invalid string: ill-formed UTF-8 byte")
            buf += self.token[start:]

    def scan_number(self):
        self.reset()
        c = self.current
        is_int = True
        if c == 0x2D:
            c = self.get()
            if not 0x30 <= c <= 0x39:
                return self.fail("invalid number; expected digit after '-'")
        if c != 0x30:
            while True:
                c = self.get()
                if not 0x30 <= c <= 0x39:
                    break
        else:
            c = self.get()
        if c == 0x2E:
            is_int = False
            c = self.get()
            if not 0x30 <= c <= 0x39:
                return self.fail("invalid number; expected digit after '.'")
            while True:
                c = self.get()
                if not 0x30 <= c <= 0x39:
                    break
        if c in (0x65, 0x45):
            is_int = False
            c = self.get()
            if c in (0x2B, 0x2D):
                c = self.get()
                if not 0x30 <= c <= 0x39:
                    return self.fail("invalid number; expected digit after exponent sign")
            elif not 0x30 <= c <= 0x39:
                return self.fail("invalid number; expected '+', '-', or digit after exponent")
            while True:
                c = self.get()
                if not 0x30 <= c <= 0x39:
                    break
        self.unget()
        text = self.token.decode("ascii")
        if is_int:
            v = int(text)
            if text.startswith("-"):
                self.value = v if v >= INT_MIN else float(text)
            elif v <= (1 << 64) - 1:
                if v > INT_MAX:
                    raise E.EvalError(f"unsigned json number {v} outside of Nix integer range")
                self.value = v
            else:
                self.value = float(text)
        else:
            self.value = float(text)
        if type(self.value) is float and math.isinf(self.value):
            raise _JsonParseError(f"[json.exception.out_of_range.406] number overflow parsing '{text}'")
        return "number"

    # -- parser --------------------------------------------------------------------------
    def error(self, token, context, expected=None):
        msg = "syntax error "
        if context:
            msg += f"while parsing {context} "
        msg += "- "
        if token == "error":
            msg += f"{self.error_message}; last read: '{self.token_string()}'"
        else:
            msg += f"unexpected {_TOKEN_NAMES[token]}"
        if expected:
            msg += f"; expected {_TOKEN_NAMES[expected]}"
        raise _JsonParseError(f"[json.exception.parse_error.101] parse error at line {self.lines + 1}, "
                              f"column {self.col}: {msg}")

    def parse(self):
        v = self.parse_value(self.scan())
        t = self.scan()
        if t != "eof":
            self.error(t, "value", "eof")
        return v

    def parse_value(self, t):
        if t in ("true", "false", "null", "number"):
            return self.value
        if t == "string":
            return _no_null(self.value)
        if t == "{":
            d = {}
            t = self.scan()
            if t == "}":
                return Attrs(d)
            while True:
                if t != "string":
                    self.error(t, "object key", "string")
                key = _no_null(self.value)
                t = self.scan()
                if t != ":":
                    self.error(t, "object separator", ":")
                d[key] = self.parse_value(self.scan())
                t = self.scan()
                if t == ",":
                    t = self.scan()
                    continue
                if t == "}":
                    return Attrs(d)
                self.error(t, "object", "}")
        if t == "[":
            out = []
            t = self.scan()
            if t == "]":
                return out
            while True:
                out.append(self.parse_value(t))
                t = self.scan()
                if t == ",":
                    t = self.scan()
                    continue
                if t == "]":
                    return out
                self.error(t, "array", "]")
        if t == "error":
            self.error(t, "value")
        self.error(t, "value", "value")


@builtin("fromJSON", 1)
def _from_json(ev, s):
    """Parse a JSON string into a Nix value: `builtins.fromJSON ''{"a": [1, 2.5, null]}''`
    is `{ a = [ 1 2.5 null ]; }`."""
    from .hashing import force_string_no_ctx
    t = force_string_no_ctx(s, "while evaluating the first argument passed to builtins.fromJSON")
    return parse_json(t)


# =========================================================================================
# toXML
# =========================================================================================

def _xml_escape(s: str) -> str:
    return (s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\n", "&#xA;"))


def _is_derivation(v: Attrs) -> bool:
    t = v.d.get("type")
    if t is None and "type" not in v.d:
        return False
    t = force(t)
    return type(t) in (str, CtxStr) and t == "derivation"


def to_xml(ev, value, location: bool = False, strict: bool = True, ctx: set | None = None) -> str:
    """Nix's printValueAsXML document: what `builtins.toXML` returns and what
    `nix-instantiate --eval --xml` prints (`location` adds path/line/column)."""
    ctx = set() if ctx is None else ctx
    out = ["<?xml version='1.0' encoding='utf-8'?>\n"]
    drvs_seen: set = set()

    def attrs_str(attrs: dict) -> str:
        return "".join(f' {k}="{_xml_escape(str(attrs[k]))}"' for k in sorted(attrs))

    def empty(level, name, attrs=None):
        out.append("  " * level + f"<{name}{attrs_str(attrs or {})} />\n")

    def open_(level, name, attrs=None):
        out.append("  " * level + f"<{name}{attrs_str(attrs or {})}>\n")

    def close(level, name):
        out.append("  " * level + f"</{name}>\n")

    def pos_attrs(attrs, source, span):
        if source is None or span is None:
            return
        origin = source.origin
        if not (origin.startswith("«") and origin.endswith("»")):
            attrs["path"] = origin
        line, col = source.line_col(span.start)
        attrs["line"] = str(line)
        attrs["column"] = str(col)

    def show_attrs(level, a: Attrs):
        for k in sorted(a.d, key=_sort_key):
            xa = {"name": k}
            if location:
                s, sp = _attr_pos(a, k)
                pos_attrs(xa, s, sp)
            open_(level, "attr", xa)
            go(level + 1, a.d[k])
            close(level, "attr")

    def go(level, v):
        if strict:
            v = force(v)
        elif type(v) is Thunk and v.code is None:
            v = v.value
        t = type(v)
        if t is bool:
            empty(level, "bool", {"value": "true" if v else "false"})
        elif t is int:
            empty(level, "int", {"value": str(v)})
        elif t is float:
            empty(level, "float", {"value": format_float(v)})
        elif t is str or t is CtxStr:
            if t is CtxStr:
                ctx.update(v.context)
            empty(level, "string", {"value": str(v)})
        elif t is Path:
            empty(level, "path", {"value": v.path})
        elif v is None:
            empty(level, "null")
        elif t is Attrs:
            if _is_derivation(v):
                xa = {}
                drv_path = ""
                if "drvPath" in v.d:
                    dp = force(v.d["drvPath"]) if strict else v.d["drvPath"]
                    if type(dp) in (str, CtxStr):
                        xa["drvPath"] = drv_path = str(dp)
                if "outPath" in v.d:
                    op = force(v.d["outPath"]) if strict else v.d["outPath"]
                    if type(op) in (str, CtxStr):
                        xa["outPath"] = str(op)
                open_(level, "derivation", xa)
                if drv_path and drv_path not in drvs_seen:
                    drvs_seen.add(drv_path)
                    show_attrs(level + 1, v)
                else:
                    empty(level + 1, "repeated")
                close(level, "derivation")
            else:
                open_(level, "attrs")
                show_attrs(level + 1, v)
                close(level, "attrs")
        elif t is list:
            open_(level, "list")
            for e in v:
                go(level + 1, e)
            close(level, "list")
        elif t is Closure:
            lam = v.lam
            xa = {}
            if location:
                pos_attrs(xa, lam.source, getattr(lam.node, "span", None))
            open_(level, "function", xa)
            if lam.formals is not None:
                pa = {}
                if lam.arg:
                    pa["name"] = lam.arg
                if lam.ellipsis:
                    pa["ellipsis"] = "1"
                open_(level + 1, "attrspat", pa)
                for name in sorted((f[0] for f in lam.formals), key=_sort_key):
                    empty(level + 2, "attr", {"name": name})
                close(level + 1, "attrspat")
            else:
                empty(level + 1, "varpat", {"name": lam.arg})
            close(level, "function")
        else:
            # builtins, partial applications and unevaluated thunks
            empty(level, "unevaluated")

    open_(0, "expr")
    go(1, value)
    close(0, "expr")
    return "".join(out)


@builtin("toXML", 1)
def _to_xml(ev, v):
    """The XML text of a value, in the format of `nix-instantiate --xml`:
    `builtins.toXML 1` is an `<expr>` holding `<int value="1" />`."""
    ctx: set = set()
    s = to_xml(ev, v, location=False, strict=True, ctx=ctx)
    return make_string(s, ctx)


# =========================================================================================
# fromTOML
# =========================================================================================

class TomlTimestamp(str):
    """A TOML date/time as its toml11 text form."""


class _TomlIntRange(Exception):
    def __init__(self, src: str, end: int, base: str):
        self.src, self.end, self.base = src, end, base


_FUNC_BY_BASE = {"x": "parse_hex_integer", "o": "parse_oct_integer", "b": "parse_bin_integer"}


def _format_fraction(frac: str) -> str:
    if not frac:
        return ""
    if len(frac) <= 3:
        return "." + frac.ljust(3, "0")
    if len(frac) <= 6:
        return "." + frac.ljust(6, "0")
    return "." + frac[:9].ljust(9, "0")


_TIME_RE = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?")


def _format_time(text: str) -> str:
    m = _TIME_RE.match(text)
    return f"{m.group(1)}:{m.group(2)}:{m.group(3)}{_format_fraction(m.group(4) or '')}"


def _load_toml_parser():
    """A private copy of tomllib's parser whose date/time and number hooks
    keep the source text (Nix prints timestamps as toml11 does, with up to
    nanoseconds) and check the 64-bit integer range with the position."""
    import importlib.util
    spec = importlib.util.find_spec("tomllib._parser")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    orig_dt, orig_lt, orig_num = mod.match_to_datetime, mod.match_to_localtime, mod.match_to_number

    def match_to_datetime(m):
        orig_dt(m)          # validation (raises ValueError on impossible dates)
        text = m.group(0)
        date = text[:10]
        if len(text) == 10:
            return TomlTimestamp(date)
        rest = text[11:]
        tm = _TIME_RE.match(rest)
        time = _format_time(rest)
        off = rest[tm.end():]
        if off in ("z", "Z"):
            off = "Z"
        return TomlTimestamp(f"{date}T{time}{off}")

    def match_to_localtime(m):
        orig_lt(m)
        return TomlTimestamp(_format_time(m.group(0)))

    def match_to_number(m, parse_float):
        v = orig_num(m, parse_float)
        if type(v) is int and not INT_MIN <= v <= INT_MAX:
            text = m.group(0)
            base = text[1] if text.startswith("0") and len(text) > 1 and text[1] in "xob" else "d"
            raise _TomlIntRange(m.string, m.end(), base)
        return v

    mod.match_to_datetime = match_to_datetime
    mod.match_to_localtime = match_to_localtime
    mod.match_to_number = match_to_number
    return mod


_toml_parser = None


def _toml_range_message(err: _TomlIntRange) -> str:
    src, end = err.src, err.end
    line_start = src.rfind("\n", 0, end) + 1
    line_no = src.count("\n", 0, end) + 1
    line_end = src.find("\n", end)
    line = src[line_start:] if line_end < 0 else src[line_start:line_end]
    col = end - line_start
    num = str(line_no)
    pad = " " * (len(num) + 2)
    func = _FUNC_BY_BASE.get(err.base, "parse_dec_integer")
    return (f"[error] toml::{func}: too large integer: current max digits = 2^63\n"
            f"{' ' * len(num)}--> fromTOML\n"
            f"{pad}|\n"
            f" {num} | {line}\n"
            f"{pad}| {' ' * col}^-- must be < 2^63\n")


def _toml_error(detail: str) -> E.EvalError:
    """Nix's `while parsing TOML: %s`: the parser's text is an argument of
    the format, so the trim of the printed lines stops at its colour code
    and a final newline of it still shows as an indented empty line."""
    err = E.EvalError(f"while parsing TOML: {detail}")
    err.ends_in_argument = True
    return err


def parse_toml(ev, text: str):
    global _toml_parser
    if _toml_parser is None:
        _toml_parser = _load_toml_parser()
    timestamps = "parse-toml-timestamps" in getattr(ev.options, "experimental_features", set())
    try:
        data = _toml_parser.loads(text)
    except _TomlIntRange as e:
        raise _toml_error(_toml_range_message(e)) from None
    except _toml_parser.TOMLDecodeError as e:
        raise _toml_error(str(e)) from None

    def conv(x):
        t = type(x)
        if t is dict:
            d = {}
            for k, e in x.items():
                _no_null_toml(k)
                d[k] = conv(e)
            return Attrs(d)
        if t is list:
            return [conv(e) for e in x]
        if t is TomlTimestamp:
            if not timestamps:
                raise E.EvalError("while parsing TOML: Dates and times are not supported")
            return Attrs({"_type": "timestamp", "value": str(x)})
        if t is str:
            return _no_null_toml(x)
        return x
    return conv(data)


def _no_null_toml(s: str) -> str:
    try:
        return _no_null(s)
    except E.EvalError as e:
        raise E.EvalError(f"while parsing TOML: error: {e.message}") from None


@builtin("fromTOML", 1)
def _from_toml(ev, s):
    """Parse a TOML document into an attribute set: `builtins.fromTOML "x = 1"` is
    `{ x = 1; }` (dates and times need the `parse-toml-timestamps` feature)."""
    from .hashing import force_string_no_ctx
    t = force_string_no_ctx(s, "while evaluating the argument passed to builtins.fromTOML")
    return parse_toml(ev, t)
