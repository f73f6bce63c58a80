"""Nix settings on pynix's command line, in NIX_CONFIG and in nix.conf files,
and the settings that change evaluation (abort-on-warn, pure-eval,
restrict-eval, ...), checked against Nix's texts: the expectations are
recorded from Nix 2.8 (with Nix 2.36's wording where the two differ), and
the cases where both versions agree are also run against the installed
`nix-instantiate`, when there is one.

conftest.py points NIX_CONF_DIR at a folder without a nix.conf and empties
NIX_USER_CONF_FILES, so no test reads this machine's configuration."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from nixlang import settings as S

NIX = shutil.which("nix-instantiate")
needs_nix = pytest.mark.skipif(NIX is None, reason="nix-instantiate is not installed")


def cli(*args, stdin=None, env=None, cwd=ROOT):
    full_env = dict(os.environ, **(env or {}))
    p = subprocess.run([sys.executable, "-m", "nixlang", *args], input=stdin, capture_output=True,
                       text=True, timeout=120, cwd=cwd, env=full_env)
    return p.returncode, p.stdout, p.stderr


def nix(*args, env=None, cwd=ROOT, stdin=None):
    full_env = dict(os.environ, **(env or {}))
    p = subprocess.run(["nix-instantiate", *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd,
                       env=full_env)
    return p.returncode, p.stdout, p.stderr


def nix_text(err: str) -> str:
    """pynix's usage errors name `pynix instantiate` where Nix names itself."""
    return err.replace("Try 'pynix instantiate --help'", "Try 'nix-instantiate --help'")


def test_lib_modules_sh_flags(tmp_path):
    """nixpkgs' lib/tests/modules.sh runs nix-instantiate with these flags."""
    f = tmp_path / "w.nix"
    f.write_text('{ a = builtins.warn "w" 1; }')
    base = ["instantiate", "--timeout", "1", "--eval-only", "--show-trace", "--read-write-mode", "--json"]
    assert cli(*base, str(f), "-A", "a")[:2] == (0, "1\n")
    rc, out, err = cli(*base, "--option", "abort-on-warn", "true", str(f), "-A", "a")
    assert rc == 1 and out == ""
    assert err.startswith("evaluation warning: w\n")
    assert "error: aborting to reveal stack trace of warning, as abort-on-warn is set" in err


# -- flags: (arguments before `--eval -E EXPR`, expression, exit code, stdout, stderr, same in Nix 2.8) --

