#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-jsonrpc.h"
#include "ovsdb-replica.h"
#include "ovsdb.h"

static json_t *
J(const char *text)
{
    json_error_t error;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &error);
    if (!j) {
        fail_msg("bad test JSON %s: %s", text, error.text);
    }
    return j;
}

/* Asserts that 'got' (consumed) equals the JSON 'want'. */
static void
assert_json(json_t *got, const char *want)
{
    json_t *w = J(want);
    if (!got || !json_equal(got, w)) {
        char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("NULL");
        fail_msg("got %s, want %s", g, want);
    }
    json_decref(w);
    json_decref(got);
}

/* Framing. */

static const char stream[] = "{\"id\":1,\"result\":{\"a\":[1,2,{\"b\":\"}]{[\"}]},\"error\":null}"
                             "{\"method\":\"echo\",\"params\":[\"x\\\"}\\\\\"],\"id\":\"e\"}\n"
                             "  {\"id\":null,\"method\":\"update2\",\"params\":[\"m\",{}]}";

static void
check_stream_messages(json_t **msgs, int n)
{
    assert_int_equal(n, 3);
    assert_json(msgs[0], "{\"id\":1,\"result\":{\"a\":[1,2,{\"b\":\"}]{[\"}]},\"error\":null}");
    assert_json(msgs[1], "{\"method\":\"echo\",\"params\":[\"x\\\"}\\\\\"],\"id\":\"e\"}");
    assert_json(msgs[2], "{\"id\":null,\"method\":\"update2\",\"params\":[\"m\",{}]}");
}

static void
test_framing_concatenated(void **state)
{
    (void)state;
    struct ovsdb_jsonrpc_parser p;
    ovsdb_jsonrpc_parser_init(&p);
    ovsdb_jsonrpc_parser_feed(&p, stream, strlen(stream));
    json_t *msgs[4];
    int n = 0, r;
    while (n < 4 && (r = ovsdb_jsonrpc_parser_next(&p, &msgs[n])) == 1) {
        n++;
    }
    assert_int_equal(ovsdb_jsonrpc_parser_pending(&p), 0);
    check_stream_messages(msgs, n);
    ovsdb_jsonrpc_parser_destroy(&p);
}

/* Every split point, and byte by byte: the same messages come out. */
static void
test_framing_split(void **state)
{
    (void)state;
    size_t len = strlen(stream);
    for (size_t chunk = 1; chunk <= len; chunk = chunk < 8 ? chunk + 1 : chunk * 2) {
        struct ovsdb_jsonrpc_parser p;
        ovsdb_jsonrpc_parser_init(&p);
        json_t *msgs[4];
        int n = 0;
        for (size_t off = 0; off < len; off += chunk) {
            size_t k = len - off < chunk ? len - off : chunk;
            ovsdb_jsonrpc_parser_feed(&p, stream + off, k);
            while (n < 4 && ovsdb_jsonrpc_parser_next(&p, &msgs[n]) == 1) {
                n++;
            }
        }
        check_stream_messages(msgs, n);
        ovsdb_jsonrpc_parser_destroy(&p);
    }
    for (size_t cut = 1; cut < len; cut++) {
        struct ovsdb_jsonrpc_parser p;
        ovsdb_jsonrpc_parser_init(&p);
        json_t *msgs[4];
        int n = 0;
        ovsdb_jsonrpc_parser_feed(&p, stream, cut);
        while (n < 4 && ovsdb_jsonrpc_parser_next(&p, &msgs[n]) == 1) {
            n++;
        }
        ovsdb_jsonrpc_parser_feed(&p, stream + cut, len - cut);
        while (n < 4 && ovsdb_jsonrpc_parser_next(&p, &msgs[n]) == 1) {
            n++;
        }
        check_stream_messages(msgs, n);
        ovsdb_jsonrpc_parser_destroy(&p);
    }
}

