/*
 * dkr_plan.c - pure launch decisions (network, URI, environment, output).
 */
#define _GNU_SOURCE /* strndup */
#include "dkr_plan.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

void dkr_strv_free(char **v)
{
    if (NULL == v) {
        return;
    }
    for (char **p = v; NULL != *p; p++) {
        free(*p);
    }
    free(v);
}

char **dkr_strv_split(const char *list)
{
    size_t cap = 1, n = 0;
    char **v;
    const char *p = NULL == list ? "" : list;

    for (const char *q = p; '\0' != *q; q++) {
        cap += ',' == *q;
    }
    if (NULL == (v = calloc(cap + 1, sizeof(*v)))) {
        return NULL;
    }
    while ('\0' != *p) {
        const char *e = strchr(p, ','), *a = p, *b = NULL == e ? p + strlen(p) : e;

        while (a < b && (' ' == *a || '\t' == *a)) {
            a++;
        }
        while (b > a && (' ' == b[-1] || '\t' == b[-1])) {
            b--;
        }
        if (b > a && NULL == (v[n++] = strndup(a, (size_t)(b - a)))) {
            dkr_strv_free(v);
            return NULL;
        }
        p = NULL == e ? p + strlen(p) : e + 1;
    }
    return v;
}

char **dkr_strv_dup(const char *const *v)
{
    size_t n = dkr_strv_len(v);
    char **out = calloc(n + 1, sizeof(*out));

    for (size_t i = 0; NULL != out && i < n; i++) {
        if (NULL == (out[i] = strdup(v[i]))) {
            dkr_strv_free(out);
            return NULL;
        }
    }
    return out;
}

size_t dkr_strv_len(const char *const *v)
{
    size_t n = 0;
    while (NULL != v && NULL != v[n]) {
        n++;
    }
    return n;
}

static uint32_t prefix_mask(int prefix)
{
    return 0 == prefix ? 0 : (uint32_t)(0xffffffffu << (32 - prefix));
}

/* ------------------------------------------------------------------ cidr */

int dkr_cidr_parse(const char *s, dkr_cidr_t *out)
{
    char ip[INET_ADDRSTRLEN];
    const char *slash;
    struct in_addr a;
    char *end = NULL;
    long prefix;

    if (NULL == s || NULL == out || NULL == (slash = strchr(s, '/'))
        || (size_t)(slash - s) >= sizeof(ip)) {
        return DKR_ERR_ARG;
    }
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    prefix = strtol(slash + 1, &end, 10);
    if (end == slash + 1 || '\0' != *end || prefix < 0 || prefix > 32
        || 1 != inet_pton(AF_INET, ip, &a)) {
        return DKR_ERR_ARG;
    }
    out->prefix = (int)prefix;
    out->addr = ntohl(a.s_addr) & prefix_mask(out->prefix);
    return DKR_OK;
}

int dkr_cidr_contains(const dkr_cidr_t *c, const char *ip)
{
    struct in_addr a;

    if (NULL == c || NULL == ip || 1 != inet_pton(AF_INET, ip, &a)) {
        return 0;
    }
    return (ntohl(a.s_addr) & prefix_mask(c->prefix)) == c->addr;
}

void dkr_cidr_format(const dkr_cidr_t *c, char *buf, size_t len)
{
    struct in_addr a = { .s_addr = htonl(c->addr) };
    char ip[INET_ADDRSTRLEN];

    inet_ntop(AF_INET, &a, ip, sizeof(ip));
    snprintf(buf, len, "%s/%d", ip, c->prefix);
}

char **dkr_host_ipv4_addrs(void)
{
    struct ifaddrs *ifs = NULL;
    char **v;
    size_t n = 0, cap = 8;

    if (0 != getifaddrs(&ifs) || NULL == (v = calloc(cap + 1, sizeof(*v)))) {
        if (NULL != ifs) {
            freeifaddrs(ifs);
        }
        return calloc(1, sizeof(char *));
    }
    for (struct ifaddrs *i = ifs; NULL != i; i = i->ifa_next) {
        char ip[INET_ADDRSTRLEN], buf[INET_ADDRSTRLEN + 4];
        uint32_t mask;
        int prefix = 0;

        if (NULL == i->ifa_addr || AF_INET != i->ifa_addr->sa_family
            || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP)) {
            continue;
        }
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip, sizeof(ip));
        mask = NULL == i->ifa_netmask
                   ? 0xffffffffu
                   : ntohl(((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr);
        while (prefix < 32 && (mask & (0x80000000u >> prefix))) {
            prefix++;
        }
        snprintf(buf, sizeof(buf), "%s/%d", ip, prefix);
        if (n == cap) {
            char **nv = realloc(v, (2 * cap + 1) * sizeof(*v));
            if (NULL == nv) {
                break;
            }
            v = nv;
            cap *= 2;
        }
        if (NULL == (v[n] = strdup(buf))) {
            break;
        }
        v[++n] = NULL;
    }
    freeifaddrs(ifs);
    return v;
}

