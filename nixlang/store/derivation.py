"""Derivations: the data model, its `.drv` and JSON forms, and output paths.

Mirrors libstore's derivations.cc and derivation/{aterm,modulo,json}.cc:
`Derivation`, `DerivationOutput` (InputAddressed, CAFixed, CAFloating,
Deferred, Impure), `type()`, `parse`, `unparse`, `writeDerivation`,
`hashDerivationModulo` (today split into `hashInputModulo`, `hashModulo` and
`unparseModulo`), `fillInOutputPaths` / `checkInvariants`
(`processDerivationOutputPaths`), `tryResolve`, and the JSON forms of
`nix derivation show` (format version 4) and Nix 2.8's `nix show-derivation`.

## Why "hash modulo"

An input-addressed output path is computed from the derivation itself: hash the
.drv, feed that to makeStorePath as type `output:<name>`. Two twists.

1. *A derivation names its own outputs* — in the outputs list and in the env
   (`out=/nix/store/...`). So the hash is taken over the **masked** derivation:
   every output path written as "" and every env variable named after an
   output set to "" (`maskOutputsAndEnv`). The output names stay, so adding an
   output changes every path.

2. *Inputs are named by their .drv paths*, and a fixed-output derivation's
   .drv path changes with its URL or builder although its output cannot. So
   before hashing, each input .drv path is replaced by the input's own hash
   modulo, printed in base16 (`derivationModulo`):
   - a fixed-output input contributes, per wanted output, the sha256 of
     `fixed:out:<method+algo>:<base16 hash>:<output path>` and is listed as
     wanting "out" — so two fetchers of the same content are indistinguishable;
   - an input-addressed input contributes the sha256 of *its* modulo text, this
     time **unmasked** (its output paths are part of what it is);
   - a floating content-addressed, impure or deferred input has no such hash
     yet: the dependent derivation is itself *deferred* (its outputs stay
     unknown, written "" in the .drv, until its inputs are built).
   Inputs that reduce to the same hash are merged, their output names joined
   (the `hash-modulo/parent-split` case of Nix's own test data).

The masked text, hashed with sha256, gives each output path via
`make_output_path`. A fixed-output derivation's path comes from its content
address instead (`CAFixed.path`); floating and impure outputs have no path
until built, and stand in the env as `hash_placeholder(output)`.

The `.drv` file's own path is a text path: sha256 of the (unmasked) ATerm,
with the input sources and input .drv paths as references
(`derivation_path`, Nix's `writeDerivation`).

## Strings

Fields are `str`. Nix strings are bytes; pynix's runtime keeps non-UTF-8 bytes
as surrogate escapes, and so does this module: every str is turned into bytes
with `encode("utf-8", "surrogateescape")` on the way to the ATerm and back,
so any byte string round-trips exactly.

## What is left to the evaluator

Turning attributes into env strings (lists joined by spaces, `true` -> "1"),
`__structuredAttrs` (the evaluator serialises the attributes as JSON and puts
the text in `structured_attrs`; the .drv then holds it as env `__json`),
`passAsFile`, `__ignoreNulls` and the checks with evaluator-specific messages
(output names, `outputHashMode` values). The model does not prevent any of
them: env is a plain mapping and `structured_attrs` carries the JSON text
byte for byte.
"""
from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Union

from . import aterm
from .errors import FormatError, InvalidDerivation, StoreError, UsageError
from .hashes import Hash, parse_hash_algo, sha256
from .paths import (DRV_EXTENSION, METHOD_PREFIXES, STORE_DIR, StorePath, check_name, make_fixed_output_path,
                    make_output_path, output_path_name, parse_store_path_canonical, store_path_for_text)
from .placeholders import downstream_placeholder, dynamic_placeholder, hash_placeholder

#: the `version` of the JSON form this module reads and writes (`nix derivation show`)
JSON_VERSION = 4
#: the env variable that holds structured attributes in a .drv
STRUCTURED_ATTRS_VAR = "__json"


# a str field as the .drv's bytes and back (surrogate escapes for bytes outside UTF-8)
_b = aterm.encode
_s = aterm.decode


def _sorted_str(items: Iterable[str]) -> list[str]:
    """Sorted as Nix's std::string sets are: by bytes."""
    return sorted(items, key=_b)


# -- content-addressing methods -------------------------------------------------------------

METHODS = tuple(METHOD_PREFIXES)  # flat, nar, text, git


def parse_method_algo(text: str) -> tuple[str, str]:
    """ContentAddressMethod::parsePrefix + parseHashAlgo on a .drv `hashAlgo`
    field: "r:sha256" -> ("nar", "sha256"), "sha1" -> ("flat", "sha1"),
    "text:sha256" -> ("text", "sha256")."""
    for method, prefix in METHOD_PREFIXES.items():
        if prefix and text.startswith(prefix):
            return method, parse_hash_algo(text[len(prefix):])
    return "flat", parse_hash_algo(text)


def render_method_algo(method: str, algo: str) -> str:
    """printMethodAlgo: the inverse of `parse_method_algo`."""
    return METHOD_PREFIXES[method] + algo


