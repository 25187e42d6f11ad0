#!/usr/bin/env bash
# SentencePiece encode throughput, side by side: Tokki vs the reference Python
# `sentencepiece` 0.2.x, same model files, same lines, one thread each.
#
#   scripts/bench/bench_encode.sh                 # everything (about 3-5 minutes)
#   REPEAT=3 scripts/bench/bench_encode.sh        # fewer timed runs per side (default 5; inputs
#                                           # under 3 MB get enough runs to encode ~3 MB)
#   INPUTS="ko_help.txt" scripts/bench/bench_encode.sh
#
# Steps: release build of tokki-bench; sentencepiece at the version scripts/requirements.txt pins;
# scripts/fetch/fetch_corpus.sh if .corpus/ is incomplete; scripts/bench/train_bench_models.py (Korean
# 16k unigram + BPE in .models/, skipped when present); scripts/fetch/fetch_published_models.sh
# if the published models are missing.  Then, for every model and input, runs
#   tokki-bench encode MODEL FILE --repeat N --check ids.tokki
#   scripts/bench/bench_sentencepiece_reference.py MODEL FILE --repeat N --check ids.ref
# and prints one table: best-of-N MB/s of each side (input bytes / s, load excluded), the
# Tokki/reference ratio (best and median), load times (best of 3), and whether the token
# counts and the ids (line by line) are identical.  Id mismatches are listed after the table
# (model, input, line number, text, both id lists) and make the script exit 1.
# Issue goal: >= 3x the reference for unigram and BPE (floor), 100 MB/s per core (aim);
# loading the 256k-piece gemma model no slower than the reference.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
. "$ROOT/scripts/bench/pinned.sh"
REPEAT="${REPEAT:-5}"
INPUTS="${INPUTS:-ko_help.txt kobill.txt}"
CORPUS="$ROOT/.corpus"
MODELS="$ROOT/.models"
FIX="$ROOT/Tests/Fixtures/sentencepiece"
BENCH="$ROOT/Benchmarks/.build/release/tokki-bench"
log() { printf '[bench_encode] %s\n' "$*" >&2; }

