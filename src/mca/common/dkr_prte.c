/*
 * dkr_prte.c - PRRTE helpers both docker components share.
 */
#include "prte_config.h"

#include <string.h>

#include "src/mca/base/pmix_base.h"
#include "src/util/pmix_argv.h"
#include "src/util/pmix_show_help.h"

#include "dkr_prte.h"

void dkr_prte_register(const pmix_mca_base_component_t *c, const dkr_mca_param_t *table, size_t n,
                       int *ids)
{
    static const pmix_mca_base_var_type_t types[] = {
        [DKR_PARAM_STRING] = PMIX_MCA_BASE_VAR_TYPE_STRING,
        [DKR_PARAM_INT] = PMIX_MCA_BASE_VAR_TYPE_INT,
        [DKR_PARAM_BOOL] = PMIX_MCA_BASE_VAR_TYPE_BOOL,
    };

    for (size_t i = 0; i < n; i++) {
        ids[i] = pmix_mca_base_component_var_register(c, table[i].name, table[i].help,
                                                      types[table[i].type], table[i].storage);
    }
}

bool dkr_prte_id_set(int id)
{
    pmix_mca_base_var_source_t source;

    return id >= 0 && PMIX_SUCCESS == pmix_mca_base_var_get_value(id, NULL, &source, NULL)
           && PMIX_MCA_BASE_VAR_SOURCE_DEFAULT != source;
}

bool dkr_prte_var_set(const char *framework, const char *component, const char *name)
{
    return dkr_prte_id_set(pmix_mca_base_var_find("prte", framework, component, name));
}

const char *dkr_prte_var_string(const char *framework, const char *component, const char *name)
{
    int id = pmix_mca_base_var_find("prte", framework, component, name);
    const char **value = NULL;

    if (id < 0 || PMIX_SUCCESS != pmix_mca_base_var_get_value(id, &value, NULL, NULL) || NULL == value) {
        return NULL;
    }
    return value[0];
}

bool dkr_prte_var_bool(const char *framework, const char *component, const char *name, bool dflt)
{
    int id = pmix_mca_base_var_find("prte", framework, component, name);
    const bool *value = NULL;

    if (id < 0 || PMIX_SUCCESS != pmix_mca_base_var_get_value(id, &value, NULL, NULL) || NULL == value) {
        return dflt;
    }
    return *value;
}

int dkr_prte_var_int(const char *framework, const char *component, const char *name, int dflt)
{
    int id = pmix_mca_base_var_find("prte", framework, component, name);
    const int *value = NULL;

    if (id < 0 || PMIX_SUCCESS != pmix_mca_base_var_get_value(id, &value, NULL, NULL) || NULL == value) {
        return dflt;
    }
    return *value;
}

bool dkr_prte_requested(const char *framework, const char *component, const int *ids, size_t n)
{
    int id = pmix_mca_base_var_find("prte", framework, NULL, NULL);
    const char **value = NULL;
    bool named = false;

    if (id >= 0 && PMIX_SUCCESS == pmix_mca_base_var_get_value(id, &value, NULL, NULL)
        && NULL != value && NULL != value[0] && '^' != value[0][0]) {
        char **names = pmix_argv_split(value[0], ',');
        for (int i = 0; NULL != names && NULL != names[i]; i++) {
            named |= 0 == strcmp(names[i], component);
        }
        pmix_argv_free(names);
    }
    for (size_t i = 0; i < n && !named; i++) {
        named = dkr_prte_id_set(ids[i]);
    }
    return named;
}

void dkr_prte_help_init(void)
{
    pmix_show_help_add_dir(DKR_HELPDIR);
}

void dkr_prte_vshow_help(const char *file, const char *topic, va_list ap)
{
    pmix_show_vhelp(file, topic, true, ap);
}
