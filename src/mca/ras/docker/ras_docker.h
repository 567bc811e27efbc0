/*
 * ras_docker.h - what the discovery component's runtime glue (ORTE or
 * PRRTE) shares: its parameters, described once.
 */
#ifndef RAS_DOCKER_H
#define RAS_DOCKER_H

#include <stddef.h>

#include "dkr_mca_param.h"

typedef struct ras_docker_params {
    char *host;      /* "" = plm_docker_host's value, else $DOCKER_HOST, else the local socket */
    char *label;     /* label filters */
    char *names;     /* name patterns */
    char *service;   /* a Swarm service */
    int slots;       /* > 0 overrides */
    int priority;
} ras_docker_params_t;

extern ras_docker_params_t ras_docker_params;

/* Sets the defaults and returns the table, n entries. */
const dkr_mca_param_t *ras_docker_param_table(size_t *n);

/* Index of "label" in the table, to tell a default label from a chosen one. */
#define RAS_DOCKER_PARAM_LABEL 1

#define RAS_DOCKER_HELP_FILE "help-ras-docker.txt"

#define RAS_DOCKER_MAJOR 0
#define RAS_DOCKER_MINOR 1
#define RAS_DOCKER_RELEASE 0

#endif /* RAS_DOCKER_H */