def parse_method(name: str) -> str:
    """ContentAddressMethod::parse, for the JSON `method` field."""
    if name in METHODS:
        return name
    raise UsageError(f"unknown file ingestion method '{name}', expect `flat`, `nar`, or `git`")


# -- outputs --------------------------------------------------------------------------------

@dataclass(frozen=True)
class InputAddressed:
    """An output whose path is computed from the derivation (the usual kind)."""
    path: str


@dataclass(frozen=True)
class CAFixed:
    """A fixed-output derivation's output: its content is known in advance."""
    method: str  # flat | nar | text | git
    hash: Hash

    def path(self, drv_name: str, output_name: str, store_dir: str = STORE_DIR) -> str:
        """DerivationOutput::CAFixed::path."""
        return _fixed_path(self.method, self.hash, output_path_name(drv_name, output_name), store_dir)

    @property
    def method_algo(self) -> str:
        return render_method_algo(self.method, self.hash.algo)


@functools.lru_cache(maxsize=4096)
def _fixed_path(method: str, hash_: Hash, name: str, store_dir: str) -> str:
    """makeFixedOutputPath, remembered: derivationStrict asks for a fixed
    output's path five times (its env variable, the .drv, drvHashes, the
    result attributes)."""
    return make_fixed_output_path(method, hash_, name, store_dir=store_dir)


@dataclass(frozen=True)
class CAFloating:
    """A content-addressed output whose hash is known only once built."""
    method: str
    algo: str


@dataclass(frozen=True)
class Deferred:
    """An input-addressed output whose path is not known yet (an input is
    floating or impure)."""


@dataclass(frozen=True)
class Impure:
    """An output of an impure derivation (rebuilt every time)."""
    method: str
    algo: str


Output = Union[InputAddressed, CAFixed, CAFloating, Deferred, Impure]


@dataclass
class InputDrv:
    """What is wanted of one input derivation: some of its outputs and, for
    dynamic derivations, outputs of derivations that are its outputs."""
    outputs: set[str] = field(default_factory=set)
    dynamic_outputs: dict[str, "InputDrv"] = field(default_factory=dict)

    def is_dynamic(self) -> bool:
        return bool(self.dynamic_outputs)


# -- the derivation ---------------------------------------------------------------------------

@dataclass
class Derivation:
    """A store derivation. Paths are absolute strings under `store_dir`.
    `structured_attrs` is the JSON text of `__structuredAttrs` (env `__json` in
    the .drv) or None."""

    name: str
    outputs: dict[str, Output] = field(default_factory=dict)
    input_drvs: dict[str, InputDrv] = field(default_factory=dict)
    input_srcs: set[str] = field(default_factory=set)
    platform: str = ""
    builder: str = ""
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    structured_attrs: str | None = None
    store_dir: str = STORE_DIR

    # -- building one up (the evaluator's derivationStrict) ------------------------------

    def add_input_src(self, path: str) -> None:
        self.input_srcs.add(path)

    def add_input_drv(self, drv_path: str, *outputs: str) -> None:
        """Depend on `outputs` of the derivation at `drv_path` (no outputs: just
        make sure the entry exists)."""
        self.input_drvs.setdefault(drv_path, InputDrv()).outputs.update(outputs)

    def references(self) -> set[str]:
        """The .drv file's references: input sources and input derivations."""
        return set(self.input_srcs) | set(self.input_drvs)

    @property
    def system(self) -> str:
        return self.platform

    def structured_attrs_value(self):
        """The structured attributes as a JSON value (None when there are none)."""
        return None if self.structured_attrs is None else json.loads(self.structured_attrs)

    # -- forms -----------------------------------------------------------------------------

    def to_aterm(self) -> bytes:
        """unparse: the canonical bytes of the .drv file."""
        return DerivationText(self).drv_text()

    def path(self) -> str:
        """The .drv file's store path (writeDerivation's computeStorePathForText)."""
        return derivation_path(self)

    def type(self) -> "DerivationType":
        return derivation_type(self)

    def output_paths(self, drv_path: str | None = None) -> dict[str, str | None]:
        """Each output's path as the evaluator hands it out (mkOutputString): the
        store path when known, else — given the .drv path — its downstream
        placeholder, else None."""
        res: dict[str, str | None] = {}
        for name, out in self.outputs.items():
            if isinstance(out, InputAddressed):
                res[name] = out.path
            elif isinstance(out, CAFixed):
                res[name] = out.path(self.name, name, self.store_dir)
            elif drv_path is not None:
                res[name] = downstream_placeholder(drv_path, name, self.store_dir)
            else:
                res[name] = None
        return res


def _output_fields(drv: Derivation, name: str, out: Output) -> tuple[str, str, str]:
    """An output's path, hashAlgo and hash as the .drv writes them."""
    if isinstance(out, InputAddressed):
        return out.path, "", ""
    if isinstance(out, CAFixed):
        return out.path(drv.name, name, drv.store_dir), out.method_algo, out.hash.base16
    if isinstance(out, CAFloating):
        return "", render_method_algo(out.method, out.algo), ""
    if isinstance(out, Deferred):
        return "", "", ""
    if isinstance(out, Impure):
        return "", render_method_algo(out.method, out.algo), "impure"
    raise TypeError(f"not a derivation output: {out!r}")


