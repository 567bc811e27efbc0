/*
 * dkr_http.c - one HTTP request's life: building the libcurl easy handle,
 * buffering what libcurl hands over, handing stream events to the request's
 * owner, firing the callback once.  dkr_result.c judges the outcome.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "dkr_private.h"

#ifdef CURL_WRITEFUNC_ERROR
#define WRITE_ABORT CURL_WRITEFUNC_ERROR
#else
#define WRITE_ABORT 0
#endif

/* ------------------------------------------------------ libcurl callbacks */

static char *dup_trimmed(const char *p, size_t n)
{
    while (n > 0 && isspace((unsigned char)*p)) {
        p++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)p[n - 1])) {
        n--;
    }
    return strndup(p, n);
}

void dkr__queue_event(dkr_request_t *req)
{
    dkr_client_t *cli = req->cli;

    if (req->evqueued || NULL == req->ops) {
        return;
    }
    req->evqueued = 1;
    req->evnext = NULL;
    if (NULL != cli->evtail) {
        cli->evtail->evnext = req;
    } else {
        cli->evhead = req;
    }
    cli->evtail = req;
}

static void unqueue_event(dkr_request_t *req)
{
    dkr_client_t *cli = req->cli;
    dkr_request_t **pp, *prev = NULL;

    if (!req->evqueued) {
        return;
    }
    for (pp = &cli->evhead; *pp; prev = *pp, pp = &(*pp)->evnext) {
        if (*pp == req) {
            *pp = req->evnext;
            if (cli->evtail == req) {
                cli->evtail = prev;
            }
            break;
        }
    }
    req->evqueued = 0;
    req->evnext = NULL;
}

/* Only records; user code runs later, from the dispatch. */
static size_t header_cb(char *buf, size_t size, size_t n, void *ud)
{
    dkr_request_t *req = ud;
    size_t len = size * n;
    const char *colon;

    if (len >= 5 && 0 == strncasecmp(buf, "HTTP/", 5)) {
        const char *p = memchr(buf, ' ', len);
        long st = 0;
        int nd = 0;

        while (NULL != p && p < buf + len && ' ' == *p) {
            p++;
        }
        /* a status has three digits; a longer number is no status (and
         * must not overflow) */
        while (NULL != p && p < buf + len && isdigit((unsigned char)*p)) {
            if (++nd > 3) {
                st = 0;
                break;
            }
            st = st * 10 + (*p++ - '0');
        }
        req->status = st;           /* a new status line (after a 1xx) starts over */
        req->head_done = 0;
        free(req->ctype);
        free(req->api_version);
        req->ctype = req->api_version = NULL;
        return len;
    }
    if (len <= 2 && ('\r' == buf[0] || '\n' == buf[0])) {
        if (req->status >= 200) {
            req->head_done = 1;
            dkr__queue_event(req);
        }
        return len;
    }
    if (NULL == (colon = memchr(buf, ':', len))) {
        return len;
    }
    if ((size_t)(colon - buf) == 12 && 0 == strncasecmp(buf, "Content-Type", 12)) {
        free(req->ctype);
        req->ctype = dup_trimmed(colon + 1, len - 13);
        if (NULL == req->ctype) {
            goto oom;
        }
    } else if ((size_t)(colon - buf) == 11 && 0 == strncasecmp(buf, "Api-Version", 11)) {
        free(req->api_version);
        req->api_version = dup_trimmed(colon + 1, len - 12);
        if (NULL == req->api_version) {
            goto oom;
        }
    }
    return len;

oom:
    req->fail_rc = DKR_ERR_OOM;
    dkr__fmt(req->fail_msg, sizeof(req->fail_msg), "out of memory reading the answer");
    return 0;
}

static size_t write_cb(char *buf, size_t size, size_t n, void *ud)
{
    dkr_request_t *req = ud;
    size_t len = size * n;

    if (DKR_KIND_STREAM == req->kind && req->status >= 200 && req->status < 300) {
        if (NULL == req->ops || NULL == req->ops->data) {
            return len;     /* nobody listens: drop */
        }
        if (DKR_OK != dkr__buf_append(&req->sdata, buf, len)) {
            goto oom;
        }
        dkr__queue_event(req);
        return len;
    }
    if (req->body.len + len > DKR_BODY_MAX) {
        req->fail_rc = DKR_ERR_PROTOCOL;
        dkr__fmt(req->fail_msg, sizeof(req->fail_msg),
                 "%s %s on %s: answer larger than %u bytes", req->method, req->path,
                 req->cli->ep->url, DKR_BODY_MAX);
        return WRITE_ABORT;
    }
    if (DKR_OK != dkr__buf_append(&req->body, buf, len)) {
        goto oom;
    }
    return len;

oom:
    req->fail_rc = DKR_ERR_OOM;
    dkr__fmt(req->fail_msg, sizeof(req->fail_msg), "out of memory reading the answer");
    return WRITE_ABORT;
}

