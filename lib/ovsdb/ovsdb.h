/* ovsdb: a client for the OVSDB protocol (RFC 7047 plus the ovsdb-server
 * extensions of ovsdb-server(7)) on libevent, for one database.
 *
 * One 'struct ovsdb_client' is one logical session to one database over a
 * list of remotes. It keeps an in-memory replica of the tables it monitors,
 * runs transactions, and can hold one named lock. Everything happens on the
 * caller's event_base, in its thread; there are no hidden threads.
 *
 * Session. ovsdb_client_start() connects to the first remote. After the
 * transport is up the client (1) reads _Server's Database row for the
 * database (skipping, when several remotes are given, a clustered server
 * that is not the connected leader), (2) fetches the schema, (3) sends a
 * "monitor_cond" for every monitored table, then the lock request. When the
 * monitor reply (the snapshot) has been applied, the session is "synced".
 * Any failure drops the connection and retries with exponential backoff
 * (default 100 ms doubling to 4 s, reset once synced), rotating through the
 * remotes, forever. An idle connection is probed with "echo" (default after
 * 5 s of silence; no answer within another 5 s drops it); the server's own
 * "echo" requests are answered.
 *
 * Replica. Every row holds all monitored columns, including those at their
 * default value. Values are in RFC 7047 notation, canonical so that equal
 * data is equal JSON (json_equal()):
 *   - a scalar column (exactly one value, no map) holds the atom itself:
 *     a string, an integer, a real, a boolean, or ["uuid","..."];
 *   - every other column is ["set",[atoms...]] (even with 0 or 1 elements)
 *     or ["map",[[key,value]...]], sorted the way ovsdb-server sorts them
 *     (strings by bytes, numbers by value, uuids by text).
 * On reconnect the fresh snapshot replaces the replica, and row_changed()
 * reports exactly the differences (rows deleted while disconnected are
 * reported as deletes). While disconnected the replica stays readable, but
 * is stale: see ovsdb_client_is_synced().
 *
 * Callback order. For each update notification (and each snapshot) the
 * whole batch is applied first, then row_changed() is called once per
 * changed row, then batch_done(). After a snapshot, synced() follows
 * batch_done(). A lock reply comes after the snapshot, so lock_changed(true)
 * always finds a complete replica. ovsdb-server sends the update for a
 * client's own transaction before the transaction's reply (ovsdb-server(7)
 * section 4.1.5; tests/db checks it), so when a transaction callback runs,
 * the replica already reflects that transaction.
 *
 * Callbacks must not call ovsdb_client_destroy() on their own client; all
 * other calls are allowed. */
#ifndef LQ_OVSDB_H
#define LQ_OVSDB_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "strmap.h"

struct event_base;

struct ovsdb_client;

/* A replica row. Owned by the client; read-only for callers. A row's address
 * stays the same from its insertion to its deletion (modifications replace
 * 'columns', not the row). */
struct ovsdb_row {
    char uuid[37];
    json_t *columns; /* Object: column name -> value (see the notation above). */
};

enum ovsdb_change_kind { OVSDB_ROW_INSERT, OVSDB_ROW_MODIFY, OVSDB_ROW_DELETE };

/* Every callback may be NULL. 'aux' is the pointer given to create(). */
struct ovsdb_client_cbs {
    /* After (re)connecting: the snapshot was applied; the replica is complete. */
    void (*synced)(void *aux);
    /* A synced session was lost (called once per loss, not per failed retry). */
    void (*disconnected)(void *aux);
    /* One changed row, after its whole batch was applied. 'old' is NULL on
     * insert, 'new' is NULL on delete; both are valid only during the call.
     * On modify 'new' is the live replica row. */
    void (*row_changed)(void *aux, const char *table, enum ovsdb_change_kind kind,
                        const struct ovsdb_row *old, const struct ovsdb_row *new);
    /* After all row_changed() calls of one update notification or snapshot. */
    void (*batch_done)(void *aux);
    /* The lock was granted (true) or lost (false; also on disconnect). */
    void (*lock_changed)(void *aux, bool have_lock);
};

/* Creates a client for database 'db_name' (e.g. "OVN_Northbound") reachable
 * at 'remotes', a comma-separated list of "unix:PATH", "tcp:IP:PORT" and
 * "tcp:[IPv6]:PORT". 'cbs' is copied. Returns NULL (and logs) if 'remotes'
 * does not parse. Nothing happens until ovsdb_client_start(). Caller frees
 * with ovsdb_client_destroy(). */
struct ovsdb_client *ovsdb_client_create(struct event_base *base, const char *remotes,
                                         const char *db_name, const struct ovsdb_client_cbs *cbs,
                                         void *aux);
/* Closes the session and frees the client and its replica. Pending
 * transaction callbacks are not called. Accepts NULL. */
void ovsdb_client_destroy(struct ovsdb_client *client);

/* Replicates 'table': 'columns' is a NULL-terminated list, or NULL for every
 * column of the schema. Tables or columns the server's schema lacks are
 * skipped with a warning (so a newer client works with an older schema).
 * Meant to be called before start; called later, it reconnects. */
void ovsdb_client_monitor(struct ovsdb_client *client, const char *table,
                          const char *const *columns);

/* Tuning, before start. 'ms' 0 disables the probe (default 5000). */
void ovsdb_client_set_probe_interval(struct ovsdb_client *client, int ms);
/* Reconnect delay: starts at 'min_ms', doubles up to 'max_ms' (100, 4000). */
void ovsdb_client_set_backoff(struct ovsdb_client *client, int min_ms, int max_ms);

