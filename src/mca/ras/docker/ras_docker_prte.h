/*
 * ras_docker_prte.h - the PRRTE (Open MPI 5) module of ras docker.
 */
#ifndef RAS_DOCKER_PRTE_H
#define RAS_DOCKER_PRTE_H

#include "src/mca/ras/ras.h"

extern prte_ras_base_module_t ras_docker_prte_module;

/* The var id of ras_docker_label, to tell a default label from a chosen one. */
extern int ras_docker_label_var;

#endif /* RAS_DOCKER_PRTE_H */
