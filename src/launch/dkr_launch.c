/*
 * dkr_launch.c - resolve the containers, then start and follow one daemon
 * in each (see dkr_launch.h).
 */
#define _GNU_SOURCE /* asprintf */
#include "dkr_launch.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct endpoint {
    struct dkr_launch *l;
    dkr_client_t *cli;
    dkr_request_t *req;
    int done;
    int rc;
    char *errstr;
} endpoint_t;

typedef struct target {
    dkr_launch_t *l;
    size_t index;
    char *name;
    dkr_client_t *cli;
    dkr_container_t *c;
    dkr_request_t *inspect;
    dkr_fail_t fail;
    int rc;
    char *errstr;
    /* the daemon: an exec in the container, or the container itself */
    char **cmd, **env;
    char *user, *workdir;
    dkr_exec_t *ex;
    int create;                 /* a job container, made at start */
    struct json_object *body;   /* its create body */
    dkr_run_t *run;
    int launching;      /* created/starting, counts against max_concurrent */
    int running;        /* exec alive (started or starting) */
    dkr_tail_t tail;
} target_t;

struct dkr_launch {
    dkr_launch_opts_t opts;
    char *network;
    dkr_launch_ops_t ops;
    void *arg;
    target_t **t;
    size_t n, cap;
    endpoint_t *eps;
    size_t n_eps;
    size_t next_inspect, inspecting, inspected;
    size_t *queue;      /* targets waiting to be started, FIFO */
    size_t q_head, q_tail;
    size_t launching;
    int pumping;
    int quiet;          /* freeing/abandoning: callbacks do nothing */
    char **host_addrs;
    dkr_net_choice_t net;
    dkr_fail_t gfail;
    int grc;
    char *gerr;
    dkr_client_t *gcli;
};

static char *strdup_or_null(const char *s)
{
    return NULL == s ? NULL : strdup(s);
}

dkr_launch_t *dkr_launch_new(const dkr_launch_opts_t *opts, const dkr_launch_ops_t *ops, void *arg)
{
    dkr_launch_t *l = calloc(1, sizeof(*l));

    if (NULL == l) {
        return NULL;
    }
    if (NULL != opts) {
        l->opts = *opts;
    }
    if (l->opts.max_concurrent <= 0) {
        l->opts.max_concurrent = 64;
    }
    if (0 == l->opts.output_tail) {
        l->opts.output_tail = 4096;
    }
    if (NULL != l->opts.network && '\0' != l->opts.network[0]) {
        l->network = strdup(l->opts.network);
    }
    l->opts.network = l->network;
    l->ops = *ops;
    l->arg = arg;
    return l;
}

static void target_free(target_t *t)
{
    json_object_put(t->body);
    free(t->name);
    dkr_container_free(t->c);
    free(t->errstr);
    dkr_strv_free(t->cmd);
    dkr_strv_free(t->env);
    free(t->user);
    free(t->workdir);
    dkr_tail_free(&t->tail);
    free(t);
}

void dkr_launch_free(dkr_launch_t *l)
{
    if (NULL == l) {
        return;
    }
    l->quiet = 1;
    for (size_t i = 0; i < l->n_eps; i++) {
        if (NULL != l->eps[i].req) {
            dkr_request_cancel(l->eps[i].req);
        }
        free(l->eps[i].errstr);
    }
    for (size_t i = 0; i < l->n; i++) {
        if (NULL != l->t[i]->inspect) {
            dkr_request_cancel(l->t[i]->inspect);
        }
    }
    dkr_launch_abandon(l);
    for (size_t i = 0; i < l->n; i++) {
        target_free(l->t[i]);
    }
    free(l->t);
    free(l->eps);
    free(l->queue);
    dkr_strv_free(l->host_addrs);
    free(l->network);
    free(l->gerr);
    free(l);
}

size_t dkr_launch_add(dkr_launch_t *l, dkr_client_t *cli, const char *container)
{
    target_t *t;

    if (l->n == l->cap) {
        size_t cap = 0 == l->cap ? 16 : 2 * l->cap;
        target_t **nt = realloc(l->t, cap * sizeof(*nt));
        if (NULL == nt) {
            return (size_t)-1;
        }
        l->t = nt;
        l->cap = cap;
    }
    if (NULL == (t = calloc(1, sizeof(*t))) || NULL == (t->name = strdup(container))) {
        free(t);
        return (size_t)-1;
    }
    t->l = l;
    t->index = l->n;
    t->cli = cli;
    dkr_tail_init(&t->tail, l->opts.output_tail);
    l->t[l->n] = t;
    return l->n++;
}

