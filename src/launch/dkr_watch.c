/*
 * dkr_watch.c - the container events stream: a line parser (pure, fuzzed)
 * and the GET /events request that feeds it.
 */
#include "dkr_watch.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ parser */

void dkr_events_init(dkr_events_t *p)
{
    memset(p, 0, sizeof(*p));
}

void dkr_events_fini(dkr_events_t *p)
{
    free(p->line);
    memset(p, 0, sizeof(*p));
}

dkr_event_kind_t dkr_event_kind(const char *action)
{
    if (NULL == action) {
        return DKR_EV_OTHER;
    }
    if (0 == strcmp(action, "pause")) {
        return DKR_EV_PAUSE;
    }
    if (0 == strcmp(action, "unpause")) {
        return DKR_EV_UNPAUSE;
    }
    if (0 == strcmp(action, "die")) {
        return DKR_EV_DIE;
    }
    return DKR_EV_OTHER;
}

/* One complete line: {"Type":"container","Action":"pause",
 * "Actor":{"ID":"...","Attributes":{"name":"c1",...}},...}; older engines
 * also send "status" and "id", which stand in when the newer ones lack. */
static int report_line(const char *line, size_t len, dkr_event_cb cb, void *arg)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *ev, *actor = NULL, *attrs = NULL;
    const char *type, *action, *id, *name = NULL;
    int n = 0;

    if (NULL == tok) {
        return -1;
    }
    ev = json_tokener_parse_ex(tok, line, (int)len);
    json_tokener_free(tok);
    if (NULL == ev) {
        return 0;
    }
    type = dkr_json_str(ev, "Type");
    action = dkr_json_str(ev, "Action");
    if (NULL == action) {
        action = dkr_json_str(ev, "status");
    }
    json_object_object_get_ex(ev, "Actor", &actor);
    id = dkr_json_str(actor, "ID");
    if (NULL == id) {
        id = dkr_json_str(ev, "id");
    }
    if (json_object_object_get_ex(actor, "Attributes", &attrs)) {
        name = dkr_json_str(attrs, "name");
    }
    if ((NULL == type || 0 == strcmp(type, "container")) && NULL != action && NULL != id
        && '\0' != id[0]) {
        cb(arg, dkr_event_kind(action), id, NULL == name ? "" : name);
        n = 1;
    }
    json_object_put(ev);
    return n;
}

int dkr_events_feed(dkr_events_t *p, const char *buf, size_t len, dkr_event_cb cb, void *arg)
{
    int events = 0;

    while (len > 0) {
        const char *nl = memchr(buf, '\n', len);
        size_t take = NULL == nl ? len : (size_t)(nl - buf);

        if (!p->dropping) {
            if (p->len + take > DKR_EVENTS_MAX_LINE) {
                p->dropping = 1;
                p->len = 0;
            } else if (take > 0) {
                if (p->len + take > p->cap) {
                    size_t cap = p->cap < 256 ? 256 : p->cap;
                    char *line;
                    while (cap < p->len + take) {
                        cap *= 2;
                    }
                    if (NULL == (line = realloc(p->line, cap))) {
                        return -1;
                    }
                    p->line = line;
                    p->cap = cap;
                }
                memcpy(p->line + p->len, buf, take);
                p->len += take;
            }
        }
        if (NULL == nl) {
            break;
        }
        if (!p->dropping && p->len > 0) {
            int rc = report_line(p->line, p->len, cb, arg);
            if (rc < 0) {
                return -1;
            }
            events += rc;
        }
        p->len = 0;
        p->dropping = 0;
        buf = nl + 1;
        len -= take + 1;
    }
    return events;
}

/* ------------------------------------------------------------- watch */

struct dkr_watch {
    dkr_request_t *req;
    dkr_events_t parser;
    dkr_event_cb cb;
    dkr_watch_end_cb end;
    void *arg;
};

static void on_data(void *arg, const char *buf, size_t len)
{
    dkr_watch_t *w = arg;

    (void)dkr_events_feed(&w->parser, buf, len, w->cb, w->arg);
}

static void on_end(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_watch_t *w = arg;

    (void)cli;
    w->req = NULL;
    if (DKR_ERR_CANCELLED != res->rc && NULL != w->end) {
        w->end(w->arg, res);
    }
}

dkr_watch_t *dkr_watch_start(dkr_client_t *cli, dkr_event_cb cb, dkr_watch_end_cb end, void *arg)
{
    /* Matching the containers here keeps the URL short at any job size. */
    static const char filters[] = "{\"type\":[\"container\"],"
                                  "\"event\":[\"pause\",\"unpause\",\"die\"]}";
    dkr_watch_t *w = calloc(1, sizeof(*w));
    char *q = dkr_escape(filters), *path = NULL;

    if (NULL == w || NULL == q || NULL == (path = malloc(strlen(q) + 32))) {
        free(w);
        free(q);
        return NULL;
    }
    strcpy(path, "/events?filters=");
    strcat(path, q);
    free(q);
    dkr_events_init(&w->parser);
    w->cb = cb;
    w->end = end;
    w->arg = arg;
    w->req = dkr_stream(cli, "GET", path, NULL, on_data, w, on_end, w);
    free(path);
    if (NULL == w->req) {
        dkr_events_fini(&w->parser);
        free(w);
        return NULL;
    }
    return w;
}

void dkr_watch_free(dkr_watch_t *w)
{
    if (NULL == w) {
        return;
    }
    if (NULL != w->req) {
        dkr_request_cancel(w->req);   /* on_end sees CANCELLED: no report */
    }
    dkr_events_fini(&w->parser);
    free(w);
}
