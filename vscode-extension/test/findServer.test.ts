import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliInvocation, findServer, makeWhich, pythonCanServe, toServerSettings, venvCandidates, Which } from "../src/serverDiscovery";

const whichOf = (known: Record<string, string>): Which => (name) => known[name];
const env = { PATH: "/usr/bin", HOME: "/home/me" };

test("the setting wins over PATH", () => {
  const r = findServer({ path: "/opt/pynix/bin/pynix" }, env, whichOf({ pynix: "/usr/bin/pynix" }));
  assert.deepEqual(r, { command: "/opt/pynix/bin/pynix", args: ["lsp"], prefix: [], source: "setting" });
});

test("the setting expands ~ and keeps extra args after lsp", () => {
  const r = findServer({ path: "~/bin/pynix", args: ["--log", "x"] }, env, whichOf({}));
  assert.equal(r?.command, "/home/me/bin/pynix");
  assert.deepEqual(r?.args, ["lsp", "--log", "x"]);
});

test("args that already start with lsp are not doubled", () => {
  const r = findServer({ path: "pynix", args: ["lsp", "--tcp", "127.0.0.1:9000"] }, env, whichOf({}));
  assert.deepEqual(r?.args, ["lsp", "--tcp", "127.0.0.1:9000"]);
});

test("a blank setting falls through to PATH", () => {
  const r = findServer({ path: "   " }, env, whichOf({ pynix: "/usr/bin/pynix", python3: "/usr/bin/python3" }));
  assert.deepEqual(r, { command: "/usr/bin/pynix", args: ["lsp"], prefix: [], source: "path" });
});

test("a workspace folder's .venv comes before PATH, the setting before it", () => {
  const known = whichOf({ "/ws/.venv/bin/pynix": "/ws/.venv/bin/pynix", pynix: "/usr/bin/pynix" });
  const workspaceVenvs = venvCandidates(["/ws"], path.posix, "linux");
  assert.deepEqual(findServer({ workspaceVenvs }, env, known), {
    command: "/ws/.venv/bin/pynix", args: ["lsp"], prefix: [], source: "workspace-venv",
  });
  assert.equal(findServer({ workspaceVenvs, path: "/opt/pynix" }, env, known)?.source, "setting");
});

test("venvCandidates: .venv then venv of each folder, Scripts on Windows", () => {
  assert.deepEqual(venvCandidates(["/a", "/b"], path.posix, "linux"), [
    "/a/.venv/bin/pynix", "/a/venv/bin/pynix", "/b/.venv/bin/pynix", "/b/venv/bin/pynix",
  ]);
  assert.deepEqual(venvCandidates(["C:\\w"], path.win32, "win32"), ["C:\\w\\.venv\\Scripts\\pynix", "C:\\w\\venv\\Scripts\\pynix"]);
});

test("a workspace folder without a venv falls through to PATH", () => {
  const r = findServer({ workspaceVenvs: venvCandidates(["/ws"], path.posix, "linux") }, env, whichOf({ pynix: "/usr/bin/pynix" }));
  assert.equal(r?.source, "path");
});

test("without pynix, the Python extension's interpreter runs -m nixlang lsp", () => {
  const r = findServer(
    { pythonInterpreter: ["/venv/bin/python", "-X", "utf8"] },
    env,
    whichOf({ python3: "/usr/bin/python3" }),
  );
  assert.deepEqual(r, {
    command: "/venv/bin/python",
    args: ["-X", "utf8", "-m", "nixlang", "lsp"],
    prefix: ["-X", "utf8", "-m", "nixlang"],
    source: "python-extension",
  });
});

test("without pynix or a Python extension, python3 runs -m nixlang lsp", () => {
  const r = findServer({ pythonInterpreter: [] }, env, whichOf({ python3: "/usr/bin/python3" }));
  assert.deepEqual(r, { command: "/usr/bin/python3", args: ["-m", "nixlang", "lsp"], prefix: ["-m", "nixlang"], source: "python3" });
});

