#!/usr/bin/env python3
"""Korean corpus with planted duplicates for the de-duplication benchmark (scripts/bench/bench_dedup.sh).

    bash scripts/fetch/fetch_corpus.sh                        # builds .corpus/ko_all.txt
    python3 scripts/bench/make_dedup_corpus.py OUT.txt [--size-mb 10] [--seed 20240601]

Source: .corpus/ko_all.txt (Korean statutes, bills and help-page prose, one document per line),
read as strict UTF-8; a trailing CR is dropped; lines under 40 characters (after stripping) are
skipped, and of lines with the same de-duplication key (whitespace runs collapsed to one space,
ends stripped, ASCII lowercased: tokki's `deduplicationKey`) only the first is used, so the
source contributes no exact duplicates of its own (27,638 distinct lines, 4.2 MB, with the
package versions pinned in scripts/fetch/fetch_corpus.sh).  It still has natural near duplicates
(similar statute clauses, help-page boilerplate); both sides of the benchmark see them.

Documents, all from one random.Random(SEED):
  base      the distinct source lines in shuffled order, until the base documents reach 87% of
            SIZE.  Once the source lines are used up (they are: 4.2 MB < 8.7 MB at the default
            size), further base documents are "recombined": three random distinct source lines
            joined with spaces, accepted only when no line is more than half of the document's
            characters (so a recombined document shares at most about half of its shingles with
            any source line or other recombined document) and the combination is new.
  exact     ~5% of all documents: a copy of a random base document.
  edited    ~5%: a copy with min(5, 1 + chars // 100) random one-character edits (substitute,
            insert or delete; new characters are random Hangul syllables U+AC00..U+D7A3).
  swapped   ~3%: a copy with two of its sentences swapped (sentences end in . ! ? followed by
            a space); a copy of a document with one sentence has its halves swapped (cut at the
            space nearest the middle, or in the middle when there is none) and joined by a space.
Each planted copy comes from a different base document; edited and swapped copies always differ
from their original after normalization.  All documents are shuffled together and written one
per line (LF).

Also writes OUT.planted.tsv: for each planted copy its line in OUT, kind (exact, edited,
swapped), the line of its original, and the true Jaccard similarity of the two documents'
5-character shingle sets (after normalization) - the ground truth for threshold 0.8.
The output depends only on .corpus/ko_all.txt, SIZE and SEED.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, ".corpus", "ko_all.txt")
MIN_CHARS = 40
SHARE_EXACT, SHARE_EDITED, SHARE_SWAPPED = 0.05, 0.05, 0.03
NGRAM = 5
_WS = re.compile(r"[ \t\n\r]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[ \t]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def dedup_key(text: str) -> str:
    """tokki's deduplicationKey: runs of space/tab/LF/CR -> one space, ends stripped, A-Z -> a-z."""
    key = _WS.sub(" ", text).strip(" ")
    return key.translate(_ASCII_LOWER)


def shingles(text: str) -> set[str]:
    key = dedup_key(text)
    if len(key) <= NGRAM:
        return {key}
    return {key[i:i + NGRAM] for i in range(len(key) - NGRAM + 1)}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


def source_lines() -> list[str]:
    if not os.path.isfile(SOURCE):
        sys.exit(f"{SOURCE} missing; run scripts/fetch/fetch_corpus.sh")
    with open(SOURCE, "rb") as f:
        data = f.read().decode("utf-8")
    seen: set[str] = set()
    out = []
    for line in data.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if len(line.strip()) < MIN_CHARS:
            continue
        key = dedup_key(line)
        if key in seen:
            continue
        seen.add(key)
        out.append(line)
    return out


