#!/usr/bin/env python3
"""Train small Hugging Face `tokenizers` tokenizers on Korean text and record their outputs.

How to run (from anywhere; paths are relative to the repo root):

    python3 -m pip install 'tokenizers==0.23.3' 'sentencepiece==0.2.3'  # versions recorded in the files
    python3 scripts/make_hf_fixtures.py            # ~2 s; rewrites Tests/Fixtures/hf/
    python3 scripts/make_hf_fixtures.py --retrain  # also retrains the nondeterministic ones

Made with Python 3.11.7, tokenizers 0.23.3 and sentencepiece 0.2.3. Reads only committed files:
    Tests/Fixtures/text/korean-sample.txt      training text (Korean statutes + CC0 lines)
    Tests/Fixtures/sentencepiece/inputs.json   test inputs (read, never modified)
    Tests/Fixtures/sentencepiece/unigram_nfkc.model, bpe_nfkc_bf.model
                                               converted, not trained (SP_SOURCES; read only)
plus the CC0 lines hard-coded below (EXTRA_TRAINING_LINES, EXTRA_INPUTS).

Writes, in Tests/Fixtures/hf/:
    NAME.json            a tokenizer.json trained with the library's own trainer (compact JSON)
    NAME.expected.json   what that tokenizer.json gives (layout below)
    extra_inputs.json    extra inputs {name, text} containing added/special tokens
                         (same format as inputs.json; written from EXTRA_INPUTS)
    precompiled_inputs.json  inputs {name, text} for the Precompiled normalizer's
                         grapheme-cluster behaviour (written from PRECOMPILED_INPUTS; used only
                         by the files converted from SentencePiece models)

Determinism. RAYON_NUM_THREADS=1 and TOKENIZERS_PARALLELISM=false are set before tokenizers is
imported. No dropout or sampling is used. limit_alphabet is chosen so that it never cuts through
characters with equal counts (tie_free_limit). With that, these trainers give byte-identical
files on every run, and the script asserts it by training them twice: bytelevel_bpe,
bytelevel_bpe_nfkc_split, metaspace_bpe_bf, metaspace_bpe, wordlevel. unigram_bf is a
deterministic edit of unigram.json. precompiled_unigram and precompiled_identity_bpe are not
trained: they are converted from committed SentencePiece models (as transformers'
convert_slow_tokenizer does), which is deterministic and also checked twice. The other
trainers depend on the iteration order of Rust hash maps with random seeds: WordPieceTrainer's
"##" alphabet, BpeTrainer's end_of_word_suffix alphabet, and UnigramTrainer's float sums and
required-character scores. For unigram, wordpiece_bert and misc_pipeline the committed
NAME.json is therefore kept, and a plain run only recomputes the expectations. --retrain trains them again, which gives different but equally valid files.
Expectations are always computed from Tokenizer.from_file(NAME.json), so they are byte-identical
on every run.

NAME.expected.json layout (compact JSON, UTF-8, ensure_ascii=False):
    {"tokenizers_version": "0.23.3", "tokenizer": "NAME.json", "tokenizer_sha256": hex,
     "inputs": "../sentencepiece/inputs.json", "inputs_sha256": hex,
     "extra_inputs": "extra_inputs.json", "extra_inputs_sha256": hex,
     "cases": [CASE, ...]          every inputs.json entry except long_no_spaces, same order
     "long_cases": [{"name": "long_no_spaces", "ids": [...]}]   encode(text, False).ids only
     "extra_cases": [CASE, ...]    every extra_inputs.json entry, same order
     "pairs": [PAIR, ...],
     "batches": [BATCH, ...]}
    CASE  = {"name",
             "ids", "tokens", "offsets"                    encode(text, add_special_tokens=False)
             "ids_special", "tokens_special", "offsets_special", "type_ids",
             "special_tokens_mask", "attention_mask"       encode(text, add_special_tokens=True)
             "decoded"               decode(ids_special, skip_special_tokens=True)
             "decoded_keep_special"} decode(ids_special, skip_special_tokens=False)
    PAIR  = {"a_name", "b_name", "ids", "type_ids", "offsets", "special_tokens_mask"}
                                     encode(a, b, add_special_tokens=True)
    BATCH = {"name", "config": {"padding": PADDING | null, "truncation": TRUNCATION | null},
             "inputs": [name | [a_name, b_name], ...],
             "encodings": [ENC, ...]}       encode_batch(inputs, add_special_tokens=True)
          | {"name", "config", "inputs", "error": "message of the exception"}
    PADDING    = enable_padding kwargs: {"direction", "pad_id", "pad_type_id", "pad_token",
                                         "length", "pad_to_multiple_of"}
    TRUNCATION = enable_truncation kwargs: {"max_length", "stride", "strategy", "direction"}
    ENC   = {"ids", "type_ids", "attention_mask", "special_tokens_mask", "offsets",
             "overflowing": [ENC, ...]}     (overflowing encodings of pairs nest one level more)
    Offsets are [start, end] Python code-point indices into the original (unnormalized) text;
    for pairs each offset indexes its own sequence (a or b). Special tokens added by the
    post-processor have [0, 0]. Names refer to inputs.json or extra_inputs.json.

    The files converted from a SentencePiece model (SP_SOURCES) have, in addition:
    top level   "sentencepiece_version", "sentencepiece_model": "../sentencepiece/M.model",
                "sentencepiece_model_sha256", "precompiled_inputs": "precompiled_inputs.json",
                "precompiled_inputs_sha256"      (between "extra_inputs_sha256" and "cases")
                "precompiled_cases": [CASE, ...] every precompiled_inputs.json entry, same order
                                                 (after "extra_cases")
    CASE (in all three case lists) and every "long_cases" entry, as the last field:
                "sentencepiece_ids"              sp.encode(text) of the original .model
                                                 (to compare with "ids"; they differ on purpose
                                                 for some inputs, see Tests/Fixtures/hf/README.md)
"""
import os

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import hashlib  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402

