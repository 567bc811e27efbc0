/*
 * dkr_run.c - running a container to its end: create, attach to its output,
 * register a wait, start it; done when the wait has answered with the exit
 * status and the output stream has ended.
 *
 * Order matters: the attach answers at once (headers) and only then is the
 * wait sent; the wait answers its headers at once and only then is the
 * container started, so neither its first output nor its exit is missed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dkr_private.h"

void dkr__run_destroy(dkr_run_t *r)
{
    free(r->name);
    free(r->id);
    free(r->body);
    free(r);
}

static void abort_req(dkr_request_t **req)
{
    dkr_request_t *q = *req;

    *req = NULL;
    if (NULL != q) {
        dkr__request_abort(q, DKR_ERR_CANCELLED, "cancelled");
    }
}

/* The one exit: the other requests are dropped, finished fires, then the
 * run waits for the sweep. */
static void finish(dkr_run_t *r, const dkr_result_t *res, int rc, int exit_code, const char *what)
{
    dkr_result_t out;

    if (r->done) {
        return;
    }
    r->done = 1;
    abort_req(&r->create);
    abort_req(&r->attach);
    abort_req(&r->wait);
    abort_req(&r->start);
    memset(&out, 0, sizeof(out));
    if (NULL != res) {
        out = *res;
    }
    out.rc = rc;
    if (DKR_OK == rc) {
        r->errstr[0] = '\0';
    } else {
        dkr__fmt(r->errstr, sizeof(r->errstr), "%s: %s", what,
                 NULL != res && NULL != res->errstr && '\0' != res->errstr[0] ? res->errstr
                                                                              : dkr_strerror(rc));
    }
    out.errstr = r->errstr;
    if (NULL != r->ops.finished) {
        r->ops.finished(r, &out, DKR_OK == rc ? exit_code : -1, r->arg);
    }
    dkr__defer_run_free(r->cli, r);
}

static void fail_now(dkr_run_t *r, int rc, const char *what, const char *msg)
{
    dkr_result_t res;

    memset(&res, 0, sizeof(res));
    res.rc = rc;
    res.errstr = msg;
    finish(r, &res, rc, -1, what);
}

static void maybe_done(dkr_run_t *r)
{
    dkr_result_t res;

    if (r->exited && r->attach_ended && !r->done) {
        memset(&res, 0, sizeof(res));
        finish(r, &res, DKR_OK, r->exit_code, "run");
    }
}

static dkr_request_t *request(dkr_run_t *r, const char *method, const char *tail, const char *body,
                              int kind, dkr_done_cb cb)
{
    char *path = dkr_path("/containers/", r->id, tail);
    dkr_request_t *req = NULL == path ? NULL
                         : dkr__request_new(r->cli, method, path, 1, body, kind, cb, r);

    free(path);
    return req;
}

/* ---------------------------------------------------------------- steps */

static void on_frame(void *arg, int stream, const char *buf, size_t len)
{
    dkr_run_t *r = arg;

    if (!r->done && NULL != r->ops.output) {
        r->ops.output(r, stream, buf, len, r->arg);
    }
}

static void attach_data(dkr_request_t *req, const char *buf, size_t len, void *arg)
{
    dkr_run_t *r = arg;

    if (!r->done && DKR_OK != dkr_demux_feed(&r->demux, buf, len, on_frame, r)) {
        dkr__request_abort(req, DKR_ERR_PROTOCOL, "bad frame header in the output stream");
    }
}

static void start_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_run_t *r = arg;
    char what[300];

    (void)cli;
    r->start = NULL;
    if (r->done) {
        return;
    }
    dkr__fmt(what, sizeof(what), "start container %s", r->name);
    if (DKR_OK != res->rc) {
        finish(r, res, res->rc, -1, what);
        return;
    }
    r->started = 1;
    if (NULL != r->ops.started) {
        r->ops.started(r, r->arg);
    }
}

/* The wait is registered: start the container. */
static void wait_head(dkr_request_t *req, long status, void *arg)
{
    dkr_run_t *r = arg;

    (void)req;
    if (r->done || status < 200 || status >= 300 || NULL != r->start || r->started) {
        return;
    }
    r->start = request(r, "POST", "/start", NULL, DKR_KIND_CALL, start_done);
    if (NULL == r->start) {
        fail_now(r, DKR_ERR_OOM, "start container", "out of memory");
    }
}

static const dkr_req_ops_t wait_ops = { .head = wait_head, .data = NULL };

