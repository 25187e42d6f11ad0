#!/usr/bin/env python3
"""Reference side of the batch-collator benchmark: Hugging Face's collators, one thread.

    python3 scripts/bench/bench_collators_reference.py ROWS_DIR [--repeat N] [--batch B] [--only mlm,mlm_stm,span]

ROWS_DIR holds mlm_rows.txt and span_rows.txt from scripts/bench/make_collator_rows.py (one row of
ids per line, space-separated).  Rows are cut into batches of B (32) in file order; one pass
collates every batch once; after one untimed warm-up pass, N (7) passes are timed and the
best and median pass give samples/s (rows / pass seconds).  Reading the rows and building
the per-example inputs is not timed.  One thread: OMP/MKL/OPENBLAS/NUMEXPR thread counts are
set to 1 (and TOKENIZERS_PARALLELISM=false, RAYON_NUM_THREADS=1) before numpy or
transformers is imported.

Collators (the tokenizer is Vocab/tokki-ko-bpe-16k.json in a PreTrainedTokenizerFast with
<unk> <s> </s> <pad> <mask> and <extra_id_0..99> as special tokens; len(tokenizer) = 16000):
  mlm      transformers.DataCollatorForLanguageModeling(tokenizer, mlm=True,
           mlm_probability=0.15, return_tensors="np", seed=1) on examples
           [{"input_ids": row (list of int)} ...].  Its numpy path (numpy_call) needs no
           torch.  It pads with tokenizer.pad to the longest row of the batch (HF's default:
           no pad_to_multiple_of; Tokki pads every batch to 512), returns input_ids,
           attention_mask and labels (int64), and calls tokenizer.get_special_tokens_mask on
           every padded row to keep <s>, </s> and <pad> unmasked.
  mlm_stm  the same, each example also carrying a precomputed "special_tokens_mask"
           (tokenizer.get_special_tokens_mask(row, already_has_special_tokens=True),
           computed untimed), which the collator pads and uses instead: HF's fast path.
  span     T5 span corruption as done by FlaxDataCollatorForT5MLM in Hugging Face's
           examples/flax/language-modeling/run_t5_mlm_flax.py (github.com/huggingface/
           transformers; the flax example, not part of the installed package), re-written
           below with the same numpy operations, including its random-number use
           (np.random.shuffle per span segmentation; global RNG seeded with 1).  Settings:
           noise density 0.15, mean noise span length 3, input length 512, target length
           114 (568 raw tokens per row), eos 2, pad 3, decoder start 3; sentinels are
           len(tokenizer) - k for the k-th span (15999, 15998, ...: HF counts down from the
           end of the vocabulary, which in this vocabulary are ordinary pieces, not
           <extra_id_k>).  Input: each batch as a (B, 568) int64 numpy array, built
           untimed (the original's first step, stacking the examples' lists into that
           array, is not timed).  Output: input_ids (B, 512), labels (B, 114),
           decoder_input_ids (B, 114).

Prints per collator
  RESULT objective=mlm|mlm_stm|span impl=hf rows=R batch=B repeat=N best_sps=X median_sps=Y
Run by scripts/bench/bench_batches.sh, which also runs `tokki-bench mlm|span` on the same rows.
"""
from __future__ import annotations

import os

# One thread; must be set before numpy / tokenizers are imported.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER_JSON = os.path.join(ROOT, "Vocab", "tokki-ko-bpe-16k.json")

NOISE_DENSITY = 0.15
MEAN_NOISE_SPAN_LENGTH = 3.0
INPUT_LENGTH = 512
TARGET_LENGTH = 114
EOS_ID, PAD_ID, DECODER_START_ID = 2, 3, 3


def read_rows(path: str) -> list[list[int]]:
    with open(path, encoding="ascii") as f:
        return [list(map(int, line.split())) for line in f if line.strip()]


def load_tokenizer():
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_file=TOKENIZER_JSON, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
        pad_token="<pad>", mask_token="<mask>",
        additional_special_tokens=[f"<extra_id_{i}>" for i in range(100)])


def raw_length_for(inputs_length: int, density: float, mean_span: float) -> tuple[int, int]:
    """run_t5_mlm_flax.py's compute_input_and_target_lengths (T5's random_spans_helper): the
    longest raw length whose corrupted input (kept tokens + one sentinel per span + eos) fits
    inputs_length, and the matching target length."""
    def lengths(raw: int) -> tuple[int, int]:
        noise = int(round(raw * density))
        spans = int(round(noise / mean_span))
        return raw - noise + spans + 1, noise + spans + 1

    raw = inputs_length
    while lengths(raw + 1)[0] <= inputs_length:
        raw += 1
    return raw, lengths(raw)[1]


