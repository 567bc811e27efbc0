/*
 * plm_docker_component_orte.c - the ORTE (Open MPI 4.x) face of plm docker:
 * registers the parameters, finds the help file and decides whether the
 * component runs.  Kept small, so ompi_info loads little.
 */
#include "orte_config.h"

#include "opal/mca/base/base.h"
#include "orte/mca/plm/base/plm_private.h"
#include "orte/mca/plm/plm.h"
#include "orte/util/show_help.h"

#include "dkr_orte.h"
#include "plm_docker.h"
#include "plm_docker_orte.h"

static int component_register(void);
static int component_open(void);
static int component_query(mca_base_module_t **module, int *priority);
static int component_close(void);

static int var_ids[PLM_DOCKER_MAX_PARAMS];
static size_t n_var_ids;

ORTE_MODULE_DECLSPEC orte_plm_base_component_t mca_plm_docker_component = {
    .base_version = {
        ORTE_PLM_BASE_VERSION_2_0_0,
        .mca_component_name = "docker",
        MCA_BASE_MAKE_VERSION(component, PLM_DOCKER_MAJOR, PLM_DOCKER_MINOR, PLM_DOCKER_RELEASE),
        .mca_open_component = component_open,
        .mca_close_component = component_close,
        .mca_query_component = component_query,
        .mca_register_component_params = component_register,
    },
    .base_data = {
        MCA_BASE_METADATA_PARAM_NONE
    },
};

static int component_register(void)
{
    const dkr_mca_param_t *t = plm_docker_param_table("orted", &n_var_ids);

    dkr_orte_register(&mca_plm_docker_component.base_version, t, n_var_ids, var_ids);
    return ORTE_SUCCESS;
}

static int component_open(void)
{
    dkr_orte_help_init();
    return ORTE_SUCCESS;
}

/* Runs only when the user chose it (--mca plm docker, a params file, or a
 * plm_docker_* parameter), so that it never displaces rsh or slurm. */
static int component_query(mca_base_module_t **module, int *priority)
{
    char why[256];
    const char *bad;

    *module = NULL;
    if (!dkr_orte_requested("plm", "docker", var_ids, n_var_ids)) {
        opal_output_verbose(1, orte_plm_base_framework.framework_output,
                            "plm:docker: not selected (give --mca plm docker to use it)");
        return ORTE_ERROR;
    }
    if (NULL != (bad = plm_docker_params_check(why, sizeof(why)))) {
        orte_show_help(PLM_DOCKER_HELP_FILE, "bad-param", true, bad, why);
        return ORTE_ERR_FATAL;
    }
    *priority = plm_docker_params.priority;
    *module = (mca_base_module_t *)&plm_docker_orte_module;
    return ORTE_SUCCESS;
}

static int component_close(void)
{
    return ORTE_SUCCESS;
}
