/*
 * dkr_discover.h - which containers make up a job's allocation: running
 * containers chosen by label and/or name pattern, or the running tasks of a
 * Swarm service, each with its slot count, in a stable order (by name).
 *
 * Runtime-neutral: the ras glue turns the nodes into ORTE/PRRTE nodes.
 */
#ifndef DKR_DISCOVER_H
#define DKR_DISCOVER_H

#include <stddef.h>

#include "dkr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dkr_node {
    char *name;         /* container name: the node's name */
    char *id;           /* container id */
    int slots;
    char *swarm_node;   /* the Swarm node the task runs on, NULL outside Swarm */
    char *swarm_addr;   /* that node's address (dkr_swarm_node_t.addr), NULL when unknown */
    char *swarm_hostname;
} dkr_node_t;

typedef struct dkr_discover_spec {
    const char *labels;   /* "key" or "key=value", comma-separated, all must match */
    const char *names;    /* names or shell patterns, comma-separated, any may match */
    const char *service;  /* a Swarm service: its running tasks (and labels/names
                             narrow them when given), on every Swarm node: a task
                             whose container the endpoint cannot inspect (it runs
                             on another node) is described from the task */
    int slots;            /* > 0: every node gets this many */
    const char *owner;    /* the invoking uid: a container labelled ompi-docker.owner
                             with another value is never taken; NULL: no check */
} dkr_discover_spec_t;

/* Exactly once.  rc != DKR_OK: errstr says what failed (an endpoint error
 * keeps the client's rc).  DKR_OK with n == 0 means nothing matched.  With
 * DKR_OK, errstr is "" unless containers that matched were left out as
 * other users' (then it names them).  nodes are borrowed for the call. */
typedef void (*dkr_discover_cb)(int rc, const char *errstr, const dkr_node_t *nodes, size_t n,
                                void *arg);

typedef struct dkr_discover dkr_discover_t;

/* Starts discovery on cli's loop.  NULL when out of memory or spec is
 * invalid (errstr, when given, says why). */
dkr_discover_t *dkr_discover_start(dkr_client_t *cli, const dkr_discover_spec_t *spec,
                                   dkr_discover_cb cb, void *arg, char *err, size_t errlen);
/* Cancels without calling back. */
void dkr_discover_cancel(dkr_discover_t *d);

/* ------------------------------------------------ pure parts, for tests */

/* Validates a label list; DKR_ERR_ARG with a sentence naming the bad entry. */
int dkr_labels_check(const char *labels, char *err, size_t errlen);
/* The filters query value of GET /containers/json: {"label":[...],"status":["running"]}. */
char *dkr_containers_filter(const char *labels);
/* 1 when the container carries every label of the comma-separated list
 * ("key": present, "key=value": equal). */
int dkr_labels_match(const char *labels, const dkr_container_t *c);
/* 1 when name matches one of the comma-separated patterns. */
int dkr_names_match(const char *patterns, const char *name);
/* CPUs in a cpuset list such as "0-3,8,10-11"; 0 when unparsable. */
int dkr_cpuset_count(const char *cpuset);
/* 1 when a container may be taken for owner (a uid): it has no
 * ompi-docker.owner label, or that label's value is owner. */
int dkr_owner_allows(const char *owner, const dkr_container_t *c);
/* Slots of a container: override > 0, else its mpi.slots label (when a
 * positive number), else its CPU limit (NanoCpus rounded up, else its
 * cpuset), else 1. */
int dkr_node_slots(const dkr_container_t *c, int override);
/* From one item of GET /tasks: the container id and Swarm node of a running
 * task; DKR_ERR_NOT_FOUND when the task is not running. */
int dkr_task_container(struct json_object *task, char **container_id, char **node_id);

#ifdef __cplusplus
}
#endif
#endif /* DKR_DISCOVER_H */
