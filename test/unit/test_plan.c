/*
 * test_plan.c - the pure launch decisions: networks, contact URIs, the
 * daemon's environment and its kept output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dkr_plan.h"

/* ------------------------------------------------------------- builders */

typedef struct {
    const char *network, *ip;
    int prefix;
} net_t;

static dkr_container_t *container(const char *name, const net_t *nets, size_t n)
{
    dkr_container_t *c = calloc(1, sizeof(*c));

    c->name = strdup(name);
    c->id = strdup(name);
    c->state = strdup("running");
    c->running = 1;
    c->nets = calloc(n + 1, sizeof(*c->nets));
    c->n_nets = n;
    for (size_t i = 0; i < n; i++) {
        c->nets[i].network = strdup(nets[i].network);
        c->nets[i].network_id = strdup(nets[i].network);
        c->nets[i].ip = strdup(nets[i].ip);
        c->nets[i].prefix_len = nets[i].prefix;
        c->nets[i].gateway = strdup("");
    }
    return c;
}

/* ----------------------------------------------------------------- cidr */

static void test_cidr(void **state)
{
    dkr_cidr_t c;
    char buf[32];

    (void)state;
    assert_int_equal(DKR_OK, dkr_cidr_parse("10.250.1.7/24", &c));
    dkr_cidr_format(&c, buf, sizeof(buf));
    assert_string_equal("10.250.1.0/24", buf);
    assert_true(dkr_cidr_contains(&c, "10.250.1.200"));
    assert_false(dkr_cidr_contains(&c, "10.250.2.1"));
    assert_false(dkr_cidr_contains(&c, "not-an-ip"));
    assert_int_equal(DKR_OK, dkr_cidr_parse("0.0.0.0/0", &c));
    assert_true(dkr_cidr_contains(&c, "192.168.1.1"));
    assert_int_equal(DKR_OK, dkr_cidr_parse("172.18.0.5/32", &c));
    assert_true(dkr_cidr_contains(&c, "172.18.0.5"));
    assert_false(dkr_cidr_contains(&c, "172.18.0.6"));
    assert_int_equal(DKR_ERR_ARG, dkr_cidr_parse("10.0.0.0", &c));
    assert_int_equal(DKR_ERR_ARG, dkr_cidr_parse("10.0.0.0/33", &c));
    assert_int_equal(DKR_ERR_ARG, dkr_cidr_parse("10.0.0/8", &c));
    assert_int_equal(DKR_ERR_ARG, dkr_cidr_parse("10.0.0.0/x", &c));
    assert_int_equal(DKR_ERR_ARG, dkr_cidr_parse(NULL, &c));
}

/* -------------------------------------------------------------- network */

static void test_network_prefers_user_defined_and_host(void **state)
{
    const net_t n1[] = { { "bridge", "172.17.0.2", 16 }, { "mpinet", "10.250.1.2", 24 } };
    const net_t n2[] = { { "mpinet", "10.250.1.3", 24 }, { "bridge", "172.17.0.3", 16 } };
    dkr_container_t *cs[2] = { container("c1", n1, 2), container("c2", n2, 2) };
    const char *host_on_both[] = { "192.168.0.4/24", "172.17.0.1/16", "10.250.1.1/24", NULL };
    const char *host_on_bridge[] = { "172.17.0.1/16", NULL };
    dkr_net_choice_t out;
    char err[256];

    (void)state;
    assert_int_equal(DKR_OK, dkr_plan_network(cs, 2, host_on_both, NULL, &out, err, sizeof(err)));
    assert_string_equal("mpinet", out.network);
    assert_string_equal("10.250.1.0/24", out.cidr);
    assert_string_equal("10.250.1.1", out.host_ip);

    /* the launching host's own network wins over a user-defined one */
    assert_int_equal(DKR_OK, dkr_plan_network(cs, 2, host_on_bridge, NULL, &out, err, sizeof(err)));
    assert_string_equal("bridge", out.network);
    assert_string_equal("172.17.0.0/16", out.cidr);
    assert_string_equal("172.17.0.1", out.host_ip);

    /* the user's choice wins */
    assert_int_equal(DKR_OK, dkr_plan_network(cs, 2, host_on_both, "bridge", &out, err, sizeof(err)));
    assert_string_equal("bridge", out.network);

    /* unknown to the host: still the shared user-defined one, no host address */
    assert_int_equal(DKR_OK, dkr_plan_network(cs, 2, NULL, NULL, &out, err, sizeof(err)));
    assert_string_equal("mpinet", out.network);
    assert_string_equal("", out.host_ip);
    for (int i = 0; i < 2; i++) {
        dkr_container_free(cs[i]);
    }
}

