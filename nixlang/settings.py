"""Nix's configuration settings, taken as Nix takes them.

`SETTINGS` is the table of the settings of Nix 2.36 (the `Setting<...>`
members of Nix's Settings, EvalSettings, fetchers and flake Settings,
LoggerSettings, FileTransferSettings, ...): each with its kind (what its
`BaseSetting<T>::parse` accepts), default and aliases. `Config` holds their
values and applies them the ways Nix does:

- config files (`AbstractConfig::applyConfig`, `parseConfigFiles`): `name =
  value` lines, `#` comments, `include` / `!include`; `loadConfFile` reads
  `$NIX_CONF_DIR/nix.conf` (default /etc/nix/nix.conf), then the user files
  (`NIX_USER_CONF_FILES`, else `$XDG_CONFIG_HOME` and `$XDG_CONFIG_DIRS`'s
  nix/nix.conf), then `NIX_CONFIG`; later values override earlier ones;
- the command line (`MixCommonArgs`, `LegacyArgs` and the flags
  `BaseSetting<T>::convertToArg` makes): `--option NAME VALUE`, `--NAME
  VALUE`, `--NAME` / `--no-NAME` for booleans, `--extra-NAME VALUE` for
  lists, and the generic flags every nix-* command takes (`-v`, `-j N`, ...).

An unknown setting is remembered and warned about once, sorted, as
`GlobalConfig::warnUnknownSettings` does; a bad value is Nix's error text.
Only the settings that change evaluation are read by `eval_options`; the
rest are accepted and kept.
"""
from __future__ import annotations

import os

from .builtins.control import current_system
from .records import record


class SettingError(Exception):
    """A UsageError of Nix's configuration code (bad value, bad config line)."""


class ConfigFileError(Exception):
    """A plain Error of the config loader (a missing `include`d file): no
    "Try --help" line after it."""


@record(frozen=True)
class Setting:
    name: str
    kind: str                 # how the value parses: see Config._parse
    default: object = None
    aliases: tuple = ()
    xp: str | None = None     # the experimental feature the setting needs


def _s(name, kind, default=None, *aliases, xp=None):
    return Setting(name, kind, default, tuple(aliases), xp)


