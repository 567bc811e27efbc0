/*
 * fake_endpoint: a small server that is not a working Docker engine, for the
 * bad-endpoint tests.
 *
 *   fake_endpoint (--unix PATH | --tcp 127.0.0.1:PORT) --mode MODE
 *
 * Modes:
 *   stall       accept, read the request, never answer
 *   garbage     answer bytes that are not HTTP, then close
 *   not-docker  HTTP/1.1 200 with a plain HTML page, no Api-Version header
 *   old-api     GET/HEAD /_ping: 200 "OK" with "Api-Version: 1.20"; anything
 *               else: 400 text/plain "client version V is too new. Maximum
 *               supported API version is 1.20" (what a current engine says to
 *               a client newer than itself; V from the URL's /vV/ prefix)
 *   http-500    every request: 500 with a JSON {"message": ...} body
 *
 * Prints "ready unix://PATH" or "ready tcp://127.0.0.1:PORT" on stdout once
 * it listens (PORT 0 picks a free port, the line gives the real one). Logs
 * each request line on stderr. Exits 0 on SIGTERM or SIGINT and removes its
 * socket file. Serves only loopback or a unix socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONNS 64
#define REQ_MAX 65536

enum mode { MODE_STALL, MODE_GARBAGE, MODE_NOT_DOCKER, MODE_OLD_API, MODE_HTTP_500 };

struct conn {
    int fd;
    size_t len;
    int answered;
    char req[REQ_MAX];
};

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig)
{
    (void) sig;
    stop_requested = 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: fake_endpoint (--unix PATH | --tcp 127.0.0.1:PORT) --mode "
                    "stall|garbage|not-docker|old-api|http-500\n");
    exit(2);
}

static int parse_mode(const char *s, enum mode *m)
{
    static const struct {
        const char *name;
        enum mode mode;
    } modes[] = {{"stall", MODE_STALL},
                 {"garbage", MODE_GARBAGE},
                 {"not-docker", MODE_NOT_DOCKER},
                 {"old-api", MODE_OLD_API},
                 {"http-500", MODE_HTTP_500}};

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (0 == strcmp(s, modes[i].name)) {
            *m = modes[i].mode;
            return 0;
        }
    }
    return -1;
}

static int listen_unix(const char *path, char *url, size_t urlsz)
{
    struct sockaddr_un sa;
    struct stat st;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "fake_endpoint: socket path too long: %s\n", path);
        return -1;
    }
    if (0 == lstat(path, &st) && S_ISSOCK(st.st_mode)) {
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("fake_endpoint: socket");
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    if (0 != bind(fd, (struct sockaddr *) &sa, sizeof(sa)) || 0 != listen(fd, 64)) {
        fprintf(stderr, "fake_endpoint: couldn't listen on %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    snprintf(url, urlsz, "unix://%s", path);
    return fd;
}

static int listen_tcp(const char *hostport, char *url, size_t urlsz)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    char host[64];
    const char *colon = strrchr(hostport, ':');
    char *end = NULL;
    long port;
    int fd, one = 1;

    if (NULL == colon || (size_t)(colon - hostport) >= sizeof(host)) {
        usage();
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    port = strtol(colon + 1, &end, 10);
    if ('\0' == colon[1] || '\0' != *end || port < 0 || port > 65535) {
        usage();
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short) port);
    if (1 != inet_pton(AF_INET, host, &sa.sin_addr)
        || 127 != (ntohl(sa.sin_addr.s_addr) >> 24)) {
        fprintf(stderr, "fake_endpoint: only loopback addresses (127.x.x.x): %s\n", host);
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("fake_endpoint: socket");
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (0 != bind(fd, (struct sockaddr *) &sa, sizeof(sa)) || 0 != listen(fd, 64)
        || 0 != getsockname(fd, (struct sockaddr *) &sa, &salen)) {
        fprintf(stderr, "fake_endpoint: couldn't listen on %s: %s\n", hostport, strerror(errno));
        close(fd);
        return -1;
    }
    snprintf(url, urlsz, "tcp://%s:%u", host, (unsigned) ntohs(sa.sin_port));
    return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (EINTR == errno) {
                continue;
            }
            return;
        }
        p += w;
        n -= (size_t) w;
    }
}

static void respond(int fd, int head_only, int status, const char *reason, const char *extra_headers,
                    const char *ctype, const char *body)
{
    char hdr[1024];
    int n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d %s\r\n%sContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, extra_headers, ctype, strlen(body));
    write_all(fd, hdr, (size_t) n);
    if (!head_only) {
        write_all(fd, body, strlen(body));
    }
}

/* The request's head is complete (and its body, if Content-Length says so). */
static int request_complete(struct conn *c)
{
    char *end = memmem(c->req, c->len, "\r\n\r\n", 4);
    if (NULL == end) {
        return c->len >= REQ_MAX - 1;
    }
    size_t head = (size_t)(end - c->req) + 4;
    const char *cl = strcasestr(c->req, "\r\nContent-Length:");
    if (NULL != cl && cl < end) {
        size_t want = (size_t) strtoul(cl + 17, NULL, 10);
        return c->len >= head + want || c->len >= REQ_MAX - 1;
    }
    return 1;
}

