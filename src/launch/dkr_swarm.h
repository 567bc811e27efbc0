/*
 * dkr_swarm.h - where a container of a Swarm lives: the Swarm nodes
 * (GET /nodes) and the running tasks (GET /tasks) of a manager, and which
 * engine endpoint reaches a task's container.
 *
 * A manager lists every node, service and task, but can neither inspect
 * nor exec into a container on another node: that takes the engine of the
 * node that runs it.  plm_docker_node_host gives that engine as a template,
 * e.g. "tcp://{addr}:2376", expanded per Swarm node.
 *
 * The map is the runtime-neutral contract between discovery, the flat
 * launcher and tree-spawn: from a node's name (a task's container name
 * "<service>.<slot or node id>.<task id>", the task id, or a container id
 * or its prefix) to the Swarm node holding it and the endpoint URL of that
 * node's engine.  Names it does not know stay on the default endpoint.
 *
 * No I/O in the pure parts; dkr_swarm_fetch asks a manager, on its loop.
 */
#ifndef DKR_SWARM_H
#define DKR_SWARM_H

#include <stddef.h>

#include "dkr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dkr_swarm_node {
    char *id;
    char *addr;       /* managers: the host part of ManagerStatus.Addr; else Status.Addr */
    char *hostname;   /* Description.Hostname */
    char *state;      /* Status.State: "ready", "down", ... */
    int manager;
} dkr_swarm_node_t;

typedef struct dkr_swarm_task {
    char *id;
    char *container_id;
    char *node_id;
    char *service_id;
    int slot;         /* 0 for global services */
} dkr_swarm_task_t;

/* The items of GET /nodes.  DKR_ERR_PROTOCOL when it is no array. */
int dkr_swarm_nodes_from_json(struct json_object *arr, dkr_swarm_node_t **out, size_t *n);
void dkr_swarm_nodes_free(dkr_swarm_node_t *v, size_t n);

/* The running tasks (Status.State "running", with a container) of
 * GET /tasks; others are skipped. */
int dkr_swarm_tasks_from_json(struct json_object *arr, dkr_swarm_task_t **out, size_t *n);
void dkr_swarm_tasks_free(dkr_swarm_task_t *v, size_t n);

/* What is known of a running task's container without asking its node's
 * engine (the manager cannot inspect it): its id, its name
 * (dkr_swarm_task_name with service, the service's name), running, the
 * labels of Spec.ContainerSpec and the CPU limit of Spec.Resources.  For
 * discovery, as a dkr_container_t.  DKR_ERR_NOT_FOUND when the task is not
 * running. */
int dkr_swarm_task_as_container(struct json_object *task, const char *service, dkr_container_t **out);

/* The container name Docker gives a task: "<service>.<slot>.<task id>",
 * with the node id in place of the slot for global services.  malloc'ed. */
char *dkr_swarm_task_name(const char *service, const dkr_swarm_task_t *t);

/* 1 when name denotes task t: its container name (any service part), its
 * task id, or its container id or a prefix of it of at least 12 characters. */
int dkr_swarm_task_match(const dkr_swarm_task_t *t, const char *name);

/*
 * Expands a node-host template: {addr} (the node's address; an IPv6
 * address in brackets), {hostname}, {id}.  Returns a new string, or NULL
 * with a sentence in err (an unknown or unclosed {...}, or a field the
 * node does not have).
 */
char *dkr_swarm_expand(const char *tmpl, const dkr_swarm_node_t *node, char *err, size_t errlen);

/* ------------------------------------------------------------------ map */

typedef struct dkr_swarm_map dkr_swarm_map_t;

/* A map from the nodes and tasks (taken over; the arrays are freed with the
 * map). */
dkr_swarm_map_t *dkr_swarm_map_new(dkr_swarm_node_t *nodes, size_t n_nodes, dkr_swarm_task_t *tasks,
                                   size_t n_tasks);
void dkr_swarm_map_free(dkr_swarm_map_t *m);
/* The task name denotes, NULL when none. */
const dkr_swarm_task_t *dkr_swarm_map_task(const dkr_swarm_map_t *m, const char *name);
/* The Swarm node by id, NULL when unknown. */
const dkr_swarm_node_t *dkr_swarm_map_node(const dkr_swarm_map_t *m, const char *node_id);
/* The Swarm node whose hostname or id is name, NULL when none (job-owned
 * containers: --host names Swarm nodes). */
const dkr_swarm_node_t *dkr_swarm_map_node_named(const dkr_swarm_map_t *m, const char *name);
/* The id of the node whose engine answered the lookup (GET /info's
 * Swarm.NodeID), NULL when unknown; its containers need no other engine. */
const char *dkr_swarm_map_self(const dkr_swarm_map_t *m);
int dkr_swarm_map_set_self(dkr_swarm_map_t *m, const char *node_id);
/* The Swarm node of the task name denotes, NULL when none. */
const dkr_swarm_node_t *dkr_swarm_map_node_of(const dkr_swarm_map_t *m, const char *name);

/* Exactly once: the map (owned by the callee, free with dkr_swarm_map_free)
 * or rc/errstr. */
typedef void (*dkr_swarm_cb)(int rc, const char *errstr, dkr_swarm_map_t *map, void *arg);
typedef struct dkr_swarm_fetch dkr_swarm_fetch_t;

/* GET /info, GET /nodes and GET /tasks (desired state running) of the
 * manager cli, in parallel.  NULL when out of memory. */
dkr_swarm_fetch_t *dkr_swarm_fetch(dkr_client_t *cli, dkr_swarm_cb cb, void *arg);
/* Cancels without calling back. */
void dkr_swarm_fetch_cancel(dkr_swarm_fetch_t *f);

#ifdef __cplusplus
}
#endif
#endif /* DKR_SWARM_H */
