#!/usr/bin/env bash
# A generated corpus searched through `kho search` (issue 9): N documents
# sampled from Vietnamese law text (the corpus of scripts/search-quality.sh),
# deposited into a new store with `kho deposit --batch`, then searched.
# Usage: scripts/search-demo-corpus.sh [N] [DIR]   (default 20000, target/search-demo)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
target="${CARGO_TARGET_DIR:-target}"
dir="$(realpath -m "${2:-$target/search-demo}")"
corpus="$target/search-corpus/articles.jsonl"
if [ ! -s "$corpus" ]; then
    python3 scripts/fetch-search-corpus.py "$target/search-corpus"
fi
cargo build --release -p benches -p api
kho="$(realpath "$target/release/kho")"
rm -rf "$dir"
"$target/release/kho-bench" gen-corpus --corpus "$corpus" --docs "$n" --out "$dir/files"
mkdir -p "$dir/store"
cd "$dir/store"
"$kho" init
time "$kho" deposit --batch "$dir/files/metadata.json" > "$dir/deposited.tsv"
"$kho" verify
set -x
"$kho" search "định giá tài sản" --limit 3
"$kho" search "dinh gia tai san" --type "báo cáo" --from 2015-01-01 --limit 3
"$kho" search '"thẩm định giá"' --limit 3
"$kho" search "1/2019/BC-BTC" --limit 1
