#!/usr/bin/env bash
# Installs code-server (VS Code in a browser, from the npm registry) into the
# directory given as $1, once. Its postinstall compiles native modules and
# would download ripgrep from the network; a tarball of Debian's rg placed in
# the downloader's cache satisfies it offline.
set -euo pipefail

dest=${1:?usage: install-code-server.sh DIR}
version=4.99.4 # the last line built for Node 20
if [ -x "$dest/node_modules/.bin/code-server" ]; then
  exit 0
fi
rg=$(command -v rg || true)
if [ -z "$rg" ]; then
  echo "install-code-server: ripgrep (rg) is missing; install Debian's ripgrep" >&2
  exit 1
fi
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache="$tmp/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache/stage"
cp "$rg" "$cache/stage/rg"
tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$cache/stage" rg
echo "Installing code-server $version into $dest (once, about a minute)..."
cd "$dest"
[ -f package.json ] || echo '{"private":true}' > package.json
TMPDIR="$tmp" npm_config_unsafe_perm=true npm_config_yes=true \
  npm install --no-audit --no-fund --loglevel=error "code-server@$version"
