#!/usr/bin/env python3
"""Unigram models built to tie, and sentencepiece's ids for them (issue #14, item 2).

How to run (from anywhere; paths are relative to the repo root):

    python3 -m pip install 'sentencepiece==0.2.3'   # 0.2.x required; version is recorded
    python3 scripts/make_unigram_tie_fixtures.py

Outputs (committed), in Tests/Fixtures/sentencepiece/:
    unigram_ties/<name>.model        small hand-made unigram models (written below as
                                     ModelProto bytes; no trainer, no protobuf package)
    unigram_ties.expected.json       sentencepiece's ids of every line for every model,
                                     plus the ids of published models (.models/, not
                                     committed) for a few lines, when those files exist

Why: where two segmentations have the same score, or scores that differ by less than
single-precision rounding, the reference's exact arithmetic decides.  sentencepiece 0.2.3
(`unigram::Model::EncodeOptimized`) sums path scores in float, keeps the first of equal
candidates (strict `>`; candidates for an end position arrive from the earliest start
first, and from one start shortest piece first), and renormalizes: when the best score at
a start position lies outside +-100,000 it is subtracted from every reached position up to
the frontier and the sums go on from 0.  The models here make such ties on purpose:

- every run of one unit (`-`, `ㅋ`, `가`, `ab`) has pieces of 1..8 units whose scores are
  the unit's score times the length, rounded to float (so all segmentations of a run tie
  in real arithmetic and float rounding picks one);
- three score scales: small (-0.1 per unit: no renormalization), mid (-1234.567 per unit:
  renormalization every ~80 units) and large (-236309 per unit, as gemma's `-`: every
  start position renormalizes);
- each with and without byte fallback and with and without a dummy prefix; one extra
  model has user-defined pieces (score 0.1 * (bytes - 1) in 0.2.x).

Lines: runs of each unit of lengths 1..48, mixed runs, and lines of many space-separated
runs (so the word caches — whole-line words and raw words — are hit, also across lines
and after renormalizations), and a few characters not in the models (unknown / bytes).

Layout of unigram_ties.expected.json:
    {"sentencepiece_version", "python", "generator",
     "lines": [...],                                     # shared by every model
     "models": {name: {"model": "unigram_ties/<name>.model", "model_sha256",
                       "byte_fallback", "add_dummy_prefix", "ids": [[...] per line]}},
     "published": {name: {"model": ".models/<name>.model", "model_sha256",
                          "lines": [...], "ids": [[...] per line]}}}

The issue's own case does not reproduce with 0.2.3: gemma3.model (like gemma.model and
gemma4.model) is a BPE model, and both sentencepiece and Tokki encode the dash run of
`말한다)의 자녀-------------` as the single piece `-------------`; its ids are recorded
anyway.  The renormalization does change real unigram models' ids on long lines
(sp_botchan_unigram_1000, sp_kyoto_ja_unigram_8000 below).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUTDIR = os.path.join(ROOT, "Tests", "Fixtures", "sentencepiece")
MODELDIR = os.path.join(OUTDIR, "unigram_ties")
MODELS_DIR = os.path.join(ROOT, ".models")
SEED = 14

# ---------------------------------------------------------------- ModelProto writer

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6


def _varint(n: int) -> bytes:
    out = bytearray()
    if n < 0:
        n += 1 << 64
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _len_field(fn: int, payload: bytes) -> bytes:
    return _varint(fn << 3 | 2) + _varint(len(payload)) + payload


def _int_field(fn: int, v: int) -> bytes:
    return _varint(fn << 3) + _varint(v)


def _float_field(fn: int, v: float) -> bytes:
    return _varint(fn << 3 | 5) + struct.pack("<f", v)


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def model_bytes(pieces, byte_fallback: bool, dummy_prefix: bool) -> bytes:
    """A unigram ModelProto: <unk>, <s>, </s>, [256 byte pieces], then `pieces`
    ((piece, score, type)); identity normalization."""
    vocab = [("<unk>", 0.0, UNKNOWN), ("<s>", 0.0, CONTROL), ("</s>", 0.0, CONTROL)]
    if byte_fallback:
        vocab += [("<0x%02X>" % b, 0.0, BYTE) for b in range(256)]
    vocab += pieces
    out = b""
    for p, s, t in vocab:
        out += _len_field(1, _len_field(1, p.encode()) + _float_field(2, s) + _int_field(3, t))
    trainer = _int_field(3, 1) + _int_field(4, len(vocab)) + _int_field(35, 1 if byte_fallback else 0)
    out += _len_field(2, trainer)
    normalizer = (_len_field(1, b"identity") + _int_field(3, 1 if dummy_prefix else 0)
                  + _int_field(4, 1) + _int_field(5, 1))
    out += _len_field(3, normalizer)
    return out


# ---------------------------------------------------------------- models and lines

UNITS = ["-", "ㅋ", "가", "ab"]
SCALES = {"small": -0.1, "mid": -1234.567, "large": -236309.0}


def run_pieces(unit_score: float, extra_score: float):
    """Pieces of 1..8 units for every unit, scored length * unit_score (float), plus the
    space symbol, `a`, `b` and `▁`-prefixed runs."""
    pieces, seen = [], set()

    def add(p, s, t=NORMAL):
        if p not in seen:
            seen.add(p)
            pieces.append((p, f32(s), t))

    for unit in UNITS:
        for k in range(1, 9):
            add(unit * k, unit_score * k)
    for k in range(1, 4):
        add("▁" + "-" * k, unit_score * (k + 1))
        add("▁" + "ㅋ" * k, unit_score * (k + 1))
    add("▁", unit_score)
    add("a", unit_score * 0.5)
    add("b", unit_score * 0.5)
    add("-ㅋ", unit_score * 2)
    add("ㅋ-", unit_score * 2)
    add("▁가", extra_score)
    return pieces


def build_models():
    models = {}
    for scale, unit in SCALES.items():
        pieces = run_pieces(unit, unit * 2)
        for bf in (False, True):
            for dp in (True, False):
                name = f"ties_{scale}{'_bf' if bf else ''}{'' if dp else '_nodp'}"
                models[name] = (pieces, bf, dp)
    # User-defined pieces (score 0.1 * (bytes - 1) in 0.2.x): ties against normal pieces
    # and among themselves.
    base = [p for p in run_pieces(-0.1, -0.2) if p[0] not in ("--", "ㅋㅋ", "-----")]
    base += [("--", 0.0, USER_DEFINED), ("ㅋㅋ", 0.0, USER_DEFINED), ("-----", 0.0, USER_DEFINED)]
    models["ties_uds_bf"] = (base, True, True)
    return models


def build_lines():
    rng = random.Random(SEED)
    lines = []
    for unit in UNITS:
        for k in range(1, 49):
            lines.append(unit * k)
    for k in range(1, 25):
        lines.append("-ㅋ" * k)
        lines.append("ㅋ" * k + "-" * (k + 1))
    lines.append("말한다)의 자녀-------------")
    lines.append("말한다)의 자녀를 ----------")
    lines.append("ㅋㅋㅋ 가가가가 ------- abababab")

    def run():
        unit = rng.choice(UNITS + ["-ㅋ"])
        return unit * rng.randint(1, 30)

    pool_odd = ["말", ")", "의", "é", "가-", "x"]
    # Many words per line: ties in several words, words repeated within and across lines.
    for _ in range(50):
        words = []
        for _ in range(rng.randint(2, 30)):
            w = run()
            if rng.random() < 0.1:
                w += rng.choice(pool_odd)
            words.append(w)
        sep = rng.choice([" ", " ", "  "])
        lines.append(sep.join(words))
    # Long lines: the running score crosses the mid scale's renormalization threshold
    # several times, at word starts and inside words.
    for _ in range(5):
        lines.append(" ".join(run() for _ in range(rng.randint(60, 120))))
    lines.append(" ".join(["-" * 13] * 100))
    lines.append(" ".join(["ㅋ" * 7, "-" * 9, "가" * 5] * 40))
    return lines


def published_lines():
    """The issue's line (issue #14: gemma3, reported as tie-broken differently) and dash
    runs, for the published models named in the issue."""
    lines = ["말한다)의 자녀-------------", "말한다)의 자녀를 ----------"]
    lines += ["-" * k for k in range(1, 41)]
    lines += ["ㅋ" * k for k in range(1, 21)]
    lines += ["자녀" + "-" * k for k in range(1, 30)]
    lines.append(" ".join("-" * k for k in range(1, 30)))
    return lines


def long_line(kind: str, words: int) -> str:
    """Synthetic long lines whose path scores cross the renormalization threshold many
    times (smallest sizes found where Tokki without the renormalization differed)."""
    if kind == "dash":
        return " ".join("-" * (i % 40 + 1) for i in range(words))
    if kind == "won":
        return " ".join("1,000,000원" for _ in range(words))
    if kind == "eq":
        return " ".join("=" * (i % 25 + 1) + "." * (i % 7) for i in range(words))
    raise ValueError(kind)


# Published models (.models/, fetched by scripts/fetch-published-models.sh) and their lines.
PUBLISHED = {
    "gemma3": published_lines,
    "gemma": published_lines,
    "gemma4": published_lines,
    "maxtext_default_unigram_32k": published_lines,
    "sp_botchan_unigram_1000": lambda: [long_line("dash", 1600)],
    "sp_kyoto_ja_unigram_8000": lambda: [long_line("won", 1600), long_line("eq", 800)],
}


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def main() -> int:
    import sentencepiece as spm

    version = spm.__version__
    if not version.startswith("0.2."):
        print(f"sentencepiece {version} found; 0.2.x required", file=sys.stderr)
        return 1
    os.makedirs(MODELDIR, exist_ok=True)
    lines = build_lines()
    out = {
        "sentencepiece_version": version,
        "python": sys.version.split()[0],
        "generator": "scripts/make_unigram_tie_fixtures.py",
        "lines": lines,
        "models": {},
        "published": {},
    }
    for name, (pieces, bf, dp) in build_models().items():
        path = os.path.join(MODELDIR, f"{name}.model")
        with open(path, "wb") as f:
            f.write(model_bytes(pieces, bf, dp))
        sp = spm.SentencePieceProcessor(model_file=path)
        out["models"][name] = {
            "model": f"unigram_ties/{name}.model",
            "model_sha256": sha256_file(path),
            "byte_fallback": bf,
            "add_dummy_prefix": dp,
            "ids": [sp.encode(line) for line in lines],
        }
    for name, make_lines in PUBLISHED.items():
        plines = make_lines()
        path = os.path.join(MODELS_DIR, f"{name}.model")
        if not os.path.exists(path):
            print(f"note: {path} missing; its cases are not recorded", file=sys.stderr)
            continue
        sp = spm.SentencePieceProcessor(model_file=path)
        out["published"][name] = {
            "model": f".models/{name}.model",
            "model_sha256": sha256_file(path),
            "lines": plines,
            "ids": [sp.encode(line) for line in plines],
        }
    target = os.path.join(OUTDIR, "unigram_ties.expected.json")
    with open(target, "w", encoding="utf-8") as f:
        f.write("{\n")
        keys = list(out)
        for i, k in enumerate(keys):
            f.write(json.dumps(k) + ":" + json.dumps(out[k], ensure_ascii=False, separators=(",", ":")))
            f.write(",\n" if i + 1 < len(keys) else "\n")
        f.write("}\n")
    print(f"wrote {target} ({os.path.getsize(target)} bytes), {len(out['models'])} models, {len(lines)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
