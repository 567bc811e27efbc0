/*
 * plm_docker_module_prte.c - PRRTE (Open MPI 5) glue of plm docker: hands
 * the daemons of each LAUNCH_DAEMONS step to the core (plm_docker_core.c)
 * and implements its hooks with PRRTE's states, objects and help system.
 */
#include "prte_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/mca/base/pmix_base.h"
#include "src/util/pmix_argv.h"
#include "src/util/pmix_output.h"

#include "src/mca/errmgr/errmgr.h"
#include "src/mca/plm/base/base.h"
#include "src/mca/plm/base/plm_private.h"
#include "src/mca/rmaps/rmaps_types.h"
#include "src/mca/state/state.h"
#include "src/rml/rml.h"
#include "src/runtime/prte_globals.h"
#include "src/util/name_fns.h"

#include "dkr_prte.h"
#include "plm_docker.h"
#include "plm_docker_prte.h"

static int docker_init(void);
static int docker_spawn(prte_job_t *jdata);
static int docker_remote_spawn(void);
static int docker_terminate_prteds(void);
static int docker_finalize(void);

prte_plm_base_module_t plm_docker_prte_module = {
    .init = docker_init,
    .set_hnp_name = prte_plm_base_set_hnp_name,
    .spawn = docker_spawn,
    .remote_spawn = docker_remote_spawn,
    .terminate_job = prte_plm_base_prted_terminate_job,
    .terminate_orteds = docker_terminate_prteds,
    .terminate_procs = prte_plm_base_prted_kill_local_procs,
    .signal_job = prte_plm_base_prted_signal_local_procs,
    .finalize = docker_finalize,
};

/* ------------------------------------------------------------ the hooks */

static void vverbose(int level, const char *fmt, va_list ap)
{
    char *msg = NULL;

    (void)level;
    if (0 <= vasprintf(&msg, fmt, ap)) {
        pmix_output(prte_plm_base_framework.framework_output, "%s %s",
                    PRTE_NAME_PRINT(PRTE_PROC_MY_NAME), msg);
        free(msg);
    }
}

static int verbosity(void)
{
    return pmix_output_get_verbosity(prte_plm_base_framework.framework_output);
}

/* prted and its basic arguments, as for any remote launch. */
static char **daemon_argv(int *vpid_index)
{
    char **argv = pmix_argv_split(plm_docker_params.orted, ' ');
    int argc = pmix_argv_count(argv), rc;

    if (PRTE_SUCCESS != (rc = prte_plm_base_prted_append_basic_args(&argc, &argv, "env", vpid_index))) {
        PRTE_ERROR_LOG(rc);
        pmix_argv_free(argv);
        return NULL;
    }
    return argv;
}

static char **cmd_line(void)
{
    return prted_cmd_line;
}

static char *daemon_vpid(void *daemon)
{
    char *s = NULL;
    prte_util_convert_vpid_to_string(&s, ((prte_proc_t *)daemon)->name.rank);
    return s;
}

static bool daemon_alive(void *daemon)
{
    return PRTE_FLAG_TEST((prte_proc_t *)daemon, PRTE_PROC_FLAG_ALIVE);
}

static void daemon_started(void *daemon)
{
    ((prte_proc_t *)daemon)->state = PRTE_PROC_STATE_RUNNING;
}

/* As ssh does for an agent that failed: PRRTE stops the others and exits. */
static void daemon_failed(void *arg, int status)
{
    prte_proc_t *daemon = arg;
    prte_job_t *djob = prte_get_job_data_object(PRTE_PROC_MY_NAME->nspace);

    PRTE_UPDATE_EXIT_STATUS((0 == status ? PRTE_ERROR_DEFAULT_EXIT_CODE : status));
    daemon->state = PRTE_PROC_STATE_FAILED_TO_START;
    if (NULL != djob) {
        djob->num_terminated++;
    }
    prte_rml_route_lost(daemon->name.rank);
    PRTE_ACTIVATE_PROC_STATE(&daemon->name, PRTE_PROC_STATE_FAILED_TO_START);
}

/* As if its connection broke: PRRTE's lost-daemon path aborts the job.  The
 * route goes first: a daemon that is frozen (paused container) keeps its
 * connection open, and the teardown would wait for that route forever. */
static void daemon_lost(void *arg)
{
    prte_proc_t *daemon = arg;

    PRTE_UPDATE_EXIT_STATUS(PRTE_ERROR_DEFAULT_EXIT_CODE);
    prte_rml_route_lost(daemon->name.rank);
    PRTE_ACTIVATE_PROC_STATE(&daemon->name, PRTE_PROC_STATE_COMM_FAILED);
}

/* Nothing started: the job ends cleanly. */
static void launch_failed(void *job)
{
    PRTE_UPDATE_EXIT_STATUS(PRTE_ERROR_DEFAULT_EXIT_CODE);
    PRTE_ACTIVATE_JOB_STATE((prte_job_t *)job, PRTE_JOB_STATE_NEVER_LAUNCHED);
}

static bool terminating(void)
{
    return prte_prteds_term_ordered || prte_abnormal_term_ordered;
}

static bool forward_output(void)
{
    return prte_debug_daemons_flag || prte_leave_session_attached || 5 <= verbosity();
}

static void retain(void *obj)
{
    PMIX_RETAIN(obj);
}

static void release(void *obj)
{
    PMIX_RELEASE(obj);
}