import sentencepiece  # noqa: E402
import tokenizers  # noqa: E402
from tokenizers import AddedToken, Regex, Tokenizer  # noqa: E402
from tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import spm_proto  # noqa: E402  (protobuf-free ModelProto reader)

OUT = ROOT / "Tests/Fixtures/hf"
SAMPLE = ROOT / "Tests/Fixtures/text/korean-sample.txt"
INPUTS_PATH = ROOT / "Tests/Fixtures/sentencepiece/inputs.json"
SP_DIR = ROOT / "Tests/Fixtures/sentencepiece"
EXTRA_PATH = OUT / "extra_inputs.json"
PRECOMPILED_PATH = OUT / "precompiled_inputs.json"

LLAMA3 = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""

# Hand-written for Tokki (CC0 1.0). Mixed English/Korean so the trainers see Latin letters,
# contractions, digits and punctuation next to Hangul.
EXTRA_TRAINING_LINES = [
    "The Constitution of the Republic of Korea was enacted on July 17, 1948.",
    "It's the supreme law; we'll read Article 1 and Article 10 today, don't we?",
    "Seoul is the capital. 서울은 대한민국의 수도이다.",
    "Tokki tokenizes Korean legal text: 제1조, 제2조제1항, and 「민법」 제3조.",
    "I'm sure they've checked the numbers 1, 22, 333, 4444 and 55555 twice.",
    "HELLO world, Hello World, hello WORLD!",
    "def encode(text): return tokenizer.encode(text)  # 인코딩",
    "café naïve résumé Ångström",
    "The quick brown fox jumps over the lazy dog.",
    "국회는 법률안을 심의하고, the President may veto it within 15 days.",
]

# Extra inputs (CC0 1.0) that contain the added/special tokens of the tokenizers below;
# inputs.json has none of these strings.
EXTRA_INPUTS = [
    {"name": "x_llama3_specials", "text": "<|begin_of_text|>대한민국은 민주공화국이다.<|end_of_text|>"},
    {"name": "x_gpt2_eot", "text": "제1조<|endoftext|> ① 대한민국<|endoftext|><|endoftext|>"},
    {"name": "x_mask_strip", "text": "대한민국 헌법  <mask>  제1조 <mask>\n끝<mask>"},
    {"name": "x_bert_specials", "text": "[CLS] 대한민국 [MASK] 헌법 [SEP] [UNK] [PAD]"},
    {"name": "x_llama2_chat", "text": "<s>[INST] 헌법 제1조는? [/INST] 대한민국은 민주공화국이다.</s><s>[INST]"},
    {"name": "x_added_nonspecial", "text": "ＡＢＣ 한글 한글 대한민국대한민국 대한민국헌법 ABC"},
    {"name": "x_contractions", "text": "Don't I'LL we've 'S THEY'RE it'd 2024년 12345 1,000,000"},
    {"name": "x_accents", "text": "ÀÉÎõü Café naïve Ωmega ǅ ﬁ ＡＢＣ"},
    {"name": "x_unk_tokens", "text": "<unk><unk> </s> <pad> <0x41><0xEA> [UNK]"},
]

