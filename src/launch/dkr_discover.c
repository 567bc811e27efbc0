/*
 * dkr_discover.c - containers as a job's nodes (see dkr_discover.h).
 *
 * Steps, all on the client's loop: ping; list the candidates (containers by
 * label, or a service's tasks); inspect those whose slots need their CPU
 * limit (a list item carries no HostConfig); sort by name; call back.
 */
#define _GNU_SOURCE /* asprintf */
#include "dkr_discover.h"
#include "dkr_jobc.h"   /* DKR_LABEL_OWNER */
#include "dkr_swarm.h"

#include <fnmatch.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INSPECTS 64

/* A candidate node: its container, once inspected or listed. */
typedef struct item {
    struct dkr_discover *d;
    dkr_node_t node;
    dkr_container_t *c;
    dkr_request_t *req;          /* its inspect */
    json_object *task;           /* a service's task (retained) */
} item_t;

struct dkr_discover {
    dkr_client_t *cli;
    char *labels, *names, *service;
    int slots;
    dkr_discover_cb cb;
    void *arg;
    dkr_request_t *req;          /* the ping, the list, the nodes or the service */
    char *service_name;          /* the service's name (for task container names) */
    dkr_swarm_node_t *snodes;    /* the Swarm's nodes */
    size_t n_snodes;
    item_t *items;
    size_t n;
    size_t next_inspect, inspecting, inspected;
    int finishing;               /* callbacks of cancelled requests do nothing */
    char *owner;                 /* NULL: take any owner's */
    size_t n_foreign;            /* matched, but other users' */
    char *foreign;               /* the first of their names */
};

/* ------------------------------------------------------------ pure parts */

/* Calls fn on each trimmed, non-empty comma-separated item; stops on fn != 0. */
static int each_item(const char *list, int (*fn)(const char *item, size_t len, void *arg), void *arg)
{
    const char *p = NULL == list ? "" : list;

    while ('\0' != *p) {
        const char *e = strchr(p, ',');
        size_t len = NULL == e ? strlen(p) : (size_t)(e - p);
        const char *s = p;
        size_t n = len;
        int rc;

        while (n > 0 && (' ' == *s || '\t' == *s)) {
            s++;
            n--;
        }
        while (n > 0 && (' ' == s[n - 1] || '\t' == s[n - 1])) {
            n--;
        }
        if (n > 0 && 0 != (rc = fn(s, n, arg))) {
            return rc;
        }
        p += len + (NULL == e ? 0 : 1);
    }
    return 0;
}

typedef struct {
    char *err;
    size_t errlen;
} check_ctx_t;

static int check_label(const char *item, size_t len, void *arg)
{
    check_ctx_t *c = arg;
    const char *eq = memchr(item, '=', len);

    if (eq == item) {
        snprintf(c->err, c->errlen, "label filter \"%.*s\" has no key", (int)len, item);
        return 1;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)item[i] < 0x20 || '"' == item[i] || '\\' == item[i]) {
            snprintf(c->err, c->errlen, "label filter \"%.*s\" has a character Docker filters cannot hold",
                     (int)len, item);
            return 1;
        }
    }
    return 0;
}

int dkr_labels_check(const char *labels, char *err, size_t errlen)
{
    check_ctx_t c = { err, errlen };
    return 0 == each_item(labels, check_label, &c) ? DKR_OK : DKR_ERR_ARG;
}

static int add_label(const char *item, size_t len, void *arg)
{
    char *s = strndup(item, len);
    if (NULL == s) {
        return 1;
    }
    json_object_array_add(arg, json_object_new_string(s));
    free(s);
    return 0;
}

