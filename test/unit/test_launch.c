/*
 * test_launch.c - daemon start-up (dkr_launch) and node discovery
 * (dkr_discover) against fake_dockerd: the engine's answers are canned, the
 * client, the HTTP and the event loop are real.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "dkr.h"
#include "dkr_discover.h"
#include "dkr_launch.h"
#include "dkr_libevent.h"
#include "fake_dockerd.h"

/* --------------------------------------------------------- the engine */

#define NET(ip) "\"NetworkSettings\":{\"Networks\":{\"n1\":{\"NetworkID\":\"nid1\",\"IPAddress\":\"" ip \
                "\",\"IPPrefixLen\":24,\"Gateway\":\"10.1.0.1\"}}}"

static const char *inspect_json(const char *name)
{
    if (0 == strcmp(name, "c1") || 0 == strcmp(name, "id1")) {
        return "{\"Id\":\"id1\",\"Name\":\"/c1\",\"State\":{\"Status\":\"running\",\"Running\":true,"
               "\"Paused\":false},\"Config\":{\"Hostname\":\"h1\",\"Labels\":{}},"
               "\"HostConfig\":{\"NanoCpus\":0,\"CpusetCpus\":\"\"}," NET("10.1.0.2") "}";
    }
    if (0 == strcmp(name, "c4") || 0 == strcmp(name, "id4")) {
        return "{\"Id\":\"id4\",\"Name\":\"/c4\",\"State\":{\"Status\":\"running\",\"Running\":true,"
               "\"Paused\":false},\"Config\":{\"Hostname\":\"h4\",\"Labels\":{}},"
               "\"HostConfig\":{\"NanoCpus\":0,\"CpusetCpus\":\"\"}," NET("10.1.0.4") "}";
    }
    if (0 == strcmp(name, "c3")) {
        return "{\"Id\":\"id3\",\"Name\":\"/c3\",\"State\":{\"Status\":\"exited\",\"Running\":false,"
               "\"Paused\":false},\"Config\":{\"Hostname\":\"h3\"}," NET("") "}";
    }
    /* discovery: a has a CPU limit, c a cpuset, d nothing */
    if (0 == strcmp(name, "ida")) {
        return "{\"Id\":\"ida\",\"Name\":\"/a\",\"State\":{\"Status\":\"running\",\"Running\":true},"
               "\"Config\":{\"Labels\":{\"mpi.node\":\"\"}},\"HostConfig\":{\"NanoCpus\":1500000000}}";
    }
    if (0 == strcmp(name, "idc")) {
        return "{\"Id\":\"idc\",\"Name\":\"/c\",\"State\":{\"Status\":\"running\",\"Running\":true},"
               "\"Config\":{\"Labels\":{\"mpi.node\":\"\"}},\"HostConfig\":{\"CpusetCpus\":\"0-2,5\"}}";
    }
    if (0 == strcmp(name, "idd")) {
        return "{\"Id\":\"idd\",\"Name\":\"/d\",\"State\":{\"Status\":\"running\",\"Running\":true},"
               "\"Config\":{\"Labels\":{\"mpi.node\":\"\"}},\"HostConfig\":{}}";
    }
    if (0 == strcmp(name, "idgone")) {
        return "{\"Id\":\"idgone\",\"Name\":\"/gone\",\"State\":{\"Status\":\"exited\",\"Running\":false},"
               "\"Config\":{\"Labels\":{\"mpi.node\":\"\"}},\"HostConfig\":{}}";
    }
    if (0 == strcmp(name, "idt1")) {
        return "{\"Id\":\"idt1\",\"Name\":\"/svc.1.x\",\"State\":{\"Status\":\"running\",\"Running\":true},"
               "\"Config\":{\"Labels\":{}},\"HostConfig\":{}}";
    }
    return NULL;
}