static void wait_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_run_t *r = arg;
    struct json_object *code = NULL, *err = NULL, *msg = NULL;
    char what[300];

    (void)cli;
    r->wait = NULL;
    if (r->done) {
        return;
    }
    dkr__fmt(what, sizeof(what), "wait for container %s", r->name);
    if (DKR_OK != res->rc) {
        finish(r, res, res->rc, -1, what);
        return;
    }
    if (NULL == res->json || !json_object_object_get_ex(res->json, "StatusCode", &code)
        || !json_object_is_type(code, json_type_int)) {
        fail_now(r, DKR_ERR_PROTOCOL, what, "the answer has no StatusCode");
        return;
    }
    if (json_object_object_get_ex(res->json, "Error", &err) && NULL != err
        && json_object_object_get_ex(err, "Message", &msg) && NULL != msg
        && '\0' != json_object_get_string(msg)[0]) {
        fail_now(r, DKR_ERR_HTTP, what, json_object_get_string(msg));
        return;
    }
    r->exit_code = json_object_get_int(code);
    r->exited = 1;
    maybe_done(r);
}

/* The output stream is open: register the wait. */
static void attach_head(dkr_request_t *req, long status, void *arg)
{
    dkr_run_t *r = arg;

    (void)req;
    if (r->done || status < 200 || status >= 300 || NULL != r->wait || r->exited) {
        return;
    }
    r->wait = request(r, "POST", "/wait?condition=next-exit", NULL, DKR_KIND_UNTIMED, wait_done);
    if (NULL == r->wait) {
        fail_now(r, DKR_ERR_OOM, "wait for container", "out of memory");
        return;
    }
    dkr__request_set_ops(r->wait, &wait_ops, r);
}

static const dkr_req_ops_t attach_ops = { .head = attach_head, .data = attach_data };

static void attach_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_run_t *r = arg;
    char what[300];

    (void)cli;
    r->attach = NULL;
    if (r->done) {
        return;
    }
    dkr__fmt(what, sizeof(what), "attach to container %s", r->name);
    if (DKR_OK != res->rc) {
        finish(r, res, res->rc, -1, what);
        return;
    }
    if (!dkr_demux_at_boundary(&r->demux)) {
        fail_now(r, DKR_ERR_PROTOCOL, what, "the output stream ended inside a frame");
        return;
    }
    r->attach_ended = 1;
    maybe_done(r);
}

static void create_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_run_t *r = arg;
    const char *id;
    char what[300];

    (void)cli;
    r->create = NULL;
    if (r->done) {
        return;
    }
    dkr__fmt(what, sizeof(what), "create container %s", r->name);
    if (DKR_OK != res->rc) {
        finish(r, res, res->rc, -1, what);
        return;
    }
    if (NULL == (id = dkr_json_str(res->json, "Id")) || '\0' == id[0]) {
        fail_now(r, DKR_ERR_PROTOCOL, what, "the answer has no container Id");
        return;
    }
    if (NULL == (r->id = strdup(id))) {
        fail_now(r, DKR_ERR_OOM, what, "out of memory");
        return;
    }
    r->attach = request(r, "POST", "/attach?stream=1&stdout=1&stderr=1", NULL, DKR_KIND_STREAM,
                        attach_done);
    if (NULL == r->attach) {
        fail_now(r, DKR_ERR_OOM, "attach to container", "out of memory");
        return;
    }
    dkr__request_set_ops(r->attach, &attach_ops, r);
}

/* --------------------------------------------------------------- public */

dkr_run_t *dkr_run_container(dkr_client_t *cli, const char *name, struct json_object *body,
                             const dkr_run_ops_t *ops, void *arg)
{
    const char *s;
    char *path = NULL;
    dkr_run_t *r;

    if (NULL == cli || cli->dying || NULL == ops || NULL == body || NULL == (r = calloc(1, sizeof(*r)))) {
        return NULL;
    }
    r->cli = cli;
    r->ops = *ops;
    r->arg = arg;
    dkr_demux_init(&r->demux);
    s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (NULL == (r->name = strdup(NULL == name ? "" : name)) || NULL == s
        || NULL == (r->body = strdup(s))) {
        goto oom;
    }
    path = NULL != name && '\0' != name[0] ? dkr_path("/containers/create?name=", name, "")
                                            : strdup("/containers/create");
    if (NULL == path) {
        goto oom;
    }
    r->create = dkr__request_new(cli, "POST", path, 1, r->body, DKR_KIND_CALL, create_done, r);
    if (NULL == r->create) {
        goto oom;
    }
    free(path);
    return r;

oom:
    free(path);
    dkr__run_destroy(r);
    return NULL;
}

void dkr_run_cancel(dkr_run_t *r)
{
    dkr_client_t *cli;

    if (NULL == r || r->done) {
        return;
    }
    cli = r->cli;
    dkr__enter(cli);
    fail_now(r, DKR_ERR_CANCELLED, "run", "cancelled");
    dkr__leave(cli);
}

const char *dkr_run_id(const dkr_run_t *r)
{
    return NULL == r ? NULL : r->id;
}

const char *dkr_run_name(const dkr_run_t *r)
{
    return NULL == r ? NULL : r->name;
}