# Inputs (CC0 1.0) for the tokenizers converted from SentencePiece models: what the Precompiled
# normalizer does with extended grapheme clusters. A cluster shorter than 6 UTF-8 bytes is looked
# up as a whole and replaced by the normalization of its *shortest* prefix in the charsmap, so
# the rest of the cluster is dropped; a longer cluster is normalized code point by code point, so
# sequences the charsmap composes (conjoining jamo, half-width kana + voiced mark) stay apart.
PRECOMPILED_INPUTS = [
    {"name": "p_fullwidth_combining", "text": "Ａ\u0301 Ｂ\u0308Ｃ ｅ\u0301 e\u0301"},
    {"name": "p_compat_combining", "text": "ﬁ\u0301 ①\u0301 ㈜\u0301 ½\u0301"},
    {"name": "p_space_combining", "text": "a\u00a0\u0301b \u3000\u0301c"},
    {"name": "p_halfwidth_voiced", "text": "ｶﾞｷﾞ ﾊﾟ ｶ\u3099"},
    {"name": "p_crlf_runs", "text": "a\r\nb\r\n\r\nc\n\rd"},
    {"name": "p_conjoining_jamo", "text": "\u1100\u1161 \u1100\u1161\u11a8 가\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af"},
    {"name": "p_keycap", "text": "1\ufe0f\u20e3 #\u20e3"},
]

BYTE_PIECES = [f"<0x{b:02X}>" for b in range(256)]


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def training_lines():
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines + EXTRA_TRAINING_LINES


def tie_free_limit(tok, wanted):
    """The largest alphabet limit <= wanted that does not cut through a run of characters with
    the same count. BpeTrainer drops the rarest characters with an unstable sort over a hash map
    with a random seed, so a cut inside a tie would make training nondeterministic."""
    counts = {}
    for line in training_lines():
        text = tok.normalizer.normalize_str(line) if tok.normalizer else line
        words = tok.pre_tokenizer.pre_tokenize_str(text) if tok.pre_tokenizer else [(text, None)]
        for word, _ in words:
            for ch in word:
                counts[ch] = counts.get(ch, 0) + 1
    freq = sorted(counts.values(), reverse=True)
    limit = min(wanted, len(freq))
    while 0 < limit < len(freq) and freq[limit - 1] == freq[limit]:
        limit -= 1
    assert limit > 0
    return limit


def train(tok, trainer):
    lines = training_lines()
    tok.train_from_iterator(lines, trainer=trainer, length=len(lines))
    return tok


# ---------------------------------------------------------------------------------------------
# Tokenizer builders. Each returns a trained Tokenizer.


def build_bytelevel_bpe():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    # add_prefix_space=True is the processor's default (as in GPT-2's and RoBERTa's files) even
    # though the pre-tokenizer has False; it changes how the first token's offsets are trimmed.
    tok.post_processor = processors.ByteLevel(add_prefix_space=True, trim_offsets=True)
    trainer = trainers.BpeTrainer(vocab_size=1000, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|endoftext|>"])
    train(tok, trainer)
    return tok


def build_bytelevel_bpe_nfkc_split():
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1200, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|begin_of_text|>", "<|end_of_text|>"])
    train(tok, trainer)
    # One special token with lstrip/rstrip (like RoBERTa's <mask>), not normalized.
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=True, normalized=False, special=True)])
    # Non-special added tokens: two matched on the NFKC-normalized text, one on the raw text.
    tok.add_tokens([
        AddedToken("대한민국", normalized=True, special=False),
        AddedToken("한글", normalized=True, special=False),
        AddedToken("ＡＢＣ", normalized=False, special=False),
    ])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A",
        pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
        special_tokens=[("<|begin_of_text|>", bos)],
    )
    return tok


def bpe_json_with_byte_pieces(tok, n_specials):
    """Model JSON of a trained BPE with <0x00>..<0xFF> placed right after the special tokens."""
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]  # dict token -> id
    ordered = sorted(vocab.items(), key=lambda kv: kv[1])
    specials, rest = ordered[:n_specials], ordered[n_specials:]
    rest = [(t, i) for t, i in rest if t not in BYTE_PIECES]
    new_tokens = [t for t, _ in specials] + BYTE_PIECES + [t for t, _ in rest]
    return {t: i for i, t in enumerate(new_tokens)}, [tuple(m) for m in data["model"]["merges"]]


