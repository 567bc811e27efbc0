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

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dkr_jobc.h"
#include "dkr_launch.h"
#include "dkr_libevent.h"
#include "dkr_plan.h"
#include "dkr_watch.h"
#include "dkr_swarm.h"

extern char **environ;

struct launch;

/* A container of the launch that is paused: the job ends unless it is
 * unpaused within plm_docker_pause_timeout. */
typedef struct pause_timer {
    struct launch *ln;
    size_t i;
    struct event *ev;
} pause_timer_t;

/* One LAUNCH_DAEMONS step: the daemons it starts and their containers. */
typedef struct launch {
    struct launch *next;
    dkr_launch_t *l;
    void *job;
    void **daemons;          /* by target index, retained */
    size_t n;
    char **vpids;            /* by target index: the daemon's vpid, as text */
    char **nodes;            /* by target index: the node's name (job containers) */
    /* tree-spawn (the launcher starts only the roots of subtrees) */
    bool tree;               /* the daemons get the tree-spawn arguments */
    bool remote;             /* this is a daemon launching its children */
    size_t nall;             /* every daemon of the step, roots and the rest */
    char **all_names;
    void **all_daemons;      /* retained */
    size_t *top;             /* by all index: its root's all index */
    size_t *root_of;         /* by target index: its all index */
    dkr_jobc_t *jobc;        /* job containers: image and network */
    char **argv;             /* daemon argv; argv[vpid_index] per daemon */
    int vpid_index;
    char **env;
    dkr_swarm_fetch_t *fetch;  /* plm_docker_node_host: the Swarm lookup */
    struct event *timer;
    pause_timer_t *paused;   /* by target index, made at the first pause */
    struct event *progress;  /* the "N/M daemons" line while start-up is slow */
    struct timespec t0;      /* when the daemons' start began */
    double progress_at;      /* seconds after t0 of the last line */
    size_t started;
    size_t last_progress;
    bool failed;
} launch_t;

/* Another engine than plm_docker_host: a Swarm node's (plm_docker_node_host) or one
 * named by plm_docker_endpoints; one client each. */
typedef struct node_ep {
    char *url;
    dkr_client_t *cli;
    char *node;              /* the Swarm node's hostname (else id); NULL: a plm_docker_endpoints engine */
    char *addr;
} node_ep_t;

static struct {
    const plm_docker_rt_t *rt;
    dkr_client_t *cli;
    dkr_watch_t *watch;      /* the engine's pause/unpause events */
    launch_t *launches;
    bool tree_warned;        /* the fallback warning was shown */
    char **epmap;            /* plm_docker_endpoints: name, url, ... */
    /* the other engines: Swarm nodes' and plm_docker_endpoints' */
    dkr_swarm_map_t *swarm;  /* the last lookup */
    node_ep_t *eps;
    size_t n_eps;
    bool plain_warned;
    /* job-owned containers */
    char *job;               /* this mpirun's tag: names and the job label */
    int reaper_fd;           /* write end of the reaper's pipe, -1 none */
    dkr_jobc_spec_t spec;
    char **binds, **devices, **labels, **env_extra;
    char *user, *workdir, *owner;
} core = { .reaper_fd = -1 };

#define RT core.rt
#define SHOW(topic, ...) dkr_mca_show_help(&RT->mca, PLM_DOCKER_HELP_FILE, topic, __VA_ARGS__)
#define VERBOSE(level, ...) dkr_mca_verbose(&RT->mca, level, __VA_ARGS__)

static const char *endpoint_url(void)
{
    return dkr_mca_endpoint_url(core.cli, plm_docker_params.host);
}

/* ------------------------------------------------- Swarm nodes' engines */

static const node_ep_t *node_ep_of(dkr_client_t *cli)
{
    for (size_t i = 0; i < core.n_eps; i++) {
        if (core.eps[i].cli == cli) {
            return &core.eps[i];
        }
    }
    return NULL;
}

/* The names of launch ln's containers reached through cli, comma-separated. */
static char *names_on(launch_t *ln, dkr_client_t *cli)
{
    char *names = NULL, *tmp;

    for (size_t i = 0; i < ln->n; i++) {
        if (dkr_launch_client(ln->l, i) != cli) {
            continue;
        }
        if (0 > asprintf(&tmp, "%s%s%s", NULL == names ? "" : names, NULL == names ? "" : ", ",
                         dkr_launch_name(ln->l, i))) {
            break;
        }
        free(names);
        names = tmp;
    }
    return names;
}

/* sn, unless it is the manager's own node (whose containers need no other
 * engine) or NULL. */
static const dkr_swarm_node_t *other_node(const dkr_swarm_node_t *sn)
{
    const char *self = dkr_swarm_map_self(core.swarm);

    return NULL == sn || (NULL != self && 0 == strcmp(self, sn->id)) ? NULL : sn;
}

/* The Swarm node that runs the container named node, when the last lookup
 * knows it and it is not the manager's own node; NULL otherwise. */
static const dkr_swarm_node_t *remote_node(const char *node)
{
    return other_node(dkr_swarm_map_node_of(core.swarm, node));
}

/* The client of the engine that holds the container named node: its Swarm
 * node's (made at first use) or the default one.  NULL when it cannot be
 * made (the reason was shown). */
static dkr_client_t *node_client(const char *node, const dkr_swarm_node_t *sn);

static dkr_client_t *client_for(const char *name);

/* Job-owned containers: the client of the Swarm node named node (its
 * hostname or id), else the default one. */
static dkr_client_t *client_for_host(const char *node)
{
    return node_client(node, other_node(dkr_swarm_map_node_named(core.swarm, node)));
}

/* The client of the engine at url (taken over), made at first use and kept
 * for the job; sn: the Swarm node it serves, NULL for plm_docker_endpoints'.
 * NULL when it cannot be made (the reason was shown). */
