"""The workloads of benchmarks/bench.py, by group, at full or --quick size.

Groups (issue 14, "speed where users live", and issue 20, "real nixpkgs and NixOS"):

- micro:   small language workloads (`--eval --strict -E EXPR`) and start-up;
- lib:     nixpkgs' lib: the module system at N = 50/200/1000 services, string
           functions of lib/strings.nix, lib/tests/misc.nix;
- parse:   `--parse` of a generated 50k-line file and of 10 MB literals, and
           the parser's rate in process;
- nixpkgs: drvPaths of real packages, and hello's whole .drv closure written
           to an empty store;
- nixos:   two NixOS systems of benchmarks/nixos/, to their toplevel drvPath.

Workload files (modules, literals, the parse file) are generated into the
run's work directory. Whatever needs ../shared data is skipped, with the
reason, when that data is absent.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable

from harness import (REPO, Result, Workload, cpu_ratio_at_most, cpu_seconds_at_most, metric_at_least,
                     rss_per_input_at_most, rss_ratio_at_most)

# ../shared beside the clone, or the copy PYNIX_SHARED names (as for the tests)
SHARED = Path(os.environ.get("PYNIX_SHARED") or REPO.parent / "shared").absolute()
LIB = SHARED / "nixpkgs-lib" / "lib"
NIXPKGS_TARBALLS = SHARED / "nixpkgs"
UNPACK = SHARED / "tools" / "nixpkgs-unpack"
NIXOS_DIR = Path(__file__).resolve().parent / "nixos"

GROUPS = ["micro", "lib", "parse", "nixpkgs", "nixos"]
HEAVY_GROUPS = {"nixpkgs", "nixos"}
GEOMEAN_TARGETS = {"micro": 3.0}   # issue 14: the micro workloads' geometric mean of CPU ratios
DEFAULT_REPEAT = {"micro": 5, "lib": 5, "parse": 3, "nixpkgs": 3, "nixos": 3}


def pick(quick: bool, full, small):
    return small if quick else full


def eval_expr(expr: str) -> list[str]:
    return ["--eval", "--strict", "-E", expr]


def size_name(n: int) -> str:
    """50000 -> 50k, 1000000 -> 1M (for workload names)."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# ======================================================================================
# micro
# ======================================================================================

