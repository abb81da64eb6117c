#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static struct net_addr
addr(const char *s)
{
    struct net_addr a;
    if (!net_addr_parse(s, &a)) {
        fail_msg("cannot parse '%s'", s);
    }
    return a;
}

static struct net_cidr
cidr(const char *s)
{
    struct net_cidr c;
    if (!net_cidr_parse(s, &c)) {
        fail_msg("cannot parse CIDR '%s'", s);
    }
    return c;
}

static void
assert_addr_string(const struct net_addr *a, const char *expected)
{
    char buf[NET_ADDR_STRLEN];
    assert_string_equal(net_addr_to_string(a, buf), expected);
}

static void
test_ipv4_parse(void **state)
{
    (void)state;
    static const char *good[] = {"0.0.0.0", "10.0.0.1", "255.255.255.255", "192.168.100.20",
                                 "1.2.3.4"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct net_addr a;
        assert_true(net_addr_parse(good[i], &a));
        assert_int_equal(a.family, AF_INET);
        assert_true(net_addr_is_ipv4(&a));
        assert_false(net_addr_is_ipv6(&a));
        assert_addr_string(&a, good[i]);

        /* Cross-check against the C library. */
        struct in_addr ref;
        assert_int_equal(inet_pton(AF_INET, good[i], &ref), 1);
        assert_memory_equal(a.b, &ref, 4);
        for (int k = 4; k < 16; k++) {
            assert_int_equal(a.b[k], 0);
        }
    }

    static const char *bad[] = {
        "",          "1",        "1.2.3",      "1.2.3.4.5", "256.1.1.1", "1.2.3.256",  "010.1.1.1",
        "1.02.3.4",  "1.2.3.00", "00.1.1.1",   " 1.2.3.4",  "1.2.3.4 ",  "1.2.3.4x",   "1..3.4",
        ".1.2.3",    "1.2.3.",   "1.2.3.4/24", "0x1.2.3.4", "+1.2.3.4",  "1.2.3.-4",   "1234.1.1.1",
        "1.2.3.4\n", "a.b.c.d",  "1.2.3.4.",   "1,2,3,4",   "999.0.0.0", "1.2.3.0255",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct net_addr a;
        if (net_addr_parse(bad[i], &a)) {
            fail_msg("accepted '%s'", bad[i]);
        }
    }
    struct net_addr a;
    assert_false(net_addr_parse(NULL, &a));
}

