#!/usr/bin/env python3
"""Reference values for Tokki's de-duplication tests (Tests/Fixtures/cleaning/).

- murmur3.json: MurmurHash3 x64 128-bit digests from the `mmh3` package (hash_bytes: the first
  64-bit half then the second, each little-endian), for Tokki's Hash128.
- lsh_params.json: datasketch's MinHashLSH choice of (bands, rows) for several thresholds and
  permutation counts (its `_optimal_param` with equal false-positive/negative weights).

Run: pip install mmh3 datasketch && python3 scripts/make_cleaning_fixtures.py
Generated data; no third-party text.
"""
import json
import os

import mmh3
from datasketch import MinHashLSH

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "cleaning")
os.makedirs(OUT, exist_ok=True)

keys = [b"", b"a", b"hello", b"0123456789abcdef", b"0123456789abcdefXYZ", b"0123456789abcde",
        "대한민국은 민주공화국이다.".encode(), bytes(range(256))]
cases = []
for k in keys:
    for seed in (0, 42, 0x746F6B6B69 & 0xFFFFFFFF):
        cases.append({"hex_input": k.hex(), "seed": seed, "digest": mmh3.hash_bytes(k, seed).hex()})
with open(os.path.join(OUT, "murmur3.json"), "w") as f:
    json.dump({"mmh3": mmh3.__version__ if hasattr(mmh3, "__version__") else "?", "cases": cases}, f, indent=1)

params = []
for threshold in (0.5, 0.7, 0.8, 0.9):
    for num_perm in (64, 128, 256):
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        params.append({"threshold": threshold, "num_perm": num_perm, "bands": lsh.b, "rows": lsh.r})
with open(os.path.join(OUT, "lsh_params.json"), "w") as f:
    json.dump({"cases": params}, f, indent=1)
print(params)
