/*
 * dkr_jobc.c - containers made for one job: the image and network they
 * need, their description, and removing everything of the job again (see
 * dkr_jobc.h).
 */
#define _GNU_SOURCE /* asprintf, strndup */
#include "dkr_jobc.h"

#include <ctype.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkr_libevent.h"

/* --------------------------------------------------------------- parsing */

int dkr_pull_parse(const char *s, dkr_pull_t *out)
{
    static const char *const names[] = { "missing", "always", "never" };

    for (int i = 0; i < 3; i++) {
        if (NULL != s && 0 == strcmp(s, names[i])) {
            *out = (dkr_pull_t)i;
            return DKR_OK;
        }
    }
    return DKR_ERR_ARG;
}

int dkr_size_parse(const char *s, int64_t *out)
{
    char *end = NULL;
    double v;
    int64_t mult = 1;

    if (NULL == s || '\0' == s[0]) {
        return DKR_ERR_ARG;
    }
    v = strtod(s, &end);
    if (end == s || v < 0) {
        return DKR_ERR_ARG;
    }
    switch (tolower((unsigned char)*end)) {
    case '\0': break;
    case 'k': mult = 1LL << 10; end++; break;
    case 'm': mult = 1LL << 20; end++; break;
    case 'g': mult = 1LL << 30; end++; break;
    case 't': mult = 1LL << 40; end++; break;
    default: return DKR_ERR_ARG;
    }
    if ('b' == tolower((unsigned char)*end)) {
        end++;
    }
    if ('\0' != *end) {
        return DKR_ERR_ARG;
    }
    *out = (int64_t)(v * (double)mult);
    return DKR_OK;
}

/* ---------------------------------------------------------------- names */

/* Container and network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
static char *sanitized(const char *prefix, const char *a, const char *b)
{
    char *s = NULL;

    if (0 > asprintf(&s, "%s%s%s%s", prefix, a, NULL == b ? "" : "-", NULL == b ? "" : b)) {
        return NULL;
    }
    for (char *p = s; '\0' != *p; p++) {
        if (!isalnum((unsigned char)*p) && '_' != *p && '.' != *p && '-' != *p) {
            *p = '-';
        }
    }
    return s;
}

char *dkr_jobc_container_name(const char *job, const char *node)
{
    return sanitized("ompi-", job, node);
}

char *dkr_jobc_network_name(const char *job)
{
    return sanitized("ompi-", job, "net");
}

/* ------------------------------------------------------------- the body */

static void add_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *str_array(const char *const *v)
{
    json_object *a = json_object_new_array();

    for (size_t i = 0; NULL != a && NULL != v && NULL != v[i]; i++) {
        json_object_array_add(a, json_object_new_string(v[i]));
    }
    return a;
}

/* Adds "key=value" (or "key") to a Labels object. */
static void add_label(json_object *labels, const char *kv)
{
    const char *eq = strchr(kv, '=');
    char *k = strndup(kv, NULL == eq ? strlen(kv) : (size_t)(eq - kv));

    if (NULL != k && '\0' != k[0]) {
        add_str(labels, k, NULL == eq ? "" : eq + 1);
    }
    free(k);
}

static json_object *job_labels(const dkr_jobc_spec_t *spec)
{
    json_object *l = json_object_new_object();

    add_str(l, DKR_LABEL_PROJECT, "ompi-docker");
    add_str(l, DKR_LABEL_JOB, spec->job);
    if (NULL != spec->owner) {
        add_str(l, DKR_LABEL_OWNER, spec->owner);
    }
    for (size_t i = 0; NULL != spec->labels && NULL != spec->labels[i]; i++) {
        add_label(l, spec->labels[i]);
    }
    return l;
}

/* A bind "src:dst[:ro|rw]" checked: both paths absolute (a relative source
 * would silently become a named volume). */
