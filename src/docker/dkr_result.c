/*
 * dkr_result.c - what a finished transfer means: libcurl's code, the HTTP
 * status, Content-Type and body become an rc, an errstr naming the endpoint
 * or carrying Docker's own message, and the parsed JSON.  /_ping's answer
 * also sets the client's API version.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "dkr_private.h"

static const char *where(const dkr_client_t *cli)
{
    return DKR_EP_UNIX == cli->ep->kind ? cli->ep->socket_path : cli->ep->url;
}

static int is_json_type(const char *ct)
{
    return NULL != ct && 0 == strncasecmp(ct, "application/json", 16) &&
           ('\0' == ct[16] || ';' == ct[16] || ' ' == ct[16]);
}

/* Whole-buffer parse: trailing non-space or an early end is an error. */
static struct json_object *parse_json(const dkr_buf_t *b, char *why, size_t whylen)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *obj;
    size_t end;

    if (NULL == tok) {
        dkr__fmt(why, whylen, "out of memory");
        return NULL;
    }
    /* len + 1 passes the NUL too: it tells json-c the input ends there */
    obj = json_tokener_parse_ex(tok, b->data, (int)b->len + 1);
    if (NULL == obj) {
        enum json_tokener_error err = json_tokener_get_error(tok);

        dkr__fmt(why, whylen, "%s", json_tokener_continue == err ? "JSON ends early"
                 : json_tokener_error_desc(err));
        json_tokener_free(tok);
        return NULL;
    }
#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
    end = json_tokener_get_parse_end(tok);
#else
    end = (size_t)tok->char_offset;
#endif
    json_tokener_free(tok);
    for (; end < b->len; end++) {
        if (!isspace((unsigned char)b->data[end])) {
            dkr__fmt(why, whylen, "text after the JSON value");
            json_object_put(obj);
            return NULL;
        }
    }
    return obj;
}

/* Docker's error text: {"message":...} when JSON, the body when text. */
static void error_message(const dkr_request_t *req, struct json_object *json, char *out,
                          size_t outlen)
{
    struct json_object *m = NULL;
    size_t i, o = 0;

    out[0] = '\0';
    if (NULL != json && json_object_object_get_ex(json, "message", &m) &&
        json_object_is_type(m, json_type_string)) {
        dkr__fmt(out, outlen, "%s", json_object_get_string(m));
        return;
    }
    if (NULL != json || 0 == req->body.len) {
        return;
    }
    /* plain text: one line, printable, bounded */
    for (i = 0; i < req->body.len && o + 1 < outlen && o < 300; i++) {
        unsigned char c = (unsigned char)req->body.data[i];

        if ('\r' == c || '\n' == c || '\t' == c) {
            c = ' ';
        }
        if (c < 0x20 || 0x7f == c) {
            continue;
        }
        if (' ' == c && (0 == o || ' ' == out[o - 1])) {
            continue;
        }
        out[o++] = (char)c;
    }
    while (o > 0 && ' ' == out[o - 1]) {
        o--;
    }
    out[o] = '\0';
}

static int is_version_error(const char *msg)
{
    return NULL != strstr(msg, "client version") &&
           (NULL != strstr(msg, "too old") || NULL != strstr(msg, "too new"));
}

static void http_outcome(dkr_request_t *req)
{
    struct json_object *json = NULL;
    char why[256], msg[DKR_ERRSTR_MAX];
    long st = req->status;
    int rc;

    if (req->body.len > 0 && is_json_type(req->ctype)) {
        json = parse_json(&req->body, why, sizeof(why));
        if (NULL == json && st >= 200 && st < 300) {
            dkr__fmt(req->errstr, sizeof(req->errstr), "%s %s on %s: malformed JSON in the "
                     "answer (%s)", req->method, req->path, req->cli->ep->url, why);
            dkr__request_complete(req, DKR_ERR_PROTOCOL, NULL, req->errstr);
            return;
        }
    }
    if (st >= 200 && st < 300) {
        dkr__request_complete(req, DKR_OK, json, "");
        return;
    }
    error_message(req, json, msg, sizeof(msg));
    if ('\0' == msg[0]) {
        dkr__fmt(msg, sizeof(msg), "%s %s", req->method, req->path);
    }
    dkr__fmt(req->errstr, sizeof(req->errstr), "HTTP %ld: %s", st, msg);
    if (404 == st) {
        rc = DKR_ERR_NOT_FOUND;
    } else if (409 == st) {
        rc = DKR_ERR_CONFLICT;
    } else if (400 == st && is_version_error(msg)) {
        rc = DKR_ERR_API_VERSION;
    } else {
        rc = DKR_ERR_HTTP;
    }
    dkr__request_complete(req, rc, json, req->errstr);
}