char *dkr_containers_filter(const char *labels)
{
    json_object *f = json_object_new_object(), *l = json_object_new_array(),
                *st = json_object_new_array();
    char *out = NULL;

    if (NULL == f || NULL == l || NULL == st) {
        json_object_put(f);
        json_object_put(l);
        json_object_put(st);
        return NULL;
    }
    json_object_array_add(st, json_object_new_string("running"));
    json_object_object_add(f, "status", st);
    if (0 == each_item(labels, add_label, l) && json_object_array_length(l) > 0) {
        json_object_object_add(f, "label", l);
    } else {
        json_object_put(l);
    }
    out = strdup(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(f);
    return out;
}

typedef struct {
    const char *name;
} match_ctx_t;

static int match_one(const char *item, size_t len, void *arg)
{
    match_ctx_t *m = arg;
    char *pat = strndup(item, len);
    int hit = NULL != pat && 0 == fnmatch(pat, m->name, 0);

    free(pat);
    return hit;
}

int dkr_names_match(const char *patterns, const char *name)
{
    match_ctx_t m = { name };
    return NULL != name && 1 == each_item(patterns, match_one, &m);
}

typedef struct {
    const dkr_container_t *c;
} label_ctx_t;

static int label_missing(const char *item, size_t len, void *arg)
{
    label_ctx_t *l = arg;
    const char *eq = memchr(item, '=', len);
    char *key = strndup(item, NULL == eq ? len : (size_t)(eq - item));
    const char *v;
    int present = 0, missing;

    if (NULL == key) {
        return 1;
    }
    v = dkr_container_label(l->c, key, &present);
    free(key);
    if (NULL == eq) {
        missing = !present;
    } else {
        size_t vlen = len - (size_t)(eq + 1 - item);
        missing = NULL == v || strlen(v) != vlen || 0 != strncmp(v, eq + 1, vlen);
    }
    return missing;
}

int dkr_labels_match(const char *labels, const dkr_container_t *c)
{
    label_ctx_t l = { c };
    return 0 == each_item(labels, label_missing, &l);
}

/* Larger CPU numbers or counts are not a cpuset (Linux has at most 8192). */
#define CPUSET_MAX 65536

int dkr_cpuset_count(const char *cpuset)
{
    const char *p = cpuset;
    int n = 0;

    if (NULL == p || '\0' == *p) {
        return 0;
    }
    while ('\0' != *p) {
        char *end;
        long a = strtol(p, &end, 10), b;

        if (end == p || a < 0 || a >= CPUSET_MAX) {
            return 0;
        }
        b = a;
        if ('-' == *end) {
            p = end + 1;
            b = strtol(p, &end, 10);
            if (end == p || b < a || b >= CPUSET_MAX) {
                return 0;
            }
        }
        n += (int)(b - a + 1);
        if (n > CPUSET_MAX) {
            return 0;
        }
        if (',' == *end) {
            end++;
        } else if ('\0' != *end) {
            return 0;
        }
        p = end;
    }
    return n;
}

/* The mpi.slots label as a positive count, else 0. */
static int slots_label(const dkr_container_t *c)
{
    int present = 0;
    const char *v = dkr_container_label(c, "mpi.slots", &present);
    char *end = NULL;
    long n;

    if (NULL == v) {
        return 0;
    }
    n = strtol(v, &end, 10);
    return end != v && '\0' == *end && n > 0 && n < 1 << 20 ? (int)n : 0;
}

int dkr_node_slots(const dkr_container_t *c, int override)
{
    int n;

    if (override > 0) {
        return override;
    }
    if ((n = slots_label(c)) > 0) {
        return n;
    }
    if (c->nano_cpus > 0) {
        /* rounded up without overflowing; absurd limits are capped like the label */
        int64_t cpus = c->nano_cpus / 1000000000 + (0 != c->nano_cpus % 1000000000);

        return cpus < 1 << 20 ? (int)cpus : 1 << 20;
    }
    if ((n = dkr_cpuset_count(c->cpuset)) > 0) {
        return n;
    }
    return 1;
}

static json_object *path_get(json_object *o, const char *a, const char *b)
{
    json_object *x = NULL, *y = NULL;

    if (!json_object_object_get_ex(o, a, &x) || NULL == x) {
        return NULL;
    }
    if (NULL == b) {
        return x;
    }
    return json_object_object_get_ex(x, b, &y) ? y : NULL;
}

int dkr_task_container(json_object *task, char **container_id, char **node_id)
{
    json_object *state = path_get(task, "Status", "State"), *cs = path_get(task, "Status", "ContainerStatus"),
                *node = path_get(task, "NodeID", NULL), *cid = NULL == cs ? NULL : path_get(cs, "ContainerID", NULL);

    *container_id = *node_id = NULL;
    if (NULL == state || 0 != strcmp("running", json_object_get_string(state)) || NULL == cid
        || '\0' == json_object_get_string(cid)[0]) {
        return DKR_ERR_NOT_FOUND;
    }
    *container_id = strdup(json_object_get_string(cid));
    *node_id = NULL == node ? NULL : strdup(json_object_get_string(node));
    return NULL == *container_id ? DKR_ERR_OOM : DKR_OK;
}

/* ---------------------------------------------------------------- engine */

int dkr_owner_allows(const char *owner, const dkr_container_t *c)
{
    int present = 0;
    const char *v = dkr_container_label(c, DKR_LABEL_OWNER, &present);

    return NULL == owner || !present || (NULL != v && 0 == strcmp(v, owner));
}

static void free_items(dkr_discover_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        if (NULL != d->items[i].req) {
            dkr_request_cancel(d->items[i].req);
        }
        free(d->items[i].node.name);
        free(d->items[i].node.id);
        free(d->items[i].node.swarm_node);
        free(d->items[i].node.swarm_addr);
        free(d->items[i].node.swarm_hostname);
        json_object_put(d->items[i].task);
        dkr_container_free(d->items[i].c);
    }
    free(d->items);
    d->items = NULL;
    d->n = 0;
}