static int check_bind(const char *b, char *err, size_t errlen)
{
    const char *c1 = strchr(b, ':'), *c2 = NULL == c1 ? NULL : strchr(c1 + 1, ':');

    if ('/' != b[0] || NULL == c1 || '/' != c1[1]
        || (NULL != c2 && 0 != strcmp(c2 + 1, "ro") && 0 != strcmp(c2 + 1, "rw"))) {
        snprintf(err, errlen, "mount \"%s\" is not of the form /host/path:/container/path[:ro]", b);
        return DKR_ERR_ARG;
    }
    return DKR_OK;
}

static json_object *gpu_request(const char *gpus)
{
    json_object *req = json_object_new_object(), *caps = json_object_new_array(),
                *cap = json_object_new_array(), *all = json_object_new_array();
    char *end = NULL;
    long n = strtol(gpus, &end, 10);

    json_object_array_add(cap, json_object_new_string("gpu"));
    json_object_array_add(caps, cap);
    add_str(req, "Driver", "");
    if (0 == strcmp(gpus, "all")) {
        json_object_object_add(req, "Count", json_object_new_int(-1));
    } else if (end != gpus && '\0' == *end && n > 0) {
        json_object_object_add(req, "Count", json_object_new_int((int)n));
    } else {
        char *ids = strdup(gpus), *save = NULL;
        json_object *v = json_object_new_array();
        for (char *t = NULL == ids ? NULL : strtok_r(ids, ",", &save); NULL != t; t = strtok_r(NULL, ",", &save)) {
            json_object_array_add(v, json_object_new_string(t));
        }
        free(ids);
        json_object_object_add(req, "DeviceIDs", v);
    }
    json_object_object_add(req, "Capabilities", caps);
    json_object_array_add(all, req);
    return all;
}

json_object *dkr_jobc_create_body(const dkr_jobc_spec_t *spec, const char *node, const char *network,
                                  const char *const *cmd, const char *const *env, char *err,
                                  size_t errlen)
{
    json_object *body = json_object_new_object(), *host = json_object_new_object(),
                *binds = json_object_new_array();

    if (NULL == body || NULL == host || NULL == binds) {
        goto fail;
    }
    add_str(body, "Image", spec->image);
    json_object_object_add(body, "Cmd", str_array(cmd));
    json_object_object_add(body, "Env", str_array(env));
    add_str(body, "Hostname", node);
    json_object_object_add(body, "Labels", job_labels(spec));
    if (NULL != spec->user && '\0' != spec->user[0]) {
        add_str(body, "User", spec->user);
    }
    json_object_object_add(body, "AttachStdout", json_object_new_boolean(1));
    json_object_object_add(body, "AttachStderr", json_object_new_boolean(1));
    json_object_object_add(body, "Tty", json_object_new_boolean(0));

    if (NULL != spec->workdir && '\0' != spec->workdir[0]) {
        char *b = NULL;
        add_str(body, "WorkingDir", spec->workdir);
        if (0 > asprintf(&b, "%s:%s", spec->workdir, spec->workdir)) {
            goto fail;
        }
        json_object_array_add(binds, json_object_new_string(b));
        free(b);
    }
    for (size_t i = 0; NULL != spec->binds && NULL != spec->binds[i]; i++) {
        if (DKR_OK != check_bind(spec->binds[i], err, errlen)) {
            goto fail;
        }
        json_object_array_add(binds, json_object_new_string(spec->binds[i]));
    }
    json_object_object_add(host, "Binds", binds);
    binds = NULL;
    json_object_object_add(host, "AutoRemove", json_object_new_boolean(!spec->keep));
    /* an init as PID 1: signals reach the daemon, zombies are reaped */
    json_object_object_add(host, "Init", json_object_new_boolean(1));
    if (spec->shm_size > 0) {
        json_object_object_add(host, "ShmSize", json_object_new_int64(spec->shm_size));
    }
    if (NULL != spec->devices && NULL != spec->devices[0]) {
        json_object *devs = json_object_new_array();
        for (size_t i = 0; NULL != spec->devices[i]; i++) {
            json_object *d = json_object_new_object();
            add_str(d, "PathOnHost", spec->devices[i]);
            add_str(d, "PathInContainer", spec->devices[i]);
            add_str(d, "CgroupPermissions", "rwm");
            json_object_array_add(devs, d);
        }
        json_object_object_add(host, "Devices", devs);
    }
    if (NULL != spec->gpus && '\0' != spec->gpus[0] && 0 != strcmp(spec->gpus, "none")) {
        json_object_object_add(host, "DeviceRequests", gpu_request(spec->gpus));
    }
    add_str(host, "NetworkMode", network);
    json_object_object_add(body, "HostConfig", host);
    return body;

fail:
    json_object_put(binds);
    json_object_put(host);
    json_object_put(body);
    return NULL;
}