/* --------------------------------------------------------- network choice */

static const dkr_netaddr_t *find_net(const dkr_container_t *c, const char *network)
{
    for (size_t i = 0; i < c->n_nets; i++) {
        if (0 == strcmp(c->nets[i].network, network) && '\0' != c->nets[i].ip[0]) {
            return &c->nets[i];
        }
    }
    return NULL;
}

/* The subnet of a network as one container sees it. */
static int net_cidr(const dkr_netaddr_t *na, dkr_cidr_t *out)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "%s/%d", na->ip, na->prefix_len > 0 ? na->prefix_len : 32);
    return dkr_cidr_parse(buf, out);
}

/* The launching host's address inside c, or NULL. */
static const char *host_addr_in(const dkr_cidr_t *c, const char *const *host_addrs,
                                char *ip, size_t len)
{
    for (size_t i = 0; NULL != host_addrs && NULL != host_addrs[i]; i++) {
        const char *slash = strchr(host_addrs[i], '/');
        size_t n = NULL == slash ? strlen(host_addrs[i]) : (size_t)(slash - host_addrs[i]);

        if (n >= len) {
            continue;
        }
        memcpy(ip, host_addrs[i], n);
        ip[n] = '\0';
        if (dkr_cidr_contains(c, ip)) {
            return ip;
        }
    }
    return NULL;
}

/* Lower is better. */
static int net_rank(const char *network, int host_on_it)
{
    return (host_on_it ? 0 : 2) + (0 == strcmp(network, "bridge") ? 1 : 0);
}

int dkr_plan_network(dkr_container_t *const *cs, size_t n, const char *const *host_addrs,
                     const char *preferred, dkr_net_choice_t *out, char *err, size_t errlen)
{
    const dkr_container_t *first;
    int best_rank = 1 << 30, any_addr = 0;

    memset(out, 0, sizeof(*out));
    if (0 == n) {
        return DKR_OK;
    }
    first = cs[0];
    for (size_t k = 0; k < n; k++) {
        for (size_t j = 0; j < cs[k]->n_nets; j++) {
            any_addr |= '\0' != cs[k]->nets[j].ip[0];
        }
    }
    if (!any_addr) {
        return DKR_OK;
    }

    /* Candidates: the first container's networks that every other one shares. */
    for (size_t j = 0; j < first->n_nets; j++) {
        const dkr_netaddr_t *na = &first->nets[j];
        char ipbuf[64];
        const char *hip;
        dkr_cidr_t cidr;
        int shared = 1, rank;

        if ('\0' == na->ip[0] || DKR_OK != net_cidr(na, &cidr)) {
            continue;
        }
        for (size_t k = 1; k < n && shared; k++) {
            shared = NULL != find_net(cs[k], na->network);
        }
        if (!shared) {
            continue;
        }
        hip = host_addr_in(&cidr, host_addrs, ipbuf, sizeof(ipbuf));
        if (NULL != preferred && '\0' != preferred[0]) {
            if (0 != strcmp(preferred, na->network)) {
                continue;
            }
            rank = 0;
        } else {
            rank = net_rank(na->network, NULL != hip);
        }
        if (rank < best_rank
            || (rank == best_rank && strcmp(na->network, out->network) < 0)) {
            best_rank = rank;
            snprintf(out->network, sizeof(out->network), "%s", na->network);
            dkr_cidr_format(&cidr, out->cidr, sizeof(out->cidr));
            snprintf(out->host_ip, sizeof(out->host_ip), "%s", NULL == hip ? "" : hip);
        }
    }
    if ('\0' != out->network[0]) {
        return DKR_OK;
    }
    if (NULL != preferred && '\0' != preferred[0]) {
        snprintf(err, errlen, "network \"%s\" is not attached to every container (container \"%s\" has %s)",
                 preferred, first->name,
                 first->n_nets > 0 ? "other networks" : "no network");
    } else {
        /* Name a pair that has nothing in common, for the message. */
        const dkr_container_t *other = n > 1 ? cs[1] : first;
        for (size_t k = 1; k < n; k++) {
            int common = 0;
            for (size_t j = 0; j < first->n_nets && !common; j++) {
                common = '\0' != first->nets[j].ip[0] && NULL != find_net(cs[k], first->nets[j].network);
            }
            if (!common) {
                other = cs[k];
                break;
            }
        }
        snprintf(err, errlen, "containers \"%s\" and \"%s\" share no Docker network, so their daemons could not reach each other",
                 first->name, other->name);
    }
    return DKR_ERR_ARG;
}

