#!/usr/bin/env python3
"""Expected outputs of Hugging Face's `Split` pre-tokenizer for Tokki's regex split tests.

Run:  python3 -m pip install 'tokenizers==0.23.*' 'tiktoken==0.14.*' regex
      python3 scripts/make_pretokenizer_fixtures.py
Writes Tests/Fixtures/pretokenizers/split.expected.json: for each pattern, behavior and
invert flag, the pieces of every text of Tests/Fixtures/sentencepiece/inputs.json as UTF-8
byte ranges (Hugging Face Split, Oniguruma semantics), and for the tiktoken patterns the
plain match ranges with tiktoken's semantics (Python `regex`, like tiktoken's fancy-regex). Patterns are read from tiktoken's own definitions (r50k, cl100k, o200k); gpt2
is the regex of Hugging Face's ByteLevel pre-tokenizer; llama3 is Meta's Llama 3 pattern.
Deterministic: the same packages give the same bytes.
"""
import json
import pathlib

import regex
import tiktoken_ext.openai_public as openai_public
import tokenizers
from tokenizers import Regex
from tokenizers.pre_tokenizers import Split

ROOT = pathlib.Path(__file__).resolve().parent.parent
INPUTS = ROOT / "Tests/Fixtures/sentencepiece/inputs.json"
OUT = ROOT / "Tests/Fixtures/pretokenizers/split.expected.json"


def tiktoken_pattern(name):
    # The encoding constructors would download the rank files; stub the loader, keep pat_str.
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda *args, **kwargs: {}
    try:
        return getattr(openai_public, name)()["pat_str"]
    finally:
        openai_public.load_tiktoken_bpe = original


PATTERNS = {
    "gpt2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "r50k": tiktoken_pattern("r50k_base"),
    "cl100k": tiktoken_pattern("cl100k_base"),
    "o200k": tiktoken_pattern("o200k_base"),
    "llama3": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}

BEHAVIORS = ["isolated", "removed", "merged_with_previous", "merged_with_next", "contiguous"]


def byte_ranges(text, pieces):
    # pre_tokenize_str gives code point offsets; convert to UTF-8 byte offsets.
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + len(ch.encode("utf-8")))
    return [[prefix[s], prefix[e]] for _, (s, e) in pieces]


def main():
    inputs = json.loads(INPUTS.read_text(encoding="utf-8"))
    cases = []
    for name, pattern in PATTERNS.items():
        for behavior in BEHAVIORS:
            for invert in ([False, True] if name == "gpt2" else [False]):
                split = Split(Regex(pattern), behavior=behavior, invert=invert)
                results = {}
                for item in inputs:
                    results[item["name"]] = byte_ranges(item["text"], split.pre_tokenize_str(item["text"]))
                cases.append({"pattern": name, "behavior": behavior, "invert": invert, "pieces": results})
    # tiktoken semantics (fancy-regex; the Python `regex` module agrees with it): possessive
    # `{n,m}+`, unlike Oniguruma, which reads it as a repeated interval.
    tiktoken_cases = {}
    for name in ["r50k", "cl100k", "o200k", "llama3"]:
        compiled = regex.compile(PATTERNS[name])
        tiktoken_cases[name] = {}
        for item in inputs:
            text = item["text"]
            prefix = [0]
            for ch in text:
                prefix.append(prefix[-1] + len(ch.encode("utf-8")))
            tiktoken_cases[name][item["name"]] = [[prefix[m.start()], prefix[m.end()]] for m in compiled.finditer(text)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "generator": "scripts/make_pretokenizer_fixtures.py",
        "tokenizers_version": tokenizers.__version__,
        "patterns": PATTERNS,
        "cases": cases,
        "regex_version": regex.__version__,
        "tiktoken_matches": tiktoken_cases,
    }, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