/* ------------------------------------------------------------ preparing */

struct dkr_jobc {
    dkr_client_t *cli;
    dkr_jobc_spec_t spec;
    char *image, *network, *job, *owner;
    char **labels;
    char **host_addrs;
    dkr_jobc_ready_cb cb;
    void *arg;
    dkr_request_t *req;
    int pulled;
    int bad_image;
    char *pull_error;          /* the first error line of the pull */
    char *pull_line;           /* a partial line of the pull's progress */
    int own_network;
    int subnet_tries;       /* inspections of a new overlay without its subnet yet */
    char *network_id;
    dkr_net_choice_t net;
    dkr_jobc_fail_t fail;
    int rc;
    char errstr[768];
};

static void ready(dkr_jobc_t *j, dkr_jobc_fail_t fail, int rc, const char *errstr)
{
    if (NULL == j->cb) {
        return;     /* being freed: a cancelled request answered */
    }
    j->fail = fail;
    j->rc = rc;
    snprintf(j->errstr, sizeof(j->errstr), "%s", NULL == errstr ? "" : errstr);
    j->cb(j, DKR_JOBC_OK == fail, j->arg);
}

/* Image names are sent as they are (the engine's route takes slashes). */
static int image_name_ok(const char *s)
{
    if (NULL == s || '\0' == s[0]) {
        return 0;
    }
    for (; '\0' != *s; s++) {
        if (!isalnum((unsigned char)*s) && NULL == strchr("._-/:@", *s)) {
            return 0;
        }
    }
    return 1;
}

static void network_inspected(dkr_client_t *cli, const dkr_result_t *res, void *arg);

/* The engine runs on this host: its bridges are this host's interfaces. */
static int engine_is_local(dkr_client_t *cli)
{
    const dkr_endpoint_t *ep = dkr_client_endpoint(cli);

    return DKR_EP_UNIX == ep->kind || 0 == strcmp(ep->host, "localhost")
           || 0 == strncmp(ep->host, "127.", 4) || 0 == strcmp(ep->host, "::1");
}

/* (each is one round trip to the manager: a few milliseconds) */
#define DKR_JOBC_SUBNET_TRIES 500

static void inspect_network(dkr_jobc_t *j, const char *name_or_id)
{
    char *path = dkr_path("/networks/", name_or_id, "");

    if (NULL == path) {
        ready(j, DKR_JOBC_NETWORK, DKR_ERR_OOM, "out of memory");
        return;
    }
    j->req = dkr_call(j->cli, "GET", path, NULL, network_inspected, j);
    free(path);
}

