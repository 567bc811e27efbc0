/*
 * start_paths - which way should a job-owned container start its daemon?
 *
 *   run:    the daemon is the container's own command: create, attach,
 *           wait, start (what plm docker does with plm_docker_image);
 *   holder: the container runs a holder (sleep), then the daemon is exec'd
 *           into it: create, start, exec create, exec start.
 *
 * N containers at once, the "daemon" being `true`; the figures are the wall
 * time until every daemon has been started (what a launch waits for) and
 * until every one has run to its end, medians over the repetitions.
 * Holders are removed afterwards, outside the timing; run containers remove
 * themselves (AutoRemove).  Everything carries the label given with -l.
 *
 *   start_paths -i IMAGE -N NETWORK -l KEY=VALUE [-n N] [-r REPS] [-H URL]
 */
#define _GNU_SOURCE
#include <json-c/json.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dkr.h"
#include "dkr_libevent.h"

static struct event_base *base;
static dkr_client_t *cli;
static const char *image, *network, *label;
static int left, unstarted, failures;
static double t_started;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_object *body(const char *cmd0, const char *cmd1, int autoremove)
{
    json_object *b = json_object_new_object(), *cmd = json_object_new_array(),
                *host = json_object_new_object(), *labels = json_object_new_object();
    char *k = strdup(label), *eq = strchr(k, '=');

    if (NULL != eq) {
        *eq = '\0';
    }
    json_object_object_add(labels, k, json_object_new_string(NULL == eq ? "" : eq + 1));
    free(k);
    json_object_array_add(cmd, json_object_new_string(cmd0));
    if (NULL != cmd1) {
        json_object_array_add(cmd, json_object_new_string(cmd1));
    }
    json_object_object_add(b, "Image", json_object_new_string(image));
    json_object_object_add(b, "Cmd", cmd);
    json_object_object_add(b, "Labels", labels);
    json_object_object_add(host, "AutoRemove", json_object_new_boolean(autoremove));
    json_object_object_add(host, "Init", json_object_new_boolean(1));
    json_object_object_add(host, "NetworkMode", json_object_new_string(network));
    json_object_object_add(b, "HostConfig", host);
    return b;
}

/* ------------------------------------------------------------------ run */

static void run_finished(dkr_run_t *r, const dkr_result_t *res, int code, void *arg)
{
    (void)r;
    (void)arg;
    if (DKR_OK != res->rc || 0 != code) {
        fprintf(stderr, "run: %s (exit %d)\n", res->errstr, code);
        failures++;
    }
    left--;
}

static void note_started(double t0)
{
    if (0 == --unstarted) {
        t_started = now() - t0;
    }
}

static double t0_run;

static void run_started(dkr_run_t *r, void *arg)
{
    (void)r;
    (void)arg;
    note_started(t0_run);
}

static const dkr_run_ops_t run_ops = { run_started, NULL, run_finished };

static double path_run(int n)
{
    double t0 = t0_run = now();
    int done = 0;

    left = unstarted = n;
    for (int i = 0; i < n; i++) {
        json_object *b = body("true", NULL, 1);
        dkr_run_container(cli, NULL, b, &run_ops, NULL);
        json_object_put(b);
    }
    while (left > 0) {
        dkr_libevent_run_until(base, &done, 50);
    }
    return now() - t0;
}

/* --------------------------------------------------------------- holder */

typedef struct holder {
    char *id;
} holder_t;

static holder_t *holders;

static void exec_finished(dkr_exec_t *ex, const dkr_result_t *res, int code, void *arg)
{
    (void)ex;
    (void)arg;
    if (DKR_OK != res->rc || 0 != code) {
        fprintf(stderr, "exec: %s (exit %d)\n", res->errstr, code);
        failures++;
    }
    left--;
}

static double t0_holder;

static void exec_started(dkr_exec_t *ex, void *arg)
{
    (void)ex;
    (void)arg;
    note_started(t0_holder);
}

static const dkr_exec_ops_t exec_ops = { exec_started, NULL, exec_finished };

static void started(dkr_client_t *c, const dkr_result_t *res, void *arg)
{
    holder_t *h = arg;
    static const char *cmd[] = { "true", NULL };
    dkr_exec_spec_t spec = { .cmd = cmd };

    (void)c;
    if (DKR_OK != res->rc) {
        fprintf(stderr, "start: %s\n", res->errstr);
        failures++;
        left--;
        return;
    }
    dkr_exec_run(cli, h->id, &spec, &exec_ops, NULL);
}

