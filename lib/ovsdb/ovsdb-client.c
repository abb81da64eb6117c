/* The session of ovsdb.h: connection, handshake, monitors, transactions,
 * locks, inactivity probes and reconnection. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "ovsdb-jsonrpc.h"
#include "ovsdb-replica.h"
#include "ovsdb.h"
#include "util.h"

#define MOD "ovsdb"

/* Monitor ids on the wire; update notifications carry them. */
#define MONITOR_ID "lqnet"
#define SERVER_MONITOR_ID "lqnet-server"

enum state {
    S_IDLE,       /* Not started. */
    S_BACKOFF,    /* Waiting to connect. */
    S_CONNECTING, /* Transport connecting. */
    S_HANDSHAKE,  /* Reading _Server and the schema. */
    S_MONITORING, /* Monitor sent, waiting for the snapshot. */
    S_ACTIVE,     /* Synced. */
};

enum req_kind { REQ_SERVER, REQ_SCHEMA, REQ_MONITOR, REQ_LOCK, REQ_UNLOCK, REQ_TXN, REQ_ECHO };

struct request {
    struct request *next;
    long long id;
    enum req_kind kind;
    ovsdb_txn_cb *cb; /* REQ_TXN */
    void *aux;
    size_t n_ops;    /* REQ_TXN */
    char *lock_name; /* REQ_LOCK */
};

/* A transaction failed before it was sent, waiting to be reported from the loop. */
struct failure {
    struct failure *next;
    ovsdb_txn_cb *cb;
    void *aux;
    struct lq_error *err;
};

struct remote {
    char *name;
    struct sockaddr_storage ss;
    socklen_t len;
    bool tcp;
};

struct ovsdb_client {
    struct event_base *base;
    char *db_name;
    struct ovsdb_client_cbs cbs;
    void *aux;

    struct remote *remotes;
    size_t n_remotes, cur_remote;
    int probe_ms, backoff_min_ms, backoff_max_ms, backoff_ms;

    enum state state;
    unsigned int gen; /* Bumped on every disconnect: stale work checks it. */
    unsigned int sync_count;
    struct bufferevent *bev;
    struct ovsdb_jsonrpc_parser parser;
    bool have_server, have_schema;

    struct event *reconnect_timer;
    struct event *probe_timer;
    struct event *deferred;
    long long last_rx;
    bool probe_sent;

    long long next_id;
    struct request *requests, **requests_tail;
    struct failure *failures, **failures_tail;

    struct ovsdb_replica replica;
    struct ovsdb_replica server; /* _Server's Database row for 'db_name'. */

    char *lock_name;
    bool have_lock;
};

static void connect_now(struct ovsdb_client *c);
static void drop(struct ovsdb_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Remotes. */

static int
parse_remote(const char *s, struct remote *r)
{
    memset(r, 0, sizeof *r);
    if (lq_str_starts_with(s, "unix:")) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&r->ss;
        const char *path = s + 5;
        if (!*path || strlen(path) >= sizeof sun->sun_path) {
            return -EINVAL;
        }
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, path, strlen(path) + 1);
        r->len = sizeof *sun;
    } else if (lq_str_starts_with(s, "tcp:")) {
        const char *host = s + 4, *colon = strrchr(host, ':');
        if (!colon || colon == host) {
            return -EINVAL;
        }
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || port <= 0 || port > 65535) {
            return -EINVAL;
        }
        char *ip = xstrndup(host, (size_t)(colon - host));
        struct sockaddr_in *sin = (struct sockaddr_in *)&r->ss;
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&r->ss;
        size_t iplen = strlen(ip);
        int ok;
        if (ip[0] == '[' && iplen > 2 && ip[iplen - 1] == ']') {
            ip[iplen - 1] = '\0';
            ok = inet_pton(AF_INET6, ip + 1, &sin6->sin6_addr);
            sin6->sin6_family = AF_INET6;
            sin6->sin6_port = htons((uint16_t)port);
            r->len = sizeof *sin6;
        } else {
            ok = inet_pton(AF_INET, ip, &sin->sin_addr);
            sin->sin_family = AF_INET;
            sin->sin_port = htons((uint16_t)port);
            r->len = sizeof *sin;
        }
        free(ip);
        if (ok != 1) {
            return -EINVAL;
        }
        r->tcp = true;
    } else {
        return -EINVAL;
    }
    r->name = xstrdup(s);
    return 0;
}

