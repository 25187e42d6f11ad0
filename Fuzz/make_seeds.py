#!/usr/bin/env python3
"""Writes the hand-made part of the fuzz seed corpus (Fuzz/Corpus/<target>/*), from small
pieces of Tests/Fixtures plus malformed variants. Stdlib only. The generated part (tiny
SentencePiece models, charsmaps) comes from `swift run make_seeds`; scripts/tools/fuzz.sh
--seeds runs both."""

import base64
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "Tests", "Fixtures")
CORPUS = os.path.join(HERE, "Corpus")

TEXTS = [
    "대한민국은 민주공화국이다.",
    "「민법」 제3조제1항 ① ㈜ ㉮ ㎡ 수고ㄳ ㅋㅋ",
    "Hello, world! It's 2024-01-01 12:34.",
    "ＡＢＣ ｢민법｣ 정치ㆍ경제 가\u200b나 ﾡ\u00ad",
    "  leading and  double  spaces\t\ttabs\r\nnewline ",
    "emoji 👩\u200d💻 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, 한자 金 豈",
    "",
]
PII_TEXTS = [
    "주민등록번호 800101-1234567, 800101-1******, 8001011234560",
    "연락처 010-1234-5678로, (02) 123-4567, +82 10-1234-5678, +821012345678, 1588-1234",
    "메일 hong.gildong+law@example.co.kr, 카드 4111-1111-1111-1111, 3782-822463-10005",
    "국민은행 계좌 123456-01-234567, 예금주 홍길동 12345678901234",
    "IP 192.168.0.1:8080, 2001:db8::1, fe80::1ff:fe23:4567:890a, ::ffff:10.0.0.1",
    "민법 제750조, 법률 제17219호, 2019다12345, 2020. 3. 14., 1,000,000원, 1.2.3.4.5, 1876-1910",
]
BAD_UTF8 = [b"\xff\xfe", b"\xed\xa0\x80", b"\xe1\x84", b"\xc0\xaf", b"\xf4\x90\x80\x80"]


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def j(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def trim_hf(name, keep=40):
    d = json.load(open(os.path.join(FIX, "hf", name)))
    m = d["model"]
    if isinstance(m["vocab"], dict):
        items = sorted(m["vocab"].items(), key=lambda kv: kv[1])[:keep]
        # Keep the special and the first ordinary tokens, with ids renumbered densely.
        m["vocab"] = {k: i for i, (k, _) in enumerate(items)}
        if "merges" in m:
            merges = []
            for mg in m["merges"]:
                a, b = mg.split(" ", 1) if isinstance(mg, str) else mg
                if a in m["vocab"] and b in m["vocab"] and a + b in m["vocab"]:
                    merges.append(mg)
            m["merges"] = merges[:20]
        if m.get("unk_token") and m["unk_token"] not in m["vocab"]:
            m["vocab"][m["unk_token"]] = len(m["vocab"])
    else:
        m["vocab"] = m["vocab"][:keep]
        if m.get("unk_id") is not None and m["unk_id"] >= keep:
            m["unk_id"] = 0
    ids = set(m["vocab"].values()) if isinstance(m["vocab"], dict) else set(range(len(m["vocab"])))
    d["added_tokens"] = [t for t in d.get("added_tokens") or [] if t["id"] in ids]
    return d


def main():
    # tokenizer.json: trimmed fixtures and malformed variants.
    for name in ["bytelevel_bpe.json", "wordpiece_bert.json", "unigram.json", "metaspace_bpe_bf.json",
                 "misc_pipeline.json", "wordlevel.json"]:
        d = trim_hf(name)
        s = j(d)
        write("tokenizer_json", name, s)
        write("tokenizer_json", name + ".cut", s[: len(s) // 3])
        d2 = json.loads(s)
        d2["model"]["vocab"] = {"a": -1, "b": 1 << 40} if isinstance(d2["model"]["vocab"], dict) else [["a", "x"]]
        write("tokenizer_json", name + ".badvocab", j(d2))
    write("tokenizer_json", "empty-object.json", "{}")
    write("tokenizer_json", "deep.json", "[" * 200 + "]" * 200)
    write("tokenizer_json", "numbers.json", '{"model":{"type":"BPE","vocab":{"a":1e999,"b":-0,"c":1.5},"merges":["a b"]}}')
    write("tokenizer_json", "escapes.json", '{"model":{"type":"WordLevel","vocab":{"\\ud800":0,"\\u0041\\n":1},"unk_token":"\\ud83d\\ude00"}}')

    # tiktoken (first byte even) and Tekken (odd).
    lines = open(os.path.join(FIX, "tiktoken", "korean-sample.tiktoken"), "rb").read().split(b"\n")
    small = b"\n".join(lines[:280]) + b"\n"
    write("tiktoken_tekken", "ranks", b"\x00" + small)
    write("tiktoken_tekken", "ranks-crlf", b"\x00" + small.replace(b"\n", b"\r\n")[:600])
    write("tiktoken_tekken", "ranks-bad", b"\x00" + b"YQ== 0\nYg== 1\n!!!! 2\nYWI= 99999999999\nYWI=\n")
    write("tiktoken_tekken", "ranks-dup", b"\x00" + b"YQ== 0\nYQ== 1\nYg== 1\n")
    vocab = []
    for k, line in enumerate(lines[:260]):
        if not line:
            break
        b64, rank = line.split(b" ")
        vocab.append({"rank": int(rank), "token_bytes": b64.decode()})
    tekken = {"config": {"pattern": "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
                         "default_vocab_size": 270 + 4, "default_num_special_tokens": 4, "version": "v7"},
              "vocab": vocab[:270],
              "special_tokens": [{"rank": i, "token_str": s, "is_control": True} for i, s in enumerate(["<unk>", "<s>", "</s>", "[INST]"])]}
    write("tiktoken_tekken", "tekken", b"\x01" + j(tekken).encode())
    t2 = json.loads(j(tekken))
    del t2["special_tokens"]
    t2["config"]["default_num_special_tokens"] = 30
    t2["config"]["default_vocab_size"] = 30 + 270
    write("tiktoken_tekken", "tekken-legacy", b"\x01" + j(t2).encode())
    t3 = json.loads(j(tekken))
    t3["config"]["default_vocab_size"] = 99999
    t3["config"]["pattern"] = "(unclosed"
    t3["vocab"] = t3["vocab"][:20]
    write("tiktoken_tekken", "tekken-bad", b"\x01" + j(t3).encode())

    # GPT-2 vocab.json + merges.txt, split at "\n#MERGES\n".
    d = json.load(open(os.path.join(FIX, "hf", "bytelevel_bpe.json")))
    v = {k: i for k, i in d["model"]["vocab"].items() if i < 300}
    merges = [m if isinstance(m, str) else " ".join(m) for m in d["model"]["merges"]]
    merges = [m for m in merges if all(p in v for p in m.split(" "))][:40]
    sep = b"\n#MERGES\n"
    write("gpt2_files", "gpt2", j(v).encode() + sep + ("#version: 0.2\n" + "\n".join(merges) + "\n").encode())
    write("gpt2_files", "gpt2-crlf", j(v).encode() + sep + ("#version: 0.2\r\n" + "\r\n".join(merges[:10])).encode())
    write("gpt2_files", "gpt2-unknown", j({"a": 0, "b": 1}).encode() + sep + b"a c\na b\nab  b\n")
    write("gpt2_files", "gpt2-noseparator", j({"a": 0, "b": 1, "ab": 2}).encode())

    # Megatron: [.bin size LE16][.idx].
    for p in ["docs_u16", "docs_i32", "docs_u16b", "merged_u16"]:
        binsize = os.path.getsize(os.path.join(FIX, "data", p + ".bin"))
        idx = open(os.path.join(FIX, "data", p + ".idx"), "rb").read()
        write("megatron_idx", p, struct.pack("<H", binsize) + idx)
    idx = open(os.path.join(FIX, "data", "docs_u16.idx"), "rb").read()
    write("megatron_idx", "truncated", struct.pack("<H", 12) + idx[:40])
    write("megatron_idx", "huge-count", struct.pack("<H", 12) + idx[:18] + struct.pack("<Q", 1 << 30) + idx[26:])
    write("megatron_idx", "bad-dtype", struct.pack("<H", 12) + idx[:17] + b"\x63" + idx[18:])

    # Normalizers: [selector][...]; see the target's header.
    for k, t in enumerate(TEXTS):
        write("normalizers", f"korean-{k}", b"\x00" + t.encode())
        write("normalizers", f"korean-opts-{k}", bytes([1, (k * 37) & 0xFF]) + t.encode())
        write("normalizers", f"spm-{k}", bytes([3, k * 5 & 0x1F]) + t.encode())
    for k, b in enumerate(BAD_UTF8):
        write("normalizers", f"bad-{k}", b"\x00" + "가".encode() + b + b"a")
        write("normalizers", f"spm-bad-{k}", b"\x03\x07" + b + "ＡＢ".encode())

    # Encode: [model selector][text]; decode: [model selector][LE32 ids].
    for m in range(7):
        for k, t in enumerate(TEXTS[:-1]):
            write("encode", f"m{m}-{k}", bytes([m + (0x80 if k % 2 else 0)]) + t.encode())
        write("encode", f"m{m}-bad", bytes([m]) + "한".encode() + BAD_UTF8[m % len(BAD_UTF8)] + b" x")
        ids = [0, 1, 2, 3, 5, 100, 255, 256, 259, 300, 599, 999]
        write("decode", f"m{m}", bytes([m | 0x80]) + b"".join(struct.pack("<I", i) for i in ids))
        write("decode", f"m{m}-wild", bytes([m]) + b"".join(struct.pack("<i", i) for i in [-1, 1 << 30, 70000, 3]))
    # 0x40: the SentencePiece BPE that keeps every space (selector 1 with bit 6): runs of
    # spaces, leading and trailing spaces, a literal ▁, characters outside the vocabulary.
    for k, t in enumerate(TEXTS[:3] + ["  제1조  (목적)   이 법은 ", "a ▁b  c", "😀 é  가나  "]):
        write("encode", f"keep-spaces-{k}", b"\x40" + t.encode())

    # JSONL corpus: [selector (bit 0 strict, bits 1-2 field, bit 4 plain text)][lines].
    jl = "\n".join([j({"text": t}) for t in TEXTS[:4]] + [
        '{"text": 3}', '{"other":"x"}', "   ", '{"text":"\\ud800\\u0041"}', '[1,2]', '{"text":"a"', "not json",
        j({"content": "내용", "text": "본문"}), '{"text":"a\\tb\\n"}  ', '{"t\\u0065xt":"escaped key"}'])
    write("jsonl", "text", b"\x00" + jl.encode())
    write("jsonl", "text-strict", b"\x01" + jl.encode() + b"\n" + b'{"text":"\xff"}')
    write("jsonl", "content", b"\x02" + jl.encode())
    write("jsonl", "plain", b"\x10" + "\n".join(TEXTS).encode() + b"\r\n\xff\xfe\n")

    # Exact-substring de-duplication: [selector (bits 0-5 minimum length - 1, bit 6 JSONL)][lines].
    notice = "※ 이 판결문은 참고용이며 법적 효력이 없습니다. "
    plain = "\n".join([f"판결 {k}: " + notice + t for k, t in enumerate(TEXTS)] + ["abcabcabcabcabc", "가나가나가나"])
    write("substring_dedup", "plain", bytes([19]) + plain.encode() + b"\n\xff\xfe\n")
    write("substring_dedup", "plain-short", bytes([2]) + "\n".join(TEXTS * 2).encode())
    write("substring_dedup", "jsonl", bytes([0x40 | 15]) + "\n".join(
        [j({"id": k, "text": notice + t, "meta": [1, 2]}) for k, t in enumerate(TEXTS)] + ['{"text":"a\\u00e9\\n"}', '{"x":1}', "not json"]).encode())

    # dedup --stage files: [selector (bit 0: decisions, else signatures)][file].
    def stage_header(kind, shard, shards, perms=4, field=None, inputs=((b"a.txt", 120), (b"b.txt", 7))):
        h = b"TOKKIDDP" + struct.pack("<IBIII", 1, kind, shard, shards, perms) + bytes([0, 5]) + struct.pack("<Q", 1)
        f = field or b""
        h += bytes([1 if field else 0]) + struct.pack("<I", len(f)) + f + struct.pack("<I", len(inputs))
        for name, size in inputs:
            h += struct.pack("<QI", size, len(name)) + name
        return h
    recs = b"\x03" + struct.pack("<I", 0) + b"\x01" + struct.pack("<QQ", 7, 9) + struct.pack("<4I", 1, 2, 3, 4)
    recs += b"\x02" + bytes([5]) + b"empty" + b"\x03" + struct.pack("<I", 1) + b"\x01" + struct.pack("<QQ", 7, 9) + struct.pack("<4I", 5, 6, 7, 8)
    sig = stage_header(1, 0, 2) + recs + b"\xff" + struct.pack("<Q", 3)
    write("dedup_stages", "signatures", b"\x00" + sig)
    write("dedup_stages", "signatures-cut", b"\x00" + sig[:-4])
    write("dedup_stages", "signatures-field", b"\x00" + stage_header(1, 1, 2, field=b"text") + b"\xff" + struct.pack("<Q", 0))
    dec = stage_header(2, 1, 2) + struct.pack("<QQQ", 3, 0, 2)
    dec += struct.pack("<QBQIQ", 0, 1, struct.unpack("<Q", struct.pack("<d", 1.0))[0], 0, 2)
    dec += struct.pack("<QBQIQ", 4, 2, struct.unpack("<Q", struct.pack("<d", 0.8125))[0], 1, 1)
    write("dedup_stages", "decisions", b"\x01" + dec)
    write("dedup_stages", "decisions-cut", b"\x01" + dec[:-3])

    # Instruction templates: [selector (bits 0-1 shots, 2-4 kinds off, 6 turns, 7 budget)]
    # [tokki-flan/1 set] 0x00 [JSON lines of records].
    with open(os.path.join(HERE, "..", "Templates", "ko-legal.json"), "rb") as f:
        legal = f.read()
    with open(os.path.join(FIX, "instruct", "ko-legal.jsonl"), "rb") as f:
        records = f.read()
    for sel in (0x00, 0x03, 0x82, 0x41, 0x0E):
        write("instruction_templates", f"ko-legal-{sel:02x}", bytes([sel]) + legal + b"\x00" + records)
    tiny = j({"format": "tokki-flan/1", "tasks": {"t": {"fields": ["q", "o", "a"], "options": {"field": "o", "item": "{n}) {option}"},
              "few_shot": {"exemplar": "Q {input} A {target}", "separator": "|"},
              "templates": [{"id": "z", "kind": "zero-shot", "input": "{{q}} {q} {options_}", "target": "{a}"},
                            {"id": "f", "kind": "few-shot", "input": "{q}", "target": "{a}"},
                            {"id": "i", "kind": "inverted", "input": "{a}", "target": "{q}"}]}}})
    rows = "\n".join([j({"q": "가", "o": ["1", 2], "a": "나"}), j({"q": "가", "o": ["1"], "a": "나"}), j({"q": 3, "o": [], "a": None}),
                      '{"q":"x","o":"y","a":"z"}', "not json", j({"q": "다", "o": ["라"], "a": "마"})])
    write("instruction_templates", "tiny", b"\x03" + tiny.encode() + b"\x00" + rows.encode())
    write("instruction_templates", "bad-brace", b"\x01" + tiny.replace("{q} {options_}", "{q {options_}").encode() + b"\x00" + rows.encode())

    # input_decoding: the first byte picks the charset (low 3 bits: none, cp949, euc-kr, utf-16,
    # utf-16le, shift_jis, iso-2022-kr), replacement (8), block size (0x30) and no decompression (0x40).
    enc = os.path.join(FIX, "encodings")
    for name, sel in [("sample.txt.gz", 0x00), ("sample.txt.zst", 0x10), ("truncated.txt.gz", 0x00), ("corrupt.txt.zst", 0x00),
                      ("sample.cp949.txt", 0x01), ("bad.cp949.txt", 0x09), ("sample.utf16le.txt", 0x03), ("sample.txt", 0x40)]:
        with open(os.path.join(enc, name), "rb") as f:
            write("input_decoding", name, bytes([sel]) + f.read())
    # sft_records: the first byte picks the policy (bits 0-1), train-on-eos (2), train-on-prompt (4),
    # the length (bits 3-6) and the plain template (0x80).
    with open(os.path.join(FIX, "sft", "chatml-generation.conversations.jsonl"), "rb") as f:
        for k, line in enumerate(f.read().splitlines()):
            write("sft_records", f"conversation-{k}", bytes([0x78 | (k & 3)]) + line)
    write("sft_records", "sharegpt", b"\x79" + j({"conversations": [{"from": "human", "value": "질문"}, {"from": "gpt", "value": "답"}]}).encode())
    write("sft_records", "alpaca", b"\xf8" + j({"instruction": "요약", "input": "판결", "output": "요약문"}).encode())
    write("sft_records", "prompt-completion", b"\x7a" + j({"prompt": "민법?", "completion": "제750조"}).encode())
    # chat_templates: the published templates of the tests, and a few broken ones.
    tdir = os.path.join(FIX, "templates")
    for name in sorted(os.listdir(tdir)):
        if name.endswith(".jinja"):
            with open(os.path.join(tdir, name), "rb") as f:
                write("chat_templates", name[:-len(".jinja")], f.read())
    write("chat_templates", "unclosed-for", "{% for m in messages %}{{ m.content }}")
    write("chat_templates", "macro-recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
    write("chat_templates", "chains", "{{ 'a' + messages[0].content + 1 }}{{ 1 ~ 2 + 3 ~ none }}{% generation %}x{% endgeneration %}")
    # PII scrubber: [selector (bit 0 template, bits 1-6 kinds)][text].
    for k, t in enumerate(PII_TEXTS):
        write("pii_scrub", f"text-{k}", bytes([k & 1]) + t.encode())
        write("pii_scrub", f"kinds-{k}", bytes([(k * 6) & 0x7F]) + t.encode())
    write("pii_scrub", "bad-utf8", b"\x00" + "전화 010-1234-5678".encode() + BAD_UTF8[0] + b"a@b.kr")

    # embedding_matrix: small .safetensors and .npy matrices, then broken variants.
    def safetensors(tensors):
        entries, data = [], b""
        for name, dtype, shape, body in tensors:
            entries.append(f'"{name}":{{"dtype":"{dtype}","shape":{json.dumps(shape)},"data_offsets":[{len(data)},{len(data) + len(body)}]}}')
            data += body
        header = ("{" + ",".join(entries) + "}").encode()
        return struct.pack("<Q", len(header)) + header + data
    f32 = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
    write("embedding_matrix", "f32", safetensors([("emb", "F32", [3, 2], f32)]))
    write("embedding_matrix", "f16", safetensors([("emb", "F16", [3, 1], struct.pack("<3e", 1, 2, 3))]))
    write("embedding_matrix", "bf16", safetensors([("emb", "BF16", [2, 1], b"\x80\x3f\x40\x40")]))
    write("embedding_matrix", "two", safetensors([("a", "F32", [3, 2], f32), ("b", "F32", [1, 2], f32[:8])]))
    write("embedding_matrix", "bad-offsets", safetensors([("emb", "F32", [4, 2], f32)]))
    write("embedding_matrix", "truncated", safetensors([("emb", "F32", [3, 2], f32)])[:30])
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    write("embedding_matrix", "npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + f32)
    write("embedding_matrix", "npy-short", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + f32[:10])


if __name__ == "__main__":
    main()
