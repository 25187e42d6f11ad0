#!/usr/bin/env bash
# Near-duplicate detection, side by side: `tokki dedup --near` vs the Python reference,
# datasketch MinHash + MinHashLSH, same parameters (128 permutations, threshold 0.8, bands x rows
# 9 x 13, 5-character shingles of the whitespace-collapsed, ASCII-lowercased text, exact
# de-duplication first), same corpus, streaming in file order, one thread each; wall time,
# throughput, duplicates found, peak memory, and which documents each removes.
#
#   scripts/bench/bench_dedup.sh                     # corpus in a temp dir, removed afterwards (~40 s once built)
#   scripts/bench/bench_dedup.sh CORPUS.txt          # use (or, when missing, make and keep) this corpus
#   SIZE_MB=50 scripts/bench/bench_dedup.sh          # size of the made corpus (default 10)
#   TOKKI=/path/to/tokki scripts/bench/bench_dedup.sh  # skip the build, use this binary
#
# Steps: the standalone release build of tokki, scripts/tools/build_release.sh (--static-swift-stdlib,
# in its own scratch dir TOKKI_SCRATCH, default /tmp/tokki-release-static); numpy and datasketch
# at the versions scripts/requirements.txt pins; scripts/fetch/fetch_corpus.sh if .corpus/ko_all.txt is missing; then
#   scripts/bench/make_dedup_corpus.py CORPUS --size-mb 10   # Korean lines with planted exact, edited
#                                                      # and sentence-swapped copies, seeded;
#                                                      # ground truth in CORPUS.planted.tsv
#   /usr/bin/time -v tokki dedup --near --threads 1 --input CORPUS --output - --report R.json \
#       --rejected REJ.jsonl --quiet > /dev/null
#   scripts/bench/bench_dedup_reference.py CORPUS --removed REMOVED.tsv
# (`--output -` to stdout, redirected: an --output path is written to a temporary file beside it
# and renamed over it, which must not happen to /dev/null.)
# tokki: seconds = wall time of the whole process (start-up, reading, UTF-8 checks, signatures,
# LSH, writing the kept documents, the report and the rejected documents); peak RSS from
# /usr/bin/time; exact/near counts from the report (exact_duplicates, near_duplicates).  The
# reference: seconds = the processing loop only (reading and decoding the file, interpreter
# start and imports excluded); peak RSS = getrusage maxrss, which includes the interpreter,
# numpy and the corpus held in memory (the peak after reading is shown too).  MB/s = corpus
# bytes (10^6) / seconds; speed ratio = reference seconds / tokki seconds.
# Removed documents are compared by line number: both / only tokki / only datasketch.  tokki
# confirms each LSH candidate (the share of equal signature positions must reach the
# threshold); datasketch's query returns raw LSH candidates (documents agreeing on one whole
# band), so it may remove more: LSH false positives, reported, not corrected.  For the
# documents only one side removes, the true 5-shingle Jaccard similarity with the document it
# was matched to (tokki: duplicate_of; datasketch: the best of the query's candidates) tells
# whether the removal was right.  With the manifest, planted edited/swapped pairs are counted
# as found when either document of the pair was removed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
. "$ROOT/scripts/bench/pinned.sh"
SIZE_MB="${SIZE_MB:-10}"
log() { printf '[bench_dedup] %s\n' "$*" >&2; }
START=$SECONDS

if [[ -z "${TOKKI:-}" ]]; then
  TOKKI="$("$ROOT/scripts/tools/build_release.sh")"
fi
[[ -x "$TOKKI" ]] || { log "$TOKKI is not an executable"; exit 2; }
[[ -x /usr/bin/time ]] || { log "installing GNU time"; apt-get install -y -qq time >&2; }
pinned_install numpy datasketch   # the versions in scripts/requirements.txt