static void network_inspected(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_jobc_t *j = arg;
    json_object *ipam = NULL, *config = NULL, *first = NULL;
    const char *gw;
    const char *const *addrs = (const char *const *)j->host_addrs;
    char msg[512];
    dkr_cidr_t c;

    (void)cli;
    j->req = NULL;
    if (DKR_OK != res->rc) {
        snprintf(msg, sizeof(msg), "network %s: %s", j->own_network ? j->network_id : j->network,
                 res->errstr);
        ready(j, DKR_JOBC_NETWORK, res->rc, msg);
        return;
    }
    if (json_object_object_get_ex(res->json, "IPAM", &ipam)
        && json_object_object_get_ex(ipam, "Config", &config)
        && json_object_is_type(config, json_type_array) && json_object_array_length(config) > 0
        && NULL != (first = json_object_array_get_idx(config, 0))
        && DKR_OK == dkr_cidr_parse(dkr_json_str(first, "Subnet"), &c)) {
        snprintf(j->net.network, sizeof(j->net.network), "%s", j->network);
        dkr_cidr_format(&c, j->net.cidr, sizeof(j->net.cidr));
        for (size_t i = 0; NULL != addrs && NULL != addrs[i]; i++) {
            char ip[64];
            const char *slash = strchr(addrs[i], '/');
            size_t n = NULL == slash ? strlen(addrs[i]) : (size_t)(slash - addrs[i]);
            if (n < sizeof(ip)) {
                memcpy(ip, addrs[i], n);
                ip[n] = '\0';
                if (dkr_cidr_contains(&c, ip)) {
                    snprintf(j->net.host_ip, sizeof(j->net.host_ip), "%s", ip);
                    break;
                }
            }
        }
    }
    /* A Swarm manager gives a new overlay its subnet a moment after creating
     * it (seen under load: an inspect without IPAM.Config).  Without the
     * subnet the ranks would not be told which network to use, and a job
     * across nodes then hangs on docker_gwbridge: ask again, a bounded
     * number of times, then fail. */
    if (j->spec.swarm && j->own_network && '\0' == j->net.cidr[0]) {
        if (++j->subnet_tries < DKR_JOBC_SUBNET_TRIES) {
            inspect_network(j, j->network_id);
            return;
        }
        snprintf(msg, sizeof(msg), "the Swarm gave the job's overlay network %s no subnet "
                 "(%d inspections)", j->network, j->subnet_tries);
        ready(j, DKR_JOBC_NETWORK, DKR_ERR_PROTOCOL, msg);
        return;
    }
    /* A local engine brings its new bridge up with the gateway's address on
     * this host when the first container joins.  Only an IPv4 address in the
     * subnet counts: Podman's --internal networks (CNI) have no gateway and
     * report "Gateway": "<nil>". */
    if ('\0' == j->net.host_ip[0] && j->own_network && engine_is_local(j->cli)
        && '\0' != j->net.cidr[0] && NULL != (gw = dkr_json_str(first, "Gateway")) && dkr_cidr_contains(&c, gw)) {
        snprintf(j->net.host_ip, sizeof(j->net.host_ip), "%s", gw);
    }
    /* a network of our own is internal: only a host on it reaches it */
    if (j->own_network && '\0' == j->net.host_ip[0] && !j->spec.swarm) {
        snprintf(msg, sizeof(msg), "the launching host has no address on the job's network %s "
                 "(%s): %s, so name a network the host and the containers share with "
                 "plm_docker_network", j->network, '\0' == j->net.cidr[0] ? "no subnet" : j->net.cidr,
                 engine_is_local(j->cli) ? "the engine gave it no gateway (as Podman's internal "
                 "networks with CNI)" : "the engine is not local");
        ready(j, DKR_JOBC_NETWORK, DKR_ERR_ARG, msg);
        return;
    }
    ready(j, DKR_JOBC_OK, DKR_OK, NULL);
}

static void network_created(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_jobc_t *j = arg;
    const char *id = NULL;
    char msg[512];

    (void)cli;
    j->req = NULL;
    if (DKR_OK != res->rc || NULL == (id = dkr_json_str(res->json, "Id")) || '\0' == id[0]) {
        snprintf(msg, sizeof(msg), "creating network %s: %s", j->network,
                 DKR_OK != res->rc ? res->errstr : "the answer has no Id");
        ready(j, DKR_JOBC_NETWORK, DKR_OK != res->rc ? res->rc : DKR_ERR_PROTOCOL, msg);
        return;
    }
    j->own_network = 1;
    if (NULL == (j->network_id = strdup(id))) {
        ready(j, DKR_JOBC_NETWORK, DKR_ERR_OOM, "out of memory");
        return;
    }
    inspect_network(j, j->network_id);
}

