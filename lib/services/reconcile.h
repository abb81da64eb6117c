/* reconcile: drives translate + diff + the Northbound database. Each pass
 * computes the Northbound rows lqnet wants from the store, diffs them with
 * the Northbound replica and, when this lqnetd holds the reconciler lock,
 * sends the difference as one transaction. The same pass serves first
 * start, reconnects, drift repair and ordinary changes. */
#ifndef LQ_RECONCILE_H
#define LQ_RECONCILE_H 1

#include <stdbool.h>

#include "translate.h"

struct event_base;
struct ovsdb_client;
struct ovsdb_row;
struct store;

/* 'lock_db' is the connection that holds the "lqnet_reconciler" lock;
 * 'sb' gives port bindings. */
struct reconciler *reconciler_create(struct event_base *base, struct ovsdb_client *nb,
                                     struct ovsdb_client *sb, struct ovsdb_client *lock_db,
                                     const struct store *store, const struct translate_config *cfg);
void reconciler_destroy(struct reconciler *r);
/* Schedules a pass (coalesced with others). */
void reconciler_kick(struct reconciler *r);
/* Resource 'id' (a network or a port) changed in the store: its rows are
 * recomputed at the next pass, and it is not ready until then. */
void reconciler_mark(struct reconciler *r, const char *id);
/* A network changed: it and every port on it (whose rows depend on it). */
void reconciler_mark_network(struct reconciler *r, const char *id);
/* Diffs every row at the next pass (after a resync of Northbound). */
void reconciler_check_all(struct reconciler *r);
/* Whether the Northbound row 'key' ("kind:owner[/sub]") of 'table', owned by
 * 'owner', exists and is as lqnet wants it. */
bool reconciler_row_ready(const struct reconciler *r, const char *table, const char *owner,
                          const char *key);
/* Why a Northbound row of resource 'owner' cannot be written (the
 * database's error), or NULL. */
const char *reconciler_error(const struct reconciler *r, const char *owner);
/* Whether every Northbound row of resource 'owner' is as lqnet wants it. */
bool reconciler_is_ready(const struct reconciler *r, const char *owner);

/* Feeds a Northbound or Southbound row change (keeps lookup indexes). */
void reconciler_row_changed(struct reconciler *r, const char *table, const struct ovsdb_row *old,
                            const struct ovsdb_row *new);

/* The chassis where router 'id's gateway port is active, or NULL. */
const char *reconciler_gateway_host(const struct reconciler *r, const char *id);

/* Where a port is bound, from the Northbound and Southbound replicas;
 * 'chassis' points into the replica (valid until it changes). */
struct port_state {
    bool up;
    const char *chassis;
};
void reconciler_port_state(const struct reconciler *r, const char *port_id, struct port_state *out);

#endif
