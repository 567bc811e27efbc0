/*
 * test_watch.c - the container events stream: the line parser (chunks,
 * several events a chunk, other events, garbage, over-long lines, old
 * engines' fields) and a watch against fake_dockerd's streamed events.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "dkr.h"
#include "dkr_libevent.h"
#include "dkr_watch.h"
#include "fake_dockerd.h"

typedef struct seen {
    int n;
    dkr_event_kind_t kind[8];
    char id[8][80];
    char name[8][80];
    int ended;
    int end_rc;
} seen_t;

static void record(void *arg, dkr_event_kind_t kind, const char *id, const char *name)
{
    seen_t *s = arg;

    if (s->n < 8) {
        s->kind[s->n] = kind;
        snprintf(s->id[s->n], sizeof(s->id[0]), "%s", id);
        snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
    }
    s->n++;
}

#define PAUSE_C1 "{\"status\":\"pause\",\"id\":\"aaa1\",\"Type\":\"container\",\"Action\":\"pause\"," \
                 "\"Actor\":{\"ID\":\"aaa1\",\"Attributes\":{\"image\":\"x\",\"name\":\"c1\"}}," \
                 "\"scope\":\"local\",\"time\":1,\"timeNano\":1}\n"
#define UNPAUSE_C1 "{\"Type\":\"container\",\"Action\":\"unpause\",\"Actor\":{\"ID\":\"aaa1\"," \
                   "\"Attributes\":{\"name\":\"c1\"}}}\n"

static void test_kinds(void **state)
{
    (void)state;
    assert_int_equal(DKR_EV_PAUSE, dkr_event_kind("pause"));
    assert_int_equal(DKR_EV_UNPAUSE, dkr_event_kind("unpause"));
    assert_int_equal(DKR_EV_DIE, dkr_event_kind("die"));
    assert_int_equal(DKR_EV_OTHER, dkr_event_kind("exec_start: orted"));
    assert_int_equal(DKR_EV_OTHER, dkr_event_kind(NULL));
}

static void test_feed(void **state)
{
    static const char two[] = PAUSE_C1 UNPAUSE_C1;
    dkr_events_t p;
    seen_t s = { 0 };

    (void)state;
    dkr_events_init(&p);
    /* byte by byte: events only at the newlines */
    for (size_t i = 0; i < sizeof(two) - 1; i++) {
        assert_true(dkr_events_feed(&p, two + i, 1, record, &s) >= 0);
    }
    assert_int_equal(2, s.n);
    assert_int_equal(DKR_EV_PAUSE, s.kind[0]);
    assert_string_equal("aaa1", s.id[0]);
    assert_string_equal("c1", s.name[0]);
    assert_int_equal(DKR_EV_UNPAUSE, s.kind[1]);
    /* both in one chunk */
    assert_int_equal(2, dkr_events_feed(&p, two, sizeof(two) - 1, record, &s));
    assert_int_equal(4, s.n);
    /* a line not yet ended is kept for the next chunk */
    assert_int_equal(0, dkr_events_feed(&p, PAUSE_C1, 10, record, &s));
    assert_int_equal(1, dkr_events_feed(&p, PAUSE_C1 + 10, sizeof(PAUSE_C1) - 11, record, &s));
    assert_int_equal(5, s.n);
    dkr_events_fini(&p);
}

static void test_skipped(void **state)
{
    static const char lines[] =
        "not json at all\n"
        "\n"
        "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"n1\"}}\n"
        "{\"Type\":\"container\",\"Action\":\"pause\"}\n"                 /* no id */
        "{\"Type\":\"container\",\"Action\":null,\"Actor\":{\"ID\":\"x\"}}\n"
        "{\"Type\":\"container\",\"Action\":\"pause\",\"Actor\":{\"ID\":7}}\n"
        "[1,2,3]\n"
        "{\"status\":\"die\",\"id\":\"old1\"}\n";                          /* an old engine */
    dkr_events_t p;
    seen_t s = { 0 };

    (void)state;
    dkr_events_init(&p);
    assert_int_equal(1, dkr_events_feed(&p, lines, sizeof(lines) - 1, record, &s));
    assert_int_equal(1, s.n);
    assert_int_equal(DKR_EV_DIE, s.kind[0]);
    assert_string_equal("old1", s.id[0]);
    assert_string_equal("", s.name[0]);
    dkr_events_fini(&p);
}

