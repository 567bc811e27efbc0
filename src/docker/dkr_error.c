/*
 * dkr_error.c - names for return codes and the API version comparison.
 */
#include <stdlib.h>
#include <ctype.h>

#include "dkr.h"

const char *dkr_strerror(int rc)
{
    switch (rc) {
    case DKR_OK: return "success";
    case DKR_ERR_OOM: return "out of memory";
    case DKR_ERR_ARG: return "bad argument";
    case DKR_ERR_CONNECT: return "connection failed";
    case DKR_ERR_TIMEOUT: return "timed out";
    case DKR_ERR_TLS: return "TLS failure";
    case DKR_ERR_PROTOCOL: return "protocol error";
    case DKR_ERR_HTTP: return "unexpected HTTP status";
    case DKR_ERR_NOT_FOUND: return "not found";
    case DKR_ERR_CONFLICT: return "conflict";
    case DKR_ERR_API_VERSION: return "API version not supported";
    case DKR_ERR_CANCELLED: return "cancelled";
    case DKR_ERR_IO: return "I/O error";
    default: return "unknown error";
    }
}

/* Reads a decimal number of at most 6 digits; NULL when there is none. */
static const char *read_num(const char *p, int *out)
{
    int n = 0, digits = 0;

    while (isdigit((unsigned char)*p)) {
        if (++digits > 6) {
            return NULL;
        }
        n = n * 10 + (*p++ - '0');
    }
    if (0 == digits) {
        return NULL;
    }
    *out = n;
    return p;
}

int dkr_api_version_cmp(const char *v, int major, int minor)
{
    int ma, mi;

    if (NULL == v || NULL == (v = read_num(v, &ma)) || '.' != *v++ ||
        NULL == (v = read_num(v, &mi)) || '\0' != *v) {
        return -2;
    }
    if (ma != major) {
        return ma < major ? -1 : 1;
    }
    if (mi != minor) {
        return mi < minor ? -1 : 1;
    }
    return 0;
}
