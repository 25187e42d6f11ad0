#!/usr/bin/env bash
# BPE (or Unigram) training speed and peak memory, side by side: `tokki train` vs the reference trainers,
# the `sentencepiece` BPE trainer and Hugging Face `tokenizers` BpeTrainer, same text, same
# vocabulary size, all cores (2 here) for every tool.
#
#   scripts/bench/bench_train.sh                       # everything (about 4-5 minutes on 2 cores)
#   REPEAT=1 scripts/bench/bench_train.sh              # timed runs per trainer (default 3; the 100 MB
#                                                # input gets BIG_REPEAT runs, default 1)
#   SIZES="2 ko 20" scripts/bench/bench_train.sh       # inputs (default "2 ko 20 100"), see below
#   VOCABS="8000" scripts/bench/bench_train.sh         # vocabulary sizes (default "8000 32000")
#   REF_TIMEOUT=600 scripts/bench/bench_train.sh       # a run longer than this (s) is killed: TIMEOUT;
#                                                # a trainer that times out is not run on larger inputs
#   TOKKI=/path/to/tokki scripts/bench/bench_train.sh  # skip the build, use this binary
#   MODEL_TYPE=unigram scripts/bench/bench_train.sh    # the Unigram trainers instead of BPE (default
#                                                # bpe): tokki --model-type unigram, sentencepiece
#                                                # model_type=unigram, tokenizers UnigramTrainer
#
# Steps: the standalone release build of tokki, scripts/tools/build_release.sh (--static-swift-stdlib,
# in its own scratch dir TOKKI_SCRATCH, default /tmp/tokki-release-static); scripts/fetch/fetch_corpus.sh if
# .corpus/ko_all.txt is missing; .corpus/en_help.txt (English prose, made once and cached):
# the Debian packages gimp-help-en and libreoffice-help-en-us (`apt-get download`, never
# installed) through scripts/fetch/extract_help_text.py, exactly as ko_help.txt is made (GFDL /
# MPL-2.0 text: never commit it); without it the inputs are Korean only (said in the output).
# Inputs (temp dir):
#   2    the first lines of .corpus/ko_all.txt up to 2,000,000 bytes;
#   prose  the first lines of .corpus/ko_help.txt up to 1,800,000 bytes (Korean prose; not in the
#        default SIZES: SIZES=prose VOCABS=6000 MODEL_TYPE=unigram is issue 17's speed check);
#   ko   .corpus/ko_all.txt itself (~6.5 MB: statutes, bills, GIMP/LibreOffice help);
#   20   .corpus/ko_all.txt, en_help.txt, ko_all.txt, en_help.txt, ... whole lines, in that
#        order, cut at the first line end at or past 20,000,000 bytes;
#   100  the same cycle cut at 100,000,000 bytes.
# The 20 and 100 MB inputs repeat the same ~12.5 MB of distinct text, so the number of
# distinct words (what the merge phase works on) stops growing past ~12.5 MB; only reading,
# normalizing and counting grow with the size.
# Trainers, each in its own process, every one with 2 threads:
#   tokki nmt_nfkc  tokki train --model-type bpe --vocab-size V --normalization nmt_nfkc
#                   --threads 2 --quiet --input FILE --output PREFIX   (writes .model .json .vocab)
#   tokki korean    the same with --normalization korean (tokki's default)
#   sentencepiece   SentencePieceTrainer.train(model_type=bpe, vocab_size=V, num_threads=2,
#                   normalization_rule_name=nmt_nfkc, character_coverage=0.9995,
#                   input_sentence_size=0, max_sentence_length=1<<20, ...)   (.model .vocab)
#   tokenizers      Tokenizer(BPE(unk_token="<unk>")), normalizer NFKC, pre-tokenizer
#                   Metaspace("▁", prepend_scheme="always"), BpeTrainer(vocab_size=V,
#                   special_tokens=[<unk>, <s>, </s>]), tokenizer.train([FILE]) + save(.json);
#                   RAYON_NUM_THREADS=2, TOKENIZERS_PARALLELISM=true
# Each run is timed by `/usr/bin/time` (wall seconds, peak RSS "Maximum resident set size",
# CPU %).  For the Python trainers the script also records the seconds of the train call
# alone (interpreter start and imports excluded) and the peak RSS after the imports.
# Table: best wall time of the runs; peak MB = the largest of the runs.  Speed-up =
# (fastest reference's train-call seconds) / (tokki's whole-process seconds), so the
# references' Python start-up never counts against them; memory ratio = tokki peak /
# leanest reference peak (the references' peak includes the Python interpreter: see the
# "after import" figure).  A second table shows how time and memory grow with the input.
# Issue goal: >= 2x faster than the fastest of sentencepiece and tokenizers, with no more
# peak memory than the leaner of them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
. "$ROOT/scripts/bench/pinned.sh"
REPEAT="${REPEAT:-3}"
BIG_REPEAT="${BIG_REPEAT:-1}"
SIZES="${SIZES:-2 ko 20 100}"
VOCABS="${VOCABS:-8000 32000}"
REF_TIMEOUT="${REF_TIMEOUT:-600}"
MODEL_TYPE="${MODEL_TYPE:-bpe}"
case "$MODEL_TYPE" in bpe|unigram) ;; *) echo "MODEL_TYPE must be bpe or unigram" >&2; exit 64 ;; esac
CORPUS="$ROOT/.corpus"
log() { printf '[bench_train] %s\n' "$*" >&2; }
START=$SECONDS

