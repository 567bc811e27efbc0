/*
 * ras_docker_component_prte.c - the PRRTE (Open MPI 5) face of ras docker:
 * registers the parameters and runs only when chosen.
 */
#include "prte_config.h"

#include "src/mca/base/pmix_base.h"
#include "src/mca/ras/base/base.h"
#include "src/mca/ras/ras.h"

#include "dkr_prte.h"
#include "ras_docker.h"
#include "ras_docker_prte.h"

static int component_register(void);
static int component_open(void);
static int component_query(pmix_mca_base_module_t **module, int *priority);

static int var_ids[16];
static size_t n_var_ids;
int ras_docker_label_var = -1;

PRTE_MODULE_EXPORT prte_ras_base_component_t prte_mca_ras_docker_component = {
    PRTE_RAS_BASE_VERSION_2_0_0,
    .pmix_mca_component_name = "docker",
    PMIX_MCA_BASE_MAKE_VERSION(component, RAS_DOCKER_MAJOR, RAS_DOCKER_MINOR, RAS_DOCKER_RELEASE),
    .pmix_mca_open_component = component_open,
    .pmix_mca_query_component = component_query,
    .pmix_mca_register_component_params = component_register,
};

static int component_register(void)
{
    const dkr_mca_param_t *t = ras_docker_param_table(&n_var_ids);

    dkr_prte_register(&prte_mca_ras_docker_component, t, n_var_ids, var_ids);
    ras_docker_label_var = var_ids[RAS_DOCKER_PARAM_LABEL];
    return PRTE_SUCCESS;
}

static int component_open(void)
{
    dkr_prte_help_init();
    return PRTE_SUCCESS;
}

/* Never chosen silently: only --mca ras docker (or a params file, or a
 * ras_docker_* parameter) makes containers the allocation. */
static int component_query(pmix_mca_base_module_t **module, int *priority)
{
    const char *image = dkr_prte_var_string("plm", "docker", "image");
    bool requested = dkr_prte_requested("ras", "docker", var_ids, n_var_ids);

    *module = NULL;
    /* plm_docker_image asks for containers made for the job: they are the nodes */
    if (!requested && (NULL == image || '\0' == image[0])) {
        pmix_output_verbose(1, prte_ras_base_framework.framework_output,
                            "ras:docker: not selected (give --mca ras docker to use it)");
        return PRTE_ERROR;
    }
    /* ... unless a resource manager (e.g. salloc) made the allocation */
    *priority = requested ? ras_docker_params.priority : RAS_DOCKER_IMAGE_PRIORITY;
    *module = (pmix_mca_base_module_t *)&ras_docker_prte_module;
    return PRTE_SUCCESS;
}
