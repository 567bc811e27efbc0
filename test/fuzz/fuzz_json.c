/*
 * fuzz_json.c - libFuzzer target for the JSON libdkr and the launch code
 * read from engine answers.  The input is one answer body; it is parsed the
 * way dkr_result.c parses a JSON body (whole buffer, json-c) and handed to
 * every reader of such answers:
 *
 *   - dkr_container_from_json   GET /containers/{id}/json (inspect), one list item
 *   - dkr_containers_from_json  GET /containers/json (discovery, plan)
 *   - dkr_task_container        each item of GET /tasks (Swarm discovery)
 *   - dkr_node_slots, dkr_labels_match, dkr_names_match, dkr_plan_network
 *                               what ras/plm do with the parsed containers
 *   - network_inspected         GET /networks/{id} (dkr_jobc.c, its IPAM subnet
 *                               and gateway), for an existing and a per-job network
 *   - network_created           POST /networks/create (its Id), up to the
 *                               inspect it would send
 *   - pull_data                 POST /images/create progress: one JSON object a
 *                               line, in pieces (the raw input, cut in two)
 *
 * dkr_jobc.c is included so its static answer handlers can be called with a
 * result as the client would deliver it; its client is a stub that never
 * connects.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dkr_private.h"
#include "dkr_jobc.c"
#include "dkr_discover.h"
#include "dkr_plan.h"
#include "dkr_swarm.h"

static const char *const host_addrs[] = { "172.17.0.1/16", "10.250.1.1/24", "192.168.5.9/24",
                                          NULL };

static void ready_cb(dkr_jobc_t *j, int ok, void *arg)
{
    (void)j;
    (void)ok;
    (void)arg;
}

static void use_container(const dkr_container_t *c)
{
    int present;
    size_t i;

    if (NULL == c->id || NULL == c->name || NULL == c->image || NULL == c->state ||
        NULL == c->labels || (c->n_nets > 0 && NULL == c->nets)) {
        abort();
    }
    for (i = 0; i < c->n_nets; i++) {
        if (NULL == c->nets[i].network || NULL == c->nets[i].ip) {
            abort();
        }
    }
    if (dkr_node_slots(c, 0) < 1 || 3 != dkr_node_slots(c, 3)) {
        abort();
    }
    (void)dkr_container_label(c, "mpi.slots", &present);
    (void)dkr_labels_match("mpi.node,mpi.slots=2", c);
    (void)dkr_names_match("node*,n?de[0-9],x", c->name);
}

static void plan(dkr_container_t *const *cs, size_t n)
{
    dkr_net_choice_t choice;
    char err[512];

    (void)dkr_plan_network(cs, n, (const char *const *)host_addrs, NULL, &choice, err,
                           sizeof(err));
    (void)dkr_plan_network(cs, n, NULL, "mpinet", &choice, err, sizeof(err));
}

/* The network answers, through dkr_jobc.c's own handlers. */
static void networks(struct json_object *json)
{
    dkr_endpoint_t ep;
    dkr_client_t cli;
    dkr_result_t res;
    int own;

    memset(&ep, 0, sizeof(ep));
    ep.kind = DKR_EP_UNIX;
    ep.url = (char *)"unix:///nonexistent/docker.sock";
    ep.socket_path = ep.url + 7;
    ep.path_prefix = (char *)"";
    memset(&cli, 0, sizeof(cli));
    cli.ep = &ep;
    cli.dying = 1;      /* any request it is asked for fails at once: NULL */
    memset(&res, 0, sizeof(res));
    res.rc = DKR_OK;
    res.http_status = 200;
    res.errstr = "";
    res.json = json;

    for (own = 0; own <= 1; own++) {
        dkr_jobc_t j;

        memset(&j, 0, sizeof(j));
        j.cli = &cli;
        j.cb = ready_cb;
        j.network = (char *)"mpinet";
        j.network_id = own ? (char *)"0123456789ab" : NULL;
        j.own_network = own;
        j.host_addrs = (char **)host_addrs;
        network_inspected(&cli, &res, &j);
        if (NULL == memchr(j.net.host_ip, '\0', sizeof(j.net.host_ip)) ||
            NULL == memchr(j.net.cidr, '\0', sizeof(j.net.cidr))) {
            abort();
        }
    }
    {
        dkr_jobc_t j;

        memset(&j, 0, sizeof(j));
        j.cli = &cli;
        j.cb = ready_cb;
        j.network = (char *)"mpinet";
        j.host_addrs = (char **)host_addrs;
        network_created(&cli, &res, &j);
        free(j.network_id);
    }
}

