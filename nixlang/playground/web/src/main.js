// The playground page: the editor, the Run/Stop buttons, the result tabs,
// the lessons and share links, and `window.pynix` for tutorials and tests.
// All Nix work happens in the worker (runtime.js); this file only shows.

import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { EditorState } from "@codemirror/state";
import { linter, lintGutter, forceLinting } from "@codemirror/lint";
import { nixLanguage } from "./nix-mode.js";
import { Runtime } from "./runtime.js";
import { decodeShared, encodeShared } from "./share.js";

const $ = (sel) => document.querySelector(sel);
const WELCOME = `# Welcome to the pynix playground: Nix in your browser, nothing to install.
# Edit, then press Run (or Ctrl-Enter). Pick a lesson on the left to learn step by step.
let
  greet = name: "Hello, \${name}!";
  numbers = [ 1 2 3 4 ];
in
{
  message = greet "Nix";
  total = builtins.foldl' (a: b: a + b) 0 numbers;
  doubled = map (n: n * 2) numbers;
}
`;

const metrics = { navigationStart: 0, ready: null, firstResult: null, runs: [] };
const state = { origin: null, lesson: null, lastResult: null, tab: "output", lessons: [] };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function setStatus(text, kind = "") {
  const status = $("#status");
  status.textContent = text;
  status.dataset.kind = kind;
}

// -- the editor ------------------------------------------------------------------------------

async function nixDiagnostics(view) {
  const text = view.state.doc.toString();
  const found = await runtime.call("diagnostics", [text, state.origin]);
  if (!Array.isArray(found) || view.state.doc.toString() !== text) return [];
  const len = view.state.doc.length;
  return found.map((d) => ({
    from: Math.min(d.from, len), to: Math.min(Math.max(d.to, d.from), len),
    severity: d.severity === "information" ? "info" : d.severity === "hint" ? "hint" : d.severity,
    source: d.code,
    message: d.message.split("\n")[0],
    renderMessage: () => el("div", { class: "diag" },
      el("strong", {}, `${d.code}${d.title ? " " + d.title : ""}: `), d.message.split("\n")[0],
      d.hint ? el("div", { class: "diag-hint" }, d.hint) : null,
      el("div", { class: "diag-more" }, `more: pynix explain ${d.code}`)),
  }));
}

const view = new EditorView({
  parent: $("#editor"),
  state: EditorState.create({
    doc: "",
    extensions: [
      keymap.of([{ key: "Mod-Enter", run: () => { run(); return true; } },
                 { key: "Ctrl-Enter", run: () => { run(); return true; } }]),
      basicSetup,
      EditorView.lineWrapping,
      nixLanguage,
      lintGutter(),
      linter(nixDiagnostics, { delay: 250 }),
      EditorView.updateListener.of((u) => { if (u.docChanged) onEdit(); }),
    ],
  }),
});

