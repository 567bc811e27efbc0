/*
 * dkr.h - a small asynchronous client for the Docker Engine HTTP API.
 *
 * libcurl (multi interface) moves the bytes, json-c builds and reads the
 * bodies.  The client owns no event loop: an adapter (dkr_libevent.h) plugs
 * it into the caller's loop, the way hiredis' adapters do.  It never prints,
 * never exits and includes no Open MPI header, so the ORTE and PRRTE
 * components, the tests and the benchmarks all share it.
 *
 * Ownership: every request callback fires exactly once (done, failed or
 * cancelled).  Results passed to a callback are borrowed for its duration;
 * take a reference (json_object_get) or copy to keep anything.
 *
 * Re-entrancy: callbacks never run inside libcurl, and never from inside the
 * call that created the request (even an argument error is reported later,
 * from the loop).  A callback may start requests, cancel any request or exec
 * (its own included: a no-op once it is finishing) and call
 * dkr_client_free: the client then cancels everything at once and is
 * destroyed when control leaves the library, so after dkr_client_free the
 * caller must not touch the client again.
 */
#ifndef DKR_H
#define DKR_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

typedef enum {
    DKR_OK = 0,
    DKR_ERR_OOM = -1,         /* out of memory */
    DKR_ERR_ARG = -2,         /* bad argument, e.g. an unparsable endpoint */
    DKR_ERR_CONNECT = -3,     /* endpoint refused or unreachable */
    DKR_ERR_TIMEOUT = -4,     /* no answer within the call's time limit */
    DKR_ERR_TLS = -5,         /* TLS set-up or handshake failed */
    DKR_ERR_PROTOCOL = -6,    /* not HTTP, not Docker, or a malformed body */
    DKR_ERR_HTTP = -7,        /* an HTTP status the call does not expect */
    DKR_ERR_NOT_FOUND = -8,   /* 404: no such container/exec/image */
    DKR_ERR_CONFLICT = -9,    /* 409: e.g. the container is not running */
    DKR_ERR_API_VERSION = -10,/* the engine's API version is too old */
    DKR_ERR_CANCELLED = -11,  /* cancelled by the caller or by dkr_client_free */
    DKR_ERR_IO = -12          /* connection lost mid-transfer, local I/O error */
} dkr_rc_t;

/* A short constant name for an rc, e.g. "connection failed". */
const char *dkr_strerror(int rc);

/* Oldest engine API we accept: exec Env and HostConfig.Init need 1.25. */
#define DKR_API_MIN_MAJOR 1
#define DKR_API_MIN_MINOR 25

/* -------------------------------------------------------------- endpoint */

typedef enum { DKR_EP_UNIX = 1, DKR_EP_TCP = 2 } dkr_ep_kind_t;

typedef struct dkr_endpoint {
    dkr_ep_kind_t kind;
    char *url;          /* normalised form, e.g. "unix:///var/run/docker.sock" */
    char *socket_path;  /* DKR_EP_UNIX */
    char *host;         /* DKR_EP_TCP: host name or address (IPv6 without []) */
    int port;           /* DKR_EP_TCP: 2375 plain / 2376 TLS when not given */
    char *path_prefix;  /* DKR_EP_TCP: optional "/prefix", "" when none */
    int tls;            /* 1: https */
    int tls_verify;     /* 1: verify the server against ca */
    char *ca, *cert, *key; /* PEM files; NULL when absent */
} dkr_endpoint_t;

/* How the caller wants TLS; -1 fields mean "from the environment" the way
 * the docker CLI reads it (DOCKER_TLS_VERIFY, DOCKER_TLS, DOCKER_CERT_PATH,
 * else $DOCKER_CONFIG or ~/.docker).
 *   verify  1: TLS with verification (tcp:// becomes https, port 2376).
 *   verify  0: no verification; TLS only for an https:// address.
 *   verify -1: DOCKER_TLS_VERIFY set to anything (even "0") = as 1; else
 *              DOCKER_TLS set = TLS without verification; else as 0, except
 *              that https:// then verifies.
 * http:// is always plain, unix sockets never use TLS.  With TLS, ca.pem
 * (else the system CAs) and the cert.pem + key.pem pair are taken from the
 * certificate directory when they exist; one of the pair alone is an error. */
typedef struct dkr_tls_opts {
    int verify;             /* -1 env, 0 off, 1 on */
    const char *cert_path;  /* NULL or "" → env/default */
} dkr_tls_opts_t;

