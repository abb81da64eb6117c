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

/* The reconciler keeps the desired rows and an index of lqnet's rows in
 * the Northbound replica up to date as changes arrive, and each pass
 * recomputes and diffs only what changed: the resources marked since the
 * last pass and the Northbound rows someone else touched. */
struct reconciler {
    struct event_base *base;
    struct ovsdb_client *nb;
    struct ovsdb_client *sb;
    struct ovsdb_client *lock_db;
    const struct store *store;
    struct translate_config cfg;
    struct event *pass;
    int in_flight; /* transactions out: the next pass waits for them */
    /* Rows whose transaction failed: "TABLE|KEY" -> the error (malloc'd).
     * They are retried one by one, once a second, so that one bad row
     * (say, a name someone else took in Northbound) neither blocks the
     * others nor goes unnoticed: its resource's status says ERROR. */
    struct strmap failed;
    struct strmap batch;  /* the keys of the batch transaction out */
    long long next_retry; /* when failed rows may be tried again (msec) */
    long long next_pass;  /* passes no sooner than this (msec): see reconciler_kick() */
    struct nb_desired *desired;
    struct strmap index;       /* lqnet's Northbound rows: see diff_index_add() */
    struct strmap marked;      /* resources to translate again */
    struct strmap check;       /* "TABLE|KEY" to diff */
    struct strmap pending;     /* "TABLE|KEY" not (yet) matching Northbound */
    struct strmap lsp_by_name; /* LSP name -> row uuid (malloc'd) */
    struct strmap pb_by_port;  /* Port_Binding logical_port -> row uuid */
};

static void run_pass(evutil_socket_t fd, short what, void *r_);
static const char *port_chassis(void *r_, const char *port_id);

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
    r->cfg.chassis = ovsdb_client_table(sb, "Chassis");
    r->cfg.port_chassis = port_chassis;
    r->cfg.aux = r;
    r->pass = event_new(base, -1, 0, run_pass, r);
    r->desired = translate_new();
    strmap_init(&r->index);
    strmap_init(&r->marked);
    strmap_init(&r->check);
    strmap_init(&r->pending);
    strmap_init(&r->failed);
    strmap_init(&r->batch);
    strmap_init(&r->lsp_by_name);
    strmap_init(&r->pb_by_port);
    return r;
}

void
reconciler_destroy(struct reconciler *r)
{
    if (r) {
        event_free(r->pass);
        translate_destroy(r->desired);
        diff_index_destroy(&r->index);
        strmap_destroy(&r->marked);
        strmap_destroy(&r->check);
        strmap_destroy(&r->pending);
        strmap_destroy_with(&r->failed, free);
        strmap_destroy(&r->batch);
        strmap_destroy_with(&r->lsp_by_name, free);
        strmap_destroy_with(&r->pb_by_port, free);
        free(r);
    }
}

void
reconciler_kick(struct reconciler *r)
{
    /* While transactions are out, settle() kicks again when they are back. */
    if (r->in_flight) {
        return;
    }
    /* A pass costs more as groups and switches grow: leave the loop at
     * least as long for API calls as the last pass took, so that a burst of
     * changes is served and then handled in few passes. */
    long long wait = r->next_pass - lq_time_msec();
    if (wait > 0) {
        struct timeval tv = {0, (suseconds_t)(wait * 1000)};
        event_add(r->pass, &tv);
    } else {
        event_active(r->pass, 0, 0);
    }
}

void
reconciler_mark(struct reconciler *r, const char *id)
{
    strmap_put(&r->marked, id, NULL);
    /* Until the next pass has looked, the resource is not in place. */
    struct strmap *keys = strmap_get(&r->desired->owners, id);
    for (struct strmap_node *n = keys ? strmap_first(keys) : NULL; n; n = strmap_next(keys, n)) {
        strmap_put(&r->pending, n->key, NULL);
    }
}

