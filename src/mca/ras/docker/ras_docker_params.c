/*
 * ras_docker_params.c - the discovery component's parameters: names,
 * defaults and help, in one table both runtimes register.
 */
#include "ras_docker.h"

ras_docker_params_t ras_docker_params;

static const dkr_mca_param_t table[] = {
    { "host", DKR_PARAM_STRING, 2,
      "Docker endpoint to discover containers on (empty: the value of plm_docker_host, "
      "else $DOCKER_HOST, else unix:///var/run/docker.sock)",
      &ras_docker_params.host },
    [RAS_DOCKER_PARAM_LABEL] = { "label", DKR_PARAM_STRING, 2,
      "Label filters a container must all match to be a node: key or key=value, "
      "comma-separated (e.g. com.docker.compose.service=worker).  Not applied by default "
      "when ras_docker_names or ras_docker_service is given",
      &ras_docker_params.label },
    { "names", DKR_PARAM_STRING, 2,
      "Container names or shell-style patterns, comma-separated: a container matching one "
      "of them is a node (together with ras_docker_label when that is set)",
      &ras_docker_params.names },
    { "service", DKR_PARAM_STRING, 2,
      "A Swarm service whose running tasks are the nodes (narrowed by ras_docker_label and "
      "ras_docker_names when those are set)",
      &ras_docker_params.service },
    { "slots", DKR_PARAM_INT, 3,
      "Slots of every node (0: from the container's mpi.slots label, else its CPU limit, "
      "else 1)",
      &ras_docker_params.slots },
    { "containers", DKR_PARAM_INT, 2,
      "With plm_docker_image: how many containers (nodes) to make for the job on the "
      "endpoint; their slots are ras_docker_slots, else the processes asked for divided "
      "among them",
      &ras_docker_params.containers },
    { "priority", DKR_PARAM_INT, 9,
      "Priority of docker discovery; it is considered only when selected (--mca ras docker) "
      "or when a ras_docker_* parameter is set (plm_docker_image alone: priority 1, so that "
      "a resource manager's allocation, e.g. salloc's, gives the nodes)",
      &ras_docker_params.priority },
};

const dkr_mca_param_t *ras_docker_param_table(size_t *n)
{
    ras_docker_params.host = "";
    ras_docker_params.label = "mpi.node";
    ras_docker_params.names = "";
    ras_docker_params.service = "";
    ras_docker_params.slots = 0;
    ras_docker_params.priority = 120;
    ras_docker_params.containers = 1;
    *n = sizeof(table) / sizeof(table[0]);
    return table;
}
