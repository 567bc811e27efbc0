/*
 * dkr_exec.c - running a command in a container: create, start (attached:
 * demultiplex the stream; detached: return once spawned), then inspect for
 * the exit code.  Each step is one request; exactly one is in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dkr_private.h"

/* How often to re-inspect an exec whose stream ended while it still shows
 * as running; Docker records the exit code before closing the stream. */
#define MAX_INSPECTS 10

static void step_create_done(dkr_client_t *cli, const dkr_result_t *res, void *arg);
static void step_start_done(dkr_client_t *cli, const dkr_result_t *res, void *arg);
static void step_inspect_done(dkr_client_t *cli, const dkr_result_t *res, void *arg);

void dkr__exec_destroy(dkr_exec_t *ex)
{
    free(ex->container);
    free(ex->id);
    free(ex);
}

/* The one exit: finished fires, then the exec waits for the sweep. */
static void finish(dkr_exec_t *ex, const dkr_result_t *res, int rc, int exit_code,
                   const char *what)
{
    dkr_result_t r;

    if (ex->done) {
        return;
    }
    memset(&r, 0, sizeof(r));
    if (NULL != res) {
        r = *res;
    }
    r.rc = rc;
    if (DKR_OK == rc) {
        ex->errstr[0] = '\0';
    } else if (NULL != res && NULL != res->errstr && '\0' != res->errstr[0]) {
        dkr__fmt(ex->errstr, sizeof(ex->errstr), "%s: %s", what, res->errstr);
    } else {
        dkr__fmt(ex->errstr, sizeof(ex->errstr), "%s: %s", what, dkr_strerror(rc));
    }
    r.errstr = ex->errstr;
    ex->done = 1;
    ex->req = NULL;
    if (NULL != ex->ops.finished) {
        ex->ops.finished(ex, &r, DKR_OK == rc ? exit_code : -1, ex->arg);
    }
    dkr__defer_exec_free(ex->cli, ex);
}

static void fail_now(dkr_exec_t *ex, int rc, const char *what, const char *msg)
{
    dkr_result_t r;

    memset(&r, 0, sizeof(r));
    r.rc = rc;
    r.errstr = msg;
    finish(ex, &r, rc, -1, what);
}

/* --------------------------------------------------------------- stream */

static void on_frame(void *arg, int stream, const char *buf, size_t len)
{
    dkr_exec_t *ex = arg;

    if (!ex->done && NULL != ex->ops.output) {
        ex->ops.output(ex, stream, buf, len, ex->arg);
    }
}

static void on_head(dkr_request_t *req, long status, void *arg)
{
    dkr_exec_t *ex = arg;

    (void)req;
    if (status >= 200 && status < 300 && !ex->started && !ex->done) {
        ex->started = 1;
        if (NULL != ex->ops.started) {
            ex->ops.started(ex, ex->arg);
        }
    }
}

static void on_data(dkr_request_t *req, const char *buf, size_t len, void *arg)
{
    dkr_exec_t *ex = arg;

    if (ex->done) {
        return;
    }
    if (DKR_OK != dkr_demux_feed(&ex->demux, buf, len, on_frame, ex)) {
        char msg[96];

        dkr__fmt(msg, sizeof(msg), "bad frame header in the output stream");
        dkr__request_abort(req, DKR_ERR_PROTOCOL, msg);   /* start's callback finishes */
    }
}

static const dkr_req_ops_t stream_ops = { on_head, on_data };

/* ---------------------------------------------------------------- steps */

static void start_inspect(dkr_exec_t *ex)
{
    char *path = dkr_path("/exec/", ex->id, "/json");

    ex->req = NULL == path ? NULL
        : dkr__request_new(ex->cli, "GET", path, 1, NULL, DKR_KIND_CALL, step_inspect_done, ex);
    free(path);
    if (NULL == ex->req) {
        fail_now(ex, DKR_ERR_OOM, "inspect exec", "out of memory");
    }
}

static void step_create_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_exec_t *ex = arg;
    const char *id;
    char what[256];
    char *path;

    (void)cli;
    ex->req = NULL;
    dkr__fmt(what, sizeof(what), "create exec%s%s", ex->container[0] ? " in " : "",
             ex->container);
    if (DKR_OK != res->rc) {
        finish(ex, res, res->rc, -1, what);
        return;
    }
    if (NULL == (id = dkr_json_str(res->json, "Id")) || '\0' == *id) {
        fail_now(ex, DKR_ERR_PROTOCOL, what, "the answer has no exec Id");
        return;
    }
    if (NULL == (ex->id = strdup(id)) || NULL == (path = dkr_path("/exec/", id, "/start"))) {
        fail_now(ex, DKR_ERR_OOM, what, "out of memory");
        return;
    }
    /* Tty must match create; the body is mandatory (an empty one gets 400). */
    ex->req = dkr__request_new(ex->cli, "POST", path, 1,
                               ex->detach ? "{\"Detach\":true,\"Tty\":false}"
                                          : "{\"Detach\":false,\"Tty\":false}",
                               ex->detach ? DKR_KIND_CALL : DKR_KIND_STREAM,
                               step_start_done, ex);
    free(path);
    if (NULL == ex->req) {
        fail_now(ex, DKR_ERR_OOM, "start exec", "out of memory");
        return;
    }
    if (!ex->detach) {
        dkr__request_set_ops(ex->req, &stream_ops, ex);
    }
}

