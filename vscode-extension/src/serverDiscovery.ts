/**
 * Finding the pynix language server. Pure and vscode-free so that it can be
 * unit-tested and reused by the handshake test.
 *
 * Order:
 *   1. the setting `pynix.server.path` (an executable; `lsp` is appended unless
 *      the user's args already start with it),
 *   2. `pynix` in a virtual environment of a workspace folder (`.venv` or `venv`),
 *      as a clone of pynix, or a project that installed it, has one; the
 *      extension host's PATH is the login shell's, which rarely holds a venv,
 *   3. `pynix` on PATH,
 *   4. the Python extension's interpreter, else `python3`, running `-m nixlang lsp`,
 *   5. undefined: the caller tells the user how to install pynix.
 */

export interface ServerSettings {
  /** `pynix.server.path` */
  path?: string;
  /** `pynix.server.args` */
  args?: string[];
  /** Interpreter chosen in the Python extension, if any (a command and its leading args). */
  pythonInterpreter?: string[];
  /** `pynix` executables of the workspace folders' virtual environments, in order (see venvCandidates). */
  workspaceVenvs?: string[];
}

export interface ServerCommand {
  command: string;
  args: string[];
  /** args that precede the pynix subcommand (e.g. `-m nixlang` for a Python interpreter) */
  prefix: string[];
  /** how it was found, for the output channel */
  source: "setting" | "workspace-venv" | "path" | "python-extension" | "python3";
}

/** Resolves an executable name on PATH to a full path, or undefined. */
export type Which = (name: string, env: NodeJS.ProcessEnv) => string | undefined;

export function findServer(
  settings: ServerSettings,
  env: NodeJS.ProcessEnv,
  which: Which,
): ServerCommand | undefined {
  const extra = (settings.args ?? []).filter((a) => typeof a === "string");
  const withLsp = (head: string[]): string[] =>
    extra[0] === "lsp" ? [...head, ...extra] : [...head, "lsp", ...extra];

  const configured = settings.path?.trim();
  if (configured) {
    const expanded = expandHome(configured, env);
    return { command: expanded, args: withLsp([]), prefix: [], source: "setting" };
  }
  for (const candidate of settings.workspaceVenvs ?? []) {
    const exe = which(candidate, env);
    if (exe) return { command: exe, args: withLsp([]), prefix: [], source: "workspace-venv" };
  }
  const onPath = which("pynix", env);
  if (onPath) {
    return { command: onPath, args: withLsp([]), prefix: [], source: "path" };
  }
  const interp = settings.pythonInterpreter?.filter((s) => !!s);
  if (interp && interp.length > 0) {
    return {
      command: interp[0],
      args: withLsp([...interp.slice(1), "-m", "nixlang"]),
      prefix: [...interp.slice(1), "-m", "nixlang"],
      source: "python-extension",
    };
  }
  const python = which("python3", env);
  if (python) {
    return { command: python, args: withLsp(["-m", "nixlang"]), prefix: ["-m", "nixlang"], source: "python3" };
  }
  return undefined;
}

/** Runs a command to its end; its exit status, null when it could not run. */
export type Probe = (command: string, args: string[]) => number | null;

/**
 * A Python interpreter (found as `python3` or through the Python extension) serves only if it
 * can import pynix: otherwise `-m nixlang lsp` dies at once, the client restarts it until it
 * gives up, and the user sees crash messages instead of the one "not found" message with
 * install instructions. `pynix` executables (setting, venv, PATH) are taken as they are.
 */
export function pythonCanServe(found: ServerCommand, probe: Probe): boolean {
  if (found.source !== "python3" && found.source !== "python-extension") return true;
  const interpreterArgs = found.prefix.slice(0, -2); // before `-m nixlang`
  return probe(found.command, [...interpreterArgs, "-c", "import nixlang"]) === 0;
}

/** Where a virtual environment of each workspace folder would hold `pynix`. */
export function venvCandidates(
  folders: string[],
  path: { join(...parts: string[]): string },
  platform: NodeJS.Platform,
): string[] {
  const bin = platform === "win32" ? "Scripts" : "bin";
  return folders.flatMap((f) => [".venv", "venv"].map((v) => path.join(f, v, bin, "pynix")));
}

export function expandHome(p: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME ?? env.USERPROFILE;
  if (home && (p === "~" || p.startsWith("~/"))) {
    return home + p.slice(1);
  }
  return p;
}

/**
 * A `which` over the file system: PATH (and PATHEXT on Windows).
 * `fs` and `path` are passed in so this module stays dependency-free for tests.
 */
export function makeWhich(
  fs: { statSync(p: string): { isFile(): boolean }; accessSync(p: string, mode?: number): void; constants: { X_OK: number } },
  path: { join(...parts: string[]): string; delimiter: string; isAbsolute(p: string): boolean },
  platform: NodeJS.Platform,
): Which {
  const isExe = (p: string): boolean => {
    try {
      if (!fs.statSync(p).isFile()) return false;
      if (platform !== "win32") fs.accessSync(p, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  return (name, env) => {
    const exts = platform === "win32" ? ["", ...(env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";")] : [""];
    if (path.isAbsolute(name)) {
      return exts.map((e) => name + e).find(isExe);
    }
    const dirs = (env.PATH ?? env.Path ?? "").split(path.delimiter).filter((d) => d);
    for (const dir of dirs) {
      for (const e of exts) {
        const candidate = path.join(dir, name + e);
        if (isExe(candidate)) return candidate;
      }
    }
    return undefined;
  };
}

/** The `pynix.*` settings as the server understands them (section `pynix`). */
export interface ClientSettings {
  server?: { path?: string; args?: string[] };
  eval?: { budgetSeconds?: number };
  evaluation?: { restricted?: boolean; allowedPaths?: string[]; nixPath?: string[]; memoryLimitMB?: number };
  hover?: { values?: boolean };
  nixpkgs?: string;
  modules?: { enable?: boolean; roots?: string[]; nixos?: string; nixpkgs?: string };
  trace?: { server?: string };
}

/**
 * Map the extension's settings onto the server's: the server reads
 * `evaluation.enable` / `evaluation.timeout` (beside the `evaluation.*`
 * settings it shares with the extension); the extension's own keys are
 * passed through unchanged as well.
 */
export function toServerSettings(s: ClientSettings): Record<string, unknown> {
  const out = JSON.parse(JSON.stringify(s ?? {})) as Record<string, unknown>;
  const budget = s?.eval?.budgetSeconds;
  if (typeof budget === "number" && Number.isFinite(budget)) {
    out.evaluation = {
      ...(s.evaluation ?? {}),
      enable: budget > 0,
      timeout: Math.max(0, Math.min(600, budget)),
    };
  }
  return out;
}

/** The command line for another pynix subcommand (`eval`, `explain`, ...) of a found server. */
export function cliInvocation(found: ServerCommand, args: string[]): { command: string; args: string[] } {
  return { command: found.command, args: [...found.prefix, ...args] };
}
