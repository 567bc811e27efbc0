/*
 * dkr_util.c - small helpers: a growing buffer, bounded formatting, escaping.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkr_private.h"

int dkr__buf_append(dkr_buf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *d;

        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        if (NULL == (d = realloc(b->data, cap))) {
            return DKR_ERR_OOM;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return DKR_OK;
}

void dkr__buf_free(dkr_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void dkr__fmt(char *dst, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (0 == len) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(dst, len, fmt, ap);
    va_end(ap);
}

char *dkr__strdup(const char *s)
{
    return NULL == s ? NULL : strdup(s);
}

double dkr__now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* RFC 3986 unreserved characters pass, everything else becomes %XX: safe in
 * a query value and in one path segment alike. */
char *dkr_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    const unsigned char *p;
    char *out, *o;

    if (NULL == s) {
        return NULL;
    }
    for (p = (const unsigned char *)s; *p; p++) {
        n++;
    }
    if (NULL == (out = malloc(3 * n + 1))) {
        return NULL;
    }
    for (o = out, p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || '-' == *p || '.' == *p || '_' == *p || '~' == *p) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

char *dkr_path(const char *prefix, const char *s, const char *tail)
{
    char *esc = dkr_escape(s), *p = NULL;
    size_t n;

    if (NULL != esc && NULL != (p = malloc(n = strlen(prefix) + strlen(esc) + strlen(tail) + 1))) {
        snprintf(p, n, "%s%s%s", prefix, esc, tail);
    }
    free(esc);
    return p;
}