OUT="$(mktemp -d "${TMPDIR:-/tmp}/tokki-bench-dedup.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
if [[ $# -ge 1 ]]; then CORPUS_FILE="$1"; else CORPUS_FILE="$OUT/corpus.txt"; fi
if [[ ! -s "$CORPUS_FILE" ]]; then
  if [[ ! -s "$ROOT/.corpus/ko_all.txt" ]]; then
    log "fetching the corpus"
    "$ROOT/scripts/fetch/fetch_corpus.sh" >&2
  fi
  log "making $CORPUS_FILE ($SIZE_MB MB)"
  "$PYTHON" "$ROOT/scripts/bench/make_dedup_corpus.py" "$CORPUS_FILE" --size-mb "$SIZE_MB"
fi

log "tokki dedup --near --threads 1"
/usr/bin/time -v -o "$OUT/tokki.time" "$TOKKI" dedup --near --threads 1 --input "$CORPUS_FILE" --output - \
  --report "$OUT/tokki.json" --rejected "$OUT/tokki_rejected.jsonl" --quiet >/dev/null
log "reference (datasketch)"
"$PYTHON" "$ROOT/scripts/bench/bench_dedup_reference.py" "$CORPUS_FILE" --removed "$OUT/ref_removed.tsv" | tee "$OUT/ref.txt" >&2

"$PYTHON" - "$ROOT" "$OUT" "$CORPUS_FILE" "$TOKKI" <<'EOF'
import json
import os
import subprocess
import sys

root, out, corpus, tokki_bin = sys.argv[1:5]
sys.path.insert(0, os.path.join(root, "scripts", "bench"))
from make_dedup_corpus import jaccard  # noqa: E402

# tokki: /usr/bin/time -v and the report
tv = {}
for line in open(f"{out}/tokki.time", encoding="utf-8"):
    if ": " in line:
        k, v = line.strip().split(": ", 1)
        tv[k] = v
h, m, s = (["0"] + tv["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"))[-3:]
t_sec = int(h) * 3600 + int(m) * 60 + float(s)
t_rss = int(tv["Maximum resident set size (kbytes)"]) / 1024
t_cpu = tv["Percent of CPU this job got"]
report = json.load(open(f"{out}/tokki.json", encoding="utf-8"))
settings = report["settings"]
docs = report["documents"]
nbytes = os.path.getsize(corpus)
t_removed, t_match = {}, {}
for line in open(f"{out}/tokki_rejected.jsonl", encoding="utf-8"):
    r = json.loads(line)
    t_removed[r["line"]] = r["rule"]
    if "duplicate_of" in r:
        t_match[r["line"]] = [r["duplicate_of"]["line"]]

# reference
ref = {}
header = ""
for line in open(f"{out}/ref.txt", encoding="utf-8"):
    if line.startswith("RESULT "):
        ref = dict(kv.split("=", 1) for kv in line.split()[1:])
    elif line.startswith("python "):
        header = line.strip()
d_removed, d_match = {}, {}
for line in open(f"{out}/ref_removed.tsv", encoding="ascii"):
    n, kind, cands = line.rstrip("\n").split("\t")
    d_removed[int(n)] = "exact_duplicate" if kind == "exact" else "near_duplicate"
    if cands != "-":
        d_match[int(n)] = [int(c) for c in cands.split(",")]

version = subprocess.run([tokki_bin, "--version"], capture_output=True, text=True).stdout.strip()
d_sec = float(ref["seconds"])
rows = [
    ["tokki dedup --near (whole process)", f"{t_sec:.2f}", f"{docs / t_sec:,.0f}", f"{nbytes / 1e6 / t_sec:.2f}",
     str(report["exact_duplicates"]), str(report["near_duplicates"]), f"{t_rss:.0f}"],
    ["datasketch MinHashLSH (loop only)", f"{d_sec:.2f}", f"{float(ref['docs_per_s']):,.0f}", f"{float(ref['mb_per_s']):.2f}",
     ref["exact"], ref["near"], f"{float(ref['max_rss_mb']):.0f}"],
]
head = ["implementation", "seconds", "docs/s", "MB/s", "exact dups", "near dups", "max RSS MB"]
width = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
print()
print(f"Near-duplicate detection, one thread each: {docs} documents, {nbytes / 1e6:.2f} MB ({os.path.basename(corpus)}); "
      f"num_perm {settings['num_perm']}, threshold {settings['threshold']}, bands x rows {settings['bands']} x {settings['rows']}, "
      f"{settings['ngram']}-{settings['shingle']} shingles")
print(f"tokki {version} ({tokki_bin}; CPU {t_cpu}); reference: {header}")
print("  ".join(h.ljust(w) for h, w in zip(head, width)))
print("  ".join("-" * w for w in width))
for r in rows:
    print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, width))))
print(f"speed ratio (datasketch seconds / tokki seconds): {d_sec / t_sec:.1f}x; "
      f"memory: tokki {t_rss:.0f} MB vs datasketch {float(ref['max_rss_mb']):.0f} MB "
      f"({float(ref['rss_before_mb']):.0f} MB of it before processing: interpreter, numpy, corpus)")

# overlap of the removed documents
lines = open(corpus, "rb").read().decode("utf-8").split("\n")
text = lambda n: lines[n - 1].rstrip("\r")  # noqa: E731


def overlap(rule):
    t = {n for n, r in t_removed.items() if r == rule}
    d = {n for n, r in d_removed.items() if r == rule}
    return t, d


print()
print("Removed documents (by line): both / only tokki / only datasketch")
for rule in ("exact_duplicate", "near_duplicate"):
    t, d = overlap(rule)
    print(f"  {rule:16s} both {len(t & d):6d}   only tokki {len(t - d):6d}   only datasketch {len(d - t):6d}")
t_all, d_all = set(t_removed), set(d_removed)
print(f"  {'all':16s} both {len(t_all & d_all):6d}   only tokki {len(t_all - d_all):6d}   only datasketch {len(d_all - t_all):6d}")
t, d = overlap("near_duplicate")
for name, only, match in (("only tokki", t - d, t_match), ("only datasketch", d - t, d_match)):
    if not only:
        continue
    best = [max(jaccard(text(n), text(c)) for c in match[n]) for n in only]
    hi = sum(j >= 0.8 for j in best)
    best.sort()
    print(f"  {name} near: true 5-shingle Jaccard with the matched document >= 0.8: {hi}, < 0.8: {len(best) - hi} "
          f"(median {best[len(best) // 2]:.3f}, min {best[0]:.3f})")

manifest = corpus + ".planted.tsv"
if os.path.isfile(manifest):
    groups = {}
    for line in list(open(manifest, encoding="utf-8"))[1:]:
        n, kind, orig, j = line.rstrip("\n").split("\t")
        if kind == "exact":
            g = "exact"
        else:
            g = f"{kind}, J >= 0.8" if float(j) >= 0.8 else f"{kind}, J < 0.8"
        groups.setdefault(g, []).append((int(n), int(orig)))
    print()
    print("Planted copies found (the copy or its original removed):")
    for g in ("exact", "edited, J >= 0.8", "edited, J < 0.8", "swapped, J >= 0.8", "swapped, J < 0.8"):
        pairs = groups.get(g, [])
        if not pairs:
            continue
        ft = sum(a in t_all or b in t_all for a, b in pairs)
        fd = sum(a in d_all or b in d_all for a, b in pairs)
        print(f"  {g:18s} {len(pairs):5d} pairs: tokki {ft:5d} ({ft / len(pairs):6.1%}), datasketch {fd:5d} ({fd / len(pairs):6.1%})")
EOF
log "total time $(( SECONDS - START )) s"
