#!/usr/bin/env python3
"""Checks `tokki train --model-type bpe` against BOTH reference libraries and the reference trainer.

    swift build -c release --product tokki --scratch-path /tmp/tokki-release
    python3 scripts/check/check_training.py [--tokki /tmp/tokki-release/release/tokki]
    python3 scripts/check/check_training.py --vocab-sizes 8000 --normalizations korean --byte-fallback yes

Split (written to a temp dir; .corpus/ from scripts/fetch/fetch_corpus.sh, fetched if missing):
  held-out = every 10th line of .corpus/ko_help.txt (lines 10, 20, 30, ...);
  train    = the other ko_help.txt lines + constitution.txt + kobill.txt.
For every vocab size (default 4000, 8000), normalization (default korean, nmt_nfkc) and
byte fallback (off, on) it runs
  tokki train --model-type bpe --vocab-size N --normalization NORM [--byte-fallback]
              --threads 2 --quiet --input train.txt --output PREFIX
and checks:
  (a) `tokki encode --model PREFIX.model --input heldout.txt` gives, line by line, the ids
      of the Python `sentencepiece` package on PREFIX.model (for korean, also on the
      pre-normalized held-out text of (c); for all, also on the hand-written EDGE_CASES
      lines: NFD Hangul, CR, special-token text, compatibility forms, emoji, rare Han,
      spaces, zero-width characters, other scripts).  Any difference is a Tokki bug: exit 1.
  (b) the Python `tokenizers` package on PREFIX.json (encode_batch, add_special_tokens=False)
      against `sentencepiece` on PREFIX.model, on the raw held-out and edge-case lines: lines that differ
      are counted and up to 5 shown.  Known, by-design differences: tokenizers' Precompiled
      normalizer works per grapheme (NFD Hangul, "\\r\\n"), it matches special-token text
      (<s>, </s>, <unk>) inside the text.  Also `tokki encode --model PREFIX.json` against
      `tokenizers` (informational).
  (c) quality against the reference trainer: `sentencepiece` BPE trained on the same text
      with model_type=bpe, the same vocab_size, character_coverage (0.9995, both defaults),
      byte_fallback, num_threads=2, input_sentence_size=0 (all lines, file order),
      max_sentence_length=1<<20 (no line is skipped), other options at their defaults.
        nmt_nfkc: normalization_rule_name=nmt_nfkc on train.txt; both models encode the
                  raw held-out lines.
        korean:   sentencepiece has no such rule, so the text is pre-normalized by Tokki's
                  Korean preset, `tokki normalize --input train.txt > train.norm.txt` (same
                  for the held-out lines), sentencepiece trains with
                  normalization_rule_name=identity on train.norm.txt, and both models encode
                  heldout.norm.txt (Tokki's own charsmap is then a no-op but for tab/CR/LF).
                  Tokki's tokens/char on the raw held-out lines is shown as well.
      Tokens are counted with `sentencepiece` on each .model (identical to Tokki's ids when
      (a) passes); tokens/char = tokens / Unicode code points of the ORIGINAL held-out lines
      (newlines excluded).  ratio = Tokki / sentencepiece (issue goal: <= 1.01).
      "shared" = share of sentencepiece's normal pieces that Tokki's model also has.

Prints one table row per model and the examples of (a) and (b) below it.  Exit status 1
when (a) fails anywhere (or tokki train/encode fails).

Byte-level BPE (`--byte-patterns`, default gpt2,llama3; "" skips it; `--byte-bpe only` skips
the sections above), on the same split, for every vocab size and pattern:
  tokki train --model-type byte-bpe --vocab-size N --pattern P --normalization identity
              --special-tokens "<|endoftext|>" --threads 2 --quiet --input train.norm.txt --output PREFIX
on the Korean-preset text of (c) (`tokki normalize`), against `tokenizers`' BpeTrainer trained
the standard way on the same lines: Tokenizer(models.BPE()), no normalizer, pre-tokenizer
ByteLevel(add_prefix_space=False, use_regex=True) for gpt2, else Sequence[Split(Regex(P's
pattern string, read from Sources/Tokki/PreTokenization/PreTokenizer.swift), "isolated"),
ByteLevel(add_prefix_space=False, use_regex=False)], decoder ByteLevel,
BpeTrainer(vocab_size=N, initial_alphabet=ByteLevel.alphabet(), special_tokens=["<|endoftext|>"],
min_frequency=0, show_progress=False), trained with train_from_iterator on the lines of
train.norm.txt as tokki reads them (split on LF, no newline; `Tokenizer.train(files)` would keep
each line's "\n", which tokki never sees).  RAYON_NUM_THREADS defaults to 2 (as --threads 2).
  (d) `tokenizers` loading tokki's PREFIX.json (encode_batch, add_special_tokens=False) gives
      the ids of `tokki encode --model PREFIX.json`, line by line, on the raw held-out lines,
      the pre-normalized held-out lines and the edge-case lines (plus one with <|endoftext|>
      inside the text).  Any difference: exit 1 (shown with line numbers).
  (e) quality: tokens/char of each model on heldout.norm.txt (tokens / code points of the
      ORIGINAL held-out lines), ratio = tokki / tokenizers (goal <= 1.01); "shared" = share of
      tokenizers' learned tokens (not special, not the 256 bytes) that tokki also has; "same id"
      = share of ids with the same token in both vocabularies, and the first id that differs;
      training time of each (tokki: the whole `tokki train` process; tokenizers: the train call).

Unigram (`--only-unigram` runs only this section; the default run includes it), on the same split,
for every vocab size and normalization without byte fallback, plus byte fallback for the largest
vocab size with korean (`--byte-fallback yes`: byte fallback everywhere; `no`: none):
  tokki train --model-type unigram --vocab-size N --normalization NORM [--byte-fallback]
              --threads 2 --quiet --input train.txt --output PREFIX
  (a) as (a) above: `tokki encode --model PREFIX.model` against `sentencepiece` on PREFIX.model, on the
      raw held-out lines [+ heldout.norm.txt for korean] + the edge cases.  Any difference: exit 1
      (line numbers and text shown).
  (b) as (b) above: `tokenizers` on PREFIX.json against `sentencepiece` on PREFIX.model (held-out +
      edge cases).  Informational: tokenizers' Unigram differs by design (e.g. its Viterbi breaks
      ties differently and it scores unknown characters differently), so a few lines are expected;
      up to 5 examples are shown with the pieces of both around the first difference.
  (c) as (c) above with sentencepiece's Unigram trainer: model_type=unigram, the same vocab_size,
      character_coverage=0.9995, byte_fallback, num_threads=2, input_sentence_size=0,
      max_sentence_length=1<<20, other options at their defaults; korean via the pre-normalized text
      and normalization_rule_name=identity, nmt_nfkc on the raw text, exactly as for BPE.
      ratio = tokki / sentencepiece (goal <= 1.01); training seconds of each.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata

# tokenizers' thread pool (read on first use): 2 threads, as tokki --threads 2 and sentencepiece num_threads=2.
os.environ.setdefault("RAYON_NUM_THREADS", "2")

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as spm_pb2
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, ".corpus")


# Hand-written lines for (a) and (b) besides the held-out prose, which has none of these.
EDGE_CASES = [
    unicodedata.normalize("NFD", "한국어 자모 분해 텍스트"),            # NFD Hangul
    "줄 끝에 CR\r",                                                   # CRLF: a line end (the CR is not text)
    "줄 가운데 CR\r 하나",                                             # a lone CR is text
    "<s> 특수 토큰 </s> 모양 <unk>",                                   # special-token text
    "ㅋㅋㅋ ㄳ ① ㈜ ㉠ ＡＢＣ　전각 ｢인용｣",                             # compatibility forms
    "탭\t구분\t텍스트",
    "이모지 😀 🇰🇷 👍🏽",
    "한자 大韓民國 丁乙丙 𠀀 희귀 문자",                                 # 𠀀: CJK Ext. B
    "AI모델 GPT-4o는 3.14% 1,000,000원 2024-05-01",
    "",
    "   ",
    "   앞뒤 공백   여러   칸   ",
    "영\u200b폭\u00ad문자\u00a0NBSP\u2009얇은\u3000공백\x0c폼피드",
    "Ελληνικά Русский العربية हिन्दी ไทย 日本語のテキスト",
    "▁ 메타 기호 ▁▁",
]


def default_tokki() -> str:
    for p in ("/tmp/tokki-release/release/tokki", os.path.join(ROOT, ".build", "release", "tokki"),
              os.path.join(ROOT, ".build", "debug", "tokki")):
        if os.access(p, os.X_OK):
            return p
    return os.path.join(ROOT, ".build", "release", "tokki")


def read_lines(path: str) -> list[str]:
    """Lines as `tokki encode` reads them: LF and CRLF end lines, no final empty line."""
    parts = open(path, "rb").read().split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return [(p[:-1] if p.endswith(b"\r") else p).decode("utf-8") for p in parts]


def write_lines(path: str, lines: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(s + "\n" for s in lines))


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, **kw)
    if r.returncode != 0:
        err = r.stderr.decode("utf-8", "replace") if isinstance(r.stderr, bytes) else r.stderr
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {err.strip()[:500]}")
    return r


def tokki_ids(tokki: str, model: str, path: str) -> list[list[int]]:
    out = run([tokki, "encode", "--model", model, "--input", path]).stdout.decode("utf-8")
    rows = out.split("\n")
    if rows and rows[-1] == "":
        rows.pop()
    return [[int(x) for x in r.split()] for r in rows]


def diff(a: list[list[int]], b: list[list[int]]) -> list[int]:
    return [i for i in range(max(len(a), len(b)))
            if (a[i] if i < len(a) else None) != (b[i] if i < len(b) else None)]


def train_tokki(tokki: str, model_type: str, vocab: int, norm: str, bf: bool, train_path: str, prefix: str) -> float:
    """`tokki train` with the checks' options; returns its seconds (RuntimeError when it fails)."""
    cmd = [tokki, "train", "--model-type", model_type, "--vocab-size", str(vocab), "--normalization", norm,
           "--threads", "2", "--quiet", "--input", train_path, "--output", prefix]
    if bf:
        cmd.append("--byte-fallback")
    t0 = time.perf_counter()
    run(cmd)
    return time.perf_counter() - t0