/* Listed in no particular order; b's slots come from its label. */
static const char LIST[] =
    "[{\"Id\":\"idd\",\"Names\":[\"/d\"],\"State\":\"running\",\"Labels\":{\"mpi.node\":\"\"}},"
    "{\"Id\":\"idb\",\"Names\":[\"/b\"],\"State\":\"running\",\"Labels\":{\"mpi.node\":\"\",\"mpi.slots\":\"2\"}},"
    "{\"Id\":\"ida\",\"Names\":[\"/a\"],\"State\":\"running\",\"Labels\":{\"mpi.node\":\"\"}},"
    "{\"Id\":\"idgone\",\"Names\":[\"/gone\"],\"State\":\"running\",\"Labels\":{\"mpi.node\":\"\"}},"
    "{\"Id\":\"idc\",\"Names\":[\"/c\"],\"State\":\"running\",\"Labels\":{\"mpi.node\":\"\"}}]";

static const char TASKS[] =
    "[{\"ID\":\"t1\",\"NodeID\":\"node-1\",\"DesiredState\":\"running\",\"Status\":{\"State\":\"running\","
    "\"ContainerStatus\":{\"ContainerID\":\"idt1\"}}},"
    "{\"ID\":\"t2\",\"NodeID\":\"node-2\",\"DesiredState\":\"running\",\"Status\":{\"State\":\"preparing\","
    "\"ContainerStatus\":{}}},"
    /* on another Swarm node: the manager cannot inspect idt3 (404) */
    "{\"ID\":\"t3\",\"NodeID\":\"node-2\",\"Slot\":2,\"DesiredState\":\"running\","
    "\"Spec\":{\"ContainerSpec\":{\"Labels\":{\"mpi.slots\":\"2\"}}},"
    "\"Status\":{\"State\":\"running\",\"ContainerStatus\":{\"ContainerID\":\"idt3\"}}}]";

static const char NODES[] =
    "[{\"ID\":\"node-1\",\"Description\":{\"Hostname\":\"mgr\"},\"Status\":{\"State\":\"ready\","
    "\"Addr\":\"0.0.0.0\"},\"ManagerStatus\":{\"Leader\":true,\"Addr\":\"10.9.0.1:2377\"}},"
    "{\"ID\":\"node-2\",\"Description\":{\"Hostname\":\"w2\"},\"Status\":{\"State\":\"ready\","
    "\"Addr\":\"10.9.0.12\"}}]";