def build_metaspace_bpe_bf():
    # Train like SentencePiece-BPE: words split on spaces, '▁' prepended; small alphabet so
    # rarer Hangul syllables are not in the vocabulary and byte fallback triggers.
    specials = ["<unk>", "<s>", "</s>"]
    tmp = Tokenizer(models.BPE(unk_token="<unk>"))
    tmp.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=700, show_progress=False, limit_alphabet=tie_free_limit(tmp, 250),
                                  special_tokens=specials)
    train(tmp, trainer)
    vocab, merges = bpe_json_with_byte_pieces(tmp, len(specials))
    # Then the Llama-2 form of the pipeline (what transformers' LlamaConverter writes).
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True,
                               byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.pre_tokenizer = None
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(content=" ", left=1, right=0)])
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in specials])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s>:1 $B:1", special_tokens=[("<s>", vocab["<s>"])])
    return tok


def build_metaspace_bpe():
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=800, show_progress=False, limit_alphabet=tie_free_limit(tok, 300),
                                  special_tokens=["<unk>", "<s>", "</s>"])
    train(tok, trainer)
    return tok


def unigram_pipeline(tok):
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)


def build_unigram():
    tok = Tokenizer(models.Unigram())
    unigram_pipeline(tok)
    trainer = trainers.UnigramTrainer(vocab_size=800, show_progress=False, unk_token="<unk>",
                                      special_tokens=["<pad>", "</s>", "<unk>"])
    train(tok, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B:1 </s>:1", special_tokens=[("</s>", tok.token_to_id("</s>"))])
    return tok


def build_unigram_bf():
    base = Tokenizer.from_file(str(OUT / "unigram.json"))
    # The trainer has no byte_fallback option: insert <0x00>..<0xFF> after the special tokens
    # with score 0.0 (what transformers' SpmConverter writes for a sentencepiece model with
    # byte_fallback: BYTE pieces have score 0 there) and set "byte_fallback": true.
    data = json.loads(base.to_str())
    model = data["model"]
    vocab = model["vocab"]  # [[piece, score], ...]
    n_specials = 3
    pieces = [p for p, _ in vocab]
    assert pieces[:n_specials] == ["<pad>", "</s>", "<unk>"], pieces[:n_specials]
    rest = [v for v in vocab[n_specials:] if v[0] not in BYTE_PIECES]
    model["vocab"] = vocab[:n_specials] + [[b, 0.0] for b in BYTE_PIECES] + rest
    model["unk_id"] = 2
    model["byte_fallback"] = True
    data["decoder"] = {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, data["decoder"]]}
    id_map = {p: i for i, (p, _) in enumerate(model["vocab"])}
    for added in data["added_tokens"]:
        added["id"] = id_map[added["content"]]
    for st in data["post_processor"]["special_tokens"].values():
        st["ids"] = [id_map[t] for t in st["tokens"]]
    tok = Tokenizer.from_str(json.dumps(data, ensure_ascii=False))
    assert json.loads(tok.to_str())["model"]["byte_fallback"] is True
    return tok


BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_wordpiece_bert():
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    trainer = trainers.WordPieceTrainer(vocab_size=1000, show_progress=False, special_tokens=BERT_SPECIALS)
    train(tok, trainer)
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")),
                                                   ("[CLS]", tok.token_to_id("[CLS]")))
    return tok


def build_wordlevel():
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordLevelTrainer(vocab_size=500, show_progress=False, min_frequency=1,
                                        special_tokens=["<unk>", "<pad>"])
    train(tok, trainer)
    return tok


def build_misc_pipeline():
    # Subword-nmt style BPE (end-of-word suffix "</w>", BPEDecoder) behind a long normalizer
    # and pre-tokenizer chain, with RoBERTa's post-processor.
    tok = Tokenizer(models.BPE(unk_token="[UNK]", end_of_word_suffix="</w>"))
    tok.normalizer = normalizers.Sequence([
        normalizers.Strip(left=True, right=True),
        normalizers.NFD(),
        normalizers.StripAccents(),
        normalizers.Lowercase(),
        normalizers.Replace(Regex("[\u318d\u2024\u2027\u22c5\uff65\u2219\u30fb]"), "\u00b7"),
        normalizers.NFC(),
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.CharDelimiterSplit("\u00b7"),
        pre_tokenizers.Whitespace(),
        pre_tokenizers.Punctuation(behavior="isolated"),
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.UnicodeScripts(),
    ])
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    trainer = trainers.BpeTrainer(vocab_size=900, show_progress=False, limit_alphabet=tie_free_limit(tok, 400),
                                  end_of_word_suffix="</w>",
                                  special_tokens=["[PAD]", "[UNK]", "<s>", "</s>"])
    train(tok, trainer)
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")),
                                                      ("<s>", tok.token_to_id("<s>")),
                                                      trim_offsets=True, add_prefix_space=False)
    return tok


