#!/usr/bin/env bash
# Encode-only throughput of one core, per model family (issue 15's per-core aim: 100 MB/s on
# Korean prose, 150 MB/s on the statutes), with the word caches empty and full.
#
#   scripts/bench/bench_per_core.sh                       # every family (about 3 minutes)
#   MODELS="qwen3 gemma3" scripts/bench/bench_per_core.sh # families whose file name has a word
#   MARKDOWN=/tmp/per-core.md scripts/bench/bench_per_core.sh
#
# For each model and input, `tokki-bench encode MODEL FILE` on one thread, loading excluded:
#   * "first pass": --fresh, every timed run starts with a newly loaded tokenizer, so its word
#     caches are empty (what one pass over a new corpus costs: every distinct word is
#     normalized and segmented once); best of 3;
#   * "cached": the same tokenizer encodes the file again and again; every run after the first
#     finds every word in its cache (what a long corpus approaches, its frequent words cached);
#     best of 5.
# Inputs: .corpus/ko_help.txt (Korean prose, 6.4 MB) and the statutes (.corpus/kolaw/
# constitution.txt and .corpus/kobill.txt, 135 KB together; runs repeated to encode about
# 3 MB). No reference library is run: the side-by-side ratios are bench_process.sh's (whole
# process) and bench_hf.sh / bench_encode.sh's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CORPUS="$ROOT/.corpus"
MODELS_DIR="$ROOT/.models"
BENCH="$ROOT/Benchmarks/.build/release/tokki-bench"
log() { printf '[bench_per_core] %s\n' "$*" >&2; }

# One model per family (name: file).
FAMILIES=(
  "SentencePiece BPE, shipped 16k|$ROOT/Vocab/tokki-ko-bpe-16k.model"
  "SentencePiece BPE, Llama 2 32k|$MODELS_DIR/llama2.model"
  "SentencePiece BPE, Gemma 3 262k|$MODELS_DIR/gemma3.model"
  "SentencePiece unigram, MaxText 32k|$MODELS_DIR/maxtext_default_unigram_32k.model"
  "tokenizer.json byte-level BPE, Qwen 3 151k|$MODELS_DIR/qwen3.tokenizer.json"
  "tokenizer.json Metaspace BPE, Llama 2|$MODELS_DIR/llama2_hf.tokenizer.json"
  "tokenizer.json WordPiece, BERT uncased|$MODELS_DIR/bert_base_uncased.derived.tokenizer.json"
  "tiktoken, cl100k|$MODELS_DIR/cl100k_base.tiktoken"
  "tiktoken, o200k|$MODELS_DIR/o200k_base.tiktoken"
)

log "building tokki-bench (release)"
rm -f "$ROOT"/Benchmarks/.build/*/description.json
swift build -c release --package-path "$ROOT/Benchmarks" --product tokki-bench >&2

if [[ ! -s "$CORPUS/ko_help.txt" || ! -s "$CORPUS/kobill.txt" || ! -s "$CORPUS/kolaw/constitution.txt" ]]; then
  log "fetching the corpus"
  "$ROOT/scripts/fetch/fetch_corpus.sh" >&2
fi
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tokki-per-core.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
cat "$CORPUS/kolaw/constitution.txt" "$CORPUS/kobill.txt" >"$TMP/statutes.txt"

mbps() { grep '^RESULT ' | sed -E 's/.*best_mbps=([0-9.]+).*/\1/'; }

rows=()
for entry in "${FAMILIES[@]}"; do
  name="${entry%%|*}"; model="${entry#*|}"
  if [[ -n "${MODELS:-}" ]]; then
    keep=0
    for w in $MODELS; do [[ "$(basename "$model")" == *"$w"* ]] && keep=1; done
    (( keep )) || continue
  fi
  if [[ ! -s "$model" ]]; then log "WARNING: $model missing (scripts/fetch/fetch_published_tokenizers.sh); skipped"; continue; fi
  log "$name"
  cells=()
  for input in "$CORPUS/ko_help.txt" "$TMP/statutes.txt"; do
    size="$(stat -c %s "$input")"
    # A small input: more timed runs (each is one pass over the file).
    cold_reps=3; warm_reps=5
    if (( size < 1000000 )); then cold_reps=9; warm_reps=$(( 3000000 / size + 1 )); fi
    cold="$("$BENCH" encode "$model" "$input" --repeat "$cold_reps" --fresh | mbps)"
    warm="$("$BENCH" encode "$model" "$input" --repeat "$warm_reps" | mbps)"
    cells+=("$(printf '%.0f' "$cold")" "$(printf '%.0f' "$warm")")
  done
  rows+=("| $name | ${cells[0]} | ${cells[1]} | ${cells[2]} | ${cells[3]} |")
done

{
  echo "Encode only, one thread, loading excluded, MB/s (input bytes / s); $(uname -m), $(nproc) cores, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo "First pass: a newly loaded tokenizer (empty word caches), best of 3 (statutes: 9); cached: every word already cached, best of 5 (statutes: enough runs for ~3 MB)."
  echo "Aim (issue 15): 100 MB/s on Korean prose, 150 MB/s on the statutes."
  echo
  echo "| model family | Korean prose, first pass | Korean prose, cached | statutes, first pass | statutes, cached |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "${MARKDOWN:-/dev/null}"