static void
test_framing_large_and_errors(void **state)
{
    (void)state;
    struct ovsdb_jsonrpc_parser p;
    ovsdb_jsonrpc_parser_init(&p);
    /* A message much bigger than the initial buffer, fed in pieces, twice
     * (the second time the buffer is compacted and reused). */
    json_t *big = json_object(), *arr = json_array();
    for (int i = 0; i < 20000; i++) {
        json_array_append_new(arr, json_sprintf("element-%d-}]", i));
    }
    json_object_set_new(big, "result", arr);
    char *text = json_dumps(big, JSON_COMPACT);
    size_t len = strlen(text);
    for (int round = 0; round < 2; round++) {
        json_t *msg = NULL;
        for (size_t off = 0; off < len; off += 1000) {
            assert_null(msg);
            ovsdb_jsonrpc_parser_feed(&p, text + off, len - off < 1000 ? len - off : 1000);
            int r = ovsdb_jsonrpc_parser_next(&p, &msg);
            assert_int_equal(r, off + 1000 >= len ? 1 : 0);
        }
        assert_true(json_equal(msg, big));
        json_decref(msg);
    }
    free(text);
    json_decref(big);

    json_t *msg;
    ovsdb_jsonrpc_parser_reset(&p);
    ovsdb_jsonrpc_parser_feed(&p, "[1,2]", 5);
    assert_int_equal(ovsdb_jsonrpc_parser_next(&p, &msg), -EPROTO);
    ovsdb_jsonrpc_parser_reset(&p);
    ovsdb_jsonrpc_parser_feed(&p, "{\"a\":nope}", 10);
    assert_int_equal(ovsdb_jsonrpc_parser_next(&p, &msg), -EPROTO);
    ovsdb_jsonrpc_parser_reset(&p);
    ovsdb_jsonrpc_parser_feed(&p, "{\"a\":1]", 7);
    assert_int_equal(ovsdb_jsonrpc_parser_next(&p, &msg), -EPROTO);
    ovsdb_jsonrpc_parser_reset(&p);
    ovsdb_jsonrpc_parser_feed(&p, " \n{\"a\":1}", 9);
    assert_int_equal(ovsdb_jsonrpc_parser_next(&p, &msg), 1);
    json_decref(msg);
    ovsdb_jsonrpc_parser_destroy(&p);
}

static void
test_jsonrpc_builders(void **state)
{
    (void)state;
    assert_json(ovsdb_jsonrpc_request("echo", json_array(), 7),
                "{\"method\":\"echo\",\"params\":[],\"id\":7}");
    json_t *id = json_string("x");
    assert_json(ovsdb_jsonrpc_reply(json_pack("[i]", 1), id),
                "{\"result\":[1],\"error\":null,\"id\":\"x\"}");
    assert_json(ovsdb_jsonrpc_error_reply("unknown method", id),
                "{\"result\":null,\"error\":\"unknown method\",\"id\":\"x\"}");
    json_decref(id);
    assert_json(ovsdb_jsonrpc_notify("n", json_array()),
                "{\"method\":\"n\",\"params\":[],\"id\":null}");
}

/* Types and values. */

static struct ovsdb_type
T(const char *text) {
    struct ovsdb_type t;
    json_t *j = J(text);
    assert_int_equal(ovsdb_type_from_json(j, &t), 0);
    json_decref(j);
    return t;
}

static void
test_types(void **state)
{
    (void)state;
    struct ovsdb_type t = T("\"string\"");
    assert_true(ovsdb_type_is_scalar(&t));
    t = T("{\"key\":{\"type\":\"string\",\"enum\":[\"set\",[\"a\",\"b\"]]}}");
    assert_true(ovsdb_type_is_scalar(&t));
    t = T("{\"key\":\"integer\",\"min\":0,\"max\":1}");
    assert_false(ovsdb_type_is_scalar(&t));
    assert_false(ovsdb_type_is_map(&t));
    t = T("{\"key\":\"string\",\"value\":\"string\",\"min\":0,\"max\":\"unlimited\"}");
    assert_true(ovsdb_type_is_map(&t));
    assert_int_equal(t.max, UINT_MAX);
    t = T("{\"key\":{\"type\":\"uuid\",\"refTable\":\"X\"},\"min\":0,\"max\":\"unlimited\"}");
    assert_int_equal(t.key, OVSDB_T_UUID);

    struct ovsdb_type bad;
    json_t *j = J("{\"key\":\"blob\"}");
    assert_int_equal(ovsdb_type_from_json(j, &bad), -EINVAL);
    json_decref(j);
    j = J("{\"key\":\"string\",\"max\":0}");
    assert_int_equal(ovsdb_type_from_json(j, &bad), -EINVAL);
    json_decref(j);
}

