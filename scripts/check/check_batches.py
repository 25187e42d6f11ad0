#!/usr/bin/env python3
"""Checks `tokki batch`, `tokki prepare` and `tokki merge` on real Korean text, opening every
output with the libraries a training job would use.

    swift build -c release --product tokki
    python3 scripts/check/check_batches.py [--tokki .build/release/tokki] [--keep DIR]

Builds nothing: the binary comes from --tokki (default .build/release/tokki, else
.build/debug/tokki). Works in a temp dir (or --keep DIR, left in place). Corpus:
.corpus/constitution.txt (LF) and .corpus/kolaw/*.txt (the same statutes with CRLF), from
scripts/fetch/fetch_corpus.sh, which is run when they are missing. Model: Vocab/tokki-ko-bpe-16k.model,
loaded with the Python `sentencepiece` package to re-encode the corpus independently.

Reference documents = the input files' lines in order (split on LF, a final CR dropped, as
tokki reads them), each encoded by `sentencepiece` without BOS/EOS; lines that encode to
nothing are skipped.

For each objective (mlm --seq-len 48, so long lines span several rows; causal --seq-len 256;
span --seq-len 512), seed 1 (--seed):
  * one run per format: OUT.safetensors (read with safetensors.numpy.load_file AND
    safetensors.safe_open), OUT.jsonl (json, a line per row; causal cu_seqlens per row, re-based
    here), OUT/ (a .npy per tensor, np.load); plus --dtype int32 for .safetensors and .npy.
    Checks: tensor names, shapes [rows, width] (span labels/decoder_* [rows, T]), dtype int64
    (int32 with --dtype int32), the same arrays in every format, safetensors metadata.
  * mlm: rows = each document cut into pieces of seq_len-2 ids, `<s> … </s>`, `<pad>` to
    seq_len; attention_mask = 1 on the row; labels -100 except at selected positions, which are
    never special (control/unknown pieces) or padding; un-masking (input := label where
    label != -100) gives the rows exactly; outside the selection input == row. Statistics over
    the whole run: selected / maskable within 4 sigma of Binomial(n, 0.15); of the selected,
    <mask> / random / kept within 4 sigma of 0.8 / 0.1 / 0.1 (a random draw can equal the
    original, 1/pool); random replacements are non-special ids of the vocabulary.
  * causal: documents + EOS concatenated, cut into rows of seq_len, the last padded with
    `<pad>`; attention_mask, labels (= input_ids, -100 on padding; with
    --no-cross-document-labels also on each document's first token unless it begins the row),
    position_ids (0 at each segment, on real tokens), segment_ids (1-based per row, 0 =
    padding), cu_seqlens (0, every segment start, every padding start, every row end over the
    flattened rows*seq_len tokens; strictly increasing).
  * span: T from T5's random_spans_helper (512 -> 568 raw tokens, T = 114); raw rows = the
    documents concatenated without separators, cut into rows of 568, last one shorter; input
    = kept tokens with sentinels <extra_id_0>, <extra_id_1>, … (ids 5, 6, …) in order, then
    </s>, then <pad>; labels = <extra_id_i> + span i …, </s>, then -100; putting the spans back
    gives the raw row exactly; noise / span counts as T5's random_spans_noise_mask
    (round(n*0.15) clamped to 1..n-1, round(noise/3) spans); full rows fill input (512) and
    labels (T) exactly; decoder_input_ids = [<pad>] + labels[:-1] on the target, <pad> after;
    decoder_attention_mask = 1 on the target.
  * determinism: --threads 1 vs 2 and --batch-size 3 vs 32 (all four pairs) give identical
    arrays; for mlm and span another --seed gives other masks over the same rows, for causal
    the same arrays.

Megatron (`tokki prepare --append-eos`): read with a reader that follows Megatron-LM's
megatron/core/datasets/indexed_dataset.py (_IndexReader: MMIDIDX\\0\\0, version 1, dtype code,
sequence count, document count, int32 lengths, int64 byte pointers, int64 document indices;
sequences read from .bin as in _MMapBinReader), and compared byte for byte with what
Megatron-LM's _IndexWriter writes for the expected sequences. megatron-core's own
IndexedDataset is used as well when it imports (it needs torch). Checks: dtype uint16 (code 8), file sizes, pointers =
running byte offsets, every sequence = sentencepiece ids + EOS, document_indices = 0..N;
--threads 1 and 2 give the same bytes; --shard k/4 (k = 0..3) then `tokki merge` gives files
byte-identical to the unsharded run, and every shard reads back as its slice.

Prints PASS/FAIL per check; exit status 1 on any failure.
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np
import sentencepiece as spm
from safetensors import safe_open
from safetensors.numpy import load_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, ".corpus")
DEFAULT_MODEL = os.path.join(ROOT, "Vocab", "tokki-ko-bpe-16k.model")

TENSORS = {
    "mlm": ["input_ids", "attention_mask", "labels"],
    "causal": ["input_ids", "attention_mask", "labels", "position_ids", "segment_ids", "cu_seqlens"],
    "span": ["input_ids", "attention_mask", "labels", "decoder_input_ids", "decoder_attention_mask"],
}
SEQ_LEN = {"mlm": 48, "causal": 256, "span": 512}


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def __call__(self, name: str, ok: bool, detail: str = "") -> bool:
        ok = bool(ok)
        print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok


def default_tokki() -> str:
    for p in (os.path.join(ROOT, ".build", "release", "tokki"), os.path.join(ROOT, ".build", "debug", "tokki")):
        if os.access(p, os.X_OK):
            return p
    return os.path.join(ROOT, ".build", "release", "tokki")


# ---------------------------------------------------------------- reference data

def documents(files: list[str], sp: spm.SentencePieceProcessor) -> list[tuple[int, list[int]]]:
    """(byte offset of the line in the concatenated files, ids) of every line that encodes to
    something. Lines as tokki reads them: split on LF, no final empty line, one trailing CR
    dropped."""
    docs = []
    base = 0
    for f in files:
        data = open(f, "rb").read()
        off = 0
        for raw in data.split(b"\n"):
            if off >= len(data):
                break  # the empty piece after a final LF
            line = raw[:-1] if raw.endswith(b"\r") else raw
            ids = sp.encode(line.decode("utf-8"))
            if ids:
                docs.append((base + off, ids))
            off += len(raw) + 1
        base += len(data)
    return docs


def t5_lengths(inputs_length: int, noise_density: float = 0.15, mean_span: float = 3.0) -> tuple[int, int]:
    """T5's random_spans_helper (t5/data/preprocessors.py): raw tokens per row and target length."""
    def f(n: int) -> tuple[int, int]:
        noise = int(round(n * noise_density))
        spans = int(round(noise / mean_span))
        return n - noise + spans + 1, noise + spans + 1
    n = inputs_length
    while f(n + 1)[0] <= inputs_length:
        n += 1
    _, targets = f(n)
    if noise_density == 0.5 and targets > f(n)[0]:
        n -= 1
        targets -= 1
    return n, targets


