/*
 * test_endpoint.c - DOCKER_HOST-style addresses and the TLS environment,
 * read the way the docker CLI reads them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dkr.h"

static char errbuf[512];

static void clear_env(void)
{
    unsetenv("DOCKER_HOST");
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_TLS");
    unsetenv("DOCKER_CERT_PATH");
    unsetenv("DOCKER_CONFIG");
    setenv("HOME", "/nonexistent-home-for-tests", 1);
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

static dkr_endpoint_t *ok(const char *url, const dkr_tls_opts_t *tls)
{
    dkr_endpoint_t *ep = NULL;
    int rc = dkr_endpoint_parse(url, tls, &ep, errbuf, sizeof(errbuf));

    if (DKR_OK != rc) {
        fail_msg("'%s': rc %d: %s", url ? url : "(null)", rc, errbuf);
    }
    assert_non_null(ep);
    return ep;
}

/* Expects DKR_ERR_ARG and a message containing `names`. */
static void bad(const char *url, const char *names)
{
    dkr_endpoint_t *ep = (dkr_endpoint_t *)1;

    errbuf[0] = '\0';
    assert_int_equal(dkr_endpoint_parse(url, NULL, &ep, errbuf, sizeof(errbuf)), DKR_ERR_ARG);
    assert_null(ep);
    if (NULL == strstr(errbuf, names)) {
        fail_msg("'%s': message '%s' does not name '%s'", url, errbuf, names);
    }
}

static void test_unix(void **state)
{
    dkr_endpoint_t *ep, *d;

    (void)state;
    ep = ok("unix:///var/run/docker.sock", NULL);
    assert_int_equal(ep->kind, DKR_EP_UNIX);
    assert_string_equal(ep->socket_path, "/var/run/docker.sock");
    assert_string_equal(ep->url, "unix:///var/run/docker.sock");
    assert_int_equal(ep->tls, 0);
    d = dkr_endpoint_dup(ep);
    assert_string_equal(d->socket_path, "/var/run/docker.sock");
    dkr_endpoint_free(d);
    dkr_endpoint_free(ep);

    ep = ok("/run/user/1000/docker.sock", NULL);     /* bare path */
    assert_int_equal(ep->kind, DKR_EP_UNIX);
    assert_string_equal(ep->url, "unix:///run/user/1000/docker.sock");
    dkr_endpoint_free(ep);

    ep = ok("UNIX:///tmp/x.sock", NULL);             /* scheme case */
    assert_string_equal(ep->socket_path, "/tmp/x.sock");
    dkr_endpoint_free(ep);

    ep = ok("unix://", NULL);                        /* the CLI's default */
    assert_string_equal(ep->socket_path, "/var/run/docker.sock");
    dkr_endpoint_free(ep);
}

static void test_socket_path_length(void **state)
{
    char url[256], path[200];
    dkr_endpoint_t *ep;

    (void)state;
    memset(path, 'a', sizeof(path));
    path[0] = '/';
    path[107] = '\0';                    /* 107 bytes: the most sun_path holds */
    snprintf(url, sizeof(url), "unix://%s", path);
    ep = ok(url, NULL);
    dkr_endpoint_free(ep);
    path[107] = 'a';
    path[108] = '\0';                    /* 108: too long */
    snprintf(url, sizeof(url), "unix://%s", path);
    bad(url, "108 bytes");
    bad(path, "at most 107");
}

