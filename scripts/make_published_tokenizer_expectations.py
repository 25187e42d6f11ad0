#!/usr/bin/env python3
"""Reference outputs for the published tokenizer files in .models/.

    bash scripts/fetch-published-tokenizers.sh     # fetches the files, then runs this
    python3 scripts/make_published_tokenizer_expectations.py [--only qwen3.tokenizer.json,...] [--summary]

For every file fetched by scripts/fetch-published-tokenizers.sh this writes
.models/<file>.expected.json (NOT committed; Swift tests skip when it is absent).
The texts are every input of Tests/Fixtures/sentencepiece/inputs.json (looked up
by "name"; their text is not repeated) plus, when .corpus/ko_help.txt exists
(scripts/fetch-corpus.sh), its first 300 non-blank lines as cases "ko_help_1" …
"ko_help_300" (these cases carry their "text").

Layouts (all strings are Python str -> JSON, UTF-8; offsets are Python str
indices, i.e. Unicode scalar offsets into the original text, end exclusive):

  *.tokenizer.json  (tokenizers.Tokenizer.from_file)
    {"kind": "tokenizer.json", "tokenizers_version", "tokenizer": file, "sha256",
     "source", "components": {"normalizer", "pre_tokenizer", "model",
     "post_processor", "decoder"}   (type names; a Sequence is "Sequence[A,B]"),
     "config": {...the JSON of those components, the model without vocab/merges...},
     "model_summary", "added_tokens_summary",
     "cases": [{"name", "text"?, "ids", "offsets",   encode(text, add_special_tokens=False)
                "ids_special",                        encode(text) (add_special_tokens=True)
                "decoded"}]}                          decode(ids_special, skip_special_tokens=True)

  *.derived.tokenizer.json  -- the same, for tokenizers built with `tokenizers`
    from published vocabulary files that have no tokenizer.json of their own
    (GPT-2 vocab.json + merges.txt, BERT vocab.txt, CLIP bpe_simple_vocab_16e6.txt.gz,
    and o200k_base.tiktoken converted as transformers' TikTokenConverter does);
    the derived file is written next to them by this script and "derived_from" /
    "derivation" say how.

  *.tiktoken  (tiktoken.Encoding(name, pat_str, load_tiktoken_bpe(file), special_tokens={}))
    {"kind": "tiktoken", "tiktoken_version", "model": file, "sha256", "source",
     "pattern": name, "pattern_str", "ranks",
     "cases": [{"name", "text"?, "ids", "decoded"}]}   encode_ordinary / decode
    (the same layout as .models/llama3.tiktoken.expected.json, plus fields)

  mistral_tekken_*.json  (mistral_common's Tekkenizer.from_file when importable,
    otherwise the same construction with tiktoken, see tekken_reference())
    {"kind": "tekken", "reference", "mistral_common_version", "tiktoken_version",
     "tokenizer": file, "sha256", "source", "pattern", "version",
     "default_vocab_size", "num_special_tokens", "num_vocab_tokens",
     "inner_vocab_size", "bos_id", "eos_id",
     "cases": [{"name", "text"?, "ids", "decoded"}]}   encode(text, bos=False, eos=False) / decode
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
INPUTS = os.path.join(ROOT, "Tests", "Fixtures", "sentencepiece", "inputs.json")
KO_HELP = os.path.join(ROOT, ".corpus", "ko_help.txt")
KO_HELP_LINES = 300

# --- patterns -----------------------------------------------------------------

# openai-whisper 20250625, whisper/tokenizer.py get_encoding(): used for both
# gpt2.tiktoken and multilingual.tiktoken (GPT-2's original regex).
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# dashscope 2.0.2, dashscope/tokenizers/qwen_tokenizer.py PAT_STR (Qwen-1; single digits).
QWEN_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
# llama-models 0.3.0, llama_models/llama4/tokenizer.py Tokenizer.O200K_PATTERN.
LLAMA4_PATTERN = (
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"""
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"""
    r"""\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)