def _text_node(node: InputDrv) -> aterm.InputNode:
    return aterm.InputNode(_sorted_str(node.outputs),
                           [(k, _text_node(node.dynamic_outputs[k])) for k in _sorted_str(node.dynamic_outputs)])


class DerivationText:
    """unparseDerivation of one derivation, in sections made once.

    derivationStrict unparses every new derivation three times: masked modulo
    (hashDerivationModulo with maskOutputs, whose hash makes the output
    paths), the .drv itself (whose hash makes the .drv path) and unmasked
    modulo (drvHashes: what the derivation contributes to its dependents'
    hashes). The three differ only in the outputs, the input derivations
    (paths, or the hashes modulo of the inputs) and the env variables named
    after outputs; everything else, usually most of the bytes (env), is
    escaped once here. Outputs and their env variables are read when the text
    is asked for, so one object serves before and after the output paths are
    filled in; the rest of `drv` must not change meanwhile, and the hashes
    of the inputs are asked of the first hasher given (one object serves one
    hasher, as in `instantiate`)."""

    __slots__ = ("drv", "_keys", "_env", "_out_keys", "_srcs", "_tails", "_modulo")

    def __init__(self, drv: Derivation):
        self.drv = drv
        self._tails: dict = {}
        self._modulo: list = []
        self._escape_env()

    def _escape_env(self) -> None:
        drv = self.drv
        env = drv.env
        if drv.structured_attrs is not None:
            if STRUCTURED_ATTRS_VAR in env:
                raise InvalidDerivation("Cannot have an environment variable named '__json'. This key is "
                                        "reserved for encoding structured attrs")
            env = dict(env)
            env[STRUCTURED_ATTRS_VAR] = drv.structured_attrs
        keys = _sorted_str(env)
        self._keys = keys
        self._env = aterm.env_items(keys, [env[k] for k in keys])
        self._out_keys = [(i, k) for i, k in enumerate(keys) if k in drv.outputs]
        self._srcs = _sorted_str(drv.input_srcs)

    def _tail(self, masked: bool) -> str:
        """From the input sources to the end; with `masked`, env variables
        named after outputs empty."""
        drv = self.drv
        if len(drv.env) + (drv.structured_attrs is not None) != len(self._keys):
            self._escape_env()  # an output variable was added
        values = tuple("" if masked else drv.env[k] for _, k in self._out_keys)
        tail = self._tails.get(values)
        if tail is None:
            env = self._env
            if self._out_keys:
                env = list(env)
                for (i, k), item in zip(self._out_keys, aterm.env_items([k for _, k in self._out_keys],
                                                                       list(values))):
                    env[i] = item
            tail = aterm.tail_section(self._srcs, drv.platform, drv.builder, drv.args, env)
            self._tails[values] = tail
        return tail

    def _outputs(self) -> str:
        drv = self.drv
        return aterm.outputs_section([(n, *_output_fields(drv, n, drv.outputs[n])) for n in _sorted_str(drv.outputs)])

    def drv_text(self) -> bytes:
        """unparse: the canonical bytes of the .drv file."""
        drv = self.drv
        nodes = [(p, _text_node(drv.input_drvs[p])) for p in _sorted_str(drv.input_drvs)]
        dynamic = any(node.dynamic for _, node in nodes)
        version = _s(aterm.DYN_DRV_VERSION) if dynamic else None
        return aterm.assemble(version, self._outputs(), aterm.inputs_section(nodes), self._tail(False))

    def modulo_text(self, hasher: "ModuloHasher", mask: bool) -> bytes | None:
        """unparseModulo: inputs replaced by their hashes modulo, and with
        `mask` the outputs written "" and env variables named after outputs
        emptied. None when an input is deferred."""
        if not self._modulo:
            inputs = hasher._modulo_inputs(self.drv)
            self._modulo.append(None if inputs is None else aterm.inputs_section(inputs))
        inputs = self._modulo[0]
        if inputs is None:
            return None
        drv = self.drv
        if mask:
            for out in drv.outputs.values():
                if not isinstance(out, (InputAddressed, Deferred)):
                    raise InvalidDerivation("hashModulo: unexpected output type, these derivation types are "
                                            "not input addressed")
            outputs = aterm.outputs_section([(n, "", "", "") for n in _sorted_str(drv.outputs)])
        else:
            outputs = self._outputs()
        return aterm.assemble(None, outputs, inputs, self._tail(mask))


def derivation_path(drv: Derivation) -> str:
    """writeDerivation (read-only): the path of the .drv file, a text path named
    `<name>.drv` whose references are the input sources and derivations."""
    return store_path_for_text(drv.name + DRV_EXTENSION, drv.to_aterm(), drv.references(), drv.store_dir)


# -- reading a .drv ---------------------------------------------------------------------------

