// Run a Python script inside Pyodide under Node: the build's bytecode step
// (nixlang/playground/bytecode.py), which must compile with the very Python
// the browser will run.
//
//   node run-in-pyodide.mjs PYODIDE_DIR HOST_DIR SCRIPT [ARGS...]
//
// HOST_DIR is mounted at /host; SCRIPT (a path under /host) runs as __main__
// with sys.argv = [SCRIPT, ...ARGS]. The exit status is 1 when it raises.
import { pathToFileURL } from "node:url";
import path from "node:path";

const [pyodideDir, hostDir, script, ...args] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: path.resolve(pyodideDir) + "/" });
pyodide.FS.mkdirTree("/host");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.resolve(hostDir) }, "/host");
try {
  pyodide.globals.set("argv", pyodide.toPy([script, ...args]));
  pyodide.runPython("import runpy, sys\nsys.argv = list(argv)\nrunpy.run_path(sys.argv[0], run_name='__main__')");
} catch (err) {
  console.error(String(err));
  process.exit(1);
}
