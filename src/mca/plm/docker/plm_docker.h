/*
 * plm_docker.h - what the docker launcher's runtime glue (ORTE or PRRTE)
 * shares: its parameters, described once in a table both runtimes register.
 */
#ifndef PLM_DOCKER_H
#define PLM_DOCKER_H

#include <stdbool.h>
#include <stddef.h>

#include "dkr_mca.h"
#include "dkr_mca_param.h"

/* The values of every plm_docker_* parameter. */
typedef struct plm_docker_params {
    char *host;            /* endpoint URL */
    bool tls_verify;
    char *cert_path;
    char *user;            /* "" = the container's own user */
    int num_concurrent;
    int timeout;           /* seconds */
    int pause_timeout;     /* seconds a container may stay paused; 0 = no limit */
    int progress;          /* seconds between start-up progress lines; 0 = none */
    char *orted;           /* daemon command, split on blanks, no shell */
    int priority;
    bool tree_spawn;
    char *tree_host;       /* endpoint the daemons reach the engine at; "" = host */
    char *tree_cert_path;  /* certificates inside the containers; "" = cert_path */
    char *endpoints;       /* "name=url,...": containers on other engines than host */
    char *network;         /* "" = chosen from what the containers share */
    char *node_host;       /* Swarm: each node's engine, e.g. "tcp://{addr}:2376"; "" = off */
    /* job-owned containers */
    char *image;           /* "" = exec into running containers */
    char *pull;            /* missing | always | never */
    char *mounts;          /* "src:dst[:ro],..." */
    char *shm_size;        /* e.g. "1g" */
    char *devices;         /* "auto", "none" or paths */
    char *gpus;            /* "", "all", a count or ids */
    char *env;             /* "K=V,..." */
    char *labels;          /* "k=v,..." on everything created */
    bool keep;
} plm_docker_params_t;

extern plm_docker_params_t plm_docker_params;

/* Room for the var ids of every parameter (the table has fewer). */
#define PLM_DOCKER_MAX_PARAMS 40

/* Sets every default (some come from DOCKER_* variables, as the docker CLI
 * reads them; daemon is the runtime's daemon command, orted or prted) and
 * returns the table, n entries. */
const dkr_mca_param_t *plm_docker_param_table(const char *daemon, size_t *n);

/* Checks values after registration; on a bad one returns its name and
 * writes the reason to why. */
const char *plm_docker_params_check(char *why, size_t len);

/* The launcher's own messages (dkr_orte.h has the shared ones). */
#define PLM_DOCKER_HELP_FILE "help-plm-docker.txt"

#define PLM_DOCKER_MAJOR 0
#define PLM_DOCKER_MINOR 1
#define PLM_DOCKER_RELEASE 0

/* ------------------------------------------------------------------ core */

/*
 * The launcher's logic, runtime-neutral (plm_docker_core.c): the ORTE and
 * PRRTE modules hand it the daemons to start and give it these hooks.  A
 * daemon and a job are the runtime's objects, opaque here.
 */
typedef struct plm_docker_rt {
    dkr_mca_rt_t mca;                  /* messages */
    struct event_base *base;           /* the runtime's progress loop */
    const char *uri_param;             /* the daemon argv's contact-URI parameter */
    const char *parent_uri_param;      /* the tree parent's URI parameter, or NULL */
    const char *const *mca_flags;      /* argv flags followed by "name value" */
    const char *const *env_forward;    /* environment prefixes passed to the daemons */
    const char *const *env_drop;       /* ... except these */
    const char *oob_env_prefix;        /* e.g. "OMPI_MCA_" for oob_tcp_if_include; NULL: not set */
    const char *btl_env_prefix;        /* the MPI library's, for btl_tcp_if_include */
    /* The daemon's argv for this launch (the daemon command and the
     * runtime's basic arguments), the index of its vpid placeholder in
     * *vpid_index; NULL on error (already reported). */
    char **(*daemon_argv)(int *vpid_index);
    /* mpirun's own "flag name value" MCA triples, NULL-terminated. */
    char **(*cmd_line)(void);
    /* Did the user set this MCA variable for mpirun? */
    bool (*var_set)(const char *framework, const char *component, const char *name);
    char *(*daemon_vpid)(void *daemon);          /* malloc'ed */
    bool (*daemon_alive)(void *daemon);          /* has called back */
    void (*daemon_started)(void *daemon);        /* its exec runs */
    void (*daemon_failed)(void *daemon, int status);   /* never called back */
    void (*daemon_lost)(void *daemon);           /* ended while the job ran */
    void (*launch_failed)(void *job);            /* nothing could start */
    bool (*terminating)(void);
    bool (*forward_output)(void);                /* show daemons' output live */
    void (*retain)(void *obj);
    void (*release)(void *obj);
    /* Tree-spawn (NULL: the runtime glue does not offer it): the arguments
     * that make a daemon launch its own children and call back through this
     * process ("--tree-spawn", the routing module, this process's URI as the
     * parent's), malloc'ed, NULL-terminated; NULL on error. */
    char **(*tree_argv)(void);
    /* The daemon's printable name, for verbose lines; NULL: its vpid. */
    const char *(*daemon_name)(void *daemon);
} plm_docker_rt_t;

/* Called once, from the module's init. */
void plm_docker_core_init(const plm_docker_rt_t *rt);
/* One LAUNCH_DAEMONS step: start daemons[i] in container names[i].  job and
 * daemons are retained until finalize.  Failures are reported through the
 * hooks.  top: NULL for a flat launch; for tree-spawn, top[i] is the index
 * of the daemon that launches daemon i (the root of its subtree, which this
 * process launches: top[i] == i).  A root that cannot tree-spawn (it ends
 * before calling back) is relaunched flat with its whole subtree, after one
 * warning. */
void plm_docker_core_launch(void *job, size_t n, const char *const *names, void *const *daemons,
                            const size_t *top);
/* In a daemon that tree-spawns: launch its children (each tree-spawns in
 * turn).  job is the daemons' job object (retained).  A child that fails is
 * reported through daemon_failed. */
void plm_docker_core_remote_spawn(void *job, size_t n, const char *const *names, void *const *daemons);
/* In a daemon given plm docker for tree-spawn, at its start: can it reach
 * its engine (plm_docker_host, with its credentials)?  0 yes; -1 no, with
 * the reason in err. */
int plm_docker_core_probe(char *err, size_t len);
/* The endpoint URL of the engine that holds the container named node: its
 * Swarm node's engine (plm_docker_node_host) once a launch has looked the
 * Swarm up, else plm_docker_host.  Runtime-neutral; for tree-spawn too. */
const char *plm_docker_core_endpoint(const char *node);
/* The job is ending: start no more daemons. */
void plm_docker_core_stop(void);
void plm_docker_core_finalize(void);

#endif /* PLM_DOCKER_H */