# ---------------------------------------------------------------------------------------------
# T5 span corruption, after FlaxDataCollatorForT5MLM (random_spans_noise_mask,
# create_sentinel_ids, filter_input_ids, shift_tokens_right) in Hugging Face transformers'
# examples/flax/language-modeling/run_t5_mlm_flax.py, numpy only.  Same operations in the
# same order as the original, so the cost and the random stream are the original's.
# ---------------------------------------------------------------------------------------------
class T5SpanCorruption:
    def __init__(self, vocab_len: int, noise_density: float, mean_noise_span_length: float,
                 input_length: int, target_length: int, eos_id: int, pad_id: int, decoder_start_id: int):
        self.vocab_len = vocab_len          # len(tokenizer)
        self.noise_density = noise_density
        self.mean_noise_span_length = mean_noise_span_length
        self.input_length = input_length
        self.target_length = target_length
        self.eos_id = eos_id
        self.pad_id = pad_id
        self.decoder_start_id = decoder_start_id

    def __call__(self, input_ids: np.ndarray) -> dict[str, np.ndarray]:
        n_rows, raw_length = input_ids.shape
        # One noise mask per row, drawn row by row from the global numpy RNG.
        noise = np.asarray([self.noise_mask(raw_length) for _ in range(n_rows)])
        kept = ~noise
        inputs = self.compact(input_ids, self.sentinels(noise.astype(np.int8)))
        labels = self.compact(input_ids, self.sentinels(kept.astype(np.int8)))
        if inputs.shape[-1] != self.input_length:
            raise ValueError(f"input_ids have length {inputs.shape[-1]}, expected {self.input_length}")
        if labels.shape[-1] != self.target_length:
            raise ValueError(f"labels have length {labels.shape[-1]}, expected {self.target_length}")
        return {"input_ids": inputs, "labels": labels,
                "decoder_input_ids": self.shift_right(labels)}

    def noise_mask(self, length: int) -> np.ndarray:
        """Boolean mask of `length` with round(length * density) noise tokens in
        round(min(noise, kept) / mean_span) spans; kept and noise spans alternate, kept first;
        span lengths are random partitions."""
        n_noise = int(np.round(length * self.noise_density))
        n_kept = length - n_noise
        n_noise = min(max(n_noise, 1), length - 1)
        n_spans = max(int(np.round(min(n_noise, n_kept) / self.mean_noise_span_length)), 1)
        n_kept = length - n_noise

        def partition(n_items: int, n_parts: int) -> np.ndarray:
            # n_parts - 1 random cut points among the n_items - 1 gaps.
            cuts = np.arange(n_items - 1) < (n_parts - 1)
            np.random.shuffle(cuts)
            part_of_item = np.cumsum(np.pad(cuts, [[1, 0]]))
            _, part_lengths = np.unique(part_of_item, return_counts=True)
            return part_lengths

        noise_lengths = partition(n_noise, n_spans)
        kept_lengths = partition(n_kept, n_spans)
        alternating = np.reshape(np.stack([kept_lengths, noise_lengths], axis=1), [n_spans * 2])
        starts = np.cumsum(alternating)[:-1]
        is_start = np.zeros((length,), dtype=np.int8)
        is_start[starts] = True
        span_index = np.cumsum(is_start)
        return np.equal(span_index % 2, 1)[:length]

    def sentinels(self, mask: np.ndarray) -> np.ndarray:
        """The first position of the k-th masked run gets len(tokenizer) - k, the rest of the
        run -1, unmasked positions 0."""
        first = mask - np.roll(mask, 1, axis=-1) * mask
        first[:, 0] = mask[:, 0]
        ids = np.where(first != 0, np.cumsum(first, axis=-1), first)
        ids = np.where(ids != 0, self.vocab_len - ids, 0)
        ids -= mask - first
        return ids

    def compact(self, input_ids: np.ndarray, sentinel_ids: np.ndarray) -> np.ndarray:
        """Sentinels over the masked runs, the runs' other positions dropped, eos appended."""
        n_rows = input_ids.shape[0]
        merged = np.where(sentinel_ids != 0, sentinel_ids, input_ids)
        out = merged[merged >= 0].reshape((n_rows, -1))
        return np.concatenate([out, np.full((n_rows, 1), self.eos_id, dtype=np.int32)], axis=-1)

    def shift_right(self, labels: np.ndarray) -> np.ndarray:
        shifted = np.zeros_like(labels)
        shifted[:, 1:] = labels[:, :-1]
        shifted[:, 0] = self.decoder_start_id
        return np.where(shifted == -100, self.pad_id, shifted)