static void make_network(dkr_jobc_t *j)
{
    json_object *body;

    if (NULL != j->spec.network && '\0' != j->spec.network[0]) {
        inspect_network(j, j->network);
        return;
    }
    body = json_object_new_object();
    add_str(body, "Name", j->network);
    if (j->spec.swarm) {
        /* on several nodes: an overlay containers on any node may join; not
         * internal, else they lose docker_gwbridge, their way to mpirun */
        add_str(body, "Driver", "overlay");
        json_object_object_add(body, "Attachable", json_object_new_boolean(1));
    } else {
        add_str(body, "Driver", "bridge");
        json_object_object_add(body, "Internal", json_object_new_boolean(1));
    }
    json_object_object_add(body, "CheckDuplicate", json_object_new_boolean(1));
    json_object_object_add(body, "Labels", job_labels(&j->spec));
    j->req = dkr_call(j->cli, "POST", "/networks/create", body, network_created, j);
    json_object_put(body);
}

static void image_inspected(dkr_client_t *cli, const dkr_result_t *res, void *arg);

static void inspect_image(dkr_jobc_t *j)
{
    char *path = NULL;

    if (0 > asprintf(&path, "/images/%s/json", j->image)) {
        ready(j, DKR_JOBC_IMAGE_MISSING, DKR_ERR_OOM, "out of memory");
        return;
    }
    j->req = dkr_call(j->cli, "GET", path, NULL, image_inspected, j);
    free(path);
}

/* The pull's progress is one JSON object a line; failures come as
 * {"error": ...} inside a 200. */
static void pull_data(void *arg, const char *buf, size_t len)
{
    dkr_jobc_t *j = arg;
    char *all = NULL, *line, *save = NULL;

    if (0 > asprintf(&all, "%s%.*s", NULL == j->pull_line ? "" : j->pull_line, (int)len, buf)) {
        return;
    }
    free(j->pull_line);
    j->pull_line = NULL;
    {
        char *last = strrchr(all, '\n');
        if (NULL == last) {
            j->pull_line = all;
            return;
        }
        if ('\0' != last[1]) {
            j->pull_line = strdup(last + 1);
        }
        last[1] = '\0';
    }
    for (line = strtok_r(all, "\n", &save); NULL != line; line = strtok_r(NULL, "\n", &save)) {
        json_object *o = json_tokener_parse(line), *e = NULL;
        /* {"error": "..."}; a null error is none, another type is shown as JSON */
        if (NULL != o && json_object_object_get_ex(o, "error", &e) && NULL != e
            && NULL == j->pull_error) {
            j->pull_error = strdup(json_object_get_string(e));
        }
        json_object_put(o);
    }
    free(all);
}

static void pulled(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_jobc_t *j = arg;
    char msg[768];

    (void)cli;
    j->req = NULL;
    if (DKR_OK != res->rc || NULL != j->pull_error) {
        snprintf(msg, sizeof(msg), "%s", DKR_OK != res->rc ? res->errstr : j->pull_error);
        ready(j, DKR_JOBC_PULL_FAILED, DKR_OK != res->rc ? res->rc : DKR_ERR_HTTP, msg);
        return;
    }
    j->pulled = 1;
    inspect_image(j);
}

