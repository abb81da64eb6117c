#include "reconcile.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "error.h"
#include "log.h"
#include "metrics.h"
#include "ovsdb.h"
#include "store.h"
#include "util.h"

struct reconciler {
    struct event_base *base;
    struct ovsdb_client *nb;
    struct ovsdb_client *sb;
    struct ovsdb_client *lock_db;
    const struct store *store;
    struct translate_config cfg;
    struct event *pass;
    bool in_flight; /* a transaction is out */
    bool again;     /* something changed while it was */
    struct strmap ready; /* owners whose rows all matched at the last pass */
    struct strmap lsp_by_name;  /* LSP name -> row uuid (malloc'd) */
    struct strmap pb_by_port;   /* Port_Binding logical_port -> row uuid */
};

static void run_pass(evutil_socket_t fd, short what, void *r_);

struct reconciler *
reconciler_create(struct event_base *base, struct ovsdb_client *nb, struct ovsdb_client *sb,
                  struct ovsdb_client *lock_db, const struct store *store,
                  const struct translate_config *cfg)
{
    struct reconciler *r = xcalloc(1, sizeof *r);
    r->base = base;
    r->nb = nb;
    r->sb = sb;
    r->lock_db = lock_db;
    r->store = store;
    r->cfg = *cfg;
    r->pass = event_new(base, -1, 0, run_pass, r);
    strmap_init(&r->ready);
    strmap_init(&r->lsp_by_name);
    strmap_init(&r->pb_by_port);
    return r;
}

void
reconciler_destroy(struct reconciler *r)
{
    if (r) {
        event_free(r->pass);
        strmap_destroy(&r->ready);
        strmap_destroy_with(&r->lsp_by_name, free);
        strmap_destroy_with(&r->pb_by_port, free);
        free(r);
    }
}

void
reconciler_kick(struct reconciler *r)
{
    if (r->in_flight) {
        r->again = true;
    } else if (!event_pending(r->pass, EV_TIMEOUT, NULL)) {
        event_active(r->pass, 0, 0);
    }
}

void
reconciler_touch(struct reconciler *r, const char *owner)
{
    strmap_remove(&r->ready, owner);
}

bool
reconciler_is_ready(const struct reconciler *r, const char *owner)
{
    return strmap_contains(&r->ready, owner);
}

void
reconciler_port_state(const struct reconciler *r, const char *port_id, struct port_state *out)
{
    const char *lsp = strmap_get(&r->lsp_by_name, port_id);
    const char *pb = strmap_get(&r->pb_by_port, port_id);
    const struct ovsdb_row *row = lsp ? ovsdb_client_get_row(r->nb, "Logical_Switch_Port", lsp)
                                      : NULL;
    out->up = row && ovsdb_row_bool(row, "up");
    out->chassis = NULL;
    row = pb ? ovsdb_client_get_row(r->sb, "Port_Binding", pb) : NULL;
    const char *chassis = row ? ovsdb_row_string(row, "chassis") : "";
    const struct ovsdb_row *ch = *chassis ? ovsdb_client_get_row(r->sb, "Chassis", chassis) : NULL;
    out->chassis = ch ? ovsdb_row_string(ch, "name") : NULL;
}

static void
index_row(struct strmap *index, const char *column, const struct ovsdb_row *old,
          const struct ovsdb_row *new)
{
    if (old) {
        free(strmap_remove(index, ovsdb_row_string(old, column)));
    }
    if (new) {
        free(strmap_put(index, ovsdb_row_string(new, column), xstrdup(new->uuid)));
    }
}

void
reconciler_row_changed(struct reconciler *r, const char *table, const struct ovsdb_row *old,
                       const struct ovsdb_row *new)
{
    if (!strcmp(table, "Logical_Switch_Port")) {
        index_row(&r->lsp_by_name, "name", old, new);
    } else if (!strcmp(table, "Port_Binding")) {
        index_row(&r->pb_by_port, "logical_port", old, new);
    }
}

static const struct strmap *
nb_table(void *r_, const char *table)
{
    struct reconciler *r = r_;
    return ovsdb_client_table(r->nb, table);
}

static void
txn_done(void *r_, const json_t *results, const struct lq_error *err)
{
    struct reconciler *r = r_;
    (void) results;
    r->in_flight = false;
    metrics_counter_add(err ? "lqnet_reconcile_transactions_total{result=\"error\"}"
                            : "lqnet_reconcile_transactions_total{result=\"ok\"}",
                        "Northbound transactions sent by the reconciler", 1);
    if (err) {
        LQ_LOG_RL(LQ_LOG_WARN, "reconcile", "Northbound transaction failed: %s", err->message);
        /* Retry after a pause rather than spin on a persistent error. */
        struct timeval tv = { 1, 0 };
        event_add(r->pass, &tv);
        return;
    }
    /* The replica already reflects the transaction: check again. */
    r->again = false;
    reconciler_kick(r);
}

static void
run_pass(evutil_socket_t fd, short what, void *r_)
{
    struct reconciler *r = r_;
    (void) fd;
    (void) what;
    if (r->in_flight || !ovsdb_client_is_synced(r->nb)) {
        return;
    }
    long long start = lq_time_msec();
    struct nb_desired *desired = translate_build(r->store, &r->cfg);
    struct strmap dirty = STRMAP_INITIALIZER;
    json_t *ops = diff_compute(desired, nb_table, r, &dirty);

    strmap_destroy(&r->ready);
    strmap_init(&r->ready);
    for (struct strmap_node *n = strmap_first(&desired->rows); n;
         n = strmap_next(&desired->rows, n)) {
        const struct nb_row *row = n->value;
        if (!strmap_contains(&dirty, row->owner)) {
            strmap_put(&r->ready, row->owner, NULL);
        }
    }
    size_t n_ops = json_array_size(ops);
    metrics_observe("lqnet_reconcile_duration_seconds", "",
                    "Time to compute one reconcile pass",
                    (double) (lq_time_msec() - start) / 1000.0);
    metrics_counter_add("lqnet_reconcile_passes_total", "Reconcile passes", 1);
    metrics_gauge_set("lqnet_reconcile_pending_resources", "Resources not yet in Northbound",
                      (double) strmap_count(&dirty));
    if (n_ops && ovsdb_client_has_lock(r->lock_db)) {
        LOG_DBG("reconcile", "sending %zu operations", n_ops);
        r->in_flight = true;
        ovsdb_client_transact(r->nb, ops, txn_done, r);
    } else {
        json_decref(ops);
    }
    strmap_destroy(&dirty);
    translate_destroy(desired);
}