/* Parses "unix:///path", "tcp://host[:port][/prefix]" (also "http://",
 * "https://", a bare "/path" socket and, as the CLI, a scheme-less
 * "host:port"); IPv6 hosts go in brackets.  url NULL or "" means $DOCKER_HOST,
 * else unix:///var/run/docker.sock.  On error returns DKR_ERR_ARG and writes a
 * sentence naming the bad part to errbuf. */
int dkr_endpoint_parse(const char *url, const dkr_tls_opts_t *tls,
                       dkr_endpoint_t **out, char *errbuf, size_t errlen);
dkr_endpoint_t *dkr_endpoint_dup(const dkr_endpoint_t *ep);
void dkr_endpoint_free(dkr_endpoint_t *ep);

/* ---------------------------------------------------------------- client */

typedef struct dkr_client dkr_client_t;
typedef struct dkr_request dkr_request_t;

typedef struct dkr_client_opts {
    int timeout_ms;         /* limit for each non-streaming call; 0 = 30000 */
    int connect_timeout_ms; /* 0 = timeout_ms */
    int max_connections;    /* per endpoint; 0 = 256.  Attached execs each hold one */
} dkr_client_opts_t;

/* Event-loop hooks, filled in by an adapter.  The client asks to watch a
 * socket (what = DKR_EV_READ|DKR_EV_WRITE, 0 = stop and forget it) and to arm
 * a one-shot timer (ms >= 0, -1 = disarm).  The adapter reports readiness with
 * dkr_client_socket_ready() and expiry with dkr_client_timer_fired(). */
enum { DKR_EV_READ = 1, DKR_EV_WRITE = 2 };

typedef struct dkr_loop_hooks {
    void *data;
    int (*watch)(void *data, int fd, int what, void **sockdata);
    int (*timer)(void *data, long ms);
    void (*cleanup)(void *data);   /* called once by dkr_client_free */
} dkr_loop_hooks_t;

/* The endpoint is copied.  NULL only when out of memory or ep is NULL.
 * The first call runs curl_global_init(CURL_GLOBAL_DEFAULT) once; libcurl
 * counts such calls, so a program that already did is fine (a threaded one
 * should do it in main first).  Nothing calls curl_global_cleanup. */
dkr_client_t *dkr_client_new(const dkr_endpoint_t *ep, const dkr_client_opts_t *opts);
/* Once per client (DKR_ERR_ARG otherwise).  Requests made before it wait. */
int dkr_client_set_loop(dkr_client_t *cli, const dkr_loop_hooks_t *hooks);
void dkr_client_socket_ready(dkr_client_t *cli, int fd, int what);
void dkr_client_timer_fired(dkr_client_t *cli);
/* Cancels every outstanding request (their callbacks fire with
 * DKR_ERR_CANCELLED, before this returns), then frees.  Allowed inside a
 * callback: the memory goes when the library returns to the loop. */
void dkr_client_free(dkr_client_t *cli);

const dkr_endpoint_t *dkr_client_endpoint(const dkr_client_t *cli);
/* "1.41" once dkr_client_ping succeeded, else NULL. */
const char *dkr_client_api_version(const dkr_client_t *cli);
/* Requests still outstanding. */
size_t dkr_client_pending(const dkr_client_t *cli);

/* Optional trace of every call (method, path, status, latency), for verbose
 * logging by the caller.  rc is DKR_OK or the failure. */
typedef void (*dkr_trace_cb)(void *arg, const char *method, const char *path,
                             long status, int rc, double seconds);
void dkr_client_set_trace(dkr_client_t *cli, dkr_trace_cb cb, void *arg);

/* What a finished call reports.  errstr is a complete sentence fragment such
 * as "connect to /var/run/docker.sock: No such file or directory" or
 * "HTTP 409: Container abc is not running" (Docker's own message). */
typedef struct dkr_result {
    int rc;
    long http_status;            /* 0 when no response arrived */
    const char *errstr;          /* "" on success */
    struct json_object *json;    /* parsed JSON body, or NULL */
    const char *body;            /* raw body (NUL-terminated), or NULL */
    size_t body_len;
} dkr_result_t;

typedef void (*dkr_done_cb)(dkr_client_t *cli, const dkr_result_t *res, void *arg);

/* Calls returning a dkr_request_t * return NULL only when out of memory or
 * when cli is NULL or being freed; the callback then never fires.  Otherwise
 * it fires exactly once, later, from the loop (cb may be NULL).
 *
 * Cancels one request: its callback fires with DKR_ERR_CANCELLED before
 * this returns.  A request handle is valid until its callback has run. */
void dkr_request_cancel(dkr_request_t *req);

