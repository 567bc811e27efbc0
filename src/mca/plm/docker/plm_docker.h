/*
 * plm_docker.h - what the docker launcher's runtime glue (ORTE or PRRTE)
 * shares: its parameters, described once in a table both runtimes register.
 */
#ifndef PLM_DOCKER_H
#define PLM_DOCKER_H

#include <stdbool.h>
#include <stddef.h>

#include "dkr_mca_param.h"

/* The values of every plm_docker_* parameter. */
typedef struct plm_docker_params {
    char *host;            /* endpoint URL */
    bool tls_verify;
    char *cert_path;
    char *user;            /* "" = the container's own user */
    int num_concurrent;
    int timeout;           /* seconds */
    char *orted;           /* daemon command, split on blanks, no shell */
    int priority;
    bool tree_spawn;
    char *network;         /* "" = chosen from what the containers share */
} plm_docker_params_t;

extern plm_docker_params_t plm_docker_params;

/* Sets every default (some come from DOCKER_* variables, as the docker CLI
 * reads them) and returns the table, n entries. */
const dkr_mca_param_t *plm_docker_param_table(size_t *n);

/* Checks values after registration; on a bad one returns its name and
 * writes the reason to why. */
const char *plm_docker_params_check(char *why, size_t len);

/* The launcher's own messages (dkr_orte.h has the shared ones). */
#define PLM_DOCKER_HELP_FILE "help-plm-docker.txt"

#define PLM_DOCKER_MAJOR 0
#define PLM_DOCKER_MINOR 1
#define PLM_DOCKER_RELEASE 0

#endif /* PLM_DOCKER_H */
