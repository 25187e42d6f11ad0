#!/usr/bin/env python3
"""Reference side of the whole-process benchmark (scripts/bench/bench_process.sh), one thread.

    python3 scripts/bench/process_reference.py MODEL FILE OUT [--pattern P]

Does what `tokki encode --model MODEL --input FILE --threads 1 > OUT` does, with the reference
library of MODEL's format, and times each step inside the process:
  * load: the model file read and parsed by the library
      - a SentencePiece .model: sentencepiece.SentencePieceProcessor(model_file=MODEL)
      - a tokenizer.json (name ends in .json, not a Tekken file): tokenizers.Tokenizer.from_file,
        truncation and padding kept as stored (as `tokki encode` does by default)
      - a .tiktoken rank file: tiktoken.load.load_tiktoken_bpe + tiktoken.Encoding with the
        pattern Tokki chooses from the file name (or --pattern)
      - a Tekken file (a .json with "config" and "vocab"): tiktoken, built as mistral_common's
        Tekkenizer builds it (scripts/fixtures/make_published_tokenizer_expectations.py)
  * encode: FILE read, split on LF (a final empty line dropped), each line decoded as UTF-8,
    and encoded as one batch on one thread (sp.encode(lines, num_threads=1);
    tok.encode_batch(lines, add_special_tokens=False) with TOKENIZERS_PARALLELISM=false and
    RAYON_NUM_THREADS=1; enc.encode_ordinary_batch(lines, num_threads=1))
  * write: the ids of each line, space-separated, one line per input line, to OUT.
The interpreter's start-up and the library's import are NOT counted (that favours the
reference). Prints one line:
  RESULT load_s=S encode_s=E write_s=W total_s=T lines=L bytes=B tokens=N
"""
from __future__ import annotations

import os

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TIKTOKEN_CACHE_DIR"] = ""

import argparse  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_hf_reference import PATTERNS, pattern_name_for_file  # noqa: E402


def is_tekken(path: str) -> bool:
    if not path.endswith(".json"):
        return False
    with open(path, "rb") as f:
        head = f.read(4096)
    return b'"config"' in head and b'"vocab"' in head and b'"model"' not in head[:200]


def main() -> None:
    ap = argparse.ArgumentParser(description="reference whole-process encode, one thread")
    ap.add_argument("model")
    ap.add_argument("file")
    ap.add_argument("out")
    ap.add_argument("--pattern")
    a = ap.parse_args()

    # Imports first, untimed.
    if a.model.endswith(".model"):
        import sentencepiece as spm
    elif a.model.endswith(".tiktoken") or is_tekken(a.model):
        import tiktoken
        import tiktoken.load
    else:
        import tokenizers

    t0 = time.perf_counter()
    if a.model.endswith(".model"):
        sp = spm.SentencePieceProcessor(model_file=a.model)

        def encode(lines):
            return sp.encode(lines, num_threads=1)
    elif a.model.endswith(".tiktoken"):
        pname = a.pattern or pattern_name_for_file(os.path.basename(a.model))
        if pname is None:
            sys.exit(f"{a.model}: cannot choose a pattern from the file name; pass --pattern")
        pat = PATTERNS.get(pname, pname)
        enc = tiktoken.Encoding("bench", pat_str=pat, mergeable_ranks=tiktoken.load.load_tiktoken_bpe(a.model),
                                special_tokens={})

        def encode(lines):
            return enc.encode_ordinary_batch(lines, num_threads=1)
    elif is_tekken(a.model):
        with open(a.model, encoding="utf-8") as fh:
            j = json.load(fh)
        cfg = j["config"]
        nspecial = cfg["default_num_special_tokens"]
        inner = cfg["default_vocab_size"] - nspecial
        ranks = {base64.b64decode(t["token_bytes"]): t["rank"] for t in j["vocab"][:inner]}
        enc = tiktoken.Encoding("tekken", pat_str=cfg["pattern"], mergeable_ranks=ranks, special_tokens={})

        def encode(lines):
            return [[t + nspecial for t in ids] for ids in enc.encode_ordinary_batch(lines, num_threads=1)]
    else:
        tok = tokenizers.Tokenizer.from_file(a.model)

        def encode(lines):
            return [e.ids for e in tok.encode_batch(lines, add_special_tokens=False)]
    t1 = time.perf_counter()

    with open(a.file, "rb") as f:
        data = f.read()
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    lines = [p.decode("utf-8") for p in parts]
    ids = encode(lines)
    t2 = time.perf_counter()

    with open(a.out, "w", encoding="ascii", newline="\n") as f:
        f.write("".join(" ".join(map(str, x)) + "\n" for x in ids))
    t3 = time.perf_counter()

    tokens = sum(len(x) for x in ids)
    print(f"RESULT load_s={t1 - t0:.6f} encode_s={t2 - t1:.6f} write_s={t3 - t2:.6f} total_s={t3 - t0:.6f} "
          f"lines={len(lines)} bytes={len(data)} tokens={tokens}")


if __name__ == "__main__":
    main()