static dkr_client_t *engine_client(char *url, const dkr_swarm_node_t *sn)
{
    node_ep_t *eps;
    dkr_client_t *cli;

    for (size_t i = 0; i < core.n_eps; i++) {
        if (0 == strcmp(core.eps[i].url, url)) {
            free(url);
            return core.eps[i].cli;
        }
    }
    cli = dkr_mca_client(&RT->mca, RT->base, url, plm_docker_params.tls_verify,
                         plm_docker_params.cert_path, plm_docker_params.timeout);
    if (NULL == cli || NULL == (eps = realloc(core.eps, (core.n_eps + 1) * sizeof(*eps)))) {
        dkr_client_free(cli);
        free(url);
        return NULL;
    }
    core.eps = eps;
    eps[core.n_eps].url = url;
    eps[core.n_eps].cli = cli;
    eps[core.n_eps].node = NULL == sn ? NULL : strdup(NULL != sn->hostname ? sn->hostname : sn->id);
    eps[core.n_eps].addr = NULL == sn || NULL == sn->addr ? NULL : strdup(sn->addr);
    core.n_eps++;
    if (NULL != sn) {
        if (!dkr_client_endpoint(cli)->tls && DKR_EP_TCP == dkr_client_endpoint(cli)->kind
            && !core.plain_warned) {
            core.plain_warned = true;
            SHOW("node-host-plain", url);
        }
        VERBOSE(1, "plm:docker: Swarm node %s (%s): engine %s", eps[core.n_eps - 1].node,
                NULL == sn->addr ? "no address" : sn->addr, url);
    }
    return cli;
}

/* The client of Swarm node sn's engine (made at first use), the default one
 * when sn is NULL; NULL when it cannot be made (the reason was shown). */
static dkr_client_t *node_client(const char *node, const dkr_swarm_node_t *sn)
{
    char err[512], *url;

    if (NULL == sn) {
        return core.cli;
    }
    if (NULL == (url = dkr_swarm_expand(plm_docker_params.node_host, sn, err, sizeof(err)))) {
        SHOW("node-host-expand", node, err);
        return NULL;
    }
    return engine_client(url, sn);
}

const char *plm_docker_core_endpoint(const char *node)
{
    dkr_client_t *cli = NULL == remote_node(node) ? NULL : client_for(node);

    return NULL == cli ? plm_docker_params.host : dkr_client_endpoint(cli)->url;
}

/* The endpoint URL of launch target i, for messages. */
static const char *target_url(launch_t *ln, size_t i)
{
    return dkr_mca_endpoint_url(dkr_launch_client(ln->l, i), plm_docker_params.host);
}

/* ------------------------------------------------------------- messages */