# name ({n}: the size, {s}: the size as 50k/1M), full and --quick sizes, what it
# measures, the expression of size n, and its target CPU ratio
MICRO = [
    ("fib {n}", 28, 20, "naive recursion, fib {n}: ints, if, +, -, <",
     lambda n: f"let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib {n}", 4),
    ("foldl' {s}", 1_000_000, 100_000, "builtins.foldl' over genList of {n} ints",
     lambda n: f"builtins.foldl' (acc: x: acc + x) 0 (builtins.genList (i: i * 2) {n})", 4),
    ("listToAttrs {s}", 300_000, 30_000, "builtins.listToAttrs of {n} name/value pairs, names interpolated",
     lambda n: f'let s = builtins.listToAttrs (builtins.genList (i: {{ name = "k${{toString i}}"; value = i; }})'
               f" {n}); in builtins.length (builtins.attrNames s) + s.k{n - 1} + s.k0", 4),
    ("strings {s}", 5000, 1000, "a string from {n} interpolated pieces: concatStringsSep and foldl' with +",
     lambda n: f'let xs = builtins.genList (i: "item-${{toString i}};") {n};'
               ' a = builtins.concatStringsSep "" xs;'
               " b = builtins.foldl' (acc: x: acc + x) \"\" xs;"
               f" in [ (builtins.stringLength a) (builtins.stringLength b)"
               f" (builtins.substring {n - 10} 20 b) (a == b) ]", 4),
    ("fix {s} attrs", 3000, 500,
     "a fixed point `fix (self: ...)` over {n} packages referring to each other through self",
     lambda n: "let fix = f: let x = f x; in x;"
               " pkgs = fix (self: builtins.listToAttrs (builtins.genList (i: {"
               ' name = "p${toString i}";'
               " value = rec {"
               ' pname = "p${toString i}";'
               ' version = "1.${toString (i - i / 10 * 10)}";'
               ' name = "${pname}-${version}";'
               ' deps = if i == 0 then [ ] else [ self."p${toString (i / 2)}" self."p${toString (i / 3)}" ];'
               " depth = builtins.foldl' (m: d: if d.depth + 1 > m then d.depth + 1 else m) 1 deps;"
               f" }}; }}) {n}));"
               " in builtins.foldl' (acc: k: acc + pkgs.${k}.depth + builtins.stringLength pkgs.${k}.name) 0"
               " (builtins.attrNames pkgs)", 4),
    ("sort {s}", 100_000, 10_000, "builtins.sort with a lambda comparator on {n} pseudo-random ints",
     lambda n: "let xs = builtins.genList (i: (i * 2654435761 + 12345)"
               f" - (i * 2654435761 + 12345) / 1000003 * 1000003) {n};"
               " s = builtins.sort (a: b: a < b) xs;"
               f" in [ (builtins.head s) (builtins.elemAt s {n // 2}) (builtins.elemAt s {n - 1})"
               " (builtins.length s) ]", 4),
    ("toJSON {s}", 100_000, 10_000, "builtins.toJSON of a list of {n} small attrsets",
     lambda n: f'let j = builtins.toJSON (builtins.genList (i: {{ id = i; name = "n${{toString i}}";'
               f' ok = i / 2 * 2 == i; tags = [ "a" null ]; }}) {n});'
               ' in [ (builtins.stringLength j) (builtins.hashString "sha256" j) ]', 3),
    ("match {s}", 100_000, 10_000, "builtins.match with groups on {n} strings",
     lambda n: f'let xs = builtins.genList (i: "pkg${{toString (i / 7)}}-${{toString (i / 3)}}.${{toString i}}")'
               f" {n};"
               ' ms = map (s: builtins.match "([a-z]+)([0-9]*)-([0-9]+)\\\\.([0-9]*[05])" s) xs;'
               " hits = builtins.filter (m: m != null) ms;"
               " in [ (builtins.length hits) (builtins.elemAt hits 3) ]", 4),
]


def micro(quick: bool) -> list[Workload]:
    ws = [Workload("startup", "micro", "`-E 1`: interpreter, imports, parser tables, builtins",
                   ["--eval", "--strict", "-E", "1"], targets=[cpu_seconds_at_most(0.08)])]
    for name, full, small, what, expr, ratio in MICRO:
        n = pick(quick, full, small)
        ws.append(Workload(name.format(n=n, s=size_name(n)), "micro", what.format(n=n),
                           eval_expr(expr(n)), targets=[cpu_ratio_at_most(ratio)]))
    return ws


# ======================================================================================
# lib: the module system, lib/strings.nix, lib/tests/misc.nix
# ======================================================================================

MODULES_HEAD = """\
# Generated by benchmarks/workloads.py: the module system with @N@ services,
# each a submodule of 6 typed options, set by its own module with mkDefault,
# mkMerge and mkIf and reading other services' config (the conditions sit on
# option values: a condition on a whole service would make `attrsOf` recurse).
let
  lib = import @LIB@;
  inherit (lib) mkOption mkDefault mkMerge mkIf types;
  serviceOptions = { name, ... }: {
    options = {
      enable = mkOption { type = types.bool; default = false; };
      port = mkOption { type = types.port; default = 8000; };
      user = mkOption { type = types.str; default = name; };
      flags = mkOption { type = types.listOf types.str; default = [ ]; };
      settings = mkOption { type = types.attrsOf (types.either types.int types.str); default = { }; };
      description = mkOption { type = types.nullOr types.str; default = null; };
    };
  };
  declarations = {
    options.services = mkOption {
      type = types.attrsOf (types.submodule serviceOptions);
      default = { };
    };
  };
  services = [
"""

MODULE_SERVICE = """\
    ({ config, ... }: {
      services.svc@I@ = mkMerge [
        { enable = mkDefault @ENABLE@; port = mkDefault @PORT@; flags = [ "--id=@I@" ]; }
        {
          flags = mkIf config.services.svc@J@.enable [ "--after=svc@J@" ];
          settings = mkIf config.services.svc@J@.enable { upstream = config.services.svc@J@.port; };
        }
        { settings.workers = @WORKERS@; settings.role = "@ROLE@"; }
        {
          description = mkIf (config.services.svc@I@.port > @HALF@)
            "svc@I@ for ${config.services.svc@I@.user}";
        }
      ];
    })
"""