def time_passes(collate, batches: list, n_rows: int, repeat: int) -> tuple[float, float, object]:
    out = None
    for b in batches:           # warm-up pass
        out = collate(b)
    sps = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for b in batches:
            out = collate(b)
        sps.append(n_rows / (time.perf_counter() - t0))
    sps.sort()
    return sps[-1], sps[len(sps) // 2], out


def main() -> None:
    ap = argparse.ArgumentParser(description="Hugging Face collator reference benchmark (one thread)")
    ap.add_argument("rows_dir")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--only", default="mlm,mlm_stm,span", help="comma-separated: mlm, mlm_stm, span")
    a = ap.parse_args()
    if a.repeat < 1 or a.batch < 1:
        ap.error("--repeat and --batch need positive numbers")
    only = set(a.only.split(","))
    if not only <= {"mlm", "mlm_stm", "span"}:
        ap.error("--only takes mlm, mlm_stm, span")

    warnings.filterwarnings("ignore")
    import transformers
    from transformers import DataCollatorForLanguageModeling
    transformers.logging.set_verbosity_error()

    tok = load_tokenizer()
    print(f"python {platform.python_version()}, numpy {np.__version__}, transformers {transformers.__version__}; "
          f"torch imported: {'torch' in sys.modules}; len(tokenizer) = {len(tok)}; one thread; "
          f"batches of {a.batch}; best/median of {a.repeat} passes after 1 warm-up pass")

    if only & {"mlm", "mlm_stm"}:
        rows = read_rows(os.path.join(a.rows_dir, "mlm_rows.txt"))
        for objective in ("mlm", "mlm_stm"):
            if objective not in only:
                continue
            if objective == "mlm":
                examples = [{"input_ids": r} for r in rows]
            else:
                examples = [{"input_ids": r,
                             "special_tokens_mask": tok.get_special_tokens_mask(r, already_has_special_tokens=True)}
                            for r in rows]
            batches = [examples[i:i + a.batch] for i in range(0, len(examples), a.batch)]
            collator = DataCollatorForLanguageModeling(tok, mlm=True, mlm_probability=0.15,
                                                       return_tensors="np", seed=1)
            before = [list(ex["input_ids"]) for ex in examples]
            best, median, last = time_passes(collator, batches, len(rows), a.repeat)
            if [ex["input_ids"] for ex in examples] != before:
                sys.exit("the collator changed its examples")  # they are reused by every pass
            ids, labels = last["input_ids"], last["labels"]
            masked = labels != -100
            real = np.asarray(last["attention_mask"], dtype=bool)
            print(f"  {objective}: {len(rows)} rows; last batch {tuple(ids.shape)} {ids.dtype}, keys "
                  f"{sorted(last.keys())}; {masked.sum() / max(1, real.sum() - 2 * ids.shape[0]):.3f} of the "
                  f"non-special tokens masked, {(ids[masked] == tok.mask_token_id).mean():.3f} of them -> <mask>; "
                  f"best {best:.0f} samples/s, median {median:.0f}")
            print(f"RESULT objective={objective} impl=hf rows={len(rows)} batch={a.batch} repeat={a.repeat} "
                  f"best_sps={best:.1f} median_sps={median:.1f}")

    if "span" in only:
        rows = read_rows(os.path.join(a.rows_dir, "span_rows.txt"))
        raw, target = raw_length_for(INPUT_LENGTH, NOISE_DENSITY, MEAN_NOISE_SPAN_LENGTH)
        if (raw, target) != (568, TARGET_LENGTH) or any(len(r) != raw for r in rows):
            sys.exit(f"span rows must hold {raw} ids each (target length {target})")
        batches = [np.array(rows[i:i + a.batch], dtype=np.int64) for i in range(0, len(rows), a.batch)]
        np.random.seed(1)
        collator = T5SpanCorruption(len(tok), NOISE_DENSITY, MEAN_NOISE_SPAN_LENGTH, INPUT_LENGTH, TARGET_LENGTH,
                                    EOS_ID, PAD_ID, DECODER_START_ID)
        best, median, last = time_passes(collator, batches, len(rows), a.repeat)
        print(f"  span: {len(rows)} rows of {raw}; last batch input_ids {tuple(last['input_ids'].shape)}, labels "
              f"{tuple(last['labels'].shape)}, decoder_input_ids {tuple(last['decoder_input_ids'].shape)}; "
              f"best {best:.0f} samples/s, median {median:.0f}")
        print(f"RESULT objective=span impl=hf rows={len(rows)} batch={a.batch} repeat={a.repeat} "
              f"best_sps={best:.1f} median_sps={median:.1f}")


if __name__ == "__main__":
    main()
