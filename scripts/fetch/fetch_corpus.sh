#!/usr/bin/env bash
# Build the (gitignored) Korean corpus in .corpus/ reproducibly.
#
#   bash scripts/fetch/fetch_corpus.sh            # from the repo root (or anywhere)
#   CORPUS_DIR=/tmp/c bash scripts/fetch/fetch_corpus.sh
#
# Steps (each is skipped when its outputs already exist; delete them to redo):
#   a) KoNLPy wheel (pinned, sha256-checked) from PyPI via `pip download`:
#        .corpus/kolaw/*.txt, .corpus/kobill/*.txt   raw copies
#        .corpus/constitution.txt, .corpus/kobill.txt joined: CRLF -> LF,
#                                                      each file ends in LF
#        (Korean statutes and bills: public domain in Korea.)
#   b) Debian packages gimp-help-ko and libreoffice-help-ko via
#      `apt-get download` (never installed; unpacked with dpkg-deb -x into a
#      temp dir), visible prose extracted by scripts/fetch/extract_help_text.py:
#        .corpus/ko_help.txt   (GFDL / MPL-2.0 text: never commit it)
#   c) .corpus/ko_all.txt = constitution.txt + kobill.txt + ko_help.txt
# Versions and checksums of what was used land in .corpus/SOURCES.txt.
# Needs: python3 + pip (PyPI), apt-get + dpkg-deb (Debian), unzip or python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CORPUS="${CORPUS_DIR:-$ROOT/.corpus}"
PYTHON="${PYTHON:-python3}"

KONLPY_VERSION="0.6.0"
KONLPY_SHA256="0b7928059e20eb1c72f6fe65a3d12c104fae9e68173904e16beef869cf0ea590"
# Preferred Debian versions (bookworm).  If the archive no longer serves one
# (point/security releases replace libreoffice-help-ko), the current candidate
# is used instead and a warning is printed; SOURCES.txt records what was used.
GIMP_HELP_VERSION="${GIMP_HELP_VERSION:-2.10.34-2}"
LO_HELP_VERSION="${LO_HELP_VERSION:-4:7.4.7-1+deb12u14}"

mkdir -p "$CORPUS"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tokki-corpus.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
SOURCES="$CORPUS/SOURCES.txt"
touch "$SOURCES"

log() { printf '[fetch_corpus] %s\n' "$*" >&2; }
record() {  # record KEY LINE...: replace the line for KEY in SOURCES.txt
  local key="$1"; shift
  { grep -v "^$key " "$SOURCES" || true; printf '%s %s\n' "$key" "$*"; } >"$SOURCES.tmp"
  sort "$SOURCES.tmp" >"$SOURCES"; rm -f "$SOURCES.tmp"
}

# Joins files given as args into stdout: CRLF -> LF, each file ends with LF.
join_files() {
  "$PYTHON" - "$@" <<'EOF'
import sys
out = sys.stdout.buffer
for path in sys.argv[1:]:
    data = open(path, "rb").read().replace(b"\r\n", b"\n")
    if data and not data.endswith(b"\n"):
        data += b"\n"
    out.write(data)
EOF
}

# ---------------------------------------------------------------- step (a)
if [[ -s "$CORPUS/constitution.txt" && -s "$CORPUS/kobill.txt" \
      && -d "$CORPUS/kolaw" && -d "$CORPUS/kobill" ]]; then
  log "konlpy corpus present, skipping"
else
  log "pip download konlpy==$KONLPY_VERSION"
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
      -d "$TMP/pip" "konlpy==$KONLPY_VERSION"
  WHL="$(ls "$TMP"/pip/konlpy-"$KONLPY_VERSION"-*.whl)"
  got="$(sha256sum "$WHL" | cut -d' ' -f1)"
  if [[ "$got" != "$KONLPY_SHA256" ]]; then
    log "sha256 mismatch for $WHL: $got"; exit 1
  fi
  "$PYTHON" - "$WHL" "$TMP/konlpy" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.startswith(("konlpy/data/corpus/kolaw/", "konlpy/data/corpus/kobill/")):
            z.extract(n, sys.argv[2])
