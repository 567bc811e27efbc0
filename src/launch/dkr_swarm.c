/*
 * dkr_swarm.c - Swarm nodes and tasks, and the endpoint of a task's node
 * (see dkr_swarm.h).
 */
#define _GNU_SOURCE /* asprintf */
#include "dkr_swarm.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ pure parts */

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    return NULL != o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v)
           ? v : NULL;
}

static const char *str_at(json_object *o, const char *a, const char *b)
{
    json_object *v = member(member(o, a), b);
    return NULL != v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static char *dup_nonempty(const char *s)
{
    return NULL == s || '\0' == s[0] ? NULL : strdup(s);
}

/* The host part of "host:port", "[v6]:port" or a bare host. */
static char *host_part(const char *addr)
{
    const char *colon;

    if (NULL == addr || '\0' == addr[0]) {
        return NULL;
    }
    if ('[' == addr[0]) {
        const char *e = strchr(addr, ']');
        return NULL == e ? strdup(addr) : strndup(addr + 1, (size_t)(e - addr - 1));
    }
    colon = strchr(addr, ':');
    if (NULL != colon && NULL == strchr(colon + 1, ':')) {
        return strndup(addr, (size_t)(colon - addr));
    }
    return strdup(addr);   /* no port, or a bare IPv6 address */
}

void dkr_swarm_nodes_free(dkr_swarm_node_t *v, size_t n)
{
    for (size_t i = 0; NULL != v && i < n; i++) {
        free(v[i].id);
        free(v[i].addr);
        free(v[i].hostname);
        free(v[i].state);
    }
    free(v);
}

int dkr_swarm_nodes_from_json(json_object *arr, dkr_swarm_node_t **out, size_t *n)
{
    size_t len, k = 0;
    dkr_swarm_node_t *v;

    *out = NULL;
    *n = 0;
    if (NULL == arr || !json_object_is_type(arr, json_type_array)) {
        return DKR_ERR_PROTOCOL;
    }
    len = json_object_array_length(arr);
    if (NULL == (v = calloc(len + 1, sizeof(*v)))) {
        return DKR_ERR_OOM;
    }
    for (size_t i = 0; i < len; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        const char *id, *maddr = str_at(o, "ManagerStatus", "Addr"),
                   *saddr = str_at(o, "Status", "Addr");
        dkr_swarm_node_t *nd = &v[k];
        json_object *idv = member(o, "ID");
        char *mhost = host_part(maddr);

        id = NULL != idv && json_object_is_type(idv, json_type_string) ? json_object_get_string(idv) : NULL;
        if (NULL == id || '\0' == id[0]) {
            free(mhost);
            continue;
        }
        nd->id = strdup(id);
        /* a manager's Status.Addr may be 0.0.0.0 (or the address it was
         * told to advertise is only in ManagerStatus) */
        if (NULL != mhost && 0 != strcmp(mhost, "0.0.0.0")) {
            nd->addr = mhost;
        } else {
            free(mhost);
            nd->addr = dup_nonempty(saddr);
        }
        nd->hostname = dup_nonempty(str_at(o, "Description", "Hostname"));
        nd->state = dup_nonempty(str_at(o, "Status", "State"));
        nd->manager = NULL != member(o, "ManagerStatus");
        k++;
        if (NULL == nd->id) {
            dkr_swarm_nodes_free(v, k);
            return DKR_ERR_OOM;
        }
    }
    *out = v;
    *n = k;
    return DKR_OK;
}

void dkr_swarm_tasks_free(dkr_swarm_task_t *v, size_t n)
{
    for (size_t i = 0; NULL != v && i < n; i++) {
        free(v[i].id);
        free(v[i].container_id);
        free(v[i].node_id);
        free(v[i].service_id);
    }
    free(v);
}

/* One running task; 0 when it is not running (or has no container), -1
 * when out of memory. */
static int task_parse(json_object *o, dkr_swarm_task_t *t)
{
    json_object *slot = member(o, "Slot"), *idv = member(o, "ID"), *nodev = member(o, "NodeID"),
                *svcv = member(o, "ServiceID");
    const char *state = str_at(o, "Status", "State"),
               *cid = str_at(member(o, "Status"), "ContainerStatus", "ContainerID");

    memset(t, 0, sizeof(*t));
    if (NULL == state || 0 != strcmp(state, "running") || NULL == cid || '\0' == cid[0]
        || NULL == idv || !json_object_is_type(idv, json_type_string)) {
        return 0;
    }
    t->id = strdup(json_object_get_string(idv));
    t->container_id = strdup(cid);
    t->node_id = NULL == nodev ? NULL : dup_nonempty(json_object_get_string(nodev));
    t->service_id = NULL == svcv ? NULL : dup_nonempty(json_object_get_string(svcv));
    t->slot = NULL != slot && json_object_is_type(slot, json_type_int) ? json_object_get_int(slot) : 0;
    return NULL == t->id || NULL == t->container_id ? -1 : 1;
}

int dkr_swarm_tasks_from_json(json_object *arr, dkr_swarm_task_t **out, size_t *n)
{
    size_t len, k = 0;
    dkr_swarm_task_t *v;

    *out = NULL;
    *n = 0;
    if (NULL == arr || !json_object_is_type(arr, json_type_array)) {
        return DKR_ERR_PROTOCOL;
    }
    len = json_object_array_length(arr);
    if (NULL == (v = calloc(len + 1, sizeof(*v)))) {
        return DKR_ERR_OOM;
    }
    for (size_t i = 0; i < len; i++) {
        int r = task_parse(json_object_array_get_idx(arr, i), &v[k]);

        if (r < 0) {
            dkr_swarm_tasks_free(v, k + 1);
            return DKR_ERR_OOM;
        }
        k += (size_t)r;
    }
    *out = v;
    *n = k;
    return DKR_OK;
}

int dkr_swarm_task_as_container(json_object *task, const char *service, dkr_container_t **out)
{
    dkr_swarm_task_t t;
    json_object *o = NULL, *cfg = NULL, *st = NULL, *hc = NULL,
                *labels = member(member(member(task, "Spec"), "ContainerSpec"), "Labels"),
                *cpus = member(member(member(member(task, "Spec"), "Resources"), "Limits"), "NanoCPUs");
    char *name = NULL, *slash = NULL;
    int r = task_parse(task, &t), rc = DKR_ERR_OOM;

    *out = NULL;
    if (0 == r) {
        return DKR_ERR_NOT_FOUND;
    }
    if (r > 0 && NULL != (name = dkr_swarm_task_name(service, &t)) && 0 <= asprintf(&slash, "/%s", name)
        && NULL != (o = json_object_new_object())) {
        /* each new member is attached at once, so that o owns it */
        json_object_object_add(o, "Id", json_object_new_string(t.container_id));
        json_object_object_add(o, "Name", json_object_new_string(slash));
        json_object_object_add(o, "Config", cfg = json_object_new_object());
        json_object_object_add(o, "State", st = json_object_new_object());
        json_object_object_add(o, "HostConfig", hc = json_object_new_object());
    }
    if (NULL != cfg && NULL != st && NULL != hc) {
        if (NULL != labels && json_object_is_type(labels, json_type_object)) {
            json_object_object_add(cfg, "Labels", json_object_get(labels));
        }
        json_object_object_add(st, "Status", json_object_new_string("running"));
        json_object_object_add(st, "Running", json_object_new_boolean(1));
        if (NULL != cpus && json_object_is_type(cpus, json_type_int)) {
            json_object_object_add(hc, "NanoCpus", json_object_new_int64(json_object_get_int64(cpus)));
        }
        rc = dkr_container_from_json(o, out);
    }
    json_object_put(o);
    free(name);
    free(slash);
    free(t.id);
    free(t.container_id);
    free(t.node_id);
    free(t.service_id);
    return rc;
}

char *dkr_swarm_task_name(const char *service, const dkr_swarm_task_t *t)
{
    char *s = NULL;

    if (t->slot > 0) {
        return 0 > asprintf(&s, "%s.%d.%s", service, t->slot, t->id) ? NULL : s;
    }
    return 0 > asprintf(&s, "%s.%s.%s", service, NULL == t->node_id ? "" : t->node_id, t->id) ? NULL : s;
}

int dkr_swarm_task_match(const dkr_swarm_task_t *t, const char *name)
{
    const char *dot;
    size_t len;

    if (NULL == name || '\0' == name[0] || NULL == t->id) {
        return 0;
    }
    if (0 == strcmp(name, t->id)) {
        return 1;
    }
    /* "<service>.<slot|node>.<task id>": the task id after the last dot */
    if (NULL != (dot = strrchr(name, '.')) && dot != name && 0 == strcmp(dot + 1, t->id)) {
        return 1;
    }
    len = strlen(name);
    return len >= 12 && NULL != t->container_id && 0 == strncmp(t->container_id, name, len);
}

char *dkr_swarm_expand(const char *tmpl, const dkr_swarm_node_t *node, char *err, size_t errlen)
{
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    const char *p = tmpl;

    if (NULL == out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    while ('\0' != *p) {
        const char *add = p, *field = NULL;
        size_t alen = 1;
        char *bracketed = NULL;

        if ('{' == *p) {
            const char *e = strchr(p, '}');
            size_t flen = NULL == e ? 0 : (size_t)(e - p - 1);

            if (NULL == e) {
                snprintf(err, errlen, "\"%s\" has a '{' without '}'", tmpl);
                free(out);
                return NULL;
            }
            if (4 == flen && 0 == strncmp(p + 1, "addr", 4)) {
                field = node->addr;
                if (NULL != field && NULL != strchr(field, ':') && 0 <= asprintf(&bracketed, "[%s]", field)) {
                    field = bracketed;
                }
            } else if (8 == flen && 0 == strncmp(p + 1, "hostname", 8)) {
                field = node->hostname;
            } else if (2 == flen && 0 == strncmp(p + 1, "id", 2)) {
                field = node->id;
            } else {
                snprintf(err, errlen, "\"%s\" has an unknown field {%.*s} (known: {addr}, {hostname}, {id})",
                         tmpl, (int)flen, p + 1);
                free(out);
                return NULL;
            }
            if (NULL == field || '\0' == field[0]) {
                snprintf(err, errlen, "Swarm node %s has no %.*s for \"%s\"",
                         NULL == node->id ? "?" : node->id, (int)flen, p + 1, tmpl);
                free(out);
                return NULL;
            }
            add = field;
            alen = strlen(field);
            p = e + 1;
        } else {
            p++;
        }
        if (len + alen + 1 > cap) {
            char *n;
            while (len + alen + 1 > cap) {
                cap *= 2;
            }
            if (NULL == (n = realloc(out, cap))) {
                free(out);
                free(bracketed);
                snprintf(err, errlen, "out of memory");
                return NULL;
            }
            out = n;
        }
        memcpy(out + len, add, alen);
        len += alen;
        free(bracketed);
    }
    out[len] = '\0';
    return out;
}

/* ------------------------------------------------------------------ map */

struct dkr_swarm_map {
    dkr_swarm_node_t *nodes;
    size_t n_nodes;
    dkr_swarm_task_t *tasks;
    size_t n_tasks;
    char *self;
};

dkr_swarm_map_t *dkr_swarm_map_new(dkr_swarm_node_t *nodes, size_t n_nodes, dkr_swarm_task_t *tasks,
                                   size_t n_tasks)
{
    dkr_swarm_map_t *m = calloc(1, sizeof(*m));

    if (NULL == m) {
        dkr_swarm_nodes_free(nodes, n_nodes);
        dkr_swarm_tasks_free(tasks, n_tasks);
        return NULL;
    }
    m->nodes = nodes;
    m->n_nodes = n_nodes;
    m->tasks = tasks;
    m->n_tasks = n_tasks;
    return m;
}

void dkr_swarm_map_free(dkr_swarm_map_t *m)
{
    if (NULL == m) {
        return;
    }
    dkr_swarm_nodes_free(m->nodes, m->n_nodes);
    dkr_swarm_tasks_free(m->tasks, m->n_tasks);
    free(m->self);
    free(m);
}

const char *dkr_swarm_map_self(const dkr_swarm_map_t *m)
{
    return NULL == m ? NULL : m->self;
}

int dkr_swarm_map_set_self(dkr_swarm_map_t *m, const char *node_id)
{
    free(m->self);
    m->self = dup_nonempty(node_id);
    return NULL == node_id || '\0' == node_id[0] || NULL != m->self ? DKR_OK : DKR_ERR_OOM;
}

const dkr_swarm_task_t *dkr_swarm_map_task(const dkr_swarm_map_t *m, const char *name)
{
    for (size_t i = 0; NULL != m && i < m->n_tasks; i++) {
        if (dkr_swarm_task_match(&m->tasks[i], name)) {
            return &m->tasks[i];
        }
    }
    return NULL;
}

const dkr_swarm_node_t *dkr_swarm_map_node(const dkr_swarm_map_t *m, const char *node_id)
{
    for (size_t i = 0; NULL != m && NULL != node_id && i < m->n_nodes; i++) {
        if (0 == strcmp(m->nodes[i].id, node_id)) {
            return &m->nodes[i];
        }
    }
    return NULL;
}

const dkr_swarm_node_t *dkr_swarm_map_node_named(const dkr_swarm_map_t *m, const char *name)
{
    for (size_t i = 0; NULL != m && NULL != name && i < m->n_nodes; i++) {
        if (0 == strcmp(m->nodes[i].id, name)
            || (NULL != m->nodes[i].hostname && 0 == strcmp(m->nodes[i].hostname, name))) {
            return &m->nodes[i];
        }
    }
    return NULL;
}

const dkr_swarm_node_t *dkr_swarm_map_node_of(const dkr_swarm_map_t *m, const char *name)
{
    const dkr_swarm_task_t *t = dkr_swarm_map_task(m, name);
    return NULL == t ? NULL : dkr_swarm_map_node(m, t->node_id);
}

/* ---------------------------------------------------------------- fetch */

struct dkr_swarm_fetch {
    dkr_swarm_cb cb;
    void *arg;
    dkr_request_t *nodes_req, *tasks_req, *info_req;
    char *self;
    dkr_swarm_node_t *nodes;
    size_t n_nodes;
    dkr_swarm_task_t *tasks;
    size_t n_tasks;
    int got_nodes, got_tasks, got_info, failed;
};

static void fetch_free(dkr_swarm_fetch_t *f)
{
    dkr_swarm_nodes_free(f->nodes, f->n_nodes);
    dkr_swarm_tasks_free(f->tasks, f->n_tasks);
    free(f->self);
    free(f);
}

/* Marks the fetch failed (so that the callbacks of the cancelled requests do
 * nothing) and cancels the requests still out. */
static void cancel_requests(dkr_swarm_fetch_t *f)
{
    dkr_request_t **reqs[] = { &f->nodes_req, &f->tasks_req, &f->info_req };

    f->failed = 1;
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        if (NULL != *reqs[i]) {
            dkr_request_cancel(*reqs[i]);
            *reqs[i] = NULL;
        }
    }
}

void dkr_swarm_fetch_cancel(dkr_swarm_fetch_t *f)
{
    if (NULL == f) {
        return;
    }
    cancel_requests(f);
    fetch_free(f);
}

static void fetch_fail(dkr_swarm_fetch_t *f, int rc, const char *errstr)
{
    dkr_swarm_cb cb = f->cb;
    void *arg = f->arg;

    cancel_requests(f);
    cb(rc, errstr, NULL, arg);
    fetch_free(f);
}

static void fetch_check(dkr_swarm_fetch_t *f)
{
    dkr_swarm_map_t *m;

    if (!f->got_nodes || !f->got_tasks || !f->got_info) {
        return;
    }
    m = dkr_swarm_map_new(f->nodes, f->n_nodes, f->tasks, f->n_tasks);
    f->nodes = NULL;
    f->tasks = NULL;
    f->n_nodes = f->n_tasks = 0;
    if (NULL != m && DKR_OK != dkr_swarm_map_set_self(m, f->self)) {
        dkr_swarm_map_free(m);
        m = NULL;
    }
    if (NULL == m) {
        fetch_fail(f, DKR_ERR_OOM, "out of memory");
        return;
    }
    f->cb(DKR_OK, "", m, f->arg);
    fetch_free(f);
}

/* What the three answers share: the request is done (*req cleared); 1 when
 * its answer is to be used, 0 when the fetch has failed or was cancelled,
 * or this answer is an error (then the fetch fails with it). */
static int answered(dkr_swarm_fetch_t *f, dkr_request_t **req, const dkr_result_t *res)
{
    *req = NULL;
    if (f->failed || DKR_ERR_CANCELLED == res->rc) {
        return 0;
    }
    if (DKR_OK != res->rc) {
        fetch_fail(f, res->rc, res->errstr);
        return 0;
    }
    return 1;
}

static void nodes_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_swarm_fetch_t *f = arg;

    (void)cli;
    if (!answered(f, &f->nodes_req, res)) {
        return;
    }
    if (DKR_OK != dkr_swarm_nodes_from_json(res->json, &f->nodes, &f->n_nodes)) {
        fetch_fail(f, DKR_ERR_PROTOCOL, "the manager's node list could not be read");
        return;
    }
    f->got_nodes = 1;
    fetch_check(f);
}

