#!/usr/bin/env bash
# Vocabulary extension (`tokki extend`, issue 17) against its floors, side by side with the
# reference: every figure of what the extension gives is measured by the reference libraries
# (sentencepiece, tokenizers) on the files tokki wrote (scripts/bench/bench_extend.py).
#
#   scripts/bench/bench_extend.sh                 # about 2 minutes on 2 cores
#   REPEAT=1 scripts/bench/bench_extend.sh        # timed runs per command (default 3; best is kept)
#   TOKKI=/path/to/tokki scripts/bench/bench_extend.sh   # skip the release build
#
# Inputs (made in a temp dir from the fetched corpora; scripts/fetch/fetch_corpus.sh and
# fetch_published_models.sh / fetch_published_tokenizers.sh bring them):
#   train    the first whole lines of .corpus/ko_help.txt up to 2,000,000 bytes (Korean prose:
#            the GIMP and LibreOffice manuals);
#   statutes .corpus/kobill.txt and .corpus/constitution.txt (held out: legal text);
#   english  Debian's licence texts in /usr/share/common-licenses (held out: English lines).
# Cases (--add 6000 each):
#   mistral_v1.model          a published 32k SentencePiece BPE with byte fallback;
#   shape_bytelevel_65k_nfkc  a 65k byte-level tokenizer.json (the benchmark shape);
#   gpt2, qwen3               published byte-level tokenizer.json files (50k, 151k);
#   maxtext unigram 32k       a published SentencePiece unigram (--add 3000).
# Time: the whole `tokki extend` process (release build, reading the base and the corpus,
# writing the files), best of REPEAT, against sentencepiece's in-process train call for a fresh
# 8k BPE on the same input (model_type=bpe, vocab_size=8000, num_threads=2, best of REPEAT).
# Floors (issue 17): 32k BPE: >= 30% fewer Korean tokens per character on the statutes,
# >= 99% of English lines unchanged, and less time than the fresh 8k sentencepiece training;
# 65k byte-level: >= 20% fewer tokens per character.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
. "$ROOT/scripts/bench/pinned.sh"
REPEAT="${REPEAT:-3}"
pinned_install sentencepiece tokenizers
[[ -f "$ROOT/.corpus/ko_help.txt" ]] || "$ROOT/scripts/fetch/fetch_corpus.sh"
TOKKI="${TOKKI:-$("$ROOT/scripts/tools/build_release.sh")}"
M="$ROOT/.models"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" - "$ROOT/.corpus/ko_help.txt" "$WORK/train.txt" <<'PY'
import sys
out, n = open(sys.argv[2], "wb"), 0
for line in open(sys.argv[1], "rb"):
    if n >= 2_000_000: break
    out.write(line); n += len(line)
PY
cat "$ROOT/.corpus/kobill.txt" "$ROOT/.corpus/constitution.txt" > "$WORK/statutes.txt"
cat /usr/share/common-licenses/{Apache-2.0,Artistic,BSD,GFDL-1.3,GPL-3,LGPL-3,MPL-2.0} > "$WORK/english.txt"

best() {   # best wall seconds of REPEAT runs of "$@"
  local b="" t
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -o "$WORK/time" -f "%e" "$@" >/dev/null
    t=$(tail -1 "$WORK/time")
    b=$("$PYTHON" -c "import sys; a=[float(x) for x in sys.argv[1:] if x]; print(min(a))" $b $t)
  done
  echo "$b"
}

