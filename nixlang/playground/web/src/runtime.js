// The page's side of the worker: calls with promises, a time budget per
// evaluation, and stopping. See worker.js for the messages.
//
// Stopping asks Python to raise KeyboardInterrupt (through the interrupt
// buffer, when the page is cross-origin isolated and so has
// SharedArrayBuffer). When that is not possible, or Python does not answer
// within GRACE_MS (a single long call into C cannot be interrupted), the
// worker is ended and a fresh one started: slower, but the page never hangs.
// The grace is 3 s: on a busy machine (a fresh-clone test run sharing two
// cores) Python had not answered an interrupt within 1.5 s, and a new runtime
// costs more than the wait (Pyodide loads again, the session's state is lost).

const GRACE_MS = 3000;

export class Runtime {
  constructor(manifest, { onStatus = () => {}, workerUrl } = {}) {
    this.manifest = manifest;
    this.onStatus = onStatus;
    this.workerUrl = workerUrl;
    this.nextId = 1;
    this.pending = new Map();       // id -> {resolve, fn, budget, timer, stopReason}
    this.current = null;            // id of the call running in the worker
    this.restarts = 0;
    this.timings = null;
    this.start();
  }

  start() {
    this.sab = typeof SharedArrayBuffer === "function" && self.crossOriginIsolated
      ? new SharedArrayBuffer(4) : null;
    this.interrupt = this.sab ? new Int32Array(this.sab) : null;
    this.worker = new Worker(this.workerUrl, { type: "module" });
    this.startedAt = performance.now();
    this.ready = new Promise((resolve, reject) => { this._ready = resolve; this._failed = reject; });
    this.ready.catch(() => {});
    this.worker.onmessage = (event) => this.onMessage(event.data);
    this.worker.onerror = (event) => {
      this.onStatus(`the worker failed: ${event.message || "unknown error"}`, "error");
      this._failed(new Error(event.message));
    };
    this.worker.postMessage({ type: "init", manifest: this.manifest, interrupt: this.sab });
    this.onStatus("Loading Python (Pyodide) and pynix…", "busy");
  }

  onMessage(msg) {
    if (msg.type === "ready") {
      this.timings = { ...msg.timings, total: Math.round(performance.now() - this.startedAt) };
      this.onStatus(`Ready (loaded in ${(this.timings.total / 1000).toFixed(1)} s)`, "ok");
      this._ready(this.timings);
      return;
    }
    const call = this.pending.get(msg.id);
    if (msg.type === "start") {
      this.current = msg.id;
      if (call && call.budget) call.timer = setTimeout(() => this.stop("budget"), call.budget);
      return;
    }
    if (msg.type === "failed" && msg.id === null) {
      this.onStatus(msg.error, "error");
      this._failed(new Error(msg.error));
      return;
    }
    if (!call) return;
    this.finish(msg.id);
    if (msg.type === "result") {
      const result = msg.result;
      if (result && result.interrupted && call.stopReason === "budget") {
        result.error = `error: the evaluation took longer than its time budget (${call.budget / 1000} s) and was stopped`;
        result.budget = true;
      }
      if (result && typeof result === "object") result.ms = result.ms ?? Math.round(msg.ms);
      call.resolve(result);
    } else if (msg.type === "failed") {
      call.resolve(this.failure(call, msg.error));
      if (msg.fatal) this.restart();
    }
  }

  finish(id) {
    const call = this.pending.get(id);
    if (call && call.timer) clearTimeout(call.timer);
    if (call && call.grace) clearTimeout(call.grace);
    this.pending.delete(id);
    if (this.current === id) this.current = null;
  }

  failure(call, error) {
    // Pyodide runs out of the browser's own stack on a very deep recursion
    // through C code: reported as Nix's stack overflow, the worker restarted
    const stack = /call stack|fatal/i.test(error);
    return {
      ok: false, value: null, code: stack ? "E210" : null, restarted: true,
      error: stack
        ? "error: stack overflow: the evaluation went deeper than the browser's stack allows\n" +
          "(a terminal's pynix has a bigger stack); the playground restarted its Python runtime"
        : `error: the playground's Python runtime failed (${error}) and was restarted`,
    };
  }

  call(fn, args = [], { budget = 0 } = {}) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, fn, budget, timer: null, stopReason: null });
      this.worker.postMessage({ type: "call", id, fn, args });
    });
  }

  get busy() {
    return this.current !== null;
  }

  stop(reason = "user") {
    const id = this.current;
    const call = id !== null ? this.pending.get(id) : null;
    if (!call) return false;
    call.stopReason = reason;
    if (this.interrupt) {
      Atomics.store(this.interrupt, 0, 2);      // SIGINT: KeyboardInterrupt at the next bytecode
      call.grace = setTimeout(() => { if (this.pending.has(id)) this.abandon(reason); }, GRACE_MS);
    } else {
      this.abandon(reason);
    }
    return true;
  }

  // end the worker: every call still pending gets an "interrupted" answer
  abandon(reason) {
    for (const [id, call] of this.pending) {
      const budget = (call.stopReason || reason) === "budget" && call.budget;
      this.finish(id);
      call.resolve({
        ok: false, value: null, code: null, interrupted: true, restarted: true, budget: !!budget,
        error: budget
          ? `error: the evaluation took longer than its time budget (${call.budget / 1000} s) and was stopped`
          : "error: interrupted by the user",
      });
    }
    this.restart();
  }

  restart() {
    this.restarts += 1;
    for (const [id, call] of this.pending) {
      this.finish(id);
      call.resolve({ ok: false, value: null, code: null, restarted: true,
                     error: "error: the playground restarted its Python runtime before this ran" });
    }
    this.worker.terminate();
    this.start();
  }
}
