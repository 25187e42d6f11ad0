#!/usr/bin/env bash
# Whole-process encode, Tokki against the reference libraries, loading included, on every
# published model (.model, tokenizer.json, .tiktoken, Tekken) and the issue-15 shapes; then
# 2-thread scaling of encode, stats, prepare and batch, on the largest input and on 4 copies of
# it (SCALING_COPIES); then peak memory. Prints a Markdown report (the README's speed table
# comes from it).
#
#   scripts/bench/bench_process.sh                               # everything (about 15-25 minutes)
#   MODELS=gemma3,o200k scripts/bench/bench_process.sh           # models whose name contains a word
#   INPUTS=ko_help.txt REPEAT=5 scripts/bench/bench_process.sh   # inputs in .corpus/, runs per side
#   NO_SCALING=1 MARKDOWN=/tmp/report.md scripts/bench/bench_process.sh
#
# Steps: scripts/tools/build_release.sh (static release binary); the pinned sentencepiece,
# tokenizers and tiktoken (scripts/bench/pinned.sh); scripts/fetch/ scripts when .corpus/ or
# .models/ lack files; scripts/bench/make_shape_models.py; then scripts/bench/bench_process.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
. "$ROOT/scripts/bench/pinned.sh"
log() { printf '[bench_process] %s\n' "$*" >&2; }

TOKKI="$("$ROOT/scripts/tools/build_release.sh")"
pinned_install sentencepiece tokenizers tiktoken protobuf
[[ -s "$ROOT/.corpus/ko_help.txt" && -s "$ROOT/.corpus/constitution.txt" ]] || "$ROOT/scripts/fetch/fetch_corpus.sh" >&2
[[ -s "$ROOT/.models/gemma3.model" ]] || NO_EXPECT=1 "$ROOT/scripts/fetch/fetch_published_models.sh" >&2
[[ -s "$ROOT/.models/o200k_base.tiktoken" ]] || "$ROOT/scripts/fetch/fetch_published_tokenizers.sh" >&2
"$PYTHON" "$ROOT/scripts/bench/make_shape_models.py"

args=(--tokki "$TOKKI" --inputs "${INPUTS:-ko_help.txt,constitution.txt}" --repeat "${REPEAT:-3}")
[[ -n "${MODELS:-}" ]] && args+=(--models "$MODELS")
[[ -n "${NO_SCALING:-}" ]] && args+=(--no-scaling)
[[ -n "${SCALING_COPIES:-}" ]] && args+=(--scaling-copies "$SCALING_COPIES")
[[ -n "${MARKDOWN:-}" ]] && args+=(--markdown "$MARKDOWN")
exec "$PYTHON" "$ROOT/scripts/bench/bench_process.py" "${args[@]}"
