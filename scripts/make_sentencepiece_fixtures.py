#!/usr/bin/env python3
"""Train small SentencePiece models and write reference outputs for Tokki tests.

How to run (from anywhere; paths are relative to the repo root):

    bash scripts/fetch-corpus.sh                  # builds .corpus/ko_all.txt etc.
    python3 -m pip install 'sentencepiece==0.2.3' # 0.2.x required; exact version is recorded
    python3 scripts/make_sentencepiece_fixtures.py            # train + expectations
    python3 scripts/make_sentencepiece_fixtures.py --expect-only  # keep .model files,
                                                   # only rewrite inputs/expectations

Outputs (committed), in Tests/Fixtures/sentencepiece/:
    <name>.model            trained model (see MODELS below for the options)
    <name>.expected.json    reference outputs of sentencepiece for every input
    inputs.json             test inputs (JSON because they contain TAB, CR, NUL...)
    MANIFEST.json           sentencepiece version, trainer args, sha256 of every file

Determinism: the training text is a fixed, deterministic subset of the corpus
(constitution + kobill in full, every 3rd Hangul-containing line of ko_help.txt), passed with
input_sentence_size=0 (use all) and shuffle_input_sentence=false; training
uses num_threads=1 and spm.set_random_generator_seed(SEED).  Re-running with
the same corpus and sentencepiece version reproduces byte-identical files
(the script checks this for one model by training it twice with --verify).

No protobuf package is needed: scripts/spm_proto.py decodes the serialized
protos.  Each model trains in 0.1-1.5 s on one core; the whole run takes ~10 s.

expected.json layout (all strings are Python str -> JSON, UTF-8):
    {
      "sentencepiece_version": "0.2.3", "model": "<name>.model", "model_sha256": ...,
      "inputs": "inputs.json", "inputs_sha256": ...,
      "trainer_args": {...},                 # exactly what was passed to the trainer
      "model_info": {vocab_size, unk_id, bos_id, eos_id, pad_id, model_type,
                     byte_fallback, normalizer: {...}, piece_type_counts: {...}},
      "piece_samples": [[id, piece, score, type], ...],   # first 20 + some others
      "cases": [                             # one per inputs.json entry, same order
        {"name": ..., "ids": [...], "pieces": [...],       # sp.encode(text) / out_type=str
         "normalized": "...",                              # sp.normalize(text)
         "decoded": "...",                                 # sp.decode(ids)
         "spans": [[begin, end], ...]}     # per-piece UTF-8 byte offsets into the
      ],                 # input, from out_type='serialized_proto' (0.2.3 rejects
                         # 'immutable_proto'); the proto's surface always equals
                         # input_utf8[begin:end], so it is not stored
      "nbest": [{"name", "nbest_size", "ids": [[...], ...]}],   # unigram only
      "decode_checks": [{"label", "ids": [...], "pieces": [...], "text": sp.decode(ids)}]
    }
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import spm_proto  # noqa: E402

CORPUS = os.path.join(ROOT, ".corpus")
OUTDIR = os.path.join(ROOT, "Tests", "Fixtures", "sentencepiece")
SAMPLE = os.path.join(ROOT, "Tests", "Fixtures", "text", "korean-sample.txt")
SEED = 20240501
HELP_STRIDE = 3
HANGUL = re.compile("[\uac00-\ud7a3]")

COMMON = dict(
    num_threads=1,
    input_sentence_size=0,
    shuffle_input_sentence=False,
    character_coverage=0.995,
    max_sentence_length=4192,
    seed_sentencepiece_size=1000000,
    hard_vocab_limit=True,
)

UDS = ["제1조", "①", "「", "」", "<sep>"]

# name -> trainer options on top of COMMON
MODELS = {
    # the 2 x 2 x 2 grid: model type x byte_fallback x normalization
    "unigram_nfkc_bf": dict(model_type="unigram", vocab_size=2000, byte_fallback=True,
                            normalization_rule_name="nmt_nfkc"),
    "unigram_nfkc": dict(model_type="unigram", vocab_size=2000, byte_fallback=False,
                         normalization_rule_name="nmt_nfkc"),
    "unigram_identity_bf": dict(model_type="unigram", vocab_size=2000, byte_fallback=True,
                                normalization_rule_name="identity"),
    "unigram_identity": dict(model_type="unigram", vocab_size=2000, byte_fallback=False,
                             normalization_rule_name="identity"),
    "bpe_nfkc_bf": dict(model_type="bpe", vocab_size=2000, byte_fallback=True,
                        normalization_rule_name="nmt_nfkc"),
    "bpe_nfkc": dict(model_type="bpe", vocab_size=2000, byte_fallback=False,
                     normalization_rule_name="nmt_nfkc"),
    "bpe_identity_bf": dict(model_type="bpe", vocab_size=2000, byte_fallback=True,
                            normalization_rule_name="identity"),
    "bpe_identity": dict(model_type="bpe", vocab_size=2000, byte_fallback=False,
                         normalization_rule_name="identity"),
    # user-defined + control symbols, pad id, custom unk surface
    "unigram_nfkc_uds": dict(model_type="unigram", vocab_size=1500, byte_fallback=True,
                             normalization_rule_name="nmt_nfkc",
                             user_defined_symbols=UDS, control_symbols=["<cls>", "<mask>"],
                             pad_id=3, unk_surface="<?>"),
    "bpe_identity_uds": dict(model_type="bpe", vocab_size=1500, byte_fallback=True,
                             normalization_rule_name="identity",
                             user_defined_symbols=UDS, control_symbols=["<cls>", "<mask>"],
                             pad_id=3),
    # case folding rule set
    "unigram_nfkc_cf": dict(model_type="unigram", vocab_size=1500, byte_fallback=True,
                            normalization_rule_name="nmt_nfkc_cf"),
    # single-option variants (identity rules keep the files small)
    "bpe_split_digits": dict(model_type="bpe", vocab_size=1500, byte_fallback=True,
                             normalization_rule_name="identity", split_digits=True),
    "unigram_no_dummy_prefix": dict(model_type="unigram", vocab_size=1500, byte_fallback=True,
                                    normalization_rule_name="identity", add_dummy_prefix=False),
    "unigram_keep_ws": dict(model_type="unigram", vocab_size=1500, byte_fallback=True,
                            normalization_rule_name="identity", remove_extra_whitespaces=False),
    "bpe_ws_suffix": dict(model_type="bpe", vocab_size=1500, byte_fallback=True,
                          normalization_rule_name="identity", treat_whitespace_as_suffix=True),
    # A denormalizer (restores what NFKC expands: (주) → ㈜, ... → …) applied by decode.
    "unigram_denorm": dict(model_type="unigram", vocab_size=1500, byte_fallback=True,
                           normalization_rule_name="nmt_nfkc", denormalization_rule_tsv="denorm.tsv"),
    # CHAR and WORD model types.
    "char_nfkc_bf_uds": dict(model_type="char", vocab_size=900, byte_fallback=True,
                             normalization_rule_name="nmt_nfkc",
                             user_defined_symbols=["<법>", "제1항", "ㄱㄴ"]),
    "char_identity": dict(model_type="char", vocab_size=900, byte_fallback=False,
                          normalization_rule_name="identity"),
    "word_identity_keep_ws": dict(model_type="word", vocab_size=1500, byte_fallback=False,
                                  normalization_rule_name="identity", remove_extra_whitespaces=False),
    "word_nfkc_bf_suffix": dict(model_type="word", vocab_size=1500, byte_fallback=True,
                                normalization_rule_name="nmt_nfkc", treat_whitespace_as_suffix=True),
}


# --------------------------------------------------------------------------- inputs
def build_inputs() -> list[dict]:
    def case(name, text):
        return {"name": name, "text": text}

    with open(os.path.join(CORPUS, "constitution.txt"), encoding="utf-8") as fh:
        constitution = fh.read()
    long_line = "".join(ch for ch in constitution if not ch.isspace())[:3000]
    assert len(long_line) == 3000

    cases = [
        case("empty", ""),
        case("space", " "),
        case("spaces3", "   "),
        case("tab", "\t"),
        case("newline", "\n"),
        case("legal_article", "제1조 ① 대한민국은 민주공화국이다."),
        case("legal_article_indented", "  제1조 ① 대한민국은 민주공화국이다.  "),
        case("legal_paragraph", "②대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."),
        case("legal_citation", "「민법」 제3조제1항"),
        case("legal_citation_long", "「민법」 제3조제1항제2호가목에 따른 같은 법 제5조의2"),
        case("legal_citation_halfwidth", "｢국가공무원법｣ 제71조제2항제4호"),
        case("legal_hanja", "第44條(休職) ① 敎育公務員이 다음 各號의 1에 該當하는 事由로"),
        case("legal_amend", "<개정 2014. 1. 7.> 법률 제10019호, <제25062호,2014.1.7>"),
        case("legal_dates", "2010․12․1 시행, 2010∼2012년, 4 ～ 6개월, ’08. 10. 27～31"),
        case("legal_enclosed", "㈜한국 ㈔법학회 ㉠ ㉡ ㉮ ㉯ ⑴ ⒜ ⑳ ㉑ ㊿"),
        case("legal_interpuncts", "정치ㆍ경제·사회․문화‧교육⋅과학･기술"),
        case("prose", "유구한 역사와 전통에 빛나는 우리 대한국민은 3·1운동으로 건립된 대한민국임시정부의 법통을 계승한다."),
        case("prose_colloquial", "오늘 날씨 진짜 좋다ㅋㅋㅋ 다들 수고ㄳ!! ㅠㅠ"),
        case("english", "The quick brown fox jumps over the lazy dog. Hello, World!"),
        case("english_case", "HELLO World ǅ ß ẞ İstanbul ΣΑΣ"),
        case("japanese", "日本国憲法は1946年11月3日に公布された。カタカナ ﾊﾝｶｸ"),
        case("chinese", "中华人民共和国宪法 大韓民國憲法"),
        case("emoji", "👍 👍🏽 ❤️ 🇰🇷"),
        case("emoji_zwj", "👨\u200d👩\u200d👧\u200d👦 가족 🏳\ufe0f\u200d🌈 🧑🏻\u200d💻"),
        case("nfd_hangul", "\u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af"),
        case("old_hangul", "\u1112\u119e\u11ab\u1100\u1173\u11af \u318d \u119e"),
        case("compat_jamo", "ㄱㅏ ㄴㅏㄹ ㅋㅋㅋ ㄳ ㅎㅎ"),
        case("compat_ideographs", "\uf914\uf95c\uf9bf 樂"),
        case("nfkc_compat", "ＡＢＣ１２３ ﬁ ½ ㎞ ㍿ ℡ ① Ⅻ"),
        case("leading_spaces", "   앞 공백"),
        case("trailing_spaces", "뒤 공백   "),
        case("repeated_spaces", "여러    공백     사이"),
        case("tabs", "\t탭\t\t사이\t"),
        case("mixed_ws", " \t \u3000\u00a0혼합\u2003공백\u00a0 "),
        case("crlf", "첫째 줄\r\n둘째 줄\n셋째"),
        case("literal_lower_one_eighth_block", "▁"),
        case("literal_meta", "▁제1조 ▁▁ a▁b"),
        case("replacement_char", "\ufffd 가\ufffd나 ⁇"),
        case("controls", "a\x01b\x07c\x1b[31m빨강\x1b[0m\x7fd\x85e"),
        case("nul", "a\x00b"),
        case("zero_width", "대\u200b한\u200c민\u200d국\ufeff헌\u00ad법\u2060"),
        case("bidi_marks", "\u200e가\u200f나\u202a다\u202c"),
        case("special_token_text", "<s> </s> <unk> <pad> <sep> <cls> <0x41> <mask>"),
        case("uds_text", "제1조제1조 ①① 「」 <sep><sep> 제12조"),
        case("digits", "12345678901234567890 3.14159 1,000,000원 2024년"),
        case("unknown_runs", "䷀䷁䷂ 𓀀𓀁 乐乐乐 😀😀😀"),
        case("code_indent", "def f(x):\n    return x  # 주석\n"),
        case("many_spaces", "a" + " " * 16 + "b"),
        case("newlines", "\n\n첫\n\n\n둘\n"),
        case("chat_inst", "[INST] 대한민국의 수도는? [/INST] 서울입니다.</s>"),
        case("chat_turns", "<start_of_turn>user\n안녕하세요<end_of_turn>\n<start_of_turn>model\n"),
        case("digits_scripts", "0123456789 ０１２３ ١٢٣ ①②③"),
        case("mixed_scripts", "한국어English日本語中文Русский العربية हिन्दी ไทย"),
        case("single_char", "가"),
        case("single_rare_char", "䷀"),
        case("long_word", "ㅋ" * 64),
        case("long_no_spaces", long_line),
    ]
    with open(SAMPLE, encoding="utf-8", newline="") as fh:
        sample = fh.read().split("\n")
    if sample and sample[-1] == "":
        sample.pop()
    for i, line in enumerate(sample):
        if i % 2 == 0:
            cases.append(case(f"sample_{i + 1:03d}", line))
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names))
    return cases


# --------------------------------------------------------------------------- training
def build_training_text(path: str) -> dict:
    lines = []
    for name in ("constitution.txt", "kobill.txt"):
        with open(os.path.join(CORPUS, name), encoding="utf-8", newline="") as fh:
            lines.extend(fh.read().split("\n"))
    with open(os.path.join(CORPUS, "ko_help.txt"), encoding="utf-8", newline="") as fh:
        hangul = [l for l in fh.read().split("\n") if HANGUL.search(l)]
    lines.extend(hangul[::HELP_STRIDE])
    lines = [l for l in lines if l.strip()]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with open(path, "wb") as fh:
        fh.write(data)
    return {"lines": len(lines), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def train(spm, name: str, train_file: str, outdir: str) -> tuple[dict, float]:
    args = dict(COMMON)
    args.update(MODELS[name])
    # Relative paths (cwd = outdir) so that the TrainerSpec stored inside the
    # model does not contain the random temp-dir name.
    call = dict(args, input=os.path.basename(train_file), model_prefix=name, minloglevel=2)
    if "denormalization_rule_tsv" in args:
        # Source and target code points in hex, TAB-separated (SentencePiece's rule TSV).
        with open(os.path.join(outdir, args["denormalization_rule_tsv"]), "w", encoding="utf-8") as fh:
            fh.write("28 C8FC 29\t321C\n2E 2E 2E\t2026\n")
    spm.set_random_generator_seed(SEED)
    cwd = os.getcwd()
    os.chdir(outdir)
    try:
        t0 = time.time()
        spm.SentencePieceTrainer.train(**call)
        elapsed = time.time() - t0
    finally:
        os.chdir(cwd)
    os.remove(os.path.join(outdir, name + ".vocab"))
    if "denormalization_rule_tsv" in args:
        os.remove(os.path.join(outdir, args["denormalization_rule_tsv"]))
    return args, elapsed


# --------------------------------------------------------------------------- expectations
def sha256_file(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def model_info(model: dict) -> dict:
    ts, ns = model["trainer_spec"], model["normalizer_spec"]
    counts: dict = {}
    for _p, _s, t in model["pieces"]:
        counts[t] = counts.get(t, 0) + 1
    norm = {k: v for k, v in ns.items() if k != "precompiled_charsmap"}
    norm["precompiled_charsmap_bytes"] = len(ns.get("precompiled_charsmap", b""))
    return {
        "vocab_size": len(model["pieces"]),
        "model_type": ts.get("model_type", "UNIGRAM"),
        "byte_fallback": ts.get("byte_fallback", False),
        "normalizer": norm,
        "denormalizer": None if model["denormalizer_spec"] is None else
        {k: v for k, v in model["denormalizer_spec"].items() if k != "precompiled_charsmap"},
        "piece_type_counts": counts,
    }


def spans_of(sp, text: str, ids: list, pieces: list) -> list:
    """[begin, end] UTF-8 byte offsets of each piece in the original text.

    Checked invariants (so the fixture can omit them): the proto's ids and
    pieces equal sp.encode's, and each piece's `surface` equals
    text.encode()[begin:end] (byte-fallback pieces of one character: all but
    the last have begin == end and an empty surface)."""
    spt = spm_proto.parse_spt(sp.encode(text, out_type="serialized_proto"))
    raw = text.encode("utf-8")
    assert [p["id"] for p in spt["pieces"]] == ids
    assert [p["piece"] for p in spt["pieces"]] == pieces
    out = []
    for p in spt["pieces"]:
        assert raw[p["begin"]:p["end"]] == p["surface"].encode("utf-8", "surrogateescape")
        out.append([p["begin"], p["end"]])
    return out


def decode_checks(sp, model: dict, seed: int) -> list:
    pieces = model["pieces"]
    n = len(pieces)
    by_type: dict = {}
    for i, (_p, _s, t) in enumerate(pieces):
        by_type.setdefault(t, []).append(i)
    pid = {p: i for i, (p, _s, _t) in enumerate(pieces)}

    def byte_ids(bs: bytes):
        return [pid[f"<0x{b:02X}>"] for b in bs]

    checks = []

    def add(label, ids):
        checks.append({"label": label, "ids": ids,
                       "pieces": [sp.id_to_piece(i) for i in ids],
                       "text": sp.decode(ids)})

    ctrl = by_type.get("CONTROL", [])
    unk = by_type.get("UNKNOWN", [])
    normal = by_type.get("NORMAL", [])
    add("empty", [])
    add("controls_only", ctrl[:20])
    add("unk_only", unk)
    add("unk_unk", unk + unk)
    meta = [i for i in normal if pieces[i][0].startswith("\u2581")][:3]
    add("leading_meta_pieces", meta)
    add("controls_around_normal", ctrl[:1] + normal[5:10] + ctrl[1:2] + normal[10:12] + ctrl[:1])
    add("unk_between_normal", normal[3:5] + unk + normal[5:7])
    if "<0x41>" in pid:
        add("bytes_ascii", byte_ids(b"AB "))
        add("bytes_hangul", byte_ids("한".encode()))
        add("bytes_hangul_between_normal", normal[3:5] + byte_ids("글".encode()) + normal[5:7])
        add("bytes_invalid_ff", byte_ids(b"\xff"))
        add("bytes_truncated", byte_ids("한".encode()[:2]))
        add("bytes_truncated_then_normal", byte_ids("한".encode()[:2]) + normal[5:7])
        add("bytes_overlong", byte_ids(b"\xc0\xaf"))
        add("bytes_surrogate", byte_ids(b"\xed\xa0\x80"))
        add("bytes_split_by_control", byte_ids("한".encode()[:1]) + ctrl[:1] + byte_ids("한".encode()[1:]))
        add("bytes_emoji", byte_ids("😀".encode()))
        add("bytes_space", byte_ids(b" x"))
        add("bytes_meta_symbol", byte_ids("\u2581".encode()))
    for t in ("USER_DEFINED", "UNUSED"):
        if by_type.get(t):
            add(f"type_{t.lower()}", by_type[t][:20] + normal[5:7])
    rng = random.Random(seed)
    for k in range(6):
        ln = rng.randint(1, 24)
        add(f"random_{k}", [rng.randrange(n) for _ in range(ln)])
    return checks


def piece_samples(model: dict) -> list:
    pieces = model["pieces"]
    idx = list(range(min(20, len(pieces))))
    idx += [i for i in (len(pieces) // 2, len(pieces) - 2, len(pieces) - 1) if i not in idx]
    return [[i, pieces[i][0], pieces[i][1], pieces[i][2]] for i in idx]


NBEST_INPUTS = ("legal_article", "legal_citation", "compat_jamo", "english", "single_char")


def expectations(spm, sp_version: str, name: str, model_path: str, trainer_args: dict,
                 inputs: list, inputs_sha: str) -> dict:
    sp = spm.SentencePieceProcessor(model_file=model_path)
    with open(model_path, "rb") as fh:
        model = spm_proto.parse_model(fh.read())
    info = model_info(model)
    info.update(unk_id=sp.unk_id(), bos_id=sp.bos_id(), eos_id=sp.eos_id(), pad_id=sp.pad_id())
    cases = []
    for c in inputs:
        text = c["text"]
        ids = sp.encode(text)
        pieces = sp.encode(text, out_type=str)
        cases.append({
            "name": c["name"],
            "ids": ids,
            "pieces": pieces,
            "normalized": sp.normalize(text),
            "decoded": sp.decode(ids),
            "spans": spans_of(sp, text, ids, pieces),
        })
    nbest = []
    if info["model_type"] == "UNIGRAM":
        by_name = {c["name"]: c["text"] for c in inputs}
        for nm in NBEST_INPUTS:
            nbest.append({"name": nm, "nbest_size": 4,
                          "ids": sp.nbest_encode(by_name[nm], nbest_size=4)})
    return {
        "sentencepiece_version": sp_version,
        "model": name + ".model",
        "model_sha256": sha256_file(model_path),
        "inputs": "inputs.json",
        "inputs_sha256": inputs_sha,
        "trainer_args": dict(sorted(trainer_args.items())),
        "model_info": info,
        "piece_samples": piece_samples(model),
        "cases": cases,
        "nbest": nbest,
        "decode_checks": decode_checks(sp, model, SEED),
    }


def dump_json(obj, path: str) -> None:
    # one top-level entry / case per line keeps diffs readable
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(_pretty(obj) + "\n")


def _pretty(obj) -> str:
    """JSON with one line per list element of the top-level lists of objects."""
    def dumps(x):
        return json.dumps(x, ensure_ascii=False, separators=(",", ":"))
    if isinstance(obj, list):
        return "[\n" + ",\n".join(dumps(x) for x in obj) + "\n]"
    parts = []
    for k, v in obj.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            inner = ",\n".join("  " + dumps(x) for x in v)
            parts.append(f"{dumps(k)}:[\n{inner}\n]")
        else:
            parts.append(f"{dumps(k)}:{dumps(v)}")
    return "{\n" + ",\n".join(parts) + "\n}"


# --------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="train SentencePiece fixtures + expectations")
    ap.add_argument("--expect-only", action="store_true",
                    help="do not train; reuse the committed .model files")
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--verify", action="store_true",
                    help="train the first model twice and check the bytes are identical")
    args = ap.parse_args(argv)

    import sentencepiece as spm
    sp_version = spm.__version__
    if not sp_version.startswith("0.2."):
        print(f"sentencepiece {sp_version} found; 0.2.x required", file=sys.stderr)
        return 1
    names = list(MODELS) if not args.only else args.only.split(",")
    for n in names:
        if n not in MODELS:
            raise SystemExit(f"unknown model {n}")

    os.makedirs(OUTDIR, exist_ok=True)
    t_start = time.time()
    inputs = build_inputs()
    inputs_path = os.path.join(OUTDIR, "inputs.json")
    with open(inputs_path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(_pretty(inputs) + "\n")
    inputs_sha = sha256_file(inputs_path)

    manifest_path = os.path.join(OUTDIR, "MANIFEST.json")
    manifest = {}
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    manifest.setdefault("models", {})

    timings = {}
    with tempfile.TemporaryDirectory(prefix="tokki-spm-") as tmp:
        train_file = os.path.join(tmp, "ko_all.subset.txt")
        if not args.expect_only:
            if not os.path.exists(os.path.join(CORPUS, "ko_all.txt")):
                print("missing .corpus/ko_all.txt: run scripts/fetch-corpus.sh", file=sys.stderr)
                return 1
            tinfo = build_training_text(train_file)
            manifest["training_text"] = dict(
                tinfo, description=f"constitution.txt + kobill.txt + 1 of every {HELP_STRIDE} "
                                   "Hangul-containing lines of ko_help.txt (from scripts/fetch-corpus.sh), blank lines dropped")
        for name in names:
            final = os.path.join(OUTDIR, name + ".model")
            if args.expect_only:
                trainer_args = manifest["models"][name]["trainer_args"]
            else:
                trainer_args, elapsed = train(spm, name, train_file, tmp)
                raw = open(os.path.join(tmp, name + ".model"), "rb").read()
                with open(final, "wb") as fh:
                    fh.write(raw)
                timings[name] = round(elapsed, 2)
                if args.verify and name == names[0]:
                    train(spm, name, train_file, tmp)
                    raw2 = open(os.path.join(tmp, name + ".model"), "rb").read()
                    print(f"verify {name}: identical={raw == raw2}")
                    if raw != raw2:
                        return 2
            t0 = time.time()
            exp = expectations(spm, sp_version, name, final, trainer_args, inputs, inputs_sha)
            dump_json(exp, os.path.join(OUTDIR, name + ".expected.json"))
            entry = manifest["models"].get(name, {})
            entry.update({
                "trainer_args": trainer_args,
                "model_sha256": exp["model_sha256"],
                "model_bytes": os.path.getsize(final),
                "expected_sha256": sha256_file(os.path.join(OUTDIR, name + ".expected.json")),
                "vocab_size": exp["model_info"]["vocab_size"],
            })
            entry.pop("train_seconds_last_run", None)  # timings are printed, not stored
            manifest["models"][name] = entry
            print(f"{name:26s} train {timings.get(name, 0):6.2f}s  expect {time.time() - t0:5.2f}s  "
                  f"model {os.path.getsize(final):7d} B  expected "
                  f"{os.path.getsize(os.path.join(OUTDIR, name + '.expected.json')):7d} B")

    manifest["sentencepiece_version"] = sp_version
    manifest["python"] = sys.version.split()[0]
    manifest["seed"] = SEED
    manifest["common_trainer_args"] = COMMON
    manifest["inputs_sha256"] = inputs_sha
    manifest["generator"] = "scripts/make_sentencepiece_fixtures.py"
    manifest["models"] = {k: manifest["models"][k] for k in MODELS if k in manifest["models"]}
    with open(manifest_path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    total = sum(os.path.getsize(os.path.join(OUTDIR, f)) for f in os.listdir(OUTDIR))
    print(f"done in {time.time() - t_start:.1f}s; {OUTDIR}: {total:,d} bytes total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
