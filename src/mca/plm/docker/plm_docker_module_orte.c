/*
 * plm_docker_module_orte.c - ORTE glue of plm docker: hands the daemons of
 * each LAUNCH_DAEMONS step to the core (plm_docker_core.c) and implements
 * its hooks with ORTE's states, objects and help system.
 */
#include "orte_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opal/mca/base/base.h"
#include "opal/mca/if/if.h"
#include "opal/util/argv.h"
#include "opal/util/output.h"

#include "opal/dss/dss.h"

#include "orte/mca/errmgr/errmgr.h"
#include "orte/mca/oob/base/base.h"
#include "orte/mca/plm/base/base.h"
#include "orte/mca/plm/base/plm_private.h"
#include "orte/mca/rmaps/rmaps_types.h"
#include "orte/mca/rml/rml.h"
#include "orte/mca/routed/base/base.h"
#include "orte/mca/routed/routed.h"
#include "orte/mca/state/state.h"
#include "orte/runtime/orte_globals.h"
#include "orte/util/name_fns.h"
#include "orte/util/proc_info.h"
#include "orte/util/session_dir.h"
#include "orte/util/threads.h"

#include "dkr_orte.h"
#include "plm_docker.h"
#include "plm_docker_orte.h"

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

/* ------------------------------------------------------------ the hooks */

static void vverbose(int level, const char *fmt, va_list ap)
{
    char *msg = NULL;

    (void)level;
    if (0 <= vasprintf(&msg, fmt, ap)) {
        opal_output(orte_plm_base_framework.framework_output, "%s %s",
                    ORTE_NAME_PRINT(ORTE_PROC_MY_NAME), msg);
        free(msg);
    }
}

static int verbosity(void)
{
    return opal_output_get_verbosity(orte_plm_base_framework.framework_output);
}

/* orted and its basic arguments, as for any remote launch. */
static char **daemon_argv(int *vpid_index)
{
    char **argv = opal_argv_split(plm_docker_params.orted, ' ');
    int argc = opal_argv_count(argv), rc;

    if (ORTE_SUCCESS != (rc = orte_plm_base_orted_append_basic_args(&argc, &argv, "env", vpid_index))) {
        ORTE_ERROR_LOG(rc);
        opal_argv_free(argv);
        return NULL;
    }
    return argv;
}

static char **cmd_line(void)
{
    return orted_cmd_line;
}

static char *daemon_vpid(void *daemon)
{
    char *s = NULL;
    orte_util_convert_vpid_to_string(&s, ((orte_proc_t *)daemon)->name.vpid);
    return s;
}

static bool daemon_alive(void *daemon)
{
    return ORTE_FLAG_TEST((orte_proc_t *)daemon, ORTE_PROC_FLAG_ALIVE);
}

static void daemon_started(void *daemon)
{
    ((orte_proc_t *)daemon)->state = ORTE_PROC_STATE_RUNNING;
}

/* As rsh does for an agent that failed: ORTE stops the others and exits.
 * In a daemon (tree-spawn), as rsh's daemons do: tell mpirun which child
 * failed (orte_plm_base_daemon_failed reads a vpid and a wait status). */
static void daemon_failed(void *arg, int status)
{
    orte_proc_t *daemon = arg;
    orte_job_t *djob = orte_get_job_data_object(ORTE_PROC_MY_NAME->jobid);
    char *rtmod = orte_rml.get_routed(orte_coll_conduit);

    if (!ORTE_PROC_IS_HNP) {
        opal_buffer_t *buf = OBJ_NEW(opal_buffer_t);
        int wstatus = (0 == status ? ORTE_ERROR_DEFAULT_EXIT_CODE : status & 0xff) << 8;

        daemon->state = ORTE_PROC_STATE_FAILED_TO_START;
        opal_dss.pack(buf, &daemon->name.vpid, 1, ORTE_VPID);
        opal_dss.pack(buf, &wstatus, 1, OPAL_INT);
        if (0 > orte_rml.send_buffer_nb(orte_coll_conduit, ORTE_PROC_MY_HNP, buf,
                                        ORTE_RML_TAG_REPORT_REMOTE_LAUNCH,
                                        orte_rml_send_callback, NULL)) {
            OBJ_RELEASE(buf);
        }
        return;
    }

    ORTE_UPDATE_EXIT_STATUS((0 == status ? ORTE_ERROR_DEFAULT_EXIT_CODE : status));
    daemon->state = ORTE_PROC_STATE_FAILED_TO_START;
    if (NULL != djob) {
        djob->num_terminated++;
    }
    orte_routed.route_lost(rtmod, &daemon->name);
    ORTE_ACTIVATE_PROC_STATE(&daemon->name, ORTE_PROC_STATE_FAILED_TO_START);
}

