#!/usr/bin/env python3
"""Reference side of the de-duplication benchmark: datasketch MinHash + MinHashLSH, one thread.

    python3 scripts/bench/bench_dedup_reference.py CORPUS [--removed FILE] [--threshold 0.8] [--num-perm 128] [--ngram 5]

CORPUS: one document per line (UTF-8, LF; a trailing CR is dropped), e.g. from
scripts/bench/make_dedup_corpus.py.  Does what `tokki dedup --near` does, in the same order:
  key      the line with runs of space/tab/LF/CR collapsed to one space, ends stripped and ASCII
           A-Z lowercased (tokki's deduplicationKey; other whitespace and non-ASCII letters are
           left alone).  Lines whose key is empty are skipped (tokki's "empty" rule).
  exact    a set of 128-bit BLAKE2b digests of the UTF-8 key (tokki: a 128-bit hash); a line
           whose digest was seen is an exact duplicate and goes no further.
  near     shingles = every 5-character (code point) substring of the key, or the whole key when
           it has at most 5 characters; m = datasketch.MinHash(num_perm=128) (datasketch's
           defaults otherwise: seed 1, its default scheme and SHA-1-based 32-bit hash);
           m.update_batch([s.encode("utf-8") for s in shingles]) (the batched fast path);
           lsh = MinHashLSH(threshold=0.8, num_perm=128) (in-memory storage; bands x rows chosen
           by datasketch: 9 x 13).  Streaming: if lsh.query(m) returns any candidate the line is
           a near duplicate, otherwise lsh.insert(line_number, m).  datasketch returns raw LSH
           candidates (documents agreeing on a whole band); tokki also requires the candidate's
           signatures to agree on >= threshold of their positions, so this side may remove
           more (LSH false positives).  That difference is measured, not corrected.
Timing: time.perf_counter around the loop above only; reading and decoding the file is not
timed.  One thread: OMP/MKL/OPENBLAS/NUMEXPR thread counts are set to 1 before numpy (via
datasketch) is imported.  Peak memory: resource.getrusage(RUSAGE_SELF).ru_maxrss at the end
(includes the interpreter, numpy and the decoded corpus held in memory; rss_before_mb is the
peak after reading the corpus, before processing).

Prints
  RESULT impl=datasketch docs=D bytes=B seconds=S docs_per_s=X mb_per_s=Y duplicates=N exact=E near=M max_rss_mb=R
with --removed FILE, writes one line per removed document (line numbers 1-based):
  LINE<TAB>exact<TAB>-   or   LINE<TAB>near<TAB>C1,C2,...   (the candidates lsh.query returned)
Run by scripts/bench/bench_dedup.sh, which also runs `tokki dedup --near` on the same corpus.
"""
from __future__ import annotations

import os

# One thread; must be set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import hashlib  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import datasketch  # noqa: E402
import numpy as np  # noqa: E402
from datasketch import MinHash, MinHashLSH  # noqa: E402

_WS = re.compile(r"[ \t\n\r]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def read_lines(path: str) -> list[str]:
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = []
    for raw in lines:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        out.append(raw.decode("utf-8"))  # tokki would count invalid UTF-8 separately; none here
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="datasketch MinHash LSH de-duplication reference (one thread)")
    ap.add_argument("corpus")
    ap.add_argument("--removed", help="write the removed documents' line numbers here")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--ngram", type=int, default=5)
    a = ap.parse_args()

    lines = read_lines(a.corpus)
    nbytes = os.path.getsize(a.corpus)
    rss_before = max_rss_mb()
    n, num_perm = a.ngram, a.num_perm
    lsh = MinHashLSH(threshold=a.threshold, num_perm=num_perm)
    print(f"python {platform.python_version()}, numpy {np.__version__}, datasketch {datasketch.__version__}; "
          f"one thread; num_perm {num_perm}, threshold {a.threshold}, bands x rows {lsh.b} x {lsh.r}, "
          f"{n}-character shingles; MinHash scheme {MinHash(num_perm=num_perm).scheme}")

    seen: set[bytes] = set()
    removed: list[tuple[int, str, list]] = []
    exact = near = empty = 0
    t0 = time.perf_counter()
    for number, text in enumerate(lines, 1):
        key = _WS.sub(" ", text).strip(" ").translate(_ASCII_LOWER)
        if not key:
            empty += 1
            continue
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()
        if digest in seen:
            exact += 1
            removed.append((number, "exact", []))
            continue
        seen.add(digest)
        shingles = [key] if len(key) <= n else [key[i:i + n] for i in range(len(key) - n + 1)]
        m = MinHash(num_perm=num_perm)
        m.update_batch([s.encode("utf-8") for s in shingles])
        candidates = lsh.query(m)
        if candidates:
            near += 1
            removed.append((number, "near", candidates))
        else:
            lsh.insert(number, m)
    seconds = time.perf_counter() - t0
    rss = max_rss_mb()

    if a.removed:
        with open(a.removed, "w", encoding="ascii") as f:
            f.writelines(f"{line}\t{kind}\t{','.join(map(str, sorted(c))) or '-'}\n" for line, kind, c in removed)
    docs = len(lines)
    print(f"  {docs} documents ({empty} empty), {nbytes / 1e6:.2f} MB: {exact} exact and {near} near duplicates "
          f"in {seconds:.2f} s ({docs / seconds:,.0f} docs/s, {nbytes / 1e6 / seconds:.2f} MB/s); "
          f"max RSS {rss:.0f} MB ({rss_before:.0f} MB after reading the corpus)")
    print(f"RESULT impl=datasketch docs={docs} bytes={nbytes} seconds={seconds:.3f} docs_per_s={docs / seconds:.1f} "
          f"mb_per_s={nbytes / 1e6 / seconds:.3f} duplicates={exact + near} exact={exact} near={near} "
          f"max_rss_mb={rss:.1f} rss_before_mb={rss_before:.1f}")


if __name__ == "__main__":
    main()
