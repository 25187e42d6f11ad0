#!/usr/bin/env python3
"""The reference side of scripts/bench/bench_sft.sh: transformers' apply_chat_template with
tokenize=True, return_dict=True, return_assistant_tokens_mask=True, one conversation at a
time on one thread (what a TRL-style preprocessing map does per record).

Prints one JSON line: {"load_s", "parse_s", "best_s", "runs_s", "conversations", "tokens"}
where load_s is AutoTokenizer.from_pretrained(DIR), parse_s reading the JSONL, and best_s the
best of --repeat runs over all conversations. With --dump FILE the ids and masks of the last
run are written, one JSON line per conversation ({"ids", "mask"}), for the ids check.

Usage: bench_sft_reference.py MODEL_DIR CONVERSATIONS.jsonl [--repeat 3] [--dump FILE]
"""
import argparse
import json
import os
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("conversations")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dump")
    args = ap.parse_args()
    import transformers  # noqa: F401  (import time is not counted)
    from transformers import AutoTokenizer

    t = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(args.model)
    load = time.perf_counter() - t
    t = time.perf_counter()
    with open(args.conversations, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    parse = time.perf_counter() - t
    runs = []
    outs = None
    for _ in range(args.repeat):
        outs = []
        t = time.perf_counter()
        for r in records:
            outs.append(tok.apply_chat_template(r["messages"], tokenize=True, return_dict=True,
                                                return_assistant_tokens_mask=True))
        runs.append(time.perf_counter() - t)
    tokens = sum(len(o["input_ids"]) for o in outs)
    if args.dump:
        with open(args.dump, "w") as f:
            for o in outs:
                f.write(json.dumps({"ids": list(o["input_ids"]), "mask": list(o["assistant_masks"])}) + "\n")
    print(json.dumps({"load_s": load, "parse_s": parse, "best_s": min(runs), "runs_s": runs,
                      "conversations": len(records), "tokens": tokens}))


if __name__ == "__main__":
    main()
