/*
 * ras_docker_core.c - docker discovery, runtime-neutral: asks the endpoint
 * for the containers that make up the job and hands them to the runtime's
 * module as nodes, or says why there are none.
 */
#define _GNU_SOURCE /* asprintf */
#include "ras_docker.h"

#include "dkr_jobc.h"   /* DKR_LABEL_OWNER */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    const ras_docker_rt_t *rt;
    dkr_client_t *cli;
    dkr_discover_t *discover;
    void *job;
    char *selection;     /* what was asked, for messages */
} core;

#define RT core.rt

static const char *endpoint_url(void)
{
    return dkr_mca_endpoint_url(core.cli, "");
}

static void give_up(void)
{
    void *job = core.job;

    core.job = NULL;
    RT->failed(job);
    RT->release(job);
}

static void discovered(int rc, const char *errstr, const dkr_node_t *nodes, size_t n, void *arg)
{
    void *job = core.job;

    (void)arg;
    core.discover = NULL;
    if (DKR_OK != rc) {
        if (dkr_mca_is_endpoint_failure(rc)) {
            dkr_mca_show_endpoint_failure(&RT->mca, rc, errstr, endpoint_url());
        } else {
            dkr_mca_show_help(&RT->mca, RAS_DOCKER_HELP_FILE, "list-failed", endpoint_url(),
                              NULL == errstr ? dkr_strerror(rc) : errstr);
        }
        give_up();
        return;
    }
    if (0 == n && NULL != errstr && '\0' != errstr[0]) {
        dkr_mca_show_help(&RT->mca, RAS_DOCKER_HELP_FILE, "only-foreign",
                          NULL == core.selection ? "" : core.selection, endpoint_url(), errstr,
                          (unsigned long)getuid());
        give_up();
        return;
    }
    if (0 == n) {
        dkr_mca_show_help(&RT->mca, RAS_DOCKER_HELP_FILE, "no-match",
                          NULL == core.selection ? "" : core.selection, endpoint_url());
        give_up();
        return;
    }
    if (NULL != errstr && '\0' != errstr[0]) {
        dkr_mca_verbose(&RT->mca, 1, "ras:docker: %s", errstr);
    }
    for (size_t i = 0; i < n; i++) {
        if (NULL == nodes[i].swarm_node) {
            dkr_mca_verbose(&RT->mca, 1, "ras:docker: node %s (container %.12s), %d slots",
                            nodes[i].name, nodes[i].id, nodes[i].slots);
        } else {
            dkr_mca_verbose(&RT->mca, 1, "ras:docker: node %s (container %.12s, swarm node %s %s %s), "
                            "%d slots", nodes[i].name, nodes[i].id, nodes[i].swarm_node,
                            NULL == nodes[i].swarm_hostname ? "?" : nodes[i].swarm_hostname,
                            NULL == nodes[i].swarm_addr ? "?" : nodes[i].swarm_addr, nodes[i].slots);
        }
    }
    core.job = NULL;
    RT->allocate(job, nodes, n);
    RT->release(job);
}

/* The endpoint: ours if set, else the launcher's (plm docker), else the
 * docker CLI's defaults. */
static dkr_client_t *client_new(void)
{
    const char *host = ras_docker_params.host;
    const char *env_verify = getenv("DOCKER_TLS_VERIFY");
    bool verify = RT->plm_bool("tls_verify", NULL != env_verify && '\0' != env_verify[0]);

    if (NULL == host || '\0' == host[0]) {
        host = RT->plm_string("host");
    }
    return dkr_mca_client(&RT->mca, RT->base, host, verify, RT->plm_string("cert_path"),
                          RT->plm_int("timeout", 30));
}

