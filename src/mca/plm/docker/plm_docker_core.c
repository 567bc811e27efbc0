/*
 * plm_docker_core.c - the docker launcher, runtime-neutral: for each
 * LAUNCH_DAEMONS step, resolve the containers, build the daemon's command
 * and environment, start and follow one daemon per container, and turn the
 * outcomes into messages and runtime hooks (plm_docker.h).
 *
 * The runtime (ORTE or PRRTE) module only collects the daemons to start and
 * implements the hooks; everything runs on the runtime's event base.
 */
#define _GNU_SOURCE /* asprintf */
#include "plm_docker.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "dkr_launch.h"
#include "dkr_plan.h"

extern char **environ;

/* One LAUNCH_DAEMONS step: the daemons it starts and their containers. */
typedef struct launch {
    struct launch *next;
    dkr_launch_t *l;
    void *job;
    void **daemons;          /* by target index, retained */
    size_t n;
    char **vpids;            /* by target index: the daemon's vpid, as text */
    char **argv;             /* daemon argv; argv[vpid_index] per daemon */
    int vpid_index;
    char **env;
    struct event *timer;
    size_t started;
    size_t last_progress;
    bool failed;
} launch_t;

static struct {
    const plm_docker_rt_t *rt;
    dkr_client_t *cli;
    launch_t *launches;
    bool tree_warned;
} core;

#define RT core.rt
#define SHOW(topic, ...) dkr_mca_show_help(&RT->mca, PLM_DOCKER_HELP_FILE, topic, __VA_ARGS__)
#define VERBOSE(level, ...) dkr_mca_verbose(&RT->mca, level, __VA_ARGS__)

static const char *endpoint_url(void)
{
    return dkr_mca_endpoint_url(core.cli, plm_docker_params.host);
}

/* ------------------------------------------------------------- messages */

static void show_resolve_failures(launch_t *ln)
{
    int rc;
    const char *err;
    dkr_client_t *cli;
    dkr_fail_t f = dkr_launch_global_failure(ln->l, &rc, &err, &cli);

    if (DKR_FAIL_ENDPOINT == f) {
        dkr_mca_show_endpoint_failure(&RT->mca, rc, err, dkr_mca_endpoint_url(cli, plm_docker_params.host));
        return;
    }
    for (size_t i = 0; i < ln->n; i++) {
        const char *name = dkr_launch_name(ln->l, i);
        const dkr_container_t *c = dkr_launch_container(ln->l, i);

        switch (dkr_launch_failure(ln->l, i, &rc, &err)) {
        case DKR_FAIL_NO_CONTAINER:
            SHOW("no-such-container", name, endpoint_url());
            break;
        case DKR_FAIL_NOT_RUNNING:
            SHOW("container-not-running", name, endpoint_url(), NULL == c ? "unknown" : c->state);
            break;
        case DKR_FAIL_INSPECT:
            SHOW("inspect-failed", name, endpoint_url(), NULL == err ? dkr_strerror(rc) : err);
            break;
        default:
            break;
        }
    }
    if (DKR_FAIL_NETWORK == f) {
        SHOW("no-shared-network", err);
    }
}

/* A readable reason for a daemon's end. */
static void daemon_reason(const dkr_result_t *res, int exit_code, char *buf, size_t len)
{
    if (DKR_OK != res->rc) {
        snprintf(buf, len, "%s", '\0' == res->errstr[0] ? dkr_strerror(res->rc) : res->errstr);
    } else if (126 == exit_code || 127 == exit_code) {
        snprintf(buf, len, "exit status %d: the command could not be run (not found, "
                 "not executable, or a bad user or working directory)", exit_code);
    } else if (exit_code > 128) {
        snprintf(buf, len, "exit status %d (killed by signal %d)", exit_code, exit_code - 128);
    } else {
        snprintf(buf, len, "exit status %d", exit_code);
    }
}

/* The whole launch failed before any daemon started: end the job cleanly. */
static void fail_before_start(launch_t *ln)
{
    ln->failed = true;
    RT->launch_failed(ln->job);
}

static void fail_daemon(launch_t *ln, void *daemon, int status)
{
    ln->failed = true;
    RT->daemon_failed(daemon, status);
}

/* ------------------------------------------------------- start-up timer */

static size_t alive_count(launch_t *ln)
{
    size_t n = 0;
    for (size_t i = 0; i < ln->n; i++) {
        n += RT->daemon_alive(ln->daemons[i]) ? 1 : 0;
    }
    return n;
}