TRY = "Try 'pynix instantiate --help' for more information.\n"
FLAG_CASES = [
    # accepted and ignored (evaluation does not depend on them)
    (["--timeout", "1"], "1", 0, "1\n", "", True),
    (["--timeout", "2K"], "1", 0, "1\n", "", True),
    (["--cores", "4"], "1", 0, "1\n", "", True),
    (["--max-silent-time", "3"], "1", 0, "1\n", "", True),
    (["-j", "4"], "1", 0, "1\n", "", True),
    (["-j4"], "1", 0, "1\n", "", True),
    (["-j", "auto"], "1", 0, "1\n", "", True),
    (["--max-jobs", "0"], "1", 0, "1\n", "", True),
    (["-v"], "1", 0, "1\n", "", True),
    (["-vvv"], "1", 0, "1\n", "", True),
    (["--verbose", "--quiet", "--debug"], "1", 0, "1\n", "", True),
    (["--log-format", "bar"], "1", 0, "1\n", "", True),
    (["-k", "--keep-going", "-K", "--keep-failed", "--fallback"], "1", 0, "1\n", "", True),
    (["-Q", "--no-build-output", "--repair", "--dry-run"], "1", 0, "1\n", "", True),
    (["--readonly-mode", "--no-gc-warning", "--impure"], "1", 0, "1\n", "", True),
    (["--sandbox", "--no-sandbox", "--relaxed-sandbox"], "1", 0, "1\n", "", True),
    (["--option", "sandbox", "relaxed"], "1", 0, "1\n", "", True),
    (["--substituters", ""], "1", 0, "1\n", "", True),
    (["--sandbox-paths", "/a", "--extra-sandbox-paths", "/b"], "1", 0, "1\n", "", True),
    (["--builders", "x", "--print-missing", "--no-print-missing"], "1", 0, "1\n", "", True),
    (["--eval-store", "auto", "--parse-only"], "1", 0, "1\n", "", True),
    (["--experimental-features", "nix-command"], "1", 0, "1\n", "", True),
    # settings that change evaluation, in each flag form
    (["--system", "foo"], "builtins.currentSystem", 0, '"foo"\n', "", True),
    (["--option", "system", "foo"], "builtins.currentSystem", 0, '"foo"\n', "", True),
    (["--option", "eval-system", "bar", "--system", "foo"], "builtins.currentSystem", 0, '"bar"\n', "", False),
    (["--eval-system", "bar"], "builtins.currentSystem", 0, '"bar"\n', "", False),
    (["--pure-eval", "--no-pure-eval"], "builtins.currentSystem == builtins.currentSystem", 0, "true\n", "",
     True),
    (["--nix-path", "foo=/tmp", "--extra-nix-path", "bar=/"], "builtins.nixPath", 0,
     '[ { path = "/tmp"; prefix = "foo"; } { path = "/"; prefix = "bar"; } ]\n', "", True),
    (["--option", "nix-path", "foo=/tmp"], "<foo>", 0, "/tmp\n", "", True),
    (["-I", "x=/y", "--option", "nix-path", "foo=/tmp"], "builtins.nixPath", 0,
     '[ { path = "/y"; prefix = "x"; } { path = "/tmp"; prefix = "foo"; } ]\n', "", True),
    (["--max-call-depth", "10"], "let f = n: if n == 0 then 0 else f (n - 1); in f 5", 0, "0\n", "", False),
    (["--option", "max-call-depth", "abc"], "1", 0, "1\n",
     "warning: error: setting 'max-call-depth' has invalid value 'abc'\n", False),
    (["--trace-verbose"], 'builtins.traceVerbose "v" 1', 0, "1\n", "trace: v\n", False),
    # unknown settings: a warning each, sorted, after the other warnings
    (["--option", "zzz", "1", "--option", "aaa", "2"], "1", 0, "1\n",
     "warning: unknown setting 'aaa'\nwarning: unknown setting 'zzz'\n", True),
    (["--option", "foo", "bar"], "1", 0, "1\n", "warning: unknown setting 'foo'\n", True),
    (["--option", "extra-foo", "3"], "1", 0, "1\n", "warning: unknown setting 'extra-foo'\n", True),
    (["--option", "extra-pure-eval", "true"], "1", 0, "1\n", "warning: unknown setting 'extra-pure-eval'\n",
     True),
    (["--extra-experimental-features", "bogus"], "1", 0, "1\n",
     "warning: unknown experimental feature 'bogus'\n", True),
    (["--option", "zzz", "1", "--option", "experimental-features", "bogus"], "1", 0, "1\n",
     "warning: unknown experimental feature 'bogus'\nwarning: unknown setting 'zzz'\n", True),
    # bad values: Nix's texts
    (["--option", "pure-eval", "maybe"], "1", 0, "1\n",
     "warning: error: Boolean setting 'pure-eval' has invalid value 'maybe'\n", True),
    (["--option", "cores", "abc"], "1", 0, "1\n", "warning: error: setting 'cores' has invalid value 'abc'\n",
     True),
    (["--option", "sandbox", "foo"], "1", 0, "1\n", "warning: error: option 'sandbox' has invalid value 'foo'\n",
     True),
    (["--option", "lint-url-literals", "loud"], "1", 0, "1\n",
     "warning: error: option 'lint-url-literals' has invalid value 'loud' (expected 'ignore', 'warn', or "
     "'fatal')\n", False),
    (["--cores", "12x3"], "1", 1, "", "error: '12x3' is not an integer\n" + TRY, True),
    (["--cores", "abc"], "1", 1, "", "error: invalid unit specifier 'C'\n" + TRY, True),
    (["--timeout", "-3"], "1", 1, "", "error: '-3' is not an integer\n" + TRY, True),
    (["-j", "abc"], "1", 1, "", "error: configuration setting 'max-jobs' should be 'auto' or an integer\n" + TRY,
     True),
    (["--log-format", "xyz"], "1", 1, "", "error: option 'log-format' has an invalid value 'xyz'\n", True),
    (["--max-call-depth", "x"], "1", 1, "", "error: setting 'max-call-depth' has invalid value 'x'\n" + TRY,
     False),
    # flags Nix's generic parser does not have
    (["-L"], "1", 1, "", "error: unrecognised flag '-L'\n" + TRY, True),
    (["--print-build-logs"], "1", 1, "", "error: unrecognised flag '--print-build-logs'\n" + TRY, True),
    (["--build-cores", "2"], "1", 1, "", "error: unrecognised flag '--build-cores'\n" + TRY, True),
    (["--extra-pure-eval", "1"], "1", 1, "", "error: unrecognised flag '--extra-pure-eval'\n" + TRY, True),
    (["--no-nix-path"], "1", 1, "", "error: unrecognised flag '--no-nix-path'\n" + TRY, True),
    # a flag's value is the next argument, whatever it is
    (["--show-trace", "maybe"], "1", 1, "", None, False),
]


