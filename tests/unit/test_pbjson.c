#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "limiquantix/network/v1/load_balancer.pb-c.h"
#include "limiquantix/network/v1/network.pb-c.h"
#include "limiquantix/network/v1/port.pb-c.h"
#include "pbjson.h"
#include "pbjson_test.pb-c.h"
#include "util.h"

#define NET_DESC (&limiquantix__network__v1__virtual_network__descriptor)
#define KITCHEN_DESC (&pbjson__test__kitchen__descriptor)

typedef Limiquantix__Network__V1__VirtualNetwork VirtualNetwork;

/* A network using most of the schema, in canonical output form: camelCase,
 * fields in number order, defaults omitted. */
static const char network_json[] =
    "{\"id\":\"5b7a3a52-3f0e-4f43-9d1e-0c2b7f1d9a10\",\"name\":\"web\","
    "\"projectId\":\"p1\",\"description\":\"front end\","
    "\"labels\":{\"env\":\"prod\",\"tier\":\"web\"},"
    "\"spec\":{\"type\":\"VLAN\","
    "\"ipConfig\":{\"ipv4Subnet\":\"10.0.1.0/24\",\"ipv4Gateway\":\"10.0.1.1\","
    "\"ipv6Subnet\":\"fd00::/64\","
    "\"dhcp\":{\"enabled\":true,\"leaseTimeSec\":3600,\"dnsServers\":[\"10.0.0.2\",\"10.0.0.3\"],"
    "\"domainName\":\"example.org\","
    "\"staticBindings\":[{\"macAddress\":\"fa:16:3e:00:00:01\",\"ipAddress\":\"10.0.1.10\","
    "\"hostname\":\"db\"},{\"macAddress\":\"fa:16:3e:00:00:02\",\"ipAddress\":\"10.0.1.11\"}]},"
    "\"allocationPools\":[{\"start\":\"10.0.1.100\",\"end\":\"10.0.1.200\"},"
    "{\"start\":\"10.0.1.210\",\"end\":\"10.0.1.220\"}],"
    "\"reservedIps\":[\"10.0.1.5\"]},"
    "\"vlan\":{\"vlanId\":100,\"physicalNetwork\":\"physnet1\"},"
    "\"router\":{\"enabled\":true,\"externalGatewayNetworkId\":\"ext\",\"enableSnat\":false,"
    "\"routes\":[{\"destination\":\"192.168.0.0/16\",\"nextHop\":\"10.0.1.254\"}]},"
    "\"mtu\":1442,\"dns\":{\"nameservers\":[\"1.1.1.1\"],\"searchDomains\":[\"example.org\"]},"
    "\"portSecurityEnabled\":false,\"shared\":true},"
    "\"status\":{\"phase\":\"READY\",\"ovnLogicalSwitch\":\"ls-web\",\"portCount\":3,"
    "\"ipStatus\":{\"ipv4Total\":253,\"ipv4Allocated\":4,\"ipv4Available\":249,"
    "\"ipv6Allocated\":\"18446744073709551615\"},\"mtu\":1442},"
    "\"createdAt\":\"2026-11-26T13:28:42Z\",\"updatedAt\":\"2026-11-26T13:28:42.250Z\"}";

/* Compares JSON texts structurally and prints both on mismatch. */
static void
assert_json_equal(const char *actual, const char *expected)
{
    json_t *a = json_loads(actual, 0, NULL), *e = json_loads(expected, 0, NULL);
    assert_non_null(a);
    assert_non_null(e);
    if (!json_equal(a, e)) {
        print_error("actual:   %s\nexpected: %s\n", actual, expected);
    }
    assert_true(json_equal(a, e));
    json_decref(a);
    json_decref(e);
}

/* pbjson_encode_text(m), checked against jansson: the text must be exactly
 * what json_dumps(JSON_COMPACT) makes of the value it holds (the output of
 * the encoder when it built jansson trees), and pbjson_encode() must give
 * that value. */
static char *
encode_text(const ProtobufCMessage *m)
{
    char *text = pbjson_encode_text(m);
    json_error_t error;
    json_t *tree = json_loads(text, JSON_DECODE_ANY, &error);
    if (!tree) {
        print_error("not JSON (%s): %s\n", error.text, text);
    }
    assert_non_null(tree);
    char *dumped = json_dumps(tree, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(dumped);
    assert_string_equal(text, dumped);
    json_t *encoded = pbjson_encode(m);
    assert_true(json_equal(encoded, tree));
    json_decref(encoded);
    json_decref(tree);
    free(dumped);
    return text;
}

static ProtobufCMessage *
decode_ok(const ProtobufCMessageDescriptor *d, const char *text)
{
    struct lq_error *err = NULL;
    ProtobufCMessage *m = pbjson_decode_text(d, text, strlen(text), &err);
    if (err) {
        print_error("unexpected error: %s\n", err->message);
    }
    assert_null(err);
    assert_non_null(m);
    return m;
}

/* Asserts that decoding 'text' fails with invalid_argument, 'field' (NULL:
 * none) and 'message'. */
static void
expect_error(const ProtobufCMessageDescriptor *d, const char *text, const char *field,
             const char *message)
{
    struct lq_error *err = NULL;
    ProtobufCMessage *m = pbjson_decode_text(d, text, strlen(text), &err);
    assert_null(m);
    assert_non_null(err);
    assert_int_equal(err->code, LQ_INVALID_ARGUMENT);
    if (strcmp(err->message, message)) {
        print_error("message: %s\n", err->message);
    }
    if (field) {
        assert_non_null(err->field);
        assert_string_equal(err->field, field);
    } else {
        assert_null(err->field);
    }
    assert_string_equal(err->message, message);
    lq_error_free(err);
}

/* Re-encodes 'm' after a trip through the binary wire format. */
static char *
binary_round_trip(const ProtobufCMessage *m)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = xmalloc(len + 1);
    assert_int_equal(protobuf_c_message_pack(m, buf), len);
    ProtobufCMessage *copy = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    assert_non_null(copy);
    char *text = encode_text(copy);
    protobuf_c_message_free_unpacked(copy, NULL);
    return text;
}