# ---------------------------------------------------------------- readers

def read_safetensors(path: str) -> tuple[dict, dict, dict]:
    """(load_file arrays, safe_open arrays, metadata)."""
    a = load_file(path)
    b = {}
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            b[k] = f.get_tensor(k)
    return a, b, meta


def read_npy_dir(path: str) -> dict:
    out = {}
    for f in sorted(os.listdir(path)):
        if f.endswith(".npy"):
            out[f[:-4]] = np.load(os.path.join(path, f), allow_pickle=False)
        else:
            out["<unexpected file " + f + ">"] = None
    return out


def read_jsonl(path: str, names: list[str]) -> tuple[dict, list[str]]:
    """Rows stacked; per-row cu_seqlens re-based onto the flattened tokens. Returns problems too."""
    problems = []
    cols: dict[str, list] = {n: [] for n in names if n != "cu_seqlens"}
    cu: list[int] = []
    with open(path, encoding="utf-8") as fh:
        for r, line in enumerate(fh):
            obj = json.loads(line)
            if list(obj.keys()) != names:
                problems.append(f"row {r}: keys {list(obj.keys())}")
                continue
            for n in cols:
                if not all(type(v) is int for v in obj[n]):
                    problems.append(f"row {r}: {n} holds non-integers")
                cols[n].append(obj[n])
            if "cu_seqlens" in obj:
                width = len(obj["input_ids"])
                row_cu = obj["cu_seqlens"]
                if not row_cu or row_cu[0] != 0 or row_cu[-1] != width:
                    problems.append(f"row {r}: cu_seqlens {row_cu[:3]}…{row_cu[-3:]} does not run 0…{width}")
                base = r * width
                for v in row_cu:
                    if not cu or base + v != cu[-1]:
                        cu.append(base + v)
    out = {}
    for n, rows in cols.items():
        widths = {len(x) for x in rows}
        if len(widths) > 1:
            problems.append(f"{n}: ragged widths {sorted(widths)}")
            continue
        out[n] = np.array(rows, dtype=np.int64).reshape(len(rows), widths.pop() if widths else 0)
    if "cu_seqlens" in names:
        out["cu_seqlens"] = np.array(cu, dtype=np.int64)
    return out, problems


_INDEX_HEADER = b"MMIDIDX\x00\x00"
# megatron.core.datasets.indexed_dataset.DType: code -> numpy dtype.
_MEGATRON_DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64,
                    7: np.float32, 8: np.uint16}


