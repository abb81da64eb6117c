#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "ovsdb.h"

struct fake {
    struct strmap ovs;
    struct strmap bridges;
};

static const struct strmap *
tables(void *f_, const char *table)
{
    struct fake *f = f_;
    return !strcmp(table, "Open_vSwitch") ? &f->ovs : !strcmp(table, "Bridge") ? &f->bridges : NULL;
}

static struct ovsdb_row *
row(const char *uuid, const char *json)
{
    struct ovsdb_row *r = calloc(1, sizeof *r);
    snprintf(r->uuid, sizeof r->uuid, "%s", uuid);
    r->columns = json_loads(json, 0, NULL);
    assert_non_null(r->columns);
    return r;
}

static void
free_row(void *r_)
{
    struct ovsdb_row *r = r_;
    json_decref(r->columns);
    free(r);
}

static const struct agent_config cfg = {"hv1",       "unix:/sb.sock", "geneve",
                                        "127.0.0.1", "physnet:br-ex", "netdev"};

static int
count_ops(const json_t *ops, const char *op, const char *table)
{
    int n = 0;
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o)
    {
        n += !strcmp(json_string_value(json_object_get(o, "op")), op) &&
             !strcmp(json_string_value(json_object_get(o, "table")), table);
    }
    return n;
}

static void
test_fresh_host(void **state)
{
    (void)state;
    struct fake f = {STRMAP_INITIALIZER, STRMAP_INITIALIZER};
    strmap_put(&f.ovs, "11111111-1111-4111-8111-111111111111",
               row("11111111-1111-4111-8111-111111111111",
                   "{\"external_ids\":[\"map\",[]],\"bridges\":[\"set\",[]]}"));
    const char *error = NULL;
    json_t *ops = bootstrap_ops(&cfg, tables, &f, &error);
    assert_non_null(ops);
    /* external_ids, then br-int and br-ex with their ports and interfaces. */
    assert_int_equal(count_ops(ops, "mutate", "Open_vSwitch"), 3);
    assert_int_equal(count_ops(ops, "insert", "Bridge"), 2);
    assert_int_equal(count_ops(ops, "insert", "Interface"), 2);
    char *text = json_dumps(ops, JSON_COMPACT);
    assert_non_null(strstr(text, "[\"ovn-encap-ip\",\"127.0.0.1\"]"));
    assert_non_null(strstr(text, "\"fail_mode\":\"secure\""));
    free(text);
    json_decref(ops);
    strmap_destroy_with(&f.ovs, free_row);
}

static void
test_ready_host_needs_nothing_and_repairs_drift(void **state)
{
    (void)state;
    struct fake f = {STRMAP_INITIALIZER, STRMAP_INITIALIZER};
    const char *ids =
        "[\"map\",[[\"ovn-bridge-datapath-type\",\"netdev\"],"
        "[\"ovn-bridge-mappings\",\"physnet:br-ex\"],[\"ovn-encap-ip\",\"127.0.0.1\"],"
        "[\"ovn-encap-type\",\"geneve\"],[\"ovn-remote\",\"unix:/sb.sock\"],"
        "[\"system-id\",\"hv1\"]]]";
    char *json = NULL;
    assert_true(asprintf(&json, "{\"external_ids\":%s,\"bridges\":[\"set\",[]]}", ids) > 0);
    strmap_put(&f.ovs, "o", row("11111111-1111-4111-8111-111111111111", json));
    free(json);
    strmap_put(&f.bridges, "a",
               row("22222222-2222-4222-8222-222222222222",
                   "{\"name\":\"br-int\",\"datapath_type\":\"netdev\"}"));
    strmap_put(&f.bridges, "b",
               row("33333333-3333-4333-8333-333333333333",
                   "{\"name\":\"br-ex\",\"datapath_type\":\"netdev\"}"));
    const char *error = NULL;
    json_t *ops = bootstrap_ops(&cfg, tables, &f, &error);
    assert_int_equal(json_array_size(ops), 0);
    json_decref(ops);

    /* Someone switched br-ex to the kernel datapath: it is put back. */
    struct ovsdb_row *br = strmap_get(&f.bridges, "b");
    json_object_set_new(br->columns, "datapath_type", json_string("system"));
    ops = bootstrap_ops(&cfg, tables, &f, &error);
    assert_int_equal(json_array_size(ops), 1);
    assert_int_equal(count_ops(ops, "update", "Bridge"), 1);
    json_decref(ops);
    strmap_destroy_with(&f.ovs, free_row);
    strmap_destroy_with(&f.bridges, free_row);
}

static void
test_bad_mappings(void **state)
{
    (void)state;
    struct fake f = {STRMAP_INITIALIZER, STRMAP_INITIALIZER};
    struct agent_config bad = cfg;
    bad.bridge_mappings = "physnet";
    const char *error = NULL;
    assert_null(bootstrap_ops(&bad, tables, &f, &error));
    assert_non_null(strstr(error, "physnet:br-ex"));
    bad.bridge_mappings = "";
    error = NULL;
    assert_null(bootstrap_ops(&bad, tables, &f, &error)); /* no Open_vSwitch row */
    assert_non_null(strstr(error, "ovs-vsctl init"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_host),
        cmocka_unit_test(test_ready_host_needs_nothing_and_repairs_drift),
        cmocka_unit_test(test_bad_mappings),
    };
    return cmocka_run_group_tests_name("agent_bootstrap", tests, NULL, NULL);
}
