/**
 * The extension in the real editor, as a user sees it: code-server (VS Code 1.100) in
 * Debian's Chromium driven by Playwright, with the freshly built .vsix installed and no
 * settings at all, on a workspace of e2e/workspace's files. Each step checks what the screen
 * shows and saves a screenshot in e2e-artifacts/ (ignored by git); steps.json there lists
 * them. Run by `npm run e2e` after e2e/setup.sh.
 */
/// <reference lib="dom" />
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { CodeServer, EXT_DIR, builtVsix, languageServers, startCodeServer, versions } from "./codeServer";
import { WAIT_MS, Workbench, until } from "./workbench";

const ARTIFACTS = process.env.PYNIX_E2E_ARTIFACTS ?? path.join(EXT_DIR, "e2e-artifacts");
const CHROMIUM = process.env.PYNIX_E2E_CHROMIUM ?? "/usr/lib/chromium/chromium";

let root: string;
let server: CodeServer;
let browser: Browser;
let wb: Workbench;
const shots: { step: string; screenshot: string }[] = [];

const file = (name: string): string => path.join(server.workspace, name);
/** Puts a workspace file back as e2e/workspace has it (after a step that changed it). */
const restore = (name: string): void => fs.copyFileSync(path.join(EXT_DIR, "e2e", "workspace", name), file(name));

/** Saves a screenshot for the step and records it in steps.json. */
async function shot(step: string, name: string): Promise<void> {
  await wb.screenshot(name);
  shots.push({ step, screenshot: `${name}.png` });
  console.log(`# screenshot: ${name}.png (${step})`);
}

/** A step: on failure the screen is saved as FAILED-<name>.png before the error is reported. */
function step(name: string, fn: (name: string) => Promise<void>): void {
  test(name, { timeout: 8 * WAIT_MS }, async () => {
    try {
      await fn(name);
    } catch (err) {
      const safe = name.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 60);
      await wb?.screenshot(`FAILED-${safe}`).catch(() => undefined);
      throw err;
    }
  });
}