static const char STREAM_HEAD[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nApi-Version: 1.41\r\n\r\n";

/* The container in "/v1.41/containers/NAME/suffix", or 0. */
static int container_path(const char *path, const char *suffix, char *name, size_t len)
{
    const char *p = path + strlen("/v1.41/containers/"), *slash;

    if (0 != strncmp(path, "/v1.41/containers/", 18) || NULL == (slash = strchr(p, '/'))
        || 0 != strcmp(slash + 1, suffix) || (size_t)(slash - p) >= len) {
        return 0;
    }
    memcpy(name, p, (size_t)(slash - p));
    name[slash - p] = '\0';
    return 1;
}

static int h_engine(fake_t *f, int fd, const fd_req_t *r, void *arg)
{
    char name[256];
    const char *json;

    (void)f;
    (void)arg;
    if (0 == strcmp(r->path, "/_ping")) {
        fake_reply(fd, 200, "text/plain; charset=utf-8", "Api-Version: 1.41\r\n", "OK");
    } else if (0 == strncmp(r->path, "/v1.41/containers/json?", 23)) {
        fake_docker_reply(fd, 200, LIST);
    } else if (0 == strncmp(r->path, "/v1.41/tasks?", 13)) {
        fake_docker_reply(fd, 200, TASKS);
    } else if (0 == strcmp(r->path, "/v1.41/nodes")) {
        fake_docker_reply(fd, 200, NODES);
    } else if (0 == strcmp(r->path, "/v1.41/services/svc")) {
        fake_docker_reply(fd, 200, "{\"ID\":\"sid\",\"Spec\":{\"Name\":\"svc\"}}");
    } else if (container_path(r->path, "json", name, sizeof(name))) {
        if (NULL == (json = inspect_json(name))) {
            char msg[300];
            snprintf(msg, sizeof(msg), "{\"message\":\"No such container: %s\"}", name);
            fake_docker_reply(fd, 404, msg);
        } else {
            fake_docker_reply(fd, 200, json);
        }
    } else if (container_path(r->path, "exec", name, sizeof(name))) {
        char body[300];     /* room for any name: no truncation warning */
        snprintf(body, sizeof(body), "{\"Id\":\"x%s\"}", name);
        fake_docker_reply(fd, 201, body);
    } else if (0 == strcmp(r->path, "/v1.41/exec/xid1/start")) {
        static const unsigned char out[] = { 1, 0, 0, 0, 0, 0, 0, 3, 'h', 'i', '\n' };
        fake_write(fd, STREAM_HEAD, sizeof(STREAM_HEAD) - 1);
        fake_write(fd, out, sizeof(out));
        return 0;
    } else if (0 == strcmp(r->path, "/v1.41/exec/xid4/start")) {
        static const unsigned char err[] = { 2, 0, 0, 0, 0, 0, 0, 5, 'b', 'a', 'd', '!', '\n' };
        fake_write(fd, STREAM_HEAD, sizeof(STREAM_HEAD) - 1);
        fake_write(fd, err, sizeof(err));
        return 0;
    } else if (0 == strcmp(r->path, "/v1.41/exec/xid1/json")) {
        fake_docker_reply(fd, 200, "{\"ID\":\"xid1\",\"Running\":false,\"ExitCode\":0}");
    } else if (0 == strcmp(r->path, "/v1.41/exec/xid4/json")) {
        fake_docker_reply(fd, 200, "{\"ID\":\"xid4\",\"Running\":false,\"ExitCode\":7}");
    } else {
        fake_docker_reply(fd, 500, "{\"message\":\"unexpected request\"}");
    }
    return 1;
}

/* ------------------------------------------------------------ plumbing */

typedef struct env {
    fake_t *fake;
    struct event_base *base;
    dkr_client_t *cli;
} env_t;

static env_t *env_new(void)
{
    env_t *e = calloc(1, sizeof(*e));
    char url[512], err[256];
    dkr_endpoint_t *ep = NULL;
    dkr_client_opts_t opts = { .timeout_ms = 5000 };

    e->fake = fake_start(h_engine, NULL);
    assert_non_null(e->fake);
    snprintf(url, sizeof(url), "unix://%s", fake_path(e->fake));
    assert_int_equal(DKR_OK, dkr_endpoint_parse(url, NULL, &ep, err, sizeof(err)));
    e->base = event_base_new();
    e->cli = dkr_client_new(ep, &opts);
    dkr_endpoint_free(ep);
    assert_int_equal(DKR_OK, dkr_libevent_attach(e->cli, e->base));
    return e;
}

static void env_free(env_t *e)
{
    dkr_client_free(e->cli);
    event_base_free(e->base);
    fake_stop(e->fake);
    free(e);
}

static void wait_for(env_t *e, const int *flag)
{
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, flag, 5000));
}

/* --------------------------------------------------------------- launch */

typedef struct lrec {
    int resolved, ok;
    int started[8], finished[8], exit_code[8], rc[8];
    int all_finished;
    size_t n;
} lrec_t;

static void l_resolved(dkr_launch_t *l, int ok, void *arg)
{
    lrec_t *r = arg;
    (void)l;
    r->resolved++;
    r->ok = ok;
}

static void l_started(dkr_launch_t *l, size_t i, void *arg)
{
    lrec_t *r = arg;
    (void)l;
    r->started[i]++;
}

