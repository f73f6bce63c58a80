/**
 * Starts the real pynix language server, found by the extension's own findServer,
 * and completes an LSP initialize handshake over stdio with vscode-jsonrpc.
 *
 * The server is looked up as the extension does (PYNIX_SERVER_PATH standing in for the
 * `pynix.server.path` setting; else the repository's .venv; else PATH, else python3).
 * Skips, with a message, when no server can be found.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as cp from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as rpc from "vscode-jsonrpc/node";
import { findServer, makeWhich, toServerSettings, ServerCommand } from "../src/serverDiscovery";

function locate(): { server?: ServerCommand; why?: string } {
  const which = makeWhich(fs, path, process.platform);
  // out/test/handshake.test.js -> the extension folder -> the repository
  const extDir = path.resolve(__dirname, "..", "..");
  const venv = path.resolve(extDir, "..", ".venv", "bin", "pynix");
  const configured = process.env.PYNIX_SERVER_PATH || (fs.existsSync(venv) ? venv : undefined);
  const server = findServer({ path: configured }, process.env, which);
  if (!server) return { why: "no pynix server found (set PYNIX_SERVER_PATH, or put pynix or python3 on PATH)" };
  if (server.source === "python3") {
    const probe = cp.spawnSync(server.command, ["-c", "import nixlang, pygls"], { encoding: "utf8" });
    if (probe.status !== 0) return { why: `${server.command} cannot import nixlang and pygls` };
  }
  return { server };
}

const found = locate();

test("LSP initialize handshake with the real server", { skip: found.why, timeout: 60_000 }, async () => {
  const server = found.server!;
  console.log(`# server: ${server.command} ${server.args.join(" ")} (via ${server.source})`);
  const proc = cp.spawn(server.command, server.args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += String(d)));
  const conn = rpc.createMessageConnection(
    new rpc.StreamMessageReader(proc.stdout),
    new rpc.StreamMessageWriter(proc.stdin),
  );
  const settings = toServerSettings({ eval: { budgetSeconds: 3 }, hover: { values: true } });
  let configurationAsked: (items: unknown) => void = () => undefined;
  const asked = new Promise<unknown>((resolve) => (configurationAsked = resolve));
  conn.onRequest("workspace/configuration", (params: { items: { section?: string }[] }) => {
    configurationAsked(params.items);
    return params.items.map((it) => (it.section === "pynix" ? settings : null));
  });
  conn.onNotification(() => undefined);
  conn.onRequest(() => null); // client/registerCapability, window/workDoneProgress/create, ...
  conn.listen();
  try {
    type InitializeResult = { capabilities: Record<string, unknown>; serverInfo?: { name: string; version?: string } };
    const result = await conn.sendRequest<InitializeResult>("initialize", {
      processId: process.pid,
      rootUri: null,
      clientInfo: { name: "pynix-vscode-handshake-test" },
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: {
          hover: { contentFormat: ["markdown", "plaintext"] },
          completion: { completionItem: { snippetSupport: true } },
          synchronization: { didSave: true },
        },
      },
      initializationOptions: { pynix: settings },
    });
    const caps = result.capabilities;
    console.log(`# serverInfo: ${JSON.stringify(result.serverInfo)}`);
    console.log(`# capabilities: ${JSON.stringify(caps)}`);
    assert.ok(caps.hoverProvider, "hoverProvider");
    assert.ok(caps.definitionProvider, "definitionProvider");
    assert.ok(caps.completionProvider, "completionProvider");
    assert.ok(caps.textDocumentSync !== undefined && caps.textDocumentSync !== null, "textDocumentSync");
    const sync = caps.textDocumentSync as number | { openClose?: boolean; change?: number };
    const change = typeof sync === "number" ? sync : sync.change;
    assert.ok(change === 1 || change === 2, `textDocumentSync change kind is Full or Incremental (got ${change})`);

    await conn.sendNotification("initialized", {});
    // The server pulls section `pynix` through workspace/configuration after `initialized`.
    // (the timers are unref'd: a pending one must not keep node, and the test run, waiting)
    const items = await Promise.race([asked, new Promise((r) => setTimeout(() => r("timeout"), 10_000).unref())]);
    console.log(`# workspace/configuration asked for: ${JSON.stringify(items)}`);
    assert.deepEqual(items, [{ section: "pynix" }]);

    // A document round trip: the server publishes diagnostics for an unbound name.
    const diagnostics = new Promise<{ uri: string; diagnostics: { code?: string; message: string }[] }>((resolve) =>
      conn.onNotification("textDocument/publishDiagnostics", resolve),
    );
    await conn.sendNotification("textDocument/didOpen", {
      textDocument: { uri: "untitled:handshake.nix", languageId: "nix", version: 1, text: "let a = 1; in b" },
    });
    const published = await Promise.race([
      diagnostics,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000).unref()),
    ]);
    assert.ok(published, "publishDiagnostics arrived");
    console.log(`# diagnostics: ${JSON.stringify(published.diagnostics.map((d) => [d.code, d.message]))}`);
    assert.ok(published.diagnostics.length > 0, "an unbound variable is reported");

    await conn.sendRequest("shutdown");
    await conn.sendNotification("exit");
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => { proc.kill(); resolve(null); }, 5000);
      proc.on("exit", (c) => { clearTimeout(t); resolve(c); });
    });
    assert.equal(code, 0, `server exited cleanly (stderr: ${stderr.slice(-2000)})`);
  } finally {
    conn.dispose();
    if (proc.exitCode === null) proc.kill();
  }
});
