#!/usr/bin/env python3
"""Train the Korean benchmark models with the reference `sentencepiece` into .models/.

    python3 scripts/bench/train_bench_models.py            # skips models that already exist
    python3 scripts/bench/train_bench_models.py --force    # retrain

Outputs (gitignored, never committed):
    .models/bench_ko_unigram_16k.model
    .models/bench_ko_bpe_16k.model

Both are trained on .corpus/ko_all.txt (scripts/fetch/fetch_corpus.sh) with byte_fallback=True,
nmt_nfkc normalization and num_threads=2.  Deterministic: all sentences are used in file
order (input_sentence_size=0, shuffle_input_sentence=false) and the random generator is
seeded, so re-running with the same corpus and sentencepiece version gives the same model.
If the trainer rejects the vocabulary size (too few pieces in the corpus) the size is
lowered step by step; the size used is printed and recorded in <model>.trainer.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, ".corpus", "ko_all.txt")
MODELS = os.path.join(ROOT, ".models")
SEED = 20240501
VOCAB_SIZES = [16000, 12000, 8000]

COMMON = dict(
    num_threads=2,
    input_sentence_size=0,
    shuffle_input_sentence=False,
    character_coverage=0.9995,
    max_sentence_length=8192,
    byte_fallback=True,
    normalization_rule_name="nmt_nfkc",
    hard_vocab_limit=True,
    minloglevel=2,
)

BENCH_MODELS = {
    "bench_ko_unigram_16k": dict(model_type="unigram"),
    "bench_ko_bpe_16k": dict(model_type="bpe"),
}


def train(name: str, options: dict) -> None:
    import sentencepiece as spm

    dest = os.path.join(MODELS, name + ".model")
    last_error = None
    for vocab in VOCAB_SIZES:
        args = dict(COMMON, **options, vocab_size=vocab)
        spm.set_random_generator_seed(SEED)
        prefix = os.path.join(MODELS, name + ".tmp")
        t0 = time.perf_counter()
        try:
            spm.SentencePieceTrainer.train(input=CORPUS, model_prefix=prefix, **args)
        except (RuntimeError, OSError) as e:  # e.g. "Vocabulary size is too high"
            last_error = e
            print(f"[train-bench-models] {name}: vocab {vocab} failed ({str(e).strip()[:120]}); trying smaller",
                  file=sys.stderr)
            continue
        dt = time.perf_counter() - t0
        os.replace(prefix + ".model", dest)
        os.remove(prefix + ".vocab")
        with open(os.path.join(MODELS, name + ".trainer.json"), "w") as f:
            json.dump({"sentencepiece_version": spm.__version__, "input": ".corpus/ko_all.txt",
                       "seed": SEED, "trainer_args": args, "train_seconds": round(dt, 1)}, f, indent=1)
        print(f"[train-bench-models] {name}: vocab {vocab}, {dt:.1f} s -> {os.path.relpath(dest, ROOT)}",
              file=sys.stderr)
        return
    raise SystemExit(f"{name}: training failed: {last_error}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="retrain even if the model exists")
    a = ap.parse_args()
    if not os.path.exists(CORPUS):
        raise SystemExit(f"missing {CORPUS}: run scripts/fetch/fetch_corpus.sh")
    os.makedirs(MODELS, exist_ok=True)
    for name, options in BENCH_MODELS.items():
        if not a.force and os.path.exists(os.path.join(MODELS, name + ".model")):
            print(f"[train-bench-models] {name}: present, skipping", file=sys.stderr)
            continue
        train(name, options)


if __name__ == "__main__":
    main()
