// Implementation of CICUShim over ICU4C. See include/CICUShim.h.
#define U_SHOW_CPLUSPLUS_API 1
#include "CICUShim.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/bytestream.h>
#include <unicode/edits.h>
#include <unicode/normalizer2.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>
#include <unicode/uniset.h>
#include <unicode/uregex.h>
#include <unicode/utext.h>
#include <unicode/unorm2.h>
#include <unicode/uset.h>
#include <unicode/utypes.h>
#include <unicode/uversion.h>

namespace {

// A ByteSink that appends into the growable buffer of a tk_utf8_result.
class ResultSink : public icu::ByteSink {
public:
    explicit ResultSink(tk_utf8_result *r) : result(r), failed(false) {}

    void Append(const char *bytes, int32_t n) override {
        if (failed || n <= 0) return;
        if (!reserve(result->length + n)) return;
        if (bytes != reinterpret_cast<const char *>(result->bytes) + result->length) {
            memcpy(result->bytes + result->length, bytes, (size_t)n);
        }
        result->length += n;
    }

    char *GetAppendBuffer(int32_t min_capacity, int32_t desired_capacity_hint, char *scratch,
                          int32_t scratch_capacity, int32_t *result_capacity) override {
        if (min_capacity < 1 || scratch_capacity < min_capacity) {
            *result_capacity = 0;
            return nullptr;
        }
        int32_t want = desired_capacity_hint > min_capacity ? desired_capacity_hint : min_capacity;
        if (!failed && reserve(result->length + want)) {
            *result_capacity = result->capacity - result->length;
            return reinterpret_cast<char *>(result->bytes) + result->length;
        }
        *result_capacity = scratch_capacity;
        return scratch;
    }

    bool failed;

private:
    bool reserve(int32_t needed) {
        if (needed < 0) { failed = true; return false; }
        if (needed <= result->capacity) return true;
        int64_t cap = result->capacity > 0 ? result->capacity : 256;
        while (cap < needed) cap *= 2;
        if (cap > INT32_MAX) cap = INT32_MAX;
        void *grown = realloc(result->bytes, (size_t)cap);
        if (grown == nullptr) { failed = true; return false; }
        result->bytes = static_cast<uint8_t *>(grown);
        result->capacity = (int32_t)cap;
        return true;
    }

    tk_utf8_result *result;
};

bool pushEdit(tk_utf8_result *r, int32_t src, int32_t oldLen, int32_t dst, int32_t newLen) {
    if (r->editCount + 1 > r->editCapacity) {
        int64_t cap = r->editCapacity > 0 ? (int64_t)r->editCapacity * 2 : 64;
        if (cap * 4 > INT32_MAX) return false;
        void *grown = realloc(r->edits, (size_t)cap * 4 * sizeof(int32_t));
        if (grown == nullptr) return false;
        r->edits = static_cast<int32_t *>(grown);
        r->editCapacity = (int32_t)cap;
    }
    int32_t *e = r->edits + (size_t)r->editCount * 4;
    e[0] = src; e[1] = oldLen; e[2] = dst; e[3] = newLen;
    r->editCount += 1;
    return true;
}

struct Filtered {
    USet *set;
    UNormalizer2 *normalizer;
};

const UNormalizer2 *instanceFor(int32_t form, UErrorCode *ec) {
    switch (form) {
    case TK_FORM_NFC: return unorm2_getNFCInstance(ec);
    case TK_FORM_NFD: return unorm2_getNFDInstance(ec);
    case TK_FORM_NFKC: return unorm2_getNFKCInstance(ec);
    case TK_FORM_NFKD: return unorm2_getNFKDInstance(ec);
    case TK_FORM_NFKC_CASEFOLD: return unorm2_getNFKCCasefoldInstance(ec);
    default: *ec = U_ILLEGAL_ARGUMENT_ERROR; return nullptr;
    }
}

// Every normalizer handed to Swift is a heap Handle. For the ICU singletons it only points
// at the immortal instance; for filtered normalizers it owns the set and the normalizer.
struct Handle {
    int32_t filtered;
    const UNormalizer2 *normalizer;
    Filtered owned;
};

} // namespace