static int
parse_remotes(struct ovsdb_client *c, const char *remotes)
{
    char *copy = xstrdup(remotes), *save = NULL;
    int error = 0;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        struct remote r;
        if (parse_remote(tok, &r)) {
            LOG_ERR(MOD, "bad remote \"%s\" (want unix:PATH or tcp:IP:PORT)", tok);
            error = -EINVAL;
            break;
        }
        c->remotes = xrealloc(c->remotes, (c->n_remotes + 1) * sizeof *c->remotes);
        c->remotes[c->n_remotes++] = r;
    }
    free(copy);
    return error ? error : c->n_remotes ? 0 : -EINVAL;
}

/* Sending. */

static void
send_json(struct ovsdb_client *c, json_t *msg)
{
    char *s = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (s && c->bev) {
        /* One piece per message: with TCP_NODELAY, split writes cost packets. */
        bufferevent_write(c->bev, s, strlen(s));
    }
    free(s);
}

static struct request *
send_request(struct ovsdb_client *c, enum req_kind kind, const char *method, json_t *params)
{
    struct request *r = xcalloc(1, sizeof *r);
    r->id = ++c->next_id;
    r->kind = kind;
    *c->requests_tail = r;
    c->requests_tail = &r->next;
    send_json(c, ovsdb_jsonrpc_request(method, params, r->id));
    return r;
}

static struct request *
take_request(struct ovsdb_client *c, const json_t *id)
{
    if (!json_is_integer(id)) {
        return NULL;
    }
    for (struct request **p = &c->requests; *p; p = &(*p)->next) {
        struct request *r = *p;
        if (r->id == json_integer_value(id)) {
            *p = r->next;
            if (!*p) {
                c->requests_tail = p;
            }
            r->next = NULL;
            return r;
        }
    }
    return NULL;
}

static void
request_free(struct request *r)
{
    if (r) {
        free(r->lock_name);
        free(r);
    }
}

/* Deferred transaction failures. */

static void
defer_failure(struct ovsdb_client *c, ovsdb_txn_cb *cb, void *aux, struct lq_error *err)
{
    struct failure *f = xcalloc(1, sizeof *f);
    f->cb = cb;
    f->aux = aux;
    f->err = err;
    *c->failures_tail = f;
    c->failures_tail = &f->next;
    event_active(c->deferred, EV_TIMEOUT, 0);
}

static void
deferred_cb(evutil_socket_t fd, short what, void *c_)
{
    (void)fd;
    (void)what;
    struct ovsdb_client *c = c_;
    struct failure *list = c->failures;
    c->failures = NULL;
    c->failures_tail = &c->failures;
    while (list) {
        struct failure *f = list;
        list = f->next;
        if (f->cb) {
            f->cb(f->aux, NULL, f->err);
        }
        lq_error_free(f->err);
        free(f);
    }
}

/* Transaction results. */

static enum lq_code
code_for(const char *error, const char *details)
{
    static const struct {
        const char *error;
        enum lq_code code;
    } map[] = {
        {"referential integrity violation", LQ_FAILED_PRECONDITION},
        {"timed out", LQ_ABORTED},
        {"aborted", LQ_ABORTED},
        {"not owner", LQ_PERMISSION_DENIED},
        {"permission error", LQ_PERMISSION_DENIED},
        {"resources exhausted", LQ_RESOURCE_EXHAUSTED},
        {"I/O error", LQ_UNAVAILABLE},
        {"canceled", LQ_UNAVAILABLE},
        {"unknown database", LQ_NOT_FOUND},
        {"duplicate uuid", LQ_ALREADY_EXISTS},
        {"syntax error", LQ_INVALID_ARGUMENT},
        {"syntax error or unknown column", LQ_INVALID_ARGUMENT},
        {"unknown table", LQ_INVALID_ARGUMENT},
        {"unknown column", LQ_INVALID_ARGUMENT},
        {"domain error", LQ_INVALID_ARGUMENT},
        {"range error", LQ_INVALID_ARGUMENT},
        {"ovsdb error", LQ_INVALID_ARGUMENT},
        {"internal error", LQ_INTERNAL},
    };
    if (!strcmp(error, "constraint violation")) {
        /* A unique index collision says "identical values ... for index". */
        return details && strstr(details, "identical values") ? LQ_ALREADY_EXISTS
                                                              : LQ_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < LQ_ARRAY_SIZE(map); i++) {
        if (!strcmp(error, map[i].error)) {
            return map[i].code;
        }
    }
    return LQ_UNKNOWN;
}

