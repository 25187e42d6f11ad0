#!/usr/bin/env bash
# Batch-collator throughput, side by side: Tokki's MLM and T5 span-corruption collators
# (TokkiObjectives, via `tokki-bench mlm|span`) vs the Hugging Face references
# (transformers.DataCollatorForLanguageModeling, numpy backend; the numpy logic of
# FlaxDataCollatorForT5MLM from transformers' examples/flax/language-modeling/run_t5_mlm_flax.py),
# same pre-tokenized rows, batches of 32, one thread each.
#
#   scripts/bench/bench_batches.sh              # rows in a temp dir, removed afterwards (~25 s once built)
#   scripts/bench/bench_batches.sh ROWS_DIR     # rows written to (and kept in) ROWS_DIR
#   REPEAT=3 BATCH=64 scripts/bench/bench_batches.sh
#   SKIP_BUILD=1 scripts/bench/bench_batches.sh # use the existing Benchmarks/.build/release/tokki-bench
#
# Steps: release build of tokki-bench (incremental; stale Benchmarks/.build/*/description.json
# removed first); scripts/fetch/fetch_corpus.sh if the statutes in .corpus/ are missing; then
#   scripts/bench/make_collator_rows.py ROWS          # mlm_rows.txt, span_rows.txt: 2048 rows each of
#                                               # the Korean statutes encoded with
#                                               # Vocab/tokki-ko-bpe-16k.model (seeded, reproducible)
#   tokki-bench mlm  ROWS/mlm_rows.txt  --batch 32 --repeat 7
#   tokki-bench span ROWS/span_rows.txt --batch 32 --repeat 7
#   scripts/bench/bench_collators_reference.py ROWS --batch 32 --repeat 7
# Each side times N passes over all rows (one untimed warm-up pass on the reference side) and
# reports samples/s of the best and the median pass; collation only (reading the rows and
# building the per-example inputs are not timed).
#
# What is compared (see the two Python scripts for details):
#   mlm   258-512-id rows (<s> ... </s>); 15% of the non-special ids masked, 80/10/10.  Tokki
#         pads every batch to 512; HF pads to the longest row of the batch (its default, so
#         slightly less work: ~500 on these rows).  Two HF variants: examples without
#         special_tokens_mask (the collator calls tokenizer.get_special_tokens_mask on every
#         row: the plain usage) and with a precomputed special_tokens_mask (HF's fast path).
#   span  568-id rows -> 512 input ids, 114 target ids, decoder inputs (noise density 0.15,
#         mean span 3).  HF's sentinels count down from len(tokenizer) (15999, ...); Tokki uses
#         <extra_id_k>; the amount of work is the same.
# The table shows both sides' best and median samples/s and the Tokki/HF ratio of the medians
# (and of the bests).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
. "$ROOT/scripts/bench/pinned.sh"
REPEAT="${REPEAT:-7}"
BATCH="${BATCH:-32}"
CORPUS="$ROOT/.corpus"
BENCH="$ROOT/Benchmarks/.build/release/tokki-bench"
log() { printf '[bench_batches] %s\n' "$*" >&2; }
START=$SECONDS

if [[ "${SKIP_BUILD:-0}" == 0 ]]; then
  log "building tokki-bench (release)"
  # A path dependency gaining source files can leave a stale build description behind.
  rm -f "$ROOT"/Benchmarks/.build/*/description.json
  swift build -c release --package-path "$ROOT/Benchmarks" --product tokki-bench >&2
fi
[[ -x "$BENCH" ]] || { log "$BENCH missing (run without SKIP_BUILD)"; exit 2; }

pinned_install numpy sentencepiece transformers   # the versions in scripts/requirements.txt

if [[ ! -s "$CORPUS/constitution.txt" || -z "$(ls "$CORPUS"/kobill/*.txt 2>/dev/null)" ]]; then
  log "fetching the corpus"
  "$ROOT/scripts/fetch/fetch_corpus.sh" >&2
fi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/tokki-bench-batches.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
if [[ $# -ge 1 ]]; then ROWS="$1"; else ROWS="$OUT/rows"; fi
mkdir -p "$ROWS"

log "making rows in $ROWS"
"$PYTHON" "$ROOT/scripts/bench/make_collator_rows.py" "$ROWS"

log "tokki-bench mlm"
"$BENCH" mlm "$ROWS/mlm_rows.txt" --batch "$BATCH" --repeat "$REPEAT" | tee "$OUT/tokki_mlm.txt" >&2
log "tokki-bench span"
"$BENCH" span "$ROWS/span_rows.txt" --batch "$BATCH" --repeat "$REPEAT" | tee "$OUT/tokki_span.txt" >&2
log "reference (Hugging Face)"
"$PYTHON" "$ROOT/scripts/bench/bench_collators_reference.py" "$ROWS" --batch "$BATCH" --repeat "$REPEAT" \
  2> >(grep -v 'PyTorch was not found' >&2) | tee "$OUT/hf.txt" >&2

"$PYTHON" - "$OUT" <<'EOF'
import sys

out = sys.argv[1]

def results(path):
    found = {}
    for line in open(path, encoding="utf-8"):
        if line.startswith("RESULT "):
            r = dict(kv.split("=", 1) for kv in line.split()[1:])
            found[r["objective"]] = r
    return found

tokki = {**results(f"{out}/tokki_mlm.txt"), **results(f"{out}/tokki_span.txt")}
hf = results(f"{out}/hf.txt")
header = [l for l in open(f"{out}/hf.txt", encoding="utf-8") if l.startswith("python ")]

rows = []
for objective, ref, label in (("mlm", "mlm", "DataCollatorForLanguageModeling (np)"),
                              ("mlm", "mlm_stm", "same + precomputed special_tokens_mask"),
                              ("span", "span", "FlaxDataCollatorForT5MLM logic (numpy)")):
    t, h = tokki[objective], hf[ref]
    tb, tm, hb, hm = (float(t["best_sps"]), float(t["median_sps"]), float(h["best_sps"]), float(h["median_sps"]))
    rows.append([objective, t["rows"], t["batch"], f"{tb:,.0f}", f"{tm:,.0f}", label,
                 f"{hb:,.0f}", f"{hm:,.0f}", f"{tm / hm:.2f}x", f"{tb / hb:.2f}x"])

head = ["objective", "rows", "batch", "Tokki best", "Tokki median", "HF reference",
        "HF best", "HF median", "ratio (median)", "ratio (best)"]
width = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
print()
print("Batch collators, one thread each; samples/s (rows / pass seconds), best and median of "
      f"{tokki['mlm']['repeat']} passes; ratio = Tokki / HF")
if header:
    print("reference: " + header[0].strip())
print("  ".join(h.ljust(w) for h, w in zip(head, width)))
print("  ".join("-" * w for w in width))
for r in rows:
    print("  ".join(str(c).ljust(w) if i in (0, 5) else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, width))))
print("mlm: Tokki pads every batch to 512, HF to the longest row of the batch")
EOF
log "total time $(( SECONDS - START )) s"
