/*
 * ras_docker_module_orte.c - ORTE glue of ras docker: the allocation is
 * what dkr_discover finds on the Docker endpoint.
 *
 * Discovery runs on orte_event_base like every other API call, so allocate()
 * answers ORTE_ERR_ALLOCATION_PENDING and completes the allocation step
 * itself (as ras slurm does for dynamic allocations).
 */
#include "orte_config.h"

#include <stdio.h>
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
#include "orte/util/show_help.h"

#include "dkr.h"
#include "dkr_discover.h"
#include "dkr_libevent.h"
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

static struct {
    dkr_client_t *cli;
    dkr_discover_t *discover;
    orte_job_t *jdata;
    char *filter;       /* what was asked, for messages */
} mod;

#define OUT orte_ras_base_framework.framework_output
#define ME ORTE_NAME_PRINT(ORTE_PROC_MY_NAME)

static int ras_init(void)
{
    return ORTE_SUCCESS;
}

static const char *endpoint_url(void)
{
    const dkr_endpoint_t *ep = NULL == mod.cli ? NULL : dkr_client_endpoint(mod.cli);
    return NULL == ep ? "" : ep->url;
}

/* The allocation cannot be made: end the job without launching anything. */
static void allocation_failed(void)
{
    orte_job_t *jdata = mod.jdata;

    mod.jdata = NULL;
    ORTE_UPDATE_EXIT_STATUS(ORTE_ERROR_DEFAULT_EXIT_CODE);
    ORTE_ACTIVATE_JOB_STATE(jdata, ORTE_JOB_STATE_ALLOC_FAILED);
    OBJ_RELEASE(jdata);
}

static void discovered(int rc, const char *errstr, const dkr_node_t *found, size_t n, void *arg)
{
    orte_job_t *jdata = mod.jdata;
    opal_list_t nodes;
    int ret;

    (void)arg;
    mod.discover = NULL;
    if (DKR_OK != rc) {
        if (DKR_ERR_CONNECT == rc || DKR_ERR_TIMEOUT == rc || DKR_ERR_TLS == rc
            || DKR_ERR_PROTOCOL == rc || DKR_ERR_API_VERSION == rc || DKR_ERR_IO == rc
            || DKR_ERR_HTTP == rc) {
            dkr_orte_show_endpoint_failure(rc, errstr, endpoint_url());
        } else {
            orte_show_help(RAS_DOCKER_HELP_FILE, "list-failed", true, endpoint_url(),
                           NULL == errstr ? dkr_strerror(rc) : errstr);
        }
        allocation_failed();
        return;
    }
    if (0 == n) {
        orte_show_help(RAS_DOCKER_HELP_FILE, "no-match", true, mod.filter, endpoint_url());
        allocation_failed();
        return;
    }

    OBJ_CONSTRUCT(&nodes, opal_list_t);
    for (size_t i = 0; i < n; i++) {
        orte_node_t *node = OBJ_NEW(orte_node_t);

        node->name = strdup(found[i].name);
        node->state = ORTE_NODE_STATE_UP;
        node->slots_inuse = 0;
        node->slots_max = 0;
        node->slots = found[i].slots;
        opal_list_append(&nodes, &node->super);
        opal_output_verbose(1, OUT, "%s ras:docker: node %s (container %.12s%s%s), %d slots", ME,
                            found[i].name, found[i].id, NULL == found[i].swarm_node ? "" : ", swarm node ",
                            NULL == found[i].swarm_node ? "" : found[i].swarm_node, found[i].slots);
    }
    /* a managed allocation: node names are containers, never resolved */
    orte_managed_allocation = true;
    opal_if_do_not_resolve = true;
    ret = orte_ras_base_node_insert(&nodes, jdata);
    OPAL_LIST_DESTRUCT(&nodes);
    if (ORTE_SUCCESS != ret) {
        ORTE_ERROR_LOG(ret);
        allocation_failed();
        return;
    }
    if (4 < opal_output_get_verbosity(OUT)) {
        orte_ras_base_display_alloc();
    }
    jdata->total_slots_alloc = orte_ras_base.total_slots_alloc;
    mod.jdata = NULL;
    ORTE_ACTIVATE_JOB_STATE(jdata, ORTE_JOB_STATE_ALLOCATION_COMPLETE);
    OBJ_RELEASE(jdata);
}

