#!/usr/bin/env python3
"""Makes benchmark models with the shapes of issue 15 from published files in .models/.

    python3 scripts/bench/make_shape_models.py [--models DIR]

Writes, when missing (nothing is committed; the inputs come from scripts/fetch/):
  * shape_unigram_262k_ctrl26k.model: a 262,144-piece UNIGRAM model with byte fallback and
    26,089 control pieces (plus the 3 it had): gemma3.model's pieces, model type set to
    unigram, its scores (minus the merge rank) mapped into [-16, -2] in the same order, and the 26,089
    lowest-scoring normal pieces without Hangul, Hanja, ASCII or `▁` turned into control
    pieces `<ctrl_N>`.
  * shape_bpe_32k_ctrl750.model: not made; mistral_v3.model (published) has this shape
    (32,768 BPE pieces, byte fallback, 750 control pieces).
  * shape_bytelevel_65k_nfkc.tokenizer.json: a 65,536-token byte-level BPE tokenizer.json
    with an NFKC normalizer: qwen3.tokenizer.json cut to its first 65,536 ids (merges whose
    parts or result fall outside are dropped; added tokens removed) and given
    "normalizer": {"type": "NFKC"}.
  * 200k-entry rank file: o200k_base.tiktoken (published).
Needs the `sentencepiece` package (its bundled protobuf module) and `protobuf`.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log(msg: str) -> None:
    print(f"[make_shape_models] {msg}", file=sys.stderr)


def unigram_262k(models: str) -> None:
    dest = os.path.join(models, "shape_unigram_262k_ctrl26k.model")
    src = os.path.join(models, "gemma3.model")
    if os.path.exists(dest) or not os.path.exists(src):
        return
    from sentencepiece import sentencepiece_model_pb2 as pb

    m = pb.ModelProto()
    m.ParseFromString(open(src, "rb").read())
    m.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    # BPE scores are minus the merge rank (down to -262,000): as log-probabilities they would
    # make every path score huge. Unigram-like scores instead, in the same order: from -2 for
    # the first merge down to -16 for the last.
    n = len(m.pieces)
    for p in m.pieces:
        if p.type == pb.ModelProto.SentencePiece.NORMAL:
            p.score = -2.0 - 14.0 * min(1.0, -p.score / n)
    def foreign(text: str) -> bool:
        # Neither Hangul, Hanja, ASCII nor `▁`: pieces the Korean corpus hardly needs.
        return not any(c < "\u0080" or c == "\u2581" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f"
                       or "\uac00" <= c <= "\ud7a3" or "\u4e00" <= c <= "\u9fff" for c in text)

    normal = [i for i, p in enumerate(m.pieces) if p.type == pb.ModelProto.SentencePiece.NORMAL and foreign(p.piece)]
    normal.sort(key=lambda i: (m.pieces[i].score, -i))
    for k, i in enumerate(normal[:26089]):
        m.pieces[i].piece = f"<ctrl_{k}>"
        m.pieces[i].type = pb.ModelProto.SentencePiece.CONTROL
        m.pieces[i].score = 0.0
    with open(dest + ".tmp", "wb") as f:
        f.write(m.SerializeToString())
    os.replace(dest + ".tmp", dest)
    log(f"wrote {dest}")


def bytelevel_65k(models: str) -> None:
    dest = os.path.join(models, "shape_bytelevel_65k_nfkc.tokenizer.json")
    src = os.path.join(models, "qwen3.tokenizer.json")
    if os.path.exists(dest) or not os.path.exists(src):
        return
    j = json.load(open(src, encoding="utf-8"))
    limit = 65536
    vocab = {t: i for t, i in j["model"]["vocab"].items() if i < limit}
    merges = []
    for m in j["model"]["merges"]:
        a, b = m if isinstance(m, list) else m.split(" ", 1)
        if a in vocab and b in vocab and (a + b) in vocab:
            merges.append([a, b])
    j["model"]["vocab"] = vocab
    j["model"]["merges"] = merges
    j["added_tokens"] = []
    j["normalizer"] = {"type": "NFKC"}
    j["post_processor"] = None
    with open(dest + ".tmp", "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False)
    os.replace(dest + ".tmp", dest)
    log(f"wrote {dest} ({len(vocab)} tokens, {len(merges)} merges)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=os.path.join(ROOT, ".models"))
    a = ap.parse_args()
    unigram_262k(a.models)
    bytelevel_65k(a.models)


if __name__ == "__main__":
    main()
