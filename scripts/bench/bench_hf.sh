#!/usr/bin/env bash
# tokenizer.json and tiktoken encode throughput, side by side: Tokki vs the Rust-backed
# Python references (Hugging Face `tokenizers` encode_batch, OpenAI `tiktoken`
# encode_ordinary_batch), same files, same lines, one thread each.
#
#   scripts/bench/bench_hf.sh                          # everything (about 10-20 minutes on 2 cores)
#   REPEAT=3 scripts/bench/bench_hf.sh                 # fewer timed runs per side (default 5; inputs
#                                                # under 3 MB get enough runs to encode ~3 MB)
#   INPUTS="kobill.txt" scripts/bench/bench_hf.sh      # files in .corpus/ (default: ko_help.txt kobill.txt)
#   MODELS="qwen3 cl100k" scripts/bench/bench_hf.sh    # only models whose file name contains a word
#                                                # (or give paths); default: the list below
#   WORST=0 scripts/bench/bench_hf.sh                  # skip the linear-worst-case section
#   WORST_MODELS=".models/o200k_base.tiktoken" WORST_TIMEOUT=300 scripts/bench/bench_hf.sh
#
# Steps: release build of tokki-bench (stale Benchmarks/.build/*/description.json removed
# first); scripts/fetch/fetch_corpus.sh if .corpus/ko_help.txt or kobill.txt is missing;
# scripts/fetch/fetch_published_tokenizers.sh if a published file in .models/ is missing.
#
# 1. Throughput.  For every input and model it runs, reference first, each side in its own
#    process on one thread:
#      scripts/bench/bench_hf_reference.py MODEL FILE --repeat N --check ids.ref
#      tokki-bench encode MODEL FILE --repeat N --check ids.tokki
#    (a .tiktoken file's pattern is chosen from its name on both sides: cl100k, o200k, r50k)
#    and prints one table: best-of-N MB/s of each side (input bytes / s, load excluded), the
#    Tokki/reference ratio (best and median), load times (best of 3), and whether the token
#    counts and the ids (line by line) are identical.  Id mismatches are listed after the
#    tables (model, input, line number, text, both id lists) and make the script exit 1.
# 2. Linear worst case.  Three single-line files without spaces, at 100 KB and 1 MB: "a"
#    repeated, "가나다라마바사" repeated, and random Hangul syllables (seeded).  Each is one
#    pre-token for byte-level BPE, so the BPE merge loop sees the whole line at once.  Both
#    sides encode each file once (--repeat 1) under `timeout $WORST_TIMEOUT` (default 120 s;
#    a side that times out at 100 KB is not run at 1 MB); the table shows the encode seconds
#    and the growth from 100 KB to 1 MB (linear: ~10x; quadratic: ~100x — tiktoken's merge
#    loop is known to be quadratic on such input).  Ids are compared as well.
#
# Issue goals (one thread, Korean prose, byte-level BPE): >= 10x Hugging Face `tokenizers`
# encode_batch and >= 10x tiktoken (floor), 100 MB/s per core (aim); linear time in the
# worst case; loading a 200k-token tokenizer.json in < 100 ms.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
. "$ROOT/scripts/bench/pinned.sh"
REPEAT="${REPEAT:-5}"
INPUTS="${INPUTS:-ko_help.txt kobill.txt}"
WORST="${WORST:-1}"
WORST_TIMEOUT="${WORST_TIMEOUT:-120}"
CORPUS="$ROOT/.corpus"
MODELS_DIR="$ROOT/.models"
BENCH="$ROOT/Benchmarks/.build/release/tokki-bench"
REF="$ROOT/scripts/bench/bench_hf_reference.py"
log() { printf '[bench_hf] %s\n' "$*" >&2; }
START=$SECONDS

ALL_MODELS=(
  "$MODELS_DIR/qwen3.tokenizer.json"
  "$MODELS_DIR/anthropic_claude.tokenizer.json"
  "$MODELS_DIR/deepseek_v3.tokenizer.json"
  "$MODELS_DIR/gpt2.derived.tokenizer.json"
  "$ROOT/Tests/Fixtures/hf/bytelevel_bpe.json"
  "$MODELS_DIR/llama2_hf.tokenizer.json"
  "$MODELS_DIR/bert_base_uncased.derived.tokenizer.json"
  "$MODELS_DIR/cl100k_base.tiktoken"
  "$MODELS_DIR/o200k_base.tiktoken"
  "$MODELS_DIR/o200k.derived.tokenizer.json"
  "$MODELS_DIR/r50k_base.tiktoken"
)
if [[ -n "${WORST_MODELS:-}" ]]; then
  read -r -a WORST_LIST <<<"$WORST_MODELS"
