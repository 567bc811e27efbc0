/*
 * dkr_orte.c - ORTE helpers both docker components share.
 */
#include "orte_config.h"

#include <stdlib.h>
#include <string.h>

#include "opal/mca/base/base.h"
#include "opal/util/argv.h"
#include "opal/util/show_help.h"
#include "orte/constants.h"
#include "orte/util/show_help.h"

#include "dkr_orte.h"

void dkr_orte_register(const mca_base_component_t *c, const dkr_mca_param_t *table, size_t n,
                       int *ids)
{
    static const mca_base_var_type_t types[] = {
        [DKR_PARAM_STRING] = MCA_BASE_VAR_TYPE_STRING,
        [DKR_PARAM_INT] = MCA_BASE_VAR_TYPE_INT,
        [DKR_PARAM_BOOL] = MCA_BASE_VAR_TYPE_BOOL,
    };

    for (size_t i = 0; i < n; i++) {
        ids[i] = mca_base_component_var_register(c, table[i].name, table[i].help, types[table[i].type],
                                                 NULL, 0, 0, OPAL_INFO_LVL_1 + table[i].level - 1,
                                                 MCA_BASE_VAR_SCOPE_READONLY, table[i].storage);
    }
}

bool dkr_orte_id_set(int id)
{
    mca_base_var_source_t source;

    return id >= 0 && OPAL_SUCCESS == mca_base_var_get_value(id, NULL, &source, NULL)
           && MCA_BASE_VAR_SOURCE_DEFAULT != source;
}

bool dkr_orte_var_set(const char *framework, const char *component, const char *name)
{
    return dkr_orte_id_set(mca_base_var_find("orte", framework, component, name));
}

const char *dkr_orte_var_string(const char *framework, const char *component, const char *name)
{
    int id = mca_base_var_find("orte", framework, component, name);
    const char **value = NULL;

    if (id < 0 || OPAL_SUCCESS != mca_base_var_get_value(id, &value, NULL, NULL) || NULL == value) {
        return NULL;
    }
    return value[0];
}

bool dkr_orte_var_bool(const char *framework, const char *component, const char *name, bool dflt)
{
    int id = mca_base_var_find("orte", framework, component, name);
    const bool *value = NULL;

    if (id < 0 || OPAL_SUCCESS != mca_base_var_get_value(id, &value, NULL, NULL) || NULL == value) {
        return dflt;
    }
    return *value;
}

int dkr_orte_var_int(const char *framework, const char *component, const char *name, int dflt)
{
    int id = mca_base_var_find("orte", framework, component, name);
    const int *value = NULL;

    if (id < 0 || OPAL_SUCCESS != mca_base_var_get_value(id, &value, NULL, NULL) || NULL == value) {
        return dflt;
    }
    return *value;
}

bool dkr_orte_requested(const char *framework, const char *component, const int *ids, size_t n)
{
    int id = mca_base_var_find("orte", framework, NULL, NULL);
    const char **value = NULL;
    bool named = false;

    if (id >= 0 && OPAL_SUCCESS == mca_base_var_get_value(id, &value, NULL, NULL)
        && NULL != value && NULL != value[0] && '^' != value[0][0]) {
        char **names = opal_argv_split(value[0], ',');
        for (int i = 0; NULL != names && NULL != names[i]; i++) {
            named |= 0 == strcmp(names[i], component);
        }
        opal_argv_free(names);
    }
    for (size_t i = 0; i < n && !named; i++) {
        named = dkr_orte_id_set(ids[i]);
    }
    return named;
}

void dkr_orte_help_init(void)
{
    opal_show_help_add_dir(DKR_HELPDIR);
}

void dkr_orte_vshow_help(const char *file, const char *topic, va_list ap)
{
    char *text = opal_show_help_vstring(file, topic, true, ap);

    if (NULL != text) {
        orte_show_help_norender(file, topic, true, text);
        free(text);
    }
}
