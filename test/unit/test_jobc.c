/*
 * test_jobc.c - job-owned containers without Docker: the create body, the
 * parsers, a container run (create, attach, wait, start) and the prepare
 * and cleanup steps against fake_dockerd's canned answers.
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
#include "dkr_jobc.h"
#include "dkr_libevent.h"
#include "fake_dockerd.h"

/* ---------------------------------------------------------------- pure */

static void test_parsers(void **state)
{
    int64_t v = 0;
    dkr_pull_t p;

    (void)state;
    assert_int_equal(DKR_OK, dkr_size_parse("1g", &v));
    assert_true(1073741824 == v);
    assert_int_equal(DKR_OK, dkr_size_parse("512m", &v));
    assert_true(536870912 == v);
    assert_int_equal(DKR_OK, dkr_size_parse("64MB", &v));
    assert_true(67108864 == v);
    assert_int_equal(DKR_OK, dkr_size_parse("1.5g", &v));
    assert_true(1610612736 == v);
    assert_int_equal(DKR_OK, dkr_size_parse("4096", &v));
    assert_true(4096 == v);
    assert_int_equal(DKR_ERR_ARG, dkr_size_parse("x", &v));
    assert_int_equal(DKR_ERR_ARG, dkr_size_parse("1q", &v));
    assert_int_equal(DKR_ERR_ARG, dkr_size_parse("-1g", &v));
    assert_int_equal(DKR_ERR_ARG, dkr_size_parse("", &v));

    assert_int_equal(DKR_OK, dkr_pull_parse("never", &p));
    assert_int_equal(DKR_PULL_NEVER, p);
    assert_int_equal(DKR_OK, dkr_pull_parse("always", &p));
    assert_int_equal(DKR_PULL_ALWAYS, p);
    assert_int_equal(DKR_ERR_ARG, dkr_pull_parse("sometimes", &p));
}

static void test_names(void **state)
{
    char *s;

    (void)state;
    s = dkr_jobc_container_name("vm-12-ab", "node1");
    assert_string_equal("ompi-vm-12-ab-node1", s);
    free(s);
    s = dkr_jobc_container_name("h/x y", "n:1");
    assert_string_equal("ompi-h-x-y-n-1", s);
    free(s);
    s = dkr_jobc_network_name("vm-12-ab");
    assert_string_equal("ompi-vm-12-ab-net", s);
    free(s);
}

static const char *jstr(json_object *o, const char *a, const char *b)
{
    json_object *x = NULL, *y = NULL;

    if (!json_object_object_get_ex(o, a, &x)) {
        return NULL;
    }
    if (NULL == b) {
        return json_object_get_string(x);
    }
    return json_object_object_get_ex(x, b, &y) ? json_object_get_string(y) : NULL;
}