static void test_network_not_shared(void **state)
{
    const net_t n1[] = { { "neta", "10.1.0.2", 24 } };
    const net_t n2[] = { { "neta", "10.1.0.3", 24 } };
    const net_t n3[] = { { "netb", "10.2.0.3", 24 } };
    dkr_container_t *cs[3] = { container("c1", n1, 1), container("c2", n2, 1), container("c3", n3, 1) };
    dkr_net_choice_t out;
    char err[256] = "";

    (void)state;
    assert_int_equal(DKR_ERR_ARG, dkr_plan_network(cs, 3, NULL, NULL, &out, err, sizeof(err)));
    assert_non_null(strstr(err, "\"c1\""));
    assert_non_null(strstr(err, "\"c3\""));
    assert_string_equal("", out.network);

    assert_int_equal(DKR_ERR_ARG, dkr_plan_network(cs, 2, NULL, "netb", &out, err, sizeof(err)));
    assert_non_null(strstr(err, "netb"));
    for (int i = 0; i < 3; i++) {
        dkr_container_free(cs[i]);
    }
}

static void test_network_host_mode(void **state)
{
    const net_t n1[] = { { "host", "", 0 } };
    dkr_container_t *cs[2] = { container("c1", n1, 1), container("c2", n1, 1) };
    dkr_net_choice_t out;
    char err[256];

    (void)state;
    assert_int_equal(DKR_OK, dkr_plan_network(cs, 2, NULL, NULL, &out, err, sizeof(err)));
    assert_string_equal("", out.network);
    assert_string_equal("", out.cidr);
    for (int i = 0; i < 2; i++) {
        dkr_container_free(cs[i]);
    }
}

/* ----------------------------------------------------------------- URIs */

static void test_filter_uri(void **state)
{
    const char *uri = "2743336960.0;tcp://10.0.2.15,172.17.0.1,10.250.1.1:43213;tcp6://[fe80::1]:43214";
    char *out;

    (void)state;
    out = dkr_plan_filter_uri(uri, "10.250.1.0/24");
    assert_string_equal("2743336960.0;tcp://10.250.1.1:43213", out);
    free(out);

    out = dkr_plan_filter_uri(uri, "172.16.0.0/12");
    assert_string_equal("2743336960.0;tcp://172.17.0.1:43213", out);
    free(out);

    /* nothing matches: unchanged, so the daemon can still try them all */
    out = dkr_plan_filter_uri(uri, "192.168.9.0/24");
    assert_string_equal(uri, out);
    free(out);

    out = dkr_plan_filter_uri(uri, NULL);
    assert_string_equal(uri, out);
    free(out);

    out = dkr_plan_filter_uri("garbage", "10.0.0.0/8");
    assert_string_equal("garbage", out);
    free(out);

    /* PRRTE's form has the same shape */
    out = dkr_plan_filter_uri("prterun-h-1@0.0;tcp://10.250.1.1,192.168.1.5:5000", "10.250.1.0/24");
    assert_string_equal("prterun-h-1@0.0;tcp://10.250.1.1:5000", out);
    free(out);

    /* PRRTE 3 appends each address's prefix length: kept with the address */
    out = dkr_plan_filter_uri("prterun-h-1@0.0;tcp://172.27.0.2,10.0.1.7,172.18.0.3:44123:16,24,16",
                              "10.0.1.0/24");
    assert_string_equal("prterun-h-1@0.0;tcp://10.0.1.7:44123:24", out);
    free(out);
    out = dkr_plan_filter_uri("p@0.0;tcp://172.27.0.2,10.0.1.7,172.18.0.3:44123:16,24,16",
                              "172.16.0.0/12");
    assert_string_equal("p@0.0;tcp://172.27.0.2,172.18.0.3:44123:16,16", out);
    free(out);
    /* one address: the port is no address */
    out = dkr_plan_filter_uri("p@0.0;tcp://172.27.0.2:44123:16", "172.27.0.0/16");
    assert_string_equal("p@0.0;tcp://172.27.0.2:44123:16", out);
    free(out);
}

/* ---------------------------------------------------------- environment */