log "building tokki-bench (release)"
# A path dependency gaining source files can leave a stale build description behind.
rm -f "$ROOT"/Benchmarks/.build/*/description.json
swift build -c release --package-path "$ROOT/Benchmarks" --product tokki-bench >&2

pinned_install sentencepiece   # the version in scripts/requirements.txt

if [[ ! -s "$CORPUS/ko_help.txt" || ! -s "$CORPUS/kobill.txt" || ! -s "$CORPUS/ko_all.txt" ]]; then
  log "fetching the corpus"
  "$ROOT/scripts/fetch/fetch_corpus.sh" >&2
fi

"$PYTHON" "$ROOT/scripts/bench/train_bench_models.py"

PUBLISHED=(llama2 maxtext_default_unigram_32k gemma)
for m in "${PUBLISHED[@]}"; do
  if [[ ! -s "$MODELS/$m.model" ]]; then
    log "fetching published models ($m.model missing)"
    NO_EXPECT=1 "$ROOT/scripts/fetch/fetch_published_models.sh" >&2 || log "WARNING: fetch_published_models.sh failed; skipping missing models"
    break
  fi
done

MODEL_FILES=("$FIX/unigram_nfkc.model" "$FIX/bpe_nfkc.model"
             "$MODELS/bench_ko_unigram_16k.model" "$MODELS/bench_ko_bpe_16k.model")
for m in "${PUBLISHED[@]}"; do
  [[ -s "$MODELS/$m.model" ]] && MODEL_FILES+=("$MODELS/$m.model")
done

OUT="$(mktemp -d "${TMPDIR:-/tmp}/tokki-bench-encode.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
RESULTS="$OUT/results.tsv"
: >"$RESULTS"

n=0
for input in $INPUTS; do
  file="$CORPUS/$input"
  # Small inputs (kobill: 94 KB) get more timed runs so that each side encodes >= ~3 MB.
  size="$(stat -c %s "$file")"
  reps=$(( 3000000 / (size + 1) ))
  if (( reps < REPEAT )); then reps=$REPEAT; fi
  for model in "${MODEL_FILES[@]}"; do
    n=$((n + 1))
    name="$(basename "$model" .model)"
    log "$input  $name"
    # Reference first, then Tokki; each side in its own process, one thread.
    ref="$("$PYTHON" "$ROOT/scripts/bench/bench_sentencepiece_reference.py" "$model" "$file" \
             --repeat "$reps" --check "$OUT/$n.ref")"
    tok="$("$BENCH" encode "$model" "$file" --repeat "$reps" --check "$OUT/$n.tokki")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$input" "$file" "$model" \
      "$(grep '^RESULT ' <<<"$ref")" "$(grep '^RESULT ' <<<"$tok")" >>"$RESULTS"
  done
done

"$PYTHON" - "$RESULTS" "$OUT" <<'EOF'
import sys

results, out = sys.argv[1], sys.argv[2]

def parse(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:])

def load_lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")

rows, problems = [], []
for rec in open(results, encoding="utf-8").read().splitlines():
    n, inp, file, model, ref_line, tok_line = rec.split("\t")
    ref, tok = parse(ref_line), parse(tok_line)
    ref_ids, tok_ids = load_lines(f"{out}/{n}.ref"), load_lines(f"{out}/{n}.tokki")
    bad = [i for i in range(max(len(ref_ids), len(tok_ids)))
           if (ref_ids[i] if i < len(ref_ids) else None) != (tok_ids[i] if i < len(tok_ids) else None)]
    if bad:
        text = open(file, "rb").read().split(b"\n")
        problems.append((tok["model"], inp, bad, text, ref_ids, tok_ids))
    rb, tb = float(ref["best_mbps"]), float(tok["best_mbps"])
    rm, tm = float(ref["median_mbps"]), float(tok["median_mbps"])
    rl, tl = float(ref["load_s"]) * 1e3, float(tok["load_s"]) * 1e3
    same_tokens = ref["tokens"] == tok["tokens"]
    rows.append([inp, tok["repeat"], tok["model"].removesuffix(".model"), tok["type"], tok["vocab"],
                 f"{rb:.1f}", f"{tb:.1f}", f"{tb / rb:.2f}x", f"{tm / rm:.2f}x",
                 f"{rl:.1f}", f"{tl:.1f}",
                 ("yes" if same_tokens else f"NO {ref['tokens']}/{tok['tokens']}"),
                 ("yes" if not bad else f"NO ({len(bad)} lines)")])

head = ["input", "runs", "model", "type", "vocab", "ref MB/s", "Tokki MB/s", "ratio", "med ratio",
        "ref load ms", "Tokki load ms", "tokens match", "ids identical"]
width = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
print(f"SentencePiece encode, one thread each; MB/s = best of `runs` runs (input bytes / s); "
      f"ratio = Tokki / reference (best), med ratio = same on medians; load = best of 3")
print("  ".join(h.ljust(w) for h, w in zip(head, width)))
print("  ".join("-" * w for w in width))
for r in rows:
    print("  ".join(str(c).rjust(w) if i >= 4 or i == 1 else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, width))))
print("goal: ratio >= 3.00x for unigram and BPE (floor), 100 MB/s per core (aim); "
      "gemma (256k) load no slower than the reference")

if problems:
    print()
    print("ID MISMATCHES (Tokki bugs):")
    for model, inp, bad, text, ref_ids, tok_ids in problems:
        print(f"  {model} on {inp}: {len(bad)} lines differ; first at line(s) "
              + ", ".join(str(i + 1) for i in bad[:20]))
        for i in bad[:5]:
            t = text[i].decode("utf-8", "replace") if i < len(text) else ""
            print(f"    line {i + 1}: {t[:200]!r}")
            print(f"      reference: {(ref_ids[i] if i < len(ref_ids) else b'<none>').decode()[:400]}")
            print(f"      tokki:     {(tok_ids[i] if i < len(tok_ids) else b'<none>').decode()[:400]}")
    sys.exit(1)
EOF