def _parse_output(name: str, path: str, algo: str, hash_text: str, drv_name: str, store_dir: str) -> Output:
    """parseOutput."""
    if algo:
        method, halgo = parse_method_algo(algo)
        if hash_text == "impure":
            if path:
                raise FormatError("impure derivation output should not specify output path")
            return Impure(method, halgo)
        if hash_text:
            parse_store_path_canonical(path, store_dir)
            dof = CAFixed(method, Hash.parse_non_sri_unprefixed(hash_text, halgo))
            if path != dof.path(drv_name, name, store_dir):
                raise FormatError(f"derivation output '{name}' has path '{path}', which does not match its "
                                  "content address")
            return dof
        if path:
            raise FormatError("content-addressing derivation output should not specify output path")
        return CAFloating(method, halgo)
    if hash_text:
        raise FormatError(("deferred" if not path else "input-addressed")
                          + " derivation output should not specify a hash")
    if not path:
        return Deferred()
    parse_store_path_canonical(path, store_dir)
    return InputAddressed(path)


def _node_from_aterm(node: aterm.InputNode) -> InputDrv:
    return InputDrv({_s(o) for o in node.outputs}, {_s(k): _node_from_aterm(v) for k, v in node.dynamic})


def parse_derivation(data: bytes | str, name: str | None = None, store_dir: str = STORE_DIR,
                     strict: bool = False) -> Derivation:
    """parse: read a .drv. `name` is the derivation name (the .drv path's name
    without `.drv`; by default the `name` attribute, from env or structured
    attrs). Checks what Nix checks: store
    paths canonical, fixed outputs at the path their content address gives.
    `strict` adds current Nix's canonical-form checks (see aterm.parse)."""
    a = aterm.parse(data, strict=strict)
    env: dict[str, str] = {}
    for k, v in a.env:
        env[_s(k)] = _s(v)  # as Nix 2.36's insert_or_assign: a repeated key keeps the last value
    if name is None:
        name = env.get("name")
        if name is None and STRUCTURED_ATTRS_VAR in env:
            try:
                name = json.loads(env[STRUCTURED_ATTRS_VAR]).get("name")
            except (ValueError, AttributeError):
                name = None
        if not isinstance(name, str):
            raise StoreError("the derivation's name is not known: pass it (the .drv path's name without "
                             "'.drv')")
    drv = Derivation(name=name, platform=_s(a.platform), builder=_s(a.builder),
                     args=[_s(x) for x in a.args], store_dir=store_dir)
    for n, p, algo, h in a.outputs:
        out_name = _s(n)
        out = _parse_output(out_name, _s(p), _s(algo), _s(h), name, store_dir)
        drv.outputs.setdefault(out_name, out)  # emplace: the first of a repeated name stays
    for key, node in a.input_drvs:
        path = _s(key)
        sp = parse_store_path_canonical(path, store_dir)
        if strict:
            sp.drv_name()  # requireDerivation
        drv.input_drvs[path] = _node_from_aterm(node)
    for p in a.input_srcs:
        path = _s(p)
        parse_store_path_canonical(path, store_dir)
        drv.input_srcs.add(path)
    drv.structured_attrs = env.pop(STRUCTURED_ATTRS_VAR, None)
    drv.env = env
    return drv


def read_derivation_file(path: str, store_dir: str = STORE_DIR, strict: bool = False) -> Derivation:
    """Read a .drv file; its name is taken from the file name."""
    base = os.path.basename(path)
    if not base.endswith(DRV_EXTENSION):
        raise StoreError(f"'{path}' is not a .drv file")
    with open(path, "rb") as f:
        data = f.read()
    try:
        name = StorePath.from_base_name(base).drv_name()
    except StoreError:
        name = base[:-len(DRV_EXTENSION)]
    return parse_derivation(data, name, store_dir, strict)


# -- derivation type ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DerivationType:
    """DerivationType: kind is "input-addressed" (`deferred` when its paths are
    not known yet), "content-addressed" (`fixed` or floating) or "impure"."""
    kind: str
    deferred: bool = False
    fixed: bool = False

    @property
    def is_fixed(self) -> bool:
        return self.kind == "content-addressed" and self.fixed

    @property
    def is_impure(self) -> bool:
        return self.kind == "impure"

    @property
    def has_known_output_paths(self) -> bool:
        if self.kind == "input-addressed":
            return not self.deferred
        return self.is_fixed


def derivation_type(drv: Derivation) -> DerivationType:
    """type(): what kind of derivation the outputs make; all outputs must be of
    one kind."""
    kinds: dict[type, list[str]] = {}
    floating_algo = None
    for name, out in drv.outputs.items():
        kinds.setdefault(type(out), []).append(name)
        if isinstance(out, CAFloating):
            if floating_algo is None:
                floating_algo = out.algo
            elif floating_algo != out.algo:
                raise InvalidDerivation("all floating outputs must use the same hash algorithm")
    if not kinds:
        raise InvalidDerivation("must have at least one output")
    if len(kinds) > 1:
        raise InvalidDerivation("can't mix derivation output types")
    (kind, names), = kinds.items()
    if kind is InputAddressed:
        return DerivationType("input-addressed")
    if kind is Deferred:
        return DerivationType("input-addressed", deferred=True)
    if kind is CAFixed:
        if len(names) > 1:
            raise InvalidDerivation("only one fixed output is allowed for now")
        if names[0] != "out":
            raise InvalidDerivation('single fixed output must be named "out"')
        return DerivationType("content-addressed", fixed=True)
    if kind is CAFloating:
        return DerivationType("content-addressed")
    return DerivationType("impure")