# ---------------------------------------------------------------------------------------------
# Tokenizers converted from committed SentencePiece models (no training).

# NAME -> the SentencePiece model (in SP_DIR, without ".model") it is converted from.
SP_SOURCES = {
    "precompiled_unigram": "unigram_nfkc",
    "precompiled_identity_bpe": "bpe_nfkc_bf",
}


def sp_model_path(name):
    return SP_DIR / f"{SP_SOURCES[name]}.model"


def load_sp(name):
    """(SentencePieceProcessor, pieces, charsmap) of the model behind NAME. pieces is
    [(piece, score, type)] read through the processor; the proto is parsed only for the
    normalizer's precompiled_charsmap (and to check that both readers agree)."""
    path = sp_model_path(name)
    sp = sentencepiece.SentencePieceProcessor(model_file=str(path))
    proto = spm_proto.parse_model(path.read_bytes())

    def kind(i):
        for k, test in (("UNKNOWN", sp.is_unknown), ("CONTROL", sp.is_control), ("UNUSED", sp.is_unused),
                        ("BYTE", sp.is_byte)):
            if test(i):
                return k
        return "NORMAL"  # USER_DEFINED is not told apart by the processor; these models have none

    pieces = [(sp.id_to_piece(i), sp.get_score(i), kind(i)) for i in range(sp.get_piece_size())]
    assert pieces == list(proto["pieces"]), name
    charsmap = proto["normalizer_spec"].get("precompiled_charsmap", b"")
    return sp, pieces, charsmap


def add_spm_control_tokens(tok, pieces):
    # As SpmConverter: CONTROL pieces (and USER_DEFINED ones, of which these models have none)
    # become added tokens, not normalized, CONTROL ones special.
    tok.add_tokens([AddedToken(p, normalized=False, special=True) for p, _, t in pieces if t == "CONTROL"])


def build_precompiled_unigram():
    # transformers' SpmConverter / T5Converter (T5, XLM-R, mT5 ... tokenizer.json files).
    sp, pieces, charsmap = load_sp("precompiled_unigram")
    assert charsmap, "unigram_nfkc.model has a precompiled_charsmap"
    tok = Tokenizer(models.Unigram([(p, s) for p, s, _ in pieces], unk_id=sp.unk_id(), byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(charsmap),
        normalizers.Strip(left=False, right=True),
        normalizers.Replace(Regex(" {2,}"), "▁"),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    add_spm_control_tokens(tok, pieces)
    eos = sp.id_to_piece(sp.eos_id())
    # T5Converter's template: </s> after each sequence, every type id 0.
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {eos}", pair=f"$A {eos} $B {eos}", special_tokens=[(eos, sp.eos_id())])
    return tok


def spm_bpe_merges(pieces):
    """Merges as transformers' SentencePieceExtractor makes them: every split of a piece into two
    pieces, ordered by the merged piece's id, then the left piece's id, then the right's. (For
    SentencePiece BPE the scores of NORMAL pieces fall strictly with the id, so this is also the
    order by score.)"""
    vocab = {p: i for i, (p, _, _) in enumerate(pieces)}
    merges = []
    for i, (piece, _, _) in enumerate(pieces):
        for k in range(1, len(piece)):
            left, right = piece[:k], piece[k:]
            if left in vocab and right in vocab:
                merges.append((i, vocab[left], vocab[right], left, right))
    merges.sort()
    return [(left, right) for _, _, _, left, right in merges]


def build_precompiled_identity_bpe():
    # transformers' LlamaConverter (legacy Llama-2 form), with the model's Precompiled normalizer
    # in front of it.
    sp, pieces, charsmap = load_sp("precompiled_identity_bpe")
    vocab = {p: i for i, (p, _, _) in enumerate(pieces)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=spm_bpe_merges(pieces), unk_token=sp.id_to_piece(sp.unk_id()),
                               fuse_unk=True, byte_fallback=True))
    steps = [normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]
    tok.normalizer = normalizers.Sequence(([normalizers.Precompiled(charsmap)] if charsmap else []) + steps)
    tok.pre_tokenizer = None
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(content=" ", left=1, right=0)])
    add_spm_control_tokens(tok, pieces)
    bos = sp.id_to_piece(sp.bos_id())
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos}:1 $B:1", special_tokens=[(bos, sp.bos_id())])
    return tok