static json_t *
norm(const char *type, const char *value)
{
    struct ovsdb_type t = T(type);
    json_t *v = J(value);
    json_t *out = ovsdb_datum_normalize(&t, v);
    json_decref(v);
    return out;
}

static json_t *
diff(const char *type, const char *old, const char *d)
{
    struct ovsdb_type t = T(type);
    json_t *o = J(old), *dj = J(d);
    json_t *out = ovsdb_datum_apply_diff(&t, o, dj);
    json_decref(o);
    json_decref(dj);
    return out;
}

#define SSET "{\"key\":\"string\",\"min\":0,\"max\":\"unlimited\"}"
#define OPT_STR "{\"key\":\"string\",\"min\":0,\"max\":1}"
#define SMAP "{\"key\":\"string\",\"value\":\"string\",\"min\":0,\"max\":\"unlimited\"}"
#define IMAP "{\"key\":\"integer\",\"value\":\"uuid\",\"min\":0,\"max\":\"unlimited\"}"
#define USET "{\"key\":\"uuid\",\"min\":0,\"max\":\"unlimited\"}"
#define U1 "[\"uuid\",\"11111111-1111-1111-1111-111111111111\"]"
#define U2 "[\"uuid\",\"22222222-2222-2222-2222-222222222222\"]"
#define U3 "[\"uuid\",\"33333333-3333-3333-3333-333333333333\"]"

static void
test_datum_normalize(void **state)
{
    (void)state;
    assert_json(norm("\"string\"", "\"x\""), "\"x\"");
    assert_json(norm("\"real\"", "1"), "1.0");
    assert_json(norm("\"integer\"", "-5"), "-5");
    assert_json(norm("\"uuid\"", U1), U1);
    assert_null(norm("\"integer\"", "\"5\""));
    assert_null(norm("\"uuid\"", "[\"uuid\",\"nope\"]"));
    /* A bare atom is a one-element set. */
    assert_json(norm(SSET, "\"a\""), "[\"set\",[\"a\"]]");
    assert_json(norm(SSET, "[\"set\",[\"b\",\"a\",\"c\",\"a\"]]"), "[\"set\",[\"a\",\"b\",\"c\"]]");
    assert_json(norm(USET, U2), "[\"set\",[" U2 "]]");
    assert_json(norm(USET, "[\"set\",[" U3 "," U1 "]]"), "[\"set\",[" U1 "," U3 "]]");
    assert_json(
        norm("{\"key\":\"integer\",\"min\":0,\"max\":\"unlimited\"}", "[\"set\",[10,9,-1]]"),
        "[\"set\",[-1,9,10]]");
    assert_json(norm(SMAP, "[\"map\",[[\"z\",\"1\"],[\"a\",\"2\"],[\"z\",\"3\"]]]"),
                "[\"map\",[[\"a\",\"2\"],[\"z\",\"3\"]]]");
    assert_json(norm(IMAP, "[\"map\",[[2," U1 "],[1," U2 "]]]"),
                "[\"map\",[[1," U2 "],[2," U1 "]]]");
    assert_null(norm(SMAP, "\"a\""));
    assert_null(norm(SMAP, "[\"map\",[[\"a\",1]]]"));

    struct ovsdb_type t = T(SMAP);
    assert_json(ovsdb_datum_default(&t), "[\"map\",[]]");
    t = T(OPT_STR);
    assert_json(ovsdb_datum_default(&t), "[\"set\",[]]");
    t = T("\"boolean\"");
    assert_json(ovsdb_datum_default(&t), "false");
    t = T("\"uuid\"");
    assert_json(ovsdb_datum_default(&t), "[\"uuid\",\"00000000-0000-0000-0000-000000000000\"]");
}

