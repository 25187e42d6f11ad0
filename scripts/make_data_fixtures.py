#!/usr/bin/env python3
"""Golden binary fixtures for Tokki's .npy, safetensors and Megatron-LM writers.

Run:  python3 -m pip install numpy 'safetensors==0.8.*'
      python3 scripts/make_data_fixtures.py

Writes into Tests/Fixtures/data/ (see the README.md there):
* *.npy with numpy's own `np.save`;
* *.safetensors with `safetensors.numpy.save_file`;
* Megatron-LM indexed datasets (.bin/.idx). megatron-core needs torch, so it is not used
  directly: `MegatronBuilder` below is a small independent re-implementation, with numpy and
  struct, of what NVIDIA/Megatron-LM `megatron/core/datasets/indexed_dataset.py` does in
  `IndexedDatasetBuilder.__init__/add_item/end_document/add_index/finalize` and
  `_IndexWriter.__enter__/write/_sequence_pointers` (non-multimodal builder), as read at
  Megatron-LM commit d98e8a64ddf34856e74b24714e3bedb2f5a39553.

All outputs are fully determined by the literals below; re-running rewrites identical bytes.
"""
import pathlib
import struct

import numpy as np
from safetensors.numpy import save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests/Fixtures/data"

# --- Megatron-LM indexed dataset ----------------------------------------------------------

# indexed_dataset.py: _INDEX_HEADER, and the DType enum codes (uint8=1 ... uint16=8).
MEGATRON_MAGIC = b"MMIDIDX\x00\x00"
MEGATRON_DTYPE_CODES = {
    np.uint8: 1, np.int8: 2, np.int16: 3, np.int32: 4,
    np.int64: 5, np.float64: 6, np.float32: 7, np.uint16: 8,
}
MEGATRON_CODE_DTYPES = {code: dtype for dtype, code in MEGATRON_DTYPE_CODES.items()}


def read_megatron_index(idx_path):
    """Own reader following `_IndexReader.__init__` (non-multimodal): returns
    (dtype, sequence_lengths[int32], sequence_pointers[int64], document_indices[int64])."""
    raw = idx_path.read_bytes()
    assert raw[:9] == MEGATRON_MAGIC
    (version,) = struct.unpack_from("<Q", raw, 9)
    assert version == 1
    (code,) = struct.unpack_from("<B", raw, 17)
    sequence_count, document_count = struct.unpack_from("<QQ", raw, 18)
    offset = 34
    lengths = np.frombuffer(raw, dtype="<i4", count=sequence_count, offset=offset)
    offset += lengths.nbytes
    pointers = np.frombuffer(raw, dtype="<i8", count=sequence_count, offset=offset)
    offset += pointers.nbytes
    doc_indices = np.frombuffer(raw, dtype="<i8", count=document_count, offset=offset)
    offset += doc_indices.nbytes
    assert offset == len(raw), "trailing bytes (sequence_modes?) in a non-multimodal index"
    return MEGATRON_CODE_DTYPES[code], lengths, pointers, doc_indices


