#!/usr/bin/env python3
"""Writes Tests/Fixtures/tiktoken/korean-sample.offsets.json: for every text of
Tests/Fixtures/sentencepiece/inputs.json, the ids `tiktoken` gives with the committed
korean-sample.tiktoken rank file (cl100k pattern), each token's bytes
(`decode_single_token_bytes`, hex) and the character start offsets of `decode_with_offsets`.

Run:  python3 -m pip install 'tiktoken==0.14.0'
      python3 scripts/make_tiktoken_offsets.py
"""
import json
import pathlib

import tiktoken
from tiktoken.load import load_tiktoken_bpe

ROOT = pathlib.Path(__file__).resolve().parent.parent
CL100K = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""


def main():
    inputs = json.loads((ROOT / "Tests/Fixtures/sentencepiece/inputs.json").read_text(encoding="utf-8"))
    ranks = load_tiktoken_bpe(str(ROOT / "Tests/Fixtures/tiktoken/korean-sample.tiktoken"))
    enc = tiktoken.Encoding("korean-sample", pat_str=CL100K, mergeable_ranks=ranks, special_tokens={})
    cases = []
    for item in inputs:
        ids = enc.encode_ordinary(item["text"])
        text, starts = enc.decode_with_offsets(ids)
        cases.append({"name": item["name"], "ids": ids, "starts": starts,
                      "token_bytes": [enc.decode_single_token_bytes(i).hex() for i in ids],
                      "round_trip": text == item["text"]})
    out = {"tiktoken_version": tiktoken.__version__, "model": "korean-sample.tiktoken", "pattern": "cl100k", "cases": cases}
    path = ROOT / "Tests/Fixtures/tiktoken/korean-sample.offsets.json"
    path.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print("wrote", path, len(cases), "cases")


if __name__ == "__main__":
    main()
