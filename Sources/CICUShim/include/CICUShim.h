// CICUShim: a small, stable C surface over the system ICU (Debian `libicu-dev`).
//
// Swift code imports this header only. It deliberately includes no ICU header: ICU's
// headers rename every symbol with a version suffix and clash with the ICU module that
// Foundation bundles. All ICU use in Tokki goes through these functions and the Swift
// wrapper `ICU.swift`.
#ifndef TOKKI_CICUSHIM_H
#define TOKKI_CICUSHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Normalization forms understood by `tk_normalizer_instance`.
enum {
    TK_FORM_NFC = 0,
    TK_FORM_NFD = 1,
    TK_FORM_NFKC = 2,
    TK_FORM_NFKD = 3,
    TK_FORM_NFKC_CASEFOLD = 4,
};

/// The result of one UTF-8 normalization: output bytes plus the changed spans.
/// `edits` holds `editCount` quadruples (sourceIndex, oldLength, destinationIndex, newLength),
/// one per change, in order; bytes outside them are copied unchanged.
typedef struct tk_utf8_result {
    uint8_t *bytes;
    int32_t length;
    int32_t capacity;
    int32_t *edits;
    int32_t editCount;
    int32_t editCapacity;
} tk_utf8_result;

/// A handle on one of ICU's shared normalizers; close it with `tk_normalizer_close` (which
/// frees only the handle). Returns NULL and sets `*status` on failure.
void *tk_normalizer_instance(int32_t form, int32_t *status);

/// Opens a filtered normalizer: `form` applies only to code points in the UnicodeSet `pattern`
/// (UTF-16, e.g. `[^[\u3130-\u318F]]`); all others pass through and act as boundaries.
/// Close the result with `tk_normalizer_close`.
void *tk_normalizer_open_filtered(int32_t form, const uint16_t *pattern, int32_t patternLength,
                                  int32_t *status);

/// Closes a normalizer made by `tk_normalizer_open_filtered`.
void tk_normalizer_close(void *normalizer);

/// Normalizes well-formed UTF-8 into `result` (its buffers are reused and grown as needed).
/// Returns 0 on success, else the ICU error code (also stored in `*status`).
int32_t tk_normalize_utf8(const void *normalizer, const uint8_t *source, int32_t length,
                          tk_utf8_result *result, int32_t *status);

/// Returns 1 when `source` is already normalized (fast quick check), 0 otherwise or on error.
int32_t tk_is_normalized_utf8(const void *normalizer, const uint8_t *source, int32_t length,
                              int32_t *status);

/// Returns 1 when `codePoint` always starts a normalization segment (no interaction with
/// what precedes it) and is unchanged when normalized on its own, 0 otherwise. A string made
/// only of such characters is already normalized.
int32_t tk_normalizer_is_stable_starter(const void *normalizer, uint32_t codePoint);

/// Sets bit `c` of `bits` (1024 words, all BMP code points) when
/// `tk_normalizer_is_stable_starter(normalizer, c)`.
void tk_normalizer_stable_starter_bitmap(const void *normalizer, uint64_t *bits);

/// Writes the decomposition of `codePoint` by `normalizer` (for NFD: the full canonical
/// decomposition) to `out` as code points. Returns their number, 0 when the code point
/// has no decomposition (it maps to itself), or -1 when `capacity` is too small or ICU fails.
int32_t tk_normalizer_decomposition(const void *normalizer, uint32_t codePoint, uint32_t *out, int32_t capacity);

/// Releases the buffers of `result` and zeroes it.
void tk_utf8_result_free(tk_utf8_result *result);

/// Growable list of byte ranges: `count` pairs (start, end) in `pairs`.
typedef struct tk_ranges {
    int64_t *pairs;
    int64_t count;
    int64_t capacity;
} tk_ranges;

/// Compiles an ICU regular expression (UTF-16 `pattern`). Returns NULL on error, with the
/// ICU status in `*status` and the failing pattern offset in `*errorOffset`. The compiled
/// expression is a template: use `tk_regex_clone` per thread. Close with `tk_regex_close`.
void *tk_regex_open(const uint16_t *pattern, int32_t patternLength, int32_t *status, int32_t *errorOffset);

