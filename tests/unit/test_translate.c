/* translate + diff: golden Northbound rows for a small model, and the
 * diff's promises (insert all, then nothing; repair drift; never touch
 * rows without lqnet's tags). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "ovsdb.h"
#include "store.h"
#include "translate.h"
#include "util.h"
#include "validate.h"

static const char *net1 =
    "{\"id\":\"n1\",\"name\":\"web\",\"projectId\":\"p\",\"spec\":{\"ipConfig\":{"
    "\"ipv4Subnet\":\"10.0.1.0/24\",\"ipv4Gateway\":\"10.0.1.1\",\"dhcp\":{\"enabled\":true,"
    "\"leaseTimeSec\":3600,\"dnsServers\":[\"10.0.0.53\",\"10.0.0.54\"],\"ntpServers\":"
    "[\"10.0.0.123\"],\"domainName\":\"example.com\"}},\"portSecurityEnabled\":true}}";
static const char *net2 =
    "{\"id\":\"n2\",\"name\":\"iso\",\"projectId\":\"p\",\"spec\":{\"type\":\"ISOLATED\","
    "\"ipConfig\":{\"ipv4Subnet\":\"10.0.2.0/24\",\"ipv4Gateway\":\"10.0.2.1\",\"dhcp\":"
    "{\"enabled\":true,\"leaseTimeSec\":43200}},\"mtu\":1400,\"portSecurityEnabled\":true}}";
static const char *port1 =
    "{\"id\":\"p1\",\"name\":\"vm1\",\"networkId\":\"n1\",\"projectId\":\"p\",\"spec\":{"
    "\"macAddress\":\"0a:00:00:00:00:01\",\"fixedIps\":[{\"ipAddress\":\"10.0.1.2\"}],"
    "\"allowedAddressPairs\":[{\"ipAddress\":\"10.0.1.100\"}],\"portSecurityEnabled\":true,"
    "\"adminStateUp\":true,\"binding\":{\"hostId\":\"hv1\"},\"securityGroupIds\":[\"g-1\"]}}";
static const char *sg1 =
    "{\"id\":\"g-1\",\"name\":\"web\",\"projectId\":\"p\",\"stateful\":true,\"rules\":["
    "{\"id\":\"r1\",\"protocol\":\"tcp\",\"portMin\":22,\"portMax\":22,"
    "\"remoteIpPrefix\":\"10.0.0.0/8\"},"
    "{\"id\":\"r2\",\"protocol\":\"icmp\",\"icmpType\":8},"
    "{\"id\":\"r3\",\"direction\":\"EGRESS\"},"
    "{\"id\":\"r4\",\"remoteSecurityGroupId\":\"g-1\"},"
    "{\"id\":\"r5\",\"protocol\":\"udp\",\"portMin\":1000,\"portMax\":2000,"
    "\"action\":\"REJECT\",\"priority\":5}]}";
static const char *port2 =
    "{\"id\":\"p2\",\"name\":\"vm2\",\"networkId\":\"n1\",\"projectId\":\"p\",\"spec\":{"
    "\"macAddress\":\"0a:00:00:00:00:02\",\"fixedIps\":[{\"ipAddress\":\"10.0.1.3\"}],"
    "\"portSecurityEnabled\":false,\"adminStateUp\":false}}";
static const char *port3 =
    "{\"id\":\"p3\",\"name\":\"vm3\",\"networkId\":\"n2\",\"projectId\":\"p\",\"spec\":{"
    "\"macAddress\":\"0a:00:00:00:00:03\",\"fixedIps\":[{\"ipAddress\":\"10.0.2.2\"}],"
    "\"portSecurityEnabled\":true,\"adminStateUp\":true}}";

static void
feed(struct store *s, const char *table, int n, const char *id, const char *network,
     const char *body)
{
    struct ovsdb_row row;
    snprintf(row.uuid, sizeof row.uuid, "00000000-0000-4000-8000-%012d", n);
    row.columns = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "network", network, "body", body,
                            "project", "p", "unique_key", id);
    store_row_changed(s, table, OVSDB_ROW_INSERT, NULL, &row);
    json_decref(row.columns);
}

static struct store *
model(void)
{
    struct store *s = store_create(validate_network_subnets);
    feed(s, "Network", 1, "n1", "", net1);
    feed(s, "Network", 2, "n2", "", net2);
    feed(s, "Port", 3, "p1", "n1", port1);
    feed(s, "Port", 4, "p2", "n1", port2);
    feed(s, "Port", 5, "p3", "n2", port3);
    feed(s, "Security_Group", 6, "g-1", "", sg1);
    return s;
}

/* The desired rows as one JSON object, keys sorted: stable for golden files. */
static char *
dump(const struct nb_desired *d)
{
    json_t *all = json_object();
    size_t n;
    struct strmap_node **rows = strmap_sorted(&d->rows, &n);
    for (size_t i = 0; i < n; i++) {
        const struct nb_row *r = rows[i]->value;
        json_object_set(all, rows[i]->key, r->columns);
    }
    free(rows);
    char *text = json_dumps(all, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(all);
    return text;
}

static void
test_golden(void **state)
{
    (void)state;
    struct store *s = model();
    struct translate_config cfg = {1500};
    struct nb_desired *d = translate_build(s, &cfg);
    char *text = dump(d);
    const char *dir = getenv("LQ_GOLDEN_DIR");
    assert_non_null(dir);
    char *path = xasprintf("%s/translate_basic.json", dir);
    if (getenv("LQ_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        fprintf(f, "%s\n", text);
        fclose(f);
    }
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char golden[16384];
    size_t len = fread(golden, 1, sizeof golden - 1, f);
    fclose(f);
    golden[len] = '\0';
    if (len && golden[len - 1] == '\n') {
        golden[len - 1] = '\0';
    }
    assert_string_equal(text, golden);
    free(text);
    free(path);
    translate_destroy(d);
    store_destroy(s);
}

/* A fake Northbound replica: table -> (uuid -> row). */
struct fake_nb {
    struct strmap tables;
    int next;
};

static const struct strmap *
nb_table(void *nb_, const char *table)
{
    struct fake_nb *nb = nb_;
    struct strmap *t = strmap_get(&nb->tables, table);
    if (!t) {
        t = xcalloc(1, sizeof *t);
        strmap_put(&nb->tables, table, t);
    }
    return t;
}

static void
replace_named(json_t *v, const struct strmap *names)
{
    size_t i;
    json_t *e;
    if (json_is_object(v)) {
        const char *k;
        json_object_foreach(v, k, e)
        {
            replace_named(e, names);
        }
    } else if (json_is_array(v)) {
        if (json_array_size(v) == 2 &&
            !strcmp(json_string_value(json_array_get(v, 0)) ?: "", "named-uuid")) {
            json_array_set_new(v, 0, json_string("uuid"));
            json_array_set_new(
                v, 1, json_string(strmap_get(names, json_string_value(json_array_get(v, 1)))));
            return;
        }
        json_array_foreach(v, i, e)
        {
            replace_named(e, names);
        }
    }
}

static struct ovsdb_row *
find_uuid(struct fake_nb *nb, const char *table, const char *uuid)
{
    return strmap_get(nb_table(nb, table), uuid);
}

/* Applies insert/update/delete operations the way ovsdb-server would. */
static void
apply(struct fake_nb *nb, json_t *ops)
{
    struct strmap names = STRMAP_INITIALIZER;
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op)
    {
        const char *name = json_string_value(json_object_get(op, "uuid-name"));
        if (name) {
            strmap_put(&names, name, xasprintf("00000000-0000-4000-9000-%012d", ++nb->next));
        }
    }
    json_array_foreach(ops, i, op)
    {
        const char *kind = json_string_value(json_object_get(op, "op"));
        const char *table = json_string_value(json_object_get(op, "table"));
        struct strmap *t = (struct strmap *)nb_table(nb, table);
        json_t *row = json_deep_copy(json_object_get(op, "row"));
        replace_named(row, &names);
        if (!strcmp(kind, "insert")) {
            struct ovsdb_row *r = xcalloc(1, sizeof *r);
            snprintf(
                r->uuid, sizeof r->uuid, "%s",
                (char *)strmap_get(&names, json_string_value(json_object_get(op, "uuid-name"))));
            r->columns = row;
            strmap_put(t, r->uuid, r);
            continue;
        }
        const char *uuid = json_string_value(
            json_array_get(json_array_get(json_array_get(json_object_get(op, "where"), 0), 2), 1));
        struct ovsdb_row *r = find_uuid(nb, table, uuid);
        assert_non_null(r);
        if (!strcmp(kind, "update")) {
            json_object_update(r->columns, row);
            json_decref(row);
        } else if (!strcmp(kind, "mutate")) {
            json_t *muts = json_deep_copy(json_object_get(op, "mutations"));
            replace_named(muts, &names);
            size_t k;
            json_t *m;
            json_array_foreach(muts, k, m)
            {
                const char *col = json_string_value(json_array_get(m, 0));
                bool ins = !strcmp(json_string_value(json_array_get(m, 1)), "insert");
                json_t *elems = json_array_get(json_array_get(m, 2), 1);
                json_t *set = json_array_get(json_object_get(r->columns, col), 1);
                size_t e;
                json_t *x;
                json_array_foreach(elems, e, x)
                {
                    if (ins) {
                        json_array_append(set, x);
                        continue;
                    }
                    for (size_t y = 0; y < json_array_size(set); y++) {
                        if (json_equal(json_array_get(set, y), x)) {
                            json_array_remove(set, y);
                            break;
                        }
                    }
                }
            }
            json_decref(muts);
            json_decref(row);
        } else {
            strmap_remove(t, uuid);
            json_decref(r->columns);
            free(r);
            json_decref(row);
        }
    }
    strmap_destroy_with(&names, free);
}

static void
free_row(void *r_)
{
    struct ovsdb_row *r = r_;
    json_decref(r->columns);
    free(r);
}

static void
free_table(void *t_)
{
    strmap_destroy_with(t_, free_row);
    free(t_);
}

/* A full diff: every desired key and every tagged row, through a fresh index. */
static json_t *
full_diff(struct fake_nb *nb, const struct nb_desired *d, struct strmap *differs)
{
    struct strmap index = STRMAP_INITIALIZER, check = STRMAP_INITIALIZER;
    for (struct strmap_node *t = strmap_first(&nb->tables); t; t = strmap_next(&nb->tables, t)) {
        const struct strmap *rows = t->value;
        for (struct strmap_node *n = strmap_first(rows); n; n = strmap_next(rows, n)) {
            diff_index_add(&index, t->key, n->value);
        }
    }
    const struct strmap *maps[] = {&d->rows, &index};
    for (size_t i = 0; i < 2; i++) {
        for (struct strmap_node *n = strmap_first(maps[i]); n; n = strmap_next(maps[i], n)) {
            strmap_put(&check, n->key, NULL);
        }
    }
    json_t *ops = diff_compute(d, &index, &check, differs);
    strmap_destroy(&check);
    diff_index_destroy(&index);
    return ops;
}

static size_t
diff_size(struct fake_nb *nb, const struct nb_desired *d, json_t **ops_out)
{
    json_t *ops = full_diff(nb, d, NULL);
    size_t n = json_array_size(ops);
    if (ops_out) {
        *ops_out = ops;
    } else {
        json_decref(ops);
    }
    return n;
}

static void
test_diff_converges(void **state)
{
    (void)state;
    struct store *s = model();
    struct translate_config cfg = {1500};
    struct nb_desired *d = translate_build(s, &cfg);
    struct fake_nb nb = {STRMAP_INITIALIZER, 0};

    /* A row of somebody else's is never touched. */
    struct ovsdb_row *foreign = xcalloc(1, sizeof *foreign);
    strcpy(foreign->uuid, "99999999-0000-4000-8000-000000000000");
    foreign->columns = json_pack("{s:s, s:[s, []], s:[s, [[s, s]]]}", "name", "theirs", "ports",
                                 "set", "external_ids", "map", "owner", "someone");
    strmap_put((struct strmap *)nb_table(&nb, "Logical_Switch"), foreign->uuid, foreign);

    json_t *ops;
    struct strmap dirty = STRMAP_INITIALIZER;
    json_decref(full_diff(&nb, d, &dirty));
    /* 2 switches, 2 DHCP options, 3 ports; the default-deny group with its
     * 8 ACLs; group g-1 with 8 ACLs (r1, r2 IPv4 only; r3, r4, r5 both). */
    assert_int_equal(strmap_count(&dirty), 25);
    strmap_destroy(&dirty);
    assert_int_equal(diff_size(&nb, d, &ops), 25);
    apply(&nb, ops);
    json_decref(ops);
    assert_int_equal(diff_size(&nb, d, NULL), 0);
    assert_non_null(find_uuid(&nb, "Logical_Switch", foreign->uuid));

    /* Drift: someone edits a port's addresses; one update puts it back. */
    const struct strmap *lsps = nb_table(&nb, "Logical_Switch_Port");
    struct ovsdb_row *lsp = strmap_first(lsps)->value;
    json_object_set_new(lsp->columns, "addresses", json_pack("[s, [s]]", "set", "x 1.1.1.1"));
    assert_int_equal(diff_size(&nb, d, &ops), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ops, 0), "op")), "update");
    assert_int_equal(json_object_size(json_object_get(json_array_get(ops, 0), "row")), 1);
    apply(&nb, ops);
    json_decref(ops);
    assert_int_equal(diff_size(&nb, d, NULL), 0);

    /* A stale lqnet row (its resource is gone) is deleted. */
    struct ovsdb_row *stale = xcalloc(1, sizeof *stale);
    strcpy(stale->uuid, "88888888-0000-4000-8000-000000000000");
    stale->columns = json_pack("{s:s, s:[s, [[s, s], [s, s]]]}", "cidr", "10.9.0.0/24",
                               "external_ids", "map", "lqnet:kind", "dhcp4", "lqnet:owner", "gone");
    strmap_put((struct strmap *)nb_table(&nb, "DHCP_Options"), stale->uuid, stale);
    assert_int_equal(diff_size(&nb, d, &ops), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ops, 0), "op")), "delete");
    apply(&nb, ops);
    json_decref(ops);
    assert_int_equal(diff_size(&nb, d, NULL), 0);

    /* Incremental: a port goes away; recomputing it and its network and
     * diffing just the keys that changed removes it from Northbound. */
    struct ovsdb_row gone;
    snprintf(gone.uuid, sizeof gone.uuid, "00000000-0000-4000-8000-%012d", 4);
    gone.columns = json_pack("{s:s, s:s}", "id", "p2", "network", "n1");
    store_row_changed(s, "Port", OVSDB_ROW_DELETE, &gone, NULL);
    json_decref(gone.columns);
    struct strmap changed = STRMAP_INITIALIZER, index = STRMAP_INITIALIZER;
    translate_owner(d, s, &cfg, "p2", &changed);
    translate_owner(d, s, &cfg, "n1", &changed);
    assert_true(strmap_contains(&changed, "Logical_Switch_Port|port:p2"));
    assert_true(strmap_contains(&changed, "Logical_Switch|network:n1"));
    for (struct strmap_node *t = strmap_first(&nb.tables); t; t = strmap_next(&nb.tables, t)) {
        const struct strmap *rows = t->value;
        for (struct strmap_node *n = strmap_first(rows); n; n = strmap_next(rows, n)) {
            diff_index_add(&index, t->key, n->value);
        }
    }
    ops = diff_compute(d, &index, &changed, NULL);
    diff_index_destroy(&index);
    strmap_destroy(&changed);
    /* The switch drops the port from its ports; the port row goes. The
     * network's DHCP options were recomputed too, but did not change. */
    assert_int_equal(json_array_size(ops), 2);
    apply(&nb, ops);
    json_decref(ops);
    assert_int_equal(diff_size(&nb, d, NULL), 0);
    assert_null(translate_find(d, "Logical_Switch_Port", "port:p2"));

    strmap_destroy_with(&nb.tables, free_table);
    translate_destroy(d);
    store_destroy(s);
}