@pytest.mark.parametrize("args,expr,rc,out,err,same_in_28", FLAG_CASES)
def test_flags(args, expr, rc, out, err, same_in_28):
    got = cli("instantiate", *args, "--eval", "-E", expr)
    assert got[0] == rc, got
    assert got[1] == out
    if err is not None:
        assert got[2] == err


@needs_nix
@pytest.mark.parametrize("args,expr,rc,out,err,same_in_28", [c for c in FLAG_CASES if c[5]])
def test_flags_like_nix(args, expr, rc, out, err, same_in_28):
    want = nix(*args, "--eval", "-E", expr)
    got = cli("instantiate", *args, "--eval", "-E", expr)
    assert (got[0], got[1], nix_text(got[2])) == want


@pytest.mark.parametrize("argv,message", [
    (["--eval", "-E", "1", "-j"], "error: flag '-j' requires 1 argument(s)\n"),
    (["--eval", "-E", "1", "--option", "x"], "error: flag '--option' requires 2 argument(s)\n"),
    (["--eval", "-E", "1", "--nix-path"], "error: flag '--nix-path' requires 1 argument(s)\n"),
    (["--eval", "-E", "1", "--arg", "x"], "error: flag '--arg' requires 2 argument(s)\n"),
    (["--eval", "-E", "1", "-A"], "error: '-A' requires an argument\n"),
    (["--eval", "-E", "1", "--add-root"], "error: '--add-root' requires an argument\n"),
    (["--eval", "-E", "1", "--", "--foo"], "error: unexpected argument '--foo'\n"),
    (["--bogus", "--eval", "-E", "1"], "error: unrecognised flag '--bogus'\n"),
])
def test_missing_arguments(argv, message):
    rc, out, err = cli("instantiate", *argv)
    assert (rc, out, err) == (1, "", message + TRY)
    if NIX:
        assert nix(*argv) == (1, "", nix_text(err))


def test_eval_only_is_eval():
    assert cli("instantiate", "--eval-only", "-E", "1 + 1")[:2] == (0, "2\n")
    assert cli("instantiate", "--parse", "--eval", "-E", "1 + 1")[:2] == (0, "(1 + 1)\n")


# -- NIX_CONFIG and nix.conf files --------------------------------------------------------

