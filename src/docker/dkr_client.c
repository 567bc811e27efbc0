/*
 * dkr_client.c - the client object: libcurl's multi handle, the event-loop
 * hooks it is driven through (the hiperfifo pattern without the loop), the
 * dispatch after each socket_action, and the deferred frees that make
 * callbacks re-entrant (see dkr_private.h).
 */
#include <stdlib.h>
#include <string.h>

#include "dkr_private.h"

/* libcurl counts curl_global_init calls, so one more from here does no harm
 * when the host program already made its own. */
static int curl_ready;

static int ensure_curl(void)
{
    if (!curl_ready) {
        if (CURLE_OK != curl_global_init(CURL_GLOBAL_DEFAULT)) {
            return DKR_ERR_OOM;
        }
        curl_ready = 1;
    }
    return DKR_OK;
}

/* CURLMOPT_SOCKETFUNCTION: hand the socket to the loop. */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
    dkr_client_t *cli = userp;
    void *sd = sockp;
    int want = 0;

    (void)easy;
    if (!cli->have_loop || cli->closing) {
        return 0;
    }
    switch (what) {
    case CURL_POLL_IN: want = DKR_EV_READ; break;
    case CURL_POLL_OUT: want = DKR_EV_WRITE; break;
    case CURL_POLL_INOUT: want = DKR_EV_READ | DKR_EV_WRITE; break;
    default: want = 0; break;   /* CURL_POLL_REMOVE */
    }
    if (0 != cli->hooks.watch(cli->hooks.data, (int)fd, want, &sd)) {
        return -1;
    }
    if (0 != want && sd != sockp) {
        curl_multi_assign(cli->multi, fd, sd);
    }
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: only remember and arm, never call libcurl here. */
static int timer_cb(CURLM *multi, long ms, void *userp)
{
    dkr_client_t *cli = userp;

    (void)multi;
    cli->curl_timer = ms;
    dkr__arm_timer(cli);
    return 0;
}

void dkr__arm_timer(dkr_client_t *cli)
{
    /* Deferred failures need a dispatch soon; libcurl's own timeout is
     * re-read from curl_multi_timeout after that dispatch. */
    long ms = cli->n_deferred > 0 ? 0 : cli->curl_timer;

    if (cli->have_loop && !cli->closing) {
        cli->hooks.timer(cli->hooks.data, ms);
    }
}

static char *make_base(const dkr_endpoint_t *ep)
{
    size_t n;
    char *b;
    int br;

    if (DKR_EP_UNIX == ep->kind) {
        return strdup("http://localhost");
    }
    br = NULL != strchr(ep->host, ':');
    /* room for every '%' of an IPv6 zone becoming "%25" */
    n = strlen("https://[]:65535") + 3 * strlen(ep->host) + strlen(ep->path_prefix) + 1;
    if (NULL == (b = malloc(n))) {
        return NULL;
    }
    {
        char host[3 * 256 + 1];
        const char *p;
        size_t o = 0;

        for (p = ep->host; *p && o + 4 < sizeof(host); p++) {
            if ('%' == *p) {
                memcpy(host + o, "%25", 3);
                o += 3;
            } else {
                host[o++] = *p;
            }
        }
        host[o] = '\0';
        dkr__fmt(b, n, "%s://%s%s%s:%d%s", ep->tls ? "https" : "http", br ? "[" : "", host,
                 br ? "]" : "", ep->port, ep->path_prefix);
    }
    return b;
}