# -- hash modulo -------------------------------------------------------------------------------

class _DeferredType:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DEFERRED"


#: the hash modulo of a derivation that has none yet (floating, impure, deferred)
DEFERRED = _DeferredType()

#: what `hash_input_modulo` returns: a Hash (input-addressed), {output: Hash}
#: (fixed-output) or DEFERRED
HashModulo = Union[Hash, dict, _DeferredType]


class ModuloHasher:
    """Computes hashes modulo, reading input derivations through a callback and
    remembering each .drv path's result (Nix's global `drvHashes` cache).

    `read_derivation(drv_path) -> Derivation` is called for an input that is not
    yet known; the evaluator, which creates derivations in memory, calls
    `remember(drv_path, drv)` for each new one (as derivationStrict does) so
    that nothing has to be read back.
    """

    def __init__(self, read_derivation: Callable[[str], Derivation] | None = None):
        self.read_derivation = read_derivation
        self.cache: dict[str, HashModulo] = {}

    def remember(self, drv_path: str, drv: Derivation, text: DerivationText | None = None) -> HashModulo:
        h = self.hash_input_modulo(drv, text)
        self.cache[drv_path] = h
        return h

    def input_modulo(self, drv_path: str) -> HashModulo:
        """pathInputModulo: the hash modulo of the input at `drv_path`."""
        h = self.cache.get(drv_path)
        if h is None:
            if self.read_derivation is None:
                raise StoreError(f"cannot read derivation '{drv_path}': no way to read input derivations")
            h = self.hash_input_modulo(self.read_derivation(drv_path))
            self.cache[drv_path] = h
        return h

    def hash_input_modulo(self, drv: Derivation, text: DerivationText | None = None) -> HashModulo:
        """hashInputModulo: what `drv` contributes as an input (unmasked)."""
        if derivation_type(drv).is_fixed:
            res = {}
            for name, out in drv.outputs.items():
                fingerprint = (f"fixed:out:{out.method_algo}:{out.hash.base16}:"
                               f"{out.path(drv.name, name, drv.store_dir)}")
                res[name] = sha256(fingerprint)
            return res
        if not all(isinstance(o, InputAddressed) for o in drv.outputs.values()):
            return DEFERRED
        text = self.unparse_modulo(drv, mask=False, text=text)
        return DEFERRED if text is None else sha256(text)

    def _modulo_inputs(self, drv: Derivation) -> list[tuple[str, aterm.InputNode]] | None:
        """derivationModulo's input replacement; None when an input is deferred."""
        merged: dict[str, set[str]] = {}
        for drv_path, node in drv.input_drvs.items():
            if node.is_dynamic():
                return None
            h = self.input_modulo(drv_path)
            if h is DEFERRED:
                return None
            if isinstance(h, Hash):
                merged.setdefault(h.base16, set()).update(node.outputs)
            else:
                for out_name in node.outputs:
                    oh = h.get(out_name)
                    if oh is None:
                        raise StoreError(f"no hash for output '{out_name}' of derivation '{drv.name}'")
                    merged.setdefault(oh.base16, set()).add("out")
        return [(k, aterm.InputNode(_sorted_str(merged[k]))) for k in sorted(merged)]

    def unparse_modulo(self, drv: Derivation, mask: bool = True,
                       text: DerivationText | None = None) -> bytes | None:
        """unparseModulo: the text whose sha256 is the hash modulo — inputs
        replaced by their hashes, and with `mask` the outputs written "" and env
        variables named after outputs emptied. None when an input is deferred.
        `text`: the derivation's DerivationText when the caller has one."""
        return (text or DerivationText(drv)).modulo_text(self, mask)

    def hash_modulo(self, drv: Derivation, text: DerivationText | None = None) -> Hash | None:
        """hashModulo: sha256 of the masked modulo text — what input-addressed
        output paths are made from; None when the derivation is deferred."""
        text = self.unparse_modulo(drv, mask=True, text=text)
        return None if text is None else sha256(text)


@dataclass(frozen=True)
class DrvHash:
    """Nix 2.8's DrvHash: a hash per output and whether it is "regular" or
    "deferred"."""
    hashes: dict
    kind: str


