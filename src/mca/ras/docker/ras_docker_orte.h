/*
 * ras_docker_orte.h - the ORTE module of ras docker.
 */
#ifndef RAS_DOCKER_ORTE_H
#define RAS_DOCKER_ORTE_H

#include "orte/mca/ras/ras.h"

extern orte_ras_base_module_t ras_docker_orte_module;

/* Whether the label filter was chosen by the user (not its default). */
extern int ras_docker_label_var;

#endif /* RAS_DOCKER_ORTE_H */