size_t dkr_launch_add_new(dkr_launch_t *l, dkr_client_t *cli, const char *name)
{
    size_t i = dkr_launch_add(l, cli, name);

    if ((size_t)-1 != i) {
        l->t[i]->create = 1;
    }
    return i;
}

size_t dkr_launch_count(const dkr_launch_t *l)
{
    return l->n;
}

/* ---------------------------------------------------------------- resolve */

static void set_gfail(dkr_launch_t *l, dkr_fail_t f, int rc, const char *err, dkr_client_t *cli)
{
    if (DKR_FAIL_NONE != l->gfail) {
        return;
    }
    l->gfail = f;
    l->grc = rc;
    l->gerr = strdup_or_null(err);
    l->gcli = cli;
}

static void finish_resolve(dkr_launch_t *l)
{
    dkr_container_t **cs;
    char err[512] = "";
    int ok = DKR_FAIL_NONE == l->gfail;

    for (size_t i = 0; i < l->n && ok; i++) {
        ok = DKR_FAIL_NONE == l->t[i]->fail;
    }
    if (ok) {
        if (NULL == (cs = calloc(l->n + 1, sizeof(*cs)))) {
            set_gfail(l, DKR_FAIL_NETWORK, DKR_ERR_OOM, "out of memory", NULL);
            ok = 0;
        } else {
            for (size_t i = 0; i < l->n; i++) {
                cs[i] = l->t[i]->c;
            }
            if (DKR_OK != dkr_plan_network(cs, l->n, (const char *const *)l->host_addrs,
                                           l->network, &l->net, err, sizeof(err))) {
                set_gfail(l, DKR_FAIL_NETWORK, DKR_ERR_ARG, err, NULL);
                ok = 0;
            }
            free(cs);
        }
    }
    l->ops.resolved(l, ok, l->arg);
}

static void inspect_next(dkr_launch_t *l);

static void inspect_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    target_t *t = arg;
    dkr_launch_t *l = t->l;

    (void)cli;
    t->inspect = NULL;
    if (l->quiet) {
        return;
    }
    l->inspecting--;
    l->inspected++;
    if (DKR_OK != res->rc) {
        t->fail = DKR_ERR_NOT_FOUND == res->rc ? DKR_FAIL_NO_CONTAINER : DKR_FAIL_INSPECT;
        t->rc = res->rc;
        t->errstr = strdup_or_null(res->errstr);
    } else if (DKR_OK != (t->rc = dkr_container_from_json(res->json, &t->c))) {
        t->fail = DKR_FAIL_INSPECT;
        t->errstr = strdup("the engine's description of the container could not be read");
    } else if (!t->c->running || t->c->paused) {
        t->fail = DKR_FAIL_NOT_RUNNING;
        t->rc = DKR_ERR_CONFLICT;
        t->errstr = strdup_or_null(t->c->paused ? "paused" : t->c->state);
    }
    if (l->inspected == l->n) {
        finish_resolve(l);
    } else {
        inspect_next(l);
    }
}

static void inspect_next(dkr_launch_t *l)
{
    while (!l->quiet && l->next_inspect < l->n
           && l->inspecting < (size_t)l->opts.max_concurrent) {
        target_t *t = l->t[l->next_inspect++];
        char *esc = dkr_escape(t->name), *path = NULL;

        if (NULL == esc || 0 > asprintf(&path, "/containers/%s/json", esc)) {
            path = NULL;
        }
        free(esc);
        l->inspecting++;
        if (NULL == path) {
            dkr_result_t res = { .rc = DKR_ERR_OOM, .errstr = "out of memory" };
            inspect_done(t->cli, &res, t);
            continue;
        }
        t->inspect = dkr_call(t->cli, "GET", path, NULL, inspect_done, t);
        free(path);
    }
}

static void ping_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    endpoint_t *ep = arg;
    dkr_launch_t *l = ep->l;
    int all = 1;

    (void)cli;
    ep->req = NULL;
    if (l->quiet) {
        return;
    }
    ep->done = 1;
    ep->rc = res->rc;
    if (DKR_OK != res->rc) {
        set_gfail(l, DKR_FAIL_ENDPOINT, res->rc, res->errstr, ep->cli);
    }
    for (size_t i = 0; i < l->n_eps; i++) {
        all &= l->eps[i].done;
    }
    if (!all) {
        return;
    }
    if (DKR_FAIL_NONE != l->gfail) {
        l->ops.resolved(l, 0, l->arg);
        return;
    }
    if (0 == l->n) {
        finish_resolve(l);
        return;
    }
    inspect_next(l);
}

