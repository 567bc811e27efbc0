/*
 * plm_docker_params.c - the docker launcher's parameters: names, defaults
 * and help, in one table that the ORTE and PRRTE glue both register.
 */
#include "plm_docker.h"

#include "dkr_jobc.h"
#include "dkr_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

plm_docker_params_t plm_docker_params;

static char default_cert_path[4096];

/* The docker CLI's defaults: DOCKER_HOST, DOCKER_TLS_VERIFY (any non-empty
 * value means verify), DOCKER_CERT_PATH else $DOCKER_CONFIG else ~/.docker. */
static void set_defaults(const char *daemon)
{
    const char *host = getenv("DOCKER_HOST");
    const char *verify = getenv("DOCKER_TLS_VERIFY");
    const char *certs = getenv("DOCKER_CERT_PATH");

    if (NULL == certs || '\0' == certs[0]) {
        const char *cfg = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
        if (NULL != cfg && '\0' != cfg[0]) {
            snprintf(default_cert_path, sizeof(default_cert_path), "%s", cfg);
        } else {
            snprintf(default_cert_path, sizeof(default_cert_path), "%s/.docker",
                     NULL == home ? "" : home);
        }
        certs = default_cert_path;
    }
    plm_docker_params.host = (char *)(NULL != host && '\0' != host[0] ? host
                                      : "unix:///var/run/docker.sock");
    plm_docker_params.tls_verify = NULL != verify && '\0' != verify[0];
    plm_docker_params.cert_path = (char *)certs;
    plm_docker_params.user = "";
    plm_docker_params.num_concurrent = 128;
    plm_docker_params.timeout = 30;
    plm_docker_params.orted = (char *)daemon;
    plm_docker_params.priority = 80;
    plm_docker_params.tree_spawn = false;
    plm_docker_params.pause_timeout = 10;
    plm_docker_params.progress = 2;
    plm_docker_params.tree_host = "";
    plm_docker_params.tree_cert_path = "";
    plm_docker_params.endpoints = "";
    plm_docker_params.network = "";
    plm_docker_params.node_host = "";
    plm_docker_params.image = "";
    plm_docker_params.pull = "missing";
    plm_docker_params.mounts = "";
    plm_docker_params.shm_size = "1g";
    plm_docker_params.devices = "auto";
    plm_docker_params.gpus = "";
    plm_docker_params.env = "";
    plm_docker_params.labels = "";
    plm_docker_params.keep = false;
}

