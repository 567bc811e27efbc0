/*
 * dkr_json.c - Docker's JSON in and out: containers from inspect or list
 * answers, the exec create body.  Pure: no I/O, no client.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dkr_private.h"

static struct json_object *get(struct json_object *o, const char *key, enum json_type t)
{
    struct json_object *v = NULL;

    if (NULL == o || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t)) {
        return NULL;    /* missing, null or another type */
    }
    return v;
}

const char *dkr_json_str(struct json_object *o, const char *key)
{
    struct json_object *v = get(o, key, json_type_string);

    return NULL == v ? NULL : json_object_get_string(v);
}

static int get_bool(struct json_object *o, const char *key)
{
    struct json_object *v = get(o, key, json_type_boolean);

    return NULL != v && json_object_get_boolean(v);
}

static int64_t get_int(struct json_object *o, const char *key)
{
    struct json_object *v = get(o, key, json_type_int);

    return NULL == v ? 0 : json_object_get_int64(v);
}

/* strdup that turns NULL into "". */
static char *dup_or_empty(const char *s)
{
    return strdup(NULL != s ? s : "");
}

void dkr_container_free(dkr_container_t *c)
{
    size_t i;

    if (NULL == c) {
        return;
    }
    free(c->id);
    free(c->name);
    free(c->hostname);
    free(c->image);
    free(c->state);
    if (NULL != c->labels) {
        for (i = 0; NULL != c->labels[i]; i++) {
            free(c->labels[i]);
        }
        free(c->labels);
    }
    for (i = 0; i < c->n_nets; i++) {
        free(c->nets[i].network);
        free(c->nets[i].network_id);
        free(c->nets[i].ip);
        free(c->nets[i].gateway);
    }
    free(c->nets);
    free(c->cpuset);
    free(c);
}

void dkr_containers_free(dkr_container_t **v, size_t n)
{
    size_t i;

    if (NULL == v) {
        return;
    }
    for (i = 0; i < n; i++) {
        dkr_container_free(v[i]);
    }
    free(v);
}

/* Inspect has "Name": "/x"; list items "Names": ["/x", "/other/link"] (and
 * on Podman also "Name": "", which does not count). */
static char *pick_name(struct json_object *obj)
{
    const char *n = dkr_json_str(obj, "Name");
    struct json_object *names;
    size_t i, len;

    if (NULL != n && '\0' == n[0]) {
        n = NULL;
    }
    if (NULL == n && NULL != (names = get(obj, "Names", json_type_array))) {
        len = json_object_array_length(names);
        for (i = 0; i < len; i++) {
            struct json_object *e = json_object_array_get_idx(names, i);
            const char *s;

            if (!json_object_is_type(e, json_type_string)) {
                continue;
            }
            s = json_object_get_string(e);
            if (NULL == n) {
                n = s;
            }
            if (NULL == strchr(s + ('/' == s[0]), '/')) {
                n = s;  /* the container's own name, not a legacy link alias */
                break;
            }
        }
    }
    if (NULL != n && '/' == n[0]) {
        n++;
    }
    return dup_or_empty(n);
}

static int parse_labels(struct json_object *labels, dkr_container_t *c)
{
    size_t n = 0, i = 0;

    if (NULL != labels) {
        n = (size_t)json_object_object_length(labels);
    }
    if (NULL == (c->labels = calloc(n + 1, sizeof(char *)))) {
        return DKR_ERR_OOM;
    }
    if (NULL == labels) {
        return DKR_OK;
    }
    json_object_object_foreach(labels, key, val) {
        const char *v = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
                                                                   : NULL;
        size_t kl = strlen(key), vl = NULL != v ? strlen(v) : 0;
        char *s;

        if (i >= n || NULL == (s = malloc(kl + vl + 2))) {
            return DKR_ERR_OOM;
        }
        memcpy(s, key, kl);
        if (NULL != v) {
            s[kl] = '=';
            memcpy(s + kl + 1, v, vl + 1);
        } else {
            s[kl] = '\0';      /* a null value: the key alone */
        }
        c->labels[i++] = s;
    }
    return DKR_OK;
}

static int parse_nets(struct json_object *nets, dkr_container_t *c)
{
    size_t n, i = 0;

    if (NULL == nets || 0 == (n = (size_t)json_object_object_length(nets))) {
        return DKR_OK;
    }
    if (NULL == (c->nets = calloc(n, sizeof(*c->nets)))) {
        return DKR_ERR_OOM;
    }
    json_object_object_foreach(nets, name, net) {
        dkr_netaddr_t *a;

        if (i >= n) {
            break;
        }
        a = &c->nets[i++];
        c->n_nets = i;
        a->network = strdup(name);
        a->network_id = dup_or_empty(dkr_json_str(net, "NetworkID"));
        a->ip = dup_or_empty(dkr_json_str(net, "IPAddress"));
        a->gateway = dup_or_empty(dkr_json_str(net, "Gateway"));
        a->prefix_len = (int)get_int(net, "IPPrefixLen");
        if (!a->network || !a->network_id || !a->ip || !a->gateway) {
            return DKR_ERR_OOM;
        }
    }
    return DKR_OK;
}

