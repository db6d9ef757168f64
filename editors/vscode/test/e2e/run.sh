#!/usr/bin/env bash
# End-to-end test of the VS Code extension: packages the .vsix, installs
# code-server from npm (once, under target/), and drives it with headless
# Debian Chromium through playwright-core on a fixture project.
#
# Skips with the reason when a tool is missing, unless RETORT_REQUIRE_EDITORS=1.
# RETORT_BIN picks the retort binary (default: target/debug/retort, built if
# missing); screenshots and logs go to target/editors/e2e/.
set -euo pipefail

ext=$(cd "$(dirname "$0")/../.." && pwd)
repo=$(cd "$ext/../.." && pwd)

skip() {
  if [ "${RETORT_REQUIRE_EDITORS:-0}" = 1 ]; then
    echo "vscode e2e: $1 (RETORT_REQUIRE_EDITORS=1, so this fails)" >&2
    exit 1
  fi
  echo "vscode e2e skipped: $1"
  exit 0
}

chromium=${RETORT_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] && [ -x "$chromium" ] || skip "no Chromium (Debian: apt-get install chromium)"
command -v node >/dev/null && command -v npm >/dev/null || skip "no node/npm"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || skip "code-server 4.99.4 needs Node 20, this is Node $node_major"
command -v rg >/dev/null || skip "no ripgrep, which code-server's install needs offline (apt-get install ripgrep)"

code_server_dir=${RETORT_CODE_SERVER_DIR:-$repo/target/editors/code-server}
if ! "$ext/test/e2e/install-code-server.sh" "$code_server_dir"; then
  skip "code-server could not be installed into $code_server_dir (needs g++, make, python3 and libkrb5-dev)"
fi

retort=${RETORT_BIN:-$repo/target/debug/retort}
if [ ! -x "$retort" ]; then
  (cd "$repo" && cargo build --quiet -p retort)
fi

cd "$ext"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent package >/dev/null

# Screenshots of an earlier run would be mistaken for this one's.
rm -rf "$repo/target/editors/e2e"
node test/e2e/e2e.mjs \
  --code-server "$code_server_dir/node_modules/.bin/code-server" \
  --vsix "$ext/dist/retort.vsix" \
  --retort "$retort" \
  --chromium "$chromium" \
  --out "$repo/target/editors/e2e"