static void test_tcp(void **state)
{
    dkr_endpoint_t *ep;

    (void)state;
    ep = ok("tcp://10.0.0.5", NULL);
    assert_int_equal(ep->kind, DKR_EP_TCP);
    assert_string_equal(ep->host, "10.0.0.5");
    assert_int_equal(ep->port, 2375);
    assert_string_equal(ep->path_prefix, "");
    assert_int_equal(ep->tls, 0);
    assert_string_equal(ep->url, "tcp://10.0.0.5:2375");
    dkr_endpoint_free(ep);

    ep = ok("tcp://node-1.example:12375/proxy/docker/", NULL);
    assert_string_equal(ep->host, "node-1.example");
    assert_int_equal(ep->port, 12375);
    assert_string_equal(ep->path_prefix, "/proxy/docker");
    assert_string_equal(ep->url, "tcp://node-1.example:12375/proxy/docker");
    dkr_endpoint_free(ep);

    ep = ok("tcp://[::1]:2375", NULL);
    assert_string_equal(ep->host, "::1");
    assert_int_equal(ep->port, 2375);
    assert_string_equal(ep->url, "tcp://[::1]:2375");
    dkr_endpoint_free(ep);

    ep = ok("tcp://[fe80::1%eth0]", NULL);
    assert_string_equal(ep->host, "fe80::1%eth0");
    assert_int_equal(ep->port, 2375);
    dkr_endpoint_free(ep);

    /* found by fuzz_endpoint: a bracketed host with a zone but no ':' lost
     * its brackets in url, which then did not parse again */
    ep = ok("tcp://[f%eth0]", NULL);
    assert_string_equal(ep->host, "f%eth0");
    assert_string_equal(ep->url, "tcp://[f%eth0]:2375");
    {
        dkr_endpoint_t *again = ok(ep->url, NULL);
        assert_string_equal(again->host, "f%eth0");
        assert_string_equal(again->url, ep->url);
        dkr_endpoint_free(again);
    }
    dkr_endpoint_free(ep);

    ep = ok("http://h:80/", NULL);
    assert_int_equal(ep->tls, 0);
    assert_int_equal(ep->port, 80);
    assert_string_equal(ep->path_prefix, "");
    dkr_endpoint_free(ep);

    ep = ok("https://h", NULL);
    assert_int_equal(ep->tls, 1);
    assert_int_equal(ep->tls_verify, 1);
    assert_int_equal(ep->port, 2376);
    assert_null(ep->ca);
    assert_null(ep->cert);
    dkr_endpoint_free(ep);

    ep = ok("localhost:2375", NULL);                 /* no scheme: tcp, as the CLI */
    assert_int_equal(ep->kind, DKR_EP_TCP);
    assert_string_equal(ep->host, "localhost");
    dkr_endpoint_free(ep);
}

static void test_env_defaults(void **state)
{
    dkr_endpoint_t *ep;

    (void)state;
    ep = ok(NULL, NULL);
    assert_string_equal(ep->url, "unix:///var/run/docker.sock");
    dkr_endpoint_free(ep);

    setenv("DOCKER_HOST", "tcp://10.1.2.3", 1);
    ep = ok("", NULL);
    assert_string_equal(ep->host, "10.1.2.3");
    assert_int_equal(ep->port, 2375);
    dkr_endpoint_free(ep);

    /* an explicit address wins over DOCKER_HOST */
    ep = ok("unix:///tmp/s", NULL);
    assert_int_equal(ep->kind, DKR_EP_UNIX);
    dkr_endpoint_free(ep);

    setenv("DOCKER_HOST", "ssh://me@h", 1);
    assert_int_equal(dkr_endpoint_parse(NULL, NULL, &ep, errbuf, sizeof(errbuf)), DKR_ERR_ARG);
    assert_non_null(strstr(errbuf, "DOCKER_HOST"));
    assert_non_null(strstr(errbuf, "ssh://"));
    clear_env();
}

