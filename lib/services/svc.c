#include "svc.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reconcile.h"
#include "strmap.h"
#include "util.h"

struct lq_error *
svc_project(const struct rpc_principal *p, const char *requested, bool write, const char **project)
{
    if (write && p->role == RPC_ROLE_READER) {
        return lq_error_new(LQ_PERMISSION_DENIED, NULL, "a reader token cannot change anything");
    }
    if (!requested || !*requested) {
        *project = p->project;
        return NULL;
    }
    if (strcmp(requested, p->project) && p->role != RPC_ROLE_ADMIN) {
        return lq_error_new(LQ_PERMISSION_DENIED, "projectId",
                            "this token belongs to project '%s', not '%s'", p->project, requested);
    }
    *project = requested;
    return NULL;
}

bool
svc_can_read(const struct rpc_principal *p, const char *project)
{
    return p->role == RPC_ROLE_ADMIN || !strcmp(p->project, project);
}

bool
svc_network_visible(const struct rpc_principal *p, const struct store_network *sn)
{
    return svc_can_read(p, sn->net->project_id) || sn->net->spec->shared ||
           sn->net->spec->type == PB_NETWORK_TYPE(EXTERNAL);
}

bool
svc_can_write(const struct rpc_principal *p, const char *project)
{
    return p->role != RPC_ROLE_READER && svc_can_read(p, project);
}

struct txn {
    struct svc *svc;
    struct rpc_call *call;
    svc_txn_done *done;
    void *aux;
};

/* Gives database failures a message a caller can act on; the codes come
 * from the OVSDB client (index violation: already_exists; failed "wait":
 * aborted). */
static struct lq_error *
classify(const struct lq_error *err)
{
    switch (err->code) {
    case LQ_UNAVAILABLE:
        return lq_error_new(LQ_UNAVAILABLE, NULL, "the LQNet database is not reachable: %s",
                            err->message);
    case LQ_ABORTED:
        return lq_error_new(LQ_ABORTED, NULL, "a concurrent change got there first; try again");
    case LQ_ALREADY_EXISTS:
        return lq_error_new(LQ_ALREADY_EXISTS, NULL, "%s", err->message);
    default:
        return lq_error_new(LQ_INTERNAL, NULL, "database error: %s", err->message);
    }
}

static void
txn_done(void *aux, const json_t *results, const struct lq_error *err)
{
    struct txn *t = aux;
    struct lq_error *e = err ? classify(err) : NULL;
    t->done(t->svc, t->call, results, e, t->aux);
    lq_error_free(e);
    free(t);
}

void
svc_transact(struct svc *svc, struct rpc_call *call, json_t *ops, svc_txn_done *done, void *aux)
{
    struct txn *t = xmalloc(sizeof *t);
    t->svc = svc;
    t->call = call;
    t->done = done;
    t->aux = aux;
    ovsdb_client_transact(svc->lqdb, ops, txn_done, t);
}

void
svc_now(Google__Protobuf__Timestamp *ts)
{
    long long sec;
    int nsec;
    lq_time_wall(&sec, &nsec);
    ts->seconds = sec;
    ts->nanos = nsec / 1000 * 1000;
}

Google__Protobuf__Timestamp *
svc_timestamp_now(void)
{
    Google__Protobuf__Timestamp *ts = xmalloc(sizeof *ts);
    google__protobuf__timestamp__init(ts);
    svc_now(ts);
    return ts;
}

struct lq_error *
svc_check_meta(const char *name, const char *description, size_t n_labels, void *labels_)
{
    struct svc_label **labels = labels_;
    if (name && strlen(name) > 255) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "name", "longer than 255 characters");
    }
    if (description && strlen(description) > 1024) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "description", "longer than 1024 characters");
    }
    for (size_t i = 0; i < n_labels; i++) {
        const char *k = labels[i]->key;
        if (!*k || strlen(k) > 63) {
            return lq_error_new(LQ_INVALID_ARGUMENT, "labels",
                                "label keys must have 1 to 63 characters ('%s')", k);
        }
        if (strlen(labels[i]->value) > 255) {
            return lq_error_new(LQ_INVALID_ARGUMENT, "labels",
                                "the value of label '%s' is longer than 255 characters", k);
        }
    }
    return NULL;
}

bool
svc_labels_match(size_t n_want, void *want_, size_t n_have, void *have_)
{
    struct svc_label **want = want_, **have = have_;
    for (size_t i = 0; i < n_want; i++) {
        bool found = false;
        for (size_t j = 0; j < n_have && !found; j++) {
            found = !strcmp(want[i]->key, have[j]->key) && !strcmp(want[i]->value, have[j]->value);
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

struct lq_error *
svc_select(const struct rpc_principal *p, const char *requested, const struct strmap *all,
           svc_keep_fn *keep, const void *aux, const char *page_token, int page_size,
           struct svc_page *page)
{
    const char *project = NULL;
    struct lq_error *err = *requested ? svc_project(p, requested, false, &project) : NULL;
    size_t start = 0;
    if (!err && *page_token) {
        char *end;
        unsigned long long v = strtoull(page_token, &end, 10);
        if (*end || v > strmap_count(all)) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, "pageToken", "'%s' is not a valid page token",
                               page_token);
        }
        start = (size_t)v;
    }
    if (!err && page_size < 0) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "pageSize", "must not be negative");
    }
    if (err) {
        return err;
    }
    size_t n_all, n = 0;
    struct strmap_node **nodes = strmap_sorted(all, &n_all);
    page->items = xmalloc((n_all + 1) * sizeof *page->items);
    for (size_t i = 0; i < n_all; i++) {
        if (keep(nodes[i]->value, project, p, aux)) {
            page->items[n++] = nodes[i]->value;
        }
    }
    free(nodes);
    size_t size = page_size ? (size_t)page_size : 1000;
    size = size > 1000 ? 1000 : size;
    start = start > n ? n : start;
    page->n = n - start < size ? n - start : size;
    memmove(page->items, page->items + start, page->n * sizeof *page->items);
    page->total = (int32_t)n;
    page->next_token = start + page->n < n ? xasprintf("%zu", start + page->n) : xstrdup("");
    return NULL;
}

void
svc_page_clear(struct svc_page *page)
{
    free(page->items);
    free(page->next_token);
}

void
svc_deleted(struct svc *svc, struct rpc_call *call, const json_t *results,
            const struct lq_error *err, void *aux)
{
    (void)results;
    (void)aux;
    if (err) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
        return;
    }
    reconciler_kick(svc->reconciler);
    Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
    rpc_call_reply(call, &empty.base);
}

void
svc_delete_row(struct svc *svc, struct rpc_call *call, const char *table, const char *id)
{
    json_t *ops = json_pack("[{s:s, s:s, s:[[s, s, s]]}]", "op", "delete", "table", table, "where",
                            "id", "==", id);
    svc_transact(svc, call, ops, svc_deleted, NULL);
}
