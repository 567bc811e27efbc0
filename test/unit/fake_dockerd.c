/*
 * fake_dockerd.c - see fake_dockerd.h.
 */
#define _GNU_SOURCE     /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fake_dockerd.h"

#define MAX_CONNS 64
#define MAX_LOG 64

struct fake {
    char dir[64];
    char path[128];
    int port;
    int lfd;
    int stop_pipe[2];
    pthread_t acceptor;
    int have_acceptor;
    pthread_t conns[MAX_CONNS];
    int n_conns;
    pthread_mutex_t lock;
    fake_handler handler;
    void *arg;
    const char *greeting;
    fd_req_t log[MAX_LOG];
    int n_log;
};

typedef struct conn_arg {
    fake_t *f;
    int fd;
} conn_arg_t;

void fake_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

void fake_write(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && EINTR == errno) {
            continue;
        }
        if (w <= 0) {
            return;     /* the client went away: fine for these tests */
        }
        p += w;
        n -= (size_t)w;
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 500: return "Internal Server Error";
    default: return "Whatever";
    }
}

void fake_reply(int fd, int status, const char *ctype, const char *extra, const char *body)
{
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    int n;

    n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%s%s%s%sContent-Length: %zu\r\n\r\n",
                 status, reason(status), ctype ? "Content-Type: " : "", ctype ? ctype : "",
                 ctype ? "\r\n" : "", extra ? extra : "", blen);
    fake_write(fd, head, (size_t)n);
    if (blen > 0) {
        fake_write(fd, body, blen);
    }
}

void fake_docker_reply(int fd, int status, const char *json_body)
{
    fake_reply(fd, status, json_body ? "application/json" : NULL,
               "Api-Version: 1.41\r\nDocker-Experimental: false\r\nOstype: linux\r\n"
               "Server: Docker/20.10.24+dfsg1 (linux)\r\n", json_body);
}

/* Waits until fd is readable; 0 when the server is stopping. */
static int wait_readable(fake_t *f, int fd)
{
    struct pollfd p[2] = { { fd, POLLIN, 0 }, { f->stop_pipe[0], POLLIN, 0 } };

    for (;;) {
        int r = poll(p, 2, -1);

        if (r < 0 && EINTR == errno) {
            continue;
        }
        if (r < 0 || (p[1].revents & POLLIN)) {
            return 0;
        }
        if (p[0].revents) {
            return 1;
        }
    }
}

void fake_wait_close(fake_t *f, int fd)
{
    char buf[512];

    while (wait_readable(f, fd)) {
        if (recv(fd, buf, sizeof(buf), 0) <= 0) {
            return;
        }
    }
}

/* Reads one request; 0 on EOF, error or stop. */
static int read_request(fake_t *f, int fd, fd_req_t *req, char *buf, size_t *have, size_t cap)
{
    char *end;
    size_t hlen, clen = 0;
    const char *cl;

    memset(req, 0, sizeof(*req));
    while (NULL == (end = memmem(buf, *have, "\r\n\r\n", 4))) {
        ssize_t r;

        if (*have >= cap || !wait_readable(f, fd) || (r = recv(fd, buf + *have, cap - *have, 0)) <= 0) {
            return 0;
        }
        *have += (size_t)r;
    }
    hlen = (size_t)(end - buf) + 4;
    sscanf(buf, "%15s %1023s", req->method, req->path);
    memcpy(req->headers, buf, hlen < sizeof(req->headers) - 1 ? hlen : sizeof(req->headers) - 1);
    for (cl = req->headers; NULL != (cl = strchr(cl, '\n')); ) {
        cl++;
        if (0 == strncasecmp(cl, "Content-Length:", 15)) {
            clen = strtoul(cl + 15, NULL, 10);
        }
    }
    while (*have < hlen + clen) {
        ssize_t r;

        if (*have >= cap || !wait_readable(f, fd) || (r = recv(fd, buf + *have, cap - *have, 0)) <= 0) {
            return 0;
        }
        *have += (size_t)r;
    }
    req->body_len = clen < sizeof(req->body) - 1 ? clen : sizeof(req->body) - 1;
    memcpy(req->body, buf + hlen, req->body_len);
    memmove(buf, buf + hlen + clen, *have - hlen - clen);
    *have -= hlen + clen;
    return 1;
}

static void *conn_main(void *p)
{
    conn_arg_t *ca = p;
    fake_t *f = ca->f;
    int fd = ca->fd;
    size_t cap = 65536, have = 0;
    char *buf = malloc(cap);
    fd_req_t *req = malloc(sizeof(*req));

    free(ca);
    pthread_mutex_lock(&f->lock);
    if (NULL != f->greeting) {
        const char *g = f->greeting;

        pthread_mutex_unlock(&f->lock);
        fake_write(fd, g, strlen(g));
        fake_sleep_ms(50);
        close(fd);
        free(buf);
        free(req);
        return NULL;
    }
    pthread_mutex_unlock(&f->lock);
    while (NULL != buf && NULL != req && read_request(f, fd, req, buf, &have, cap)) {
        pthread_mutex_lock(&f->lock);
        if (f->n_log < MAX_LOG) {
            f->log[f->n_log] = *req;
        }
        f->n_log++;
        pthread_mutex_unlock(&f->lock);
        if (!f->handler(f, fd, req, f->arg)) {
            break;
        }
    }
    close(fd);
    free(buf);
    free(req);
    return NULL;
}