int dkr_launch_resolve(dkr_launch_t *l, const char *const *host_addrs)
{
    dkr_strv_free(l->host_addrs);
    l->host_addrs = dkr_strv_dup(host_addrs);
    free(l->eps);
    l->n_eps = 0;
    if (NULL == (l->eps = calloc(l->n + 1, sizeof(*l->eps)))) {
        return DKR_ERR_OOM;
    }
    /* One ping per distinct endpoint client, before any inspect. */
    for (size_t i = 0; i < l->n; i++) {
        size_t j = 0;
        while (j < l->n_eps && l->eps[j].cli != l->t[i]->cli) {
            j++;
        }
        if (j == l->n_eps) {
            l->eps[l->n_eps].l = l;
            l->eps[l->n_eps++].cli = l->t[i]->cli;
        }
    }
    if (0 == l->n_eps) {
        finish_resolve(l);
        return DKR_OK;
    }
    for (size_t j = 0, n = l->n_eps; j < n && !l->quiet; j++) {
        l->eps[j].req = dkr_ping(l->eps[j].cli, ping_done, &l->eps[j]);
    }
    return DKR_OK;
}

const dkr_container_t *dkr_launch_container(const dkr_launch_t *l, size_t i)
{
    return i < l->n ? l->t[i]->c : NULL;
}

const char *dkr_launch_name(const dkr_launch_t *l, size_t i)
{
    return i < l->n ? l->t[i]->name : NULL;
}

dkr_client_t *dkr_launch_client(const dkr_launch_t *l, size_t i)
{
    return i < l->n ? l->t[i]->cli : NULL;
}

const dkr_net_choice_t *dkr_launch_network(const dkr_launch_t *l)
{
    return &l->net;
}

dkr_fail_t dkr_launch_failure(const dkr_launch_t *l, size_t i, int *rc, const char **errstr)
{
    if (i >= l->n) {
        return DKR_FAIL_NONE;
    }
    if (NULL != rc) {
        *rc = l->t[i]->rc;
    }
    if (NULL != errstr) {
        *errstr = l->t[i]->errstr;
    }
    return l->t[i]->fail;
}

dkr_fail_t dkr_launch_global_failure(const dkr_launch_t *l, int *rc, const char **errstr,
                                     dkr_client_t **cli)
{
    if (NULL != rc) {
        *rc = l->grc;
    }
    if (NULL != errstr) {
        *errstr = l->gerr;
    }
    if (NULL != cli) {
        *cli = l->gcli;
    }
    return l->gfail;
}

/* ------------------------------------------------------------------ start */

static void pump(dkr_launch_t *l);

/* The runner (exec or container) of a daemon reports through these. */
static void daemon_started(target_t *t)
{
    dkr_launch_t *l = t->l;

    if (l->quiet) {
        return;
    }
    if (t->launching) {
        t->launching = 0;
        l->launching--;
    }
    l->ops.started(l, t->index, l->arg);
    pump(l);
}

static void daemon_output(target_t *t, int stream, const char *buf, size_t len)
{
    dkr_launch_t *l = t->l;

    if (l->quiet) {
        return;
    }
    dkr_tail_add(&t->tail, buf, len);
    if (l->opts.forward_output && NULL != l->ops.output) {
        l->ops.output(l, t->index, stream, buf, len, l->arg);
    }
}

static void daemon_finished(target_t *t, const dkr_result_t *res, int exit_code)
{
    dkr_launch_t *l = t->l;

    t->ex = NULL;
    t->run = NULL;
    t->running = 0;
    if (t->launching) {
        t->launching = 0;
        l->launching--;
    }
    if (l->quiet) {
        return;
    }
    l->ops.finished(l, t->index, res, exit_code, l->arg);
    pump(l);
}

static void exec_started(dkr_exec_t *ex, void *arg)
{
    (void)ex;
    daemon_started(arg);
}

static void exec_output(dkr_exec_t *ex, int stream, const char *buf, size_t len, void *arg)
{
    (void)ex;
    daemon_output(arg, stream, buf, len);
}

static void exec_finished(dkr_exec_t *ex, const dkr_result_t *res, int exit_code, void *arg)
{
    (void)ex;
    daemon_finished(arg, res, exit_code);
}

static const dkr_exec_ops_t exec_ops = {
    .started = exec_started,
    .output = exec_output,
    .finished = exec_finished,
};

static void run_started(dkr_run_t *r, void *arg)
{
    (void)r;
    daemon_started(arg);
}

