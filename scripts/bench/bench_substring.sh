#!/usr/bin/env bash
# Exact-substring de-duplication, side by side: `tokki dedup --substring --min-length 100` vs
# google-research/deduplicate-text-datasets (Lee et al. 2022; Rust: make, self-similar
# --length-threshold 100, collect), same input files, wall time and peak memory of each step.
#
#   scripts/bench/bench_substring.sh                       # .corpus/ko_all.txt and a 64 MB made corpus
#   SIZE_MB=100 scripts/bench/bench_substring.sh           # size of the made corpus
#   TOKKI=/path/to/tokki scripts/bench/bench_substring.sh  # skip the build, use this binary
#   DISK_MEMORY_PER_BYTE=1.6 scripts/bench/bench_substring.sh  # the disk-backed run's --max-memory per input byte
#   DEDUP_RS_SRC=/path/to/deduplicate-text-datasets scripts/bench/bench_substring.sh
#                                                          # also build and run the Rust tool
#
# The Rust tool is built only from a checkout given in DEDUP_RS_SRC (this script fetches no
# source). Its crates come from Debian (librust-clap-3-dev, librust-clap-derive-3-dev,
# librust-crossbeam-dev, librust-memmap2-dev, installed here) through a directory source
# replacement, offline, so the copy in $OUT is patched: crossbeam 0.3 → 0.8 (scoped threads
# take an argument and join inside the scope), filebuffer (not packaged) → a 10-line memory-map
# stand-in over memmap2, the unused zstd crate dropped. Nothing in its algorithms changes.
#
# What is measured: tokki = the whole process (reading, UTF-8 checks, suffix array, LCP, spans,
# writing the kept lines and the report); Rust = `make` (suffix array, one thread: the same
# SA-IS as the `suffix` crate) + `self-similar` (--num-threads 2) + `collect`, without the Python
# step (scripts/finish_single_file.py) that removes the ranges. Semantics differ: the Rust tool
# treats the file as one byte string (a match may cross a newline) and `collect` lists every
# occurrence (the first too); tokki keeps the first occurrence and never crosses a line.
# MB/s = input bytes (10^6) / seconds. tokki's kept lines are then checked against the definition,
# computed independently by scripts/check/check_substring.py.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIZE_MB="${SIZE_MB:-64}"
log() { printf '[bench_substring] %s\n' "$*" >&2; }

if [[ -z "${TOKKI:-}" ]]; then
  TOKKI="$("$ROOT/scripts/tools/build_release.sh")"
fi
[[ -x /usr/bin/time ]] || { log "installing GNU time"; apt-get install -y -qq time >&2; }
if [[ ! -s "$ROOT/.corpus/ko_all.txt" ]]; then "$ROOT/scripts/fetch/fetch_corpus.sh" >&2; fi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/tokki-bench-substring.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
C="$ROOT/.corpus"
cp "$C/ko_all.txt" "$OUT/ko_all.txt"
log "making a $SIZE_MB MB corpus"
python3 "$ROOT/scripts/bench/make_substring_corpus.py" "$OUT/made.txt" --size-mb "$SIZE_MB" \
  "$C/ko_all.txt" "$C/kobill.txt" "$C/constitution.txt" >&2

RS=""
if [[ -n "${DEDUP_RS_SRC:-}" ]]; then
  log "building the Rust tool from $DEDUP_RS_SRC with Debian's crates"
  apt-get install -y -qq librust-clap-3-dev librust-clap-derive-3-dev librust-crossbeam-dev librust-memmap2-dev >&2
  B="$OUT/dedup-rs"
  mkdir -p "$B/filebuffer/src" "$B/.cargo"
  cp -r "$DEDUP_RS_SRC/src" "$B/"
  python3 - "$B/src/main.rs" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("scope.spawn(move ||", "scope.spawn(move |_|").replace("map(|t| t.join())", "map(|t| t.join().unwrap())")
s = s.replace("extern crate zstd;", "")
old = """            result.push(out);
        }
    });
    let outputs:Vec<Vec<u64>> = result.into_iter().map(|t| t.join().unwrap()).collect();"""
new = """            result.push(out);
        }
        result.into_iter().map(|t| t.join().unwrap()).collect::<Vec<Vec<u64>>>()
    }).unwrap();
    let outputs:Vec<Vec<u64>> = outputs_;"""
assert old in s, "collect's scope not found: another version of main.rs?"
s = s.replace(old, new)
s = s.replace("""    let mut result = Vec::with_capacity(100);
    crossbeam::scope(|scope| {
        for path in path_list.into_iter() {
            let path = path.clone();
            let out = scope.spawn(move |_| {
                let mut all_items""", """    let outputs_ = crossbeam::scope(|scope| {
        let mut result = Vec::with_capacity(100);
        for path in path_list.into_iter() {
            let path = path.clone();
            let out = scope.spawn(move |_| {
                let mut all_items""")
open(p, "w").write(s)
PY
  cat > "$B/Cargo.toml" <<'TOML'
[package]
name = "dedup_dataset"
version = "1.0.0"
edition = "2018"
[profile.release]
opt-level = 3
[dependencies]
crossbeam = "0.8"
filebuffer = { path = "filebuffer" }
clap = { version = "3.2", features = ["derive"] }
TOML
  cat > "$B/filebuffer/Cargo.toml" <<'TOML'
