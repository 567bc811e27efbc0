/*
 * dkr_endpoint.c - turns a DOCKER_HOST-style address and the TLS settings
 * into a dkr_endpoint_t, following the docker CLI's rules (see
 * docs: docker-api notes §6).  Pure: reads the environment and checks that
 * certificate files exist, nothing else.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include "dkr_private.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"
/* sun_path holds 108 bytes including the terminating NUL. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);

    return (NULL != v && '\0' != *v) ? v : NULL;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
    return 0 == strncasecmp(s, prefix, strlen(prefix));
}

static void set_err(char *errbuf, size_t errlen, const char *what, const char *addr,
                    const char *msg)
{
    if (NULL != errbuf && errlen > 0) {
        dkr__fmt(errbuf, errlen, "%s '%s': %s", what, addr, msg);
    }
}

void dkr_endpoint_free(dkr_endpoint_t *ep)
{
    if (NULL == ep) {
        return;
    }
    free(ep->url);
    free(ep->socket_path);
    free(ep->host);
    free(ep->path_prefix);
    free(ep->ca);
    free(ep->cert);
    free(ep->key);
    free(ep);
}

dkr_endpoint_t *dkr_endpoint_dup(const dkr_endpoint_t *ep)
{
    dkr_endpoint_t *d;

    if (NULL == ep || NULL == (d = calloc(1, sizeof(*d)))) {
        return NULL;
    }
    *d = *ep;
    d->url = dkr__strdup(ep->url);
    d->socket_path = dkr__strdup(ep->socket_path);
    d->host = dkr__strdup(ep->host);
    d->path_prefix = dkr__strdup(ep->path_prefix);
    d->ca = dkr__strdup(ep->ca);
    d->cert = dkr__strdup(ep->cert);
    d->key = dkr__strdup(ep->key);
    if ((ep->url && !d->url) || (ep->socket_path && !d->socket_path) ||
        (ep->host && !d->host) || (ep->path_prefix && !d->path_prefix) ||
        (ep->ca && !d->ca) || (ep->cert && !d->cert) || (ep->key && !d->key)) {
        dkr_endpoint_free(d);
        return NULL;
    }
    return d;
}

/* "dir/name" when that file exists, else NULL (*oom set on failure). */
static char *file_in(const char *dir, const char *name, int *oom)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (NULL == p) {
        *oom = 1;
        return NULL;
    }
    snprintf(p, n, "%s/%s", dir, name);
    if (0 != access(p, F_OK)) {
        free(p);
        return NULL;
    }
    return p;
}

/* The CLI's search: explicit path, $DOCKER_CERT_PATH, $DOCKER_CONFIG,
 * ~/.docker.  ca.pem is optional (system store then); cert.pem and key.pem
 * are used as a pair. */
static int find_tls_files(dkr_endpoint_t *ep, const dkr_tls_opts_t *tls, const char *addr,
                          char *errbuf, size_t errlen)
{
    const char *dir = (tls && tls->cert_path && *tls->cert_path) ? tls->cert_path : NULL;
    char home_dir[PATH_MAX];
    char msg[PATH_MAX + 128];
    int oom = 0;

    if (NULL == dir) {
        dir = env_nonempty("DOCKER_CERT_PATH");
    }
    if (NULL == dir) {
        dir = env_nonempty("DOCKER_CONFIG");
    }
    if (NULL == dir) {
        const char *home = env_nonempty("HOME");

        if (NULL == home) {
            return DKR_OK;      /* nowhere to look: system CAs, no client cert */
        }
        snprintf(home_dir, sizeof(home_dir), "%s/.docker", home);
        dir = home_dir;
    }
    ep->ca = file_in(dir, "ca.pem", &oom);
    ep->cert = file_in(dir, "cert.pem", &oom);
    ep->key = file_in(dir, "key.pem", &oom);
    if (oom) {
        return DKR_ERR_OOM;
    }
    if ((NULL == ep->cert) != (NULL == ep->key)) {
        dkr__fmt(msg, sizeof(msg), "%s/%s exists but %s/%s does not (the client "
                 "certificate needs both)", dir, ep->cert ? "cert.pem" : "key.pem",
                 dir, ep->cert ? "key.pem" : "cert.pem");
        set_err(errbuf, errlen, "endpoint", addr, msg);
        return DKR_ERR_ARG;
    }
    return DKR_OK;
}