/* ------------------------------------------------------------ lifecycle */

int dkr__check_path(const char *path, char *errbuf, size_t errlen)
{
    const char *p, *seg;
    size_t plen;

    if (NULL == path || '/' != path[0]) {
        dkr__fmt(errbuf, errlen, "path '%s' does not start with '/'", path ? path : "(null)");
        return DKR_ERR_ARG;
    }
    for (p = path; *p; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            dkr__fmt(errbuf, errlen, "path '%s' has a space or control character; escape it "
                     "with dkr_escape", path);
            return DKR_ERR_ARG;
        }
    }
    plen = strcspn(path, "?");
    /* Each segment must be non-empty and not "." or "..": "/exec//start"
     * earns a 301 from Docker, and libcurl would fold dot segments. */
    for (seg = path + 1; seg <= path + plen; ) {
        size_t n = strcspn(seg, "/?");

        if (seg + n > path + plen) {
            n = (size_t)(path + plen - seg);
        }
        if (0 == n || (1 == n && '.' == seg[0]) || (2 == n && 0 == strncmp(seg, "..", 2))) {
            dkr__fmt(errbuf, errlen, "path '%s' has an empty, '.' or '..' component "
                     "(an empty id?)", path);
            return DKR_ERR_ARG;
        }
        seg += n + 1;
    }
    return DKR_OK;
}

static int method_ok(const char *m)
{
    if (NULL == m || '\0' == *m) {
        return 0;
    }
    for (; *m; m++) {
        if (!isupper((unsigned char)*m)) {
            return 0;
        }
    }
    return 1;
}

static dkr_request_t *req_alloc(dkr_client_t *cli, const char *method, const char *path,
                                int kind, dkr_done_cb cb, void *arg)
{
    dkr_request_t *req;

    if (NULL == cli || cli->dying || NULL == (req = calloc(1, sizeof(*req)))) {
        return NULL;
    }
    req->cli = cli;
    req->kind = kind;
    req->cb = cb;
    req->arg = arg;
    req->t0 = dkr__now();
    req->method = strdup(method_ok(method) ? method : "?");
    req->path = strdup(NULL != path ? path : "");
    if (NULL == req->method || NULL == req->path) {
        free(req->method);
        free(req->path);
        free(req);
        return NULL;
    }
    return req;
}

static void link_req(dkr_request_t *req, int state)
{
    dkr_client_t *cli = req->cli;

    req->state = state;
    req->prev = NULL;
    req->next = cli->reqs;
    if (NULL != cli->reqs) {
        cli->reqs->prev = req;
    }
    cli->reqs = req;
    cli->n_reqs++;
    if (DKR_REQ_DEFERRED == state) {
        cli->n_deferred++;
        dkr__arm_timer(cli);
    }
}

static void defer_failure(dkr_request_t *req, int rc, const char *msg)
{
    req->fail_rc = rc;
    dkr__fmt(req->fail_msg, sizeof(req->fail_msg), "%s", msg);
    link_req(req, DKR_REQ_DEFERRED);
}

dkr_request_t *dkr__request_failed(dkr_client_t *cli, const char *method, const char *path,
                                   int rc, const char *msg, dkr_done_cb cb, void *arg)
{
    dkr_request_t *req = req_alloc(cli, method, path, DKR_KIND_CALL, cb, arg);

    if (NULL != req) {
        defer_failure(req, rc, msg);
    }
    return req;
}