extern "C" {

void *tk_normalizer_instance(int32_t form, int32_t *status) {
    UErrorCode ec = U_ZERO_ERROR;
    const UNormalizer2 *n = instanceFor(form, &ec);
    *status = (int32_t)ec;
    if (U_FAILURE(ec) || n == nullptr) return nullptr;
    Handle *h = static_cast<Handle *>(calloc(1, sizeof(Handle)));
    if (h == nullptr) {
        *status = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return nullptr;
    }
    h->filtered = 0;
    h->normalizer = n;
    return h;
}

void *tk_normalizer_open_filtered(int32_t form, const uint16_t *pattern, int32_t patternLength,
                                  int32_t *status) {
    UErrorCode ec = U_ZERO_ERROR;
    const UNormalizer2 *base = instanceFor(form, &ec);
    if (U_FAILURE(ec)) { *status = (int32_t)ec; return nullptr; }
    USet *set = uset_openPattern(reinterpret_cast<const UChar *>(pattern), patternLength, &ec);
    if (U_FAILURE(ec)) { *status = (int32_t)ec; return nullptr; }
    uset_freeze(set);
    UNormalizer2 *filtered = unorm2_openFiltered(base, set, &ec);
    if (U_FAILURE(ec)) {
        uset_close(set);
        *status = (int32_t)ec;
        return nullptr;
    }
    Handle *h = static_cast<Handle *>(calloc(1, sizeof(Handle)));
    if (h == nullptr) {
        unorm2_close(filtered);
        uset_close(set);
        *status = (int32_t)U_MEMORY_ALLOCATION_ERROR;
        return nullptr;
    }
    h->filtered = 1;
    h->normalizer = filtered;
    h->owned.set = set;
    h->owned.normalizer = filtered;
    *status = 0;
    return h;
}

void tk_normalizer_close(void *normalizer) {
    Handle *h = static_cast<Handle *>(normalizer);
    if (h == nullptr) return;
    if (h->filtered) {
        unorm2_close(h->owned.normalizer);
        uset_close(h->owned.set);
    }
    free(h);
}

int32_t tk_normalize_utf8(const void *normalizer, const uint8_t *source, int32_t length,
                          tk_utf8_result *result, int32_t *status) {
    const Handle *h = static_cast<const Handle *>(normalizer);
    result->length = 0;
    result->editCount = 0;
    if (h == nullptr || length < 0) {
        *status = (int32_t)U_ILLEGAL_ARGUMENT_ERROR;
        return *status;
    }
    const icu::Normalizer2 *n2 = reinterpret_cast<const icu::Normalizer2 *>(h->normalizer);
    UErrorCode ec = U_ZERO_ERROR;
    ResultSink sink(result);
    icu::Edits edits;
    n2->normalizeUTF8(0, icu::StringPiece(reinterpret_cast<const char *>(source), length), sink,
                      &edits, ec);
    if (U_SUCCESS(ec) && sink.failed) ec = U_MEMORY_ALLOCATION_ERROR;
    if (U_SUCCESS(ec)) {
        icu::Edits::Iterator it = edits.getFineIterator();
        while (it.next(ec)) {
            if (!it.hasChange()) continue;
            if (!pushEdit(result, it.sourceIndex(), it.oldLength(), it.destinationIndex(),
                          it.newLength())) {
                ec = U_MEMORY_ALLOCATION_ERROR;
                break;
            }
        }
    }
    *status = (int32_t)ec;
    return U_FAILURE(ec) ? (int32_t)ec : 0;
}

int32_t tk_is_normalized_utf8(const void *normalizer, const uint8_t *source, int32_t length,
                              int32_t *status) {
    const Handle *h = static_cast<const Handle *>(normalizer);
    if (h == nullptr || length < 0) {
        *status = (int32_t)U_ILLEGAL_ARGUMENT_ERROR;
        return 0;
    }
    const icu::Normalizer2 *n2 = reinterpret_cast<const icu::Normalizer2 *>(h->normalizer);
    UErrorCode ec = U_ZERO_ERROR;
    UBool yes = n2->isNormalizedUTF8(
        icu::StringPiece(reinterpret_cast<const char *>(source), length), ec);
    *status = (int32_t)ec;
    return (U_SUCCESS(ec) && yes) ? 1 : 0;
}

int32_t tk_normalizer_is_stable_starter(const void *normalizer, uint32_t codePoint) {
    const Handle *h = static_cast<const Handle *>(normalizer);
    if (h == nullptr || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint < 0xE000)) return 0;
    if (!unorm2_hasBoundaryBefore(h->normalizer, (UChar32)codePoint)) return 0;
    UChar buffer[2];
    int32_t length = 0;
    if (codePoint < 0x10000) {
        buffer[0] = (UChar)codePoint;
        length = 1;
    } else {
        buffer[0] = (UChar)(0xD7C0 + (codePoint >> 10));
        buffer[1] = (UChar)(0xDC00 | (codePoint & 0x3FF));
        length = 2;
    }
    UErrorCode ec = U_ZERO_ERROR;
    UBool yes = unorm2_isNormalized(h->normalizer, buffer, length, &ec);
    return (U_SUCCESS(ec) && yes) ? 1 : 0;
}