static void show_resolve_failures(launch_t *ln)
{
    int rc;
    const char *err;
    dkr_client_t *cli;
    dkr_fail_t f = dkr_launch_global_failure(ln->l, &rc, &err, &cli);

    if (DKR_FAIL_ENDPOINT == f) {
        const node_ep_t *ep = node_ep_of(cli);

        if (NULL != ep && NULL != ep->node) {
            char *names = names_on(ln, cli);
            SHOW("node-engine-failed", ep->node, NULL == ep->addr ? "unknown" : ep->addr, ep->url,
                 plm_docker_params.node_host, NULL == err || '\0' == err[0] ? dkr_strerror(rc) : err,
                 NULL == names ? "" : names);
            free(names);
            return;
        }
        dkr_mca_show_endpoint_failure(&RT->mca, rc, err, dkr_mca_endpoint_url(cli, plm_docker_params.host));
        return;
    }
    for (size_t i = 0; i < ln->n; i++) {
        const char *name = dkr_launch_name(ln->l, i);
        const dkr_container_t *c = dkr_launch_container(ln->l, i);

        switch (dkr_launch_failure(ln->l, i, &rc, &err)) {
        case DKR_FAIL_NO_CONTAINER:
            SHOW("no-such-container", name, target_url(ln, i));
            break;
        case DKR_FAIL_NOT_RUNNING:
            SHOW("container-not-running", name, target_url(ln, i), NULL == c ? "unknown" : c->state);
            break;
        case DKR_FAIL_INSPECT:
            SHOW("inspect-failed", name, target_url(ln, i), NULL == err ? dkr_strerror(rc) : err);
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
    } else if (exit_code > 128 && exit_code <= 128 + 64) {
        snprintf(buf, len, "exit status %d (killed by signal %d)", exit_code, exit_code - 128);
    } else {
        snprintf(buf, len, "exit status %d", exit_code);
    }
}

/* The whole launch failed before any daemon started: end the job cleanly. */
static void fail_before_start(launch_t *ln)
{
    ln->failed = true;
    if (!ln->remote) {
        RT->launch_failed(ln->job);
        return;
    }
    /* a daemon: mpirun hears of each child that could not start */
    for (size_t i = 0; i < ln->n; i++) {
        RT->daemon_failed(ln->daemons[i], 0);
    }
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

static bool argv_append(char ***argv, const char *s)
{
    size_t n = dkr_strv_len((const char *const *)*argv);
    char **v = realloc(*argv, (n + 2) * sizeof(*v));

    if (NULL == v) {
        return false;
    }
    *argv = v;
    v[n + 1] = NULL;
    return NULL != (v[n] = strdup(s));
}

/* The multi-word MCA values of mpirun's command line, which the runtime
 * leaves out for remote shells: an exec has no shell to mangle them. */
static bool add_multiword_params(char ***argv)
{
    char **cl = RT->cmd_line();

    for (int i = 0; NULL != cl && NULL != cl[i] && NULL != cl[i + 1] && NULL != cl[i + 2]; i += 3) {
        if (NULL != strchr(cl[i + 2], ' ') && !in_argv(*argv, cl[i + 1])
            && (!argv_append(argv, cl[i]) || !argv_append(argv, cl[i + 1])
                || !argv_append(argv, cl[i + 2]))) {
            return false;
        }
    }
    return true;
}

static bool append_param(char ***argv, const char *name, const char *value)
{
    char full[128];

    snprintf(full, sizeof(full), "plm_docker_%s", name);
    return argv_append(argv, RT->mca_flags[0]) && argv_append(argv, full) && argv_append(argv, value);
}

/* The engines of the tree's containers that run on other Swarm nodes, as
 * plm_docker_endpoints for the daemons (they cannot ask the manager): the
 * user's own map, then "name=url" for each; NULL when out of memory. */
static char *tree_endpoints(launch_t *ln)
{
    char *map = strdup(plm_docker_params.endpoints), *tmp;

    for (size_t i = 0; NULL != map && i < ln->nall; i++) {
        const dkr_swarm_node_t *sn = remote_node(ln->all_names[i]);
        dkr_client_t *cli = NULL == sn ? NULL : node_client(ln->all_names[i], sn);

        if (NULL == cli) {
            continue;
        }
        if (0 > asprintf(&tmp, "%s%s%s=%s", map, '\0' == map[0] ? "" : ",", ln->all_names[i],
                         dkr_client_endpoint(cli)->url)) {
            tmp = NULL;
        }
        free(map);
        map = tmp;
    }
    return map;
}

/* What a daemon needs to launch its own children: the runtime's tree-spawn
 * arguments (--tree-spawn, the routing module, its parent's address), this
 * launcher selected, and the endpoint and credentials as seen from inside
 * the containers, with the engines of the containers on other Swarm nodes. */
static bool add_tree_args(launch_t *ln, char ***argv)
{
    const plm_docker_params_t *p = &plm_docker_params;
    char **targs = RT->tree_argv();
    char num[32];
    bool ok = NULL != targs;

    drop_params(*argv, "routed", true);
    for (size_t i = 0; ok && NULL != targs[i]; i++) {
        ok = argv_append(argv, targs[i]);
    }
    dkr_strv_free(targs);
    ok = ok && argv_append(argv, RT->mca_flags[0]) && argv_append(argv, "plm")
         && argv_append(argv, "docker");
    ok = ok && append_param(argv, "tree_spawn", "1")
         && append_param(argv, "host", '\0' != p->tree_host[0] ? p->tree_host : p->host)
         && append_param(argv, "tls_verify", p->tls_verify ? "1" : "0")
         && append_param(argv, "cert_path", '\0' != p->tree_cert_path[0] ? p->tree_cert_path
                                                                       : p->cert_path)
         && append_param(argv, "orted", p->orted);
    snprintf(num, sizeof(num), "%d", p->timeout);
    ok = ok && append_param(argv, "timeout", num);
    snprintf(num, sizeof(num), "%d", p->num_concurrent);
    ok = ok && append_param(argv, "num_concurrent", num);
    if (ok && '\0' != p->user[0]) {
        ok = append_param(argv, "user", p->user);
    }
    if (ok && '\0' != p->network[0]) {
        ok = append_param(argv, "network", p->network);
    }
    if (ok) {
        char *map = tree_endpoints(ln);
        ok = NULL != map && ('\0' == map[0] || append_param(argv, "endpoints", map));
        free(map);
    }
    return ok;
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

    if (NULL == (ln->argv = RT->daemon_argv(&ln->vpid_index)) || !add_multiword_params(&ln->argv)) {
        return false;
    }
    drop_params(ln->argv, "plm", true);
    drop_params(ln->argv, "plm_docker_", false);
    drop_params(ln->argv, "ras_docker_", false);
    if (ln->tree && !add_tree_args(ln, &ln->argv)) {
        return false;
    }
    for (int i = 0; NULL != ln->argv[i]; i++) {
        if (0 == strcmp(ln->argv[i], "<template>")) {
            ln->vpid_index = i;    /* the deletions above may have moved it */
        }
        if ('\0' != net->cidr[0] && NULL != ln->argv[i + 1]
            && (0 == strcmp(ln->argv[i], RT->uri_param)
                || (NULL != RT->parent_uri_param && 0 == strcmp(ln->argv[i], RT->parent_uri_param)))) {
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
        if (NULL != RT->oob_env_prefix
            && !user_set(ln, RT->oob_env_prefix, "oob", "tcp", "if_include")
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

/* "[[j,0],3]" or the vpid: for the verbose lines. */
static const char *daemon_name(launch_t *ln, size_t i)
{
    return NULL != RT->daemon_name ? RT->daemon_name(ln->daemons[i]) : ln->vpids[i];
}

/* Daemon i in the job container of its node: orted as the container's
 * command, the environment, and what the job asked for. */
static int start_container(launch_t *ln, size_t i, const dkr_net_choice_t *net)
{
    char **env = dkr_plan_env(ln->env, RT->env_forward, NULL, (const char *const *)core.env_extra);
    json_object *body;
    char err[512] = "";
    int rc;

    body = NULL == env ? NULL
           : dkr_jobc_create_body(&core.spec, ln->nodes[i], net->network, (const char *const *)ln->argv,
                                  (const char *const *)env, err, sizeof(err));
    dkr_strv_free(env);
    if (NULL == body) {
        if ('\0' != err[0]) {
            SHOW("bad-param", "plm_docker_mounts", err);
        }
        return DKR_ERR_ARG;
    }
    rc = dkr_launch_start_container(ln->l, i, body);
    json_object_put(body);
    return rc;
}

/* While start-up takes long, one line every plm_docker_progress seconds
 * (and a last one when every daemon has called back), so that a user
 * launching hundreds of daemons sees it move. */
static void progress_line(evutil_socket_t fd, short what, void *arg)
{
    launch_t *ln = arg;
    size_t alive = alive_count(ln);
    struct timespec now;
    struct timeval tick = { .tv_sec = 0, .tv_usec = 250000 };
    double secs;

    (void)fd;
    (void)what;
    if (ln->failed || RT->terminating()) {
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    secs = (double)(now.tv_sec - ln->t0.tv_sec) + (double)(now.tv_nsec - ln->t0.tv_nsec) / 1e9;
    /* checked every tick once slow; shown every plm_docker_progress s and at the end */
    if (alive == ln->n || secs - ln->progress_at >= plm_docker_params.progress - 0.01) {
        fprintf(stderr, "mpirun: plm docker: %zu/%zu daemons started, %zu/%zu called back (%.1f s)\n",
                ln->started, ln->n, alive, ln->n, secs);
        fflush(stderr);
        ln->progress_at = secs;
    }
    if (alive < ln->n) {
        evtimer_add(ln->progress, &tick);
    }
}

/* The command and environment are known: start every daemon, then watch
 * that start-up makes progress. */
static void start_daemons(launch_t *ln, const dkr_net_choice_t *net)
{
    char *tmpl;

    VERBOSE(2, "plm:docker: %d daemons; network %s (%s), launching host %s", (int)ln->n,
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

        ln->argv[ln->vpid_index] = ln->vpids[i];    /* both starts copy */
        VERBOSE(1, "plm:docker: launching daemon %s in container %s via %s%s", daemon_name(ln, i),
                dkr_launch_name(ln->l, i), target_url(ln, i),
                ln->tree ? " (it tree-spawns)" : "");
        if (NULL != ln->jobc) {
            rc = start_container(ln, i, net);
        } else {
            spec.cmd = (const char *const *)ln->argv;
            spec.env = (const char *const *)ln->env;
            spec.user = NULL == user || '\0' == user[0] ? NULL : user;
            rc = dkr_launch_start(ln->l, i, &spec);
        }
        ln->argv[ln->vpid_index] = tmpl;
        if (DKR_OK != rc) {
            fail_daemon(ln, ln->daemons[i], 0);
            return;
        }
    }
    /* a daemon's children are watched by mpirun's timer */
    ln->timer = ln->remote ? NULL : evtimer_new(RT->base, startup_timer, ln);
    if (!ln->remote && plm_docker_params.progress > 0
        && NULL != (ln->progress = evtimer_new(RT->base, progress_line, ln))) {
        struct timeval tv = { .tv_sec = plm_docker_params.progress, .tv_usec = 0 };
        clock_gettime(CLOCK_MONOTONIC, &ln->t0);
        evtimer_add(ln->progress, &tv);
    }
    if (NULL != ln->timer) {
        arm_timer(ln);
    }
}

static void on_resolved(dkr_launch_t *l, int ok, void *arg)
{
    launch_t *ln = arg;

    if (RT->terminating()) {
        return;
    }
    if (!ok) {
        show_resolve_failures(ln);
        fail_before_start(ln);
        return;
    }
    start_daemons(ln, dkr_launch_network(l));
}

/* Job containers: the image and the network are ready (or not). */
static void on_jobc_ready(dkr_jobc_t *j, int ok, void *arg)
{
    launch_t *ln = arg;
    const char *err = NULL;
    int rc = 0;

    if (RT->terminating()) {
        return;
    }
    if (ok) {
        start_daemons(ln, dkr_jobc_network(j));
        return;
    }
    switch (dkr_jobc_failure(j, &rc, &err)) {
    case DKR_JOBC_ENDPOINT:
        dkr_mca_show_endpoint_failure(&RT->mca, rc, err, endpoint_url());
        break;
    case DKR_JOBC_IMAGE_MISSING:
        SHOW("image-missing", plm_docker_params.image, endpoint_url(), plm_docker_params.pull, err);
        break;
    case DKR_JOBC_PULL_FAILED:
        SHOW("pull-failed", plm_docker_params.image, endpoint_url(), err);
        break;
    default:
        SHOW("network-failed", endpoint_url(), err);
        break;
    }
    fail_before_start(ln);
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

static launch_t *launch_new(void *job, size_t n, const char *const *names, void *const *daemons,
                            const size_t *top, bool remote);

/* Target i, a root of the tree, could not tree-spawn: mpirun launches it
 * and its whole subtree itself (a flat launch), with one warning per run. */
static void tree_fallback(launch_t *ln, size_t i, const char *reason)
{
    size_t k = ln->root_of[i], m;
    size_t *idx = calloc(ln->nall + 1, sizeof(*idx));
    const char **names = calloc(ln->nall + 1, sizeof(*names));
    void **daemons = calloc(ln->nall + 1, sizeof(*daemons));

    if (!core.tree_warned) {
        core.tree_warned = true;
        SHOW("tree-spawn-fallback", dkr_launch_name(ln->l, i),
             target_url(ln, i), reason,
             dkr_launch_output(ln->l, i));
    }
    if (NULL == idx || NULL == names || NULL == daemons) {
        fail_daemon(ln, ln->daemons[i], 0);
    } else {
        m = dkr_plan_subtree(ln->top, ln->nall, k, idx);
        for (size_t j = 0; j < m; j++) {
            names[j] = ln->all_names[idx[j]];
            daemons[j] = ln->all_daemons[idx[j]];
        }
        VERBOSE(1, "plm:docker: daemon %s in container %s could not tree-spawn: mpirun launches "
                "it and its %d descendant(s)", daemon_name(ln, i), dkr_launch_name(ln->l, i),
                (int)m - 1);
        (void)launch_new(ln->job, m, names, daemons, NULL, false);
    }
    free(idx);
    free(names);
    free(daemons);
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
    if (ln->remote) {
        /* a daemon's child: it ends cleanly only when told to; anything else
         * goes to mpirun (the message through the runtime's help system) */
        if (DKR_OK != res->rc || 0 != exit_code) {
            SHOW("daemon-failed-to-start", ln->argv[0], name,
                 target_url(ln, i), reason,
                 dkr_launch_output(l, i));
            fail_daemon(ln, daemon, DKR_OK == res->rc ? exit_code : 0);
        }
        return;
    }
    /* A daemon given the tree-spawn arguments that ends before calling back
     * could not tree-spawn (plm docker missing in the image, or no way to
     * the engine: it checks at start-up); 126/127: it could not be run. */
    if (ln->tree && !RT->daemon_alive(daemon) && DKR_OK == res->rc && 126 != exit_code
        && 127 != exit_code) {
        tree_fallback(ln, i, reason);
        return;
    }
    if (!RT->daemon_alive(daemon)) {
        SHOW("daemon-failed-to-start", ln->argv[0], name, target_url(ln, i), reason,
             dkr_launch_output(l, i));
        fail_daemon(ln, daemon, DKR_OK == res->rc ? exit_code : 0);
    } else {
        SHOW("daemon-died", ln->argv[0], name, target_url(ln, i), reason, dkr_launch_output(l, i));
        RT->daemon_lost(daemon);
    }
}

/* ------------------------------------------------- paused containers */

static void pause_expired(evutil_socket_t fd, short what, void *arg)
{
    pause_timer_t *pt = arg;
    launch_t *ln = pt->ln;
    void *daemon = ln->daemons[pt->i];

    (void)fd;
    (void)what;
    if (RT->terminating() || !RT->daemon_alive(daemon)) {
        return;
    }
    SHOW("container-paused", dkr_launch_name(ln->l, pt->i), endpoint_url(),
         plm_docker_params.pause_timeout, ln->vpids[pt->i]);
    RT->daemon_lost(daemon);
}

static bool is_target(launch_t *ln, size_t i, const char *id, const char *name)
{
    const dkr_container_t *c = dkr_launch_container(ln->l, i);
    const char *given = dkr_launch_name(ln->l, i);

    if (NULL != c && '\0' != c->id[0]) {
        return 0 == strcmp(c->id, id);
    }
    /* job-owned containers: created under the name given */
    return NULL != given && 0 == strcmp(given, name);
}

static void pause_event(launch_t *ln, size_t i, bool paused)
{
    pause_timer_t *pt;

    if (NULL == ln->paused && (!paused || NULL == (ln->paused = calloc(ln->n, sizeof(*pt))))) {
        return;
    }
    pt = &ln->paused[i];
    if (NULL == pt->ev) {
        pt->ln = ln;
        pt->i = i;
        if (!paused || NULL == (pt->ev = evtimer_new(RT->base, pause_expired, pt))) {
            return;
        }
    }
    if (paused) {
        struct timeval tv = { .tv_sec = plm_docker_params.pause_timeout, .tv_usec = 0 };
        VERBOSE(1, "plm:docker: container %s paused (daemon %s)", dkr_launch_name(ln->l, i),
                ln->vpids[i]);
        evtimer_add(pt->ev, &tv);
    } else {
        VERBOSE(1, "plm:docker: container %s unpaused", dkr_launch_name(ln->l, i));
        evtimer_del(pt->ev);
    }
}

static void on_event(void *arg, dkr_event_kind_t kind, const char *id, const char *name)
{
    (void)arg;
    if ((DKR_EV_PAUSE != kind && DKR_EV_UNPAUSE != kind) || RT->terminating()) {
        return;
    }
    for (launch_t *ln = core.launches; NULL != ln; ln = ln->next) {
        for (size_t i = 0; NULL != ln->l && i < ln->n; i++) {
            if (is_target(ln, i, id, name)) {
                pause_event(ln, i, DKR_EV_PAUSE == kind);
            }
        }
    }
}

static void on_watch_end(void *arg, const dkr_result_t *res)
{
    (void)arg;
    VERBOSE(1, "plm:docker: the events stream of %s ended: %s", endpoint_url(),
            '\0' == res->errstr[0] ? "closed by the engine" : res->errstr);
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

/* ------------------------------------------------------- job containers */

static bool image_mode(void)
{
    return NULL != plm_docker_params.image && '\0' != plm_docker_params.image[0];
}

/* This mpirun's tag, unique on the endpoint: "<host>-<pid>-<random>". */
static char *make_job_tag(void)
{
    char host[64] = "host", *dot, *tag = NULL;
    struct timespec ts;

    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    if (NULL != (dot = strchr(host, '.'))) {
        *dot = '\0';
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    if (0 > asprintf(&tag, "%s-%d-%04lx", host, (int)getpid(),
                     (unsigned long)((ts.tv_nsec ^ (long)getpid() * 2654435761L) & 0xffff))) {
        return NULL;
    }
    return tag;
}

/* The entries of /dev/infiniband on this host (meaningful when the engine is local). */
static char **auto_devices(void)
{
    DIR *d = opendir("/dev/infiniband");
    struct dirent *e;
    char **v = calloc(1, sizeof(*v));
    size_t n = 0;

    while (NULL != d && NULL != v && NULL != (e = readdir(d))) {
        char **nv;
        if ('.' == e->d_name[0] || NULL == (nv = realloc(v, (n + 2) * sizeof(*v)))) {
            continue;
        }
        v = nv;
        if (0 > asprintf(&v[n], "/dev/infiniband/%s", e->d_name)) {
            break;
        }
        v[++n] = NULL;
    }
    if (NULL != d) {
        closedir(d);
    }
    return v;
}

/* What every container of this mpirun's jobs shares, from the parameters. */
static bool job_spec_init(void)
{
    const plm_docker_params_t *p = &plm_docker_params;
    struct passwd *pw = getpwuid(getuid());
    char cwd[4096], buf[64];
    int64_t shm = 0;

    if (NULL != core.job) {
        return true;
    }
    if (NULL == (core.job = make_job_tag())) {
        return false;
    }
    snprintf(buf, sizeof(buf), "%u", (unsigned)getuid());
    core.owner = strdup(buf);
    /* the invoking user by default: files written to mounts stay theirs */
    if ('\0' != p->user[0]) {
        core.user = strdup(p->user);
    } else {
        snprintf(buf, sizeof(buf), "%u:%u", (unsigned)getuid(), (unsigned)getgid());
        core.user = strdup(buf);
    }
    /* the working directory, mounted at the same path ("/" cannot be) */
    core.workdir = NULL != getcwd(cwd, sizeof(cwd)) && 0 != strcmp(cwd, "/") ? strdup(cwd) : NULL;
    core.binds = dkr_strv_split(p->mounts);
    core.devices = 0 == strcmp(p->devices, "auto") ? auto_devices()
                   : 0 == strcmp(p->devices, "none") ? dkr_strv_split("")
                   : dkr_strv_split(p->devices);
    core.labels = dkr_strv_split(p->labels);
    /* HOME and USER first, so that plm_docker_env may override them */
    {
        char **extra = dkr_strv_split(p->env);
        size_t n = dkr_strv_len((const char *const *)extra);

        if (NULL != extra && NULL != (core.env_extra = calloc(n + 3, sizeof(char *)))) {
            if (0 > asprintf(&core.env_extra[0], "HOME=/tmp")
                || 0 > asprintf(&core.env_extra[1], "USER=%s", NULL != pw ? pw->pw_name : core.owner)) {
                dkr_strv_free(extra);
                return false;
            }
            memcpy(core.env_extra + 2, extra, n * sizeof(char *));
        }
        free(extra);
    }
    if ('\0' != p->shm_size[0]) {
        dkr_size_parse(p->shm_size, &shm);
    }
    dkr_pull_parse(p->pull, &core.spec.pull);
    core.spec.image = p->image;
    core.spec.network = p->network;
    core.spec.job = core.job;
    core.spec.owner = core.owner;
    core.spec.labels = (const char *const *)core.labels;
    core.spec.user = core.user;
    core.spec.workdir = core.workdir;
    core.spec.binds = (const char *const *)core.binds;
    core.spec.shm_size = shm;
    core.spec.devices = (const char *const *)core.devices;
    core.spec.gpus = p->gpus;
    core.spec.keep = p->keep;
    core.spec.swarm = '\0' != p->node_host[0];
    return NULL != core.owner && NULL != core.user && NULL != core.binds && NULL != core.devices
           && NULL != core.labels && NULL != core.env_extra;
}

/*
 * A process outside mpirun that removes the job's containers and network if
 * mpirun dies without doing it (SIGKILL): it waits for the read end of a
 * pipe whose write end only mpirun holds.  Started double-forked, in its own
 * session (ctrl-C reaches mpirun only), so it is nobody's child here.
 */
static void start_reaper(void)
{
    const dkr_endpoint_t *ep = dkr_client_endpoint(core.cli);
    char wait_ms[32], timeout_ms[32];
    const char *argv[16];
    int fds[2], i = 0;
    pid_t pid;

    if (0 != access(DKR_REAPER, X_OK)) {
        VERBOSE(1, "plm:docker: no reaper at %s: after a SIGKILL of mpirun, the job's "
                "network would stay", DKR_REAPER);
        return;
    }
    snprintf(wait_ms, sizeof(wait_ms), "%d", 15000);
    snprintf(timeout_ms, sizeof(timeout_ms), "%d", 1000 * plm_docker_params.timeout);
    argv[i++] = DKR_REAPER;
    argv[i++] = "--host";
    argv[i++] = ep->url;
    argv[i++] = "--job";
    argv[i++] = core.job;
    argv[i++] = "--wait-ms";
    argv[i++] = wait_ms;
    argv[i++] = "--timeout-ms";
    argv[i++] = timeout_ms;
    if (ep->tls) {
        argv[i++] = ep->tls_verify ? "--tls-verify" : "--tls";
        argv[i++] = "--cert-path";
        argv[i++] = plm_docker_params.cert_path;
    }
    if (plm_docker_params.keep) {
        argv[i++] = "--keep";
    }
    argv[i] = NULL;
    if (0 != pipe(fds)) {
        return;
    }
    if (0 == (pid = fork())) {
        /* only async-signal-safe calls from here to execv */
        if (0 == fork()) {
            setsid();
            dup2(fds[0], 3);
            for (int fd = 4; fd < 1024; fd++) {
                close(fd);
            }
            execv(DKR_REAPER, (char *const *)argv);
        }
        _exit(0);
    }
    close(fds[0]);
    if (pid > 0) {
        (void)waitpid(pid, NULL, 0);   /* the runtime may have reaped it: fine */
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        core.reaper_fd = fds[1];
    } else {
        close(fds[1]);
    }
}

/* Removes what this mpirun's jobs created, before mpirun returns. */
static void remove_job_containers(void)
{
    char err[512];
    int left = 0;

    if (NULL == core.job || NULL == core.cli) {
        return;
    }
    /* the Swarm nodes' containers first, then the manager's and the network */
    for (size_t i = 0; i < core.n_eps; i++) {
        if (DKR_OK != dkr_jobc_cleanup_containers(dkr_client_endpoint(core.eps[i].cli), core.job,
                                                  plm_docker_params.keep, 5000,
                                                  1000 * plm_docker_params.timeout, &left, err,
                                                  sizeof(err))) {
            SHOW("cleanup-failed", core.eps[i].url, core.job, left, err);
        }
    }
    if (DKR_OK != dkr_jobc_cleanup(dkr_client_endpoint(core.cli), core.job, plm_docker_params.keep,
                                   5000, 1000 * plm_docker_params.timeout, &left, err, sizeof(err))) {
        SHOW("cleanup-failed", endpoint_url(), core.job, left, err);
    }
}

/* --------------------------------------------------------------- entry */

/* Every daemon's target, on the engine that holds its container; then
 * resolve them (or prepare the job's containers). */
static void add_targets(launch_t *ln)
{
    char **addrs;

    for (size_t i = 0; i < ln->n; i++) {
        char *cname = image_mode() ? dkr_jobc_container_name(core.job, ln->nodes[i]) : NULL;
        dkr_client_t *cli = image_mode() ? client_for_host(ln->nodes[i]) : client_for(ln->nodes[i]);
        size_t k = (size_t)-1;

        if (NULL != cli) {
            k = image_mode() ? (NULL == cname ? (size_t)-1 : dkr_launch_add_new(ln->l, cli, cname))
                             : dkr_launch_add(ln->l, cli, ln->nodes[i]);
        }
        free(cname);
        if ((size_t)-1 == k) {
            fail_before_start(ln);
            return;
        }
        VERBOSE(1, "plm:docker: daemon %s goes to container %s on %s", ln->vpids[i],
                dkr_launch_name(ln->l, k), dkr_mca_endpoint_url(cli, plm_docker_params.host));
    }
    addrs = dkr_host_ipv4_addrs();
    if (NULL == addrs) {
        fail_before_start(ln);
    } else if (image_mode()) {
        if (NULL == (ln->jobc = dkr_jobc_prepare(core.cli, &core.spec, (const char *const *)addrs,
                                                 on_jobc_ready, ln))) {
            fail_before_start(ln);
        }
    } else if (DKR_OK != dkr_launch_resolve(ln->l, (const char *const *)addrs)) {
        fail_before_start(ln);
    }
    dkr_strv_free(addrs);
}

/* The Swarm's nodes and tasks are known (plm_docker_node_host). */
static void on_swarm(int rc, const char *errstr, dkr_swarm_map_t *map, void *arg)
{
    launch_t *ln = arg;

    ln->fetch = NULL;
    if (RT->terminating()) {
        dkr_swarm_map_free(map);
        return;
    }
    if (DKR_OK != rc) {
        if (dkr_mca_is_endpoint_failure(rc)) {
            dkr_mca_show_endpoint_failure(&RT->mca, rc, errstr, endpoint_url());
        } else {
            SHOW("swarm-lookup-failed", endpoint_url(), NULL == errstr ? dkr_strerror(rc) : errstr);
        }
        fail_before_start(ln);
        return;
    }
    dkr_swarm_map_free(core.swarm);
    core.swarm = map;
    add_targets(ln);
}

static size_t count_roots(const launch_t *ln)
{
    size_t n = 0;
    for (size_t i = 0; i < ln->nall; i++) {
        n += ln->top[i] == i ? 1 : 0;
    }
    return n;
}

static void probe_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    struct probe { int done, rc; char errstr[400]; } *p = arg;

    (void)cli;
    p->done = 1;
    p->rc = res->rc;
    snprintf(p->errstr, sizeof(p->errstr), "%s", NULL == res->errstr ? "" : res->errstr);
}

/* The engine of container name: its Swarm node's (plm_docker_node_host),
 * else plm_docker_endpoints', else plm_docker_host.  NULL when a client
 * cannot be made (the reason was shown). */
static dkr_client_t *client_for(const char *name)
{
    const dkr_swarm_node_t *sn = remote_node(name);
    const char *url = dkr_plan_endpoint_of((const char *const *)core.epmap, name, NULL);
    char *copy;

    if (NULL != sn) {
        return node_client(name, sn);
    }
    if (NULL == url || 0 == strcmp(url, plm_docker_params.host)) {
        return core.cli;
    }
    return NULL == (copy = strdup(url)) ? NULL : engine_client(copy, NULL);
}

static bool clients_init(void)
{
    char err[256];

    if (NULL == core.cli
        && NULL == (core.cli = dkr_mca_client(&RT->mca, RT->base, plm_docker_params.host,
                                              plm_docker_params.tls_verify,
                                              plm_docker_params.cert_path, plm_docker_params.timeout))) {
        return false;
    }
    if (NULL == core.epmap
        && NULL == (core.epmap = dkr_plan_endpoint_map(plm_docker_params.endpoints, err, sizeof(err)))) {
        SHOW("bad-param", "plm_docker_endpoints", err);
        return false;
    }
    return true;
}

/* Keeps every daemon of a tree launch (names, daemons, roots) for a
 * fallback; returns false when out of memory. */
static bool keep_tree(launch_t *ln, size_t n, const char *const *names, void *const *daemons,
                      const size_t *top)
{
    ln->tree = true;
    if (NULL == (ln->all_names = calloc(n + 1, sizeof(char *)))
        || NULL == (ln->all_daemons = calloc(n + 1, sizeof(void *)))
        || NULL == (ln->top = calloc(n + 1, sizeof(size_t)))
        || NULL == (ln->root_of = calloc(n + 1, sizeof(size_t)))) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (NULL == (ln->all_names[i] = strdup(names[i]))) {
            return false;
        }
        ln->all_daemons[i] = daemons[i];
        RT->retain(daemons[i]);
        ln->top[i] = NULL == top ? i : top[i];
        ln->nall++;
    }
    return true;
}

/* One launch of n daemons.  top: a tree launch, only the daemons with
 * top[i] == i are started here, with the tree-spawn arguments (NULL: all,
 * flat).  remote: this is a daemon starting its own children (all roots). */
static launch_t *launch_new(void *job, size_t n, const char *const *names, void *const *daemons,
                            const size_t *top, bool remote)
{
    launch_t *ln = calloc(1, sizeof(*ln));
    dkr_launch_opts_t opts = { 0 };

    if (NULL == ln || NULL == (ln->daemons = calloc(n + 1, sizeof(*ln->daemons)))
        || NULL == (ln->vpids = calloc(n + 1, sizeof(*ln->vpids)))
        || NULL == (ln->nodes = calloc(n + 1, sizeof(*ln->nodes)))) {
        if (NULL != ln) {
            free(ln->daemons);
            free(ln->vpids);
            free(ln->nodes);
        }
        free(ln);
        if (!remote) {
            RT->launch_failed(job);
        }
        return NULL;
    }
    ln->job = job;
    ln->remote = remote;
    RT->retain(job);
    ln->next = core.launches;
    core.launches = ln;
    if ((NULL != top || remote) && !keep_tree(ln, n, names, daemons, top)) {
        fail_before_start(ln);
        return ln;
    }
    if (!clients_init()) {
        fail_before_start(ln);
        return ln;
    }
    if (NULL == core.watch && plm_docker_params.pause_timeout > 0) {
        core.watch = dkr_watch_start(core.cli, on_event, on_watch_end, NULL);
    }
    if (image_mode() && NULL == core.job) {
        if (!job_spec_init()) {
            fail_before_start(ln);
            return ln;
        }
        start_reaper();
    }

    opts.max_concurrent = plm_docker_params.num_concurrent;
    opts.network = plm_docker_params.network;
    opts.forward_output = RT->forward_output();
    ln->l = dkr_launch_new(&opts, &launch_ops, ln);
    for (size_t i = 0; NULL != ln->l && i < n; i++) {
        if (ln->tree && ln->top[i] != i) {
            VERBOSE(1, "plm:docker: daemon %s goes to container %s, launched by the daemon in %s",
                    NULL != RT->daemon_name ? RT->daemon_name(daemons[i]) : "?", names[i],
                    names[ln->top[i]]);
            continue;
        }
        if (NULL == (ln->nodes[ln->n] = strdup(names[i]))) {
            break;
        }
        if (ln->tree) {
            ln->root_of[ln->n] = i;
        }
        ln->daemons[ln->n] = daemons[i];
        RT->retain(daemons[i]);
        if (NULL == (ln->vpids[ln->n++] = RT->daemon_vpid(daemons[i]))) {
            break;
        }
    }
    if (NULL == ln->l || (ln->n != n && !ln->tree) || (ln->tree && ln->n != count_roots(ln))) {
        fail_before_start(ln);
    } else if ('\0' != plm_docker_params.node_host[0]) {
        /* which Swarm node runs each container: ask the manager first */
        VERBOSE(2, "plm:docker: looking up the Swarm's nodes and tasks on %s", endpoint_url());
        if (NULL == (ln->fetch = dkr_swarm_fetch(core.cli, on_swarm, ln))) {
            fail_before_start(ln);
        }
    } else {
        add_targets(ln);
    }
    return ln;
}

void plm_docker_core_launch(void *job, size_t n, const char *const *names, void *const *daemons,
                            const size_t *top)
{
    if (plm_docker_params.tree_spawn && NULL == RT->tree_argv && !core.tree_warned) {
        core.tree_warned = true;
        SHOW("tree-spawn-unsupported", "this Open MPI version");
    }
    if (NULL != top && image_mode()) {
        if (!core.tree_warned) {
            core.tree_warned = true;
            SHOW("tree-spawn-unsupported", "plm_docker_image (job-owned containers)");
        }
        top = NULL;
    }
    if (NULL == RT->tree_argv) {
        top = NULL;
    }
    (void)launch_new(job, n, names, daemons, top, false);
}

void plm_docker_core_remote_spawn(void *job, size_t n, const char *const *names, void *const *daemons)
{
    (void)launch_new(job, n, names, daemons, NULL, true);
}

/* Can this daemon launch daemons?  Run at its start, before it contacts its
 * parent: a ping of its endpoint with its credentials, on a private loop. */
int plm_docker_core_probe(char *err, size_t len)
{
    dkr_tls_opts_t tls = { .verify = plm_docker_params.tls_verify ? 1 : 0,
                           .cert_path = plm_docker_params.cert_path };
    dkr_client_opts_t opts = { .timeout_ms = 1000 * plm_docker_params.timeout };
    dkr_endpoint_t *ep = NULL;
    struct event_base *base = NULL;
    dkr_client_t *cli = NULL;
    struct probe { int done, rc; char errstr[400]; } p = { 0, DKR_ERR_IO, "" };
    int rc = -1;

    if (DKR_OK != dkr_endpoint_parse(plm_docker_params.host, &tls, &ep, p.errstr, sizeof(p.errstr))) {
        goto out;
    }
    if (NULL == (base = event_base_new()) || NULL == (cli = dkr_client_new(ep, &opts))
        || DKR_OK != dkr_libevent_attach(cli, base) || NULL == dkr_ping(cli, probe_done, &p)) {
        snprintf(p.errstr, sizeof(p.errstr), "out of memory");
        goto out;
    }
    while (!p.done && DKR_OK == dkr_libevent_run_until(base, &p.done, 0)) {
    }
    rc = p.done && DKR_OK == p.rc ? 0 : -1;
out:
    if (0 != rc) {
        snprintf(err, len, "%s: %s", plm_docker_params.host,
                 '\0' != p.errstr[0] ? p.errstr : dkr_strerror(p.rc));
    }
    dkr_client_free(cli);
    if (NULL != base) {
        event_base_free(base);
    }
    dkr_endpoint_free(ep);
    return rc;
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
    if (NULL != ln->progress) {
        event_free(ln->progress);
    }
    for (size_t i = 0; NULL != ln->paused && i < ln->n; i++) {
        if (NULL != ln->paused[i].ev) {
            event_free(ln->paused[i].ev);
        }
    }
    free(ln->paused);
    dkr_swarm_fetch_cancel(ln->fetch);
    dkr_jobc_free(ln->jobc);
    dkr_launch_free(ln->l);
    for (size_t i = 0; i < ln->n; i++) {
        RT->release(ln->daemons[i]);
    }
    for (size_t i = 0; i < ln->nall; i++) {
        RT->release(ln->all_daemons[i]);
    }
    free(ln->daemons);
    dkr_strv_free(ln->all_names);
    free(ln->all_daemons);
    free(ln->top);
    free(ln->root_of);
    dkr_strv_free(ln->vpids);
    dkr_strv_free(ln->nodes);
    dkr_strv_free(ln->argv);
    dkr_strv_free(ln->env);
    RT->release(ln->job);
    free(ln);
}

void plm_docker_core_finalize(void)
{
    dkr_watch_free(core.watch);
    core.watch = NULL;
    while (NULL != core.launches) {
        launch_t *ln = core.launches;
        core.launches = ln->next;
        launch_free(ln);
    }
    remove_job_containers();
    if (core.reaper_fd >= 0) {
        close(core.reaper_fd);     /* the reaper finds nothing left and ends */
        core.reaper_fd = -1;
    }
    dkr_strv_free(core.epmap);
    core.epmap = NULL;
    for (size_t i = 0; i < core.n_eps; i++) {
        dkr_client_free(core.eps[i].cli);
        free(core.eps[i].url);
        free(core.eps[i].node);
        free(core.eps[i].addr);
    }
    free(core.eps);
    core.eps = NULL;
    core.n_eps = 0;
    dkr_swarm_map_free(core.swarm);
    core.swarm = NULL;
    dkr_client_free(core.cli);
    core.cli = NULL;
    free(core.job);
    free(core.owner);
    free(core.user);
    free(core.workdir);
    dkr_strv_free(core.binds);
    dkr_strv_free(core.devices);
    dkr_strv_free(core.labels);
    dkr_strv_free(core.env_extra);
    memset(&core.spec, 0, sizeof(core.spec));
    core.job = core.owner = core.user = core.workdir = NULL;
    core.binds = core.devices = core.labels = core.env_extra = NULL;
}
