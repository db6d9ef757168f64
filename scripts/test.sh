#!/usr/bin/env bash
# Runs every test: the VS Code extension (lint, unit tests, .vsix, and its
# end-to-end test in code-server), then the Rust workspace (unit, end-to-end
# and interop tests with real DVC). DVC 3.67.1 is installed once into a venv
# under target/ when it is missing; set RETORT_DVC to use another `dvc`
# executable.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [ -z "${RETORT_DVC:-}" ]; then
  venv=${RETORT_DVC_VENV:-$repo/target/dvc-venv}
  if [ ! -x "$venv/bin/dvc" ]; then
    echo "Installing DVC 3.67.1 into $venv (once)..."
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "dvc==3.67.1" "dvclive==3.49.1"
  fi
  export RETORT_DVC="$venv/bin/dvc"
fi
export RETORT_REQUIRE_DVC=${RETORT_REQUIRE_DVC:-1}
# The Neovim plugin's tests (tests/tests/nvim_plugin.rs) need nvim; cargo's
# quiet output hides their own skip message, so print it here.
if ! command -v "${RETORT_NVIM:-nvim}" >/dev/null; then
  if [ "${RETORT_REQUIRE_EDITORS:-0}" = 1 ]; then
    echo "error: RETORT_REQUIRE_EDITORS=1 but Neovim ('${RETORT_NVIM:-nvim}') was not found; install the neovim package" >&2
    exit 1
  fi
  echo "Skipping the Neovim plugin tests: Neovim ('${RETORT_NVIM:-nvim}') was not found (install the neovim package)."
fi
# DVC must not try to reach the network during tests.
export DVC_NO_ANALYTICS=1 DVC_STUDIO_OFFLINE=1

# The editor checks need Node; without it they are skipped with the reason,
# unless RETORT_REQUIRE_EDITORS=1. The end-to-end test decides for itself
# whether Chromium and code-server are there.
if command -v npm >/dev/null; then
  editors/vscode/test/check.sh
  cargo build --quiet -p retort
  editors/vscode/test/e2e/run.sh
elif [ "${RETORT_REQUIRE_EDITORS:-0}" = 1 ]; then
  echo "editors: npm is missing and RETORT_REQUIRE_EDITORS=1" >&2
  exit 1
else
  echo "editors skipped: npm is missing"
fi

cargo test --workspace --quiet "$@"