static void
test_datum_diff(void **state)
{
    (void)state;
    /* Scalars: the diff is the new value. */
    assert_json(diff("\"string\"", "\"a\"", "\"b\""), "\"b\"");
    assert_json(diff("\"real\"", "1.5", "2"), "2.0");
    /* Sets: symmetric difference. */
    assert_json(diff(SSET, "[\"set\",[\"a\",\"b\",\"c\"]]", "[\"set\",[\"b\",\"d\"]]"),
                "[\"set\",[\"a\",\"c\",\"d\"]]");
    assert_json(diff(SSET, "[\"set\",[\"a\"]]", "\"a\""), "[\"set\",[]]");
    assert_json(diff(SSET, "[\"set\",[]]", "\"z\""), "[\"set\",[\"z\"]]");
    assert_json(diff(USET, "[\"set\",[" U1 "," U3 "]]", "[\"set\",[" U2 "," U3 "]]"),
                "[\"set\",[" U1 "," U2 "]]");
    /* An optional value: ovsdb-server sends the new value, as for scalars. */
    assert_json(diff(OPT_STR, "[\"set\",[\"a\"]]", "\"b\""), "[\"set\",[\"b\"]]");
    assert_json(diff(OPT_STR, "[\"set\",[\"a\"]]", "[\"set\",[]]"), "[\"set\",[]]");
    assert_json(diff(OPT_STR, "[\"set\",[]]", "\"a\""), "[\"set\",[\"a\"]]");
    /* Maps: removed pairs repeat the old value, changed keys carry the new one. */
    assert_json(diff(SMAP, "[\"map\",[[\"a\",\"1\"],[\"b\",\"2\"],[\"c\",\"3\"]]]",
                     "[\"map\",[[\"a\",\"1\"],[\"b\",\"9\"],[\"d\",\"4\"]]]"),
                "[\"map\",[[\"b\",\"9\"],[\"c\",\"3\"],[\"d\",\"4\"]]]");
    assert_json(diff(SMAP, "[\"map\",[]]", "[\"map\",[[\"k\",\"v\"]]]"),
                "[\"map\",[[\"k\",\"v\"]]]");
    assert_json(diff(IMAP, "[\"map\",[[1," U1 "]]]", "[\"map\",[[1," U2 "]]]"),
                "[\"map\",[[1," U2 "]]]");
    assert_null(diff(SMAP, "[\"map\",[]]", "[\"set\",[]]"));
    assert_null(diff(SSET, "[\"set\",[]]", "[\"set\",[1]]"));
}

/* Replica. */

static const char schema_text[] =
    "{\"name\":\"T\",\"tables\":{"
    "\"Sw\":{\"columns\":{"
    "\"name\":{\"type\":\"string\"},"
    "\"ports\":{\"type\":{\"key\":{\"type\":\"uuid\",\"refTable\":\"P\"},\"min\":0,\"max\":"
    "\"unlimited\"}},"
    "\"other_config\":{\"type\":" SMAP "},"
    "\"tag\":{\"type\":{\"key\":\"integer\",\"min\":0,\"max\":1}},"
    "\"up\":{\"type\":\"boolean\"},"
    "\"weight\":{\"type\":\"real\"}}},"
    "\"P\":{\"columns\":{\"name\":{\"type\":\"string\"}}}}}";

#define R1 "11111111-1111-1111-1111-111111111111"
#define R2 "22222222-2222-2222-2222-222222222222"
#define R3 "33333333-3333-3333-3333-333333333333"

static void
setup_replica(struct ovsdb_replica *r, bool all_columns)
{
    static const char *const cols[] = {"name", "ports",  "other_config", "tag",
                                       "up",   "weight", "missing",      NULL};
    ovsdb_replica_init(r);
    ovsdb_replica_add(r, "Sw", all_columns ? NULL : cols);
    ovsdb_replica_add(r, "Gone", NULL);
    json_t *schema = J(schema_text);
    ovsdb_replica_set_schema(r, schema);
    json_decref(schema);
}

static const struct ovsdb_row *
row_of(struct ovsdb_replica *r, const char *uuid)
{
    return strmap_get(&ovsdb_replica_find(r, "Sw")->rows, uuid);
}