/* Connects, and keeps reconnecting until destroyed. */
void ovsdb_client_start(struct ovsdb_client *client);
/* Drops the current connection (if any) and reconnects now, to the next
 * remote. The callbacks of the loss (failed transactions, lock_changed(false),
 * disconnected()) run before it returns. */
void ovsdb_client_force_reconnect(struct ovsdb_client *client);

/* True once the transport to a remote is up (even before the snapshot). */
bool ovsdb_client_is_connected(const struct ovsdb_client *client);
/* True while the replica is complete and current, i.e. from synced() until
 * the connection is lost. Transactions are only sent in this state. */
bool ovsdb_client_is_synced(const struct ovsdb_client *client);
/* The remote of the current or latest connection attempt. */
const char *ovsdb_client_remote(const struct ovsdb_client *client);

/* The replica of 'table': a map from row uuid to 'struct ovsdb_row *', owned
 * by the client. NULL if 'table' is not monitored. Do not modify it. */
const struct strmap *ovsdb_client_table(const struct ovsdb_client *client, const char *table);
/* One replica row, or NULL. */
const struct ovsdb_row *ovsdb_client_get_row(const struct ovsdb_client *client, const char *table,
                                             const char *uuid);

/* Transaction callback: 'results' (borrowed, valid during the call) is the
 * server's result array on success, NULL on error. 'err' (borrowed) is NULL
 * on success. Error codes:
 *   LQ_UNAVAILABLE          not synced, or the connection was lost before the reply
 *   LQ_ALREADY_EXISTS       unique index violation ("constraint violation")
 *   LQ_ABORTED              a "wait" timed out, or an "abort" operation
 *   LQ_FAILED_PRECONDITION  referential integrity violation
 *   LQ_INVALID_ARGUMENT     other constraint violations, syntax/domain/range errors
 *   LQ_PERMISSION_DENIED    "not owner" (lock assertion) or RBAC refusal
 *   LQ_RESOURCE_EXHAUSTED, LQ_INTERNAL, LQ_UNKNOWN for the rest
 * The message is "<error>: <details>" as the server wrote them, followed by
 * " (operation N)" when a single operation failed. */
typedef void ovsdb_txn_cb(void *aux, const json_t *results, const struct lq_error *err);

/* Sends a "transact" of 'ops' (a JSON array of RFC 7047 operations, without
 * the database name); takes ownership of 'ops'. 'cb' is called exactly once,
 * never from inside this function (when the session is not synced it fails
 * with LQ_UNAVAILABLE from the event loop). Transactions are not retried:
 * after a disconnect the caller decides what to do. */
void ovsdb_client_transact(struct ovsdb_client *client, json_t *ops, ovsdb_txn_cb *cb, void *aux);

/* Requests the RFC 7047 lock 'lock_name' now (if connected) and after every
 * reconnect; lock_changed() reports the outcome. A client holds at most one
 * lock: a new name releases the old one. */
void ovsdb_client_lock(struct ovsdb_client *client, const char *lock_name);
/* Releases the lock (or the pending request) and stops re-requesting it.
 * Does not call lock_changed(). */
void ovsdb_client_unlock(struct ovsdb_client *client);
bool ovsdb_client_has_lock(const struct ovsdb_client *client);

/* Value helpers for replica rows. A single-element set counts as its
 * element, so they work on "optional" columns (min 0, max 1) too. */

/* The column's value, or NULL if the row has no such column. */
const json_t *ovsdb_row_get(const struct ovsdb_row *row, const char *column);
/* A string (or the text of a uuid); "" if absent, empty or of another type. */
const char *ovsdb_row_string(const struct ovsdb_row *row, const char *column);
/* An integer (reals truncated); 0 if absent or empty. */
long long ovsdb_row_int(const struct ovsdb_row *row, const char *column);
/* A boolean; false if absent or empty. */
bool ovsdb_row_bool(const struct ovsdb_row *row, const char *column);
/* The string (or uuid text) value of string key 'key' in map column
 * 'column'; NULL if absent. */
const char *ovsdb_row_map_get(const struct ovsdb_row *row, const char *column, const char *key);
/* The inner array of a set or map column (atoms, or [key, value] pairs),
 * borrowed; NULL if the column is absent or scalar. */
const json_t *ovsdb_row_elements(const struct ovsdb_row *row, const char *column);

/* Value builders for operations. All return a new reference, in the
 * canonical notation (sorted, duplicates removed; for a map the last value
 * of a key wins). Strings must be valid UTF-8 (anything else aborts). */

/* ["map",[[k,v]...]] from the first 'n' pairs of 'keys' and 'values'. */
json_t *ovsdb_string_map(const char *const *keys, const char *const *values, size_t n);
/* ["map",...] from a strmap whose values are 'const char *' strings. */
json_t *ovsdb_map_from_strmap(const struct strmap *map);
/* ["set",[...]] of 'n' strings. */
json_t *ovsdb_string_set(const char *const *v, size_t n);
/* ["set",[["uuid",...]...]] of 'n' uuid strings. */
json_t *ovsdb_uuid_set(const char *const *uuids, size_t n);
/* ["uuid","<uuid>"]. */
json_t *ovsdb_uuid(const char *uuid);
/* ["named-uuid","<name>"], to refer to a row inserted in the same transaction. */
json_t *ovsdb_named_uuid(const char *name);

#endif
