#include "ovsdb-jsonrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void
ovsdb_jsonrpc_parser_init(struct ovsdb_jsonrpc_parser *p)
{
    memset(p, 0, sizeof *p);
}

void
ovsdb_jsonrpc_parser_destroy(struct ovsdb_jsonrpc_parser *p)
{
    free(p->buf);
    ovsdb_jsonrpc_parser_init(p);
}

void
ovsdb_jsonrpc_parser_reset(struct ovsdb_jsonrpc_parser *p)
{
    p->start = p->scan = p->len = 0;
    p->depth = 0;
    p->in_string = p->escape = false;
}

void
ovsdb_jsonrpc_parser_feed(struct ovsdb_jsonrpc_parser *p, const void *data, size_t n)
{
    if (p->start > 0 && (p->start == p->len || p->start >= p->cap / 2)) {
        /* Compact before growing: consumed bytes are dead. */
        memmove(p->buf, p->buf + p->start, p->len - p->start);
        p->len -= p->start;
        p->scan -= p->start;
        p->start = 0;
    }
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + n) {
            cap *= 2;
        }
        p->buf = xrealloc(p->buf, cap);
        p->cap = cap;
    }
    memcpy(p->buf + p->len, data, n);
    p->len += n;
}

size_t
ovsdb_jsonrpc_parser_pending(const struct ovsdb_jsonrpc_parser *p)
{
    return p->len - p->start;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
ovsdb_jsonrpc_parser_next(struct ovsdb_jsonrpc_parser *p, json_t **msg)
{
    *msg = NULL;
    while (p->scan < p->len) {
        char c = p->buf[p->scan++];
        if (p->depth == 0) {
            if (is_space(c)) {
                p->start = p->scan;
                continue;
            }
            if (c != '{') {
                return -EPROTO;
            }
            p->depth = 1;
        } else if (p->in_string) {
            if (p->escape) {
                p->escape = false;
            } else if (c == '\\') {
                p->escape = true;
            } else if (c == '"') {
                p->in_string = false;
            }
        } else if (c == '"') {
            p->in_string = true;
        } else if (c == '{' || c == '[') {
            p->depth++;
        } else if (c == '}' || c == ']') {
            if (--p->depth == 0) {
                json_error_t error;
                json_t *json = json_loadb(p->buf + p->start, p->scan - p->start, 0, &error);
                p->start = p->scan;
                if (!json || !json_is_object(json)) {
                    json_decref(json);
                    return -EPROTO;
                }
                *msg = json;
                return 1;
            }
        }
    }
    return 0;
}

json_t *
ovsdb_jsonrpc_request(const char *method, json_t *params, long long id)
{
    return json_pack("{s:s, s:o, s:I}", "method", method, "params", params, "id", (json_int_t)id);
}

json_t *
ovsdb_jsonrpc_notify(const char *method, json_t *params)
{
    return json_pack("{s:s, s:o, s:n}", "method", method, "params", params, "id");
}

json_t *
ovsdb_jsonrpc_reply(json_t *result, const json_t *id)
{
    return json_pack("{s:o, s:n, s:O}", "result", result, "error", "id", id);
}

json_t *
ovsdb_jsonrpc_error_reply(const char *error, const json_t *id)
{
    return json_pack("{s:n, s:s, s:O}", "result", "error", error, "id", id);
}
