// CCompression: streaming decompression of gzip (zlib) and Zstandard (libzstd) input, as a
// small C surface so that Swift never includes the libraries' headers (Debian `zlib1g-dev`
// and `libzstd-dev`).
#ifndef TOKKI_CCOMPRESSION_H
#define TOKKI_CCOMPRESSION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    TK_COMPRESSION_GZIP = 1,
    TK_COMPRESSION_ZSTD = 2,
};

/// Results of `tk_inflater_run`.
enum {
    /// Progress was made (or more input is needed).
    TK_INFLATE_OK = 0,
    /// The input is not valid compressed data; `tk_inflater_message` says why.
    TK_INFLATE_ERROR = -1,
    /// Out of memory.
    TK_INFLATE_NOMEM = -2,
};

typedef struct tk_inflater tk_inflater;

/// A decompressor for `kind` (TK_COMPRESSION_GZIP also reads zlib and concatenated gzip
/// members; TK_COMPRESSION_ZSTD reads concatenated frames). NULL when out of memory.
tk_inflater *tk_inflater_create(int32_t kind);

/// Decompresses from `input[0..<inputLength]` into `output[0..<outputCapacity]`; sets how
/// many input bytes were consumed and output bytes written. Call again with the remaining
/// input, or more input; `final` = 1 when no more input follows (so a truncated stream is
/// reported as an error).
int32_t tk_inflater_run(tk_inflater *inflater, const uint8_t *input, size_t inputLength, size_t *consumed,
                        uint8_t *output, size_t outputCapacity, size_t *written, int32_t final);

/// Whether the last frame or member ended cleanly (no partial stream pending).
int32_t tk_inflater_at_boundary(const tk_inflater *inflater);

/// The message of the last error (static storage or owned by the inflater).
const char *tk_inflater_message(const tk_inflater *inflater);

void tk_inflater_destroy(tk_inflater *inflater);

#ifdef __cplusplus
}
#endif

#endif