static void l_finished(dkr_launch_t *l, size_t i, const dkr_result_t *res, int exit_code, void *arg)
{
    lrec_t *r = arg;
    size_t done = 0;

    r->finished[i]++;
    r->exit_code[i] = exit_code;
    r->rc[i] = res->rc;
    for (size_t k = 0; k < r->n; k++) {
        done += r->finished[k] > 0;
    }
    r->all_finished = done == dkr_launch_count(l);
}

static const dkr_launch_ops_t l_ops = { l_resolved, l_started, NULL, l_finished };

static void test_launch_resolve_failures(void **state)
{
    env_t *e = env_new();
    lrec_t r = { 0 };
    dkr_launch_opts_t opts = { .max_concurrent = 2 };
    dkr_launch_t *l = dkr_launch_new(&opts, &l_ops, &r);
    const char *err = NULL;
    int rc = 0;

    (void)state;
    dkr_launch_add(l, e->cli, "c1");
    dkr_launch_add(l, e->cli, "nope");
    dkr_launch_add(l, e->cli, "c3");
    r.n = 3;
    assert_int_equal(DKR_OK, dkr_launch_resolve(l, NULL));
    wait_for(e, &r.resolved);
    assert_int_equal(1, r.resolved);
    assert_false(r.ok);
    assert_int_equal(DKR_FAIL_NONE, dkr_launch_failure(l, 0, NULL, NULL));
    assert_int_equal(DKR_FAIL_NO_CONTAINER, dkr_launch_failure(l, 1, &rc, &err));
    assert_int_equal(DKR_ERR_NOT_FOUND, rc);
    assert_non_null(strstr(err, "nope"));
    assert_int_equal(DKR_FAIL_NOT_RUNNING, dkr_launch_failure(l, 2, NULL, &err));
    assert_string_equal("exited", err);
    assert_int_equal(DKR_FAIL_NONE, dkr_launch_global_failure(l, NULL, NULL, NULL));
    /* nothing was started */
    assert_int_equal(0, r.started[0]);
    assert_int_equal(0, dkr_launch_running(l));
    dkr_launch_free(l);
    env_free(e);
}

static void test_launch_endpoint_failure(void **state)
{
    lrec_t r = { 0 };
    dkr_endpoint_t *ep = NULL;
    char err[256];
    struct event_base *base = event_base_new();
    dkr_client_t *cli;
    dkr_launch_t *l = dkr_launch_new(NULL, &l_ops, &r);
    dkr_client_t *which = NULL;
    const char *why = NULL;
    int rc = 0;

    (void)state;
    assert_int_equal(DKR_OK, dkr_endpoint_parse("unix:///nonexistent/dkr-test.sock", NULL, &ep, err, sizeof(err)));
    cli = dkr_client_new(ep, NULL);
    dkr_endpoint_free(ep);
    dkr_libevent_attach(cli, base);
    dkr_launch_add(l, cli, "c1");
    assert_int_equal(DKR_OK, dkr_launch_resolve(l, NULL));
    assert_int_equal(DKR_OK, dkr_libevent_run_until(base, &r.resolved, 5000));
    assert_false(r.ok);
    assert_int_equal(DKR_FAIL_ENDPOINT, dkr_launch_global_failure(l, &rc, &why, &which));
    assert_int_equal(DKR_ERR_CONNECT, rc);
    assert_ptr_equal(cli, which);
    assert_non_null(strstr(why, "/nonexistent/dkr-test.sock"));
    dkr_launch_free(l);
    dkr_client_free(cli);
    event_base_free(base);
}

