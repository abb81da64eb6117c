/* ovsdb-jsonrpc: JSON-RPC 1.0 framing as ovsdb-server speaks it: messages
 * are JSON objects written back to back on a byte stream, with no length or
 * delimiter. Internal to the ovsdb module (pure, no I/O). */
#ifndef LQ_OVSDB_JSONRPC_H
#define LQ_OVSDB_JSONRPC_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Incremental splitter: feed it bytes as they arrive, take out whole
 * messages. It finds a message's end by tracking bracket depth outside of
 * strings, so each byte is scanned once however the input is split, and
 * jansson parses each message exactly once. */
struct ovsdb_jsonrpc_parser {
    char *buf;
    size_t start; /* First byte of the message being scanned. */
    size_t scan;  /* Next byte to scan. */
    size_t len, cap;
    int depth;
    bool in_string, escape;
};

void ovsdb_jsonrpc_parser_init(struct ovsdb_jsonrpc_parser *p);
void ovsdb_jsonrpc_parser_destroy(struct ovsdb_jsonrpc_parser *p);
/* Forgets any buffered bytes (for a new connection). */
void ovsdb_jsonrpc_parser_reset(struct ovsdb_jsonrpc_parser *p);
/* Appends 'n' bytes of input. */
void ovsdb_jsonrpc_parser_feed(struct ovsdb_jsonrpc_parser *p, const void *data, size_t n);
/* Takes out the next complete message: returns 1 and sets '*msg' (caller
 * decrefs), 0 if more input is needed, or -EPROTO if the stream is not a
 * sequence of JSON objects (the connection is then useless). */
int ovsdb_jsonrpc_parser_next(struct ovsdb_jsonrpc_parser *p, json_t **msg);
/* Bytes buffered but not yet returned as messages. */
size_t ovsdb_jsonrpc_parser_pending(const struct ovsdb_jsonrpc_parser *p);

/* Message builders: each returns a new object (takes ownership of 'params',
 * 'result'). 'id' of a request is an integer; of a reply, borrowed. */
json_t *ovsdb_jsonrpc_request(const char *method, json_t *params, long long id);
json_t *ovsdb_jsonrpc_notify(const char *method, json_t *params);
json_t *ovsdb_jsonrpc_reply(json_t *result, const json_t *id);
json_t *ovsdb_jsonrpc_error_reply(const char *error, const json_t *id);

#endif
