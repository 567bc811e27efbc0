/*
 * dkr_jobc.h - containers made for one job: what they need before the first
 * is created (the image, the network), how each is described to the engine,
 * and how everything of the job is removed again.
 *
 * Runtime-neutral; the daemons themselves run through dkr_launch
 * (dkr_launch_add_new / dkr_launch_start_container).
 */
#ifndef DKR_JOBC_H
#define DKR_JOBC_H

#include <stddef.h>
#include <stdint.h>

#include "dkr.h"
#include "dkr_plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Labels on everything a job creates, so cleanup and audits find it. */
#define DKR_LABEL_PROJECT "ompi-docker.project"   /* = "ompi-docker" */
#define DKR_LABEL_JOB "ompi-docker.job"           /* = the job's tag */
#define DKR_LABEL_OWNER "ompi-docker.owner"       /* = the invoking uid */

typedef enum { DKR_PULL_MISSING = 0, DKR_PULL_ALWAYS, DKR_PULL_NEVER } dkr_pull_t;

/* "missing", "always", "never"; DKR_ERR_ARG otherwise. */
int dkr_pull_parse(const char *s, dkr_pull_t *out);
/* "1g", "512m", "65536", "2G"... into bytes; DKR_ERR_ARG when unparsable. */
int dkr_size_parse(const char *s, int64_t *out);

typedef struct dkr_jobc_spec {
    const char *image;
    dkr_pull_t pull;
    const char *network;         /* NULL or "": a per-job --internal network */
    const char *job;             /* the job's tag: names and the job label */
    const char *owner;           /* the invoking uid, for the owner label */
    const char *const *labels;   /* extra "key=value" on everything created */
    const char *user;            /* "uid:gid" or a name; NULL: the image's */
    const char *workdir;         /* bind-mounted at the same path and used as the
                                    working directory; NULL: neither */
    const char *const *binds;    /* "src:dst[:ro]", src absolute */
    int64_t shm_size;            /* bytes; 0: the engine's default */
    const char *const *devices;  /* host device paths */
    const char *gpus;            /* NULL/"": none; "all"; a count; or ids "0,1" */
    int keep;                    /* 1: no AutoRemove (left for debugging) */
    int swarm;                   /* 1: the containers go to several Swarm nodes: the
                                    per-job network is an attachable overlay made on
                                    the manager (the daemons reach mpirun through
                                    their node's docker_gwbridge) */
} dkr_jobc_spec_t;

/* ------------------------------------------------------------ preparing */

typedef struct dkr_jobc dkr_jobc_t;

typedef enum {
    DKR_JOBC_OK = 0,
    DKR_JOBC_ENDPOINT,       /* ping failed */
    DKR_JOBC_IMAGE_MISSING,  /* not on the engine and pull=never */
    DKR_JOBC_PULL_FAILED,    /* the engine could not pull it */
    DKR_JOBC_NETWORK         /* the network could not be made, found or reached */
} dkr_jobc_fail_t;

/* Exactly once: ok, or the failure (dkr_jobc_failure says more). */
typedef void (*dkr_jobc_ready_cb)(dkr_jobc_t *j, int ok, void *arg);

/* Ping, make sure the image is there (pulling it as spec->pull says), then
 * create the per-job network (or find spec->network).  host_addrs: the
 * launching host's "ip/prefix" list: the daemons must reach it.  spec is
 * copied. */
dkr_jobc_t *dkr_jobc_prepare(dkr_client_t *cli, const dkr_jobc_spec_t *spec,
                             const char *const *host_addrs, dkr_jobc_ready_cb cb, void *arg);
dkr_jobc_fail_t dkr_jobc_failure(const dkr_jobc_t *j, int *rc, const char **errstr);
/* The network the containers are on, with mpirun's address in it. */
const dkr_net_choice_t *dkr_jobc_network(const dkr_jobc_t *j);
/* 1 when the job made its own network (to be removed at the end). */
int dkr_jobc_own_network(const dkr_jobc_t *j);
/* Cancels what is in flight (no callback) and frees. */
void dkr_jobc_free(dkr_jobc_t *j);

/* ----------------------------------------------------------- describing */

/* "ompi-<job>-<node>", reduced to the characters container names allow. */
char *dkr_jobc_container_name(const char *job, const char *node);
/* The per-job network's name. */
char *dkr_jobc_network_name(const char *job);

/* The body of POST /containers/create for the container of node: the image,
 * cmd as its command (an argv: no shell), env, hostname = node, the labels,
 * user, the working directory and its bind mount, binds, /dev/shm size,
 * devices and GPUs, Init (signals, zombies) and AutoRemove unless keep, on
 * network.  NULL when out of memory or a bind is not absolute (err says
 * which). */
struct json_object *dkr_jobc_create_body(const dkr_jobc_spec_t *spec, const char *node,
                                         const char *network, const char *const *cmd,
                                         const char *const *env, char *err, size_t errlen);

/* ------------------------------------------------------------- removing */

/*
 * Removes everything labelled with job on ep, synchronously, on a private
 * loop: waits up to wait_ms for the job's containers to end and vanish by
 * themselves (their daemons exit when mpirun goes), then removes the rest
 * by force, then the job's networks.  keep: leave the containers (and so
 * their network).  Returns DKR_OK, or the first failure (err says what);
 * *left counts what could not be removed.
 */
int dkr_jobc_cleanup(const dkr_endpoint_t *ep, const char *job, int keep, int wait_ms,
                     int timeout_ms, int *left, char *err, size_t errlen);
/* The same for the containers only: a Swarm worker's engine, whose
 * containers are on the manager's overlay (removed there afterwards). */
int dkr_jobc_cleanup_containers(const dkr_endpoint_t *ep, const char *job, int keep, int wait_ms,
                                int timeout_ms, int *left, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* DKR_JOBC_H */