/* GET /_ping; learns the engine's API version (Api-Version header) and uses
 * it for every later call.  Fails with DKR_ERR_PROTOCOL when the endpoint is
 * not Docker and DKR_ERR_API_VERSION when it is older than DKR_API_MIN. */
dkr_request_t *dkr_ping(dkr_client_t *cli, dkr_done_cb cb, void *arg);

/* Plain calls on a versioned path ("/containers/x/json" becomes
 * "/v1.41/containers/x/json"; before a successful ping it goes unversioned,
 * meaning the engine's newest).  body may be NULL; it is serialised at once.
 * path must be escaped already (dkr_escape each inserted id or name); an
 * empty, "." or ".." component, a space or a control character fails with
 * DKR_ERR_ARG.  Streams (attached execs) have no total time limit, every
 * other call has opts->timeout_ms.
 * Any 2xx is success; 404 → DKR_ERR_NOT_FOUND, 409 → DKR_ERR_CONFLICT,
 * other statuses → DKR_ERR_HTTP, each with Docker's message in errstr. */
dkr_request_t *dkr_call(dkr_client_t *cli, const char *method, const char *path,
                        struct json_object *body, dkr_done_cb cb, void *arg);

/* dkr_call without the per-call time limit, for calls that answer when
 * something ends (POST /containers/{id}/wait). */
dkr_request_t *dkr_call_untimed(dkr_client_t *cli, const char *method, const char *path,
                                struct json_object *body, dkr_done_cb cb, void *arg);

/* A call whose 2xx body is handed to data as it arrives (attach, events,
 * image pulls), with no time limit; cb fires once when it ends, with the
 * status (and, for a non-2xx answer, the error as usual). */
typedef void (*dkr_data_cb)(void *arg, const char *buf, size_t len);
dkr_request_t *dkr_stream(dkr_client_t *cli, const char *method, const char *path,
                          struct json_object *body, dkr_data_cb data, void *data_arg,
                          dkr_done_cb cb, void *arg);

/* Percent-escapes s (all but A-Za-z0-9-._~) for a query value or one path
 * component; free() the result. */
char *dkr_escape(const char *s);
/* prefix, then s escaped, then tail ("/containers/", id, "/json"); malloc'd,
 * NULL when out of memory. */
char *dkr_path(const char *prefix, const char *s, const char *tail);

/* ------------------------------------------------------- parsed objects */

typedef struct dkr_netaddr {
    char *network;      /* network name, e.g. "mpinet" */
    char *network_id;
    char *ip;           /* IPv4 address, "" when none */
    int prefix_len;     /* e.g. 24; 0 when unknown */
    char *gateway;      /* "" when none */
} dkr_netaddr_t;

/* Strings are "" when the JSON lacks them, except hostname and cpuset. */
typedef struct dkr_container {
    char *id;           /* full id */
    char *name;         /* without the leading '/' */
    char *hostname;     /* Config.Hostname; NULL in list items */
    char *image;        /* the name it was created from (Config.Image) */
    char *state;        /* "running", "exited", "paused", ... */
    int running;        /* State.Running (inspect) or state == "running" (list) */
    int paused;
    char **labels;      /* NULL-terminated "key=value" ("key" for a null value) */
    dkr_netaddr_t *nets;
    size_t n_nets;
    int64_t nano_cpus;  /* HostConfig.NanoCpus, 0 when unset */
    char *cpuset;       /* HostConfig.CpusetCpus, NULL when unset */
} dkr_container_t;

/* The string member key of o; NULL when o is no object or the member is
 * missing, null or of another type (engine answers are not trusted). */
const char *dkr_json_str(struct json_object *o, const char *key);

/* From GET /containers/{id}/json or one item of GET /containers/json.
 * DKR_ERR_PROTOCOL when obj is not an object with an "Id". */
int dkr_container_from_json(struct json_object *obj, dkr_container_t **out);
/* From the array of GET /containers/json; *out is an array of n pointers. */
int dkr_containers_from_json(struct json_object *arr, dkr_container_t ***out, size_t *n);
void dkr_container_free(dkr_container_t *c);
void dkr_containers_free(dkr_container_t **v, size_t n);
/* Value of a label, or NULL; *present tells "key" without "=value" apart. */
const char *dkr_container_label(const dkr_container_t *c, const char *key, int *present);

/* ------------------------------------------------------------------ exec */

typedef struct dkr_exec_spec {
    const char *const *cmd;   /* argv, NULL-terminated; sent as a JSON array */
    const char *const *env;   /* "K=V", NULL-terminated, or NULL */
    const char *user;         /* "uid[:gid]" or a name; NULL = container's */
    const char *workdir;      /* NULL = container's */
    int detach;               /* 1: detached start, no output, no exit code */
} dkr_exec_spec_t;

