/*
 * plm_docker_component_prte.c - the PRRTE (Open MPI 5) face of plm docker:
 * registers the parameters, finds the help file and decides whether the
 * component runs.  Kept small, so prte_info loads little.
 */
#include "prte_config.h"

#include "src/mca/base/pmix_base.h"
#include "src/mca/plm/base/plm_private.h"
#include "src/mca/plm/plm.h"
#include "src/util/pmix_show_help.h"

#include "dkr_prte.h"
#include "plm_docker.h"
#include "plm_docker_prte.h"

static int component_register(void);
static int component_open(void);
static int component_query(pmix_mca_base_module_t **module, int *priority);
static int component_close(void);

static int var_ids[PLM_DOCKER_MAX_PARAMS];
static size_t n_var_ids;

PRTE_MODULE_EXPORT prte_plm_base_component_t prte_mca_plm_docker_component = {
    PRTE_PLM_BASE_VERSION_2_0_0,
    .pmix_mca_component_name = "docker",
    PMIX_MCA_BASE_MAKE_VERSION(component, PLM_DOCKER_MAJOR, PLM_DOCKER_MINOR, PLM_DOCKER_RELEASE),
    .pmix_mca_open_component = component_open,
    .pmix_mca_close_component = component_close,
    .pmix_mca_query_component = component_query,
    .pmix_mca_register_component_params = component_register,
};

static int component_register(void)
{
    const dkr_mca_param_t *t = plm_docker_param_table("prted", &n_var_ids);

    dkr_prte_register(&prte_mca_plm_docker_component, t, n_var_ids, var_ids);
    return PRTE_SUCCESS;
}

static int component_open(void)
{
    dkr_prte_help_init();
    return PRTE_SUCCESS;
}

/* Runs only when the user chose it (--mca plm docker, a params file, or a
 * plm_docker_* parameter), so that it never displaces ssh or slurm. */
static int component_query(pmix_mca_base_module_t **module, int *priority)
{
    char why[256];
    const char *bad;

    *module = NULL;
    if (!dkr_prte_requested("plm", "docker", var_ids, n_var_ids)) {
        pmix_output_verbose(1, prte_plm_base_framework.framework_output,
                            "plm:docker: not selected (give --mca plm docker to use it)");
        return PRTE_ERROR;
    }
    if (NULL != (bad = plm_docker_params_check(why, sizeof(why)))) {
        pmix_show_help(PLM_DOCKER_HELP_FILE, "bad-param", true, bad, why);
        return PRTE_ERR_FATAL;
    }
    *priority = plm_docker_params.priority;
    *module = (pmix_mca_base_module_t *)&plm_docker_prte_module;
    return PRTE_SUCCESS;
}

static int component_close(void)
{
    return PRTE_SUCCESS;
}
