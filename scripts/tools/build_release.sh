#!/usr/bin/env bash
# Builds the tokki command-line tool as a standalone release binary and prints its path.
#
#   scripts/tools/build_release.sh                       # → /tmp/tokki-release-static/release/tokki
#   TOKKI_SCRATCH=/some/dir scripts/tools/build_release.sh
#   cp "$(scripts/tools/build_release.sh)" /usr/local/bin/tokki
#
# `swift build -c release --static-swift-stdlib --product tokki`: the Swift runtime and
# Foundation are linked into the binary (only ICU stays a shared library: libicu-dev), so it
# runs without the Swift toolchain, starts in about 8 ms instead of 13 and maps about 6 MB
# less memory than the default dynamically linked build. This is the binary the benchmark
# scripts measure. The scratch directory is its own, so it never blocks a build in .build/.
#
# On Linux with GNU ld 2.38 or later and glibc 2.36 or later, it is linked by ld.bfd with packed
# relative relocations (`-z pack-relative-relocs`, DT_RELR): the position-independent binary has
# about 86,000 of them, which the dynamic loader otherwise reads from a 2 MB table at every
# start; packed, they take 16 KB and every process starts about 1 ms sooner. (Swift's default
# linker, gold, does not know the option.) The binary then needs glibc 2.36 to run; elsewhere
# it is linked as before. (The linker's help is read whole before it is searched: `grep -q` in a
# pipe stops reading at the first match, the linker then dies of SIGPIPE, and under pipefail the
# test failed at random, linking without the option and rebuilding everything every other run.)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOKKI_SCRATCH="${TOKKI_SCRATCH:-/tmp/tokki-release-static}"
LINK=()
if [[ "$(uname -s)" == Linux ]] && command -v ld.bfd >/dev/null 2>&1 \
    && [[ "$(ld.bfd --help 2>/dev/null)" == *pack-relative-relocs* ]] \
    && getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ split($2, v, "."); exit !(v[1] > 2 || (v[1] == 2 && v[2] >= 36)) }'; then
    LINK=(-Xswiftc -use-ld=bfd -Xlinker -z -Xlinker pack-relative-relocs)
fi
printf '[build-release] swift build -c release --static-swift-stdlib %s(scratch %s)\n' "${LINK[*]:+${LINK[*]} }" "$TOKKI_SCRATCH" >&2
swift build -c release --static-swift-stdlib --product tokki --package-path "$ROOT" --scratch-path "$TOKKI_SCRATCH" ${LINK[@]+"${LINK[@]}"} >&2
echo "$TOKKI_SCRATCH/release/tokki"
