/*
 * fuzz_events.c - libFuzzer target for the engine's container events stream
 * (dkr_events_feed), which plm docker follows for the whole job.
 *
 * Input: byte 0 = the chunk size (1..256, cycled over the stream; 0: one
 * byte at a time), then the stream bytes.  The stream is fed in those
 * chunks and in one piece: both runs must report the same events (kinds,
 * ids and names, in order), and every id must be non-empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkr_watch.h"

typedef struct sink {
    uint64_t hash;
    size_t n;
} sink_t;

static void mix(sink_t *s, const char *p)
{
    for (; '\0' != *p; p++) {
        s->hash = (s->hash ^ (unsigned char)*p) * 1099511628211ull;
    }
    s->hash = (s->hash ^ 0xff) * 1099511628211ull;
}

static void event_cb(void *arg, dkr_event_kind_t kind, const char *id, const char *name)
{
    sink_t *s = arg;

    if (NULL == id || '\0' == id[0] || NULL == name || kind < DKR_EV_OTHER || kind > DKR_EV_DIE) {
        abort();
    }
    s->hash = (s->hash ^ (uint64_t)kind) * 1099511628211ull;
    mix(s, id);
    mix(s, name);
    s->n++;
}

static void feed(const uint8_t *data, size_t size, size_t chunk, sink_t *s)
{
    dkr_events_t p;

    dkr_events_init(&p);
    for (size_t off = 0; off < size;) {
        size_t n = 0 == chunk || chunk > size - off ? size - off : chunk;
        if (dkr_events_feed(&p, (const char *)data + off, n, event_cb, s) < 0) {
            abort();    /* only on out of memory */
        }
        off += n;
    }
    dkr_events_fini(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sink_t a = { 1469598103934665603ull, 0 }, b = a;
    size_t chunk;

    if (size < 1) {
        return 0;
    }
    chunk = 0 == data[0] ? 1 : data[0];
    feed(data + 1, size - 1, chunk, &a);
    feed(data + 1, size - 1, 0, &b);
    if (a.n != b.n || a.hash != b.hash) {
        abort();    /* the events must not depend on where the bytes were cut */
    }
    return 0;
}