/* As if its connection broke: ORTE's lost-daemon path aborts the job.  The
 * route goes first: a daemon that is frozen (paused container) keeps its
 * connection open, and ORTE's teardown would wait for that route forever. */
static void daemon_lost(void *arg)
{
    orte_proc_t *daemon = arg;
    char *rtmod = orte_rml.get_routed(orte_coll_conduit);

    ORTE_UPDATE_EXIT_STATUS(ORTE_ERROR_DEFAULT_EXIT_CODE);
    orte_routed.route_lost(rtmod, &daemon->name);
    ORTE_ACTIVATE_PROC_STATE(&daemon->name, ORTE_PROC_STATE_COMM_FAILED);
}

/* Nothing started: the job ends without the "FORCE-TERMINATE" noise. */
static void launch_failed(void *job)
{
    ORTE_UPDATE_EXIT_STATUS(ORTE_ERROR_DEFAULT_EXIT_CODE);
    ORTE_ACTIVATE_JOB_STATE((orte_job_t *)job, ORTE_JOB_STATE_NEVER_LAUNCHED);
}

static bool terminating(void)
{
    return orte_orteds_term_ordered || orte_abnormal_term_ordered || orte_finalizing;
}

static bool forward_output(void)
{
    return orte_debug_daemons_flag || orte_leave_session_attached || 5 <= verbosity();
}

static void retain(void *obj)
{
    OBJ_RETAIN(obj);
}

static void release(void *obj)
{
    OBJ_RELEASE(obj);
}

/* As rsh adds them: the daemon launches its children (--tree-spawn), routes
 * as this process does, and calls back through it (its URI). */
static char **tree_argv(void)
{
    char *uri = NULL, *rtmod = orte_rml.get_routed(orte_coll_conduit);
    char **argv = NULL;

    orte_oob_base_get_addr(&uri);
    if (NULL == uri || NULL == rtmod) {
        free(uri);
        return NULL;
    }
    opal_argv_append_nosize(&argv, "--tree-spawn");
    opal_argv_append_nosize(&argv, "-" OPAL_MCA_CMD_LINE_ID);
    opal_argv_append_nosize(&argv, "routed");
    opal_argv_append_nosize(&argv, rtmod);
    opal_argv_append_nosize(&argv, "-" OPAL_MCA_CMD_LINE_ID);
    opal_argv_append_nosize(&argv, "orte_parent_uri");
    opal_argv_append_nosize(&argv, uri);
    free(uri);
    return argv;
}

static const char *daemon_name(void *daemon)
{
    return ORTE_NAME_PRINT(&((orte_proc_t *)daemon)->name);
}

static const char *const mca_flags[] = { "-mca", "--mca", "-" OPAL_MCA_CMD_LINE_ID, NULL };
static const char *const env_forward[] = { OPAL_MCA_PREFIX, NULL };
/* mca_base_component_path: a directory of the launching host; in a
 * container a missing one stops the component scan (opal_init fails). */
static const char *const env_drop[] = { OPAL_MCA_PREFIX "plm", OPAL_MCA_PREFIX "ras",
                                        OPAL_MCA_PREFIX "mca_base_env_list",
                                        OPAL_MCA_PREFIX "mca_base_component_path", NULL };

static plm_docker_rt_t rt = {
    .mca = { .vshow_help = dkr_orte_vshow_help, .vverbose = vverbose, .verbosity = verbosity },
    .uri_param = "orte_hnp_uri",
    .parent_uri_param = "orte_parent_uri",
    .mca_flags = mca_flags,
    .env_forward = env_forward,
    .env_drop = env_drop,
    .oob_env_prefix = OPAL_MCA_PREFIX,
    .btl_env_prefix = OPAL_MCA_PREFIX,
    .daemon_argv = daemon_argv,
    .cmd_line = cmd_line,
    .var_set = dkr_orte_var_set,
    .daemon_vpid = daemon_vpid,
    .daemon_alive = daemon_alive,
    .daemon_started = daemon_started,
    .daemon_failed = daemon_failed,
    .daemon_lost = daemon_lost,
    .launch_failed = launch_failed,
    .terminating = terminating,
    .forward_output = forward_output,
    .retain = retain,
    .release = release,
    .tree_argv = tree_argv,
    .daemon_name = daemon_name,
};

