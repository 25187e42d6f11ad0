#!/usr/bin/env bash
# Supervised fine-tuning data, Tokki against transformers, side by side in one run (issue 16):
# rendering with a chat template, tokenizing and assistant-masking Korean multi-turn
# conversations on ONE thread, then the same on two threads, then peak memory at 1x and 4x the
# conversations (streaming: memory must stay flat).
#
#   scripts/bench/bench_sft.sh                  # 10,000 conversations (about 2 minutes)
#   COUNT=2000 REPEAT=1 scripts/bench/bench_sft.sh
#
# The model folder is built in a temporary folder: the published Qwen3 tokenizer.json
# (.models/qwen3.tokenizer.json, from scripts/fetch/fetch_published_tokenizers.sh) with a
# ChatML chat template whose assistant turns are {% generation %} blocks (the template of
# scripts/fixtures/make_sft_fixtures.py), so that transformers' return_assistant_tokens_mask
# has spans to mark. Conversations: scripts/bench/make_sft_conversations.py from .corpus/.
#
# Reference: scripts/bench/bench_sft_reference.py — AutoTokenizer.from_pretrained(DIR), then
#   apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
# per conversation (best of REPEAT). Tokki: the whole `tokki batch --objective sft` process
# (loading, reading JSONL, rendering, tokenizing, masking, writing a Megatron dataset with its
# loss mask), best of REPEAT. The ids and masks of every conversation are compared
# (scripts/bench/compare_sft_megatron.py); a difference makes the script exit 1.
#
# Tokki runs with its model cache (the tokenizer.json's built tables read from the image its
# first run wrote, as a user's second and later runs do), and once more without it.
# Printed: seconds of each side, conversations/s, and three ratios:
#   loop  = reference apply_chat_template loop (load and JSON reading excluded) / Tokki whole process
#   whole = reference load + reading + loop / Tokki whole process
#   loop against loop = reference loop / (Tokki whole process - Tokki's fixed cost), the fixed cost
#           being the whole process on the first conversation alone (start-up, loading, output files)
# Goal (issue 16): >= 20x on one thread.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
. "$ROOT/scripts/bench/pinned.sh"
COUNT="${COUNT:-10000}"
REPEAT="${REPEAT:-3}"
log() { printf '[bench_sft] %s\n' "$*" >&2; }

