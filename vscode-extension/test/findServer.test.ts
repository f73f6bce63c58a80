import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliInvocation, findServer, makeWhich, toServerSettings, Which } from "../src/serverDiscovery";

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
});
