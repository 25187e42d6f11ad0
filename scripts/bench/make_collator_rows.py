#!/usr/bin/env python3
"""Pre-tokenized inputs for the batch-collator benchmark (scripts/bench/bench_batches.sh).

    bash scripts/fetch/fetch_corpus.sh                        # builds .corpus/ (konlpy statutes)
    python3 scripts/bench/make_collator_rows.py OUT_DIR [--rows 2048] [--seed 20240601]

Text: the Korean statutes of .corpus/ (public domain), in this order: .corpus/kolaw/*.txt
(sorted), .corpus/kobill/*.txt (sorted), .corpus/constitution.txt (the LF copy of
kolaw/constitution.txt, so the Constitution appears twice).  Each file is one
document, read as strict UTF-8 and encoded whole with the Python `sentencepiece` package and
Vocab/tokki-ko-bpe-16k.model (no <s>/</s>; the model's normalizer turns CR, LF and tab into
spaces).  The ids of all documents are concatenated into one stream (23,951 ids); rows
are cut from it consecutively, starting at position 0 and wrapping around at the end (the
MLM rows go round the stream about 33 times, the span rows about 49 times).

Writes, one row per line, ids separated by single spaces, LF after every row:
  OUT_DIR/mlm_rows.txt   ROWS rows for masked language modeling: row k takes n_k stream
                         tokens, n_k uniform in [256, 510] (numpy default_rng(SEED).integers),
                         wrapped as `1 ... 2` (<s> ... </s>), so rows are 258-512 ids long.
  OUT_DIR/span_rows.txt  ROWS rows of exactly 568 consecutive stream tokens, no special ids:
                         the raw length that T5 span corruption (noise density 0.15, mean span
                         3) turns into 512 input ids and 114 target ids.  Cut from position 0
                         of the stream again, independently of the MLM rows.
The output depends only on the corpus, the model, ROWS and SEED.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys

import numpy as np
import sentencepiece as spm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, ".corpus")
MODEL = os.path.join(ROOT, "Vocab", "tokki-ko-bpe-16k.model")
BOS, EOS = 1, 2
SPAN_RAW_LENGTH = 568


def documents() -> list[str]:
    paths = (sorted(glob.glob(os.path.join(CORPUS, "kolaw", "*.txt")))
             + sorted(glob.glob(os.path.join(CORPUS, "kobill", "*.txt")))
             + [os.path.join(CORPUS, "constitution.txt")])
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing or len(paths) < 3:
        sys.exit(f"corpus files missing ({missing or 'kolaw/kobill empty'}); run scripts/fetch/fetch_corpus.sh")
    return paths


def stream_of(paths: list[str]) -> np.ndarray:
    sp = spm.SentencePieceProcessor(model_file=MODEL)
    ids: list[int] = []
    for p in paths:
        with open(p, "rb") as f:
            ids.extend(sp.encode(f.read().decode("utf-8")))
    return np.asarray(ids, dtype=np.int64)


def take(stream: np.ndarray, start: int, n: int) -> tuple[np.ndarray, int]:
    """n consecutive ids from `start`, wrapping around; returns them and the next start."""
    idx = (start + np.arange(n)) % len(stream)
    return stream[idx], (start + n) % len(stream)


def write_rows(path: str, rows: list[np.ndarray]) -> None:
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for r in rows:
            f.write(" ".join(map(str, r.tolist())))
            f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser(description="pre-tokenized rows for the collator benchmark")
    ap.add_argument("out_dir")
    ap.add_argument("--rows", type=int, default=2048)
    ap.add_argument("--seed", type=int, default=20240601)
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)

    paths = documents()
    stream = stream_of(paths)
    if stream.size == 0:
        sys.exit("the corpus encodes to no tokens")

    rng = np.random.default_rng(a.seed)
    lengths = rng.integers(256, 510, size=a.rows, endpoint=True)
    mlm, pos = [], 0
    for n in lengths:
        body, pos = take(stream, pos, int(n))
        mlm.append(np.concatenate([[BOS], body, [EOS]]))
    span, pos = [], 0
    for _ in range(a.rows):
        body, pos = take(stream, pos, SPAN_RAW_LENGTH)
        span.append(body)

    write_rows(os.path.join(a.out_dir, "mlm_rows.txt"), mlm)
    write_rows(os.path.join(a.out_dir, "span_rows.txt"), span)
    mlm_tokens = sum(len(r) for r in mlm)
    print(f"{len(paths)} documents -> {stream.size} ids; mlm_rows.txt: {a.rows} rows, {mlm_tokens} ids "
          f"(lengths {min(map(len, mlm))}-{max(map(len, mlm))}); span_rows.txt: {a.rows} rows x "
          f"{SPAN_RAW_LENGTH}; in {a.out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
