/*
 * plm_docker_module_orte.c - ORTE glue of plm docker: turns ORTE's
 * LAUNCH_DAEMONS step into a dkr_launch (resolve containers, exec orted in
 * each) and its outcomes back into ORTE states and help messages.
 *
 * Everything runs on orte_event_base: the Docker client is attached to it,
 * so launches proceed in parallel and mpirun never blocks on the engine.
 */
#include "orte_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "opal/mca/base/base.h"
#include "opal/util/argv.h"
#include "opal/mca/if/if.h"
#include "opal/util/output.h"

#include "orte/mca/errmgr/errmgr.h"
#include "orte/mca/plm/base/base.h"
#include "orte/mca/plm/base/plm_private.h"
#include "orte/mca/rmaps/rmaps_types.h"
#include "orte/mca/rml/rml.h"
#include "orte/mca/routed/routed.h"
#include "orte/mca/state/state.h"
#include "orte/runtime/orte_globals.h"
#include "orte/runtime/orte_wait.h"
#include "orte/util/name_fns.h"
#include "orte/util/show_help.h"

#include "dkr.h"
#include "dkr_launch.h"
#include "dkr_libevent.h"
#include "dkr_plan.h"
#include "dkr_orte.h"
#include "plm_docker.h"
#include "plm_docker_orte.h"

extern char **environ;

static int docker_init(void);
static int docker_spawn(orte_job_t *jdata);
static int docker_remote_spawn(void);
static int docker_terminate_orteds(void);
static int docker_finalize(void);

orte_plm_base_module_t plm_docker_orte_module = {
    .init = docker_init,
    .set_hnp_name = orte_plm_base_set_hnp_name,
    .spawn = docker_spawn,
    .remote_spawn = docker_remote_spawn,
    .terminate_job = orte_plm_base_orted_terminate_job,
    .terminate_orteds = docker_terminate_orteds,
    .terminate_procs = orte_plm_base_orted_kill_local_procs,
    .signal_job = orte_plm_base_orted_signal_local_procs,
    .finalize = docker_finalize,
};

/* One LAUNCH_DAEMONS step: the daemons it starts and their containers. */
typedef struct launch {
    struct launch *next;
    dkr_launch_t *l;
    orte_job_t *jdata;          /* the job that asked for the daemons */
    orte_proc_t **daemons;      /* by target index, retained */
    size_t n;
    char **argv;                /* daemon argv; argv[vpid_index] per daemon */
    int vpid_index;
    char **env;
    opal_event_t timer;
    bool timer_armed;
    size_t started;
    size_t last_progress;
    bool failed;
} launch_t;

static struct {
    dkr_client_t *cli;
    launch_t *launches;
    bool tree_warned;
} mod;

#define OUT orte_plm_base_framework.framework_output
#define ME ORTE_NAME_PRINT(ORTE_PROC_MY_NAME)

/* ------------------------------------------------------------- messages */

static const char *endpoint_url(dkr_client_t *cli)
{
    const dkr_endpoint_t *ep = NULL == cli ? NULL : dkr_client_endpoint(cli);
    return NULL == ep ? plm_docker_params.host : ep->url;
}

