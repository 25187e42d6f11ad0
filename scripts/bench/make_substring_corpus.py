#!/usr/bin/env python3
"""Makes a corpus for exact-substring de-duplication benchmarks (scripts/bench/bench_substring.sh):
Korean lines from the given sources, reshuffled round after round until --size-mb is reached, so
that every line repeats (whole, or cut at a random point) in later rounds, and with one of five
boilerplate notices (court-style disclaimers) inserted into 30% of the lines at a random character
position. Seeded; stdlib only.

    make_substring_corpus.py OUT.txt --size-mb 64 SOURCE.txt...
"""
import argparse
import random

NOTICES = [
    "※ 이 판결문은 대법원 종합법률정보에서 제공하는 자료로서 개인정보 보호를 위하여 비실명 처리되었으며 법적 효력이 없습니다.",
    "【주의】 본 자료는 참고용이며 무단 전재 및 재배포를 금합니다. 저작권은 각 권리자에게 있습니다.",
    "이 문서는 국회 의안정보시스템의 공개 자료를 가공한 것으로 원문과 다를 수 있으니 반드시 원문을 확인하시기 바랍니다.",
    "본 상담 내용은 일반적인 법률 정보 제공을 목적으로 하며 구체적인 사건에 대한 법률 자문이 아닙니다.",
    "Copyright (c) 법제처 국가법령정보센터. All rights reserved. 이 정보는 공공누리 제1유형 조건에 따라 이용할 수 있습니다.",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("sources", nargs="+")
    ap.add_argument("--size-mb", type=float, default=64)
    ap.add_argument("--seed", type=int, default=20220714)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    lines = []
    for s in a.sources:
        with open(s, encoding="utf-8") as f:
            lines += [l.rstrip("\n") for l in f if l.strip()]
    target = int(a.size_mb * 1_000_000)
    written = 0
    with open(a.out, "w", encoding="utf-8") as out:
        rnd = 0
        while written < target:
            order = list(range(len(lines)))
            rng.shuffle(order)
            for i in order:
                line = lines[i]
                if rnd > 0 and rng.random() < 0.3:  # a later round: sometimes only a part
                    cut = rng.randrange(len(line) + 1)
                    line = line[cut:] if rng.random() < 0.5 else line[:cut]
                if rng.random() < 0.3:
                    at = rng.randrange(len(line) + 1)
                    line = line[:at] + " " + rng.choice(NOTICES) + " " + line[at:]
                if not line.strip():
                    continue
                b = (line + "\n").encode("utf-8")
                out.write(line + "\n")
                written += len(b)
                if written >= target:
                    break
            rnd += 1
    print(f"{a.out}: {written} bytes, {rnd} rounds over {len(lines)} source lines")


if __name__ == "__main__":
    main()