if [[ -z "${TOKKI:-}" ]]; then
  TOKKI="$("$ROOT/scripts/tools/build_release.sh")"
fi
[[ -x /usr/bin/time ]] || { log "installing GNU time"; apt-get install -y -qq time >&2; }

pinned_install sentencepiece tokenizers   # the versions in scripts/requirements.txt

if [[ ! -s "$CORPUS/ko_all.txt" ]]; then
  log "fetching the corpus"
  "$ROOT/scripts/fetch/fetch_corpus.sh" >&2
fi

# English prose (cached in .corpus/en_help.txt; gitignored).
if [[ ! -s "$CORPUS/en_help.txt" ]]; then
  log "making .corpus/en_help.txt (gimp-help-en + libreoffice-help-en-us)"
  ETMP="$(mktemp -d "${TMPDIR:-/tmp}/tokki-en.XXXXXX")"
  chmod 755 "$ETMP"
  sandbox=()
  [[ "$(id -u)" == 0 ]] && sandbox=(-o APT::Sandbox::User=root)
  if ! apt-cache policy gimp-help-en 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq >&2 || log "apt-get update failed"
  fi
  if (cd "$ETMP" && apt-get download -qq "${sandbox[@]}" gimp-help-en libreoffice-help-en-us >&2); then
    for deb in "$ETMP"/*.deb; do
      dpkg-deb -x "$deb" "$ETMP/root"
      { grep -v "^deb:$(dpkg-deb -f "$deb" Package) " "$CORPUS/SOURCES.txt" 2>/dev/null || true
        echo "deb:$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) sha256=$(sha256sum "$deb" | cut -d' ' -f1)"
      } | sort >"$CORPUS/SOURCES.txt.tmp"
      mv "$CORPUS/SOURCES.txt.tmp" "$CORPUS/SOURCES.txt"
    done
    "$PYTHON" "$ROOT/scripts/fetch/extract_help_text.py" -o "$ETMP/en_help.txt" \
        "$ETMP/root/usr/share/gimp/2.0/help/en" "$ETMP/root/usr/share/libreoffice/help/en-US" >&2
    mv "$ETMP/en_help.txt" "$CORPUS/en_help.txt"
  else
    log "WARNING: could not download the English help packages; the large inputs are Korean only"
  fi
  rm -rf "$ETMP"
fi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/tokki-bench-train.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
RESULTS="$OUT/results.tsv"
: >"$RESULTS"

# ---------------------------------------------------------------- inputs
"$PYTHON" - "$CORPUS" "$OUT" $SIZES <<'EOF' >"$OUT/inputs.tsv"
import os, sys
corpus, out, sizes = sys.argv[1], sys.argv[2], sys.argv[3:]
def lines(p):
    with open(p, "rb") as f:
        return [l if l.endswith(b"\n") else l + b"\n" for l in f.read().splitlines(keepends=True)]
ko = lines(os.path.join(corpus, "ko_all.txt"))
en_path = os.path.join(corpus, "en_help.txt")
en = lines(en_path) if os.path.exists(en_path) and os.path.getsize(en_path) else []
def cut(parts, target, path):
    n = 0
    with open(path, "wb") as f:
        while True:
            for block in parts:
                for l in block:
                    f.write(l); n += len(l)
                    if n >= target:
                        return n
for s in sizes:
    if s == "ko":
        path, desc = os.path.join(corpus, "ko_all.txt"), "ko_all.txt"
    elif s == "prose":
        path = os.path.join(out, "in_prose.txt")
        cut([lines(os.path.join(corpus, "ko_help.txt"))], 1_800_000, path); desc = "head of ko_help.txt (Korean prose)"
    else:
        target = int(float(s) * 1_000_000)
        path = os.path.join(out, f"in_{s}MB.txt")
        if target <= sum(map(len, ko)):
            cut([ko], target, path); desc = f"head of ko_all.txt"
        else:
            cut([ko, en] if en else [ko], target, path)
            desc = "ko_all.txt + en_help.txt cycled" if en else "ko_all.txt repeated (no English text)"
    print(f"{s}\t{path}\t{os.path.getsize(path)}\t{desc}")
EOF

# ---------------------------------------------------------------- reference trainer (Python)
cat >"$OUT/ref_train.py" <<'EOF'
import os, resource, sys, time
os.environ["RAYON_NUM_THREADS"] = "2"
os.environ["TOKENIZERS_PARALLELISM"] = "true"
kind, path, vocab, prefix, model_type = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
if kind == "sentencepiece":
    import sentencepiece as spm
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    spm.SentencePieceTrainer.train(
        input=path, model_prefix=prefix, model_type=model_type, vocab_size=vocab, num_threads=2,
        normalization_rule_name="nmt_nfkc", character_coverage=0.9995, input_sentence_size=0,
        shuffle_input_sentence=False, max_sentence_length=1 << 20, minloglevel=2)
    dt = time.perf_counter() - t0
    pieces = sum(1 for _ in open(prefix + ".vocab", encoding="utf-8"))
else:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    specials = ["<unk>", "<s>", "</s>"]
    if model_type == "bpe":
        tok = Tokenizer(models.BPE(unk_token="<unk>"))
        trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials, show_progress=False)
    else:
        tok = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(vocab_size=vocab, special_tokens=specials, unk_token="<unk>", show_progress=False)
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.train([path], trainer)
    tok.save(prefix + ".json")
    dt = time.perf_counter() - t0
    pieces = tok.get_vocab_size()
print(f"RESULT train_s={dt:.3f} import_rss_kb={base} pieces={pieces}")
EOF

# ---------------------------------------------------------------- runs
# run_one TRAINER SIZE VOCAB FILE RUN -> appends a line to $RESULTS; returns 124 on timeout
run_one() {
  local trainer="$1" size="$2" vocab="$3" file="$4" rep="$5"
  local prefix="$OUT/m_${trainer// /_}_${size}_${vocab}" tf="$OUT/time.txt" so="$OUT/stdout.txt"
  local cmd
  case "$trainer" in
    "tokki nmt_nfkc") cmd=("$TOKKI" train --model-type "$MODEL_TYPE" --vocab-size "$vocab" --normalization nmt_nfkc
                            --threads 2 --quiet --input "$file" --output "$prefix") ;;
    "tokki korean")   cmd=("$TOKKI" train --model-type "$MODEL_TYPE" --vocab-size "$vocab" --normalization korean
                            --threads 2 --quiet --input "$file" --output "$prefix") ;;
    *)                cmd=("$PYTHON" "$OUT/ref_train.py" "$trainer" "$file" "$vocab" "$prefix" "$MODEL_TYPE") ;;
  esac
  set +e
  timeout "$REF_TIMEOUT" /usr/bin/time -f "%e %M %P" -o "$tf" "${cmd[@]}" >"$so" 2>"$OUT/stderr.txt"
  local rc=$?
  set -e
  if (( rc == 124 )); then
    printf '%s\t%s\t%s\t%s\tTIMEOUT\n' "$size" "$vocab" "$trainer" "$rep" >>"$RESULTS"; return 124
  elif (( rc != 0 )); then
    log "FAILED ($rc): ${cmd[*]}"; sed 's/^/    /' "$OUT/stderr.txt" | tail -5 >&2
    printf '%s\t%s\t%s\t%s\tFAILED(%s)\n' "$size" "$vocab" "$trainer" "$rep" "$rc" >>"$RESULTS"; return 1
  fi
  local wall rss cpu extra pieces
  read -r wall rss cpu < <(tail -1 "$tf")
  extra="$(grep '^RESULT ' "$so" | cut -d' ' -f2- || true)"
  if [[ "$trainer" == tokki* ]]; then pieces="$(wc -l <"$prefix.vocab")"; extra="pieces=$pieces"; fi
  printf '%s\t%s\t%s\t%s\twall=%s rss_kb=%s cpu=%s %s\n' "$size" "$vocab" "$trainer" "$rep" "$wall" "$rss" "$cpu" "$extra" >>"$RESULTS"
  rm -f "$prefix".*
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
TRAINERS=("tokki nmt_nfkc" "tokki korean" "sentencepiece" "tokenizers")
declare -A TIMED_OUT=()
while IFS=$'\t' read -r size file bytes desc; do
  reps=$REPEAT
  (( bytes > 50000000 )) && reps=$BIG_REPEAT
  for vocab in $VOCABS; do
    for trainer in "${TRAINERS[@]}"; do
      if [[ -n "${TIMED_OUT[$trainer $vocab]:-}" ]]; then
        printf '%s\t%s\t%s\t1\tSKIPPED\n' "$size" "$vocab" "$trainer" >>"$RESULTS"; continue
      fi
      for ((r = 1; r <= reps; r++)); do
        log "$size ($bytes bytes) vocab $vocab: $trainer, run $r/$reps"
        rc=0; run_one "$trainer" "$size" "$vocab" "$file" "$r" || rc=$?
        if (( rc == 124 )); then TIMED_OUT[$trainer $vocab]=1; log "  timed out after $REF_TIMEOUT s"; break; fi
        (( rc == 0 )) || break
      done
    done
  done
done <"$OUT/inputs.tsv"

# ---------------------------------------------------------------- tables
"$PYTHON" - "$RESULTS" "$OUT/inputs.tsv" "$REF_TIMEOUT" "$(nproc)" "$LOAD_BEFORE" "$MODEL_TYPE" "$TOKKI" <<'EOF'
import os, sys
from collections import defaultdict

results, inputs, timeout, cores, load_before, model_type = sys.argv[1:7]
sizes = [l.split("\t") for l in open(inputs, encoding="utf-8").read().splitlines()]
runs = defaultdict(list)
for line in open(results, encoding="utf-8").read().splitlines():
    size, vocab, trainer, rep, rest = line.split("\t")
    if "=" in rest:
        runs[(size, vocab, trainer)].append(dict(kv.split("=", 1) for kv in rest.split()))
    else:
        runs[(size, vocab, trainer)].append(rest)

def summary(key):
    rs = runs.get(key, [])
    ok = [r for r in rs if isinstance(r, dict)]
    if not ok:
        return rs[0] if rs else None
    best = min(ok, key=lambda r: float(r["wall"]))
    return dict(wall=float(best["wall"]), train=float(best["train_s"]) if "train_s" in best else None,
                train_best=min(float(r["train_s"]) for r in ok) if "train_s" in best else None,
                mb=max(int(r["rss_kb"]) for r in ok) / 1024,
                base=int(best["import_rss_kb"]) / 1024 if "import_rss_kb" in best else None,
                cpu=best["cpu"], pieces=best.get("pieces", "?"), n=len(ok))

def table(head, rows, left):
    width = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print("  ".join(h.ljust(w) for h, w in zip(head, width)))
    print("  ".join("-" * w for w in width))
    for r in rows:
        print("  ".join(str(c).ljust(w) if i in left else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, width))))

TOKKI = ["tokki nmt_nfkc", "tokki korean"]
REFS = ["sentencepiece", "tokenizers"]
SHORT = {"sentencepiece": "spm", "tokenizers": "HF"}
vocabs = sorted({k[1] for k in runs}, key=int)
rows, growth = [], defaultdict(dict)
for size, path, nbytes, desc in sizes:
    mb = int(nbytes) / 1e6
    for vocab in vocabs:
        s = {t: summary((size, vocab, t)) for t in TOKKI + REFS}
        refs = {t: s[t] for t in REFS if isinstance(s[t], dict)}
        fast = min(refs, key=lambda t: refs[t]["train"]) if refs else None
        lean = min(refs, key=lambda t: refs[t]["mb"]) if refs else None
        for t in TOKKI + REFS:
            r = s[t]
            if not isinstance(r, dict):
                cell = {"TIMEOUT": f"> {timeout} s", None: "-"}.get(r, r)
                rows.append([f"{mb:.1f}", vocab, t, cell, "-", "-", "-", "-", "-", "-", "-"])
                growth[(t, vocab)][size] = None
                continue
            speed = memr = "-"
            if t in TOKKI and fast:
                speed = f"{refs[fast]['train'] / r['wall']:.2f}x ({SHORT[fast]})"
                memr = f"{r['mb'] / refs[lean]['mb']:.2f}x ({SHORT[lean]})"
            rows.append([f"{mb:.1f}", vocab, t, f"{r['wall']:.2f}",
                         f"{r['train']:.2f}" if r["train"] is not None else "-", r["cpu"],
                         f"{r['mb']:.0f}", f"{r['base']:.0f}" if r["base"] is not None else "-",
                         r["pieces"], speed, memr])
            growth[(t, vocab)][size] = (mb, r["wall"], r["mb"])

print(f"{'BPE' if model_type == 'bpe' else 'Unigram'} training, {cores} cores, every trainer with 2 threads (tokki --threads 2; sentencepiece "
      "num_threads=2; tokenizers RAYON_NUM_THREADS=2)")
print(f"tokki binary: {sys.argv[7]} (scripts/tools/build_release.sh: release, --static-swift-stdlib, unless TOKKI was given)")
print(f"load average before the runs: {load_before}; after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
      "(other work on the machine makes the times noisy)")
print("inputs: " + "; ".join(f"{s[0]} = {int(s[2]) / 1e6:.1f} MB ({s[3]})" for s in sizes))
print("wall s = whole process, best of the runs; train() s = the Python train call alone (imports excluded); "
      "peak MB = max RSS (largest of the runs); after import = RSS of the Python process before training")
print("speed-up = fastest reference's train() s / tokki wall s; mem ratio = tokki peak MB / leanest reference peak MB")
table(["MB", "vocab", "trainer", "wall s", "train() s", "CPU", "peak MB", "after import MB", "pieces",
       "speed-up vs fastest ref", "mem ratio vs leanest ref"], rows, left={2})
print("goal: speed-up >= 2.00x and mem ratio <= 1.00x")

print()
print("Growth with the input size: seconds (wall) and peak MB; in brackets the factor over the previous size")
labels = [s[0] for s in sizes]
head = ["trainer", "vocab"] + [f"{int(s[2]) / 1e6:.1f} MB" for s in sizes]
grows = []
for (t, vocab), d in sorted(growth.items(), key=lambda kv: ((TOKKI + REFS).index(kv[0][0]), int(kv[0][1]))):
    cells, prev = [], None
    for lab in labels:
        v = d.get(lab)
        if v is None:
            cells.append("-"); prev = None; continue
        mb, sec, mem = v
        c = f"{sec:.2f} s {mem:.0f} MB"
        if prev:
            c += f" [x{sec / prev[1]:.1f} t, x{mem / prev[2]:.1f} m; input x{mb / prev[0]:.1f}]"
        cells.append(c); prev = v
    grows.append([t, vocab] + cells)
table(head, grows, left={0})
EOF
log "total time $(( SECONDS - START )) s"
