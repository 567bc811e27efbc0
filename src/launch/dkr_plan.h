/*
 * dkr_plan.h - pure decisions of a launch: which network the daemons and
 * ranks use, what the daemon's environment holds, what of its output to keep.
 *
 * No I/O and no runtime headers: the ORTE and PRRTE glue feed it what the
 * engine reported and what the launching host sees, and unit tests feed it
 * canned records.
 */
#ifndef DKR_PLAN_H
#define DKR_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "dkr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------- IPv4 networks */

typedef struct dkr_cidr {
    uint32_t addr;   /* network address, host order */
    int prefix;      /* 0..32 */
} dkr_cidr_t;

/* "10.1.2.0/24" or "10.1.2.3/24" (host bits are cleared).  DKR_OK/DKR_ERR_ARG. */
int dkr_cidr_parse(const char *s, dkr_cidr_t *out);
/* 1 when the dotted IPv4 address ip lies in c. */
int dkr_cidr_contains(const dkr_cidr_t *c, const char *ip);
/* Writes "a.b.c.d/p" into buf (at least 19 bytes). */
void dkr_cidr_format(const dkr_cidr_t *c, char *buf, size_t len);

/* The launching host's IPv4 interface addresses as "ip/prefix" strings,
 * NULL-terminated, loopback excluded.  Free with dkr_strv_free. */
char **dkr_host_ipv4_addrs(void);

/* ------------------------------------------------------- network choice */

typedef struct dkr_net_choice {
    char network[256];   /* network name, "" when none could be chosen */
    char cidr[32];       /* its subnet, e.g. "10.250.1.0/24" */
    char host_ip[64];    /* launching host's address in it, "" when none */
} dkr_net_choice_t;

/*
 * Chooses the network the daemons and ranks talk over: one that every
 * container is attached to with an IPv4 address.  Among those it prefers, in
 * order: the one named by preferred (an error if not shared), one the
 * launching host has an address in (host_addrs, "ip/prefix"), a user-defined
 * network over Docker's default "bridge", then the first by name.
 *
 * Returns DKR_OK with *out filled; DKR_OK with out->network == "" when the
 * containers have no addresses at all (e.g. host networking: nothing to
 * restrict); DKR_ERR_ARG with a sentence in err when they share no network or
 * preferred is not shared.
 */
int dkr_plan_network(dkr_container_t *const *cs, size_t n, const char *const *host_addrs,
                     const char *preferred, dkr_net_choice_t *out, char *err, size_t errlen);

/*
 * Keeps only the IPv4 addresses inside cidr in an Open MPI OOB contact URI
 * ("<id>;tcp://a,b,c:port;tcp6://[x]:port", ORTE and PRRTE alike), and drops
 * the tcp6 part when an IPv4 address was kept, so a daemon never waits on an
 * address it cannot reach.  Returns a new string (the input unchanged when no
 * address matches, or when it cannot be parsed), NULL only when out of memory.
 */
char *dkr_plan_filter_uri(const char *uri, const char *cidr);

/* ------------------------------------------------------------ environment */

/*
 * The environment a daemon gets: every entry of environ whose name starts
 * with one of forward (e.g. "OMPI_MCA_") except those starting with one of
 * drop (e.g. "OMPI_MCA_plm", which would make the daemon load a launcher the
 * image lacks), followed by extra ("K=V", later entries win over earlier
 * ones with the same name).  NULL-terminated; free with dkr_strv_free.
 */
char **dkr_plan_env(char *const *environ, const char *const *forward,
                    const char *const *drop, const char *const *extra);

/* 1 when name=... appears in env. */
int dkr_env_has(const char *const *env, const char *name);

/* ------------------------------------------------------------- tree spawn */

/*
 * Which engine holds which container: "name=url,name=url" (names as given to
 * mpirun, urls as plm_docker_host), for containers not on the default
 * endpoint.  Returns name, url, name, url, ... NULL-terminated (empty for ""),
 * or NULL with the reason in err (an item without '=', an empty name or url,
 * a name given twice).  Free with dkr_strv_free.
 */
char **dkr_plan_endpoint_map(const char *list, char *err, size_t errlen);

/* The endpoint of container name in map (from dkr_plan_endpoint_map), dflt
 * when the map does not name it. */
const char *dkr_plan_endpoint_of(const char *const *map, const char *name, const char *dflt);

/*
 * A tree launch: top[i] is the index of the daemon that starts daemon i
 * (its ancestor among those the launcher starts itself), top[i] == i for
 * those.  Writes to out the indexes of the subtree of k (k first, then its
 * descendants in order) and returns how many; out has room for n.  These
 * are the daemons the launcher starts itself when k cannot tree-spawn.
 */
size_t dkr_plan_subtree(const size_t *top, size_t n, size_t k, size_t *out);

/* ------------------------------------------------------------ output tail */

/* Keeps the last cap bytes of a daemon's output (its error, when it fails). */
typedef struct dkr_tail {
    char *buf;
    size_t len, cap;
    int truncated;      /* 1 when earlier bytes were dropped */
} dkr_tail_t;

void dkr_tail_init(dkr_tail_t *t, size_t cap);
void dkr_tail_add(dkr_tail_t *t, const char *data, size_t len);
/* NUL-terminated text, "" when empty.  Valid until the next add or free. */
const char *dkr_tail_text(dkr_tail_t *t);
void dkr_tail_free(dkr_tail_t *t);

/* ----------------------------------------------------------------- misc */

/* Free a NULL-terminated array of strings. */
void dkr_strv_free(char **v);
/* The items of a comma-separated list, blanks around them trimmed, empty
 * ones dropped; NULL-terminated (empty for NULL or ""), NULL when out of
 * memory.  Free with dkr_strv_free. */
char **dkr_strv_split(const char *list);
/* A copy of a NULL-terminated array of strings (NULL copies as empty);
 * NULL when out of memory.  Free with dkr_strv_free. */
char **dkr_strv_dup(const char *const *v);
/* Number of entries of a NULL-terminated array. */
size_t dkr_strv_len(const char *const *v);

#ifdef __cplusplus
}
#endif
#endif /* DKR_PLAN_H */