def edited(text: str, rng: random.Random) -> str:
    key = dedup_key(text)
    while True:
        chars = list(text)
        for _ in range(min(5, 1 + len(text) // 100)):
            op = rng.randrange(3)
            pos = rng.randrange(len(chars))
            new = chr(0xAC00 + rng.randrange(0xD7A4 - 0xAC00))
            if op == 0:
                chars[pos] = new
            elif op == 1:
                chars.insert(pos, new)
            elif len(chars) > 1:
                del chars[pos]
        out = "".join(chars)
        if dedup_key(out) != key:
            return out


def swapped(text: str, rng: random.Random) -> str | None:
    sentences = _SENTENCE_END.split(text.strip())
    if len(sentences) >= 2:
        i, j = sorted(rng.sample(range(len(sentences)), 2))
        sentences[i], sentences[j] = sentences[j], sentences[i]
        out = " ".join(sentences)
    else:
        t = text.strip()
        mid = len(t) // 2
        spaces = [k for k, c in enumerate(t) if c == " "]
        if spaces:
            cut = min(spaces, key=lambda k: abs(k - mid))
            out = t[cut + 1:] + " " + t[:cut]
        else:
            out = t[mid:] + " " + t[:mid]
    return out if dedup_key(out) != dedup_key(text) else None


def main() -> None:
    ap = argparse.ArgumentParser(description="Korean corpus with planted exact and near duplicates")
    ap.add_argument("out")
    ap.add_argument("--size-mb", type=float, default=10.0, help="approximate size in MB (10^6 bytes)")
    ap.add_argument("--seed", type=int, default=20240601)
    a = ap.parse_args()
    if a.size_mb <= 0:
        ap.error("--size-mb must be positive")
    rng = random.Random(a.seed)
    pool = source_lines()
    rng.shuffle(pool)

    target = a.size_mb * 1e6 * (1 - SHARE_EXACT - SHARE_EDITED - SHARE_SWAPPED)
    base: list[str] = []
    size = 0
    n_recombined = 0
    combos: set[tuple[int, int, int]] = set()
    while size < target:
        if len(base) < len(pool):
            doc = pool[len(base)]
        else:
            while True:
                idx = tuple(sorted(rng.sample(range(len(pool)), 3)))
                parts = [pool[i].strip() for i in idx]
                total = sum(len(p) for p in parts) + 2
                if idx not in combos and max(len(p) for p in parts) * 2 <= total:
                    break
            combos.add(idx)
            order = list(parts)
            rng.shuffle(order)
            doc = " ".join(order)
            n_recombined += 1
        base.append(doc)
        size += len(doc.encode("utf-8")) + 1

    n_total = round(len(base) / (1 - SHARE_EXACT - SHARE_EDITED - SHARE_SWAPPED))
    n_exact, n_edited, n_swapped = (round(n_total * s) for s in (SHARE_EXACT, SHARE_EDITED, SHARE_SWAPPED))
    sources = rng.sample(range(len(base)), n_exact + n_edited + 2 * n_swapped)
    # docs: (text, kind, index of the original in base or -1)
    docs: list[tuple[str, str, int]] = [(t, "base", -1) for t in base]
    k = 0
    for _ in range(n_exact):
        docs.append((base[sources[k]], "exact", sources[k])); k += 1
    for _ in range(n_edited):
        docs.append((edited(base[sources[k]], rng), "edited", sources[k])); k += 1
    made = 0
    while made < n_swapped:  # spare sources for documents whose swap changes nothing
        if k == len(sources):
            sys.exit("too few documents whose sentences can be swapped")
        s = sources[k]; k += 1
        t = swapped(base[s], rng)
        if t is not None:
            docs.append((t, "swapped", s)); made += 1

    order = list(range(len(docs)))
    rng.shuffle(order)
    line_of = [0] * len(docs)
    for line, i in enumerate(order, 1):
        line_of[i] = line
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        for i in order:
            f.write(docs[i][0] + "\n")
    manifest = a.out + ".planted.tsv"
    near_truth = 0
    with open(manifest, "w", encoding="utf-8", newline="\n") as f:
        f.write("line\tkind\toriginal_line\tjaccard\n")
        for i in sorted(range(len(base), len(docs)), key=lambda i: line_of[i]):
            text, kind, src = docs[i]
            j = jaccard(text, base[src])
            near_truth += kind != "exact" and j >= 0.8
            f.write(f"{line_of[i]}\t{kind}\t{line_of[src]}\t{j:.4f}\n")
    nbytes = os.path.getsize(a.out)
    print(f"{a.out}: {len(docs)} documents, {nbytes / 1e6:.2f} MB: {len(base)} base ({len(base) - n_recombined} "
          f"source lines of {len(pool)}, {n_recombined} recombined), planted {n_exact} exact, {n_edited} edited, "
          f"{n_swapped} swapped ({near_truth} of the edited/swapped with true 5-shingle Jaccard >= 0.8); "
          f"manifest {manifest}", file=sys.stderr)


if __name__ == "__main__":
    main()
