/* The ovsdb client against real ovsdb-server processes (OVN Northbound
 * schema), each in its own temporary directory. Every wait is bounded and
 * driven by the event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ovsdb.h"
#include "util.h"

#define NB_SCHEMA "/usr/share/ovn/ovn-nb.ovsschema"
#define DB "OVN_Northbound"
#define WAIT_MS 5000

static struct event_base *base;
static struct event *tick;

/* Callbacks run inside libevent, where a failing cmocka assertion would
 * jump out of the dispatch loop; they record the first violation instead,
 * and the loop below reports it. */
static char callback_error[256];

#define CHECK(COND)                                                                                \
    do {                                                                                           \
        if (!(COND) && !callback_error[0]) {                                                       \
            snprintf(callback_error, sizeof callback_error, "%s:%d: %s", __FILE__, __LINE__,       \
                     #COND);                                                                       \
        }                                                                                          \
    } while (0)

static void
check_callbacks(void)
{
    if (callback_error[0]) {
        char copy[sizeof callback_error];
        memcpy(copy, callback_error, sizeof copy);
        callback_error[0] = '\0';
        fail_msg("in a callback: %s", copy);
    }
}

/* Servers. */

struct server {
    char dir[64];
    char db[128];
    char sock[128];
    char remote[160];
    const char *extra_args; /* More ovsdb-server arguments, or NULL. */
    pid_t pid;
};

static void
sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = xvasprintf(fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0) {
        fail_msg("command failed (%d): %s", rc, cmd);
    }
    free(cmd);
}

static bool
unix_connectable(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    assert_true(strlen(path) < sizeof sun.sun_path);
    memcpy(sun.sun_path, path, strlen(path) + 1);
    bool ok = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
    close(fd);
    return ok;
}

static void
server_start(struct server *s)
{
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 1);
        dup2(null, 2);
        char log[160], ctl[160], remote[160];
        snprintf(log, sizeof log, "--log-file=%s/ovsdb-server.log", s->dir);
        snprintf(ctl, sizeof ctl, "--unixctl=%s/ctl", s->dir);
        snprintf(remote, sizeof remote, "--remote=punix:%s", s->sock);
        setenv("OVS_RUNDIR", s->dir, 1);
        setenv("OVS_DBDIR", s->dir, 1);
        if (s->extra_args) {
            execlp("ovsdb-server", "ovsdb-server", "--no-chdir", log, ctl, remote, s->extra_args,
                   s->db, (char *)NULL);
        } else {
            execlp("ovsdb-server", "ovsdb-server", "--no-chdir", log, ctl, remote, s->db,
                   (char *)NULL);
        }
        _exit(127);
    }
    long long deadline = lq_time_msec() + WAIT_MS;
    while (!unix_connectable(s->sock)) {
        assert_true(lq_time_msec() < deadline);
        int status;
        assert_int_equal(waitpid(s->pid, &status, WNOHANG), 0);
        usleep(5000);
    }
}

/* Creates a database in a fresh temporary directory ('clustered': a
 * one-server Raft cluster) and starts a server for it. */
static struct server *live_servers[6];
static struct ovsdb_client *live_clients[4];

static void
track(void **slots, size_t n, void *p, void *old)
{
    for (size_t i = 0; i < n; i++) {
        if (slots[i] == old) {
            slots[i] = p;
            return;
        }
    }
    fail_msg("too many live objects");
}