static const dkr_mca_param_t table[] = {
    { "host", DKR_PARAM_STRING, 2,
      "Docker endpoint that holds the containers named as hosts: unix://PATH or "
      "tcp://HOST:PORT (default: $DOCKER_HOST, else unix:///var/run/docker.sock)",
      &plm_docker_params.host },
    { "tls_verify", DKR_PARAM_BOOL, 4,
      "Use TLS and verify the engine's certificate against ca.pem in plm_docker_cert_path, "
      "for tcp:// endpoints (default: set when $DOCKER_TLS_VERIFY is non-empty)",
      &plm_docker_params.tls_verify },
    { "cert_path", DKR_PARAM_STRING, 4,
      "Directory with ca.pem, cert.pem and key.pem for TLS endpoints "
      "(default: $DOCKER_CERT_PATH, else $DOCKER_CONFIG, else ~/.docker)",
      &plm_docker_params.cert_path },
    { "user", DKR_PARAM_STRING, 3,
      "User the daemon and the ranks run as inside the containers, as uid[:gid] or a name "
      "known to the image (empty: the container's own user when exec'ing into running "
      "containers; the invoking user's uid:gid in job-owned containers -- give root "
      "explicitly to run as root there)",
      &plm_docker_params.user },
    { "num_concurrent", DKR_PARAM_INT, 5,
      "How many daemon launches (exec create + start) may be in flight at once (must be > 0)",
      &plm_docker_params.num_concurrent },
    { "timeout", DKR_PARAM_INT, 4,
      "Seconds each Docker API call may take, and seconds daemon start-up may go "
      "without progress before the launch is declared failed (must be > 0)",
      &plm_docker_params.timeout },
    { "progress", DKR_PARAM_INT, 4,
      "While daemon start-up takes longer than this many seconds, mpirun prints a line "
      "\"N/M daemons started, K/M called back\" every as many seconds, and a last one when "
      "all have called back (0: never)",
      &plm_docker_params.progress },
    { "pause_timeout", DKR_PARAM_INT, 5,
      "Seconds a container of the job may stay paused (docker pause) while its daemon runs "
      "before the job is aborted: a frozen daemon breaks no connection, so the job and its "
      "teardown would wait for it forever (0: no limit)",
      &plm_docker_params.pause_timeout },
    { "orted", DKR_PARAM_STRING, 4,
      "Daemon command run inside the containers (orted for Open MPI 4, prted for Open MPI 5), "
      "split on blanks and passed as an argv (no shell); e.g. an absolute path",
      &plm_docker_params.orted },
    { "priority", DKR_PARAM_INT, 9,
      "Priority of the docker launcher; it is considered only when selected "
      "(e.g. --mca plm docker) or when a plm_docker_* parameter is set",
      &plm_docker_params.priority },
    { "tree_spawn", DKR_PARAM_BOOL, 5,
      "Tree-spawn (Open MPI 4): mpirun starts only its children in the routing tree "
      "(routed_radix), each daemon starts its own children through the Docker API. Needs "
      "this component inside the image and an endpoint the daemons reach "
      "(plm_docker_tree_host, plm_docker_tree_cert_path); where a daemon cannot, mpirun "
      "launches its subtree itself, with one warning",
      &plm_docker_params.tree_spawn },
    { "tree_host", DKR_PARAM_STRING, 5,
      "With plm_docker_tree_spawn: the Docker endpoint as the daemons inside the containers "
      "reach it, e.g. tcp://GATEWAY:2376 (empty: plm_docker_host); TLS as plm_docker_tls_verify",
      &plm_docker_params.tree_host },
    { "tree_cert_path", DKR_PARAM_STRING, 5,
      "With plm_docker_tree_spawn: the directory inside the containers holding ca.pem, "
      "cert.pem and key.pem for plm_docker_tree_host, e.g. a read-only mount (empty: "
      "plm_docker_cert_path)",
      &plm_docker_params.tree_cert_path },
    { "endpoints", DKR_PARAM_STRING, 6,
      "Containers that are on other engines than plm_docker_host, as name=url pairs, "
      "comma-separated (a per-node lookup fills it on a multi-node Swarm; empty: every "
      "container is on plm_docker_host)",
      &plm_docker_params.endpoints },
    { "network", DKR_PARAM_STRING, 3,
      "Docker network the daemons and ranks communicate over (empty: the network every "
      "container shares, preferring one the launching host is on; with plm_docker_image, a "
      "per-job --internal network created and removed by the job)",
      &plm_docker_params.network },
    { "node_host", DKR_PARAM_STRING, 3,
      "On a multi-node Docker Swarm (plm_docker_host a manager): how to reach the engine of "
      "the Swarm node that runs a task's container, as a template with {addr} (the node's "
      "address), {hostname} and {id}, e.g. tcp://{addr}:2376; TLS as for plm_docker_host "
      "(plm_docker_tls_verify, plm_docker_cert_path; plain tcp:// is used only when TLS is "
      "off, with a warning).  Containers that are no Swarm task, or run on the manager "
      "itself, stay on plm_docker_host (empty: every container on plm_docker_host)",
      &plm_docker_params.node_host },
    { "image", DKR_PARAM_STRING, 2,
      "Image to create the job's own containers from, one per node of the allocation, "
      "removed after the job (empty: exec into running containers)",
      &plm_docker_params.image },
    { "pull", DKR_PARAM_STRING, 3,
      "When to pull plm_docker_image: missing (when the engine lacks it), always, never",
      &plm_docker_params.pull },
    { "mounts", DKR_PARAM_STRING, 3,
      "More bind mounts for job-owned containers, src:dst[:ro], comma-separated, absolute "
      "paths (the working directory is always mounted at the same path)",
      &plm_docker_params.mounts },
    { "shm_size", DKR_PARAM_STRING, 3,
      "Size of /dev/shm in job-owned containers (e.g. 1g, 512m); Docker's 64m default "
      "breaks shared-memory transports",
      &plm_docker_params.shm_size },
    { "devices", DKR_PARAM_STRING, 3,
      "Device paths to pass to job-owned containers, comma-separated; auto: /dev/infiniband/* "
      "when present; none: no devices",
      &plm_docker_params.devices },
    { "gpus", DKR_PARAM_STRING, 3,
      "GPUs for job-owned containers through DeviceRequests: all, a count, or device ids "
      "(comma-separated); empty: none",
      &plm_docker_params.gpus },
    { "env", DKR_PARAM_STRING, 3,
      "More environment variables for job-owned containers, K=V, comma-separated (what "
      "the daemons need is passed anyway)",
      &plm_docker_params.env },
    { "labels", DKR_PARAM_STRING, 3,
      "More labels for everything the job creates, k=v, comma-separated (the job id, owner "
      "uid and project labels are always set)",
      &plm_docker_params.labels },
    { "keep", DKR_PARAM_BOOL, 3,
      "Keep job-owned containers (and their network) after the job, for debugging",
      &plm_docker_params.keep },
};

