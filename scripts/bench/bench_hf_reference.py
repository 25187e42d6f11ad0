#!/usr/bin/env python3
"""Reference side of the tokenizer.json / tiktoken encode benchmark, one thread.

    python3 scripts/bench/bench_hf_reference.py MODEL FILE [--repeat N] [--check OUT] [--pattern P]

MODEL is either
  * a Hugging Face tokenizer.json (name ends in .json): loaded with the Rust-backed
    `tokenizers` package, Tokenizer.from_file(MODEL) (truncation and padding switched off),
    and timed as tok.encode_batch(lines, add_special_tokens=False); ids are `e.ids`.
    One thread: TOKENIZERS_PARALLELISM=false (encode_batch then runs serially on the
    calling thread, no rayon pool is started) and RAYON_NUM_THREADS=1, both set before
    `tokenizers` is imported.  With only RAYON_NUM_THREADS=1 the work runs on one rayon
    worker (2 threads in the process, the caller waiting); with neither, on all cores.
  * a tiktoken rank file (name ends in .tiktoken): tiktoken.Encoding(name, pat_str=P,
    mergeable_ranks=tiktoken.load.load_tiktoken_bpe(MODEL), special_tokens={}), timed as
    enc.encode_ordinary_batch(lines, num_threads=1).  The batch result is checked once
    (untimed) against a loop of enc.encode_ordinary.  P is --pattern: a name (gpt2, r50k,
    p50k, cl100k, o200k, llama3, qwen2; also r50k_base, p50k_base, cl100k_base,
    o200k_base, qwen) or a raw regex; by default it is chosen from the file name as Tokki
    does (PretokenizationPattern.name(forFileName:): "llama-3", then the first of o200k,
    cl100k, p50k, r50k, llama3 contained in the lower-cased name).  tiktoken's file cache
    is disabled (TIKTOKEN_CACHE_DIR=""), so the load time is reading + parsing the file.

Load time: best of 3.  Lines are read exactly as `tokki-bench encode` reads them (split on
LF, LF not included, no final empty line; strict UTF-8 to str).  Throughput is the UTF-8
bytes of the lines per second (load excluded).  Prints the same RESULT line as tokki-bench:
  RESULT model=NAME type=tokenizer.json_<BPE|Unigram|WordPiece|WordLevel>|tiktoken vocab=V lines=L bytes=B repeat=N load_s=S best_mbps=X median_mbps=Y tokens=T
(rates below 1 MB/s get 6 decimals instead of 3, for the worst-case inputs).
--check OUT writes the ids of each line, space-separated, one line per input line.
Run by scripts/bench/bench_hf.sh.
"""
from __future__ import annotations

import os

# One thread; must be set before `tokenizers` is imported (the rayon pool reads it once).
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
# Read local .tiktoken files directly instead of through tiktoken's /tmp copy cache.
os.environ["TIKTOKEN_CACHE_DIR"] = ""

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

# The exact strings of Sources/Tokki/PreTokenization/PreTokenizer.swift `PretokenizationPattern`.
GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
R50K = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
CL100K = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
O200K = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
QWEN2 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
LLAMA3 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

PATTERNS = {
    "gpt2": GPT2,
    "r50k": R50K, "r50k_base": R50K, "p50k": R50K, "p50k_base": R50K,
    "cl100k": CL100K, "cl100k_base": CL100K,
    "o200k": O200K, "o200k_base": O200K,
    "llama3": LLAMA3,
    "qwen2": QWEN2, "qwen": QWEN2,
}


def pattern_name_for_file(file_name: str) -> str | None:
    """Tokki's PretokenizationPattern.name(forFileName:)."""
    name = file_name.lower()
    if "llama-3" in name:
        return "llama3"
    return next((p for p in ("o200k", "cl100k", "p50k", "r50k", "llama3") if p in name), None)


def read_lines(path: str) -> tuple[list[str], int]:
    data = open(path, "rb").read()
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    # Strict decoding: the reference encodes str, and the corpus is valid UTF-8.
    return [p.decode("utf-8") for p in parts], sum(len(p) for p in parts)


def fmt_rate(x: float) -> str:
    return f"{x:.3f}" if x >= 1 else f"{x:.6f}"


