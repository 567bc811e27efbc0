/*
 * dkr_launch.h - starts one daemon in each of a set of running containers.
 *
 * Runtime-neutral: the ORTE and PRRTE glue hand it container names and, per
 * daemon, the exec spec (argv, env, user); it answers through callbacks on the
 * client's event loop.  Two phases:
 *
 *   resolve: ping every endpoint once, then inspect every container in
 *            parallel; nothing starts until all are found and running, so a
 *            bad name leaves nothing behind.  Then the network is chosen.
 *   start:   create + start one attached exec per daemon, at most
 *            max_concurrent being created/started at once; each exec's stream
 *            stays open for the daemon's life and reports its exit.
 *
 * Job containers (dkr_launch_add_new) skip resolution: each is created from
 * a body whose command is the daemon, attached, started and waited for.
 */
#ifndef DKR_LAUNCH_H
#define DKR_LAUNCH_H

#include <stddef.h>

#include "dkr.h"
#include "dkr_plan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dkr_launch dkr_launch_t;

/* Why resolution failed, for one target or for an endpoint. */
typedef enum {
    DKR_FAIL_NONE = 0,
    DKR_FAIL_ENDPOINT,      /* ping failed: rc/errstr say how */
    DKR_FAIL_NO_CONTAINER,  /* 404 on inspect */
    DKR_FAIL_NOT_RUNNING,   /* inspect says not running (or paused) */
    DKR_FAIL_INSPECT,       /* any other inspect failure */
    DKR_FAIL_NETWORK        /* containers share no network */
} dkr_fail_t;

typedef struct dkr_launch_ops {
    /* Resolution finished.  ok = 1: every container is running and the
     * network is chosen; start daemons with dkr_launch_start.  ok = 0: read
     * the failures with dkr_launch_failure / dkr_launch_endpoint_failure. */
    void (*resolved)(dkr_launch_t *l, int ok, void *arg);
    /* The engine accepted daemon i's start. */
    void (*started)(dkr_launch_t *l, size_t i, void *arg);
    /* Daemon i's output as it arrives (only when forward_output is set). */
    void (*output)(dkr_launch_t *l, size_t i, int stream, const char *buf, size_t len, void *arg);
    /* Exactly once per started daemon: its exec failed (res->rc) or its
     * process exited with exit_code.  Its output tail is dkr_launch_output. */
    void (*finished)(dkr_launch_t *l, size_t i, const dkr_result_t *res, int exit_code, void *arg);
} dkr_launch_ops_t;

typedef struct dkr_launch_opts {
    int max_concurrent;          /* execs being created/started at once; 0 = 64 */
    const char *network;         /* preferred network name, or NULL */
    int forward_output;          /* 1: hand output to ops->output as it comes */
    size_t output_tail;          /* bytes of output kept per daemon; 0 = 4096 */
} dkr_launch_opts_t;

dkr_launch_t *dkr_launch_new(const dkr_launch_opts_t *opts, const dkr_launch_ops_t *ops, void *arg);
/* Cancels what is in flight without callbacks, then frees. */
void dkr_launch_free(dkr_launch_t *l);

/* Adds a target: a container (name or id) reached through cli (borrowed; it
 * must outlive l).  Returns its index. */
size_t dkr_launch_add(dkr_launch_t *l, dkr_client_t *cli, const char *container);
/* Adds a target whose daemon is a container created for the job, named
 * name: no resolve phase; start it with dkr_launch_start_container. */
size_t dkr_launch_add_new(dkr_launch_t *l, dkr_client_t *cli, const char *name);
size_t dkr_launch_count(const dkr_launch_t *l);

/* Phase 1.  host_addrs: the launching host's "ip/prefix" list (see
 * dkr_host_ipv4_addrs), used to prefer a network it is on. */
int dkr_launch_resolve(dkr_launch_t *l, const char *const *host_addrs);

/* After resolution. */
const dkr_container_t *dkr_launch_container(const dkr_launch_t *l, size_t i);
const char *dkr_launch_name(const dkr_launch_t *l, size_t i);   /* as given */
dkr_client_t *dkr_launch_client(const dkr_launch_t *l, size_t i);  /* as given */
const dkr_net_choice_t *dkr_launch_network(const dkr_launch_t *l);
/* The failure of target i, DKR_FAIL_NONE when it resolved; rc and errstr
 * (may be NULL) tell more. */
dkr_fail_t dkr_launch_failure(const dkr_launch_t *l, size_t i, int *rc, const char **errstr);
/* The first endpoint failure (DKR_FAIL_ENDPOINT) or the network failure
 * (DKR_FAIL_NETWORK), with its client; DKR_FAIL_NONE when none. */
dkr_fail_t dkr_launch_global_failure(const dkr_launch_t *l, int *rc, const char **errstr,
                                     dkr_client_t **cli);

/* Phase 2: queue daemon i's exec; spec and everything it points to is
 * copied. */
int dkr_launch_start(dkr_launch_t *l, size_t i, const dkr_exec_spec_t *spec);

/* Queue the creation of job container i from body (the JSON of
 * POST /containers/create, whose Cmd is the daemon); it runs to its end like
 * an exec daemon, reported through the same callbacks.  body is retained. */
int dkr_launch_start_container(dkr_launch_t *l, size_t i, struct json_object *body);

/* Drops the daemons queued and not yet being created (the job is ending). */
void dkr_launch_cancel_queued(dkr_launch_t *l);

/* Daemon i's kept output, "" when none. */
const char *dkr_launch_output(dkr_launch_t *l, size_t i);
/* Daemons started and not yet finished. */
size_t dkr_launch_running(const dkr_launch_t *l);
/* Stop following every daemon (their processes are not killed: the runtime
 * tells its daemons to exit); no callbacks fire. */
void dkr_launch_abandon(dkr_launch_t *l);

#ifdef __cplusplus
}
#endif
#endif /* DKR_LAUNCH_H */