/* The endpoint: ours if set, else the launcher's (plm docker), else the
 * docker CLI's defaults. */
static dkr_client_t *client_new(void)
{
    const char *host = ras_docker_params.host;
    const char *plm_host = dkr_orte_var_string("plm", "docker", "host");
    const char *certs = dkr_orte_var_string("plm", "docker", "cert_path");
    const char *env_verify = getenv("DOCKER_TLS_VERIFY");
    bool verify = dkr_orte_var_bool("plm", "docker", "tls_verify",
                                    NULL != env_verify && '\0' != env_verify[0]);
    dkr_client_opts_t opts = { .timeout_ms = 30000 };
    dkr_endpoint_t *ep;
    dkr_client_t *cli;

    if (NULL == host || '\0' == host[0]) {
        host = plm_host;
    }
    if (NULL == (ep = dkr_orte_endpoint(host, verify, certs))) {
        return NULL;
    }
    cli = dkr_client_new(ep, &opts);
    dkr_endpoint_free(ep);
    if (NULL != cli && DKR_OK != dkr_libevent_attach(cli, orte_event_base)) {
        dkr_client_free(cli);
        cli = NULL;
    }
    return cli;
}

static int ras_allocate(orte_job_t *jdata, opal_list_t *nodes)
{
    dkr_discover_spec_t spec = { 0 };
    bool by_name = '\0' != ras_docker_params.names[0] || '\0' != ras_docker_params.service[0];
    char err[512];

    (void)nodes;
    mod.jdata = jdata;
    OBJ_RETAIN(jdata);

    /* the default label selects unless names or a service were asked for */
    spec.labels = by_name && !dkr_orte_id_set(ras_docker_label_var) ? NULL : ras_docker_params.label;
    spec.names = ras_docker_params.names;
    spec.service = ras_docker_params.service;
    spec.slots = ras_docker_params.slots;
    if (0 > asprintf(&mod.filter, "%s%s%s%s%s%s", NULL == spec.labels ? "" : "label ",
                     NULL == spec.labels ? "" : spec.labels,
                     '\0' == spec.names[0] ? "" : (NULL == spec.labels ? "names " : ", names "),
                     spec.names, '\0' == spec.service[0] ? "" : "service ", spec.service)) {
        mod.filter = NULL;
    }
    if (NULL == (mod.cli = client_new())) {
        allocation_failed();
        return ORTE_ERR_ALLOCATION_PENDING;
    }
    mod.discover = dkr_discover_start(mod.cli, &spec, discovered, NULL, err, sizeof(err));
    if (NULL == mod.discover) {
        orte_show_help(RAS_DOCKER_HELP_FILE, "bad-filter", true, err);
        allocation_failed();
    }
    opal_output_verbose(1, OUT, "%s ras:docker: discovering %s on %s", ME,
                        NULL == mod.filter ? "" : mod.filter, endpoint_url());
    return ORTE_ERR_ALLOCATION_PENDING;
}

static void ras_deallocate(orte_job_t *jdata, orte_app_context_t *app)
{
    (void)jdata;
    (void)app;
}

static int ras_finalize(void)
{
    dkr_discover_cancel(mod.discover);
    mod.discover = NULL;
    dkr_client_free(mod.cli);
    mod.cli = NULL;
    if (NULL != mod.jdata) {
        OBJ_RELEASE(mod.jdata);
    }
    free(mod.filter);
    mod.filter = NULL;
    return ORTE_SUCCESS;
}
