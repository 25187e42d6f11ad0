#!/usr/bin/env python3
"""Unigram training quality: `tokki train --model-type unigram` against sentencepiece's Unigram
trainer, on held-out Korean prose and held-out Korean legal text (issue 17 item 3).

    python3 scripts/bench/unigram_quality.py --tokki /tmp/tokki-release-static/release/tokki
    python3 scripts/bench/unigram_quality.py --tokki T --vocab-sizes 8000,32000 --normalizations nmt_nfkc,korean

Split (.corpus/ from scripts/fetch/fetch_corpus.sh):
  train   = .corpus/ko_help.txt without every 10th line (Korean prose, GIMP/LibreOffice help);
  prose   = every 10th line of ko_help.txt (lines 10, 20, ...), held out;
  legal   = .corpus/kobill.txt + .corpus/constitution.txt (never trained on).
Both trainers get the same text, vocab_size, character_coverage 0.9995, 2 threads:
  tokki train --model-type unigram --vocab-size N --normalization NORM --threads 2 --quiet
  SentencePieceTrainer.train(model_type=unigram, vocab_size=N, character_coverage=0.9995,
      num_threads=2, input_sentence_size=0, shuffle_input_sentence=False, max_sentence_length=1<<20,
      normalization_rule_name=NORM)  (korean: the text pre-normalized by `tokki normalize`, as in
      scripts/check/check_training.py, and normalization_rule_name=identity)
A vocabulary size the corpus cannot fill (sentencepiece: "Please set it to a value <= M"; tokki:
"at most M pieces") is lowered to M for both (shown as N->M).
Tokens are counted by `sentencepiece` on each .model; tokens/char = tokens / code points of the
held-out lines (a run of unknown characters is one <unk>: the <unk> column counts them, as a
model missing required characters looks better than it is).  ratio = tokki / sentencepiece
(goal <= 1.01).  Seconds: tokki's whole process and
sentencepiece's train call.  Exit 1 when a ratio is above 1.01.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import sentencepiece as spm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, ".corpus")


def lines_of(path: str) -> list[str]:
    text = open(path, encoding="utf-8").read()
    return [l[:-1] if l.endswith("\r") else l for l in text.split("\n")[:-1 if text.endswith("\n") else None]]


def write(path: str, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(l + "\n" for l in lines))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokki", required=True)
    ap.add_argument("--vocab-sizes", default="8000,32000")
    ap.add_argument("--normalizations", default="nmt_nfkc")
    ap.add_argument("--corpus", default=CORPUS)
    ap.add_argument("--keep", help="directory to keep the models in")
    a = ap.parse_args()
    help_lines = lines_of(os.path.join(a.corpus, "ko_help.txt"))
    train = [l for i, l in enumerate(help_lines, 1) if i % 10]
    held = {"prose": [l for i, l in enumerate(help_lines, 1) if i % 10 == 0],
            "legal": lines_of(os.path.join(a.corpus, "kobill.txt")) + lines_of(os.path.join(a.corpus, "constitution.txt"))}
    tmp = a.keep or tempfile.mkdtemp(prefix="tokki-uq-")
    os.makedirs(tmp, exist_ok=True)
    write(os.path.join(tmp, "train.txt"), train)
    for k, v in held.items():
        write(os.path.join(tmp, k + ".txt"), v)
    chars = {k: sum(len(l) for l in v) for k, v in held.items()}
    print(f"train: {len(train)} lines of ko_help.txt; held out: prose {len(held['prose'])} lines "
          f"({chars['prose']} chars), legal {len(held['legal'])} lines ({chars['legal']} chars)")
    head = ["vocab", "norm", "text", "tokki tok/char", "spm tok/char", "ratio", "<unk> tokki / spm", "tokki s (process)", "spm s (train call)"]
    rows, worst = [], 0.0
    for norm in a.normalizations.split(","):
        train_path, evals = os.path.join(tmp, "train.txt"), dict(held)
        if norm == "korean":  # sentencepiece has no such rule: both see Tokki's Korean preset text
            for k in ["train"] + list(held):
                src = os.path.join(tmp, k + ".txt")
                out = subprocess.run([a.tokki, "normalize", "--input", src], check=True, capture_output=True).stdout
                open(os.path.join(tmp, k + ".norm.txt"), "wb").write(out)
            train_path = os.path.join(tmp, "train.norm.txt")
            evals = {k: lines_of(os.path.join(tmp, k + ".norm.txt")) for k in held}
        for asked in [int(v) for v in a.vocab_sizes.split(",")]:
            vocab, ref, prefix = asked, os.path.join(tmp, f"spm_{norm}_{asked}"), os.path.join(tmp, f"tokki_{norm}_{asked}")
            while True:  # lowered to what the corpus allows, for both
                spm.set_random_generator_seed(20240501)
                t0 = time.perf_counter()
                try:
                    spm.SentencePieceTrainer.train(
                        input=train_path, model_prefix=ref, model_type="unigram", vocab_size=vocab,
                        character_coverage=0.9995, normalization_rule_name="identity" if norm == "korean" else norm,
                        num_threads=2, input_sentence_size=0, shuffle_input_sentence=False,
                        max_sentence_length=1 << 20, minloglevel=2)
                except RuntimeError as e:  # "Vocabulary size too high (N). Please set it to a value <= M."
                    m = re.search(r"value <= (\d+)", str(e))
                    if not m:
                        raise
                    vocab = int(m.group(1))
                    continue
                t_spm = time.perf_counter() - t0
                t0 = time.perf_counter()
                r = subprocess.run([a.tokki, "train", "--model-type", "unigram", "--vocab-size", str(vocab),
                                    "--normalization", norm, "--threads", "2", "--quiet",
                                    "--input", os.path.join(tmp, "train.txt"), "--output", prefix],
                                   capture_output=True, text=True)
                t_tokki = time.perf_counter() - t0
                m = re.search(r"at most (\d+) pieces", r.stderr)
                if r.returncode and m:  # "vocabulary size N is too large for this corpus: at most M pieces"
                    vocab = int(m.group(1))
                    continue
                if r.returncode:
                    raise SystemExit(f"tokki train failed: {r.stderr}")
                break
            mine = spm.SentencePieceProcessor(model_file=prefix + ".model")
            theirs = spm.SentencePieceProcessor(model_file=ref + ".model")
            for k, lines in evals.items():
                ids_mine, ids_ref = mine.encode(lines), theirs.encode(lines)
                n_mine, n_ref = sum(map(len, ids_mine)), sum(map(len, ids_ref))
                unk_mine = sum(x.count(mine.unk_id()) for x in ids_mine)
                unk_ref = sum(x.count(theirs.unk_id()) for x in ids_ref)
                worst = max(worst, n_mine / n_ref)
                rows.append([vocab if vocab == asked else f"{asked}->{vocab}", norm, k, f"{n_mine / chars[k]:.4f}", f"{n_ref / chars[k]:.4f}",
                             f"{n_mine / n_ref:.4f}", f"{unk_mine} / {unk_ref}", f"{t_tokki:.2f}", f"{t_spm:.2f}"])
                print("\t".join(map(str, rows[-1])), file=sys.stderr)
    width = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print("  ".join(h.ljust(w) for h, w in zip(head, width)))
    print("  ".join("-" * w for w in width))
    for r in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, width)))
    print("goal: ratio <= 1.0100 everywhere")
    return 0 if worst <= 1.01 else 1


if __name__ == "__main__":
    sys.exit(main())
