/*
 * ras_docker_module_orte.c - ORTE glue of ras docker: the allocation is
 * what the core (ras_docker_core.c) discovers on the Docker endpoint.
 *
 * Discovery runs on orte_event_base like every other API call, so allocate()
 * answers ORTE_ERR_ALLOCATION_PENDING and the glue completes the allocation
 * step itself (as ras slurm does for dynamic allocations).
 */
#include "orte_config.h"

#include <stdlib.h>
#include <string.h>

#include "opal/mca/base/base.h"
#include "opal/mca/if/if.h"
#include "opal/util/output.h"

#include "orte/mca/errmgr/errmgr.h"
#include "orte/mca/ras/base/base.h"
#include "orte/mca/ras/base/ras_private.h"
#include "orte/mca/state/state.h"
#include "orte/runtime/orte_globals.h"
#include "orte/util/name_fns.h"

#include "dkr_orte.h"
#include "ras_docker.h"
#include "ras_docker_orte.h"

static int ras_init(void);
static int ras_allocate(orte_job_t *jdata, opal_list_t *nodes);
static void ras_deallocate(orte_job_t *jdata, orte_app_context_t *app);
static int ras_finalize(void);

orte_ras_base_module_t ras_docker_orte_module = {
    .init = ras_init,
    .allocate = ras_allocate,
    .deallocate = ras_deallocate,
    .finalize = ras_finalize,
};

/* ------------------------------------------------------------ the hooks */

static void vverbose(int level, const char *fmt, va_list ap)
{
    char *msg = NULL;

    (void)level;
    if (0 <= vasprintf(&msg, fmt, ap)) {
        opal_output(orte_ras_base_framework.framework_output, "%s %s",
                    ORTE_NAME_PRINT(ORTE_PROC_MY_NAME), msg);
        free(msg);
    }
}

static int verbosity(void)
{
    return opal_output_get_verbosity(orte_ras_base_framework.framework_output);
}

static const char *plm_string(const char *name)
{
    return dkr_orte_var_string("plm", "docker", name);
}

static bool plm_bool(const char *name, bool dflt)
{
    return dkr_orte_var_bool("plm", "docker", name, dflt);
}

static int plm_int(const char *name, int dflt)
{
    return dkr_orte_var_int("plm", "docker", name, dflt);
}

static int job_procs(void *job)
{
    orte_job_t *jdata = job;
    int n = 0;

    for (int i = 0; i < jdata->apps->size; i++) {
        orte_app_context_t *app = opal_pointer_array_get_item(jdata->apps, i);
        n += NULL == app ? 0 : (int)app->num_procs;
    }
    return n;
}

/* --host, a hostfile or a rankfile name the nodes themselves. */
static bool job_has_hosts(orte_job_t *jdata)
{
    for (int i = 0; i < jdata->apps->size; i++) {
        orte_app_context_t *app = opal_pointer_array_get_item(jdata->apps, i);
        if (NULL != app && (orte_get_attribute(&app->attributes, ORTE_APP_DASH_HOST, NULL, OPAL_STRING)
                            || orte_get_attribute(&app->attributes, ORTE_APP_HOSTFILE, NULL, OPAL_STRING))) {
            return true;
        }
    }
    return NULL != orte_rankfile;
}

static bool label_set(void)
{
    return dkr_orte_id_set(ras_docker_label_var);
}

static void allocate(void *job, const dkr_node_t *found, size_t n)
{
    orte_job_t *jdata = job;
    opal_list_t nodes;
    int rc;

    OBJ_CONSTRUCT(&nodes, opal_list_t);
    for (size_t i = 0; i < n; i++) {
        orte_node_t *node = OBJ_NEW(orte_node_t);

        node->name = strdup(found[i].name);
        node->state = ORTE_NODE_STATE_UP;
        node->slots_inuse = 0;
        node->slots_max = 0;
        node->slots = found[i].slots;
        opal_list_append(&nodes, &node->super);
    }
    /* a managed allocation: node names are containers, never resolved */
    orte_managed_allocation = true;
    opal_if_do_not_resolve = true;
    rc = orte_ras_base_node_insert(&nodes, jdata);
    OPAL_LIST_DESTRUCT(&nodes);
    if (ORTE_SUCCESS != rc) {
        ORTE_ERROR_LOG(rc);
        ORTE_UPDATE_EXIT_STATUS(ORTE_ERROR_DEFAULT_EXIT_CODE);
        ORTE_ACTIVATE_JOB_STATE(jdata, ORTE_JOB_STATE_ALLOC_FAILED);
        return;
    }
    if (4 < verbosity()) {
        orte_ras_base_display_alloc();
    }
    jdata->total_slots_alloc = orte_ras_base.total_slots_alloc;
    ORTE_ACTIVATE_JOB_STATE(jdata, ORTE_JOB_STATE_ALLOCATION_COMPLETE);
}

/* Nothing to run on: the job ends without launching anything. */
static void failed(void *job)
{
    ORTE_UPDATE_EXIT_STATUS(ORTE_ERROR_DEFAULT_EXIT_CODE);
    ORTE_ACTIVATE_JOB_STATE((orte_job_t *)job, ORTE_JOB_STATE_ALLOC_FAILED);
}

static void retain(void *obj)
{
    OBJ_RETAIN(obj);
}

static void release(void *obj)
{
    OBJ_RELEASE(obj);
}

static ras_docker_rt_t rt = {
    .mca = { .vshow_help = dkr_orte_vshow_help, .vverbose = vverbose, .verbosity = verbosity },
    .plm_string = plm_string,
    .plm_bool = plm_bool,
    .plm_int = plm_int,
    .label_set = label_set,
    .job_procs = job_procs,
    .allocate = allocate,
    .failed = failed,
    .retain = retain,
    .release = release,
};

/* ---------------------------------------------------------------- module */

static int ras_init(void)
{
    return ORTE_SUCCESS;
}

static int ras_allocate(orte_job_t *jdata, opal_list_t *nodes)
{
    (void)nodes;
    rt.base = orte_event_base;
    /* job-owned containers for the hosts the user named: ORTE reads them */
    if (ras_docker_core_image_mode(&rt) && job_has_hosts(jdata)) {
        return ORTE_SUCCESS;
    }
    ras_docker_core_allocate(&rt, jdata);
    return ORTE_ERR_ALLOCATION_PENDING;
}

static void ras_deallocate(orte_job_t *jdata, orte_app_context_t *app)
{
    (void)jdata;
    (void)app;
}

static int ras_finalize(void)
{
    ras_docker_core_finalize();
    return ORTE_SUCCESS;
}