def hash_derivation_modulo(drv: Derivation, read_derivation: Callable[[str], Derivation] | None = None,
                           mask_outputs: bool = False, hasher: ModuloHasher | None = None) -> DrvHash:
    """hashDerivationModulo (Nix 2.8's single entry point).

    Fixed-output: per output, sha256 of `fixed:out:<method><algo>:<hash>:<path>`.
    Otherwise the sha256 of the modulo text (masked when `mask_outputs`, as for
    computing the derivation's own outputs; unmasked as an input) for every
    output. A floating, impure or deferred derivation, or one with such an
    input, is "deferred"; Nix 2.8 still computed a (never used) hash for those,
    this returns no hashes for them."""
    hasher = hasher or ModuloHasher(read_derivation)
    t = derivation_type(drv)
    if t.is_fixed:
        return DrvHash(hasher.hash_input_modulo(drv), "regular")
    if t.is_impure:
        return DrvHash({n: sha256("impure") for n in drv.outputs}, "deferred")
    if t.kind == "content-addressed" or t.deferred:
        return DrvHash({}, "deferred")
    h = hasher.hash_modulo(drv) if mask_outputs else hasher.hash_input_modulo(drv)
    if h is None or h is DEFERRED:
        return DrvHash({}, "deferred")
    return DrvHash({n: h for n in drv.outputs}, "regular")


# -- output paths: fill in and check ------------------------------------------------------------

def _process_output_paths(drv: Derivation, hasher: ModuloHasher, fill_in: bool,
                          text: DerivationText | None = None) -> list[str]:
    """processDerivationOutputPaths: returns Nix's warnings."""
    warnings: list[str] = []
    derivation_type(drv)  # rejects invalid output combinations
    memo: list = []

    def modulo() -> Hash | None:
        if not memo:
            memo.append(hasher.hash_modulo(drv, text))
        return memo[0]

    for name in list(drv.outputs):
        out = drv.outputs[name]

        def env_has_right_path(actual: str, is_deferred: bool = False) -> None:
            env = drv.env
            if fill_in and env.get(name, "") == "":
                env[name] = actual
            if name not in env:
                raise InvalidDerivation(f"derivation has missing environment variable '{name}', should be "
                                        f"'{actual}' but is not present")
            if env[name] != actual:
                msg = (f"derivation has incorrect environment variable '{name}', should be '{actual}' but is "
                       f"actually '{env[name]}'")
                if not is_deferred:
                    raise InvalidDerivation(msg)
                warnings.append(msg + "\nThis will be an error in future versions of Nix; compatibility of "
                                "CA derivations will be broken.")
                if fill_in:
                    env[name] = actual

        if isinstance(out, (InputAddressed, Deferred)):
            h = modulo()
            if h is not None:
                out_path = make_output_path(name, h, drv.name, drv.store_dir)
                if isinstance(out, InputAddressed):
                    if out.path != out_path:
                        raise InvalidDerivation(f"derivation has incorrect output '{out.path}', should be "
                                                f"'{out_path}'")
                    env_has_right_path(out_path)
                elif fill_in:
                    drv.outputs[name] = InputAddressed(out_path)
                    env_has_right_path(out_path, is_deferred=True)
                else:
                    warnings.append(f"derivation has incorrect deferred output, should be '{out_path}'.\nThis "
                                    "will be an error in future versions of Nix; compatibility of CA "
                                    "derivations will be broken.")
            elif isinstance(out, InputAddressed):
                raise InvalidDerivation(f"derivation has incorrect output '{out.path}', should be deferred")
        elif isinstance(out, CAFixed):
            env_has_right_path(out.path(drv.name, name, drv.store_dir))
    return warnings


def fill_in_output_paths(drv: Derivation, hasher: ModuloHasher, text: DerivationText | None = None) -> list[str]:
    """fillInOutputPaths: give deferred outputs their input-addressed paths
    (unless an input is itself deferred) and set empty or missing env
    variables of outputs to their paths; check what is already there.
    Mutates `drv`; returns Nix's warnings; raises `InvalidDerivation`."""
    return _process_output_paths(drv, hasher, True, text)


def check_invariants(drv: Derivation, hasher: ModuloHasher, drv_path: str | None = None) -> list[str]:
    """checkInvariants: every known output path and output env variable is the
    one the derivation implies (and the name matches `drv_path`)."""
    if drv_path is not None:
        sp = StorePath.from_base_name(drv_path.rpartition("/")[2])
        if sp.drv_name() != drv.name:
            raise InvalidDerivation(f"derivation '{drv_path}' has name '{drv.name}' which does not match its "
                                    "path")
    return _process_output_paths(drv, hasher, False)


# -- the evaluator's entry point ------------------------------------------------------------------

def set_outputs(drv: Derivation, output_names: Iterable[str], *, fixed: CAFixed | None = None,
                content_addressed: tuple[str, str] | None = None, impure: bool = False) -> None:
    """The output half of derivationStrict, before paths are known.

    - `fixed`: a fixed-output derivation (only output "out"); env `out` is its path.
    - `content_addressed=(method, algo)` (`__contentAddressed`) or `impure` with
      `content_addressed` giving method and algo: floating / impure outputs,
      env holds `hash_placeholder(output)`.
    - otherwise every output is deferred with env "" until
      `fill_in_output_paths` computes the paths.
    """
    names = list(output_names)
    drv.outputs = {}
    if fixed is not None:
        if names != ["out"]:
            raise InvalidDerivation("multiple outputs are not supported in fixed-output derivations")
        drv.env["out"] = fixed.path(drv.name, "out", drv.store_dir)
        drv.outputs["out"] = fixed
        return
    if content_addressed is not None or impure:
        method, algo = content_addressed or ("nar", "sha256")
        for n in names:
            drv.env[n] = hash_placeholder(n)
            drv.outputs[n] = Impure(method, algo) if impure else CAFloating(method, algo)
        return
    for n in names:
        drv.env[n] = ""
        drv.outputs[n] = Deferred()