# Kinds: bool, int (signed), uint, str, strings (list), set, map (k=v list),
# features, jobs (max-jobs), sandbox, diagnose, paths (sandbox-paths).
SETTINGS: tuple[Setting, ...] = (
    # EvalSettings (libexpr)
    _s("abort-on-warn", "bool", False),
    _s("allow-import-from-derivation", "bool", True),
    _s("allow-unsafe-native-code-during-evaluation", "bool", False),
    _s("allowed-uris", "strings", ()),
    _s("debugger-on-trace", "bool", False),
    _s("debugger-on-warn", "bool", False),
    _s("eval-attrset-update-layer-rhs-threshold", "uint", 16),
    _s("eval-cache", "bool", True),
    _s("eval-profile-file", "str", "nix.profile"),
    _s("eval-profiler", "str", "disabled"),
    _s("eval-profiler-frequency", "uint", 99),
    _s("eval-system", "str", ""),
    _s("ignore-try", "bool", False),
    _s("lint-absolute-path-literals", "diagnose", "ignore"),
    _s("lint-short-path-literals", "diagnose", "ignore"),
    _s("lint-url-literals", "diagnose", "ignore"),
    _s("max-call-depth", "uint", 10000),
    _s("nix-path", "strings", ()),
    _s("pure-eval", "bool", False),
    _s("restrict-eval", "bool", False),
    _s("trace-function-calls", "bool", False),
    _s("trace-import-from-derivation", "bool", False),
    _s("trace-verbose", "bool", False),
    _s("warn-short-path-literals", "deprecated-warn", False),
    # libcmd
    _s("repl-overlays", "strings", ()),
    # LoggerSettings, plugins, archives
    _s("show-trace", "bool", False),
    _s("json-log-path", "str", ""),
    _s("plugin-files", "strings", ()),
    _s("preallocate-contents", "bool", False),
    _s("use-case-hack", "bool", False),
    # ExperimentalFeatureSettings
    _s("experimental-features", "features", ()),
    # fetchers::Settings and flake::Settings
    _s("access-tokens", "map", ()),
    _s("allow-dirty", "bool", True),
    _s("allow-dirty-locks", "bool", False, xp="flakes"),
    _s("flake-registry", "str", "https://channels.nixos.org/flake-registry.json", xp="flakes"),
    _s("tarball-ttl", "uint", 3600),
    _s("trust-tarballs-from-git-forges", "bool", True),
    _s("warn-dirty", "bool", True),
    _s("accept-flake-config", "bool", False),
    _s("commit-lock-file-summary", "str", "", "commit-lockfile-summary"),
    _s("use-registries", "bool", True),
    # FileTransferSettings
    _s("connect-timeout", "uint", 5),
    _s("download-attempts", "uint", 5),
    _s("download-buffer-size", "uint", 64 * 1024 * 1024),
    _s("download-speed", "uint", 0),
    _s("http-connections", "uint", 25, "binary-caches-parallel-connections"),
    _s("http2", "bool", True),
    _s("netrc-file", "str", "/etc/nix/netrc"),
    _s("ssl-cert-file", "str", ""),
    _s("stalled-download-timeout", "uint", 300),
    _s("user-agent-suffix", "str", ""),
    # Settings (libstore): the store, substitution, signatures
    _s("store", "str", "auto"),
    _s("system", "str", current_system()),
    _s("extra-platforms", "set", ()),
    _s("system-features", "set", ()),
    _s("substitute", "bool", True, "build-use-substitutes"),
    _s("substituters", "strings", ("https://cache.nixos.org/",), "binary-caches"),
    _s("trusted-substituters", "strings", (), "trusted-binary-caches"),
    _s("trusted-public-keys", "strings", ("cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=",),
       "binary-cache-public-keys"),
    _s("secret-key-files", "strings", ()),
    _s("require-sigs", "bool", True),
    _s("narinfo-cache-negative-ttl", "uint", 3600),
    _s("narinfo-cache-positive-ttl", "uint", 30 * 24 * 3600),
    _s("print-missing", "bool", True),
    _s("use-sqlite-wal", "bool", True),
    _s("use-xdg-base-directories", "bool", False),
    _s("warn-large-path-threshold", "uint", 0),
    _s("keep-build-log", "bool", True, "build-keep-log"),
    _s("compress-build-log", "bool", True, "build-compress-log"),
    _s("keep-env-derivations", "bool", False, "env-keep-derivations"),
    _s("upgrade-nix-store-path-url", "str", ""),
    _s("trusted-users", "strings", ("root",)),
    _s("allowed-users", "strings", ("*",)),
    # WorkerSettings: building
    _s("keep-failed", "bool", False),
    _s("keep-going", "bool", False),
    _s("fallback", "bool", False, "build-fallback"),
    _s("log-lines", "uint", 25),
    _s("max-jobs", "jobs", 1, "build-max-jobs"),
    _s("max-substitution-jobs", "uint", 16, "substitution-max-jobs"),
    _s("max-silent-time", "int", 0, "build-max-silent-time"),
    _s("timeout", "int", 0, "build-timeout"),
    _s("build-hook", "strings", ("nix", "__build-remote")),
    _s("builders", "str", "@/etc/nix/machines"),
    _s("always-allow-substitutes", "bool", False),
    _s("builders-use-substitutes", "bool", False),
    _s("max-build-log-size", "uint", 0, "build-max-log-size"),
    _s("build-poll-interval", "uint", 5),
    _s("post-build-hook", "str", ""),
    _s("pre-build-hook", "str", ""),
    # LocalSettings: the local store and local builds
    _s("gc-reserved-space", "int", 8 * 1024 * 1024),
    _s("keep-outputs", "bool", False, "gc-keep-outputs"),
    _s("keep-derivations", "bool", True, "gc-keep-derivations"),
    _s("min-free", "uint", 0),
    _s("max-free", "uint", 2 ** 63 - 1),
    _s("min-free-check-interval", "uint", 5),
    _s("start-id", "uint", 0x34000000),
    _s("id-count", "uint", (1 << 16) * 128),
    _s("cores", "uint", 0, "build-cores"),
    _s("fsync-metadata", "bool", True),
    _s("fsync-store-paths", "bool", False),
    _s("sync-before-registering", "bool", False),
    _s("auto-optimise-store", "bool", False),
    _s("nar-buffer-size", "uint", 32 * 1024 * 1024),
    _s("allow-symlinked-store", "bool", False),
    _s("build-users-group", "str", ""),
    _s("auto-allocate-uids", "bool", False, xp="auto-allocate-uids"),
    _s("use-cgroups", "bool", False),
    _s("impersonate-linux-26", "bool", False, "build-impersonate-linux-26"),
    _s("sandbox", "sandbox", "true", "build-use-chroot", "build-use-sandbox"),
    _s("sandbox-paths", "paths", (), "build-chroot-dirs", "build-sandbox-paths"),
    _s("sandbox-fallback", "bool", True),
    _s("require-drop-supplementary-groups", "bool", False),
    _s("sandbox-dev-shm-size", "str", "50%"),
    _s("sandbox-build-dir", "str", "/build"),
    _s("build-dir", "str", ""),
    _s("allowed-impure-host-deps", "set", ()),
    _s("run-diff-hook", "bool", False),
    _s("diff-hook", "str", ""),
    _s("filter-syscalls", "bool", True),
    _s("allow-new-privileges", "bool", False),
    _s("ignored-acls", "set", ("security.selinux", "system.nfs4_acl", "security.csm")),
    _s("impure-env", "map", (), xp="configurable-impure-env"),
    _s("hashed-mirrors", "strings", ()),
    _s("external-builders", "str", "[]"),
    # nix develop / nix-shell
    _s("bash-prompt", "str", ""),
    _s("bash-prompt-prefix", "str", ""),
    _s("bash-prompt-suffix", "str", ""),
    _s("nix-shell-always-looks-for-shell-nix", "bool", True),
    _s("nix-shell-shebang-arguments-relative-to-script", "bool", True),
)

