/*
 * fuzz_endpoint.c - libFuzzer target for endpoint parsing
 * (dkr_endpoint_parse): DOCKER_HOST-style addresses and the TLS decision.
 *
 * Input: byte 0 chooses the TLS options (verify -1/0/1; certificate
 * directory: none, a missing one, or the text after the first NUL of the
 * rest), the rest is the address.  Checks: on success the normalised url
 * parses again to the same url, kind, host, port and prefix, and dup/free
 * are clean; on failure an error sentence is written.  Reads the
 * environment and looks for files (access(2)); writes nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkr.h"

static int same(const char *a, const char *b)
{
    return (NULL == a && NULL == b) || (NULL != a && NULL != b && 0 == strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dkr_tls_opts_t tls;
    dkr_endpoint_t *ep = NULL, *ep2 = NULL, *dup;
    char err[256], err2[256];
    char *text;
    const char *url;
    int rc;

    if (size < 1 || size > 4096) {
        return 0;
    }
    if (NULL == (text = malloc(size))) {
        return 0;
    }
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    url = text;
    tls.verify = (int)(data[0] % 3) - 1;
    switch ((data[0] / 3) % 3) {
    case 0:
        tls.cert_path = NULL;
        break;
    case 1:
        tls.cert_path = "/nonexistent/ompi-docker-fuzz/certs";
        break;
    default: {
        size_t n = strlen(text);
        tls.cert_path = n + 1 < size - 1 ? text + n + 1 : "";
        break;
    }
    }
    memset(err, 'x', sizeof(err));
    rc = dkr_endpoint_parse(url, &tls, &ep, err, sizeof(err));
    if (NULL == memchr(err, '\0', sizeof(err))) {
        abort();    /* errbuf always terminated */
    }
    if (DKR_OK != rc) {
        if (NULL != ep || '\0' == err[0]) {
            abort();    /* a failure leaves no result and says why */
        }
        free(text);
        return 0;
    }
    if (NULL == ep || NULL == ep->url || NULL == ep->path_prefix) {
        abort();
    }
    if (DKR_EP_UNIX == ep->kind) {
        if (NULL == ep->socket_path || ep->tls || strlen(ep->socket_path) > 107) {
            abort();
        }
    } else if (DKR_EP_TCP == ep->kind) {
        if (NULL == ep->host || '\0' == ep->host[0] || ep->port < 1 || ep->port > 65535 ||
            (ep->tls_verify && !ep->tls) || (NULL != ep->cert) != (NULL != ep->key)) {
            abort();
        }
    } else {
        abort();
    }
    /* the normalised form means the same endpoint */
    rc = dkr_endpoint_parse(ep->url, &tls, &ep2, err2, sizeof(err2));
    if (DKR_OK != rc || ep2->kind != ep->kind || !same(ep2->url, ep->url) ||
        !same(ep2->socket_path, ep->socket_path) || !same(ep2->host, ep->host) ||
        ep2->port != ep->port || !same(ep2->path_prefix, ep->path_prefix)) {
        abort();
    }
    if (NULL == (dup = dkr_endpoint_dup(ep)) || !same(dup->url, ep->url) ||
        !same(dup->ca, ep->ca) || !same(dup->key, ep->key)) {
        abort();
    }
    dkr_endpoint_free(dup);
    dkr_endpoint_free(ep2);
    dkr_endpoint_free(ep);
    free(text);
    return 0;
}
