/*
 * ras_docker_module_prte.c - PRRTE (Open MPI 5) glue of ras docker: the
 * allocation is what the core (ras_docker_core.c) discovers on the Docker
 * endpoint.  allocate() answers PRTE_ERR_ALLOCATION_PENDING and the glue
 * completes the allocation step itself once discovery is done.
 */
#include "prte_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/mca/base/pmix_base.h"
#include "src/util/pmix_output.h"

#include "src/mca/errmgr/errmgr.h"
#include "src/mca/ras/base/base.h"
#include "src/mca/ras/base/ras_private.h"
#include "src/mca/state/state.h"
#include "src/runtime/prte_globals.h"
#include "src/util/name_fns.h"

#include "dkr_prte.h"
#include "ras_docker.h"
#include "ras_docker_prte.h"

static int ras_init(void);
static int ras_allocate(prte_job_t *jdata, pmix_list_t *nodes);
static void ras_deallocate(prte_job_t *jdata, prte_app_context_t *app);
static int ras_finalize(void);

prte_ras_base_module_t ras_docker_prte_module = {
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
        pmix_output(prte_ras_base_framework.framework_output, "%s %s",
                    PRTE_NAME_PRINT(PRTE_PROC_MY_NAME), msg);
        free(msg);
    }
}

static int verbosity(void)
{
    return pmix_output_get_verbosity(prte_ras_base_framework.framework_output);
}

static const char *plm_string(const char *name)
{
    return dkr_prte_var_string("plm", "docker", name);
}

static bool plm_bool(const char *name, bool dflt)
{
    return dkr_prte_var_bool("plm", "docker", name, dflt);
}

static int plm_int(const char *name, int dflt)
{
    return dkr_prte_var_int("plm", "docker", name, dflt);
}

static int job_procs(void *job)
{
    prte_job_t *jdata = job;
    int n = 0;

    for (int i = 0; i < jdata->apps->size; i++) {
        prte_app_context_t *app = pmix_pointer_array_get_item(jdata->apps, i);
        n += NULL == app ? 0 : (int)app->num_procs;
    }
    return n;
}

/* --host or a hostfile name the nodes themselves. */
static bool job_has_hosts(prte_job_t *jdata)
{
    for (int i = 0; i < jdata->apps->size; i++) {
        prte_app_context_t *app = pmix_pointer_array_get_item(jdata->apps, i);
        if (NULL != app && (prte_get_attribute(&app->attributes, PRTE_APP_DASH_HOST, NULL, PMIX_STRING)
                            || prte_get_attribute(&app->attributes, PRTE_APP_HOSTFILE, NULL, PMIX_STRING))) {
            return true;
        }
    }
    return false;
}

static bool label_set(void)
{
    return dkr_prte_id_set(ras_docker_label_var);
}

static void allocate(void *job, const dkr_node_t *found, size_t n)
{
    prte_job_t *jdata = job;
    pmix_list_t nodes;
    int rc;

    PMIX_CONSTRUCT(&nodes, pmix_list_t);
    for (size_t i = 0; i < n; i++) {
        prte_node_t *node = PMIX_NEW(prte_node_t);

        node->name = strdup(found[i].name);
        node->state = PRTE_NODE_STATE_UP;
        node->slots_inuse = 0;
        node->slots_max = 0;
        node->slots = found[i].slots;
        pmix_list_append(&nodes, &node->super);
    }
    /* a managed allocation: node names are containers, never resolved */
    prte_managed_allocation = true;
    prte_do_not_resolve = true;
    rc = prte_ras_base_node_insert(&nodes, jdata);
    PMIX_LIST_DESTRUCT(&nodes);
    if (PRTE_SUCCESS != rc) {
        PRTE_ERROR_LOG(rc);
        PRTE_UPDATE_EXIT_STATUS(PRTE_ERROR_DEFAULT_EXIT_CODE);
        PRTE_ACTIVATE_JOB_STATE(jdata, PRTE_JOB_STATE_ALLOC_FAILED);
        return;
    }
    if (4 < verbosity() || prte_get_attribute(&jdata->attributes, PRTE_JOB_DISPLAY_ALLOC, NULL, PMIX_BOOL)) {
        prte_ras_base_display_alloc(jdata);
    }
    jdata->total_slots_alloc = prte_ras_base.total_slots_alloc;
    PRTE_ACTIVATE_JOB_STATE(jdata, PRTE_JOB_STATE_ALLOCATION_COMPLETE);
}

/* Nothing to run on: the job ends without launching anything. */
static void failed(void *job)
{
    PRTE_UPDATE_EXIT_STATUS(PRTE_ERROR_DEFAULT_EXIT_CODE);
    PRTE_ACTIVATE_JOB_STATE((prte_job_t *)job, PRTE_JOB_STATE_ALLOC_FAILED);
}

static void retain(void *obj)
{
    PMIX_RETAIN(obj);
}

static void release(void *obj)
{
    PMIX_RELEASE(obj);
}

static ras_docker_rt_t rt = {
    .mca = { .vshow_help = dkr_prte_vshow_help, .vverbose = vverbose, .verbosity = verbosity },
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
    return PRTE_SUCCESS;
}

static int ras_allocate(prte_job_t *jdata, pmix_list_t *nodes)
{
    (void)nodes;
    rt.base = prte_event_base;
    /* job-owned containers for the hosts the user named: PRRTE reads them */
    if (ras_docker_core_image_mode(&rt) && job_has_hosts(jdata)) {
        return PRTE_SUCCESS;
    }
    ras_docker_core_allocate(&rt, jdata);
    return PRTE_ERR_ALLOCATION_PENDING;
}

static void ras_deallocate(prte_job_t *jdata, prte_app_context_t *app)
{
    (void)jdata;
    (void)app;
}

static int ras_finalize(void)
{
    ras_docker_core_finalize();
    return PRTE_SUCCESS;
}