/* "label a=b, names x*, service s", for messages. */
static char *describe(const dkr_discover_spec_t *spec)
{
    const char *parts[3][2] = { { "label ", spec->labels }, { "names ", spec->names },
                                { "service ", spec->service } };
    char *out = strdup(""), *tmp;

    for (int i = 0; i < 3 && NULL != out; i++) {
        if (NULL == parts[i][1] || '\0' == parts[i][1][0]) {
            continue;
        }
        if (0 > asprintf(&tmp, "%s%s%s%s", out, '\0' == out[0] ? "" : ", ", parts[i][0], parts[i][1])) {
            tmp = NULL;
        }
        free(out);
        out = tmp;
    }
    return out;
}

bool ras_docker_core_image_mode(const ras_docker_rt_t *rt)
{
    const char *image = rt->plm_string("image");
    return NULL != image && '\0' != image[0];
}

/* Job-owned containers: ras_docker_containers nodes, node1..nodeN, that
 * plm docker creates; the processes are spread over them. */
static void make_nodes(void *job)
{
    int n = ras_docker_params.containers > 0 ? ras_docker_params.containers : 1;
    int np = RT->job_procs(job), slots = ras_docker_params.slots;
    dkr_node_t *nodes = calloc((size_t)n, sizeof(*nodes));
    bool ok = NULL != nodes;

    if (slots <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        slots = np > 0 ? (np + n - 1) / n : (int)(cpus > 0 ? cpus : 1);
    }
    for (int i = 0; ok && i < n; i++) {
        ok = 0 <= asprintf(&nodes[i].name, "node%d", i + 1);
        nodes[i].id = "";
        nodes[i].slots = slots;
        dkr_mca_verbose(&RT->mca, 1, "ras:docker: node node%d (a container to make), %d slots",
                        i + 1, slots);
    }
    core.job = NULL;
    if (ok) {
        RT->allocate(job, nodes, (size_t)n);
    } else {
        RT->failed(job);
    }
    for (int i = 0; NULL != nodes && i < n; i++) {
        free(nodes[i].name);
    }
    free(nodes);
    RT->release(job);
}

void ras_docker_core_allocate(const ras_docker_rt_t *rt, void *job)
{
    const ras_docker_params_t *p = &ras_docker_params;
    dkr_discover_spec_t spec = { 0 };
    bool by_name = '\0' != p->names[0] || '\0' != p->service[0];
    char err[512], uid[32];

    core.rt = rt;
    core.job = job;
    rt->retain(job);
    if (ras_docker_core_image_mode(rt)) {
        make_nodes(job);
        return;
    }

    /* the default label selects unless names or a service were asked for */
    spec.labels = by_name && !rt->label_set() ? NULL : p->label;
    spec.names = p->names;
    spec.service = p->service;
    spec.slots = p->slots;
    /* Other users' containers are never taken, unless the selection names
     * an owner itself (ras_docker_label ompi-docker.owner=UID). */
    snprintf(uid, sizeof(uid), "%lu", (unsigned long)getuid());
    spec.owner = NULL != spec.labels && NULL != strstr(spec.labels, DKR_LABEL_OWNER "=") ? NULL : uid;
    free(core.selection);
    core.selection = describe(&spec);
    if (NULL == core.cli && NULL == (core.cli = client_new())) {
        give_up();
        return;
    }
    dkr_mca_verbose(&rt->mca, 1, "ras:docker: discovering %s on %s",
                    NULL == core.selection ? "" : core.selection, endpoint_url());
    core.discover = dkr_discover_start(core.cli, &spec, discovered, NULL, err, sizeof(err));
    if (NULL == core.discover) {
        dkr_mca_show_help(&rt->mca, RAS_DOCKER_HELP_FILE, "bad-filter", err);
        give_up();
    }
}

void ras_docker_core_finalize(void)
{
    dkr_discover_cancel(core.discover);
    core.discover = NULL;
    dkr_client_free(core.cli);
    core.cli = NULL;
    if (NULL != core.job) {
        RT->release(core.job);
        core.job = NULL;
    }
    free(core.selection);
    core.selection = NULL;
}