int dkr_container_from_json(struct json_object *obj, dkr_container_t **out)
{
    struct json_object *config, *state_obj, *hostcfg, *netset;
    dkr_container_t *c = NULL;
    const char *id, *s;
    int rc = DKR_ERR_OOM;

    if (NULL == out) {
        return DKR_ERR_ARG;
    }
    *out = NULL;
    if (NULL == obj || !json_object_is_type(obj, json_type_object) ||
        NULL == (id = dkr_json_str(obj, "Id")) || '\0' == *id) {
        return DKR_ERR_PROTOCOL;
    }
    if (NULL == (c = calloc(1, sizeof(*c)))) {
        return DKR_ERR_OOM;
    }
    config = get(obj, "Config", json_type_object);           /* inspect only */
    hostcfg = get(obj, "HostConfig", json_type_object);
    netset = get(obj, "NetworkSettings", json_type_object);

    if (NULL == (c->id = strdup(id)) || NULL == (c->name = pick_name(obj))) {
        goto fail;
    }
    if (NULL != config && NULL != (s = dkr_json_str(config, "Hostname")) &&
        NULL == (c->hostname = strdup(s))) {
        goto fail;
    }
    /* Config.Image is the name the user gave; inspect's top-level Image is
     * the sha256 id, a list item's is the name. */
    s = NULL != config ? dkr_json_str(config, "Image") : NULL;
    if (NULL == (c->image = dup_or_empty(NULL != s ? s : dkr_json_str(obj, "Image")))) {
        goto fail;
    }
    if (NULL != (state_obj = get(obj, "State", json_type_object))) {
        c->state = dup_or_empty(dkr_json_str(state_obj, "Status"));
        c->running = get_bool(state_obj, "Running");
        c->paused = get_bool(state_obj, "Paused");
    } else {
        c->state = dup_or_empty(dkr_json_str(obj, "State"));
        if (NULL != c->state) {
            c->running = 0 == strcmp(c->state, "running");
            c->paused = 0 == strcmp(c->state, "paused");
        }
    }
    if (NULL == c->state) {
        goto fail;
    }
    if (DKR_OK != (rc = parse_labels(NULL != config ? get(config, "Labels", json_type_object)
                                                    : get(obj, "Labels", json_type_object), c)) ||
        DKR_OK != (rc = parse_nets(get(netset, "Networks", json_type_object), c))) {
        goto fail;
    }
    rc = DKR_ERR_OOM;
    c->nano_cpus = get_int(hostcfg, "NanoCpus");
    if (NULL != (s = dkr_json_str(hostcfg, "CpusetCpus")) && '\0' != *s &&
        NULL == (c->cpuset = strdup(s))) {
        goto fail;
    }
    *out = c;
    return DKR_OK;

fail:
    dkr_container_free(c);
    return rc;
}

int dkr_containers_from_json(struct json_object *arr, dkr_container_t ***out, size_t *n)
{
    dkr_container_t **v;
    size_t len, i;
    int rc;

    if (NULL == out || NULL == n) {
        return DKR_ERR_ARG;
    }
    *out = NULL;
    *n = 0;
    if (NULL == arr || !json_object_is_type(arr, json_type_array)) {
        return DKR_ERR_PROTOCOL;
    }
    len = json_object_array_length(arr);
    if (NULL == (v = calloc(len + 1, sizeof(*v)))) {
        return DKR_ERR_OOM;
    }
    for (i = 0; i < len; i++) {
        if (DKR_OK != (rc = dkr_container_from_json(json_object_array_get_idx(arr, i), &v[i]))) {
            dkr_containers_free(v, i);
            return rc;
        }
    }
    *out = v;
    *n = len;
    return DKR_OK;
}

const char *dkr_container_label(const dkr_container_t *c, const char *key, int *present)
{
    size_t i, kl;

    if (NULL != present) {
        *present = 0;
    }
    if (NULL == c || NULL == key || NULL == c->labels) {
        return NULL;
    }
    kl = strlen(key);
    for (i = 0; NULL != c->labels[i]; i++) {
        const char *l = c->labels[i];

        if (0 == strncmp(l, key, kl) && ('=' == l[kl] || '\0' == l[kl])) {
            if (NULL != present) {
                *present = 1;
            }
            return '=' == l[kl] ? l + kl + 1 : NULL;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ exec */

static int add(struct json_object *o, const char *key, struct json_object *v)
{
    if (NULL == v) {
        return -1;
    }
    if (0 != json_object_object_add(o, key, v)) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

static struct json_object *string_array(const char *const *v)
{
    struct json_object *a = json_object_new_array();
    size_t i;

    for (i = 0; NULL != a && NULL != v[i]; i++) {
        struct json_object *s = json_object_new_string(v[i]);

        if (NULL == s || 0 != json_object_array_add(a, s)) {
            json_object_put(s);
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

struct json_object *dkr_exec_create_body(const dkr_exec_spec_t *spec)
{
    struct json_object *o;
    int attach;

    if (NULL == spec || NULL == spec->cmd || NULL == spec->cmd[0] ||
        NULL == (o = json_object_new_object())) {
        return NULL;
    }
    attach = !spec->detach;
    if (add(o, "AttachStdin", json_object_new_boolean(0)) ||
        add(o, "AttachStdout", json_object_new_boolean(attach)) ||
        add(o, "AttachStderr", json_object_new_boolean(attach)) ||
        add(o, "Tty", json_object_new_boolean(0)) ||
        add(o, "Cmd", string_array(spec->cmd)) ||
        (NULL != spec->env && add(o, "Env", string_array(spec->env))) ||
        (NULL != spec->user && add(o, "User", json_object_new_string(spec->user))) ||
        (NULL != spec->workdir && add(o, "WorkingDir", json_object_new_string(spec->workdir)))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}