int32_t tk_normalizer_decomposition(const void *normalizer, uint32_t codePoint, uint32_t *out, int32_t capacity) {
    const Handle *h = static_cast<const Handle *>(normalizer);
    if (h == nullptr || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint < 0xE000)) return -1;
    UChar buffer[64];
    UErrorCode ec = U_ZERO_ERROR;
    int32_t length = unorm2_getDecomposition(h->normalizer, (UChar32)codePoint, buffer, 64, &ec);
    if (U_FAILURE(ec)) return -1;
    if (length < 0) return 0;   // no decomposition
    int32_t count = 0;
    for (int32_t i = 0; i < length;) {
        UChar32 c;
        U16_NEXT(buffer, i, length, c);
        if (count >= capacity) return -1;
        out[count++] = (uint32_t)c;
    }
    return count;
}

void tk_normalizer_stable_starter_bitmap(const void *normalizer, uint64_t *bits) {
    for (uint32_t c = 0; c < 0x10000; ++c) {
        if (tk_normalizer_is_stable_starter(normalizer, c)) bits[c >> 6] |= (uint64_t)1 << (c & 63);
    }
}

void tk_utf8_result_free(tk_utf8_result *result) {
    if (result == nullptr) return;
    free(result->bytes);
    free(result->edits);
    memset(result, 0, sizeof(*result));
}

void *tk_regex_open(const uint16_t *pattern, int32_t patternLength, int32_t *status, int32_t *errorOffset) {
    UErrorCode ec = U_ZERO_ERROR;
    UParseError pe;
    URegularExpression *re = uregex_open(reinterpret_cast<const UChar *>(pattern), patternLength, 0, &pe, &ec);
    *status = (int32_t)ec;
    *errorOffset = pe.offset;
    if (U_FAILURE(ec)) {
        if (re) uregex_close(re);
        return nullptr;
    }
    return re;
}

void *tk_regex_clone(const void *regex, int32_t *status) {
    UErrorCode ec = U_ZERO_ERROR;
    URegularExpression *re = uregex_clone(static_cast<const URegularExpression *>(regex), &ec);
    // A pattern from a file must not backtrack forever: a match attempt that takes more than
    // 20000 engine steps (each ~10,000 operations: seconds) fails with U_REGEX_TIME_OUT.
    if (U_SUCCESS(ec)) uregex_setTimeLimit(re, 20000, &ec);
    *status = (int32_t)ec;
    if (U_FAILURE(ec)) {
        if (re) uregex_close(re);
        return nullptr;
    }
    return re;
}

void tk_regex_close(void *regex) {
    if (regex) uregex_close(static_cast<URegularExpression *>(regex));
}

static bool pushRange(tk_ranges *out, int64_t start, int64_t end) {
    if (out->count + 1 > out->capacity) {
        int64_t cap = out->capacity > 0 ? out->capacity * 2 : 256;
        void *grown = realloc(out->pairs, (size_t)cap * 2 * sizeof(int64_t));
        if (grown == nullptr) return false;
        out->pairs = static_cast<int64_t *>(grown);
        out->capacity = cap;
    }
    out->pairs[out->count * 2] = start;
    out->pairs[out->count * 2 + 1] = end;
    out->count += 1;
    return true;
}

