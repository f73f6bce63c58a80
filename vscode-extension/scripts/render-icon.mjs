// Renders images/icon.svg to images/icon.png (256×256, transparent corners) with the same
// Chromium and playwright-core the end-to-end suite uses (e2e/setup.sh installs both).
// The PNG is committed: vsce needs a PNG icon; run this after changing the SVG.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const svg = readFileSync(new URL("../images/icon.svg", import.meta.url), "utf8");
const browser = await chromium.launch({
  executablePath: process.env.PYNIX_E2E_CHROMIUM ?? "/usr/lib/chromium/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  const page = await browser.newPage({ viewport: { width: 256, height: 256 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator("svg").screenshot({ path: new URL("../images/icon.png", import.meta.url).pathname, omitBackground: true });
} finally {
  await browser.close();
}
console.log("images/icon.png written");