static void test_launch_daemons(void **state)
{
    env_t *e = env_new();
    lrec_t r = { 0 };
    dkr_launch_opts_t opts = { .max_concurrent = 1 };
    dkr_launch_t *l = dkr_launch_new(&opts, &l_ops, &r);
    const char *host[] = { "10.1.0.1/24", NULL };
    const char *cmd[] = { "orted", "-mca", "x", "a b;c", NULL };
    dkr_exec_spec_t spec = { .cmd = cmd };
    const dkr_net_choice_t *net;

    (void)state;
    dkr_launch_add(l, e->cli, "c1");
    dkr_launch_add(l, e->cli, "c4");
    r.n = 2;
    dkr_launch_resolve(l, host);
    wait_for(e, &r.resolved);
    assert_true(r.ok);
    net = dkr_launch_network(l);
    assert_string_equal("n1", net->network);
    assert_string_equal("10.1.0.0/24", net->cidr);
    assert_string_equal("10.1.0.1", net->host_ip);
    assert_string_equal("h4", dkr_launch_container(l, 1)->hostname);

    assert_int_equal(DKR_OK, dkr_launch_start(l, 0, &spec));
    assert_int_equal(DKR_OK, dkr_launch_start(l, 1, &spec));
    assert_int_equal(DKR_ERR_ARG, dkr_launch_start(l, 1, &spec));   /* one daemon each */
    wait_for(e, &r.all_finished);
    assert_int_equal(1, r.started[0]);
    assert_int_equal(1, r.started[1]);
    assert_int_equal(1, r.finished[0]);
    assert_int_equal(1, r.finished[1]);
    assert_int_equal(DKR_OK, r.rc[0]);
    assert_int_equal(0, r.exit_code[0]);
    assert_int_equal(7, r.exit_code[1]);
    assert_string_equal("hi\n", dkr_launch_output(l, 0));
    assert_string_equal("bad!\n", dkr_launch_output(l, 1));
    assert_int_equal(0, dkr_launch_running(l));
    dkr_launch_free(l);
    env_free(e);
}

/* ------------------------------------------------------------ discovery */

typedef struct drec {
    int done, rc, n;
    char names[8][32];
    int slots[8];
    char swarm[8][32];
    char addr[8][32];
    char err[256];
} drec_t;

static void d_done(int rc, const char *errstr, const dkr_node_t *nodes, size_t n, void *arg)
{
    drec_t *d = arg;

    d->done++;
    d->rc = rc;
    d->n = (int)n;
    snprintf(d->err, sizeof(d->err), "%s", NULL == errstr ? "" : errstr);
    for (size_t i = 0; i < n && i < 8; i++) {
        snprintf(d->names[i], sizeof(d->names[i]), "%s", nodes[i].name);
        d->slots[i] = nodes[i].slots;
        snprintf(d->swarm[i], sizeof(d->swarm[i]), "%s", NULL == nodes[i].swarm_node ? "" : nodes[i].swarm_node);
        snprintf(d->addr[i], sizeof(d->addr[i]), "%s", NULL == nodes[i].swarm_addr ? "" : nodes[i].swarm_addr);
    }
}

static void test_discover_labels(void **state)
{
    env_t *e = env_new();
    drec_t d = { 0 };
    dkr_discover_spec_t spec = { .labels = "mpi.node" };
    fd_req_t seen;

    (void)state;
    assert_non_null(dkr_discover_start(e->cli, &spec, d_done, &d, NULL, 0));
    wait_for(e, &d.done);
    assert_int_equal(DKR_OK, d.rc);
    /* sorted by name; "gone" stopped between list and inspect */
    assert_int_equal(4, d.n);
    assert_string_equal("a", d.names[0]);
    assert_int_equal(2, d.slots[0]);          /* 1.5 CPUs, rounded up */
    assert_string_equal("b", d.names[1]);
    assert_int_equal(2, d.slots[1]);          /* mpi.slots=2 */
    assert_string_equal("c", d.names[2]);
    assert_int_equal(4, d.slots[2]);          /* cpuset 0-2,5 */
    assert_string_equal("d", d.names[3]);
    assert_int_equal(1, d.slots[3]);
    assert_true(fake_request(e->fake, 1, &seen));
    assert_non_null(strstr(seen.path, "filters="));
    assert_non_null(strstr(seen.path, "mpi.node"));
    env_free(e);
}