/* A network of 20 ports: one port leaving changes the switch's ports by
 * a mutation of one element, not by rewriting the whole set. */
static void
test_large_sets_mutate(void **state)
{
    (void)state;
    struct store *s = store_create(validate_network_subnets);
    feed(s, "Network", 1, "n1", "", net1);
    for (int i = 0; i < 20; i++) {
        char id[16], body[512];
        snprintf(id, sizeof id, "q%02d", i);
        snprintf(body, sizeof body,
                 "{\"id\":\"%s\",\"networkId\":\"n1\",\"projectId\":\"p\",\"spec\":"
                 "{\"macAddress\":\"0a:00:00:00:01:%02x\",\"fixedIps\":[{\"ipAddress\":"
                 "\"10.0.1.%d\"}],\"portSecurityEnabled\":false,\"adminStateUp\":true}}",
                 id, i, 10 + i);
        feed(s, "Port", 100 + i, id, "n1", body);
    }
    struct translate_config cfg = {1500};
    struct nb_desired *d = translate_build(s, &cfg);
    struct fake_nb nb = {STRMAP_INITIALIZER, 0};
    json_t *ops;
    diff_size(&nb, d, &ops);
    apply(&nb, ops);
    json_decref(ops);
    assert_int_equal(diff_size(&nb, d, NULL), 0);

    struct ovsdb_row gone;
    snprintf(gone.uuid, sizeof gone.uuid, "00000000-0000-4000-8000-%012d", 105);
    gone.columns = json_pack("{s:s, s:s}", "id", "q05", "network", "n1");
    store_row_changed(s, "Port", OVSDB_ROW_DELETE, &gone, NULL);
    json_decref(gone.columns);
    translate_owner(d, s, &cfg, "q05", NULL);
    translate_owner(d, s, &cfg, "n1", NULL);
    assert_int_equal(diff_size(&nb, d, &ops), 2);
    const json_t *mutate = NULL;
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op)
    {
        if (!strcmp(json_string_value(json_object_get(op, "op")), "mutate")) {
            mutate = op;
        }
    }
    assert_non_null(mutate);
    const json_t *m = json_array_get(json_object_get(mutate, "mutations"), 0);
    assert_string_equal(json_string_value(json_array_get(m, 0)), "ports");
    assert_string_equal(json_string_value(json_array_get(m, 1)), "delete");
    assert_int_equal(json_array_size(json_array_get(json_array_get(m, 2), 1)), 1);
    apply(&nb, ops);
    json_decref(ops);
    assert_int_equal(diff_size(&nb, d, NULL), 0);
    strmap_destroy_with(&nb.tables, free_table);
    translate_destroy(d);
    store_destroy(s);
}