static void test_env(void **state)
{
    char *environ_[] = { "PATH=/usr/bin", "OMPI_MCA_btl=^openib", "OMPI_MCA_plm=docker",
                         "OMPI_MCA_plm_docker_host=unix:///x", "OMPI_MCA_oob_tcp_if_include=eth0",
                         "OMPI_MCA_noequals", NULL };
    const char *forward[] = { "OMPI_MCA_", NULL };
    const char *drop[] = { "OMPI_MCA_plm", NULL };
    const char *extra[] = { "OMPI_MCA_oob_tcp_if_include=10.0.0.0/8", "OMPI_MCA_x=1", NULL };
    char **env;

    (void)state;
    env = dkr_plan_env(environ_, forward, drop, extra);
    assert_non_null(env);
    assert_int_equal(3, dkr_strv_len((const char *const *)env));
    assert_string_equal("OMPI_MCA_btl=^openib", env[0]);
    assert_string_equal("OMPI_MCA_oob_tcp_if_include=10.0.0.0/8", env[1]);
    assert_string_equal("OMPI_MCA_x=1", env[2]);
    assert_true(dkr_env_has((const char *const *)env, "OMPI_MCA_x"));
    assert_false(dkr_env_has((const char *const *)env, "OMPI_MCA_plm"));
    assert_false(dkr_env_has((const char *const *)env, "OMPI_MCA_"));
    dkr_strv_free(env);

    env = dkr_plan_env(NULL, forward, NULL, NULL);
    assert_non_null(env);
    assert_null(env[0]);
    dkr_strv_free(env);
}

/* ----------------------------------------------------------------- tail */

static void test_tail(void **state)
{
    dkr_tail_t t;

    (void)state;
    dkr_tail_init(&t, 8);
    assert_string_equal("", dkr_tail_text(&t));
    dkr_tail_add(&t, "abc", 3);
    dkr_tail_add(&t, "defg", 4);
    assert_string_equal("abcdefg", dkr_tail_text(&t));
    assert_false(t.truncated);
    dkr_tail_add(&t, "hij", 3);
    assert_string_equal("cdefghij", dkr_tail_text(&t));
    assert_true(t.truncated);
    dkr_tail_add(&t, "0123456789", 10);
    assert_string_equal("23456789", dkr_tail_text(&t));
    dkr_tail_free(&t);
}

static void test_host_addrs(void **state)
{
    char **v = dkr_host_ipv4_addrs();
    dkr_cidr_t c;

    (void)state;
    assert_non_null(v);
    for (size_t i = 0; NULL != v[i]; i++) {
        assert_int_equal(DKR_OK, dkr_cidr_parse(v[i], &c));
        assert_null(strstr(v[i], "127."));
    }
    dkr_strv_free(v);
}

static void test_endpoint_map(void **state)
{
    char err[256] = "";
    char **m = dkr_plan_endpoint_map(" a=tcp://10.0.0.2:2376 , b=unix:///x.sock", err, sizeof(err));

    (void)state;
    assert_non_null(m);
    assert_int_equal(4, dkr_strv_len((const char *const *)m));
    assert_string_equal("tcp://10.0.0.2:2376", dkr_plan_endpoint_of((const char *const *)m, "a", "D"));
    assert_string_equal("unix:///x.sock", dkr_plan_endpoint_of((const char *const *)m, "b", "D"));
    assert_string_equal("D", dkr_plan_endpoint_of((const char *const *)m, "c", "D"));
    assert_string_equal("D", dkr_plan_endpoint_of(NULL, "a", "D"));
    dkr_strv_free(m);

    m = dkr_plan_endpoint_map("", err, sizeof(err));
    assert_non_null(m);
    assert_null(m[0]);
    dkr_strv_free(m);

    assert_null(dkr_plan_endpoint_map("a=tcp://x:1,novalue", err, sizeof(err)));
    assert_non_null(strstr(err, "\"novalue\" is not name=url"));
    assert_null(dkr_plan_endpoint_map("=tcp://x:1", err, sizeof(err)));
    assert_null(dkr_plan_endpoint_map("a=", err, sizeof(err)));
    assert_null(dkr_plan_endpoint_map("a=tcp://x:1,a=tcp://y:1", err, sizeof(err)));
    assert_non_null(strstr(err, "\"a\" is given twice"));
}

/* Radix 2 over 6 daemons: the launcher starts 0 and 1; 0 starts 2 and 4,
 * 1 starts 3 and 5 (top = the launcher-started ancestor). */
static void test_subtree(void **state)
{
    const size_t top[] = { 0, 1, 0, 1, 0, 1 };
    size_t out[6];

    (void)state;
    assert_int_equal(3, dkr_plan_subtree(top, 6, 0, out));
    assert_int_equal(0, out[0]);
    assert_int_equal(2, out[1]);
    assert_int_equal(4, out[2]);
    assert_int_equal(3, dkr_plan_subtree(top, 6, 1, out));
    assert_int_equal(1, out[0]);
    assert_int_equal(3, out[1]);
    assert_int_equal(5, out[2]);
    assert_int_equal(0, dkr_plan_subtree(top, 6, 6, out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_network_prefers_user_defined_and_host),
        cmocka_unit_test(test_network_not_shared),
        cmocka_unit_test(test_network_host_mode),
        cmocka_unit_test(test_filter_uri),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_tail),
        cmocka_unit_test(test_host_addrs),
        cmocka_unit_test(test_endpoint_map),
        cmocka_unit_test(test_subtree),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
