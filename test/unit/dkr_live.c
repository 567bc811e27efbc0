/*
 * dkr_live.c - libdkr against a real Docker engine.  Built by `make check`,
 * never run by it (it needs a daemon and an image).
 *
 *   test/unit/dkr_live [--rmi] [IMAGE]     (default IMAGE dkr-live:test)
 *
 * The endpoint is $DOCKER_HOST or unix:///var/run/docker.sock.  IMAGE needs
 * /bin/sleep, /bin/true, /bin/echo and /bin/sh; on a Debian host one can be
 * made from the host's own files, e.g.
 *   R=$(mktemp -d); mkdir -p $R/usr/bin $R/usr/lib/x86_64-linux-gnu $R/usr/lib64
 *   cp /usr/bin/true /usr/bin/sleep /usr/bin/echo $R/usr/bin; cp /usr/bin/dash $R/usr/bin/sh
 *   cp -L /lib/x86_64-linux-gnu/libc.so.6 /lib64/ld-linux-x86-64.so.2 $R/usr/lib/x86_64-linux-gnu
 *   ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 $R/usr/lib64/
 *   ln -s usr/bin $R/bin; ln -s usr/lib $R/lib; ln -s usr/lib64 $R/lib64
 *   tar -C $R -c . | docker import - dkr-live:test
 * Every container it makes carries the label ompi-docker.test=libdkr and is
 * removed (by id) at the end; --rmi also removes IMAGE.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "dkr.h"
#include "dkr_libevent.h"

#define N_PARALLEL 16

static struct event_base *base;
static dkr_client_t *cli;
static int failures;

#define CHECK(cond, ...) do { \
        if (!(cond)) { \
            failures++; \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__); \
            printf("\n"); \
        } \
    } while (0)

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------- synchronous calls */

typedef struct sync {
    int done;
    int rc;
    long status;
    struct json_object *json;
    char errstr[600];
} sync_t;

static void sync_cb(dkr_client_t *c, const dkr_result_t *res, void *arg)
{
    sync_t *s = arg;

    (void)c;
    s->done = 1;
    s->rc = res->rc;
    s->status = res->http_status;
    s->json = NULL != res->json ? json_object_get(res->json) : NULL;
    snprintf(s->errstr, sizeof(s->errstr), "%s", res->errstr);
}

static int call(const char *method, const char *path, struct json_object *body, sync_t *s)
{
    memset(s, 0, sizeof(*s));
    if (NULL == dkr_call(cli, method, path, body, sync_cb, s)) {
        return s->rc = DKR_ERR_OOM;
    }
    if (DKR_OK != dkr_libevent_run_until(base, &s->done, 60000)) {
        return s->rc = DKR_ERR_TIMEOUT;
    }
    return s->rc;
}

static void sync_free(sync_t *s)
{
    json_object_put(s->json);
    s->json = NULL;
}

/* ------------------------------------------------------------------- exec */

typedef struct run {
    int started, finished, rc, exit_code;
    char out[4096], err[4096];
    size_t n_out, n_err;
    char errstr[800];
    double t0, t_done;
    int *count_done;
} run_t;

static void r_started(dkr_exec_t *ex, void *arg)
{
    (void)ex;
    ((run_t *)arg)->started = 1;
}

static void r_output(dkr_exec_t *ex, int stream, const char *buf, size_t len, void *arg)
{
    run_t *r = arg;
    char *dst = 1 == stream ? r->out : r->err;
    size_t *n = 1 == stream ? &r->n_out : &r->n_err;

    (void)ex;
    if (*n + len < sizeof(r->out)) {
        memcpy(dst + *n, buf, len);
        *n += len;
        dst[*n] = '\0';
    }
}

static void r_finished(dkr_exec_t *ex, const dkr_result_t *res, int exit_code, void *arg)
{
    run_t *r = arg;

    (void)ex;
    r->finished = 1;
    r->rc = res->rc;
    r->exit_code = exit_code;
    r->t_done = now();
    snprintf(r->errstr, sizeof(r->errstr), "%s", res->errstr);
    if (NULL != r->count_done) {
        (*r->count_done)++;
    }
}