spm_train=$("$PYTHON" - "$WORK" "$REPEAT" <<'PY'
import sys, time, sentencepiece as spm
work, repeat = sys.argv[1], int(sys.argv[2])
best = 1e9
for _ in range(repeat):
    t = time.perf_counter()
    spm.SentencePieceTrainer.train(input=f"{work}/train.txt", model_prefix=f"{work}/spm8k", model_type="bpe", vocab_size=8000,
                                   num_threads=2, character_coverage=0.9995, minloglevel=2)
    best = min(best, time.perf_counter() - t)
print(f"{best:.2f}")
PY
)
printf 'sentencepiece fresh 8k BPE training (train call): %s s\n\n' "$spm_train"
printf '%-28s %6s %8s %8s %9s %9s %8s %s\n' base new tok/chr ext/chr fewer english time floors
status=0
run() {   # name base add ext
  local name="$1" base="$2" add="$3" ext="$4"
  [[ -f "$base" ]] || { printf '%-28s skipped (%s missing)\n' "$name" "$base"; return; }
  local t; t=$(best "$TOKKI" extend --model "$base" --input "$WORK/train.txt" --add "$add" --output "$WORK/$name" --quiet)
  local j; j=$("$PYTHON" "$ROOT/scripts/bench/bench_extend.py" --base "$base" --extended "$WORK/$name.$ext" --init "$WORK/$name.init.json" \
    --korean "$WORK/statutes.txt" --english "$WORK/english.txt")
  "$PYTHON" - "$name" "$t" "$spm_train" "$j" <<'PY' || status=1
import json, sys
name, t, spm, j = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4])
floors, ok = [], j["old_ids_kept"] and j["new_ids_named"]
if name == "mistral_v1":
    for label, good in (("fewer>=30%", j["reduction"] >= 0.30), ("english>=99%", j["english_unchanged"] >= 0.99), ("time<spm8k", t < spm)):
        floors.append(label + (" ok" if good else " MISSED")); ok = ok and good
if name == "shape_bytelevel_65k":
    good = j["reduction"] >= 0.20; floors.append("fewer>=20%" + (" ok" if good else " MISSED")); ok = ok and good
print(f"{name:28s} {j['new']:6d} {j['base_tokens_per_char']:8.4f} {j['extended_tokens_per_char']:8.4f} {100*j['reduction']:8.1f}% "
      f"{100*j['english_unchanged']:8.2f}% {t:7.2f}s {' '.join(floors) or '-'}"
      + ("" if j["old_ids_kept"] and j["new_ids_named"] else "  IDS CHANGED"))
sys.exit(0 if ok else 1)
PY
}
run mistral_v1 "$M/mistral_v1.model" 6000 model
run shape_bytelevel_65k "$M/shape_bytelevel_65k_nfkc.tokenizer.json" 6000 json
run gpt2 "$M/gpt2.derived.tokenizer.json" 6000 json
run qwen3 "$M/qwen3.tokenizer.json" 6000 json
run maxtext_unigram_32k "$M/maxtext_default_unigram_32k.model" 3000 model

# The naive method, for comparison (issue 17): train a sentencepiece BPE on the Korean text and
# append its pieces the base lacks below the base's scores.
if [[ -f "$M/mistral_v1.model" ]]; then
  for vs in 10000 14000; do
    "$PYTHON" - "$M/mistral_v1.model" "$WORK" "$vs" <<'PY'
import sys, sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb
base_path, work, vs = sys.argv[1], sys.argv[2], int(sys.argv[3])
spm.SentencePieceTrainer.train(input=f"{work}/train.txt", model_prefix=f"{work}/naive", model_type="bpe", vocab_size=vs,
                               character_coverage=0.9995, minloglevel=2)
base = pb.ModelProto(); base.ParseFromString(open(base_path, "rb").read())
ko = pb.ModelProto(); ko.ParseFromString(open(f"{work}/naive.model", "rb").read())
have = {p.piece for p in base.pieces}
low = min(p.score for p in base.pieces if p.type == 1)
k = 0
for p in ko.pieces:
    if p.type == 1 and p.piece not in have:
        n = base.pieces.add(); n.piece = p.piece; n.score = low - 1 - k; n.type = 1; k += 1
open(f"{work}/naive_ext.model", "wb").write(base.SerializeToString())
PY
    j=$("$PYTHON" "$ROOT/scripts/bench/bench_extend.py" --base "$M/mistral_v1.model" --extended "$WORK/naive_ext.model" --init /dev/null \
      --korean "$WORK/statutes.txt" --english "$WORK/english.txt" 2>/dev/null || true)
    "$PYTHON" - "$j" "$vs" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
label = f"naive (spm {sys.argv[2]}, appended)"
print(f"{label:28s} {j['extended_vocabulary'] - j['base_vocabulary']:6d} {j['base_tokens_per_char']:8.4f} "
      f"{j['extended_tokens_per_char']:8.4f} {100 * j['reduction']:8.1f}% {100 * j['english_unchanged']:8.2f}%")
PY
  done
fi
exit $status