static void run_output(dkr_run_t *r, int stream, const char *buf, size_t len, void *arg)
{
    (void)r;
    daemon_output(arg, stream, buf, len);
}

static void run_finished(dkr_run_t *r, const dkr_result_t *res, int exit_code, void *arg)
{
    (void)r;
    daemon_finished(arg, res, exit_code);
}

static const dkr_run_ops_t run_ops = {
    .started = run_started,
    .output = run_output,
    .finished = run_finished,
};

/* Starts queued daemons while fewer than max_concurrent are being created. */
static void pump(dkr_launch_t *l)
{
    if (l->pumping) {
        return;
    }
    l->pumping = 1;
    while (!l->quiet && l->q_head < l->q_tail
           && l->launching < (size_t)l->opts.max_concurrent) {
        target_t *t = l->t[l->queue[l->q_head++]];
        dkr_exec_spec_t spec = {
            .cmd = (const char *const *)t->cmd,
            .env = (const char *const *)t->env,
            .user = t->user,
            .workdir = t->workdir,
        };
        dkr_exec_t *ex;

        t->launching = 1;
        t->running = 1;
        l->launching++;
        if (t->create) {
            dkr_run_t *run = dkr_run_container(t->cli, t->name, t->body, &run_ops, t);
            t->run = t->running ? run : NULL;
            ex = NULL;
        } else {
            ex = dkr_exec_run(t->cli, t->c->id, &spec, &exec_ops, t);
        }
        /* finished may already have run, synchronously, on an early error */
        t->ex = t->running ? ex : NULL;
        if (t->running && NULL == t->ex && NULL == t->run) {
            dkr_result_t res = { .rc = DKR_ERR_OOM, .errstr = "out of memory" };
            daemon_finished(t, &res, -1);
        }
    }
    l->pumping = 0;
}

int dkr_launch_start(dkr_launch_t *l, size_t i, const dkr_exec_spec_t *spec)
{
    target_t *t;

    if (i >= l->n || NULL == l->t[i]->c || NULL == spec || NULL == spec->cmd) {
        return DKR_ERR_ARG;
    }
    t = l->t[i];
    if (NULL == l->queue && NULL == (l->queue = calloc(l->n, sizeof(*l->queue)))) {
        return DKR_ERR_OOM;
    }
    if (t->running || NULL != t->cmd || l->q_tail >= l->n) {
        return DKR_ERR_ARG;   /* one daemon per target */
    }
    if (NULL == (t->cmd = dkr_strv_dup(spec->cmd))
        || (NULL != spec->env && NULL == (t->env = dkr_strv_dup(spec->env)))
        || (NULL != spec->user && NULL == (t->user = strdup(spec->user)))
        || (NULL != spec->workdir && NULL == (t->workdir = strdup(spec->workdir)))) {
        return DKR_ERR_OOM;
    }
    l->queue[l->q_tail++] = i;
    pump(l);
    return DKR_OK;
}

int dkr_launch_start_container(dkr_launch_t *l, size_t i, struct json_object *body)
{
    target_t *t;

    if (i >= l->n || NULL == body || !l->t[i]->create) {
        return DKR_ERR_ARG;
    }
    t = l->t[i];
    if (NULL == l->queue && NULL == (l->queue = calloc(l->n, sizeof(*l->queue)))) {
        return DKR_ERR_OOM;
    }
    if (t->running || NULL != t->body || l->q_tail >= l->n) {
        return DKR_ERR_ARG;   /* one daemon per target */
    }
    t->body = json_object_get(body);
    l->queue[l->q_tail++] = i;
    pump(l);
    return DKR_OK;
}

void dkr_launch_cancel_queued(dkr_launch_t *l)
{
    l->q_head = l->q_tail;
}

const char *dkr_launch_output(dkr_launch_t *l, size_t i)
{
    return i < l->n ? dkr_tail_text(&l->t[i]->tail) : "";
}

size_t dkr_launch_running(const dkr_launch_t *l)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        n += l->t[i]->running;
    }
    return n;
}

void dkr_launch_abandon(dkr_launch_t *l)
{
    int was_quiet = l->quiet;

    l->quiet = 1;
    l->q_head = l->q_tail;
    for (size_t i = 0; i < l->n; i++) {
        if (NULL != l->t[i]->ex) {
            dkr_exec_cancel(l->t[i]->ex);
        }
        if (NULL != l->t[i]->run) {
            dkr_run_cancel(l->t[i]->run);
        }
        l->t[i]->running = 0;
    }
    l->quiet = was_quiet;
}
