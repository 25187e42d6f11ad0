#!/usr/bin/env bash
# Builds the libFuzzer targets of the nested Fuzz/ package and runs each for SECONDS
# (default 60), one after the other, from a copy of its seed corpus Fuzz/Corpus/<target>/
# (work corpus and crash files in .fuzz/<target>/, gitignored). Prints per target the
# executions, the coverage libFuzzer reached (cov: edges, ft: features) and any crash file.
#
#   scripts/tools/fuzz.sh [SECONDS] [TARGET...]
#   scripts/tools/fuzz.sh --seeds          # regenerate Fuzz/Corpus (make_seeds.py + make_seeds)
#   scripts/tools/fuzz.sh --list           # the target names
#
# Build recipe (Swift 6.3 on Linux; libclang_rt.fuzzer comes with the toolchain):
#   cd Fuzz && swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
# Each target's main.swift calls libFuzzer's LLVMFuzzerRunDriver (SwiftPM renames an
# executable's `main`, so libFuzzer's own is never used). Runs set SWIFT_BACKTRACE=enable=no
# so that traps reach libFuzzer's crash handler instead of Swift's backtracer.
# Findings: crashes, traps, ASan reports, inputs slower than 10 s, allocations over 2 GB.
# Everything runs under `nice -n 10`; set FUZZ_NICE to change that.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
FUZZ="$ROOT/Fuzz"
WORK="$ROOT/.fuzz"
NICE=(nice -n "${FUZZ_NICE:-10}")
TARGETS_ALL=(sentencepiece_model tokenizer_json tiktoken_tekken gpt2_files megatron_idx normalizers encode decode jsonl instruction_templates input_decoding sft_records pii_scrub substring_dedup embedding_matrix dedup_stages model_cache chat_templates)
BUILD_FLAGS=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)

build() {
    (cd "$FUZZ" && "${NICE[@]}" swift build "${BUILD_FLAGS[@]}" "$@" >&2)
}

case "${1:-}" in
    --list) printf '%s\n' "${TARGETS_ALL[@]}"; exit 0 ;;
    --seeds)
        python3 "$FUZZ/make_seeds.py"
        build --product make_seeds
        SWIFT_BACKTRACE=enable=no "$(cd "$FUZZ" && swift build "${BUILD_FLAGS[@]}" --show-bin-path)/make_seeds"
        exit 0 ;;
esac

SECONDS_PER_TARGET="${1:-60}"
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 64; }
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${TARGETS_ALL[@]}")
for t in "${TARGETS[@]}"; do
    [ -d "$FUZZ/Corpus/$t" ] || { echo "unknown target '$t' (see $0 --list)" >&2; exit 64; }
done

for t in "${TARGETS[@]}"; do build --product "$t"; done
BIN="$(cd "$FUZZ" && swift build "${BUILD_FLAGS[@]}" --show-bin-path)"

export SWIFT_BACKTRACE=enable=no
# Leak reports are off: the Swift runtime's metadata caches look like leaks to LSan.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"

printf '%-20s %8s %12s %8s %8s  %s\n' target seconds executions cov ft crashes
status=0
for t in "${TARGETS[@]}"; do
    dir="$WORK/$t"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp -n "$FUZZ/Corpus/$t/"* "$dir/corpus/" 2>/dev/null || true
    log="$dir/fuzz.log"
    rc=0
    "${NICE[@]}" "$BIN/$t" "$dir/corpus" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/" >"$log" 2>&1 || rc=$?
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    last="$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
    crashes="$(grep -o "Test unit written to .*" "$log" | sed 's/Test unit written to //' | tr '\n' ' ' || true)"
    [ -n "$crashes" ] || { [ "$rc" -eq 0 ] && crashes="none" || crashes="exit $rc, see $log"; }
    [ "$crashes" = "none" ] || status=1
    printf '%-20s %8s %12s %8s %8s  %s\n' "$t" "$SECONDS_PER_TARGET" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$crashes"
done
exit $status