# name, builder, deterministic. The builder of a deterministic entry gives byte-identical output
# on every run; the others depend on the iteration order of Rust hash maps with random seeds
# (WordPieceTrainer's "##" alphabet, BpeTrainer's end_of_word_suffix alphabet, UnigramTrainer's
# float sums and required-character scores), so their committed NAME.json is kept unless
# --retrain is given. unigram_bf is a deterministic edit of the committed unigram.json.
BUILDERS = [
    ("bytelevel_bpe", build_bytelevel_bpe, True),
    ("bytelevel_bpe_nfkc_split", build_bytelevel_bpe_nfkc_split, True),
    ("metaspace_bpe_bf", build_metaspace_bpe_bf, True),
    ("metaspace_bpe", build_metaspace_bpe, True),
    ("unigram", build_unigram, False),
    ("unigram_bf", build_unigram_bf, True),
    ("wordpiece_bert", build_wordpiece_bert, False),
    ("wordlevel", build_wordlevel, True),
    ("misc_pipeline", build_misc_pipeline, False),
    ("precompiled_unigram", build_precompiled_unigram, True),
    ("precompiled_identity_bpe", build_precompiled_identity_bpe, True),
]
PAD_TOKENS = {
    "bytelevel_bpe": "<|endoftext|>",
    "bytelevel_bpe_nfkc_split": "<|end_of_text|>",
    "metaspace_bpe_bf": "<unk>",
    "metaspace_bpe": "</s>",
    "unigram": "<pad>",
    "unigram_bf": "<pad>",
    "wordpiece_bert": "[PAD]",
    "wordlevel": "<pad>",
    "misc_pipeline": "[PAD]",
    "precompiled_unigram": "<unk>",
    "precompiled_identity_bpe": "<unk>",
}
FULL_BATCHES = {"bytelevel_bpe_nfkc_split", "wordpiece_bert"}

# ---------------------------------------------------------------------------------------------
# Expectations.

# The 3,000-character input is recorded as ids only ("long_cases"), to keep the files small.
LONG_INPUTS = {"long_no_spaces"}

PAIRS = [
    ("legal_article", "legal_paragraph"),
    ("english", "prose"),
    ("empty", "legal_citation"),
    ("special_token_text", "chat_inst"),
    ("crlf", "code_indent"),
    ("mixed_scripts", "x_added_nonspecial"),
]

BATCH_SINGLES = ["legal_article", "english", "empty", "prose_colloquial", "legal_citation", "x_mask_strip"]
BATCH_LONG = ["legal_article", "prose", "english", "single_char", "empty"]
BATCH_PAIRS = [["legal_article", "legal_paragraph"], ["english", "single_char"], ["empty", "legal_citation"]]
BATCH_PAIRS_LONG_SECOND = [["single_char", "prose"], ["legal_citation", "legal_paragraph"], ["empty", "sample_019"]]
BATCH_PAIRS_LONG_FIRST = [["prose", "single_char"], ["legal_paragraph", "legal_citation"], ["sample_019", "empty"]]


def batch_configs(name, pad_token, pad_id):
    def pad(**kw):
        return dict({"direction": "right", "pad_id": pad_id, "pad_type_id": 0, "pad_token": pad_token,
                     "length": None, "pad_to_multiple_of": None}, **kw)

    def trunc(**kw):
        return dict({"max_length": 16, "stride": 0, "strategy": "longest_first", "direction": "right"}, **kw)

    short = [
        ("pad_longest_right", pad(), None, BATCH_SINGLES),
        ("trunc_16_stride_4_right_pad_longest", pad(), trunc(stride=4), BATCH_LONG),
        ("pairs_only_second_32_stride_4", None, trunc(max_length=32, stride=4, strategy="only_second"),
         BATCH_PAIRS_LONG_SECOND),
    ]
    if name not in FULL_BATCHES:
        return short
    return short + [
        ("pad_fixed_48", pad(length=48), None, BATCH_SINGLES),
        ("pad_multiple_of_8", pad(pad_to_multiple_of=8), None, BATCH_SINGLES),
        ("pad_longest_left_type_1", pad(direction="left", pad_type_id=1), None, BATCH_SINGLES),
        ("trunc_16_stride_4_right", None, trunc(stride=4), BATCH_LONG),
        ("trunc_16_stride_2_left", None, trunc(stride=2, direction="left"), BATCH_LONG),
        ("pairs_longest_first_24", None, trunc(max_length=24), BATCH_PAIRS + [["legal_citation_long", "prose"]]),
        ("pairs_longest_first_24_stride_3_left", None, trunc(max_length=24, stride=3, direction="left"),
         BATCH_PAIRS),
        ("pairs_only_first_32_stride_2_pad_multiple_of_8_left", pad(pad_to_multiple_of=8, direction="left"),
         trunc(max_length=32, stride=2, strategy="only_first"), BATCH_PAIRS_LONG_FIRST),
        ("pairs_only_first_error", None, trunc(max_length=4, strategy="only_first"), [["english", "prose"]]),
    ]