int32_t tk_regex_find_all_utf8(void *regex, const uint8_t *text, int64_t length, tk_ranges *out, int32_t *status) {
    URegularExpression *re = static_cast<URegularExpression *>(regex);
    out->count = 0;
    UErrorCode ec = U_ZERO_ERROR;
    UText *ut = utext_openUTF8(nullptr, reinterpret_cast<const char *>(text), length, &ec);
    if (U_SUCCESS(ec)) uregex_setUText(re, ut, &ec);
    while (U_SUCCESS(ec) && uregex_findNext(re, &ec)) {
        int64_t start = uregex_start64(re, 0, &ec);
        int64_t end = uregex_end64(re, 0, &ec);
        if (U_FAILURE(ec)) break;
        if (!pushRange(out, start, end)) { ec = U_MEMORY_ALLOCATION_ERROR; break; }
    }
    // Detach the text before closing it.
    UErrorCode ignored = U_ZERO_ERROR;
    uregex_setText(re, u"", 0, &ignored);
    utext_close(ut);
    *status = (int32_t)ec;
    return U_FAILURE(ec) ? (int32_t)ec : 0;
}

void tk_ranges_free(tk_ranges *ranges) {
    if (ranges == nullptr) return;
    free(ranges->pairs);
    ranges->pairs = nullptr;
    ranges->count = 0;
    ranges->capacity = 0;
}

int32_t tk_char_name(uint32_t codePoint, char *buffer, int32_t capacity) {
    UErrorCode ec = U_ZERO_ERROR;
    int32_t n = u_charName((UChar32)codePoint, U_UNICODE_CHAR_NAME, buffer, capacity, &ec);
    if (U_FAILURE(ec) || n >= capacity) {
        if (capacity > 0) buffer[0] = 0;
        return 0;
    }
    return n;
}

int32_t tk_is_extended_pictographic(uint32_t codePoint) {
    return u_hasBinaryProperty((UChar32)codePoint, UCHAR_EXTENDED_PICTOGRAPHIC) ? 1 : 0;
}

int32_t tk_grapheme_ends_utf8(const uint8_t *text, int32_t length, int32_t *out, int32_t capacity, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    UText *ut = utext_openUTF8(NULL, (const char *)text, length, &err);
    UBreakIterator *bi = ubrk_open(UBRK_CHARACTER, "", NULL, 0, &err);
    if (U_SUCCESS(err)) ubrk_setUText(bi, ut, &err);
    int32_t count = 0;
    if (U_SUCCESS(err)) {
        for (int32_t p = ubrk_next(bi); p != UBRK_DONE && count < capacity; p = ubrk_next(bi)) out[count++] = p;
    }
    if (bi) ubrk_close(bi);
    if (ut) utext_close(ut);
    *status = (int32_t)err;
    return U_SUCCESS(err) ? count : -1;
}

int32_t tk_script(uint32_t codePoint) {
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode code = uscript_getScript((UChar32)codePoint, &err);
    return U_SUCCESS(err) ? (int32_t)code : -1;
}

int32_t tk_char_category(uint32_t codePoint) { return (int32_t)u_charType((UChar32)codePoint); }

/* u_enumCharTypes callback: one range of equal category, written into the plane's table. */
static UBool tk_fill_category_range(const void *context, UChar32 start, UChar32 limit, UCharCategory type) {
    uint8_t *out = (uint8_t *)context;
    if (start >= 0x10000) return false;
    if (limit > 0x10000) limit = 0x10000;
    if (start < 0 || limit <= start) return true;
    memset(out + start, (int)type, (size_t)(limit - start));
    return limit < 0x10000;
}

void tk_bmp_categories(uint8_t *out) {
    memset(out, 0, 0x10000);
    u_enumCharTypes(tk_fill_category_range, out);
}

int32_t tk_is_white_space(uint32_t codePoint) {
    return u_hasBinaryProperty((UChar32)codePoint, UCHAR_WHITE_SPACE) ? 1 : 0;
}

