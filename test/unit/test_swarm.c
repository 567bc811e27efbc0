/*
 * test_swarm.c - the pure parts of dkr_swarm: Swarm nodes and tasks from
 * canned GET /nodes and GET /tasks answers (trimmed from a real 20.10
 * manager), task container names and matching, node-host templates, the map.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "dkr_discover.h"
#include "dkr_swarm.h"

/* A manager (Status.Addr 0.0.0.0, as when it advertises another address),
 * two workers, an IPv6 manager, and an item without ID. */
static const char NODES[] =
    "[{\"ID\":\"mgr1\",\"Description\":{\"Hostname\":\"vm\"},"
    "\"Status\":{\"State\":\"ready\",\"Addr\":\"0.0.0.0\"},"
    "\"ManagerStatus\":{\"Leader\":true,\"Reachability\":\"reachable\",\"Addr\":\"172.20.0.1:2377\"}},"
    "{\"ID\":\"s5159yid4a63ijt8dd6vi7gk7\",\"Description\":{\"Hostname\":\"cl-node1\"},"
    "\"Status\":{\"State\":\"ready\",\"Addr\":\"172.20.0.11\"}},"
    "{\"ID\":\"zejay1b2lrdrn7mbg6eykphf3\",\"Description\":{\"Hostname\":\"cl-node2\"},"
    "\"Status\":{\"State\":\"down\",\"Addr\":\"172.20.0.12\"}},"
    "{\"ID\":\"mgr6\",\"Description\":{\"Hostname\":\"v6\"},\"Status\":{\"State\":\"ready\",\"Addr\":\"fd00::9\"},"
    "\"ManagerStatus\":{\"Addr\":\"[fd00::1]:2377\"}},"
    "{\"Description\":{\"Hostname\":\"noid\"}}]";

/* A global task (slot 0), a replicated one (slot 3), a pending one, one
 * without a container. */
static const char TASKS[] =
    "[{\"ID\":\"6iqcjtlq01yzp5bue6ede3x9e\",\"ServiceID\":\"xcs54\",\"NodeID\":\"zejay1b2lrdrn7mbg6eykphf3\","
    "\"Spec\":{\"ContainerSpec\":{\"Image\":\"img\",\"Labels\":{\"mpi.slots\":\"4\",\"k\":\"v\"}},"
    "\"Resources\":{\"Limits\":{},\"Reservations\":{}}},"
    "\"Status\":{\"State\":\"running\",\"ContainerStatus\":{\"ContainerID\":"
    "\"12c551bdbb3bccdee1a913c8f49d433f3e445b07e3364131ee8d47ec8996d4dd\",\"PID\":347}},"
    "\"DesiredState\":\"running\"},"
    "{\"ID\":\"t3\",\"ServiceID\":\"r1\",\"NodeID\":\"s5159yid4a63ijt8dd6vi7gk7\",\"Slot\":3,"
    "\"Spec\":{\"ContainerSpec\":{\"Image\":\"img\"},\"Resources\":{\"Limits\":{\"NanoCPUs\":2500000000}}},"
    "\"Status\":{\"State\":\"running\",\"ContainerStatus\":{\"ContainerID\":\"cidt3\"}}},"
    "{\"ID\":\"t4\",\"NodeID\":\"s5159yid4a63ijt8dd6vi7gk7\",\"Status\":{\"State\":\"pending\"}},"
    "{\"ID\":\"t5\",\"NodeID\":\"s5159yid4a63ijt8dd6vi7gk7\",\"Status\":{\"State\":\"running\","
    "\"ContainerStatus\":{}}}]";

