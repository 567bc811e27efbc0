/*
 * plm_docker_orte.h - the ORTE module of plm docker.
 */
#ifndef PLM_DOCKER_ORTE_H
#define PLM_DOCKER_ORTE_H

#include "orte/mca/plm/plm.h"

extern orte_plm_base_module_t plm_docker_orte_module;

#endif /* PLM_DOCKER_ORTE_H */
