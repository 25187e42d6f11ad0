#!/usr/bin/env python3
"""Reference outputs for the published SentencePiece models in .models/.

    bash scripts/fetch-published-models.sh      # fetches .models/*.model, then runs this
    python3 scripts/make_published_expectations.py [--only gemma,llama2] [--summary]

For every .models/<name>.model writes .models/<name>.expected.json (NOT
committed; Swift tests skip when it is absent).  The layout is the one of the
committed fixtures (see scripts/make_sentencepiece_fixtures.py), computed for
the inputs of Tests/Fixtures/sentencepiece/inputs.json, with two differences:
"trainer_args" is null, and "trainer_spec" (read from the model,
without the `input`/`model_prefix` paths) and "source" (package, member,
archive) are added.  Needs sentencepiece 0.2.x (pip install 'sentencepiece==0.2.3').
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import spm_proto  # noqa: E402
import make_sentencepiece_fixtures as fx  # noqa: E402

INPUTS = os.path.join(ROOT, "Tests", "Fixtures", "sentencepiece", "inputs.json")


def describe(path: str) -> dict:
    with open(path, "rb") as fh:
        model = spm_proto.parse_model(fh.read())
    ts, ns = model["trainer_spec"], model["normalizer_spec"]
    counts: dict = {}
    for _p, _s, t in model["pieces"]:
        counts[t] = counts.get(t, 0) + 1
    return {
        "vocab": len(model["pieces"]),
        "type": ts.get("model_type", "UNIGRAM"),
        "byte_fallback": bool(ts.get("byte_fallback", False)),
        "normalizer": ns.get("name", "?"),
        "charsmap": len(ns.get("precompiled_charsmap", b"")),
        "add_dummy_prefix": ns.get("add_dummy_prefix", True),
        "remove_extra_whitespaces": ns.get("remove_extra_whitespaces", True),
        "split_digits": ts.get("split_digits", False),
        "counts": counts,
        "model": model,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-dir", default=os.path.join(ROOT, ".models"))
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--summary", action="store_true", help="print a table and exit")
    args = ap.parse_args(argv)

    paths = sorted(glob.glob(os.path.join(args.models_dir, "*.model")))
    if args.only:
        want = set(args.only.split(","))
        paths = [p for p in paths if os.path.basename(p)[:-6] in want]
    if not paths:
        print(f"no .model files in {args.models_dir}: run scripts/fetch-published-models.sh",
              file=sys.stderr)
        return 1

    if args.summary:
        print(f"  {'name':28s} {'type':7s} {'vocab':>7s} {'byte_fb':7s} {'normalizer':10s} "
              f"{'dummy':5s} {'rm_ws':5s} {'digits':6s} {'bytes':>9s}  piece types")
        for p in paths:
            d = describe(p)
            name = os.path.basename(p)[:-6]
            types = ",".join(f"{k}={v}" for k, v in sorted(d["counts"].items()))
            print(f"  {name:28s} {d['type']:7s} {d['vocab']:7d} {str(d['byte_fallback']):7s} "
                  f"{d['normalizer']:10s} {str(d['add_dummy_prefix']):5s} "
                  f"{str(d['remove_extra_whitespaces']):5s} {str(d['split_digits']):6s} "
                  f"{os.path.getsize(p):9d}  {types}")
        return 0

    import sentencepiece as spm
    sp_version = spm.__version__
    if not sp_version.startswith("0.2."):
        print(f"sentencepiece {sp_version} found; 0.2.x required", file=sys.stderr)
        return 1
    with open(INPUTS, encoding="utf-8") as fh:
        inputs = json.load(fh)
    inputs_sha = fx.sha256_file(INPUTS)

    for p in paths:
        name = os.path.basename(p)[:-6]
        t0 = time.time()
        d = describe(p)
        exp = fx.expectations(spm, sp_version, name, p, {}, inputs, inputs_sha)
        exp["inputs"] = "Tests/Fixtures/sentencepiece/inputs.json"
        exp["trainer_args"] = None
        ts = dict(d["model"]["trainer_spec"])
        ts.pop("input", None)
        ts.pop("model_prefix", None)
        exp["trainer_spec"] = ts
        src = p + ".source"
        if os.path.exists(src):
            with open(src, encoding="utf-8") as fh:
                _f, req, member, arc = fh.read().rstrip("\n").split("\t")
            exp["source"] = {"package": req, "member": member, "archive": arc}
        out = os.path.join(args.models_dir, name + ".expected.json")
        fx.dump_json(exp, out)
        print(f"  {name:28s} expected.json {os.path.getsize(out):9d} B  ({time.time() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