static void pull(dkr_jobc_t *j)
{
    const char *at = strchr(j->image, '@'), *slash = strrchr(j->image, '/');
    const char *colon = strrchr(j->image, ':');
    char *repo = NULL, *tag = NULL, *erepo = NULL, *etag = NULL, *path = NULL;

    /* name[:tag] or name@digest; a ':' before the last '/' is a registry port */
    if (NULL != at) {
        repo = strdup(j->image);
    } else if (NULL != colon && (NULL == slash || colon > slash)) {
        repo = strndup(j->image, (size_t)(colon - j->image));
        tag = strdup(colon + 1);
    } else {
        repo = strdup(j->image);
        tag = strdup("latest");
    }
    if (NULL == repo || NULL == (erepo = dkr_escape(repo))
        || (NULL != tag && NULL == (etag = dkr_escape(tag)))
        || 0 > asprintf(&path, "/images/create?fromImage=%s%s%s", erepo, NULL == etag ? "" : "&tag=",
                        NULL == etag ? "" : etag)) {
        path = NULL;
    }
    free(repo);
    free(tag);
    free(erepo);
    free(etag);
    if (NULL == path) {
        ready(j, DKR_JOBC_PULL_FAILED, DKR_ERR_OOM, "out of memory");
        return;
    }
    j->req = dkr_stream(j->cli, "POST", path, NULL, pull_data, j, pulled, j);
    free(path);
}

static void image_inspected(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_jobc_t *j = arg;

    (void)cli;
    j->req = NULL;
    if (DKR_OK == res->rc) {
        make_network(j);
    } else if (DKR_ERR_NOT_FOUND == res->rc && !j->pulled && DKR_PULL_NEVER != j->spec.pull) {
        pull(j);
    } else if (DKR_ERR_NOT_FOUND == res->rc) {
        ready(j, DKR_JOBC_IMAGE_MISSING, res->rc, res->errstr);
    } else {
        ready(j, DKR_JOBC_ENDPOINT, res->rc, res->errstr);
    }
}

static void pinged(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_jobc_t *j = arg;

    (void)cli;
    j->req = NULL;
    if (DKR_OK != res->rc) {
        ready(j, DKR_JOBC_ENDPOINT, res->rc, res->errstr);
    } else if (j->bad_image) {
        char msg[512];
        snprintf(msg, sizeof(msg), "\"%s\" is not an image name", j->image);
        ready(j, DKR_JOBC_IMAGE_MISSING, DKR_ERR_ARG, msg);
    } else if (DKR_PULL_ALWAYS == j->spec.pull) {
        pull(j);
    } else {
        inspect_image(j);
    }
}

dkr_jobc_t *dkr_jobc_prepare(dkr_client_t *cli, const dkr_jobc_spec_t *spec,
                             const char *const *host_addrs, dkr_jobc_ready_cb cb, void *arg)
{
    dkr_jobc_t *j = calloc(1, sizeof(*j));

    if (NULL == j) {
        return NULL;
    }
    j->cli = cli;
    j->cb = cb;
    j->arg = arg;
    j->spec = *spec;
    /* own copies of what the spec points to that is used later */
    j->image = strdup(NULL == spec->image ? "" : spec->image);
    j->job = strdup(spec->job);
    j->owner = NULL == spec->owner ? NULL : strdup(spec->owner);
    j->labels = dkr_strv_dup(spec->labels);
    j->host_addrs = dkr_strv_dup(host_addrs);
    j->network = NULL != spec->network && '\0' != spec->network[0] ? strdup(spec->network)
                                                                   : dkr_jobc_network_name(spec->job);
    if (NULL == j->image || NULL == j->job || NULL == j->labels || NULL == j->host_addrs
        || NULL == j->network || (NULL != spec->owner && NULL == j->owner)) {
        dkr_jobc_free(j);
        return NULL;
    }
    j->spec.image = j->image;
    j->spec.job = j->job;
    j->spec.owner = j->owner;
    j->spec.labels = (const char *const *)j->labels;
    j->bad_image = !image_name_ok(j->image);   /* reported after the ping, like the rest */
    j->req = dkr_ping(cli, pinged, j);
    if (NULL == j->req) {
        dkr_jobc_free(j);
        return NULL;
    }
    return j;
}

