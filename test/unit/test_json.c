/*
 * test_json.c - container parsing from real inspect/list answers, and the
 * exec create body.  No I/O.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "dkr.h"
#include "fixtures.h"
#include "fixtures_podman.h"

static struct json_object *parse(const char *s)
{
    struct json_object *o = json_tokener_parse(s);

    assert_non_null(o);
    return o;
}

static void test_inspect_running(void **state)
{
    struct json_object *o = parse(inspect_running_json);
    dkr_container_t *c = NULL;
    int present = -1;

    (void)state;
    assert_int_equal(dkr_container_from_json(o, &c), DKR_OK);
    assert_string_equal(c->id, "7a2a838426952273025947e73d3725c7c31f76c042effa1c09921a6130f76780");
    assert_string_equal(c->name, "dkr-sample");
    assert_string_equal(c->hostname, "node7");
    assert_string_equal(c->image, "dkr-live:test");   /* Config.Image, not the sha256 */
    assert_string_equal(c->state, "running");
    assert_int_equal(c->running, 1);
    assert_int_equal(c->paused, 0);
    assert_int_equal(c->n_nets, 1);
    assert_string_equal(c->nets[0].network, "dkrtestnet");
    assert_string_equal(c->nets[0].network_id,
                        "fb57ecb07bf0049091b4f0f6de3f03d91e474e15e25909a7ff31e6714407b50c");
    assert_string_equal(c->nets[0].ip, "10.251.9.2");
    assert_int_equal(c->nets[0].prefix_len, 24);
    assert_string_equal(c->nets[0].gateway, "10.251.9.1");
    assert_true(c->nano_cpus == 1500000000LL);
    assert_string_equal(c->cpuset, "0-1");

    /* labels with and without values */
    assert_string_equal(dkr_container_label(c, "ompi.slots", &present), "4");
    assert_int_equal(present, 1);
    assert_string_equal(dkr_container_label(c, "flag", &present), "");
    assert_int_equal(present, 1);
    assert_null(dkr_container_label(c, "ompi", &present));   /* a prefix is not a key */
    assert_int_equal(present, 0);
    assert_null(dkr_container_label(c, "missing", NULL));
    assert_string_equal(c->labels[0], "flag=");
    assert_string_equal(c->labels[1], "ompi-docker.test=libdkr");
    assert_string_equal(c->labels[2], "ompi.slots=4");
    assert_null(c->labels[3]);
    dkr_container_free(c);
    json_object_put(o);
}

static void test_list(void **state)
{
    struct json_object *o = parse(list_json);
    dkr_container_t **v = NULL;
    size_t n = 0;

    (void)state;
    assert_int_equal(dkr_containers_from_json(o, &v, &n), DKR_OK);
    assert_int_equal(n, 2);
    /* exited, on network none: no address */
    assert_string_equal(v[0]->name, "dkr-sample2");
    assert_null(v[0]->hostname);
    assert_string_equal(v[0]->image, "dkr-live:test");
    assert_string_equal(v[0]->state, "exited");
    assert_int_equal(v[0]->running, 0);
    assert_int_equal(v[0]->n_nets, 1);
    assert_string_equal(v[0]->nets[0].network, "none");
    assert_string_equal(v[0]->nets[0].ip, "");
    assert_string_equal(v[0]->nets[0].gateway, "");
    assert_int_equal(v[0]->nets[0].prefix_len, 0);
    assert_true(v[0]->nano_cpus == 0);
    assert_null(v[0]->cpuset);
    /* running */
    assert_string_equal(v[1]->name, "dkr-sample");
    assert_int_equal(v[1]->running, 1);
    assert_string_equal(v[1]->nets[0].ip, "10.251.9.2");
    assert_int_equal(v[1]->nets[0].prefix_len, 24);
    assert_string_equal(dkr_container_label(v[1], "ompi.slots", NULL), "4");
    dkr_containers_free(v, n);
    json_object_put(o);
}