static void test_long_line(void **state)
{
    size_t big = DKR_EVENTS_MAX_LINE + 100;
    char *junk = malloc(big);
    dkr_events_t p;
    seen_t s = { 0 };

    (void)state;
    assert_non_null(junk);
    memset(junk, 'x', big);
    dkr_events_init(&p);
    /* an over-long line in two chunks is dropped whole, the next one counts */
    assert_int_equal(0, dkr_events_feed(&p, junk, big / 2, record, &s));
    assert_int_equal(0, dkr_events_feed(&p, junk, big - big / 2, record, &s));
    assert_int_equal(1, dkr_events_feed(&p, "\n" PAUSE_C1, sizeof(PAUSE_C1), record, &s));
    assert_int_equal(1, s.n);
    assert_true(p.cap <= DKR_EVENTS_MAX_LINE * 2);
    dkr_events_fini(&p);
    free(junk);
}

/* ------------------------------------------------- against a fake engine */

static int h_events(fake_t *f, int fd, const fd_req_t *r, void *arg)
{
    (void)arg;
    if (0 == strcmp(r->path, "/_ping")) {
        fake_docker_reply(fd, 200, "OK");
        return 1;
    }
    if (0 == strncmp(r->path, "/events?filters=", 16)) {   /* unversioned: no ping before */
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Api-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n";
        static const char body[] = PAUSE_C1 UNPAUSE_C1;
        char chunk[1024];
        fake_write(fd, head, sizeof(head) - 1);
        /* an event split over two chunks */
        snprintf(chunk, sizeof(chunk), "%x\r\n%.40s\r\n", 40, body);
        fake_write(fd, chunk, strlen(chunk));
        fake_sleep_ms(20);
        snprintf(chunk, sizeof(chunk), "%zx\r\n%s\r\n", sizeof(body) - 41, body + 40);
        fake_write(fd, chunk, strlen(chunk));
        if (NULL != arg) {
            fake_write(fd, "0\r\n\r\n", 5);
            return 0;
        }
        fake_wait_close(f, fd);
        return 0;
    }
    fake_docker_reply(fd, 404, "{\"message\":\"page not found\"}");
    return 1;
}

static void on_end(void *arg, const dkr_result_t *res)
{
    seen_t *s = arg;
    s->ended++;
    s->end_rc = res->rc;
}

static void run_watch(int engine_ends)
{
    fake_t *fake = fake_start(h_events, engine_ends ? (void *)1 : NULL);
    dkr_client_opts_t opts = { .timeout_ms = 5000 };
    struct event_base *base = event_base_new();
    dkr_endpoint_t *ep = NULL;
    dkr_client_t *cli;
    dkr_watch_t *w;
    seen_t s = { 0 };
    fd_req_t seen;
    char url[512], err[256];
    int two = 0;

    snprintf(url, sizeof(url), "unix://%s", fake_path(fake));
    assert_int_equal(DKR_OK, dkr_endpoint_parse(url, NULL, &ep, err, sizeof(err)));
    cli = dkr_client_new(ep, &opts);
    assert_int_equal(DKR_OK, dkr_libevent_attach(cli, base));
    w = dkr_watch_start(cli, record, on_end, &s);
    assert_non_null(w);
    for (int i = 0; i < 250 && (s.n < 2 || (engine_ends && 0 == s.ended)); i++) {
        struct timeval tv = { 0, 20000 };
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    two = s.n;
    assert_int_equal(2, two);
    assert_int_equal(DKR_EV_PAUSE, s.kind[0]);
    assert_int_equal(DKR_EV_UNPAUSE, s.kind[1]);
    assert_true(fake_request(fake, 0, &seen));
    /* the filters ask for container pause, unpause and die */
    assert_non_null(strstr(seen.path, "%22event%22%3A%5B%22pause%22%2C%22unpause%22%2C%22die%22%5D"));
    if (engine_ends) {
        assert_int_equal(1, s.ended);
        assert_int_equal(DKR_OK, s.end_rc);
    }
    dkr_watch_free(w);      /* (cancelled: no end report) */
    assert_int_equal(engine_ends ? 1 : 0, s.ended);
    dkr_client_free(cli);
    dkr_endpoint_free(ep);
    event_base_free(base);
    fake_stop(fake);
}

static void test_watch_cancel(void **state)
{
    (void)state;
    run_watch(0);
}

static void test_watch_engine_ends(void **state)
{
    (void)state;
    run_watch(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_feed),
        cmocka_unit_test(test_skipped),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_watch_cancel),
        cmocka_unit_test(test_watch_engine_ends),
    };
    return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