const dkr_mca_param_t *plm_docker_param_table(const char *daemon, size_t *n)
{
    set_defaults(daemon);
    *n = sizeof(table) / sizeof(table[0]);
    return table;
}

const char *plm_docker_params_check(char *why, size_t len)
{
    dkr_pull_t pull;
    int64_t size;

    if (plm_docker_params.num_concurrent <= 0) {
        snprintf(why, len, "must be greater than 0, not %d", plm_docker_params.num_concurrent);
        return "plm_docker_num_concurrent";
    }
    if (plm_docker_params.timeout <= 0) {
        snprintf(why, len, "must be greater than 0, not %d", plm_docker_params.timeout);
        return "plm_docker_timeout";
    }
    if (plm_docker_params.progress < 0) {
        snprintf(why, len, "must be 0 or more, not %d", plm_docker_params.progress);
        return "plm_docker_progress";
    }
    if (plm_docker_params.pause_timeout < 0) {
        snprintf(why, len, "must be 0 or more, not %d", plm_docker_params.pause_timeout);
        return "plm_docker_pause_timeout";
    }
    if (NULL == plm_docker_params.orted || '\0' == plm_docker_params.orted[strspn(plm_docker_params.orted, " \t")]) {
        snprintf(why, len, "must name the daemon command");
        return "plm_docker_orted";
    }
    if ('\0' != plm_docker_params.node_host[0] && NULL == strstr(plm_docker_params.node_host, "://")) {
        snprintf(why, len, "must be a URL template such as tcp://{addr}:2376, not \"%s\"",
                 plm_docker_params.node_host);
        return "plm_docker_node_host";
    }
    if (DKR_OK != dkr_pull_parse(plm_docker_params.pull, &pull)) {
        snprintf(why, len, "must be missing, always or never, not \"%s\"", plm_docker_params.pull);
        return "plm_docker_pull";
    }
    if ('\0' != plm_docker_params.shm_size[0] && DKR_OK != dkr_size_parse(plm_docker_params.shm_size, &size)) {
        snprintf(why, len, "must be a size such as 1g or 512m, not \"%s\"", plm_docker_params.shm_size);
        return "plm_docker_shm_size";
    }
    if ('\0' != plm_docker_params.endpoints[0]) {
        char **map = dkr_plan_endpoint_map(plm_docker_params.endpoints, why, len);
        if (NULL == map) {
            return "plm_docker_endpoints";
        }
        dkr_strv_free(map);
    }
    return NULL;
}