class MegatronBuilder:
    """Mirrors IndexedDatasetBuilder with multimodal=False (so no sequence_modes)."""

    def __init__(self, prefix, dtype):
        self.prefix = prefix
        self.dtype = dtype
        self.data = bytearray()          # the .bin contents (written in finalize)
        self.sequence_lengths = []
        self.document_indices = [0]      # starts with a leading 0, as in __init__

    def add_item(self, tokens):
        # add_item: numpy.array(..., dtype=self.dtype).tobytes(order="C"); length = .size
        arr = np.array(tokens, dtype=self.dtype)
        self.data += arr.tobytes(order="C")
        self.sequence_lengths.append(int(arr.size))

    def end_document(self):
        # end_document: append the current sequence count
        self.document_indices.append(len(self.sequence_lengths))

    def add_index(self, other_prefix):
        # add_index: extend lengths, shift the other index's document_indices by our
        # sequence count and drop its leading 0, then append its .bin verbatim.
        dtype, lengths, _pointers, doc_indices = read_megatron_index(
            other_prefix.with_suffix(".idx"))
        assert dtype == self.dtype
        offset = len(self.sequence_lengths)
        self.sequence_lengths.extend(int(n) for n in lengths)
        self.document_indices.extend(int(d) for d in (offset + doc_indices)[1:])
        self.data += other_prefix.with_suffix(".bin").read_bytes()

    def finalize(self):
        self.prefix.with_suffix(".bin").write_bytes(bytes(self.data))
        # _IndexWriter.__enter__: magic, <Q version 1, <B dtype code.
        out = bytearray(MEGATRON_MAGIC)
        out += struct.pack("<Q", 1)
        out += struct.pack("<B", MEGATRON_DTYPE_CODES[self.dtype])
        # _IndexWriter._sequence_pointers: running byte offset, length * itemsize.
        itemsize = np.dtype(self.dtype).itemsize
        pointers, ptr = [], 0
        for n in self.sequence_lengths:
            pointers.append(ptr)
            ptr += n * itemsize
        # _IndexWriter.write: <Q sequence count, <Q len(document_indices) (documents + 1),
        # int32 lengths, int64 pointers, int64 document indices; sequence_modes only when
        # multimodal (never here).
        out += struct.pack("<Q", len(self.sequence_lengths))
        out += struct.pack("<Q", len(self.document_indices))
        out += np.array(self.sequence_lengths, dtype="<i4").tobytes(order="C")
        out += np.array(pointers, dtype="<i8").tobytes(order="C")
        out += np.array(self.document_indices, dtype="<i8").tobytes(order="C")
        self.prefix.with_suffix(".idx").write_bytes(bytes(out))


def write_megatron(name, dtype, documents):
    """One sequence per document: add_item + end_document per document (the pattern of
    tools/preprocess_data.py without --split-sentences)."""
    builder = MegatronBuilder(OUT / name, dtype)
    for doc in documents:
        builder.add_item(doc)
        builder.end_document()
    builder.finalize()


def main():
    OUT.mkdir(parents=True, exist_ok=True)

    # --- .npy ---
    np.save(OUT / "a_int32.npy", np.array([[1, -100, 3], [40000, 5, 6]], dtype=np.int32))
    np.save(OUT / "b_int64.npy", np.array([[0, 1], [2, -100], [7, 8]], dtype=np.int64))
    np.save(OUT / "c_uint16_1d.npy", np.array([0, 1, 65535, 300], dtype=np.uint16))
    np.save(OUT / "d_int32_empty.npy", np.zeros((0, 4), dtype=np.int32))

    # --- safetensors ---
    tensors = {
        "input_ids": [[5, 6, 7], [8, 9, 10]],
        "labels": [[-100, 6, -100], [8, -100, -100]],
        "attention_mask": [[1, 1, 1], [1, 1, 0]],
    }
    save_file({k: np.array(v, dtype=np.int32) for k, v in tensors.items()},
              str(OUT / "tensors_i32.safetensors"), metadata={"objective": "mlm"})
    save_file({k: np.array(v, dtype=np.int64) for k, v in tensors.items()},
              str(OUT / "tensors_i64.safetensors"))

    # --- Megatron-LM ---
    write_megatron("docs_u16", np.uint16, [[1, 2, 3], [65535, 0], [7]])
    # The empty document is representable: add_item of an empty array writes no bytes and
    # records a sequence of length 0 (its pointer equals the next sequence's pointer).
    write_megatron("docs_i32", np.int32, [[70000, 1], [], [5, 6, 7, 8]])
    write_megatron("docs_u16b", np.uint16, [[9, 9], [10]])
    merged = MegatronBuilder(OUT / "merged_u16", np.uint16)
    merged.add_index(OUT / "docs_u16")
    merged.add_index(OUT / "docs_u16b")
    merged.finalize()

    # Self-check of the merge against writing the same five documents directly.
    _, lengths, pointers, docs = read_megatron_index(OUT / "merged_u16.idx")
    assert lengths.tolist() == [3, 2, 1, 2, 1]
    assert pointers.tolist() == [0, 6, 10, 12, 16]
    assert docs.tolist() == [0, 1, 2, 3, 4, 5]

    for path in sorted(OUT.iterdir()):
        if path.name != "README.md":
            print(f"{path.stat().st_size:6d}  {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