static void created(dkr_client_t *c, const dkr_result_t *res, void *arg)
{
    holder_t *h = arg;
    json_object *id = NULL;
    char *path = NULL;

    (void)c;
    if (DKR_OK != res->rc || !json_object_object_get_ex(res->json, "Id", &id)) {
        fprintf(stderr, "create: %s\n", res->errstr);
        failures++;
        left--;
        return;
    }
    h->id = strdup(json_object_get_string(id));
    if (0 > asprintf(&path, "/containers/%s/start", h->id)) {
        exit(1);
    }
    dkr_call(cli, "POST", path, NULL, started, h);
    free(path);
}

static void removed(dkr_client_t *c, const dkr_result_t *res, void *arg)
{
    (void)c;
    (void)res;
    (void)arg;
    left--;
}

static double path_holder(int n)
{
    double t0, t;
    int done = 0;

    holders = calloc((size_t)n, sizeof(*holders));
    t0 = t0_holder = now();
    left = unstarted = n;
    for (int i = 0; i < n; i++) {
        json_object *b = body("sleep", "infinity", 0);
        dkr_call(cli, "POST", "/containers/create", b, created, &holders[i]);
        json_object_put(b);
    }
    while (left > 0) {
        dkr_libevent_run_until(base, &done, 50);
    }
    t = now() - t0;
    left = 0;
    for (int i = 0; i < n; i++) {
        char *path = NULL;
        if (NULL != holders[i].id && 0 <= asprintf(&path, "/containers/%s?force=1", holders[i].id)) {
            left++;
            dkr_call(cli, "DELETE", path, NULL, removed, NULL);
        }
        free(path);
        free(holders[i].id);
    }
    while (left > 0) {
        dkr_libevent_run_until(base, &done, 50);
    }
    free(holders);
    return t;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void pinged(dkr_client_t *c, const dkr_result_t *res, void *arg)
{
    (void)c;
    if (DKR_OK != res->rc) {
        fprintf(stderr, "ping: %s\n", res->errstr);
        exit(1);
    }
    *(int *)arg = 1;
}

int main(int argc, char **argv)
{
    const char *host = NULL;
    int n = 4, reps = 5, opt, done = 0;
    dkr_endpoint_t *ep = NULL;
    char err[256];
    double *a, *b, *as, *bs;

    while (-1 != (opt = getopt(argc, argv, "i:N:l:n:r:H:"))) {
        switch (opt) {
        case 'i': image = optarg; break;
        case 'N': network = optarg; break;
        case 'l': label = optarg; break;
        case 'n': n = atoi(optarg); break;
        case 'r': reps = atoi(optarg); break;
        case 'H': host = optarg; break;
        default: return 2;
        }
    }
    if (NULL == image || NULL == network || NULL == label || n < 1 || reps < 1) {
        fprintf(stderr, "usage: start_paths -i IMAGE -N NETWORK -l KEY=VALUE [-n N] [-r REPS] [-H URL]\n");
        return 2;
    }
    if (DKR_OK != dkr_endpoint_parse(host, NULL, &ep, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    base = event_base_new();
    cli = dkr_client_new(ep, NULL);
    dkr_libevent_attach(cli, base);
    dkr_ping(cli, pinged, &done);
    dkr_libevent_run_until(base, &done, 10000);
    a = calloc((size_t)reps, sizeof(*a));
    b = calloc((size_t)reps, sizeof(*b));
    as = calloc((size_t)reps, sizeof(*as));
    bs = calloc((size_t)reps, sizeof(*bs));
    path_run(n);            /* warm-up */
    path_holder(n);
    for (int i = 0; i < reps; i++) {     /* alternating */
        a[i] = path_run(n);
        as[i] = t_started;
        b[i] = path_holder(n);
        bs[i] = t_started;
    }
    qsort(a, (size_t)reps, sizeof(*a), cmp);
    qsort(b, (size_t)reps, sizeof(*b), cmp);
    qsort(as, (size_t)reps, sizeof(*as), cmp);
    qsort(bs, (size_t)reps, sizeof(*bs), cmp);
    printf("n=%d reps=%d  all started: run %.3f s, holder+exec %.3f s (holder/run %.2f)  "
           "all ended: run %.3f s, holder+exec %.3f s  failures=%d\n",
           n, reps, as[reps / 2], bs[reps / 2], bs[reps / 2] / as[reps / 2], a[reps / 2], b[reps / 2],
           failures);
    free(a);
    free(b);
    free(as);
    free(bs);
    dkr_client_free(cli);
    event_base_free(base);
    dkr_endpoint_free(ep);
    return 0 == failures ? 0 : 1;
}
