"""The shape of a module file, read from its syntax tree alone (no evaluation).

A module of the module system (`lib.evalModules`, NixOS, home-manager) is a
function of `{ config, lib, pkgs, ... }` or an attrset, whose body holds
`imports`, `options` and `config`; without `options` and `config` keys the
whole body (but `imports`, `_file`, `key`, ...) is `config` (what
`unifyModuleSyntax` in nixpkgs' lib/modules.nix calls the shorthand).

Here, for `options`:

- `module_body(ast)`: the attrset of a module (through its function, and
  `let`, `with`, `assert` around it), and how sure it is a module;
- `imports_of(ast, base_dir)`: the files its `imports` list names (path
  literals; a folder stands for its default.nix);
- `definitions(body)`: every attribute path the module defines in `config`,
  with the place of each name, looking through `mkIf`, `mkMerge`,
  `mkDefault` and the other properties, as the module system does
  (`pushDownProperties`, `dischargeProperties`).

Nothing here imports the evaluator; the worker uses it too (to know which
definitions of a file to check).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..syntax import ast as A

# attributes of a shorthand module that are not config (unifyModuleSyntax)
NOT_CONFIG = frozenset({"imports", "_file", "key", "disabledModules", "require", "freeformType", "_class"})
# the arguments the module system passes (formals of a module function)
MODULE_ARGS = frozenset({"config", "options", "lib", "pkgs", "modulesPath", "specialArgs", "utils", "name",
                         "inputs", "self", "osConfig", "nixosConfig"})
STRONG_ARGS = frozenset({"config", "options", "modulesPath"})
# properties whose last argument is the content (mkIf's condition, mkOverride's priority come first)
PROPERTIES = {"mkIf": 2, "mkDefault": 1, "mkForce": 1, "mkOverride": 2, "mkBefore": 1, "mkAfter": 1,
              "mkOrder": 2, "mkOptionDefault": 1, "mkImageMediaOverride": 1, "mkVMOverride": 1,
              "mkFixStrictness": 1}
# top-level option names NixOS declares that a configuration.nix sets
NIXOS_TOP = frozenset({"boot", "fileSystems", "services", "networking", "environment", "users", "systemd",
                       "nix", "nixpkgs", "hardware", "programs", "security", "system", "time", "i18n",
                       "console", "virtualisation", "swapDevices", "documentation", "fonts", "xdg",
                       "powerManagement", "sound", "location", "zramSwap", "containers", "sops"})


@dataclass
class Module:
    body: A.Attrs                  # the module's attrset
    lam: A.Lambda | None           # the module function, if any
    strong: bool                   # surely a module (not just a function returning a set)

    @property
    def args(self) -> set:
        if self.lam is None or not self.lam.formals:
            return set()
        return {f.name for f in self.lam.formals}

    def config_roots(self) -> list:
        """(node, names left out) where config definitions start, at path ()."""
        b = self.body.attrs
        if "options" in b or "config" in b:
            d = b.get("config")
            return [(d.value, frozenset())] if d is not None and d.kind == A.PLAIN else []
        return [(self.body, NOT_CONFIG)]

    def nixos_like(self, declared=frozenset()) -> bool:
        """A NixOS configuration by its look: a module function taking `config`,
        `pkgs` or `modulesPath` that sets options NixOS declares at the top
        (`services.nginx`), other than those the workspace's modules declare
        (`declared`: option paths, cut to two names)."""
        if self.lam is None or not (self.args & {"config", "pkgs", "modulesPath"}):
            return False
        tops = {p[0] for p in declared}
        return any(d.path[0] in NIXOS_TOP and (d.path not in declared if len(d.path) == 2 else d.path[0] not in tops)
                   for d in definitions(self) if len(d.path) <= 2)


def _unwrap(node):
    for _ in range(32):
        t = type(node)
        if t is A.Let or t is A.With or t is A.Assert:
            node = node.body
        else:
            return node
    return node


def module_body(ast) -> Module | None:
    """The module a file's tree is, or None when it does not look like one."""
    node = _unwrap(ast)
    lam = None
    if type(node) is A.Lambda:
        lam = node
        node = _unwrap(node.body)
    if type(node) is not A.Attrs:
        return None
    keys = set(node.attrs)
    formals = {f.name for f in lam.formals} if lam is not None and lam.formals else set()
    # the module system passes `config` (never defaulted) and more (`...`); `{ stdenv, config ? { } }:`
    # is a package function
    plain = {f.name for f in lam.formals if f.default is None} if lam is not None and lam.formals else set()
    strong = (bool(plain & STRONG_ARGS) and lam.ellipsis) or bool(keys & {"imports", "options"}) \
        or ("config" in keys and lam is not None) \
        or (lam is not None and lam.ellipsis and bool(formals) and formals <= MODULE_ARGS and bool(keys & NIXOS_TOP))
    if lam is not None and not strong and (lam.formals is None or not lam.ellipsis
                                           or not formals <= MODULE_ARGS):
        return None       # `{ stdenv, fetchurl }: { ... }` is no module
    return Module(node, lam, strong)


