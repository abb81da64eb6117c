/* validate: defaults filled in, and every rejection names its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ipam.h"
#include "pbjson.h"
#include "validate.h"

static PB(VirtualNetworkSpec) * spec(const char *json)
{
    struct lq_error *err = NULL;
    ProtobufCMessage *m = pbjson_decode_text(
        &limiquantix__network__v1__virtual_network_spec__descriptor, json, strlen(json), &err);
    assert_null(err);
    return (PB(VirtualNetworkSpec) *)m;
}

/* Validates 'json' as 'admin' or not; returns the error's field (or NULL)
 * and checks the code. */
static void
expect(const char *json, bool admin, enum lq_code code, const char *field)
{
    PB(VirtualNetworkSpec) *s = spec(json);
    struct validate_config cfg = {1500, admin};
    struct lq_error *err = validate_network_spec(s, &cfg, NULL, NULL);
    if (!field) {
        assert_null(err);
    } else {
        assert_non_null(err);
        assert_int_equal(err->code, code);
        assert_string_equal(err->field, field);
        assert_true(!strncmp(err->message, field, strlen(field)));
    }
    lq_error_free(err);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void
test_defaults(void **state)
{
    (void)state;
    struct validate_config cfg = {1500, false};
    PB(VirtualNetworkSpec) *s = spec("{}");
    assert_null(validate_network_spec(s, &cfg, NULL, NULL));
    assert_true(PB_HAS(s, port_security_enabled) && s->port_security_enabled);
    assert_true(PB_HAS(s->ip_config->dhcp, enabled) && !s->ip_config->dhcp->enabled);
    assert_int_equal(validate_network_mtu(s, 1500), 1442);
    protobuf_c_message_free_unpacked(&s->base, NULL);

    struct ipam_subnet *v4 = NULL, *v6 = NULL;
    s = spec("{\"ipConfig\":{\"ipv4Subnet\":\"10.1.0.0/24\",\"ipv6Subnet\":\"fd00:0:0:1::/64\"},"
             "\"portSecurityEnabled\":false}");
    assert_null(validate_network_spec(s, &cfg, &v4, &v6));
    assert_non_null(v4);
    assert_non_null(v6);
    assert_string_equal(s->ip_config->ipv4_gateway, "10.1.0.1");
    assert_string_equal(s->ip_config->ipv6_subnet, "fd00:0:0:1::/64");
    assert_string_equal(s->ip_config->ipv6_gateway, "fd00:0:0:1::1");
    assert_true(s->ip_config->dhcp->enabled);
    assert_int_equal(s->ip_config->dhcp->lease_time_sec, VALIDATE_DEFAULT_LEASE);
    assert_false(s->port_security_enabled); /* an explicit false stays */
    ipam_subnet_destroy(v4);
    ipam_subnet_destroy(v6);
    protobuf_c_message_free_unpacked(&s->base, NULL);

    s = spec("{\"type\":\"ISOLATED\",\"mtu\":1300}");
    assert_null(validate_network_spec(s, &cfg, NULL, NULL));
    assert_int_equal(validate_network_mtu(s, 1500), 1300);
    assert_int_equal(validate_max_mtu(s, 9000), 8942);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

static void
test_rejections(void **state)
{
    (void)state;
    const enum lq_code INV = LQ_INVALID_ARGUMENT;
    expect("{\"ipConfig\":{\"dhcp\":{\"enabled\":true}}}", false, INV,
           "spec.ipConfig.dhcp.enabled");
    expect("{\"ipConfig\":{\"ipv4Gateway\":\"10.0.0.1\"}}", false, INV,
           "spec.ipConfig.ipv4Gateway");
    expect("{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\",\"dhcp\":{\"leaseTimeSec\":10}}}", false,
           INV, "spec.ipConfig.dhcp.leaseTimeSec");
    expect(
        "{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\",\"dhcp\":{\"dnsServers\":[\"fd00::1\"]}}}",
        false, INV, "spec.ipConfig.dhcp.dnsServers[0]");
    expect("{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\",\"dhcp\":{\"domainName\":\"a..b\"}}}",
           false, INV, "spec.ipConfig.dhcp.domainName");
    expect("{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\",\"dhcp\":{\"staticBindings\":"
           "[{\"macAddress\":\"01:00:00:00:00:01\",\"ipAddress\":\"10.0.0.5\"}]}}}",
           false, INV, "spec.ipConfig.dhcp.staticBindings[0].macAddress");
    expect("{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\",\"dhcp\":{\"staticBindings\":"
           "[{\"macAddress\":\"0a:00:00:00:00:01\",\"ipAddress\":\"10.0.1.5\"}]}}}",
           false, INV, "spec.ipConfig.dhcp.staticBindings[0].ipAddress");
    expect("{\"ipConfig\":{\"ipv4Subnet\":\"10.0.0.0/24\",\"dhcp\":{\"staticBindings\":"
           "[{\"macAddress\":\"0a:00:00:00:00:01\",\"ipAddress\":\"10.0.0.5\"},"
           "{\"macAddress\":\"0a:00:00:00:00:01\",\"ipAddress\":\"10.0.0.6\"}]}}}",
           false, INV, "spec.ipConfig.dhcp.staticBindings[1]");
    expect("{\"mtu\":1443}", false, INV, "spec.mtu");
    expect("{\"mtu\":67}", false, INV, "spec.mtu");
    expect("{\"type\":\"VLAN\"}", false, LQ_PERMISSION_DENIED, "spec.type");
    expect("{\"type\":\"EXTERNAL\"}", true, INV, "spec.vlan.physicalNetwork");
    expect("{\"type\":\"VLAN\",\"vlan\":{\"physicalNetwork\":\"physnet\"}}", true, INV,
           "spec.vlan.vlanId");
    expect("{\"type\":\"VLAN\",\"vlan\":{\"physicalNetwork\":\"phys net\",\"vlanId\":5}}", true,
           INV, "spec.vlan.physicalNetwork");
    expect("{\"type\":\"EXTERNAL\",\"vlan\":{\"physicalNetwork\":\"physnet\",\"vlanId\":4095}}",
           true, INV, "spec.vlan.vlanId");
    expect("{\"type\":\"EXTERNAL\",\"vlan\":{\"physicalNetwork\":\"physnet\"},"
           "\"router\":{\"enabled\":true}}",
           true, INV, "spec.router");
    expect("{\"type\":\"EXTERNAL\",\"vlan\":{\"physicalNetwork\":\"physnet\"}}", true, 0, NULL);
    expect("{\"type\":\"VLAN\",\"vlan\":{\"physicalNetwork\":\"physnet\",\"vlanId\":100},"
           "\"mtu\":1500}",
           true, 0, NULL);
    expect("{\"type\":\"ISOLATED\",\"router\":{\"enabled\":true}}", false, INV,
           "spec.router.enabled");
    expect("{\"vlan\":{\"vlanId\":10}}", false, INV, "spec.vlan");
    expect("{\"shared\":true}", false, LQ_PERMISSION_DENIED, "spec.shared");
    expect("{\"shared\":true}", true, 0, NULL);
    expect("{\"dns\":{\"searchDomains\":[\"ok.example\",\"-bad\"]}}", false, INV,
           "spec.dns.searchDomains[1]");
    expect("{\"ipConfig\":{\"allocationPools\":[{\"start\":\"10.0.0.2\",\"end\":\"10.0.0.9\"}]}}",
           false, INV, "spec.ipConfig");
}

static void
test_domain_names(void **state)
{
    (void)state;
    assert_true(validate_domain_name("example.com"));
    assert_true(validate_domain_name("a-b.c1"));
    assert_true(validate_domain_name("example.com."));
    assert_false(validate_domain_name(""));
    assert_false(validate_domain_name(".example"));
    assert_false(validate_domain_name("a-.b"));
    assert_false(validate_domain_name("a b"));
    char long_label[80];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    assert_false(validate_domain_name(long_label));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_domain_names),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