static void arm_timer(launch_t *ln)
{
    struct timeval tv = { .tv_sec = plm_docker_params.timeout, .tv_usec = 0 };
    evtimer_add(ln->timer, &tv);
}

/* Fires every plm_docker_timeout seconds until every daemon has called back;
 * a whole period without a daemon starting or calling back is a failure. */
static void startup_timer(evutil_socket_t fd, short what, void *arg)
{
    launch_t *ln = arg;
    size_t alive = alive_count(ln), progress = ln->started + alive;
    char *names = NULL;
    void *first = NULL;

    (void)fd;
    (void)what;
    if (ln->failed || RT->terminating() || alive == ln->n) {
        return;
    }
    if (progress != ln->last_progress) {
        ln->last_progress = progress;
        arm_timer(ln);
        return;
    }
    for (size_t i = 0; i < ln->n; i++) {
        if (!RT->daemon_alive(ln->daemons[i])) {
            char *tmp = NULL;
            if (0 > asprintf(&tmp, "%s%s%s", NULL == names ? "" : names, NULL == names ? "" : ", ",
                             dkr_launch_name(ln->l, i))) {
                break;
            }
            free(names);
            names = tmp;
            first = NULL == first ? ln->daemons[i] : first;
        }
    }
    SHOW("daemon-timeout", plm_docker_params.timeout, (int)(ln->n - alive),
         NULL == names ? "" : names, endpoint_url());
    free(names);
    if (NULL != first) {
        fail_daemon(ln, first, 0);
    }
}

/* ------------------------------------------------------ daemon command */

static bool is_mca_flag(const char *s)
{
    for (size_t i = 0; NULL != RT->mca_flags[i]; i++) {
        if (0 == strcmp(s, RT->mca_flags[i])) {
            return true;
        }
    }
    return false;
}

static bool in_argv(char **argv, const char *param)
{
    for (int i = 0; NULL != argv[i] && NULL != argv[i + 1]; i++) {
        if (is_mca_flag(argv[i]) && 0 == strcmp(argv[i + 1], param)) {
            return true;
        }
    }
    return false;
}

/* Did the user set framework_component_name, for the daemons or in mpirun? */
static bool user_set(launch_t *ln, const char *prefix, const char *framework, const char *component,
                     const char *name)
{
    char param[256], envname[300];

    snprintf(param, sizeof(param), "%s_%s_%s", framework, component, name);
    snprintf(envname, sizeof(envname), "%s%s", prefix, param);
    return in_argv(ln->argv, param) || dkr_env_has((const char *const *)ln->env, envname)
           || RT->var_set(framework, component, name);
}

/* Removes "flag name value" triples whose name is exact, or starts with
 * prefix when exact is false. */
static void drop_params(char **argv, const char *name, bool exact)
{
    int w = 0;

    for (int r = 0; NULL != argv[r];) {
        if (is_mca_flag(argv[r]) && NULL != argv[r + 1] && NULL != argv[r + 2]
            && (exact ? 0 == strcmp(argv[r + 1], name)
                      : 0 == strncmp(argv[r + 1], name, strlen(name)))) {
            free(argv[r]);
            free(argv[r + 1]);
            free(argv[r + 2]);
            r += 3;
        } else {
            argv[w++] = argv[r++];
        }
    }
    argv[w] = NULL;
}

/* The daemon argv: the runtime's (orted/prted and its basic arguments)
 * without anything that would make the daemon load a launcher the image
 * lacks, and with mpirun's contact address narrowed to the chosen network;
 * and the environment the daemons and ranks need. */
