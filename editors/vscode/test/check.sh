#!/usr/bin/env bash
# The extension's own checks: install the locked dependencies when they
# changed, then lint, type-check, unit-test and package the .vsix.
set -euo pipefail

cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent lint
npm run --silent typecheck
npm test --silent
npm run --silent package >/dev/null
echo "vscode: built $(pwd)/dist/retort.vsix"