static void
test_network_round_trip(void **state)
{
    (void)state;
    VirtualNetwork *net = (VirtualNetwork *)decode_ok(NET_DESC, network_json);

    assert_string_equal(net->project_id, "p1");
    assert_int_equal(net->n_labels, 2);
    assert_string_equal(net->labels[0]->key, "env");
    assert_string_equal(net->labels[0]->value, "prod");
    assert_int_equal(net->spec->type, LIMIQUANTIX__NETWORK__V1__NETWORK_TYPE__VLAN);
    assert_string_equal(net->spec->ip_config->ipv4_subnet, "10.0.1.0/24");
    assert_string_equal(net->spec->ip_config->ipv6_gateway, "");
    Limiquantix__Network__V1__DhcpConfig *dhcp = net->spec->ip_config->dhcp;
    assert_int_equal(dhcp->has_enabled_case,
                     LIMIQUANTIX__NETWORK__V1__DHCP_CONFIG__HAS_ENABLED_ENABLED);
    assert_true(dhcp->enabled);
    assert_int_equal(dhcp->lease_time_sec, 3600);
    assert_int_equal(dhcp->n_dns_servers, 2);
    assert_string_equal(dhcp->dns_servers[1], "10.0.0.3");
    assert_int_equal(dhcp->n_static_bindings, 2);
    assert_string_equal(dhcp->static_bindings[1]->ip_address, "10.0.1.11");
    assert_string_equal(dhcp->static_bindings[1]->hostname, "");
    assert_int_equal(net->spec->ip_config->n_allocation_pools, 2);
    assert_string_equal(net->spec->ip_config->allocation_pools[1]->end, "10.0.1.220");
    assert_int_equal(net->spec->vlan->vlan_id, 100);
    assert_int_equal(net->spec->router->has_enable_snat_case,
                     LIMIQUANTIX__NETWORK__V1__ROUTER_CONFIG__HAS_ENABLE_SNAT_ENABLE_SNAT);
    assert_false(net->spec->router->enable_snat);
    assert_int_not_equal(net->spec->has_port_security_enabled_case, 0);
    assert_false(net->spec->port_security_enabled);
    assert_true(net->spec->shared);
    assert_int_equal(net->status->phase,
                     LIMIQUANTIX__NETWORK__V1__VIRTUAL_NETWORK_STATUS__PHASE__READY);
    assert_true(net->status->ip_status->ipv6_allocated == UINT64_MAX);
    assert_int_equal(net->created_at->seconds, 1795699722);
    assert_int_equal(net->created_at->nanos, 0);
    assert_int_equal(net->updated_at->nanos, 250000000);

    char *text = encode_text(&net->base);
    assert_json_equal(text, network_json);
    /* Compact, and fields in number order. */
    assert_true(lq_str_starts_with(text, "{\"id\":\"5b7a3a52-"));
    free(text);

    text = binary_round_trip(&net->base);
    assert_json_equal(text, network_json);
    free(text);

    ProtobufCMessage *copy = pbjson_clone(&net->base);
    text = encode_text(copy);
    assert_json_equal(text, network_json);
    free(text);
    protobuf_c_message_free_unpacked(copy, NULL);
    assert_null(pbjson_clone(NULL));

    protobuf_c_message_free_unpacked(&net->base, NULL);
}

static void
test_snake_case_input(void **state)
{
    (void)state;
    const char *snake =
        "{\"project_id\":\"p1\",\"spec\":{\"ip_config\":{\"ipv4_subnet\":\"10.0.0.0/24\","
        "\"dhcp\":{\"dns_servers\":[\"1.1.1.1\"],\"static_bindings\":[{\"mac_address\":\"m\"}]}},"
        "\"port_security_enabled\":true},\"created_at\":\"2026-01-01T00:00:00Z\","
        "\"status\":{\"ip_status\":{\"ipv6_allocated\":12}}}";
    const char *camel =
        "{\"projectId\":\"p1\",\"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\","
        "\"dhcp\":{\"dnsServers\":[\"1.1.1.1\"],\"staticBindings\":[{\"macAddress\":\"m\"}]}},"
        "\"portSecurityEnabled\":true},\"createdAt\":\"2026-01-01T00:00:00Z\","
        "\"status\":{\"ipStatus\":{\"ipv6Allocated\":\"12\"}}}";
    ProtobufCMessage *m = decode_ok(NET_DESC, snake);
    char *text = encode_text(m);
    assert_json_equal(text, camel);
    free(text);
    protobuf_c_message_free_unpacked(m, NULL);

    /* Both spellings of one field at once is a duplicate. */
    expect_error(NET_DESC, "{\"projectId\":\"a\",\"project_id\":\"b\"}", "projectId",
                 "projectId: given more than once");
}

static void
test_enums(void **state)
{
    (void)state;
    VirtualNetwork *net = (VirtualNetwork *)decode_ok(
        NET_DESC, "{\"spec\":{\"type\":2},\"status\":{\"phase\":\"DELETING\"}}");
    assert_int_equal(net->spec->type, LIMIQUANTIX__NETWORK__V1__NETWORK_TYPE__EXTERNAL);
    assert_int_equal(net->status->phase,
                     LIMIQUANTIX__NETWORK__V1__VIRTUAL_NETWORK_STATUS__PHASE__DELETING);
    char *text = encode_text(&net->base);
    assert_json_equal(text,
                      "{\"spec\":{\"type\":\"EXTERNAL\"},\"status\":{\"phase\":\"DELETING\"}}");
    free(text);
    protobuf_c_message_free_unpacked(&net->base, NULL);

    /* The zero value (OVERLAY) is never output. */
    net = (VirtualNetwork *)decode_ok(NET_DESC, "{\"spec\":{\"type\":\"OVERLAY\"}}");
    text = encode_text(&net->base);
    assert_json_equal(text, "{\"spec\":{}}");
    free(text);
    protobuf_c_message_free_unpacked(&net->base, NULL);

    expect_error(NET_DESC, "{\"spec\":{\"type\":\"VXLAN\"}}", "spec.type",
                 "spec.type: unknown value \"VXLAN\" (expected one of OVERLAY, VLAN, EXTERNAL, "
                 "ISOLATED)");
    expect_error(NET_DESC, "{\"spec\":{\"type\":\"overlay\"}}", "spec.type",
                 "spec.type: unknown value \"overlay\" (expected one of OVERLAY, VLAN, EXTERNAL, "
                 "ISOLATED)");
    expect_error(NET_DESC, "{\"spec\":{\"type\":9}}", "spec.type",
                 "spec.type: unknown value 9 (expected one of OVERLAY, VLAN, EXTERNAL, ISOLATED)");
    expect_error(NET_DESC, "{\"spec\":{\"type\":true}}", "spec.type",
                 "spec.type: expected an enum value name or number");

    /* An unknown number arriving in binary is output as a number. */
    net = (VirtualNetwork *)decode_ok(NET_DESC, "{\"spec\":{}}");
    net->spec->type = 7;
    text = encode_text(&net->base);
    assert_json_equal(text, "{\"spec\":{\"type\":7}}");
    free(text);
    protobuf_c_message_free_unpacked(&net->base, NULL);
}