BY_NAME: dict[str, Setting] = {}
for _setting in SETTINGS:
    BY_NAME[_setting.name] = _setting
    for _alias in _setting.aliases:
        BY_NAME[_alias] = _setting

APPENDABLE = frozenset({"strings", "set", "map", "features", "paths"})

# the experimental features Nix 2.36 knows (others are warned about and dropped)
EXPERIMENTAL_FEATURES = frozenset({
    "auto-allocate-uids", "blake3-hashes", "build-time-fetch-tree", "ca-derivations", "cgroups",
    "configurable-impure-env", "daemon-trust-override", "dynamic-derivations", "external-builders",
    "fetch-closure", "fetch-tree", "flakes", "git-hashing", "impure-derivations", "local-overlay-store",
    "mounted-ssh-store", "nix-command", "no-url-literals", "parse-toml-timestamps", "pipe-operators",
    "read-only-local-store", "recursive-nix", "verified-fetches",
})

LOG_FORMATS = ("raw", "raw-with-logs", "internal-json", "bar", "bar-with-logs", "multiline",
               "multiline-with-logs")


def tokenize(s: str) -> list[str]:
    """tokenizeString with Nix's default separators (blanks)."""
    return s.replace("\t", " ").replace("\n", " ").replace("\r", " ").split()


