#!/usr/bin/env python3
"""`tokki extend` against the reference libraries: for each base (test fixtures, and the
published models when fetched), extend it on Korean text, then check with sentencepiece /
tokenizers that
  - every base id keeps its piece (and, for .model files, its score and type),
  - every new id holds the piece PREFIX.init.json names,
  - the reference encodes held-out lines (Korean, English, CRLF-stripped, odd characters) to
    exactly the ids `tokki encode` gives with the extended file,
  - lines without Hangul keep their ids (the default --scripts hangul).

  check_extend.py --tokki PATH [--work DIR]
"""
import argparse, json, os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
CASES = [  # base, add, whether published
    ("Tests/Fixtures/sentencepiece/bpe_nfkc_bf.model", 300, False),
    ("Tests/Fixtures/sentencepiece/bpe_identity.model", 300, False),
    ("Tests/Fixtures/sentencepiece/unigram_nfkc_bf.model", 200, False),
    ("Tests/Fixtures/hf/bytelevel_bpe.json", 300, False),
    ("Tests/Fixtures/hf/metaspace_bpe_bf.json", 300, False),
    (".models/mistral_v1.model", 2000, True),
    (".models/llama2.model", 2000, True),
    (".models/maxtext_default_unigram_32k.model", 1000, True),
    (".models/qwen3.tokenizer.json", 2000, True),
    (".models/llama2_hf.tokenizer.json", 2000, True),
    (".models/gpt2.derived.tokenizer.json", 2000, True),
]


def reference(path):
    if path.endswith(".model"):
        import sentencepiece as spm
        from sentencepiece import sentencepiece_model_pb2 as pb
        sp = spm.SentencePieceProcessor(model_file=path)
        m = pb.ModelProto(); m.ParseFromString(open(path, "rb").read())
        pieces = [(p.piece, p.score, p.type) for p in m.pieces]
        return (lambda t: sp.encode(t)), pieces
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(path)
    vocab = tok.get_vocab(with_added_tokens=True)
    pieces = [None] * (max(vocab.values()) + 1)
    for t, i in vocab.items():
        pieces[i] = t
    return (lambda t: tok.encode(t, add_special_tokens=False).ids), pieces


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokki", required=True)
    ap.add_argument("--work")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="tokki-check-extend-")
    train = os.path.join(ROOT, ".corpus/ko_help.txt")
    if not os.path.exists(train):
        train = os.path.join(ROOT, "Tests/Fixtures/text/korean-sample.txt")
    held = [os.path.join(ROOT, ".corpus", f) for f in ("kobill.txt", "constitution.txt") if os.path.exists(os.path.join(ROOT, ".corpus", f))]
    lines = []
    for f in held + [os.path.join(ROOT, "Tests/Fixtures/text/korean-sample.txt")]:
        lines += open(f, encoding="utf-8").read().splitlines()
    lines += ["The quick brown fox jumps over the lazy dog.", "Section 3(b) — “quoted” naïve café, 2024.", "  two  spaces\ttab ",
              "한국어 English 混合 text ①②", "ㅋㅋㅋ ㄱㄴㄷ 힣힣", "", "🦄 emoji 한"]
    text = os.path.join(work, "held.txt")
    with open(text, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    failures = 0
    for base, add, published in CASES:
        path = os.path.join(ROOT, base)
        if not os.path.exists(path):
            print(f"skip {base} (not fetched)")
            continue
        ext = ".model" if base.endswith(".model") else ".json"
        prefix = os.path.join(work, os.path.basename(base).split(".")[0])
        r = subprocess.run([a.tokki, "extend", "--model", path, "--input", train, "--add", str(add), "--reserve", "2",
                            "--output", prefix, "--quiet"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {base}: tokki extend exited {r.returncode}: {r.stderr.strip()}"); failures += 1; continue
        enc_b, pieces_b = reference(path)
        enc_e, pieces_e = reference(prefix + ext)
        init = json.load(open(prefix + ".init.json"))
        problems = []
        if any(p is not None and pieces_e[i] != p for i, p in enumerate(pieces_b)):
            problems.append("a base id changed")
        names = [(p["id"], p["piece"]) for p in init["new"]]
        if any((pieces_e[i][0] if ext == ".model" else pieces_e[i]) != piece for i, piece in names):
            problems.append("a new id does not hold its piece")
        out = subprocess.run([a.tokki, "encode", "--model", prefix + ext], stdin=open(text, "rb"), capture_output=True, text=True)
        got = out.stdout.split("\n")
        mismatched = unchanged = other = 0
        for k, line in enumerate(lines):
            ids = enc_e(line)
            if got[k] != " ".join(map(str, ids)):
                mismatched += 1
                if mismatched <= 2:
                    problems.append(f"line {k + 1} {line[:40]!r}: tokki {got[k][:60]} / reference {' '.join(map(str, ids))[:60]}")
            if line and not HANGUL.search(line):
                other += 1
                unchanged += enc_b(line) == ids
        if mismatched:
            problems.append(f"{mismatched} of {len(lines)} lines encode differently")
        if unchanged != other:
            problems.append(f"{other - unchanged} of {other} lines without Hangul changed")
        status = "ok" if not problems else "FAIL"
        failures += bool(problems)
        print(f"{status} {base}: {len(names)} new, {len(lines)} lines identical, {other} lines without Hangul unchanged" if not problems
              else f"{status} {base}: " + "; ".join(problems))
    failures += check_embeddings(a.tokki, work)
    return 1 if failures else 0


def check_embeddings(tokki, work):
    """--embeddings: each new row is the mean of its base rows (numpy, float64), reserved rows
    the mean of all base rows; F32 to 1e-6, F16 to its precision."""
    import numpy as np
    from safetensors.numpy import save_file, load_file
    base = os.path.join(ROOT, "Tests/Fixtures/sentencepiece/bpe_nfkc_bf.model")
    rng = np.random.default_rng(7)
    e = rng.standard_normal((2000, 16)).astype(np.float32)
    failures = 0
    for name, arr, tol in (("f32", e, 1e-6), ("f16", e.astype(np.float16), 2e-3)):
        src = os.path.join(work, f"emb_{name}.safetensors")
        save_file({"model.embed_tokens.weight": arr}, src)
        prefix = os.path.join(work, f"emb_{name}")
        r = subprocess.run([tokki, "extend", "--model", base, "--input", os.path.join(ROOT, "Tests/Fixtures/text/korean-sample.txt"),
                            "--add", "60", "--reserve", "2", "--output", prefix, "--embeddings", src, "--quiet"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL embeddings {name}: exit {r.returncode}: {r.stderr.strip()}"); failures += 1; continue
        out = load_file(prefix + ".embeddings.safetensors")["model.embed_tokens.weight"]
        init = json.load(open(prefix + ".init.json"))
        ok = out.shape == (2062, 16) and out.dtype == arr.dtype and np.array_equal(out[:2000], arr)
        a64 = arr.astype(np.float64)
        for p in init["new"]:
            ok = ok and np.allclose(out[p["id"]].astype(np.float64), a64[p["base_ids"]].mean(axis=0), atol=tol, rtol=tol)
        for i in init["reserved"]:
            ok = ok and np.allclose(out[i].astype(np.float64), a64.mean(axis=0), atol=tol, rtol=tol)
        print(("ok" if ok else "FAIL") + f" embeddings {name}: 60 new rows are the means of their base rows, 2 reserved rows the mean of all")
        failures += not ok
    return failures


if __name__ == "__main__":
    sys.exit(main())
