#!/usr/bin/env python3
"""Writes Korean legal text with about 30% Hanja (by characters, spaces not counted), for the
Hanja speed goal of `tokki-bench normalize`, the way older statutes mix them: in each line of
the statutes (constitution.txt and kobill.txt, repeated 20 times to about 3 MB), the Sino-Korean stem of a word (the longest prefix of two or more syllables that is
the reading of exactly one Hanja word of libhangul's dictionary) is written in Hanja
(`설정을` → `設定을`), until about 30% of the characters are Hanja. Word frequencies stay
those of real prose.

  python3 scripts/bench/make_hanja_text.py [IN [OUT]]   (default: the statutes → .corpus/ko_hanja30.txt)
"""
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sources = [sys.argv[1]] if len(sys.argv) > 1 else \
    [os.path.join(ROOT, ".corpus", f) for f in ("constitution.txt", "kobill.txt")] * 20
dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, ".corpus/ko_hanja30.txt")
HAN = re.compile(r"^[\u4e00-\u9fff]+$")
HANGUL = re.compile(r"^[\uac00-\ud7a3]+$")
forms = {}
for line in open("/usr/share/libhangul/hanja/hanja.txt", encoding="utf-8"):
    f = line.split(":")
    if len(f) >= 2 and HAN.match(f[1]) and HANGUL.match(f[0]) and len(f[0]) == len(f[1]) >= 2:
        forms.setdefault(f[0], set()).add(f[1])
written = {r: min(h) for r, h in forms.items()}
if not written:
    sys.exit("no words: apt-get install libhangul-data")
rng = random.Random(30)
han = total = 0
lines = [line for src in sources for line in open(src, encoding="utf-8")]
with open(dst, "w", encoding="utf-8") as o:
    for line in lines:
        out = []
        for w in line.rstrip("\n").split(" "):
            total += len(w)
            if han < 0.3 * total:  # write Hanja while the share is below 30%
                for n in range(min(len(w), 8), 1, -1):
                    if w[:n] in written:
                        w = written[w[:n]] + w[n:]
                        han += n
                        break
            out.append(w)
        o.write(" ".join(out) + "\n")
print(f"wrote {dst}: {han / max(1, total):.1%} Hanja by characters")