static struct server *
server_create(bool clustered, const char *extra_args)
{
    struct server *s = xcalloc(1, sizeof *s);
    track((void **)live_servers, LQ_ARRAY_SIZE(live_servers), s, NULL);
    snprintf(s->dir, sizeof s->dir, "/tmp/lqt-ovsdb-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->db, sizeof s->db, "%s/nb.db", s->dir);
    snprintf(s->sock, sizeof s->sock, "%s/nb.sock", s->dir);
    snprintf(s->remote, sizeof s->remote, "unix:%s", s->sock);
    s->extra_args = extra_args;
    if (clustered) {
        sh("ovsdb-tool create-cluster %s %s unix:%s/raft.sock", s->db, NB_SCHEMA, s->dir);
    } else {
        sh("ovsdb-tool create %s %s", s->db, NB_SCHEMA);
    }
    server_start(s);
    return s;
}

static void
server_signal(struct server *s, int sig)
{
    assert_int_equal(kill(s->pid, sig), 0);
    if (sig == SIGKILL || sig == SIGTERM) {
        if (sig == SIGTERM) {
            kill(s->pid, SIGCONT);
        }
        assert_int_equal(waitpid(s->pid, NULL, 0), s->pid);
        s->pid = 0;
    }
}

static void
server_destroy(struct server *s)
{
    track((void **)live_servers, LQ_ARRAY_SIZE(live_servers), NULL, s);
    if (s->pid) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    sh("rm -rf %s", s->dir);
    free(s);
}

static void
client_destroy(struct ovsdb_client *c)
{
    if (c) {
        track((void **)live_clients, LQ_ARRAY_SIZE(live_clients), NULL, c);
        ovsdb_client_destroy(c);
    }
    check_callbacks();
}

/* After a failed test, what it left behind. */
static int
teardown(void **state)
{
    (void)state;
    callback_error[0] = '\0';
    for (size_t i = 0; i < LQ_ARRAY_SIZE(live_clients); i++) {
        if (live_clients[i]) {
            track((void **)live_clients, LQ_ARRAY_SIZE(live_clients), NULL, live_clients[i]);
            ovsdb_client_destroy(live_clients[i]);
        }
    }
    for (size_t i = 0; i < LQ_ARRAY_SIZE(live_servers); i++) {
        if (live_servers[i]) {
            server_destroy(live_servers[i]);
        }
    }
    return 0;
}

/* The event loop, bounded. */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static bool
run_until(bool (*cond)(void *), void *arg, int timeout_ms)
{
    long long deadline = lq_time_msec() + timeout_ms;
    while (!cond(arg)) {
        if (lq_time_msec() >= deadline) {
            return false;
        }
        event_base_loop(base, EVLOOP_ONCE);
        check_callbacks();
    }
    return true;
}

static bool
never(void *arg)
{
    (void)arg;
    return false;
}

static void
run_for(int ms)
{
    run_until(never, NULL, ms);
}

/* A client and what its callbacks saw. */

struct watcher {
    struct ovsdb_client *client;
    int synced, disconnected, batches;
    int lock_events;
    bool have_lock;
    char log[64][96]; /* "INSERT Logical_Switch sw1", ... */
    int n_log;
};

static void
on_synced(void *w_)
{
    struct watcher *w = w_;
    w->synced++;
    CHECK(ovsdb_client_is_synced(w->client));
}

static void
on_disconnected(void *w_)
{
    struct watcher *w = w_;
    w->disconnected++;
    CHECK(!(ovsdb_client_is_synced(w->client)));
}

static void
on_row_changed(void *w_, const char *table, enum ovsdb_change_kind kind,
               const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    static const char *names[] = {"INSERT", "MODIFY", "DELETE"};
    struct watcher *w = w_;
    const struct ovsdb_row *row = new ? new : old;
    CHECK((kind == OVSDB_ROW_INSERT) == !old);
    CHECK((kind == OVSDB_ROW_DELETE) == !new);
    if (kind != OVSDB_ROW_DELETE) {
        /* Applied before the call. */
        CHECK(ovsdb_client_get_row(w->client, table, row->uuid) == new);
    } else {
        CHECK(!ovsdb_client_get_row(w->client, table, row->uuid));
    }
    if (w->n_log < (int)LQ_ARRAY_SIZE(w->log)) {
        snprintf(w->log[w->n_log++], sizeof w->log[0], "%s %s %s", names[kind], table,
                 ovsdb_row_string(row, "name"));
    }
}

static void
on_batch_done(void *w_)
{
    struct watcher *w = w_;
    w->batches++;
}

static void
on_lock_changed(void *w_, bool have)
{
    struct watcher *w = w_;
    CHECK(have != w->have_lock);
    CHECK(have == ovsdb_client_has_lock(w->client));
    w->have_lock = have;
    w->lock_events++;
}

static const struct ovsdb_client_cbs watcher_cbs = {
    on_synced, on_disconnected, on_row_changed, on_batch_done, on_lock_changed,
};

static bool
log_has(const struct watcher *w, const char *entry)
{
    for (int i = 0; i < w->n_log; i++) {
        if (!strcmp(w->log[i], entry)) {
            return true;
        }
    }
    return false;
}

static void
watch(struct watcher *w, const char *remotes)
{
    static const char *const lsp_columns[] = {"name", "addresses", NULL};
    memset(w, 0, sizeof *w);
    w->client = ovsdb_client_create(base, remotes, DB, &watcher_cbs, w);
    assert_non_null(w->client);
    track((void **)live_clients, LQ_ARRAY_SIZE(live_clients), w->client, NULL);
    ovsdb_client_set_backoff(w->client, 20, 200);
    ovsdb_client_monitor(w->client, "Logical_Switch", NULL);
    ovsdb_client_monitor(w->client, "Logical_Switch_Port", lsp_columns);
    ovsdb_client_monitor(w->client, "Address_Set", NULL);
}

static bool
is_synced(void *w_)
{
    struct watcher *w = w_;
    return ovsdb_client_is_synced(w->client);
}

static void
watch_synced(struct watcher *w, const char *remotes)
{
    watch(w, remotes);
    ovsdb_client_start(w->client);
    assert_true(run_until(is_synced, w, WAIT_MS));
}

static const struct ovsdb_row *
find_by_name(const struct watcher *w, const char *table, const char *name)
{
    const struct strmap *rows = ovsdb_client_table(w->client, table);
    for (struct strmap_node *n = strmap_first(rows); n; n = strmap_next(rows, n)) {
        if (!strcmp(ovsdb_row_string(n->value, "name"), name)) {
            return n->value;
        }
    }
    return NULL;
}

struct name_query {
    struct watcher *w;
    const char *table, *name, *column, *key, *value;
    bool absent;
};

/* The named row exists (with column[key] == value if given), or is absent. */
static bool
name_query_holds(void *q_)
{
    struct name_query *q = q_;
    const struct ovsdb_row *row = find_by_name(q->w, q->table, q->name);
    if (q->absent) {
        return !row;
    }
    if (!row || !q->column) {
        return row != NULL;
    }
    const char *v = ovsdb_row_map_get(row, q->column, q->key);
    return v && !strcmp(v, q->value);
}

/* Transactions. */

struct txn {
    bool done;
    enum lq_code code;
    char message[512];
    json_t *results;
    struct watcher *w;
    bool row_seen; /* The inserted row was in the replica when the callback ran. */
};

static void
txn_cb(void *t_, const json_t *results, const struct lq_error *err)
{
    struct txn *t = t_;
    CHECK(!(t->done));
    t->done = true;
    t->code = err ? err->code : LQ_OK;
    snprintf(t->message, sizeof t->message, "%s", err ? err->message : "");
    CHECK((results != NULL) == (err == NULL));
    t->results = results ? json_deep_copy(results) : NULL;
    const char *uuid =
        json_string_value(json_array_get(json_object_get(json_array_get(results, 0), "uuid"), 1));
    if (t->w && uuid) {
        t->row_seen = ovsdb_client_get_row(t->w->client, "Logical_Switch", uuid) != NULL ||
                      ovsdb_client_get_row(t->w->client, "Address_Set", uuid) != NULL;
    }
}

static bool
txn_done(void *t_)
{
    return ((struct txn *)t_)->done;
}

static void
transact(struct watcher *w, const char *ops, struct txn *t)
{
    memset(t, 0, sizeof *t);
    t->w = w;
    json_error_t error;
    json_t *j = json_loads(ops, 0, &error);
    assert_non_null(j);
    ovsdb_client_transact(w->client, j, txn_cb, t);
    assert_false(t->done); /* Never synchronous. */
    assert_true(run_until(txn_done, t, WAIT_MS));
}

/* Tests. */

static void
test_replica_follows_writer(void **state)
{
    (void)state;
    struct server *s = server_create(false, NULL);
    sh("ovn-nbctl --db=%s ls-add pre", s->remote);

    struct watcher w;
    watch_synced(&w, s->remote);
    assert_int_equal(w.synced, 1);
    assert_true(log_has(&w, "INSERT Logical_Switch pre"));
    const struct ovsdb_row *pre = find_by_name(&w, "Logical_Switch", "pre");
    assert_non_null(pre);
    /* Every monitored column is present, defaults included. */
    assert_non_null(ovsdb_row_get(pre, "ports"));
    assert_int_equal(json_array_size(ovsdb_row_elements(pre, "ports")), 0);
    assert_non_null(ovsdb_row_get(pre, "other_config"));
    assert_non_null(ovsdb_row_get(pre, "external_ids"));
    assert_null(ovsdb_row_get(pre, "_version"));

    sh("ovn-nbctl --db=%s ls-add sw1 -- set logical_switch sw1 other_config:k=v1", s->remote);
    struct name_query q = {&w, "Logical_Switch", "sw1", "other_config", "k", "v1", false};
    assert_true(run_until(name_query_holds, &q, WAIT_MS));
    const struct ovsdb_row *sw1 = find_by_name(&w, "Logical_Switch", "sw1");

    sh("ovn-nbctl --db=%s set logical_switch sw1 other_config:k=v2 other_config:x=y", s->remote);
    q.value = "v2";
    assert_true(run_until(name_query_holds, &q, WAIT_MS));
    assert_ptr_equal(find_by_name(&w, "Logical_Switch", "sw1"), sw1);
    assert_string_equal(ovsdb_row_map_get(sw1, "other_config", "x"), "y");
    assert_true(log_has(&w, "MODIFY Logical_Switch sw1"));

    sh("ovn-nbctl --db=%s lsp-add sw1 p1 -- lsp-set-addresses p1 '00:00:00:00:00:01 10.0.0.1' "
       "-- lsp-add sw1 p2",
       s->remote);
    struct name_query qp = {&w, "Logical_Switch_Port", "p2", NULL, NULL, NULL, false};
    assert_true(run_until(name_query_holds, &qp, WAIT_MS));
    const struct ovsdb_row *p1 = find_by_name(&w, "Logical_Switch_Port", "p1");
    assert_non_null(p1);
    assert_string_equal(ovsdb_row_string(p1, "addresses"), "00:00:00:00:00:01 10.0.0.1");
    /* A column we did not ask for is not there. */
    assert_null(ovsdb_row_get(p1, "type"));
    const json_t *ports = ovsdb_row_elements(sw1, "ports");
    assert_int_equal(json_array_size(ports), 2);

    /* A set diff removing one element. */
    sh("ovn-nbctl --db=%s lsp-del p1", s->remote);
    qp.name = "p1";
    qp.absent = true;
    assert_true(run_until(name_query_holds, &qp, WAIT_MS));
    ports = ovsdb_row_elements(sw1, "ports");
    assert_int_equal(json_array_size(ports), 1);
    const struct ovsdb_row *p2 = find_by_name(&w, "Logical_Switch_Port", "p2");
    assert_string_equal(json_string_value(json_array_get(json_array_get(ports, 0), 1)), p2->uuid);
    assert_true(log_has(&w, "DELETE Logical_Switch_Port p1"));

    /* Deleting the switch takes its remaining port with it. */
    sh("ovn-nbctl --db=%s ls-del sw1", s->remote);
    q.absent = true;
    assert_true(run_until(name_query_holds, &q, WAIT_MS));
    assert_true(log_has(&w, "DELETE Logical_Switch sw1"));
    assert_true(log_has(&w, "DELETE Logical_Switch_Port p2"));
    assert_int_equal(w.disconnected, 0);

    client_destroy(w.client);
    server_destroy(s);
}

/* ovsdb-server(7) says a client's own update comes before its transact
 * reply; the lead's design depends on it, so check it many times, for a
 * standalone and a clustered database, for inserts, mutates and deletes. */
static void
check_own_txn_ordering(bool clustered)
{
    struct server *s = server_create(clustered, NULL);
    struct watcher w;
    watch_synced(&w, s->remote);

    for (int i = 0; i < 100; i++) {
        char ops[512];
        struct txn t;
        snprintf(ops, sizeof ops,
                 "[{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{\"name\":\"o%d\"}}]",
                 i);
        transact(&w, ops, &t);
        assert_int_equal(t.code, LQ_OK);
        assert_true(t.row_seen);
        json_decref(t.results);

        snprintf(
            ops, sizeof ops,
            "[{\"op\":\"mutate\",\"table\":\"Logical_Switch\",\"where\":[[\"name\",\"==\","
            "\"o%d\"]],\"mutations\":[[\"other_config\",\"insert\",[\"map\",[[\"i\",\"%d\"]]]]]}]",
            i, i);
        transact(&w, ops, &t);
        assert_int_equal(t.code, LQ_OK);
        json_decref(t.results);
        char name[16], value[16];
        snprintf(name, sizeof name, "o%d", i);
        snprintf(value, sizeof value, "%d", i);
        const struct ovsdb_row *row = find_by_name(&w, "Logical_Switch", name);
        assert_non_null(row);
        assert_string_equal(ovsdb_row_map_get(row, "other_config", "i"), value);

        if (i % 2) {
            snprintf(ops, sizeof ops,
                     "[{\"op\":\"delete\",\"table\":\"Logical_Switch\",\"where\":[[\"name\",\"==\","
                     "\"o%d\"]]}]",
                     i);
            transact(&w, ops, &t);
            assert_int_equal(t.code, LQ_OK);
            json_decref(t.results);
            assert_null(find_by_name(&w, "Logical_Switch", name));
        }
    }
    assert_int_equal(strmap_count(ovsdb_client_table(w.client, "Logical_Switch")), 50);
    client_destroy(w.client);
    server_destroy(s);
}

static void
test_own_txn_ordering_standalone(void **state)
{
    (void)state;
    check_own_txn_ordering(false);
}

static void
test_own_txn_ordering_clustered(void **state)
{
    (void)state;
    check_own_txn_ordering(true);
}

static void
test_txn_errors(void **state)
{
    (void)state;
    struct server *s = server_create(false, NULL);
    struct watcher w;
    watch(&w, s->remote);

    /* Not synced yet: unavailable, reported from the loop. */
    struct txn t;
    transact(&w, "[]", &t);
    assert_int_equal(t.code, LQ_UNAVAILABLE);

    ovsdb_client_start(w.client);
    assert_true(run_until(is_synced, &w, WAIT_MS));

    const char *insert = "[{\"op\":\"insert\",\"table\":\"Address_Set\",\"row\":{\"name\":\"as1\","
                         "\"addresses\":[\"set\",[\"10.0.0.1\",\"10.0.0.2\"]]}}]";
    transact(&w, insert, &t);
    assert_int_equal(t.code, LQ_OK);
    assert_true(t.row_seen);
    json_decref(t.results);

    /* Unique index on Address_Set.name. */
    transact(&w, insert, &t);
    assert_int_equal(t.code, LQ_ALREADY_EXISTS);
    assert_non_null(strstr(t.message, "constraint violation"));
    assert_non_null(strstr(t.message, "as1"));
    assert_null(t.results);
    assert_int_equal(strmap_count(ovsdb_client_table(w.client, "Address_Set")), 1);

    /* Optimistic concurrency: a "wait" that no longer holds aborts the whole
     * transaction, including the insert before it. */
    transact(&w,
             "[{\"op\":\"insert\",\"table\":\"Address_Set\",\"row\":{\"name\":\"as2\"}},"
             "{\"op\":\"wait\",\"timeout\":0,\"table\":\"Address_Set\",\"where\":[[\"name\",\"==\","
             "\"as1\"]],\"columns\":[\"addresses\"],\"until\":\"==\",\"rows\":[{\"addresses\":["
             "\"set\",[\"10.0.0.1\"]]}]}]",
             &t);
    assert_int_equal(t.code, LQ_ABORTED);
    assert_non_null(strstr(t.message, "timed out"));
    assert_non_null(strstr(t.message, "(operation 1)"));
    assert_null(find_by_name(&w, "Address_Set", "as2"));

    /* The same wait with the right value passes. */
    transact(&w,
             "[{\"op\":\"insert\",\"table\":\"Address_Set\",\"row\":{\"name\":\"as2\"}},"
             "{\"op\":\"wait\",\"timeout\":0,\"table\":\"Address_Set\",\"where\":[[\"name\",\"==\","
             "\"as1\"]],\"columns\":[\"addresses\"],\"until\":\"==\",\"rows\":[{\"addresses\":["
             "\"set\",[\"10.0.0.2\",\"10.0.0.1\"]]}]}]",
             &t);
    assert_int_equal(t.code, LQ_OK);
    json_decref(t.results);
    assert_non_null(find_by_name(&w, "Address_Set", "as2"));

    transact(&w, "[{\"op\":\"insert\",\"table\":\"Nope\",\"row\":{}}]", &t);
    assert_int_equal(t.code, LQ_INVALID_ARGUMENT);
    assert_non_null(strstr(t.message, "Nope"));

    /* Referential integrity: a switch port list naming a row that does not exist. */
    transact(&w,
             "[{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{\"name\":\"x\",\"ports\":"
             "[\"uuid\",\"11111111-1111-1111-1111-111111111111\"]}}]",
             &t);
    assert_int_equal(t.code, LQ_FAILED_PRECONDITION);

    transact(&w, "{\"op\":\"insert\"}", &t);
    assert_int_equal(t.code, LQ_INVALID_ARGUMENT);

    client_destroy(w.client);
    server_destroy(s);
}

static bool
disconnected_once(void *w_)
{
    return ((struct watcher *)w_)->disconnected >= 1;
}

static bool
synced_twice(void *w_)
{
    return ((struct watcher *)w_)->synced >= 2;
}

static void
test_reconnect(void **state)
{
    (void)state;
    struct server *s = server_create(false, NULL);
    sh("ovn-nbctl --db=%s ls-add keep -- ls-add mod -- ls-add del -- lsp-add del dp", s->remote);
    struct watcher w;
    watch_synced(&w, s->remote);
    assert_int_equal(w.n_log, 4);
    const struct ovsdb_row *keep = find_by_name(&w, "Logical_Switch", "keep");
    const struct ovsdb_row *mod = find_by_name(&w, "Logical_Switch", "mod");

    /* A transaction the server never answers fails as unavailable when the
     * connection goes. */
    server_signal(s, SIGSTOP);
    struct txn t;
    memset(&t, 0, sizeof t);
    json_t *ops = json_pack("[{s:s, s:s, s:{s:s}}]", "op", "insert", "table", "Logical_Switch",
                            "row", "name", "lost");
    ovsdb_client_transact(w.client, ops, txn_cb, &t);
    run_for(50);
    assert_false(t.done);
    server_signal(s, SIGKILL);
    assert_true(run_until(disconnected_once, &w, WAIT_MS));
    assert_true(run_until(txn_done, &t, WAIT_MS));
    assert_int_equal(t.code, LQ_UNAVAILABLE);
    assert_false(ovsdb_client_is_synced(w.client));
    /* The stale replica stays readable. */
    assert_ptr_equal(find_by_name(&w, "Logical_Switch", "keep"), keep);

    /* Change the database while the client is away. */
    sh("ovsdb-tool transact %s '[\"" DB "\","
       "{\"op\":\"delete\",\"table\":\"Logical_Switch\",\"where\":[[\"name\",\"==\",\"del\"]]},"
       "{\"op\":\"update\",\"table\":\"Logical_Switch\",\"where\":[[\"name\",\"==\",\"mod\"]],"
       "\"row\":{\"other_config\":[\"map\",[[\"while\",\"away\"]]]}},"
       "{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{\"name\":\"new\"}}]' >/dev/null",
       s->db);
    run_for(100); /* A few failed reconnects. */
    w.n_log = 0;
    server_start(s);
    assert_true(run_until(synced_twice, &w, WAIT_MS));
    assert_int_equal(w.disconnected, 1);

    assert_int_equal(w.n_log, 4);
    assert_true(log_has(&w, "DELETE Logical_Switch del"));
    assert_true(log_has(&w, "DELETE Logical_Switch_Port dp"));
    assert_true(log_has(&w, "MODIFY Logical_Switch mod"));
    assert_true(log_has(&w, "INSERT Logical_Switch new"));
    assert_ptr_equal(find_by_name(&w, "Logical_Switch", "keep"), keep);
    assert_ptr_equal(find_by_name(&w, "Logical_Switch", "mod"), mod);
    assert_string_equal(ovsdb_row_map_get(mod, "other_config", "while"), "away");
    assert_null(find_by_name(&w, "Logical_Switch", "lost"));

    /* Transactions work again on the new connection. */
    transact(&w, "[{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{\"name\":\"again\"}}]",
             &t);
    assert_int_equal(t.code, LQ_OK);
    assert_true(t.row_seen);
    json_decref(t.results);

    client_destroy(w.client);
    server_destroy(s);
}

static bool
has_lock(void *w_)
{
    return ((struct watcher *)w_)->have_lock;
}

static void
test_lock_handover(void **state)
{
    (void)state;
    struct server *s = server_create(false, NULL);
    struct watcher a, b;
    watch(&a, s->remote);
    watch(&b, s->remote);
    ovsdb_client_lock(a.client, "lqt_lock");
    ovsdb_client_lock(b.client, "lqt_lock");
    ovsdb_client_start(a.client);
    assert_true(run_until(has_lock, &a, WAIT_MS));
    /* The lock comes after the snapshot. */
    assert_int_equal(a.synced, 1);

    ovsdb_client_start(b.client);
    assert_true(run_until(is_synced, &b, WAIT_MS));
    run_for(100);
    assert_false(b.have_lock);
    assert_int_equal(b.lock_events, 0);

    /* A operation guarded by the lock works only for the holder. */
    struct txn t;
    const char *guarded = "[{\"op\":\"assert\",\"lock\":\"lqt_lock\"},"
                          "{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{}}]";
    transact(&a, guarded, &t);
    assert_int_equal(t.code, LQ_OK);
    json_decref(t.results);
    transact(&b, guarded, &t);
    assert_int_equal(t.code, LQ_PERMISSION_DENIED);

    /* The holder goes away: the other one gets the lock. */
    ovsdb_client_force_reconnect(a.client);
    assert_false(a.have_lock);
    assert_int_equal(a.lock_events, 2);
    assert_true(run_until(has_lock, &b, WAIT_MS));
    assert_int_equal(b.lock_events, 1);
    assert_true(run_until(synced_twice, &a, WAIT_MS));
    run_for(100);
    assert_false(a.have_lock);

    /* And back, when the second one is destroyed. */
    client_destroy(b.client);
    assert_true(run_until(has_lock, &a, WAIT_MS));

    /* Unlock releases it for others without a callback. */
    watch(&b, s->remote);
    ovsdb_client_lock(b.client, "lqt_lock");
    ovsdb_client_start(b.client);
    assert_true(run_until(is_synced, &b, WAIT_MS));
    ovsdb_client_unlock(a.client);
    assert_false(ovsdb_client_has_lock(a.client));
    assert_true(run_until(has_lock, &b, WAIT_MS));

    client_destroy(a.client);
    client_destroy(b.client);
    server_destroy(s);
}

static int
free_tcp_port(void)
{
    for (int port = 16640; port <= 16649; port++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        int rc = bind(fd, (struct sockaddr *)&sin, sizeof sin);
        close(fd);
        if (!rc) {
            return port;
        }
    }
    fail_msg("no free port in 16640-16649");
    return -1;
}

/* Our probe keeps an idle connection up and notices a frozen server. */
static void
test_echo_probe(void **state)
{
    (void)state;
    struct server *s = server_create(false, NULL);
    struct watcher w;
    watch(&w, s->remote);
    ovsdb_client_set_probe_interval(w.client, 100);
    ovsdb_client_start(w.client);
    assert_true(run_until(is_synced, &w, WAIT_MS));
    run_for(700); /* Several probe rounds with no other traffic. */
    assert_int_equal(w.disconnected, 0);
    assert_int_equal(w.synced, 1);

    long long t0 = lq_time_msec();
    server_signal(s, SIGSTOP);
    assert_true(run_until(disconnected_once, &w, WAIT_MS));
    long long took = lq_time_msec() - t0;
    assert_true(took < 1000); /* Probe interval 100 ms: an echo, then its deadline. */
    server_signal(s, SIGCONT);
    assert_true(run_until(synced_twice, &w, WAIT_MS));

    client_destroy(w.client);
    server_destroy(s);
}

struct raw_peer {
    int fd;
    bool closed;
};

static void
raw_read_cb(evutil_socket_t fd, short what, void *p_)
{
    (void)what;
    struct raw_peer *p = p_;
    char buf[4096];
    if (read(fd, buf, sizeof buf) <= 0) {
        p->closed = true;
    }
}

static bool
raw_closed(void *p_)
{
    return ((struct raw_peer *)p_)->closed;
}

/* Over TCP, with the server probing every second: the client answers the
 * server's echo requests, so the server keeps it; a peer that does not
 * answer is dropped in the same time. */
static void
test_echo_server_tcp(void **state)
{
    (void)state;
    struct server *s = server_create(false, "--remote=db:" DB ",NB_Global,connections");
    int port = free_tcp_port();
    sh("ovn-nbctl --db=%s init -- set-connection ptcp:%d:127.0.0.1 -- "
       "set connection . inactivity_probe=1000",
       s->remote, port);
    char remote[64];
    snprintf(remote, sizeof remote, "tcp:127.0.0.1:%d", port);

    /* Wait for the listener. */
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct raw_peer raw = {-1, false};
    long long deadline = lq_time_msec() + WAIT_MS;
    for (;;) {
        raw.fd = socket(AF_INET, SOCK_STREAM, 0);
        if (!connect(raw.fd, (struct sockaddr *)&sin, sizeof sin)) {
            break;
        }
        close(raw.fd);
        assert_true(lq_time_msec() < deadline);
        usleep(10000);
    }
    struct event *raw_ev = event_new(base, raw.fd, EV_READ | EV_PERSIST, raw_read_cb, &raw);
    event_add(raw_ev, NULL);

    struct watcher w;
    watch(&w, remote);
    ovsdb_client_set_probe_interval(w.client, 0);
    ovsdb_client_start(w.client);
    assert_true(run_until(is_synced, &w, WAIT_MS));

    assert_true(run_until(raw_closed, &raw, 4000));
    run_for(1500);
    assert_int_equal(w.disconnected, 0);
    assert_int_equal(w.synced, 1);

    /* And the TCP session works. */
    sh("ovn-nbctl --db=%s ls-add over-tcp", s->remote);
    struct name_query q = {&w, "Logical_Switch", "over-tcp", NULL, NULL, NULL, false};
    assert_true(run_until(name_query_holds, &q, WAIT_MS));
    struct txn t;
    transact(&w, "[{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{\"name\":\"t\"}}]", &t);
    assert_int_equal(t.code, LQ_OK);
    assert_true(t.row_seen);
    json_decref(t.results);

    event_free(raw_ev);
    close(raw.fd);
    client_destroy(w.client);
    server_destroy(s);
}

/* With several remotes, the client skips what cannot serve it and rotates. */
static void
test_remote_rotation(void **state)
{
    (void)state;
    struct server *s = server_create(false, NULL);
    char remotes[512];
    snprintf(remotes, sizeof remotes, "unix:%s/none.sock,%s", s->dir, s->remote);
    struct watcher w;
    watch_synced(&w, remotes);
    assert_string_equal(ovsdb_client_remote(w.client), s->remote);
    client_destroy(w.client);

    /* A server that does not have the database is skipped too. */
    struct ovsdb_client *c = ovsdb_client_create(base, s->remote, "Nope", NULL, NULL);
    track((void **)live_clients, LQ_ARRAY_SIZE(live_clients), c, NULL);
    ovsdb_client_start(c);
    run_for(200);
    assert_false(ovsdb_client_is_synced(c));
    client_destroy(c);

    assert_null(ovsdb_client_create(base, "http://x", DB, NULL, NULL));
    assert_null(ovsdb_client_create(base, "tcp:host:1", DB, NULL, NULL));
    server_destroy(s);
}

/* True if the server at 'remote' is the leader of its clustered database. */
static bool
is_leader(const char *remote)
{
    char *cmd = xasprintf("ovsdb-client query %s '[\"_Server\",{\"op\":\"select\",\"table\":"
                          "\"Database\",\"where\":[[\"name\",\"==\",\"" DB "\"]],\"columns\":"
                          "[\"leader\"]}]'",
                          remote);
    FILE *f = popen(cmd, "r");
    char out[512] = "";
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[n] = '\0';
    if (f) {
        pclose(f);
    }
    free(cmd);
    return strstr(out, "\"leader\":true") != NULL;
}

struct leader_wait {
    struct watcher *w;
    const char *not_remote;
};

static bool
synced_elsewhere(void *q_)
{
    struct leader_wait *q = q_;
    return ovsdb_client_is_synced(q->w->client) &&
           strcmp(ovsdb_client_remote(q->w->client), q->not_remote);
}

/* A three-server cluster: the client passes over the followers to the
 * leader, and finds the new leader when the old one dies. */
static void
test_cluster_leader(void **state)
{
    (void)state;
    struct server *s[3];
    s[0] = server_create(true, NULL);
    for (int i = 1; i < 3; i++) {
        s[i] = xcalloc(1, sizeof *s[i]);
        track((void **)live_servers, LQ_ARRAY_SIZE(live_servers), s[i], NULL);
        snprintf(s[i]->dir, sizeof s[i]->dir, "/tmp/lqt-ovsdb-XXXXXX");
        assert_non_null(mkdtemp(s[i]->dir));
        snprintf(s[i]->db, sizeof s[i]->db, "%s/nb.db", s[i]->dir);
        snprintf(s[i]->sock, sizeof s[i]->sock, "%s/nb.sock", s[i]->dir);
        snprintf(s[i]->remote, sizeof s[i]->remote, "unix:%s", s[i]->sock);
        sh("ovsdb-tool join-cluster %s " DB " unix:%s/raft.sock unix:%s/raft.sock", s[i]->db,
           s[i]->dir, s[0]->dir);
        server_start(s[i]);
    }
    assert_true(is_leader(s[0]->remote));

    char remotes[512];
    snprintf(remotes, sizeof remotes, "%s,%s,%s", s[1]->remote, s[2]->remote, s[0]->remote);
    struct watcher w;
    watch_synced(&w, remotes);
    assert_string_equal(ovsdb_client_remote(w.client), s[0]->remote);
    struct txn t;
    transact(&w, "[{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{\"name\":\"c1\"}}]",
             &t);
    assert_int_equal(t.code, LQ_OK);
    assert_true(t.row_seen);
    json_decref(t.results);

    server_signal(s[0], SIGKILL);
    struct leader_wait q = {&w, s[0]->remote};
    assert_true(run_until(synced_elsewhere, &q, 15000));
    assert_true(is_leader(ovsdb_client_remote(w.client)));
    assert_non_null(find_by_name(&w, "Logical_Switch", "c1"));
    transact(&w, "[{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{\"name\":\"c2\"}}]",
             &t);
    assert_int_equal(t.code, LQ_OK);
    assert_true(t.row_seen);
    json_decref(t.results);

    client_destroy(w.client);
    for (int i = 0; i < 3; i++) {
        server_destroy(s[i]);
    }
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
    struct timeval tv = {0, 10000};
    event_add(tick, &tv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_replica_follows_writer, teardown),
        cmocka_unit_test_teardown(test_own_txn_ordering_standalone, teardown),
        cmocka_unit_test_teardown(test_own_txn_ordering_clustered, teardown),
        cmocka_unit_test_teardown(test_txn_errors, teardown),
        cmocka_unit_test_teardown(test_reconnect, teardown),
        cmocka_unit_test_teardown(test_lock_handover, teardown),
        cmocka_unit_test_teardown(test_echo_probe, teardown),
        cmocka_unit_test_teardown(test_echo_server_tcp, teardown),
        cmocka_unit_test_teardown(test_remote_rotation, teardown),
        cmocka_unit_test_teardown(test_cluster_leader, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    event_free(tick);
    event_base_free(base);
    return rc;
}