@dataclass
class Instantiated:
    """What `instantiate` produced: the .drv path, its bytes, and each output's
    path (or downstream placeholder) as the evaluator's result attributes want
    them, plus Nix's warnings."""
    drv_path: str
    aterm: bytes
    outputs: dict[str, str]
    warnings: list[str]


def instantiate(drv: Derivation, output_names: Iterable[str], hasher: ModuloHasher, *,
                fixed: CAFixed | None = None, content_addressed: tuple[str, str] | None = None,
                impure: bool = False) -> Instantiated:
    """derivationStrict's store half: set the outputs, fill in their paths,
    compute the .drv path and remember its hash modulo for dependents.
    `drv` has name, platform, builder, args, env, inputs (and
    `structured_attrs`) set by the evaluator; it is completed in place."""
    check_name(drv.name)
    set_outputs(drv, output_names, fixed=fixed, content_addressed=content_addressed, impure=impure)
    text = DerivationText(drv)  # one text for the three unparses
    warnings = fill_in_output_paths(drv, hasher, text)
    data = text.drv_text()
    drv_path = store_path_for_text(drv.name + DRV_EXTENSION, data, drv.references(), drv.store_dir)
    hasher.remember(drv_path, drv, text)
    return Instantiated(drv_path, data, drv.output_paths(drv_path), warnings)


# -- resolution ---------------------------------------------------------------------------------

def try_resolve(drv: Derivation, query: Callable[[str, str], str | None]) -> Derivation | None:
    """tryResolve: replace input derivations by the store paths their wanted
    outputs were built at (`query(drv_path, output)`, None when unknown, which
    makes the whole resolution fail), and rewrite the placeholders that stood
    for them. The result has only input sources (a "basic" derivation). For
    an output of a dynamic derivation, `drv_path` is `<drv path>^<output>`."""
    resolved = Derivation(name=drv.name, outputs=dict(drv.outputs), input_srcs=set(drv.input_srcs),
                          platform=drv.platform, builder=drv.builder, args=list(drv.args), env=dict(drv.env),
                          structured_attrs=drv.structured_attrs, store_dir=drv.store_dir)
    rewrites: dict[str, str] = {}

    def go(drv_path: str, node: InputDrv, placeholder_of) -> bool:
        for out_name in _sorted_str(node.outputs):
            actual = query(drv_path, out_name)
            if actual is None:
                return False
            rewrites[placeholder_of(out_name)] = actual
            resolved.input_srcs.add(actual)
        for out_name in _sorted_str(node.dynamic_outputs):
            ph = placeholder_of(out_name)
            if not go(f"{drv_path}^{out_name}", node.dynamic_outputs[out_name],
                      lambda o, ph=ph: dynamic_placeholder(ph, o)):
                return False
        return True

    for drv_path in _sorted_str(drv.input_drvs):
        if not go(drv_path, drv.input_drvs[drv_path],
                  lambda o, p=drv_path: downstream_placeholder(p, o, drv.store_dir)):
            return None
    _apply_rewrites(resolved, rewrites)
    fill_in_output_paths(resolved, ModuloHasher())
    return resolved


def _rewrite(s: str, rewrites: dict[str, str]) -> str:
    for old in _sorted_str(rewrites):
        s = s.replace(old, rewrites[old])
    return s


def _apply_rewrites(drv: Derivation, rewrites: dict[str, str]) -> None:
    """BasicDerivation::applyRewrites."""
    if not rewrites:
        return
    drv.builder = _rewrite(drv.builder, rewrites)
    drv.args = [_rewrite(a, rewrites) for a in drv.args]
    drv.env = {_rewrite(k, rewrites): _rewrite(v, rewrites) for k, v in drv.env.items()}
    if drv.structured_attrs is not None:
        drv.structured_attrs = dump_json_like_nix(json.loads(_rewrite(drv.structured_attrs, rewrites)))


# -- JSON ---------------------------------------------------------------------------------------