static void test_create_body(void **state)
{
    const char *cmd[] = { "orted", "-mca", "x", "a b;$(c) `d`", NULL };
    const char *env[] = { "OMPI_MCA_btl_tcp_if_include=10.0.0.0/24", "HOME=/tmp", NULL };
    const char *labels[] = { "team=hpc", "flag", NULL };
    const char *binds[] = { "/data:/data:ro", NULL };
    const char *devices[] = { "/dev/infiniband/uverbs0", NULL };
    dkr_jobc_spec_t spec = {
        .image = "app:1.2", .job = "vm-1-ab", .owner = "4242", .labels = labels,
        .user = "4242:4242", .workdir = "/home/u/run", .binds = binds,
        .shm_size = 1073741824, .devices = devices, .gpus = "all",
    };
    char err[256] = "";
    json_object *b = dkr_jobc_create_body(&spec, "node1", "ompi-net", cmd, env, err, sizeof(err));
    json_object *host = NULL, *a = NULL;

    (void)state;
    assert_non_null(b);
    assert_string_equal("app:1.2", jstr(b, "Image", NULL));
    assert_string_equal("node1", jstr(b, "Hostname", NULL));
    assert_string_equal("4242:4242", jstr(b, "User", NULL));
    assert_string_equal("/home/u/run", jstr(b, "WorkingDir", NULL));
    assert_string_equal("vm-1-ab", jstr(b, "Labels", DKR_LABEL_JOB));
    assert_string_equal("4242", jstr(b, "Labels", DKR_LABEL_OWNER));
    assert_string_equal("ompi-docker", jstr(b, "Labels", DKR_LABEL_PROJECT));
    assert_string_equal("hpc", jstr(b, "Labels", "team"));
    assert_string_equal("", jstr(b, "Labels", "flag"));
    /* the command is an argv, kept verbatim: no shell */
    assert_true(json_object_object_get_ex(b, "Cmd", &a));
    assert_int_equal(4, json_object_array_length(a));
    assert_string_equal("a b;$(c) `d`", json_object_get_string(json_object_array_get_idx(a, 3)));
    assert_true(json_object_object_get_ex(b, "Env", &a));
    assert_int_equal(2, json_object_array_length(a));
    assert_false(json_object_get_boolean(json_object_object_get(b, "Tty")));

    assert_true(json_object_object_get_ex(b, "HostConfig", &host));
    assert_true(json_object_get_boolean(json_object_object_get(host, "AutoRemove")));
    assert_true(json_object_get_boolean(json_object_object_get(host, "Init")));
    assert_true(1073741824 == json_object_get_int64(json_object_object_get(host, "ShmSize")));
    assert_string_equal("ompi-net", jstr(host, "NetworkMode", NULL));
    a = json_object_object_get(host, "Binds");
    assert_int_equal(2, json_object_array_length(a));
    assert_string_equal("/home/u/run:/home/u/run", json_object_get_string(json_object_array_get_idx(a, 0)));
    assert_string_equal("/data:/data:ro", json_object_get_string(json_object_array_get_idx(a, 1)));
    a = json_object_object_get(host, "Devices");
    assert_int_equal(1, json_object_array_length(a));
    assert_string_equal("/dev/infiniband/uverbs0", jstr(json_object_array_get_idx(a, 0), "PathOnHost", NULL));
    a = json_object_object_get(host, "DeviceRequests");
    assert_int_equal(-1, json_object_get_int(json_object_object_get(json_object_array_get_idx(a, 0), "Count")));
    assert_null(json_object_object_get(host, "Privileged"));
    json_object_put(b);

    /* keep: no AutoRemove; GPU ids; no workdir, no shm size, no user */
    spec.keep = 1;
    spec.gpus = "0,2";
    spec.workdir = NULL;
    spec.shm_size = 0;
    spec.user = NULL;
    spec.devices = NULL;
    b = dkr_jobc_create_body(&spec, "n2", "net", cmd, env, err, sizeof(err));
    assert_non_null(b);
    host = json_object_object_get(b, "HostConfig");
    assert_false(json_object_get_boolean(json_object_object_get(host, "AutoRemove")));
    assert_null(json_object_object_get(host, "ShmSize"));
    assert_null(json_object_object_get(b, "User"));
    assert_null(json_object_object_get(b, "WorkingDir"));
    a = json_object_object_get(json_object_array_get_idx(json_object_object_get(host, "DeviceRequests"), 0),
                               "DeviceIDs");
    assert_int_equal(2, json_object_array_length(a));
    assert_string_equal("2", json_object_get_string(json_object_array_get_idx(a, 1)));
    json_object_put(b);

    /* a relative source would silently become a named volume: refused */
    binds[0] = "data:/data";
    assert_null(dkr_jobc_create_body(&spec, "n", "net", cmd, env, err, sizeof(err)));
    assert_non_null(strstr(err, "data:/data"));
}

/* ------------------------------------------------------------ the engine */

static volatile int started_flag;
static volatile int pull_fails;
static volatile int listings;
/* test_prepare_odd_answers: 1 the network create answer has a null Id,
 * 2 the network's gateway is null; image "odd:1" is pulled with null errors */
static volatile int odd_net;
static volatile int net_inspects;
static volatile int odd_inspects;