/* Tree-spawn, only at the first launch (later ones, e.g. add-host, are flat,
 * as rsh does): the root of each daemon's subtree among the new daemons,
 * from the routing module (the route from here to a daemon is the child of
 * mpirun above it).  NULL: flat. */
static bool tree_done;

static size_t *tree_roots(size_t n, void *const *daemons)
{
    char *rtmod = orte_rml.get_routed(orte_coll_conduit);
    size_t *top;
    bool saved, saved_base;

    if (!plm_docker_params.tree_spawn || tree_done || NULL == (top = calloc(n + 1, sizeof(*top)))) {
        return NULL;
    }
    tree_done = true;
    /* the routing module answers with the target itself until routing is
     * enabled (after the daemons report): ask it as it will route then */
    saved = orte_routing_is_enabled;
    saved_base = orte_routed_base.routing_enabled;
    orte_routing_is_enabled = orte_routed_base.routing_enabled = true;
    for (size_t i = 0; i < n; i++) {
        orte_proc_t *d = daemons[i];
        orte_process_name_t via = orte_routed.get_route(rtmod, &d->name);
        size_t j = 0;

        while (j < n && ((orte_proc_t *)daemons[j])->name.vpid != via.vpid) {
            j++;
        }
        if (j == n) {     /* reached through a daemon of an earlier launch */
            free(top);
            top = NULL;
            break;
        }
        top[i] = j;
    }
    orte_routing_is_enabled = saved;
    orte_routed_base.routing_enabled = saved_base;
    return top;
}

/* ---------------------------------------------------------------- module */

static void launch_daemons(int fd, short args, void *cbdata)
{
    orte_state_caddy_t *state = (orte_state_caddy_t *)cbdata;
    orte_job_t *djob;
    orte_job_map_t *map;
    const char **names = NULL;
    void **daemons = NULL;
    size_t n = 0;
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
    names = calloc((size_t)map->nodes->size + 1, sizeof(*names));
    daemons = calloc((size_t)map->nodes->size + 1, sizeof(*daemons));
    for (int i = 0; NULL != names && NULL != daemons && i < map->nodes->size; i++) {
        orte_node_t *node = opal_pointer_array_get_item(map->nodes, i);

        if (NULL != node && !ORTE_FLAG_TEST(node, ORTE_NODE_FLAG_DAEMON_LAUNCHED)
            && NULL != node->daemon) {
            names[n] = node->name;
            daemons[n++] = node->daemon;
        }
    }
    /* the job moves on when the daemons call back (orte_plm_base_daemon_callback) */
    state->jdata->state = ORTE_JOB_STATE_DAEMONS_LAUNCHED;
    if (NULL == names || NULL == daemons) {
        launch_failed(state->jdata);
    } else {
        size_t *top = tree_roots(n, daemons);

        if (NULL != top) {
            opal_output_verbose(1, orte_plm_base_framework.framework_output,
                                "%s plm:docker: tree launch using routed/%s",
                                ORTE_NAME_PRINT(ORTE_PROC_MY_NAME),
                                orte_rml.get_routed(orte_coll_conduit));
        }
        plm_docker_core_launch(state->jdata, n, names, daemons, top);
        free(top);
    }
    free(names);
    free(daemons);
    OBJ_RELEASE(state);
    return;

none_to_launch:
    state->jdata->state = ORTE_JOB_STATE_DAEMONS_LAUNCHED;
    ORTE_ACTIVATE_JOB_STATE(state->jdata, ORTE_JOB_STATE_DAEMONS_REPORTED);
    OBJ_RELEASE(state);
}