def imports_of(ast, base_dir: str) -> list[str]:
    """Absolute paths of the files a module's `imports` names (path literals)."""
    m = module_body(ast)
    if m is None:
        return []
    d = m.body.attrs.get("imports")
    if d is None or d.kind != A.PLAIN:
        return []
    lst = _unwrap(d.value)
    if type(lst) is not A.List:
        return []
    out = []
    for e in lst.elems:
        if type(e) is A.Path and not getattr(e, "search", False):
            p = path_of(e, base_dir)
            if p is not None:
                out.append(p)
    return out


def path_of(node, base_dir: str) -> str | None:
    """The file a path literal names (a folder: its default.nix)."""
    text = getattr(node, "path", None) or getattr(node, "value", None)
    if not isinstance(text, str) or text.startswith("<"):
        return None
    if text.startswith("~/"):
        p = os.path.expanduser(text)
    else:
        p = os.path.normpath(os.path.join(base_dir, text))
    if os.path.isdir(p):
        p = os.path.join(p, "default.nix")
    return p


@dataclass
class Def:
    path: tuple                    # the attribute path defined, from config
    start: int                     # its last name in the text
    end: int
    value: object                  # the value node (None for `inherit`)
    parent: int                    # index of the definition it is written inside, -1 at the top


def definitions(m: Module) -> list[Def]:
    """Every attribute path the module defines in config, parents before children."""
    out: list[Def] = []
    for node, skip in m.config_roots():
        _walk(node, (), -1, out, skip, 0)
    return out


def _name_of(fn) -> str | None:
    if type(fn) is A.Var:
        return fn.name
    if type(fn) is A.Select and fn.path and fn.default is None:
        return fn.path[-1].name
    return None


def contents(node, depth: int = 0) -> list:
    """The attrsets a config value stands for: itself, or what `mkIf`,
    `mkMerge`, `mkDefault`, ..., `let`, `with` and `if` hold."""
    if depth > 32:
        return []
    node = _unwrap(node)
    t = type(node)
    if t is A.Attrs:
        return [node]
    if t is A.If:
        return contents(node.then, depth + 1) + contents(node.else_, depth + 1)
    if t is A.Call:
        name = _name_of(node.fn)
        if name == "mkMerge" and len(node.args) == 1:
            lst = _unwrap(node.args[0])
            if type(lst) is A.List:
                return [a for e in lst.elems for a in contents(e, depth + 1)]
        elif name in PROPERTIES and len(node.args) == PROPERTIES[name]:
            return contents(node.args[-1], depth + 1)
    return []


def _walk(node, path: tuple, parent: int, out: list, skip, depth: int) -> None:
    if depth > 64:
        return
    for attrs in contents(node):
        for name, d in attrs.attrs.items():
            if not name or name in skip:
                continue
            i = len(out)
            value = d.value if d.kind == A.PLAIN else None
            out.append(Def(path + (name,), d.name_start, d.name_end, value, parent))
            if value is not None:
                _walk(value, path + (name,), i, out, frozenset(), depth + 1)


def explicit_sets(m: Module, text: str) -> list:
    """(Attrs, path) of every attrset written with braces in config, for
    completion inside them (a set written by a dotted name has no braces)."""
    out = []

    def go(node, path, skip, depth):
        if depth > 64:
            return
        for attrs in contents(node):
            if text.startswith("{", attrs.span.start) or text.startswith("rec", attrs.span.start):
                out.append((attrs, path))
            for name, d in attrs.attrs.items():
                if name and name not in skip and d.kind == A.PLAIN:
                    go(d.value, path + (name,), frozenset(), depth + 1)
    for node, skip in m.config_roots():
        go(node, (), skip, 0)
    return out


def declared_prefixes(m: Module) -> list[tuple]:
    """The option paths a module's `options` declares (down to the first value
    that is not a written attrset: `mkOption { ... }`, `mkEnableOption "x"`)."""
    d = m.body.attrs.get("options")
    if d is None or d.kind != A.PLAIN:
        return []
    out: list[tuple] = []

    def go(node, path, depth):
        node = _unwrap(node)
        if type(node) is A.Attrs and depth < 32:
            for name, x in node.attrs.items():
                if name and x.kind == A.PLAIN:
                    go(x.value, path + (name,), depth + 1)
        elif path:
            out.append(path)
    go(d.value, (), 0)
    return out