static void discover_free(dkr_discover_t *d)
{
    free_items(d);
    free(d->labels);
    free(d->names);
    free(d->service);
    free(d->owner);
    free(d->foreign);
    free(d->service_name);
    dkr_swarm_nodes_free(d->snodes, d->n_snodes);
    free(d);
}

void dkr_discover_cancel(dkr_discover_t *d)
{
    if (NULL == d) {
        return;
    }
    d->cb = NULL;
    d->finishing = 1;
    if (NULL != d->req) {
        dkr_request_cancel(d->req);
    }
    discover_free(d);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const dkr_node_t *)a)->name, ((const dkr_node_t *)b)->name);
}

/* Calls back once and frees. */
static void finish(dkr_discover_t *d, int rc, const char *err)
{
    dkr_node_t *nodes = NULL;
    size_t n = 0;

    d->finishing = 1;
    if (DKR_OK == rc && NULL != (nodes = calloc(d->n + 1, sizeof(*nodes)))) {
        for (size_t i = 0; i < d->n; i++) {
            if (NULL != d->items[i].node.name) {
                nodes[n++] = d->items[i].node;
            }
        }
        qsort(nodes, n, sizeof(*nodes), by_name);
    } else if (DKR_OK == rc) {
        rc = DKR_ERR_OOM;
        err = "out of memory";
    }
    if (NULL != d->cb) {
        d->cb(rc, err, nodes, n, d->arg);
    }
    free(nodes);
    discover_free(d);
}

/* A container that matched but is another user's: named in the report. */
static void note_foreign(dkr_discover_t *d, const char *name)
{
    char *more = NULL;

    d->n_foreign++;
    if (d->n_foreign > 5) {
        return;
    }
    if (0 > asprintf(&more, "%s%s%s", NULL == d->foreign ? "" : d->foreign,
                     NULL == d->foreign ? "" : ", ", name)) {
        return;
    }
    free(d->foreign);
    d->foreign = more;
}

/* Every candidate is known: name it, count its slots, then finish. */
static void complete(dkr_discover_t *d)
{
    for (size_t i = 0; i < d->n; i++) {
        item_t *it = &d->items[i];

        /* a service's tasks are filtered here: /tasks knows no labels or names */
        if (NULL == it->c || (NULL != d->service
                              && ((NULL != d->labels && !dkr_labels_match(d->labels, it->c))
                                  || (NULL != d->names && !dkr_names_match(d->names, it->c->name))))) {
            continue;
        }
        if (!dkr_owner_allows(d->owner, it->c)) {
            note_foreign(d, it->c->name);
            continue;
        }
        it->node.slots = dkr_node_slots(it->c, d->slots);
        if (NULL == it->node.name) {
            it->node.name = strdup(it->c->name);
        }
        if (NULL == it->node.id) {
            it->node.id = strdup(it->c->id);
        }
        for (size_t k = 0; NULL != it->node.swarm_node && k < d->n_snodes; k++) {
            if (0 == strcmp(d->snodes[k].id, it->node.swarm_node)) {
                free(it->node.swarm_addr);
                free(it->node.swarm_hostname);
                it->node.swarm_addr = NULL == d->snodes[k].addr ? NULL : strdup(d->snodes[k].addr);
                it->node.swarm_hostname = NULL == d->snodes[k].hostname ? NULL : strdup(d->snodes[k].hostname);
            }
        }
    }
    if (d->n_foreign > 0) {
        char *why = NULL;
        if (0 > asprintf(&why, "%zu container(s) that matched carry the label %s of another user "
                         "and were left out: %s%s", d->n_foreign, DKR_LABEL_OWNER,
                         NULL == d->foreign ? "" : d->foreign, d->n_foreign > 5 ? ", ..." : "")) {
            why = NULL;
        }
        finish(d, DKR_OK, NULL == why ? "" : why);
        free(why);
        return;
    }
    finish(d, DKR_OK, "");
}

