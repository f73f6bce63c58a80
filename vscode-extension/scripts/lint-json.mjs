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

// Publishing: what the Marketplace and Open VSX need and show.
const versions = load("e2e/versions.json");
if (pkg && versions) {
  const [major, minor] = versions.vscode.split(".");
  const engine = `^${major}.${minor}.0`;
  if (pkg.engines?.vscode !== engine) fail(`engines.vscode is ${pkg.engines?.vscode}; the end-to-end suite tests VS Code ${versions.vscode}: use ${engine}`);
  const categories = new Set(["AI", "Azure", "Chat", "Data Science", "Debuggers", "Education", "Extension Packs", "Formatters",
    "Keymaps", "Language Packs", "Linters", "Machine Learning", "Notebooks", "Other", "Programming Languages", "SCM Providers",
    "Snippets", "Testing", "Themes", "Visualization"]);
  for (const c of pkg.categories ?? []) if (!categories.has(c)) fail(`unknown category ${c}`);
  if (!pkg.categories?.length) fail("no categories");
  if (!pkg.keywords?.length || pkg.keywords.length > 30) fail("keywords: between 1 and 30 are shown");
  if (!pkg.license || !existsSync("LICENSE")) fail("a license (and its LICENSE file) is required by Open VSX");
  if (!pkg.publisher) fail("no publisher (the Open VSX namespace)");
  for (const f of ["README.md", "CHANGELOG.md"]) if (!existsSync(f)) fail(`missing ${f}`);
  if (!pkg.icon || !existsSync(pkg.icon)) {
    fail(`missing icon ${pkg.icon}`);
  } else {
    const png = readFileSync(pkg.icon);
    const isPng = png.subarray(1, 4).toString() === "PNG";
    const [w, h] = isPng ? [png.readUInt32BE(16), png.readUInt32BE(20)] : [0, 0];
    if (!isPng || w < 128 || w !== h) fail(`${pkg.icon}: a square PNG of at least 128 px is needed (is ${isPng ? `${w}x${h}` : "no PNG"})`);
  }
  const readme = existsSync("README.md") ? readFileSync("README.md", "utf8") : "";
  for (const m of readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) {
    if (!/^https?:/.test(m[1]) && !existsSync(m[1])) fail(`README.md shows ${m[1]}, which is missing`);
  }
}

if (failed) process.exit(1);
console.log("lint: ok");