static void
apply(struct ovsdb_replica *r, const char *update, struct ovsdb_changes *ch, int want_bad)
{
    json_t *u = J(update);
    assert_int_equal(ovsdb_replica_apply_update2(r, u, ch), want_bad);
    json_decref(u);
}

static void
test_replica_update2(void **state)
{
    (void)state;
    struct ovsdb_replica r;
    struct ovsdb_changes ch;
    ovsdb_changes_init(&ch);
    setup_replica(&r, false);

    json_t *req = ovsdb_replica_monitor_requests(&r);
    assert_json(req, "{\"Sw\":[{\"columns\":[\"name\",\"ports\",\"other_config\",\"tag\",\"up\","
                     "\"weight\"],\"where\":[true]}]}");

    /* Insert: omitted columns get their defaults. */
    apply(&r, "{\"Sw\":{\"" R1 "\":{\"insert\":{\"name\":\"sw1\",\"ports\":" U2 "}}}}", &ch, 0);
    assert_int_equal(ch.n, 1);
    assert_int_equal(ch.v[0].kind, OVSDB_ROW_INSERT);
    const struct ovsdb_row *row = row_of(&r, R1);
    assert_ptr_equal(ch.v[0].row, row);
    assert_json(json_incref(row->columns),
                "{\"name\":\"sw1\",\"ports\":[\"set\",[" U2 "]],\"other_config\":[\"map\",[]],"
                "\"tag\":[\"set\",[]],\"up\":false,\"weight\":0.0}");
    ovsdb_changes_clear(&ch);

    /* Modify: diffs on a set, a map, an optional and a scalar; the row stays put. */
    apply(&r,
          "{\"Sw\":{\"" R1 "\":{\"modify\":{\"ports\":[\"set\",[" U1 "," U2 "]],"
          "\"other_config\":[\"map\",[[\"a\",\"1\"]]],\"tag\":7,\"up\":true,\"weight\":2}}}}",
          &ch, 0);
    assert_int_equal(ch.n, 1);
    assert_int_equal(ch.v[0].kind, OVSDB_ROW_MODIFY);
    assert_ptr_equal(row_of(&r, R1), row);
    assert_json(json_incref(ch.v[0].old_columns),
                "{\"name\":\"sw1\",\"ports\":[\"set\",[" U2 "]],\"other_config\":[\"map\",[]],"
                "\"tag\":[\"set\",[]],\"up\":false,\"weight\":0.0}");
    assert_json(json_incref(row->columns),
                "{\"name\":\"sw1\",\"ports\":[\"set\",[" U1 "]],\"other_config\":[\"map\",[[\"a\","
                "\"1\"]]],\"tag\":[\"set\",[7]],\"up\":true,\"weight\":2.0}");
    ovsdb_changes_clear(&ch);

    apply(&r, "{\"Sw\":{\"" R1 "\":{\"modify\":{\"other_config\":[\"map\",[[\"a\",\"1\"]]]}}}}",
          &ch, 0);
    assert_json(json_incref(json_object_get(row->columns, "other_config")), "[\"map\",[]]");
    ovsdb_changes_clear(&ch);

    /* Malformed entries are skipped, the rest applies. */
    apply(&r,
          "{\"Sw\":{\"" R2 "\":{\"modify\":{\"name\":\"x\"}},"
          "\"" R3 "\":{\"insert\":{\"name\":\"sw3\"}},"
          "\"not-a-uuid\":{\"insert\":{}}},"
          "\"Unknown\":{}}",
          &ch, 3);
    assert_int_equal(ch.n, 1);
    assert_non_null(row_of(&r, R3));
    ovsdb_changes_clear(&ch);

    /* Delete: the change owns the row until cleared. */
    apply(&r, "{\"Sw\":{\"" R1 "\":{\"delete\":null}}}", &ch, 0);
    assert_int_equal(ch.n, 1);
    assert_int_equal(ch.v[0].kind, OVSDB_ROW_DELETE);
    assert_string_equal(ch.v[0].row->uuid, R1);
    assert_null(row_of(&r, R1));
    ovsdb_changes_clear(&ch);
    apply(&r, "{\"Sw\":{\"" R1 "\":{\"delete\":null}}}", &ch, 1);

    ovsdb_replica_destroy(&r);
}

