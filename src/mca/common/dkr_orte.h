/*
 * dkr_orte.h - ORTE helpers both docker components (plm, ras) share.
 */
#ifndef DKR_ORTE_H
#define DKR_ORTE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "opal/mca/base/mca_base_component_repository.h"

#include "dkr_mca_param.h"

/* Registers every parameter of table for component c; their var ids go to
 * ids (room for n). */
void dkr_orte_register(const mca_base_component_t *c, const dkr_mca_param_t *table, size_t n,
                       int *ids);

/* True when the user chose the component: the framework's selection names
 * it, or one of its parameters (ids) was set. */
bool dkr_orte_requested(const char *framework, const char *component, const int *ids, size_t n);

/* True when the MCA variable framework_component_name exists and was set. */
bool dkr_orte_var_set(const char *framework, const char *component, const char *name);
/* True when the variable with this id was set (not its default). */
bool dkr_orte_id_set(int id);

/* The value of a string or bool variable of another component, when that
 * component registered it: NULL / dflt otherwise. */
const char *dkr_orte_var_string(const char *framework, const char *component, const char *name);
bool dkr_orte_var_bool(const char *framework, const char *component, const char *name, bool dflt);
int dkr_orte_var_int(const char *framework, const char *component, const char *name, int dflt);

/* Adds the directory our help files are installed in to Open MPI's search. */
void dkr_orte_help_init(void);

/* Open MPI's help system with a va_list (for dkr_mca_rt_t.vshow_help). */
void dkr_orte_vshow_help(const char *file, const char *topic, va_list ap);

#endif /* DKR_ORTE_H */
