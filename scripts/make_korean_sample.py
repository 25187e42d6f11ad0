#!/usr/bin/env python3
"""Regenerate Tests/Fixtures/text/korean-sample.txt.

    bash scripts/fetch-corpus.sh          # builds .corpus/ (konlpy corpus)
    python3 scripts/make_korean_sample.py # rewrites the sample deterministically

The sample = selected *verbatim* lines of the Korean constitution and of the
KoNLPy kobill bills (public domain: Korean statutes / official bills), picked
by a unique substring below, followed by hand-written hazard lines (written
with \\u escapes here so that invisible characters are explicit).

Only LF separates lines.  Lines containing other line-break characters
(CR, VT, FF, NEL, U+2028, U+2029) are never picked, because different
splitters disagree on them.  Trailing spaces of the source lines are kept.
No text from the GIMP / LibreOffice help (different licences) is used.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, ".corpus")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "text", "korean-sample.txt")

# (source file, substring identifying the first line that contains it)
PICKS = [
    # --- constitution (kolaw/constitution.txt, KoNLPy 0.6.0) ----------------
    ("constitution.txt", "대한민국헌법"),
    ("constitution.txt", "       제1장 총강"),
    ("constitution.txt", "  제1조 ① 대한민국은 민주공화국이다."),
    ("constitution.txt", "②대한민국의 주권은 국민에게 있고"),
    ("constitution.txt", "  제3조 대한민국의 영토는"),
    ("constitution.txt", "  제6조 ① 헌법에 의하여 체결·공포된"),
    ("constitution.txt", "④정당의 목적이나 활동이"),
    ("constitution.txt", "③체포·구속·압수 또는 수색을"),
    ("constitution.txt", "       제3장 국회"),
    ("constitution.txt", "  제41조 ① 국회는 국민의 보통·평등·직접·비밀선거에"),
    ("constitution.txt", "②국회의원의 수는 법률로 정하되"),
    ("constitution.txt", "  제42조 국회의원의 임기는 4년으로 한다."),
    ("constitution.txt", "1. 헌법이나 법률에 의하여 설치된 기관"),
    ("constitution.txt", "2. 법률상 지출의무의 이행"),
    ("constitution.txt", "       제1절 대통령"),
    ("constitution.txt", "       제10장 헌법개정"),
    ("constitution.txt", "  제128조 ① 헌법개정은"),
    ("constitution.txt", "  제130조 ① 국회는 헌법개정안이 공고된"),
    ("constitution.txt", "③헌법개정안이 제2항의 찬성을 얻은"),
    ("constitution.txt", " 펼침  부칙 <헌법 제10호, 1987.10.29.>"),
    ("constitution.txt", "제1조 이 헌법은 1988년 2월 25일부터"),
    ("constitution.txt", "제2조 ①이 헌법에 의한 최초의 대통령선거는"),
    ("constitution.txt", "제5조 이 헌법시행 당시의 법령과 조약은"),
    # --- kobill (KoNLPy 0.6.0 kobill/18098xx.txt) -------------------------
    ("kobill.txt", "지방공무원법 일부개정법률안"),
    ("kobill.txt", "(정의화의원 대표발의 )"),
    ("kobill.txt", "발의연월일 : 2010.  11.  12.  "),
    ("kobill.txt", "발  의  자 : 정의화․이명수․김을동 "),
    ("kobill.txt", "이사철․여상규․안규백"),
    ("kobill.txt", "김학송 의원(10인)"),
    ("kobill.txt", "제안이유 및 주요내용"),
    ("kobill.txt", "  초등학교 저학년의 경우에도"),
    ("kobill.txt", "는 것임(안 제63조제2항제4호)."),
    ("kobill.txt", "제63조(휴직) ① (생  략)"),
    ("kobill.txt", "  ② 공무원이 다음 각 호의 어"),
    ("kobill.txt", "  ② -------------------------"),
    ("kobill.txt", "  1. ∼ 3. (생  략)"),
    ("kobill.txt", "  5.⋅6. (생  략)"),
    ("kobill.txt", "  ③⋅④ (현행과 같음)"),
    ("kobill.txt", "  ② ∼ ⑤ (생  략)"),
    ("kobill.txt", "  8 . ∼ 11. (생  략)"),
    ("kobill.txt", "개정안에서 ｢국가공무원법｣  제71조제2항제4호"),
    ("kobill.txt", "만8세 이하로 하고, ｢남녀고용평등과 일․가정 양립지원에 관한 법률｣ "),
    ("kobill.txt", "｢의안의 비용추계에 관한 규칙｣ 제3조제1항 단서"),
    ("kobill.txt", "개정안에서 국가․지방․교육공무원 및 근로자가"),
    ("kobill.txt", "발생비용 : N×p×X + N×육아휴직급여액 - N×P"),
    ("kobill.txt", "N×5.6%×X + N×P×40% - N×P > 0"),
    ("kobill.txt", "  그런데 초등학교 1․2학년의 경우"),
    ("kobill.txt", "第44條(休職) ① 敎育公務員이 다"),
    ("kobill.txt", "할 수 있다. 다만, 第1號 내지 "),
    ("kobill.txt", "第45條(休職期間등) ①休職期間은 "),
    ("kobill.txt", "로 하고, 수여하는 학위의 종류를 학사학위로"),
    ("kobill.txt", "제50조의3(간호과의 수업연한 및 학위에 관한 특례)"),
    ("kobill.txt", "조승수ㆍ최문순ㆍ조영택  "),
    ("kobill.txt", "최문순ㆍ최재성ㆍ조영택  "),
    ("kobill.txt", "  9. 「병역법」, 「향토예비군 설치법」"),
    ("kobill.txt", "  14. 「독점규제 및 공정거래에 관한 법률」"),
    ("kobill.txt", "관한 법률」, 「약관의 규제에 관한 법률」에 따라"),
    ("kobill.txt", "  19. 「특허법」, 「실용신안법」"),
    ("kobill.txt", "제43조의2(협의단계) ① 행정청은"),
    ("kobill.txt", "의견을 듣도록 함(안 제43조의2 신설)."),
    ("kobill.txt", "한-UAE관계가 ‘포괄적‧전략적 동반자 관계’로"),
    ("kobill.txt", "훈련 지원 등에 관한 파견 동의안｣ 심의·의결"),
    ("kobill.txt", "    가.  파견부대 규모 :  150명 이내"),
    ("kobill.txt", "    라.  파견 기간  :  2011년 1월 1일부터"),
    ("kobill.txt", "    마.  부대 교대 :  4 ～ 6개월 주기로"),
    ("kobill.txt", "’08. 10. 27～31  정부합동실사단 파견"),
    ("kobill.txt", "’04년 소말리아 과도정부 출범 이후"),
    ("kobill.txt", "동의안｣ 심의･의결"),
    ("kobill.txt", "  10. ～ 17. (생  략)"),
    ("kobill.txt", "  <신  설>"),
]

# Hand-written hazard lines (written for Tokki; CC0 public-domain dedication).
HAND = [
    "ㅋㅋㅋ 진짜 웃기네ㅋㅋ ㅎㅎ ㅠㅠ",
    "오늘도 수고ㄳ ㄱㅅㄱㅅ",
    "ㄱㅏ ㄴㅏ ㄷㅏ ㄱㅏㄴ (compatibility jamo sequences)",
    # NFD / conjoining jamo: 각, 한글
    "NFD: \u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af 입니다",
    # old Hangul (arae-a U+119E) in conjoining jamo, plus the compat form
    "옛한글: \u1112\u119e\u11ab\u1100\u1173\u11af, 아래아 \u318d \u119e / 가운뎃점 \u00b7 \u30fb \uff65 \u2027 \u22c5 \u2219 \u2024",
    "㈜한국법제 ㈔한국법학회 ㉠ ㉡ ㉮ ㉯ ㉻ ⑴ ⒜ ⑳ ㉑ ㊿",
    # CJK compatibility ideographs (all three decompose to U+6A02 樂)
    "호환 한자: \uf914 \uf95c \uf9bf 音樂 快樂 樂山",
    "전각: ＡＢＣ１２３ ｢전각괄호｣ （괄호） ～ ！？",
    "공백: 제1조\u3000①\u00a0대한민국은\u2003민주공화국이다.",
    "보이지 않는: 대\u200b한\u200d민\ufeff국\u00ad헌법\u200c\u2060끝",
    "이모지: 👨\u200d👩\u200d👧\u200d👦 가족 🏳\ufe0f\u200d🌈 👍🏽 🇰🇷 ❤\ufe0f",
    "「민법」 제3조제1항제2호가목, 같은 법 제5조의2제3항 및 「형법」 제250조",
    "공포일: 2010․12․1, 시행: 2011. 1. 1. <개정 2014. 1. 7.> 2010∼2012년 2010~2012년",
    "법률 제10019호, <제25062호,2014.1.7>",
    "English: The Constitution of the Republic of Korea was enacted in 1948.",
    "日本語: 日本国憲法は1946年に公布された。カタカナとひらがな。",
    "中文: 大韓民國憲法 第一條",
    "tab:\t제1조\t①\t끝",
    "  leading and trailing spaces   ",
    "multiple    internal     spaces",
    "U+2581 literal: ▁제1조 ▁▁",
    "대체 문자: \ufffd 와 ⁇",
    "mixed: 대한민국Korea大韓民國123①②",
]


def main() -> int:
    texts = {}
    for name in ("constitution.txt", "kobill.txt"):
        path = os.path.join(CORPUS, name)
        if not os.path.exists(path):
            print(f"missing {path}: run scripts/fetch-corpus.sh first", file=sys.stderr)
            return 1
        with open(path, encoding="utf-8", newline="") as fh:
            texts[name] = fh.read().split("\n")
    bad = set("\r\x0b\x0c\x85\u2028\u2029")
    out = []
    for src, needle in PICKS:
        hits = [l for l in texts[src] if needle in l]
        if not hits:
            raise SystemExit(f"no line in {src} contains {needle!r}")
        line = hits[0]
        if bad & set(line):
            raise SystemExit(f"picked line has a line-break char: {line!r}")
        out.append(line)
    for line in HAND:
        assert not (bad & set(line)) and "\n" not in line
        out.append(line)
    data = ("\n".join(out) + "\n").encode("utf-8")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as fh:
        fh.write(data)
    print(f"wrote {OUT}: {len(out)} lines ({len(PICKS)} source + {len(HAND)} hand), {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