class MegatronIndexedDataset:
    """Megatron-LM's _IndexReader + _MMapBinReader layout (non-multimodal), in plain numpy."""

    def __init__(self, prefix: str) -> None:
        idx_path, bin_path = prefix + ".idx", prefix + ".bin"
        with open(idx_path, "rb") as stream:
            header = stream.read(9)
            assert header == _INDEX_HEADER, f"bad header, cannot read: {idx_path}"
            self.version = struct.unpack("<Q", stream.read(8))[0]
            assert self.version == 1, f"bad version, cannot read: {idx_path}"
            self.dtype_code = struct.unpack("<B", stream.read(1))[0]
            self.dtype = _MEGATRON_DTYPES[self.dtype_code]
            self.dtype_size = np.dtype(self.dtype).itemsize
            self.sequence_count = struct.unpack("<Q", stream.read(8))[0]
            self.document_count = struct.unpack("<Q", stream.read(8))[0]
            offset = stream.tell()
        self.idx_size = os.path.getsize(idx_path)
        buf = np.memmap(idx_path, mode="r", order="C")
        self.sequence_lengths = np.frombuffer(buf, dtype=np.int32, count=self.sequence_count, offset=offset)
        self.sequence_pointers = np.frombuffer(buf, dtype=np.int64, count=self.sequence_count,
                                               offset=offset + self.sequence_lengths.nbytes)
        self.document_indices = np.frombuffer(
            buf, dtype=np.int64, count=self.document_count,
            offset=offset + self.sequence_lengths.nbytes + self.sequence_pointers.nbytes)
        self.index_end = (offset + self.sequence_lengths.nbytes + self.sequence_pointers.nbytes
                          + self.document_indices.nbytes)
        self.bin_size = os.path.getsize(bin_path)
        self.bin = np.memmap(bin_path, mode="r", order="C") if self.bin_size else np.zeros(0, np.uint8)

    def __len__(self) -> int:
        return self.sequence_count

    def __getitem__(self, i: int) -> np.ndarray:
        ptr, length = int(self.sequence_pointers[i]), int(self.sequence_lengths[i])
        return np.frombuffer(self.bin, dtype=self.dtype, count=length, offset=ptr)


# ---------------------------------------------------------------- supervised fine-tuning

def check_sft(run: "Runner", checks: "Checks") -> None:
    """`--objective sft` on the committed model folder whose chat template has generation blocks
    (Tests/Fixtures/sft, made by scripts/fixtures/make_sft_fixtures.py with transformers): the
    labels of the safetensors rows and the Megatron loss mask, read here with safetensors and
    numpy, equal transformers' assistant masks (the first token never learned)."""
    root = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "Fixtures" / "sft"
    folder = root / "chatml-generation"
    expected = json.loads((root / "chatml-generation.expected.json").read_text(encoding="utf-8"))["cases"]
    conversations = str(root / "chatml-generation.conversations.jsonl")
    st = os.path.join(run.tmp, "sft.safetensors")
    prefix = os.path.join(run.tmp, "sft-megatron")
    base = ["batch", "--objective", "sft", "--model", str(folder), "--input", conversations, "--seq-len", "256", "--quiet"]
    if not (run.run("batch sft → safetensors", base + ["--output", st])
            and run.run("batch sft → megatron", base + ["--output", prefix + ".idx"])):
        return
    tensors = load_file(st)
    tokens, mask = MegatronIndexedDataset(prefix), MegatronIndexedDataset(prefix + "_loss_mask")
    problems = []
    checks("sft rows = conversations", tensors["input_ids"].shape[0] == len(expected) == len(tokens) == len(mask),
           f"{tensors['input_ids'].shape}, {len(tokens)} documents")
    checks("sft loss mask is uint8", mask.dtype == np.uint8, f"{mask.dtype}")
    for r, case in enumerate(expected):
        ids, want = case["input_ids"], [m if i > 0 else 0 for i, m in enumerate(case["assistant_masks"])]
        n = len(ids)
        row_ids = tensors["input_ids"][r].tolist()
        labels = tensors["labels"][r].tolist()
        if row_ids[:n] != ids or [int(l != -100) for l in labels[:n]] != want or any(l != -100 for l in labels[n:]):
            problems.append(f"row {r} ({case['name']})")
        if tokens[r].tolist() != ids or mask[r].tolist() != want:
            problems.append(f"megatron document {r} ({case['name']})")
    checks("sft labels and Megatron loss mask = transformers' assistant masks", not problems, "; ".join(problems))


# ---------------------------------------------------------------- running tokki

class Runner:
    def __init__(self, tokki: str, model: str, inputs: list[str], seed: int, tmp: str, checks: Checks) -> None:
        self.tokki, self.model, self.inputs, self.seed, self.tmp, self.checks = tokki, model, inputs, seed, tmp, checks

    def run(self, name: str, args: list[str]) -> bool:
        cmd = [self.tokki] + args
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            self.checks(f"run {name}", False, f"exit {r.returncode}: {' '.join(cmd)}\n{r.stderr.strip()}")
            return False
        return True

    def batch(self, objective: str, out: str, threads: int = 2, batch_size: int = 32, seed: int | None = None,
              extra: list[str] | None = None) -> str | None:
        path = os.path.join(self.tmp, out)
        args = ["batch", "--objective", objective, "--model", self.model, "--seq-len", str(SEQ_LEN[objective]),
                "--batch-size", str(batch_size), "--seed", str(self.seed if seed is None else seed),
                "--threads", str(threads), "--quiet", "--output", path] + (extra or [])
        for f in self.inputs:
            args += ["--input", f]
        return path if self.run(f"batch {objective} → {out}", args) else None


# ---------------------------------------------------------------- format checks