/* An error from a result element or an error reply: {"error":..., "details":...}
 * or a bare string. 'op' is the failed operation's index, or -1. */
static struct lq_error *
error_from_json(const json_t *json, long op)
{
    const char *error = json_is_string(json) ? json_string_value(json)
                                             : json_string_value(json_object_get(json, "error"));
    const char *details = json_string_value(json_object_get(json, "details"));
    char where[48] = "";
    if (!error) {
        error = "unknown error";
    }
    if (op >= 0) {
        snprintf(where, sizeof where, " (operation %ld)", op);
    }
    return lq_error_new(code_for(error, details), NULL, "%s%s%s%s", error, details ? ": " : "",
                        details ? details : "", where);
}

static void
finish_txn(struct request *r, const json_t *result, const json_t *error)
{
    struct lq_error *err = NULL;
    if (error && !json_is_null(error)) {
        err = error_from_json(error, -1);
    } else if (!json_is_array(result)) {
        err = lq_error_new(LQ_INTERNAL, NULL, "malformed transact reply");
    } else {
        size_t i;
        const json_t *elem;
        json_array_foreach(result, i, elem)
        {
            if (json_object_get(elem, "error")) {
                /* Past the last operation the error is the commit's own. */
                err = error_from_json(elem, i < r->n_ops ? (long)i : -1);
                break;
            }
        }
    }
    if (r->cb) {
        r->cb(r->aux, err ? NULL : result, err);
    }
    lq_error_free(err);
}

/* Connection life. */

static void
arm_probe(struct ovsdb_client *c, long long ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    event_add(c->probe_timer, &tv);
}

static long long
connect_timeout_ms(const struct ovsdb_client *c)
{
    return c->probe_ms > 0 ? c->probe_ms : 5000;
}

static void
schedule_reconnect(struct ovsdb_client *c, int delay_ms)
{
    struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
    c->state = S_BACKOFF;
    event_add(c->reconnect_timer, &tv);
}

static void
drop(struct ovsdb_client *c, const char *fmt, ...)
{
    if (c->state < S_CONNECTING) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *why = xvasprintf(fmt, ap);
    va_end(ap);
    bool was_synced = c->state == S_ACTIVE;
    if (was_synced) {
        LOG_WARN(MOD, "%s: %s: %s; reconnecting", c->db_name, c->remotes[c->cur_remote].name, why);
    } else {
        LQ_LOG_RL(LQ_LOG_INFO, MOD, "%s: %s: %s", c->db_name, c->remotes[c->cur_remote].name, why);
    }

    bufferevent_free(c->bev);
    c->bev = NULL;
    ovsdb_jsonrpc_parser_reset(&c->parser);
    c->gen++;
    event_del(c->probe_timer);
    bool had_lock = c->have_lock;
    c->have_lock = false;
    struct request *requests = c->requests;
    c->requests = NULL;
    c->requests_tail = &c->requests;

    c->cur_remote = (c->cur_remote + 1) % c->n_remotes;
    schedule_reconnect(c, c->backoff_ms);
    c->backoff_ms = c->backoff_ms * 2 > c->backoff_max_ms ? c->backoff_max_ms : c->backoff_ms * 2;

    /* State is consistent now: callbacks may call back into the client. */
    while (requests) {
        struct request *r = requests;
        requests = r->next;
        if (r->kind == REQ_TXN && r->cb) {
            struct lq_error *err =
                lq_error_new(LQ_UNAVAILABLE, NULL, "connection to the database lost: %s", why);
            r->cb(r->aux, NULL, err);
            lq_error_free(err);
        }
        request_free(r);
    }
    free(why);
    if (had_lock && c->cbs.lock_changed) {
        c->cbs.lock_changed(c->aux, false);
    }
    if (was_synced && c->cbs.disconnected) {
        c->cbs.disconnected(c->aux);
    }
}

