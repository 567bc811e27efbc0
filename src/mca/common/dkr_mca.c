/*
 * dkr_mca.c - runtime-neutral pieces both docker components share.
 */
#include "dkr_mca.h"

#include <stdio.h>

#include "dkr_libevent.h"

void dkr_mca_show_help(const dkr_mca_rt_t *rt, const char *file, const char *topic, ...)
{
    va_list ap;

    va_start(ap, topic);
    rt->vshow_help(file, topic, ap);
    va_end(ap);
}

void dkr_mca_verbose(const dkr_mca_rt_t *rt, int level, const char *fmt, ...)
{
    va_list ap;

    if (rt->verbosity() < level) {
        return;
    }
    va_start(ap, fmt);
    rt->vverbose(level, fmt, ap);
    va_end(ap);
}

dkr_endpoint_t *dkr_mca_endpoint(const dkr_mca_rt_t *rt, const char *host, bool tls_verify,
                                 const char *cert_path)
{
    dkr_tls_opts_t tls = { .verify = tls_verify ? 1 : 0, .cert_path = cert_path };
    dkr_endpoint_t *ep = NULL;
    char err[512];

    if (DKR_OK != dkr_endpoint_parse(host, &tls, &ep, err, sizeof(err))) {
        dkr_mca_show_help(rt, DKR_HELP_FILE, "bad-endpoint", NULL == host ? "" : host, err);
        return NULL;
    }
    return ep;
}

static void trace_call(void *arg, const char *method, const char *path, long status, int rc,
                       double seconds)
{
    dkr_mca_verbose(arg, 10, "docker: %s %s -> %ld%s%s (%.1f ms)", method, path, status,
                    DKR_OK == rc ? "" : " ", DKR_OK == rc ? "" : dkr_strerror(rc), seconds * 1e3);
}

dkr_client_t *dkr_mca_client(const dkr_mca_rt_t *rt, struct event_base *base, const char *host,
                             bool tls_verify, const char *cert_path, int timeout_s)
{
    /* attached exec streams each hold a connection for a daemon's life */
    dkr_client_opts_t opts = { .timeout_ms = 1000 * timeout_s, .max_connections = 1 << 20 };
    dkr_endpoint_t *ep = dkr_mca_endpoint(rt, host, tls_verify, cert_path);
    dkr_client_t *cli;

    if (NULL == ep) {
        return NULL;
    }
    cli = dkr_client_new(ep, &opts);
    dkr_endpoint_free(ep);
    if (NULL == cli || DKR_OK != dkr_libevent_attach(cli, base)) {
        dkr_client_free(cli);
        return NULL;
    }
    dkr_client_set_trace(cli, trace_call, (void *)rt);
    return cli;
}

bool dkr_mca_is_endpoint_failure(int rc)
{
    return DKR_ERR_CONNECT == rc || DKR_ERR_TIMEOUT == rc || DKR_ERR_TLS == rc
           || DKR_ERR_PROTOCOL == rc || DKR_ERR_API_VERSION == rc || DKR_ERR_IO == rc
           || DKR_ERR_HTTP == rc;
}

void dkr_mca_show_endpoint_failure(const dkr_mca_rt_t *rt, int rc, const char *errstr,
                                   const char *endpoint)
{
    const char *topic = DKR_ERR_API_VERSION == rc ? "api-too-old"
                      : DKR_ERR_PROTOCOL == rc ? "endpoint-not-docker"
                      : DKR_ERR_HTTP == rc ? "engine-error"
                      : DKR_ERR_TLS == rc ? "endpoint-tls"
                      : "endpoint-unreachable";

    dkr_mca_show_help(rt, DKR_HELP_FILE, topic, endpoint,
                      NULL == errstr || '\0' == errstr[0] ? dkr_strerror(rc) : errstr);
}

const char *dkr_mca_endpoint_url(dkr_client_t *cli, const char *fallback)
{
    const dkr_endpoint_t *ep = NULL == cli ? NULL : dkr_client_endpoint(cli);
    return NULL == ep ? fallback : ep->url;
}
