import * as cp from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandler,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";
import {
  ClientSettings,
  ServerCommand,
  cliInvocation,
  findServer,
  makeWhich,
  Probe,
  pythonCanServe,
  toServerSettings,
  venvCandidates,
} from "./serverDiscovery";

const RESULT_SCHEME = "pynix-result";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let traceOutput: vscode.OutputChannel;
let found: ServerCommand | undefined;
let extensionUri: vscode.Uri;
const results = new Map<string, string>();
const resultsChanged = new vscode.EventEmitter<vscode.Uri>();
let resultCounter = 0;

const which = makeWhich(fs, path, process.platform);

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionUri = context.extensionUri;
  output = vscode.window.createOutputChannel("pynix");
  traceOutput = vscode.window.createOutputChannel("pynix (trace)");
  context.subscriptions.push(output, traceOutput, resultsChanged);

  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, {
      onDidChange: resultsChanged.event,
      provideTextDocumentContent: (uri) => results.get(uri.toString()) ?? "",
    }),
    vscode.commands.registerCommand("pynix.restartServer", () => restartServer()),
    vscode.commands.registerCommand("pynix.evaluateFile", () => evaluateFile()),
    vscode.commands.registerCommand("pynix.evaluateSelection", () => evaluateSelection()),
    vscode.commands.registerCommand("pynix.showDerivation", () => showDerivation()),
    vscode.commands.registerCommand("pynix.explainError", (code?: string) => explainError(code)),
    vscode.languages.registerCodeActionsProvider({ language: "nix" }, new ExplainActions(), {
      providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("pynix.server")) {
        await restartServer();
      }
    }),
  );

  await startServer();
}

export async function deactivate(): Promise<void> {
  await stopServer();
}

// -- server discovery and lifecycle ------------------------------------------------------------

/** The parts of the Python extension's API this client uses (all optional: versions differ). */
interface PythonExtensionApi {
  settings?: { getExecutionDetails?(resource?: vscode.Uri): { execCommand?: unknown } | undefined };
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): unknown;
    resolveEnvironment?(path: unknown): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string[] | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!ext) return undefined;
  try {
    const api: PythonExtensionApi | undefined = ext.isActive ? ext.exports : await ext.activate();
    const cmd = api?.settings?.getExecutionDetails?.(resource)?.execCommand;
    if (Array.isArray(cmd) && cmd.length > 0 && cmd.every((c): c is string => typeof c === "string")) {
      return cmd;
    }
    const envPath = api?.environments?.getActiveEnvironmentPath?.(resource);
    if (envPath && api?.environments?.resolveEnvironment) {
      const env = await api.environments.resolveEnvironment(envPath);
      const exe = env?.executable?.uri?.fsPath;
      if (exe) return [exe];
    }
  } catch (err) {
    output.appendLine(`Could not ask the Python extension for its interpreter: ${String(err)}`);
  }
  return undefined;
}

async function discover(): Promise<ServerCommand | undefined> {
  const cfg = vscode.workspace.getConfiguration("pynix");
  const settings = {
    path: cfg.get<string>("server.path", ""),
    args: cfg.get<string[]>("server.args", []),
    pythonInterpreter: undefined as string[] | undefined,
    workspaceVenvs: venvCandidates(
      (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath),
      path,
      process.platform,
    ),
  };
  let result = findServer(settings, process.env, which);
  if (!result || result.source === "python3") {
    // Only ask the Python extension when neither the setting nor PATH gave a server.
    settings.pythonInterpreter = await pythonExtensionInterpreter(vscode.window.activeTextEditor?.document.uri);
    result = findServer(settings, process.env, which) ?? result;
  }
  if (result && !pythonCanServe(result, probe)) {
    output.appendLine(`${result.command} cannot import nixlang: pynix is not installed for it.`);
    if (result.source !== "python-extension") return undefined;
    const plain = findServer({ ...settings, pythonInterpreter: undefined }, process.env, which);
    return plain && pythonCanServe(plain, probe) ? plain : undefined;
  }
  return result;
}

const probe: Probe = (command, args) =>
  cp.spawnSync(command, args, { stdio: "ignore", timeout: 30_000, env: process.env }).status;