def int_with_unit_prefix(s: str, signed: bool = False) -> int:
    """string2IntWithUnitPrefix: an integer with an optional K, M, G or T
    suffix (binary multiples)."""
    mult = 1
    if s and s[-1].isalpha():
        u = s[-1].upper()
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(u, 0)
        if not mult:
            raise SettingError(f"invalid unit specifier '{u}'")
        s = s[:-1]
    body = s[1:] if s[:1] in "+-" and s[:1] else s
    if not body.isdigit() or not body.isascii() or (s.startswith("-") and not signed):
        raise SettingError(f"'{s}' is not an integer")
    n = int(s) * mult
    if not signed and n >= 1 << 64 or signed and not -(1 << 63) <= n < 1 << 63:
        raise SettingError(f"'{s}' is not an integer")
    return n


class Config:
    """The values of every setting, with Nix's ways of setting them."""

    def __init__(self, environ=None):
        self.environ = os.environ if environ is None else environ
        self.values: dict[str, object] = {}
        for s in SETTINGS:
            d = s.default
            self.values[s.name] = list(d) if isinstance(d, tuple) else d
        self.overridden: set[str] = set()   # set explicitly (a file, NIX_CONFIG, a flag)
        self.unknown: dict[str, str] = {}   # GlobalConfig's unknownSettings
        self.messages: list[str] = []       # warnings, in the order Nix prints them
        # EvalSettings' constructor: NIX_ABORT_ON_WARN=1|yes|true turns abort-on-warn on
        if self.environ.get("NIX_ABORT_ON_WARN") in ("1", "yes", "true"):
            self.values["abort-on-warn"] = True

    def __getitem__(self, name: str):
        return self.values[BY_NAME[name].name]

    def warn(self, text: str) -> None:
        self.messages.append(f"warning: {text}")

    # -- Config::set -----------------------------------------------------------------------
    def set(self, name: str, value: str, append: bool = False) -> bool:
        """Config::set: False (and remembered as unknown) for a name no
        setting has; `extra-NAME` appends to a list setting."""
        s = BY_NAME.get(name)
        if s is None and name.startswith("extra-"):
            s = BY_NAME.get(name[6:])
            if s is None or s.kind not in APPENDABLE:
                s = None
            else:
                append = True
        if s is None:
            self.unknown.setdefault(name, value)
            return False
        self._set(s, value, append)
        self.overridden.add(s.name)
        return True

    def _set(self, s: Setting, value: str, append: bool) -> None:
        """BaseSetting<T>::set: a setting behind a disabled experimental
        feature is ignored with a warning."""
        if s.xp is not None and s.xp not in self.values["experimental-features"]:
            self.warn(f"Ignoring setting '{s.name}' because experimental feature '{s.xp}' is not enabled")
            return
        new = self._parse(s, value)
        if s.kind == "deprecated-warn":
            # DeprecatedWarnSetting::assign: warn, and set the lint it moved to
            target = "lint-short-path-literals"
            self.warn(f"'{s.name}' is deprecated, use '{target} = {'warn' if new else 'ignore'}' instead")
            if target not in self.overridden:
                self.values[target] = "warn" if new else "ignore"
        if append:
            old = self.values[s.name]
            if s.kind == "map":
                new = {**old, **new}
            else:
                new = list(old) + [x for x in new if s.kind not in ("set", "features") or x not in old]
        self.values[s.name] = new

    def override_bool(self, s: Setting, value: bool) -> None:
        """The --NAME / --no-NAME flags (BaseSetting<bool>::override)."""
        if s.xp is not None and s.xp not in self.values["experimental-features"]:
            raise SettingError(f"experimental Nix feature '{s.xp}' is disabled; add "
                               f"'--extra-experimental-features {s.xp}' to enable it")
        self.overridden.add(s.name)
        if s.kind == "deprecated-warn":
            self._set(s, "true" if value else "false", False)
        else:
            self.values[s.name] = value

    def _parse(self, s: Setting, v: str):
        """BaseSetting<T>::parse for each kind."""
        k = s.kind
        if k in ("bool", "deprecated-warn"):
            if v in ("true", "yes", "1"):
                return True
            if v in ("false", "no", "0"):
                return False
            raise SettingError(f"Boolean setting '{s.name}' has invalid value '{v}'")
        if k in ("int", "uint"):
            try:
                return int_with_unit_prefix(v, signed=(k == "int"))
            except SettingError:
                raise SettingError(f"setting '{s.name}' has invalid value '{v}'") from None
        if k == "jobs":
            if v == "auto":
                return os.cpu_count() or 1
            try:
                return int_with_unit_prefix(v)
            except SettingError:
                raise SettingError(f"configuration setting '{s.name}' should be 'auto' or an integer") from None
        if k == "sandbox":
            if v in ("true", "1", "yes", "false", "0", "no", "relaxed"):
                return {"1": "true", "yes": "true", "0": "false", "no": "false"}.get(v, v)
            raise SettingError(f"option '{s.name}' has invalid value '{v}'")
        if k == "diagnose":
            if v in ("ignore", "warn", "fatal"):
                return v
            raise SettingError(f"option '{s.name}' has invalid value '{v}' (expected 'ignore', 'warn', or 'fatal')")
        if k == "map":
            out = {}
            for tok in tokenize(v):
                key, eq, val = tok.partition("=")
                if eq:
                    out[key] = val
            return out
        if k == "features":
            feats = []
            for f in tokenize(v):
                if f in EXPERIMENTAL_FEATURES:
                    if f not in feats:
                        feats.append(f)
                else:
                    self.warn(f"unknown experimental feature '{f}'")
            return feats
        if k in ("strings", "set", "paths"):
            toks = tokenize(v)
            return list(dict.fromkeys(toks)) if k == "set" else toks
        return v

    # -- config files --------------------------------------------------------------------------
    def apply_config(self, contents: str, path: str) -> None:
        """AbstractConfig::applyConfig: the experimental-features lines first,
        then the others, each in file order."""
        pairs: list[tuple[str, str]] = []
        _parse_config_file(contents, path, pairs)
        feature_names = ("experimental-features", "extra-experimental-features")
        for name, value in pairs:
            if name in feature_names:
                self.set(name, value)
        for name, value in pairs:
            if name not in feature_names:
                self.set(name, value)

    def load_files(self) -> None:
        """loadConfFile: the system file, the user files (lowest priority
        first), then NIX_CONFIG."""
        env = self.environ
        conf_dir = env.get("NIX_CONF_DIR") or "/etc/nix"
        self._apply_file(os.path.join(conf_dir, "nix.conf"))
        for path in reversed(user_config_files(env)):
            self._apply_file(path)
        if "NIX_CONFIG" in env:
            self.apply_config(env["NIX_CONFIG"], "NIX_CONFIG")

    def _apply_file(self, path: str) -> None:
        try:
            with open(path, "rb") as f:
                contents = f.read().decode("utf-8", "surrogateescape")
        except OSError:
            return            # a missing or unreadable file is skipped
        self.apply_config(contents, path)

    def unknown_warnings(self) -> list[str]:
        """GlobalConfig::warnUnknownSettings: one line per unknown name, sorted."""
        return [f"warning: unknown setting '{name}'" for name in sorted(self.unknown)]

    def flush_warnings(self, err) -> None:
        for line in self.messages + self.unknown_warnings():
            err.write(line + "\n")
        self.messages.clear()
        self.unknown.clear()


