// Copies the screenshots the README shows from the end-to-end suite's artifacts
// (e2e-artifacts/, written by `npm run e2e`) into images/, under stable names.
// Run it after `npm run e2e` when the editor's look or a feature changed.
import { copyFileSync, existsSync, readFileSync } from "node:fs";

const shown = {
  "02-problems.png": "screenshot-problems.png",
  "07-hover-value.png": "screenshot-hover-value.png",
  "03-quick-fix-menu.png": "screenshot-quick-fix.png",
  "11-completion.png": "screenshot-completion.png",
  "12-evaluate-file.png": "screenshot-evaluate.png",
  "17-flake-input-hover.png": "screenshot-flake-input.png",
};
const at = (p) => new URL(`../${p}`, import.meta.url).pathname;
const readme = readFileSync(at("README.md"), "utf8");
let missing = 0;
for (const [from, to] of Object.entries(shown)) {
  if (!existsSync(at(`e2e-artifacts/${from}`))) {
    console.error(`readme-images: e2e-artifacts/${from} is missing (run npm run e2e)`);
    missing++;
    continue;
  }
  if (!readme.includes(`images/${to}`)) console.error(`readme-images: README.md does not show images/${to}`);
  copyFileSync(at(`e2e-artifacts/${from}`), at(`images/${to}`));
  console.log(`images/${to} <- e2e-artifacts/${from}`);
}
process.exit(missing ? 1 : 0);