static bool build_daemon_cmd(launch_t *ln, const dkr_net_choice_t *net)
{
    char *extra[3] = { NULL, NULL, NULL };
    int nextra = 0;
    char **env;

    if (NULL == (ln->argv = RT->daemon_argv(&ln->vpid_index))) {
        return false;
    }
    drop_params(ln->argv, "plm", true);
    drop_params(ln->argv, "plm_docker_", false);
    drop_params(ln->argv, "ras_docker_", false);
    for (int i = 0; NULL != ln->argv[i]; i++) {
        if (0 == strcmp(ln->argv[i], "<template>")) {
            ln->vpid_index = i;    /* the deletions above may have moved it */
        }
        if ('\0' != net->cidr[0] && 0 == strcmp(ln->argv[i], RT->uri_param) && NULL != ln->argv[i + 1]) {
            char *uri = dkr_plan_filter_uri(ln->argv[i + 1], net->cidr);
            if (NULL != uri) {
                free(ln->argv[i + 1]);
                ln->argv[i + 1] = uri;
            }
        }
    }

    /* the environment first, so that user_set sees what it forwards */
    if (NULL == (ln->env = dkr_plan_env(environ, RT->env_forward, RT->env_drop, NULL))) {
        return false;
    }
    /* daemons' and ranks' TCP on the shared network, unless the user chose */
    if ('\0' != net->cidr[0]) {
        if (!user_set(ln, RT->oob_env_prefix, "oob", "tcp", "if_include")
            && !user_set(ln, RT->oob_env_prefix, "oob", "tcp", "if_exclude")
            && 0 > asprintf(&extra[nextra++], "%soob_tcp_if_include=%s", RT->oob_env_prefix, net->cidr)) {
            return false;
        }
        if (!user_set(ln, RT->btl_env_prefix, "btl", "tcp", "if_include")
            && !user_set(ln, RT->btl_env_prefix, "btl", "tcp", "if_exclude")
            && 0 > asprintf(&extra[nextra++], "%sbtl_tcp_if_include=%s", RT->btl_env_prefix, net->cidr)) {
            return false;
        }
    }
    env = dkr_plan_env(ln->env, RT->env_forward, NULL, (const char *const *)extra);
    for (int i = 0; i < nextra; i++) {
        free(extra[i]);
    }
    if (NULL == env) {
        return false;
    }
    dkr_strv_free(ln->env);
    ln->env = env;
    return true;
}

static void log_argv(char **argv)
{
    size_t len = 1;
    char *s, *p;

    for (int i = 0; NULL != argv[i]; i++) {
        len += strlen(argv[i]) + 1;
    }
    if (NULL == (p = s = malloc(len))) {
        return;
    }
    for (int i = 0; NULL != argv[i]; i++) {
        p += sprintf(p, "%s%s", 0 == i ? "" : " ", argv[i]);
    }
    *p = '\0';
    VERBOSE(1, "plm:docker: daemon argv: %s", s);
    free(s);
}

/* ------------------------------------------------------ launch callbacks */

static void on_resolved(dkr_launch_t *l, int ok, void *arg)
{
    launch_t *ln = arg;
    const dkr_net_choice_t *net = dkr_launch_network(l);
    char *tmpl;

    if (RT->terminating()) {
        return;
    }
    if (!ok) {
        show_resolve_failures(ln);
        fail_before_start(ln);
        return;
    }
    VERBOSE(2, "plm:docker: %d containers found; network %s (%s), launching host %s", (int)ln->n,
            '\0' == net->network[0] ? "(none)" : net->network, net->cidr,
            '\0' == net->host_ip[0] ? "not on it" : net->host_ip);
    if (!build_daemon_cmd(ln, net)) {
        fail_before_start(ln);
        return;
    }
    log_argv(ln->argv);
    tmpl = ln->argv[ln->vpid_index];
    for (size_t i = 0; i < ln->n && !ln->failed; i++) {
        const char *user = plm_docker_params.user;
        dkr_exec_spec_t spec = { 0 };
        int rc;

        ln->argv[ln->vpid_index] = ln->vpids[i];    /* dkr_launch_start copies */
        spec.cmd = (const char *const *)ln->argv;
        spec.env = (const char *const *)ln->env;
        spec.user = NULL == user || '\0' == user[0] ? NULL : user;
        rc = dkr_launch_start(l, i, &spec);
        ln->argv[ln->vpid_index] = tmpl;
        if (DKR_OK != rc) {
            fail_daemon(ln, ln->daemons[i], 0);
            return;
        }
    }
    ln->timer = evtimer_new(RT->base, startup_timer, ln);
    if (NULL != ln->timer) {
        arm_timer(ln);
    }
}

static void on_started(dkr_launch_t *l, size_t i, void *arg)
{
    launch_t *ln = arg;

    ln->started++;
    RT->daemon_started(ln->daemons[i]);
    VERBOSE(1, "plm:docker: daemon %s started in container %s", ln->vpids[i], dkr_launch_name(l, i));
}

/* Only with --debug-daemons or verbose output, as rsh shows ssh's. */
static void on_output(dkr_launch_t *l, size_t i, int stream, const char *buf, size_t len, void *arg)
{
    (void)l;
    (void)i;
    (void)arg;
    fwrite(buf, 1, len, 2 == stream ? stderr : stdout);
    fflush(2 == stream ? stderr : stdout);
}