def load_hf(path: str):
    import tokenizers

    tok = None
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        tok = tokenizers.Tokenizer.from_file(path)
        best = min(best, time.perf_counter() - t0)
    tok.no_truncation()
    tok.no_padding()
    kind = json.load(open(path, encoding="utf-8"))["model"].get("type", "BPE")

    def encode(lines: list[str]):
        return tok.encode_batch(lines, add_special_tokens=False)

    def ids_of(result) -> list[list[int]]:
        return [e.ids for e in result]

    label = f"tokenizers {tokenizers.__version__}, {kind}, encode_batch, TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1"
    return (encode, ids_of, f"tokenizer.json_{kind}", tok.get_vocab_size(with_added_tokens=True), best, label, None)


def load_tiktoken(path: str, pattern: str | None):
    import tiktoken
    import tiktoken.load

    if pattern is None:
        pname = pattern_name_for_file(os.path.basename(path))
        if pname is None:
            sys.exit(f"{path}: cannot choose a pattern from the file name; pass --pattern")
    else:
        pname = pattern if pattern in PATTERNS else None
    pat = PATTERNS[pname] if pname else pattern
    name = os.path.basename(path).removesuffix(".tiktoken")

    enc = None
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        enc = tiktoken.Encoding(name, pat_str=pat, mergeable_ranks=tiktoken.load.load_tiktoken_bpe(path),
                                special_tokens={})
        best = min(best, time.perf_counter() - t0)

    def encode(lines: list[str]):
        return enc.encode_ordinary_batch(lines, num_threads=1)

    def ids_of(result) -> list[list[int]]:
        return result

    def verify(lines: list[str], result) -> None:
        loop = [enc.encode_ordinary(s) for s in lines]
        if loop != result:
            bad = [i + 1 for i, (a, b) in enumerate(zip(loop, result)) if a != b]
            sys.exit(f"tiktoken: encode_ordinary_batch differs from a loop of encode_ordinary on lines {bad[:20]}")

    label = f"tiktoken {tiktoken.__version__}, pattern {pname or 'custom'}, encode_ordinary_batch num_threads=1"
    return (encode, ids_of, "tiktoken", enc.n_vocab, best, label, verify)


def main() -> None:
    ap = argparse.ArgumentParser(description="tokenizer.json / tiktoken reference encode benchmark (one thread)")
    ap.add_argument("model")
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--check", metavar="OUT")
    ap.add_argument("--pattern", help="tiktoken only: a pattern name or a raw regex")
    a = ap.parse_args()
    if a.repeat < 1:
        ap.error("--repeat needs a positive number")

    if a.model.endswith(".tiktoken"):
        encode, ids_of, typ, vocab, load_best, label, verify = load_tiktoken(a.model, a.pattern)
    elif a.model.endswith(".json"):
        if a.pattern is not None:
            ap.error("--pattern is for .tiktoken files only")
        encode, ids_of, typ, vocab, load_best, label, verify = load_hf(a.model)
    else:
        ap.error("MODEL must be a tokenizer.json (.json) or a .tiktoken file")

    lines, total = read_lines(a.file)
    rates = []
    result = None
    for _ in range(a.repeat):
        result = None  # free the previous run's encodings before the next one
        t0 = time.perf_counter()
        result = encode(lines)
        dt = time.perf_counter() - t0
        rates.append(total / 1e6 / dt)
    rates.sort()
    best, median = rates[-1], rates[len(rates) // 2]
    if verify is not None:
        verify(lines, result)
    ids = ids_of(result)
    tokens = sum(len(x) for x in ids)

    if a.check:
        with open(a.check, "w", encoding="ascii", newline="\n") as f:
            for x in ids:
                f.write(" ".join(map(str, x)))
                f.write("\n")

    name = os.path.basename(a.model)
    print(f"{label}; {name} ({typ}, {vocab} ids) on {os.path.basename(a.file)}: "
          f"{len(lines)} lines, {total / 1e6:.2f} MB; one thread; best/median of {a.repeat} runs")
    print(f"  load {load_best:.4f} s (best of 3); encode best {best:.1f} MB/s, median {median:.1f} MB/s; {tokens} tokens")
    print(f"RESULT model={name} type={typ} vocab={vocab} lines={len(lines)} bytes={total} repeat={a.repeat} "
          f"load_s={load_best:.6f} best_mbps={fmt_rate(best)} median_mbps={fmt_rate(median)} tokens={tokens}")


if __name__ == "__main__":
    main()