static void
dispatch(struct ovsdb_client *c, struct ovsdb_changes *changes)
{
    for (size_t i = 0; c->cbs.row_changed && i < changes->n; i++) {
        const struct ovsdb_change *ch = &changes->v[i];
        struct ovsdb_row old;
        switch (ch->kind) {
        case OVSDB_ROW_INSERT:
            c->cbs.row_changed(c->aux, ch->table->name, ch->kind, NULL, ch->row);
            break;
        case OVSDB_ROW_MODIFY:
            memcpy(old.uuid, ch->row->uuid, sizeof old.uuid);
            old.columns = ch->old_columns;
            c->cbs.row_changed(c->aux, ch->table->name, ch->kind, &old, ch->row);
            break;
        case OVSDB_ROW_DELETE:
            c->cbs.row_changed(c->aux, ch->table->name, ch->kind, ch->row, NULL);
            break;
        }
    }
    ovsdb_changes_clear(changes);
    if (c->cbs.batch_done) {
        c->cbs.batch_done(c->aux);
    }
}

/* Returns NULL if the server is fine for 'db_name', else why not. */
static const char *
server_problem(const struct ovsdb_client *c)
{
    const struct strmap *rows = &ovsdb_replica_find(&c->server, "Database")->rows;
    for (struct strmap_node *n = strmap_first(rows); n; n = strmap_next(rows, n)) {
        const struct ovsdb_row *row = n->value;
        if (strcmp(ovsdb_row_string(row, "name"), c->db_name)) {
            continue;
        }
        if (strcmp(ovsdb_row_string(row, "model"), "clustered")) {
            return NULL;
        }
        /* With one remote a follower is still the best we have (and it
         * forwards writes to the leader). */
        if (c->n_remotes > 1 && !ovsdb_row_bool(row, "leader")) {
            return "not the cluster leader";
        }
        if (c->n_remotes > 1 && !ovsdb_row_bool(row, "connected")) {
            return "not connected to its cluster";
        }
        return NULL;
    }
    return "database not served here";
}

static void
send_lock(struct ovsdb_client *c)
{
    struct request *r = send_request(c, REQ_LOCK, "lock", json_pack("[s]", c->lock_name));
    r->lock_name = xstrdup(c->lock_name);
}

static void
maybe_monitor(struct ovsdb_client *c)
{
    if (!c->have_server || !c->have_schema) {
        return;
    }
    c->state = S_MONITORING;
    send_request(c, REQ_MONITOR, "monitor_cond",
                 json_pack("[s, s, o]", c->db_name, MONITOR_ID,
                           ovsdb_replica_monitor_requests(&c->replica)));
    if (c->lock_name) {
        send_lock(c);
    }
}

static void
set_lock(struct ovsdb_client *c, bool have)
{
    if (c->have_lock != have) {
        c->have_lock = have;
        LOG_INFO(MOD, "%s: lock %s %s", c->db_name, c->lock_name, have ? "acquired" : "lost");
        if (c->cbs.lock_changed) {
            c->cbs.lock_changed(c->aux, have);
        }
    }
}

static void
handle_reply(struct ovsdb_client *c, const json_t *msg)
{
    struct request *r = take_request(c, json_object_get(msg, "id"));
    if (!r) {
        LOG_DBG(MOD, "%s: reply to an unknown request", c->db_name);
        return;
    }
    const json_t *result = json_object_get(msg, "result");
    const json_t *error = json_object_get(msg, "error");
    bool failed = error && !json_is_null(error);
    struct ovsdb_changes changes;
    unsigned int gen = c->gen;
    ovsdb_changes_init(&changes);

    switch (r->kind) {
    case REQ_SERVER:
        if (!failed) {
            ovsdb_replica_apply_snapshot(&c->server, result, &changes);
            ovsdb_changes_clear(&changes);
            const char *problem = server_problem(c);
            if (problem) {
                drop(c, "%s", problem);
                break;
            }
        }
        /* A server without _Server (older than 2.9) is taken as standalone. */
        c->have_server = true;
        maybe_monitor(c);
        break;
    case REQ_SCHEMA:
        if (failed || !json_is_object(result)) {
            char *text = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
            drop(c, "get_schema failed: %s", text ? text : "?");
            free(text);
            break;
        }
        ovsdb_replica_set_schema(&c->replica, result);
        c->have_schema = true;
        maybe_monitor(c);
        break;
    case REQ_MONITOR:
        if (failed) {
            char *text = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
            drop(c, "monitor_cond failed: %s", text ? text : "?");
            free(text);
            break;
        }
        if (ovsdb_replica_apply_snapshot(&c->replica, result, &changes)) {
            LOG_WARN(MOD, "%s: parts of the snapshot were not understood", c->db_name);
        }
        c->state = S_ACTIVE;
        c->backoff_ms = c->backoff_min_ms;
        c->sync_count++;
        LOG_INFO(MOD, "%s: synced with %s", c->db_name, c->remotes[c->cur_remote].name);
        dispatch(c, &changes);
        if (c->gen == gen && c->cbs.synced) {
            c->cbs.synced(c->aux);
        }
        break;
    case REQ_LOCK:
        if (failed) {
            LOG_WARN(MOD, "%s: lock request failed", c->db_name);
        } else if (c->lock_name && !strcmp(c->lock_name, r->lock_name) &&
                   json_is_true(json_object_get(result, "locked"))) {
            set_lock(c, true);
        }
        break;
    case REQ_TXN:
        finish_txn(r, result, error);
        break;
    case REQ_UNLOCK:
    case REQ_ECHO:
        break;
    }
    request_free(r);
}