dkr_jobc_fail_t dkr_jobc_failure(const dkr_jobc_t *j, int *rc, const char **errstr)
{
    if (NULL != rc) {
        *rc = j->rc;
    }
    if (NULL != errstr) {
        *errstr = j->errstr;
    }
    return j->fail;
}

const dkr_net_choice_t *dkr_jobc_network(const dkr_jobc_t *j)
{
    return &j->net;
}

int dkr_jobc_own_network(const dkr_jobc_t *j)
{
    return j->own_network;
}

void dkr_jobc_free(dkr_jobc_t *j)
{
    if (NULL == j) {
        return;
    }
    if (NULL != j->req) {
        dkr_request_t *req = j->req;
        j->cb = NULL;
        j->req = NULL;
        dkr_request_cancel(req);
    }
    free(j->image);
    free(j->network);
    free(j->job);
    free(j->owner);
    dkr_strv_free(j->labels);
    dkr_strv_free(j->host_addrs);
    free(j->pull_error);
    free(j->pull_line);
    free(j->network_id);
    free(j);
}

/* ------------------------------------------------------------- removing */

typedef struct sync_call {
    int done;
    int rc;
    long status;
    json_object *json;
    char errstr[512];
} sync_call_t;

static void sync_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    sync_call_t *c = arg;

    (void)cli;
    c->done = 1;
    c->rc = res->rc;
    c->status = res->http_status;
    c->json = NULL == res->json ? NULL : json_object_get(res->json);
    snprintf(c->errstr, sizeof(c->errstr), "%s", NULL == res->errstr ? "" : res->errstr);
}

/* One call (a ping when method is NULL), waited for on base. */
static int call_sync(dkr_client_t *cli, struct event_base *base, const char *method, const char *path,
                     sync_call_t *c)
{
    memset(c, 0, sizeof(*c));
    if (NULL == (NULL == method ? dkr_ping(cli, sync_done, c)
                                : dkr_call(cli, method, path, NULL, sync_done, c))) {
        c->rc = DKR_ERR_OOM;
        snprintf(c->errstr, sizeof(c->errstr), "out of memory");
        return c->rc;
    }
    while (!c->done) {
        if (DKR_OK != dkr_libevent_run_until(base, &c->done, 0)) {
            break;
        }
    }
    return c->rc;
}

/* The ids of the job's objects of one kind ("containers" or "networks"). */
static int list_ids(dkr_client_t *cli, struct event_base *base, const char *kind, const char *job,
                    char ***ids, char *err, size_t errlen)
{
    json_object *f = json_object_new_object(), *l = json_object_new_array();
    char *label = NULL, *esc = NULL, *path = NULL;
    sync_call_t c;
    size_t n;
    int rc;

    *ids = NULL;
    if (0 > asprintf(&label, "%s=%s", DKR_LABEL_JOB, job)) {
        label = NULL;
    }
    json_object_array_add(l, json_object_new_string(NULL == label ? "" : label));
    json_object_object_add(f, "label", l);
    esc = dkr_escape(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN));
    json_object_put(f);
    free(label);
    if (NULL == esc || 0 > asprintf(&path, "/%s%s?%sfilters=%s", kind, 0 == strcmp(kind, "containers") ? "/json" : "",
                                    0 == strcmp(kind, "containers") ? "all=1&" : "", esc)) {
        free(esc);
        snprintf(err, errlen, "out of memory");
        return DKR_ERR_OOM;
    }
    free(esc);
    rc = call_sync(cli, base, "GET", path, &c);
    free(path);
    if (DKR_OK != rc) {
        snprintf(err, errlen, "listing the job's %s: %s", kind, c.errstr);
        json_object_put(c.json);
        return rc;
    }
    n = json_object_is_type(c.json, json_type_array) ? json_object_array_length(c.json) : 0;
    *ids = calloc(n + 1, sizeof(char *));
    for (size_t i = 0, k = 0; NULL != *ids && i < n; i++) {
        const char *id = dkr_json_str(json_object_array_get_idx(c.json, i), "Id");
        char *copy;
        if (NULL != id && '\0' != id[0] && NULL != (copy = strdup(id))) {
            (*ids)[k++] = copy;
        }
    }
    json_object_put(c.json);
    return NULL == *ids ? DKR_ERR_OOM : DKR_OK;
}