/* ------------------------------------------------------------ URI filter */

/* Appends the n-byte item to dst at *w, comma-separated from what is there
 * past start. */
static void append_item(char *dst, size_t *w, size_t start, const char *item, size_t n)
{
    if (*w > start) {
        dst[(*w)++] = ',';
    }
    memcpy(dst + *w, item, n);
    *w += n;
}

/* Filters one tcp part, "tcp://a,b,c:port" (ORTE) or "tcp://a,b,c:port:ma,mb,mc"
 * (PRRTE: one prefix length per address, kept with its address); returns the
 * bytes written or 0 when no address matched. */
static size_t filter_tcp_part(const char *part, size_t len, const dkr_cidr_t *c, char *dst)
{
    const char *addrs = part + 6, *end = part + len;
    const char *colon = memchr(addrs, ':', (size_t)(end - addrs)), *masks, *m;
    size_t w = 6, mw, nkept = 0;
    char keep[64] = { 0 };
    int i = 0;

    if (NULL == colon) {
        return 0;
    }
    masks = memchr(colon + 1, ':', (size_t)(end - colon - 1));
    memcpy(dst, "tcp://", 6);
    for (const char *a = addrs; a < colon; i++) {
        const char *e = memchr(a, ',', (size_t)(colon - a));
        size_t n = (size_t)((NULL == e ? colon : e) - a);
        char ip[INET_ADDRSTRLEN];

        if (n < sizeof(ip) && i < (int)sizeof(keep)) {
            memcpy(ip, a, n);
            ip[n] = '\0';
            if (dkr_cidr_contains(c, ip)) {
                append_item(dst, &w, 6, a, n);
                keep[i] = 1;
                nkept++;
            }
        }
        a += n + (NULL == e ? 0 : 1);
    }
    if (0 == nkept) {
        return 0;
    }
    if (NULL == masks) {
        memcpy(dst + w, colon, (size_t)(end - colon));
        return w + (size_t)(end - colon);
    }
    /* ":port:" then the kept addresses' prefix lengths */
    memcpy(dst + w, colon, (size_t)(masks + 1 - colon));
    w += (size_t)(masks + 1 - colon);
    mw = w;
    i = 0;
    for (m = masks + 1; m < end; i++) {
        const char *e = memchr(m, ',', (size_t)(end - m));
        size_t n = (size_t)((NULL == e ? end : e) - m);

        if (i < (int)sizeof(keep) && keep[i]) {
            append_item(dst, &w, mw, m, n);
        }
        m += n + (NULL == e ? 0 : 1);
    }
    return w;
}

char *dkr_plan_filter_uri(const char *uri, const char *cidr)
{
    dkr_cidr_t c;
    char *out;
    size_t w = 0;
    int kept = 0;
    const char *p;

    if (NULL == uri) {
        return NULL;
    }
    if (NULL == cidr || DKR_OK != dkr_cidr_parse(cidr, &c) || NULL == strchr(uri, ';')) {
        return strdup(uri);
    }
    if (NULL == (out = malloc(strlen(uri) + 1))) {
        return NULL;
    }
    /* The id before the first ';' stays, then each ';'-separated transport. */
    p = strchr(uri, ';');
    memcpy(out, uri, (size_t)(p - uri));
    w = (size_t)(p - uri);
    while ('\0' != *p) {
        const char *part = p + 1, *end = strchr(part, ';');
        size_t len = NULL == end ? strlen(part) : (size_t)(end - part);

        if (len > 6 && 0 == strncmp(part, "tcp://", 6)) {
            size_t n;
            out[w] = ';';
            n = filter_tcp_part(part, len, &c, out + w + 1);
            if (n > 0) {
                w += 1 + n;
                kept = 1;
            }
        } else if (!(len > 7 && 0 == strncmp(part, "tcp6://", 7))) {
            out[w++] = ';';
            memcpy(out + w, part, len);
            w += len;
        }
        p = part + len;
    }
    out[w] = '\0';
    if (!kept) {
        free(out);
        return strdup(uri);
    }
    return out;
}

/* ------------------------------------------------------------ environment */

static int has_prefix(const char *s, const char *const *prefixes)
{
    for (size_t i = 0; NULL != prefixes && NULL != prefixes[i]; i++) {
        if (0 == strncmp(s, prefixes[i], strlen(prefixes[i]))) {
            return 1;
        }
    }
    return 0;
}

static size_t name_len(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return NULL == eq ? strlen(kv) : (size_t)(eq - kv);
}

