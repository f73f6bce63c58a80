/**
 * What a user does in VS Code, done through Playwright on the real workbench: the command
 * palette, quick open, go to line, the keyboard's hover / definition / completion / quick
 * fix / rename, and reading back what the screen shows (editors, hovers, status bar,
 * notifications, panels). Every step waits for a condition on the page, never for a fixed
 * time, with generous limits: the machine may be slow and loaded.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";

/** How long one condition may take to come true. */
export const WAIT_MS = Number(process.env.PYNIX_E2E_WAIT_MS ?? 90_000);

/** Polls `probe` until it returns something other than undefined; the error names `what`. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeout = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeout;
  let last = "";
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A label given as text matches labels that start with it (or are it, when `whole`). */
function labelPattern(label: string | RegExp, whole = false): RegExp {
  if (typeof label !== "string") return label;
  return new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${whole ? "$" : ""}`);
}

/** Monaco renders spaces as no-break spaces. */
const plain = (s: string): string => s.replace(/\u00a0/g, " ");

export class Workbench {
  constructor(readonly page: Page, readonly artifacts: string) {
    fs.mkdirSync(artifacts, { recursive: true });
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifacts, `${name}.png`);
    await this.page.screenshot({ path: file, animations: "disabled" });
    return file;
  }

  /** Loads the workbench on a folder and answers the workspace-trust question as a user would. */
  async open(url: string, folder: string): Promise<void> {
    await this.page.goto(`${url}?folder=${encodeURIComponent(folder)}`, { timeout: WAIT_MS });
    await this.page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ timeout: WAIT_MS });
    // A new user's first look at a folder asks whether to trust it; the extension (like most)
    // runs only in a trusted folder.
    const trust = this.page.getByRole("button", { name: "Yes, I trust the authors" });
    await trust.waitFor({ timeout: WAIT_MS });
    await trust.click();
    await trust.waitFor({ state: "hidden", timeout: WAIT_MS });
    await this.page.locator(".statusbar-item", { hasText: "Restricted Mode" }).waitFor({ state: "hidden", timeout: WAIT_MS });
  }

  // -- quick input: the command palette, quick open, go to line --------------------------------

  private get quickInput(): Locator {
    return this.page.locator(".quick-input-widget");
  }

  /** Opens a fresh quick input with `keys` (closing one left open), returning its text box. */
  private async openQuickInput(keys: string): Promise<Locator> {
    const input = this.quickInput.locator("input.input");
    if (await this.quickInput.isVisible()) {
      await this.escape();
      await this.quickInput.waitFor({ state: "hidden", timeout: WAIT_MS });
    }
    await until(`the quick input (${keys})`, async () => {
      if (!(await this.quickInput.isVisible())) await this.page.keyboard.press(keys);
      return (await input.waitFor({ timeout: 2_000 }).then(() => true, () => false)) ? true : undefined;
    });
    return input;
  }

  /** Picks the row of the open quick input whose label is `label` (a string: the start of it). */
  async pick(label: string | RegExp): Promise<void> {
    const re = labelPattern(label);
    const row = this.quickInput.locator(".monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: re }) }).first();
    await row.waitFor({ timeout: WAIT_MS });
    const input = this.quickInput.locator("input.input");
    const asked = async (): Promise<string> => `${await input.getAttribute("placeholder")}\0${await input.inputValue()}`;
    const before = await asked();
    await row.click();
    // done when the quick input closes, or asks something else (a command that opens a picker)
    await until(`the pick of ${String(label)} to be taken`, async () =>
      !(await this.quickInput.isVisible()) || (await asked()) !== before ? true : undefined);
  }

  /**
   * Runs a command that offers a list, and picks `label` from it; asks again while the list
   * lacks it (a list computed before, say, the extension registered its output channels).
   */
  async commandThenPick(title: string, label: string | RegExp): Promise<void> {
    await until(`${String(label)} offered by ${title}`, async () => {
      await this.command(title);
      const re = labelPattern(label, true);
      const row = this.quickInput.locator(".monaco-list-row").filter({ has: this.page.locator(".label-name", { hasText: re }) });
      if (await row.first().waitFor({ timeout: 5_000 }).then(() => true, () => false)) {
        await this.pick(re);
        return true;
      }
      await this.escape();
      return undefined;
    });
  }

  /** Runs a command from the palette by its title, e.g. `pynix: Evaluate file`. */
  async command(title: string): Promise<void> {
    const input = await this.openQuickInput("F1");
    await input.fill(`>${title}`);
    await this.pick(title);
  }

  /** Opens a workspace file by name with quick open, and waits for its editor to have focus. */
  async openFile(name: string): Promise<void> {
    const input = await this.openQuickInput("Control+P");
    await input.fill(name);
    await this.pick(path.basename(name));
    await this.activeTab(path.basename(name));
    await this.page.locator(".editor-group-container.active .monaco-editor.focused").waitFor({ timeout: WAIT_MS });
  }

  async activeTab(title: string): Promise<void> {
    await this.page.locator(".editor-group-container.active .tab.active", { hasText: title }).first().waitFor({ timeout: WAIT_MS });
  }

  /** Moves the cursor (1-based line and column) and waits for the status bar to say so. */
  async goto(line: number, column: number): Promise<void> {
    const input = await this.openQuickInput("Control+G");
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press("Enter");
    await this.quickInput.waitFor({ state: "hidden", timeout: WAIT_MS });
    await this.page.locator("#status\\.editor\\.selection", { hasText: `Ln ${line}, Col ${column}` }).waitFor({ timeout: WAIT_MS });
  }

  /** Moves to the `nth` (0-based) occurrence of `text` in the active editor's file on disk. */
  async gotoText(file: string, text: string, nth = 0, offset = 0): Promise<void> {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    let seen = 0;
    for (let i = 0; i < lines.length; i++) {
      for (let c = lines[i].indexOf(text); c >= 0; c = lines[i].indexOf(text, c + 1)) {
        if (seen++ === nth) return this.goto(i + 1, c + 1 + offset);
      }
    }
    throw new Error(`${text} (#${nth}) is not in ${file}`);
  }

  /** Selects `count` characters to the right of the cursor. */
  async selectRight(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.page.keyboard.press("Shift+ArrowRight");
    await this.page.locator("#status\\.editor\\.selection", { hasText: `(${count} selected)` }).waitFor({ timeout: WAIT_MS });
  }

  // -- reading the screen ----------------------------------------------------------------------

  /** The text of the editor whose tab's title contains `title` (the active editor when omitted). */
  async editorText(title?: string): Promise<string> {
    const group = title
      ? this.page.locator(".editor-group-container").filter({ has: this.page.locator(".tab.active", { hasText: title }) }).first()
      : this.page.locator(".editor-group-container.active");
    return plain(await group.locator(".monaco-editor .view-lines").first().innerText());
  }

  /** Waits until the editor titled `title` shows text matching `re`, and returns the text. */
  async waitEditorText(title: string | undefined, re: RegExp): Promise<string> {
    return until(`an editor ${title ? `titled ${title} ` : ""}showing ${String(re)}`, async () => {
      const text = await this.editorText(title);
      return re.test(text) ? text : undefined;
    });
  }

  /** The status bar's Problems entry: its accessible label, e.g. "Errors: 2, Warnings: 1". */
  async problems(): Promise<{ errors: number; warnings: number; label: string }> {
    const label = (await this.page.locator("#status\\.problems").getAttribute("aria-label")) ?? "";
    const count = (kind: string): number => Number(new RegExp(`${kind}s?: (\\d+)`, "i").exec(label)?.[1] ?? 0);
    return { errors: count("Error"), warnings: count("Warning"), label };
  }

  async waitProblems(what: string, ok: (p: { errors: number; warnings: number }) => boolean): Promise<{ errors: number; warnings: number; label: string }> {
    return until(`the status bar to count ${what}`, async () => {
      const p = await this.problems();
      return ok(p) ? p : undefined;
    });
  }

  /** Saves the active editor and waits for the file on disk to match `re` (the buffer's text,
   *  without the inlay hints a rendered line shows); returns that text. */
  async saveUntil(file: string, re: RegExp): Promise<string> {
    await this.page.keyboard.press("Control+S");
    let text = "";
    try {
      return await until(`${path.basename(file)} saved as ${String(re)}`, () => {
        text = fs.readFileSync(file, "utf8");
        return re.test(text) ? text : undefined;
      });
    } catch (err) {
      throw new Error(`${String(err)}; on disk:\n${text}`);
    }
  }

  /** Picks the entry `label` of an open action list (quick fixes) with the keyboard. */
  async pickAction(label: string): Promise<void> {
    const rows = this.page.locator(".action-widget .monaco-list-row");
    await rows.filter({ hasText: label }).first().waitFor({ timeout: WAIT_MS });
    const count = await rows.count();
    for (let i = 0; i <= count; i++) {
      const focused = await this.page.locator(".action-widget .monaco-list-row.focused").getAttribute("aria-label");
      if (focused === label) {
        await this.page.keyboard.press("Enter");
        await this.page.locator(".action-widget").waitFor({ state: "hidden", timeout: WAIT_MS });
        return;
      }
      await this.page.keyboard.press("ArrowDown");
    }
    throw new Error(`the action ${label} could not be focused`);
  }

  /** Shows the hover at the cursor with the keyboard (mouse hovers do not fire headless),
   *  asking again every few seconds while it shows something else (a hover asked while the
   *  server was still starting stays as it was). */
  async hover(re: RegExp): Promise<string> {
    const widget = this.page.locator(".monaco-hover:not(.hidden) .monaco-hover-content").first();
    let asked = 0;
    return until(`a hover showing ${String(re)}`, async () => {
      const visible = await widget.isVisible();
      const text = visible ? plain(await widget.innerText()) : "";
      if (re.test(text)) return text;
      if (Date.now() - asked > 3_000) {
        if (visible) await this.escape();
        await this.page.keyboard.press("Control+K");
        await this.page.keyboard.press("Control+I");
        asked = Date.now();
      }
      return undefined;
    });
  }

  /** A notification toast whose message matches `re`. */
  async notification(re: RegExp): Promise<string> {
    const toast = this.page.locator(".notification-toast .notification-list-item-message", { hasText: re }).first();
    await toast.waitFor({ timeout: WAIT_MS });
    return toast.innerText();
  }

  async escape(): Promise<void> {
    await this.page.keyboard.press("Escape");
  }

  /** Closes every editor, first reverting the edits the steps made (no "save?" question). */
  async closeAll(): Promise<void> {
    const dirty = this.page.locator(".tab.dirty");
    while ((await dirty.count()) > 0) {
      const n = await dirty.count();
      await dirty.first().click();
      await this.command("File: Revert File");
      await until("the edits to be reverted", async () => ((await dirty.count()) < n ? true : undefined));
    }
    await this.command("View: Close All Editors");
    await until("no editor open", async () => ((await this.page.locator(".editor-group-container .tab").count()) === 0 ? true : undefined));
  }
}