static void inspect_next(dkr_discover_t *d);

static void inspect_done(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    item_t *it = arg;
    dkr_discover_t *d = it->d;
    dkr_container_t *c = NULL;

    (void)cli;
    it->req = NULL;
    if (d->finishing) {
        return;
    }
    d->inspecting--;
    d->inspected++;
    if (DKR_OK == res->rc && DKR_OK == dkr_container_from_json(res->json, &c)) {
        if (c->running && !c->paused) {
            dkr_container_free(it->c);
            it->c = c;
        } else {
            dkr_container_free(c);   /* stopped meanwhile: not a node */
            dkr_container_free(it->c);
            it->c = NULL;
        }
    } else if (DKR_ERR_NOT_FOUND == res->rc && NULL != it->task) {
        /* a task on another Swarm node: the manager cannot inspect it */
        dkr_container_free(it->c);
        it->c = NULL;
        if (DKR_OK != dkr_swarm_task_as_container(it->task, d->service_name, &it->c)) {
            it->c = NULL;
        }
    } else if (DKR_ERR_NOT_FOUND == res->rc) {
        dkr_container_free(it->c);   /* removed meanwhile */
        it->c = NULL;
    } else if (DKR_ERR_CANCELLED != res->rc) {
        finish(d, res->rc, res->errstr);
        return;
    }
    if (d->inspected == d->n) {
        complete(d);
    } else {
        inspect_next(d);
    }
}

/* Inspects every candidate whose slots depend on its CPU limit (or whose
 * container is only known by id, from a task), a bounded number at once. */
static void inspect_next(dkr_discover_t *d)
{
    while (d->next_inspect < d->n && d->inspecting < MAX_INSPECTS) {
        item_t *it = &d->items[d->next_inspect++];
        char *esc, *path = NULL;

        if (NULL != it->c && (d->slots > 0 || slots_label(it->c) > 0)) {
            d->inspected++;
            continue;
        }
        esc = dkr_escape(NULL != it->c ? it->c->id : it->node.id);
        if (NULL == esc || 0 > asprintf(&path, "/containers/%s/json", esc)) {
            free(esc);
            finish(d, DKR_ERR_OOM, "out of memory");
            return;
        }
        free(esc);
        d->inspecting++;
        it->req = dkr_call(d->cli, "GET", path, NULL, inspect_done, it);
        free(path);
    }
    if (d->inspected == d->n && 0 == d->inspecting) {
        complete(d);
    }
}

/* Failures of reaching the endpoint itself, as opposed to an answer. */
static int endpoint_failure(int rc)
{
    return DKR_ERR_CONNECT == rc || DKR_ERR_TIMEOUT == rc || DKR_ERR_TLS == rc || DKR_ERR_IO == rc;
}

static void service_got(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_discover_t *d = arg;
    json_object *spec = NULL, *name = NULL;

    (void)cli;
    d->req = NULL;
    if (d->finishing) {
        return;
    }
    /* the name as given when the service cannot be read (it may be gone) */
    if (DKR_OK == res->rc && json_object_object_get_ex(res->json, "Spec", &spec)
        && json_object_object_get_ex(spec, "Name", &name) && json_object_is_type(name, json_type_string)) {
        free(d->service_name);
        d->service_name = strdup(json_object_get_string(name));
    }
    if (NULL == d->service_name) {
        finish(d, DKR_ERR_OOM, "out of memory");
        return;
    }
    inspect_next(d);
}

static void nodes_listed(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_discover_t *d = arg;
    char *path;

    d->req = NULL;
    if (d->finishing) {
        return;
    }
    /* a worker's engine may list tasks but no nodes: addresses stay unknown */
    if (DKR_OK == res->rc) {
        (void)dkr_swarm_nodes_from_json(res->json, &d->snodes, &d->n_snodes);
    } else if (endpoint_failure(res->rc)) {
        finish(d, res->rc, res->errstr);
        return;
    }
    if (NULL == (d->service_name = strdup(d->service))
        || NULL == (path = dkr_path("/services/", d->service, "")) ) {
        finish(d, DKR_ERR_OOM, "out of memory");
        return;
    }
    d->req = dkr_call(cli, "GET", path, NULL, service_got, d);
    free(path);
}

