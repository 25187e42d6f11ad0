#include "CCompression.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

struct tk_inflater {
    int32_t kind;
    z_stream z;
    int zInitialised;
    ZSTD_DStream *zstd;
    /// 1 between members/frames (nothing partial pending), 0 inside one.
    int32_t boundary;
    char message[160];
};

tk_inflater *tk_inflater_create(int32_t kind) {
    tk_inflater *s = calloc(1, sizeof(tk_inflater));
    if (!s) return NULL;
    s->kind = kind;
    s->boundary = 1;
    if (kind == TK_COMPRESSION_GZIP) {
        // 32 + MAX_WBITS: gzip or zlib header, detected.
        if (inflateInit2(&s->z, 32 + MAX_WBITS) != Z_OK) { free(s); return NULL; }
        s->zInitialised = 1;
    } else if (kind == TK_COMPRESSION_ZSTD) {
        s->zstd = ZSTD_createDStream();
        if (!s->zstd) { free(s); return NULL; }
        ZSTD_initDStream(s->zstd);
    } else {
        free(s);
        return NULL;
    }
    return s;
}

static void set_message(tk_inflater *s, const char *prefix, const char *detail) {
    snprintf(s->message, sizeof s->message, "%s%s", prefix, detail ? detail : "");
}

int32_t tk_inflater_run(tk_inflater *s, const uint8_t *input, size_t inputLength, size_t *consumed,
                        uint8_t *output, size_t outputCapacity, size_t *written, int32_t final) {
    *consumed = 0;
    *written = 0;
    if (s->kind == TK_COMPRESSION_GZIP) {
        size_t in = 0, out = 0;
        while (out < outputCapacity) {
            if (s->boundary && in == inputLength) break;
            size_t inChunk = inputLength - in, outChunk = outputCapacity - out;
            if (inChunk > 0x40000000u) inChunk = 0x40000000u;
            if (outChunk > 0x40000000u) outChunk = 0x40000000u;
            s->z.next_in = (Bytef *)(input + in);
            s->z.avail_in = (uInt)inChunk;
            s->z.next_out = output + out;
            s->z.avail_out = (uInt)outChunk;
            int r = inflate(&s->z, Z_NO_FLUSH);
            in += inChunk - s->z.avail_in;
            out += outChunk - s->z.avail_out;
            if (r == Z_STREAM_END) {
                // A member ended; another may follow (concatenated gzip, as gzip -c a b).
                inflateReset(&s->z);
                s->boundary = 1;
                continue;
            }
            if (r == Z_OK) { s->boundary = 0; continue; }
            if (r == Z_BUF_ERROR) {
                // No progress possible: more input or more room needed.
                break;
            }
            if (r == Z_MEM_ERROR) { set_message(s, "out of memory", NULL); return TK_INFLATE_NOMEM; }
            set_message(s, "invalid gzip data: ", s->z.msg ? s->z.msg : "corrupt stream");
            return TK_INFLATE_ERROR;
        }
        *consumed = in;
        *written = out;
        if (final && in == inputLength && out < outputCapacity && !s->boundary) {
            set_message(s, "the gzip stream ends early (truncated file)", NULL);
            return TK_INFLATE_ERROR;
        }
        return TK_INFLATE_OK;
    }
    ZSTD_inBuffer in = { input, inputLength, 0 };
    ZSTD_outBuffer out = { output, outputCapacity, 0 };
    while (out.pos < out.size && (in.pos < in.size || !s->boundary)) {
        size_t before = out.pos, beforeIn = in.pos;
        size_t r = ZSTD_decompressStream(s->zstd, &out, &in);
        if (ZSTD_isError(r)) {
            set_message(s, "invalid zstd data: ", ZSTD_getErrorName(r));
            return TK_INFLATE_ERROR;
        }
        s->boundary = (r == 0);
        if (out.pos == before && in.pos == beforeIn) break;
    }
    *consumed = in.pos;
    *written = out.pos;
    if (final && in.pos == in.size && out.pos < out.size && !s->boundary) {
        set_message(s, "the zstd stream ends early (truncated file)", NULL);
        return TK_INFLATE_ERROR;
    }
    return TK_INFLATE_OK;
}

int32_t tk_inflater_at_boundary(const tk_inflater *s) { return s->boundary; }

const char *tk_inflater_message(const tk_inflater *s) { return s->message; }

void tk_inflater_destroy(tk_inflater *s) {
    if (!s) return;
    if (s->zInitialised) inflateEnd(&s->z);
    if (s->zstd) ZSTD_freeDStream(s->zstd);
    free(s);
}