def id_checks(norm: str, held_path: str, held: list[str], held_numbers: list[int], norm_held: str,
              held_norm: list[str], edge_path: str) -> list[tuple[str, str, list[str], list[int]]]:
    """The texts that (a) compares, as (label, path, lines, line numbers): the raw held-out lines,
    for korean also the pre-normalized ones, and the edge cases."""
    checks = [("heldout.txt", held_path, held, held_numbers)]
    if norm == "korean":
        checks.append(("heldout.norm.txt", norm_held, held_norm, held_numbers))
    # The texts as tokki reads the file (a CR before the LF ends the line, it is not text).
    checks.append(("edge.txt", edge_path, read_lines(edge_path), list(range(1, len(EDGE_CASES) + 1))))
    return checks


def quality_cells(model_type: str, tmp: str, name: str, sp, model: str, vocab: int, norm: str, bf: bool,
                  train_path: str, norm_train: str, held: list[str], held_norm: list[str], chars: int,
                  t_tokki: float) -> list[str]:
    """(c): trains the sentencepiece reference (`model_type`) on the same text and returns the table
    cells: tokki's tokens/char on the raw held-out lines (korean only), tokki's and the reference's
    tokens/char on the evaluation text, their ratio, the shared pieces and both training times."""
    ref_prefix = os.path.join(tmp, "spm_" + name)
    spm.set_random_generator_seed(20240501)
    t0 = time.perf_counter()
    spm.SentencePieceTrainer.train(
        input=norm_train if norm == "korean" else train_path, model_prefix=ref_prefix,
        model_type=model_type, vocab_size=vocab, character_coverage=0.9995, byte_fallback=bf,
        normalization_rule_name="identity" if norm == "korean" else norm,
        num_threads=2, input_sentence_size=0, shuffle_input_sentence=False,
        max_sentence_length=1 << 20, minloglevel=2)
    t_spm = time.perf_counter() - t0
    sp_ref = spm.SentencePieceProcessor(model_file=ref_prefix + ".model")
    eval_lines = held_norm if norm == "korean" else held
    n_tokki = sum(len(x) for x in sp.encode(eval_lines))
    n_ref = sum(len(x) for x in sp_ref.encode(eval_lines))
    raw_tokki = sum(len(x) for x in sp.encode(held))  # tokki's model on the raw held-out lines
    ref_pieces = normal_pieces(ref_prefix + ".model")
    shared = len(ref_pieces & normal_pieces(model)) / max(1, len(ref_pieces))
    ratio = n_tokki / n_ref
    return [f"{raw_tokki / chars:.4f}" if norm == "korean" else "-", f"{n_tokki / chars:.4f}", f"{n_ref / chars:.4f}",
            f"{ratio:.4f}" + ("" if ratio <= 1.01 else " !"), f"{shared:.1%}", f"{t_tokki:.1f} / {t_spm:.1f}"]