def dump_json_like_nix(value) -> str:
    """nlohmann::json::dump(): compact, keys sorted, UTF-8 unescaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _output_to_json(out: Output) -> dict:
    if isinstance(out, InputAddressed):
        return {"path": out.path.rpartition("/")[2]}
    if isinstance(out, CAFixed):
        return {"hash": out.hash.sri, "method": out.method}
    if isinstance(out, CAFloating):
        return {"hashAlgo": out.algo, "method": out.method}
    if isinstance(out, Deferred):
        return {}
    return {"hashAlgo": out.algo, "impure": True, "method": out.method}


def _node_to_json(node: InputDrv) -> dict:
    return {"dynamicOutputs": {k: _node_to_json(node.dynamic_outputs[k]) for k in _sorted_str(node.dynamic_outputs)},
            "outputs": _sorted_str(node.outputs)}


def to_json(drv: Derivation, basic: bool = False) -> dict:
    """The JSON of `nix derivation show` (format version 4), store paths as base
    names. `basic`: a resolved derivation, whose `inputs` is a flat list."""
    base = lambda p: p.rpartition("/")[2]  # noqa: E731
    if basic:
        if drv.input_drvs:
            raise StoreError("a derivation with input derivations has no basic (resolved) JSON form")
        inputs = [base(p) for p in _sorted_str(drv.input_srcs)]
    else:
        inputs = {"drvs": {base(p): _node_to_json(drv.input_drvs[p]) for p in _sorted_str(drv.input_drvs)},
                  "srcs": [base(p) for p in _sorted_str(drv.input_srcs)]}
    res = {
        "args": list(drv.args),
        "builder": drv.builder,
        "env": dict(drv.env),
        "inputs": inputs,
        "name": drv.name,
        "outputs": {n: _output_to_json(drv.outputs[n]) for n in _sorted_str(drv.outputs)},
        "system": drv.platform,
        "version": JSON_VERSION,
    }
    if drv.structured_attrs is not None:
        res["structuredAttrs"] = json.loads(drv.structured_attrs)
    return res


def _output_from_json(obj: dict) -> Output:
    if not isinstance(obj, dict):
        raise FormatError("invalid JSON for derivation output")
    keys = set(obj)
    if keys == {"path"}:
        return InputAddressed(obj["path"])  # made absolute by the caller
    if keys == {"method", "hash"}:
        return CAFixed(parse_method(obj["method"]), Hash.parse_any_prefixed(obj["hash"]))
    if keys == {"method", "hashAlgo"}:
        return CAFloating(parse_method(obj["method"]), parse_hash_algo(obj["hashAlgo"]))
    if keys == set():
        return Deferred()
    if keys == {"method", "hashAlgo", "impure"}:
        return Impure(parse_method(obj["method"]), parse_hash_algo(obj["hashAlgo"]))
    raise FormatError("invalid JSON for derivation output")


def _node_from_json(obj: dict) -> InputDrv:
    return InputDrv(set(obj["outputs"]), {k: _node_from_json(v) for k, v in obj["dynamicOutputs"].items()})


def from_json(obj: dict, store_dir: str = STORE_DIR) -> Derivation:
    """Read the JSON of `nix derivation show` (format version 4); `inputs` may be
    the object of a full derivation or the list of a resolved one."""
    version = obj.get("version")
    if version != JSON_VERSION:
        raise FormatError(f"Unsupported derivation JSON format version {version}, only format version "
                          f"{JSON_VERSION} is currently supported.")
    absolute = lambda base: StorePath.from_base_name(base).absolute(store_dir)  # noqa: E731
    drv = Derivation(name=obj["name"], platform=obj["system"], builder=obj["builder"], args=list(obj["args"]),
                     env=dict(obj["env"]), store_dir=store_dir)
    for n, o in obj["outputs"].items():
        out = _output_from_json(o)
        drv.outputs[n] = InputAddressed(absolute(out.path)) if isinstance(out, InputAddressed) else out
    inputs = obj["inputs"]
    if isinstance(inputs, list):
        drv.input_srcs = {absolute(p) for p in inputs}
    else:
        drv.input_srcs = {absolute(p) for p in inputs["srcs"]}
        drv.input_drvs = {absolute(p): _node_from_json(n) for p, n in inputs["drvs"].items()}
    if "structuredAttrs" in obj:
        drv.structured_attrs = dump_json_like_nix(obj["structuredAttrs"])
    return drv


def to_legacy_json(drv: Derivation, drv_path: str | None = None) -> dict:
    """The JSON of Nix 2.8's `nix show-derivation`: `{drvPath: {...}}` with
    absolute paths, `inputSrcs`/`inputDrvs`, and outputs as `path`, `hashAlgo`
    (`r:sha256`, ...), `hash` (base16), `impure`."""
    outputs = {}
    for n in _sorted_str(drv.outputs):
        out = drv.outputs[n]
        if isinstance(out, InputAddressed):
            outputs[n] = {"path": out.path}
        elif isinstance(out, CAFixed):
            outputs[n] = {"path": out.path(drv.name, n, drv.store_dir), "hashAlgo": out.method_algo,
                          "hash": out.hash.base16}
        elif isinstance(out, CAFloating):
            outputs[n] = {"hashAlgo": render_method_algo(out.method, out.algo)}
        elif isinstance(out, Impure):
            outputs[n] = {"hashAlgo": render_method_algo(out.method, out.algo), "impure": True}
        else:
            outputs[n] = {}
    env = dict(drv.env)
    if drv.structured_attrs is not None:
        env[STRUCTURED_ATTRS_VAR] = drv.structured_attrs
    body = {
        "outputs": outputs,
        "inputSrcs": _sorted_str(drv.input_srcs),
        "inputDrvs": {p: _sorted_str(drv.input_drvs[p].outputs) for p in _sorted_str(drv.input_drvs)},
        "system": drv.platform,
        "builder": drv.builder,
        "args": list(drv.args),
        "env": {k: env[k] for k in _sorted_str(env)},
    }
    return {drv_path or derivation_path(drv): body}