static void test_tls_env(void **state)
{
    char dir[] = "/tmp/dkr-certs-XXXXXX", path[256];
    const char *files[] = { "ca.pem", "cert.pem", "key.pem" };
    dkr_tls_opts_t opts = { -1, NULL };
    dkr_endpoint_t *ep;
    size_t i;

    (void)state;
    assert_non_null(mkdtemp(dir));
    for (i = 0; i < 3; i++) {
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        assert_non_null(f = fopen(path, "w"));
        fclose(f);
    }

    /* DOCKER_TLS_VERIFY: any non-empty value, even "0", means verify */
    setenv("DOCKER_TLS_VERIFY", "0", 1);
    setenv("DOCKER_CERT_PATH", dir, 1);
    ep = ok("tcp://h", &opts);
    assert_int_equal(ep->tls, 1);
    assert_int_equal(ep->tls_verify, 1);
    assert_int_equal(ep->port, 2376);
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    assert_string_equal(ep->ca, path);
    snprintf(path, sizeof(path), "%s/cert.pem", dir);
    assert_string_equal(ep->cert, path);
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    assert_string_equal(ep->key, path);
    dkr_endpoint_free(ep);

    /* empty means unset */
    setenv("DOCKER_TLS_VERIFY", "", 1);
    ep = ok("tcp://h", NULL);
    assert_int_equal(ep->tls, 0);
    assert_int_equal(ep->port, 2375);
    assert_null(ep->ca);
    dkr_endpoint_free(ep);

    /* DOCKER_TLS: TLS without verification */
    setenv("DOCKER_TLS", "1", 1);
    ep = ok("tcp://h:9999", NULL);
    assert_int_equal(ep->tls, 1);
    assert_int_equal(ep->tls_verify, 0);
    assert_int_equal(ep->port, 9999);
    dkr_endpoint_free(ep);
    unsetenv("DOCKER_TLS");

    /* explicit opts beat the environment */
    setenv("DOCKER_TLS_VERIFY", "1", 1);
    opts.verify = 0;
    ep = ok("tcp://h", &opts);
    assert_int_equal(ep->tls, 0);
    dkr_endpoint_free(ep);
    unsetenv("DOCKER_TLS_VERIFY");
    unsetenv("DOCKER_CERT_PATH");
    opts.verify = 1;
    opts.cert_path = dir;
    ep = ok("tcp://h", &opts);
    assert_int_equal(ep->tls_verify, 1);
    assert_non_null(ep->cert);
    dkr_endpoint_free(ep);
    opts.verify = 0;
    ep = ok("https://h", &opts);
    assert_int_equal(ep->tls, 1);
    assert_int_equal(ep->tls_verify, 0);
    dkr_endpoint_free(ep);

    /* DOCKER_CONFIG as the default certificate directory */
    setenv("DOCKER_TLS_VERIFY", "yes", 1);
    setenv("DOCKER_CONFIG", dir, 1);
    ep = ok("tcp://h", NULL);
    assert_non_null(ep->ca);
    dkr_endpoint_free(ep);

    /* cert and key skipped when missing; ca alone is fine */
    snprintf(path, sizeof(path), "%s/cert.pem", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    unlink(path);
    ep = ok("tcp://h", NULL);
    assert_non_null(ep->ca);
    assert_null(ep->cert);
    assert_null(ep->key);
    dkr_endpoint_free(ep);

    /* one of the pair alone is an error naming the files */
    {
        FILE *f = fopen(path, "w");     /* key.pem back, cert.pem missing */

        assert_non_null(f);
        fclose(f);
    }
    assert_int_equal(dkr_endpoint_parse("tcp://h", NULL, &ep, errbuf, sizeof(errbuf)), DKR_ERR_ARG);
    assert_non_null(strstr(errbuf, "key.pem"));
    assert_non_null(strstr(errbuf, "cert.pem"));
    unlink(path);

    /* TLS settings do not touch unix sockets */
    ep = ok("unix:///x.sock", NULL);
    assert_int_equal(ep->tls, 0);
    assert_null(ep->ca);
    dkr_endpoint_free(ep);

    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    unlink(path);
    rmdir(dir);
    clear_env();
}

static void test_bad(void **state)
{
    (void)state;
    bad("ssh://user@host", "ssh://");
    bad("npipe:////./pipe/docker_engine", "npipe://");
    bad("fd://", "fd://");
    bad("gopher://h", "unknown scheme");
    bad("tcp://", "no host");
    bad("tcp://:2375", "no host");
    bad("tcp://h:abc", "bad port 'abc'");
    bad("tcp://h:0", "bad port '0'");
    bad("tcp://h:65536", "bad port '65536'");
    bad("tcp://h:", "bad port ''");
    bad("tcp://h:23x/p", "bad port '23x'");
    bad("tcp://::1:2375", "brackets");
    bad("tcp://[::1", "']'");
    bad("tcp://[::1]x", "after ']'");
    bad("tcp://u@h", "user names");
    bad("tcp://h/p?q=1", "queries");
    bad("tcp://h_a$b", "'$'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_unix, setup),
        cmocka_unit_test_setup(test_socket_path_length, setup),
        cmocka_unit_test_setup(test_tcp, setup),
        cmocka_unit_test_setup(test_env_defaults, setup),
        cmocka_unit_test_setup(test_tls_env, setup),
        cmocka_unit_test_setup(test_bad, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
