#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Regenerates Sources/Tokki/Formats/Generated/SentencePieceModel.pb.swift from
# scripts/proto/sentencepiece_model.proto.
#
#   scripts/generate-proto.sh
#
# Needs:
#   * protoc           - installed from Debian's `protobuf-compiler` if missing.
#   * protoc-gen-swift - built from swift-protobuf at the same version Tokki
#                        depends on (Package.swift), so generated code and
#                        runtime always match. Built once in a temp dir outside
#                        the repo and cached under /tmp.
#
# Environment overrides:
#   SWIFT_PROTOBUF_VERSION  tag to build (default 1.39.0)
#   SWIFT_PROTOBUF_SRC      git URL/path to clone swift-protobuf from
#                           (default: local mirror, else GitHub)
#   PROTOC_GEN_SWIFT_CACHE  cache dir for the built plugin
#                           (default /tmp/tokki-protoc-gen-swift/$VERSION)
#   PROTOC_GEN_SWIFT        use this protoc-gen-swift binary instead of building

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROTO_DIR="$REPO_ROOT/scripts/proto"
PROTO_FILE="sentencepiece_model.proto"
OUT_DIR="$REPO_ROOT/Sources/Tokki/Formats/Generated"
OUT_FILE="SentencePieceModel.pb.swift"

SWIFT_PROTOBUF_VERSION="${SWIFT_PROTOBUF_VERSION:-1.39.0}"
if [[ -z "${SWIFT_PROTOBUF_SRC:-}" ]]; then
  if [[ -d /opt/swift-packages/apple/swift-protobuf.git ]]; then
    SWIFT_PROTOBUF_SRC="file:///opt/swift-packages/apple/swift-protobuf.git"
  else
    SWIFT_PROTOBUF_SRC="https://github.com/apple/swift-protobuf.git"
  fi
fi
CACHE_DIR="${PROTOC_GEN_SWIFT_CACHE:-/tmp/tokki-protoc-gen-swift/$SWIFT_PROTOBUF_VERSION}"

log() { printf '[generate-proto] %s\n' "$*" >&2; }

# --- protoc -------------------------------------------------------------------
if ! command -v protoc >/dev/null 2>&1; then
  log "protoc not found; installing protobuf-compiler via apt-get"
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq protobuf-compiler >/dev/null
fi
log "using $(protoc --version)"

# --- protoc-gen-swift -----------------------------------------------------------
plugin_ok() {
  [[ -x "$1" ]] && [[ "$("$1" --version 2>/dev/null)" == *"$SWIFT_PROTOBUF_VERSION"* ]]
}

if [[ -n "${PROTOC_GEN_SWIFT:-}" ]]; then
  PLUGIN="$PROTOC_GEN_SWIFT"
  plugin_ok "$PLUGIN" || { log "$PLUGIN is not protoc-gen-swift $SWIFT_PROTOBUF_VERSION"; exit 1; }
else
  PLUGIN="$CACHE_DIR/protoc-gen-swift"
  if plugin_ok "$PLUGIN"; then
    log "using cached $PLUGIN"
  else
    command -v swift >/dev/null 2>&1 || { log "swift not on PATH"; exit 1; }
    BUILD_DIR="$(mktemp -d /tmp/tokki-swift-protobuf.XXXXXX)"
    trap 'rm -rf "$BUILD_DIR"' EXIT
    log "building protoc-gen-swift $SWIFT_PROTOBUF_VERSION in $BUILD_DIR"
    git -c advice.detachedHead=false clone --quiet --depth 1 \
      --branch "$SWIFT_PROTOBUF_VERSION" "$SWIFT_PROTOBUF_SRC" "$BUILD_DIR/swift-protobuf"
    start=$SECONDS
    swift build --package-path "$BUILD_DIR/swift-protobuf" \
      -c release --product protoc-gen-swift >&2
    log "protoc-gen-swift built in $((SECONDS - start))s"
    BIN_PATH="$(swift build --package-path "$BUILD_DIR/swift-protobuf" -c release --show-bin-path)"
    mkdir -p "$CACHE_DIR"
    cp "$BIN_PATH/protoc-gen-swift" "$PLUGIN.tmp.$$"
    mv -f "$PLUGIN.tmp.$$" "$PLUGIN"
  fi
fi
log "using $("$PLUGIN" --version)"

# --- generate -------------------------------------------------------------------
GEN_DIR="$(mktemp -d /tmp/tokki-proto-out.XXXXXX)"
cleanup() {
  rm -rf "$GEN_DIR"
  if [[ -n "${BUILD_DIR:-}" ]]; then
    rm -rf "$BUILD_DIR"
    # SwiftPM leaves lock files named after the package path in the temp dir.
    rm -f "${TMPDIR:-/tmp}/$(tr / _ <<<"$BUILD_DIR/swift-protobuf")"_.build*.lock \
      "${TMPDIR:-/tmp}/$(tr / _ <<<"$BUILD_DIR/swift-protobuf")"_.build_*.lock
  fi
}
trap cleanup EXIT

protoc \
  --plugin=protoc-gen-swift="$PLUGIN" \
  --proto_path="$PROTO_DIR" \
  --swift_out="$GEN_DIR" \
  --swift_opt=Visibility=Internal \
  --swift_opt=FileNaming=DropPath \
  "$PROTO_DIR/$PROTO_FILE"

mkdir -p "$OUT_DIR"
mv -f "$GEN_DIR/${PROTO_FILE%.proto}.pb.swift" "$OUT_DIR/$OUT_FILE"
log "wrote ${OUT_DIR#"$REPO_ROOT"/}/$OUT_FILE"