def user_config_files(env) -> list[str]:
    """getUserConfigFiles: NIX_USER_CONF_FILES (colon-separated), else
    nix/nix.conf in $XDG_CONFIG_HOME (or ~/.config) and then in each of
    $XDG_CONFIG_DIRS (default /etc/xdg); the first has the highest priority."""
    if "NIX_USER_CONF_FILES" in env:
        return [p for p in env["NIX_USER_CONF_FILES"].split(":") if p]
    home = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", ""), ".config")
    dirs = [home] + [d for d in (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":") if d]
    return [os.path.join(d, "nix", "nix.conf") for d in dirs]


def _parse_config_file(contents: str, path: str, out: list) -> None:
    """parseConfigFiles: `name = value` lines (the value's words joined by
    one space), `#` comments, and `include` / `!include PATH` relative to
    the including file."""
    for line in contents.split("\n"):
        line = line.split("#", 1)[0]
        tokens = tokenize(line)
        if not tokens:
            continue
        if len(tokens) < 2:
            raise SettingError(f"illegal configuration line '{line}' in '{path}'")
        if tokens[0] in ("include", "!include"):
            if len(tokens) != 2:
                raise SettingError(f"illegal configuration line '{line}' in '{path}'")
            base = os.path.dirname(path) if os.path.isabs(path) else os.getcwd()
            p = os.path.normpath(os.path.join(base, tokens[1]))
            if os.path.exists(p):
                try:
                    with open(p, "rb") as f:
                        text = f.read().decode("utf-8", "surrogateescape")
                except OSError:
                    continue
                _parse_config_file(text, p, out)
            elif tokens[0] == "include":
                raise ConfigFileError(f"file '{p}' included from '{path}' not found")
            continue
        if tokens[1] != "=":
            raise SettingError(f"illegal configuration line '{line}' in '{path}'")
        out.append((tokens[0], " ".join(tokens[2:])))