test("a Python interpreter serves only if it imports nixlang; pynix executables are not probed", () => {
  const asked: string[][] = [];
  const probe = (ok: boolean) => (command: string, args: string[]) => (asked.push([command, ...args]), ok ? 0 : 1);
  const viaPython = findServer({ pythonInterpreter: ["/venv/bin/python", "-X", "utf8"] }, env, whichOf({}))!;
  assert.equal(pythonCanServe(viaPython, probe(true)), true);
  assert.deepEqual(asked.pop(), ["/venv/bin/python", "-X", "utf8", "-c", "import nixlang"]);
  const python3 = findServer({}, env, whichOf({ python3: "/usr/bin/python3" }))!;
  assert.equal(pythonCanServe(python3, probe(false)), false);
  assert.deepEqual(asked.pop(), ["/usr/bin/python3", "-c", "import nixlang"]);
  assert.equal(pythonCanServe(python3, () => null), false, "an interpreter that cannot run does not serve");
  const onPath = findServer({}, env, whichOf({ pynix: "/usr/bin/pynix" }))!;
  assert.equal(pythonCanServe(onPath, probe(false)), true);
  assert.equal(asked.length, 0);
});

test("nothing found gives undefined", () => {
  assert.equal(findServer({}, env, whichOf({})), undefined);
});

test("cliInvocation swaps lsp for another subcommand", () => {
  const viaPython = findServer({}, env, whichOf({ python3: "/usr/bin/python3" }))!;
  assert.deepEqual(cliInvocation(viaPython, ["eval", "f.nix"]), { command: "/usr/bin/python3", args: ["-m", "nixlang", "eval", "f.nix"] });
  const direct = findServer({ path: "/p/pynix", args: ["--x"] }, env, whichOf({}))!;
  assert.deepEqual(cliInvocation(direct, ["explain", "E201"]), { command: "/p/pynix", args: ["explain", "E201"] });
});

test("makeWhich finds executables on PATH and skips non-executables", { skip: process.platform === "win32" }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pynix-which-"));
  const a = path.join(dir, "a");
  const b = path.join(dir, "b");
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  fs.writeFileSync(path.join(a, "pynix"), "not executable", { mode: 0o644 });
  fs.writeFileSync(path.join(b, "pynix"), "#!/bin/sh\n", { mode: 0o755 });
  fs.mkdirSync(path.join(a, "python3")); // a directory is not a program
  const which = makeWhich(fs, path, process.platform);
  const pathVar = [a, b].join(path.delimiter);
  assert.equal(which("pynix", { PATH: pathVar }), path.join(b, "pynix"));
  assert.equal(which("python3", { PATH: a }), undefined);
  assert.equal(which("pynix", { PATH: "" }), undefined);
  fs.rmSync(dir, { recursive: true });
});

test("settings are mapped to the server's evaluation keys", () => {
  const s = toServerSettings({ eval: { budgetSeconds: 5 }, hover: { values: false } });
  assert.deepEqual(s.evaluation, { enable: true, timeout: 5 });
  assert.deepEqual(s.hover, { values: false });
  assert.deepEqual(toServerSettings({ eval: { budgetSeconds: 0 } }).evaluation, { enable: false, timeout: 0 });
  assert.equal(toServerSettings({}).evaluation, undefined);
  // the evaluation.* settings the server shares with the extension are kept beside enable/timeout
  const restricted = toServerSettings({ eval: { budgetSeconds: 2 }, evaluation: { restricted: true, allowedPaths: ["/src"] } });
  assert.deepEqual(restricted.evaluation, { restricted: true, allowedPaths: ["/src"], enable: true, timeout: 2 });
  // the nixpkgs folder goes as it is (empty: the server finds it as Nix would)
  assert.equal(toServerSettings({ nixpkgs: "/src/nixpkgs" }).nixpkgs, "/src/nixpkgs");
  assert.equal(toServerSettings({ nixpkgs: "" }).nixpkgs, "");
});