static int parse_unix(dkr_endpoint_t *ep, const char *path, const char *what,
                      const char *addr, char *errbuf, size_t errlen)
{
    char msg[128];
    size_t n;

    if ('\0' == *path) {
        path = DEFAULT_SOCKET;   /* the CLI reads "unix://" as the default socket */
    }
    n = strlen(path);
    if (n > SOCKET_PATH_MAX) {
        snprintf(msg, sizeof(msg), "socket path is %zu bytes long, a unix socket "
                 "address holds at most %zu", n, (size_t)SOCKET_PATH_MAX);
        set_err(errbuf, errlen, what, addr, msg);
        return DKR_ERR_ARG;
    }
    ep->kind = DKR_EP_UNIX;
    if (NULL == (ep->socket_path = strdup(path)) ||
        NULL == (ep->url = malloc(n + sizeof("unix://")))) {
        return DKR_ERR_OOM;
    }
    sprintf(ep->url, "unix://%s", path);
    return DKR_OK;
}

static int host_char_ok(int c, int ipv6)
{
    if (isalnum(c) || '.' == c || '-' == c) {
        return 1;
    }
    return ipv6 ? (':' == c || '%' == c) : '_' == c;
}

/* rest = "host[:port][/prefix]", host may be "[v6]". */
static int parse_tcp(dkr_endpoint_t *ep, const char *rest, const char *what,
                     const char *addr, char *errbuf, size_t errlen)
{
    const char *h, *hend, *p;
    char msg[160];
    int ipv6 = 0;
    long port = -1;
    size_t i, plen;

    if (strpbrk(rest, "?#@ ")) {
        set_err(errbuf, errlen, what, addr,
                "user names, queries, fragments and spaces are not allowed in a tcp address");
        return DKR_ERR_ARG;
    }
    if ('[' == *rest) {
        h = rest + 1;
        if (NULL == (hend = strchr(h, ']'))) {
            set_err(errbuf, errlen, what, addr, "'[' without ']' around the IPv6 address");
            return DKR_ERR_ARG;
        }
        p = hend + 1;
        ipv6 = 1;
        if ('\0' != *p && ':' != *p && '/' != *p) {
            set_err(errbuf, errlen, what, addr, "unexpected text after ']'");
            return DKR_ERR_ARG;
        }
    } else {
        h = rest;
        hend = h + strcspn(h, ":/");
        p = hend;
        if (':' == *p && NULL != memchr(p + 1, ':', strcspn(p + 1, "/"))) {
            set_err(errbuf, errlen, what, addr,
                    "an IPv6 address needs brackets, e.g. tcp://[::1]:2375");
            return DKR_ERR_ARG;
        }
    }
    if (hend == h) {
        set_err(errbuf, errlen, what, addr, "no host name or address");
        return DKR_ERR_ARG;
    }
    if (hend - h > 253) {
        set_err(errbuf, errlen, what, addr, "host name longer than 253 characters");
        return DKR_ERR_ARG;
    }
    for (i = 0; h + i < hend; i++) {
        if (!host_char_ok((unsigned char)h[i], ipv6)) {
            snprintf(msg, sizeof(msg), "bad character '%c' in the host", h[i]);
            set_err(errbuf, errlen, what, addr, msg);
            return DKR_ERR_ARG;
        }
    }
    if (':' == *p) {
        const char *ps = ++p;

        port = 0;
        while (isdigit((unsigned char)*p) && port <= 65535) {
            port = port * 10 + (*p++ - '0');
        }
        if (p == ps || port < 1 || port > 65535 || ('\0' != *p && '/' != *p)) {
            size_t n = strcspn(ps, "/");

            snprintf(msg, sizeof(msg), "bad port '%.*s' (want 1-65535)", (int)(n > 32 ? 32 : n), ps);
            set_err(errbuf, errlen, what, addr, msg);
            return DKR_ERR_ARG;
        }
    }
    /* p is now "" or "/prefix..." */
    plen = strlen(p);
    while (plen > 0 && '/' == p[plen - 1]) {
        plen--;
    }
    ep->kind = DKR_EP_TCP;
    ep->port = (int)port;   /* -1 until the TLS decision picks the default */
    if (NULL == (ep->host = strndup(h, (size_t)(hend - h))) ||
        NULL == (ep->path_prefix = strndup(p, plen))) {
        return DKR_ERR_OOM;
    }
    return DKR_OK;
}

