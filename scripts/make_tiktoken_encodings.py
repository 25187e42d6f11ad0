#!/usr/bin/env python3
"""Writes Tests/Fixtures/tiktoken/encodings.json: the special tokens, pattern and explicit
vocabulary size that the `tiktoken` package defines for each of its named OpenAI encodings
(gpt2, r50k_base, p50k_base, cl100k_base, o200k_base).

Run:  python3 -m pip install 'tiktoken==0.14.0'
      python3 scripts/make_tiktoken_encodings.py

No rank file is downloaded: tiktoken's loader is replaced by one that returns no ranks, so only
the definitions in `tiktoken_ext.openai_public` are read.
"""
import json
import pathlib

import tiktoken
import tiktoken_ext.openai_public as public

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main():
    public.load_tiktoken_bpe = lambda *args, **kwargs: {}
    public.data_gym_to_mergeable_bpe_ranks = lambda *args, **kwargs: {}
    out = {"tiktoken_version": tiktoken.__version__, "encodings": {}}
    for name in ["gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base"]:
        spec = getattr(public, name)()
        out["encodings"][name] = {
            "special_tokens": spec["special_tokens"],
            "explicit_n_vocab": spec.get("explicit_n_vocab"),
            "pat_str": spec["pat_str"],
        }
    path = ROOT / "Tests/Fixtures/tiktoken/encodings.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print("wrote", path)


if __name__ == "__main__":
    main()
