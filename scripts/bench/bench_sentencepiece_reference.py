#!/usr/bin/env python3
"""Reference side of the encode benchmark: the Python `sentencepiece` (0.2.x), one thread.

    python3 scripts/bench/bench_sentencepiece_reference.py MODEL FILE [--repeat N] [--check OUT]

Loads MODEL with SentencePieceProcessor(model_file=...) (load time: best of 3), reads the
lines of FILE exactly as `tokki-bench encode` does (split on LF, LF not included, no final
empty line; each line decoded as strict UTF-8 to str), and times the batch encode
sp.encode(lines, num_threads=1) N times.  Throughput is the UTF-8 bytes of the lines per
second.  Prints the same RESULT line as tokki-bench:
  RESULT model=NAME type=unigram|bpe vocab=V lines=L bytes=B repeat=N load_s=S best_mbps=X median_mbps=Y tokens=T
--check OUT writes the ids of each line, space-separated, one line per input line.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import sentencepiece as spm


def read_lines(path: str) -> tuple[list[str], int]:
    data = open(path, "rb").read()
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    # Strict decoding: the reference encodes str, and the corpus is valid UTF-8.
    return [p.decode("utf-8") for p in parts], sum(len(p) for p in parts)


def model_type(path: str) -> str:
    """The model type from the trainer spec, via the repo's protobuf-free decoder."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures"))
    import spm_proto
    info = spm_proto.parse_model(open(path, "rb").read())
    return str(info["trainer_spec"].get("model_type", "unigram")).lower()  # proto2 default: UNIGRAM


def main() -> None:
    ap = argparse.ArgumentParser(description="sentencepiece reference encode benchmark (one thread)")
    ap.add_argument("model")
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--check", metavar="OUT")
    a = ap.parse_args()

    sp = None
    load_best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        sp = spm.SentencePieceProcessor(model_file=a.model)
        load_best = min(load_best, time.perf_counter() - t0)

    lines, total = read_lines(a.file)
    rates = []
    tokens = 0
    result = None
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        result = sp.encode(lines, num_threads=1)
        dt = time.perf_counter() - t0
        rates.append(total / 1e6 / dt)
        tokens = sum(len(ids) for ids in result)
    rates.sort()
    best, median = rates[-1], rates[len(rates) // 2]

    if a.check:
        with open(a.check, "w", encoding="ascii", newline="\n") as f:
            for ids in result:
                f.write(" ".join(map(str, ids)))
                f.write("\n")

    name = os.path.basename(a.model)
    typ = model_type(a.model)
    vocab = sp.get_piece_size()
    print(f"sentencepiece {spm.__version__} {name} ({typ}, {vocab} pieces) on {os.path.basename(a.file)}: "
          f"{len(lines)} lines, {total / 1e6:.2f} MB; num_threads=1; best/median of {a.repeat} runs")
    print(f"  load {load_best:.4f} s (best of 3); encode best {best:.1f} MB/s, median {median:.1f} MB/s; {tokens} tokens")
    print(f"RESULT model={name} type={typ} vocab={vocab} lines={len(lines)} bytes={total} repeat={a.repeat} "
          f"load_s={load_best:.6f} best_mbps={best:.3f} median_mbps={median:.3f} tokens={tokens}")


if __name__ == "__main__":
    main()
