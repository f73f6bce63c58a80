#!/usr/bin/env bash
# Set-up for the end-to-end suite (`npm run e2e`): installs, from the package
# registries only, what running the extension in a real VS Code needs, and does
# nothing that is already done (run it as often as you like):
#   - Debian packages: chromium (the browser Playwright drives) with a font, and what
#     code-server's native modules build with (libkrb5-dev, libsecret-1-dev,
#     pkg-config, g++, make) plus ripgrep (stands in for the ripgrep binary
#     code-server would download);
#   - the repository's .venv with pynix (the language server the extension
#     finds on its own), unless PYNIX_E2E_VENV=skip;
#   - code-server (VS Code in a browser, from npm, version in e2e/versions.json)
#     in the test cache (~/.cache/pynix-tests, or $PYNIX_TEST_CACHE);
#   - the extension's npm packages (`npm ci`), Playwright's playwright-core among them.
# When something cannot be installed it says what is missing and exits 1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXT="$(dirname "$HERE")"
ROOT="$(dirname "$EXT")"
say() { printf 'e2e set-up: %s\n' "$*"; }
missing=()
miss() { missing+=("$1"); printf 'e2e set-up: MISSING: %s\n' "$1" >&2; }
finish() {
  if ((${#missing[@]})); then
    say "cannot run the end-to-end suite; missing:"
    printf '  - %s\n' "${missing[@]}"
    exit 1
  fi
}

# -- Node.js: code-server runs on one major version only -------------------------------------
want_node="$(sed -n 's/.*"node": *\([0-9]*\).*/\1/p' "$HERE/versions.json")"
cs_version="$(sed -n 's/.*"codeServer": *"\([^"]*\)".*/\1/p' "$HERE/versions.json")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  miss "Node.js $want_node with npm (node and npm on PATH)"
  finish
fi
have_node="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$have_node" != "$want_node" ]]; then
  miss "Node.js $want_node (code-server $cs_version runs on Node $want_node only; this is Node $(node --version))"
fi

# -- Debian packages ----------------------------------------------------------------------------
debs=(chromium fonts-dejavu-core libkrb5-dev libsecret-1-dev pkg-config ripgrep g++ make python3 python3-venv)
need=()
for p in "${debs[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then need+=("$p"); fi
done
if ((${#need[@]})); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # another set-up (CI's .ci/setup-chromium) may hold apt's lock: wait for it
    lock=(-o DPkg::Lock::Timeout=900)
    if ! { apt-get "${lock[@]}" update -q && apt-get "${lock[@]}" install -y -q "${need[@]}"; }; then
      miss "Debian packages ${need[*]} (apt-get install failed; see above)"
    fi
  else
    miss "Debian packages ${need[*]} (run as root: apt-get install ${need[*]})"
  fi
fi
CHROMIUM="${PYNIX_E2E_CHROMIUM:-/usr/lib/chromium/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  miss "the chromium browser at $CHROMIUM (Debian package chromium)"
fi
finish

# -- the language server: the repository's .venv --------------------------------------------------
# (PYNIX_E2E_VENV=skip: the caller makes it, as CI does while this runs)
if [[ "${PYNIX_E2E_VENV:-}" != skip && ! -x "$ROOT/.venv/bin/pynix" ]]; then
  say "creating $ROOT/.venv with pynix"
  python3 -m venv "$ROOT/.venv" && "$ROOT/.venv/bin/pip" install -q -e "$ROOT" \
    || miss "pynix in $ROOT/.venv (python3 -m venv .venv && .venv/bin/pip install -e . failed)"
fi

# -- code-server, in the test cache -------------------------------------------------------------
cache_root="${PYNIX_TEST_CACHE:-$HOME/.cache/pynix-tests}"
[[ "$cache_root" == off ]] && cache_root="$HOME/.cache/pynix-tests"
cs_dir="$cache_root/code-server-$cs_version"
cs_bin="$cs_dir/node_modules/code-server/out/node/entry.js"
if [[ -f "$cs_dir/.complete" && "${PYNIX_TEST_CACHE:-}" == off ]]; then
  say "PYNIX_TEST_CACHE=off: installing code-server again"
  rm -rf "$cs_dir"
fi
if [[ -f "$cs_dir/.complete" && -f "$cs_bin" ]]; then
  say "code-server $cs_version already installed in $cs_dir"
else
  say "installing code-server $cs_version into $cs_dir (builds native modules: several minutes)"
  work="$cs_dir.partial"
  rm -rf "$work" && mkdir -p "$work"
  ( cd "$work" && npm pack -q "code-server@$cs_version" >/dev/null ) || miss "code-server@$cs_version from the npm registry (npm pack failed)"
  finish
  tgz="$work/code-server-$cs_version.tgz"
  # @vscode/ripgrep downloads a ripgrep release at install time, unless its download cache
  # (os.tmpdir()/vscode-ripgrep-cache-<version>) holds the tarball it asks for: make that
  # tarball from Debian's rg.
  node "$HERE/seed-ripgrep.mjs" "$tgz" "$(command -v rg)" || miss "a seeded ripgrep download cache (see the message above)"
  finish
  nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  # node-gyp would download Node's headers; Node's own package ships them.
  [[ -f "$nodedir/include/node/node_version.h" ]] && export npm_config_nodedir="$nodedir"
  # code-server's postinstall runs `npm install` in its VS Code folders, whose native modules
  # (node-pty, kerberos, @vscode/ripgrep, ...) have install scripts; npm 11 skips dependencies'
  # install scripts unless approved, and these nested installs have no package.json of ours to
  # approve them in: allow them for this one install of a pinned version.
  # npm_config_yes: node-pty fetches node-gyp through npx; unsafe_perm: scripts run as root.
  if ( cd "$work" && echo '{"private":true}' > package.json \
       && npm_config_yes=true npm_config_unsafe_perm=true npm_config_dangerously_allow_all_scripts=true \
          npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
          npm install --no-save --no-package-lock "$tgz" ); then
    rm -f "$tgz"
    rm -rf "$cs_dir" && mv "$work" "$cs_dir"
    date -u +%FT%TZ > "$cs_dir/.complete"
  else
    miss "code-server $cs_version (npm install failed; see the log above)"
  fi
fi
finish
node "$cs_bin" --version >/dev/null 2>&1 || miss "a working code-server ($cs_bin --version failed)"

# -- the extension's npm packages (Playwright's playwright-core included) -------------------------
lock_hash="$(sha256sum "$EXT/package-lock.json" | cut -c1-16)-$(node --version)"
if [[ "$(cat "$EXT/node_modules/.pynix-lock" 2>/dev/null)" != "$lock_hash" ]]; then
  say "npm ci in $EXT"
  if ( cd "$EXT" && npm ci --no-audit --no-fund ); then
    echo "$lock_hash" > "$EXT/node_modules/.pynix-lock"
  else
    miss "the extension's npm packages (npm ci failed)"
  fi
fi
finish
say "ready: code-server $cs_version ($cs_dir), chromium $("$CHROMIUM" --version 2>/dev/null | sed -e "s/^Chromium //" -e "s/ *$//"), pynix $ROOT/.venv/bin/pynix"