static int setup_easy(dkr_request_t *req, const char *body)
{
    dkr_client_t *cli = req->cli;
    const dkr_endpoint_t *ep = cli->ep;
    CURL *e;
    struct curl_slist *h;

    if (NULL == (e = req->easy = curl_easy_init())) {
        return DKR_ERR_OOM;
    }
    if (NULL == (h = curl_slist_append(NULL, "Expect:"))) {
        return DKR_ERR_OOM;
    }
    req->hdrs = h;
    if (NULL != body) {
        if (NULL == (req->body_out = strdup(body)) ||
            NULL == (h = curl_slist_append(req->hdrs, "Content-Type: application/json"))) {
            return DKR_ERR_OOM;
        }
        req->hdrs = h;
    } else if (0 != strcmp(req->method, "GET") && 0 != strcmp(req->method, "HEAD")) {
        /* an empty POST would otherwise claim to be a form, which Docker's
         * CheckForJSON refuses on some endpoints */
        if (NULL == (h = curl_slist_append(req->hdrs, "Content-Type:"))) {
            return DKR_ERR_OOM;
        }
        req->hdrs = h;
    }
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)req);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->curl_err);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->hdrs);
    /* Hijacked exec streams exist only in HTTP/1.1; never let ALPN pick h2. */
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "ompi-docker-libdkr");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cli->opts.connect_timeout_ms);
    if (DKR_KIND_STREAM != req->kind && DKR_KIND_UNTIMED != req->kind) {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)cli->opts.timeout_ms);
    }
    if (DKR_EP_UNIX == ep->kind) {
        curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, ep->socket_path);
    } else {
        curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        if (ep->tls) {
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, ep->tls_verify ? 1L : 0L);
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, ep->tls_verify ? 2L : 0L);
            if (NULL != ep->ca) {
                curl_easy_setopt(e, CURLOPT_CAINFO, ep->ca);
            }
            if (NULL != ep->cert) {
                curl_easy_setopt(e, CURLOPT_SSLCERT, ep->cert);
                curl_easy_setopt(e, CURLOPT_SSLKEY, ep->key);
            }
        }
    }

    if (0 == strcmp(req->method, "GET") && NULL == body) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (0 == strcmp(req->method, "HEAD")) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        /* POSTFIELDS (even empty) sends a sized body; a custom method name
         * replaces "POST" on the request line. */
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL != req->body_out ? req->body_out : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE,
                         (long)(NULL != req->body_out ? strlen(req->body_out) : 0));
        if (0 != strcmp(req->method, "POST")) {
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
        }
    }
    return DKR_OK;
}

dkr_request_t *dkr__request_new(dkr_client_t *cli, const char *method, const char *path,
                                int versioned, const char *body, int kind,
                                dkr_done_cb cb, void *arg)
{
    char why[DKR_ERRSTR_MAX];
    dkr_request_t *req;
    size_t n;

    if (NULL == (req = req_alloc(cli, method, path, kind, cb, arg))) {
        return NULL;
    }
    if (!method_ok(method)) {
        dkr__fmt(why, sizeof(why), "bad HTTP method '%s'", method ? method : "(null)");
        defer_failure(req, DKR_ERR_ARG, why);
        return req;
    }
    if (DKR_OK != dkr__check_path(path, why, sizeof(why))) {
        defer_failure(req, DKR_ERR_ARG, why);
        return req;
    }
    if (versioned && NULL != cli->api_version) {
        /* the path as traced: "/v1.41/containers/x/json" */
        size_t pn = strlen(cli->api_version) + strlen(path) + 3;
        char *vp = malloc(pn);

        if (NULL == vp) {
            goto oom;
        }
        snprintf(vp, pn, "/v%s%s", cli->api_version, path);
        free(req->path);
        req->path = vp;
    }
    n = strlen(cli->base) + strlen(req->path) + 1;
    if (NULL == (req->url = malloc(n))) {
        goto oom;
    }
    snprintf(req->url, n, "%s%s", cli->base, req->path);
    if (DKR_OK != setup_easy(req, body)) {
        goto oom;
    }
    if (CURLM_OK != curl_multi_add_handle(cli->multi, req->easy)) {
        goto oom;
    }
    req->in_multi = 1;
    link_req(req, DKR_REQ_ACTIVE);
    return req;

oom:
    dkr__request_free(req);
    return NULL;
}

void dkr__request_set_ops(dkr_request_t *req, const dkr_req_ops_t *ops, void *arg)
{
    req->ops = ops;
    req->ops_arg = arg;
}

void dkr__request_free(dkr_request_t *req)
{
    if (NULL == req) {
        return;
    }
    if (NULL != req->easy) {
        if (req->in_multi) {
            curl_multi_remove_handle(req->cli->multi, req->easy);
        }
        curl_easy_cleanup(req->easy);
    }
    curl_slist_free_all(req->hdrs);
    free(req->method);
    free(req->path);
    free(req->url);
    free(req->body_out);
    free(req->ctype);
    free(req->api_version);
    dkr__buf_free(&req->body);
    dkr__buf_free(&req->sdata);
    free(req);
}

/* Unlinks req, fires its callback once, and leaves it on the dead list. */
void dkr__request_complete(dkr_request_t *req, int rc, struct json_object *json,
                           const char *errstr)
{
    dkr_client_t *cli = req->cli;
    dkr_result_t res;

    if (DKR_REQ_DEFERRED == req->state) {
        cli->n_deferred--;
    }
    if (NULL != req->prev) {
        req->prev->next = req->next;
    } else {
        cli->reqs = req->next;
    }
    if (NULL != req->next) {
        req->next->prev = req->prev;
    }
    cli->n_reqs--;
    req->state = DKR_REQ_DONE;
    unqueue_event(req);
    req->prev = NULL;
    req->next = cli->dead;
    cli->dead = req;

    if (errstr != req->errstr) {
        dkr__fmt(req->errstr, sizeof(req->errstr), "%s", errstr ? errstr : "");
    }
    memset(&res, 0, sizeof(res));
    res.rc = rc;
    res.http_status = req->status;
    res.errstr = req->errstr;
    res.json = json;
    res.body = req->body.len > 0 ? req->body.data : NULL;
    res.body_len = req->body.len;
    if (NULL != cli->trace) {
        cli->trace(cli->trace_arg, req->method, req->path, req->status, rc,
                   dkr__now() - req->t0);
    }
    if (NULL != req->cb) {
        req->cb(cli, &res, req->arg);
    }
    if (NULL != json) {
        json_object_put(json);
    }
}