static const char STREAM_HEAD[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nApi-Version: 1.41\r\n\r\n";

static int h_engine(fake_t *f, int fd, const fd_req_t *r, void *arg)
{
    (void)f;
    (void)arg;
    if (0 == strcmp(r->path, "/_ping")) {
        fake_reply(fd, 200, "text/plain", "Api-Version: 1.41\r\n", "OK");
    } else if (0 == strcmp(r->path, "/v1.41/containers/create?name=ompi-j-node1")) {
        fake_docker_reply(fd, 201, "{\"Id\":\"cid1\",\"Warnings\":[]}");
    } else if (0 == strcmp(r->path, "/v1.41/containers/create?name=ompi-j-nope")) {
        fake_docker_reply(fd, 404, "{\"message\":\"No such image: nope:1\"}");
    } else if (0 == strcmp(r->path, "/v1.41/containers/create?name=ompi-j-bad")) {
        fake_docker_reply(fd, 201, "{\"Id\":\"cid2\"}");
    } else if (0 == strncmp(r->path, "/v1.41/containers/cid", 21) && NULL != strstr(r->path, "/attach?")) {
        static const unsigned char out[] = { 1, 0, 0, 0, 0, 0, 0, 6, 'h', 'e', 'l', 'l', 'o', '\n' };
        fake_write(fd, STREAM_HEAD, sizeof(STREAM_HEAD) - 1);
        if (NULL != strstr(r->path, "cid2")) {
            fake_wait_close(f, fd);
            return 0;
        }
        while (!started_flag) {
            fake_sleep_ms(2);
        }
        fake_write(fd, out, sizeof(out));
        return 0;       /* the container ended: the stream closes */
    } else if (0 == strncmp(r->path, "/v1.41/containers/cid", 21) && NULL != strstr(r->path, "/wait?")) {
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Api-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n";
        static const char body[] = "{\"Error\":null,\"StatusCode\":5}\n";
        char chunk[128];
        fake_write(fd, head, sizeof(head) - 1);
        if (NULL != strstr(r->path, "cid2")) {
            fake_wait_close(f, fd);
            return 0;
        }
        while (!started_flag) {
            fake_sleep_ms(2);
        }
        fake_sleep_ms(20);
        snprintf(chunk, sizeof(chunk), "%zx\r\n%s\r\n0\r\n\r\n", sizeof(body) - 1, body);
        fake_write(fd, chunk, strlen(chunk));
        return 0;
    } else if (0 == strcmp(r->path, "/v1.41/containers/cid1/start")) {
        started_flag = 1;
        fake_reply(fd, 204, NULL, "Api-Version: 1.41\r\n", NULL);
    } else if (0 == strcmp(r->path, "/v1.41/containers/cid2/start")) {
        fake_docker_reply(fd, 400, "{\"message\":\"OCI runtime create failed: exec: \\\"/x\\\": no such file\"}");
    } else if (0 == strcmp(r->path, "/v1.41/images/app:1/json")) {
        fake_docker_reply(fd, 200, "{\"Id\":\"sha256:1\"}");
    } else if (0 == strcmp(r->path, "/v1.41/images/127.0.0.1:9/nosuch:2/json")) {
        fake_docker_reply(fd, 404, "{\"message\":\"No such image: 127.0.0.1:9/nosuch:2\"}");
    } else if (0 == strncmp(r->path, "/v1.41/images/create?fromImage=127.0.0.1%3A9%2Fnosuch&tag=2", 60)) {
        static const char lines[] = "{\"status\":\"Pulling\"}\n{\"error\":\"connection refused\","
                                    "\"errorDetail\":{\"message\":\"connection refused\"}}\n";
        pull_fails++;
        fake_docker_reply(fd, 200, lines);
    } else if (0 == strcmp(r->path, "/v1.41/images/odd:1/json")) {
        if (odd_inspects++ < 1) {
            fake_docker_reply(fd, 404, "{\"message\":\"No such image: odd:1\"}");
        } else {
            fake_docker_reply(fd, 200, "{\"Id\":\"sha256:2\"}");
        }
    } else if (0 == strcmp(r->path, "/v1.41/images/create?fromImage=odd&tag=1")) {
        fake_docker_reply(fd, 200, "{\"status\":\"Pulling\",\"error\":null}\n{\"error\":null}\n"
                                   "{\"status\":\"Downloaded newer image for odd:1\"}\n");
    } else if (0 == strcmp(r->path, "/v1.41/networks/create") && 1 == odd_net) {
        fake_docker_reply(fd, 201, "{\"Id\":null,\"Warning\":\"\"}");
    } else if (0 == strcmp(r->path, "/v1.41/networks/create") && 2 == odd_net) {
        fake_docker_reply(fd, 201, "{\"Id\":\"nid2\",\"Warning\":\"\"}");
    } else if (0 == strcmp(r->path, "/v1.41/networks/nid2")) {
        fake_docker_reply(fd, 200, "{\"Name\":\"ompi-j-net\",\"Id\":\"nid2\",\"IPAM\":{\"Config\":"
                                   "[{\"Subnet\":\"10.78.0.0/24\",\"Gateway\":null}]}}");
    } else if (0 == strcmp(r->path, "/v1.41/networks/create") && 3 == odd_net) {
        fake_docker_reply(fd, 201, "{\"Id\":\"nid3\",\"Warning\":\"\"}");
    } else if (0 == strcmp(r->path, "/v1.41/networks/nid3")) {
        /* Podman 4.3.1 (CNI) on an --internal network: no gateway, as "<nil>" */
        fake_docker_reply(fd, 200, "{\"Name\":\"ompi-j-net\",\"Id\":\"nid3\",\"Created\":"
                                   "\"2026-11-23T17:42:16.945648092Z\",\"Scope\":\"local\",\"Driver\":"
                                   "\"bridge\",\"EnableIPv6\":false,\"IPAM\":{\"Driver\":\"default\","
                                   "\"Options\":{\"driver\":\"host-local\"},\"Config\":[{\"Subnet\":"
                                   "\"10.89.1.0/24\",\"Gateway\":\"<nil>\"}]},\"Internal\":true,"
                                   "\"Attachable\":false,\"Ingress\":false,\"ConfigFrom\":{\"Network\":"
                                   "\"\"},\"ConfigOnly\":false,\"Containers\":{},\"Options\":{},"
                                   "\"Labels\":{\"ompi-docker.test\":\"podman\"}}");
    } else if (0 == strcmp(r->path, "/v1.41/networks/create") && odd_net >= 4) {
        fake_docker_reply(fd, 201, "{\"Id\":\"nid4\",\"Warning\":\"\"}");
    } else if (0 == strcmp(r->path, "/v1.41/networks/nid4")) {
        /* a Swarm overlay just made: no subnet for the first 3 inspections
         * (odd_net 4), or never (odd_net 5) */
        if (5 == odd_net || net_inspects++ < 3) {
            fake_docker_reply(fd, 200, "{\"Name\":\"ompi-j-net\",\"Id\":\"nid4\",\"Driver\":\"overlay\","
                                       "\"IPAM\":{\"Driver\":\"default\",\"Options\":null,\"Config\":[]}}");
        } else {
            fake_docker_reply(fd, 200, "{\"Name\":\"ompi-j-net\",\"Id\":\"nid4\",\"Driver\":\"overlay\","
                                       "\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.7.0/24\",\"Gateway\":\"10.0.7.1\"}]}}");
        }
    } else if (0 == strcmp(r->path, "/v1.41/networks/create")) {
        fake_docker_reply(fd, 201, "{\"Id\":\"nid1\",\"Warning\":\"\"}");
    } else if (0 == strcmp(r->path, "/v1.41/networks/nid1")) {
        fake_docker_reply(fd, 200, "{\"Name\":\"ompi-j-net\",\"Id\":\"nid1\",\"Internal\":true,"
                                   "\"IPAM\":{\"Config\":[{\"Subnet\":\"10.77.0.0/24\",\"Gateway\":\"10.77.0.1\"}]}}");
    } else if (0 == strncmp(r->path, "/v1.41/containers/json?all=1&filters=", 37)) {
        /* the job's containers: one still there, then gone by itself */
        fake_docker_reply(fd, 200, listings++ < 1 ? "[{\"Id\":\"cid9\"}]" : "[]");
    } else if (0 == strncmp(r->path, "/v1.41/networks?filters=", 24)) {
        fake_docker_reply(fd, 200, "[{\"Id\":\"nid1\"}]");
    } else if (0 == strcmp(r->method, "DELETE") && 0 == strcmp(r->path, "/v1.41/networks/nid1")) {
        fake_reply(fd, 204, NULL, "Api-Version: 1.41\r\n", NULL);
    } else {
        fake_docker_reply(fd, 500, "{\"message\":\"unexpected request\"}");
    }
    return 1;
}

typedef struct env {
    fake_t *fake;
    struct event_base *base;
    dkr_client_t *cli;
    dkr_endpoint_t *ep;
} env_t;

static env_t *env_new(void)
{
    env_t *e = calloc(1, sizeof(*e));
    char url[512], err[256];
    dkr_client_opts_t opts = { .timeout_ms = 5000 };

    started_flag = 0;
    pull_fails = 0;
    listings = 0;
    odd_net = 0;
    net_inspects = 0;
    odd_inspects = 0;
    e->fake = fake_start(h_engine, NULL);
    snprintf(url, sizeof(url), "unix://%s", fake_path(e->fake));
    assert_int_equal(DKR_OK, dkr_endpoint_parse(url, NULL, &e->ep, err, sizeof(err)));
    e->base = event_base_new();
    e->cli = dkr_client_new(e->ep, &opts);
    assert_int_equal(DKR_OK, dkr_libevent_attach(e->cli, e->base));
    return e;
}

static void ping_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    (void)cli;
    assert_int_equal(DKR_OK, res->rc);
    *(int *)arg = 1;
}