static void
test_replica_snapshot(void **state)
{
    (void)state;
    struct ovsdb_replica r;
    struct ovsdb_changes ch;
    ovsdb_changes_init(&ch);
    setup_replica(&r, true);

    json_t *snap = J("{\"Sw\":{\"" R1 "\":{\"initial\":{\"name\":\"a\"}},"
                     "\"" R2 "\":{\"initial\":{\"name\":\"b\",\"other_config\":[\"map\",[[\"k\","
                     "\"v\"]]]}}}}");
    assert_int_equal(ovsdb_replica_apply_snapshot(&r, snap, &ch), 0);
    json_decref(snap);
    assert_int_equal(ch.n, 2);
    assert_int_equal(ch.v[0].kind, OVSDB_ROW_INSERT);
    assert_int_equal(ch.v[1].kind, OVSDB_ROW_INSERT);
    ovsdb_changes_clear(&ch);
    const struct ovsdb_row *r1 = row_of(&r, R1), *r2 = row_of(&r, R2);

    /* After a reconnect: R1 unchanged (not reported), R2 modified, R3 new, and
     * a row that vanished is a delete. Unordered input compares equal. */
    apply(&r, "{\"Sw\":{\"" R1 "\":{\"modify\":{\"ports\":[\"set\",[" U3 "," U1 "]]}}}}", &ch, 0);
    ovsdb_changes_clear(&ch);
    snap =
        J("{\"Sw\":{\"" R1 "\":{\"initial\":{\"name\":\"a\",\"ports\":[\"set\",[" U3 "," U1 "]]}},"
          "\"" R3 "\":{\"initial\":{\"name\":\"c\"}}}}");
    assert_int_equal(ovsdb_replica_apply_snapshot(&r, snap, &ch), 0);
    json_decref(snap);
    assert_int_equal(ch.n, 2);
    bool saw_insert = false, saw_delete = false;
    for (size_t i = 0; i < ch.n; i++) {
        if (ch.v[i].kind == OVSDB_ROW_INSERT) {
            assert_string_equal(ch.v[i].row->uuid, R3);
            saw_insert = true;
        } else {
            assert_int_equal(ch.v[i].kind, OVSDB_ROW_DELETE);
            assert_ptr_equal(ch.v[i].row, r2);
            saw_delete = true;
        }
    }
    assert_true(saw_insert && saw_delete);
    assert_ptr_equal(row_of(&r, R1), r1);
    ovsdb_changes_clear(&ch);

    snap = J("{\"Sw\":{\"" R1 "\":{\"initial\":{\"name\":\"A\"}},"
             "\"" R3 "\":{\"initial\":{\"name\":\"c\"}}}}");
    ovsdb_replica_apply_snapshot(&r, snap, &ch);
    json_decref(snap);
    assert_int_equal(ch.n, 1);
    assert_int_equal(ch.v[0].kind, OVSDB_ROW_MODIFY);
    assert_ptr_equal(ch.v[0].row, r1);
    assert_string_equal(json_string_value(json_object_get(ch.v[0].old_columns, "name")), "a");
    assert_string_equal(ovsdb_row_string(r1, "name"), "A");
    ovsdb_changes_clear(&ch);

    /* A table the new schema lacks is emptied. */
    json_t *schema = J("{\"name\":\"T\",\"tables\":{}}");
    ovsdb_replica_set_schema(&r, schema);
    json_decref(schema);
    assert_json(ovsdb_replica_monitor_requests(&r), "{}");
    snap = J("{}");
    ovsdb_replica_apply_snapshot(&r, snap, &ch);
    json_decref(snap);
    assert_int_equal(ch.n, 2);
    assert_int_equal(strmap_count(&ovsdb_replica_find(&r, "Sw")->rows), 0);
    ovsdb_changes_clear(&ch);
    ovsdb_replica_destroy(&r);
}

/* Value helpers. */

