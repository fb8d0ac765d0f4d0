#!/usr/bin/env bash
# Search quality of Kho vs SQLite FTS5 on Vietnamese law articles (issue 9):
# fetches the corpus if it is missing, builds kho-bench and runs the harness.
# Usage: scripts/search-quality.sh [--release] [extra kho-bench arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
corpus="$target/search-corpus/articles.jsonl"
if [ ! -s "$corpus" ]; then
    python3 scripts/fetch-search-corpus.py "$target/search-corpus"
fi
profile=debug
build=()
if [ "${1:-}" = "--release" ]; then
    profile=release
    build=(--release)
    shift
fi
cargo build -p benches "${build[@]}"
"$target/$profile/kho-bench" search-quality --corpus "$corpus" "$@"
