/*
 * dkr_demux.c - Docker's multiplexed stream (Tty:false): frames of an
 * 8-byte header {stream, 0, 0, 0, be32 length} and a payload, arriving cut
 * at arbitrary points.  A small state machine; no allocation.
 */
#include <string.h>

#include "dkr.h"

void dkr_demux_init(dkr_demux_t *d)
{
    memset(d, 0, sizeof(*d));
}

/* hdr_have < 8: collecting a header; == 8: inside a payload of `left`. */
int dkr_demux_feed(dkr_demux_t *d, const char *buf, size_t len, dkr_frame_cb cb, void *arg)
{
    if (d->failed) {
        return DKR_ERR_PROTOCOL;
    }
    while (len > 0) {
        if (d->hdr_have < 8) {
            size_t take = 8 - d->hdr_have;

            if (take > len) {
                take = len;
            }
            memcpy(d->hdr + d->hdr_have, buf, take);
            d->hdr_have += take;
            buf += take;
            len -= take;
            if (d->hdr_have < 8) {
                break;
            }
            /* stdin, stdout, stderr and three zero bytes, or not a frame */
            if (d->hdr[0] > 2 || d->hdr[1] || d->hdr[2] || d->hdr[3]) {
                d->failed = 1;
                return DKR_ERR_PROTOCOL;
            }
            d->stream = d->hdr[0];
            d->left = ((uint32_t)d->hdr[4] << 24) | ((uint32_t)d->hdr[5] << 16) |
                      ((uint32_t)d->hdr[6] << 8) | (uint32_t)d->hdr[7];
            if (0 == d->left) {
                d->hdr_have = 0;    /* an empty frame carries nothing */
            }
            continue;
        }
        {
            size_t take = d->left < len ? d->left : len;

            if (NULL != cb) {
                cb(arg, d->stream, buf, take);
            }
            buf += take;
            len -= take;
            d->left -= (uint32_t)take;
            if (0 == d->left) {
                d->hdr_have = 0;
            }
        }
    }
    return DKR_OK;
}

int dkr_demux_at_boundary(const dkr_demux_t *d)
{
    return !d->failed && 0 == d->hdr_have;
}
