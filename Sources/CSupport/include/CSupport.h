// CSupport: processor hints Swift has no spelling for.
#ifndef TOKKI_CSUPPORT_H
#define TOKKI_CSUPPORT_H

/// Starts loading the cache line at `p` for a read soon (a hint: it never faults, whatever
/// `p` is). Inlined into the Swift caller.
static inline __attribute__((always_inline)) void tk_prefetch(const void *p) {
    __builtin_prefetch(p, 0, 3);
}

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/// Whether the `n` bytes at `p` are well-formed UTF-8: 1 or 0, with SIMD (x86-64 with
/// SSSE3); -1 when this processor has no such path (the caller checks another way).
int tk_utf8_valid(const uint8_t *p, size_t n);

// Starts writing a file's dirty pages in [offset, offset + count) to the disk without waiting
// (Linux sync_file_range with SYNC_FILE_RANGE_WRITE); elsewhere does nothing. 0 or -1 (errno).
int tk_start_writeback(int fd, int64_t offset, int64_t count);

// Waits until [offset, offset + count) is written to the disk, then lets the kernel drop those
// pages from its cache (Linux sync_file_range, then POSIX_FADV_DONTNEED); elsewhere does
// nothing. For data written once and not read back: the cache stays small instead of filling
// with the whole output.
int tk_finish_writeback(int fd, int64_t offset, int64_t count);
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef uint8_t tk_u8x16 __attribute__((vector_size(16)));
typedef int8_t tk_i8x16 __attribute__((vector_size(16)));

/// Classifies the 16 bytes at `p` (any alignment) of well-formed UTF-8 for the Hangul quick
/// check: 1 when one of them is a lead byte other than EA–ED (C0–E9 or EE–FF); else bit
/// k + 1 set for each byte k that is EA or ED (leads whose characters may lie outside the
/// syllables). A few vector instructions: Swift's own SIMD comparisons are lowered one lane
/// at a time.
static inline __attribute__((always_inline)) uint32_t tk_hangul_block(const uint8_t *p) {
    tk_u8x16 v;
    memcpy(&v, p, 16);
    tk_u8x16 fromEA = v - (uint8_t)0xEA;
    tk_i8x16 otherLead = (tk_i8x16)((v >= (uint8_t)0xC0) & (fromEA > (uint8_t)3));
    tk_i8x16 eaOrED = (tk_i8x16)((v == (uint8_t)0xEA) | (v == (uint8_t)0xED));
#if defined(__SSE2__)
    __m128i a, b;
    memcpy(&a, &otherLead, 16);
    memcpy(&b, &eaOrED, 16);
    uint32_t other = (uint32_t)_mm_movemask_epi8(a), marks = (uint32_t)_mm_movemask_epi8(b);
#else
    uint32_t other = 0, marks = 0;
    for (int k = 0; k < 16; k++) {
        other |= (uint32_t)(otherLead[k] != 0) << k;
        marks |= (uint32_t)(eaOrED[k] != 0) << k;
    }
#endif
    return other != 0 ? 1u : marks << 1;
}

#endif