static void on_finished(dkr_launch_t *l, size_t i, const dkr_result_t *res, int exit_code, void *arg)
{
    launch_t *ln = arg;
    void *daemon = ln->daemons[i];
    const char *name = dkr_launch_name(l, i);
    char reason[512];

    daemon_reason(res, exit_code, reason, sizeof(reason));
    VERBOSE(1, "plm:docker: daemon %s in container %s ended: %s", ln->vpids[i], name, reason);
    if (RT->terminating() || (DKR_OK == res->rc && 0 == exit_code && ln->failed)) {
        return;
    }
    if (!RT->daemon_alive(daemon)) {
        SHOW("daemon-failed-to-start", ln->argv[0], name, endpoint_url(), reason,
             dkr_launch_output(l, i));
        fail_daemon(ln, daemon, DKR_OK == res->rc ? exit_code : 0);
    } else {
        SHOW("daemon-died", ln->argv[0], name, endpoint_url(), reason, dkr_launch_output(l, i));
        RT->daemon_lost(daemon);
    }
}

static const dkr_launch_ops_t launch_ops = {
    .resolved = on_resolved,
    .started = on_started,
    .output = on_output,
    .finished = on_finished,
};

/* ---------------------------------------------------------------- entry */

static void raise_fd_limit(void)
{
    struct rlimit rl;

    /* each daemon's exec stream holds a socket for the life of the job */
    if (0 == getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void plm_docker_core_init(const plm_docker_rt_t *rt)
{
    core.rt = rt;
    raise_fd_limit();
}

void plm_docker_core_launch(void *job, size_t n, const char *const *names, void *const *daemons)
{
    launch_t *ln = calloc(1, sizeof(*ln));
    dkr_launch_opts_t opts = { 0 };
    char **addrs;

    if (NULL == ln || NULL == (ln->daemons = calloc(n + 1, sizeof(*ln->daemons)))
        || NULL == (ln->vpids = calloc(n + 1, sizeof(*ln->vpids)))) {
        if (NULL != ln) {
            free(ln->daemons);
        }
        free(ln);
        RT->launch_failed(job);
        return;
    }
    ln->job = job;
    RT->retain(job);
    ln->next = core.launches;
    core.launches = ln;
    if (plm_docker_params.tree_spawn && !core.tree_warned) {
        dkr_mca_show_help(&RT->mca, PLM_DOCKER_HELP_FILE, "tree-spawn-unsupported");
        core.tree_warned = true;
    }
    if (NULL == core.cli
        && NULL == (core.cli = dkr_mca_client(&RT->mca, RT->base, plm_docker_params.host,
                                              plm_docker_params.tls_verify,
                                              plm_docker_params.cert_path, plm_docker_params.timeout))) {
        fail_before_start(ln);
        return;
    }

    opts.max_concurrent = plm_docker_params.num_concurrent;
    opts.network = plm_docker_params.network;
    opts.forward_output = RT->forward_output();
    ln->l = dkr_launch_new(&opts, &launch_ops, ln);
    for (size_t i = 0; NULL != ln->l && i < n; i++) {
        if ((size_t)-1 == dkr_launch_add(ln->l, core.cli, names[i])) {
            break;
        }
        ln->daemons[ln->n] = daemons[i];
        RT->retain(daemons[i]);
        if (NULL == (ln->vpids[ln->n++] = RT->daemon_vpid(daemons[i]))) {
            break;
        }
        VERBOSE(1, "plm:docker: daemon %s goes to container %s", ln->vpids[ln->n - 1], names[i]);
    }
    addrs = dkr_host_ipv4_addrs();
    if (NULL == ln->l || ln->n != n || NULL == addrs
        || DKR_OK != dkr_launch_resolve(ln->l, (const char *const *)addrs)) {
        fail_before_start(ln);
    }
    dkr_strv_free(addrs);
}

void plm_docker_core_stop(void)
{
    for (launch_t *ln = core.launches; NULL != ln; ln = ln->next) {
        if (NULL != ln->l) {
            dkr_launch_cancel_queued(ln->l);
        }
    }
}

static void launch_free(launch_t *ln)
{
    if (NULL != ln->timer) {
        event_free(ln->timer);
    }
    dkr_launch_free(ln->l);
    for (size_t i = 0; i < ln->n; i++) {
        RT->release(ln->daemons[i]);
    }
    free(ln->daemons);
    dkr_strv_free(ln->vpids);
    dkr_strv_free(ln->argv);
    dkr_strv_free(ln->env);
    RT->release(ln->job);
    free(ln);
}

void plm_docker_core_finalize(void)
{
    while (NULL != core.launches) {
        launch_t *ln = core.launches;
        core.launches = ln->next;
        launch_free(ln);
    }
    dkr_client_free(core.cli);
    core.cli = NULL;
}