static const dkr_exec_ops_t run_ops = { r_started, r_output, r_finished };

static void exec_start(const char *container, const char *const *cmd, int detach, run_t *r)
{
    dkr_exec_spec_t spec = { cmd, NULL, NULL, NULL, detach };

    memset(r, 0, sizeof(*r));
    r->exit_code = -99;
    r->t0 = now();
    if (NULL == dkr_exec_run(cli, container, &spec, &run_ops, r)) {
        r->finished = 1;
        r->rc = DKR_ERR_OOM;
    }
}

static void exec_wait(const char *container, const char *const *cmd, run_t *r)
{
    exec_start(container, cmd, 0, r);
    if (DKR_OK != dkr_libevent_run_until(base, &r->finished, 60000)) {
        r->rc = DKR_ERR_TIMEOUT;
    }
}

/* -------------------------------------------------------------- containers */

static char *create_container(const char *image, const char *name, const char *run_label)
{
    struct json_object *body = json_object_new_object(), *cmd = json_object_new_array();
    struct json_object *labels = json_object_new_object(), *hc = json_object_new_object();
    struct json_object *id;
    char path[256], *esc = dkr_escape(name), *out = NULL;
    sync_t s;

    json_object_array_add(cmd, json_object_new_string("/bin/sleep"));
    json_object_array_add(cmd, json_object_new_string("600"));
    json_object_object_add(labels, "ompi-docker.test", json_object_new_string("libdkr"));
    json_object_object_add(labels, "dkr-live.run", json_object_new_string(run_label));
    json_object_object_add(labels, "flag", json_object_new_string(""));
    json_object_object_add(hc, "NetworkMode", json_object_new_string("none"));
    json_object_object_add(hc, "AutoRemove", json_object_new_boolean(0));
    json_object_object_add(body, "Image", json_object_new_string(image));
    json_object_object_add(body, "Cmd", cmd);
    json_object_object_add(body, "Hostname", json_object_new_string("livenode"));
    json_object_object_add(body, "Labels", labels);
    json_object_object_add(body, "HostConfig", hc);
    snprintf(path, sizeof(path), "/containers/create?name=%s", esc);
    free(esc);
    call("POST", path, body, &s);
    json_object_put(body);
    CHECK(DKR_OK == s.rc && 201 == s.status, "create %s: %s", name, s.errstr);
    if (DKR_OK == s.rc && json_object_object_get_ex(s.json, "Id", &id)) {
        out = strdup(json_object_get_string(id));
    }
    sync_free(&s);
    if (NULL != out) {
        snprintf(path, sizeof(path), "/containers/%s/start", out);
        call("POST", path, NULL, &s);
        CHECK(DKR_OK == s.rc && 204 == s.status, "start %s: %s", name, s.errstr);
        sync_free(&s);
    }
    return out;
}

static void remove_container(const char *id)
{
    char path[256];
    sync_t s;

    snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", id);
    call("DELETE", path, NULL, &s);
    CHECK(DKR_OK == s.rc, "remove %.12s: %s", id, s.errstr);
    sync_free(&s);
}

