#!/usr/bin/env python3
"""Measures what `tokki extend` gives, with the reference libraries (sentencepiece, tokenizers)
encoding the files it wrote, so no figure comes from Tokki's own encoder.

  bench_extend.py --base BASE --extended EXT --init EXT.init.json --korean STATUTES... --english ENGLISH...

Prints one JSON object: Korean tokens per character (Unicode scalars of lines holding Hangul,
line ends excluded) with the base and the extension, their reduction, the share of lines
without Hangul (and with a Latin letter) whose ids are unchanged, and checks that every base id
keeps its piece in the extension and every new id holds the piece PREFIX.init.json names.
"""
import argparse, json, re, sys

HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]")
LATIN = re.compile("[A-Za-z]")


def loader(path):
    if path.endswith(".model"):
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=path)
        return (lambda text: sp.encode(text)), sp.get_piece_size(), (lambda i: sp.id_to_piece(i))
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(path)
    vocab = {i: t for t, i in tok.get_vocab(with_added_tokens=True).items()}
    return (lambda text: tok.encode(text, add_special_tokens=False).ids), tok.get_vocab_size(with_added_tokens=True), vocab.get


def lines(paths):
    for p in paths:
        with open(p, encoding="utf-8", errors="strict", newline="") as f:
            for line in f:
                yield line.rstrip("\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--extended", required=True)
    ap.add_argument("--init", required=True)
    ap.add_argument("--korean", nargs="+", required=True)
    ap.add_argument("--english", nargs="+", required=True)
    a = ap.parse_args()
    enc_b, size_b, piece_b = loader(a.base)
    enc_e, size_e, piece_e = loader(a.extended)
    init = json.load(open(a.init)) if a.init != "/dev/null" else {"new": []}
    kept = all(piece_b(i) == piece_e(i) for i in range(size_b) if piece_b(i) is not None)
    named = all(piece_e(p["id"]) == p["piece"] for p in init["new"])
    chars = tb = te = 0
    for line in lines(a.korean):
        if HANGUL.search(line):
            chars += len(line)
            tb += len(enc_b(line))
            te += len(enc_e(line))
    other = same = 0
    for line in lines(a.english):
        if LATIN.search(line) and not HANGUL.search(line):
            other += 1
            same += enc_b(line) == enc_e(line)
    print(json.dumps({
        "base_vocabulary": size_b, "extended_vocabulary": size_e, "new": len(init["new"]) or size_e - size_b,
        "old_ids_kept": kept, "new_ids_named": named,
        "korean_characters": chars, "base_tokens_per_char": tb / chars, "extended_tokens_per_char": te / chars,
        "reduction": 1 - te / tb, "english_lines": other, "english_unchanged": same / other if other else 1.0,
    }))
    return 0 if kept and named else 1


if __name__ == "__main__":
    sys.exit(main())
