/*
 * dkr_mca.h - what both docker components need from their runtime (ORTE or
 * PRRTE), as a few hooks, and the runtime-neutral pieces built on them:
 * help messages, verbose output, the endpoint and its failures.
 */
#ifndef DKR_MCA_H
#define DKR_MCA_H

#include <stdarg.h>
#include <stdbool.h>

#include "dkr.h"

struct event_base;

/* The messages both components share (endpoint problems). */
#define DKR_HELP_FILE "help-docker.txt"

typedef struct dkr_mca_rt {
    /* Open MPI's help system: topic of file, printf-style arguments. */
    void (*vshow_help)(const char *file, const char *topic, va_list ap);
    /* The component's framework verbose stream. */
    void (*vverbose)(int level, const char *fmt, va_list ap);
    int (*verbosity)(void);
} dkr_mca_rt_t;

void dkr_mca_show_help(const dkr_mca_rt_t *rt, const char *file, const char *topic, ...);
void dkr_mca_verbose(const dkr_mca_rt_t *rt, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses the endpoint; on error says why (bad-endpoint) and returns NULL. */
dkr_endpoint_t *dkr_mca_endpoint(const dkr_mca_rt_t *rt, const char *host, bool tls_verify,
                                 const char *cert_path);

/* A client for the endpoint on the runtime's event base, tracing every API
 * call to the verbose stream at level 10 (level 5 shows the launch's steps;
 * a line per call cost mpirun ~0.5 ms per daemon).  NULL when it cannot be
 * made (the reason was shown). */
dkr_client_t *dkr_mca_client(const dkr_mca_rt_t *rt, struct event_base *base, const char *host,
                             bool tls_verify, const char *cert_path, int timeout_s);

/* Says why the endpoint failed: unreachable, not Docker, an engine error,
 * or too old. */
void dkr_mca_show_endpoint_failure(const dkr_mca_rt_t *rt, int rc, const char *errstr,
                                   const char *endpoint);

/* True for the failures of reaching or talking to the endpoint itself (as
 * opposed to what the engine answered about a container). */
bool dkr_mca_is_endpoint_failure(int rc);

/* The client's endpoint URL, or fallback. */
const char *dkr_mca_endpoint_url(dkr_client_t *cli, const char *fallback);

#endif /* DKR_MCA_H */