# -- the command line ---------------------------------------------------------------------------

def expand_short_flags(argv: list[str]) -> list[str]:
    """Args::parseCmdline's expansion of compound dash options: `-vvv` is
    `-v -v -v` and `-j3` is `-j 3` (up to a `--`)."""
    out: list[str] = []
    dash_dash = False
    for a in argv:
        if dash_dash or a == "--" or len(a) <= 2 or a[0] != "-" or a[1] == "-" or not a[1].isalpha():
            dash_dash = dash_dash or a == "--"
            out.append(a)
            continue
        out.append(a[:2])
        for j in range(2, len(a)):
            if a[j].isalpha():
                out.append("-" + a[j])
            else:
                out.append(a[j:])
                break
    return out


@record
class CommonFlags:
    """What the generic flags of a nix-* command set besides settings."""
    verbosity: int = 0
    read_only: bool = False
    store: str | None = None


def _need(argv: list[str], i: int, n: int) -> list[str]:
    if i + n >= len(argv):
        raise SettingError(f"flag '{argv[i]}' requires {n} argument(s)")
    return argv[i + 1:i + 1 + n]


def parse_common_flag(argv: list[str], i: int, config: Config, common: CommonFlags) -> int | None:
    """One flag of MixCommonArgs / LegacyArgs or a setting's flag at
    argv[i]: the index after it, or None when it is none of those."""
    a = argv[i]
    if a in ("-v", "--verbose"):
        common.verbosity += 1
        return i + 1
    if a == "--quiet":
        common.verbosity -= 1
        return i + 1
    if a == "--debug":
        common.verbosity = 3
        return i + 1
    if a == "--option":
        name, value = _need(argv, i, 2)
        try:
            config.set(name, value)
        except SettingError as e:
            # MixCommonArgs turns a bad --option value into a warning (of the
            # error's whole text, "error: " included)
            config.warn(f"error: {e}")
        return i + 3
    if a == "--log-format":
        (fmt,) = _need(argv, i, 1)
        if fmt not in LOG_FORMATS:
            raise ConfigFileError(f"option 'log-format' has an invalid value '{fmt}'")
        return i + 2
    if a in ("-j", "--max-jobs"):
        (n,) = _need(argv, i, 1)
        config.set("max-jobs", n)
        return i + 2
    if a in ("-Q", "--no-build-output", "--readonly-mode", "--no-gc-warning"):
        if a == "--readonly-mode":
            common.read_only = True
        return i + 1
    if a in ("-K", "--keep-failed", "-k", "--keep-going", "--fallback"):
        name = {"-K": "keep-failed", "-k": "keep-going"}.get(a, a[2:])
        config.override_bool(BY_NAME[name], True)
        return i + 1
    if a in ("--cores", "--max-silent-time", "--timeout"):
        (n,) = _need(argv, i, 1)
        config.set(a[2:], str(int_with_unit_prefix(n)))
        return i + 2
    if a == "--store":
        (common.store,) = _need(argv, i, 1)
        config.set("store", common.store)
        return i + 2
    if not a.startswith("--"):
        return None
    return _setting_flag(argv, i, config)


