#!/usr/bin/env python3
"""Writes Korean prose with about 30% Hanja (by characters), for the Hanja speed goal of
`tokki-bench normalize`: every line of the Korean corpus with some of its words replaced by
Hanja words of libhangul's dictionary (a fixed random choice).

  python3 scripts/bench/make_hanja_text.py [IN [OUT]]   (default: .corpus/ko_help.txt → .corpus/ko_hanja30.txt)
"""
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".corpus/ko_help.txt")
dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, ".corpus/ko_hanja30.txt")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
words = []
for line in open("/usr/share/libhangul/hanja/hanja.txt", encoding="utf-8"):
    f = line.split(":")
    if len(f) >= 2 and HAN.match(f[1]) and 2 <= len(f[1]) <= 4:
        words.append(f[1])
if not words:
    sys.exit("no words: apt-get install libhangul-data")
rng = random.Random(30)
han = total = 0
with open(src, encoding="utf-8") as i, open(dst, "w", encoding="utf-8") as o:
    for line in i:
        out = []
        for w in line.rstrip("\n").split(" "):
            # Replace words while the Hanja share stays under 30%.
            if w and han < 0.3 * (total + len(w)) and rng.random() < 0.6:
                w = rng.choice(words)
                han += len(w)
            total += len(w) + 1
            out.append(w)
        o.write(" ".join(out) + "\n")
print(f"wrote {dst}: {han / max(1, total):.1%} Hanja by characters")