static const char *const mca_flags[] = { "--prtemca", "--pmixmca", "--mca", "-mca", NULL };
static const char *const env_forward[] = { "PRTE_MCA_", "PMIX_MCA_", "OMPI_MCA_", NULL };
static const char *const env_drop[] = { "PRTE_MCA_plm", "PRTE_MCA_ras", "OMPI_MCA_plm",
                                        "OMPI_MCA_ras", NULL };

static plm_docker_rt_t rt = {
    .mca = { .vshow_help = dkr_prte_vshow_help, .vverbose = vverbose, .verbosity = verbosity },
    .uri_param = "prte_hnp_uri",
    .mca_flags = mca_flags,
    .env_forward = env_forward,
    .env_drop = env_drop,
    /* Not oob_tcp_if_include: prted resolves it before it has listed its
     * interfaces, warns "Did not find interface matching this subnet" and
     * ignores it (seen with PRRTE 3.0.8); the daemon URI is filtered. */
    .oob_env_prefix = NULL,
    .btl_env_prefix = "OMPI_MCA_",
    .daemon_argv = daemon_argv,
    .cmd_line = cmd_line,
    .var_set = dkr_prte_var_set,
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
};

/* ---------------------------------------------------------------- module */

static void launch_daemons(int fd, short args, void *cbdata)
{
    prte_state_caddy_t *state = (prte_state_caddy_t *)cbdata;
    prte_job_t *djob;
    prte_job_map_t *map;
    const char **names = NULL;
    void **daemons = NULL;
    size_t n = 0;
    int rc;

    (void)fd;
    (void)args;
    PMIX_ACQUIRE_OBJECT(state);
    djob = prte_get_job_data_object(PRTE_PROC_MY_NAME->nspace);
    if (PRTE_SUCCESS != (rc = prte_plm_base_setup_virtual_machine(state->jdata))) {
        PRTE_ERROR_LOG(rc);
        PRTE_ACTIVATE_JOB_STATE(state->jdata, PRTE_JOB_STATE_FAILED_TO_START);
        PMIX_RELEASE(state);
        return;
    }
    if (prte_get_attribute(&djob->attributes, PRTE_JOB_DO_NOT_LAUNCH, NULL, PMIX_BOOL)
        || NULL == (map = djob->map) || 0 == map->num_new_daemons) {
        state->jdata->state = PRTE_JOB_STATE_DAEMONS_LAUNCHED;
        PRTE_ACTIVATE_JOB_STATE(state->jdata, PRTE_JOB_STATE_DAEMONS_REPORTED);
        PMIX_RELEASE(state);
        return;
    }
    names = calloc((size_t)map->nodes->size + 1, sizeof(*names));
    daemons = calloc((size_t)map->nodes->size + 1, sizeof(*daemons));
    for (int i = 0; NULL != names && NULL != daemons && i < map->nodes->size; i++) {
        prte_node_t *node = pmix_pointer_array_get_item(map->nodes, i);

        if (NULL != node && !PRTE_FLAG_TEST(node, PRTE_NODE_FLAG_DAEMON_LAUNCHED)
            && NULL != node->daemon) {
            names[n] = node->name;
            daemons[n++] = node->daemon;
        }
    }
    /* the job moves on when the daemons call back (prte_plm_base_daemon_callback) */
    state->jdata->state = PRTE_JOB_STATE_DAEMONS_LAUNCHED;
    if (NULL == names || NULL == daemons) {
        launch_failed(state->jdata);
    } else {
        plm_docker_core_launch(state->jdata, n, names, daemons, NULL);
    }
    free(names);
    free(daemons);
    PMIX_RELEASE(state);
}

static int docker_init(void)
{
    int rc;

    if (PRTE_SUCCESS != (rc = prte_state.add_job_state(PRTE_JOB_STATE_LAUNCH_DAEMONS, launch_daemons))) {
        PRTE_ERROR_LOG(rc);
        return rc;
    }
    if (PRTE_SUCCESS != (rc = prte_plm_base_comm_start())) {
        PRTE_ERROR_LOG(rc);
        return rc;
    }
    /* Node names are containers: never ask DNS about them, the API knows them. */
    prte_do_not_resolve = true;
    prte_plm_globals.daemon_nodes_assigned_at_launch = true;
    rt.base = prte_event_base;
    plm_docker_core_init(&rt);
    return PRTE_SUCCESS;
}

static int docker_spawn(prte_job_t *jdata)
{
    if (PRTE_FLAG_TEST(jdata, PRTE_JOB_FLAG_RESTART)) {
        PRTE_ACTIVATE_JOB_STATE(jdata, PRTE_JOB_STATE_MAP);
    } else {
        PRTE_ACTIVATE_JOB_STATE(jdata, PRTE_JOB_STATE_INIT);
    }
    return PRTE_SUCCESS;
}

/* Daemons never open this component unless told to tree-spawn, which is
 * not offered yet. */
static int docker_remote_spawn(void)
{
    return PRTE_ERR_NOT_IMPLEMENTED;
}

static int docker_terminate_prteds(void)
{
    int rc;

    plm_docker_core_stop();
    if (PRTE_SUCCESS != (rc = prte_plm_base_prted_exit(PRTE_DAEMON_EXIT_CMD))) {
        PRTE_ERROR_LOG(rc);
    }
    return rc;
}

static int docker_finalize(void)
{
    int rc;

    plm_docker_core_finalize();
    if (PRTE_SUCCESS != (rc = prte_plm_base_comm_stop())) {
        PRTE_ERROR_LOG(rc);
    }
    return rc;
}
