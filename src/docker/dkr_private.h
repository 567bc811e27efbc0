/*
 * dkr_private.h - declarations shared by libdkr's own files; not installed,
 * not for callers.
 *
 * Re-entrancy in one paragraph: user code (request callbacks, exec ops, the
 * trace) never runs inside a libcurl callback.  libcurl's header and write
 * callbacks only buffer; the buffered events and the finished transfers are
 * delivered afterwards, from the "dispatch" that follows each
 * curl_multi_socket_action.  Every public entry point that can reach user
 * code (socket_ready, timer_fired, the cancels, client_free) brackets itself
 * with dkr__enter/dkr__leave; finished requests and execs are only unlinked
 * while the depth is > 0 and freed when it drops back to 0, and a
 * dkr_client_free asked for at depth > 0 cancels everything at once but
 * destroys the client only then.
 */
#ifndef DKR_PRIVATE_H
#define DKR_PRIVATE_H

#include <curl/curl.h>

#include "dkr.h"

#define DKR_ERRSTR_MAX 512
/* Largest non-streamed body we keep; Docker's biggest answers (a long
 * container list) are far below it. */
#define DKR_BODY_MAX (64u * 1024u * 1024u)

/* A growing byte buffer that stays NUL-terminated. */
typedef struct dkr_buf {
    char *data;
    size_t len, cap;
} dkr_buf_t;

int dkr__buf_append(dkr_buf_t *b, const char *p, size_t n);
void dkr__buf_free(dkr_buf_t *b);