MODULES_TAIL = """\
  ];
  config = (lib.evalModules { modules = [ declarations ] ++ services; }).config;
  json = builtins.toJSON (removeAttrs config [ "_module" ]);
in
[ (builtins.stringLength json) (builtins.hashString "sha256" json) ]
"""


def modules_file(n: int) -> str:
    def fill(t: str, **kv) -> str:
        for k, v in kv.items():
            t = t.replace(f"@{k}@", str(v))
        return t
    parts = [fill(MODULES_HEAD, N=n, LIB=LIB)]
    for i in range(n):
        parts.append(fill(MODULE_SERVICE, I=i, J=i // 2, ENABLE="true" if i % 3 else "false",
                          PORT=8000 + (i * 37) % 1000, WORKERS=i % 8 + 1,
                          ROLE=["web", "db", "cache", "queue"][i % 4], HALF=8500))
    parts.append(MODULES_TAIL)
    return "".join(parts)


STRINGS_INPUT = ('xs = builtins.genList (i: "it\'s item-${toString i} \\"q\\" \\${HOME} a/b.c'
                 ' ${toString (i * 7)}") @N@;')


def strings_expr(n: int, body: str) -> str:
    return (f"let lib = import {LIB}; {STRINGS_INPUT.replace('@N@', str(n))} r = {body};"
            ' in [ (builtins.length r) (builtins.hashString "sha256" (builtins.toJSON r))'
            " (builtins.elemAt r 7) ]")


# Tests of the 24.11 lib/tests/misc.nix that Nix 2.8 and Nix 2.36 (which pynix
# follows) answer differently, with the reason; the workload runs the others.
MISC_24_11_LEFT_OUT = {
    "testFromHexStringSecondExample":
        "fromTOML of a hex integer >= 2^63: Nix 2.8 clamps it to 2^63 - 1, newer Nix rejects it "
        "(lib 26.11 changed fromHexString for that)",
}


def misc_subset_expr(tree: Path) -> str:
    """misc.nix run unchanged, except that the `lib` it imports has a runTests that
    drops the tests of MISC_24_11_LEFT_OUT (through scopedImport's `import`)."""
    skip = " ".join(json.dumps(name) for name in MISC_24_11_LEFT_OUT)
    return (f"let tree = {tree}; lib = import (tree + \"/lib\");"
            f" patched = lib // {{ runTests = tests: lib.runTests (removeAttrs tests [ {skip} ]); }};"
            " import' = p: if p == tree + \"/lib/default.nix\" then patched else import p;"
            " in builtins.scopedImport { import = import'; } (tree + \"/lib/tests/misc.nix\")")


