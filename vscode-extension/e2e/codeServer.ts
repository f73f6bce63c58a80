/**
 * The real editor for the end-to-end suite: code-server (VS Code in a browser, installed by
 * e2e/setup.sh into the test cache) with the freshly built .vsix installed in a fresh
 * extensions folder, no user settings, serving a workspace copied from e2e/workspace, and
 * the processes it starts (the language server among them) found through /proc.
 */
import * as cp from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const EXT_DIR = path.resolve(__dirname, "..", "..");
export const REPO = path.dirname(EXT_DIR);
const E2E_SRC = path.join(EXT_DIR, "e2e");

interface Versions {
  codeServer: string;
  vscode: string;
  node: number;
}
export const versions = JSON.parse(fs.readFileSync(path.join(E2E_SRC, "versions.json"), "utf8")) as Versions;

function cacheRoot(): string {
  const setting = process.env.PYNIX_TEST_CACHE;
  return setting && setting !== "off" ? setting : path.join(os.homedir(), ".cache", "pynix-tests");
}

/** code-server's entry script, or an error that says to run the set-up. */
export function codeServerEntry(): string {
  const dir = path.join(cacheRoot(), `code-server-${versions.codeServer}`);
  const entry = path.join(dir, "node_modules", "code-server", "out", "node", "entry.js");
  if (!fs.existsSync(path.join(dir, ".complete")) || !fs.existsSync(entry)) {
    throw new Error(`code-server ${versions.codeServer} is not installed in ${dir}: run e2e/setup.sh first`);
  }
  return entry;
}

/** The .vsix `npm run package` just built (package.json's name and version). */
export function builtVsix(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(EXT_DIR, "package.json"), "utf8")) as { name: string; version: string };
  const vsix = path.join(EXT_DIR, `${pkg.name}-${pkg.version}.vsix`);
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: npm run package builds it`);
  return vsix;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.setTimeout(5000, () => req.destroy());
  });
}

function copyTree(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true });
}

export interface CodeServer {
  url: string;
  workspace: string;
  /** code-server's own process id (its process group: it was started detached). */
  pid: number;
  log: () => string;
  stop: () => Promise<void>;
}

/**
 * Copies the workspace, gives it the repository's virtual environment as its `.venv` (the
 * extension finds `pynix` there by itself), installs the .vsix and starts code-server on a
 * free loopback port, resolving once it answers.
 */
export async function startCodeServer(root: string, vsix: string): Promise<CodeServer> {
  const entry = codeServerEntry();
  const workspace = path.join(root, "workspace");
  copyTree(path.join(E2E_SRC, "workspace"), workspace);
  const venv = path.join(REPO, ".venv");
  if (!fs.existsSync(path.join(venv, "bin", "pynix"))) throw new Error(`${venv}/bin/pynix is missing: run e2e/setup.sh`);
  fs.symlinkSync(venv, path.join(workspace, ".venv"));

  const userData = path.join(root, "user-data");
  const extensions = path.join(root, "extensions");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_DATA_HOME: path.join(root, "xdg-data"),
    XDG_CONFIG_HOME: path.join(root, "xdg-config"),
  };
  // the VS Code version the suite claims to test (package.json's engines.vscode follows it)
  const reported = cp.spawnSync(process.execPath, [entry, "--version"], { env, encoding: "utf8", timeout: 120_000 }).stdout;
  if (!reported.includes(`${versions.codeServer} `) || !reported.includes(`with Code ${versions.vscode}`)) {
    throw new Error(`code-server reports ${JSON.stringify(reported.trim())}; e2e/versions.json says ${versions.codeServer} with Code ${versions.vscode}`);
  }
  const common = ["--user-data-dir", userData, "--extensions-dir", extensions, "--config", path.join(root, "config.yaml")];
  const install = cp.spawnSync(process.execPath, [entry, ...common, "--install-extension", vsix], {
    env, encoding: "utf8", timeout: 300_000,
  });
  if (install.status !== 0 || !/successfully installed/.test(install.stdout)) {
    throw new Error(`installing ${vsix} failed:\n${install.stdout}\n${install.stderr}`);
  }

  const port = await freePort();
  const logFile = path.join(root, "code-server.log");
  const out = fs.openSync(logFile, "w");
  const proc = cp.spawn(
    process.execPath,
    [entry, ...common, "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry",
      "--disable-update-check", "--disable-getting-started-override", workspace],
    { env, detached: true, stdio: ["ignore", out, out] },
  );
  fs.closeSync(out);
  // Never leave it behind: it runs in a process group of its own, ended with this process
  // however this process ends (a failed step, Ctrl-C, a CI time-out's SIGTERM).
  const killGroup = (): void => {
    try { process.kill(-proc.pid!, "SIGKILL"); } catch { /* gone already */ }
  };
  process.once("exit", killGroup);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killGroup();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 180_000;
  while ((await httpStatus(url + "healthz")) !== 200) {
    if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}):\n${fs.readFileSync(logFile, "utf8")}`);
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url}:\n${fs.readFileSync(logFile, "utf8")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const pid = proc.pid!;
  return {
    url,
    workspace,
    pid,
    log: () => fs.readFileSync(logFile, "utf8"),
    stop: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      try {
        process.kill(-pid, "SIGTERM"); // the whole group it started: extension host, language server
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Processes under `ancestor` (by /proc's parent links) whose command line matches. */
export function descendants(ancestor: number, match: (argv: string[]) => boolean): number[] {
  const parent = new Map<number, number>();
  const argvs = new Map<number, string[]>();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(name), ppid);
      argvs.set(Number(name), fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").filter((s) => s));
    } catch {
      // the process ended while we looked
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === ancestor) return true;
    return false;
  };
  return [...argvs.entries()].filter(([pid, argv]) => under(pid) && match(argv)).map(([pid]) => pid);
}

/** The language server processes the extension started: `…/.venv/bin/pynix lsp` under code-server. */
export function languageServers(server: CodeServer): number[] {
  return descendants(server.pid, (argv) => argv.some((a) => a.endsWith(path.join(".venv", "bin", "pynix"))) && argv.includes("lsp"));
}