TOKKI="$("$ROOT/scripts/tools/build_release.sh")"
pinned_install tokenizers transformers jinja2 numpy
[[ -s "$ROOT/.corpus/ko_help.txt" ]] || "$ROOT/scripts/fetch/fetch_corpus.sh" >&2
[[ -s "$ROOT/.models/qwen3.tokenizer.json" ]] || "$ROOT/scripts/fetch/fetch_published_tokenizers.sh" >&2

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tokki-bench-sft.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# A model cache of this run only (see ModelCache): the first Tokki run writes the image of the
# tokenizer.json; "no model cache" rows set TOKKI_MODEL_CACHE=0 (every load builds the tables).
export TOKKI_CACHE_DIR="$WORK/model-cache"
unset TOKKI_MODEL_CACHE
mkdir "$WORK/qwen3"
cp "$ROOT/.models/qwen3.tokenizer.json" "$WORK/qwen3/tokenizer.json"
"$PYTHON" - "$ROOT" "$WORK/qwen3/tokenizer_config.json" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1] + "/scripts/fixtures")
from make_sft_fixtures import CHATML_GENERATION
json.dump({"chat_template": CHATML_GENERATION, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
           "bos_token": None, "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 131072},
          open(sys.argv[2], "w"))
PY
"$PYTHON" "$ROOT/scripts/bench/make_sft_conversations.py" "$WORK/conv.jsonl" --count "$COUNT"
cat "$WORK/conv.jsonl" "$WORK/conv.jsonl" "$WORK/conv.jsonl" "$WORK/conv.jsonl" > "$WORK/conv4.jsonl"

log "reference: transformers apply_chat_template (one thread)"
REF_JSON="$(RAYON_NUM_THREADS=1 "$PYTHON" "$ROOT/scripts/bench/bench_sft_reference.py" "$WORK/qwen3" "$WORK/conv.jsonl" \
  --repeat "$REPEAT" --dump "$WORK/ref.jsonl" 2>/dev/null)"

run_tokki() {  # threads [cache 0|1] [input] [runs] → seconds (best of runs, default REPEAT), output in $WORK/out
  local best="" t
  for _ in $(seq "${4:-$REPEAT}"); do
    t="$(TOKKI_MODEL_CACHE="${2:-1}" "$PYTHON" - "$TOKKI" "$WORK" "$1" "${3:-$WORK/conv.jsonl}" <<'PY'
import subprocess, sys, time
tokki, work, threads, conversations = sys.argv[1:5]
t = time.perf_counter()
subprocess.run([tokki, "batch", "--objective", "sft", "--model", work + "/qwen3", "--input", conversations,
                "--threads", threads, "--seq-len", "65536", "--truncation", "drop", "--output", work + "/out.idx", "--quiet"],
               check=True)
print(time.perf_counter() - t)
PY
)"
    if [[ -z "$best" ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best="$t"; fi
  done
  echo "$best"
}
# Tokki's fixed cost (start-up, loading the model, creating and committing the four output files),
# with and without the model cache: the whole process on the first conversation alone, best of 3 x
# REPEAT. Subtracted from a whole run, it leaves Tokki's own loop, to set against the reference's.
head -n 1 "$WORK/conv.jsonl" > "$WORK/one.jsonl"
log "tokki fixed cost (one conversation), no model cache"
F0="$(run_tokki 1 0 "$WORK/one.jsonl" $((3 * REPEAT)))"
log "tokki batch --objective sft --threads 1, no model cache"
T0="$(run_tokki 1 0)"
"$PYTHON" "$ROOT/scripts/bench/compare_sft_megatron.py" "$WORK/out" "$WORK/ref.jsonl" >&2
log "tokki batch --objective sft --threads 1"
run_tokki 1 >/dev/null  # writes the model cache image (REPEAT=1 would otherwise time it)
F1="$(run_tokki 1 1 "$WORK/one.jsonl" $((3 * REPEAT)))"
T1="$(run_tokki 1)"
"$PYTHON" "$ROOT/scripts/bench/compare_sft_megatron.py" "$WORK/out" "$WORK/ref.jsonl" >&2
log "tokki batch --objective sft --threads 2"
T2="$(run_tokki 2)"
"$PYTHON" "$ROOT/scripts/bench/compare_sft_megatron.py" "$WORK/out" "$WORK/ref.jsonl" >&2

peak() {  # input → peak RSS in MB (packed safetensors output)
  /usr/bin/time -f '%M' "$TOKKI" batch --objective sft --model "$WORK/qwen3" --input "$1" --threads 1 --seq-len 4096 \
    --packing bfd --output "$WORK/peak.safetensors" --quiet 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f", $1/1024}'
}
M1="$(peak "$WORK/conv.jsonl")"
M4="$(peak "$WORK/conv4.jsonl")"

"$PYTHON" - "$REF_JSON" "$T1" "$T2" "$M1" "$M4" "$WORK/ref.jsonl" "$COUNT" "$T0" "$F0" "$F1" <<'PY'
import json, sys
ref = json.loads(sys.argv[1]); t1, t2 = float(sys.argv[2]), float(sys.argv[3]); m1, m4 = sys.argv[4], sys.argv[5]
count = int(sys.argv[7]); t0 = float(sys.argv[8]); f0, f1 = float(sys.argv[9]), float(sys.argv[10])
whole = ref["load_s"] + ref["parse_s"] + ref["best_s"]
loop = ref["best_s"]
# Three ratios. "loop": the reference's loop against Tokki's whole process (the strictest: Tokki's
# start-up and loading counted, the reference's not). "whole": whole process against whole process,
# loading included on both sides. "loop vs loop": the reference's loop against Tokki's whole process
# less its fixed cost (the same process on one conversation), which still counts Tokki's reading of
# the JSON records and writing of the output, and not the reference's reading.
print(f"| side | seconds | conversations/s | × reference loop | × reference whole | loop against loop |")
print(f"|---|---|---|---|---|---|")
print(f"| transformers apply_chat_template loop (load {ref['load_s']:.2f} s, reading {ref['parse_s']:.2f} s not counted) "
      f"| {loop:.2f} | {count / loop:,.0f} | 1 | | 1 |")
print(f"| transformers whole (load + reading + loop) | {whole:.2f} | {count / whole:,.0f} | | 1 | |")
for name, t, f in [("Tokki whole process, --threads 1, no model cache", t0, f0), ("Tokki whole process, --threads 1", t1, f1),
                   ("Tokki whole process, --threads 2", t2, None)]:
    own = f"{loop / (t - f):.1f}x (fixed cost {f * 1000:.0f} ms)" if f is not None and t > f else ""
    print(f"| {name} | {t:.2f} | {count / t:,.0f} | {loop / t:.1f}x | {whole / t:.1f}x | {own} |")
print(f"\n{count} conversations, {ref['tokens']:,} tokens; ids and masks identical on every conversation.")
print(f"Peak memory (packed, --seq-len 4096): {m1} MB for {count} conversations, {m4} MB for {4 * count}.")
PY
