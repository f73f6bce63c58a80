"""Record classes without the `dataclasses` module, for what start-up imports.

`@record` reads a class's annotated fields (its bases' first) and gives it
`__init__`, `__repr__` and, unless `eq=False`, `__eq__`, as `@dataclass`
does for the options pynix uses (`slots`, `frozen`, `eq`, defaults and
`field(default_factory=...)`). Why not `dataclasses` itself: importing it
loads `inspect` (with `ast`, `dis`, `tokenize`), and each decorated class
runs several `exec`s plus type checks; for the ~40 classes the CLI defines
at start-up (the AST nodes, spans, options) that was about a sixth of the
time of `pynix instantiate --eval -E 1`. Here a class's methods are written
with one `exec` when one of them is first called, so a class that a process
only unpickles (a tree from the parse cache) or never uses costs nothing,
and their code comes from `codecache` (compiling it was 0.3 ms a class).

The classes pickle as the dataclasses did (a frozen class with slots keeps
the list of field values as its state), so parse-cache entries written
before stay readable. `fields()` and `replace()` stand in for the
`dataclasses` functions of those names.
"""
from __future__ import annotations

from .codecache import compile_cached

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record."""


class Field:
    __slots__ = ("name", "default", "default_factory")

    def __init__(self, default=_MISSING, default_factory=_MISSING):
        self.name = ""
        self.default = default
        self.default_factory = default_factory

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default=_MISSING, default_factory=_MISSING) -> Field:
    """A field's default, as `dataclasses.field` gives it."""
    return Field(default, default_factory)


def fields(obj) -> tuple:
    """The fields of a record class or instance, in `__init__` order."""
    return obj.__record_fields__


def is_record(obj) -> bool:
    return hasattr(type(obj), "__record_fields__")


def replace(obj, **changes):
    """A copy of record `obj` with some fields changed (`dataclasses.replace`)."""
    values = {f.name: getattr(obj, f.name) for f in obj.__record_fields__}
    values.update(changes)
    return type(obj)(**values)


def _frozen_setattr(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field '{name}'")


def _frozen_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field '{name}'")


def _getstate(self):
    return [getattr(self, f.name) for f in self.__record_fields__]


def record(cls=None, *, eq: bool = True, frozen: bool = False, slots: bool = False):
    """Class decorator: see the module's docstring."""
    def wrap(cls):
        return _make(cls, eq, frozen, slots)
    return wrap if cls is None else wrap(cls)


def _make(cls, eq: bool, frozen: bool, slots: bool):
    inherited: tuple = ()
    for base in cls.__mro__[1:]:
        inherited = base.__dict__.get("__record_fields__", ())
        if inherited:
            break
    own = []
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, _MISSING)
        f = value if type(value) is Field else Field(value)
        f.name = name
        own.append(f)
    names = {f.name for f in own}
    all_fields = tuple(f for f in inherited if f.name not in names) + tuple(own)

    if slots:
        body = {k: v for k, v in cls.__dict__.items()
                if k not in names and k not in ("__dict__", "__weakref__")}
        inherited_names = {f.name for f in inherited}
        body["__slots__"] = tuple(f.name for f in own if f.name not in inherited_names)
        cls = type(cls)(cls.__name__, cls.__bases__, body)
    else:
        for f in own:   # a default stays a class attribute, as with dataclasses
            if f.default is _MISSING and f.name in cls.__dict__:
                delattr(cls, f.name)

    cls.__record_fields__ = all_fields
    cls.__record_options__ = (eq, frozen)
    # the methods are written at their first use (see `_methods`)
    cls.__init__ = _placeholder(cls, "__init__")
    cls.__repr__ = _placeholder(cls, "__repr__")
    if eq:
        cls.__eq__ = _placeholder(cls, "__eq__")
        cls.__hash__ = _placeholder(cls, "__hash__") if frozen else None
    if frozen:
        cls.__setattr__ = _frozen_setattr
        cls.__delattr__ = _frozen_delattr
        if slots:
            cls.__getstate__ = _getstate
            cls.__setstate__ = _placeholder(cls, "__setstate__")
    return cls


def _placeholder(cls, name: str):
    """`cls.name` until the first call: writes the class's methods, then calls
    the real one. Most classes never need some of them in a given process
    (a tree loaded from the parse cache is unpickled without `__init__`),
    and compiling their text was most of what a class cost at import."""
    def method(self, *args, **kwargs):
        if cls.__dict__[name] is method:
            _methods(cls)
        return cls.__dict__[name](self, *args, **kwargs)
    method.__name__ = name
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    return method


def _methods(cls) -> None:
    """Write `__init__`, `__repr__` and, with `eq`, `__eq__` (and `__hash__`
    when frozen) of record class `cls`, with one `exec`."""
    all_fields = cls.__record_fields__
    eq, frozen = cls.__record_options__
    env: dict = {"_object_setattr": object.__setattr__}
    params, lines = [], []
    for f in all_fields:
        if f.default_factory is not _MISSING:
            env[f"_factory_{f.name}"] = f.default_factory
            env["_MISSING"] = _MISSING
            params.append(f"{f.name}=_MISSING")
            value = f"_factory_{f.name}() if {f.name} is _MISSING else {f.name}"
        else:
            if f.default is not _MISSING:
                env[f"_default_{f.name}"] = f.default
                params.append(f"{f.name}=_default_{f.name}")
            else:
                params.append(f.name)
            value = f.name
        lines.append(f"_object_setattr(self, {f.name!r}, {value})" if frozen else f"self.{f.name} = {value}")
    values = "".join(f"self.{f.name}, " for f in all_fields)
    reprs = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in all_fields)
    src = [f"def __init__(self, {', '.join(params)}):", *(f"    {line}" for line in lines or ["pass"]),
           "def __repr__(self):", f"    return f'{{type(self).__qualname__}}({reprs})'"]
    if eq:
        src += ["def __eq__(self, other):",
                "    if type(other) is not type(self):", "        return NotImplemented",
                f"    return ({values}) == ({values.replace('self.', 'other.')})"]
        if frozen:
            src += ["def __hash__(self):", f"    return hash(({values}))"]
    restores = frozen and "__setstate__" in cls.__dict__
    if restores:
        # the fields from the list `_getstate` pickled (a tree loaded from the
        # parse cache restores thousands of spans: one call each, no loop)
        src += ["def __setstate__(self, state):",
                *(f"    _object_setattr(self, {f.name!r}, state[{i}])" for i, f in enumerate(all_fields))]
    exec(compile_cached("\n".join(src), f"<pynix record {cls.__qualname__}>", "records"), env)
    names = (["__init__", "__repr__"] + (["__eq__"] + (["__hash__"] if frozen else []) if eq else [])
             + (["__setstate__"] if restores else []))
    for name in names:
        env[name].__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, env[name])