void dkr__request_abort(dkr_request_t *req, int rc, const char *msg)
{
    if (NULL == req || DKR_REQ_DONE == req->state) {
        return;
    }
    if (req->in_multi) {
        curl_multi_remove_handle(req->cli->multi, req->easy);
        req->in_multi = 0;
    }
    dkr__request_complete(req, rc, NULL, msg);
}

void dkr_request_cancel(dkr_request_t *req)
{
    dkr_client_t *cli;

    if (NULL == req || DKR_REQ_DONE == req->state) {
        return;
    }
    cli = req->cli;
    dkr__enter(cli);
    dkr__request_abort(req, DKR_ERR_CANCELLED, "cancelled");
    dkr__leave(cli);
}

void dkr__request_fire_deferred(dkr_client_t *cli)
{
    while (cli->n_deferred > 0 && !cli->dying) {
        dkr_request_t *r;

        for (r = cli->reqs; NULL != r && DKR_REQ_DEFERRED != r->state; r = r->next) {
        }
        if (NULL == r) {
            cli->n_deferred = 0;    /* cannot happen; do not spin */
            break;
        }
        dkr__request_complete(r, r->fail_rc, NULL, r->fail_msg);
    }
}

void dkr__deliver_events(dkr_client_t *cli)
{
    while (NULL != cli->evhead && !cli->dying) {
        dkr_request_t *req = cli->evhead;

        cli->evhead = req->evnext;
        if (NULL == cli->evhead) {
            cli->evtail = NULL;
        }
        req->evqueued = 0;
        req->evnext = NULL;
        if (DKR_REQ_ACTIVE != req->state || NULL == req->ops) {
            continue;
        }
        if (req->head_done && !req->head_delivered) {
            req->head_delivered = 1;
            if (NULL != req->ops->head) {
                req->ops->head(req, req->status, req->ops_arg);
            }
            if (DKR_REQ_ACTIVE != req->state) {
                continue;
            }
        }
        if (req->sdata.len > 0 && NULL != req->ops->data) {
            dkr_buf_t b = req->sdata;

            memset(&req->sdata, 0, sizeof(req->sdata));
            req->ops->data(req, b.data, b.len, req->ops_arg);
            dkr__buf_free(&b);
        }
    }
}

/* ------------------------------------------------------------ public */

dkr_request_t *dkr_ping(dkr_client_t *cli, dkr_done_cb cb, void *arg)
{
    return dkr__request_new(cli, "GET", "/_ping", 0, NULL, DKR_KIND_PING, cb, arg);
}

static dkr_request_t *call_kind(dkr_client_t *cli, const char *method, const char *path,
                                struct json_object *body, int kind, dkr_done_cb cb, void *arg)
{
    const char *s = NULL;

    if (NULL != body &&
        NULL == (s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE))) {
        return NULL;
    }
    return dkr__request_new(cli, method, path, 1, s, kind, cb, arg);
}

dkr_request_t *dkr_call(dkr_client_t *cli, const char *method, const char *path,
                        struct json_object *body, dkr_done_cb cb, void *arg)
{
    return call_kind(cli, method, path, body, DKR_KIND_CALL, cb, arg);
}

dkr_request_t *dkr_call_untimed(dkr_client_t *cli, const char *method, const char *path,
                                struct json_object *body, dkr_done_cb cb, void *arg)
{
    return call_kind(cli, method, path, body, DKR_KIND_UNTIMED, cb, arg);
}

static void stream_data(dkr_request_t *req, const char *buf, size_t len, void *arg)
{
    (void)arg;
    req->user_data(req->user_data_arg, buf, len);
}

static const dkr_req_ops_t stream_ops = { .head = NULL, .data = stream_data };

dkr_request_t *dkr_stream(dkr_client_t *cli, const char *method, const char *path,
                          struct json_object *body, dkr_data_cb data, void *data_arg,
                          dkr_done_cb cb, void *arg)
{
    dkr_request_t *req = call_kind(cli, method, path, body, DKR_KIND_STREAM, cb, arg);

    if (NULL != req && NULL != data) {
        req->user_data = data;
        req->user_data_arg = data_arg;
        dkr__request_set_ops(req, &stream_ops, NULL);
    }
    return req;
}