static void
test_ipv6_parse_format(void **state)
{
    (void)state;
    /* input, canonical RFC 5952 form */
    static const char *cases[][2] = {
        {"::", "::"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"0:0:0:0:0:0:0:0", "::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"2001:DB8::1", "2001:db8::1"},
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    /* First of equal runs. */
        {"2001:db8:0:0:0:1:0:0", "2001:db8::1:0:0"},      /* Longest run wins. */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          /* Longest run wins. */
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* One zero group stays. */
        {"2001:db8::0:1", "2001:db8::1"},
        {"fe80::1:2", "fe80::1:2"},
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {"1:2:3:4:5:6::8", "1:2:3:4:5:6:0:8"}, /* "::" for one group is legal input. */
        {"FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
        {"::ffff:c000:0201", "::ffff:192.0.2.1"},
        {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
        {"::192.0.2.1", "::c000:201"},
        {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
        {"fd00:0:0:1::", "fd00:0:0:1::"},
        {"0:0:1::", "0:0:1::"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"0:1:0:0:0:0:0:0", "0:1::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct net_addr a, b;
        if (!net_addr_parse(cases[i][0], &a)) {
            fail_msg("rejected '%s'", cases[i][0]);
        }
        assert_int_equal(a.family, AF_INET6);

        struct in6_addr ref;
        assert_int_equal(inet_pton(AF_INET6, cases[i][0], &ref), 1);
        assert_memory_equal(a.b, &ref, 16);

        assert_addr_string(&a, cases[i][1]);
        /* The canonical form parses back to the same address. */
        assert_true(net_addr_parse(cases[i][1], &b));
        assert_true(net_addr_equals(&a, &b));
    }

    static const char *bad[] = {
        ":",
        ":::",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "12345::",
        "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8",
        ":1::",
        "1:",
        "1::2:",
        "g::1",
        "::1 ",
        " ::1",
        "fe80::1%eth0",
        "::1/128",
        "1:2:3:4:5:6:7:1.2.3.4",
        "::1.2.3",
        "::1.2.3.04",
        "::1.2.3.4:5",
        "::ffff:256.0.0.1",
        "1.2.3.4::",
        "::-1",
        "::+1",
        "[::1]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct net_addr a;
        if (net_addr_parse(bad[i], &a)) {
            fail_msg("accepted '%s'", bad[i]);
        }
    }
}

/* Every 16-bit pattern of zero/non-zero groups formats like RFC 5952 says;
 * checked by reparsing and by comparing with glibc where they agree (glibc
 * also prints IPv4-compatible addresses in dotted form, so skip those). */
static void
test_ipv6_format_exhaustive(void **state)
{
    (void)state;
    for (int mask = 0; mask < 256; mask++) {
        struct net_addr a = {.family = AF_INET6};
        for (int g = 0; g < 8; g++) {
            if (mask & (1 << g)) {
                a.b[2 * g] = 0x0a;
                a.b[2 * g + 1] = (uint8_t)g;
            }
        }
        char ours[NET_ADDR_STRLEN], theirs[INET6_ADDRSTRLEN];
        net_addr_to_string(&a, ours);
        struct net_addr back;
        assert_true(net_addr_parse(ours, &back));
        assert_true(net_addr_equals(&a, &back));
        const char *gap = strstr(ours, "::");
        assert_null(gap ? strstr(gap + 1, "::") : NULL); /* At most one "::". */
        if ((mask & 0x3f) == 0) {
            continue;
        }
        assert_non_null(inet_ntop(AF_INET6, a.b, theirs, sizeof theirs));
        assert_string_equal(ours, theirs);
    }
}

static void
test_parse_family(void **state)
{
    (void)state;
    struct net_addr a;
    assert_true(net_addr_parse_family("10.0.0.1", AF_INET, &a));
    assert_false(net_addr_parse_family("10.0.0.1", AF_INET6, &a));
    assert_true(net_addr_parse_family("fd00::1", AF_INET6, &a));
    assert_false(net_addr_parse_family("fd00::1", AF_INET, &a));
    assert_false(net_addr_parse_family("junk", AF_INET, &a));
    assert_int_equal(net_family_bits(AF_INET), 32);
    assert_int_equal(net_family_bits(AF_INET6), 128);
    assert_int_equal(net_family_bits(AF_UNIX), 0);
    assert_string_equal(net_family_name(AF_INET), "IPv4");
    assert_string_equal(net_family_name(AF_INET6), "IPv6");
}

static void
test_compare(void **state)
{
    (void)state;
    struct net_addr a = addr("10.0.0.1"), b = addr("10.0.0.2"), c = addr("9.255.255.255");
    struct net_addr v6 = addr("::"), v6b = addr("::1");
    assert_true(net_addr_compare(&a, &b) < 0);
    assert_true(net_addr_compare(&b, &a) > 0);
    assert_true(net_addr_compare(&c, &a) < 0);
    assert_int_equal(net_addr_compare(&a, &a), 0);
    assert_true(net_addr_compare(&a, &v6) < 0); /* IPv4 sorts first. */
    assert_true(net_addr_compare(&v6, &a) > 0);
    assert_true(net_addr_compare(&v6, &v6b) < 0);
    assert_false(net_addr_equals(&a, &b));
    struct net_addr a2 = addr("10.0.0.1");
    assert_true(net_addr_equals(&a, &a2));
    assert_true(net_addr_is_zero(&v6));
    assert_false(net_addr_is_zero(&v6b));
    struct net_addr z = addr("0.0.0.0");
    assert_true(net_addr_is_zero(&z));

    struct net_addr u;
    net_addr_from_u32(0x0a000102, &u);
    assert_addr_string(&u, "10.0.1.2");
    const uint8_t raw[4] = {192, 168, 1, 1};
    net_addr_from_ipv4(raw, &u);
    assert_addr_string(&u, "192.168.1.1");
}

static void
test_arithmetic(void **state)
{
    (void)state;
    struct net_addr a = addr("10.0.0.255"), out;
    assert_true(net_addr_add(&a, 1, &out));
    assert_addr_string(&out, "10.0.1.0");
    assert_true(net_addr_add(&a, 0, &out));
    assert_addr_string(&out, "10.0.0.255");
    assert_true(net_addr_sub(&out, 256, &out)); /* 'out' may alias. */
    assert_addr_string(&out, "9.255.255.255");

    struct net_addr top = addr("255.255.255.254");
    assert_true(net_addr_add(&top, 1, &out));
    assert_addr_string(&out, "255.255.255.255");
    out = addr("1.1.1.1");
    assert_false(net_addr_add(&top, 2, &out));
    assert_addr_string(&out, "1.1.1.1"); /* Untouched on failure. */
    assert_false(net_addr_add(&top, UINT64_MAX, &out));
    struct net_addr zero = addr("0.0.0.0");
    assert_false(net_addr_sub(&zero, 1, &out));
    assert_true(net_addr_add(&zero, 0xffffffffu, &out));
    assert_addr_string(&out, "255.255.255.255");
    assert_false(net_addr_add(&zero, 0x100000000ull, &out));

    struct net_addr v6 = addr("2001:db8::ffff:ffff:ffff:ffff");
    assert_true(net_addr_add(&v6, 1, &out));
    assert_addr_string(&out, "2001:db8:0:1::");
    assert_true(net_addr_sub(&out, 1, &out));
    assert_true(net_addr_equals(&out, &v6));
    struct net_addr v6top = addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
    assert_true(net_addr_add(&v6top, 1, &out));
    assert_false(net_addr_add(&v6top, 2, &out));
    struct net_addr v6zero = addr("::");
    assert_false(net_addr_sub(&v6zero, 1, &out));
    assert_true(net_addr_add(&v6zero, UINT64_MAX, &out));
    assert_addr_string(&out, "::ffff:ffff:ffff:ffff");

    uint64_t d;
    struct net_addr lo = addr("10.0.0.0"), hi = addr("10.1.0.5");
    assert_true(net_addr_diff(&lo, &hi, &d));
    assert_int_equal(d, 65536 + 5);
    assert_true(net_addr_diff(&lo, &lo, &d));
    assert_int_equal(d, 0);
    assert_false(net_addr_diff(&hi, &lo, &d));
    assert_false(net_addr_diff(&lo, &v6, &d));
    struct net_addr big_lo = addr("fd00::"), big_hi = addr("fd00::ffff:ffff:ffff:ffff");
    assert_true(net_addr_diff(&big_lo, &big_hi, &d));
    assert_true(d == UINT64_MAX);
    struct net_addr too_far = addr("fd00::1:0:0:0:0");
    assert_false(net_addr_diff(&big_lo, &too_far, &d));
}

static void
test_cidr_parse(void **state)
{
    (void)state;
    static const char *good[] = {"10.0.0.0/8",      "10.0.0.0/24",    "0.0.0.0/0", "1.2.3.4/32",
                                 "10.0.0.128/25",   "::/0",           "fd00::/8",  "2001:db8::/32",
                                 "2001:db8::1/128", "fd00:0:0:1::/64"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        struct net_cidr c;
        char buf[NET_CIDR_STRLEN];
        if (!net_cidr_parse(good[i], &c)) {
            fail_msg("rejected '%s'", good[i]);
        }
        assert_string_equal(net_cidr_format(&c, buf), good[i]);
        assert_int_equal(net_cidr_parse_status(good[i], &c), NET_CIDR_OK);
    }

    struct net_cidr c;
    char buf[NET_CIDR_STRLEN];
    assert_true(net_cidr_parse("2001:DB8:0::/48", &c));
    assert_string_equal(net_cidr_format(&c, buf), "2001:db8::/48");
    assert_true(net_cidr_is_ipv6(&c));
    assert_false(net_cidr_is_ipv4(&c));

    static const char *malformed[] = {
        "10.0.0.0",
        "10.0.0.0/",
        "10.0.0.0/33",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "10.0.0.0/08",
        "10.0.0.0/8 ",
        " 10.0.0.0/8",
        "10.0.0.0/8/8",
        "10.0.0/8",
        "010.0.0.0/8",
        "/8",
        "::/129",
        "::/1280",
        "fd00::/064",
        "10.0.0.0/8x",
        "10.0.0.0/1e1",
        "",
        "/",
        "fd00::%eth0/64",
        "10.0.0.0\\8",
        "10.0.0.0/0x8",
        "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255x/64",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        if (net_cidr_parse(malformed[i], &c)) {
            fail_msg("accepted '%s'", malformed[i]);
        }
        assert_int_equal(net_cidr_parse_status(malformed[i], &c), NET_CIDR_MALFORMED);
    }
    assert_false(net_cidr_parse(NULL, &c));
    assert_int_equal(net_cidr_parse_status(NULL, &c), NET_CIDR_MALFORMED);

    /* Host bits: rejected, but distinguishable and with the network. */
    static const char *host_bits[][2] = {
        {"10.0.0.1/24", "10.0.0.0/24"},
        {"10.0.0.128/24", "10.0.0.0/24"},
        {"10.1.2.3/8", "10.0.0.0/8"},
        {"10.0.0.1/31", "10.0.0.0/31"},
        {"1.2.3.4/0", "0.0.0.0/0"},
        {"fd00::1/64", "fd00::/64"},
        {"2001:db8:1:2:3::/63", "2001:db8:1:2::/63"},
    };
    for (size_t i = 0; i < sizeof host_bits / sizeof *host_bits; i++) {
        assert_false(net_cidr_parse(host_bits[i][0], &c));
        assert_int_equal(net_cidr_parse_status(host_bits[i][0], &c), NET_CIDR_HOST_BITS);
        assert_string_equal(net_cidr_format(&c, buf), host_bits[i][1]);

        /* An interface address keeps its host bits. */
        assert_true(net_cidr_parse_host(host_bits[i][0], &c));
        assert_string_equal(net_cidr_format(&c, buf), host_bits[i][0]);
    }
    assert_false(net_cidr_parse_host("10.0.0.1/33", &c));
    assert_false(net_cidr_parse_host("10.0.0.1", &c));
}

static void
test_cidr_bounds(void **state)
{
    (void)state;
    struct net_cidr c = cidr("10.0.0.0/24");
    struct net_addr a;
    char buf[NET_ADDR_STRLEN];

    net_cidr_first(&c, &a);
    assert_addr_string(&a, "10.0.0.0");
    net_cidr_network(&c, &a);
    assert_addr_string(&a, "10.0.0.0");
    net_cidr_last(&c, &a);
    assert_addr_string(&a, "10.0.0.255");
    assert_true(net_cidr_broadcast(&c, &a));
    assert_addr_string(&a, "10.0.0.255");
    assert_true(net_cidr_first_host(&c, &a));
    assert_addr_string(&a, "10.0.0.1");
    net_cidr_last_host(&c, &a);
    assert_addr_string(&a, "10.0.0.254");
    assert_int_equal(net_cidr_size(&c), 256);
    assert_int_equal(net_cidr_host_count(&c), 254);
    assert_string_equal(net_cidr_netmask_string(&c, buf), "255.255.255.0");

    static const struct {
        const char *cidr, *last, *mask;
        uint64_t size, hosts;
    } v4[] = {
        {"0.0.0.0/0", "255.255.255.255", "0.0.0.0", 1ull << 32, (1ull << 32) - 2},
        {"10.0.0.0/8", "10.255.255.255", "255.0.0.0", 1 << 24, (1 << 24) - 2},
        {"172.16.0.0/12", "172.31.255.255", "255.240.0.0", 1 << 20, (1 << 20) - 2},
        {"192.168.4.0/22", "192.168.7.255", "255.255.252.0", 1024, 1022},
        {"10.0.0.64/26", "10.0.0.127", "255.255.255.192", 64, 62},
        {"10.0.0.4/30", "10.0.0.7", "255.255.255.252", 4, 2},
        {"10.0.0.4/31", "10.0.0.5", "255.255.255.254", 2, 2},
        {"10.0.0.4/32", "10.0.0.4", "255.255.255.255", 1, 1},
    };
    for (size_t i = 0; i < sizeof v4 / sizeof *v4; i++) {
        c = cidr(v4[i].cidr);
        net_cidr_last(&c, &a);
        assert_addr_string(&a, v4[i].last);
        assert_string_equal(net_cidr_netmask_string(&c, buf), v4[i].mask);
        assert_int_equal(net_cidr_size(&c), v4[i].size);
        assert_int_equal(net_cidr_host_count(&c), v4[i].hosts);
    }

    /* /31 and /32 have no broadcast address (RFC 3021). */
    c = cidr("10.0.0.4/31");
    assert_false(net_cidr_broadcast(&c, &a));
    net_cidr_last_host(&c, &a);
    assert_addr_string(&a, "10.0.0.5");
    c = cidr("10.0.0.4/32");
    assert_false(net_cidr_first_host(&c, &a));

    c = cidr("fd00::/64");
    assert_false(net_cidr_broadcast(&c, &a));
    assert_null(net_cidr_netmask_string(&c, buf));
    net_cidr_netmask(&c, &a);
    assert_addr_string(&a, "ffff:ffff:ffff:ffff::");
    net_cidr_last(&c, &a);
    assert_addr_string(&a, "fd00::ffff:ffff:ffff:ffff");
    net_cidr_last_host(&c, &a);
    assert_addr_string(&a, "fd00::ffff:ffff:ffff:ffff");
    assert_true(net_cidr_first_host(&c, &a));
    assert_addr_string(&a, "fd00::1");
    assert_true(net_cidr_size(&c) == UINT64_MAX);       /* 2^64 saturates. */
    assert_true(net_cidr_host_count(&c) == UINT64_MAX); /* 2^64 - 1, exact. */
    c = cidr("fd00::/65");
    assert_true(net_cidr_size(&c) == 1ull << 63);
    assert_true(net_cidr_host_count(&c) == (1ull << 63) - 1);
    c = cidr("::/0");
    assert_true(net_cidr_size(&c) == UINT64_MAX);
    net_cidr_last(&c, &a);
    assert_addr_string(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    c = cidr("fd00::/120");
    assert_int_equal(net_cidr_size(&c), 256);
    assert_int_equal(net_cidr_host_count(&c), 255);
    c = cidr("fd00::1/128");
    assert_int_equal(net_cidr_size(&c), 1);
    assert_int_equal(net_cidr_host_count(&c), 1);
    assert_false(net_cidr_first_host(&c, &a));
    c = cidr("fd00::/127");
    assert_int_equal(net_cidr_host_count(&c), 1);

    /* Non-byte-aligned IPv6 prefix. */
    c = cidr("2001:db8:8000::/33");
    net_cidr_last(&c, &a);
    assert_addr_string(&a, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    net_cidr_netmask(&c, &a);
    assert_addr_string(&a, "ffff:ffff:8000::");

    struct net_cidr d;
    a = addr("192.168.77.200");
    net_cidr_from_addr(&a, 20, &d);
    assert_true(net_cidr_equals(&d, &(struct net_cidr){addr("192.168.64.0"), 20}));
    assert_false(net_cidr_equals(&d, &(struct net_cidr){addr("192.168.64.0"), 21}));
    assert_true(net_plen_is_valid(AF_INET, 0));
    assert_true(net_plen_is_valid(AF_INET, 32));
    assert_false(net_plen_is_valid(AF_INET, 33));
    assert_false(net_plen_is_valid(AF_INET, -1));
    assert_true(net_plen_is_valid(AF_INET6, 128));
    assert_false(net_plen_is_valid(AF_INET6, 129));
    assert_false(net_plen_is_valid(0, 0));
}

static void
test_cidr_contains_overlaps(void **state)
{
    (void)state;
    struct net_cidr c = cidr("10.0.0.0/24");
    struct net_addr in = addr("10.0.0.77"), edge = addr("10.0.0.255"), out = addr("10.0.1.0");
    struct net_addr below = addr("9.255.255.255"), v6 = addr("::a00:4d");
    assert_true(net_cidr_contains_addr(&c, &in));
    assert_true(net_cidr_contains_addr(&c, &edge));
    assert_false(net_cidr_contains_addr(&c, &out));
    assert_false(net_cidr_contains_addr(&c, &below));
    assert_false(net_cidr_contains_addr(&c, &v6));

    struct net_cidr odd = cidr("10.0.0.64/27");
    struct net_addr a = addr("10.0.0.95"), b = addr("10.0.0.96"), z = addr("10.0.0.63");
    assert_true(net_cidr_contains_addr(&odd, &a));
    assert_false(net_cidr_contains_addr(&odd, &b));
    assert_false(net_cidr_contains_addr(&odd, &z));

    struct net_cidr all = cidr("0.0.0.0/0");
    assert_true(net_cidr_contains_addr(&all, &in));
    assert_false(net_cidr_contains_addr(&all, &v6));

    uint64_t off;
    assert_true(net_cidr_offset(&c, &in, &off));
    assert_int_equal(off, 77);
    assert_false(net_cidr_offset(&c, &out, &off));
    struct net_cidr big = cidr("fd00::/48");
    struct net_addr far = addr("fd00:0:0:1::5"), near = addr("fd00::1:0:0:5");
    assert_false(net_cidr_offset(&big, &far, &off)); /* 2^64 + 5 does not fit. */
    assert_true(net_cidr_offset(&big, &near, &off));
    assert_true(off == (1ull << 48) + 5);

    static const struct {
        const char *a, *b;
        bool overlap;
    } pairs[] = {
        {"10.0.0.0/24", "10.0.0.0/24", true},    {"10.0.0.0/8", "10.200.0.0/16", true},
        {"10.0.0.0/24", "10.0.1.0/24", false},   {"10.0.0.0/23", "10.0.1.0/24", true},
        {"10.0.0.0/25", "10.0.0.128/25", false}, {"0.0.0.0/0", "192.168.0.0/16", true},
        {"fd00::/64", "fd00::/48", true},        {"fd00::/64", "fd00:0:0:1::/64", false},
        {"10.0.0.0/8", "::/0", false},           {"::/0", "::/0", true},
        {"10.0.0.4/32", "10.0.0.4/30", true},    {"10.0.0.4/32", "10.0.0.5/32", false},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        struct net_cidr x = cidr(pairs[i].a), y = cidr(pairs[i].b);
        if (net_cidr_overlaps(&x, &y) != pairs[i].overlap ||
            net_cidr_overlaps(&y, &x) != pairs[i].overlap) {
            fail_msg("overlap(%s, %s) should be %d", pairs[i].a, pairs[i].b, pairs[i].overlap);
        }
    }

    struct net_cidr outer = cidr("10.0.0.0/16"), inner = cidr("10.0.5.0/24");
    assert_true(net_cidr_contains_cidr(&outer, &inner));
    assert_false(net_cidr_contains_cidr(&inner, &outer));
    assert_true(net_cidr_contains_cidr(&outer, &outer));
    struct net_cidr other = cidr("10.1.0.0/24");
    assert_false(net_cidr_contains_cidr(&outer, &other));
}

static void
test_mac(void **state)
{
    (void)state;
    struct net_mac m;
    char buf[NET_MAC_STRLEN];
    assert_true(net_mac_parse("AA:bb:0C:dd:EE:ff", &m));
    assert_string_equal(net_mac_format(&m, buf), "aa:bb:0c:dd:ee:ff");
    assert_true(net_mac_parse("00-11-22-33-44-55", &m));
    assert_string_equal(net_mac_format(&m, buf), "00:11:22:33:44:55");
    assert_true(net_mac_is_zero(&(struct net_mac){{0}}));
    assert_false(net_mac_is_zero(&m));

    static const char *bad[] = {
        "",
        "aa:bb:cc:dd:ee",
        "aa:bb:cc:dd:ee:ff:00",
        "aa:bb:cc:dd:ee:f",
        "aa:bb:cc:dd:ee:fff",
        "a:bb:cc:dd:ee:ff",
        "aa-bb:cc:dd:ee:ff",
        "aa:bb:cc:dd:ee-ff",
        "aabb.ccdd.eeff",
        "aabbccddeeff",
        "gg:bb:cc:dd:ee:ff",
        " aa:bb:cc:dd:ee:ff",
        "aa:bb:cc:dd:ee:ff ",
        "aa:bb:cc:dd:ee:ff:",
        "aa::cc:dd:ee:ff",
        "aa",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (net_mac_parse(bad[i], &m)) {
            fail_msg("accepted '%s'", bad[i]);
        }
    }
    assert_false(net_mac_parse(NULL, &m));

    struct net_mac bcast, mcast, uni, other;
    assert_true(net_mac_parse("ff:ff:ff:ff:ff:ff", &bcast));
    assert_true(net_mac_parse("01:00:5e:00:00:01", &mcast));
    assert_true(net_mac_parse("00:16:3e:00:00:01", &uni));
    assert_true(net_mac_parse("00:16:3e:00:00:01", &other));
    assert_true(net_mac_is_multicast(&bcast));
    assert_true(net_mac_is_broadcast(&bcast));
    assert_true(net_mac_is_multicast(&mcast));
    assert_false(net_mac_is_broadcast(&mcast));
    assert_false(net_mac_is_multicast(&uni));
    assert_false(net_mac_is_local(&uni));
    assert_true(net_mac_equals(&uni, &other));
    assert_false(net_mac_equals(&uni, &mcast));
}

static void
test_mac_generate(void **state)
{
    (void)state;
    /* Every first byte: the result is unicast and locally administered,
     * and the rest of the random input is used as is. */
    for (int first = 0; first < 256; first++) {
        const uint8_t rnd[6] = {(uint8_t)first, 0x12, 0x34, 0x56, 0x78, (uint8_t)~first};
        struct net_mac m;
        net_mac_generate(&m, rnd);
        assert_false(net_mac_is_multicast(&m));
        assert_true(net_mac_is_local(&m));
        assert_false(net_mac_is_zero(&m));
        assert_int_equal(m.b[0] & 0xfc, first & 0xfc);
        int low = m.b[0] & 0x0f;
        assert_true(low == 0x2 || low == 0x6 || low == 0xa || low == 0xe);
        assert_memory_equal(m.b + 1, rnd + 1, 5);
    }
    const uint8_t zero[6] = {0};
    struct net_mac m;
    char buf[NET_MAC_STRLEN];
    net_mac_generate(&m, zero);
    assert_string_equal(net_mac_format(&m, buf), "02:00:00:00:00:00");

    const uint8_t prefix[3] = {0xfa, 0x16, 0x3e};
    const uint8_t rnd[6] = {0xff, 0xff, 0xff, 0x01, 0x02, 0x03};
    net_mac_generate_prefixed(&m, prefix, 3, rnd);
    assert_string_equal(net_mac_format(&m, buf), "fa:16:3e:01:02:03");
    net_mac_generate_prefixed(&m, prefix, 0, rnd);
    assert_string_equal(net_mac_format(&m, buf), "ff:ff:ff:01:02:03");
}

static void
test_eui64(void **state)
{
    (void)state;
    static const char *cases[][3] = {
        {"fd00::/64", "52:54:00:12:34:56", "fd00::5054:ff:fe12:3456"},
        {"2001:db8:1:2::/64", "00:16:3e:aa:bb:cc", "2001:db8:1:2:216:3eff:feaa:bbcc"},
        {"2001:db8::/48", "02:00:00:00:00:01", "2001:db8::ff:fe00:1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct net_cidr c;
        struct net_mac m;
        struct net_addr a;
        assert_true(net_cidr_parse(cases[i][0], &c));
        assert_true(net_mac_parse(cases[i][1], &m));
        assert_true(net_addr_from_eui64(&c, &m, &a));
        assert_addr_string(&a, cases[i][2]);
        assert_true(net_cidr_contains_addr(&c, &a));
    }
    struct net_cidr c = cidr("fd00::/80");
    struct net_mac m = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}};
    struct net_addr a;
    assert_false(net_addr_from_eui64(&c, &m, &a));
    c = cidr("10.0.0.0/8");
    assert_false(net_addr_from_eui64(&c, &m, &a));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_parse),
        cmocka_unit_test(test_ipv6_parse_format),
        cmocka_unit_test(test_ipv6_format_exhaustive),
        cmocka_unit_test(test_parse_family),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_cidr_parse),
        cmocka_unit_test(test_cidr_bounds),
        cmocka_unit_test(test_cidr_contains_overlaps),
        cmocka_unit_test(test_mac),
        cmocka_unit_test(test_mac_generate),
        cmocka_unit_test(test_eui64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
