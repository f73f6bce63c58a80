"""The build sandbox: a builder runs in a fresh mount, user, PID, IPC, UTS and
network namespace made by bubblewrap (`bwrap`, Debian's `bubblewrap`), the
way Nix's LocalDerivationGoal sets up its chroot on Linux:

- the file system holds only what the build may use: the input closure,
  bound read-only at its store paths; the store directory itself writable,
  so the builder can create its outputs there (they land in a staging
  folder outside the real store); the build directory at `/build`, the
  working directory; `/proc`, a minimal `/dev`, an empty `/tmp` (mode
  1777); Nix's
  `/etc/passwd`, `/etc/group` and `/etc/hosts`; and the `sandbox-paths`
  (by default the host's `/bin`, `/usr`, `/lib`, `/lib64`, read-only, so
  that `/bin/sh` exists, as the sandbox-paths options of Nix give it);
- the builder runs as uid 1000, gid 100 (`nixbld`), host name `localhost`;
- no network, except for fixed-output derivations (whose result is checked
  by hash), which also get the host's `/etc/resolv.conf` and `/etc/services`.

Without a usable bwrap the builder runs unsandboxed, with a warning. A
bwrap older than 0.9 cannot set argv[0]: the builder sees its full path as
`$0` where Nix gives its base name.
"""
from __future__ import annotations

import os
import shutil
import subprocess

SANDBOX_BUILD_DIR = "/build"
SANDBOX_UID = 1000
SANDBOX_GID = 100

# what Nix writes into the chroot's /etc (LocalDerivationGoal::startBuilder)
ETC_PASSWD = ("root:x:0:0:Nix build user:{home}:/noshell\n"
              "nixbld:x:{uid}:{gid}:Nix build user:{home}:/noshell\n"
              "nobody:x:65534:65534:Nobody:/:/noshell\n")
ETC_GROUP = "root:x:0:\nnixbld:!:{gid}:\nnogroup:x:65534:\n"
ETC_HOSTS = "127.0.0.1 localhost\n::1 localhost\n"

# the host's tools the sandbox sees unless `sandbox-paths` says otherwise
DEFAULT_SANDBOX_PATHS = ("/bin", "/usr", "/lib", "/lib64")

_probed: dict[str, str | None] = {}


def find_bwrap() -> tuple[str | None, str]:
    """The bwrap to use and, when there is none, why. PYNIX_BWRAP names
    another program, or `none` to build without a sandbox."""
    choice = os.environ.get("PYNIX_BWRAP", "")
    if choice == "none":
        return None, "PYNIX_BWRAP=none"
    exe = choice or shutil.which("bwrap")
    if not exe:
        return None, "bwrap is not installed (Debian package: bubblewrap)"
    if exe not in _probed:
        _probed[exe] = _probe(exe)
    problem = _probed[exe]
    return (None, problem) if problem else (exe, "")


def supports_argv0(exe: str) -> bool:
    """Does this bwrap take `--argv0` (0.9 and later)? Nix runs the builder
    with argv[0] its base name (`sh`); an older bwrap gives the full path."""
    key = exe + " --argv0"
    if key not in _probed:
        try:
            text = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            text = ""
        _probed[key] = "yes" if "--argv0" in text else None
    return _probed[key] is not None


def _probe(exe: str) -> str | None:
    """Can this bwrap make the namespaces a build needs? (None: yes.)"""
    try:
        proc = subprocess.run([exe, "--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
                               "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--", "true"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap cannot run: {exc}"
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()
        return "bwrap cannot make a sandbox here" + (f" ({reason[-1]})" if reason else "")
    return None


def parse_sandbox_paths(entries) -> list[tuple[str, str, bool]]:
    """The `sandbox-paths` setting: `TARGET=SOURCE` or `PATH`, a trailing `?`
    meaning optional. Gives (target, source, optional)."""
    out = []
    for entry in entries:
        optional = entry.endswith("?")
        if optional:
            entry = entry[:-1]
        target, eq, source = entry.partition("=")
        out.append((target, source if eq else target, optional))
    return out


def default_sandbox_paths() -> list[tuple[str, str, bool]]:
    """The host's /bin, /usr, /lib, /lib64, each bound where it is (a symlink,
    as /bin on a merged-/usr system, bound as the folder it points to)."""
    return [(p, os.path.realpath(p), True) for p in DEFAULT_SANDBOX_PATHS]


def bwrap_command(exe: str, *, store_dir: str, staging_store: str, inputs: dict[str, str], build_dir: str,
                  etc_dir: str, sandbox_paths: list[tuple[str, str, bool]], network: bool,
                  argv: list[str], argv0: str | None = None) -> list[str]:
    """The bwrap command line that runs `argv` in the sandbox. `inputs` maps
    each store path of the input closure to where its object is on disk;
    `staging_store` becomes the (writable) store directory; `etc_dir` holds
    the passwd, group and hosts files; `argv0` (for a bwrap that supports
    it) is the program's argv[0]."""
    cmd = [exe, "--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
           "--hostname", "localhost", "--die-with-parent", "--new-session",
           "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--dir", "/etc"]
    if network:
        cmd.append("--share-net")
    for name in ("passwd", "group"):
        cmd += ["--ro-bind", os.path.join(etc_dir, name), "/etc/" + name]
    host_files = ("hosts", "resolv.conf", "services") if network else ()
    for name in ("hosts", "resolv.conf", "services"):
        if name in host_files and os.path.exists("/etc/" + name):
            cmd += ["--ro-bind", os.path.realpath("/etc/" + name), "/etc/" + name]
        elif name == "hosts":
            cmd += ["--ro-bind", os.path.join(etc_dir, name), "/etc/hosts"]
    for target, source, optional in sandbox_paths:
        if not os.path.lexists(source):
            if optional:
                continue
            from .errors import StoreError
            raise StoreError(f"path '{source}' is configured as part of the `sandbox-paths` option, "
                             "but is inaccessible")
        cmd += ["--ro-bind", source, target]
    cmd += ["--bind", staging_store, store_dir]
    for path in sorted(inputs):
        if os.path.islink(inputs[path]):       # a store object that is a symlink stays one
            cmd += ["--symlink", os.readlink(inputs[path]), path]
        else:
            cmd += ["--ro-bind", inputs[path], path]
    cmd += ["--bind", build_dir, SANDBOX_BUILD_DIR, "--chdir", SANDBOX_BUILD_DIR]
    if argv0 is not None:
        cmd += ["--argv0", argv0]
    return cmd + ["--"] + argv


def write_etc(etc_dir: str) -> None:
    """Nix's /etc/passwd, /etc/group and /etc/hosts for the sandbox."""
    os.makedirs(etc_dir, exist_ok=True)
    files = {"passwd": ETC_PASSWD.format(home=SANDBOX_BUILD_DIR, uid=SANDBOX_UID, gid=SANDBOX_GID),
             "group": ETC_GROUP.format(gid=SANDBOX_GID), "hosts": ETC_HOSTS}
    for name, text in files.items():
        with open(os.path.join(etc_dir, name), "w") as f:
            f.write(text)