static void
test_optional_presence(void **state)
{
    (void)state;
    /* Present and false / absent are different, in JSON and in binary. */
    Limiquantix__Network__V1__PortSpec *spec = (Limiquantix__Network__V1__PortSpec *)decode_ok(
        &limiquantix__network__v1__port_spec__descriptor, "{\"adminStateUp\":false}");
    assert_int_equal(spec->has_admin_state_up_case,
                     LIMIQUANTIX__NETWORK__V1__PORT_SPEC__HAS_ADMIN_STATE_UP_ADMIN_STATE_UP);
    assert_int_equal(spec->has_port_security_enabled_case, 0);
    char *text = encode_text(&spec->base);
    assert_string_equal(text, "{\"adminStateUp\":false}");
    free(text);
    text = binary_round_trip(&spec->base);
    assert_string_equal(text, "{\"adminStateUp\":false}");
    free(text);
    protobuf_c_message_free_unpacked(&spec->base, NULL);

    /* null means absent. */
    spec = (Limiquantix__Network__V1__PortSpec *)decode_ok(
        &limiquantix__network__v1__port_spec__descriptor, "{\"adminStateUp\":null,\"qos\":null}");
    assert_int_equal(spec->has_admin_state_up_case, 0);
    assert_null(spec->qos);
    text = encode_text(&spec->base);
    assert_string_equal(text, "{}");
    free(text);
    protobuf_c_message_free_unpacked(&spec->base, NULL);

    /* An optional enum whose zero value is set explicitly. */
    Limiquantix__Network__V1__HealthMonitor *hm =
        (Limiquantix__Network__V1__HealthMonitor *)decode_ok(
            &limiquantix__network__v1__health_monitor__descriptor,
            "{\"type\":\"PING\",\"delay\":5}");
    assert_int_equal(hm->has_type_case, LIMIQUANTIX__NETWORK__V1__HEALTH_MONITOR__HAS_TYPE_TYPE);
    assert_int_equal(hm->type, LIMIQUANTIX__NETWORK__V1__HEALTH_MONITOR__TYPE__PING);
    text = binary_round_trip(&hm->base);
    assert_json_equal(text, "{\"type\":\"PING\",\"delay\":5}");
    free(text);
    protobuf_c_message_free_unpacked(&hm->base, NULL);

    /* Optional fields of the test schema: zero values stay present. */
    Pbjson__Test__Kitchen *k =
        (Pbjson__Test__Kitchen *)decode_ok(KITCHEN_DESC, "{\"optI64\":\"0\",\"optS\":\"\"}");
    assert_int_not_equal(k->has_opt_i64_case, 0);
    assert_int_not_equal(k->has_opt_s_case, 0);
    text = binary_round_trip(&k->base);
    assert_json_equal(text, "{\"optI64\":\"0\",\"optS\":\"\"}");
    free(text);
    protobuf_c_message_free_unpacked(&k->base, NULL);
}

static void
test_integers(void **state)
{
    (void)state;
    Pbjson__Test__Kitchen *k = (Pbjson__Test__Kitchen *)decode_ok(
        KITCHEN_DESC,
        "{\"i32\":-2147483648,\"s32\":\"-5\",\"sf32\":7.0,\"u32\":4294967295,\"f32\":\"12\","
        "\"i64\":\"-9223372036854775808\",\"s64\":-42,\"sf64\":\"9223372036854775807\","
        "\"u64\":\"18446744073709551615\",\"f64\":1e3,\"rI64\":[\"1\",2,\"-3\"]}");
    assert_int_equal(k->i32, INT32_MIN);
    assert_int_equal(k->s32, -5);
    assert_int_equal(k->sf32, 7);
    assert_true(k->u32 == UINT32_MAX);
    assert_int_equal(k->f32, 12);
    assert_true(k->i64 == INT64_MIN);
    assert_true(k->s64 == -42);
    assert_true(k->sf64 == INT64_MAX);
    assert_true(k->u64 == UINT64_MAX);
    assert_true(k->f64 == 1000);
    assert_int_equal(k->n_r_i64, 3);
    assert_true(k->r_i64[2] == -3);
    const char *expected =
        "{\"i32\":-2147483648,\"s32\":-5,\"sf32\":7,\"u32\":4294967295,\"f32\":12,"
        "\"i64\":\"-9223372036854775808\",\"s64\":\"-42\",\"sf64\":\"9223372036854775807\","
        "\"u64\":\"18446744073709551615\",\"f64\":\"1000\",\"rI64\":[\"1\",\"2\",\"-3\"]}";
    char *text = encode_text(&k->base);
    assert_json_equal(text, expected);
    free(text);
    text = binary_round_trip(&k->base);
    assert_json_equal(text, expected);
    free(text);
    protobuf_c_message_free_unpacked(&k->base, NULL);

    expect_error(KITCHEN_DESC, "{\"u32\":-1}", "u32", "u32: -1 is out of range for uint32");
    expect_error(KITCHEN_DESC, "{\"u32\":4294967296}", "u32",
                 "u32: 4294967296 is out of range for uint32");
    expect_error(KITCHEN_DESC, "{\"i32\":\"2147483648\"}", "i32",
                 "i32: 2147483648 is out of range for int32");
    expect_error(KITCHEN_DESC, "{\"i32\":-2147483649}", "i32",
                 "i32: -2147483649 is out of range for int32");
    expect_error(KITCHEN_DESC, "{\"u64\":\"-1\"}", "u64", "u64: -1 is out of range for uint64");
    expect_error(KITCHEN_DESC, "{\"u64\":\"18446744073709551616\"}", "u64",
                 "u64: 18446744073709551616 is out of range for uint64");
    expect_error(KITCHEN_DESC, "{\"i64\":\"9223372036854775808\"}", "i64",
                 "i64: 9223372036854775808 is out of range for int64");
    expect_error(KITCHEN_DESC, "{\"i64\":1.5}", "i64", "i64: expected an integer");
    expect_error(KITCHEN_DESC, "{\"i64\":\" 12\"}", "i64", "i64: expected an integer");
    expect_error(KITCHEN_DESC, "{\"i32\":\"12abc\"}", "i32", "i32: expected an integer");
    expect_error(KITCHEN_DESC, "{\"i32\":true}", "i32", "i32: expected an integer");
    expect_error(KITCHEN_DESC, "{\"rI64\":[1,\"x\"]}", "rI64[1]", "rI64[1]: expected an integer");
    expect_error(NET_DESC, "{\"spec\":{\"vlan\":{\"vlanId\":\"4096x\"}}}", "spec.vlan.vlanId",
                 "spec.vlan.vlanId: expected an integer");
}