int dkr_endpoint_parse(const char *url, const dkr_tls_opts_t *tls, dkr_endpoint_t **out,
                       char *errbuf, size_t errlen)
{
    const char *what = "endpoint";
    dkr_endpoint_t *ep = NULL;
    int rc = DKR_ERR_ARG;
    int scheme_tls = -1;        /* -1 tcp: decide from settings; 0 http; 1 https */
    int verify = (NULL != tls) ? tls->verify : -1;
    int env_tls = 0, env_verify = 0;

    if (NULL != errbuf && errlen > 0) {
        errbuf[0] = '\0';
    }
    if (NULL == out) {
        set_err(errbuf, errlen, what, "", "no place for the result");
        return DKR_ERR_ARG;
    }
    *out = NULL;
    if (NULL == url || '\0' == *url) {
        url = env_nonempty("DOCKER_HOST");
        what = "DOCKER_HOST";
        if (NULL == url) {
            url = "unix://" DEFAULT_SOCKET;
            what = "default endpoint";
        }
    }
    if (NULL == (ep = calloc(1, sizeof(*ep)))) {
        return DKR_ERR_OOM;
    }
    if (verify < 0) {
        if (env_nonempty("DOCKER_TLS_VERIFY")) {   /* any value, even "0" */
            env_tls = env_verify = 1;
        } else if (env_nonempty("DOCKER_TLS")) {
            env_tls = 1;
        }
    }

    if (has_prefix_ci(url, "unix://")) {
        rc = parse_unix(ep, url + 7, what, url, errbuf, errlen);
    } else if ('/' == url[0]) {
        rc = parse_unix(ep, url, what, url, errbuf, errlen);
    } else if (has_prefix_ci(url, "tcp://")) {
        rc = parse_tcp(ep, url + 6, what, url, errbuf, errlen);
    } else if (has_prefix_ci(url, "http://")) {
        scheme_tls = 0;
        rc = parse_tcp(ep, url + 7, what, url, errbuf, errlen);
    } else if (has_prefix_ci(url, "https://")) {
        scheme_tls = 1;
        rc = parse_tcp(ep, url + 8, what, url, errbuf, errlen);
    } else if (has_prefix_ci(url, "ssh://")) {
        set_err(errbuf, errlen, what, url,
                "ssh:// endpoints cannot be reached in-process; forward the socket "
                "(ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock HOST) and use "
                "unix:///tmp/docker.sock");
    } else if (has_prefix_ci(url, "npipe://") || has_prefix_ci(url, "fd://")) {
        set_err(errbuf, errlen, what, url,
                "npipe:// and fd:// are not supported; use unix:// or tcp://");
    } else if (NULL != strstr(url, "://")) {
        set_err(errbuf, errlen, what, url,
                "unknown scheme; use unix://, tcp://, http:// or https://");
    } else {
        rc = parse_tcp(ep, url, what, url, errbuf, errlen);   /* "host:port", as the CLI */
    }
    if (DKR_OK != rc) {
        goto fail;
    }

    if (DKR_EP_TCP == ep->kind) {
        char port[16];
        size_t n;
        int br;

        if (0 == scheme_tls) {
            ep->tls = ep->tls_verify = 0;
        } else if (1 == scheme_tls) {
            ep->tls = 1;
            ep->tls_verify = 0 == verify ? 0 : 1 == verify ? 1 : (env_tls ? env_verify : 1);
        } else if (verify >= 0) {
            ep->tls = ep->tls_verify = verify;
        } else {
            ep->tls = env_tls;
            ep->tls_verify = env_verify;
        }
        if (ep->port < 0) {
            ep->port = ep->tls ? 2376 : 2375;
        }
        if (ep->tls && DKR_OK != (rc = find_tls_files(ep, tls, url, errbuf, errlen))) {
            goto fail;
        }
        /* brackets for an IPv6 address, and for any host given in them with a
         * zone ('%'), which only a bracketed host may carry */
        br = NULL != strpbrk(ep->host, ":%");
        snprintf(port, sizeof(port), "%d", ep->port);
        n = strlen("tcp://[]:") + strlen(ep->host) + strlen(port) + strlen(ep->path_prefix) + 1;
        if (NULL == (ep->url = malloc(n))) {
            rc = DKR_ERR_OOM;
            goto fail;
        }
        snprintf(ep->url, n, "tcp://%s%s%s:%s%s", br ? "[" : "", ep->host, br ? "]" : "",
                 port, ep->path_prefix);
    } else if (NULL == (ep->path_prefix = strdup(""))) {
        rc = DKR_ERR_OOM;
        goto fail;
    }
    *out = ep;
    return DKR_OK;

fail:
    if (DKR_ERR_OOM == rc) {
        set_err(errbuf, errlen, what, url, "out of memory");
    }
    dkr_endpoint_free(ep);
    return rc;
}