dkr_client_t *dkr_client_new(const dkr_endpoint_t *ep, const dkr_client_opts_t *opts)
{
    dkr_client_t *cli;
    long maxc;

    if (NULL == ep || DKR_OK != ensure_curl() || NULL == (cli = calloc(1, sizeof(*cli)))) {
        return NULL;
    }
    if (NULL != opts) {
        cli->opts = *opts;
    }
    if (cli->opts.timeout_ms <= 0) {
        cli->opts.timeout_ms = 30000;
    }
    if (cli->opts.connect_timeout_ms <= 0) {
        cli->opts.connect_timeout_ms = cli->opts.timeout_ms;
    }
    if (cli->opts.max_connections <= 0) {
        cli->opts.max_connections = 256;
    }
    cli->curl_timer = -1;
    if (NULL == (cli->ep = dkr_endpoint_dup(ep)) || NULL == (cli->base = make_base(ep)) ||
        NULL == (cli->multi = curl_multi_init())) {
        goto fail;
    }
    maxc = cli->opts.max_connections;
    curl_multi_setopt(cli->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(cli->multi, CURLMOPT_SOCKETDATA, cli);
    curl_multi_setopt(cli->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(cli->multi, CURLMOPT_TIMERDATA, cli);
    curl_multi_setopt(cli->multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxc);
    curl_multi_setopt(cli->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxc);
    return cli;

fail:
    if (cli->multi) {
        curl_multi_cleanup(cli->multi);
    }
    free(cli->base);
    dkr_endpoint_free(cli->ep);
    free(cli);
    return NULL;
}

int dkr_client_set_loop(dkr_client_t *cli, const dkr_loop_hooks_t *hooks)
{
    if (NULL == cli || NULL == hooks || NULL == hooks->watch || NULL == hooks->timer ||
        cli->have_loop || cli->dying) {
        return DKR_ERR_ARG;
    }
    cli->hooks = *hooks;
    cli->have_loop = 1;
    dkr__arm_timer(cli);    /* requests made before the loop was there */
    return DKR_OK;
}

void dkr_client_set_trace(dkr_client_t *cli, dkr_trace_cb cb, void *arg)
{
    if (NULL != cli) {
        cli->trace = cb;
        cli->trace_arg = arg;
    }
}

const dkr_endpoint_t *dkr_client_endpoint(const dkr_client_t *cli)
{
    return NULL == cli ? NULL : cli->ep;
}

const char *dkr_client_api_version(const dkr_client_t *cli)
{
    return NULL == cli ? NULL : cli->api_version;
}

size_t dkr_client_pending(const dkr_client_t *cli)
{
    return NULL == cli ? 0 : cli->n_reqs;
}

/* ------------------------------------------------------------- dispatch */

void dkr__enter(dkr_client_t *cli)
{
    cli->depth++;
}

static void sweep(dkr_client_t *cli)
{
    while (NULL != cli->dead) {
        dkr_request_t *r = cli->dead;

        cli->dead = r->next;
        dkr__request_free(r);
    }
    while (NULL != cli->dead_execs) {
        dkr_exec_t *ex = cli->dead_execs;

        cli->dead_execs = ex->dead_next;
        dkr__exec_destroy(ex);
    }
    while (NULL != cli->dead_runs) {
        dkr_run_t *r = cli->dead_runs;

        cli->dead_runs = r->dead_next;
        dkr__run_destroy(r);
    }
}

static void destroy(dkr_client_t *cli)
{
    sweep(cli);
    /* Closing the cached connections reports their sockets removed, so the
     * hooks are still live here; the loop's leftovers go in cleanup. */
    curl_multi_cleanup(cli->multi);
    cli->closing = 1;
    if (cli->have_loop && NULL != cli->hooks.cleanup) {
        cli->hooks.cleanup(cli->hooks.data);
    }
    free(cli->api_version);
    free(cli->base);
    dkr_endpoint_free(cli->ep);
    free(cli);
}

int dkr__leave(dkr_client_t *cli)
{
    if (--cli->depth > 0) {
        return 0;
    }
    sweep(cli);
    if (cli->dying) {
        destroy(cli);
        return 1;
    }
    return 0;
}

void dkr__defer_exec_free(dkr_client_t *cli, dkr_exec_t *ex)
{
    ex->dead_next = cli->dead_execs;
    cli->dead_execs = ex;
}

void dkr__defer_run_free(dkr_client_t *cli, dkr_run_t *r)
{
    r->dead_next = cli->dead_runs;
    cli->dead_runs = r;
}

/* Everything libcurl buffered during socket_action reaches its owner here:
 * stream events first (they precede their transfer's end), then finished
 * transfers, then failures that never went out. */
static void dispatch(dkr_client_t *cli)
{
    CURLMsg *msg;
    int left;

    dkr__deliver_events(cli);
    while (!cli->dying && NULL != (msg = curl_multi_info_read(cli->multi, &left))) {
        dkr_request_t *req = NULL;

        if (CURLMSG_DONE != msg->msg) {
            continue;
        }
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&req);
        {
            CURLcode cc = msg->data.result;   /* msg dies with the removal */

            curl_multi_remove_handle(cli->multi, msg->easy_handle);
            req->in_multi = 0;
            dkr__request_done(req, cc);
        }
    }
    dkr__request_fire_deferred(cli);
}

static void rearm(dkr_client_t *cli)
{
    long ms = -1;

    if (!cli->dying && CURLM_OK == curl_multi_timeout(cli->multi, &ms)) {
        cli->curl_timer = ms;
        dkr__arm_timer(cli);
    }
}

void dkr_client_socket_ready(dkr_client_t *cli, int fd, int what)
{
    int running = 0, ev = 0;

    if (NULL == cli || cli->dying) {
        return;
    }
    if (what & DKR_EV_READ) {
        ev |= CURL_CSELECT_IN;
    }
    if (what & DKR_EV_WRITE) {
        ev |= CURL_CSELECT_OUT;
    }
    dkr__enter(cli);
    curl_multi_socket_action(cli->multi, (curl_socket_t)fd, ev, &running);
    dispatch(cli);
    dkr__leave(cli);
}

void dkr_client_timer_fired(dkr_client_t *cli)
{
    int running = 0;

    if (NULL == cli || cli->dying) {
        return;
    }
    dkr__enter(cli);
    curl_multi_socket_action(cli->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    dispatch(cli);
    /* The timer may have fired for our own deferred work, ahead of what
     * libcurl asked for; libcurl would not ask again, so re-read it. */
    rearm(cli);
    dkr__leave(cli);
}

void dkr_client_free(dkr_client_t *cli)
{
    if (NULL == cli || cli->dying) {
        return;
    }
    dkr__enter(cli);
    cli->dying = 1;
    while (NULL != cli->reqs) {
        dkr__request_abort(cli->reqs, DKR_ERR_CANCELLED, "cancelled: the client is being freed");
    }
    dkr__leave(cli);
}