def tiktoken_patterns() -> dict:
    """The exact pat_str of tiktoken's own encodings, read without any download."""
    import tiktoken_ext.openai_public as op
    real = op.load_tiktoken_bpe
    op.load_tiktoken_bpe = lambda *a, **k: {}
    try:
        pats = {n: getattr(op, n + "_base")()["pat_str"] for n in ("r50k", "p50k", "cl100k", "o200k")}
    finally:
        op.load_tiktoken_bpe = real
    pats["gpt2"] = GPT2_PATTERN
    pats["qwen"] = QWEN_PATTERN
    pats["llama4"] = LLAMA4_PATTERN
    return pats


# --- what to do with each fetched file ------------------------------------------

REGISTRY = [
    # (file, kind, options)
    ("anthropic_claude.tokenizer.json", "hf", {}),
    ("deepseek_v3.tokenizer.json", "hf", {}),
    ("qwen3.tokenizer.json", "hf", {}),
    ("llama2_hf.tokenizer.json", "hf", {}),
    ("tortoise_tts.tokenizer.json", "hf", {}),
    ("r50k_base.tiktoken", "tiktoken", {"pattern": "r50k"}),
    ("whisper_multilingual.tiktoken", "tiktoken", {"pattern": "gpt2"}),
    ("p50k_base.tiktoken", "tiktoken", {"pattern": "p50k"}),
    ("cl100k_base.tiktoken", "tiktoken", {"pattern": "cl100k"}),
    ("o200k_base.tiktoken", "tiktoken", {"pattern": "o200k"}),
    ("qwen.tiktoken", "tiktoken", {"pattern": "qwen"}),
    ("llama4.tiktoken", "tiktoken", {"pattern": "llama4"}),
    ("mistral_tekken_240718.json", "tekken", {}),
    ("mistral_tekken_240911.json", "tekken", {}),
    ("gpt2.derived.tokenizer.json", "gpt2", {"from": ["gpt2.vocab.json", "gpt2.merges.txt"]}),
    ("bert_base_uncased.derived.tokenizer.json", "bert", {"from": ["bert_base_uncased.vocab.txt"]}),
    ("clip.derived.tokenizer.json", "clip", {"from": ["clip.bpe_simple_vocab_16e6.txt.gz"]}),
    ("o200k.derived.tokenizer.json", "o200k", {"from": ["o200k_base.tiktoken"]}),
]


# --- helpers --------------------------------------------------------------------

def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def source_of(models: str, file: str) -> dict | None:
    p = os.path.join(models, file + ".source")
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as fh:
        parts = fh.read().rstrip("\n").split("\t")
    keys = ["file", "package", "member", "archive"]
    return dict(zip(keys, parts))


def load_texts() -> list:
    """[(name, text, carry_text)]"""
    with open(INPUTS, encoding="utf-8") as fh:
        inputs = json.load(fh)
    texts = [(x["name"], x["text"], False) for x in inputs]
    if os.path.exists(KO_HELP):
        with open(KO_HELP, encoding="utf-8", newline="") as fh:
            lines = fh.read().split("\n")
        n = 0
        for line in lines:
            if line.endswith("\r"):
                line = line[:-1]
            if not line.strip():
                continue
            n += 1
            texts.append((f"ko_help_{n}", line, True))
            if n == KO_HELP_LINES:
                break
    return texts


def case(name: str, text: str, carry: bool, **fields) -> dict:
    c = {"name": name}
    if carry:
        c["text"] = text
    c.update(fields)
    return c