static void tasks_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_swarm_fetch_t *f = arg;

    (void)cli;
    if (!answered(f, &f->tasks_req, res)) {
        return;
    }
    if (DKR_OK != dkr_swarm_tasks_from_json(res->json, &f->tasks, &f->n_tasks)) {
        fetch_fail(f, DKR_ERR_PROTOCOL, "the manager's task list could not be read");
        return;
    }
    f->got_tasks = 1;
    fetch_check(f);
}

static void info_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_swarm_fetch_t *f = arg;

    (void)cli;
    if (!answered(f, &f->info_req, res)) {
        return;
    }
    f->self = dup_nonempty(str_at(res->json, "Swarm", "NodeID"));
    f->got_info = 1;
    fetch_check(f);
}

dkr_swarm_fetch_t *dkr_swarm_fetch(dkr_client_t *cli, dkr_swarm_cb cb, void *arg)
{
    dkr_swarm_fetch_t *f = calloc(1, sizeof(*f));
    char *esc = dkr_escape("{\"desired-state\":[\"running\"]}"), *path = NULL;

    if (NULL == f || NULL == esc || 0 > asprintf(&path, "/tasks?filters=%s", esc)) {
        free(f);
        free(esc);
        return NULL;
    }
    free(esc);
    f->cb = cb;
    f->arg = arg;
    /* callbacks come later, from the loop; NULL means they never will */
    f->nodes_req = dkr_call(cli, "GET", "/nodes", NULL, nodes_done, f);
    f->tasks_req = dkr_call(cli, "GET", path, NULL, tasks_done, f);
    f->info_req = dkr_call(cli, "GET", "/info", NULL, info_done, f);
    free(path);
    if (NULL == f->nodes_req || NULL == f->tasks_req || NULL == f->info_req) {
        dkr_swarm_fetch_cancel(f);
        return NULL;
    }
    return f;
}