def normal_pieces(path: str) -> set[str]:
    m = spm_pb2.ModelProto()
    m.ParseFromString(open(path, "rb").read())
    return {p.piece for p in m.pieces if p.type == spm_pb2.ModelProto.SentencePiece.NORMAL}


def table(head: list[str], rows: list[list], left: set[int]) -> None:
    width = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print("  ".join(h.ljust(w) for h, w in zip(head, width)))
    print("  ".join("-" * w for w in width))
    for r in rows:
        print("  ".join(str(c).ljust(w) if i in left else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, width))))


# ---- byte-level BPE section

SPECIAL = "<|endoftext|>"
# The edge cases plus the special token inside the text (matched as a special token by both).
BYTE_EDGE_CASES = EDGE_CASES + [f"문서 끝{SPECIAL}다음 문서 {SPECIAL} 끝"]
PRETOKENIZER_SWIFT = os.path.join(ROOT, "Sources", "Tokki", "PreTokenization", "PreTokenizer.swift")


def swift_pattern(name: str) -> str:
    """PretokenizationPattern.<name>, a one-line Swift raw string literal in PreTokenizer.swift."""
    src = open(PRETOKENIZER_SWIFT, encoding="utf-8").read()
    m = re.search(r'static let ' + re.escape(name) + r' = #"(.*)"#[ \t]*$', src, re.M)
    if not m or '\\#' in m.group(1):
        sys.exit(f"pattern {name!r}: no one-line raw string `static let {name} = #\"...\"#` in {PRETOKENIZER_SWIFT}")
    return m.group(1)


