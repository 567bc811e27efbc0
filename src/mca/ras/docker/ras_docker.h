/*
 * ras_docker.h - what the discovery component's runtime glue (ORTE or
 * PRRTE) shares: its parameters, described once.
 */
#ifndef RAS_DOCKER_H
#define RAS_DOCKER_H

#include <stdbool.h>
#include <stddef.h>

#include "dkr_discover.h"
#include "dkr_mca.h"
#include "dkr_mca_param.h"

typedef struct ras_docker_params {
    char *host;      /* "" = plm_docker_host's value, else $DOCKER_HOST, else the local socket */
    char *label;     /* label filters */
    char *names;     /* name patterns */
    char *service;   /* a Swarm service */
    int slots;       /* > 0 overrides */
    int priority;
    int containers;  /* job-owned containers (plm_docker_image): how many nodes */
} ras_docker_params_t;

extern ras_docker_params_t ras_docker_params;

/* Sets the defaults and returns the table, n entries. */
const dkr_mca_param_t *ras_docker_param_table(size_t *n);

/* Index of "label" in the table, to tell a default label from a chosen one. */
#define RAS_DOCKER_PARAM_LABEL 1

#define RAS_DOCKER_HELP_FILE "help-ras-docker.txt"
/* Priority when only plm_docker_image selects the component: below every
 * resource manager's ras (e.g. slurm 50, gridengine 100), which answer only
 * inside their allocation; there its nodes get the containers. */
#define RAS_DOCKER_IMAGE_PRIORITY 1

/* ------------------------------------------------------------------ core */

/*
 * Discovery, runtime-neutral (ras_docker_core.c).  The ORTE/PRRTE module
 * calls ras_docker_core_allocate and implements these hooks; a job is the
 * runtime's object, opaque here.
 */
typedef struct ras_docker_rt {
    dkr_mca_rt_t mca;                   /* messages */
    struct event_base *base;            /* the runtime's progress loop */
    /* plm docker's parameters, when that component registered them */
    const char *(*plm_string)(const char *name);
    bool (*plm_bool)(const char *name, bool dflt);
    int (*plm_int)(const char *name, int dflt);
    bool (*label_set)(void);            /* ras_docker_label was set explicitly */
    int (*job_procs)(void *job);        /* the processes asked for (-np), 0 = not said */
    /* The nodes found (sorted by name): make them the allocation. */
    void (*allocate)(void *job, const dkr_node_t *nodes, size_t n);
    void (*failed)(void *job);          /* no allocation: end the job */
    void (*retain)(void *obj);
    void (*release)(void *obj);
} ras_docker_rt_t;

/* True when plm docker makes the job's containers (plm_docker_image): then
 * the nodes are made up (ras_docker_containers of them), not discovered. */
bool ras_docker_core_image_mode(const ras_docker_rt_t *rt);

/* Starts discovery for job; the result comes through rt->allocate or
 * rt->failed, once. */
void ras_docker_core_allocate(const ras_docker_rt_t *rt, void *job);
void ras_docker_core_finalize(void);

#define RAS_DOCKER_MAJOR 0
#define RAS_DOCKER_MINOR 1
#define RAS_DOCKER_RELEASE 0

#endif /* RAS_DOCKER_H */