/* Learns the API version, as every real user does first. */
static void ping(env_t *e)
{
    int done = 0;
    assert_non_null(dkr_ping(e->cli, ping_done, &done));
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &done, 5000));
}

static void env_free(env_t *e)
{
    dkr_client_free(e->cli);
    event_base_free(e->base);
    dkr_endpoint_free(e->ep);
    fake_stop(e->fake);
    free(e);
}

typedef struct rrec {
    int started, finished, rc, exit_code;
    char out[64];
    char err[512];
} rrec_t;

static void r_started(dkr_run_t *r, void *arg)
{
    (void)r;
    ((rrec_t *)arg)->started++;
}

static void r_output(dkr_run_t *r, int stream, const char *buf, size_t len, void *arg)
{
    rrec_t *x = arg;
    (void)r;
    (void)stream;
    strncat(x->out, buf, len < sizeof(x->out) - strlen(x->out) - 1 ? len : sizeof(x->out) - strlen(x->out) - 1);
}

static void r_finished(dkr_run_t *r, const dkr_result_t *res, int exit_code, void *arg)
{
    rrec_t *x = arg;
    (void)r;
    x->finished++;
    x->rc = res->rc;
    x->exit_code = exit_code;
    snprintf(x->err, sizeof(x->err), "%s", res->errstr);
}

