#!/usr/bin/env bash
# Normalization throughput: raw ICU NFC / NFKC vs the Korean preset, and the preset followed by
# the Hanja stage (--hanja hangul), one core, release build.
# Usage: scripts/bench/bench_normalize.sh [FILE...]   (default: the Korean corpus from fetch_corpus.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ $# -eq 0 ]; then
    [ -f "$root/.corpus/ko_help.txt" ] || "$root/scripts/fetch/fetch_corpus.sh"
    # Korean prose with 30% Hanja (needs libhangul-data), for the Hanja stage's speed goal.
    [ -f "$root/.corpus/ko_hanja30.txt" ] || python3 "$root/scripts/bench/make_hanja_text.py" >&2
    set -- "$root/.corpus/ko_help.txt" "$root/.corpus/kobill.txt" "$root/.corpus/constitution.txt" "$root/.corpus/ko_hanja30.txt"
fi
# A path dependency gaining files can leave a stale build description behind.
rm -f "$root"/Benchmarks/.build/*/description.json
swift build -c release --package-path "$root/Benchmarks" --product tokki-bench >&2
"$root/Benchmarks/.build/release/tokki-bench" normalize "$@"
