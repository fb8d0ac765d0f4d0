#!/usr/bin/env bash
# Builds kho and starts `kho serve` on the embedded local store ./kho-data.
# First start: creates the store, deposits the sample decisions and creates the
# first admin account, whose token is printed once. Open the printed URL.
#   scripts/serve.sh                      listen on 127.0.0.1:8420
#   scripts/serve.sh --listen 0.0.0.0:80  any `kho serve` option
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p api
kho="${CARGO_TARGET_DIR:-target}/release/kho"
if [ ! -f kho-data/kho.json ]; then
  "$kho" init
  "$kho" deposit --batch examples/documents/metadata.json
  "$kho" reindex
fi
exec "$kho" serve "$@"
