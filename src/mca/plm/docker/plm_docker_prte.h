/*
 * plm_docker_prte.h - the PRRTE (Open MPI 5) module of plm docker.
 */
#ifndef PLM_DOCKER_PRTE_H
#define PLM_DOCKER_PRTE_H

#include "src/mca/plm/plm.h"

extern prte_plm_base_module_t plm_docker_prte_module;

#endif /* PLM_DOCKER_PRTE_H */