/* Formats into a fixed buffer, always terminated, truncating quietly. */
void dkr__fmt(char *dst, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
char *dkr__strdup(const char *s);        /* NULL stays NULL */

/* --------------------------------------------------------------- request */

enum { DKR_REQ_ACTIVE = 1, DKR_REQ_DEFERRED, DKR_REQ_DONE };
/* CALL: timed, body kept.  UNTIMED: the same without the time limit (wait).
 * STREAM: 2xx body handed over as it arrives, no time limit. */
enum { DKR_KIND_CALL = 1, DKR_KIND_PING, DKR_KIND_STREAM, DKR_KIND_UNTIMED };

/* Hooks an internal owner (the exec code) sets on its request.  Both run
 * from the dispatch, never inside libcurl, so they may cancel or start
 * requests. */
typedef struct dkr_req_ops {
    /* The final response headers arrived (status known, body not yet). */
    void (*head)(dkr_request_t *req, long status, void *arg);
    /* Body bytes of a 2xx answer to a DKR_KIND_STREAM request. */
    void (*data)(dkr_request_t *req, const char *buf, size_t len, void *arg);
} dkr_req_ops_t;

struct dkr_request {
    dkr_client_t *cli;
    dkr_request_t *prev, *next;   /* cli->reqs while outstanding, then cli->dead */
    dkr_request_t *evnext;        /* cli's event queue */
    int evqueued;
    int state;
    int kind;
    int in_multi;

    CURL *easy;
    struct curl_slist *hdrs;
    char *method;
    char *path;                   /* as sent, after the endpoint's prefix */
    char *url;
    char *body_out;

    dkr_done_cb cb;
    void *arg;
    const dkr_req_ops_t *ops;
    void *ops_arg;
    dkr_data_cb user_data;        /* dkr_stream's caller */
    void *user_data_arg;

    /* response */
    long status;
    int head_done, head_delivered;
    char *ctype;
    char *api_version;
    dkr_buf_t body;               /* whole body (not for a 2xx stream) */
    dkr_buf_t sdata;              /* stream bytes not yet delivered */

    int fail_rc;                  /* set when we abort or defer a failure */
    char fail_msg[DKR_ERRSTR_MAX];
    char errstr[DKR_ERRSTR_MAX];
    char curl_err[CURL_ERROR_SIZE];
    double t0;
};

/* ---------------------------------------------------------------- client */

struct dkr_client {
    dkr_endpoint_t *ep;
    dkr_client_opts_t opts;
    CURLM *multi;
    dkr_loop_hooks_t hooks;
    int have_loop;
    long curl_timer;              /* what libcurl last asked for, -1 none */
    char *api_version;
    char *base;                   /* "http://localhost", "https://h:2376/pfx" */

    dkr_trace_cb trace;
    void *trace_arg;

    dkr_request_t *reqs;          /* outstanding */
    size_t n_reqs;
    size_t n_deferred;
    dkr_request_t *dead;          /* callback done, freed at depth 0 */
    dkr_request_t *evhead, *evtail;
    dkr_exec_t *dead_execs;
    dkr_run_t *dead_runs;

    int depth;
    int dying;                    /* dkr_client_free was called */
    int closing;                  /* hooks no longer usable */
};

/* ------------------------------------------------------------------ exec */

struct dkr_exec {
    dkr_exec_t *dead_next;        /* cli->dead_execs */
    dkr_client_t *cli;
    char *container;
    char *id;
    dkr_exec_ops_t ops;
    void *arg;
    int detach;
    int done;
    int started;
    int inspects;
    dkr_request_t *req;           /* the step in flight, NULL between steps */
    dkr_demux_t demux;
    char errstr[DKR_ERRSTR_MAX + 192];
};

/* ------------------------------------------------------------------- run */

struct dkr_run {
    dkr_run_t *dead_next;         /* cli->dead_runs */
    dkr_client_t *cli;
    char *name;
    char *id;
    char *body;                   /* the create body, sent once */
    dkr_run_ops_t ops;
    void *arg;
    int done;
    int started;
    dkr_request_t *create, *attach, *wait, *start;
    int attach_ended;             /* the output stream is over */
    int exited;                   /* wait answered */
    int exit_code;
    dkr_demux_t demux;
    char errstr[DKR_ERRSTR_MAX + 192];
};

void dkr__defer_run_free(dkr_client_t *cli, dkr_run_t *r);
void dkr__run_destroy(dkr_run_t *r);

void dkr__enter(dkr_client_t *cli);
/* Returns 1 when it destroyed the client: touch nothing of it then. */
int dkr__leave(dkr_client_t *cli);
void dkr__arm_timer(dkr_client_t *cli);
void dkr__queue_event(dkr_request_t *req);
void dkr__defer_exec_free(dkr_client_t *cli, dkr_exec_t *ex);
void dkr__exec_destroy(dkr_exec_t *ex);

/* dkr_http.c */
/* A request on path (already escaped) with an optional serialised body.
 * versioned: put "/v<api>" in front.  A bad path makes a request that fails
 * with DKR_ERR_ARG at the next dispatch.  NULL only on OOM or a dying client. */
dkr_request_t *dkr__request_new(dkr_client_t *cli, const char *method, const char *path,
                                int versioned, const char *body, int kind,
                                dkr_done_cb cb, void *arg);
/* A request that never goes out: it fails with rc/msg at the next dispatch. */
dkr_request_t *dkr__request_failed(dkr_client_t *cli, const char *method, const char *path,
                                   int rc, const char *msg, dkr_done_cb cb, void *arg);
void dkr__request_set_ops(dkr_request_t *req, const dkr_req_ops_t *ops, void *arg);
/* Stops a request now and fires its callback with rc/msg. */
void dkr__request_abort(dkr_request_t *req, int rc, const char *msg);
/* Unlinks req and fires its callback once (json is put afterwards). */
void dkr__request_complete(dkr_request_t *req, int rc, struct json_object *json,
                           const char *errstr);
/* dkr_result.c: a transfer libcurl reported done (handle already removed). */
void dkr__request_done(dkr_request_t *req, CURLcode cc);
/* Fires the callbacks of deferred failures. */
void dkr__request_fire_deferred(dkr_client_t *cli);
void dkr__request_free(dkr_request_t *req);
void dkr__deliver_events(dkr_client_t *cli);
int dkr__check_path(const char *path, char *errbuf, size_t errlen);
double dkr__now(void);

#endif /* DKR_PRIVATE_H */
