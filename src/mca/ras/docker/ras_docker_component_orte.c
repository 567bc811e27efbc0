/*
 * ras_docker_component_orte.c - the ORTE (Open MPI 4.x) face of ras docker:
 * registers the parameters and runs only when chosen.
 */
#include "orte_config.h"

#include "opal/mca/base/base.h"
#include "orte/mca/ras/base/base.h"
#include "orte/mca/ras/ras.h"

#include "dkr_orte.h"
#include "ras_docker.h"
#include "ras_docker_orte.h"

static int component_register(void);
static int component_open(void);
static int component_query(mca_base_module_t **module, int *priority);

static int var_ids[16];
static size_t n_var_ids;
int ras_docker_label_var = -1;

ORTE_MODULE_DECLSPEC orte_ras_base_component_t mca_ras_docker_component = {
    .base_version = {
        ORTE_RAS_BASE_VERSION_2_0_0,
        .mca_component_name = "docker",
        MCA_BASE_MAKE_VERSION(component, RAS_DOCKER_MAJOR, RAS_DOCKER_MINOR, RAS_DOCKER_RELEASE),
        .mca_open_component = component_open,
        .mca_query_component = component_query,
        .mca_register_component_params = component_register,
    },
    .base_data = {
        MCA_BASE_METADATA_PARAM_NONE
    },
};

static int component_register(void)
{
    const dkr_mca_param_t *t = ras_docker_param_table(&n_var_ids);

    dkr_orte_register(&mca_ras_docker_component.base_version, t, n_var_ids, var_ids);
    ras_docker_label_var = var_ids[RAS_DOCKER_PARAM_LABEL];
    return ORTE_SUCCESS;
}

static int component_open(void)
{
    dkr_orte_help_init();
    return ORTE_SUCCESS;
}

/* Never chosen silently: only --mca ras docker (or a params file, or a
 * ras_docker_* parameter) makes containers the allocation. */
static int component_query(mca_base_module_t **module, int *priority)
{
    const char *image = dkr_orte_var_string("plm", "docker", "image");
    bool requested = dkr_orte_requested("ras", "docker", var_ids, n_var_ids);

    *module = NULL;
    /* plm_docker_image asks for containers made for the job: they are the nodes */
    if (!requested && (NULL == image || '\0' == image[0])) {
        opal_output_verbose(1, orte_ras_base_framework.framework_output,
                            "ras:docker: not selected (give --mca ras docker to use it)");
        return ORTE_ERROR;
    }
    /* ... unless a resource manager (e.g. salloc) made the allocation */
    *priority = requested ? ras_docker_params.priority : RAS_DOCKER_IMAGE_PRIORITY;
    *module = (mca_base_module_t *)&ras_docker_orte_module;
    return ORTE_SUCCESS;
}