def train_hf_byte_bpe(lines: list[str], vocab: int, pattern: str) -> tuple[Tokenizer, float]:
    """tokenizers' BpeTrainer, the standard GPT-2 byte-level setup; returns it and the seconds of the train call."""
    tok = Tokenizer(models.BPE())
    if pattern == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(swift_pattern(pattern)), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=[SPECIAL], min_frequency=0, show_progress=False)
    t0 = time.perf_counter()
    tok.train_from_iterator(lines, trainer, length=len(lines))
    return tok, time.perf_counter() - t0


def byte_level_section(tokki: str, tmp: str, vocab_sizes: list[int], patterns: list[str], held: list[str],
                       held_numbers: list[int], held_path: str, norm_train: str, norm_held: str,
                       held_norm: list[str], chars: int) -> bool:
    """(d) and (e) of the docstring; prints its table; True when (d) fails or tokki fails."""
    edge_path = os.path.join(tmp, "edge.byte.txt")
    write_lines(edge_path, BYTE_EDGE_CASES)
    train_lines = read_lines(norm_train)
    alphabet = set(pre_tokenizers.ByteLevel.alphabet())
    checks = [("heldout.txt", held_path, held, held_numbers),
              ("heldout.norm.txt", norm_held, held_norm, held_numbers),
              ("edge.byte.txt", edge_path, read_lines(edge_path), list(range(1, len(BYTE_EDGE_CASES) + 1)))]
    rows, fail, mismatches = [], False, []
    for vocab in vocab_sizes:
        for pattern in patterns:
            name = f"byte_{pattern}_{vocab}"
            prefix = os.path.join(tmp, "tokki_" + name)
            cmd = [tokki, "train", "--model-type", "byte-bpe", "--vocab-size", str(vocab), "--pattern", pattern,
                   "--normalization", "identity", "--special-tokens", SPECIAL, "--threads", "2", "--quiet",
                   "--input", norm_train, "--output", prefix]
            t0 = time.perf_counter()
            try:
                run(cmd)
            except RuntimeError as e:
                print(f"{name}: {e}")
                fail = True
                rows.append([vocab, pattern, "TRAIN FAILED"] + ["-"] * 7)
                continue
            t_tokki = time.perf_counter() - t0

            # (d) tokenizers on tokki's tokenizer.json vs tokki encode on it
            hf_tokki = Tokenizer.from_file(prefix + ".json")
            hf_tokki.no_truncation()
            hf_tokki.no_padding()
            d_cells, tokki_norm_ids = [], None
            for label, path, lines, numbers in checks:
                try:
                    got = tokki_ids(tokki, prefix + ".json", path)
                except RuntimeError as e:
                    print(f"{name}: {e}")
                    fail = True
                    d_cells.append("ENCODE FAILED")
                    continue
                ref = [e.ids for e in hf_tokki.encode_batch(lines, add_special_tokens=False)]
                bad = diff(ref, got)
                d_cells.append(f"{len(bad)}/{len(lines)}")
                if label == "heldout.norm.txt":
                    tokki_norm_ids = got
                if bad:
                    fail = True
                    mismatches.append((name, label, [numbers[i] if i < len(numbers) else f"#{i + 1}" for i in bad],
                                       [(numbers[i] if i < len(numbers) else f"#{i + 1}",
                                         lines[i] if i < len(lines) else "",
                                         ref[i] if i < len(ref) else None,
                                         got[i] if i < len(got) else None) for i in bad[:3]]))

            # (e) the reference trainer
            hf, t_hf = train_hf_byte_bpe(train_lines, vocab, pattern)
            hf.save(os.path.join(tmp, "hf_" + name + ".json"))
            n_hf = sum(len(e.ids) for e in hf.encode_batch(held_norm, add_special_tokens=False))
            if tokki_norm_ids is None:  # tokki encode failed: count with tokenizers on tokki's file
                tokki_norm_ids = [e.ids for e in hf_tokki.encode_batch(held_norm, add_special_tokens=False)]
            n_tokki = sum(len(x) for x in tokki_norm_ids)
            v_tokki = json.load(open(prefix + ".json", encoding="utf-8"))["model"]["vocab"]
            v_hf = json.loads(hf.to_str())["model"]["vocab"]
            learned_tokki = set(v_tokki) - alphabet - {SPECIAL}
            learned_hf = set(v_hf) - alphabet - {SPECIAL}
            shared = len(learned_tokki & learned_hf) / max(1, len(learned_hf))
            by_id_tokki = {i: t for t, i in v_tokki.items()}
            by_id_hf = {i: t for t, i in v_hf.items()}
            ids = range(max(len(by_id_tokki), len(by_id_hf)))
            differ = [i for i in ids if by_id_tokki.get(i) != by_id_hf.get(i)]
            same = 1 - len(differ) / max(1, len(ids))
            ratio = n_tokki / n_hf
            rows.append([vocab, pattern, " + ".join(d_cells), f"{n_tokki / chars:.4f}", f"{n_hf / chars:.4f}",
                         f"{ratio:.4f}" + ("" if ratio <= 1.01 else " !"), f"{shared:.1%}",
                         f"{same:.1%} ({differ[0] if differ else '-'})", f"{len(v_tokki)} / {len(v_hf)}",
                         f"{t_tokki:.1f} / {t_hf:.1f}"])
            print(f"[check-training] {name}: done", file=sys.stderr)

    print("Byte-level BPE training check (vocab sizes x patterns; tokki --normalization identity and tokenizers' "
          f"BpeTrainer, both on the `tokki normalize` text, special token {SPECIAL})")
    print("(d) = lines where tokenizers(tokki's PREFIX.json) != `tokki encode PREFIX.json`: raw held-out + "
          f"pre-normalized held-out + {len(BYTE_EDGE_CASES)} edge-case lines; must be 0")
    print("tok/char = tokens on the pre-normalized held-out lines / code points of the original held-out lines; "
          "HF = tokenizers' BpeTrainer")
    print("shared = share of HF's learned tokens (not special, not bytes) that tokki has; same id = share of ids "
          "with the same token (first id that differs)")
    table(["vocab", "pattern", "(d) HF(tokki.json)!=tokki", "tokki tok/char", "HF tok/char", "ratio tokki/HF",
           "shared tokens", "same id (first diff)", "size tokki / HF", "train s tokki / HF"],
          rows, left={1})
    print("goal: (d) 0 everywhere; ratio <= 1.01 (tokki within 1% of tokenizers' BpeTrainer, or below)")
    if mismatches:
        print()
        print("(d) mismatches (line = line number in .corpus/ko_help.txt, or in the edge-case list for edge.byte.txt):")
        for name, label, numbers, shown in mismatches:
            listed = ", ".join(str(n) for n in numbers[:40]) + (f", ... ({len(numbers)} lines)" if len(numbers) > 40 else "")
            print(f"  {name} on {label}: lines {listed}")
            for line, text, ref, got in shown:
                text_shown = repr(text[:160]) if unicodedata.is_normalized("NFC", text) else ascii(text[:80]) + " (not NFC)"
                print(f"    line {line}: {text_shown}")
                print(f"      tokenizers:  {str(ref)[:200]}")
                print(f"      tokki:       {str(got)[:200]}")
    return fail