static void test_nulls_and_missing(void **state)
{
    struct json_object *o;
    dkr_container_t *c = NULL;
    dkr_container_t **v = NULL;
    size_t n = 7;
    int present = 0;

    (void)state;
    /* everything but Id missing or null */
    o = parse("{\"Id\":\"abc\",\"Name\":null,\"Config\":{\"Hostname\":null,\"Labels\":null},"
              "\"State\":null,\"HostConfig\":null,\"NetworkSettings\":{\"Networks\":null}}");
    assert_int_equal(dkr_container_from_json(o, &c), DKR_OK);
    assert_string_equal(c->id, "abc");
    assert_string_equal(c->name, "");
    assert_null(c->hostname);
    assert_string_equal(c->image, "");
    assert_string_equal(c->state, "");
    assert_non_null(c->labels);
    assert_null(c->labels[0]);
    assert_int_equal(c->n_nets, 0);
    assert_null(c->cpuset);
    dkr_container_free(c);
    json_object_put(o);

    /* a list item: Names with a legacy link alias first, a null label value,
     * a paused state, a network entry that is null */
    o = parse("{\"Id\":\"def\",\"Names\":[\"/web/db\",\"/db\"],\"State\":\"paused\","
              "\"Labels\":{\"k\":null,\"a\":\"b=c\"},"
              "\"NetworkSettings\":{\"Networks\":{\"n1\":null}}}");
    assert_int_equal(dkr_container_from_json(o, &c), DKR_OK);
    assert_string_equal(c->name, "db");
    assert_int_equal(c->paused, 1);
    assert_int_equal(c->running, 0);
    assert_null(dkr_container_label(c, "k", &present));
    assert_int_equal(present, 1);
    assert_string_equal(dkr_container_label(c, "a", &present), "b=c");
    assert_int_equal(c->n_nets, 1);
    assert_string_equal(c->nets[0].network, "n1");
    assert_string_equal(c->nets[0].ip, "");
    dkr_container_free(c);
    json_object_put(o);

    /* not containers */
    o = parse("{\"Names\":[\"/x\"]}");
    assert_int_equal(dkr_container_from_json(o, &c), DKR_ERR_PROTOCOL);
    assert_null(c);
    json_object_put(o);
    o = parse("[1,2]");
    assert_int_equal(dkr_container_from_json(o, &c), DKR_ERR_PROTOCOL);
    assert_int_equal(dkr_containers_from_json(o, &v, &n), DKR_ERR_PROTOCOL);
    assert_null(v);
    assert_int_equal(n, 0);
    json_object_put(o);
    o = parse("{}");
    assert_int_equal(dkr_containers_from_json(o, &v, &n), DKR_ERR_PROTOCOL);
    json_object_put(o);
    o = parse("[]");
    assert_int_equal(dkr_containers_from_json(o, &v, &n), DKR_OK);
    assert_int_equal(n, 0);
    dkr_containers_free(v, n);
    json_object_put(o);
    assert_int_equal(dkr_container_from_json(NULL, &c), DKR_ERR_PROTOCOL);
}

static void test_exec_inspect_fixture(void **state)
{
    struct json_object *o = parse(exec_inspect_json), *v = NULL;

    (void)state;
    /* the fields dkr_exec reads, as Docker spells them */
    assert_true(json_object_object_get_ex(o, "ExitCode", &v));
    assert_int_equal(json_object_get_int(v), 3);
    assert_true(json_object_object_get_ex(o, "Running", &v));
    assert_false(json_object_get_boolean(v));
    json_object_put(o);
}

/* Podman 4.3.1: a list item has "Name": "" besides "Names", and "Config":
 * null; the name comes from Names, the labels from the top level. */
static void test_podman_list(void **state)
{
    struct json_object *o = parse(podman_list_json);
    dkr_container_t **v = NULL;
    size_t n = 0;
    int present = 0;

    (void)state;
    assert_int_equal(dkr_containers_from_json(o, &v, &n), DKR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0]->name, "pmt-cpu");
    assert_null(v[0]->hostname);
    assert_string_equal(v[0]->image, "localhost/ompi-docker-test:01b6dc718cf4");
    assert_string_equal(v[0]->state, "running");
    assert_int_equal(v[0]->running, 1);
    assert_string_equal(dkr_container_label(v[0], "mpi.node", &present), "");
    assert_int_equal(present, 1);
    assert_string_equal(dkr_container_label(v[0], "ompi-docker.test", NULL), "podman");
    assert_int_equal(v[0]->n_nets, 1);
    assert_string_equal(v[0]->nets[0].network, "pmt-net");
    assert_string_equal(v[0]->nets[0].network_id, "pmt-net");   /* the name, not an id */
    assert_string_equal(v[0]->nets[0].ip, "10.89.0.8");
    assert_int_equal(v[0]->nets[0].prefix_len, 24);
    assert_true(v[0]->nano_cpus == 0);   /* no HostConfig in a list item */
    assert_null(v[0]->cpuset);
    dkr_containers_free(v, n);
    json_object_put(o);
}

/* Podman 4.3.1's inspect: the same fields as Docker's where we read them. */
static void test_podman_inspect(void **state)
{
    struct json_object *o = parse(podman_inspect_json);
    dkr_container_t *c = NULL;

    (void)state;
    assert_int_equal(dkr_container_from_json(o, &c), DKR_OK);
    assert_string_equal(c->name, "pmt-cpu");
    assert_string_equal(c->hostname, "node-seven");
    assert_string_equal(c->image, "localhost/ompi-docker-test:01b6dc718cf4");
    assert_int_equal(c->running, 1);
    assert_int_equal(c->n_nets, 1);
    assert_string_equal(c->nets[0].network, "pmt-net");
    assert_string_equal(c->nets[0].ip, "10.89.0.8");
    assert_int_equal(c->nets[0].prefix_len, 24);
    assert_true(c->nano_cpus == 1500000000LL);
    assert_string_equal(c->cpuset, "0-1");
    dkr_container_free(c);
    json_object_put(o);
}