static void show_resolve_failures(launch_t *ln)
{
    int rc;
    const char *err;
    dkr_client_t *cli;
    dkr_fail_t f = dkr_launch_global_failure(ln->l, &rc, &err, &cli);

    if (DKR_FAIL_ENDPOINT == f) {
        dkr_orte_show_endpoint_failure(rc, err, endpoint_url(cli));
        return;
    }
    for (size_t i = 0; i < ln->n; i++) {
        const char *name = dkr_launch_name(ln->l, i);
        const dkr_container_t *c = dkr_launch_container(ln->l, i);

        switch (dkr_launch_failure(ln->l, i, &rc, &err)) {
        case DKR_FAIL_NO_CONTAINER:
            orte_show_help(PLM_DOCKER_HELP_FILE, "no-such-container", true, name, endpoint_url(mod.cli));
            break;
        case DKR_FAIL_NOT_RUNNING:
            orte_show_help(PLM_DOCKER_HELP_FILE, "container-not-running", true, name,
                           endpoint_url(mod.cli), NULL == c ? "unknown" : c->state);
            break;
        case DKR_FAIL_INSPECT:
            orte_show_help(PLM_DOCKER_HELP_FILE, "inspect-failed", true, name, endpoint_url(mod.cli),
                           NULL == err ? dkr_strerror(rc) : err);
            break;
        default:
            break;
        }
    }
    if (DKR_FAIL_NETWORK == f) {
        orte_show_help(PLM_DOCKER_HELP_FILE, "no-shared-network", true, err);
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

/* ------------------------------------------------------------ failures */

/* The whole launch failed before any daemon started: end the job cleanly. */
static void fail_before_start(launch_t *ln)
{
    ln->failed = true;
    ORTE_UPDATE_EXIT_STATUS(ORTE_ERROR_DEFAULT_EXIT_CODE);
    ORTE_ACTIVATE_JOB_STATE(ln->jdata, ORTE_JOB_STATE_NEVER_LAUNCHED);
}

/* One daemon will never call back: tell ORTE, as rsh does for a failed
 * agent, so the errmgr stops the others and mpirun exits. */
static void fail_daemon(launch_t *ln, orte_proc_t *daemon, int status)
{
    orte_job_t *djob = orte_get_job_data_object(ORTE_PROC_MY_NAME->jobid);
    char *rtmod = orte_rml.get_routed(orte_coll_conduit);

    ln->failed = true;
    ORTE_UPDATE_EXIT_STATUS((0 == status ? ORTE_ERROR_DEFAULT_EXIT_CODE : status));
    daemon->state = ORTE_PROC_STATE_FAILED_TO_START;
    if (NULL != djob) {
        djob->num_terminated++;
    }
    orte_routed.route_lost(rtmod, &daemon->name);
    ORTE_ACTIVATE_PROC_STATE(&daemon->name, ORTE_PROC_STATE_FAILED_TO_START);
}

static bool terminating(void)
{
    return orte_orteds_term_ordered || orte_abnormal_term_ordered || orte_finalizing;
}

/* ------------------------------------------------------- start-up timer */

static size_t alive_count(launch_t *ln)
{
    size_t n = 0;
    for (size_t i = 0; i < ln->n; i++) {
        n += ORTE_FLAG_TEST(ln->daemons[i], ORTE_PROC_FLAG_ALIVE) ? 1 : 0;
    }
    return n;
}

static void arm_timer(launch_t *ln)
{
    struct timeval tv = { .tv_sec = plm_docker_params.timeout, .tv_usec = 0 };
    opal_event_evtimer_add(&ln->timer, &tv);
    ln->timer_armed = true;
}

/* Fires every plm_docker_timeout seconds until every daemon has called back;
 * a whole period without a daemon starting or calling back is a failure. */
static void startup_timer(int fd, short what, void *arg)
{
    launch_t *ln = arg;
    size_t alive = alive_count(ln), progress = ln->started + alive;
    char *names = NULL;
    orte_proc_t *first = NULL;

    (void)fd;
    (void)what;
    ln->timer_armed = false;
    if (ln->failed || terminating() || alive == ln->n) {
        return;
    }
    if (progress != ln->last_progress) {
        ln->last_progress = progress;
        arm_timer(ln);
        return;
    }
    for (size_t i = 0; i < ln->n; i++) {
        if (!ORTE_FLAG_TEST(ln->daemons[i], ORTE_PROC_FLAG_ALIVE)) {
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
    orte_show_help(PLM_DOCKER_HELP_FILE, "daemon-timeout", true, plm_docker_params.timeout,
                   (int)(ln->n - alive), NULL == names ? "" : names, endpoint_url(mod.cli));
    free(names);
    if (NULL != first) {
        fail_daemon(ln, first, ORTE_ERROR_DEFAULT_EXIT_CODE);
    }
}

/* ------------------------------------------------------ daemon command */

static bool is_mca_flag(const char *s)
{
    return 0 == strcmp(s, "-mca") || 0 == strcmp(s, "--mca") || 0 == strcmp(s, "-"OPAL_MCA_CMD_LINE_ID);
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

/* Did the user set param, for the daemons or in mpirun itself? */
static bool user_set(launch_t *ln, const char *framework, const char *component, const char *name)
{
    char param[256], envname[300];

    snprintf(param, sizeof(param), "%s_%s_%s", framework, component, name);
    snprintf(envname, sizeof(envname), OPAL_MCA_PREFIX "%s", param);
    return in_argv(ln->argv, param) || dkr_env_has((const char *const *)ln->env, envname)
           || dkr_orte_var_set(framework, component, name);
}

/* Removes "-mca name value" triples whose name starts with prefix. */
static void drop_params(char ***argv, const char *prefix)
{
    int argc = opal_argv_count(*argv);

    for (int i = 0; NULL != (*argv)[i];) {
        if (is_mca_flag((*argv)[i]) && NULL != (*argv)[i + 1] && NULL != (*argv)[i + 2]
            && 0 == strncmp((*argv)[i + 1], prefix, strlen(prefix))) {
            opal_argv_delete(&argc, argv, i, 3);
        } else {
            i++;
        }
    }
}

/* The daemon argv, without a shell in between: orted, ORTE's basic
 * arguments, and the multi-word values ORTE leaves out for remote shells. */
static int build_daemon_cmd(launch_t *ln, const dkr_net_choice_t *net)
{
    static const char *const forward[] = { OPAL_MCA_PREFIX, NULL };
    static const char *const drop[] = { OPAL_MCA_PREFIX "plm", OPAL_MCA_PREFIX "ras",
                                        OPAL_MCA_PREFIX "mca_base_env_list", NULL };
    char *extra[3] = { NULL, NULL, NULL };
    int argc, rc, nextra = 0;
    char **env;

    ln->argv = opal_argv_split(plm_docker_params.orted, ' ');
    argc = opal_argv_count(ln->argv);
    if (ORTE_SUCCESS != (rc = orte_plm_base_orted_append_basic_args(&argc, &ln->argv, "env",
                                                                    &ln->vpid_index))) {
        ORTE_ERROR_LOG(rc);
        return rc;
    }
    for (int i = 0; NULL != orted_cmd_line && NULL != orted_cmd_line[i]; i += 3) {
        if (NULL != strchr(orted_cmd_line[i + 2], ' ') && 0 != strcmp(orted_cmd_line[i + 1], "plm")
            && !in_argv(ln->argv, orted_cmd_line[i + 1])) {
            opal_argv_append(&argc, &ln->argv, orted_cmd_line[i]);
            opal_argv_append(&argc, &ln->argv, orted_cmd_line[i + 1]);
            opal_argv_append(&argc, &ln->argv, orted_cmd_line[i + 2]);
        }
    }
    drop_params(&ln->argv, "plm_docker_");
    drop_params(&ln->argv, "ras_docker_");
    for (int i = 0; NULL != ln->argv[i]; i++) {
        if (0 == strcmp(ln->argv[i], "<template>")) {
            ln->vpid_index = i;    /* deletions above may have moved it */
        }
        if ('\0' != net->cidr[0] && 0 == strcmp(ln->argv[i], "orte_hnp_uri") && NULL != ln->argv[i + 1]) {
            char *uri = dkr_plan_filter_uri(ln->argv[i + 1], net->cidr);
            if (NULL != uri) {
                free(ln->argv[i + 1]);
                ln->argv[i + 1] = uri;
            }
        }
    }

    /* The environment first, so that user_set sees what it forwards. */
    ln->env = dkr_plan_env(environ, forward, drop, NULL);
    if (NULL == ln->env) {
        return ORTE_ERR_OUT_OF_RESOURCE;
    }
    /* Point the daemons' and ranks' TCP at the shared network, unless the
     * user chose interfaces. */
    if ('\0' != net->cidr[0]) {
        if (!user_set(ln, "oob", "tcp", "if_include") && !user_set(ln, "oob", "tcp", "if_exclude")) {
            asprintf(&extra[nextra++], OPAL_MCA_PREFIX "oob_tcp_if_include=%s", net->cidr);
        }
        if (!user_set(ln, "btl", "tcp", "if_include") && !user_set(ln, "btl", "tcp", "if_exclude")) {
            asprintf(&extra[nextra++], OPAL_MCA_PREFIX "btl_tcp_if_include=%s", net->cidr);
        }
    }
    env = dkr_plan_env(ln->env, forward, NULL, (const char *const *)extra);
    for (int i = 0; i < nextra; i++) {
        free(extra[i]);
    }
    if (NULL == env) {
        return ORTE_ERR_OUT_OF_RESOURCE;
    }
    dkr_strv_free(ln->env);
    ln->env = env;
    return ORTE_SUCCESS;
}

/* ------------------------------------------------------ launch callbacks */

static void on_resolved(dkr_launch_t *l, int ok, void *arg)
{
    launch_t *ln = arg;
    const dkr_net_choice_t *net = dkr_launch_network(l);
    int rc;

    if (terminating()) {
        return;
    }
    if (!ok) {
        show_resolve_failures(ln);
        fail_before_start(ln);
        return;
    }
    opal_output_verbose(2, OUT, "%s plm:docker: %d containers found; network %s (%s), launching host %s",
                        ME, (int)ln->n, '\0' == net->network[0] ? "(none)" : net->network,
                        net->cidr, '\0' == net->host_ip[0] ? "not on it" : net->host_ip);
    if (ORTE_SUCCESS != (rc = build_daemon_cmd(ln, net))) {
        fail_before_start(ln);
        return;
    }
    if (0 < opal_output_get_verbosity(OUT)) {
        char *cmd = opal_argv_join(ln->argv, ' ');
        opal_output(OUT, "%s plm:docker: daemon argv: %s", ME, cmd);
        free(cmd);
    }
    for (size_t i = 0; i < ln->n && !ln->failed; i++) {
        orte_proc_t *daemon = ln->daemons[i];
        const char *user = plm_docker_params.user;
        char *vpid = NULL;
        dkr_exec_spec_t spec = { 0 };

        orte_util_convert_vpid_to_string(&vpid, daemon->name.vpid);
        free(ln->argv[ln->vpid_index]);
        ln->argv[ln->vpid_index] = vpid;
        spec.cmd = (const char *const *)ln->argv;
        spec.env = (const char *const *)ln->env;
        spec.user = NULL == user || '\0' == user[0] ? NULL : user;
        if (DKR_OK != dkr_launch_start(l, i, &spec)) {
            ORTE_ERROR_LOG(ORTE_ERR_OUT_OF_RESOURCE);
            fail_daemon(ln, daemon, ORTE_ERROR_DEFAULT_EXIT_CODE);
            return;
        }
    }
    opal_event_evtimer_set(orte_event_base, &ln->timer, startup_timer, ln);
    arm_timer(ln);
}

static void on_started(dkr_launch_t *l, size_t i, void *arg)
{
    launch_t *ln = arg;

    (void)l;
    ln->started++;
    ln->daemons[i]->state = ORTE_PROC_STATE_RUNNING;
    opal_output_verbose(1, OUT, "%s plm:docker: daemon %s started in container %s",
                        ME, ORTE_VPID_PRINT(ln->daemons[i]->name.vpid), dkr_launch_name(l, i));
}

/* Only with --debug-daemons or verbose output: as rsh shows ssh's. */
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
    orte_proc_t *daemon = ln->daemons[i];
    const char *name = dkr_launch_name(l, i);
    char reason[512];

    daemon_reason(res, exit_code, reason, sizeof(reason));
    opal_output_verbose(1, OUT, "%s plm:docker: daemon %s in container %s ended: %s",
                        ME, ORTE_VPID_PRINT(daemon->name.vpid), name, reason);
    if (terminating() || (DKR_OK == res->rc && 0 == exit_code && ln->failed)) {
        return;
    }
    if (!ORTE_FLAG_TEST(daemon, ORTE_PROC_FLAG_ALIVE)) {
        orte_show_help(PLM_DOCKER_HELP_FILE, "daemon-failed-to-start", true, ln->argv[0], name,
                       endpoint_url(mod.cli), reason, dkr_launch_output(l, i));
        fail_daemon(ln, daemon, DKR_OK == res->rc ? exit_code : ORTE_ERROR_DEFAULT_EXIT_CODE);
    } else {
        orte_show_help(PLM_DOCKER_HELP_FILE, "daemon-died", true, ln->argv[0], name,
                       endpoint_url(mod.cli), reason, dkr_launch_output(l, i));
        ORTE_UPDATE_EXIT_STATUS(ORTE_ERROR_DEFAULT_EXIT_CODE);
        ORTE_ACTIVATE_PROC_STATE(&daemon->name, ORTE_PROC_STATE_COMM_FAILED);
    }
}

static const dkr_launch_ops_t launch_ops = {
    .resolved = on_resolved,
    .started = on_started,
    .output = on_output,
    .finished = on_finished,
};

/* ---------------------------------------------------------------- client */

static void trace_call(void *arg, const char *method, const char *path, long status, int rc,
                       double seconds)
{
    (void)arg;
    opal_output_verbose(5, OUT, "%s plm:docker: %s %s -> %ld%s%s (%.1f ms)", ME, method, path,
                        status, DKR_OK == rc ? "" : " ", DKR_OK == rc ? "" : dkr_strerror(rc),
                        seconds * 1e3);
}

static int client_setup(void)
{
    dkr_client_opts_t opts = { .timeout_ms = 1000 * plm_docker_params.timeout,
                               .max_connections = 1 << 20 };
    dkr_endpoint_t *ep = dkr_orte_endpoint(plm_docker_params.host, plm_docker_params.tls_verify,
                                           plm_docker_params.cert_path);

    if (NULL == ep) {
        return ORTE_ERR_SILENT;
    }
    mod.cli = dkr_client_new(ep, &opts);
    dkr_endpoint_free(ep);
    if (NULL == mod.cli || DKR_OK != dkr_libevent_attach(mod.cli, orte_event_base)) {
        dkr_client_free(mod.cli);
        mod.cli = NULL;
        return ORTE_ERR_OUT_OF_RESOURCE;
    }
    dkr_client_set_trace(mod.cli, trace_call, NULL);
    return ORTE_SUCCESS;
}

/* ---------------------------------------------------------------- module */

static void launch_daemons(int fd, short args, void *cbdata)
{
    orte_state_caddy_t *state = (orte_state_caddy_t *)cbdata;
    orte_job_t *djob;
    orte_job_map_t *map;
    launch_t *ln = NULL;
    dkr_launch_opts_t opts = { 0 };
    char **addrs;
    int rc;

    (void)fd;
    (void)args;
    ORTE_ACQUIRE_OBJECT(state);
    if (ORTE_FLAG_TEST(state->jdata, ORTE_JOB_FLAG_DEBUGGER_DAEMON)) {
        goto none_to_launch;
    }
    djob = orte_get_job_data_object(ORTE_PROC_MY_NAME->jobid);
    if (ORTE_SUCCESS != (rc = orte_plm_base_setup_virtual_machine(state->jdata))) {
        ORTE_ERROR_LOG(rc);
        OBJ_RELEASE(state);
        ORTE_FORCED_TERMINATE(ORTE_ERROR_DEFAULT_EXIT_CODE);
        return;
    }
    if (orte_do_not_launch || NULL == (map = djob->map) || 0 == map->num_new_daemons) {
        goto none_to_launch;
    }
    if (plm_docker_params.tree_spawn && !mod.tree_warned) {
        orte_show_help(PLM_DOCKER_HELP_FILE, "tree-spawn-unsupported", true);
        mod.tree_warned = true;
    }

    if (NULL == (ln = calloc(1, sizeof(*ln)))
        || NULL == (ln->daemons = calloc((size_t)map->nodes->size + 1, sizeof(*ln->daemons)))) {
        free(ln);
        OBJ_RELEASE(state);
        ORTE_FORCED_TERMINATE(ORTE_ERR_OUT_OF_RESOURCE);
        return;
    }
    ln->jdata = state->jdata;
    OBJ_RETAIN(ln->jdata);
    ln->next = mod.launches;
    mod.launches = ln;
    if (NULL == mod.cli && ORTE_SUCCESS != client_setup()) {
        fail_before_start(ln);
        OBJ_RELEASE(state);
        return;
    }

    opts.max_concurrent = plm_docker_params.num_concurrent;
    opts.network = plm_docker_params.network;
    opts.forward_output = orte_debug_daemons_flag || orte_leave_session_attached
                          || 5 <= opal_output_get_verbosity(OUT);
    ln->l = dkr_launch_new(&opts, &launch_ops, ln);
    for (int i = 0; NULL != ln->l && i < map->nodes->size; i++) {
        orte_node_t *node = opal_pointer_array_get_item(map->nodes, i);

        if (NULL == node || ORTE_FLAG_TEST(node, ORTE_NODE_FLAG_DAEMON_LAUNCHED)
            || NULL == node->daemon) {
            continue;
        }
        if ((size_t)-1 == dkr_launch_add(ln->l, mod.cli, node->name)) {
            break;
        }
        ln->daemons[ln->n++] = node->daemon;
        OBJ_RETAIN(node->daemon);
        opal_output_verbose(1, OUT, "%s plm:docker: daemon %s goes to container %s", ME,
                            ORTE_VPID_PRINT(node->daemon->name.vpid), node->name);
    }
    /* the job moves on when the daemons call back (orte_plm_base_daemon_callback) */
    state->jdata->state = ORTE_JOB_STATE_DAEMONS_LAUNCHED;
    addrs = dkr_host_ipv4_addrs();
    if (NULL == ln->l || NULL == addrs
        || DKR_OK != dkr_launch_resolve(ln->l, (const char *const *)addrs)) {
        ORTE_ERROR_LOG(ORTE_ERR_OUT_OF_RESOURCE);
        fail_before_start(ln);
    }
    dkr_strv_free(addrs);
    OBJ_RELEASE(state);
    return;

none_to_launch:
    state->jdata->state = ORTE_JOB_STATE_DAEMONS_LAUNCHED;
    ORTE_ACTIVATE_JOB_STATE(state->jdata, ORTE_JOB_STATE_DAEMONS_REPORTED);
    OBJ_RELEASE(state);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;

    /* each daemon's exec stream holds a socket for the life of the job */
    if (0 == getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int docker_init(void)
{
    int rc;

    if (ORTE_SUCCESS != (rc = orte_state.add_job_state(ORTE_JOB_STATE_LAUNCH_DAEMONS,
                                                       launch_daemons, ORTE_SYS_PRI))) {
        ORTE_ERROR_LOG(rc);
        return rc;
    }
    if (ORTE_SUCCESS != (rc = orte_plm_base_comm_start())) {
        ORTE_ERROR_LOG(rc);
        return rc;
    }
    /* Node names are containers: never ask DNS about them (each failed
     * lookup costs a fraction of a second), the API knows them. */
    opal_if_do_not_resolve = true;
    orte_plm_globals.daemon_nodes_assigned_at_launch = true;
    raise_fd_limit();
    return ORTE_SUCCESS;
}

static int docker_spawn(orte_job_t *jdata)
{
    if (ORTE_FLAG_TEST(jdata, ORTE_JOB_FLAG_RESTART)) {
        ORTE_ACTIVATE_JOB_STATE(jdata, ORTE_JOB_STATE_MAP);
    } else {
        ORTE_ACTIVATE_JOB_STATE(jdata, ORTE_JOB_STATE_INIT);
    }
    return ORTE_SUCCESS;
}

/* Daemons never open this component unless told to tree-spawn, which is
 * not offered yet. */
static int docker_remote_spawn(void)
{
    return ORTE_ERR_NOT_IMPLEMENTED;
}

static int docker_terminate_orteds(void)
{
    int rc;

    /* no new daemons once the job is ending */
    for (launch_t *ln = mod.launches; NULL != ln; ln = ln->next) {
        if (NULL != ln->l) {
            dkr_launch_cancel_queued(ln->l);
        }
    }
    if (ORTE_SUCCESS != (rc = orte_plm_base_orted_exit(ORTE_DAEMON_EXIT_CMD))) {
        ORTE_ERROR_LOG(rc);
    }
    return rc;
}

static void launch_free(launch_t *ln)
{
    if (ln->timer_armed) {
        opal_event_evtimer_del(&ln->timer);
    }
    dkr_launch_free(ln->l);
    for (size_t i = 0; i < ln->n; i++) {
        OBJ_RELEASE(ln->daemons[i]);
    }
    free(ln->daemons);
    opal_argv_free(ln->argv);
    dkr_strv_free(ln->env);
    if (NULL != ln->jdata) {
        OBJ_RELEASE(ln->jdata);
    }
    free(ln);
}

static int docker_finalize(void)
{
    int rc;

    while (NULL != mod.launches) {
        launch_t *ln = mod.launches;
        mod.launches = ln->next;
        launch_free(ln);
    }
    dkr_client_free(mod.cli);
    mod.cli = NULL;
    if (ORTE_SUCCESS != (rc = orte_plm_base_comm_stop())) {
        ORTE_ERROR_LOG(rc);
    }
    return rc;
}
