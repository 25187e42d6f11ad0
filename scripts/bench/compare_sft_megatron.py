#!/usr/bin/env python3
"""Compares Tokki's SFT Megatron output (PREFIX.bin/.idx + PREFIX_loss_mask.bin/.idx) with
the reference dump of bench_sft_reference.py --dump: the same ids per conversation, and the
loss mask equal to transformers' assistant mask (Tokki never learns the first token).

Usage: compare_sft_megatron.py PREFIX REFERENCE_DUMP.jsonl   (exit 1 on any difference)
"""
import json
import struct
import sys

import numpy as np

DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 6: np.float64, 7: np.float32, 8: np.uint16}


def read(prefix):
    with open(prefix + ".idx", "rb") as f:
        assert f.read(9) == b"MMIDIDX\x00\x00"
        version, code = struct.unpack("<QB", f.read(9))
        count, = struct.unpack("<Q", f.read(8))
        _docs, = struct.unpack("<Q", f.read(8))
        lengths = np.frombuffer(f.read(4 * count), dtype=np.int32)
        pointers = np.frombuffer(f.read(8 * count), dtype=np.int64)
    data = np.fromfile(prefix + ".bin", dtype=DTYPES[code])
    size = np.dtype(DTYPES[code]).itemsize
    return [data[p // size: p // size + n] for p, n in zip(pointers, lengths)]


def main():
    prefix, dump = sys.argv[1], sys.argv[2]
    ids, masks = read(prefix), read(prefix + "_loss_mask")
    bad = 0
    with open(dump) as f:
        refs = [json.loads(line) for line in f]
    if len(refs) != len(ids):
        print(f"{len(ids)} conversations from Tokki, {len(refs)} from the reference")
        sys.exit(1)
    for i, r in enumerate(refs):
        want_mask = list(r["mask"])
        if want_mask:
            want_mask[0] = 0
        if ids[i].tolist() != r["ids"]:
            bad += 1
            if bad <= 3:
                print(f"conversation {i}: ids differ")
        elif masks[i].tolist() != want_mask:
            bad += 1
            if bad <= 3:
                diff = [k for k, (a, b) in enumerate(zip(masks[i].tolist(), want_mask)) if a != b]
                print(f"conversation {i}: mask differs at tokens {diff[:10]}")
    print(f"{len(refs) - bad}/{len(refs)} conversations identical (ids and masks)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