static void
test_scalars_bytes_maps_oneof(void **state)
{
    (void)state;
    const char *in =
        "{\"fl\":1.5,\"db\":\"NaN\",\"b\":true,\"s\":\"h\\u00e9llo\",\"by\":\"aGVsbG8-_w\","
        "\"color\":\"GREEN\",\"rDb\":[\"Infinity\",\"-Infinity\",0.25,\"2.5\"],"
        "\"rBy\":[\"\",\"AA==\",\"AAE\"],\"rColor\":[1,\"GREEN\",\"COLOR_UNSPECIFIED\"],"
        "\"rB\":[false,true],\"intMap\":{\"-3\":\"minus three\",\"10\":\"ten\"},"
        "\"boolMap\":{\"true\":{\"s\":\"yes\"},\"false\":{}},\"colorMap\":{\"k\":\"RED\"},"
        "\"cMsg\":{\"i32\":1},\"child\":{\"child\":{\"b\":true}},"
        "\"at\":\"2000-02-29T23:59:59.000001+01:30\"}";
    Pbjson__Test__Kitchen *k = (Pbjson__Test__Kitchen *)decode_ok(KITCHEN_DESC, in);
    assert_true(k->fl == 1.5f);
    assert_true(isnan(k->db));
    assert_string_equal(k->s, "h\xc3\xa9llo");
    assert_int_equal(k->by.len, 7);
    assert_memory_equal(k->by.data, "hello>\xff", 7);
    assert_int_equal(k->n_r_by, 3);
    assert_int_equal(k->r_by[0].len, 0);
    assert_int_equal(k->r_by[2].len, 2);
    assert_int_equal(k->r_by[2].data[1], 1);
    assert_true(isinf(k->r_db[1]) && k->r_db[1] < 0);
    assert_int_equal(k->n_int_map, 2);
    assert_int_equal(k->int_map[0]->key, -3);
    assert_int_equal(k->choice_case, PBJSON__TEST__KITCHEN__CHOICE_C_MSG);
    assert_int_equal(k->c_msg->i32, 1);
    assert_true(k->at->seconds == 951868799 - 5400);
    assert_int_equal(k->at->nanos, 1000);

    const char *out =
        "{\"fl\":1.5,\"db\":\"NaN\",\"b\":true,\"s\":\"h\\u00e9llo\",\"by\":\"aGVsbG8+/w==\","
        "\"color\":\"GREEN\",\"rDb\":[\"Infinity\",\"-Infinity\",0.25,2.5],"
        "\"rBy\":[\"\",\"AA==\",\"AAE=\"],\"rColor\":[\"RED\",\"GREEN\",\"COLOR_UNSPECIFIED\"],"
        "\"rB\":[false,true],\"intMap\":{\"-3\":\"minus three\",\"10\":\"ten\"},"
        "\"boolMap\":{\"true\":{\"s\":\"yes\"},\"false\":{}},\"colorMap\":{\"k\":\"RED\"},"
        "\"cMsg\":{\"i32\":1},\"child\":{\"child\":{\"b\":true}},"
        "\"at\":\"2000-02-29T22:29:59.000001Z\"}";
    char *text = encode_text(&k->base);
    assert_json_equal(text, out);
    free(text);
    text = binary_round_trip(&k->base);
    assert_json_equal(text, out);
    free(text);
    protobuf_c_message_free_unpacked(&k->base, NULL);

    /* A selected oneof member is output even when zero. */
    k = (Pbjson__Test__Kitchen *)decode_ok(KITCHEN_DESC, "{\"cInt\":0}");
    assert_int_equal(k->choice_case, PBJSON__TEST__KITCHEN__CHOICE_C_INT);
    text = binary_round_trip(&k->base);
    assert_string_equal(text, "{\"cInt\":0}");
    free(text);
    protobuf_c_message_free_unpacked(&k->base, NULL);

    /* Invalid UTF-8 from binary input is replaced, not passed on. */
    k = (Pbjson__Test__Kitchen *)decode_ok(KITCHEN_DESC, "{}");
    k->s = xstrdup("a\xff"
                   "b");
    text = encode_text(&k->base);
    assert_string_equal(text, "{\"s\":\"a\xef\xbf\xbd"
                              "b\"}");
    free(text);
    protobuf_c_message_free_unpacked(&k->base, NULL);

    expect_error(KITCHEN_DESC, "{\"cStr\":\"x\",\"cInt\":1}", "cInt",
                 "cInt: cannot be set together with 'cStr'");
    expect_error(KITCHEN_DESC, "{\"by\":\"a$==\"}", "by", "by: expected base64 data");
    expect_error(KITCHEN_DESC, "{\"by\":\"a\"}", "by", "by: expected base64 data");
    expect_error(KITCHEN_DESC, "{\"fl\":1e39}", "fl", "fl: 1e+39 is out of range for float");
    expect_error(KITCHEN_DESC, "{\"db\":\"nan\"}", "db", "db: expected a number");
    expect_error(KITCHEN_DESC, "{\"b\":\"true\"}", "b", "b: expected a boolean");
    expect_error(KITCHEN_DESC, "{\"s\":\"a\\u0000b\"}", "s", "s: must not contain NUL characters");
    expect_error(KITCHEN_DESC, "{\"intMap\":{\"x\":\"y\"}}", "intMap.x",
                 "intMap.x: expected an integer");
    expect_error(KITCHEN_DESC, "{\"boolMap\":{\"yes\":{}}}", "boolMap.yes",
                 "boolMap.yes: map key must be true or false");
    expect_error(KITCHEN_DESC, "{\"colorMap\":{\"k\":null}}", "colorMap.k",
                 "colorMap.k: null is not a valid map value");
    expect_error(KITCHEN_DESC, "{\"rB\":[true,null]}", "rB[1]",
                 "rB[1]: null is not a valid list element");
    expect_error(KITCHEN_DESC, "{\"boolMap\":{\"true\":{\"child\":{\"nope\":1}}}}",
                 "boolMap.true.child.nope", "boolMap.true.child.nope: unknown field");
}

static void
test_timestamp(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"1970-01-01T00:00:00Z", NULL},
        {"0001-01-01T00:00:00Z", "\"0001-01-01T00:00:00Z\""},
        {"9999-12-31T23:59:59.999999999Z", "\"9999-12-31T23:59:59.999999999Z\""},
        {"1969-12-31T23:59:59.5Z", "\"1969-12-31T23:59:59.500Z\""},
        {"2026-11-26T15:28:42.123456+02:00", "\"2026-11-26T13:28:42.123456Z\""},
        {"2026-11-26t13:28:42z", "\"2026-11-26T13:28:42Z\""},
        {"2024-02-29T00:00:00-00:30", "\"2024-02-29T00:30:00Z\""},
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(ok); i++) {
        char *in = xasprintf("{\"createdAt\":\"%s\"}", ok[i].in);
        ProtobufCMessage *m = decode_ok(NET_DESC, in);
        char *text = encode_text(m);
        char *expected = ok[i].out ? xasprintf("{\"createdAt\":%s}", ok[i].out)
                                   : xstrdup("{\"createdAt\":\"1970-01-01T00:00:00Z\"}");
        assert_string_equal(text, expected);
        free(expected);
        free(text);
        free(in);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    static const char *bad[] = {
        "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-11-26T13:28:42",
        "2026-11-26 13:28:42Z",
        "2026-11-26T24:00:00Z",
        "2026-11-26T13:28:42.Z",
        "2026-11-26T13:28:42.1234567890Z",
        "2026-11-26T13:28:42+0200",
        "0000-12-31T23:59:59Z",
        "2026-11-26T13:28:42Zjunk",
        "",
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(bad); i++) {
        char *in = xasprintf("{\"createdAt\":\"%s\"}", bad[i]);
        char *msg = xasprintf("createdAt: '%s' is not an RFC 3339 timestamp", bad[i]);
        expect_error(NET_DESC, in, "createdAt", msg);
        free(msg);
        free(in);
    }
    expect_error(NET_DESC, "{\"createdAt\":1795786122}", "createdAt",
                 "createdAt: expected an RFC 3339 timestamp string");
}