def lib_group(quick: bool, workdir: Path) -> list[Workload]:
    ws: list[Workload] = []
    lib_skip = None if LIB.is_dir() else f"nixpkgs' lib not found at {LIB} (../shared is absent)"

    sizes = pick(quick, [50, 200, 1000], [10, 30])
    for n in sizes:
        path = workdir / f"modules-{n}.nix"

        def write(w: Workload, path=path, n=n) -> None:
            path.write_text(modules_file(n), encoding="utf-8")
        ws.append(Workload(f"modules N={n}", "lib",
                           f"lib.evalModules: {n} submodule services of 6 typed options, "
                           "mkDefault/mkMerge/mkIf, config references, toJSON config",
                           ["--eval", "--strict", str(path)], skip=lib_skip, prepare=write,
                           targets=[cpu_ratio_at_most(8)] if n == sizes[-1] else [],
                           series="module system", size=n))

    n = pick(quick, 10_000, 1000)
    for name, what, body in [
        ("escapeShellArg", "toUpper (escapeShellArg s)", "map (s: lib.toUpper (lib.escapeShellArg s)) xs"),
        ("escapeNixString", "strings.escapeNixString s", "map lib.strings.escapeNixString xs"),
        ("splitString", "splitString \" \" s", 'map (lib.splitString " ") xs'),
        ("concatMapStringsSep", "concatMapStringsSep with replaceStrings and removePrefix",
         'lib.splitString "," (lib.concatMapStringsSep "," (s: lib.replaceStrings [ "item" "\\"" ]'
         ' [ "ITEM" "\'" ] (lib.removePrefix "it\'s " s)) xs)'),
    ]:
        ws.append(Workload(f"lib {name} {size_name(n)}", "lib",
                           f"lib/strings.nix over {n} strings: {what}",
                           eval_expr(strings_expr(n, body)), targets=[cpu_ratio_at_most(3)], skip=lib_skip))

    ws.append(Workload("lib misc.nix (lib 26.11)", "lib",
                       "nixpkgs lib's own tests, lib/tests/misc.nix (evaluates to [ ])",
                       ["--eval", "--strict", str(LIB / "tests" / "misc.nix")], skip=lib_skip,
                       expected="[ ]", expected_source="lib's contract: its tests evaluate to [ ]",
                       nix_skip="Nix 2.8 cannot evaluate lib 26.11's tests: they need builtins.readFileType "
                                "(Nix >= 2.14); the nixpkgs 24.11 copy below is compared instead",
                       heavy=True))

    ws.append(Workload("lib misc.nix (nixpkgs 24.11)", "lib",
                       "lib/tests/misc.nix of the nixpkgs tree's lib (24.11), which Nix 2.8 evaluates, "
                       f"without {', '.join(MISC_24_11_LEFT_OUT)} (see MISC_24_11_LEFT_OUT)",
                       prepare=with_nixpkgs(lambda tree: ["--eval", "--strict", "-E", misc_subset_expr(tree)]),
                       targets=[cpu_ratio_at_most(4)], heavy=True))
    return ws


# ======================================================================================
# parse
# ======================================================================================

INPROCESS_PARSE = """\
import importlib, json, os, statistics, sys, time
from nixlang.source import Source
from nixlang.parse import ParseOptions, parse_full
path, k = sys.argv[1], int(sys.argv[2])
text = open(path, encoding="utf-8").read()
opts = ParseOptions()
parse_full(Source("1", "<string>", "/"), opts)   # the LALR tables load here, not in the timed parses

def median_parse():
    times = []
    for _ in range(k):
        tree = None
        t = time.process_time()
        tree = parse_full(Source(text, path, os.path.dirname(path)), opts)
        times.append(time.process_time() - t)
    return statistics.median(times)

def cli_gc_policy():
    # what `pynix instantiate` sets up before it parses, wherever this version keeps it
    for module, name in (("nixlang.runtime.memory", "collect_only_under_pressure"),
                         ("nixlang.runtime.stack", "tune_gc")):
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            pass

plain = median_parse()      # Python's default garbage-collector settings, as a library user has them
figures = {"parse_cpu": plain}
policy = cli_gc_policy()
if policy is not None:
    policy()
    figures["parse_cpu_cli_gc"] = median_parse()
print(text.count(chr(10)), "lines parsed")
print(json.dumps(figures), file=sys.stderr)
"""


class ParseFile:
    """The generated nixpkgs-like file of parse_bench.py, written on first use."""

    def __init__(self, workdir: Path, lines: int):
        self.path = workdir / f"parse-{lines}.nix"
        self.wanted = lines
        self.lines = 0

    def write(self, w: Workload) -> None:
        if not self.lines:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from parse_bench import DEFAULT_SEED, Generator
            text = Generator(DEFAULT_SEED, self.wanted).generate()
            self.path.write_text(text, encoding="utf-8")
            self.lines = text.count("\n")
        if w.pynix_argv is not None:   # the in-process run checks it parsed every line
            w.expected = f"{self.lines} lines parsed"