def _setting_flag(argv: list[str], i: int, config: Config) -> int | None:
    """The flags BaseSetting<T>::convertToArg makes: `--NAME VALUE` (and
    `--extra-NAME VALUE` for lists); `--NAME` / `--no-NAME` for booleans;
    `--sandbox`, `--no-sandbox`, `--relaxed-sandbox`."""
    a = argv[i]
    name = a[2:]
    s = BY_NAME.get(name)
    if s is not None and s.name != name:
        s = None          # aliases have no flags of their own
    if s is not None and s.kind in ("bool", "deprecated-warn"):
        config.override_bool(s, True)
        return i + 1
    if name in ("sandbox", "no-sandbox", "relaxed-sandbox"):
        config.values["sandbox"] = {"sandbox": "true", "no-sandbox": "false"}.get(name, "relaxed")
        config.overridden.add("sandbox")
        return i + 1
    if s is None and name.startswith("no-"):
        b = BY_NAME.get(name[3:])
        if b is not None and b.name == name[3:] and b.kind in ("bool", "deprecated-warn"):
            config.override_bool(b, False)
            return i + 1
    append = False
    if s is None and name.startswith("extra-"):
        s = BY_NAME.get(name[6:])
        if s is None or s.name != name[6:] or s.kind not in APPENDABLE:
            return None
        append = True
    if s is None:
        return None
    (value,) = _need(argv, i, 1)
    if s.xp is not None and s.xp not in config.values["experimental-features"]:
        raise SettingError(f"experimental Nix feature '{s.xp}' is disabled; add "
                           f"'--extra-experimental-features {s.xp}' to enable it")
    config._set(s, value, append)
    config.overridden.add(s.name)
    return i + 2


def load_config(environ=None) -> Config:
    """A Config with the settings of nix.conf files and NIX_CONFIG applied."""
    config = Config(environ)
    config.load_files()
    return config


def load_nix_path_env(config: Config) -> None:
    """initGC: NIX_PATH, when set, overrides the nix-path of the config
    files (the command line, applied after, overrides it in turn)."""
    if "NIX_PATH" in config.environ:
        from .builtins.filesystem import parse_nix_path
        config.values["nix-path"] = parse_nix_path(config.environ["NIX_PATH"])
        config.overridden.add("nix-path")


def eval_options(config: Config, search_path=(), **extra):
    """The EvalOptions the settings ask for: the settings that change
    evaluation; the others do not reach the evaluator."""
    from .evaluator import EvalOptions
    pure = bool(config["pure-eval"])
    lints = tuple(sorted((name[5:], config[name]) for name in
                         ("lint-absolute-path-literals", "lint-short-path-literals", "lint-url-literals")))
    return EvalOptions(
        max_call_depth=config["max-call-depth"], pure=pure, pure_eval=pure,
        restrict_eval=bool(config["restrict-eval"]), allowed_uris=tuple(config["allowed-uris"]),
        allow_ifd=bool(config["allow-import-from-derivation"]),
        nix_path=list(config["nix-path"]) if "nix-path" in config.overridden else None,
        current_system=config["eval-system"] or config["system"],
        experimental_features=set(config["experimental-features"]), lints=lints,
        abort_on_warn=bool(config["abort-on-warn"]), trace_verbose=bool(config["trace-verbose"]),
        search_path=list(search_path), **extra)