static void test_discover_names_and_override(void **state)
{
    env_t *e = env_new();
    drec_t d = { 0 };
    dkr_discover_spec_t spec = { .names = "a, [cd]", .slots = 3 };

    (void)state;
    assert_non_null(dkr_discover_start(e->cli, &spec, d_done, &d, NULL, 0));
    wait_for(e, &d.done);
    assert_int_equal(DKR_OK, d.rc);
    assert_int_equal(3, d.n);
    assert_string_equal("a", d.names[0]);
    assert_string_equal("c", d.names[1]);
    assert_string_equal("d", d.names[2]);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(3, d.slots[i]);
    }
    env_free(e);
}

static void test_discover_service(void **state)
{
    env_t *e = env_new();
    drec_t d = { 0 };
    dkr_discover_spec_t spec = { .service = "svc" };
    fd_req_t seen;

    (void)state;
    assert_non_null(dkr_discover_start(e->cli, &spec, d_done, &d, NULL, 0));
    wait_for(e, &d.done);
    assert_int_equal(DKR_OK, d.rc);
    assert_int_equal(2, d.n);                 /* the preparing task is not a node */
    assert_string_equal("svc.1.x", d.names[0]);
    assert_string_equal("node-1", d.swarm[0]);
    assert_string_equal("10.9.0.1", d.addr[0]);   /* a manager: ManagerStatus.Addr */
    assert_int_equal(1, d.slots[0]);
    /* inspect says 404 (another node's container): described from the task */
    assert_string_equal("svc.2.t3", d.names[1]);
    assert_string_equal("node-2", d.swarm[1]);
    assert_string_equal("10.9.0.12", d.addr[1]);
    assert_int_equal(2, d.slots[1]);          /* Spec.ContainerSpec.Labels mpi.slots */
    assert_true(fake_request(e->fake, 1, &seen));
    assert_non_null(strstr(seen.path, "/tasks?filters="));
    env_free(e);
}

static void test_discover_service_narrowed(void **state)
{
    env_t *e = env_new();
    drec_t d = { 0 };
    dkr_discover_spec_t spec = { .service = "svc", .labels = "nosuch=1" };

    (void)state;
    assert_non_null(dkr_discover_start(e->cli, &spec, d_done, &d, NULL, 0));
    wait_for(e, &d.done);
    assert_int_equal(DKR_OK, d.rc);
    assert_int_equal(0, d.n);                 /* the task carries no such label */
    memset(&d, 0, sizeof(d));
    spec.labels = NULL;
    spec.names = "svc.*";
    assert_non_null(dkr_discover_start(e->cli, &spec, d_done, &d, NULL, 0));
    wait_for(e, &d.done);
    assert_int_equal(2, d.n);
    env_free(e);
}

static void test_discover_no_match_and_errors(void **state)
{
    env_t *e = env_new();
    drec_t d = { 0 };
    dkr_discover_spec_t spec = { .names = "zz*" };
    char err[128] = "";
    dkr_discover_t *h;

    (void)state;
    assert_non_null(dkr_discover_start(e->cli, &spec, d_done, &d, NULL, 0));
    wait_for(e, &d.done);
    assert_int_equal(DKR_OK, d.rc);
    assert_int_equal(0, d.n);

    spec.names = NULL;
    spec.labels = "ok,=novalue";
    assert_null(dkr_discover_start(e->cli, &spec, d_done, &d, err, sizeof(err)));
    assert_non_null(strstr(err, "=novalue"));

    /* cancelled before it finishes: no callback */
    spec.labels = "mpi.node";
    memset(&d, 0, sizeof(d));
    h = dkr_discover_start(e->cli, &spec, d_done, &d, NULL, 0);
    assert_non_null(h);
    dkr_discover_cancel(h);
    assert_int_equal(0, d.done);
    env_free(e);
}