static void
test_row_helpers(void **state)
{
    (void)state;
    struct ovsdb_row row = {R1, J("{\"name\":\"sw\",\"opt\":[\"set\",[\"x\"]],\"empty\":[\"set\","
                                  "[]],\"n\":42,\"nset\":[\"set\",[7]],\"r\":2.9,\"b\":true,"
                                  "\"bset\":[\"set\",[true]],\"u\":" U1 ","
                                  "\"m\":[\"map\",[[\"a\",\"1\"],[\"ref\"," U2 "]]],"
                                  "\"many\":[\"set\",[\"a\",\"b\"]]}")};
    assert_string_equal(ovsdb_row_string(&row, "name"), "sw");
    assert_string_equal(ovsdb_row_string(&row, "opt"), "x");
    assert_string_equal(ovsdb_row_string(&row, "empty"), "");
    assert_string_equal(ovsdb_row_string(&row, "absent"), "");
    assert_string_equal(ovsdb_row_string(&row, "n"), "");
    assert_string_equal(ovsdb_row_string(&row, "many"), "");
    assert_string_equal(ovsdb_row_string(&row, "u"), R1);
    assert_int_equal(ovsdb_row_int(&row, "n"), 42);
    assert_int_equal(ovsdb_row_int(&row, "nset"), 7);
    assert_int_equal(ovsdb_row_int(&row, "r"), 2);
    assert_int_equal(ovsdb_row_int(&row, "empty"), 0);
    assert_int_equal(ovsdb_row_int(&row, "name"), 0);
    assert_true(ovsdb_row_bool(&row, "b"));
    assert_true(ovsdb_row_bool(&row, "bset"));
    assert_false(ovsdb_row_bool(&row, "empty"));
    assert_false(ovsdb_row_bool(&row, "absent"));
    assert_string_equal(ovsdb_row_map_get(&row, "m", "a"), "1");
    assert_string_equal(ovsdb_row_map_get(&row, "m", "ref"), R2);
    assert_null(ovsdb_row_map_get(&row, "m", "nope"));
    assert_null(ovsdb_row_map_get(&row, "name", "a"));
    assert_int_equal(json_array_size(ovsdb_row_elements(&row, "many")), 2);
    assert_int_equal(json_array_size(ovsdb_row_elements(&row, "m")), 2);
    assert_null(ovsdb_row_elements(&row, "name"));
    assert_null(ovsdb_row_get(&row, "absent"));
    json_decref(row.columns);
}

static void
test_builders(void **state)
{
    (void)state;
    const char *keys[] = {"z", "a", "z"}, *values[] = {"1", "2", "3"};
    assert_json(ovsdb_string_map(keys, values, 3), "[\"map\",[[\"a\",\"2\"],[\"z\",\"3\"]]]");
    assert_json(ovsdb_string_map(keys, values, 0), "[\"map\",[]]");
    struct strmap m = STRMAP_INITIALIZER;
    strmap_put(&m, "lqnet:owner", "vn-1");
    strmap_put(&m, "lqnet:kind", "VirtualNetwork");
    assert_json(ovsdb_map_from_strmap(&m),
                "[\"map\",[[\"lqnet:kind\",\"VirtualNetwork\"],[\"lqnet:owner\",\"vn-1\"]]]");
    strmap_destroy(&m);
    const char *set[] = {"b", "a", "b"};
    assert_json(ovsdb_string_set(set, 3), "[\"set\",[\"a\",\"b\"]]");
    const char *uuids[] = {R2, R1};
    assert_json(ovsdb_uuid_set(uuids, 2), "[\"set\",[" U1 "," U2 "]]");
    assert_json(ovsdb_uuid(R3), U3);
    assert_json(ovsdb_named_uuid("row1"), "[\"named-uuid\",\"row1\"]");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing_concatenated),
        cmocka_unit_test(test_framing_split),
        cmocka_unit_test(test_framing_large_and_errors),
        cmocka_unit_test(test_jsonrpc_builders),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_datum_normalize),
        cmocka_unit_test(test_datum_diff),
        cmocka_unit_test(test_replica_update2),
        cmocka_unit_test(test_replica_snapshot),
        cmocka_unit_test(test_row_helpers),
        cmocka_unit_test(test_builders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