static void
test_field_mask(void **state)
{
    (void)state;
    Limiquantix__Network__V1__UpdateNetworkRequest *req =
        (Limiquantix__Network__V1__UpdateNetworkRequest *)decode_ok(
            &limiquantix__network__v1__update_network_request__descriptor,
            "{\"updateMask\":\"spec.ipConfig.dhcp.dnsServers,labels,spec.port_security_enabled\"}");
    Google__Protobuf__FieldMask *fm = req->update_mask;
    assert_int_equal(fm->n_paths, 3);
    assert_string_equal(fm->paths[0], "spec.ip_config.dhcp.dns_servers");
    assert_string_equal(fm->paths[1], "labels");
    assert_string_equal(fm->paths[2], "spec.port_security_enabled");
    const char *out =
        "{\"updateMask\":\"spec.ipConfig.dhcp.dnsServers,labels,spec.portSecurityEnabled\"}";
    char *text = encode_text(&req->base);
    assert_string_equal(text, out);
    free(text);
    text = binary_round_trip(&req->base);
    assert_string_equal(text, out);
    free(text);
    protobuf_c_message_free_unpacked(&req->base, NULL);

    /* An empty mask is present but has no paths. */
    req = (Limiquantix__Network__V1__UpdateNetworkRequest *)decode_ok(
        &limiquantix__network__v1__update_network_request__descriptor, "{\"update_mask\":\"\"}");
    assert_non_null(req->update_mask);
    assert_int_equal(req->update_mask->n_paths, 0);
    protobuf_c_message_free_unpacked(&req->base, NULL);

    expect_error(&limiquantix__network__v1__update_network_request__descriptor,
                 "{\"updateMask\":\"spec,,labels\"}", "updateMask",
                 "updateMask: '' is not a field path");
    expect_error(&limiquantix__network__v1__update_network_request__descriptor,
                 "{\"updateMask\":\"spec mtu\"}", "updateMask",
                 "updateMask: 'spec mtu' is not a field path");
    expect_error(&limiquantix__network__v1__update_network_request__descriptor,
                 "{\"updateMask\":{\"paths\":[\"spec\"]}}", "updateMask",
                 "updateMask: expected a string of comma-separated paths");

    /* Empty is {} both ways. */
    ProtobufCMessage *empty = decode_ok(&google__protobuf__empty__descriptor, "{}");
    text = encode_text(empty);
    assert_string_equal(text, "{}");
    free(text);
    protobuf_c_message_free_unpacked(empty, NULL);
    expect_error(&google__protobuf__empty__descriptor, "{\"x\":1}", "x", "x: unknown field");
}

static void
test_errors(void **state)
{
    (void)state;
    expect_error(NET_DESC, "{\"spec\":{\"ipConfig\":{\"bogus\":1}}}", "spec.ipConfig.bogus",
                 "spec.ipConfig.bogus: unknown field");
    expect_error(NET_DESC, "{\"spec\":{\"ip_config\":{\"ipv4_subnet\":24}}}",
                 "spec.ipConfig.ipv4Subnet", "spec.ipConfig.ipv4Subnet: expected a string");
    expect_error(NET_DESC,
                 "{\"spec\":{\"ipConfig\":{\"allocationPools\":[{\"start\":\"a\"},"
                 "{\"start\":false}]}}}",
                 "spec.ipConfig.allocationPools[1].start",
                 "spec.ipConfig.allocationPools[1].start: expected a string");
    /* Fails on the first of three elements: the unfilled ones are freed too. */
    expect_error(NET_DESC, "{\"spec\":{\"ipConfig\":{\"allocationPools\":[{\"end\":[]},{},{}]}}}",
                 "spec.ipConfig.allocationPools[0].end",
                 "spec.ipConfig.allocationPools[0].end: expected a string");
    expect_error(NET_DESC, "{\"spec\":{\"ipConfig\":{\"allocationPools\":{}}}}",
                 "spec.ipConfig.allocationPools",
                 "spec.ipConfig.allocationPools: expected an array");
    expect_error(NET_DESC, "{\"spec\":[]}", "spec", "spec: expected an object");
    expect_error(NET_DESC, "{\"labels\":{\"env\":1}}", "labels.env",
                 "labels.env: expected a string");
    expect_error(NET_DESC, "{\"labels\":[]}", "labels", "labels: expected an object");
    expect_error(NET_DESC, "{\"spec\":{\"shared\":1}}", "spec.shared",
                 "spec.shared: expected a boolean");
    expect_error(NET_DESC, "[]", NULL, "expected a JSON object");
    expect_error(NET_DESC, "\"x\"", NULL, "expected a JSON object");
    expect_error(NET_DESC, "{\"name\":\"a\"", NULL,
                 "invalid JSON at line 1, column 11: '}' expected near end of file");
    expect_error(NET_DESC, "", NULL,
                 "invalid JSON at line 1, column 0: unexpected token near end of file");
    expect_error(NET_DESC, "{} x", NULL,
                 "invalid JSON at line 1, column 4: end of file expected near 'x'");
    expect_error(NET_DESC, "{\"name\":\"a\",\"name\":\"b\"}", NULL,
                 "invalid JSON at line 1, column 18: duplicate object key near '\"name\"'");

    /* Errors are optional to collect; the text may lack a NUL. */
    const char text[] = {'{', '}', 'x'};
    ProtobufCMessage *m = pbjson_decode_text(NET_DESC, text, 2, NULL);
    assert_non_null(m);
    protobuf_c_message_free_unpacked(m, NULL);
    assert_null(pbjson_decode_text(NET_DESC, "{\"bogus\":1}", 11, NULL));

    /* A jansson value decodes the same way. */
    json_t *j = json_pack("{s:{s:s}}", "spec", "type", "ISOLATED");
    struct lq_error *err = (struct lq_error *)1;
    m = pbjson_decode(NET_DESC, j, &err);
    assert_null(err);
    assert_int_equal(((VirtualNetwork *)m)->spec->type,
                     LIMIQUANTIX__NETWORK__V1__NETWORK_TYPE__ISOLATED);
    json_t *back = pbjson_encode(m);
    assert_true(json_equal(j, back));
    json_decref(back);
    json_decref(j);
    protobuf_c_message_free_unpacked(m, NULL);
}

/* Applies 'mask_text' (JSON form) from 'src_json' to 'dst_json' and checks
 * the result, or the error when 'error' is nonnull (dst must be untouched). */
static void
check_mask(const ProtobufCMessageDescriptor *dd, const char *dst_json,
           const ProtobufCMessageDescriptor *sd, const char *src_json, const char *mask_paths,
           const char *prefix, const char *expected, const char *error)
{
    ProtobufCMessage *dst = decode_ok(dd, dst_json);
    ProtobufCMessage *src = decode_ok(sd, src_json);
    char *mask_json = xasprintf("\"%s\"", mask_paths);
    json_t *mj = json_loads(mask_json, JSON_DECODE_ANY, NULL);
    json_t *wrapper = json_pack("{s:O}", "updateMask", mj);
    ProtobufCMessage *req =
        pbjson_decode(&limiquantix__network__v1__update_port_request__descriptor, wrapper, NULL);
    assert_non_null(req);
    ProtobufCMessage *mask =
        &((Limiquantix__Network__V1__UpdatePortRequest *)req)->update_mask->base;

    struct lq_error *err = pbjson_apply_mask(dst, src, mask, prefix);
    char *text = encode_text(dst);
    if (error) {
        assert_non_null(err);
        assert_int_equal(err->code, LQ_INVALID_ARGUMENT);
        assert_string_equal(err->field, "updateMask");
        assert_string_equal(err->message, error);
        assert_json_equal(text, dst_json);
    } else {
        if (err) {
            print_error("unexpected error: %s\n", err->message);
        }
        assert_null(err);
        assert_json_equal(text, expected);
        /* The result is a well-formed message: it survives the wire. */
        char *again = binary_round_trip(dst);
        assert_json_equal(again, expected);
        free(again);
    }
    lq_error_free(err);
    free(text);
    protobuf_c_message_free_unpacked(req, NULL);
    json_decref(wrapper);
    json_decref(mj);
    free(mask_json);
    protobuf_c_message_free_unpacked(src, NULL);
    protobuf_c_message_free_unpacked(dst, NULL);
}