static void trace(void *arg, const char *method, const char *path, long status, int rc,
                  double seconds)
{
    (void)arg;
    if (NULL != getenv("DKR_LIVE_TRACE")) {
        printf("  trace: %s %s -> %ld %s %.1f ms\n", method, path, status, dkr_strerror(rc),
               seconds * 1e3);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *image = "dkr-live:test";
    char errbuf[512], name[64], run_label[32], path[512];
    dkr_endpoint_t *ep = NULL;
    char *id = NULL, *id2 = NULL;
    int rmi = 0, i;
    sync_t s;

    for (i = 1; i < argc; i++) {
        if (0 == strcmp(argv[i], "--rmi")) {
            rmi = 1;
        } else {
            image = argv[i];
        }
    }
    signal(SIGPIPE, SIG_IGN);
    if (DKR_OK != dkr_endpoint_parse(NULL, NULL, &ep, errbuf, sizeof(errbuf))) {
        printf("FAIL endpoint: %s\n", errbuf);
        return 1;
    }
    base = event_base_new();
    cli = dkr_client_new(ep, NULL);
    dkr_endpoint_free(ep);
    if (NULL == base || NULL == cli || DKR_OK != dkr_libevent_attach(cli, base)) {
        printf("FAIL client set-up\n");
        return 1;
    }
    dkr_client_set_trace(cli, trace, NULL);

    /* ping */
    {
        double t0 = now();

        memset(&s, 0, sizeof(s));
        dkr_ping(cli, sync_cb, &s);
        dkr_libevent_run_until(base, &s.done, 10000);
        printf("ping %s: %s, API %s, %.1f ms\n", dkr_client_endpoint(cli)->url,
               DKR_OK == s.rc ? "ok" : s.errstr,
               dkr_client_api_version(cli) ? dkr_client_api_version(cli) : "?",
               (now() - t0) * 1e3);
        sync_free(&s);
        if (DKR_OK != s.rc) {
            return 1;
        }
    }

    /* two containers; inspect one, list by label */
    snprintf(run_label, sizeof(run_label), "%d", (int)getpid());
    snprintf(name, sizeof(name), "dkr-live-%s-a", run_label);
    id = create_container(image, name, run_label);
    snprintf(name, sizeof(name), "dkr-live-%s-b", run_label);
    id2 = create_container(image, name, "other");
    if (NULL == id || NULL == id2) {
        goto cleanup;
    }
    snprintf(path, sizeof(path), "/containers/%s/json", id);
    if (DKR_OK == call("GET", path, NULL, &s)) {
        dkr_container_t *c = NULL;
        int present = 0;

        CHECK(DKR_OK == dkr_container_from_json(s.json, &c), "parse inspect");
        if (NULL != c) {
            printf("inspect: %s name=%s host=%s image=%s state=%s running=%d nets=%zu(%s ip='%s') "
                   "flag present=%d\n", c->id, c->name, c->hostname, c->image, c->state,
                   c->running, c->n_nets, c->n_nets ? c->nets[0].network : "-",
                   c->n_nets ? c->nets[0].ip : "-",
                   (dkr_container_label(c, "flag", &present), present));
            CHECK(0 == strcmp(c->id, id) && c->running && 0 == strcmp(c->hostname, "livenode") &&
                  present && 0 == strcmp(dkr_container_label(c, "ompi-docker.test", NULL), "libdkr"),
                  "inspect fields");
            dkr_container_free(c);
        }
    } else {
        CHECK(0, "inspect: %s", s.errstr);
    }
    sync_free(&s);
    {
        char filt[256], *esc;

        snprintf(filt, sizeof(filt), "{\"label\":[\"ompi-docker.test=libdkr\",\"dkr-live.run=%s\"]}",
                 run_label);
        esc = dkr_escape(filt);
        snprintf(path, sizeof(path), "/containers/json?all=1&filters=%s", esc);
        free(esc);
        if (DKR_OK == call("GET", path, NULL, &s)) {
            dkr_container_t **v = NULL;
            size_t n = 0;

            CHECK(DKR_OK == dkr_containers_from_json(s.json, &v, &n), "parse list");
            printf("list by label dkr-live.run=%s: %zu container(s)%s%s\n", run_label, n,
                   n ? ", first " : "", n ? v[0]->name : "");
            CHECK(1 == n && 0 == strcmp(v[0]->id, id), "list filter");
            dkr_containers_free(v, n);
        } else {
            CHECK(0, "list: %s", s.errstr);
        }
        sync_free(&s);
    }

    /* an argv full of shell metacharacters comes back verbatim */
    {
        static const char *const cmd[] = { "/bin/echo", "a;b", "$(x)", "*", "it's \"q\" `x` $HOME", NULL };
        static const char *const cmd3[] = { "/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL };
        static const char *const nobin[] = { "/no/such/binary", "x", NULL };
        const char *want = "a;b $(x) * it's \"q\" `x` $HOME\n";
        run_t r;

        exec_wait(id, cmd, &r);
        printf("exec echo: rc=%s exit=%d %.1f ms out=[%s]\n", dkr_strerror(r.rc), r.exit_code,
               (r.t_done - r.t0) * 1e3, r.out);
        CHECK(DKR_OK == r.rc && 0 == r.exit_code && 0 == strcmp(r.out, want) && r.started,
              "echo verbatim: %s", r.errstr);

        exec_wait(id, cmd3, &r);
        printf("exec sh exit 3: rc=%s exit=%d out=[%.*s] err=[%.*s]\n", dkr_strerror(r.rc),
               r.exit_code, (int)r.n_out ? (int)r.n_out - 1 : 0, r.out,
               (int)r.n_err ? (int)r.n_err - 1 : 0, r.err);
        CHECK(DKR_OK == r.rc && 3 == r.exit_code && 0 == strcmp(r.out, "out\n") &&
              0 == strcmp(r.err, "err\n"), "exit 3: %s", r.errstr);

        exec_wait(id, nobin, &r);
        printf("exec missing binary: rc=%s exit=%d text=[%s%s]\n", dkr_strerror(r.rc),
               r.exit_code, r.out, r.err);
        CHECK(DKR_OK == r.rc && (126 == r.exit_code || 127 == r.exit_code) &&
              (r.n_out + r.n_err) > 0, "missing binary: %s", r.errstr);

        exec_start(id, nobin, 1, &r);
        dkr_libevent_run_until(base, &r.finished, 60000);
        printf("exec missing binary, detached: rc=%s errstr=[%s]\n", dkr_strerror(r.rc), r.errstr);

        exec_wait("dkr-live-no-such-container", cmd, &r);
        printf("exec in a missing container: rc=%s errstr=[%s]\n", dkr_strerror(r.rc), r.errstr);
        CHECK(DKR_ERR_NOT_FOUND == r.rc, "missing container");
    }

    /* latency of one attached `true`, then 16 in parallel, detached and attached */
    {
        static const char *const t[] = { "/bin/true", NULL };
        double lat[7], t0, wall;
        run_t runs[N_PARALLEL];
        int done, k;

        for (k = 0; k < 7; k++) {
            exec_wait(id, t, &runs[0]);
            lat[k] = (runs[0].t_done - runs[0].t0) * 1e3;
            CHECK(DKR_OK == runs[0].rc && 0 == runs[0].exit_code, "true: %s", runs[0].errstr);
        }
        qsort(lat, 7, sizeof(double), cmp_double);
        printf("one attached exec of true (create+start+stream+inspect): median %.1f ms "
               "(min %.1f, max %.1f, 7 runs)\n", lat[3], lat[0], lat[6]);

        for (int detach = 1; detach >= 0; detach--) {
            done = 0;
            t0 = now();
            for (k = 0; k < N_PARALLEL; k++) {
                exec_start(id, t, detach, &runs[k]);
                runs[k].count_done = &done;
            }
            for (k = 0; k < N_PARALLEL; k++) {
                dkr_libevent_run_until(base, &runs[k].finished, 60000);
            }
            wall = now() - t0;
            for (k = 0; k < N_PARALLEL; k++) {
                CHECK(DKR_OK == runs[k].rc && (detach ? -1 : 0) == runs[k].exit_code,
                      "parallel %d: %s", k, runs[k].errstr);
            }
            printf("%d %s execs of true in parallel: wall %.3f s (%.1f/s), %d finished\n",
                   N_PARALLEL, detach ? "detached" : "attached", wall, N_PARALLEL / wall, done);
        }
    }

cleanup:
    if (NULL != id) {
        remove_container(id);
    }
    if (NULL != id2) {
        remove_container(id2);
    }
    free(id);
    free(id2);
    if (rmi) {
        char *esc = dkr_escape(image);

        snprintf(path, sizeof(path), "/images/%s", esc);
        free(esc);
        call("DELETE", path, NULL, &s);
        printf("remove image %s: %s\n", image, DKR_OK == s.rc ? "ok" : s.errstr);
        sync_free(&s);
    }
    printf("pending requests at exit: %zu\n", dkr_client_pending(cli));
    dkr_client_free(cli);
    event_base_free(base);
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "OK", failures);
    return failures ? 1 : 0;
}