function currentSettings(): ClientSettings {
  const cfg = vscode.workspace.getConfiguration("pynix");
  return {
    server: { path: cfg.get("server.path"), args: cfg.get("server.args") },
    eval: { budgetSeconds: cfg.get("eval.budgetSeconds") },
    evaluation: {
      restricted: cfg.get("evaluation.restricted"),
      allowedPaths: cfg.get("evaluation.allowedPaths"),
      nixPath: cfg.get("evaluation.nixPath"),
      memoryLimitMB: cfg.get("evaluation.memoryLimitMB"),
    },
    hover: { values: cfg.get("hover.values") },
    nixpkgs: cfg.get("nixpkgs"),
    modules: {
      enable: cfg.get("modules.enable"),
      roots: cfg.get("modules.roots"),
      nixos: cfg.get("modules.nixos"),
      nixpkgs: cfg.get("modules.nixpkgs"),
    },
    trace: { server: cfg.get("trace.server") },
  };
}

/** How the server was found, said after "found". */
const SOURCES: Record<ServerCommand["source"], string> = {
  setting: "through the setting pynix.server.path",
  "workspace-venv": "in the workspace's virtual environment",
  path: "on PATH",
  "python-extension": "through the Python extension's interpreter",
  python3: "as python3",
};

/**
 * The client's own restart policy (restart after a crash, at most 4 times in 3 minutes), but
 * telling the user: the default only writes to the output channel, so a server that dies
 * (killed, out of memory) and comes back would go unnoticed, and so would lost state.
 */
class RestartingErrorHandler implements ErrorHandler {
  private restarts: number[] = [];
  /** the connection closed and a restart is under way */
  restarting = false;

  error(error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    // Writing to a server that just died fails (EPIPE) once per queued request, before the
    // close is seen: shutting down then (the default after 3 errors) would stop the client
    // for good instead of restarting the server. The close that follows restarts it.
    if (brokenPipe(error)) return { action: ErrorAction.Continue, handled: true };
    return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.restarts = [...this.restarts.filter((t) => now - t < 3 * 60_000), now];
    if (this.restarts.length > 4) {
      this.restarting = false;
      return {
        action: CloseAction.DoNotRestart,
        message: "pynix: the language server stopped 5 times in 3 minutes and is not restarted again. See the pynix output, then run 'pynix: Restart server'.",
      };
    }
    this.restarting = true;
    output.appendLine("The language server stopped unexpectedly; restarting it.");
    return { action: CloseAction.Restart, handled: true };
  }
}

function brokenPipe(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  return ["EPIPE", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"].includes(code) || /\bEPIPE\b/.test(error.message);
}

async function startServer(): Promise<void> {
  found = await discover();
  if (!found) {
    output.appendLine("pynix was not found: set pynix.server.path, or put `pynix` on PATH, or install it for python3.");
    const choice = await vscode.window.showErrorMessage(
      "pynix: the language server was not found. Install pynix or set `pynix.server.path`.",
      "Install instructions",
      "Open settings",
    );
    if (choice === "Install instructions") {
      await openInstallInstructions();
    } else if (choice === "Open settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "pynix.server");
    }
    return;
  }
  output.appendLine(`Starting ${found.command} ${found.args.join(" ")} (found ${SOURCES[found.source]})`);
  const errorHandler = new RestartingErrorHandler();

  const serverOptions: ServerOptions = {
    command: found.command,
    args: found.args,
    transport: TransportKind.stdio,
    options: { env: process.env },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "nix" },
      { scheme: "untitled", language: "nix" },
      // the server checks a flake.nix against the flake.lock beside it: an open
      // lock's unsaved text, when the lock is synchronised too
      { scheme: "file", pattern: "**/flake.lock" },
    ],
    outputChannel: output,
    traceOutputChannel: traceOutput,
    errorHandler,
    // A request that fails (as all do while a dead server is restarted) is logged in the
    // output channel, not shown as a notification the user can do nothing about.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: { pynix: toServerSettings(currentSettings()) },
    synchronize: { configurationSection: "pynix" },
    middleware: {
      workspace: {
        // The server asks for section `pynix`; answer with the mapped settings.
        configuration: async (params, token, next) => {
          const answer = await next(params, token);
          if (!Array.isArray(answer)) return answer;
          const values: unknown[] = answer;
          return params.items.map((item, i): unknown =>
            item.section === "pynix" ? toServerSettings(currentSettings()) : values[i],
          );
        },
      },
    },
  };
  client = new LanguageClient("pynix", "pynix", serverOptions, clientOptions);
  client.onDidChangeState((e) => {
    if (e.newState === State.Running && errorHandler.restarting) {
      errorHandler.restarting = false;
      output.appendLine("The language server was restarted after it stopped unexpectedly.");
      void vscode.window
        .showWarningMessage("pynix: the language server stopped unexpectedly and was restarted.", "Show log")
        .then((choice) => choice && output.show());
    }
  });
  try {
    await client.start();
    output.appendLine("pynix language server started.");
  } catch (err) {
    output.appendLine(`The server failed to start: ${String(err)}`);
    const choice = await vscode.window.showErrorMessage(
      `pynix: the language server (${found.command}) failed to start. Is pynix installed with its \`lsp\` extra?`,
      "Install instructions",
      "Show log",
    );
    if (choice === "Install instructions") {
      await openInstallInstructions();
    } else if (choice === "Show log") {
      output.show();
    }
  }
}

