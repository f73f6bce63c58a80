"""Compiling attribute access: `e.a.b`, `e.a or d`, `e ? a.b`.

The trace frames follow ExprSelect::eval and ExprOpHasAttr::eval.
"""
from __future__ import annotations

from .. import errors as E
from ..syntax import ast as A
from ..syntax.printer import identifier, show
from ..runtime.errors import missing_attr, type_error
from ..runtime.positions import attr_position
from ..runtime.values import Attrs, CtxStr, Thunk, force, make_thunk
from .frames import _NOTHING as _ABSENT, _framed, node_pos

_DERIVATION_INTERNAL = "«nix-internal»/derivation-internal.nix"


class SelectionRules:
    """Compiler methods for `A.Select` and `A.HasAttr`."""

    # -- attribute access ---------------------------------------------------------------------
    def _names(self, path: list[A.AttrName]):
        """Per attrpath element: a static name, or code computing a dynamic one
        (with the position of its expression, for errors)."""
        out = []
        for an in path:
            if an.name is not None:
                out.append((an.name, None))
            else:
                code = self.compile(an.expr)
                out.append((None, (code, node_pos(an.expr))))
        return out

    def _name_value(self, code, env, source, span) -> str:
        return attr_name(code(env), source, span)

    def c_Select(self, n: A.Select):
        if type(n.expr) is A.InheritFrom:
            raise AssertionError("inherit-from selects are built with their attrset")
        base = self.compile(n.expr)
        names = self._names(n.path)
        default = self.compile(n.default) if n.default is not None else None
        source, span = self.source, n.span
        name_value = self._name_value
        path = n.path
        path_text = _attr_path_text(path)
        dynamic = any(an.name is None for an in path)

        if default is not None:
            def select_or(env, base=base, default=default, name_value=name_value, names=names, source=source, span=span):
                try:
                    v = base(env)
                except E.EvalError as e:
                    raise e.add_frame("while selecting an attribute", source, span)
                for name, code in names:
                    if code is not None:
                        name = name_value(code[0], env, source, code[1])
                    if type(v) is not Attrs:
                        return default(env)
                    d = v.d
                    w = d.get(name)
                    if w is None and name not in d:
                        return default(env)
                    if type(w) is Thunk:
                        w = d[name] = w.value if w.code is None else w.force()
                    v = w
                return v
            return select_or

        def select(env, base=base, dynamic=dynamic, name_value=name_value, names=names, path=path, path_text=path_text, source=source, span=span):
            # ExprSelect::eval: the base is evaluated "while selecting an
            # attribute"; an error while walking the path or forcing the
            # value found is "while evaluating the attribute 'a.b'" here,
            # and "from the definition of 'a'" at the last attribute found.
            try:
                v = base(env)
            except E.EvalError as e:
                raise e.add_frame("while selecting an attribute", source, span)
            found = None
            try:
                first = True
                for name, code in names:
                    if code is not None:
                        name = name_value(code[0], env, source, code[1])
                    if type(v) is not Attrs:
                        err = type_error("a set", v, source, span)
                        raise err if first else err.add_frame("while selecting an attribute", source, span)
                    d = v.d
                    w = d.get(name)
                    if w is None and name not in d:
                        raise missing_attr(name, v, None, None)
                    found = (v, name)
                    first = False
                    if type(w) is Thunk:
                        # the value replaces its forced thunk (as Nix overwrites
                        # the Value in place): later selects find it directly
                        w = d[name] = w.value if w.code is None else w.force()
                    v = w
                return v
            except E.EvalError as e:
                shown = _attr_path_shown(path, names, env, name_value, source) if dynamic else path_text
                raise select_failed(e, found, shown, source, span)
        return select

    def c_HasAttr(self, n: A.HasAttr):
        base = _framed(self.compile(n.expr), "in the argument of '?'", self.source, node_pos(n.expr))
        names = self._names(n.path)
        source, span = self.source, n.span
        name_value = self._name_value

        def has(env, base=base, name_value=name_value, names=names, source=source):
            v = base(env)
            for i, (name, code) in enumerate(names):
                if code is not None:
                    name = name_value(code[0], env, source, code[1])
                if type(v) is not Attrs or name not in v.d:
                    return False
                if i + 1 < len(names):
                    v = force(v.d[name])
            return True
        return has


def attr_name(v, source, span) -> str:
    """The attribute name a dynamic `${e}` of an attrpath gives: `v` is
    `e`'s value, which must be a string without context."""
    if type(v) is str:
        return v
    if type(v) is not CtxStr:
        raise type_error("a string", v, source, span).add_frame(
            "while evaluating an attribute name", source, span)
    if v.context:
        raise E.EvalError(f"the string '{v}' is not allowed to refer to a store path (such as "
                          f"'{sorted(v.context)[0]}')", source, span)
    return str(v)


def _attr_path_text(path) -> str:
    """An attrpath as Nix shows it in traces (showAttrPath in eval.cc): each
    name as a symbol prints (printIdentifier, so `a."b c"`), a dynamic one
    as "${expr}" (what Nix shows when it cannot evaluate the name again)."""
    parts = []
    for an in path:
        if an.name is not None:
            parts.append(identifier(an.name))
        else:
            parts.append('"${' + show(an.expr) + '}"')
    return ".".join(parts)


def _attr_path_shown(path, names, env, name_value, source) -> str:
    """`_attr_path_text` at the time of the error: Nix evaluates each dynamic
    name again and shows the name it gives, or "${expr}" when that fails."""
    parts = []
    for an, (name, code) in zip(path, names):
        if code is not None:
            try:
                name = name_value(code[0], env, source, code[1])
            except E.EvalError:
                parts.append('"${' + show(an.expr) + '}"')
                continue
        parts.append(identifier(name))
    return ".".join(parts)


def select_failed(e, found, path_text, source, span):
    """The frames ExprSelect::eval adds to an error met while walking the
    path or forcing the value found: "from the definition of 'a'" at the
    last attribute found (`found` is (attrset, name) or None), then "while
    evaluating the attribute 'a.b'". Returns the error to raise."""
    if found is not None:
        where = attr_position(found[0].pos, found[1])
        if where is not None:
            if where[0].origin == _DERIVATION_INTERNAL:
                return e     # Nix keeps its own wrapper out of traces
            e.add_frame(f"from the definition of '{identifier(found[1])}'", *where)
    return e.add_frame(f"while evaluating the attribute '{path_text}'", source, span)


def inherited_select(name: str, source, span):
    """The code of the thunks of one `inherit (src) name;`, made once per
    such name when it is compiled: a thunk's environment is `src` itself
    (the source set, or its thunk). A NixOS system leaves 260,000 of these
    thunks unforced; a (src, name, source, span) tuple per thunk was 20 MB."""
    def select_inherited(src, name=name, source=source, span=span):
        a = src.force() if type(src) is Thunk else src
        if type(a) is not Attrs:
            raise type_error("a set", a, source, span)
        v = a.d.get(name, _ABSENT)
        if v is _ABSENT:
            raise missing_attr(name, a, source, span)
        return v.force() if type(v) is Thunk else v
    return select_inherited