static int docker_init(void)
{
    int rc;

    rt.base = orte_event_base;
    plm_docker_core_init(&rt);
    if (ORTE_PROC_IS_DAEMON) {
        char why[512];

        /* A daemon loads this launcher only to tree-spawn.  Unable to reach
         * the engine, it ends here, before it contacts its parent: mpirun
         * sees it end and launches its subtree itself. */
        if (0 != plm_docker_core_probe(why, sizeof(why))) {
            fprintf(stderr, "%s plm:docker: this daemon cannot launch daemons: %s\n",
                    ORTE_NAME_PRINT(ORTE_PROC_MY_NAME), why);
            fflush(stderr);
            return ORTE_ERR_SILENT;
        }
        opal_output_verbose(1, orte_plm_base_framework.framework_output,
                            "%s plm:docker: this daemon tree-spawns through %s",
                            ORTE_NAME_PRINT(ORTE_PROC_MY_NAME), plm_docker_params.host);
    }
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

/* In a daemon started with --tree-spawn and plm docker: launch its children
 * in the routing tree, each in the container its node names, as rsh's
 * remote_spawn does (children fail to mpirun via REPORT_REMOTE_LAUNCH). */
static int docker_remote_spawn(void)
{
    char *rtmod = orte_rml.get_routed(orte_coll_conduit);
    orte_job_t *djob = orte_get_job_data_object(ORTE_PROC_MY_NAME->jobid);
    opal_list_t coll;
    orte_namelist_t *child;
    const char **names = NULL;
    void **daemons = NULL;
    size_t n = 0, cap;
    int rc = ORTE_SUCCESS;

    OBJ_CONSTRUCT(&coll, opal_list_t);
    orte_routed.get_routing_list(rtmod, &coll);
    cap = opal_list_get_size(&coll);
    opal_output_verbose(1, orte_plm_base_framework.framework_output,
                        "%s plm:docker: remote spawn of %d children", ORTE_NAME_PRINT(ORTE_PROC_MY_NAME),
                        (int)cap);
    if (0 == cap) {
        OBJ_DESTRUCT(&coll);
        return ORTE_SUCCESS;
    }
    names = calloc(cap + 1, sizeof(*names));
    daemons = calloc(cap + 1, sizeof(*daemons));
    OPAL_LIST_FOREACH(child, &coll, orte_namelist_t) {
        orte_process_name_t target = { .jobid = ORTE_PROC_MY_NAME->jobid, .vpid = child->name.vpid };
        orte_proc_t *d;
        char *host;

        if (NULL == names || NULL == daemons || NULL == djob
            || NULL == (host = orte_get_proc_hostname(&target))) {
            opal_output(0, "%s plm:docker: no node known for daemon %s",
                        ORTE_NAME_PRINT(ORTE_PROC_MY_NAME), ORTE_VPID_PRINT(child->name.vpid));
            rc = ORTE_ERR_NOT_FOUND;
            break;
        }
        /* as rsh: a proc object of our own for the child */
        d = OBJ_NEW(orte_proc_t);
        d->name = target;
        names[n] = host;
        daemons[n++] = d;
    }
    OPAL_LIST_DESTRUCT(&coll);
    if (ORTE_SUCCESS == rc) {
        plm_docker_core_remote_spawn(djob, n, names, daemons);
    } else {
        opal_buffer_t *buf = OBJ_NEW(opal_buffer_t);
        int wstatus = ORTE_ERROR_DEFAULT_EXIT_CODE << 8;

        opal_dss.pack(buf, &ORTE_PROC_MY_NAME->vpid, 1, ORTE_VPID);
        opal_dss.pack(buf, &wstatus, 1, OPAL_INT);
        if (0 > orte_rml.send_buffer_nb(orte_coll_conduit, ORTE_PROC_MY_HNP, buf,
                                        ORTE_RML_TAG_REPORT_REMOTE_LAUNCH,
                                        orte_rml_send_callback, NULL)) {
            OBJ_RELEASE(buf);
        }
    }
    for (size_t i = 0; i < n; i++) {
        OBJ_RELEASE(daemons[i]);   /* the core keeps its own references */
    }
    free(names);
    free(daemons);
    return rc;
}

static int docker_terminate_orteds(void)
{
    int rc;

    plm_docker_core_stop();
    if (ORTE_SUCCESS != (rc = orte_plm_base_orted_exit(ORTE_DAEMON_EXIT_CMD))) {
        ORTE_ERROR_LOG(rc);
    }
    return rc;
}

static int docker_finalize(void)
{
    int rc;

    plm_docker_core_finalize();
    if (ORTE_SUCCESS != (rc = orte_plm_base_comm_stop())) {
        ORTE_ERROR_LOG(rc);
    }
    return rc;
}
