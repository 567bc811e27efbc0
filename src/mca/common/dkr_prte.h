/*
 * dkr_prte.h - PRRTE (Open MPI 5) helpers both docker components share:
 * the same services as dkr_orte.h, on PRRTE's PMIx-based MCA base.
 */
#ifndef DKR_PRTE_H
#define DKR_PRTE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "src/mca/mca.h"

#include "dkr_mca_param.h"

/* Registers every parameter of table for component c; their var ids go to
 * ids (room for n). */
void dkr_prte_register(const pmix_mca_base_component_t *c, const dkr_mca_param_t *table, size_t n,
                       int *ids);

/* True when the user chose the component: the framework's selection names
 * it, or one of its parameters (ids) was set. */
bool dkr_prte_requested(const char *framework, const char *component, const int *ids, size_t n);

/* True when the variable framework_component_name exists and was set. */
bool dkr_prte_var_set(const char *framework, const char *component, const char *name);
/* True when the variable with this id was set (not its default). */
bool dkr_prte_id_set(int id);

/* The value of a string or bool variable of another component, when that
 * component registered it: NULL / dflt otherwise. */
const char *dkr_prte_var_string(const char *framework, const char *component, const char *name);
bool dkr_prte_var_bool(const char *framework, const char *component, const char *name, bool dflt);
int dkr_prte_var_int(const char *framework, const char *component, const char *name, int dflt);

/* Adds the directory our help files are installed in to the help search. */
void dkr_prte_help_init(void);

/* PRRTE's (PMIx's) help system with a va_list (for dkr_mca_rt_t). */
void dkr_prte_vshow_help(const char *file, const char *topic, va_list ap);

#endif /* DKR_PRTE_H */