def same_arrays(a: dict, b: dict) -> tuple[bool, str]:
    if sorted(a) != sorted(b):
        return False, f"names {sorted(a)} vs {sorted(b)}"
    for k in a:
        x, y = a[k], b[k]
        if x is None or y is None:
            return False, f"{k}: missing"
        if x.shape != y.shape:
            return False, f"{k}: shape {x.shape} vs {y.shape}"
        if not np.array_equal(x, y):
            n = int(np.sum(x != y)) if x.shape == y.shape else -1
            return False, f"{k}: {n} values differ"
    return True, ""


def check_formats(objective: str, run: Runner, checks: Checks) -> dict | None:
    """Runs every format and dtype; returns the int64 arrays (from safetensors) when consistent."""
    names = TENSORS[objective]
    L = SEQ_LEN[objective]
    st = run.batch(objective, f"{objective}.safetensors")
    npy = run.batch(objective, f"{objective}-npy")
    jl = run.batch(objective, f"{objective}.jsonl")
    st32 = run.batch(objective, f"{objective}-int32.safetensors", extra=["--dtype", "int32"])
    npy32 = run.batch(objective, f"{objective}-int32-npy", extra=["--dtype", "int32"])
    if not st:
        return None
    ref, opened, meta = read_safetensors(st)
    ok, why = same_arrays(ref, opened)
    checks(f"{objective} safetensors: load_file == safe_open", ok, why)
    checks(f"{objective} safetensors: tensor names", sorted(ref) == sorted(names), f"{sorted(ref)}")
    want_meta = {"objective": objective, "seed": str(run.seed), "epoch": "0"}
    checks(f"{objective} safetensors: __metadata__", all(meta.get(k) == v for k, v in want_meta.items()), f"{meta}")
    if sorted(ref) != sorted(names):
        return None
    rows = ref["input_ids"].shape[0]
    T = t5_lengths(L)[1] if objective == "span" else L
    shape_problems = []
    for n in names:
        want = (rows, T) if n in ("labels", "decoder_input_ids", "decoder_attention_mask") and objective == "span" \
            else (rows, L)
        if n == "cu_seqlens":
            if ref[n].ndim != 1:
                shape_problems.append(f"{n} {ref[n].shape}")
            continue
        if ref[n].shape != want:
            shape_problems.append(f"{n} {ref[n].shape} != {want}")
    checks(f"{objective} shapes", not shape_problems and rows > 0,
           "; ".join(shape_problems) or f"{rows} rows × {L}" + (f", targets {T}" if objective == "span" else ""))
    # cu_seqlens is always int32 (what flash_attn_varlen_func takes); the rest follow --dtype.
    def want_dtype(name, default):
        return np.int32 if name == "cu_seqlens" else default
    bad_dtype = [f"{k}:{v.dtype}" for k, v in ref.items() if v.dtype != want_dtype(k, np.int64)]
    checks(f"{objective} safetensors dtype int64 (cu_seqlens int32)", not bad_dtype, ", ".join(bad_dtype))
    if npy:
        arrays = read_npy_dir(npy)
        bad_dtype = [f"{k}:{v.dtype}" for k, v in arrays.items() if v is None or v.dtype != want_dtype(k, np.int64)]
        checks(f"{objective} .npy dtype int64", not bad_dtype, ", ".join(bad_dtype))
        ok, why = same_arrays(ref, {k: v for k, v in arrays.items()})
        checks(f"{objective} .npy == safetensors", ok, why)
    if jl:
        arrays, problems = read_jsonl(jl, names)
        checks(f"{objective} .jsonl rows well-formed", not problems, "; ".join(problems[:3]))
        ok, why = same_arrays(ref, arrays)
        checks(f"{objective} .jsonl == safetensors", ok, why)
    for label, path, reader in (("safetensors", st32, lambda p: read_safetensors(p)[0]), (".npy", npy32, read_npy_dir)):
        if not path:
            continue
        arrays = reader(path)
        bad_dtype = [f"{k}:{None if v is None else v.dtype}" for k, v in arrays.items()
                     if v is None or v.dtype != np.int32]
        checks(f"{objective} --dtype int32 {label} dtype int32", not bad_dtype, ", ".join(bad_dtype))
        ok, why = same_arrays(ref, {k: v.astype(np.int64) for k, v in arrays.items() if v is not None})
        checks(f"{objective} --dtype int32 {label} == int64 values", ok, why)
    return ref


def check_determinism(objective: str, ref: dict, run: Runner, checks: Checks) -> None:
    for threads, bs in ((1, 32), (2, 3), (1, 3)):
        path = run.batch(objective, f"{objective}-t{threads}-b{bs}.safetensors", threads=threads, batch_size=bs)
        if not path:
            continue
        ok, why = same_arrays(ref, load_file(path))
        checks(f"{objective} determinism: --threads {threads} --batch-size {bs} == --threads 2 --batch-size 32", ok, why)
    path = run.batch(objective, f"{objective}-seed.safetensors", seed=run.seed + 1)
    if path:
        other = load_file(path)
        if objective == "causal":
            ok, why = same_arrays(ref, other)
            checks(f"{objective}: --seed {run.seed + 1} gives the same arrays (no randomness)", ok, why)
        else:
            same_rows = np.array_equal(ref["attention_mask"], other["attention_mask"]) if objective == "mlm" else True
            differs = not np.array_equal(ref["labels"], other["labels"])
            checks(f"{objective}: --seed {run.seed + 1} changes the masks", differs and same_rows)


