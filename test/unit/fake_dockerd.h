/*
 * fake_dockerd.h - a tiny HTTP/1.1 server on a unix socket in a temp dir,
 * one thread per connection, answering through a test's handler.  Only for
 * the unit tests: canned answers are allowed here and nowhere else.
 */
#ifndef FAKE_DOCKERD_H
#define FAKE_DOCKERD_H

#include <stddef.h>

typedef struct fd_req {
    char method[16];
    char path[1024];
    char headers[4096];     /* raw header block */
    char body[8192];        /* NUL-terminated */
    size_t body_len;
} fd_req_t;

typedef struct fake fake_t;

/* Runs in a server thread.  Write the answer with the helpers below; return
 * 1 to keep the connection for the next request, 0 to close it. */
typedef int (*fake_handler)(fake_t *f, int fd, const fd_req_t *req, void *arg);

fake_t *fake_start(fake_handler h, void *arg);
/* The same on 127.0.0.1 (ipv6: ::1) and an ephemeral port. */
fake_t *fake_start_tcp(fake_handler h, void *arg, int ipv6);
int fake_port(const fake_t *f);
/* Makes the server send s on each new connection and close it, without
 * reading a request (a server that speaks first, e.g. not TLS). */
void fake_set_greeting(fake_t *f, const char *s);
void fake_stop(fake_t *f);          /* closes everything, joins the threads */
const char *fake_path(const fake_t *f);
int fake_requests(fake_t *f);       /* requests seen so far */
/* Copies the n-th request seen (0-based); 0 when there is none. */
int fake_request(fake_t *f, int n, fd_req_t *out);

void fake_write(int fd, const void *buf, size_t n);
/* Status line, Content-Type (NULL: none), Content-Length, extra header lines
 * ("Name: v\r\n", may be NULL or ""), blank line, body. */
void fake_reply(int fd, int status, const char *ctype, const char *extra, const char *body);
/* Docker's usual headers, Api-Version 1.41 included. */
void fake_docker_reply(int fd, int status, const char *json_body);
/* Blocks until the peer closes or the server stops. */
void fake_wait_close(fake_t *f, int fd);
void fake_sleep_ms(int ms);

#endif