EOF
  src="$TMP/konlpy/konlpy/data/corpus"
  rm -rf "$CORPUS/kolaw" "$CORPUS/kobill"
  mkdir -p "$TMP/out/kolaw" "$TMP/out/kobill"
  cp "$src"/kolaw/*.txt "$TMP/out/kolaw/"
  cp "$src"/kobill/*.txt "$TMP/out/kobill/"
  join_files $(ls "$TMP"/out/kolaw/*.txt | LC_ALL=C sort) >"$TMP/out/constitution.txt"
  join_files $(ls "$TMP"/out/kobill/*.txt | LC_ALL=C sort) >"$TMP/out/kobill.txt"
  mv "$TMP/out/kolaw" "$TMP/out/kobill" "$CORPUS/"
  mv "$TMP/out/constitution.txt" "$TMP/out/kobill.txt" "$CORPUS/"
  record konlpy "konlpy==$KONLPY_VERSION sha256=$KONLPY_SHA256 (PyPI wheel; konlpy/data/corpus/{kolaw,kobill})"
fi

# ---------------------------------------------------------------- step (b)
apt_pick() {  # apt_pick PKG PREFERRED_VERSION -> prints PKG=VERSION to download
  local pkg="$1" want="$2" cand
  if ! apt-cache show "$pkg=$want" >/dev/null 2>&1 \
     && [[ -z "$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/{print $2}' | grep -v '(none)')" ]]; then
    log "apt lists lack $pkg: running apt-get update"
    apt-get update -qq >&2 || log "apt-get update failed (not root?)"
  fi
  if apt-cache show "$pkg=$want" >/dev/null 2>&1; then
    printf '%s=%s\n' "$pkg" "$want"; return
  fi
  cand="$(apt-cache policy "$pkg" | awk '/Candidate:/{print $2}')"
  if [[ -z "$cand" || "$cand" == "(none)" ]]; then
    log "no Debian package $pkg available"; return 1
  fi
  log "WARNING: $pkg=$want not available, using candidate $cand"
  printf '%s=%s\n' "$pkg" "$cand"
}

if [[ -s "$CORPUS/ko_help.txt" ]]; then
  log "ko_help.txt present, skipping"
else
  mkdir -p "$TMP/deb" "$TMP/root"
  chmod 755 "$TMP" "$TMP/deb"
  gimp_spec="$(apt_pick gimp-help-ko "$GIMP_HELP_VERSION")"
  lo_spec="$(apt_pick libreoffice-help-ko "$LO_HELP_VERSION")"
  log "apt-get download $gimp_spec $lo_spec"
  sandbox=()
  [[ "$(id -u)" == 0 ]] && sandbox=(-o APT::Sandbox::User=root)
  (cd "$TMP/deb" && apt-get download -qq "${sandbox[@]}" "$gimp_spec" "$lo_spec" >&2)
  for deb in "$TMP"/deb/*.deb; do
    dpkg-deb -x "$deb" "$TMP/root"
    record "deb:$(dpkg-deb -f "$deb" Package)" \
      "$(dpkg-deb -f "$deb" Version) sha256=$(sha256sum "$deb" | cut -d' ' -f1)"
  done
  "$PYTHON" "$ROOT/scripts/fetch/extract_help_text.py" -o "$TMP/ko_help.txt" \
      "$TMP/root/usr/share/gimp/2.0/help/ko" "$TMP/root/usr/share/libreoffice/help/ko"
  mv "$TMP/ko_help.txt" "$CORPUS/ko_help.txt"
fi

# ---------------------------------------------------------------- step (c)
if [[ -s "$CORPUS/ko_all.txt" ]]; then
  log "ko_all.txt present, skipping"
else
  cat "$CORPUS/constitution.txt" "$CORPUS/kobill.txt" "$CORPUS/ko_help.txt" >"$TMP/ko_all.txt"
  mv "$TMP/ko_all.txt" "$CORPUS/ko_all.txt"
fi

# ---------------------------------------------------------------- summary
echo "corpus in $CORPUS:"
for f in constitution.txt kobill.txt ko_help.txt ko_all.txt; do
  "$PYTHON" - "$CORPUS/$f" <<'EOF'
import os, sys, hashlib
p = sys.argv[1]
b = open(p, "rb").read()
t = b.decode("utf-8")
print(f"  {os.path.basename(p):18s} {len(b):>10,d} bytes {len(t):>10,d} chars "
      f"{t.count(chr(10)):>7,d} lines  sha256={hashlib.sha256(b).hexdigest()[:16]}")
EOF
done
echo "  kolaw/  $(ls "$CORPUS/kolaw" | wc -l) files, kobill/ $(ls "$CORPUS/kobill" | wc -l) files"
echo "sources:"; sed 's/^/  /' "$SOURCES"