static void
test_apply_mask(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *upd =
        &limiquantix__network__v1__update_network_request__descriptor;
    const char *net = "{\"id\":\"n1\",\"description\":\"old\",\"labels\":{\"a\":\"1\"},"
                      "\"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\","
                      "\"dhcp\":{\"enabled\":true,\"leaseTimeSec\":3600,"
                      "\"dnsServers\":[\"1.1.1.1\",\"8.8.8.8\"]}},"
                      "\"router\":{\"enabled\":true,\"enableSnat\":true},"
                      "\"mtu\":1400,\"portSecurityEnabled\":true},"
                      "\"status\":{\"phase\":\"READY\"}}";

    /* The API.md example: lists replaced, siblings kept, absent -> zero. */
    check_mask(NET_DESC, net, upd,
               "{\"id\":\"n1\",\"description\":\"new\",\"spec\":{\"ipConfig\":{\"dhcp\":"
               "{\"dnsServers\":[\"9.9.9.9\"]}}}}",
               "spec.ipConfig.dhcp.dnsServers,description,spec.mtu", NULL,
               "{\"id\":\"n1\",\"description\":\"new\",\"labels\":{\"a\":\"1\"},"
               "\"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\","
               "\"dhcp\":{\"enabled\":true,\"leaseTimeSec\":3600,\"dnsServers\":[\"9.9.9.9\"]}},"
               "\"router\":{\"enabled\":true,\"enableSnat\":true},"
               "\"portSecurityEnabled\":true},\"status\":{\"phase\":\"READY\"}}",
               NULL);

    /* Optional fields: absent in src clears presence, explicit false sets it;
     * a path under an absent src submessage clears the field in dst. */
    check_mask(NET_DESC, net, upd, "{\"spec\":{\"ipConfig\":{\"dhcp\":{\"enabled\":false}}}}",
               "spec.portSecurityEnabled,spec.ip_config.dhcp.enabled,spec.router.enableSnat,labels",
               NULL,
               "{\"id\":\"n1\",\"description\":\"old\","
               "\"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\","
               "\"dhcp\":{\"enabled\":false,\"leaseTimeSec\":3600,"
               "\"dnsServers\":[\"1.1.1.1\",\"8.8.8.8\"]}},"
               "\"router\":{\"enabled\":true},\"mtu\":1400},\"status\":{\"phase\":\"READY\"}}",
               NULL);

    /* Creating an absent dst submessage; replacing a whole submessage and map. */
    check_mask(NET_DESC, net, upd,
               "{\"labels\":{\"b\":\"2\"},\"spec\":{\"vlan\":{\"vlanId\":100,"
               "\"physicalNetwork\":\"physnet1\"},\"ipConfig\":{\"ipv6Subnet\":\"fd00::/64\"}}}",
               "spec.vlan.vlanId,spec.ipConfig,labels,spec.dns", NULL,
               "{\"id\":\"n1\",\"description\":\"old\",\"labels\":{\"b\":\"2\"},"
               "\"spec\":{\"ipConfig\":{\"ipv6Subnet\":\"fd00::/64\"},\"vlan\":{\"vlanId\":100},"
               "\"router\":{\"enabled\":true,\"enableSnat\":true},"
               "\"mtu\":1400,\"portSecurityEnabled\":true},\"status\":{\"phase\":\"READY\"}}",
               NULL);

    /* Errors leave dst as it was, even after valid paths. */
    check_mask(NET_DESC, net, upd, "{}", "description,spec.ipConfig.bogus", NULL, NULL,
               "updateMask: unknown path 'spec.ipConfig.bogus'");
    check_mask(NET_DESC, net, upd, "{}", "spec.ip_config.allocation_pools.start", NULL, NULL,
               "updateMask: unknown path 'spec.ipConfig.allocationPools.start'");
    check_mask(NET_DESC, net, upd, "{}", "spec.mtu.value", NULL, NULL,
               "updateMask: unknown path 'spec.mtu.value'");
    /* In the resource but not in the request (and the reverse). */
    check_mask(NET_DESC, net, upd, "{}", "status", NULL, NULL, "updateMask: unknown path 'status'");
    check_mask(NET_DESC, net, upd, "{}", "updateMask", NULL, NULL,
               "updateMask: unknown path 'updateMask'");

    /* field_prefix: paths relative to "spec". */
    check_mask(&limiquantix__network__v1__port__descriptor,
               "{\"id\":\"p\",\"spec\":{\"macAddress\":\"m\",\"adminStateUp\":true}}",
               &limiquantix__network__v1__update_port_request__descriptor,
               "{\"spec\":{\"adminStateUp\":false,\"qos\":{\"ingressRateKbps\":1000}}}",
               "adminStateUp,qos.ingressRateKbps", "spec",
               "{\"id\":\"p\",\"spec\":{\"macAddress\":\"m\",\"adminStateUp\":false,"
               "\"qos\":{\"ingressRateKbps\":1000}}}",
               NULL);
    check_mask(&limiquantix__network__v1__port__descriptor, "{\"id\":\"p\"}",
               &limiquantix__network__v1__update_port_request__descriptor, "{}", "spec.mtu", "spec",
               NULL, "updateMask: unknown path 'spec.mtu'");

    /* Oneofs: setting one member frees the other; clearing an unselected one
     * leaves the selected one. */
    check_mask(KITCHEN_DESC, "{\"cStr\":\"x\",\"by\":\"AQI=\",\"rBy\":[\"AQ==\"]}", KITCHEN_DESC,
               "{\"cMsg\":{\"s\":\"y\"},\"by\":\"Aw==\",\"rBy\":[\"Ag==\",\"\"]}", "cMsg,by,rBy",
               NULL, "{\"cMsg\":{\"s\":\"y\"},\"by\":\"Aw==\",\"rBy\":[\"Ag==\",\"\"]}", NULL);
    check_mask(KITCHEN_DESC, "{\"cStr\":\"x\"}", KITCHEN_DESC, "{}", "cInt,cMsg.s", NULL,
               "{\"cStr\":\"x\"}", NULL);
    check_mask(KITCHEN_DESC, "{\"cStr\":\"x\"}", KITCHEN_DESC, "{\"cMsg\":{\"i32\":4}}", "cMsg.i32",
               NULL, "{\"cMsg\":{\"i32\":4}}", NULL);
    check_mask(KITCHEN_DESC, "{\"cStr\":\"x\",\"optS\":\"o\"}", KITCHEN_DESC, "{\"cInt\":0}",
               "cStr,optS", NULL, "{}", NULL);

    /* No mask, or an empty one: nothing changes. */
    ProtobufCMessage *dst = decode_ok(NET_DESC, net);
    assert_null(pbjson_apply_mask(dst, dst, NULL, NULL));
    Google__Protobuf__FieldMask empty = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
    assert_null(pbjson_apply_mask(dst, dst, &empty.base, NULL));
    /* A binary mask may carry camelCase paths too. */
    char *path = "spec.ipConfig.dhcp.leaseTimeSec";
    Google__Protobuf__FieldMask camel = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
    camel.n_paths = 1;
    camel.paths = &path;
    ProtobufCMessage *src = decode_ok(NET_DESC, "{\"spec\":{\"ipConfig\":{\"dhcp\":"
                                                "{\"leaseTimeSec\":60}}}}");
    assert_null(pbjson_apply_mask(dst, src, &camel.base, NULL));
    assert_int_equal(((VirtualNetwork *)dst)->spec->ip_config->dhcp->lease_time_sec, 60);
    protobuf_c_message_free_unpacked(src, NULL);
    protobuf_c_message_free_unpacked(dst, NULL);
}