/* The pull's progress lines, the raw bytes cut in two pieces. */
static void pull_lines(const uint8_t *data, size_t size)
{
    dkr_jobc_t j;
    size_t cut = size > 0 ? data[0] % (size + 1) : 0;

    memset(&j, 0, sizeof(j));
    pull_data(&j, (const char *)data, cut);
    pull_data(&j, (const char *)data + cut, size - cut);
    free(j.pull_line);
    free(j.pull_error);
}

/* GET /nodes and GET /tasks as a multi-node launch reads them
 * (dkr_swarm.c): nodes and tasks, task names and matching, the node-host
 * template, the lookup map, and a task described as a container. */
static void swarm(struct json_object *o)
{
    dkr_swarm_node_t *nodes = NULL;
    dkr_swarm_task_t *tasks = NULL;
    size_t nn = 0, nt = 0;
    dkr_swarm_map_t *m;
    char err[256];

    if (DKR_OK == dkr_swarm_nodes_from_json(o, &nodes, &nn)) {
        for (size_t i = 0; i < nn; i++) {
            char *url;
            err[0] = '\0';
            url = dkr_swarm_expand("tcp://{addr}:2376/{hostname}/{id}", &nodes[i], err, sizeof(err));
            if (NULL == url && '\0' == err[0]) {
                abort();    /* a failure says why */
            }
            free(url);
        }
    }
    if (DKR_OK == dkr_swarm_tasks_from_json(o, &tasks, &nt)) {
        for (size_t i = 0; i < nt; i++) {
            char *name = dkr_swarm_task_name("svc", &tasks[i]);
            /* (no invariant: ids with dots, impossible from Docker, confuse
             * the name's parts; memory safety is what is checked) */
            if (NULL != name) {
                (void)dkr_swarm_task_match(&tasks[i], name);
            }
            free(name);
        }
    }
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o) && i < 16; i++) {
            dkr_container_t *c = NULL;
            if (DKR_OK == dkr_swarm_task_as_container(json_object_array_get_idx(o, i), "svc", &c)) {
                use_container(c);
                dkr_container_free(c);
            }
        }
    }
    /* the map takes both arrays (the task loop above used them first) */
    m = dkr_swarm_map_new(nodes, nn, tasks, nt);
    if (NULL != m) {
        for (size_t i = 0; i < nt; i++) {
            char *name = dkr_swarm_task_name("svc", &tasks[i]);
            if (NULL != name) {
                (void)dkr_swarm_map_node_of(m, name);
                (void)dkr_swarm_map_task(m, name);
                free(name);
            }
        }
        (void)dkr_swarm_map_node_named(m, "cl-node1");
        dkr_swarm_map_free(m);
    }   /* (on failure the map has freed both) */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_tokener *tok;
    struct json_object *o;
    dkr_container_t *c = NULL, **cs = NULL;
    size_t n = 0, i;
    char *body;

    if (size > 1 << 20) {
        return 0;
    }
    pull_lines(data, size);

    /* as dkr_result.c: a NUL-terminated copy, parsed including the NUL */
    if (NULL == (body = malloc(size + 1))) {
        return 0;
    }
    memcpy(body, data, size);
    body[size] = '\0';
    if (NULL == (tok = json_tokener_new())) {
        free(body);
        return 0;
    }
    o = json_tokener_parse_ex(tok, body, (int)size + 1);
    json_tokener_free(tok);
    free(body);
    if (NULL == o) {
        return 0;
    }

    if (DKR_OK == dkr_container_from_json(o, &c)) {
        use_container(c);
        plan(&c, 1);
        dkr_container_free(c);
    }
    if (DKR_OK == dkr_containers_from_json(o, &cs, &n)) {
        for (i = 0; i < n; i++) {
            use_container(cs[i]);
        }
        plan(cs, n);
        dkr_containers_free(cs, n);
    }
    if (json_object_is_type(o, json_type_array)) {
        size_t len = json_object_array_length(o);

        for (i = 0; i < len; i++) {
            char *cid = NULL, *node = NULL;
            int rc = dkr_task_container(json_object_array_get_idx(o, i), &cid, &node);

            if (DKR_OK == rc && (NULL == cid || '\0' == cid[0])) {
                abort();
            }
            free(cid);
            free(node);
        }
    }
    networks(o);
    swarm(o);
    json_object_put(o);
    return 0;
}
