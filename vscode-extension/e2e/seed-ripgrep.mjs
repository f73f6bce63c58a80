// Pre-seeds @vscode/ripgrep's download cache so that installing code-server needs no
// download from outside the package registries.
//
// code-server's VS Code depends on @vscode/ripgrep, whose postinstall fetches a ripgrep
// release tarball unless `os.tmpdir()/vscode-ripgrep-cache-<package version>/<asset>`
// already exists. This finds the package version (code-server's npm-shrinkwrap.json),
// the release and asset names it asks for (its lib/postinstall.js and lib/download.js),
// and writes that asset as a tarball holding the given `rg` (Debian's ripgrep).
//
// usage: node seed-ripgrep.mjs CODE-SERVER.tgz /usr/bin/rg
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { arch, platform, tmpdir } from "node:os";
import { join } from "node:path";

const [tgz, rg] = process.argv.slice(2);
const fail = (msg) => {
  console.error(`seed-ripgrep: ${msg}`);
  process.exit(1);
};
if (!tgz || !rg || !existsSync(tgz) || !existsSync(rg)) fail("usage: seed-ripgrep.mjs CODE-SERVER.tgz PATH-TO-rg");
if (platform() !== "linux") fail(`only Linux is handled (this is ${platform()})`);
const targets = { x64: "x86_64-unknown-linux-musl", arm64: "aarch64-unknown-linux-musl" };
const target = targets[arch()] ?? fail(`no ripgrep target known for ${arch()}`);

const untar = (archive, member) => execFileSync("tar", ["-xzOf", archive, member], { encoding: "utf8" });
const shrinkwrap = JSON.parse(untar(tgz, "package/lib/vscode/npm-shrinkwrap.json"));
const version = shrinkwrap.packages?.["node_modules/@vscode/ripgrep"]?.version;
if (!version) fail("code-server's shrinkwrap names no @vscode/ripgrep");

const cache = join(tmpdir(), `vscode-ripgrep-cache-${version}`);
const work = mkdtempSync(join(tmpdir(), "seed-ripgrep-"));
try {
  const packed = execFileSync("npm", ["pack", "-q", `@vscode/ripgrep@${version}`], { cwd: work, encoding: "utf8" }).trim();
  const postinstall = untar(join(work, packed), "package/lib/postinstall.js");
  const download = untar(join(work, packed), "package/lib/download.js");
  const release = /const VERSION = '([^']+)'/.exec(postinstall)?.[1] ?? fail("no VERSION in @vscode/ripgrep's postinstall.js");
  // the asset name as download.js builds it: ripgrep-<release>-<target>.tar.gz
  if (!download.includes("['ripgrep', opts.version, opts.target].join('-')")) {
    fail(`@vscode/ripgrep ${version} names its asset differently: update e2e/seed-ripgrep.mjs`);
  }
  const asset = join(cache, `ripgrep-${release}-${target}.tar.gz`);
  if (existsSync(asset)) {
    console.log(`seed-ripgrep: ${asset} is there already`);
  } else {
    mkdirSync(cache, { recursive: true });
    copyFileSync(rg, join(work, "rg"));
    execFileSync("tar", ["-czf", asset, "-C", work, "rg"]);
    console.log(`seed-ripgrep: wrote ${asset} from ${rg}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
