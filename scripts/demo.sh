#!/usr/bin/env bash
# Builds kho, creates a local store in ./kho-data, deposits the sample decisions,
# verifies and scrubs them, and prints where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p api
kho="${CARGO_TARGET_DIR:-target}/release/kho"
if [ ! -f kho-data/kho.json ]; then
  "$kho" init
  "$kho" deposit --batch examples/documents/metadata.json
else
  echo "store ./kho-data exists already; not depositing the samples again"
fi
"$kho" list
"$kho" verify
"$kho" scrub
echo
echo "Store: $(pwd)/kho-data   (originals under kho-data/blobs/blake3/, manifests under kho-data/records/, journal under kho-data/journal/)"
echo "Try:   $kho show <record id>    $kho get <record id> -o copy.txt    $kho log"
