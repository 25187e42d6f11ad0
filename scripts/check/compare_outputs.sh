#!/usr/bin/env bash
# Runs the same tokki commands with two binaries (before and after a change) on the Korean
# corpora and the published models, and reports any output that differs (byte for byte).
#
#   scripts/check/compare_outputs.sh BEFORE_BIN AFTER_BIN [WORKDIR]
#
# Commands: encode (ids, pieces, jsonl; SentencePiece, tokenizer.json, tiktoken, Tekken),
# train (bpe, unigram, byte-bpe), batch (mlm, causal, span), prepare, clean and dedup.
# Exit status 1 when anything differs. Needs .corpus/ and .models/ (scripts/fetch/*.sh).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
A="$1"; B="$2"; WORK="${3:-$(mktemp -d /tmp/tokki-compare.XXXXXX)}"
C="$ROOT/.corpus"; M="$ROOT/.models"
mkdir -p "$WORK/a" "$WORK/b"
head -c 2000000 "$C/ko_all.txt" > "$WORK/small.txt"
TEXT="$WORK/small.txt"
differs=0
run() {  # name, args... ({OUT} is replaced by the side's output folder)
    local name="$1"; shift
    for side in a b; do
        local bin; [ "$side" = a ] && bin="$A" || bin="$B"
        local args=("${@//\{OUT\}/$WORK/$side}")
        "$bin" "${args[@]}" > "$WORK/$side/$name.stdout" 2> "$WORK/$side/$name.stderr"
        echo $? > "$WORK/$side/$name.status"
    done
}
compare() {
    local f
    for f in $(cd "$WORK/a" && ls); do
        case "$f" in *.stderr) continue ;; esac
        if ! cmp -s "$WORK/a/$f" "$WORK/b/$f"; then echo "DIFFERS: $f"; differs=1; fi
    done
    for f in $(cd "$WORK/b" && ls); do
        [ -e "$WORK/a/$f" ] || { echo "ONLY AFTER: $f"; differs=1; }
    done
}
for model in "$ROOT/Vocab/tokki-ko-bpe-16k.model" "$M/gemma3.model" "$M/llama2.model" "$M/maxtext_default_unigram_32k.model" \
             "$M/qwen3.tokenizer.json" "$M/llama2_hf.tokenizer.json" "$M/bert_base_uncased.derived.tokenizer.json" \
             "$M/cl100k_base.tiktoken" "$M/llama3.tiktoken" "$M/mistral_tekken_240911.json"; do
    [ -e "$model" ] || { echo "skip (absent): $model"; continue; }
    n="$(basename "$model")"
    for fmt in ids pieces jsonl; do
        run "encode-$n-$fmt" encode --model "$model" --input "$TEXT" --output-format "$fmt" --invalid replace
    done
    run "encode-$n-special" encode --model "$model" --input "$C/kobill.txt" --add-special-tokens --invalid replace
done
for t in bpe unigram byte-bpe; do
    run "train-$t" train --model-type "$t" --vocab-size 4000 --input "$TEXT" --output "{OUT}/train-$t"
done
for o in mlm causal span; do
    run "batch-$o" batch --objective "$o" --input "$TEXT" --seq-len 256 --batch-size 16 --seed 3 --output "{OUT}/batch-$o.safetensors" --quiet
done
run "batch-mlm-ww" batch --objective mlm --whole-word offsets --model "$M/bert_base_uncased.derived.tokenizer.json" --input "$C/kobill.txt" --seq-len 128 --batch-size 8 --seed 1 --output "{OUT}/batch-ww.safetensors" --quiet
run "prepare" prepare --input "$TEXT" --append-eos --output-prefix "{OUT}/prep" --quiet
run "prepare-tiktoken" prepare --model "$M/cl100k_base.tiktoken" --input "$TEXT" --append-eos --output-prefix "{OUT}/prep-cl100k" --quiet
run "clean" clean --quiet --input "$C/ko_all.txt" --output "{OUT}/clean.txt" --report "{OUT}/clean-report.json"
run "dedup" dedup --quiet --input "$C/ko_all.txt" --output "{OUT}/dedup.txt" --report "{OUT}/dedup-report.json"
run "dedup-near" dedup --quiet --near --input "$C/ko_all.txt" --output "{OUT}/dedup-near.txt" --report "{OUT}/dedup-near-report.json"
compare
[ "$differs" = 0 ] && echo "identical: $(ls "$WORK/a" | grep -vc stderr) outputs" >&2
exit "$differs"