/* Answer one request; returns 1 if the connection is to be closed. */
static int answer(struct conn *c, enum mode mode)
{
    char method[16] = "", path[1024] = "", version[32] = "1.41";
    const char *p;

    c->req[c->len] = '\0';
    sscanf(c->req, "%15s %1023s", method, path);
    fprintf(stderr, "fake_endpoint: %s %s\n", method, path);
    int head_only = (0 == strcmp(method, "HEAD"));

    /* "/v1.41/containers/json" -> version "1.41", rest "/containers/json" */
    p = path;
    if (0 == strncmp(p, "/v", 2) && NULL != strchr(p + 2, '/')) {
        size_t n = strcspn(p + 2, "/");
        if (n > 0 && n < sizeof(version)) {
            memcpy(version, p + 2, n);
            version[n] = '\0';
            p += 2 + n;
        }
    }

    switch (mode) {
    case MODE_STALL:
        c->answered = 1;
        return 0;
    case MODE_GARBAGE: {
        static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                                   "GARBAGE: this is not HTTP \x00\xff\xfe\r\n\r\n";
        write_all(c->fd, junk, sizeof(junk) - 1);
        return 1;
    }
    case MODE_NOT_DOCKER:
        respond(c->fd, head_only, 200, "OK", "Server: fake-www/1.0\r\n", "text/html; charset=utf-8",
                "<!DOCTYPE html>\n<html><head><title>Welcome</title></head>\n"
                "<body><h1>It works!</h1><p>This is a web server, not Docker.</p></body></html>\n");
        return 1;
    case MODE_OLD_API:
        if (0 == strcmp(p, "/_ping") && (head_only || 0 == strcmp(method, "GET"))) {
            respond(c->fd, head_only, 200, "OK",
                    "Api-Version: 1.20\r\nDocker-Experimental: false\r\nOstype: linux\r\n"
                    "Server: Docker/1.8.3 (linux)\r\n",
                    "text/plain; charset=utf-8", "OK");
        } else {
            char body[256];
            unsigned maj = 0, min = 0;
            if (2 == sscanf(version, "%u.%u", &maj, &min) && (maj > 1 || (1 == maj && min > 20))) {
                snprintf(body, sizeof(body),
                         "client version %s is too new. Maximum supported API version is 1.20\n",
                         version);
            } else {
                snprintf(body, sizeof(body), "fake_endpoint (old-api) serves only /_ping\n");
            }
            respond(c->fd, head_only, 400, "Bad Request",
                    "Api-Version: 1.20\r\nOstype: linux\r\nServer: Docker/1.8.3 (linux)\r\n",
                    "text/plain; charset=utf-8", body);
        }
        return 1;
    case MODE_HTTP_500:
        respond(c->fd, head_only, 500, "Internal Server Error",
                "Api-Version: 1.41\r\nOstype: linux\r\nServer: Docker/20.10.24 (linux)\r\n",
                "application/json",
                "{\"message\":\"fake_endpoint: internal error of the fake engine (mode "
                "http-500)\"}\n");
        return 1;
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *unix_path = NULL, *tcp = NULL, *mode_s = NULL;
    enum mode mode = MODE_STALL;
    char url[512];
    struct conn *conns[MAX_CONNS] = {NULL};
    struct sigaction sa;
    int lfd;

    for (int i = 1; i < argc; i++) {
        if (0 == strcmp(argv[i], "--unix") && i + 1 < argc) {
            unix_path = argv[++i];
        } else if (0 == strcmp(argv[i], "--tcp") && i + 1 < argc) {
            tcp = argv[++i];
        } else if (0 == strcmp(argv[i], "--mode") && i + 1 < argc) {
            mode_s = argv[++i];
        } else {
            usage();
        }
    }
    if ((NULL == unix_path) == (NULL == tcp) || NULL == mode_s || 0 != parse_mode(mode_s, &mode)) {
        usage();
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    lfd = unix_path ? listen_unix(unix_path, url, sizeof(url)) : listen_tcp(tcp, url, sizeof(url));
    if (lfd < 0) {
        return 1;
    }
    printf("ready %s\n", url);
    fflush(stdout);

    while (!stop_requested) {
        struct pollfd pfd[MAX_CONNS + 1];
        int idx[MAX_CONNS + 1];
        nfds_t n = 0;

        pfd[n].fd = lfd;
        pfd[n].events = POLLIN;
        idx[n++] = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            if (NULL != conns[i]) {
                pfd[n].fd = conns[i]->fd;
                pfd[n].events = POLLIN;
                idx[n++] = i;
            }
        }
        if (poll(pfd, n, -1) < 0) {
            if (EINTR == errno) {
                continue;
            }
            perror("fake_endpoint: poll");
            break;
        }
        for (nfds_t k = 0; k < n; k++) {
            if (0 == pfd[k].revents) {
                continue;
            }
            if (idx[k] < 0) {
                int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                if (cfd < 0) {
                    continue;
                }
                int slot = -1;
                for (int i = 0; i < MAX_CONNS; i++) {
                    if (NULL == conns[i]) {
                        slot = i;
                        break;
                    }
                }
                struct conn *c = slot < 0 ? NULL : calloc(1, sizeof(*c));
                if (NULL == c) {
                    close(cfd);
                    continue;
                }
                c->fd = cfd;
                conns[slot] = c;
                continue;
            }
            struct conn *c = conns[idx[k]];
            char scratch[4096];
            char *dst = c->answered ? scratch : c->req + c->len;
            size_t room = c->answered ? sizeof(scratch) : REQ_MAX - 1 - c->len;
            ssize_t r = read(c->fd, dst, room);
            int close_it = 0;
            if (r < 0 && EINTR == errno) {
                continue;
            }
            if (r <= 0) {
                close_it = 1;
            } else if (!c->answered) {
                c->len += (size_t) r;
                if (request_complete(c)) {
                    close_it = answer(c, mode);
                }
            }
            if (close_it) {
                close(c->fd);
                free(c);
                conns[idx[k]] = NULL;
            }
        }
    }

    for (int i = 0; i < MAX_CONNS; i++) {
        if (NULL != conns[i]) {
            close(conns[i]->fd);
            free(conns[i]);
        }
    }
    close(lfd);
    if (NULL != unix_path) {
        unlink(unix_path);
    }
    return 0;
}