/* Appends a map entry as binary input may carry it: keys can repeat. */
static void
add_int_entry(Pbjson__Test__Kitchen *k, int32_t key, const char *value)
{
    Pbjson__Test__Kitchen__IntMapEntry *e = xmalloc(sizeof *e);
    pbjson__test__kitchen__int_map_entry__init(e);
    e->key = key;
    e->value = xstrdup(value);
    k->int_map = xrealloc(k->int_map, (k->n_int_map + 1) * sizeof *k->int_map);
    k->int_map[k->n_int_map++] = e;
}

static void
add_color_entry(Pbjson__Test__Kitchen *k, const char *key, Pbjson__Test__Color value)
{
    Pbjson__Test__Kitchen__ColorMapEntry *e = xmalloc(sizeof *e);
    pbjson__test__kitchen__color_map_entry__init(e);
    e->key = xstrdup(key);
    e->value = value;
    k->color_map = xrealloc(k->color_map, (k->n_color_map + 1) * sizeof *k->color_map);
    k->color_map[k->n_color_map++] = e;
}

/* Exact output for what is easy to get subtly wrong: escaping, UTF-8
 * repair, number forms, repeated map keys. */
static void
test_encode_exact(void **state)
{
    (void)state;
    Pbjson__Test__Kitchen *k = (Pbjson__Test__Kitchen *)decode_ok(
        KITCHEN_DESC,
        "{\"i32\":-2147483648,\"u32\":4294967295,\"i64\":\"-9223372036854775808\","
        "\"u64\":\"18446744073709551615\",\"fl\":0.1,\"db\":1e20,"
        "\"rDb\":[1,1e16,1e17,1e-7,-0.0,5e-324,1.7976931348623157e308,123.456,-0.5,"
        "\"NaN\",\"Infinity\",\"-Infinity\"],"
        "\"by\":\"+/8=\",\"rBy\":[\"\",\"AA==\",\"AAA=\",\"AAAA\"],"
        "\"rColor\":[\"RED\",\"COLOR_UNSPECIFIED\"],\"intMap\":{\"1\":\"a\",\"-2\":\"b\"},"
        "\"boolMap\":{\"false\":{},\"true\":{\"b\":true}},\"cStr\":\"\","
        "\"at\":\"1969-12-31T23:59:59.000000001Z\"}");
    /* What JSON input cannot carry. */
    k->s = xstrdup("q\"b\\s/c\x01\x1f\x7f\b\f\n\r\t \xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8.");
    k->opt_s = xstrdup("a\xff"
                       "b\xc3(\xed\xa0\x80z\xc0\x80\xf0\x9f\x98");
    k->has_opt_s_case = PBJSON__TEST__KITCHEN__HAS_OPT_S_OPT_S;
    k->r_color[1] = 9;
    add_int_entry(k, 7, "c");
    add_int_entry(k, 1, "d");
    add_color_entry(k, "k\xff", PBJSON__TEST__COLOR__RED);
    add_color_entry(k, "ok", PBJSON__TEST__COLOR__GREEN);
    add_color_entry(k, "k\xfe", PBJSON__TEST__COLOR__GREEN);
    add_color_entry(k, "", PBJSON__TEST__COLOR__RED);

    const char *expected =
        "{\"i32\":-2147483648,\"u32\":4294967295,\"i64\":\"-9223372036854775808\","
        "\"u64\":\"18446744073709551615\",\"fl\":0.10000000149011612,\"db\":1e20,"
        "\"s\":\"q\\\"b\\\\s/c\\u0001\\u001F\x7f\\b\\f\\n\\r\\t \xc3\xa9 \xf0\x9f\x98\x80 "
        "\xe2\x80\xa8.\",\"by\":\"+/8=\","
        "\"rDb\":[1.0,10000000000000000.0,1e17,9.9999999999999995e-8,-0.0,"
        "4.9406564584124654e-324,1.7976931348623157e308,123.456,-0.5,"
        "\"NaN\",\"Infinity\",\"-Infinity\"],"
        "\"rBy\":[\"\",\"AA==\",\"AAA=\",\"AAAA\"],\"rColor\":[\"RED\",9],"
        "\"intMap\":{\"1\":\"d\",\"-2\":\"b\",\"7\":\"c\"},"
        "\"boolMap\":{\"false\":{},\"true\":{\"b\":true}},"
        "\"colorMap\":{\"k\xef\xbf\xbd\":\"GREEN\",\"ok\":\"GREEN\",\"\":\"RED\"},"
        "\"cStr\":\"\",\"optS\":\"a\xef\xbf\xbd"
        "b\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd"
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\",\"at\":\"1969-12-31T23:59:59.000000001Z\"}";
    char *text = encode_text(&k->base);
    assert_string_equal(text, expected);
    free(text);
    protobuf_c_message_free_unpacked(&k->base, NULL);

    /* Well-known types at the top are not objects. */
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts.seconds = 1795699722;
    ts.nanos = 250000;
    text = encode_text(&ts.base);
    assert_string_equal(text, "\"2026-11-26T13:28:42.000250Z\"");
    free(text);
    char *paths[] = {"spec.ip_config", "a\"b\\_c", "x\xff"};
    Google__Protobuf__FieldMask fm = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
    fm.paths = paths;
    fm.n_paths = LQ_ARRAY_SIZE(paths);
    text = encode_text(&fm.base);
    assert_string_equal(text, "\"spec.ipConfig,a\\\"b\\\\C,x\xef\xbf\xbd\"");
    free(text);
    fm.n_paths = 0;
    text = encode_text(&fm.base);
    assert_string_equal(text, "\"\"");
    free(text);
}

/* A fixed-seed xorshift: the same "random" messages on every run. */
static uint64_t
next_random(uint64_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    return *seed;
}

static const char *const string_parts[] = {"a",
                                           "Z",
                                           "0",
                                           " ",
                                           "_",
                                           "\"",
                                           "\\",
                                           "/",
                                           "\x01",
                                           "\x1f",
                                           "\x7f",
                                           "\b",
                                           "\f",
                                           "\n",
                                           "\r",
                                           "\t",
                                           "\xc3\xa9",
                                           "\xe2\x82\xac",
                                           "\xf0\x9f\x98\x80",
                                           "\xef\xbf\xbd",
                                           "\xff",
                                           "\xc3",
                                           "\xed\xa0\x80",
                                           "\xc0\x80",
                                           "\xf4\x90\x80\x80",
                                           "\xf0\x9f"};

static char *
random_string(uint64_t *seed, unsigned max_parts)
{
    unsigned n = next_random(seed) % (max_parts + 1);
    char *s = xmalloc(4 * n + 1);
    s[0] = '\0';
    for (unsigned i = 0; i < n; i++) {
        strcat(s, string_parts[next_random(seed) % LQ_ARRAY_SIZE(string_parts)]);
    }
    return s;
}

