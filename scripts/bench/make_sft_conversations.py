#!/usr/bin/env python3
"""Korean multi-turn conversations for the SFT benchmark, made deterministically from the
Korean corpora that scripts/fetch/fetch_corpus.sh brings (statutes, bills, help pages).

Each conversation: an optional system message (every third), then 2-4 exchanges; a user turn
is one or two Korean lines, an assistant turn two to four. Lines with no Hangul are skipped.

Usage: make_sft_conversations.py OUT.jsonl [--count 10000] [--seed 1]
"""
import argparse
import json
import pathlib
import random
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = ["kolaw.txt", "constitution.txt", "kobill.txt", "ko_help.txt"]
HANGUL = re.compile("[\uac00-\ud7a3]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    lines = []
    for name in SOURCES:
        p = ROOT / ".corpus" / name
        if not p.exists():
            continue
        for line in p.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if 8 <= len(line) <= 300 and len(HANGUL.findall(line)) >= 4:
                lines.append(line)
    if not lines:
        raise SystemExit("no Korean lines found in .corpus/ (run scripts/fetch/fetch_corpus.sh)")
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for k in range(args.count):
            messages = []
            if k % 3 == 0:
                messages.append({"role": "system", "content": "당신은 한국 법률 문서를 설명하는 도우미입니다."})
            for _ in range(rng.randint(2, 4)):
                messages.append({"role": "user", "content": " ".join(rng.choice(lines) for _ in range(rng.randint(1, 2)))})
                messages.append({"role": "assistant", "content": " ".join(rng.choice(lines) for _ in range(rng.randint(2, 4)))})
            f.write(json.dumps({"messages": messages}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
