/*
 * fuzz_http.c - libFuzzer target for how libdkr reads an HTTP answer: the
 * header lines and body bytes libcurl hands to dkr_http.c's callbacks
 * (status line, Content-Type, Api-Version, body buffering, 2xx stream data
 * delivered through the dispatch and demultiplexed as an attached exec's
 * output), then dkr_result.c's verdict on the finished transfer (JSON body
 * parse, Docker's error message, the /_ping checks and API version, the
 * libcurl error mapping), up to the request's callback.
 *
 * Input: byte 0 = flags (bits 0-1 request kind: call, ping, stream, untimed;
 * bit 2 TLS endpoint; bit 3 a client certificate), byte 1 = libcurl's
 * result (mostly CURLE_OK), byte 2 = body chunk size - 1, then the answer as
 * on the wire: header lines up to and including the first empty line, each
 * handed over separately as libcurl does, then the body.  For a libcurl
 * error the body's start stands in for libcurl's error text.
 *
 * dkr_http.c and dkr_result.c are included to reach their static callbacks;
 * the client is a stub whose requests never get a socket (the libcurl easy
 * handle is created but never performs).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkr_http.c"
#include "dkr_result.c"

static const CURLcode codes[] = {
    CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SSL_CONNECT_ERROR,
    CURLE_PEER_FAILED_VERIFICATION, CURLE_WEIRD_SERVER_REPLY, CURLE_GOT_NOTHING,
    CURLE_RECV_ERROR, CURLE_OUT_OF_MEMORY, CURLE_PARTIAL_FILE, CURLE_SSL_CERTPROBLEM,
};

typedef struct run {
    int fired;
    int heads;
    dkr_demux_t demux;
} run_t;

static void frame_cb(void *arg, int stream, const char *buf, size_t len)
{
    (void)arg;
    (void)stream;
    if (0 == len || NULL == buf) {
        abort();
    }
}

static void on_head(dkr_request_t *req, long status, void *arg)
{
    run_t *r = arg;

    if (status < 200 || status != req->status) {
        abort();
    }
    r->heads++;
}

static void on_data(dkr_request_t *req, const char *buf, size_t len, void *arg)
{
    run_t *r = arg;

    (void)req;
    if (0 == len) {
        abort();
    }
    (void)dkr_demux_feed(&r->demux, buf, len, frame_cb, NULL);
}

static const dkr_req_ops_t ops = { .head = on_head, .data = on_data };

static void done_cb(dkr_client_t *cli, const dkr_result_t *res, void *arg)
{
    run_t *r = arg;

    (void)cli;
    if (r->fired++ || NULL == res->errstr || (DKR_OK == res->rc) != ('\0' == res->errstr[0])) {
        abort();    /* once; an error always says something, success nothing */
    }
    if (NULL != res->json && NULL == json_object_to_json_string(res->json)) {
        abort();
    }
    if (NULL != res->body && strlen(res->body) > res->body_len) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int kinds[] = { DKR_KIND_CALL, DKR_KIND_PING, DKR_KIND_STREAM, DKR_KIND_UNTIMED };
    static const char *const paths[] = { "/v1.41/containers/node1/json", "/_ping",
                                         "/v1.41/exec/0123abcd/start", "/v1.41/containers/x/wait" };
    dkr_endpoint_t ep;
    dkr_client_t cli;
    dkr_request_t *req;
    run_t run;
    CURLcode cc;
    size_t off, chunk;
    int flags, kind;

    if (size < 3 || size > 1 << 20) {
        return 0;
    }
    flags = data[0];
    kind = kinds[flags & 3];
    cc = data[1] < 0xf0 ? CURLE_OK : codes[data[1] % (sizeof(codes) / sizeof(codes[0]))];
    chunk = (size_t)data[2] + 1;
    data += 3;
    size -= 3;

    memset(&ep, 0, sizeof(ep));
    if (flags & 4) {
        ep.kind = DKR_EP_TCP;
        ep.url = (char *)"tcp://engine.example:2376";
        ep.host = (char *)"engine.example";
        ep.port = 2376;
        ep.tls = ep.tls_verify = 1;
        ep.ca = (char *)"/nonexistent/ca.pem";
        if (flags & 8) {
            ep.cert = (char *)"/nonexistent/cert.pem";
            ep.key = (char *)"/nonexistent/key.pem";
        }
    } else {
        ep.kind = DKR_EP_UNIX;
        ep.url = (char *)"unix:///nonexistent/docker.sock";
        ep.socket_path = ep.url + 7;
    }
    ep.path_prefix = (char *)"";
    memset(&cli, 0, sizeof(cli));
    cli.ep = &ep;
    cli.curl_timer = -1;
    memset(&run, 0, sizeof(run));
    dkr_demux_init(&run.demux);

    if (NULL == (req = req_alloc(&cli, "GET", paths[flags & 3], kind, done_cb, &run))) {
        return 0;
    }
    if (NULL == (req->easy = curl_easy_init())) {
        dkr__request_free(req);
        return 0;
    }
    if (DKR_KIND_STREAM == kind) {
        dkr__request_set_ops(req, &ops, &run);
    }
    link_req(req, DKR_REQ_ACTIVE);

    /* header lines, each in its own allocation (libcurl's are not terminated) */
    off = 0;
    while (off < size && 0 == req->fail_rc) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t n = NULL == nl ? size - off : (size_t)(nl - (data + off)) + 1;
        char *line = malloc(n);
        size_t got;
        int blank;

        if (NULL == line) {
            abort();
        }
        memcpy(line, data + off, n);
        blank = n <= 2 && ('\r' == line[0] || '\n' == line[0]);
        got = header_cb(line, 1, n, req);
        free(line);
        off += n;
        if (got != n) {
            break;      /* libcurl would abort the transfer */
        }
        dkr__deliver_events(&cli);
        if (blank && req->status >= 200) {
            break;      /* the final head ended: the body follows */
        }
    }
    /* the body, in pieces */
    while (off < size && 0 == req->fail_rc && DKR_REQ_ACTIVE == req->state) {
        size_t n = chunk < size - off ? chunk : size - off;
        char *piece = malloc(n);

        if (NULL == piece) {
            abort();
        }
        memcpy(piece, data + off, n);
        if (write_cb(piece, 1, n, req) != n) {
            free(piece);
            break;
        }
        free(piece);
        off += n;
        dkr__deliver_events(&cli);
    }
    if (CURLE_OK != cc) {
        size_t n = size < CURL_ERROR_SIZE - 1 ? size : CURL_ERROR_SIZE - 1;

        memcpy(req->curl_err, data, n);
        req->curl_err[n] = '\0';
    }
    dkr__request_done(req, cc);
    if (1 != run.fired || 0 != cli.n_reqs || NULL != cli.reqs || cli.dead != req) {
        abort();
    }
    if (run.heads > 1) {
        abort();    /* the head is delivered once */
    }
    dkr__request_free(req);
    free(cli.api_version);
    return 0;
}