# ---------------------------------------------------------------- objective checks

def first_failure(mask: np.ndarray) -> str:
    idx = np.argwhere(mask)
    return f"{len(idx)} positions, first at {tuple(int(v) for v in idx[0])}" if len(idx) else ""


def within(name: str, count: int, n: int, p: float, checks: Checks) -> None:
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    z = (count - mean) / sd if sd > 0 else 0.0
    checks(name, abs(z) <= 4, f"{count}/{n} = {count / max(n, 1):.4f} (expected {p:.4f}, z = {z:+.2f})")


def check_mlm(a: dict, docs: list[list[int]], special: np.ndarray, vocab: int, ids: dict, checks: Checks) -> None:
    L = SEQ_LEN["mlm"]
    rows = []
    for d in docs:
        for s in range(0, len(d), L - 2):
            rows.append([ids["bos"]] + d[s:s + L - 2] + [ids["eos"]])
    R = len(rows)
    want = np.full((R, L), ids["pad"], dtype=np.int64)
    att = np.zeros((R, L), dtype=np.int64)
    for r, row in enumerate(rows):
        want[r, :len(row)] = row
        att[r, :len(row)] = 1
    inp, lab = a["input_ids"], a["labels"]
    if not checks("mlm rows", inp.shape[0] == R, f"{inp.shape[0]} rows, expected {R} from {len(docs)} documents "
                  f"(pieces of {L - 2} ids in <s> … </s>)"):
        return
    checks("mlm attention_mask", np.array_equal(a["attention_mask"], att), first_failure(a["attention_mask"] != att))
    selected = lab != -100
    checks("mlm labels are the original ids where set", np.array_equal(lab[selected], want[selected]),
           first_failure(selected & (lab != want)))
    checks("mlm never selects special tokens or padding", not np.any(selected & special[want]),
           first_failure(selected & special[want]))
    checks("mlm unselected positions keep their ids", np.array_equal(inp[~selected], want[~selected]),
           first_failure(~selected & (inp != want)))
    unmasked = np.where(selected, lab, inp)
    checks("mlm un-masking gives the sentencepiece rows exactly", np.array_equal(unmasked, want),
           first_failure(unmasked != want) or f"{int(att.sum())} tokens")
    checks("mlm input ids in the vocabulary", bool(np.all((inp >= 0) & (inp < vocab))))
    maskable = (att == 1) & ~special[want]
    n, s = int(maskable.sum()), int(selected.sum())
    within("mlm selected fraction of maskable tokens (4σ of 0.15)", s, n, 0.15, checks)
    sel_in, sel_lab = inp[selected], lab[selected]
    masked = sel_in == ids["mask"]
    kept = sel_in == sel_lab
    rand = ~masked & ~kept
    pool = int((~special).sum())
    within("mlm selected → <mask> (4σ of 0.8)", int(masked.sum()), s, 0.8, checks)
    within("mlm selected → random id (4σ of 0.1)", int(rand.sum()), s, 0.1 * (1 - 1 / pool), checks)
    within("mlm selected → kept (4σ of 0.1)", int(kept.sum()), s, 0.1 + 0.1 / pool, checks)
    r_ids = sel_in[rand]
    checks("mlm random replacements are non-special ids", bool(np.all((r_ids >= 0) & (r_ids < vocab)))
           and not np.any(special[np.clip(r_ids, 0, vocab - 1)]), f"{len(r_ids)} replacements, "
           f"{len(np.unique(r_ids))} distinct")


