/*
 * dkr_libevent.h - plugs a dkr client into a libevent event_base.
 *
 * Open MPI 4.1 (opal) and PRRTE both run their progress loop on a libevent
 * event_base (Debian builds them against the system libevent), so one
 * adapter serves both runtimes, the tests and the benchmarks.
 */
#ifndef DKR_LIBEVENT_H
#define DKR_LIBEVENT_H

#include "dkr.h"

struct event_base;

#ifdef __cplusplus
extern "C" {
#endif

/* Drives cli from base: the client's sockets and timer become events on base.
 * The events are freed by dkr_client_free. */
int dkr_libevent_attach(dkr_client_t *cli, struct event_base *base);

/* Runs base until *done becomes non-zero or timeout_ms passes (0 = no limit).
 * For synchronous callers that own base; never call it on a loop that is
 * already running.  Returns DKR_OK, DKR_ERR_TIMEOUT, or DKR_ERR_IO when base
 * has no events left (nothing could ever set *done). */
int dkr_libevent_run_until(struct event_base *base, const int *done, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif /* DKR_LIBEVENT_H */
