"""Module options without a server: the shape of module files (nixlang/ide/modules.py),
the option tree and its lookups, suggestions and messages (nixlang/ide/options.py),
and the worker's "options" job on tests/modules/services (nixlang/ide/option_eval.py).

Tables first: each row is a module text and what the static reading must find.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from conftest import SHARED
from nixlang.ide import analyze
from nixlang.ide.modules import declared_prefixes, definitions, imports_of, module_body
from nixlang.ide.options import OptionsService, OptionTree, _key_before, show_option, suggestions

SET = Path(__file__).parent / "modules" / "services"
LIB = SHARED / "nixpkgs-lib" / "lib"
needs_lib = pytest.mark.skipif(not (LIB / "modules.nix").is_file(),
                               reason=f"nixpkgs' lib not found at {LIB} (../shared is absent)")


def tree_of(text: str):
    return analyze(text, "/tmp/m.nix").ast


# -- which files are modules ---------------------------------------------------------------------------

MODULES = [
    # (text, a module?, surely one?)
    ("{ config, lib, ... }: { services.x.enable = true; }", True, True),
    ("{ lib, ... }: { options.x = lib.mkOption { }; }", True, True),
    ("{ imports = [ ./a.nix ]; }", True, True),
    ("{ lib, pkgs, ... }: { environment.systemPackages = [ ]; }", True, True),     # sets what NixOS declares
    ("{ lib, pkgs, ... }: { myThing = 1; }", True, False),
    ("{ lib, ... }: let x = 1; in { a = x; }", True, False),
    ("{ stdenv, fetchurl }: stdenv.mkDerivation { }", False, False),
    ("{ lib }: { mapAttrs = f: s: s; }", False, False),          # a nixpkgs lib file
    ("{ lib, stdenv, config ? { }, pkgs, ... }: { a = 1; }", False, False),      # a package function
    ("{ config, pkgs }: { services.x = 1; }", False, False),                      # no `...`: not called by modules
    ("{ a = 1; }", True, False),                                  # a module only when imported
    ("x: x", False, False),
    ("{ config, ... }: with config; { networking.hostName = \"h\"; }", True, True),
]


@pytest.mark.parametrize("text,is_module,strong", MODULES)
def test_which_files_are_modules(text, is_module, strong):
    m = module_body(tree_of(text))
    assert (m is not None) is is_module
    if m is not None:
        assert m.strong is strong


# -- what a module defines -------------------------------------------------------------------------

DEFINITIONS = [
    ("{ config, ... }: { a.b = 1; c = { d = 2; }; imports = [ ]; }",
     [("a",), ("a", "b"), ("c",), ("c", "d")]),
    ("{ config, lib, ... }: { options.x = 1; config = lib.mkIf true { y.z = 1; }; }",
     [("y",), ("y", "z")]),
    ("{ lib, config, ... }: { config = lib.mkMerge [ { a = 1; } (lib.mkIf config.a { b.c = 2; }) ]; }",
     [("a",), ("b",), ("b", "c")]),
    ("{ lib, config, ... }: { x = lib.mkDefault { y = 1; }; z = lib.mkOverride 10 { w = 2; }; }",
     [("x",), ("x", "y"), ("z",), ("z", "w")]),
    ("{ config, ... }: { x = if true then { a = 1; } else { b = 2; }; }",
     [("x",), ("x", "a"), ("x", "b")]),
    ("{ config, ... }: { hosts.\"example.org\".root = 1; }",
     [("hosts",), ("hosts", "example.org"), ("hosts", "example.org", "root")]),
    ("{ config, ... }: let v = { q = 1; }; in { inherit v; }", [("v",)]),
    ("{ config, ... }: { _file = \"x\"; key = \"k\"; disabledModules = [ ]; a = 1; }", [("a",)]),
]


@pytest.mark.parametrize("text,paths", DEFINITIONS)
def test_definitions_look_through_properties(text, paths):
    assert [d.path for d in definitions(module_body(tree_of(text)))] == paths


def test_definitions_know_their_parents_and_places():
    text = "{ config, ... }: { a.b = 1; }"
    defs = definitions(module_body(tree_of(text)))
    assert [(text[d.start:d.end], d.parent) for d in defs] == [("a", -1), ("b", 0)]


DECLARED = [
    ("{ lib, ... }: { options.services.web = { enable = lib.mkEnableOption \"w\"; port = lib.mkOption { }; }; }",
     [("services", "web", "enable"), ("services", "web", "port")]),
    ("{ lib, ... }: { options.a.b = lib.mkOption { }; config.c = 1; }", [("a", "b")]),
    ("{ config, ... }: { c = 1; }", []),
]


@pytest.mark.parametrize("text,paths", DECLARED)
def test_declared_option_prefixes(text, paths):
    assert declared_prefixes(module_body(tree_of(text))) == paths


def test_imports_are_path_literals_and_folders(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "default.nix").write_text("{ }")
    text = "{ imports = [ ./a.nix ./sub <nixpkgs/nixos/x.nix> (import ./c.nix) ]; }"
    assert imports_of(analyze(text, str(tmp_path / "m.nix")).ast, str(tmp_path)) == [
        str(tmp_path / "a.nix"), str(tmp_path / "sub" / "default.nix")]


NIXOS_LIKE = [
    ("{ config, pkgs, ... }: { boot.loader.grub.device = \"/dev/sda\"; }", (), True),
    ("{ config, pkgs, ... }: { services.nginx.enable = true; }", (), True),
    ("{ config, lib, ... }: { services.web.enable = true; }", {("services", "web")}, False),
    ("{ lib, ... }: { services.nginx.enable = true; }", (), False),      # takes no config/pkgs
    ("{ config, ... }: { myapp.enable = true; }", (), False),
]


@pytest.mark.parametrize("text,declared,expected", NIXOS_LIKE)
def test_nixos_configurations_by_their_look(text, declared, expected):
    assert module_body(tree_of(text)).nixos_like(frozenset(declared)) is expected


# -- the key being typed ----------------------------------------------------------------------------

KEYS = [
    ("{ services.web.", ["services", "web", ""]),
    ("{ a = 1; services.we", ["services", "we"]),
    ("{\n  ", [""]),
    ('{ hosts."example.org".', ["hosts", "example.org", ""]),
    ("{ a = ", None),                 # a value, not a name
    ("{ a = b.", None),
    ("[ x.", None),
]


@pytest.mark.parametrize("before,expected", KEYS)
def test_the_key_being_typed(before, expected):
    assert _key_before(before, len(before)) == expected


# -- the option tree ---------------------------------------------------------------------------------

RESULT = {"options": [
    {"path": ["services", "web", "enable"], "type": "boolean"},
    {"path": ["services", "web", "hosts"], "type": "attribute set of (submodule)"},
    {"path": ["services", "web", "hosts", "<name>", "root"], "type": "string"},
    {"path": ["services", "web", "extra"], "type": "attribute set"},
    {"path": ["services", "web", "settings"], "type": "open submodule"},
    {"path": ["services", "web", "settings", "port"], "type": "int"},
], "freeform": [["services", "web", "settings"]]}

RESOLVE = [
    (("services",), "ok", 1),
    (("services", "web", "enable"), "ok", 3),
    (("services", "web", "hosts", "a.org", "root"), "ok", 5),
    (("services", "web", "hosts", "a.org", "rot"), "missing", 4),
    (("services", "web", "enabel"), "missing", 2),
    (("services", "web", "extra", "anything"), "value", 3),         # no sub-options: any attribute
    (("services", "web", "settings", "anything"), "value", 3),      # freeform
    (("services", "web", "enable", "x"), "value", 3),
    (("servics",), "missing", 0),
]


@pytest.mark.parametrize("path,status,matched", RESOLVE)
def test_resolving_a_definition_path(path, status, matched):
    node, i, st = OptionTree([RESULT]).resolve(path)
    assert (st, i) == (status, matched)


SUGGEST = [
    ("enabel", ["enable", "extra", "hosts", "settings"], ["enable", "extra", "hosts"]),
    ("rot", ["root", "ssl"], ["root", "ssl"]),
    ("xyzzy", [f"opt{i}" for i in range(120)], []),                  # 100 or more: distance 2 at most
    ("opt1x", [f"opt{i}" for i in range(120)], ["opt1", "opt10", "opt11"]),
]


@pytest.mark.parametrize("name,candidates,expected", SUGGEST)
def test_suggestions_as_the_module_system_makes_them(name, candidates, expected):
    assert suggestions(name, candidates) == expected


@pytest.mark.parametrize("path,shown", [
    (("services", "web", "enable"), "services.web.enable"),
    (("hosts", "example.org", "root"), 'hosts."example.org".root'),
    (("hosts", "<name>", "root"), "hosts.<name>.root"),
])
def test_option_paths_are_shown_as_nix_shows_them(path, shown):
    assert show_option(path) == shown


# -- the worker's job and the service, in this process -------------------------------------------------

def run_in_big_stack(fn):
    out = []
    old = threading.stack_size(256 << 20)
    try:
        t = threading.Thread(target=lambda: out.append(fn()))
        t.start()
        t.join()
    finally:
        threading.stack_size(old)
    return out[0]


@needs_lib
def test_the_options_job_lists_options_submodules_and_type_errors():
    from nixlang.ide.option_eval import evaluate_options_job
    broken = str(SET / "broken.nix")
    job = {"modules": [broken], "lib": str(LIB), "budget": 60,
           "check": [[broken, [["services", "web", "port"], ["services", "web", "enabel"]]]],
           "policy": {"restricted": True, "allowed": [str(SET), str(LIB.parent)]}}
    r = run_in_big_stack(lambda: evaluate_options_job(job))
    assert r["status"] == "ok" and not r["incomplete"]
    by_path = {".".join(o["path"]): o for o in r["options"]}
    assert sorted(by_path) == [
        "services.db.enable", "services.db.settings", "services.db.tuning", "services.db.tuning.maxConnections",
        "services.db.user", "services.web.enable", "services.web.port", "services.web.virtualHosts",
        "services.web.virtualHosts.<name>.root", "services.web.virtualHosts.<name>.ssl"]
    port = by_path["services.web.port"]
    assert (port["default"], port["example"], port["description"]) == ("8080", "80", "Port the web server listens on.")
    assert port["declarations"] == [{"file": str(SET / "modules" / "web.nix"), "line": 10, "column": 5}]
    assert r["freeform"] == [["services", "db", "settings"]]
    assert [(e["path"], e["message"].split(".")[0]) for e in r["errors"]] == [
        (["services", "web", "port"], "A definition for option `services")]


@needs_lib
def test_the_service_reports_mistakes_only_in_the_broken_file():
    svc = OptionsService()
    svc.configure({"modules.lib": str(LIB)}, (str(SET),), [])
    svc.policy = lambda p: {"restricted": True, "allowed": [str(SET)]}
    found = {}
    for name in ("broken.nix", "host.nix", "modules/web.nix", "modules/db.nix"):
        text = (SET / name).read_text()
        an = analyze(text, str(SET / name))
        assert svc.wait(an, 120) is not None, svc.status(an.path)
        found[name] = sorted(text[d.start:d.end] for d in svc.diagnostics(an))
    assert found == {"broken.nix": ["enabel", "port", "rooot"], "host.nix": [], "modules/web.nix": [],
                     "modules/db.nix": []}
    # the options of host.nix came from the module set host.nix imports
    assert svc.status(str(SET / "host.nix")).modules == (str(SET / "host.nix"),)
    assert svc.status(str(SET / "modules" / "db.nix")).modules == tuple(
        sorted([str(SET / "broken.nix"), str(SET / "host.nix")]))


def test_no_lib_no_options_and_the_usual_completion(tmp_path):
    (tmp_path / "m.nix").write_text("{ config, ... }: { a.b = 1; }")
    svc = OptionsService()
    svc.configure({}, (str(tmp_path),), [("nixpkgs", str(tmp_path / "none"))])
    an = analyze("{ config, ... }: { a.b = 1; }", str(tmp_path / "m.nix"))
    assert svc.wait(an, 60) is None
    assert "no nixpkgs lib" in svc.status(an.path).detail
    assert svc.completion(an, an.text.index("a.b")) is None
    assert svc.diagnostics(an) == []


def test_a_failure_inside_is_logged_never_raised():
    class Broken:
        path = "/tmp/m.nix"

        @property
        def ast(self):
            raise ValueError("boom")
    svc = OptionsService()
    logged = []
    svc.log = logged.append
    assert (svc.diagnostics(Broken()), svc.hover(Broken(), 0), svc.definition(Broken(), 0),
            svc.completion(Broken(), 0)) == ([], None, [], None)
    assert [m.split(":")[1].strip() for m in logged] == ["module options"] * 4


@needs_lib
def test_a_nixos_configuration_without_nixpkgs_reports_no_undefined_option(tmp_path):
    # NixOS's options are not known: `services.nginx` must not be called undefined
    (tmp_path / "app.nix").write_text("{ lib, ... }: { options.services.app.enable = lib.mkEnableOption \"a\"; }")
    text = "{ config, pkgs, ... }: { imports = [ ./app.nix ]; services.nginx.enable = true; services.app.enabel = 1; }"
    (tmp_path / "configuration.nix").write_text(text)
    svc = OptionsService()
    svc.configure({"modules.lib": str(LIB)}, (str(tmp_path),), [])
    svc.policy = lambda p: {"restricted": True, "allowed": [str(tmp_path)]}
    an = analyze(text, str(tmp_path / "configuration.nix"))
    assert svc.wait(an, 120) is not None
    assert svc.diagnostics(an) == []


def test_a_set_returning_function_is_a_module_only_when_imported(tmp_path):
    weak = "{ lib, ... }: { double = x: 2 * x; }"
    (tmp_path / "util.nix").write_text(weak)
    (tmp_path / "other.nix").write_text(weak)
    (tmp_path / "host.nix").write_text("{ config, ... }: { imports = [ ./util.nix ]; }")
    svc = OptionsService()
    svc.configure({}, (str(tmp_path),), [])
    svc.graph.scan(svc.folders)
    assert svc.module(analyze(weak, str(tmp_path / "util.nix"))) is not None
    assert svc.module(analyze(weak, str(tmp_path / "other.nix"))) is None
