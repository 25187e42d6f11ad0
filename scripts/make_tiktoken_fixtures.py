#!/usr/bin/env python3
"""Fixtures for Tokki's tiktoken support, made with the `tiktoken` package.

Run:  python3 -m pip install 'tiktoken==0.14.*'
      python3 scripts/make_tiktoken_fixtures.py
1. Trains a small byte-level BPE rank file with tiktoken's own trainer
   (`tiktoken._educational.bpe_train`, cl100k pattern) on Tests/Fixtures/text/korean-sample.txt
   (Korean statutes: public domain; hand-written lines: CC0) and writes it as
   Tests/Fixtures/tiktoken/korean-sample.tiktoken, with the ids tiktoken gives for every
   text of Tests/Fixtures/sentencepiece/inputs.json (encode_ordinary) in
   Tests/Fixtures/tiktoken/korean-sample.expected.json.
2. When .models/llama3.tiktoken exists (scripts/fetch-published-models.sh), writes
   .models/llama3.tiktoken.expected.json the same way with the Llama 3 pattern (not committed).
"""
import base64
import json
import pathlib

import tiktoken
from tiktoken._educational import bpe_train

ROOT = pathlib.Path(__file__).resolve().parent.parent
INPUTS = json.loads((ROOT / "Tests/Fixtures/sentencepiece/inputs.json").read_text(encoding="utf-8"))
CL100K = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
LLAMA3 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def write_ranks(path, ranks):
    with open(path, "w", encoding="ascii") as f:
        for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
            f.write(f"{base64.b64encode(token).decode('ascii')} {rank}\n")


def expectations(encoding, model_name, pattern_name):
    cases = []
    for item in INPUTS:
        ids = encoding.encode_ordinary(item["text"])
        cases.append({"name": item["name"], "ids": ids, "decoded": encoding.decode(ids)})
    return {"tiktoken_version": tiktoken.__version__, "model": model_name, "pattern": pattern_name, "cases": cases}


def main():
    out = ROOT / "Tests/Fixtures/tiktoken"
    out.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "Tests/Fixtures/text/korean-sample.txt").read_text(encoding="utf-8")
    ranks = bpe_train(text, 600, CL100K, visualise=None)
    write_ranks(out / "korean-sample.tiktoken", ranks)
    enc = tiktoken.Encoding("korean-sample", pat_str=CL100K, mergeable_ranks=ranks, special_tokens={})
    (out / "korean-sample.expected.json").write_text(
        json.dumps(expectations(enc, "korean-sample.tiktoken", "cl100k"), ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8")
    print("wrote", out / "korean-sample.tiktoken", len(ranks), "ranks")
    llama = ROOT / ".models/llama3.tiktoken"
    if llama.exists():
        from tiktoken.load import load_tiktoken_bpe
        llama_ranks = load_tiktoken_bpe(str(llama))
        enc = tiktoken.Encoding("llama3", pat_str=LLAMA3, mergeable_ranks=llama_ranks, special_tokens={})
        target = ROOT / ".models/llama3.tiktoken.expected.json"
        target.write_text(json.dumps(expectations(enc, "llama3.tiktoken", "llama3"), ensure_ascii=False,
                                     separators=(",", ":")) + "\n", encoding="utf-8")
        print("wrote", target)


if __name__ == "__main__":
    main()
