#!/usr/bin/env bash
# Sets up everything the tests need and runs every test of the workspace.
#   scripts/test.sh            the full suite
#   scripts/test.sh --long     also the long crash run (200 kills) and multi-GiB round trips
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if [ "${1:-}" = "--long" ]; then export KHO_LONG=1; fi

# Debian packages the tests use.
need_pkgs=()
command -v curl >/dev/null || need_pkgs+=(curl)
command -v python3 >/dev/null || need_pkgs+=(python3 python3-venv)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${need_pkgs[@]}"
  else echo "missing: ${need_pkgs[*]} (install them, or run as root)" >&2; exit 1; fi
fi

# Headless Chromium drives the web UI tests.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium
  else echo "missing: chromium (install it, or run as root)" >&2; exit 1; fi
fi
export KHO_TEST_CHROMIUM="$(command -v chromium)"

# Python tools: the S3 server (SeaweedFS), DuckDB, pyarrow, bagit, ocfl-py. The venv is
# brought up to date whenever scripts/requirements-test.txt changes.
venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r scripts/requirements-test.txt
  echo "$want" > "$stamp"
fi
export KHO_TEST_PYTHON="$venv/bin/python"
export PATH="$venv/bin:$PATH"

# Rust test runner.
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

source scripts/seaweedfs.sh "$venv"
trap seaweedfs_stop EXIT

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo nextest run --workspace --locked --no-fail-fast
cargo test --workspace --locked --doc
