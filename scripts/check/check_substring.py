#!/usr/bin/env python3
"""Checks `tokki dedup --substring` output on a plain-text corpus against the definition, computed
independently (stdlib, one pass, a set of hashed windows):

a byte of a line is cut when it lies in a window of MIN_LENGTH bytes of that line whose bytes
occur at an earlier position (an earlier line, or earlier in the same line); cuts that overlap or
touch merge, then shrink to whole UTF-8 characters; blank lines, and lines left blank, are
dropped; CR of CRLF lines stays.

    check_substring.py INPUT.txt KEPT.txt [--min-length 100]

Prints `identical` (exit 0) or `DIFFERENT` with the first differing line (exit 1). Windows are
compared by Python's 64-bit hash of their bytes (a collision would show as a difference).
"""
import argparse
import sys


def expected(data, length):
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    seen = set()
    out = []
    for line in lines:
        cr = line.endswith(b"\r")
        t = line[:-1] if cr else line
        if t.strip(b" \t\r\n") == b"":
            continue
        ranges = []
        for p in range(len(t) - length + 1):
            h = hash(t[p:p + length])
            if h in seen:
                if ranges and p <= ranges[-1][1]:
                    ranges[-1][1] = p + length
                else:
                    ranges.append([p, p + length])
            else:
                seen.add(h)
        kept = cut(t, ranges)
        if kept.strip(b" \t\r\n") == b"":
            continue
        out.append(kept + (b"\r" if cr else b""))
    return out


def cut(t, ranges):
    """`t` without `ranges` (sorted, apart), each first shrunk to whole UTF-8 characters."""
    kept = bytearray()
    at = 0
    for a, b in ranges:
        while a < b and t[a] & 0xC0 == 0x80:
            a += 1
        while b > a and b < len(t) and t[b] & 0xC0 == 0x80:
            b -= 1
        if a < b:
            kept += t[at:a]
            at = b
    kept += t[at:]
    return bytes(kept)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("kept")
    ap.add_argument("--min-length", type=int, default=100)
    a = ap.parse_args()
    return compare(expected(open(a.input, "rb").read(), a.min_length), a.kept)


def compare(exp, kept_path):
    """Prints `identical` (0) or the first difference (1) between lines `exp` and a kept file."""
    got = open(kept_path, "rb").read().split(b"\n")
    if got and got[-1] == b"":
        got.pop()
    if exp == got:
        print(f"identical: {len(exp)} lines")
        return 0
    for i, (e, g) in enumerate(zip(exp, got)):
        if e != g:
            print(f"DIFFERENT at kept line {i + 1}:\n  expected {e[:200]!r}\n  tokki    {g[:200]!r}")
            return 1
    print(f"DIFFERENT: {len(exp)} lines expected, {len(got)} from tokki")
    return 1


if __name__ == "__main__":
    sys.exit(main())