void
reconciler_mark_network(struct reconciler *r, const char *id)
{
    reconciler_mark(r, id);
    const struct store_network *sn = store_network(r->store, id);
    for (struct strmap_node *n = sn ? strmap_first(&sn->ports) : NULL; n;
         n = strmap_next(&sn->ports, n)) {
        reconciler_mark(r, n->key);
    }
}

void
reconciler_check_all(struct reconciler *r)
{
    const struct strmap *maps[] = {&r->desired->rows, &r->index};
    for (size_t i = 0; i < LQ_ARRAY_SIZE(maps); i++) {
        for (struct strmap_node *n = strmap_first(maps[i]); n; n = strmap_next(maps[i], n)) {
            strmap_put(&r->check, n->key, NULL);
        }
    }
}

bool
reconciler_row_ready(const struct reconciler *r, const char *table, const char *owner,
                     const char *sub)
{
    char *key = xasprintf("%s|%s", table, sub);
    bool ready = strmap_contains(&r->desired->rows, key) && !strmap_contains(&r->pending, key) &&
                 !strmap_contains(&r->marked, owner);
    free(key);
    return ready;
}

const char *
reconciler_error(const struct reconciler *r, const char *owner)
{
    const struct strmap *keys = strmap_get(&r->desired->owners, owner);
    for (struct strmap_node *n = keys ? strmap_first(keys) : NULL; n; n = strmap_next(keys, n)) {
        const char *msg = strmap_get(&r->failed, n->key);
        if (msg) {
            return msg;
        }
    }
    return NULL;
}

bool
reconciler_is_ready(const struct reconciler *r, const char *owner)
{
    const struct strmap *keys = strmap_get(&r->desired->owners, owner);
    if (!keys || strmap_contains(&r->marked, owner)) {
        return false;
    }
    for (struct strmap_node *n = strmap_first(keys); n; n = strmap_next(keys, n)) {
        if (strmap_contains(&r->pending, n->key)) {
            return false;
        }
    }
    return true;
}

void
reconciler_port_state(const struct reconciler *r, const char *port_id, struct port_state *out)
{
    const char *lsp = strmap_get(&r->lsp_by_name, port_id);
    const char *pb = strmap_get(&r->pb_by_port, port_id);
    const struct ovsdb_row *row =
        lsp ? ovsdb_client_get_row(r->nb, "Logical_Switch_Port", lsp) : NULL;
    out->up = row && ovsdb_row_bool(row, "up");
    out->chassis = NULL;
    row = pb ? ovsdb_client_get_row(r->sb, "Port_Binding", pb) : NULL;
    const char *chassis = row ? ovsdb_row_string(row, "chassis") : "";
    const struct ovsdb_row *ch = *chassis ? ovsdb_client_get_row(r->sb, "Chassis", chassis) : NULL;
    out->chassis = ch ? ovsdb_row_string(ch, "name") : NULL;
}

const char *
reconciler_gateway_host(const struct reconciler *r, const char *id)
{
    /* northd binds the gateway port's chassis-redirect port "cr-<port>". */
    char *port = translate_gateway_port_name(id);
    char *name = xasprintf("cr-%s", port);
    const char *pb = strmap_get(&r->pb_by_port, name);
    free(name);
    free(port);
    const struct ovsdb_row *row = pb ? ovsdb_client_get_row(r->sb, "Port_Binding", pb) : NULL;
    const char *chassis = row ? ovsdb_row_string(row, "chassis") : "";
    const struct ovsdb_row *ch = *chassis ? ovsdb_client_get_row(r->sb, "Chassis", chassis) : NULL;
    return ch ? ovsdb_row_string(ch, "name") : NULL;
}

static const char *
port_chassis(void *r_, const char *port_id)
{
    struct port_state state;
    reconciler_port_state(r_, port_id, &state);
    return state.chassis;
}