else
  WORST_LIST=("$MODELS_DIR/qwen3.tokenizer.json" "$MODELS_DIR/cl100k_base.tiktoken")
fi

log "building tokki-bench (release)"
# A path dependency gaining source files can leave a stale build description behind.
rm -f "$ROOT"/Benchmarks/.build/*/description.json
swift build -c release --package-path "$ROOT/Benchmarks" --product tokki-bench >&2

pinned_install tokenizers tiktoken   # the versions in scripts/requirements.txt

if [[ ! -s "$CORPUS/ko_help.txt" || ! -s "$CORPUS/kobill.txt" ]]; then
  log "fetching the corpus"
  "$ROOT/scripts/fetch/fetch_corpus.sh" >&2
fi

for m in "${ALL_MODELS[@]}" "${WORST_LIST[@]}"; do
  if [[ "$m" == "$MODELS_DIR"/* && ! -s "$m" ]]; then
    log "fetching published tokenizers ($(basename "$m") missing)"
    "$ROOT/scripts/fetch/fetch_published_tokenizers.sh" >&2 || log "WARNING: fetch_published_tokenizers.sh failed; skipping missing models"
    break
  fi
done

# MODELS: words matched against the file names of the default list, or paths.
MODEL_FILES=()
if [[ -n "${MODELS:-}" ]]; then
  for w in $MODELS; do
    if [[ -f "$w" ]]; then MODEL_FILES+=("$(cd "$(dirname "$w")" && pwd)/$(basename "$w")"); continue; fi
    if [[ -f "$ROOT/$w" ]]; then MODEL_FILES+=("$ROOT/$w"); continue; fi
    hit=0
    for m in "${ALL_MODELS[@]}"; do
      if [[ "$(basename "$m")" == *"$w"* ]]; then MODEL_FILES+=("$m"); hit=1; fi
    done
    (( hit )) || { log "MODELS: nothing matches '$w'"; exit 2; }
  done
else
  MODEL_FILES=("${ALL_MODELS[@]}")
fi
PRESENT=()
for m in "${MODEL_FILES[@]}"; do
  if [[ -s "$m" ]]; then PRESENT+=("$m"); else log "WARNING: $m missing; skipped"; fi
done
MODEL_FILES=("${PRESENT[@]}")

OUT="$(mktemp -d "${TMPDIR:-/tmp}/tokki-bench-hf.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
RESULTS="$OUT/results.tsv"
WORST_RESULTS="$OUT/worst.tsv"
: >"$RESULTS"
: >"$WORST_RESULTS"

n=0
for input in $INPUTS; do
  file="$CORPUS/$input"
  # Small inputs (kobill: 94 KB) get more timed runs so that each side encodes >= ~3 MB.
  size="$(stat -c %s "$file")"
  reps=$(( 3000000 / (size + 1) ))
  if (( reps < REPEAT )); then reps=$REPEAT; fi
  for model in "${MODEL_FILES[@]}"; do
    n=$((n + 1))
    log "$input  $(basename "$model")"
    # Reference first, then Tokki; each side in its own process, one thread.
    ref="$("$PYTHON" "$REF" "$model" "$file" --repeat "$reps" --check "$OUT/$n.ref")"
    tok="$("$BENCH" encode "$model" "$file" --repeat "$reps" --check "$OUT/$n.tokki")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$input" "$file" "$model" \
      "$(grep '^RESULT ' <<<"$ref")" "$(grep '^RESULT ' <<<"$tok")" >>"$RESULTS"
  done
done

if [[ "$WORST" != 0 ]]; then
  WDIR="$OUT/worst"
  mkdir -p "$WDIR"
  # Single-line files, no spaces, no final LF: a_SIZE, hangul_run_SIZE, hangul_random_SIZE.
  "$PYTHON" - "$WDIR" <<'EOF'
import random, sys
out = sys.argv[1]
for label, size in (("100KB", 100_000), ("1MB", 1_000_000)):
    run = "가나다라마바사"                                   # 21 bytes
    rng = random.Random(20240601)
    rand = "".join(chr(rng.randrange(0xAC00, 0xD7A4)) for _ in range(size // 3))
    for kind, text in (("a", "a" * size),
                       ("hangul_run", (run * (size // len(run.encode()) + 1))[: size // 3]),
                       ("hangul_random", rand)):
        with open(f"{out}/{kind}_{label}.txt", "w", encoding="utf-8", newline="") as f:
            f.write(text)
EOF
  w=0
  for model in "${WORST_LIST[@]}"; do
    [[ -s "$model" ]] || { log "WARNING: $model missing; worst case skipped"; continue; }
    for kind in a hangul_run hangul_random; do
      skip_ref=0 skip_tok=0
      for label in 100KB 1MB; do
        w=$((w + 1))
        file="$WDIR/${kind}_$label.txt"
        res=()
        for side in ref tokki; do
          var="skip_$([[ $side == ref ]] && echo ref || echo tok)"
          if (( ${!var} )); then res+=("SKIPPED"); continue; fi
          log "worst case: $(basename "$model") ${kind}_$label ($side, timeout ${WORST_TIMEOUT}s)"
          if [[ $side == ref ]]; then
            cmd=("$PYTHON" "$REF" "$model" "$file" --repeat 1 --check "$OUT/w$w.ref")
          else
            cmd=("$BENCH" encode "$model" "$file" --repeat 1 --check "$OUT/w$w.tokki")
          fi
          set +e
          o="$(timeout "$WORST_TIMEOUT" "${cmd[@]}")"
          rc=$?
          set -e
          if (( rc == 124 )); then
            res+=("TIMEOUT"); printf -v "$var" 1
          elif (( rc != 0 )); then
            res+=("FAILED($rc)"); printf -v "$var" 1
          else
            res+=("$(grep '^RESULT ' <<<"$o")")
          fi
        done
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "w$w" "$(basename "$model")" "$kind" "$label" "${res[0]}" "${res[1]}" >>"$WORST_RESULTS"
      done
    done
  done
fi

set +e
"$PYTHON" - "$RESULTS" "$WORST_RESULTS" "$OUT" "$WORST_TIMEOUT" <<'EOF'
import os, sys

results, worst_results, out, timeout = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]

def parse(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:])

def load_lines(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")

def diff_lines(a, b):
    return [i for i in range(max(len(a), len(b)))
            if (a[i] if i < len(a) else None) != (b[i] if i < len(b) else None)]

def short(model):
    for suffix in (".tokenizer.json", ".tiktoken", ".json"):
        if model.endswith(suffix):
            return model[: -len(suffix)]
    return model

def table(head, rows, left):
    width = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print("  ".join(h.ljust(w) for h, w in zip(head, width)))
    print("  ".join("-" * w for w in width))
    for r in rows:
        print("  ".join(str(c).ljust(w) if i in left else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, width))))

rows, problems = [], []
for rec in open(results, encoding="utf-8").read().splitlines():
    n, inp, file, model, ref_line, tok_line = rec.split("\t")
    ref, tok = parse(ref_line), parse(tok_line)
    ref_ids, tok_ids = load_lines(f"{out}/{n}.ref"), load_lines(f"{out}/{n}.tokki")
    bad = diff_lines(ref_ids, tok_ids)
    if bad:
        text = open(file, "rb").read().split(b"\n")
        problems.append((tok["model"], inp, bad, text, ref_ids, tok_ids))
    rb, tb = float(ref["best_mbps"]), float(tok["best_mbps"])
    rm, tm = float(ref["median_mbps"]), float(tok["median_mbps"])
    rl, tl = float(ref["load_s"]) * 1e3, float(tok["load_s"]) * 1e3
    vocab = tok["vocab"] if tok["vocab"] == ref["vocab"] else f"{ref['vocab']}/{tok['vocab']}"
    same_tokens = ref["tokens"] == tok["tokens"]
    rows.append([inp, tok["repeat"], short(tok["model"]), tok["type"], vocab,
                 f"{rb:.1f}", f"{tb:.1f}", f"{tb / rb:.2f}x", f"{tm / rm:.2f}x",
                 f"{rl:.1f}", f"{tl:.1f}",
                 ("yes" if same_tokens else f"NO {ref['tokens']}/{tok['tokens']}"),
                 ("yes" if not bad else f"NO ({len(bad)} lines)")])

if rows:
    print("tokenizer.json / tiktoken encode, one thread each; reference = tokenizers encode_batch "
          "(add_special_tokens=False) or tiktoken encode_ordinary_batch (num_threads=1)")
    print("MB/s = best of `runs` runs (input bytes / s); ratio = Tokki / reference (best), "
          "med ratio = same on medians; load = best of 3; vocab = ref/Tokki when they differ")
    table(["input", "runs", "model", "type", "vocab", "ref MB/s", "Tokki MB/s", "ratio", "med ratio",
           "ref load ms", "Tokki load ms", "tokens match", "ids identical"], rows, left={0, 2, 3})
    print("goal: ratio >= 10.00x vs tokenizers and vs tiktoken on byte-level BPE, Korean prose (floor); "
          "100 MB/s per core (aim); a 200k-token tokenizer.json loads in < 100 ms")

wrows = {}
for rec in open(worst_results, encoding="utf-8").read().splitlines():
    w, model, kind, label, ref_line, tok_line = rec.split("\t")
    cell = {}
    for side, line in (("ref", ref_line), ("tokki", tok_line)):
        if line.startswith("RESULT "):
            r = parse(line)
            cell[side] = int(r["bytes"]) / 1e6 / float(r["best_mbps"])
        else:
            cell[side] = line
    same = "-"
    if all(isinstance(cell[s], float) for s in ("ref", "tokki")):
        a, b = load_lines(f"{out}/{w}.ref"), load_lines(f"{out}/{w}.tokki")
        bad = diff_lines(a, b)
        same = "yes" if not bad else "NO"
        if bad:
            problems.append((model, f"worst case {kind}_{label}", bad,
                             [f"<{kind}_{label}: {os.path.getsize(f'{out}/worst/{kind}_{label}.txt')} bytes, one line>".encode()],
                             a, b))
    wrows.setdefault((model, kind), {})[label] = (cell, same)

def secs(x):
    if isinstance(x, float):
        return f"{x:.4f}" if x < 1 else f"{x:.2f}" if x < 10 else f"{x:.1f}"
    return {"TIMEOUT": f"> {timeout}", "SKIPPED": "skipped"}.get(x, x)

def growth(small, big):
    if isinstance(small, float) and isinstance(big, float) and small > 0:
        return f"{big / small:.1f}x"
    if isinstance(small, float) and big == "TIMEOUT" and small > 0:
        return f"> {float(timeout) / small:.0f}x"
    return "-"

if wrows:
    print()
    print(f"Linear worst case: one line, no spaces; encode seconds (--repeat 1, load excluded; "
          f"timeout {timeout} s per process); growth = 1 MB time / 100 KB time (linear ~10x, quadratic ~100x)")
    head = ["model", "input", "ref 100KB s", "ref 1MB s", "ref growth",
            "Tokki 100KB s", "Tokki 1MB s", "Tokki growth", "1MB ratio (ref s / Tokki s)", "ids identical (100KB, 1MB)"]
    rows2 = []
    for (model, kind), d in wrows.items():
        s, b = d.get("100KB", ({"ref": "-", "tokki": "-"}, "-")), d.get("1MB", ({"ref": "-", "tokki": "-"}, "-"))
        rs, rb_, ts, tb_ = s[0]["ref"], b[0]["ref"], s[0]["tokki"], b[0]["tokki"]
        speed = f"{rb_ / tb_:.2f}x" if isinstance(rb_, float) and isinstance(tb_, float) else (
            f"> {float(timeout) / tb_:.0f}x" if rb_ in ("TIMEOUT", "SKIPPED") and isinstance(tb_, float) else "-")
        rows2.append([short(model), kind, secs(rs), secs(rb_), growth(rs, rb_),
                      secs(ts), secs(tb_), growth(ts, tb_), speed, f"{s[1]}, {b[1]}"])
    table(head, rows2, left={0, 1})
    print("goal: Tokki linear (growth ~10x)")

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
status=$?
set -e
log "total time $(( SECONDS - START )) s"
exit $status
