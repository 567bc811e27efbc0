/*
 * fuzz_demux.c - libFuzzer target for Docker's multiplexed stream frames
 * (dkr_demux_feed), the parser of every attached exec's and container's
 * output.
 *
 * Input: byte 0 & 15 = n, then n bytes that choose the sizes of the chunks
 * the rest is fed in (1..256 bytes each, cycled; n == 0: one byte at a
 * time), then the stream bytes.
 * The same stream is also fed in one piece; both runs must deliver the same
 * payload bytes per stream, the same return code and the same boundary
 * state (the demuxer must not depend on where the transport cut the bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkr.h"

typedef struct sink {
    uint64_t hash[3];   /* FNV-1a of each stream's payload, in order */
    size_t bytes[3];
    size_t calls;
} sink_t;

static void frame_cb(void *arg, int stream, const char *buf, size_t len)
{
    sink_t *s = arg;
    size_t i;

    if (stream < 0 || stream > 2 || 0 == len || NULL == buf) {
        abort();    /* only stdin/stdout/stderr, never an empty piece */
    }
    for (i = 0; i < len; i++) {
        s->hash[stream] = (s->hash[stream] ^ (unsigned char)buf[i]) * 1099511628211ull;
    }
    s->bytes[stream] += len;
    s->calls++;
}

static int feed(const uint8_t *data, size_t size, const uint8_t *sizes, size_t nsizes,
                sink_t *s, int *boundary)
{
    dkr_demux_t d;
    size_t off = 0, k = 0;
    int rc = DKR_OK;

    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 3; i++) {
        s->hash[i] = 1469598103934665603ull;
    }
    dkr_demux_init(&d);
    while (off < size) {
        size_t n = 0 == nsizes ? size - off : (size_t)sizes[k++ % nsizes] + 1;
        char *chunk;

        if (n > size - off) {
            n = size - off;
        }
        /* a fresh allocation per chunk, so ASan sees any read past it */
        if (NULL == (chunk = malloc(n))) {
            abort();
        }
        memcpy(chunk, data + off, n);
        rc = dkr_demux_feed(&d, chunk, n, frame_cb, s);
        free(chunk);
        off += n;
        if (DKR_OK != rc) {
            /* once failed it stays failed */
            if (DKR_ERR_PROTOCOL != rc || DKR_ERR_PROTOCOL != dkr_demux_feed(&d, "", 0, frame_cb, s)
                || dkr_demux_at_boundary(&d)) {
                abort();
            }
            break;
        }
    }
    if (DKR_OK == rc && DKR_OK != dkr_demux_feed(&d, NULL, 0, NULL, NULL)) {
        abort();    /* an empty feed changes nothing */
    }
    *boundary = dkr_demux_at_boundary(&d);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sink_t whole, cut;
    size_t nsizes;
    int rc1, rc2, b1, b2;

    if (size < 1) {
        return 0;
    }
    nsizes = data[0] & 15;
    if (size < 1 + nsizes) {
        return 0;
    }
    {
        const uint8_t *sizes = data + 1;
        const uint8_t *stream = data + 1 + nsizes;
        size_t slen = size - 1 - nsizes;
        static const uint8_t one = 0;   /* nsizes == 0: byte by byte */

        rc1 = feed(stream, slen, NULL, 0, &whole, &b1);
        rc2 = feed(stream, slen, 0 == nsizes ? &one : sizes, 0 == nsizes ? 1 : nsizes, &cut, &b2);
    }
    /* Cut differently, the failure may come after fewer payload bytes only
     * if it is the same failure: compare fully when both succeeded. */
    if (rc1 != rc2 || b1 != b2) {
        abort();
    }
    if (DKR_OK == rc1 && (0 != memcmp(whole.hash, cut.hash, sizeof(whole.hash)) ||
                          0 != memcmp(whole.bytes, cut.bytes, sizeof(whole.bytes)))) {
        abort();
    }
    if (DKR_OK != rc1 && 0 != memcmp(whole.bytes, cut.bytes, sizeof(whole.bytes))) {
        abort();    /* a bad header is found at the same byte either way */
    }
    return 0;
}