[package]
name = "filebuffer"
version = "0.4.0"
edition = "2018"
[dependencies]
memmap2 = "0.5"
TOML
  cat > "$B/filebuffer/src/lib.rs" <<'RS'
// Stand-in for the filebuffer crate (not packaged by Debian): a read-only memory map.
pub struct FileBuffer(memmap2::Mmap);
impl FileBuffer {
    pub fn open<P: AsRef<std::path::Path>>(p: P) -> std::io::Result<FileBuffer> {
        let f = std::fs::File::open(p)?;
        Ok(FileBuffer(unsafe { memmap2::Mmap::map(&f)? }))
    }
}
impl std::ops::Deref for FileBuffer { type Target = [u8]; fn deref(&self) -> &[u8] { &self.0 } }
RS
  printf '[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "/usr/share/cargo/registry"\n[net]\noffline = true\n' > "$B/.cargo/config.toml"
  (cd "$B" && cargo build --release >&2)
  RS="$B/target/release/dedup_dataset"
fi

timed() {  # file, command...: writes "seconds peak_kb" to $OUT/file
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$OUT/$name" "$@"
}

for f in ko_all.txt made.txt; do
  bytes=$(stat -c %s "$OUT/$f")
  echo "$f: $bytes bytes"
  timed tokki.t "$TOKKI" dedup --substring --min-length 100 --input "$OUT/$f" --output - --report "$OUT/r.json" --quiet >"$OUT/kept.txt"
  python3 - "$OUT/r.json" "$bytes" $(cat "$OUT/tokki.t") <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["substrings"]; n = int(sys.argv[2]); s = float(sys.argv[3]); kb = int(sys.argv[4])
print(f"  tokki: {s:.2f} s, {n / 1e6 / s:.1f} MB/s, peak {kb / 1024:.0f} MB ({kb * 1024 / n:.1f} bytes per input byte); "
      f"cut {r['bytes_removed']} bytes ({100 * r['bytes_removed'] / max(1, r['text_bytes']):.1f}%) in {r['ranges_removed']} ranges")
PY
  printf '  output against the definition (scripts/check/check_substring.py): '
  python3 "$ROOT/scripts/check/check_substring.py" "$OUT/$f" "$OUT/kept.txt" --min-length 100
  # The disk-backed mode: --max-memory DISK_MEMORY_PER_BYTE × the input (default 2.5: the text,
  # 1 bit per byte and parts of about a third of it), the parts file in $OUT.
  mem=$(python3 -c "print(int($bytes * float('${DISK_MEMORY_PER_BYTE:-2.5}')) + 65536)")
  timed disk.t "$TOKKI" dedup --substring --min-length 100 --max-memory "$mem" --temp-dir "$OUT" --input "$OUT/$f" --output - >"$OUT/kept-disk.txt" 2>"$OUT/disk.err"
  python3 - "$bytes" $(cat "$OUT/disk.t") "$OUT/disk.err" <<'PY'
import re, sys
n = int(sys.argv[1]); s = float(sys.argv[2]); kb = int(sys.argv[3]); err = open(sys.argv[4]).read()
parts = re.search(r"on disk: (\d+) parts? of (\d+) bytes", err)
print(f"  tokki on disk ({parts.group(1)} parts of {parts.group(2)} bytes): {s:.2f} s, {n / 1e6 / s:.1f} MB/s, "
      f"peak {kb / 1024:.0f} MB ({kb * 1024 / n:.1f} bytes per input byte)" if parts else "  tokki on disk: did not run on disk: " + err)
PY
  if cmp -s "$OUT/kept.txt" "$OUT/kept-disk.txt"; then echo "  disk output: identical to in memory"; else echo "  disk output: DIFFERENT from in memory"; exit 1; fi
  if [[ -n "$RS" ]]; then
    rm -rf "$OUT/cache" && mkdir "$OUT/cache"
    (cd "$OUT" && timed m.t "$RS" make --data-file "$f" >/dev/null)
    (cd "$OUT" && timed s.t "$RS" self-similar --data-file "$f" --length-threshold 100 --cache-dir cache --num-threads 2 >/dev/null)
    (cd "$OUT" && timed c.t "$RS" collect --data-file "$f" --cache-dir cache --length-threshold 100 >"$OUT/drop.txt")
    python3 - "$OUT" "$bytes" <<'PY'
import sys
out, n = sys.argv[1], int(sys.argv[2])
steps = [open(f"{out}/{k}.t").read().split() for k in "msc"]
secs = sum(float(s[0]) for s in steps); peak = max(int(s[1]) for s in steps)
print("  rust steps (make, self-similar, collect): " + ", ".join(f"{float(s[0]):.2f} s" for s in steps))
tok = open(f"{out}/tokki.t").read().split()
covered = sum(int(b) - int(a) for a, b in (l.split() for l in open(f"{out}/drop.txt") if len(l.split()) == 2 and l.split()[0].isdigit()))
print(f"  rust:  {secs:.2f} s, {n / 1e6 / secs:.1f} MB/s, peak {peak / 1024:.0f} MB; collect lists {covered} bytes (every occurrence)")
print(f"  rust seconds / tokki seconds = {secs / float(tok[0]):.2f}")
PY
  fi
done