/* Removes each id under prefix ("/containers/", "/networks/"); counts what
 * is still there. */
static int remove_all(dkr_client_t *cli, struct event_base *base, const char *prefix, char **ids,
                      int *left, char *err, size_t errlen)
{
    int first = DKR_OK;

    for (size_t i = 0; NULL != ids[i]; i++) {
        char *path = dkr_path(prefix, ids[i], 0 == strcmp(prefix, "/containers/") ? "?force=1&v=1" : "");
        sync_call_t c;

        if (NULL == path) {
            return DKR_ERR_OOM;
        }
        call_sync(cli, base, "DELETE", path, &c);
        free(path);
        json_object_put(c.json);
        /* gone already (AutoRemove raced us) is what we wanted */
        if (DKR_OK != c.rc && DKR_ERR_NOT_FOUND != c.rc) {
            (*left)++;
            if (DKR_OK == first) {
                first = c.rc;
                snprintf(err, errlen, "removing %.12s: %s", ids[i], c.errstr);
            }
        }
    }
    return first;
}

static int cleanup(const dkr_endpoint_t *ep, const char *job, int keep, int wait_ms, int timeout_ms,
                   int networks, int *left, char *err, size_t errlen)
{
    dkr_client_opts_t opts = { .timeout_ms = timeout_ms };
    struct event_base *base = event_base_new();
    dkr_client_t *cli = NULL == base ? NULL : dkr_client_new(ep, &opts);
    char **ids = NULL;
    int rc = DKR_ERR_OOM, never = 0, waited = 0;
    sync_call_t c;

    *left = 0;
    err[0] = '\0';
    if (NULL == cli || DKR_OK != dkr_libevent_attach(cli, base)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (DKR_OK != (rc = call_sync(cli, base, NULL, NULL, &c))) {
        json_object_put(c.json);
        snprintf(err, errlen, "%s", c.errstr);
        goto out;
    }
    json_object_put(c.json);
    /* the containers end by themselves once their daemons leave */
    for (;;) {
        if (DKR_OK != (rc = list_ids(cli, base, "containers", job, &ids, err, errlen))) {
            goto out;
        }
        if (NULL == ids[0] || keep || waited >= wait_ms) {
            break;
        }
        dkr_strv_free(ids);
        ids = NULL;
        dkr_libevent_run_until(base, &never, 100);
        waited += 100;
    }
    if (!keep && DKR_OK != (rc = remove_all(cli, base, "/containers/", ids, left, err, errlen))) {
        goto out;
    }
    if (keep && NULL != ids[0]) {
        rc = DKR_OK;        /* their network stays with them */
        goto out;
    }
    dkr_strv_free(ids);
    ids = NULL;
    if (!networks) {
        goto out;
    }
    if (DKR_OK != (rc = list_ids(cli, base, "networks", job, &ids, err, errlen))) {
        goto out;
    }
    rc = remove_all(cli, base, "/networks/", ids, left, err, errlen);

out:
    dkr_strv_free(ids);
    dkr_client_free(cli);
    if (NULL != base) {
        event_base_free(base);
    }
    return rc;
}

int dkr_jobc_cleanup(const dkr_endpoint_t *ep, const char *job, int keep, int wait_ms,
                     int timeout_ms, int *left, char *err, size_t errlen)
{
    return cleanup(ep, job, keep, wait_ms, timeout_ms, 1, left, err, errlen);
}

int dkr_jobc_cleanup_containers(const dkr_endpoint_t *ep, const char *job, int keep, int wait_ms,
                                int timeout_ms, int *left, char *err, size_t errlen)
{
    return cleanup(ep, job, keep, wait_ms, timeout_ms, 0, left, err, errlen);
}
