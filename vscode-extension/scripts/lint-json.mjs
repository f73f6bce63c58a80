// Lint the JSON contributions: they must parse, and the manifest must point at files that exist.
import { readFileSync, existsSync } from "node:fs";

let failed = false;
const fail = (msg) => { console.error(`lint: ${msg}`); failed = true; };
const load = (file) => {
  try { return JSON.parse(readFileSync(file, "utf8")); } catch (e) { fail(`${file}: ${e.message}`); return undefined; }
};

const pkg = load("package.json");
const grammar = load("syntaxes/nix.tmLanguage.json");
const langConf = load("language-configuration.json");

if (pkg) {
  for (const l of pkg.contributes.languages) if (l.configuration && !existsSync(l.configuration)) fail(`missing ${l.configuration}`);
  for (const g of pkg.contributes.grammars) if (!existsSync(g.path)) fail(`missing ${g.path}`);
  const declared = new Set(pkg.contributes.commands.map((c) => c.command));
  const src = readFileSync("src/extension.ts", "utf8");
  for (const c of declared) if (!src.includes(`"${c}"`)) fail(`command ${c} is declared but not registered`);
  for (const m of src.matchAll(/registerCommand\("([^"]+)"/g)) if (!declared.has(m[1])) fail(`command ${m[1]} is registered but not declared`);
  const props = Object.keys(pkg.contributes.configuration.properties);
  for (const p of props) if (!p.startsWith("pynix.")) fail(`setting ${p} is not under pynix.`);
}

if (grammar) {
  // Every `include: "#name"` must name a repository entry; every regex must compile (JS approximation of Oniguruma).
  const repo = grammar.repository ?? {};
  const walk = (node, where) => {
    if (Array.isArray(node)) { node.forEach((n, i) => walk(n, `${where}[${i}]`)); return; }
    if (!node || typeof node !== "object") return;
    if (typeof node.include === "string" && node.include.startsWith("#") && !(node.include.slice(1) in repo)) {
      fail(`grammar ${where}: unknown include ${node.include}`);
    }
    for (const key of ["match", "begin", "end", "while"]) {
      if (typeof node[key] === "string") {
        const js = node[key].replace(/\(\?x\)/g, "").replace(/\\G/g, "").replace(/\\[AzZ]/g, "").replace(/\(\?<!/g, "(?<!").replace(/\\h/g, "[0-9a-fA-F]");
        try { new RegExp(js, "u"); } catch { try { new RegExp(js); } catch (e) { fail(`grammar ${where}.${key}: ${e.message}`); } }
      }
    }
    for (const [k, v] of Object.entries(node)) if (typeof v === "object") walk(v, `${where}.${k}`);
  };
  walk(grammar, "grammar");
}

if (langConf && !langConf.comments?.lineComment) fail("language-configuration.json: no line comment");

if (failed) process.exit(1);
console.log("lint: ok");