static void ping_outcome(dkr_request_t *req)
{
    dkr_client_t *cli = req->cli;
    const char *v = req->api_version;
    int ok_body, cmp;

    ok_body = NULL != req->body.data && 0 == strncmp(req->body.data, "OK", 2);
    if (NULL != v && 200 != req->status) {
        http_outcome(req);      /* Docker, but unwell: report its own message */
        return;
    }
    if (!cli->ep->tls && 400 == req->status && NULL == v && NULL != req->body.data &&
        NULL != strstr(req->body.data, "HTTP request to an HTTPS server")) {
        /* Go's net/http answers plain HTTP on a TLS port this way: a Docker
         * engine that wants TLS.  Never retried without it. */
        dkr__fmt(req->errstr, sizeof(req->errstr), "%s speaks TLS (HTTPS), but plain HTTP "
                 "was used: turn on TLS (plm_docker_tls_verify 1 or DOCKER_TLS_VERIFY=1) "
                 "with the client certificates (plm_docker_cert_path or DOCKER_CERT_PATH)",
                 cli->ep->url);
        dkr__request_complete(req, DKR_ERR_TLS, NULL, req->errstr);
        return;
    }
    if (200 != req->status || NULL == v || !ok_body) {
        dkr__fmt(req->errstr, sizeof(req->errstr), "%s is not a Docker endpoint: GET %s "
                 "answered HTTP %ld%s%s", cli->ep->url, req->path, req->status,
                 NULL == v ? " without an Api-Version header" : "",
                 ok_body ? "" : " and a body other than \"OK\"");
        dkr__request_complete(req, DKR_ERR_PROTOCOL, NULL, req->errstr);
        return;
    }
    cmp = dkr_api_version_cmp(v, DKR_API_MIN_MAJOR, DKR_API_MIN_MINOR);
    if (-2 == cmp) {
        dkr__fmt(req->errstr, sizeof(req->errstr), "%s sent an unreadable Api-Version '%s'",
                 cli->ep->url, v);
        dkr__request_complete(req, DKR_ERR_PROTOCOL, NULL, req->errstr);
        return;
    }
    if (cmp < 0) {
        dkr__fmt(req->errstr, sizeof(req->errstr), "the engine at %s speaks API %s; this "
                 "client needs %d.%d or newer", cli->ep->url, v, DKR_API_MIN_MAJOR,
                 DKR_API_MIN_MINOR);
        dkr__request_complete(req, DKR_ERR_API_VERSION, NULL, req->errstr);
        return;
    }
    {
        char *copy = strdup(v);

        if (NULL == copy) {
            dkr__request_complete(req, DKR_ERR_OOM, NULL, "out of memory");
            return;
        }
        free(cli->api_version);
        cli->api_version = copy;
    }
    dkr__request_complete(req, DKR_OK, NULL, "");
}

/* An OpenSSL alert from the peer about the client's certificate, as curl
 * reports it ("...:sslv3 alert bad certificate", "tlsv13 alert certificate
 * required", "tlsv1 alert unknown ca", ...). */
static int tls_alert_refused(const char *detail)
{
    const char *a = strstr(detail, " alert ");

    return NULL != a && (NULL != strstr(a, "certificate") || NULL != strstr(a, "unknown ca"));
}