def list_literal(nbytes: int) -> str:
    """`[ d d d ... ]` of single-digit ints: 2 bytes an element, 5M ints in 10 MB."""
    count = (nbytes - 4) // 2
    digits = "".join(str((i * 7919) % 10) + " " for i in range(10))
    body = digits * (count // 10) + digits[: 2 * (count % 10)]
    return "[ " + body + "]\n"


def string_literal(nbytes: int) -> str:
    """One "..." literal of printable text with escapes. No `$`: Nix 2.8 prints it as `\\$`
    in --parse output and Nix 2.36 (and pynix) as `$`, and the outputs are compared."""
    chunk = 'All work and no play \\"makes\\" Jack a\\tdull boy; 100% {ok} \\\\ #5.\\n '
    room = nbytes - 3
    return '"' + chunk * (room // len(chunk)) + "x" * (room % len(chunk)) + '"\n'


NIX_28_AST_FORM = ("Nix 2.8 prints --parse in its older form (formals and attributes in symbol-table "
                   "order, `inherit` written out, `$` as `\\$`); pynix prints Nix 2.36's form, which the "
                   "conformance suite checks")


def parse_group(quick: bool, workdir: Path) -> list[Workload]:
    ws: list[Workload] = []
    lines_wanted = pick(quick, 50_000, 5000)
    gen = ParseFile(workdir, lines_wanted)

    def rates(r: Result) -> dict:
        out = {"lines": gen.lines, "pynix lines/s": gen.lines / r.median("pynix", "cpu")}
        if r.nix:
            out["nix lines/s"] = gen.lines / r.median("nix", "cpu")
        return out

    ws.append(Workload(f"parse {size_name(lines_wanted)} lines", "parse",
                       f"`--parse` of a generated nixpkgs-like file of {lines_wanted} lines "
                       "(parse_bench's generator)",
                       ["--parse", str(gen.path)], prepare=gen.write, metrics=rates,
                       nix_prints_differently=NIX_28_AST_FORM,
                       expected_source="pynix's output recorded with --record (Nix 2.36's form)"))

    def inprocess_rate(r: Result) -> dict:
        figures = [json.loads(run.err.strip().splitlines()[-1]) for run in r.pynix]
        plain = statistics.median(f["parse_cpu"] for f in figures)
        out = {"parse_full CPU s": plain, "lines/s": gen.lines / plain}
        if all("parse_cpu_cli_gc" in f for f in figures):
            tuned = statistics.median(f["parse_cpu_cli_gc"] for f in figures)
            out.update({"with the CLI's gc policy: CPU s": tuned, "lines/s (CLI's gc)": gen.lines / tuned})
        return out

    ws.append(Workload(f"parse {size_name(lines_wanted)} in process", "parse",
                       "parse_full (parse and scope check) of the same file inside one Python process, "
                       "CPU time of the parse alone (median of 3 parses), with Python's default garbage "
                       "collector settings (the target's figure) and then with the CLI's gc policy",
                       pynix_argv=[sys.executable, "-c", INPROCESS_PARSE, str(gen.path), "3"],
                       prepare=gen.write,
                       nix_skip="an in-process figure of pynix's parser (no Nix counterpart)",
                       expected_source="the generated file", metrics=inprocess_rate,
                       targets=[metric_at_least("lines/s", 60_000, "parse >= 60,000 lines/s", " lines/s")]))

    nbytes = pick(quick, 10_000_000, 1_000_000)
    for kind, make in [("list", list_literal), ("string", string_literal)]:
        path = workdir / f"{kind}-literal-{nbytes}.nix"

        def write(w: Workload, path=path, make=make) -> None:
            path.write_text(make(nbytes), encoding="ascii")

        def per_byte(r: Result, path=path) -> dict:
            size = path.stat().st_size
            out = {"file MB": size / 1e6, "pynix peak/file": r.median("pynix", "rss") / size,
                   "pynix MB/s": size / 1e6 / r.median("pynix", "cpu")}
            if r.nix:
                out["nix peak/file"] = r.median("nix", "rss") / size
            return out

        what = (f"a list of {(nbytes - 4) // 2:,} single-digit ints" if kind == "list"
                else "one string literal with escapes")
        ws.append(Workload(f"parse {nbytes // 1_000_000} MB {kind} literal", "parse",
                           f"`--parse` of a {nbytes / 1e6:.0f} MB file: {what}",
                           ["--parse", str(path)], prepare=write, metrics=per_byte,
                           targets=[cpu_seconds_at_most(10 * nbytes / 10_000_000),
                                    rss_per_input_at_most(20, nbytes)]))
    return ws


# ======================================================================================
# nixpkgs and NixOS
# ======================================================================================

_TREE: list = []


def nixpkgs_tree() -> tuple[Path | None, str]:
    """The unpacked nixpkgs tree (../shared/tools/nixpkgs-unpack, run once), or why there is none."""
    if not _TREE:
        _TREE.append(_unpack())
    return _TREE[0]


def _unpack() -> tuple[Path | None, str]:
    if not NIXPKGS_TARBALLS.is_dir() or not list(NIXPKGS_TARBALLS.glob("nixpkgs-*.tar.xz")):
        return None, f"the nixpkgs tarball is not in {NIXPKGS_TARBALLS} (../shared is absent)"
    try:
        out = subprocess.run([str(UNPACK)], capture_output=True, text=True, check=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"{UNPACK} failed: {e}"
    tree = Path(out.stdout.strip())
    if not (tree / "default.nix").exists():
        return None, f"{UNPACK} printed {str(tree)!r}, which holds no nixpkgs"
    return tree, ""


def with_nixpkgs(make_args: Callable[[Path], list[str]]) -> Callable[[Workload], str | None]:
    """A prepare step: find the nixpkgs tree, point NIX_PATH at it, fill in the arguments."""
    def prepare(w: Workload) -> str | None:
        tree, reason = nixpkgs_tree()
        if tree is None:
            return reason
        w.env = {**w.env, "NIX_PATH": f"nixpkgs={tree}"}
        w.args = make_args(tree)
        return None
    return prepare


PACKAGES = ["hello", "git", "curl", "python3", "python3Packages.requests", "pkgsStatic.hello"]


def nixpkgs_group() -> list[Workload]:
    ws = []
    for attr in PACKAGES:
        expr = f"(import <nixpkgs> {{ config = {{ }}; overlays = [ ]; }}).{attr}.drvPath"
        ws.append(Workload(f"{attr}.drvPath", "nixpkgs",
                           f"(import <nixpkgs> {{ }}).{attr}.drvPath, evaluated only (--readonly-mode)",
                           prepare=with_nixpkgs(lambda tree, expr=expr: ["--eval", "--readonly-mode", "-E", expr]),
                           heavy=True, timeout=1800,
                           targets=[cpu_ratio_at_most(5)] if attr == "hello" else []))
    ws.append(Workload("hello closure to a store", "nixpkgs",
                       "`instantiate --store ROOT -A hello TREE`: hello's whole .drv closure written to an "
                       "empty store; the objects written (names, .drv bytes) must be the same",
                       prepare=with_nixpkgs(lambda tree: ["--store", "{store}", "-A", "hello", "--arg", "config",
                                                          "{ }", "--arg", "overlays", "[ ]", str(tree)]),
                       heavy=True, timeout=1800))
    return ws


NIXOS_SYSTEMS = [
    ("small", "a small server: nginx with one virtual host and a user"),
    ("desktop", "a desktop: Xfce and Sway, NetworkManager, PipeWire, fonts, printing, Bluetooth, SSH, 3 users"),
]


def nixos_group() -> list[Workload]:
    return [Workload(f"nixos {name}", "nixos",
                     f"NixOS, {what}: config.system.build.toplevel.drvPath of benchmarks/nixos/{name}.nix",
                     prepare=with_nixpkgs(lambda tree, name=name: ["--eval", "--readonly-mode",
                                                                    str(NIXOS_DIR / f"{name}.nix")]),
                     heavy=True, timeout=1800, targets=[cpu_ratio_at_most(8), rss_ratio_at_most(1.5)])
            for name, what in NIXOS_SYSTEMS]


def build(groups: list[str], quick: bool, workdir: Path) -> list[Workload]:
    """All workloads of `groups`; their files are generated into `workdir` when they run."""
    makers = {"micro": lambda: micro(quick), "lib": lambda: lib_group(quick, workdir),
              "parse": lambda: parse_group(quick, workdir), "nixpkgs": nixpkgs_group, "nixos": nixos_group}
    ws = [w for g in groups for w in makers[g]()]
    for w in ws:
        # issue 14: on every workload, peak memory at most 1.5 times Nix's
        # (checked wherever Nix runs the same workload)
        if w.nix_skip is None and not any(t.label.startswith("peak mem") for t in w.targets):
            w.targets.append(rss_ratio_at_most(1.5))
    return ws