static void *accept_main(void *p)
{
    fake_t *f = p;

    while (wait_readable(f, f->lfd)) {
        int fd = accept(f->lfd, NULL, NULL);
        conn_arg_t *ca;

        if (fd < 0) {
            continue;
        }
        if (f->port > 0) {     /* as Go's net package: no Nagle delays */
            int one = 1;

            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        pthread_mutex_lock(&f->lock);
        if (f->n_conns >= MAX_CONNS || NULL == (ca = malloc(sizeof(*ca)))) {
            pthread_mutex_unlock(&f->lock);
            close(fd);
            continue;
        }
        ca->f = f;
        ca->fd = fd;
        if (0 != pthread_create(&f->conns[f->n_conns], NULL, conn_main, ca)) {
            free(ca);
            close(fd);
        } else {
            f->n_conns++;
        }
        pthread_mutex_unlock(&f->lock);
    }
    return NULL;
}

fake_t *fake_start_tcp(fake_handler h, void *arg, int ipv6)
{
    fake_t *f = calloc(1, sizeof(*f));
    struct sockaddr_in6 s6;
    struct sockaddr_in s4;
    socklen_t len;
    int one = 1;

    if (NULL == f) {
        return NULL;
    }
    f->handler = h;
    f->arg = arg;
    pthread_mutex_init(&f->lock, NULL);
    if (0 != pipe(f->stop_pipe)) {
        free(f);
        return NULL;
    }
    memset(&s4, 0, sizeof(s4));
    memset(&s6, 0, sizeof(s6));
    s4.sin_family = AF_INET;
    s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s6.sin6_family = AF_INET6;
    s6.sin6_addr = in6addr_loopback;
    f->lfd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (f->lfd < 0 ||
        0 != (ipv6 ? bind(f->lfd, (struct sockaddr *)&s6, sizeof(s6))
                   : bind(f->lfd, (struct sockaddr *)&s4, sizeof(s4))) ||
        0 != listen(f->lfd, 64)) {
        fake_stop(f);
        return NULL;
    }
    len = ipv6 ? sizeof(s6) : sizeof(s4);
    getsockname(f->lfd, ipv6 ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4, &len);
    f->port = ntohs(ipv6 ? s6.sin6_port : s4.sin_port);
    if (0 != pthread_create(&f->acceptor, NULL, accept_main, f)) {
        fake_stop(f);
        return NULL;
    }
    f->have_acceptor = 1;
    return f;
}

void fake_set_greeting(fake_t *f, const char *s)
{
    pthread_mutex_lock(&f->lock);
    f->greeting = s;
    pthread_mutex_unlock(&f->lock);
}

int fake_port(const fake_t *f)
{
    return f->port;
}

fake_t *fake_start(fake_handler h, void *arg)
{
    fake_t *f = calloc(1, sizeof(*f));
    struct sockaddr_un sa;

    if (NULL == f) {
        return NULL;
    }
    f->handler = h;
    f->arg = arg;
    pthread_mutex_init(&f->lock, NULL);
    snprintf(f->dir, sizeof(f->dir), "/tmp/dkr-fake-XXXXXX");
    if (NULL == mkdtemp(f->dir) || 0 != pipe(f->stop_pipe)) {
        free(f);
        return NULL;
    }
    snprintf(f->path, sizeof(f->path), "%s/docker.sock", f->dir);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, f->path, strlen(f->path) + 1);    /* ~30 bytes */
    f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (f->lfd < 0 || 0 != bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
        0 != listen(f->lfd, 64) || 0 != pthread_create(&f->acceptor, NULL, accept_main, f)) {
        fake_stop(f);
        return NULL;
    }
    f->have_acceptor = 1;
    return f;
}

void fake_stop(fake_t *f)
{
    int i, n;

    if (NULL == f) {
        return;
    }
    /* The pipe stays readable: every thread sees the stop. */
    if (write(f->stop_pipe[1], "x", 1) == 1 && f->have_acceptor) {
        pthread_join(f->acceptor, NULL);
    }
    pthread_mutex_lock(&f->lock);
    n = f->n_conns;         /* the acceptor is gone: no more threads */
    pthread_mutex_unlock(&f->lock);
    for (i = 0; i < n; i++) {
        pthread_join(f->conns[i], NULL);
    }
    if (f->lfd >= 0) {
        close(f->lfd);
    }
    close(f->stop_pipe[0]);
    close(f->stop_pipe[1]);
    if ('\0' != f->path[0]) {
        unlink(f->path);
        rmdir(f->dir);
    }
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const char *fake_path(const fake_t *f)
{
    return f->path;
}

int fake_requests(fake_t *f)
{
    int n;

    pthread_mutex_lock(&f->lock);
    n = f->n_log;
    pthread_mutex_unlock(&f->lock);
    return n;
}

int fake_request(fake_t *f, int n, fd_req_t *out)
{
    int ok = 0;

    pthread_mutex_lock(&f->lock);
    if (n >= 0 && n < f->n_log && n < MAX_LOG) {
        *out = f->log[n];
        ok = 1;
    }
    pthread_mutex_unlock(&f->lock);
    return ok;
}
