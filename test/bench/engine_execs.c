/*
 * engine_execs.c - the engine's own time for N execs: one in-process libdkr
 * client creates and starts one bare exec (`true`) in each container given,
 * all in parallel, and reports how long the engine took to have them all
 * started.  No MPI, no shell, no CLI: the row "engine" of test/bench/launch.
 *
 *   engine_execs [-H URL] [-a] [-v] [-r REPS] [-c CMD] CONTAINER...
 *
 *   -H URL   endpoint (default $DOCKER_HOST, else unix:///var/run/docker.sock)
 *   -a       attached starts (as plm docker does: the stream is followed to
 *            its end, then the exec is inspected) instead of detached ones
 *   -v       one line per API call (method, path, status, latency) on stderr
 *   -r REPS  repeat the whole fan-out REPS times (default 1), one line each
 *   -c CMD   the command instead of `true` (split on blanks)
 *
 * Prints, per repetition, one line of key=value pairs:
 *   n=16 wall=0.471 create_med=0.002 start_med=0.330 start_max=0.350 failed=0
 * wall: seconds from the first request to the last exec reported started
 * (detached: start returned; attached: its stream and inspect ended).
 * Before the first repetition the client pings the engine once (API
 * version), outside the timing.  Exit status 1 if any exec failed.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dkr.h"
#include "dkr_libevent.h"

#define MAX_ARGV 32

typedef struct run {
    int finished;
    int rc;
    char err[512];
} run_t;

static struct {
    int verbose;
    /* per-call latencies of the current repetition */
    double *create_lat, *start_lat;
    size_t n_create, n_start, cap;
    double t0;
} g;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void trace(void *arg, const char *method, const char *path, long status, int rc,
                  double seconds)
{
    size_t len = strlen(path);

    (void)arg;
    if (g.verbose) {
        fprintf(stderr, "[+%.4f] %s %s -> %ld %s (%.1f ms)\n", now() - g.t0, method, path, status,
                DKR_OK == rc ? "ok" : dkr_strerror(rc), seconds * 1e3);
    }
    if (len >= 5 && 0 == strcmp(path + len - 5, "/exec") && g.n_create < g.cap) {
        g.create_lat[g.n_create++] = seconds;
    } else if (len >= 6 && 0 == strcmp(path + len - 6, "/start") && g.n_start < g.cap) {
        g.start_lat[g.n_start++] = seconds;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    if (0 == n) {
        return 0;
    }
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------ calls */

typedef struct sync {
    int done, rc;
    char err[512];
} sync_t;

static void ping_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    sync_t *s = arg;

    (void)cli;
    s->done = 1;
    s->rc = res->rc;
    snprintf(s->err, sizeof(s->err), "%s", res->errstr);
}

static int *g_count;
static int g_target, g_all;   /* g_all: all g_target execs finished */

static void ex_finished(dkr_exec_t *ex, const dkr_result_t *res, int exit_code, void *arg)
{
    run_t *r = arg;

    (void)ex;
    r->finished = 1;
    r->rc = DKR_OK == res->rc && exit_code > 0 ? DKR_ERR_HTTP : res->rc;
    if (DKR_OK != res->rc) {
        snprintf(r->err, sizeof(r->err), "%s", res->errstr);
    } else if (exit_code > 0) {
        snprintf(r->err, sizeof(r->err), "exit code %d", exit_code);
    }
    if (++*g_count == g_target) {
        g_all = 1;
    }
}

static void ex_output(dkr_exec_t *ex, int stream, const char *buf, size_t len, void *arg)
{
    (void)ex;
    (void)arg;
    if (g.verbose) {
        fwrite(buf, 1, len, 2 == stream ? stderr : stdout);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: engine_execs [-H URL] [-a] [-v] [-r REPS] [-c CMD] CONTAINER...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *url = NULL;
    const char *cmd[MAX_ARGV + 1] = { "true", NULL };
    char *cmdbuf = NULL;
    int attached = 0, reps = 1, opt, failed_any = 0;
    char errbuf[512];
    dkr_endpoint_t *ep = NULL;
    dkr_client_t *cli;
    struct event_base *base;
    dkr_client_opts_t copts = { 0 };
    sync_t s = { 0 };

    while (-1 != (opt = getopt(argc, argv, "H:avr:c:"))) {
        switch (opt) {
        case 'H': url = optarg; break;
        case 'a': attached = 1; break;
        case 'v': g.verbose = 1; break;
        case 'r': reps = atoi(optarg); break;
        case 'c': {
            int k = 0;
            cmdbuf = strdup(optarg);
            for (char *t = strtok(cmdbuf, " \t"); NULL != t && k < MAX_ARGV; t = strtok(NULL, " \t")) {
                cmd[k++] = t;
            }
            cmd[k] = NULL;
            break;
        }
        default: usage();
        }
    }
    if (optind >= argc || reps < 1 || NULL == cmd[0]) {
        usage();
    }
    int n = argc - optind;
    char **names = argv + optind;

    if (DKR_OK != dkr_endpoint_parse(url, NULL, &ep, errbuf, sizeof(errbuf))) {
        fprintf(stderr, "engine_execs: %s\n", errbuf);
        return 2;
    }
    copts.timeout_ms = 60000;
    base = event_base_new();
    cli = dkr_client_new(ep, &copts);
    if (NULL == base || NULL == cli || DKR_OK != dkr_libevent_attach(cli, base)) {
        fprintf(stderr, "engine_execs: cannot set up the client\n");
        return 2;
    }
    dkr_client_set_trace(cli, trace, NULL);
    g.cap = (size_t)n * 2;
    g.create_lat = calloc(g.cap, sizeof(double));
    g.start_lat = calloc(g.cap, sizeof(double));
    run_t *runs = calloc((size_t)n, sizeof(*runs));
    if (NULL == g.create_lat || NULL == g.start_lat || NULL == runs) {
        return 2;
    }

    g.t0 = now();
    if (NULL == dkr_ping(cli, ping_done, &s) || DKR_OK != dkr_libevent_run_until(base, &s.done, 30000)
        || DKR_OK != s.rc) {
        fprintf(stderr, "engine_execs: ping %s: %s\n", url ? url : "(default endpoint)", s.err);
        return 2;
    }

    for (int rep = 0; rep < reps; rep++) {
        static const dkr_exec_ops_t ops = { NULL, ex_output, ex_finished };
        dkr_exec_spec_t spec = { 0 };
        int count = 0, failed = 0;
        double start_max;

        spec.cmd = cmd;
        spec.detach = !attached;
        memset(runs, 0, sizeof(*runs) * (size_t)n);
        g.n_create = g.n_start = 0;
        g_count = &count;
        g_target = n;
        g_all = 0;
        g.t0 = now();
        for (int i = 0; i < n; i++) {
            if (NULL == dkr_exec_run(cli, names[i], &spec, &ops, &runs[i])) {
                fprintf(stderr, "engine_execs: out of memory\n");
                return 2;
            }
        }
        if (DKR_OK != dkr_libevent_run_until(base, &g_all, 120000)) {
            fprintf(stderr, "engine_execs: no end within 120 s\n");
        }
        double wall = now() - g.t0;
        for (int i = 0; i < n; i++) {
            if (!runs[i].finished || DKR_OK != runs[i].rc) {
                failed++;
                fprintf(stderr, "engine_execs: %s: %s\n", names[i],
                        runs[i].finished ? runs[i].err : "did not finish");
            }
        }
        failed_any |= failed > 0;
        qsort(g.start_lat, g.n_start, sizeof(double), cmp_double);
        start_max = g.n_start ? g.start_lat[g.n_start - 1] : 0;
        printf("n=%d wall=%.4f create_med=%.4f start_med=%.4f start_max=%.4f failed=%d\n", n, wall,
               median(g.create_lat, g.n_create), median(g.start_lat, g.n_start), start_max, failed);
        fflush(stdout);
    }
    dkr_client_free(cli);
    event_base_free(base);
    dkr_endpoint_free(ep);
    free(runs);
    free(g.create_lat);
    free(g.start_lat);
    free(cmdbuf);
    return failed_any ? 1 : 0;
}