static void step_start_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_exec_t *ex = arg;
    char what[256];

    (void)cli;
    ex->req = NULL;
    dkr__fmt(what, sizeof(what), "start exec %.16s in %s", ex->id, ex->container);
    if (DKR_OK != res->rc) {
        finish(ex, res, res->rc, -1, what);
        return;
    }
    if (!ex->started) {
        ex->started = 1;
        if (NULL != ex->ops.started) {
            ex->ops.started(ex, ex->arg);
        }
        if (ex->done) {
            return;     /* cancelled from started */
        }
    }
    if (ex->detach) {
        finish(ex, res, DKR_OK, -1, what);
        return;
    }
    if (!dkr_demux_at_boundary(&ex->demux)) {
        fail_now(ex, DKR_ERR_PROTOCOL, what, "the output stream ended inside a frame");
        return;
    }
    start_inspect(ex);
}

static void step_inspect_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_exec_t *ex = arg;
    struct json_object *code = NULL, *running = NULL;
    char what[256];

    (void)cli;
    ex->req = NULL;
    dkr__fmt(what, sizeof(what), "inspect exec %.16s in %s", ex->id, ex->container);
    if (DKR_OK != res->rc) {
        finish(ex, res, res->rc, -1, what);
        return;
    }
    if (NULL != res->json) {
        json_object_object_get_ex(res->json, "ExitCode", &code);
        json_object_object_get_ex(res->json, "Running", &running);
    }
    /* Key on Running: Podman shows ExitCode 0 while the process runs. */
    if (!json_object_get_boolean(running) && json_object_is_type(code, json_type_int)) {
        finish(ex, res, DKR_OK, json_object_get_int(code), what);
        return;
    }
    if (++ex->inspects < MAX_INSPECTS) {
        start_inspect(ex);
        return;
    }
    fail_now(ex, DKR_ERR_PROTOCOL, what, "still running after its output stream ended");
}

/* --------------------------------------------------------------- public */

dkr_exec_t *dkr_exec_run(dkr_client_t *cli, const char *container, const dkr_exec_spec_t *spec,
                         const dkr_exec_ops_t *ops, void *arg)
{
    struct json_object *body = NULL;
    dkr_exec_t *ex;
    char *path = NULL;

    if (NULL == cli || cli->dying || NULL == ops || NULL == (ex = calloc(1, sizeof(*ex)))) {
        return NULL;
    }
    ex->cli = cli;
    ex->ops = *ops;
    ex->arg = arg;
    ex->detach = NULL != spec && spec->detach;
    dkr_demux_init(&ex->demux);
    if (NULL == (ex->container = strdup(NULL != container ? container : ""))) {
        goto oom;
    }
    /* Argument errors come back through finished, like any other. */
    if ('\0' == ex->container[0]) {
        ex->req = dkr__request_failed(cli, "POST", "/containers//exec", DKR_ERR_ARG,
                                      "no container name or id", step_create_done, ex);
    } else if (NULL == spec || NULL == spec->cmd || NULL == spec->cmd[0]) {
        ex->req = dkr__request_failed(cli, "POST", "/containers/-/exec", DKR_ERR_ARG,
                                      "empty command (no argv[0])", step_create_done, ex);
    } else {
        if (NULL == (body = dkr_exec_create_body(spec)) ||
            NULL == (path = dkr_path("/containers/", container, "/exec"))) {
            goto oom;
        }
        ex->req = dkr__request_new(cli, "POST", path, 1,
                                   json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE),
                                   DKR_KIND_CALL, step_create_done, ex);
    }
    if (NULL == ex->req) {
        goto oom;
    }
    json_object_put(body);
    free(path);
    return ex;

oom:
    json_object_put(body);
    free(path);
    dkr__exec_destroy(ex);
    return NULL;
}

void dkr_exec_cancel(dkr_exec_t *ex)
{
    dkr_client_t *cli;

    if (NULL == ex || ex->done) {
        return;
    }
    cli = ex->cli;
    dkr__enter(cli);
    if (NULL != ex->req) {
        dkr__request_abort(ex->req, DKR_ERR_CANCELLED, "cancelled");
    }
    if (!ex->done) {    /* between steps, e.g. cancelled from started */
        fail_now(ex, DKR_ERR_CANCELLED, "exec", "cancelled");
    }
    dkr__leave(cli);
}

const char *dkr_exec_id(const dkr_exec_t *ex)
{
    return NULL == ex ? NULL : ex->id;
}

const char *dkr_exec_container(const dkr_exec_t *ex)
{
    return NULL == ex ? NULL : ex->container;
}