static double
random_double(uint64_t *seed)
{
    uint64_t r = next_random(seed);
    switch (r % 6) {
    case 0:
        return (double)(r >> 40) / 1000;
    case 1:
        return ldexp((double)(r >> 44), (int)(r >> 8 & 2047) - 1100);
    case 2:
        return (double)(int64_t)r;
    case 3:
        return r & 8 ? -0.0 : r & 16 ? NAN : INFINITY;
    default: {
        double d;
        memcpy(&d, &r, sizeof d);
        return d;
    }
    }
}

static ProtobufCMessage *random_message(const ProtobufCMessageDescriptor *d, uint64_t *seed,
                                        int depth);

/* Fills 'slot' of field 'f'; map keys come from a small set, so repeat. */
static void
random_value(const ProtobufCFieldDescriptor *f, void *slot, uint64_t *seed, int depth, bool is_key)
{
    uint64_t r = next_random(seed);
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        *(uint32_t *)slot = is_key ? (uint32_t)(r % 5) - 2 : (uint32_t)r;
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *(uint64_t *)slot = r & 1 ? r : r % 5 - 2;
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        *(float *)slot = (float)random_double(seed);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        *(double *)slot = random_double(seed);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)slot = r & 1;
        break;
    case PROTOBUF_C_TYPE_ENUM:
        *(int *)slot = (int)(r % 5) - 1;
        break;
    case PROTOBUF_C_TYPE_STRING:
        *(char **)slot = random_string(seed, is_key ? 2 : 8);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *b = slot;
        b->len = r % 8;
        b->data = b->len ? xmalloc(b->len) : NULL;
        for (size_t i = 0; i < b->len; i++) {
            b->data[i] = (uint8_t)next_random(seed);
        }
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        *(ProtobufCMessage **)slot = random_message(f->descriptor, seed, depth + 1);
        break;
    }
}

static size_t
slot_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

/* A message with about half its fields set, as binary input could make it. */
static ProtobufCMessage *
random_message(const ProtobufCMessageDescriptor *d, uint64_t *seed, int depth)
{
    ProtobufCMessage *m = xmalloc(d->sizeof_message);
    protobuf_c_message_init(d, m);
    if (d == &google__protobuf__timestamp__descriptor) {
        Google__Protobuf__Timestamp *ts = (Google__Protobuf__Timestamp *)m;
        ts->seconds = (int64_t)(next_random(seed) % 300000000000) - 62135596800;
        ts->nanos = (int32_t)(next_random(seed) % 1000000000);
        return m;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (next_random(seed) & 1 || (f->type == PROTOBUF_C_TYPE_MESSAGE && depth > 2)) {
            continue;
        }
        void *slot = (char *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = next_random(seed) % 6, size = slot_size(f->type);
            char *array = xcalloc(n ? n : 1, size);
            for (size_t k = 0; k < n; k++) {
                void *elem = array + k * size;
                const ProtobufCMessageDescriptor *e = f->descriptor;
                if (f->type == PROTOBUF_C_TYPE_MESSAGE && e != d) {
                    /* Kitchen's only other message types are map entries. */
                    ProtobufCMessage *entry = xmalloc(e->sizeof_message);
                    protobuf_c_message_init(e, entry);
                    random_value(&e->fields[0], (char *)entry + e->fields[0].offset, seed, depth,
                                 true);
                    random_value(&e->fields[1], (char *)entry + e->fields[1].offset, seed,
                                 depth + 1, false);
                    *(ProtobufCMessage **)elem = entry;
                } else {
                    random_value(f, elem, seed, depth, false);
                }
            }
            *(char **)slot = array;
            *(size_t *)((char *)m + f->quantifier_offset) = n;
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *which = (uint32_t *)((char *)m + f->quantifier_offset);
            if (*which) {
                continue;
            }
            *which = f->id;
        }
        random_value(f, slot, seed, depth, false);
    }
    return m;
}

/* Messages with every field kind and tricky content: the text is what
 * jansson makes of the same value (encode_text() checks) and reads back. */
static void
test_encode_generated(void **state)
{
    (void)state;
    uint64_t seed = 88172645463325252ULL;
    size_t total = 0;
    for (int i = 0; i < 300; i++) {
        ProtobufCMessage *m = random_message(KITCHEN_DESC, &seed, 0);
        char *text = encode_text(m);
        total += strlen(text);
        free(text);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    /* The generator does produce sizeable messages. */
    assert_true(total > 300 * 200);
}

/* A ListPorts page of 1,000 ports (the API's benchmark case). */
static void
test_encode_many_ports(void **state)
{
    (void)state;
    size_t cap = 1000 * 1024, len = 0;
    char *in = xmalloc(cap);
    len += (size_t)snprintf(in + len, cap - len, "{\"ports\":[");
    for (int i = 0; i < 1000; i++) {
        len += (size_t)snprintf(
            in + len, cap - len,
            "%s{\"id\":\"5b7a3a52-3f0e-4f43-9d1e-%012d\",\"name\":\"vm-%d \\\"eth0\\\"\","
            "\"networkId\":\"n1\",\"projectId\":\"p%d\",\"labels\":{\"env\":\"prod\",\"n\":\"%d\"},"
            "\"spec\":{\"macAddress\":\"fa:16:3e:00:%02x:%02x\",\"fixedIps\":[{\"subnetId\":\"s1\","
            "\"ipAddress\":\"10.0.%d.%d\"}],\"portSecurityEnabled\":true,\"adminStateUp\":false},"
            "\"status\":{\"phase\":\"ACTIVE\",\"macAddress\":\"fa:16:3e:00:%02x:%02x\","
            "\"ipAddresses\":[\"10.0.%d.%d\"],\"ovnPort\":\"lsp-%d\",\"hostId\":\"h%d\"},"
            "\"createdAt\":\"2026-11-26T13:28:%02dZ\",\"updatedAt\":\"2026-11-26T13:29:00.%03dZ\"}",
            i ? "," : "", i, i, i % 7, i, i >> 8, i & 255, i >> 8, i & 255, i >> 8, i & 255, i >> 8,
            i & 255, i, i % 3, i % 60, i % 999 + 1);
    }
    snprintf(in + len, cap - len, "],\"nextPageToken\":\"t\\u00e9\",\"totalCount\":1000}");
    ProtobufCMessage *m = decode_ok(&limiquantix__network__v1__list_ports_response__descriptor, in);
    assert_int_equal(((Limiquantix__Network__V1__ListPortsResponse *)m)->n_ports, 1000);
    char *text = encode_text(m);
    /* Canonical input comes back unchanged, but for the escape jansson
     * does not make. */
    char *canonical = in;
    char *escape = strstr(canonical, "\\u00e9");
    memmove(escape + 2, escape + 6, strlen(escape + 6) + 1);
    memcpy(escape, "\xc3\xa9", 2);
    assert_string_equal(text, canonical);
    free(text);
    free(in);
    protobuf_c_message_free_unpacked(m, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network_round_trip),
        cmocka_unit_test(test_snake_case_input),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_optional_presence),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_scalars_bytes_maps_oneof),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_field_mask),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_apply_mask),
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_encode_generated),
        cmocka_unit_test(test_encode_many_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