static void
handle_notification(struct ovsdb_client *c, const char *method, const json_t *params)
{
    const char *first = json_string_value(json_array_get(params, 0));
    if (!strcmp(method, "update2") && first) {
        bool main = !strcmp(first, MONITOR_ID);
        if (main ? c->state != S_ACTIVE : strcmp(first, SERVER_MONITOR_ID)) {
            return;
        }
        struct ovsdb_changes changes;
        ovsdb_changes_init(&changes);
        ovsdb_replica_apply_update2(main ? &c->replica : &c->server, json_array_get(params, 1),
                                    &changes);
        if (main) {
            dispatch(c, &changes);
            return;
        }
        ovsdb_changes_clear(&changes);
        const char *problem = server_problem(c);
        if (problem) {
            drop(c, "%s", problem);
        }
    } else if (!strcmp(method, "locked") && first && c->lock_name && !strcmp(first, c->lock_name)) {
        set_lock(c, true);
    } else if (!strcmp(method, "stolen") && first && c->lock_name && !strcmp(first, c->lock_name)) {
        set_lock(c, false);
    } else if (!strcmp(method, "monitor_canceled")) {
        drop(c, "server canceled the monitor");
    }
}

static void
handle_message(struct ovsdb_client *c, const json_t *msg)
{
    const char *method = json_string_value(json_object_get(msg, "method"));
    const json_t *id = json_object_get(msg, "id");
    if (!method) {
        handle_reply(c, msg);
    } else if (id && !json_is_null(id)) {
        if (!strcmp(method, "echo")) {
            send_json(c, ovsdb_jsonrpc_reply(json_incref(json_object_get(msg, "params")), id));
        } else {
            send_json(c, ovsdb_jsonrpc_error_reply("unknown method", id));
        }
    } else {
        handle_notification(c, method, json_object_get(msg, "params"));
    }
}

static void
read_cb(struct bufferevent *bev, void *c_)
{
    struct ovsdb_client *c = c_;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer_iovec v;
    while (evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len) {
        ovsdb_jsonrpc_parser_feed(&c->parser, v.iov_base, v.iov_len);
        evbuffer_drain(in, v.iov_len);
    }
    c->last_rx = lq_time_msec();
    c->probe_sent = false;

    unsigned int gen = c->gen;
    json_t *msg;
    int r = 0;
    while (c->gen == gen && (r = ovsdb_jsonrpc_parser_next(&c->parser, &msg)) > 0) {
        handle_message(c, msg);
        json_decref(msg);
    }
    if (c->gen == gen && r < 0) {
        drop(c, "protocol error: not a stream of JSON objects");
    }
}

static void
start_handshake(struct ovsdb_client *c)
{
    c->state = S_HANDSHAKE;
    c->have_server = c->have_schema = false;
    c->last_rx = lq_time_msec();
    c->probe_sent = false;
    event_del(c->probe_timer);
    if (c->probe_ms > 0) {
        arm_probe(c, c->probe_ms);
    }
    bufferevent_enable(c->bev, EV_READ);
    if (!strcmp(c->db_name, "_Server")) {
        c->have_server = true;
    } else {
        send_request(c, REQ_SERVER, "monitor_cond",
                     json_pack("[s, s, {s:[{s:[s, s, s, s], s:[[s, s, s]]}]}]", "_Server",
                               SERVER_MONITOR_ID, "Database", "columns", "name", "model",
                               "connected", "leader", "where", "name", "==", c->db_name));
    }
    send_request(c, REQ_SCHEMA, "get_schema", json_pack("[s]", c->db_name));
}

