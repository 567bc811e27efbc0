/*
 * dkr_watch.h - follows an engine's container events (GET /events): pause,
 * unpause and die.  A paused container breaks no connection, so without
 * this a launcher would never learn that one of its daemons is frozen and
 * the job (and its teardown) would wait for it forever.
 *
 * Runtime-neutral; the launcher matches the events against its containers.
 */
#ifndef DKR_WATCH_H
#define DKR_WATCH_H

#include <stddef.h>

#include "dkr.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    DKR_EV_OTHER = 0,
    DKR_EV_PAUSE,
    DKR_EV_UNPAUSE,
    DKR_EV_DIE
} dkr_event_kind_t;

/* One container event: id and name are borrowed for the call; name is ""
 * when the event lacks it. */
typedef void (*dkr_event_cb)(void *arg, dkr_event_kind_t kind, const char *id, const char *name);

/* ------------------------------------------------ the stream's parser */

/* The events stream is one JSON object per line.  Lines longer than
 * DKR_EVENTS_MAX_LINE are dropped whole. */
#define DKR_EVENTS_MAX_LINE 65536

typedef struct dkr_events {
    char *line;
    size_t len, cap;
    int dropping;         /* inside an over-long line */
} dkr_events_t;

void dkr_events_init(dkr_events_t *p);
void dkr_events_fini(dkr_events_t *p);
/* Feeds bytes; calls cb for every complete line that is a container event
 * with an id (others, and lines that are not JSON, are skipped).  Returns
 * the number of events reported, or -1 when out of memory. */
int dkr_events_feed(dkr_events_t *p, const char *buf, size_t len, dkr_event_cb cb, void *arg);
/* The kind of an event's action ("pause", "die", ...). */
dkr_event_kind_t dkr_event_kind(const char *action);

/* ------------------------------------------------------------ the watch */

typedef struct dkr_watch dkr_watch_t;

/* Called once when the stream ends while not cancelled (engine gone or
 * refused); res says why. */
typedef void (*dkr_watch_end_cb)(void *arg, const dkr_result_t *res);

/* Starts GET /events for container pause, unpause and die on cli's loop.
 * NULL when out of memory. */
dkr_watch_t *dkr_watch_start(dkr_client_t *cli, dkr_event_cb cb, dkr_watch_end_cb end, void *arg);
/* Ends the stream without calling back; NULL is fine. */
void dkr_watch_free(dkr_watch_t *w);

#ifdef __cplusplus
}
#endif
#endif /* DKR_WATCH_H */