static void test_nodes(void **state)
{
    json_object *j = json_tokener_parse(NODES);
    dkr_swarm_node_t *v = NULL;
    size_t n = 0;

    (void)state;
    assert_int_equal(DKR_OK, dkr_swarm_nodes_from_json(j, &v, &n));
    assert_int_equal(4, n);                          /* the item without ID is skipped */
    assert_string_equal("mgr1", v[0].id);
    assert_string_equal("172.20.0.1", v[0].addr);    /* ManagerStatus.Addr's host */
    assert_string_equal("vm", v[0].hostname);
    assert_true(v[0].manager);
    assert_string_equal("172.20.0.11", v[1].addr);   /* a worker: Status.Addr */
    assert_string_equal("cl-node1", v[1].hostname);
    assert_false(v[1].manager);
    assert_string_equal("down", v[2].state);
    assert_string_equal("fd00::1", v[3].addr);       /* brackets and port gone */
    dkr_swarm_nodes_free(v, n);
    json_object_put(j);

    j = json_tokener_parse("{\"message\":\"This node is not a swarm manager.\"}");
    assert_int_equal(DKR_ERR_PROTOCOL, dkr_swarm_nodes_from_json(j, &v, &n));
    assert_null(v);
    json_object_put(j);
    assert_int_equal(DKR_ERR_PROTOCOL, dkr_swarm_nodes_from_json(NULL, &v, &n));
}

static void test_tasks_and_names(void **state)
{
    json_object *j = json_tokener_parse(TASKS);
    dkr_swarm_task_t *v = NULL;
    size_t n = 0;
    char *name;

    (void)state;
    assert_int_equal(DKR_OK, dkr_swarm_tasks_from_json(j, &v, &n));
    assert_int_equal(2, n);                          /* pending and container-less skipped */
    assert_string_equal("6iqcjtlq01yzp5bue6ede3x9e", v[0].id);
    assert_string_equal("zejay1b2lrdrn7mbg6eykphf3", v[0].node_id);
    assert_string_equal("xcs54", v[0].service_id);
    assert_int_equal(0, v[0].slot);
    assert_int_equal(3, v[1].slot);

    /* Docker's names: the node id for a global service, else the slot */
    name = dkr_swarm_task_name("odc-svc", &v[0]);
    assert_string_equal("odc-svc.zejay1b2lrdrn7mbg6eykphf3.6iqcjtlq01yzp5bue6ede3x9e", name);
    assert_true(dkr_swarm_task_match(&v[0], name));
    free(name);
    name = dkr_swarm_task_name("web", &v[1]);
    assert_string_equal("web.3.t3", name);
    assert_true(dkr_swarm_task_match(&v[1], name));
    assert_false(dkr_swarm_task_match(&v[0], name));
    free(name);

    assert_true(dkr_swarm_task_match(&v[0], "6iqcjtlq01yzp5bue6ede3x9e"));   /* the task id */
    assert_true(dkr_swarm_task_match(&v[0], "12c551bdbb3b"));                /* container id, 12 */
    assert_true(dkr_swarm_task_match(&v[0], "12c551bdbb3bccdee1a913c8f49d433f3e445b07e3364131ee8d47ec8996d4dd"));
    assert_false(dkr_swarm_task_match(&v[0], "12c551bd"));                   /* too short a prefix */
    assert_false(dkr_swarm_task_match(&v[0], "odc-svc.x.other"));
    assert_false(dkr_swarm_task_match(&v[0], ""));
    assert_false(dkr_swarm_task_match(&v[0], NULL));
    dkr_swarm_tasks_free(v, n);
    json_object_put(j);
}

static void test_task_as_container(void **state)
{
    json_object *j = json_tokener_parse(TASKS);
    dkr_container_t *c = NULL;
    int present = 0;

    (void)state;
    assert_int_equal(DKR_OK, dkr_swarm_task_as_container(json_object_array_get_idx(j, 0), "odc-svc", &c));
    assert_string_equal("odc-svc.zejay1b2lrdrn7mbg6eykphf3.6iqcjtlq01yzp5bue6ede3x9e", c->name);
    assert_string_equal("12c551bdbb3bccdee1a913c8f49d433f3e445b07e3364131ee8d47ec8996d4dd", c->id);
    assert_true(c->running);
    assert_string_equal("v", dkr_container_label(c, "k", &present));
    assert_int_equal(4, dkr_node_slots(c, 0));      /* mpi.slots of the container spec */
    dkr_container_free(c);

    assert_int_equal(DKR_OK, dkr_swarm_task_as_container(json_object_array_get_idx(j, 1), "web", &c));
    assert_string_equal("web.3.t3", c->name);
    assert_int_equal(3, dkr_node_slots(c, 0));      /* 2.5 CPUs of Resources.Limits, rounded up */
    assert_int_equal(5, dkr_node_slots(c, 5));
    dkr_container_free(c);

    assert_int_equal(DKR_ERR_NOT_FOUND, dkr_swarm_task_as_container(json_object_array_get_idx(j, 2), "web", &c));
    assert_null(c);
    json_object_put(j);
}