static void
event_cb(struct bufferevent *bev, short events, void *c_)
{
    (void)bev;
    struct ovsdb_client *c = c_;
    if (events & BEV_EVENT_CONNECTED) {
        start_handshake(c);
    } else if (events & BEV_EVENT_EOF) {
        drop(c, "connection closed by the server");
    } else if (events & BEV_EVENT_ERROR) {
        int e = EVUTIL_SOCKET_ERROR();
        drop(c, "%s", e ? strerror(e) : "connection error");
    }
}

static void
probe_cb(evutil_socket_t fd, short what, void *c_)
{
    (void)fd;
    (void)what;
    struct ovsdb_client *c = c_;
    long long idle = lq_time_msec() - c->last_rx;
    if (c->state == S_CONNECTING) {
        if (idle >= connect_timeout_ms(c)) {
            drop(c, "connection timed out");
        } else {
            arm_probe(c, connect_timeout_ms(c) - idle);
        }
        return;
    }
    if (c->probe_ms <= 0 || c->state < S_HANDSHAKE) {
        return;
    }
    if (idle < c->probe_ms) {
        arm_probe(c, c->probe_ms - idle);
    } else if (!c->probe_sent) {
        /* Nothing heard for a while: ask, and give the server another interval. */
        send_request(c, REQ_ECHO, "echo", json_pack("[]"));
        c->probe_sent = true;
        arm_probe(c, c->probe_ms);
    } else {
        drop(c, "no reply to the inactivity probe for %lld ms", idle);
    }
}

static void
connect_now(struct ovsdb_client *c)
{
    const struct remote *r = &c->remotes[c->cur_remote];
    event_del(c->reconnect_timer);
    c->state = S_CONNECTING;
    c->last_rx = lq_time_msec();
    ovsdb_jsonrpc_parser_reset(&c->parser);

    int fd = socket(r->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        LOG_ERR(MOD, "socket: %s", strerror(errno));
        c->state = S_BACKOFF;
        schedule_reconnect(c, c->backoff_max_ms);
        return;
    }
    if (r->tcp) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    c->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
    arm_probe(c, connect_timeout_ms(c));
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&r->ss, (int)r->len) < 0) {
        int e = errno;
        drop(c, "connect: %s", e ? strerror(e) : "failed");
    }
}

static void
reconnect_cb(evutil_socket_t fd, short what, void *c_)
{
    (void)fd;
    (void)what;
    connect_now(c_);
}

/* Public API. */

struct ovsdb_client *
ovsdb_client_create(struct event_base *base, const char *remotes, const char *db_name,
                    const struct ovsdb_client_cbs *cbs, void *aux)
{
    struct ovsdb_client *c = xcalloc(1, sizeof *c);
    if (parse_remotes(c, remotes)) {
        free(c->remotes);
        free(c);
        return NULL;
    }
    c->base = base;
    c->db_name = xstrdup(db_name);
    if (cbs) {
        c->cbs = *cbs;
    }
    c->aux = aux;
    c->probe_ms = 5000;
    c->backoff_min_ms = c->backoff_ms = 100;
    c->backoff_max_ms = 4000;
    c->requests_tail = &c->requests;
    c->failures_tail = &c->failures;
    ovsdb_jsonrpc_parser_init(&c->parser);
    c->reconnect_timer = event_new(base, -1, 0, reconnect_cb, c);
    c->probe_timer = event_new(base, -1, 0, probe_cb, c);
    c->deferred = event_new(base, -1, 0, deferred_cb, c);
    ovsdb_replica_init(&c->replica);
    ovsdb_replica_init(&c->server);
    static const char *const server_columns[] = {"name", "model", "connected", "leader", NULL};
    ovsdb_replica_add(&c->server, "Database", server_columns);
    json_t *server_schema =
        json_pack("{s:s, s:{s:{s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}}", "name", "_Server",
                  "tables", "Database", "columns", "name", "type", "string", "model", "type",
                  "string", "connected", "type", "boolean", "leader", "type", "boolean");
    ovsdb_replica_set_schema(&c->server, server_schema);
    json_decref(server_schema);
    return c;
}