static const dkr_run_ops_t r_ops = { r_started, r_output, r_finished };

static void test_run_container(void **state)
{
    env_t *e = env_new();
    json_object *body = json_tokener_parse("{\"Image\":\"app:1\",\"Cmd\":[\"orted\"]}");
    rrec_t x = { 0 };
    fd_req_t seen;
    dkr_run_t *r;

    (void)state;
    ping(e);
    r = dkr_run_container(e->cli, "ompi-j-node1", body, &r_ops, &x);
    assert_non_null(r);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.finished, 5000));
    assert_int_equal(DKR_OK, x.rc);
    assert_int_equal(5, x.exit_code);
    assert_int_equal(1, x.started);
    assert_string_equal("hello\n", x.out);
    /* after the ping: create, attach, wait, start, in that order */
    assert_true(fake_request(e->fake, 1, &seen));
    assert_string_equal("/v1.41/containers/create?name=ompi-j-node1", seen.path);
    assert_non_null(strstr(seen.body, "\"Image\":\"app:1\""));
    assert_true(fake_request(e->fake, 2, &seen));
    assert_non_null(strstr(seen.path, "/attach?stream=1"));
    assert_true(fake_request(e->fake, 3, &seen));
    assert_non_null(strstr(seen.path, "/wait?condition=next-exit"));
    assert_true(fake_request(e->fake, 4, &seen));
    assert_string_equal("/v1.41/containers/cid1/start", seen.path);

    /* a missing image: create's 404, named */
    memset(&x, 0, sizeof(x));
    dkr_run_container(e->cli, "ompi-j-nope", body, &r_ops, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.finished, 5000));
    assert_int_equal(DKR_ERR_NOT_FOUND, x.rc);
    assert_non_null(strstr(x.err, "No such image: nope:1"));
    assert_non_null(strstr(x.err, "ompi-j-nope"));
    assert_int_equal(0, x.started);

    /* a start the runtime refuses: its message, and the other calls dropped */
    memset(&x, 0, sizeof(x));
    dkr_run_container(e->cli, "ompi-j-bad", body, &r_ops, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.finished, 5000));
    assert_int_equal(DKR_ERR_HTTP, x.rc);
    assert_non_null(strstr(x.err, "no such file"));
    assert_int_equal(0, dkr_client_pending(e->cli));

    /* cancelled before it ends */
    memset(&x, 0, sizeof(x));
    r = dkr_run_container(e->cli, "ompi-j-bad", body, &r_ops, &x);
    dkr_run_cancel(r);
    assert_int_equal(1, x.finished);
    assert_int_equal(DKR_ERR_CANCELLED, x.rc);
    json_object_put(body);
    env_free(e);
}

