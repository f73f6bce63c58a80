// The playground's Web Worker: Pyodide with pynix, so that the page never
// freezes while Nix is evaluated. Everything it loads comes from the site
// itself (the build copies Pyodide and the wheels next to this file).
//
// Messages from the page:
//   {type: "init", manifest, interrupt}   load Pyodide, install the wheels, the lessons, the tables
//   {type: "call", id, fn, args}          run nixlang.playground.session.<fn>(*args)
// Messages to the page:
//   {type: "ready", timings}              loaded; timings in ms
//   {type: "start", id}                   a call begins (the page starts its time budget then)
//   {type: "result", id, result, ms}      its result (plain data, as JSON)
//   {type: "failed", id, error, fatal}    a JavaScript-level failure; fatal: Pyodide cannot go on
//
// Stopping: `interrupt` is a SharedArrayBuffer that Pyodide polls between
// bytecodes (pyodide.setInterruptBuffer); the page writes 2 (SIGINT) into it
// and Python raises KeyboardInterrupt in the evaluation. Without
// cross-origin isolation there is no SharedArrayBuffer: the page then ends
// this worker and starts a new one.

import { loadPyodide } from "./pyodide/pyodide.mjs";

let pyodide = null;
let session = null;
let interrupt = null;
const queue = [];

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function init(manifest, interruptBuffer) {
  const t0 = performance.now();
  const base = new URL(".", self.location.href);
  pyodide = await loadPyodide({ indexURL: new URL("pyodide/", base).href, stdout: () => {}, stderr: () => {} });
  const t1 = performance.now();
  if (interruptBuffer) {
    interrupt = new Int32Array(interruptBuffer);
    pyodide.setInterruptBuffer(interrupt);
  }
  const wheels = await Promise.all(manifest.wheels.map((w) => fetchBytes(new URL(w, base))));
  wheels.forEach((bytes) => pyodide.unpackArchive(bytes, "wheel"));
  const [lessons, tables] = await Promise.all([
    fetch(new URL(manifest.lessons, base)).then((r) => r.json()),
    manifest.tables ? fetchBytes(new URL(manifest.tables, base)) : Promise.resolve(null),
  ]);
  const t2 = performance.now();
  session = pyodide.pyimport("nixlang.playground.session");
  session.prepare(tables, JSON.stringify(lessons.files || {}));
  const t3 = performance.now();
  return { pyodide: Math.round(t1 - t0), wheels: Math.round(t2 - t1), python: Math.round(t3 - t2) };
}

function run(msg) {
  if (interrupt) interrupt[0] = 0;       // a stop meant for an earlier call must not hit this one
  postMessage({ type: "start", id: msg.id });
  const t0 = performance.now();
  try {
    const text = session.call(msg.fn, JSON.stringify(msg.args || []));
    postMessage({ type: "result", id: msg.id, result: JSON.parse(text), ms: performance.now() - t0 });
  } catch (err) {
    // session.call never raises for Nix errors; this is Pyodide itself failing
    // (a stack overflow of the browser's own stack is fatal to Pyodide)
    const fatal = /fatal|call stack|already fatally failed/i.test(String(err));
    postMessage({ type: "failed", id: msg.id, error: String(err), fatal });
  }
}

// What the person waits for goes first: an evaluation before the
// diagnostics of the text being typed, and of those only the newest (the
// editor drops the answers to older texts anyway).
const PRIORITY = { evaluate: 0, trace: 1, explain: 1, syntax_tree: 2, diagnostics: 3 };
let scheduled = false;

function drain() {
  scheduled = false;
  if (!session || !queue.length) return;
  const newest = queue.filter((m) => m.fn === "diagnostics").pop();
  for (const m of queue.filter((m) => m.fn === "diagnostics" && m !== newest)) {
    postMessage({ type: "result", id: m.id, result: [], ms: 0 });
  }
  const live = queue.filter((m) => m.fn !== "diagnostics" || m === newest);
  live.sort((a, b) => (PRIORITY[a.fn] ?? 1) - (PRIORITY[b.fn] ?? 1) || a.id - b.id);
  const next = live.shift();
  queue.length = 0;
  queue.push(...live);
  run(next);
  schedule();        // after the messages that came meanwhile are queued
}

function schedule() {
  if (!scheduled && queue.length) {
    scheduled = true;
    setTimeout(drain, 0);
  }
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "init") {
    init(msg.manifest, msg.interrupt)
      .then((timings) => {
        postMessage({ type: "ready", timings });
        schedule();
      })
      .catch((err) => postMessage({ type: "failed", id: null, error: `loading failed: ${err}`, fatal: true }));
    return;
  }
  if (msg.type === "call") {
    queue.push(msg);
    schedule();
  }
};
