/*
 * test_demux.c - the 8-byte-header frame state machine fed in every way a
 * socket can cut it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dkr.h"

typedef struct sink {
    char all[256];      /* in arrival order */
    char out[256];
    char err[256];
    size_t n_all, n_out, n_err;
    int calls;
    int zero_len_calls;
} sink_t;

static void collect(void *arg, int stream, const char *buf, size_t len)
{
    sink_t *s = arg;

    s->calls++;
    if (0 == len) {
        s->zero_len_calls++;
    }
    assert_true(s->n_all + len < sizeof(s->all));
    memcpy(s->all + s->n_all, buf, len);
    s->n_all += len;
    if (1 == stream) {
        memcpy(s->out + s->n_out, buf, len);
        s->n_out += len;
    } else if (2 == stream) {
        memcpy(s->err + s->n_err, buf, len);
        s->n_err += len;
    } else {
        fail_msg("unexpected stream %d", stream);
    }
}

/* stdout "hello\n", an empty stdout frame, stderr "oops\n", stdout "bye" */
static const unsigned char stream_bytes[] = {
    1, 0, 0, 0, 0, 0, 0, 6, 'h', 'e', 'l', 'l', 'o', '\n',
    1, 0, 0, 0, 0, 0, 0, 0,
    2, 0, 0, 0, 0, 0, 0, 5, 'o', 'o', 'p', 's', '\n',
    1, 0, 0, 0, 0, 0, 0, 3, 'b', 'y', 'e',
};

static void check(const sink_t *s)
{
    assert_int_equal(s->n_all, 14);
    assert_memory_equal(s->all, "hello\noops\nbye", 14);
    assert_int_equal(s->n_out, 9);
    assert_memory_equal(s->out, "hello\nbye", 9);
    assert_int_equal(s->n_err, 5);
    assert_memory_equal(s->err, "oops\n", 5);
    assert_int_equal(s->zero_len_calls, 0);
}

static void test_one_chunk(void **state)
{
    dkr_demux_t d;
    sink_t s;

    (void)state;
    memset(&s, 0, sizeof(s));
    dkr_demux_init(&d);
    assert_true(dkr_demux_at_boundary(&d));
    assert_int_equal(dkr_demux_feed(&d, (const char *)stream_bytes, sizeof(stream_bytes),
                                     collect, &s), DKR_OK);
    check(&s);
    assert_int_equal(s.calls, 3);
    assert_true(dkr_demux_at_boundary(&d));
}

static void test_every_split(void **state)
{
    size_t i, j;

    (void)state;
    /* two cuts anywhere: covers cuts inside headers, payloads and between */
    for (i = 0; i <= sizeof(stream_bytes); i++) {
        for (j = i; j <= sizeof(stream_bytes); j++) {
            dkr_demux_t d;
            sink_t s;

            memset(&s, 0, sizeof(s));
            dkr_demux_init(&d);
            assert_int_equal(dkr_demux_feed(&d, (const char *)stream_bytes, i, collect, &s), DKR_OK);
            assert_int_equal(dkr_demux_feed(&d, (const char *)stream_bytes + i, j - i, collect, &s),
                             DKR_OK);
            assert_int_equal(dkr_demux_feed(&d, (const char *)stream_bytes + j,
                                             sizeof(stream_bytes) - j, collect, &s), DKR_OK);
            check(&s);
            assert_true(dkr_demux_at_boundary(&d));
        }
    }
}

static void test_byte_by_byte(void **state)
{
    dkr_demux_t d;
    sink_t s;
    size_t i;

    (void)state;
    memset(&s, 0, sizeof(s));
    dkr_demux_init(&d);
    for (i = 0; i < sizeof(stream_bytes); i++) {
        assert_int_equal(dkr_demux_feed(&d, (const char *)stream_bytes + i, 1, collect, &s), DKR_OK);
        /* boundaries exactly after 14, 22, 35 and 46 bytes */
        assert_int_equal(dkr_demux_at_boundary(&d), i + 1 == 14 || i + 1 == 22 ||
                         i + 1 == 35 || i + 1 == 46);
    }
    check(&s);
}

static void test_partial_end(void **state)
{
    dkr_demux_t d;
    sink_t s;

    (void)state;
    memset(&s, 0, sizeof(s));
    dkr_demux_init(&d);
    /* half a header, then inside a payload */
    assert_int_equal(dkr_demux_feed(&d, (const char *)stream_bytes, 4, collect, &s), DKR_OK);
    assert_false(dkr_demux_at_boundary(&d));
    assert_int_equal(dkr_demux_feed(&d, (const char *)stream_bytes + 4, 6, collect, &s), DKR_OK);
    assert_false(dkr_demux_at_boundary(&d));
    assert_int_equal(s.n_out, 2);
    assert_int_equal(dkr_demux_feed(&d, NULL, 0, collect, &s), DKR_OK);  /* empty feed */
}

static void test_large_length(void **state)
{
    static const unsigned char hdr[] = { 2, 0, 0, 0, 0x01, 0x02, 0x03, 0x04 };
    dkr_demux_t d;

    (void)state;
    dkr_demux_init(&d);
    assert_int_equal(dkr_demux_feed(&d, (const char *)hdr, 8, NULL, NULL), DKR_OK);
    assert_int_equal(d.left, 0x01020304u);
    assert_int_equal(d.stream, 2);
}

static void test_bad_header(void **state)
{
    static const unsigned char bad_stream[] = { 3, 0, 0, 0, 0, 0, 0, 1, 'x' };
    static const unsigned char bad_zero[] = { 1, 0, 1, 0, 0, 0, 0, 1, 'x' };
    static const char text[] = "HTTP/1.1 200 OK\r\n";   /* e.g. a TTY stream */
    dkr_demux_t d;
    sink_t s;

    (void)state;
    memset(&s, 0, sizeof(s));
    dkr_demux_init(&d);
    assert_int_equal(dkr_demux_feed(&d, (const char *)bad_stream, sizeof(bad_stream), collect, &s),
                     DKR_ERR_PROTOCOL);
    assert_false(dkr_demux_at_boundary(&d));
    /* stays failed, even for good input */
    assert_int_equal(dkr_demux_feed(&d, (const char *)stream_bytes, sizeof(stream_bytes), collect,
                                     &s), DKR_ERR_PROTOCOL);
    assert_int_equal(s.calls, 0);

    dkr_demux_init(&d);
    assert_int_equal(dkr_demux_feed(&d, (const char *)bad_zero, 3, collect, &s), DKR_OK);
    assert_int_equal(dkr_demux_feed(&d, (const char *)bad_zero + 3, sizeof(bad_zero) - 3, collect,
                                     &s), DKR_ERR_PROTOCOL);

    /* good frame then garbage in the same chunk: the good part is delivered */
    {
        unsigned char mixed[14 + 8];

        memcpy(mixed, stream_bytes, 14);
        memcpy(mixed + 14, bad_stream, 8);
        dkr_demux_init(&d);
        assert_int_equal(dkr_demux_feed(&d, (const char *)mixed, sizeof(mixed), collect, &s),
                         DKR_ERR_PROTOCOL);
        assert_int_equal(s.n_out, 6);
    }
    dkr_demux_init(&d);
    assert_int_equal(dkr_demux_feed(&d, text, sizeof(text) - 1, collect, &s), DKR_ERR_PROTOCOL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_chunk),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_partial_end),
        cmocka_unit_test(test_large_length),
        cmocka_unit_test(test_bad_header),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