describe(`pynix in VS Code ${versions.vscode} (code-server ${versions.codeServer})`, () => {
  before(async () => {
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    root = fs.mkdtempSync(path.join(os.tmpdir(), "pynix-e2e-"));
    server = await startCodeServer(root, builtVsix());
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run e2e/setup.sh`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // --no-sandbox: Chromium's sandbox refuses to run as root; the rest keep it off the network
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"],
      timeout: WAIT_MS,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    wb = new Workbench(await context.newPage(), ARTIFACTS);
    await wb.open(server.url, server.workspace);
  });

  after(async () => {
    fs.writeFileSync(path.join(ARTIFACTS, "steps.json"), JSON.stringify(shots, null, 2) + "\n");
    await browser?.close().catch(() => undefined);
    if (server) {
      fs.writeFileSync(path.join(ARTIFACTS, "code-server.log"), server.log());
      await server.stop();
      // VS Code's logs, the extension's output channels among them (exthost*/output_logging_*)
      const logs = path.join(root, "user-data", "logs");
      if (fs.existsSync(logs)) fs.cpSync(logs, path.join(ARTIFACTS, "logs"), { recursive: true });
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  step("activation with no settings: the server is found in the workspace's .venv", async (name) => {
    await wb.closeAll(); // the welcome page
    await wb.openFile("hover.nix");
    await wb.commandThenPick("Output: Show Output Channels...", "pynix");
    const out = wb.page.locator(".part.panel .monaco-editor .view-lines").first();
    const text = await until("the pynix output to say the server started", async () => {
      const t = (await out.innerText()).replace(/\s+/g, " "); // the panel wraps long lines
      return /pynix language server started/.test(t) ? t : undefined;
    });
    assert.match(text, /Starting \S+\/\.venv\/bin\/pynix lsp \(found in the workspace's virtual environment\)/);
    await shot(name, "01-activation");
    const settings = path.join(root, "user-data", "User", "settings.json");
    const written = fs.existsSync(settings) ? fs.readFileSync(settings, "utf8") : "";
    assert.doesNotMatch(written, /pynix/, "no pynix setting was written");
    await wb.command("View: Hide Panel");
  });

  step("squiggles and the Problems count", async (name) => {
    await wb.closeAll();
    await wb.openFile("problems.nix");
    await until("two error squiggles", async () =>
      (await wb.page.locator(".editor-group-container.active .squiggly-error").count()) >= 2 ? true : undefined);
    const p = await wb.waitProblems("2 errors and a warning", (c) => c.errors === 2 && c.warnings >= 1);
    assert.equal(p.errors, 2, p.label);
    await wb.command("View: Focus Problems (Errors, Warnings, Infos)");
    const rows = wb.page.locator(".markers-panel .monaco-list-row");
    await rows.filter({ hasText: "undefined variable 'nmae'" }).first().waitFor({ timeout: WAIT_MS });
    await rows.filter({ hasText: "expecting ';'" }).first().waitFor({ timeout: WAIT_MS });
    await shot(name, "02-problems");
    await wb.command("View: Hide Panel");
  });

  step("quick fix: the missing ;", async (name) => {
    await wb.openFile("problems.nix");
    await wb.gotoText(file("problems.nix"), "name = ", 0, 5); // the `=` the parser stopped at
    await wb.page.keyboard.press("Control+.");
    const fix = "Add the missing `;` at the end of line 3";
    await wb.page.locator(".action-widget .monaco-list-row", { hasText: fix }).first().waitFor({ timeout: WAIT_MS });
    await shot(name, "03-quick-fix-menu");
    await wb.pickAction(fix);
    await wb.waitProblems("1 error left (the misspelt name)", (c) => c.errors === 1);
    await shot(name, "04-quick-fix-applied");
    await wb.saveUntil(file("problems.nix"), /^ {2}greeting = "Hello";$/m);
    await wb.closeAll();
    restore("problems.nix");
  });

  step("hover: a builtin's documentation", async (name) => {
    await wb.openFile("hover.nix");
    await wb.gotoText(file("hover.nix"), "builtins.length", 0, 10);
    const text = await wb.hover(/length/);
    assert.match(text, /builtins\.length|length e/);
    assert.match(text, /number of elements|length of the list/i);
    await shot(name, "05-hover-builtin");
    await wb.escape();
  });

  step("hover: a doc comment", async (name) => {
    await wb.gotoText(file("hover.nix"), "double answer", 0, 1);
    const text = await wb.hover(/Doubles a number/);
    assert.match(text, /double 21/);
    await shot(name, "06-hover-doc-comment");
    await wb.escape();
  });

  step("hover: an evaluated value", async (name) => {
    await wb.gotoText(file("hover.nix"), "inherit answer", 0, 9);
    const text = await wb.hover(/\b42\b/);
    assert.match(text, /42/);
    await shot(name, "07-hover-value");
    await wb.escape();
  });

  step("F12 goes to the definition", async (name) => {
    await wb.gotoText(file("hover.nix"), "double answer", 0, 1);
    await wb.page.keyboard.press("F12");
    await wb.page.locator("#status\\.editor\\.selection", { hasText: /Ln 3, Col 3\b/ }).waitFor({ timeout: WAIT_MS });
    await shot(name, "08-definition");
  });

  step("rename a let binding everywhere", async (name) => {
    await wb.gotoText(file("hover.nix"), "double = ", 0, 1);
    await wb.page.keyboard.press("F2");
    const box = wb.page.locator(".rename-box input, .rename-box .rename-input").first();
    await box.waitFor({ timeout: WAIT_MS });
    await box.fill("times2");
    await shot(name, "09-rename-box");
    await wb.page.keyboard.press("Enter");
    await wb.waitEditorText(undefined, /times2 = x/);
    await shot(name, "10-renamed");
    const text = await wb.saveUntil(file("hover.nix"), /^ {2}times2 = x: x \* 2;$/m);
    assert.match(text, /answer = times2 21;/);
    assert.match(text, /twice = times2 answer;/);
    assert.doesNotMatch(text, /\bdouble\b(?! 21` is 42)/, "every use renamed; the doc comment's text is prose");
    await wb.closeAll();
    restore("hover.nix");
  });

  step("completion after builtins.", async (name) => {
    await wb.openFile("completion.nix");
    const lines = fs.readFileSync(file("completion.nix"), "utf8").split("\n");
    await wb.goto(lines.length, 1); // the empty line after `in`
    await wb.page.keyboard.type("builtins.");
    const widget = wb.page.locator(".suggest-widget.visible");
    await until("the suggestions", async () => {
      if (!(await widget.isVisible())) await wb.page.keyboard.press("Control+Space");
      await widget.waitFor({ timeout: 5_000 }).catch(() => undefined);
      return (await widget.locator(".monaco-list-row", { hasText: "attrNames" }).count()) > 0 ? true : undefined;
    });
    await wb.page.keyboard.type("len");
    await widget.locator(".monaco-list-row.focused", { hasText: "length" }).waitFor({ timeout: WAIT_MS });
    await shot(name, "11-completion");
    await wb.page.keyboard.press("Enter");
    await wb.page.keyboard.type(" primes");
    await wb.saveUntil(file("completion.nix"), /\nin\nbuiltins\.length primes\n?$/);
    await wb.closeAll();
    restore("completion.nix");
  });

  step("command: Evaluate file", async (name) => {
    await wb.openFile("evaluate.nix");
    await wb.command("pynix: Evaluate file");
    const text = await wb.waitEditorText("Value of evaluate.nix", /sum = 42/);
    assert.match(text, /\{ greeting = "hello from pynix"; squares = \[ 1 4 9 \]; sum = 42; \}/);
    await shot(name, "12-evaluate-file");
    await wb.closeAll();
  });

  step("command: Evaluate selection", async (name) => {
    await wb.openFile("evaluate.nix");
    await wb.gotoText(file("evaluate.nix"), "map (n: n * n) [ 1 2 3 ]");
    await wb.selectRight("map (n: n * n) [ 1 2 3 ]".length);
    await wb.command("pynix: Evaluate selection");
    const text = await wb.waitEditorText("Value of the selection", /\[ 1 4 9 \]/);
    assert.doesNotMatch(text, /error/);
    await shot(name, "13-evaluate-selection");
    await wb.closeAll();
  });

  step("command: Show derivation", async (name) => {
    await wb.openFile("derivation.nix");
    await wb.command("pynix: Show derivation");
    const text = await wb.waitEditorText("Derivations of derivation.nix", /-hello\.drv"/);
    assert.match(text, /"builder": "\/bin\/sh"/);
    assert.match(text, /"out": "\/nix\/store\/[0-9a-z]{32}-hello"/);
    await shot(name, "14-show-derivation");
    await wb.closeAll();
  });

  step("command: Explain error", async (name) => {
    await wb.openFile("error.nix");
    // the server evaluates the file and reports the type error (E201) where it happens
    await wb.waitProblems("the evaluation error", (c) => c.errors === 1);
    await wb.gotoText(file("error.nix"), "count", 1);
    await wb.command("pynix: Explain error");
    const text = await wb.waitEditorText("Explanation of E201", /E201/);
    assert.match(text, /toString/);
    await shot(name, "15-explain-error");
    await wb.closeAll();
  });

  step("command: Restart server", async (name) => {
    const before = languageServers(server);
    assert.equal(before.length, 1, `one language server runs (${before.join(", ")})`);
    await wb.openFile("hover.nix");
    await wb.command("pynix: Restart server");
    const msg = await wb.notification(/the language server restarted/);
    assert.match(msg, /workspace's virtual environment/);
    await shot(name, "16-restart-server");
    const now = await until("a new language server process", () => {
      const pids = languageServers(server);
      return pids.length === 1 && pids[0] !== before[0] ? pids : undefined;
    });
    assert.notEqual(now[0], before[0]);
    await wb.gotoText(file("hover.nix"), "inherit answer", 0, 9);
    await wb.hover(/\b42\b/); // and it answers
    await wb.escape();
    await wb.command("Notifications: Clear All Notifications");
    await wb.closeAll();
  });

  step("flake input hover shows the locked pin", async (name) => {
    await wb.openFile("flake/flake.nix");
    await wb.gotoText(file("flake/flake.nix"), "nixpkgs.url", 0, 2);
    const text = await wb.hover(/0123456/);
    assert.match(text, /NixOS\/nixpkgs/);
    assert.match(text, /0123456789abcdef/);
    await shot(name, "17-flake-input-hover");
    await wb.escape();
    await wb.closeAll();
  });

  const inspectScopes = async (where: string, nth: number, offset: number): Promise<string> => {
    await wb.gotoText(file("tokens.nix"), where, nth, offset);
    await wb.command("Developer: Inspect Editor Tokens and Scopes");
    const widget = wb.page.locator(".token-inspect-widget");
    return until(`the token inspector at ${where}`, async () => {
      const t = (await widget.innerText()).replace(/\u00a0/g, " ");
      return /textmate scopes/i.test(t) ? t : undefined;
    });
  };

  step("highlighting: interpolation", async (name) => {
    await wb.openFile("tokens.nix");
    const scopes = await inspectScopes('"demo-${', 0, 6);
    assert.match(scopes, /punctuation\.section\.embedded\.begin\.nix/);
    assert.match(scopes, /string\.quoted\.double\.nix/);
    await shot(name, "18-tokens-interpolation");
    await wb.escape();
  });

  step("highlighting: a path with interpolation", async (name) => {
    const scopes = await inspectScopes("./src/${version}/main.c", 0, 2);
    assert.match(scopes, /string\.unquoted\.path\.nix/);
    await shot(name, "19-tokens-path");
    await wb.escape();
  });

  step("highlighting: keywords, in colour", async (name) => {
    const scopes = await inspectScopes("if version", 0, 0);
    assert.match(scopes, /keyword\.control\.conditional\.nix/);
    await shot(name, "20-tokens-keyword");
    await wb.escape();
    // what the eye sees: `let`, `rec` and `if` are drawn in another colour than names
    const colour = async (word: string): Promise<string> =>
      wb.page.locator(".editor-group-container.active .view-line span > span", { hasText: new RegExp(`^${word}$`) })
        .first().evaluate((el) => getComputedStyle(el).color);
    const keyword = await colour("let");
    assert.equal(await colour("rec"), keyword);
    assert.notEqual(await colour("version"), keyword);
    await wb.closeAll();
  });

  step("the extension's page: icon, README, changelog", async (name) => {
    await wb.closeAll();
    await wb.page.keyboard.press("Control+Shift+X");
    const item = wb.page.locator(".extensions-viewlet .monaco-list-row", { hasText: "pynix: Nix language support" }).first();
    await item.waitFor({ timeout: WAIT_MS });
    await item.click();
    const header = wb.page.locator(".extension-editor .header");
    await header.locator(".name", { hasText: "pynix: Nix language support" }).waitFor({ timeout: WAIT_MS });
    const iconWidth = await until("the icon to load", async () => {
      const w = await header.locator("img.icon").evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0));
      return w > 0 ? w : undefined;
    });
    assert.ok(iconWidth >= 128, `icon is ${iconWidth} px wide`);
    // the README is drawn in a webview (an iframe). Its screenshots are relative links, which
    // that webview loads only once vsce has made them https addresses (package.json's
    // `repository`, see README "Publishing"): here their places and descriptions show.
    const readme = await until("the README in its webview", async () => {
      for (const frame of wb.page.frames()) {
        const text = await frame.locator("body").innerText({ timeout: 1_000 }).catch(() => "");
        if (/pynix for VS Code/.test(text) && /Quick start/.test(text)) {
          return { text, images: await frame.locator("img[alt]").count() };
        }
      }
      return undefined;
    });
    assert.ok(readme.images >= 3, `${readme.images} screenshots in the README`);
    assert.match(readme.text, /Where the server comes from/);
    await shot(name, "21-extension-page");
    await wb.page.locator(".extension-editor .navbar .action-label", { hasText: /changelog/i }).click();
    await until("the changelog", async () => {
      for (const frame of wb.page.frames()) {
        const text = await frame.locator("body").innerText({ timeout: 1_000 }).catch(() => "");
        if (/^Changelog/m.test(text) && /0\.1\.0/.test(text)) return true;
      }
      return undefined;
    });
    await shot(name, "22-extension-changelog");
    await wb.closeAll();
    await wb.page.keyboard.press("Control+Shift+E"); // back to the explorer
  });

  step("the server killed from outside comes back, with a message", async (name) => {
    await wb.openFile("hover.nix");
    const before = await until("one language server process", () => {
      const pids = languageServers(server);
      return pids.length === 1 ? pids : undefined;
    });
    await wb.gotoText(file("hover.nix"), "inherit answer", 0, 9);
    process.kill(before[0], "SIGKILL");
    // keep typing while it is down: the edits reach a dead pipe before the client sees it close
    await wb.page.keyboard.type("  ");
    await wb.page.keyboard.press("Backspace");
    await wb.page.keyboard.press("Backspace");
    const msg = await wb.notification(/stopped unexpectedly and was restarted/);
    assert.match(msg, /pynix/);
    await wb.escape(); // the suggestions the typing opened
    await shot(name, "23-server-killed-message");
    const now = await until("a new language server process", () => {
      const pids = languageServers(server);
      return pids.length === 1 && pids[0] !== before[0] ? pids : undefined;
    });
    assert.notEqual(now[0], before[0]);
    await wb.gotoText(file("hover.nix"), "inherit answer", 0, 9);
    await wb.hover(/\b42\b/);
    await shot(name, "24-server-answers-again");
    await wb.escape();
    await wb.command("Notifications: Clear All Notifications");
    await wb.closeAll();
  });
});