void
ovsdb_client_destroy(struct ovsdb_client *c)
{
    if (!c) {
        return;
    }
    if (c->bev) {
        bufferevent_free(c->bev);
    }
    while (c->requests) {
        struct request *r = c->requests;
        c->requests = r->next;
        request_free(r);
    }
    while (c->failures) {
        struct failure *f = c->failures;
        c->failures = f->next;
        lq_error_free(f->err);
        free(f);
    }
    event_free(c->reconnect_timer);
    event_free(c->probe_timer);
    event_free(c->deferred);
    ovsdb_jsonrpc_parser_destroy(&c->parser);
    ovsdb_replica_destroy(&c->replica);
    ovsdb_replica_destroy(&c->server);
    for (size_t i = 0; i < c->n_remotes; i++) {
        free(c->remotes[i].name);
    }
    free(c->remotes);
    free(c->lock_name);
    free(c->db_name);
    free(c);
}

void
ovsdb_client_monitor(struct ovsdb_client *c, const char *table, const char *const *columns)
{
    ovsdb_replica_add(&c->replica, table, columns);
    if (c->state >= S_HANDSHAKE) {
        /* The handshake resolves columns against the schema: redo it. */
        ovsdb_client_force_reconnect(c);
    }
}

void
ovsdb_client_set_probe_interval(struct ovsdb_client *c, int ms)
{
    c->probe_ms = ms > 0 ? ms : 0;
}

void
ovsdb_client_set_backoff(struct ovsdb_client *c, int min_ms, int max_ms)
{
    c->backoff_min_ms = c->backoff_ms = min_ms > 1 ? min_ms : 1;
    c->backoff_max_ms = max_ms > c->backoff_min_ms ? max_ms : c->backoff_min_ms;
}

void
ovsdb_client_start(struct ovsdb_client *c)
{
    if (c->state == S_IDLE) {
        connect_now(c);
    }
}

void
ovsdb_client_force_reconnect(struct ovsdb_client *c)
{
    if (c->state == S_IDLE) {
        return;
    }
    drop(c, "reconnect requested");
    schedule_reconnect(c, 0);
}

bool
ovsdb_client_is_connected(const struct ovsdb_client *c)
{
    return c->state >= S_HANDSHAKE;
}

bool
ovsdb_client_is_synced(const struct ovsdb_client *c)
{
    return c->state == S_ACTIVE;
}

const char *
ovsdb_client_remote(const struct ovsdb_client *c)
{
    return c->remotes[c->cur_remote].name;
}

const struct strmap *
ovsdb_client_table(const struct ovsdb_client *c, const char *table)
{
    struct ovsdb_replica_table *t = ovsdb_replica_find(&c->replica, table);
    return t ? &t->rows : NULL;
}

const struct ovsdb_row *
ovsdb_client_get_row(const struct ovsdb_client *c, const char *table, const char *uuid)
{
    const struct strmap *rows = ovsdb_client_table(c, table);
    return rows ? strmap_get(rows, uuid) : NULL;
}

void
ovsdb_client_transact(struct ovsdb_client *c, json_t *ops, ovsdb_txn_cb *cb, void *aux)
{
    if (!json_is_array(ops)) {
        defer_failure(c, cb, aux,
                      lq_error_new(LQ_INVALID_ARGUMENT, NULL, "operations must be an array"));
    } else if (c->state != S_ACTIVE) {
        defer_failure(
            c, cb, aux,
            lq_error_new(LQ_UNAVAILABLE, NULL, "not connected to database %s", c->db_name));
    } else {
        json_t *params = json_pack("[s]", c->db_name);
        json_array_extend(params, ops);
        struct request *r = send_request(c, REQ_TXN, "transact", params);
        r->cb = cb;
        r->aux = aux;
        r->n_ops = json_array_size(ops);
    }
    json_decref(ops);
}

void
ovsdb_client_lock(struct ovsdb_client *c, const char *lock_name)
{
    if (c->lock_name && !strcmp(c->lock_name, lock_name)) {
        return;
    }
    ovsdb_client_unlock(c);
    c->lock_name = xstrdup(lock_name);
    if (c->state >= S_MONITORING) {
        send_lock(c);
    }
}

void
ovsdb_client_unlock(struct ovsdb_client *c)
{
    if (!c->lock_name) {
        return;
    }
    if (c->state >= S_MONITORING) {
        send_request(c, REQ_UNLOCK, "unlock", json_pack("[s]", c->lock_name));
    }
    free(c->lock_name);
    c->lock_name = NULL;
    c->have_lock = false;
}

bool
ovsdb_client_has_lock(const struct ovsdb_client *c)
{
    return c->have_lock;
}