/// Clones a compiled expression for use on one thread.
void *tk_regex_clone(const void *regex, int32_t *status);

/// Closes an expression from `tk_regex_open` or `tk_regex_clone`.
void tk_regex_close(void *regex);

/// Finds every non-overlapping match in well-formed UTF-8 `text`, appending their byte
/// ranges to `out` (its buffer is reused and grown). Returns 0 or the ICU error code.
int32_t tk_regex_find_all_utf8(void *regex, const uint8_t *text, int64_t length, tk_ranges *out, int32_t *status);

/// Releases the buffer of `ranges`.
void tk_ranges_free(tk_ranges *ranges);

/// Writes the Unicode name of `codePoint` (NUL-terminated) into `buffer`; returns its length,
/// or 0 when the code point has no name.
int32_t tk_char_name(uint32_t codePoint, char *buffer, int32_t capacity);

/// Returns 1 when `codePoint` has the Extended_Pictographic property (emoji), else 0.
int32_t tk_is_extended_pictographic(uint32_t codePoint);

/// Writes the end offsets (in bytes) of the extended grapheme clusters of well-formed UTF-8
/// `text` into `out` (room for `capacity` offsets; `length` + 1 always suffices). Returns
/// the number written, or -1 on an ICU error (in `status`).
int32_t tk_grapheme_ends_utf8(const uint8_t *text, int32_t length, int32_t *out, int32_t capacity, int32_t *status);

/// The ICU script code (UScriptCode value) of `codePoint`, or -1 on error.
int32_t tk_script(uint32_t codePoint);

/// The ICU general category (UCharCategory value) of `codePoint`.
int32_t tk_char_category(uint32_t codePoint);
/// The general category of every code point of the Basic Multilingual Plane (U+0000...U+FFFF)
/// into `out` (65,536 bytes), from ICU's ranges of equal category: one pass over a few
/// thousand ranges instead of 65,536 look-ups.
void tk_bmp_categories(uint8_t *out);

/// Returns 1 when `codePoint` has the White_Space property, else 0.
int32_t tk_is_white_space(uint32_t codePoint);

/// The canonical combining class of `codePoint` (0 for starters).
int32_t tk_combining_class(uint32_t codePoint);

/// The symbolic name of an ICU error code, e.g. "U_MEMORY_ALLOCATION_ERROR".
const char *tk_error_name(int32_t status);

/// The ICU version string, e.g. "72.1".
void tk_icu_version(char *buffer, int32_t capacity);

/// The Unicode version ICU implements, e.g. "15.0".
void tk_unicode_version(char *buffer, int32_t capacity);

/// A streaming converter from a legacy charset (`cp949`, `euc-kr`, `utf-16`, …, any name ICU
/// knows) to UTF-8. With `strict`, an invalid or unmappable byte sequence stops the conversion
/// (`tk_converter_to_utf8` returns 2); otherwise it becomes U+FFFD. NULL with `*status` set when
/// ICU does not know the name.
void *tk_converter_open(const char *name, int32_t strict, int32_t *status);

/// Converts `input[0..<inputLength]` to UTF-8 in `output[0..<outputCapacity]`; sets the input
/// bytes consumed and output bytes written. `flush` = 1 with the last input (a partial
/// sequence at the end is then an error). Returns 0 on progress (call again with the rest or
/// more input), 2 on an invalid sequence (consumed = the bytes before it), 1 on another
/// ICU failure (`*status`).
int32_t tk_converter_to_utf8(void *converter, const uint8_t *input, int32_t inputLength, int32_t *consumed,
                             uint8_t *output, int32_t outputCapacity, int32_t *written, int32_t flush, int32_t *status);

/// ICU's canonical name of the converter (for messages).
const char *tk_converter_name(const void *converter);

void tk_converter_close(void *converter);

#ifdef __cplusplus
}
#endif

#endif
