"""Minimal protobuf wire-format reader for SentencePiece protos (stdlib only).

Used by make_sentencepiece_fixtures.py and make_published_expectations.py so
that they need neither the `protobuf` package nor a protobuf runtime whose
version matches the gencode bundled with a given sentencepiece wheel.

Covers: ModelProto (pieces, trainer_spec, normalizer_spec, denormalizer_spec)
and SentencePieceText (the result of
`sp.encode(text, out_type='serialized_proto')`).
"""

from __future__ import annotations

import struct

PIECE_TYPES = {1: "NORMAL", 2: "UNKNOWN", 3: "CONTROL", 4: "USER_DEFINED", 5: "UNUSED", 6: "BYTE"}
MODEL_TYPES = {1: "UNIGRAM", 2: "BPE", 3: "WORD", 4: "CHAR"}


def _varint(buf: bytes, pos: int):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def fields(buf: bytes):
    """Yield (field_number, wire_type, raw_value) for one message."""
    pos, n = 0, len(buf)
    while pos < n:
        key, pos = _varint(buf, pos)
        fn, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos)
        elif wt == 1:
            val = buf[pos:pos + 8]
            pos += 8
        elif wt == 2:
            ln, pos = _varint(buf, pos)
            val = buf[pos:pos + ln]
            pos += ln
        elif wt == 5:
            val = buf[pos:pos + 4]
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        yield fn, wt, val


def _f32(raw: bytes) -> float:
    return struct.unpack("<f", raw)[0]


def _signed(v: int) -> int:
    """int32 fields are varints sign-extended to 64 bits."""
    return v - (1 << 64) if v >= 1 << 63 else v


# name, kind; kind in {str, bytes, int, sint, bool, float, enum:<map>, rep_str}
TRAINER_SPEC = {
    1: ("input", "rep_str"), 2: ("model_prefix", "str"), 3: ("model_type", "model_type"),
    4: ("vocab_size", "sint"), 5: ("accept_language", "rep_str"),
    6: ("self_test_sample_size", "sint"), 7: ("input_format", "str"),
    10: ("character_coverage", "float"), 11: ("input_sentence_size", "int"),
    12: ("mining_sentence_size", "sint"), 13: ("training_sentence_size", "sint"),
    14: ("seed_sentencepiece_size", "sint"), 15: ("shrinking_factor", "float"),
    16: ("num_threads", "sint"), 17: ("num_sub_iterations", "sint"),
    18: ("max_sentence_length", "sint"), 19: ("shuffle_input_sentence", "bool"),
    20: ("max_sentencepiece_length", "sint"), 21: ("split_by_unicode_script", "bool"),
    22: ("split_by_whitespace", "bool"), 23: ("split_by_number", "bool"),
    24: ("treat_whitespace_as_suffix", "bool"), 25: ("split_digits", "bool"),
    26: ("allow_whitespace_only_pieces", "bool"), 30: ("control_symbols", "rep_str"),
    31: ("user_defined_symbols", "rep_str"), 32: ("vocabulary_output_piece_score", "bool"),
    33: ("hard_vocab_limit", "bool"), 34: ("use_all_vocab", "bool"),
    35: ("byte_fallback", "bool"), 36: ("required_chars", "str"),
    40: ("unk_id", "sint"), 41: ("bos_id", "sint"), 42: ("eos_id", "sint"), 43: ("pad_id", "sint"),
    44: ("unk_surface", "str"), 45: ("unk_piece", "str"), 46: ("bos_piece", "str"),
    47: ("eos_piece", "str"), 48: ("pad_piece", "str"),
    49: ("train_extremely_large_corpus", "bool"), 50: ("enable_differential_privacy", "bool"),
    51: ("differential_privacy_noise_level", "float"),
    52: ("differential_privacy_clipping_threshold", "int"),
    53: ("pretokenization_delimiter", "str"), 54: ("seed_sentencepieces_file", "str"),
}
NORMALIZER_SPEC = {
    1: ("name", "str"), 2: ("precompiled_charsmap", "bytes"), 3: ("add_dummy_prefix", "bool"),
    4: ("remove_extra_whitespaces", "bool"), 5: ("escape_whitespaces", "bool"),
    6: ("normalization_rule_tsv", "str"),
}


def _decode_spec(buf: bytes, schema) -> dict:
    out: dict = {}
    for fn, wt, val in fields(buf):
        if fn not in schema:
            out.setdefault("_unknown_fields", []).append(fn)
            continue
        name, kind = schema[fn]
        if kind == "rep_str":
            out.setdefault(name, []).append(val.decode("utf-8", "replace"))
        elif kind == "str":
            out[name] = val.decode("utf-8", "replace")
        elif kind == "bytes":
            out[name] = val
        elif kind == "bool":
            out[name] = bool(val)
        elif kind == "float":
            out[name] = _f32(val)
        elif kind == "sint":
            out[name] = _signed(val)
        elif kind == "model_type":
            out[name] = MODEL_TYPES.get(val, val)
        else:
            out[name] = val
    return out


def parse_model(buf: bytes) -> dict:
    """Decode a serialized sentencepiece ModelProto.

    Returns {"pieces": [(piece, score, type_name)], "trainer_spec": {...},
    "normalizer_spec": {...}, "denormalizer_spec": {...} or None}.
    Proto2 defaults are *not* filled in: absent fields are absent.
    """
    model = {"pieces": [], "trainer_spec": {}, "normalizer_spec": {}, "denormalizer_spec": None,
             "has_self_test_data": False}
    for fn, wt, val in fields(buf):
        if fn == 1:
            piece, score, typ = "", 0.0, 1
            for f2, _w2, v2 in fields(val):
                if f2 == 1:
                    piece = v2.decode("utf-8", "surrogateescape")
                elif f2 == 2:
                    score = _f32(v2)
                elif f2 == 3:
                    typ = v2
            model["pieces"].append((piece, score, PIECE_TYPES.get(typ, typ)))
        elif fn == 2:
            model["trainer_spec"] = _decode_spec(val, TRAINER_SPEC)
        elif fn == 3:
            model["normalizer_spec"] = _decode_spec(val, NORMALIZER_SPEC)
        elif fn == 4:
            model["has_self_test_data"] = True
        elif fn == 5:
            model["denormalizer_spec"] = _decode_spec(val, NORMALIZER_SPEC)
    return model


def parse_spt(buf: bytes) -> dict:
    """Decode a serialized SentencePieceText.

    Returns {"text": str, "pieces": [{"piece", "id", "surface", "begin", "end"}]}.
    begin/end are UTF-8 byte offsets into the *original* input text.
    """
    out = {"text": "", "pieces": [], "score": 0.0}
    for fn, wt, val in fields(buf):
        if fn == 1:
            out["text"] = val.decode("utf-8", "surrogateescape")
        elif fn == 2:
            p = {"piece": "", "id": 0, "surface": "", "begin": 0, "end": 0}
            for f2, _w2, v2 in fields(val):
                if f2 == 1:
                    p["piece"] = v2.decode("utf-8", "surrogateescape")
                elif f2 == 2:
                    p["id"] = v2
                elif f2 == 3:
                    p["surface"] = v2.decode("utf-8", "surrogateescape")
                elif f2 == 4:
                    p["begin"] = v2
                elif f2 == 5:
                    p["end"] = v2
            out["pieces"].append(p)
        elif fn == 3:
            out["score"] = _f32(val)
    return out