function setCode(text, origin = null) {
  state.origin = origin;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
const getCode = () => view.state.doc.toString();

let astTimer = null;
function onEdit() {
  if (state.tab === "ast") { clearTimeout(astTimer); astTimer = setTimeout(showAst, 300); }
}

// -- running ------------------------------------------------------------------------------------

function budgetMs() {
  return Number($("#budget").value) * 1000;
}

async function evaluate(text, origin = null, { budget = budgetMs() } = {}) {
  return runtime.call("evaluate", [text, origin], { budget });
}

function renderResult(result) {
  const out = $("#output");
  out.replaceChildren();
  out.dataset.state = result.ok ? "ok" : "error";
  if (result.log) out.append(el("pre", { class: "log" }, result.log.trimEnd()));
  if (result.ok) {
    out.append(el("pre", { class: "value" }, result.value));
  } else {
    out.append(el("pre", { class: "error" }, result.error));
    if (result.explanation) out.append(renderExplanation(result.explanation));
  }
  out.append(el("div", { class: "timing" }, `${result.ms} ms`));
}

function renderExplanation(e) {
  return el("section", { class: "explanation" },
    el("h3", {}, `${e.code}: ${e.title}`),
    ...e.text.split(/\n\s*\n/).map((p) => el("p", {}, p.trim())),
    e.family ? el("p", { class: "family" }, `Family: ${e.family}.`) : null,
    el("div", { class: "examples" },
      el("div", {}, el("h4", {}, "Broken"), el("pre", {}, e.broken),
         el("button", { type: "button", onclick: () => setCode(e.broken) }, "Open in the editor")),
      el("div", {}, el("h4", {}, "Fixed"), el("pre", {}, e.fixed),
         el("button", { type: "button", onclick: () => setCode(e.fixed) }, "Open in the editor"))));
}

async function run() {
  const text = getCode();
  const started = performance.now();
  $("#run").disabled = true;
  $("#stop").disabled = false;
  setStatus("Running…", "busy");
  const result = await evaluate(text, state.origin);
  const elapsed = performance.now() - started;
  $("#run").disabled = false;
  $("#stop").disabled = true;
  state.lastResult = result;
  metrics.runs.push({ ms: Math.round(elapsed), eval_ms: result.ms, ok: result.ok });
  if (metrics.firstResult === null) metrics.firstResult = Math.round(performance.now() - metrics.navigationStart);
  renderResult(result);
  renderDerivations(result.derivations || []);
  setStatus(result.ok ? `Done in ${Math.round(elapsed)} ms` : result.code ? `Error ${result.code}` : "Stopped",
            result.ok ? "ok" : "error");
  if (state.tab === "laziness") showTrace();
  if (state.tab === "ast") showAst();
  return result;
}

function stop() {
  if (runtime.stop("user")) setStatus("Stopping…", "busy");
}

// -- the other tabs ----------------------------------------------------------------------------

async function showTrace() {
  const pane = $("#laziness");
  pane.replaceChildren(el("p", { class: "muted" }, "Tracing…"));
  const base = state.origin ? state.origin.replace(/\/[^/]*$/, "") : null;
  const text = await runtime.call("trace", [getCode(), base], { budget: budgetMs() });
  pane.replaceChildren(
    el("p", { class: "muted" }, "Every thunk (a value not computed yet) that the code creates, each time " +
      "one is forced, and its value, in order: the REPL's :trace."),
    el("pre", { class: "trace" }, typeof text === "string" ? text : text.error));
}

function renderTree(node) {
  const label = el("span", { class: "node" },
    node.field ? el("span", { class: "field" }, node.field + ": ") : null,
    el("span", { class: "type" }, node.type),
    node.label ? el("span", { class: "label" }, " " + node.label) : null);
  label.addEventListener("click", (e) => {
    e.preventDefault();
    view.dispatch({ selection: { anchor: node.from, head: node.to }, scrollIntoView: true });
    view.focus();
  });
  if (!node.children.length) return el("li", {}, label);
  return el("li", {}, el("details", { open: true }, el("summary", {}, label),
                         el("ul", {}, node.children.map(renderTree))));
}

async function showAst() {
  const pane = $("#ast");
  const tree = await runtime.call("syntax_tree", [getCode()]);
  if (!tree.ok) {
    pane.replaceChildren(el("pre", { class: "error" }, tree.error));
    return;
  }
  pane.replaceChildren(
    el("h4", {}, "nix-instantiate --parse"), el("pre", { class: "parse" }, tree.parse),
    el("h4", {}, "Tree (click a node to select its code)"), el("ul", { class: "tree" }, renderTree(tree.tree)));
}

function renderDerivations(drvs) {
  const pane = $("#drv");
  const tab = document.querySelector('[data-tab="drv"]');
  tab.textContent = drvs.length ? `Derivations (${drvs.length})` : "Derivations";
  if (!drvs.length) {
    pane.replaceChildren(el("p", { class: "muted" },
      "No derivation yet: evaluate code that calls `derivation { … }` (lesson 8 does) to see its .drv here."));
    return;
  }
  pane.replaceChildren(...drvs.map((d) => el("section", { class: "derivation" },
    el("h3", {}, d.name),
    el("p", {}, "Store path of the .drv: ", el("code", { class: "drv-path" }, d.path)),
    el("ul", {}, Object.entries(d.outputs).map(([name, path]) =>
      el("li", {}, `output ${name}: `, el("code", {}, path || "(computed when built)")))),
    el("details", { open: true }, el("summary", {}, "JSON (nix derivation show)"),
       el("pre", { class: "drv-json" }, JSON.stringify({ [d.path.replace(/^.*\//, "")]: d.json }, null, 2))),
    el("details", {}, el("summary", {}, "ATerm (the .drv file itself)"), el("pre", { class: "drv-aterm" }, d.aterm)))));
}

function selectTab(name) {
  state.tab = name;
  for (const b of document.querySelectorAll("[data-tab]")) b.setAttribute("aria-selected", b.dataset.tab === name);
  for (const id of ["output", "laziness", "ast", "drv"]) $("#" + id).hidden = id !== name;
  if (name === "laziness") showTrace();
  if (name === "ast") showAst();
}

// -- lessons and sharing --------------------------------------------------------------------------

function openLesson(lesson, { runIt = true } = {}) {
  state.lesson = lesson.id;
  setCode(lesson.text, `/lessons/${lesson.file}`);
  for (const li of document.querySelectorAll("#lesson-list li")) li.classList.toggle("current", li.dataset.id === lesson.id);
  const box = $("#exercise");
  box.replaceChildren(...[el("h3", {}, lesson.title),
    lesson.exercise ? el("p", { class: "try" }, el("strong", {}, "Try: "), lesson.exercise) : null,
    lesson.expected ? el("p", {}, "It evaluates to: ", el("code", { class: "expected" }, lesson.expected)) : null,
  ].filter(Boolean));
  history.replaceState(null, "", `#lesson=${encodeURIComponent(lesson.id)}`);
  if (runIt) return run();
}

function renderLessons(lessons) {
  state.lessons = lessons;
  $("#lesson-list").replaceChildren(...lessons.map((l) =>
    el("li", { "data-id": l.id }, el("a", { href: `#lesson=${encodeURIComponent(l.id)}`,
      onclick: (e) => { e.preventDefault(); openLesson(l); } }, l.title))));
}

function share() {
  const lesson = state.origin && state.lesson ? `&lesson=${encodeURIComponent(state.lesson)}` : "";
  const url = `${location.origin}${location.pathname}#code=${encodeShared(getCode())}${lesson}`;
  history.replaceState(null, "", url);
  const field = $("#share-url");
  field.value = url;
  field.hidden = false;
  field.select();
  if (navigator.clipboard) navigator.clipboard.writeText(url).catch(() => {});
  setStatus("Share link copied (it holds the code itself)", "ok");
  return url;
}

function loadFromFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const lesson = state.lessons.find((l) => l.id === params.get("lesson"));
  if (params.has("code")) {
    const text = decodeShared(params.get("code"));
    if (text !== null) {
      state.lesson = lesson ? lesson.id : null;
      setCode(text, lesson ? `/lessons/${lesson.file}` : null);
      return true;
    }
  }
  if (lesson) {
    openLesson(lesson, { runIt: false });
    return true;
  }
  return false;
}

// -- start -------------------------------------------------------------------------------------

const manifest = await fetch("manifest.json").then((r) => r.json());
const runtime = new Runtime(manifest, { onStatus: setStatus, workerUrl: new URL("worker.js", document.baseURI) });
runtime.ready.then(() => { metrics.ready = Math.round(performance.now() - metrics.navigationStart); });
const lessons = await fetch(manifest.lessons).then((r) => r.json());
renderLessons(lessons.lessons);
if (!loadFromFragment()) setCode(WELCOME);
window.addEventListener("hashchange", () => loadFromFragment());

$("#run").addEventListener("click", () => run());
$("#stop").addEventListener("click", () => stop());
$("#share").addEventListener("click", () => share());
for (const b of document.querySelectorAll("[data-tab]")) b.addEventListener("click", () => selectTab(b.dataset.tab));
renderDerivations([]);
forceLinting(view);

// the embedding API: tutorials and tests rely on these names
window.pynix = {
  version: manifest.pynix,
  ready: runtime.ready,
  async evaluate(text, { budget } = {}) {
    const r = await evaluate(String(text), null, { budget: budget ?? budgetMs() });
    return { ok: r.ok, value: r.value ?? null, error: r.error ?? null, code: r.code ?? null,
             hint: r.hint ?? null, explanation: r.explanation ?? null, derivations: r.derivations ?? [],
             log: r.log ?? "", ms: r.ms };
  },
  diagnostics: (text) => runtime.call("diagnostics", [String(text), null]),
  trace: (text) => runtime.call("trace", [String(text), null]),
  ast: (text) => runtime.call("syntax_tree", [String(text)]),
  explain: (code) => runtime.call("explain", [String(code)]),
  run, stop, share, setCode, getCode, openLesson: (id) => openLesson(state.lessons.find((l) => l.id === id)),
  get busy() { return runtime.busy; },
  get restarts() { return runtime.restarts; },
  get timings() { return runtime.timings; },
  metrics,
  view,
};