static void curl_outcome(dkr_request_t *req, CURLcode cc)
{
    dkr_client_t *cli = req->cli;
    const char *detail = req->curl_err[0] ? req->curl_err : curl_easy_strerror(cc);
    long oserr = 0;
    int rc;

    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &oserr);
        dkr__fmt(req->errstr, sizeof(req->errstr), "connect to %s: %s", where(cli),
                 oserr ? strerror((int)oserr) : detail);
        rc = DKR_ERR_CONNECT;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        dkr__fmt(req->errstr, sizeof(req->errstr), "%s %s on %s: no answer in time (%s)",
                 req->method, req->path, cli->ep->url, detail);
        rc = DKR_ERR_TIMEOUT;
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
#if LIBCURL_VERSION_NUM >= 0x074D00
    case CURLE_SSL_CLIENTCERT:
#endif
        if (CURLE_PEER_FAILED_VERIFICATION == cc || CURLE_SSL_CACERT_BADFILE == cc ||
            (CURLE_SSL_CONNECT_ERROR == cc && NULL != strstr(detail, "certificate problem"))) {
            dkr__fmt(req->errstr, sizeof(req->errstr), "TLS with %s: certificate verification "
                     "of the engine failed (CA: %s): %s", cli->ep->url,
                     NULL != cli->ep->ca ? cli->ep->ca : "the system's CAs", detail);
        } else {
            dkr__fmt(req->errstr, sizeof(req->errstr), "TLS with %s: %s", cli->ep->url, detail);
        }
        rc = DKR_ERR_TLS;
        break;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
        dkr__fmt(req->errstr, sizeof(req->errstr), "%s %s on %s: not an HTTP answer (%s)",
                 req->method, req->path, cli->ep->url, detail);
        rc = DKR_ERR_PROTOCOL;
        break;
    case CURLE_OUT_OF_MEMORY:
        dkr__fmt(req->errstr, sizeof(req->errstr), "out of memory in libcurl");
        rc = DKR_ERR_OOM;
        break;
    case CURLE_GOT_NOTHING:
        dkr__fmt(req->errstr, sizeof(req->errstr), "%s %s on %s: the connection closed "
                 "without an answer", req->method, req->path, cli->ep->url);
        rc = DKR_ERR_IO;
        break;
    default:  /* RECV_ERROR, SEND_ERROR, PARTIAL_FILE, ... */
        if (cli->ep->tls && tls_alert_refused(detail)) {
            /* The engine's TLS alert about our certificate arrives as a
             * read error after the handshake (TLS 1.3). */
            if (NULL == cli->ep->cert) {
                dkr__fmt(req->errstr, sizeof(req->errstr), "TLS with %s: the engine refused "
                         "the connection: it wants a client certificate and none was given "
                         "(no cert.pem and key.pem in the certificate directory): %s",
                         cli->ep->url, detail);
            } else {
                dkr__fmt(req->errstr, sizeof(req->errstr), "TLS with %s: the engine refused "
                         "the client certificate %s (expired, not yet valid, not signed by a "
                         "CA the engine trusts, or not for client authentication): %s",
                         cli->ep->url, cli->ep->cert, detail);
            }
            rc = DKR_ERR_TLS;
            break;
        }
        dkr__fmt(req->errstr, sizeof(req->errstr), "%s %s on %s: %s", req->method, req->path,
                 cli->ep->url, detail);
        rc = DKR_ERR_IO;
        break;
    }
    dkr__request_complete(req, rc, NULL, req->errstr);
}

void dkr__request_done(dkr_request_t *req, CURLcode cc)
{
    long st = 0;

    if (DKR_REQ_ACTIVE != req->state) {
        return;
    }
    if (CURLE_OK == curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &st) && st > 0) {
        req->status = st;
    }
    if (0 != req->fail_rc) {
        dkr__request_complete(req, req->fail_rc, NULL, req->fail_msg);
    } else if (CURLE_OK != cc) {
        curl_outcome(req, cc);
    } else if (DKR_KIND_PING == req->kind) {
        ping_outcome(req);
    } else {
        http_outcome(req);
    }
}