def offsets(e):
    return [list(o) for o in e.offsets]


def enc_with_overflow(e):
    return {
        "ids": e.ids,
        "type_ids": e.type_ids,
        "attention_mask": e.attention_mask,
        "special_tokens_mask": e.special_tokens_mask,
        "offsets": offsets(e),
        "overflowing": [enc_with_overflow(o) for o in e.overflowing],
    }


def case(tok, name, text, sp=None):
    e0 = tok.encode(text, add_special_tokens=False)
    e1 = tok.encode(text, add_special_tokens=True)
    record = {
        "name": name,
        "ids": e0.ids,
        "tokens": e0.tokens,
        "offsets": offsets(e0),
        "ids_special": e1.ids,
        "tokens_special": e1.tokens,
        "offsets_special": offsets(e1),
        "type_ids": e1.type_ids,
        "special_tokens_mask": e1.special_tokens_mask,
        "attention_mask": e1.attention_mask,
        "decoded": tok.decode(e1.ids, skip_special_tokens=True),
        "decoded_keep_special": tok.decode(e1.ids, skip_special_tokens=False),
    }
    if sp is not None:
        record["sentencepiece_ids"] = sp.encode(text)
    return record


def batches(name, path, texts):
    tok = Tokenizer.from_file(str(path))
    pad_token = PAD_TOKENS[name]
    pad_id = tok.token_to_id(pad_token)
    assert pad_id is not None, pad_token
    out = []
    for config_name, padding, truncation, inputs in batch_configs(name, pad_token, pad_id):
        tok.no_padding()
        tok.no_truncation()
        if padding:
            tok.enable_padding(**padding)
        if truncation:
            tok.enable_truncation(**truncation)
        seqs = [tuple(texts[a] for a in x) if isinstance(x, list) else texts[x] for x in inputs]
        record = {"name": config_name, "config": {"padding": padding, "truncation": truncation},
                  "inputs": inputs}
        try:
            encs = tok.encode_batch(seqs, add_special_tokens=True)
            record["encodings"] = [enc_with_overflow(e) for e in encs]
        except Exception as err:  # recorded: the Swift side should fail the same way
            record["error"] = str(err)
        out.append(record)
    return out


def expectations(name, path, inputs, extra):
    tok = Tokenizer.from_file(str(path))
    texts = {x["name"]: x["text"] for x in inputs + extra}
    pairs = []
    for a, b in PAIRS:
        e = tok.encode(texts[a], texts[b], add_special_tokens=True)
        pairs.append({"a_name": a, "b_name": b, "ids": e.ids, "type_ids": e.type_ids, "offsets": offsets(e),
                      "special_tokens_mask": e.special_tokens_mask})
    sp = None
    out = {
        "tokenizers_version": tokenizers.__version__,
        "tokenizer": path.name,
        "tokenizer_sha256": sha256(path),
        "inputs": "../sentencepiece/inputs.json",
        "inputs_sha256": sha256(INPUTS_PATH),
        "extra_inputs": EXTRA_PATH.name,
        "extra_inputs_sha256": sha256(EXTRA_PATH),
    }
    if name in SP_SOURCES:
        sp_path = sp_model_path(name)
        sp = sentencepiece.SentencePieceProcessor(model_file=str(sp_path))
        out["sentencepiece_version"] = sentencepiece.__version__
        out["sentencepiece_model"] = f"../sentencepiece/{sp_path.name}"
        out["sentencepiece_model_sha256"] = sha256(sp_path)
        out["precompiled_inputs"] = PRECOMPILED_PATH.name
        out["precompiled_inputs_sha256"] = sha256(PRECOMPILED_PATH)
    long_cases = []
    for x in inputs:
        if x["name"] in LONG_INPUTS:
            record = {"name": x["name"], "ids": tok.encode(x["text"], add_special_tokens=False).ids}
            if sp is not None:
                record["sentencepiece_ids"] = sp.encode(x["text"])
            long_cases.append(record)
    out.update({
        "cases": [case(tok, x["name"], x["text"], sp) for x in inputs if x["name"] not in LONG_INPUTS],
        "long_cases": long_cases,
        "extra_cases": [case(tok, x["name"], x["text"], sp) for x in extra],
    })
    if sp is not None:
        out["precompiled_cases"] = [case(tok, x["name"], x["text"], sp) for x in PRECOMPILED_INPUTS]
    out.update({
        "pairs": pairs,
        "batches": batches(name, path, texts),
    })
    return out