static void
test_values_equal(void **state)
{
    (void)state;
    json_t *a = json_pack("[s, [s, s]]", "set", "b", "a");
    json_t *b = json_pack("[s, [s, s]]", "set", "a", "b");
    json_t *one = json_pack("[s, [s]]", "set", "a");
    json_t *atom = json_string("a");
    json_t *m1 = json_pack("[s, [[s, s], [s, s]]]", "map", "k", "v", "j", "w");
    json_t *m2 = json_pack("[s, [[s, s], [s, s]]]", "map", "j", "w", "k", "v");
    json_t *m3 = json_pack("[s, [[s, s]]]", "map", "j", "w");
    assert_true(diff_values_equal(a, b));
    assert_true(diff_values_equal(one, atom));
    assert_false(diff_values_equal(a, one));
    assert_true(diff_values_equal(m1, m2));
    assert_false(diff_values_equal(m1, m3));
    json_decref(a);
    json_decref(b);
    json_decref(one);
    json_decref(atom);
    json_decref(m1);
    json_decref(m2);
    json_decref(m3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_diff_converges),
        cmocka_unit_test(test_large_sets_mutate),
        cmocka_unit_test(test_values_equal),
    };
    return cmocka_run_group_tests_name("translate", tests, NULL, NULL);
}