def dump(obj, path: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")
    os.replace(tmp, path)


# --- tokenizer.json ---------------------------------------------------------------

def type_name(component) -> str | None:
    if component is None:
        return None
    t = component.get("type")
    for key in ("normalizers", "pretokenizers", "processors", "decoders"):
        if t == "Sequence" and key in component:
            return "Sequence[" + ",".join(type_name(c) or "null" for c in component[key]) + "]"
    return t


def describe_hf(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        j = json.load(fh)
    model = j["model"]
    merges = model.get("merges")
    model_summary = {k: v for k, v in model.items() if k not in ("vocab", "merges")}
    model_summary["vocab_size"] = len(model.get("vocab") or [])
    if merges is not None:
        model_summary["merges_count"] = len(merges)
        model_summary["merges_format"] = ("pairs [[a,b]]" if merges and isinstance(merges[0], list)
                                          else "strings \"a b\"")
    added = j.get("added_tokens") or []
    flags = {f: sum(1 for a in added if a.get(f)) for f in ("special", "lstrip", "rstrip", "single_word", "normalized")}
    return {
        "components": {
            "normalizer": type_name(j.get("normalizer")),
            "pre_tokenizer": type_name(j.get("pre_tokenizer")),
            "model": model.get("type"),
            "post_processor": type_name(j.get("post_processor")),
            "decoder": type_name(j.get("decoder")),
        },
        "config": {
            "normalizer": j.get("normalizer"),
            "pre_tokenizer": j.get("pre_tokenizer"),
            "model": model_summary,
            "post_processor": j.get("post_processor"),
            "decoder": j.get("decoder"),
            "truncation": j.get("truncation"),
            "padding": j.get("padding"),
        },
        "model_summary": model_summary,
        "added_tokens_summary": {
            "count": len(added),
            "flags": flags,
            "ids": [min((a["id"] for a in added), default=None), max((a["id"] for a in added), default=None)],
            "non_special": [a["content"] for a in added if not a.get("special")][:50],
        },
    }


def hf_expectations(path: str, texts: list) -> dict:
    import tokenizers
    tok = tokenizers.Tokenizer.from_file(path)
    cases = []
    for name, text, carry in texts:
        plain = tok.encode(text, add_special_tokens=False)
        special = tok.encode(text)
        cases.append(case(name, text, carry,
                          ids=plain.ids,
                          offsets=[list(o) for o in plain.offsets],
                          ids_special=special.ids,
                          decoded=tok.decode(special.ids, skip_special_tokens=True)))
    out = {"kind": "tokenizer.json", "tokenizers_version": tokenizers.__version__,
           "tokenizer": os.path.basename(path), "sha256": sha256_file(path)}
    out.update(describe_hf(path))
    out["cases"] = cases
    return out


# --- derived tokenizer.json files (published vocabularies without one) ------------

def derive_gpt2(models: str, dest: str) -> dict:
    """GPT-2 as in the Hub's gpt2/tokenizer.json: byte-level BPE, no normalizer."""
    from tokenizers import Tokenizer, decoders, models as m, pre_tokenizers, processors
    vocab, merges = (os.path.join(models, f) for f in ("gpt2.vocab.json", "gpt2.merges.txt"))
    tok = Tokenizer(m.BPE.from_file(vocab, merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<|endoftext|>"])  # id 50256, already in the vocabulary
    tok.save(dest)
    return {"derivation": "tokenizers: Tokenizer(BPE.from_file(gpt2.vocab.json, gpt2.merges.txt)), "
                          "pre_tokenizer ByteLevel(add_prefix_space=False), post_processor "
                          "ByteLevel(trim_offsets=False), decoder ByteLevel, special <|endoftext|> "
                          "(the layout of the Hub's gpt2 tokenizer.json)"}


def derive_bert(models: str, dest: str) -> dict:
    """bert-base-uncased as in the Hub's tokenizer.json (lowercase + accent stripping)."""
    from tokenizers import Tokenizer, decoders, models as m, normalizers, pre_tokenizers, processors
    vocab = os.path.join(models, "bert_base_uncased.vocab.txt")
    wp = m.WordPiece.from_file(vocab, unk_token="[UNK]", max_input_chars_per_word=100)
    tok = Tokenizer(wp)
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    v = tok.get_vocab()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", v["[CLS]"]), ("[SEP]", v["[SEP]"])])
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.save(dest)
    return {"derivation": "tokenizers: WordPiece.from_file(bert_base_uncased.vocab.txt, unk [UNK], "
                          "max_input_chars_per_word 100), BertNormalizer(clean_text, "
                          "handle_chinese_chars, strip_accents=None (follows lowercase), lowercase), "
                          "BertPreTokenizer, TemplateProcessing [CLS] $A [SEP], decoder WordPiece(##, "
                          "cleanup), special [PAD] [UNK] [CLS] [SEP] [MASK] (the layout of the Hub's "
                          "bert-base-uncased tokenizer.json)"}


def bytes_to_unicode() -> dict:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def derive_clip(models: str, dest: str) -> dict:
    """CLIP as openai/CLIP's SimpleTokenizer builds its vocabulary, in the layout of
    transformers' CLIPConverter (convert_slow_tokenizer.py)."""
    from tokenizers import Regex, Tokenizer, decoders, models as m, normalizers, pre_tokenizers, processors
    with gzip.open(os.path.join(models, "clip.bpe_simple_vocab_16e6.txt.gz"), "rt", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(pair) for pair in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    encoder = {v: i for i, v in enumerate(vocab)}
    assert len(encoder) == 49408
    tok = Tokenizer(m.BPE(vocab=encoder, merges=merges, dropout=None, continuing_subword_prefix="",
                          end_of_word_suffix="</w>", fuse_unk=False, unk_token="<|endoftext|>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                           normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""),
                             behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.RobertaProcessing(("<|endoftext|>", 49407), ("<|startoftext|>", 49406),
                                                      trim_offsets=False, add_prefix_space=False)
    tok.add_special_tokens(["<|startoftext|>", "<|endoftext|>"])
    tok.save(dest)
    return {"derivation": "vocabulary as openai/CLIP SimpleTokenizer builds it from "
                          "bpe_simple_vocab_16e6.txt.gz (256 byte symbols, the same + '</w>', 48894 merges, "
                          "<|startoftext|> 49406, <|endoftext|> 49407); pipeline of transformers 5.24 "
                          "CLIPConverter: BPE(continuing_subword_prefix='', end_of_word_suffix='</w>', "
                          "unk <|endoftext|>), normalizer Sequence[NFC, Replace(\\s+ -> ' '), Lowercase], "
                          "pre_tokenizer Sequence[Split(CLIP regex, removed, invert), ByteLevel], decoder "
                          "ByteLevel, post_processor RobertaProcessing. Not the openai `clip` package's "
                          "own tokenize() (which also runs ftfy and html.unescape)."}


def tiktoken_vocab_merges(ranks: dict) -> tuple:
    """(vocab, merges) as transformers 5.24 TikTokenConverter.extract_vocab_merges_from_model
    (convert_slow_tokenizer.py) builds them: vocab = {bytes_to_unicode(token): rank}; merges =
    for every token of >= 2 bytes, every split into two byte strings that are both tokens,
    ordered by (rank of the token, rank of the left part, rank of the right part)."""
    enc = bytes_to_unicode()

    def s(b: bytes) -> str:
        return "".join(enc[x] for x in b)

    vocab = {s(token): rank for token, rank in ranks.items()}
    merges = []
    for token, rank in ranks.items():
        for i in range(1, len(token)):
            left, right = token[:i], token[i:]
            rl, rr = ranks.get(left), ranks.get(right)
            if rl is not None and rr is not None:
                merges.append((rank, rl, rr, left, right))
    merges.sort(key=lambda m: m[:3])
    return vocab, [(s(m[3]), s(m[4])) for m in merges]


def derive_o200k(models: str, dest: str) -> dict:
    """o200k_base as a tokenizer.json, converted from the tiktoken rank file the way
    transformers' TikTokenConverter does it (byte-level BPE, ignore_merges)."""
    from tiktoken.load import load_tiktoken_bpe
    from tokenizers import Regex, Tokenizer, decoders, models as m, pre_tokenizers
    ranks = load_tiktoken_bpe(os.path.join(models, "o200k_base.tiktoken"))
    vocab, merges = tiktoken_vocab_merges(ranks)
    assert len(vocab) == len(ranks) and sorted(vocab.values()) == list(range(len(ranks)))
    tok = Tokenizer(m.BPE(vocab=vocab, merges=merges, fuse_unk=False, ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(tiktoken_patterns()["o200k"]), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.save(dest)
    return {"derivation": "transformers 5.24 TikTokenConverter from o200k_base.tiktoken: vocab "
                          "{bytes_to_unicode(token): rank}; merges = every split of every token of >= 2 "
                          "bytes into two tokens, ordered by (rank of the token, rank of left, rank of "
                          "right), saved as [a, b] pairs; BPE(fuse_unk=False, ignore_merges=True), no "
                          "unk; pre_tokenizer Sequence[Split(Regex(tiktoken o200k_base pat_str), "
                          "isolated), ByteLevel(add_prefix_space=False, use_regex=False)], decoder "
                          "ByteLevel; no normalizer, no special tokens, and no post_processor (the "
                          "converter also sets a no-op ByteLevel(trim_offsets=False) post_processor)"}


DERIVERS = {"gpt2": derive_gpt2, "bert": derive_bert, "clip": derive_clip, "o200k": derive_o200k}


# --- tiktoken ---------------------------------------------------------------------

def tiktoken_expectations(path: str, pattern: str, patterns: dict, texts: list) -> dict:
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe
    ranks = load_tiktoken_bpe(path)
    enc = tiktoken.Encoding(os.path.basename(path), pat_str=patterns[pattern], mergeable_ranks=ranks,
                            special_tokens={})
    cases = []
    for name, text, carry in texts:
        ids = enc.encode_ordinary(text)
        cases.append(case(name, text, carry, ids=ids, decoded=enc.decode(ids)))
    same_as = sorted(n for n, p in patterns.items() if p == patterns[pattern] and n != pattern)
    return {"kind": "tiktoken", "tiktoken_version": tiktoken.__version__, "model": os.path.basename(path),
            "sha256": sha256_file(path), "pattern": pattern, "pattern_str": patterns[pattern],
            "pattern_same_as": same_as, "ranks": len(ranks), "cases": cases}


# --- Tekken -------------------------------------------------------------------------

def tekken_reference(path: str):
    """(encode, decode, info) with tiktoken, as mistral_common 1.13.1 Tekkenizer does:
    ranks = the first default_vocab_size - default_num_special_tokens entries of
    "vocab" (token_bytes base64), pat_str = config.pattern, no special tokens in
    tiktoken; ids are ranks + num_special_tokens; decode drops ids below
    num_special_tokens (SpecialTokenPolicy.IGNORE)."""
    import tiktoken
    with open(path, encoding="utf-8") as fh:
        j = json.load(fh)
    cfg = j["config"]
    nspecial = cfg["default_num_special_tokens"]
    inner = cfg["default_vocab_size"] - nspecial
    ranks = {}
    for i, tok in enumerate(j["vocab"][:inner]):
        assert tok["rank"] == i
        ranks[base64.b64decode(tok["token_bytes"])] = tok["rank"]
    enc = tiktoken.Encoding(os.path.basename(path).replace(".json", ""), pat_str=cfg["pattern"],
                            mergeable_ranks=ranks, special_tokens={})

    def encode(text):
        return [t + nspecial for t in enc.encode(text)]

    def decode(ids):
        return enc.decode([t - nspecial for t in ids if t >= nspecial])

    specials = j.get("special_tokens")
    info = {"pattern": cfg["pattern"], "version": cfg.get("version"),
            "default_vocab_size": cfg["default_vocab_size"], "num_special_tokens": nspecial,
            "num_vocab_tokens": cfg.get("num_vocab_tokens", len(j["vocab"])), "inner_vocab_size": inner,
            "special_tokens_in_file": None if specials is None else len(specials),
            "other_sections": sorted(k for k in j if k not in ("config", "vocab", "special_tokens"))}
    return encode, decode, info


def tekken_expectations(path: str, texts: list) -> dict:
    import tiktoken
    encode_t, decode_t, info = tekken_reference(path)
    try:
        import mistral_common
        from mistral_common.tokens.tokenizers.tekken import Tekkenizer
        tk = Tekkenizer.from_file(path)
        reference = f"mistral_common {mistral_common.__version__} Tekkenizer.from_file"
        encode = lambda s: tk.encode(s, bos=False, eos=False)  # noqa: E731
        decode = tk.decode
        mc_version = mistral_common.__version__
        bos, eos = tk.bos_id, tk.eos_id
        assert tk.num_special_tokens == info["num_special_tokens"] and tk.n_words == info["default_vocab_size"]
    except ImportError:
        reference = "tiktoken, constructed as mistral_common 1.13.1 Tekkenizer does (mistral_common not installed)"
        encode, decode, mc_version = encode_t, decode_t, None
        bos, eos = 1, 2  # <s>, </s> in the deprecated special-token list of tekken files <= v7
    cases = []
    mismatches = 0
    for name, text, carry in texts:
        ids = encode(text)
        dec = decode(ids)
        if encode is not encode_t and (encode_t(text) != ids or decode_t(ids) != dec):
            mismatches += 1
        cases.append(case(name, text, carry, ids=ids, decoded=dec))
    if mismatches:
        raise SystemExit(f"{path}: the tiktoken construction disagrees with mistral_common on {mismatches} cases")
    out = {"kind": "tekken", "reference": reference, "mistral_common_version": mc_version,
           "tiktoken_version": tiktoken.__version__, "tokenizer": os.path.basename(path),
           "sha256": sha256_file(path)}
    out.update(info)
    out.update({"bos_id": bos, "eos_id": eos,
                "crosschecked_with_tiktoken_construction": mc_version is not None})
    out["cases"] = cases
    return out


# --- main ---------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-dir", default=os.path.join(ROOT, ".models"))
    ap.add_argument("--only", help="comma-separated file names (as in .models/)")
    ap.add_argument("--summary", action="store_true", help="print what each file is and exit")
    args = ap.parse_args(argv)
    models = args.models_dir
    want = set(args.only.split(",")) if args.only else None

    patterns = tiktoken_patterns()
    texts = load_texts()
    n_ko = sum(1 for _n, _t, carry in texts if carry)
    print(f"{len(texts)} texts ({len(texts) - n_ko} from inputs.json, {n_ko} ko_help lines)")
    done = 0
    for file, kind, opts in REGISTRY:
        if want is not None and file not in want:
            continue
        path = os.path.join(models, file)
        inputs = opts.get("from", [file])
        missing = [f for f in inputs if not os.path.exists(os.path.join(models, f))]
        if missing:
            print(f"  {file:42s} skipped: missing {', '.join(missing)} (run scripts/fetch-published-tokenizers.sh)")
            continue
        t0 = time.time()
        if kind in DERIVERS:
            extra = DERIVERS[kind](models, path)
            extra["derived_from"] = [dict(source_of(models, f) or {"file": f}, sha256=sha256_file(os.path.join(models, f)))
                                     for f in inputs]
            kind = "hf"
        else:
            extra = {"source": source_of(models, file)}
        if args.summary:
            if kind == "hf":
                d = describe_hf(path)
                print(f"  {file:42s} {json.dumps(d['components'])} model={json.dumps(d['model_summary'])} "
                      f"added={json.dumps(d['added_tokens_summary'])[:300]}")
            elif kind == "tiktoken":
                print(f"  {file:42s} tiktoken pattern={opts['pattern']}")
            else:
                print(f"  {file:42s} tekken {json.dumps(tekken_reference(path)[2])[:400]}")
            continue
        if kind == "hf":
            exp = hf_expectations(path, texts)
        elif kind == "tiktoken":
            exp = tiktoken_expectations(path, opts["pattern"], patterns, texts)
        else:
            exp = tekken_expectations(path, texts)
        # provenance right after the identifying fields (up to "sha256")
        keys = list(exp)
        cut = keys.index("sha256") + 1
        exp = {**{k: exp[k] for k in keys[:cut]}, **extra, **{k: exp[k] for k in keys[cut:]}}
        out = path + ".expected.json"
        dump(exp, out)
        done += 1
        print(f"  {file:42s} {os.path.getsize(out):9d} B  {len(exp['cases'])} cases  ({time.time() - t0:.1f}s)")
    if not args.summary and done == 0:
        print(f"nothing to do in {models}: run scripts/fetch-published-tokenizers.sh", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