def sentencepiece_mismatches(expected):
    """Names of the cases whose ids differ from sentencepiece_ids (printed, not stored)."""
    records = (expected["cases"] + expected["long_cases"] + expected["extra_cases"]
               + expected.get("precompiled_cases", []))
    return [r["name"] for r in records if "sentencepiece_ids" in r and r["ids"] != r["sentencepiece_ids"]]


def component(obj):
    if obj is None:
        return None
    if obj.get("type") == "Sequence":
        inner = obj.get("normalizers") or obj.get("pretokenizers") or obj.get("decoders") or obj.get("processors") or []
        return "Sequence[" + ", ".join(component(x) for x in inner) + "]"
    return obj.get("type")


def write_json(path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def main():
    retrain = "--retrain" in sys.argv[1:]
    OUT.mkdir(parents=True, exist_ok=True)
    inputs = json.loads(INPUTS_PATH.read_text(encoding="utf-8"))
    write_json(EXTRA_PATH, EXTRA_INPUTS)
    write_json(PRECOMPILED_PATH, PRECOMPILED_INPUTS)
    texts = inputs + EXTRA_INPUTS + PRECOMPILED_INPUTS
    assert len({x["name"] for x in texts}) == len(texts)

    summary = []
    for name, builder, deterministic in BUILDERS:
        path = OUT / f"{name}.json"
        before = path.read_bytes() if path.exists() else None
        if deterministic or retrain or before is None:
            tok = builder()
            tok.save(str(path), pretty=False)
            status = "trained" if before is None else ("unchanged" if path.read_bytes() == before else "CHANGED")
            if deterministic:
                # Training twice in one run must give the same bytes.
                assert builder().to_str(pretty=False) == tok.to_str(pretty=False), f"{name}: nondeterministic"
        else:
            tok = Tokenizer.from_file(str(path))
            status = "kept (committed file; --retrain to train again)"
        reloaded = Tokenizer.from_file(str(path))
        # The saved file must reproduce the in-memory tokenizer exactly.
        for x in texts:
            for special in (False, True):
                a = tok.encode(x["text"], add_special_tokens=special)
                b = reloaded.encode(x["text"], add_special_tokens=special)
                assert (a.ids, a.tokens, a.offsets) == (b.ids, b.tokens, b.offsets), (name, x["name"])
        expected = expectations(name, path, inputs, EXTRA_INPUTS)
        write_json(OUT / f"{name}.expected.json", expected)
        data = json.loads(path.read_text(encoding="utf-8"))
        summary.append((name, status, data, reloaded.get_vocab_size(with_added_tokens=False),
                        reloaded.get_vocab_size(with_added_tokens=True), sentencepiece_mismatches(expected)))

    print(f"tokenizers {tokenizers.__version__}; {OUT.relative_to(ROOT)}/")
    for name, status, data, model_size, total, mismatches in summary:
        print(f"  {name}.json [{status}] vocab={model_size} (with added tokens: {total})\n"
              f"      normalizer={component(data['normalizer'])}\n"
              f"      pre_tokenizer={component(data['pre_tokenizer'])}\n"
              f"      model={data['model']['type']}  post_processor={component(data['post_processor'])}\n"
              f"      decoder={component(data['decoder'])}")
        if name in SP_SOURCES:
            print(f"      ids != sentencepiece_ids ({SP_SOURCES[name]}.model) in {len(mismatches)} cases: "
                  + " ".join(mismatches))


if __name__ == "__main__":
    main()