CONFIG_CASES = [
    # (NIX_CONFIG, expression, exit code, stdout, stderr)
    ("system = foo", "builtins.currentSystem", 0, '"foo"\n', ""),
    ("system = foo # a comment\n\n  # another\n", "builtins.currentSystem", 0, '"foo"\n', ""),
    ("nix-path = a=/x   b=/y", "builtins.nixPath", 0,
     '[ { path = "/x"; prefix = "a"; } { path = "/y"; prefix = "b"; } ]\n', ""),
    ("nix-path = a=/x\nextra-nix-path = b=/y", "builtins.length builtins.nixPath", 0, "2\n", ""),
    ("pure-eval = true", "builtins ? currentTime", 0, "false\n", ""),
    ("pure-eval = yes\npure-eval = no", "builtins ? currentTime", 0, "true\n", ""),
    ("foo = 1\nbar = 2", "1", 0, "1\n", "warning: unknown setting 'bar'\nwarning: unknown setting 'foo'\n"),
    ("pure-eval = maybe", "1", 1, "", "error: Boolean setting 'pure-eval' has invalid value 'maybe'\n" + TRY),
    ("max-jobs = abc", "1", 1, "", "error: configuration setting 'max-jobs' should be 'auto' or an integer\n"
     + TRY),
    ("pure-eval", "1", 1, "", "error: illegal configuration line 'pure-eval' in 'NIX_CONFIG'\n" + TRY),
    ("a b = c", "1", 1, "", "error: illegal configuration line 'a b = c' in 'NIX_CONFIG'\n" + TRY),
    ("  = c", "1", 1, "", "error: illegal configuration line '  = c' in 'NIX_CONFIG'\n" + TRY),
    ("include /nonexistent/x.conf", "1", 1, "",
     "error: file '/nonexistent/x.conf' included from 'NIX_CONFIG' not found\n"),
    ("!include /nonexistent/x.conf", "1", 0, "1\n", ""),
    ("experimental-features = bogus1", "1", 0, "1\n", "warning: unknown experimental feature 'bogus1'\n"),
    ("lint-url-literals = fatal", "1", 0, "1\n", ""),
]


@pytest.mark.parametrize("config,expr,rc,out,err", CONFIG_CASES)
def test_nix_config(config, expr, rc, out, err):
    assert cli("instantiate", "--eval", "-E", expr, env={"NIX_CONFIG": config}) == (rc, out, err)


@needs_nix
@pytest.mark.parametrize("config,expr,rc,out,err", [c for c in CONFIG_CASES if "lint-" not in c[0]])
def test_nix_config_like_nix(config, expr, rc, out, err):
    got = cli("instantiate", "--eval", "-E", expr, env={"NIX_CONFIG": config})
    assert (got[0], got[1], nix_text(got[2])) == nix("--eval", "-E", expr, env={"NIX_CONFIG": config})


def test_command_line_overrides_config():
    env = {"NIX_CONFIG": "pure-eval = true\nsystem = foo"}
    assert cli("instantiate", "--no-pure-eval", "--eval", "-E", "builtins ? currentTime", env=env)[:2] == \
        (0, "true\n")
    env = {"NIX_CONFIG": "system = foo"}
    assert cli("instantiate", "--system", "bar", "--eval", "-E", "builtins.currentSystem", env=env)[:2] == \
        (0, '"bar"\n')


def test_nix_path_precedence(tmp_path):
    """nix-path from a file < NIX_PATH < the command line; -I goes first."""
    env = {"NIX_CONFIG": "nix-path = c=/d", "NIX_PATH": "a=/b"}
    q = "map (e: e.prefix) builtins.nixPath"
    assert cli("instantiate", "--eval", "--strict", "-E", q, env=env)[1] == '[ "a" ]\n'
    assert cli("instantiate", "--nix-path", "e=/f", "--eval", "--strict", "-E", q, env=env)[1] == '[ "e" ]\n'
    assert cli("instantiate", "-I", "x=/y", "--eval", "--strict", "-E", q, env=env)[1] == '[ "x" "a" ]\n'


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_config_files_in_order(tmp_path):
    """The system file, then the user files (NIX_USER_CONF_FILES: the first
    listed wins), then NIX_CONFIG; `include` is relative to the including file."""
    _write(tmp_path / "sys" / "nix.conf", "system = from-sys\ninclude ../inc/extra.conf\nunknown-a = 1\n")
    _write(tmp_path / "inc" / "extra.conf", "eval-system = from-include\n")
    u1 = _write(tmp_path / "u1.conf", "eval-system = from-u1\n")
    u2 = _write(tmp_path / "u2.conf", "eval-system = from-u2\nsystem = from-u2\n")
    env = {"NIX_CONF_DIR": str(tmp_path / "sys"), "NIX_USER_CONF_FILES": f"{u1}:{u2}"}
    q = "builtins.currentSystem"
    assert cli("instantiate", "--eval", "-E", q, env=env) == (0, '"from-u1"\n',
                                                              "warning: unknown setting 'unknown-a'\n")
    env["NIX_CONFIG"] = "eval-system = from-env"
    assert cli("instantiate", "--eval", "-E", q, env=env)[1] == '"from-env"\n'
    assert cli("instantiate", "--eval-system", "from-flag", "--eval", "-E", q, env=env)[1] == '"from-flag"\n'
    env = {"NIX_CONF_DIR": str(tmp_path / "sys")}
    assert cli("instantiate", "--eval", "-E", q, env=env)[1] == '"from-include"\n'