static void test_podman_exec_inspect(void **state)
{
    struct json_object *o = parse(podman_exec_inspect_json), *v = NULL;

    (void)state;
    /* what dkr_exec reads: ExitCode and Running as Docker has them (Pid is
     * 0 after the end, unlike Docker, and nothing reads it) */
    assert_true(json_object_object_get_ex(o, "ExitCode", &v));
    assert_int_equal(json_object_get_int(v), 3);
    assert_true(json_object_object_get_ex(o, "Running", &v));
    assert_false(json_object_get_boolean(v));
    assert_true(json_object_object_get_ex(o, "Pid", &v));
    assert_int_equal(json_object_get_int(v), 0);
    json_object_put(o);
}

static const char *body_str(struct json_object *o)
{
    return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                          JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void test_exec_body(void **state)
{
    const char *cmd[] = { "echo", "a;b", "$(x)", "*", "it's \"q\"", "back\\slash", "/usr/bin", NULL };
    const char *env[] = { "A=1", "PATH=/x:/y", NULL };
    dkr_exec_spec_t spec = { cmd, env, "1000:1000", "/work dir", 0 };
    struct json_object *o = dkr_exec_create_body(&spec), *arr, *v;
    size_t i;

    (void)state;
    assert_non_null(o);
    assert_string_equal(body_str(o),
        "{\"AttachStdin\":false,\"AttachStdout\":true,\"AttachStderr\":true,\"Tty\":false,"
        "\"Cmd\":[\"echo\",\"a;b\",\"$(x)\",\"*\",\"it's \\\"q\\\"\",\"back\\\\slash\",\"/usr/bin\"],"
        "\"Env\":[\"A=1\",\"PATH=/x:/y\"],\"User\":\"1000:1000\",\"WorkingDir\":\"/work dir\"}");
    /* and it reads back verbatim */
    assert_true(json_object_object_get_ex(o, "Cmd", &arr));
    for (i = 0; cmd[i]; i++) {
        assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, i)), cmd[i]);
    }
    json_object_put(o);

    /* optional fields omitted when NULL; detach drops the attachments */
    spec.env = NULL;
    spec.user = NULL;
    spec.workdir = NULL;
    spec.detach = 1;
    o = dkr_exec_create_body(&spec);
    assert_false(json_object_object_get_ex(o, "Env", &v));
    assert_false(json_object_object_get_ex(o, "User", &v));
    assert_false(json_object_object_get_ex(o, "WorkingDir", &v));
    assert_true(json_object_object_get_ex(o, "AttachStdout", &v));
    assert_false(json_object_get_boolean(v));
    json_object_put(o);

    /* no argv */
    {
        const char *none[] = { NULL };

        spec.cmd = none;
        assert_null(dkr_exec_create_body(&spec));
        spec.cmd = NULL;
        assert_null(dkr_exec_create_body(&spec));
        assert_null(dkr_exec_create_body(NULL));
    }
}

static void test_misc(void **state)
{
    char *e;

    (void)state;
    assert_int_equal(dkr_api_version_cmp("1.41", 1, 25), 1);
    assert_int_equal(dkr_api_version_cmp("1.25", 1, 25), 0);
    assert_int_equal(dkr_api_version_cmp("1.24", 1, 25), -1);
    assert_int_equal(dkr_api_version_cmp("1.9", 1, 25), -1);
    assert_int_equal(dkr_api_version_cmp("2.0", 1, 25), 1);
    assert_int_equal(dkr_api_version_cmp("0.99", 1, 25), -1);
    assert_int_equal(dkr_api_version_cmp("1.", 1, 25), -2);
    assert_int_equal(dkr_api_version_cmp("1.41a", 1, 25), -2);
    assert_int_equal(dkr_api_version_cmp("", 1, 25), -2);
    assert_int_equal(dkr_api_version_cmp(NULL, 1, 25), -2);
    assert_string_equal(dkr_strerror(DKR_ERR_CONNECT), "connection failed");
    assert_string_equal(dkr_strerror(DKR_OK), "success");
    assert_string_equal(dkr_strerror(12345), "unknown error");
    e = dkr_escape("a b/c?d=e&f~g.h_i-j%");
    assert_string_equal(e, "a%20b%2Fc%3Fd%3De%26f~g.h_i-j%25");
    free(e);
    e = dkr_escape("{\"label\":[\"ompi-docker.test=libdkr\"]}");
    assert_string_equal(e, "%7B%22label%22%3A%5B%22ompi-docker.test%3Dlibdkr%22%5D%7D");
    free(e);
    assert_null(dkr_escape(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inspect_running),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_nulls_and_missing),
        cmocka_unit_test(test_exec_inspect_fixture),
        cmocka_unit_test(test_podman_list),
        cmocka_unit_test(test_podman_inspect),
        cmocka_unit_test(test_podman_exec_inspect),
        cmocka_unit_test(test_exec_body),
        cmocka_unit_test(test_misc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