int32_t tk_combining_class(uint32_t codePoint) { return (int32_t)u_getCombiningClass((UChar32)codePoint); }

const char *tk_error_name(int32_t status) { return u_errorName((UErrorCode)status); }

void tk_icu_version(char *buffer, int32_t capacity) {
    UVersionInfo v;
    u_getVersion(v);
    if (capacity >= U_MAX_VERSION_STRING_LENGTH) u_versionToString(v, buffer);
    else if (capacity > 0) buffer[0] = 0;
}

void tk_unicode_version(char *buffer, int32_t capacity) {
    UVersionInfo v;
    u_getUnicodeVersion(v);
    if (capacity >= U_MAX_VERSION_STRING_LENGTH) u_versionToString(v, buffer);
    else if (capacity > 0) buffer[0] = 0;
}

} // extern "C"

// ---------------------------------------------------------------- charset conversion

namespace {
struct Converter {
    UConverter *source;
    UConverter *utf8;
    UChar pivot[4096];
    UChar *pivotSource;
    UChar *pivotTarget;
    bool reset;
};
}

void *tk_converter_open(const char *name, int32_t strict, int32_t *status) {
    UErrorCode err = U_ZERO_ERROR;
    UConverter *source = ucnv_open(name, &err);
    if (U_FAILURE(err) || !source) { *status = err; return nullptr; }
    if (strict) {
        ucnv_setToUCallBack(source, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
    }
    UConverter *utf8 = ucnv_open("UTF-8", &err);
    if (U_FAILURE(err) || !utf8) { ucnv_close(source); *status = err; return nullptr; }
    Converter *c = static_cast<Converter *>(calloc(1, sizeof(Converter)));
    if (!c) { ucnv_close(source); ucnv_close(utf8); *status = U_MEMORY_ALLOCATION_ERROR; return nullptr; }
    c->source = source;
    c->utf8 = utf8;
    c->pivotSource = c->pivot;
    c->pivotTarget = c->pivot;
    c->reset = true;
    *status = U_ZERO_ERROR;
    return c;
}

int32_t tk_converter_to_utf8(void *converter, const uint8_t *input, int32_t inputLength, int32_t *consumed,
                             uint8_t *output, int32_t outputCapacity, int32_t *written, int32_t flush, int32_t *status) {
    Converter *c = static_cast<Converter *>(converter);
    const char *src = reinterpret_cast<const char *>(input);
    const char *srcLimit = src + inputLength;
    char *dst = reinterpret_cast<char *>(output);
    char *dstLimit = dst + outputCapacity;
    UErrorCode err = U_ZERO_ERROR;
    ucnv_convertEx(c->utf8, c->source, &dst, dstLimit, &src, srcLimit, c->pivot, &c->pivotSource, &c->pivotTarget,
                   c->pivot + 4096, c->reset, flush ? true : false, &err);
    c->reset = false;
    *consumed = static_cast<int32_t>(src - reinterpret_cast<const char *>(input));
    *written = static_cast<int32_t>(dst - reinterpret_cast<char *>(output));
    *status = err;
    if (err == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(err)) return 0;
    if (err == U_ILLEGAL_CHAR_FOUND || err == U_INVALID_CHAR_FOUND || err == U_TRUNCATED_CHAR_FOUND) {
        // `src` is past the bad sequence; report where it starts.
        char bad[32];
        int8_t badLength = sizeof bad;
        UErrorCode e2 = U_ZERO_ERROR;
        ucnv_getInvalidChars(c->source, bad, &badLength, &e2);
        if (U_SUCCESS(e2) && badLength <= *consumed) *consumed -= badLength;
        return 2;
    }
    return 1;
}

const char *tk_converter_name(const void *converter) {
    UErrorCode err = U_ZERO_ERROR;
    const char *n = ucnv_getName(static_cast<const Converter *>(converter)->source, &err);
    return U_SUCCESS(err) && n ? n : "";
}

void tk_converter_close(void *converter) {
    if (!converter) return;
    Converter *c = static_cast<Converter *>(converter);
    ucnv_close(c->source);
    ucnv_close(c->utf8);
    free(c);
}