def test_xdg_config_files(tmp_path):
    _write(tmp_path / "home" / "nix" / "nix.conf", "system = from-home\n")
    _write(tmp_path / "dir1" / "nix" / "nix.conf", "system = from-dir1\neval-system = from-dir1\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "home"), "XDG_CONFIG_DIRS": f"{tmp_path / 'dir1'}:/nonexistent"}
    del_env = dict(env)
    rc, out, err = _cli_without_user_files("builtins.currentSystem", del_env)
    assert (rc, out) == (0, '"from-dir1"\n')     # eval-system from dir1, system from home
    rc, out, err = _cli_without_user_files("builtins.currentSystem", {"XDG_CONFIG_HOME": str(tmp_path / "home")})
    assert (rc, out) == (0, '"from-home"\n')
    # HOME/.config when XDG_CONFIG_HOME is unset
    _write(tmp_path / "h" / ".config" / "nix" / "nix.conf", "system = from-dot-config\n")
    rc, out, err = _cli_without_user_files("builtins.currentSystem", {"HOME": str(tmp_path / "h")})
    assert (rc, out) == (0, '"from-dot-config"\n')


def _cli_without_user_files(expr, env):
    full = {k: v for k, v in os.environ.items() if k not in ("NIX_USER_CONF_FILES", "XDG_CONFIG_HOME",
                                                            "XDG_CONFIG_DIRS")}
    full.update(env)
    full.setdefault("XDG_CONFIG_DIRS", "/nonexistent")
    p = subprocess.run([sys.executable, "-m", "nixlang", "instantiate", "--eval", "-E", expr],
                       capture_output=True, text=True, timeout=120, cwd=ROOT, env=full)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("env,expected", [
    ({}, []),
    ({"NIX_USER_CONF_FILES": "/a:/b::/c"}, ["/a", "/b", "/c"]),
    ({"XDG_CONFIG_HOME": "/h", "XDG_CONFIG_DIRS": "/d1:/d2"},
     ["/h/nix/nix.conf", "/d1/nix/nix.conf", "/d2/nix/nix.conf"]),
    ({"HOME": "/home/u"}, ["/home/u/.config/nix/nix.conf", "/etc/xdg/nix/nix.conf"]),
])
def test_user_config_files(env, expected):
    if not env:
        env = {"NIX_USER_CONF_FILES": ""}
    assert S.user_config_files(env) == expected


def test_experimental_features_apply_first():
    """applyConfig sets (extra-)experimental-features before the other lines."""
    c = S.Config({})
    c.apply_config("flake-registry = x\nexperimental-features = flakes\n", "NIX_CONFIG")
    assert c["flake-registry"] == "x" and c.messages == []
    c = S.Config({})
    c.apply_config("flake-registry = x\n", "NIX_CONFIG")
    assert c.messages == ["warning: Ignoring setting 'flake-registry' because experimental feature 'flakes' "
                          "is not enabled"]


@pytest.mark.parametrize("kind_value,expected", [
    (("max-call-depth", "2K"), 2048),
    (("tarball-ttl", "+5"), 5),
    (("access-tokens", "github.com=a b gitlab.com=c junk"), {"github.com": "a", "gitlab.com": "c"}),
    (("substituters", "  a   b\tc "), ["a", "b", "c"]),
    (("sandbox", "yes"), "true"),
    (("commit-lockfile-summary", "x y"), "x y"),        # an alias
])
def test_values(kind_value, expected):
    c = S.Config({})
    assert c.set(*kind_value)
    assert c[kind_value[0]] == expected


def test_every_setting_has_a_flag_and_option():
    """Every setting of the table is accepted as --option NAME VALUE and as a flag."""
    for s in S.SETTINGS:
        value = {"bool": "true", "deprecated-warn": "false", "int": "1", "uint": "1", "jobs": "1",
                 "sandbox": "relaxed", "diagnose": "warn"}.get(s.kind, "x")
        c = S.Config({})
        c.values["experimental-features"] = sorted(S.EXPERIMENTAL_FEATURES)
        assert c.set(s.name, value), s.name
        flag_only = s.kind in ("bool", "deprecated-warn", "sandbox")
        argv = [f"--{s.name}"] if flag_only else [f"--{s.name}", value]
        assert S.parse_common_flag(argv, 0, c, S.CommonFlags()) == len(argv), s.name
        if s.kind in S.APPENDABLE:
            assert S.parse_common_flag([f"--extra-{s.name}", "y"], 0, c, S.CommonFlags()) == 2


def test_deprecated_warn_short_path_literals():
    rc, out, err = cli("instantiate", "--warn-short-path-literals", "--eval", "-E", "a/b")
    assert err.startswith("warning: 'warn-short-path-literals' is deprecated, use 'lint-short-path-literals = "
                          "warn' instead\n")
    assert "relative path literal" in err or "a/b" in err


@pytest.mark.parametrize("argv,expected", [
    (["-vvv"], ["-v", "-v", "-v"]),
    (["-j3"], ["-j", "3"]),
    (["-Aa.b"], ["-A", "-a", ".b"]),
    (["--", "-vv"], ["--", "-vv"]),
    (["-", "-E"], ["-", "-E"]),
])
def test_compound_short_flags(argv, expected):
    assert S.expand_short_flags(argv) == expected


# -- abort-on-warn -----------------------------------------------------------------------

WARN = '{ a = builtins.warn "careful" 1; }'


@pytest.mark.parametrize("how", [
    ["--option", "abort-on-warn", "true"], ["--abort-on-warn"], ["NIX_CONFIG=abort-on-warn = true"],
    ["NIX_ABORT_ON_WARN=1"], ["NIX_ABORT_ON_WARN=yes"], ["NIX_ABORT_ON_WARN=true"],
])
def test_abort_on_warn(how):
    env = dict(h.split("=", 1) for h in how if "=" in h and not h.startswith("-"))
    flags = [h for h in how if h.startswith("-") or "=" not in h]
    rc, out, err = cli("instantiate", *flags, "--eval", "-E", WARN, "-A", "a", env=env)
    assert rc == 1 and out == ""
    assert err.startswith("evaluation warning: careful\nerror:\n")
    assert err.endswith("error: aborting to reveal stack trace of warning, as abort-on-warn is set\n")


@pytest.mark.parametrize("how", [[], ["--no-abort-on-warn"], ["NIX_ABORT_ON_WARN=0"]])
def test_no_abort_on_warn(how):
    env = {"NIX_ABORT_ON_WARN": "1"} if how == ["--no-abort-on-warn"] else \
        dict(h.split("=", 1) for h in how if "=" in h)
    flags = [h for h in how if h.startswith("-")]
    assert cli("instantiate", *flags, "--eval", "-E", WARN, "-A", "a", env=env) == \
        (0, "1\n", "evaluation warning: careful\n")


# -- pure and restricted evaluation --------------------------------------------------------

@pytest.fixture
def tree(tmp_path):
    _write(tmp_path / "r.nix", "{ a = 1; b = builtins.readFile ./data.txt; c = import ./sub/x.nix; }")
    _write(tmp_path / "data.txt", "hi\n")
    _write(tmp_path / "sub" / "x.nix", "42")
    return tmp_path


RESTRICT_CASES = [
    # (flags, file or None, expression or -A path, exit code, stdout, last error line, same in Nix 2.8)
    (["--restrict-eval"], "r.nix", "a", 1, "",
     "error: access to absolute path '{d}/r.nix' is forbidden in restricted mode", True),
    (["--pure-eval"], "r.nix", "a", 1, "",
     "error: access to absolute path '{d}/r.nix' is forbidden in pure evaluation mode (use '--impure' to "
     "override)", False),
    (["--restrict-eval", "-I", "{d}"], "r.nix", "b", 0, '"hi\\n"\n', None, True),
    (["--restrict-eval", "-I", "sub={d}/sub"], None, "import <sub/x.nix>", 0, "42\n", None, True),
    (["--restrict-eval", "-I", "{d}/sub"], None, "import ./sub/x.nix", 0, "42\n", None, True),
    (["--restrict-eval"], None, "1 + 1", 0, "2\n", None, True),
    (["--restrict-eval"], None, "./data.txt", 0, "{d}/data.txt\n", None, True),
    (["--restrict-eval"], None, "builtins.readFile /etc/hostname", 1, "",
     "       error: access to absolute path '/etc/hostname' is forbidden in restricted mode", False),
    (["--restrict-eval"], None, "builtins.readFile ./data.txt", 1, "",
     "       error: access to absolute path '{d}/data.txt' is forbidden in restricted mode", False),
    (["--restrict-eval"], None, "builtins.readDir /nix/store", 1, "",
     "       error: access to absolute path '/nix/store' is forbidden in restricted mode", False),
    (["--restrict-eval"], None, "import ./sub/x.nix", 1, "",
     "       error: access to absolute path '{d}/sub/x.nix' is forbidden in restricted mode", False),
    (["--restrict-eval"], None, '"${./data.txt}"', 1, "",
     "error: access to absolute path '{d}/data.txt' is forbidden in restricted mode", True),
    (["--restrict-eval"], None, "builtins.pathExists /etc", 0, "false\n", None, True),
    (["--restrict-eval"], None, 'builtins.getEnv "HOME"', 0, '""\n', None, True),
    (["--restrict-eval"], None, "builtins.currentTime > 0", 0, "true\n", None, True),
    (["--restrict-eval"], None, "builtins.nixPath", 0, "[ ]\n", None, True),
    (["--pure-eval"], None, "builtins.readFile /etc/hostname", 1, "",
     "       error: access to absolute path '/etc/hostname' is forbidden in pure evaluation mode (use "
     "'--impure' to override)", False),
    (["--pure-eval"], None, 'builtins.getEnv "HOME"', 0, '""\n', None, True),
    (["--pure-eval"], None, "builtins.nixPath", 0, "[ ]\n", None, True),
    (["--pure-eval", "-I", "foo=/tmp"], None, "builtins.nixPath", 0, "[ ]\n", None, True),
    (["--pure-eval"], None, "builtins ? currentTime || builtins ? currentSystem", 0, "false\n", None, True),
    (["--pure-eval"], None, "<nixpkgs>", 1, "",
     "       error: cannot look up '<nixpkgs>' in pure evaluation mode (use '--impure' to override)", True),
    (["--pure-eval"], None, "builtins.storePath /nix/store/aaa", 1, "",
     "       error: 'builtins.storePath' is not allowed in pure evaluation mode", True),
    (["--restrict-eval"], None, 'builtins.fetchurl "https://example.com/x"', 1, "",
     "       error: access to URI 'https://example.com/x' is forbidden in restricted mode", False),
    (["--restrict-eval", "--allowed-uris", "https://example.com"], None,
     'builtins.fetchurl "https://example.org/x"', 1, "",
     "       error: access to URI 'https://example.org/x' is forbidden in restricted mode", False),
    (["--restrict-eval"], None, 'builtins.fetchTarball "https://example.com/x"', 1, "",
     "       error: access to URI 'https://example.com/x' is forbidden in restricted mode", False),
    (["--restrict-eval"], None, 'builtins.fetchGit "https://example.com/x"', 1, "",
     "       error: access to URI 'https://example.com/x' is forbidden in restricted mode", False),
]


@pytest.mark.parametrize("flags,file,what,rc,out,last,same_in_28", RESTRICT_CASES)
def test_restricted_and_pure(tree, flags, file, what, rc, out, last, same_in_28):
    flags = [f.format(d=tree) for f in flags]
    argv = [file, "-A", what] if file else ["-E", what]
    got = cli("instantiate", *flags, "--eval", *argv, cwd=tree)
    assert got[:2] == (rc, out.format(d=tree)), got
    if last is not None:
        assert got[2].rstrip("\n").split("\n")[-1] == last.format(d=tree)
    if same_in_28 and NIX:
        want = nix(*flags, "--eval", *argv, cwd=tree)
        assert got[:2] == want[:2]
        if rc == 0:
            assert got[2] == want[2]


@pytest.mark.parametrize("uri,prefixes,allowed", [
    ("https://github.com/NixOS/patchelf.git", ["https://github.com/NixOS"], True),
    ("https://github.com/NixOS", ["https://github.com/NixOS"], True),
    ("https://github.com/NixOSx", ["https://github.com/NixOS"], False),
    ("https://github.com", ["https://github.co"], False),
    ("https://a/b", ["https://a/"], True),
    ("https://x/y", ["https:"], True),
    ("http://x/y", ["https:"], False),
    ("git+ssh://x", ["git+ssh:"], True),
    ("x", [""], False),
])
def test_allowed_uris(uri, prefixes, allowed):
    from nixlang.builtins.filesystem import _is_allowed_uri
    assert _is_allowed_uri(uri, prefixes) is allowed


def test_allowed_uri_reaches_the_fetcher(tree):
    rc, out, err = cli("instantiate", "--restrict-eval", "--allowed-uris", "file://", "--eval", "-E",
                       'builtins.fetchurl "file:///nonexistent/x"', cwd=tree)
    assert rc == 1 and "forbidden" not in err


def test_import_from_derivation_disabled():
    drv = '(derivation { name = "x"; system = "x"; builder = "/bin/sh"; })'
    rc, out, err = cli("instantiate", "--no-allow-import-from-derivation", "--eval", "-E",
                       f"builtins.readFile {drv}")
    assert rc == 1
    assert err.rstrip("\n").split("\n")[-1] == (
        "       error: cannot build '/nix/store/safnr1ywsblyl5qfbca0178m104hzxaw-x.drv^out' during evaluation "
        "because the option 'allow-import-from-derivation' is disabled")


def test_max_call_depth():
    deep = "let f = n: if n == 0 then 0 else f (n - 1); in f 100"
    assert cli("instantiate", "--eval", "-E", deep)[:2] == (0, "0\n")
    rc, out, err = cli("instantiate", "--max-call-depth", "20", "--eval", "-E", deep)
    assert rc == 1 and "stack overflow; max-call-depth exceeded" in err
    rc, out, err = cli("instantiate", "--eval", "-E", deep, env={"NIX_CONFIG": "max-call-depth = 20"})
    assert rc == 1 and "stack overflow; max-call-depth exceeded" in err


def test_show_trace_setting():
    expr = "let f = x: throw x; in f \"boom\""
    short = cli("instantiate", "--eval", "-E", expr)[2]
    for how in (["--show-trace"], ["--option", "show-trace", "true"]):
        assert cli("instantiate", *how, "--eval", "-E", expr)[2] != short
    assert cli("instantiate", "--eval", "-E", expr, env={"NIX_CONFIG": "show-trace = true"})[2] != short
    assert cli("instantiate", "--no-show-trace", "--eval", "-E", expr,
               env={"NIX_CONFIG": "show-trace = true"})[2] == short


def test_pynix_eval_takes_settings():
    assert cli("eval", "--option", "system", "foo", "-E", "builtins.currentSystem")[:2] == (0, '"foo"\n')
    assert cli("eval", "--system", "foo", "-E", "builtins.currentSystem")[:2] == (0, '"foo"\n')
    rc, out, err = cli("eval", "--option", "bogus", "1", "-E", "1")
    assert (rc, out, err) == (0, "1\n", "warning: unknown setting 'bogus'\n")
    rc, out, err = cli("eval", "--pure-eval", "-E", "builtins.readFile /etc/hostname")
    assert rc == 1 and "forbidden in pure evaluation mode" in err
