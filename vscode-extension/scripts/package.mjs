// `npm run package`: builds pynix-vscode-<version>.vsix with vsce.
//
// The README's screenshots are relative links to images/, in the repository (not in the .vsix).
// The registries' pages (the Marketplace, Open VSX) and VS Code's extension page show images
// from https addresses only, which vsce writes from package.json's `repository`: once that
// field names the public repository, the links are rewritten; until then they are kept
// relative (the pictures' descriptions show), which vsce would otherwise refuse.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const args = ["package", "--no-dependencies"];
if (!pkg.repository) args.push("--no-rewrite-relative-links", "--allow-missing-repository");
const vsce = new URL("../node_modules/@vscode/vsce/vsce", import.meta.url).pathname;
execFileSync(process.execPath, [vsce, ...args], { stdio: "inherit", cwd: new URL("..", import.meta.url).pathname });