typedef struct jrec {
    int ready, ok;
} jrec_t;

static void j_ready(dkr_jobc_t *j, int ok, void *arg)
{
    jrec_t *x = arg;
    (void)j;
    x->ready++;
    x->ok = ok;
}

static void test_prepare(void **state)
{
    env_t *e = env_new();
    const char *addrs[] = { "192.168.1.5/24", NULL };
    dkr_jobc_spec_t spec = { .image = "127.0.0.1:9/nosuch:2", .job = "j", .owner = "0" };
    jrec_t x = { 0 };
    const char *err = NULL;
    int rc = 0;
    dkr_jobc_t *j;

    (void)state;
    /* missing, pulled, the pull fails inside its 200 */
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.ready, 5000));
    assert_false(x.ok);
    assert_int_equal(DKR_JOBC_PULL_FAILED, dkr_jobc_failure(j, &rc, &err));
    assert_non_null(strstr(err, "connection refused"));
    assert_int_equal(1, pull_fails);
    dkr_jobc_free(j);

    /* pull never: missing, no pull */
    memset(&x, 0, sizeof(x));
    spec.pull = DKR_PULL_NEVER;
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.ready, 5000));
    assert_int_equal(DKR_JOBC_IMAGE_MISSING, dkr_jobc_failure(j, &rc, &err));
    assert_non_null(strstr(err, "No such image"));
    assert_int_equal(1, pull_fails);
    dkr_jobc_free(j);

    /* present: a network of its own; the host is on it through the gateway
     * (the endpoint is a local socket) */
    memset(&x, 0, sizeof(x));
    spec.image = "app:1";
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.ready, 5000));
    assert_true(x.ok);
    assert_string_equal("10.77.0.0/24", dkr_jobc_network(j)->cidr);
    assert_string_equal("10.77.0.1", dkr_jobc_network(j)->host_ip);
    assert_string_equal("ompi-j-net", dkr_jobc_network(j)->network);
    assert_true(dkr_jobc_own_network(j));
    dkr_jobc_free(j);

    /* freed while in flight: no callback */
    memset(&x, 0, sizeof(x));
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    dkr_jobc_free(j);
    assert_int_equal(0, x.ready);
    env_free(e);
}

/* Found by fuzz_json: JSON nulls where strings were expected crashed the
 * pull ({"error":null}), the network create (null Id) and inspect (null
 * Gateway) handlers. */