static void listed(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_discover_t *d = arg;
    dkr_container_t **cs = NULL;
    size_t n = 0;

    (void)cli;
    d->req = NULL;
    if (d->finishing) {
        return;
    }
    if (DKR_OK != res->rc) {
        finish(d, res->rc, res->errstr);
        return;
    }
    if (NULL != d->service) {
        size_t len = json_object_is_type(res->json, json_type_array) ? json_object_array_length(res->json) : 0;

        if (NULL == (d->items = calloc(len + 1, sizeof(*d->items)))) {
            finish(d, DKR_ERR_OOM, "out of memory");
            return;
        }
        for (size_t i = 0; i < len; i++) {
            item_t *it = &d->items[d->n];
            json_object *task = json_object_array_get_idx(res->json, i);
            if (DKR_OK == dkr_task_container(task, &it->node.id, &it->node.swarm_node)) {
                it->d = d;
                it->task = json_object_get(task);
                d->n++;
            }
        }
        if (d->n > 0) {
            /* the Swarm's nodes (where each task runs), then the service's name */
            d->req = dkr_call(cli, "GET", "/nodes", NULL, nodes_listed, d);
            return;
        }
    } else {
        if (DKR_OK != dkr_containers_from_json(res->json, &cs, &n)) {
            finish(d, DKR_ERR_PROTOCOL, "the engine's container list could not be read");
            return;
        }
        if (NULL == (d->items = calloc(n + 1, sizeof(*d->items)))) {
            dkr_containers_free(cs, n);
            finish(d, DKR_ERR_OOM, "out of memory");
            return;
        }
        for (size_t i = 0; i < n; i++) {
            if (NULL != d->names && !dkr_names_match(d->names, cs[i]->name)) {
                dkr_container_free(cs[i]);
                continue;
            }
            d->items[d->n].d = d;
            d->items[d->n++].c = cs[i];
        }
        free(cs);
    }
    inspect_next(d);
}

static void pinged(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    dkr_discover_t *d = arg;
    char *path = NULL, *filter = NULL, *esc = NULL;

    d->req = NULL;
    if (d->finishing) {
        return;
    }
    if (DKR_OK != res->rc) {
        finish(d, res->rc, res->errstr);
        return;
    }
    if (NULL != d->service) {
        json_object *f = json_object_new_object(), *s = json_object_new_array(), *ds = json_object_new_array();

        json_object_array_add(s, json_object_new_string(d->service));
        json_object_array_add(ds, json_object_new_string("running"));
        json_object_object_add(f, "service", s);
        json_object_object_add(f, "desired-state", ds);
        filter = strdup(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PLAIN));
        json_object_put(f);
        esc = NULL == filter ? NULL : dkr_escape(filter);
        if (NULL != esc && 0 > asprintf(&path, "/tasks?filters=%s", esc)) {
            path = NULL;
        }
    } else {
        filter = dkr_containers_filter(d->labels);
        esc = NULL == filter ? NULL : dkr_escape(filter);
        if (NULL != esc && 0 > asprintf(&path, "/containers/json?filters=%s", esc)) {
            path = NULL;
        }
    }
    free(filter);
    free(esc);
    if (NULL == path) {
        finish(d, DKR_ERR_OOM, "out of memory");
        return;
    }
    d->req = dkr_call(cli, "GET", path, NULL, listed, d);
    free(path);
}

static char *dup_nonempty(const char *s)
{
    return NULL == s || '\0' == s[0] ? NULL : strdup(s);
}

dkr_discover_t *dkr_discover_start(dkr_client_t *cli, const dkr_discover_spec_t *spec,
                                   dkr_discover_cb cb, void *arg, char *err, size_t errlen)
{
    dkr_discover_t *d;
    char dummy[8];

    if (NULL == err) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    if (DKR_OK != dkr_labels_check(spec->labels, err, errlen)) {
        return NULL;
    }
    if (NULL == (d = calloc(1, sizeof(*d)))) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->cli = cli;
    d->labels = dup_nonempty(spec->labels);
    d->names = dup_nonempty(spec->names);
    d->service = dup_nonempty(spec->service);
    d->owner = dup_nonempty(spec->owner);
    d->slots = spec->slots;
    d->cb = cb;
    d->arg = arg;
    d->req = dkr_ping(cli, pinged, d);
    return d;
}