async function openInstallInstructions(): Promise<void> {
  // vsce stores the README as `readme.md` in the .vsix; a development checkout has `README.md`.
  const name = ["readme.md", "README.md"].find((n) => fs.existsSync(path.join(extensionUri.fsPath, n))) ?? "README.md";
  await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.joinPath(extensionUri, name));
}

async function stopServer(): Promise<void> {
  const c = client;
  client = undefined;
  if (c?.needsStop()) {
    try {
      await c.stop();
    } catch (err) {
      output.appendLine(`Stopping the server failed: ${String(err)}`);
    }
  }
}

async function restartServer(): Promise<void> {
  output.appendLine("Restarting the pynix language server...");
  await stopServer();
  await startServer();
  if (client?.isRunning() && found) {
    // the full command is in the output channel; a long path would cut the message short
    void vscode.window.showInformationMessage(`pynix: the language server restarted (found ${SOURCES[found.source]}).`);
  }
}

// -- running the CLI -----------------------------------------------------------------------------

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function timeoutMs(): number {
  const budget = vscode.workspace.getConfiguration("pynix").get<number>("eval.budgetSeconds", 2);
  return Math.max(10, budget * 10) * 1000;
}

async function runPynix(args: string[], cwd?: string): Promise<RunResult | undefined> {
  const server = found ?? (await discover());
  if (!server) {
    vscode.window.showErrorMessage("pynix: the pynix command was not found. Set `pynix.server.path`.");
    return undefined;
  }
  const inv = cliInvocation(server, args);
  output.appendLine(`$ ${inv.command} ${inv.args.join(" ")}`);
  return new Promise((resolve) => {
    cp.execFile(
      inv.command,
      inv.args,
      { cwd, timeout: timeoutMs(), maxBuffer: 64 * 1024 * 1024, env: process.env },
      (err, stdout, stderr) => {
        let code: number | null = 0;
        if (err) {
          const e = err;
          code = typeof e.code === "number" ? e.code : null;
          if (e.killed) stderr += `\n(pynix was stopped after ${timeoutMs() / 1000} s)`;
          else if (typeof e.code === "string") stderr += `\n${e.message}`;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Shows `text` beside the editor, in a read-only document titled `title` (no file extension:
 *  the language is set explicitly, and a title like "Value of a.nix.nix" would be noise). */
async function showResult(title: string, text: string, language: string): Promise<void> {
  const uri = vscode.Uri.from({ scheme: RESULT_SCHEME, path: `/${title}`, query: String(++resultCounter) });
  results.set(uri.toString(), text);
  resultsChanged.fire(uri);
  let doc = await vscode.workspace.openTextDocument(uri);
  doc = await vscode.languages.setTextDocumentLanguage(doc, language);
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
}

function formatRun(r: RunResult): string {
  if (r.code === 0) return r.stdout + (r.stderr ? `\n# stderr:\n${r.stderr}` : "");
  // pynix prints Nix's message, the pynix code, a hint and `pynix explain CODE`.
  return [r.stderr.trim(), r.stdout.trim()].filter((s) => s).join("\n\n") + "\n";
}

async function explainCodesIn(text: string): Promise<string> {
  const codes = Array.from(new Set(text.match(/\b[EW]\d{3}\b/g) ?? []));
  let out = "";
  for (const code of codes.slice(0, 3)) {
    const r = await runPynix(["explain", code]);
    if (r && r.code === 0 && r.stdout.trim()) out += `\n--- pynix explain ${code} ---\n${r.stdout.trim()}\n`;
  }
  return out;
}

function nixEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    vscode.window.showWarningMessage("pynix: open a Nix file first.");
  }
  return editor;
}

function fileOf(doc: vscode.TextDocument): string | undefined {
  return doc.uri.scheme === "file" ? doc.uri.fsPath : undefined;
}

async function evaluateFile(): Promise<void> {
  const editor = nixEditor();
  if (!editor) return;
  const doc = editor.document;
  let args: string[];
  const file = fileOf(doc);
  if (file && !doc.isDirty) {
    args = ["eval", file];
  } else {
    args = ["eval", "-E", doc.getText()];
  }
  await evaluate(args, file ? path.dirname(file) : undefined, `Value of ${path.basename(doc.fileName)}`);
}

async function evaluateSelection(): Promise<void> {
  const editor = nixEditor();
  if (!editor) return;
  const sel = editor.selection;
  const text = sel.isEmpty ? editor.document.lineAt(sel.active.line).text : editor.document.getText(sel);
  if (!text.trim()) {
    vscode.window.showWarningMessage("pynix: select an expression to evaluate.");
    return;
  }
  const file = fileOf(editor.document);
  await evaluate(["eval", "-E", text], file ? path.dirname(file) : undefined, "Value of the selection");
}

async function evaluate(args: string[], cwd: string | undefined, title: string): Promise<void> {
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "pynix: evaluating" },
    () => runPynix(args, cwd),
  );
  if (!r) return;
  let text = formatRun(r);
  if (r.code !== 0) text += await explainCodesIn(text);
  await showResult(title, text, r.code === 0 ? "nix" : "plaintext");
}

async function showDerivation(): Promise<void> {
  const editor = nixEditor();
  if (!editor) return;
  const file = fileOf(editor.document);
  if (!file) {
    vscode.window.showWarningMessage("pynix: save the file first; derivations are shown for files.");
    return;
  }
  if (editor.document.isDirty) await editor.document.save();
  const args = ["derivation", "show", file];
  // An attribute path selected (or under the cursor, as in `hello.drv`) narrows it down.
  const sel = editor.document.getText(editor.selection).trim();
  const attr = /^[A-Za-z_][\w'-]*(\.[A-Za-z_][\w'-]*)*$/.test(sel) ? sel : undefined;
  if (attr) args.push("-A", attr);
  const r = await runPynix(args, path.dirname(file));
  if (!r) return;
  let text = formatRun(r);
  if (r.code !== 0) text += await explainCodesIn(text);
  await showResult(`Derivations of ${path.basename(file)}${attr ? ` -A ${attr}` : ""}`, text, r.code === 0 ? "json" : "plaintext");
}

function diagnosticCode(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (c === undefined) return undefined;
  if (typeof c === "string" || typeof c === "number") return String(c);
  return String(c.value);
}

async function explainError(code?: string): Promise<void> {
  if (typeof code !== "string" || !code) {
    const editor = vscode.window.activeTextEditor;
    let codes: string[] = [];
    if (editor) {
      const diags = vscode.languages.getDiagnostics(editor.document.uri);
      const pos = editor.selection.active;
      const here = diags.filter((d) => d.range.contains(pos) || d.range.start.line === pos.line);
      codes = Array.from(new Set((here.length ? here : diags).map(diagnosticCode).filter((c): c is string => !!c)));
    }
    if (codes.length === 1) {
      code = codes[0];
    } else if (codes.length > 1) {
      code = await vscode.window.showQuickPick(codes, { placeHolder: "Which error should pynix explain?" });
    } else {
      code = await vscode.window.showInputBox({ prompt: "pynix error code to explain", placeHolder: "E201" });
    }
  }
  if (!code) return;
  const r = await runPynix(["explain", code.trim()]);
  if (!r) return;
  await showResult(`Explanation of ${code}`, formatRun(r), "markdown");
}

class ExplainActions implements vscode.CodeActionProvider {
  provideCodeActions(
    _document: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const seen = new Set<string>();
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      const code = diagnosticCode(d);
      if (!code || seen.has(code) || !/^[EW]\d+$/.test(code)) continue;
      seen.add(code);
      const a = new vscode.CodeAction(`pynix: explain ${code}`, vscode.CodeActionKind.QuickFix);
      a.diagnostics = [d];
      a.command = { command: "pynix.explainError", title: `Explain ${code}`, arguments: [code] };
      actions.push(a);
    }
    return actions;
  }
}
