#!/usr/bin/env bash
# tokki prepare against pure encoding, side by side in one run, one thread each, and its memory.
#
# What is measured: wall time of `tokki encode --threads 1` (ids to /dev/null) and of
# `tokki prepare --threads 1 --append-eos` (a Megatron dataset) on the same Korean corpus (N copies
# of .corpus/ko_all.txt, N=4 by default: 26 MB), best of 3 each; the ratio encode/prepare (the
# issue's goal: prepare runs at ≥ 80% of encode throughput); and prepare's peak RSS at 1 copy and
# at N copies (memory must not grow with the corpus).
#
# Run: scripts/fetch/fetch_corpus.sh (once), then scripts/bench/bench_prepare.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-4}"
T="${TOKKI:-$(scripts/tools/build_release.sh)}"   # the standalone release binary
[ -f .corpus/ko_all.txt ] || scripts/fetch/fetch_corpus.sh
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for _ in $(seq "$N"); do cat .corpus/ko_all.txt; done > "$WORK/corpus.txt"
MB=$(awk -v b="$(stat -c %s "$WORK/corpus.txt")" 'BEGIN { printf "%.1f", b / 1e6 }')

best() {  # best wall time of 3 runs of "$@"
  local b=999999
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@"; e=$(date +%s.%N)
    b=$(awk -v b="$b" -v d="$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" 'BEGIN { print (d < b) ? d : b }')
  done
  echo "$b"
}
ENC=$(best sh -c "$T encode --threads 1 --input '$WORK/corpus.txt' > /dev/null")
PRE=$(best "$T" prepare --threads 1 --input "$WORK/corpus.txt" --output-prefix "$WORK/p" --append-eos --quiet)
head -c "$(stat -c %s .corpus/ko_all.txt)" "$WORK/corpus.txt" > "$WORK/one.txt"
RSS1=$(/usr/bin/time -f %M "$T" prepare --threads 1 --input "$WORK/one.txt" --output-prefix "$WORK/q" --append-eos --quiet 2>&1 | tail -1)
RSSN=$(/usr/bin/time -f %M "$T" prepare --threads 1 --input "$WORK/corpus.txt" --output-prefix "$WORK/r" --append-eos --quiet 2>&1 | tail -1)
echo "corpus: $N × ko_all.txt = $MB MB; one thread; best of 3"
printf "  %-22s %8.2f s  %6.1f MB/s\n" "tokki encode" "$ENC" "$(awk -v m="$MB" -v t="$ENC" 'BEGIN { print m / t }')"
printf "  %-22s %8.2f s  %6.1f MB/s\n" "tokki prepare" "$PRE" "$(awk -v m="$MB" -v t="$PRE" 'BEGIN { print m / t }')"
printf "  prepare throughput = %.0f%% of encode's (goal ≥ 80%%)\n" "$(awk -v a="$ENC" -v b="$PRE" 'BEGIN { print 100 * a / b }')"
printf "  prepare peak RSS: %d MB at 1 copy, %d MB at %d copies\n" "$((RSS1 / 1024))" "$((RSSN / 1024))" "$N"