static void test_expand(void **state)
{
    dkr_swarm_node_t nd = { .id = "nid", .addr = "172.20.0.11", .hostname = "cl-node1" };
    dkr_swarm_node_t v6 = { .id = "n6", .addr = "fd00::1", .hostname = NULL };
    char err[256] = "", *s;

    (void)state;
    s = dkr_swarm_expand("tcp://{addr}:2376", &nd, err, sizeof(err));
    assert_string_equal("tcp://172.20.0.11:2376", s);
    free(s);
    s = dkr_swarm_expand("https://{hostname}.example:2376/{id}", &nd, err, sizeof(err));
    assert_string_equal("https://cl-node1.example:2376/nid", s);
    free(s);
    s = dkr_swarm_expand("tcp://{addr}:2376", &v6, err, sizeof(err));
    assert_string_equal("tcp://[fd00::1]:2376", s);
    free(s);
    s = dkr_swarm_expand("unix:///run/docker.sock", &nd, err, sizeof(err));
    assert_string_equal("unix:///run/docker.sock", s);     /* no field: as is */
    free(s);

    assert_null(dkr_swarm_expand("tcp://{address}:2376", &nd, err, sizeof(err)));
    assert_non_null(strstr(err, "{address}"));
    assert_null(dkr_swarm_expand("tcp://{addr:2376", &nd, err, sizeof(err)));
    assert_non_null(strstr(err, "without '}'"));
    assert_null(dkr_swarm_expand("tcp://{hostname}:2376", &v6, err, sizeof(err)));
    assert_non_null(strstr(err, "n6"));
    assert_non_null(strstr(err, "hostname"));
}

static void test_map(void **state)
{
    json_object *jn = json_tokener_parse(NODES), *jt = json_tokener_parse(TASKS);
    dkr_swarm_node_t *nodes = NULL;
    dkr_swarm_task_t *tasks = NULL;
    size_t nn = 0, nt = 0;
    dkr_swarm_map_t *m;
    const dkr_swarm_node_t *nd;

    (void)state;
    assert_int_equal(DKR_OK, dkr_swarm_nodes_from_json(jn, &nodes, &nn));
    assert_int_equal(DKR_OK, dkr_swarm_tasks_from_json(jt, &tasks, &nt));
    assert_non_null(m = dkr_swarm_map_new(nodes, nn, tasks, nt));
    assert_null(dkr_swarm_map_self(m));
    assert_int_equal(DKR_OK, dkr_swarm_map_set_self(m, "mgr1"));
    assert_string_equal("mgr1", dkr_swarm_map_self(m));

    nd = dkr_swarm_map_node_of(m, "odc-svc.zejay1b2lrdrn7mbg6eykphf3.6iqcjtlq01yzp5bue6ede3x9e");
    assert_non_null(nd);
    assert_string_equal("cl-node2", nd->hostname);
    nd = dkr_swarm_map_node_of(m, "web.3.t3");
    assert_non_null(nd);
    assert_string_equal("172.20.0.11", nd->addr);
    assert_null(dkr_swarm_map_node_of(m, "some-container"));      /* no task: default endpoint */
    assert_null(dkr_swarm_map_node_of(m, "x.1.t4"));              /* pending: not in the map */
    assert_null(dkr_swarm_map_node(m, "nosuch"));
    assert_null(dkr_swarm_map_node_of(NULL, "web.3.t3"));
    dkr_swarm_map_free(m);
    json_object_put(jn);
    json_object_put(jt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nodes),
        cmocka_unit_test(test_tasks_and_names),
        cmocka_unit_test(test_task_as_container),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_map),
    };
    return cmocka_run_group_tests_name("swarm", tests, NULL, NULL);
}