static void test_discover_pure(void **state)
{
    char err[128];
    char *f;
    dkr_container_t c = { 0 };
    char *labels[] = { "mpi.slots=5", NULL };

    (void)state;
    assert_int_equal(DKR_OK, dkr_labels_check("a,b=c, d ", err, sizeof(err)));
    assert_int_equal(DKR_OK, dkr_labels_check("", err, sizeof(err)));
    assert_int_equal(DKR_ERR_ARG, dkr_labels_check("a,\"b", err, sizeof(err)));
    f = dkr_containers_filter("a, b=c");
    assert_string_equal("{\"status\":[\"running\"],\"label\":[\"a\",\"b=c\"]}", f);
    free(f);
    f = dkr_containers_filter(NULL);
    assert_string_equal("{\"status\":[\"running\"]}", f);
    free(f);
    assert_true(dkr_names_match("x,web-*", "web-3"));
    assert_false(dkr_names_match("x,web-*", "db-1"));
    assert_false(dkr_names_match("", "db-1"));
    assert_int_equal(4, dkr_cpuset_count("0-2,7"));
    assert_int_equal(1, dkr_cpuset_count("3"));
    assert_int_equal(0, dkr_cpuset_count("3-1"));
    assert_int_equal(0, dkr_cpuset_count("x"));
    assert_int_equal(0, dkr_cpuset_count(NULL));
    /* found by fuzz_json: huge numbers overflowed the count */
    assert_int_equal(0, dkr_cpuset_count("0-7777777777777777777777777777777777771,1"));
    assert_int_equal(0, dkr_cpuset_count("9223372036854775807"));
    assert_int_equal(0, dkr_cpuset_count("0-65535,0-65535"));
    assert_int_equal(65536, dkr_cpuset_count("0-65535"));
    assert_int_equal(1, dkr_node_slots(&c, 0));
    assert_int_equal(9, dkr_node_slots(&c, 9));
    c.nano_cpus = INT64_MAX;         /* no overflow rounding it up */
    assert_int_equal(1 << 20, dkr_node_slots(&c, 0));
    c.nano_cpus = 1500000000;
    assert_int_equal(2, dkr_node_slots(&c, 0));
    c.nano_cpus = 2000000000;
    assert_int_equal(2, dkr_node_slots(&c, 0));
    c.labels = labels;
    assert_int_equal(5, dkr_node_slots(&c, 0));
    /* a label that is no positive number does not hide the CPU limit */
    labels[0] = "mpi.slots=zero";
    assert_int_equal(2, dkr_node_slots(&c, 0));
    labels[0] = "mpi.slots=0";
    assert_int_equal(2, dkr_node_slots(&c, 0));

    labels[0] = "color=blue";
    assert_true(dkr_labels_match("color", &c));
    assert_true(dkr_labels_match("color=blue", &c));
    assert_false(dkr_labels_match("color=blu", &c));
    assert_false(dkr_labels_match("color=blue,size", &c));
    assert_true(dkr_labels_match("", &c));

    /* the owner label: absent = anyone's; present = only that uid's */
    assert_true(dkr_owner_allows("1000", &c));
    labels[0] = "ompi-docker.owner=1000";
    assert_true(dkr_owner_allows("1000", &c));
    assert_false(dkr_owner_allows("1001", &c));
    assert_false(dkr_owner_allows("100", &c));
    assert_true(dkr_owner_allows(NULL, &c));
    labels[0] = "ompi-docker.owner";          /* no value: nobody's */
    assert_false(dkr_owner_allows("1000", &c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launch_resolve_failures),
        cmocka_unit_test(test_launch_endpoint_failure),
        cmocka_unit_test(test_launch_daemons),
        cmocka_unit_test(test_discover_labels),
        cmocka_unit_test(test_discover_names_and_override),
        cmocka_unit_test(test_discover_service),
        cmocka_unit_test(test_discover_service_narrowed),
        cmocka_unit_test(test_discover_no_match_and_errors),
        cmocka_unit_test(test_discover_pure),
    };
    return cmocka_run_group_tests_name("launch", tests, NULL, NULL);
}