def causal_expected(docs: list[list[int]], L: int, ids: dict, cross_labels: bool) -> dict:
    stream, starts = [], set()
    for d in docs:
        starts.add(len(stream))
        stream += d + [ids["eos"]]
    R = -(-len(stream) // L)
    e = {k: np.zeros((R, L), dtype=np.int64) for k in ("attention_mask", "position_ids", "segment_ids")}
    e["input_ids"] = np.full((R, L), ids["pad"], dtype=np.int64)
    e["labels"] = np.full((R, L), -100, dtype=np.int64)
    real = np.zeros((R, L), dtype=bool)
    bounds = {0}
    for r in range(R):
        seg, pos = 0, 0
        for i in range(L):
            k = r * L + i
            if k >= len(stream):
                bounds.add(k)  # padding starts its own segment
                break
            if i == 0 or k in starts:
                seg += 1
                pos = 0
                bounds.add(k)
            e["input_ids"][r, i] = stream[k]
            e["attention_mask"][r, i] = 1
            e["labels"][r, i] = -100 if (not cross_labels and k in starts and i > 0) else stream[k]
            e["position_ids"][r, i] = pos
            e["segment_ids"][r, i] = seg
            real[r, i] = True
            pos += 1
        bounds.add((r + 1) * L)
    e["cu_seqlens"] = np.array(sorted(bounds), dtype=np.int64)
    e["real"] = real
    return e


def check_causal(a: dict, docs: list[list[int]], ids: dict, checks: Checks, cross_labels: bool = True) -> None:
    tag = "causal" + ("" if cross_labels else " --no-cross-document-labels")
    L = SEQ_LEN["causal"]
    e = causal_expected(docs, L, ids, cross_labels)
    real = e["real"]
    if not checks(f"{tag} rows", a["input_ids"].shape[0] == real.shape[0],
                  f"{a['input_ids'].shape[0]} rows, expected {real.shape[0]} "
                  f"({int(real.sum())} tokens from {len(docs)} documents + EOS)"):
        return
    checks(f"{tag} input_ids = documents + EOS, packed, <pad> after",
           np.array_equal(a["input_ids"], e["input_ids"]), first_failure(a["input_ids"] != e["input_ids"]))
    for k in ("attention_mask", "labels", "segment_ids"):
        checks(f"{tag} {k}", np.array_equal(a[k], e[k]), first_failure(a[k] != e[k]))
    pos_ok = np.array_equal(a["position_ids"][real], e["position_ids"][real])
    checks(f"{tag} position_ids restart at each segment", pos_ok, first_failure(real & (a["position_ids"] != e["position_ids"])))
    cu = a["cu_seqlens"]
    checks(f"{tag} cu_seqlens", np.array_equal(cu, e["cu_seqlens"]) and bool(np.all(np.diff(cu) > 0)),
           f"{len(cu)} boundaries, ends at {int(cu[-1]) if len(cu) else None} = rows·seq_len "
           f"{a['input_ids'].size}" if np.array_equal(cu, e["cu_seqlens"]) else
           f"got {len(cu)} values {cu[:8].tolist()}…, expected {len(e['cu_seqlens'])} {e['cu_seqlens'][:8].tolist()}…")


def check_span(a: dict, docs: list[list[int]], ids: dict, checks: Checks) -> None:
    W = SEQ_LEN["span"]
    raw_len, T = t5_lengths(W)
    if W == 512:
        checks("span T5 lengths for 512", (raw_len, T) == (568, 114), f"raw {raw_len}, targets {T}")
    stream = [t for d in docs for t in d]
    sentinels = set(range(ids["sentinel0"], ids["sentinel0"] + 100))
    if not checks("span corpus has no sentinel ids of its own", not any(t in sentinels for t in stream)):
        return
    raw_rows = [stream[s:s + raw_len] for s in range(0, len(stream), raw_len)]
    R = len(raw_rows)
    if not checks("span rows", a["input_ids"].shape[0] == R,
                  f"{a['input_ids'].shape[0]} rows, expected {R} ({len(stream)} tokens / {raw_len})"):
        return
    pad, eos, s0 = ids["pad"], ids["eos"], ids["sentinel0"]
    problems: dict[str, list[str]] = {k: [] for k in ("layout", "sentinels", "reconstruction", "counts", "decoder", "full")}
    for r, raw in enumerate(raw_rows):
        inp, att = a["input_ids"][r], a["attention_mask"][r]
        lab, dec, dmask = a["labels"][r], a["decoder_input_ids"][r], a["decoder_attention_mask"][r]
        k, t = int(att.sum()), int((lab != -100).sum())
        if not (np.all(att[:k] == 1) and np.all(att[k:] == 0) and k >= 1 and inp[k - 1] == eos
                and np.all(inp[k:] == pad) and t >= 1 and np.all(lab[:t] != -100) and lab[t - 1] == eos
                and np.all(lab[t:] == -100)):
            problems["layout"].append(f"row {r}")
            continue
        body, target = inp[:k - 1].tolist(), lab[:t - 1].tolist()
        in_sent = [x for x in body if x in sentinels]
        tg_sent = [x for x in target if x in sentinels]
        m = len(in_sent)
        if not (in_sent == list(range(s0, s0 + m)) and tg_sent == in_sent and target and target[0] == s0):
            problems["sentinels"].append(f"row {r}: input {in_sent[:4]}…, target {tg_sent[:4]}…")
            continue
        spans: dict[int, list[int]] = {}
        cur = None
        for x in target:
            if x in sentinels:
                cur = x
                spans[cur] = []
            else:
                spans[cur].append(x)
        if any(not v for v in spans.values()):
            problems["sentinels"].append(f"row {r}: an empty target span")
        rebuilt = []
        for x in body:
            rebuilt.extend(spans[x] if x in sentinels else [x])
        if rebuilt != raw:
            problems["reconstruction"].append(f"row {r}: {len(rebuilt)} tokens vs {len(raw)}")
        n = len(raw)
        if n >= 2:
            noise = min(max(int(round(n * 0.15)), 1), n - 1)
            nspans = min(max(int(round(noise / 3.0)), 1), noise, n - noise)
            got_noise = len(target) - m
            if (got_noise, m) != (noise, nspans):
                problems["counts"].append(f"row {r} ({n} raw): noise {got_noise}, spans {m}; T5: {noise}, {nspans}")
        if not (np.all(dmask[:t] == 1) and np.all(dmask[t:] == 0) and dec[0] == pad
                and np.array_equal(dec[1:t], lab[:t - 1]) and np.all(dec[t:] == pad)):
            problems["decoder"].append(f"row {r}")
        if n == raw_len and (k != W or t != T):
            problems["full"].append(f"row {r}: input {k}/{W}, target {t}/{T}")
    last = len(raw_rows[-1])
    checks("span layout: input … </s> <pad>…, labels … </s> -100…", not problems["layout"], ", ".join(problems["layout"][:5]))
    checks("span sentinels <extra_id_0…> in order in input and labels", not problems["sentinels"],
           "; ".join(problems["sentinels"][:5]))
    checks("span spans put back = the documents concatenated, in rows of %d" % raw_len,
           not problems["reconstruction"] and not problems["layout"] and not problems["sentinels"],
           "; ".join(problems["reconstruction"][:5]) or f"{R} rows, last one {last} raw tokens")
    checks("span noise and span counts as T5's random_spans_noise_mask", not problems["counts"],
           "; ".join(problems["counts"][:5]))
    checks("span full rows fill input and labels exactly", not problems["full"], "; ".join(problems["full"][:5]))
    checks("span decoder_input_ids = [<pad>] + labels[:-1], decoder_attention_mask", not problems["decoder"],
           ", ".join(problems["decoder"][:5]))


# ---------------------------------------------------------------- Megatron

def check_megatron_dataset(name: str, prefix: str, want: list[list[int]], eos: int, checks: Checks) -> None:
    try:
        ds = MegatronIndexedDataset(prefix)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        checks(f"megatron {name}: readable", False, repr(e))
        return
    n = len(want)
    header = 9 + 8 + 1 + 8 + 8
    problems = []
    if ds.dtype_code != 8:
        problems.append(f"dtype code {ds.dtype_code} (want 8 = uint16)")
    if ds.sequence_count != n:
        problems.append(f"{ds.sequence_count} sequences, want {n}")
    if ds.document_count != n + 1:
        problems.append(f"document count {ds.document_count}, want {n + 1}")
    if ds.idx_size != header + 4 * n + 8 * n + 8 * (n + 1) or ds.index_end != ds.idx_size:
        problems.append(f".idx is {ds.idx_size} bytes, index ends at {ds.index_end}")
    checks(f"megatron {name}: header and sizes", not problems, "; ".join(problems) or f"{n} sequences, uint16")
    if problems:
        return
    lengths = np.array([len(w) + 1 for w in want], dtype=np.int64)
    pointers = np.concatenate([[0], np.cumsum(lengths * ds.dtype_size)[:-1]]) if n else np.zeros(0, np.int64)
    checks(f"megatron {name}: lengths and pointers", np.array_equal(ds.sequence_lengths, lengths)
           and np.array_equal(ds.sequence_pointers, pointers) and ds.bin_size == int(lengths.sum()) * ds.dtype_size,
           f".bin {ds.bin_size} bytes")
    checks(f"megatron {name}: document_indices = 0..N", np.array_equal(ds.document_indices, np.arange(n + 1)))
    # What Megatron-LM writes for these sequences (IndexedDatasetBuilder / _IndexWriter, uint16 tokens).
    idx = (_INDEX_HEADER + struct.pack("<Q", 1) + struct.pack("<B", 8) + struct.pack("<Q", n)
           + struct.pack("<Q", n + 1) + lengths.astype(np.int32).tobytes() + pointers.astype(np.int64).tobytes()
           + np.arange(n + 1, dtype=np.int64).tobytes())
    binary = b"".join(np.array(w + [eos], dtype=np.uint16).tobytes() for w in want)
    checks(f"megatron {name}: bytes = Megatron-LM's _IndexWriter/.bin for the same sequences",
           open(prefix + ".idx", "rb").read() == idx and open(prefix + ".bin", "rb").read() == binary)
    bad = [i for i in range(n) if ds[i].dtype != np.uint16 or ds[i].tolist() != want[i] + [eos]]
    checks(f"megatron {name}: every sequence = sentencepiece ids + EOS", not bad,
           f"{len(bad)} differ, first #{bad[0]}" if bad else f"{int(lengths.sum())} tokens")


def try_megatron_core(prefix: str, want: list[list[int]], eos: int, checks: Checks) -> None:
    try:
        from megatron.core.datasets.indexed_dataset import IndexedDataset  # type: ignore
    except Exception as e:  # noqa: BLE001 - absent or without torch
        print(f"SKIP megatron-core IndexedDataset: cannot import ({type(e).__name__}: {e}); the numpy reader "
              "above follows its _IndexReader layout", flush=True)
        return
    ds = IndexedDataset(prefix)
    ok = len(ds) == len(want) and all(np.asarray(ds[i]).tolist() == want[i] + [eos] for i in range(len(want)))
    checks("megatron-core IndexedDataset reads every sequence", ok and
           np.array_equal(np.asarray(ds.document_indices), np.arange(len(want) + 1)))


def check_megatron(run: Runner, located: list[tuple[int, list[int]]], eos: int, checks: Checks) -> None:
    out = os.path.join(run.tmp, "megatron")
    os.makedirs(out, exist_ok=True)
    base = ["prepare", "--model", run.model, "--append-eos", "--quiet"]
    for f in run.inputs:
        base += ["--input", f]
    want = [ids for _, ids in located]
    full = os.path.join(out, "full")
    if not run.run("prepare", base + ["--output-prefix", full, "--threads", "2"]):
        return
    check_megatron_dataset("unsharded", full, want, eos, checks)
    try_megatron_core(full, want, eos, checks)
    one = os.path.join(out, "one-thread")
    if run.run("prepare --threads 1", base + ["--output-prefix", one, "--threads", "1"]):
        checks("megatron --threads 1 == --threads 2 (bytes)", all(
            open(one + ext, "rb").read() == open(full + ext, "rb").read() for ext in (".bin", ".idx")))
    parts = []
    for k in range(4):
        p = os.path.join(out, f"part{k}")
        if not run.run(f"prepare --shard {k}/4", base + ["--output-prefix", p, "--shard", f"{k}/4", "--threads", "2"]):
            return
        parts.append(p)
    # Each shard holds the documents whose line starts in its byte range.
    total = sum(os.path.getsize(f) for f in run.inputs)
    for k, p in enumerate(parts):
        lo, hi = total * k // 4, total * (k + 1) // 4
        sub = [ids for off, ids in located if lo <= off < hi]
        check_megatron_dataset(f"shard {k}/4", p, sub, eos, checks)
    merged = os.path.join(out, "merged")
    if run.run("merge", ["merge"] + parts + ["--output-prefix", merged]):
        for ext in (".bin", ".idx"):
            a, b = open(merged + ext, "rb").read(), open(full + ext, "rb").read()
            checks(f"megatron --shard k/4 + merge == unsharded ({ext}, bytes)", a == b, f"{len(a)} vs {len(b)} bytes")
        check_megatron_dataset("merged", merged, want, eos, checks)


# ---------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tokki", default=default_tokki())
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep the outputs")
    a = ap.parse_args()
    if not os.access(a.tokki, os.X_OK):
        sys.exit(f"{a.tokki}: not found; build it first (see the docstring) or pass --tokki")
    inputs = [os.path.join(CORPUS, "constitution.txt")] + sorted(glob.glob(os.path.join(CORPUS, "kolaw", "*.txt")))
    if not os.path.exists(inputs[0]) or len(inputs) < 2:
        print("[check-batches] fetching the corpus", file=sys.stderr)
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch", "fetch_corpus.sh")], check=True, stdout=sys.stderr)
        inputs = [os.path.join(CORPUS, "constitution.txt")] + sorted(glob.glob(os.path.join(CORPUS, "kolaw", "*.txt")))

    sp = spm.SentencePieceProcessor(model_file=a.model)
    vocab = sp.get_piece_size()
    ids = {"bos": sp.piece_to_id("<s>"), "eos": sp.piece_to_id("</s>"), "pad": sp.piece_to_id("<pad>"),
           "mask": sp.piece_to_id("<mask>"), "sentinel0": sp.piece_to_id("<extra_id_0>")}
    # Tokki's special ids for a .model: control and unknown pieces (plus the roles above).
    special = np.array([sp.is_control(i) or sp.is_unknown(i) for i in range(vocab)], dtype=bool)
    for v in ("bos", "eos", "pad", "mask"):
        special[ids[v]] = True
    checks = Checks()
    sentinel_ids = [sp.piece_to_id(f"<extra_id_{i}>") for i in range(100)]
    checks("model: <unk> 0, <s> 1, </s> 2, <pad> 3, <mask> 4, <extra_id_i> 5+i, 16000 ids",
           (sp.unk_id(), ids["bos"], ids["eos"], ids["pad"], ids["mask"]) == (0, 1, 2, 3, 4)
           and sentinel_ids == list(range(5, 105)) and vocab == 16000, os.path.relpath(a.model, ROOT))
    located = documents(inputs, sp)
    docs = [ids for _, ids in located]
    print(f"corpus: {', '.join(os.path.relpath(f, ROOT) for f in inputs)}: {len(docs)} documents, "
          f"{sum(map(len, docs))} tokens; tokki: {a.tokki}", flush=True)

    tmp = a.keep or tempfile.mkdtemp(prefix="tokki-check-batches.")
    os.makedirs(tmp, exist_ok=True)
    try:
        run = Runner(a.tokki, a.model, inputs, a.seed, tmp, checks)
        for objective in ("mlm", "causal", "span"):
            ref = check_formats(objective, run, checks)
            if ref is None:
                continue
            if objective == "mlm":
                check_mlm(ref, docs, special, vocab, ids, checks)
            elif objective == "causal":
                check_causal(ref, docs, ids, checks)
                path = run.batch("causal", "causal-nocross.safetensors", extra=["--no-cross-document-labels"])
                if path:
                    check_causal(load_file(path), docs, ids, checks, cross_labels=False)
            else:
                check_span(ref, docs, ids, checks)
            check_determinism(objective, ref, run, checks)
        check_megatron(run, located, ids["eos"], checks)
        check_sft(run, checks)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    total = checks.passed + len(checks.failed)
    if checks.failed:
        print(f"FAILED {len(checks.failed)} of {total} checks: {', '.join(checks.failed)}")
        return 1
    print(f"all {total} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