# ---- Unigram section

def piece_window(sp_pieces: list[str], hf_pieces: list[str], width: int = 6) -> tuple[str, str]:
    """The pieces of both around the first position where they differ."""
    k = next((i for i, (x, y) in enumerate(zip(sp_pieces, hf_pieces)) if x != y), min(len(sp_pieces), len(hf_pieces)))
    lo = max(0, k - 2)

    def show(p: list[str]) -> str:
        return (f"[{lo} more] + " if lo else "") + repr(p[lo:k + width]) + \
            (f" + [{len(p) - k - width} more]" if k + width < len(p) else "")
    return show(sp_pieces), show(hf_pieces)


def unigram_section(tokki: str, tmp: str, configs: list[tuple[int, str, bool]], held: list[str],
                    held_numbers: list[int], held_path: str, edge_path: str, train_path: str,
                    norm_train: str, norm_held: str, held_norm: list[str], chars: int) -> bool:
    """(a), (b), (c) of the docstring's Unigram part; prints its table; True when (a) fails or tokki fails."""
    rows, fail, a_examples, b_examples = [], False, [], []
    for vocab, norm, bf in configs:
        name = f"unigram_{norm}_{vocab}{'_bf' if bf else ''}"
        prefix = os.path.join(tmp, "tokki_" + name)
        try:
            t_tokki = train_tokki(tokki, "unigram", vocab, norm, bf, train_path, prefix)
        except RuntimeError as e:
            print(f"{name}: {e}")
            fail = True
            rows.append([vocab, norm, "yes" if bf else "no", "TRAIN FAILED"] + ["-"] * 8)
            continue
        model = prefix + ".model"
        sp = spm.SentencePieceProcessor(model_file=model)

        # (a) tokki encode .model vs sentencepiece
        checks = id_checks(norm, held_path, held, held_numbers, norm_held, held_norm, edge_path)
        a_cells = []
        for label, path, lines, numbers in checks:
            ref = sp.encode(lines)
            try:
                got = tokki_ids(tokki, model, path)
            except RuntimeError as e:
                print(f"{name}: {e}")
                fail = True
                a_cells.append("ENCODE FAILED")
                continue
            bad = diff(ref, got)
            a_cells.append(f"{len(bad)}/{len(lines)}")
            if bad:
                fail = True
                a_examples.append((name, label, [numbers[i] if i < len(numbers) else f"#{i + 1}" for i in bad],
                                   [(numbers[i] if i < len(numbers) else f"#{i + 1}",
                                     lines[i] if i < len(lines) else "",
                                     ref[i] if i < len(ref) else None,
                                     got[i] if i < len(got) else None) for i in bad[:5]]))

        # (b) tokenizers on .json vs sentencepiece on .model; tokki on .json vs tokenizers
        hf = Tokenizer.from_file(prefix + ".json")
        hf.no_truncation()
        hf.no_padding()
        b_cells, json_cells = [], []
        for label, path, lines, numbers in (checks[0], checks[-1]):
            hf_enc = hf.encode_batch(lines, add_special_tokens=False)
            hf_ids = [e.ids for e in hf_enc]
            sp_ids = sp.encode(lines)
            bad_hf = diff(sp_ids, hf_ids)
            b_cells.append(f"{len(bad_hf)}/{len(lines)}")
            for i in bad_hf:
                if len(b_examples) < 5 and lines[i] not in {e[3] for e in b_examples}:
                    b_examples.append((name, label, numbers[i], lines[i],
                                       [sp.id_to_piece(x) for x in sp_ids[i]], list(hf_enc[i].tokens)))
            try:
                json_cells.append(f"{len(diff(hf_ids, tokki_ids(tokki, prefix + '.json', path)))}/{len(lines)}")
            except RuntimeError as e:
                print(f"{name}: {e}")
                json_cells.append("ENCODE FAILED")

        # (c) reference trainer
        rows.append([vocab, norm, "yes" if bf else "no", " + ".join(a_cells), " + ".join(b_cells), " + ".join(json_cells)]
                    + quality_cells("unigram", tmp, name, sp, model, vocab, norm, bf, train_path, norm_train, held,
                                    held_norm, chars, t_tokki))
        print(f"[check-training] {name}: done", file=sys.stderr)

    print("Unigram training check (tokki --model-type unigram against sentencepiece's Unigram trainer)")
    print("(a) = lines where `tokki encode PREFIX.model` != sentencepiece: raw held-out [+ pre-normalized "
          f"held-out for korean] + {len(EDGE_CASES)} edge-case lines; must be 0")
    print("(b) = lines where tokenizers(PREFIX.json) != sentencepiece(PREFIX.model): held-out + edge cases "
          "(tokenizers' Unigram differs by design: a few expected); json = lines where `tokki encode PREFIX.json` "
          "!= tokenizers, same texts")
    print("tok/char = tokens / code points of the original held-out lines; eval text: raw (nmt_nfkc) or "
          "`tokki normalize` output (korean); raw = tokki's model on the raw lines")
    table(["vocab", "norm", "byte fb", "(a) tokki!=spm", "(b) HF!=spm", "json tokki!=HF", "tokki tok/char raw",
           "tokki tok/char", "spm tok/char", "ratio tokki/spm", "shared pieces", "train s tokki / spm"],
          rows, left={1, 2})
    print("goal: (a) 0 everywhere; ratio <= 1.01 (tokki within 1% of the sentencepiece Unigram trainer, or below)")
    if a_examples or b_examples:
        print()
        print("Examples (line = line number in .corpus/ko_help.txt, or in the EDGE_CASES list for edge.txt):")
    for name, label, numbers, shown in a_examples:
        listed = ", ".join(str(n) for n in numbers[:40]) + (f", ... ({len(numbers)} lines)" if len(numbers) > 40 else "")
        print(f"  (a) tokki encode != sentencepiece: {name} on {label}: lines {listed}")
        for line, text, ref, got in shown:
            text_shown = repr(text[:160]) if unicodedata.is_normalized("NFC", text) else ascii(text[:80]) + " (not NFC)"
            print(f"    line {line}: {text_shown}")
            print(f"      sentencepiece: {str(ref)[:200]}")
            print(f"      tokki:         {str(got)[:200]}")
    for name, label, line, text, sp_pieces, hf_pieces in b_examples:
        text_shown = repr(text[:160]) if unicodedata.is_normalized("NFC", text) else ascii(text[:80]) + " (not NFC)"
        sp_w, hf_w = piece_window(sp_pieces, hf_pieces)
        print(f"  (b) tokenizers .json != sentencepiece .model: {name} on {label}, line {line}: {text_shown}")
        print(f"      sentencepiece ({len(sp_pieces)} pieces): {sp_w[:240]}")
        print(f"      tokenizers    ({len(hf_pieces)} pieces): {hf_w[:240]}")
    return fail


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokki", default=default_tokki())
    ap.add_argument("--vocab-sizes", default="4000,8000")
    ap.add_argument("--normalizations", default="korean,nmt_nfkc")
    ap.add_argument("--byte-fallback", default="both", choices=["both", "yes", "no"])
    ap.add_argument("--keep", help="write the split and the models here instead of a temp dir")
    ap.add_argument("--byte-patterns", default="gpt2,llama3",
                    help="byte-level BPE section: pre-tokenization patterns (\"\" skips the section)")
    ap.add_argument("--only-byte-bpe", action="store_true",
                    help="run only the byte-level BPE section (not the sentencepiece-format BPE checks)")
    ap.add_argument("--only-unigram", action="store_true",
                    help="run only the Unigram section (with --only-byte-bpe: those two sections)")
    a = ap.parse_args()
    if not os.access(a.tokki, os.X_OK):
        sys.exit(f"{a.tokki}: not found; build it first (see the docstring) or pass --tokki")
    for f in ("ko_help.txt", "constitution.txt", "kobill.txt"):
        path = os.path.join(CORPUS, f)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            print("[check-training] fetching the corpus", file=sys.stderr)
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch", "fetch_corpus.sh")], check=True,
                           stdout=sys.stderr)
            break
    vocab_sizes = [int(v) for v in a.vocab_sizes.split(",")]
    norms = a.normalizations.split(",")
    fallbacks = {"both": [False, True], "yes": [True], "no": [False]}[a.byte_fallback]
    byte_patterns = [p for p in a.byte_patterns.split(",") if p]
    if a.only_byte_bpe and not byte_patterns:
        sys.exit("--only-byte-bpe with no --byte-patterns: nothing to check")
    run_bpe = not (a.only_byte_bpe or a.only_unigram)
    run_unigram = a.only_unigram or not a.only_byte_bpe
    if a.only_unigram and not a.only_byte_bpe:
        byte_patterns = []
    # Unigram: no byte fallback everywhere, plus byte fallback for the largest vocab with korean (or the first
    # normalization); --byte-fallback yes/no: byte fallback everywhere / nowhere.
    unigram_configs = []
    if run_unigram:
        bf_norm = "korean" if "korean" in norms else norms[0]
        for vocab in vocab_sizes:
            for norm in norms:
                if a.byte_fallback != "yes":
                    unigram_configs.append((vocab, norm, False))
                if a.byte_fallback == "yes" or (a.byte_fallback == "both" and vocab == max(vocab_sizes)
                                                and norm == bf_norm):
                    unigram_configs.append((vocab, norm, True))
    for p in byte_patterns:
        if p != "gpt2":
            swift_pattern(p)  # fails early on a name it cannot read
    need_norm = "korean" in norms or bool(byte_patterns)

    tmp_ctx = tempfile.TemporaryDirectory(prefix="tokki-check-training.") if not a.keep else None
    tmp = a.keep or tmp_ctx.name
    os.makedirs(tmp, exist_ok=True)

    # ---- split
    help_lines = read_lines(os.path.join(CORPUS, "ko_help.txt"))
    held_numbers = [i + 1 for i in range(len(help_lines)) if (i + 1) % 10 == 0]
    held = [help_lines[n - 1] for n in held_numbers]
    train = [s for i, s in enumerate(help_lines) if (i + 1) % 10 != 0]
    train += read_lines(os.path.join(CORPUS, "constitution.txt")) + read_lines(os.path.join(CORPUS, "kobill.txt"))
    train_path, held_path = os.path.join(tmp, "train.txt"), os.path.join(tmp, "heldout.txt")
    write_lines(train_path, train)
    write_lines(held_path, held)
    edge_path = os.path.join(tmp, "edge.txt")
    write_lines(edge_path, EDGE_CASES)
    chars = sum(len(s) for s in held)
    # The Korean preset as plain text, for sentencepiece's identity rule.
    norm_train, norm_held = os.path.join(tmp, "train.norm.txt"), os.path.join(tmp, "heldout.norm.txt")
    if need_norm:
        for src, dst in ((train_path, norm_train), (held_path, norm_held)):
            with open(dst, "wb") as f:
                subprocess.run([a.tokki, "normalize", "--input", src], stdout=f, check=True)
        assert len(read_lines(norm_held)) == len(held), "tokki normalize changed the number of lines"
    held_norm = read_lines(norm_held) if need_norm else []
    print(f"split: train {len(train)} lines ({os.path.getsize(train_path):,} bytes: ko_help.txt minus every "
          f"10th line + constitution.txt + kobill.txt); held-out {len(held)} lines "
          f"({os.path.getsize(held_path):,} bytes, {chars:,} code points; ko_help.txt lines 10, 20, ...)")
    print(f"tokki: {a.tokki}; sentencepiece {spm.__version__}; tokenizers "
          f"{__import__('tokenizers').__version__}")
    print()

    rows, a_fail, examples, b_examples = [], False, [], []
    for vocab in (vocab_sizes if run_bpe else []):
        for norm in norms:
            for bf in fallbacks:
                name = f"{norm}_{vocab}{'_bf' if bf else ''}"
                prefix = os.path.join(tmp, "tokki_" + name)
                try:
                    t_tokki = train_tokki(a.tokki, "bpe", vocab, norm, bf, train_path, prefix)
                except RuntimeError as e:
                    print(f"{name}: {e}")
                    a_fail = True
                    rows.append([vocab, norm, "yes" if bf else "no", "TRAIN FAILED"] + ["-"] * 8)
                    continue
                model = prefix + ".model"
                sp = spm.SentencePieceProcessor(model_file=model)

                # (a) tokki encode .model vs sentencepiece
                checks = id_checks(norm, held_path, held, held_numbers, norm_held, held_norm, edge_path)
                a_cells = []
                for label, path, lines, numbers in checks:
                    ref = sp.encode(lines)
                    got = tokki_ids(a.tokki, model, path)
                    bad = diff(ref, got)
                    a_cells.append(f"{len(bad)}/{len(lines)}")
                    if bad:
                        a_fail = True
                        for i in bad[:5]:
                            examples.append(("(a) tokki encode != sentencepiece", name, label, numbers[i],
                                             lines[i] if i < len(lines) else "",
                                             ref[i] if i < len(ref) else None, got[i] if i < len(got) else None))

                # (b) tokenizers on .json vs sentencepiece on .model; tokki on .json vs tokenizers
                hf = Tokenizer.from_file(prefix + ".json")
                hf.no_truncation()
                hf.no_padding()
                b_cells, json_cells = [], []
                for label, path, lines, numbers in (checks[0], checks[-1]):
                    hf_ids = [e.ids for e in hf.encode_batch(lines, add_special_tokens=False)]
                    sp_ids = sp.encode(lines)
                    bad_hf = diff(sp_ids, hf_ids)
                    b_cells.append(f"{len(bad_hf)}/{len(lines)}")
                    for i in bad_hf:
                        # Up to 5 examples in all, one per distinct text.
                        if len(b_examples) < 5 and lines[i] not in {e[4] for e in b_examples}:
                            b_examples.append(("(b) tokenizers .json != sentencepiece .model", name, label,
                                               numbers[i], lines[i], sp_ids[i], hf_ids[i]))
                    json_cells.append(f"{len(diff(hf_ids, tokki_ids(a.tokki, prefix + '.json', path)))}/{len(lines)}")
                # (c) reference trainer
                rows.append([vocab, norm, "yes" if bf else "no", " + ".join(a_cells), " + ".join(b_cells),
                             " + ".join(json_cells)]
                            + quality_cells("bpe", tmp, name, sp, model, vocab, norm, bf, train_path, norm_train, held,
                                            held_norm, chars, t_tokki))
                print(f"[check-training] {name}: done", file=sys.stderr)

    if run_bpe:
        print("BPE training check (vocab sizes x normalizations x byte fallback)")
        print("(a) = lines where `tokki encode PREFIX.model` != sentencepiece: raw held-out [+ pre-normalized "
              f"held-out for korean] + {len(EDGE_CASES)} edge-case lines; must be 0")
        print("(b) = lines where tokenizers(PREFIX.json) != sentencepiece(PREFIX.model): held-out + edge cases; "
              "json = lines where `tokki encode PREFIX.json` != tokenizers, same texts")
        print("tok/char = tokens / code points of the original held-out lines; eval text: raw (nmt_nfkc) or "
              "`tokki normalize` output (korean); raw = tokki's model on the raw lines")
        table(["vocab", "norm", "byte fb", "(a) tokki!=spm", "(b) HF!=spm", "json tokki!=HF", "tokki tok/char raw",
               "tokki tok/char", "spm tok/char", "ratio tokki/spm", "shared pieces", "train s tokki / spm"],
              rows, left={1, 2})
        print("goal: (a) 0 everywhere; ratio <= 1.01 (tokki within 1% of the sentencepiece BPE trainer, or below)")
        examples += b_examples
        if examples:
            print()
            print("Examples (line = line number in .corpus/ko_help.txt, or in the EDGE_CASES list for edge.txt):")
            for what, name, label, line, text, ref, got in examples:
                shown = repr(text[:160]) if unicodedata.is_normalized("NFC", text) else ascii(text[:80]) + " (not NFC)"
                print(f"  {what}: {name} on {label}, line {line}: {shown}")
                print(f"      sentencepiece: {str(ref)[:200]}")
                print(f"      other:         {str(got)[:200]}")

    unigram_fail = False
    if run_unigram:
        if run_bpe:
            print()
        unigram_fail = unigram_section(a.tokki, tmp, unigram_configs, held, held_numbers, held_path, edge_path,
                                       train_path, norm_train, norm_held, held_norm, chars)

    byte_fail = False
    if byte_patterns:
        if run_bpe or run_unigram:
            print()
        byte_fail = byte_level_section(a.tokki, tmp, vocab_sizes, byte_patterns, held, held_numbers, held_path,
                                       norm_train, norm_held, held_norm, chars)
    if tmp_ctx:
        tmp_ctx.cleanup()
    return 1 if a_fail or unigram_fail or byte_fail else 0


if __name__ == "__main__":
    sys.exit(main())