/* Index of the entry with kv's name in v[0..n), or n. */
static size_t find_name(char **v, size_t n, const char *kv)
{
    size_t len = name_len(kv);
    for (size_t i = 0; i < n; i++) {
        if (name_len(v[i]) == len && 0 == strncmp(v[i], kv, len)) {
            return i;
        }
    }
    return n;
}

int dkr_env_has(const char *const *env, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; NULL != env && NULL != env[i]; i++) {
        if (0 == strncmp(env[i], name, len) && '=' == env[i][len]) {
            return 1;
        }
    }
    return 0;
}

char **dkr_plan_env(char *const *environ, const char *const *forward,
                    const char *const *drop, const char *const *extra)
{
    size_t cap = dkr_strv_len((const char *const *)environ) + dkr_strv_len(extra) + 1, n = 0;
    char **v = calloc(cap, sizeof(*v));

    if (NULL == v) {
        return NULL;
    }
    for (size_t i = 0; NULL != environ && NULL != environ[i]; i++) {
        if (NULL == strchr(environ[i], '=') || !has_prefix(environ[i], forward)
            || has_prefix(environ[i], drop)) {
            continue;
        }
        if (NULL == (v[n] = strdup(environ[i]))) {
            goto oom;
        }
        n++;
    }
    for (size_t i = 0; NULL != extra && NULL != extra[i]; i++) {
        size_t at = find_name(v, n, extra[i]);
        char *s = strdup(extra[i]);

        if (NULL == s) {
            goto oom;
        }
        if (at < n) {
            free(v[at]);
        } else {
            n++;
        }
        v[at] = s;
    }
    return v;
oom:
    dkr_strv_free(v);
    return NULL;
}

/* ------------------------------------------------------------ output tail */

void dkr_tail_init(dkr_tail_t *t, size_t cap)
{
    memset(t, 0, sizeof(*t));
    t->cap = cap;
}

void dkr_tail_add(dkr_tail_t *t, const char *data, size_t len)
{
    if (0 == t->cap || 0 == len) {
        return;
    }
    if (NULL == t->buf && NULL == (t->buf = malloc(t->cap + 1))) {
        return;
    }
    if (len >= t->cap) {
        t->truncated |= len > t->cap || t->len > 0;
        memcpy(t->buf, data + len - t->cap, t->cap);
        t->len = t->cap;
        return;
    }
    if (t->len + len > t->cap) {
        size_t drop = t->len + len - t->cap;
        memmove(t->buf, t->buf + drop, t->len - drop);
        t->len -= drop;
        t->truncated = 1;
    }
    memcpy(t->buf + t->len, data, len);
    t->len += len;
}

const char *dkr_tail_text(dkr_tail_t *t)
{
    if (NULL == t->buf) {
        return "";
    }
    t->buf[t->len] = '\0';
    return t->buf;
}

void dkr_tail_free(dkr_tail_t *t)
{
    free(t->buf);
    memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------- tree spawn */

char **dkr_plan_endpoint_map(const char *list, char *err, size_t errlen)
{
    char **items = dkr_strv_split(list), **map = NULL;
    size_t n = dkr_strv_len((const char *const *)items), m = 0;

    if (NULL == items || NULL == (map = calloc(2 * n + 1, sizeof(*map)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(items[i], '=');

        if (NULL == eq || eq == items[i] || '\0' == eq[1]) {
            snprintf(err, errlen, "\"%s\" is not name=url", items[i]);
            goto fail;
        }
        *eq = '\0';
        for (size_t j = 0; j < m; j += 2) {
            if (0 == strcmp(map[j], items[i])) {
                snprintf(err, errlen, "container \"%s\" is given twice", items[i]);
                goto fail;
            }
        }
        if (NULL == (map[m++] = strdup(items[i])) || NULL == (map[m++] = strdup(eq + 1))) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    dkr_strv_free(items);
    return map;

fail:
    dkr_strv_free(items);
    dkr_strv_free(map);
    return NULL;
}

const char *dkr_plan_endpoint_of(const char *const *map, const char *name, const char *dflt)
{
    for (size_t i = 0; NULL != map && NULL != map[i] && NULL != map[i + 1]; i += 2) {
        if (0 == strcmp(map[i], name)) {
            return map[i + 1];
        }
    }
    return dflt;
}

size_t dkr_plan_subtree(const size_t *top, size_t n, size_t k, size_t *out)
{
    size_t m = 0;

    if (k >= n) {
        return 0;
    }
    out[m++] = k;
    for (size_t i = 0; i < n; i++) {
        if (i != k && top[i] == k) {
            out[m++] = i;
        }
    }
    return m;
}
