/*
 * dkr_libevent.c - the libevent adapter: each socket libcurl wants watched
 * becomes a persistent event, the client's one-shot timer an evtimer
 * (curl's hiperfifo.c, minus the globals).
 */
#include <stdlib.h>
#include <sys/time.h>

#include <event2/event.h>

#include "dkr_libevent.h"

typedef struct lev_sock lev_sock_t;

typedef struct lev {
    dkr_client_t *cli;
    struct event_base *base;
    struct event *timer;
    lev_sock_t *socks;        /* all watched sockets, freed by cleanup */
} lev_t;

struct lev_sock {
    lev_t *owner;
    struct event *ev;
    int fd;
    int what;
    lev_sock_t *prev, *next;
};

static void sock_event(evutil_socket_t fd, short flags, void *arg)
{
    lev_sock_t *s = arg;
    dkr_client_t *cli = s->owner->cli;
    int what = ((flags & EV_READ) ? DKR_EV_READ : 0) | ((flags & EV_WRITE) ? DKR_EV_WRITE : 0);

    /* s may be gone after this call (the socket closed, or the client was
     * freed from a callback): touch nothing afterwards. */
    dkr_client_socket_ready(cli, (int)fd, what);
}

static void timer_event(evutil_socket_t fd, short flags, void *arg)
{
    lev_t *l = arg;

    (void)fd;
    (void)flags;
    dkr_client_timer_fired(l->cli);
}

static void sock_free(lev_sock_t *s)
{
    lev_t *l = s->owner;

    if (NULL != s->prev) {
        s->prev->next = s->next;
    } else {
        l->socks = s->next;
    }
    if (NULL != s->next) {
        s->next->prev = s->prev;
    }
    if (NULL != s->ev) {
        event_free(s->ev);
    }
    free(s);
}

static int watch(void *data, int fd, int what, void **sockdata)
{
    lev_t *l = data;
    lev_sock_t *s = *sockdata;
    short flags = EV_PERSIST;

    if (0 == what) {
        if (NULL != s) {
            sock_free(s);
        }
        *sockdata = NULL;
        return 0;
    }
    if (what & DKR_EV_READ) {
        flags |= EV_READ;
    }
    if (what & DKR_EV_WRITE) {
        flags |= EV_WRITE;
    }
    if (NULL == s) {
        if (NULL == (s = calloc(1, sizeof(*s)))) {
            return -1;
        }
        s->owner = l;
        s->fd = -1;
        s->next = l->socks;
        if (NULL != l->socks) {
            l->socks->prev = s;
        }
        l->socks = s;
        *sockdata = s;
    } else if (s->fd == fd && s->what == what) {
        return 0;
    }
    if (NULL == s->ev) {
        s->ev = event_new(l->base, fd, flags, sock_event, s);
    } else {
        event_del(s->ev);
        if (0 != event_assign(s->ev, l->base, fd, flags, sock_event, s)) {
            event_free(s->ev);
            s->ev = NULL;
        }
    }
    if (NULL == s->ev || 0 != event_add(s->ev, NULL)) {
        return -1;
    }
    s->fd = fd;
    s->what = what;
    return 0;
}

static int timer(void *data, long ms)
{
    lev_t *l = data;
    struct timeval tv;

    if (ms < 0) {
        return evtimer_del(l->timer);
    }
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return evtimer_add(l->timer, &tv);
}

static void cleanup(void *data)
{
    lev_t *l = data;

    while (NULL != l->socks) {
        sock_free(l->socks);
    }
    event_free(l->timer);
    free(l);
}

int dkr_libevent_attach(dkr_client_t *cli, struct event_base *base)
{
    dkr_loop_hooks_t hooks;
    lev_t *l;
    int rc;

    if (NULL == cli || NULL == base) {
        return DKR_ERR_ARG;
    }
    if (NULL == (l = calloc(1, sizeof(*l)))) {
        return DKR_ERR_OOM;
    }
    l->cli = cli;
    l->base = base;
    if (NULL == (l->timer = evtimer_new(base, timer_event, l))) {
        free(l);
        return DKR_ERR_OOM;
    }
    hooks.data = l;
    hooks.watch = watch;
    hooks.timer = timer;
    hooks.cleanup = cleanup;
    if (DKR_OK != (rc = dkr_client_set_loop(cli, &hooks))) {
        event_free(l->timer);
        free(l);
    }
    return rc;
}

/* ------------------------------------------------------------ run_until */

static void deadline_event(evutil_socket_t fd, short flags, void *arg)
{
    (void)fd;
    (void)flags;
    *(int *)arg = 1;
}

int dkr_libevent_run_until(struct event_base *base, const int *done, int timeout_ms)
{
    struct event *deadline = NULL;
    int expired = 0, rc = DKR_OK;

    if (NULL == base || NULL == done) {
        return DKR_ERR_ARG;
    }
    if (timeout_ms > 0) {
        struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

        if (NULL == (deadline = evtimer_new(base, deadline_event, &expired)) ||
            0 != evtimer_add(deadline, &tv)) {
            if (NULL != deadline) {
                event_free(deadline);
            }
            return DKR_ERR_OOM;
        }
    }
    while (!*done) {
        if (expired) {
            rc = DKR_ERR_TIMEOUT;
            break;
        }
        /* 1: nothing left that could ever set *done; -1: libevent failed */
        if (0 != event_base_loop(base, EVLOOP_ONCE)) {
            rc = DKR_ERR_IO;
            break;
        }
    }
    if (NULL != deadline) {
        event_free(deadline);
    }
    return rc;
}