static void test_prepare_odd_answers(void **state)
{
    env_t *e = env_new();
    const char *addrs[] = { "192.168.1.5/24", NULL };
    dkr_jobc_spec_t spec = { .image = "odd:1", .job = "j", .owner = "0" };
    jrec_t x = { 0 };
    const char *err = NULL;
    int rc = 0;
    dkr_jobc_t *j;

    (void)state;
    odd_net = 1;        /* pulled (null errors are none), then no Id */
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.ready, 5000));
    assert_false(x.ok);
    assert_int_equal(DKR_JOBC_NETWORK, dkr_jobc_failure(j, &rc, &err));
    assert_int_equal(DKR_ERR_PROTOCOL, rc);
    assert_non_null(strstr(err, "no Id"));
    assert_int_equal(2, odd_inspects);
    dkr_jobc_free(j);

    odd_net = 2;        /* a null gateway: the host has no address on the network */
    memset(&x, 0, sizeof(x));
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.ready, 5000));
    assert_false(x.ok);
    assert_int_equal(DKR_JOBC_NETWORK, dkr_jobc_failure(j, &rc, &err));
    assert_non_null(strstr(err, "no address on the job's network"));
    assert_string_equal("10.78.0.0/24", dkr_jobc_network(j)->cidr);
    assert_string_equal("", dkr_jobc_network(j)->host_ip);
    dkr_jobc_free(j);

    odd_net = 3;        /* Podman's "<nil>" gateway is no address either */
    memset(&x, 0, sizeof(x));
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.ready, 5000));
    assert_false(x.ok);
    assert_int_equal(DKR_JOBC_NETWORK, dkr_jobc_failure(j, &rc, &err));
    assert_non_null(strstr(err, "no address on the job's network"));
    assert_non_null(strstr(err, "no gateway"));
    assert_string_equal("10.89.1.0/24", dkr_jobc_network(j)->cidr);
    assert_string_equal("", dkr_jobc_network(j)->host_ip);
    dkr_jobc_free(j);

    /* A Swarm overlay whose subnet comes late: asked again until it is there */
    spec.swarm = 1;
    odd_net = 4;
    memset(&x, 0, sizeof(x));
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.ready, 5000));
    assert_true(x.ok);
    assert_int_equal(4, net_inspects);
    assert_string_equal("10.0.7.0/24", dkr_jobc_network(j)->cidr);
    dkr_jobc_free(j);

    /* ... or never: a failure that says so, not a job without a network */
    odd_net = 5;
    memset(&x, 0, sizeof(x));
    j = dkr_jobc_prepare(e->cli, &spec, addrs, j_ready, &x);
    assert_int_equal(DKR_OK, dkr_libevent_run_until(e->base, &x.ready, 10000));
    assert_false(x.ok);
    assert_int_equal(DKR_JOBC_NETWORK, dkr_jobc_failure(j, &rc, &err));
    assert_non_null(strstr(err, "no subnet"));
    dkr_jobc_free(j);
    env_free(e);
}

static void test_cleanup(void **state)
{
    env_t *e = env_new();
    char err[256] = "";
    int left = -1;
    fd_req_t seen;
    int n, deletes = 0;

    (void)state;
    assert_int_equal(DKR_OK, dkr_jobc_cleanup(e->ep, "j", 0, 2000, 2000, &left, err, sizeof(err)));
    assert_int_equal(0, left);
    assert_string_equal("", err);
    n = fake_requests(e->fake);
    for (int i = 0; i < n; i++) {
        assert_true(fake_request(e->fake, i, &seen));
        if (0 == strcmp(seen.method, "DELETE")) {
            deletes++;
            assert_string_equal("/v1.41/networks/nid1", seen.path);   /* the container went by itself */
        }
        if (NULL != strstr(seen.path, "filters=")) {
            assert_non_null(strstr(seen.path, "ompi-docker.job%3Dj"));
        }
    }
    assert_int_equal(1, deletes);
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_create_body),
        cmocka_unit_test(test_run_container),
        cmocka_unit_test(test_prepare),
        cmocka_unit_test(test_prepare_odd_answers),
        cmocka_unit_test(test_cleanup),
    };
    return cmocka_run_group_tests_name("jobc", tests, NULL, NULL);
}
