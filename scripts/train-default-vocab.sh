#!/usr/bin/env bash
# Trains the shipped default vocabulary, Vocab/tokki-ko-bpe-16k.{model,json,vocab}, with
# `tokki train`, and prints its `tokki stats` on the Constitution and on held-out help text.
#
#   bash scripts/train-default-vocab.sh
#
# Corpus (built by scripts/fetch-corpus.sh into the gitignored .corpus/):
#   - Korean statutes (konlpy 0.6.0: the Constitution and ten National Assembly bills),
#     repeated 20 times so that legal vocabulary weighs about as much as the prose;
#   - Korean prose from Debian's gimp-help-ko and libreoffice-help-ko (every line but every
#     20th, which is held out for the stats).
# Special pieces: <unk>=0 <s>=1 </s>=2 <pad>=3, then <mask> and <extra_id_0>…<extra_id_99>
# (control pieces), then the 256 byte-fallback pieces.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="$ROOT/.corpus"
if [[ ! -s "$CORPUS/ko_help.txt" || ! -s "$CORPUS/constitution.txt" || ! -s "$CORPUS/kobill.txt" ]]; then
  bash "$ROOT/scripts/fetch-corpus.sh"
fi
swift build -c release --product tokki --package-path "$ROOT" >&2
TOKKI="$ROOT/.build/release/tokki"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tokki-vocab.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
for _ in $(seq 20); do cat "$CORPUS/constitution.txt" "$CORPUS/kobill.txt"; done >"$TMP/train.txt"
awk 'NR % 20 != 0' "$CORPUS/ko_help.txt" >>"$TMP/train.txt"
awk 'NR % 20 == 0' "$CORPUS/ko_help.txt" >"$TMP/heldout.txt"
SPECIAL="<mask>$(for i in $(seq 0 99); do printf ',<extra_id_%d>' "$i"; done)"
# Run from the temp folder so the model records the input as plain "train.txt".
(cd "$TMP" && "$TOKKI" train --model-type bpe --vocab-size 16000 --input train.txt \
  --normalization korean --byte-fallback --pad-id 3 --control-symbols "$SPECIAL" \
  --threads 1 --output "$ROOT/Vocab/tokki-ko-bpe-16k")
echo "== tokki stats on the Constitution (in the training text)"
"$TOKKI" stats --model "$ROOT/Vocab/tokki-ko-bpe-16k.model" --input "$CORPUS/constitution.txt"
echo "== tokki stats on held-out help text (every 20th line of ko_help.txt)"
"$TOKKI" stats --model "$ROOT/Vocab/tokki-ko-bpe-16k.model" --input "$TMP/heldout.txt"
