// Most functions of CSupport are inline, in include/CSupport.h; the ones that need their own
// target attributes are here.
#if defined(__linux__)
#define _GNU_SOURCE  // sync_file_range
#include <fcntl.h>
#endif
#include "CSupport.h"

int tk_start_writeback(int fd, int64_t offset, int64_t count) {
#if defined(__linux__)
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}

int tk_finish_writeback(int fd, int64_t offset, int64_t count) {
#if defined(__linux__)
    if (sync_file_range(fd, offset, count,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0)
        return -1;
    return posix_fadvise(fd, offset, count, POSIX_FADV_DONTNEED) == 0 ? 0 : -1;
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}

#if defined(__x86_64__)
#include <immintrin.h>

// UTF-8 validation with three table look-ups per 16 bytes (the "lookup" method of Keiser and
// Lemire, "Validating UTF-8 in less than one instruction per byte", 2021). Each byte pair
// (the byte before, this byte) is classified by the high nibble of the first, its low nibble
// and the high nibble of the second; a bit stays set in all three only for an error of that
// kind. Continuations that 3- and 4-byte leads call for are checked apart.
enum {
    TOO_SHORT = 1 << 0,       // 11______ then 0_______ or 11______
    TOO_LONG = 1 << 1,        // 0_______ then 10______
    OVERLONG_3 = 1 << 2,      // 11100000 100_____
    TOO_LARGE = 1 << 3,       // 11110100 1001____ and above
    SURROGATE = 1 << 4,       // 11101101 101_____
    OVERLONG_2 = 1 << 5,      // 1100000_ 10______
    TOO_LARGE_1000 = 1 << 6,  // 11110101 1000____ and above
    OVERLONG_4 = 1 << 6,      // 11110000 1000____
    TWO_CONTS = 1 << 7,       // 10______ 10______
    CARRY = TOO_SHORT | TOO_LONG | TWO_CONTS,
};

__attribute__((target("ssse3")))
static int tk_utf8_valid_ssse3(const uint8_t *p, size_t n) {
    static const uint8_t byte1HighTable[16] = {
        TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
        TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
        TOO_SHORT | OVERLONG_2,
        TOO_SHORT,
        TOO_SHORT | OVERLONG_3 | SURROGATE,
        TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4};
    const __m128i byte1High = _mm_loadu_si128((const __m128i *)byte1HighTable);
    static const uint8_t byte1LowTable[16] = {
        CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
        CARRY | OVERLONG_2,
        CARRY, CARRY,
        CARRY | TOO_LARGE,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
        CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000};
    const __m128i byte1Low = _mm_loadu_si128((const __m128i *)byte1LowTable);
    static const uint8_t byte2HighTable[16] = {
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT};
    const __m128i byte2High = _mm_loadu_si128((const __m128i *)byte2HighTable);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    // A block's last three bytes leave a sequence open when they are (from the end) a lead of
    // 2+, 3+ or 4 bytes: more than C0-1, E0-1, F0-1 respectively.
    static const uint8_t openAtEndTable[16] = {255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
                                               0xF0 - 1, 0xE0 - 1, 0xC0 - 1};
    const __m128i openAtEnd = _mm_loadu_si128((const __m128i *)openAtEndTable);
    __m128i previous = _mm_setzero_si128(), open = _mm_setzero_si128(), error = _mm_setzero_si128();
    uint8_t last[16];
    size_t i = 0;
    for (;;) {
        __m128i input;
        if (i + 16 <= n) {
            input = _mm_loadu_si128((const __m128i *)(p + i));
        } else if (i < n) {
            // The last n - i (< 16) bytes, then zeros (ASCII: they close nothing, so an open
            // sequence fails).
            memset(last, 0, sizeof last);
            memcpy(last, p + i, n - i);
            input = _mm_loadu_si128((const __m128i *)last);
        } else {
            break;
        }
        i += 16;
        if (_mm_movemask_epi8(input) == 0) {
            error = _mm_or_si128(error, open);
            open = _mm_setzero_si128();
            previous = input;
            continue;
        }
        __m128i prev1 = _mm_alignr_epi8(input, previous, 15);
        __m128i special = _mm_and_si128(
            _mm_and_si128(_mm_shuffle_epi8(byte1High, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble)),
                          _mm_shuffle_epi8(byte1Low, _mm_and_si128(prev1, nibble))),
            _mm_shuffle_epi8(byte2High, _mm_and_si128(_mm_srli_epi16(input, 4), nibble)));
        __m128i prev2 = _mm_alignr_epi8(input, previous, 14);
        __m128i prev3 = _mm_alignr_epi8(input, previous, 13);
        // The third byte of a 3- or 4-byte sequence and the fourth of a 4-byte one must be
        // continuations: the high bit of (prev2 - 0x60) and of (prev3 - 0x70), saturated.
        __m128i must = _mm_or_si128(_mm_subs_epu8(prev2, _mm_set1_epi8(0xE0 - 0x80)),
                                    _mm_subs_epu8(prev3, _mm_set1_epi8(0xF0 - 0x80)));
        error = _mm_or_si128(error, _mm_xor_si128(_mm_and_si128(must, _mm_set1_epi8((char)-128)), special));
        open = _mm_subs_epu8(input, openAtEnd);
        previous = input;
    }
    error = _mm_or_si128(error, open);
    return _mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) == 0xFFFF;
}
#endif

int tk_utf8_valid(const uint8_t *p, size_t n) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("ssse3")) return tk_utf8_valid_ssse3(p, n);
#endif
    (void)p; (void)n;
    return -1;
}