/* A port with a floating IP moved host: its router's NAT may change. */
static void
mark_fip_routers(struct reconciler *r, const char *port_id)
{
    const struct strmap *fips = store_fips(r->store);
    for (struct strmap_node *n = strmap_first(fips); n; n = strmap_next(fips, n)) {
        const PB(FloatingIp) *fip = ((const struct store_fip *)n->value)->fip;
        if (!fip->assignment || strcmp(fip->assignment->port_id, port_id)) {
            continue;
        }
        const struct strmap *routers = store_routers(r->store);
        for (struct strmap_node *m = strmap_first(routers); m; m = strmap_next(routers, m)) {
            const struct store_router *rt = m->value;
            if (!strcmp(rt->external_network, fip->external_network_id)) {
                reconciler_mark(r, rt->id);
            }
        }
    }
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

/* Someone (maybe us) changed lqnet's row 'row': diff its key again. */
static void
check_row(struct reconciler *r, const char *table, const struct ovsdb_row *row)
{
    char *key = row ? diff_row_key(table, row) : NULL;
    if (key) {
        strmap_put(&r->check, key, NULL);
        free(key);
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
        const struct ovsdb_row *row = new ? new : old;
        if (!old || !new ||
            strcmp(ovsdb_row_string(old, "chassis"), ovsdb_row_string(new, "chassis"))) {
            mark_fip_routers(r, ovsdb_row_string(row, "logical_port"));
        }
        return;
    } else if (!strcmp(table, "Chassis")) {
        /* Where gateways may run changed. */
        const struct strmap *routers = store_routers(r->store);
        for (struct strmap_node *n = strmap_first(routers); n; n = strmap_next(routers, n)) {
            reconciler_mark(r, n->key);
        }
        return;
    }
    if (old) {
        diff_index_remove(&r->index, table, old);
        check_row(r, table, old);
    }
    if (new) {
        diff_index_add(&r->index, table, new);
        check_row(r, table, new);
    }
}

static void
count_txn(const struct lq_error *err)
{
    metrics_counter_add(err ? "lqnet_reconcile_transactions_total{result=\"error\"}"
                            : "lqnet_reconcile_transactions_total{result=\"ok\"}",
                        "Northbound transactions sent by the reconciler", 1);
}

/* All transactions are back: go on, at once or at the next retry. */
static void
settle(struct reconciler *r)
{
    if (r->in_flight) {
        return;
    }
    reconciler_kick(r);
}

static void
fail_key(struct reconciler *r, const char *key, const char *message)
{
    free(strmap_put(&r->failed, key, xstrdup(message)));
}

static void
batch_done(void *r_, const json_t *results, const struct lq_error *err)
{
    struct reconciler *r = r_;
    (void)results;
    r->in_flight--;
    count_txn(err);
    if (err) {
        LQ_LOG_RL(LQ_LOG_WARN, "reconcile",
                  "Northbound transaction failed: %s; retrying its "
                  "%zu rows one by one",
                  err->message, strmap_count(&r->batch));
        for (struct strmap_node *n = strmap_first(&r->batch); n; n = strmap_next(&r->batch, n)) {
            fail_key(r, n->key, err->message);
        }
        r->next_retry = 0;
    }
    strmap_destroy(&r->batch);
    strmap_init(&r->batch);
    settle(r);
}

struct key_txn {
    struct reconciler *r;
    char *key;
    struct strmap keys; /* every row the transaction writes (references pull some in) */
};

static void
key_done(void *kt_, const json_t *results, const struct lq_error *err)
{
    struct key_txn *kt = kt_;
    struct reconciler *r = kt->r;
    (void)results;
    r->in_flight--;
    count_txn(err);
    if (err) {
        LQ_LOG_RL(LQ_LOG_WARN, "reconcile", "%s: %s", kt->key, err->message);
        for (struct strmap_node *n = strmap_first(&kt->keys); n; n = strmap_next(&kt->keys, n)) {
            fail_key(r, n->key, err->message);
        }
    } else {
        free(strmap_remove(&r->failed, kt->key));
    }
    strmap_destroy(&kt->keys);
    free(kt->key);
    free(kt);
    settle(r);
}

/* Sends the rows that failed before, one transaction each. */
static void
retry_failed(struct reconciler *r, const struct strmap *keys)
{
    for (struct strmap_node *n = strmap_first(keys); n; n = strmap_next(keys, n)) {
        struct strmap one = STRMAP_INITIALIZER, keys = STRMAP_INITIALIZER;
        strmap_put(&one, n->key, NULL);
        json_t *ops = diff_compute(r->desired, &r->index, &one, &keys);
        strmap_destroy(&one);
        if (!json_array_size(ops)) {
            json_decref(ops);
            strmap_destroy(&keys);
            free(strmap_remove(&r->failed, n->key));
            continue;
        }
        struct key_txn *kt = xmalloc(sizeof *kt);
        kt->r = r;
        kt->key = xstrdup(n->key);
        kt->keys = keys;
        r->in_flight++;
        ovsdb_client_transact(r->nb, ops, key_done, kt);
    }
}

static void
run_pass(evutil_socket_t fd, short what, void *r_)
{
    struct reconciler *r = r_;
    (void)fd;
    (void)what;
    if (r->in_flight || !ovsdb_client_is_synced(r->nb)) {
        return;
    }
    long long start = lq_time_msec();
    for (struct strmap_node *n = strmap_first(&r->marked); n; n = strmap_next(&r->marked, n)) {
        translate_owner(r->desired, r->store, &r->cfg, n->key, &r->check);
    }
    strmap_destroy(&r->marked);

    /* Which rows differ from what lqnet wants (every lqnetd knows this,
     * for status); the batch to send, and rows that failed before, which
     * go one by one when their retry is due. */
    struct strmap differs = STRMAP_INITIALIZER, suspects = STRMAP_INITIALIZER;
    json_decref(diff_compute(r->desired, &r->index, &r->check, &differs));
    for (struct strmap_node *n = strmap_first(&r->check); n; n = strmap_next(&r->check, n)) {
        if (strmap_contains(&differs, n->key)) {
            strmap_put(&r->pending, n->key, NULL);
        } else {
            strmap_remove(&r->pending, n->key);
            free(strmap_remove(&r->failed, n->key));
        }
    }
    strmap_destroy(&differs);
    size_t n_checked = strmap_count(&r->check);
    for (struct strmap_node *n = strmap_first(&r->failed); n; n = strmap_next(&r->failed, n)) {
        if (strmap_remove(&r->check, n->key) || strmap_contains(&r->pending, n->key)) {
            strmap_put(&suspects, n->key, NULL);
        }
    }
    strmap_destroy(&r->batch);
    r->batch = r->check;
    strmap_init(&r->check);
    json_t *ops = diff_compute(r->desired, &r->index, &r->batch, NULL);
    size_t n_ops = json_array_size(ops);
    bool leader = ovsdb_client_has_lock(r->lock_db);
    if (n_ops && leader) {
        r->in_flight++;
        ovsdb_client_transact(r->nb, ops, batch_done, r);
    } else {
        json_decref(ops);
    }
    if (strmap_count(&suspects) && leader && lq_time_msec() >= r->next_retry) {
        r->next_retry = lq_time_msec() + 1000;
        retry_failed(r, &suspects);
    } else if (strmap_count(&suspects) && leader) {
        struct timeval tv = {0, (suseconds_t)((r->next_retry - lq_time_msec()) * 1000)};
        event_add(r->pass, &tv);
    }
    strmap_destroy(&suspects);

    metrics_observe("lqnet_reconcile_duration_seconds", "", "Time to compute one reconcile pass",
                    (double)(lq_time_msec() - start) / 1000.0);
    metrics_counter_add("lqnet_reconcile_passes_total", "Reconcile passes", 1);
    metrics_gauge_set("lqnet_reconcile_pending_rows", "Northbound rows not yet as lqnet wants",
                      (double)strmap_count(&r->pending));
    metrics_gauge_set("lqnet_reconcile_failed_rows", "Northbound rows lqnet cannot write",
                      (double)strmap_count(&r->failed));
    LOG_DBG("reconcile", "checked %zu rows: %zu operations", n_checked, n_ops);
    long long end = lq_time_msec();
    r->next_pass = end + (end - start);
}