typedef struct dkr_exec dkr_exec_t;

typedef struct dkr_exec_ops {
    /* The engine accepted the start: the process is being spawned. */
    void (*started)(dkr_exec_t *ex, void *arg);
    /* A piece of the process' output; stream 1 = stdout, 2 = stderr. */
    void (*output)(dkr_exec_t *ex, int stream, const char *buf, size_t len, void *arg);
    /* Exactly once.  res->rc != DKR_OK when create, start or the stream
     * failed (res->errstr says which).  Otherwise exit_code is the process'
     * status from inspecting the exec after its stream ended, or -1 when
     * detached. */
    void (*finished)(dkr_exec_t *ex, const dkr_result_t *res, int exit_code, void *arg);
} dkr_exec_ops_t;

/* Create an exec in the container (id or name) and start it attached
 * (stdout+stderr, no TTY), demultiplexing the output, then inspect it for the
 * exit code.  Nothing here runs a shell: spec->cmd is the argv.
 * NULL when ops is NULL or as for the request calls (finished never fires
 * then); an empty container or argv fails through finished (DKR_ERR_ARG).
 * The handle is valid until finished has returned; each exec holds one
 * request (so one connection while streaming) in dkr_client_pending. */
dkr_exec_t *dkr_exec_run(dkr_client_t *cli, const char *container,
                         const dkr_exec_spec_t *spec, const dkr_exec_ops_t *ops, void *arg);
/* Stops following the exec (does not kill the process; no API can):
 * finished fires with DKR_ERR_CANCELLED before this returns. */
void dkr_exec_cancel(dkr_exec_t *ex);
const char *dkr_exec_id(const dkr_exec_t *ex);           /* NULL before created */
const char *dkr_exec_container(const dkr_exec_t *ex);

/* ------------------------------------------------------------ containers */

typedef struct dkr_run dkr_run_t;

typedef struct dkr_run_ops {
    /* The container started. */
    void (*started)(dkr_run_t *r, void *arg);
    /* A piece of its output; stream 1 = stdout, 2 = stderr. */
    void (*output)(dkr_run_t *r, int stream, const char *buf, size_t len, void *arg);
    /* Exactly once.  res->rc != DKR_OK when create, attach, start or wait
     * failed (res->errstr says which; create's 404 is a missing image);
     * otherwise exit_code is the container's exit status. */
    void (*finished)(dkr_run_t *r, const dkr_result_t *res, int exit_code, void *arg);
} dkr_run_ops_t;

/* Creates a container named name (NULL: the engine picks) from body (the
 * JSON of POST /containers/create, serialised at once; Tty must be false),
 * attaches to its output, registers a wait, starts it and follows it to its
 * end.  With HostConfig.AutoRemove the engine removes it after that. */
dkr_run_t *dkr_run_container(dkr_client_t *cli, const char *name, struct json_object *body,
                             const dkr_run_ops_t *ops, void *arg);
/* Stops following (the container is not stopped): finished fires with
 * DKR_ERR_CANCELLED before this returns. */
void dkr_run_cancel(dkr_run_t *r);
const char *dkr_run_id(const dkr_run_t *r);      /* NULL before created */
const char *dkr_run_name(const dkr_run_t *r);

/* Exec create body, exposed for tests. */
struct json_object *dkr_exec_create_body(const dkr_exec_spec_t *spec);

/* ---------------------------------------------- multiplexed stream frames */

/* Demultiplexes Docker's 8-byte-header frames (stream, 0,0,0, be32 length)
 * fed in arbitrary pieces. */
typedef void (*dkr_frame_cb)(void *arg, int stream, const char *buf, size_t len);

typedef struct dkr_demux {
    unsigned char hdr[8];
    size_t hdr_have;
    uint32_t left;      /* payload bytes left in the current frame */
    int stream;
    int failed;
} dkr_demux_t;

void dkr_demux_init(dkr_demux_t *d);
/* DKR_OK, or DKR_ERR_PROTOCOL on a bad header (then stays failed). */
int dkr_demux_feed(dkr_demux_t *d, const char *buf, size_t len, dkr_frame_cb cb, void *arg);
/* 1 when the stream ended between frames. */
int dkr_demux_at_boundary(const dkr_demux_t *d);

/* -------------------------------------------------------------- helpers */

/* "1.41" compared with major.minor: <0, 0, >0; -2 when unparsable. */
int dkr_api_version_cmp(const char *v, int major, int minor);

#ifdef __cplusplus
}
#endif
#endif /* DKR_H */
