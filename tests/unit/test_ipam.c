#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "ipam.h"
#include "net.h"
#include "util.h"

#define PREFIX "spec.ipConfig"

static struct net_addr
addr(const char *s)
{
    struct net_addr a;
    if (!net_addr_parse(s, &a)) {
        fail_msg("cannot parse '%s'", s);
    }
    return a;
}

static const char *
str(const struct net_addr *a)
{
    static char bufs[4][NET_ADDR_STRLEN];
    static int next;
    next = (next + 1) % 4;
    return net_addr_to_string(a, bufs[next]);
}

static struct ipam_subnet *
subnet_ok(const struct ipam_subnet_spec *spec)
{
    struct ipam_subnet *s = NULL;
    struct lq_error *err = ipam_subnet_new(spec, PREFIX, &s);
    if (err) {
        fail_msg("unexpected error: %s", err->message);
    }
    assert_non_null(s);
    return s;
}

static struct ipam_subnet *
simple_subnet(int family, const char *cidr, const char *gateway)
{
    struct ipam_subnet_spec spec = {.family = family, .cidr = cidr, .gateway = gateway};
    return subnet_ok(&spec);
}

static void
expect_error(const struct ipam_subnet_spec *spec, const char *prefix, const char *field,
             const char *message)
{
    struct ipam_subnet *s = (struct ipam_subnet *)1;
    struct lq_error *err = ipam_subnet_new(spec, prefix, &s);
    if (!err) {
        fail_msg("expected '%s: %s', got success", field, message);
        return;
    }
    assert_null(s);
    assert_int_equal(err->code, LQ_INVALID_ARGUMENT);
    assert_string_equal(err->field, field);
    char *full = xasprintf("%s: %s", field, message);
    assert_string_equal(err->message, full);
    free(full);
    lq_error_free(err);
}

/* Checks the effective pools against "start-end" strings. */
static void
expect_pools(const struct ipam_subnet *s, const char *const *expected, size_t n)
{
    assert_int_equal(ipam_n_pools(s), n);
    for (size_t i = 0; i < n; i++) {
        struct net_addr start, end;
        ipam_pool(s, i, &start, &end);
        char *got = xasprintf("%s-%s", str(&start), str(&end));
        assert_string_equal(got, expected[i]);
        free(got);
    }
}

/* A set of used addresses (open addressing), counting lookups. */
struct used_set {
    struct net_addr *slots;
    bool *full;
    size_t cap;
    size_t n;
    size_t lookups;
};

static void
used_init(struct used_set *u, size_t cap)
{
    u->slots = xcalloc(cap, sizeof *u->slots);
    u->full = xcalloc(cap, sizeof *u->full);
    u->cap = cap;
    u->n = 0;
    u->lookups = 0;
}

static void
used_destroy(struct used_set *u)
{
    free(u->slots);
    free(u->full);
}

static size_t
used_slot(const struct used_set *u, const struct net_addr *a)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 16; i++) {
        h = (h ^ a->b[i]) * 1099511628211ull;
    }
    size_t i = h % u->cap;
    while (u->full[i] && !net_addr_equals(&u->slots[i], a)) {
        i = (i + 1) % u->cap;
    }
    return i;
}

static void
used_add(struct used_set *u, const struct net_addr *a)
{
    size_t i = used_slot(u, a);
    assert_false(u->full[i]);
    assert_true(u->n + 1 < u->cap);
    u->full[i] = true;
    u->slots[i] = *a;
    u->n++;
}

/* Removes 'a' by rebuilding the set (rare in tests). */
static void
used_remove(struct used_set *u, const struct net_addr *a)
{
    struct used_set fresh;
    used_init(&fresh, u->cap);
    for (size_t i = 0; i < u->cap; i++) {
        if (u->full[i] && !net_addr_equals(&u->slots[i], a)) {
            used_add(&fresh, &u->slots[i]);
        }
    }
    assert_int_equal(fresh.n + 1, u->n);
    used_destroy(u);
    *u = fresh;
}

static bool
is_used(void *aux, const struct net_addr *a)
{
    struct used_set *u = aux;
    u->lookups++;
    return u->full[used_slot(u, a)];
}

static bool
always_used(void *aux, const struct net_addr *a)
{
    (void)a;
    (*(size_t *)aux)++;
    return true;
}

/* Allocates the next address after 'hint', checks it and marks it used. */
static struct net_addr
allocate(const struct ipam_subnet *s, struct used_set *u, const struct net_addr *hint)
{
    struct net_addr a;
    if (!ipam_next_free(s, is_used, u, hint, &a)) {
        fail_msg("pool exhausted after %zu allocations", u->n);
    }
    assert_true(ipam_is_allocatable(s, &a));
    assert_false(is_used(u, &a));
    used_add(u, &a);
    return a;
}

static void
test_default_pools_v4(void **state)
{
    (void)state;
    struct ipam_subnet *s = simple_subnet(AF_INET, "10.0.0.0/24", "");
    char buf[NET_CIDR_STRLEN];
    assert_int_equal(ipam_family(s), AF_INET);
    assert_string_equal(net_cidr_format(ipam_cidr(s), buf), "10.0.0.0/24");
    assert_string_equal(str(ipam_gateway(s)), "10.0.0.1");
    static const char *const pools[] = {"10.0.0.2-10.0.0.254"};
    expect_pools(s, pools, 1);
    assert_int_equal(ipam_pool_size(s), 253);

    static const struct {
        const char *a;
        bool contains, allocatable;
    } cases[] = {
        {"10.0.0.0", true, false},         {"10.0.0.1", true, false},
        {"10.0.0.2", true, true},          {"10.0.0.128", true, true},
        {"10.0.0.254", true, true},        {"10.0.0.255", true, false},
        {"10.0.1.0", false, false},        {"9.255.255.255", false, false},
        {"::ffff:10.0.0.5", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct net_addr a = addr(cases[i].a);
        assert_int_equal(ipam_subnet_contains(s, &a), cases[i].contains);
        assert_int_equal(ipam_is_allocatable(s, &a), cases[i].allocatable);
    }
    ipam_subnet_destroy(s);
    ipam_subnet_destroy(NULL);

    /* NULL gateway means the default too. */
    s = simple_subnet(AF_INET, "192.168.1.0/24", NULL);
    assert_string_equal(str(ipam_gateway(s)), "192.168.1.1");
    ipam_subnet_destroy(s);
}

static void
test_default_pools_split(void **state)
{
    (void)state;
    /* The gateway and reserved addresses cut the default range. */
    const char *reserved[] = {"10.0.0.20", "10.0.0.10", "10.0.0.11", "10.0.0.254", "10.0.0.2"};
    struct ipam_subnet_spec spec = {
        .family = AF_INET,
        .cidr = "10.0.0.0/24",
        .gateway = "10.0.0.100",
        .reserved = reserved,
        .n_reserved = 5,
    };
    struct ipam_subnet *s = subnet_ok(&spec);
    static const char *const pools[] = {
        "10.0.0.1-10.0.0.1",   "10.0.0.3-10.0.0.9",     "10.0.0.12-10.0.0.19",
        "10.0.0.21-10.0.0.99", "10.0.0.101-10.0.0.253",
    };
    expect_pools(s, pools, 5);
    assert_int_equal(ipam_pool_size(s), 254 - 1 - 5);
    for (size_t i = 0; i < 5; i++) {
        struct net_addr a = addr(reserved[i]);
        assert_true(ipam_is_reserved(s, &a));
        assert_false(ipam_is_allocatable(s, &a));
    }
    struct net_addr a = addr("10.0.0.1");
    assert_false(ipam_is_reserved(s, &a));
    assert_true(ipam_is_allocatable(s, &a));
    ipam_subnet_destroy(s);

    /* Gateway at the top. */
    s = simple_subnet(AF_INET, "10.0.0.0/24", "10.0.0.254");
    static const char *const top[] = {"10.0.0.1-10.0.0.253"};
    expect_pools(s, top, 1);
    ipam_subnet_destroy(s);

    /* A /30 has two hosts: the gateway and one more. */
    s = simple_subnet(AF_INET, "10.0.0.4/30", "");
    static const char *const tiny[] = {"10.0.0.6-10.0.0.6"};
    expect_pools(s, tiny, 1);
    assert_int_equal(ipam_pool_size(s), 1);
    ipam_subnet_destroy(s);

    /* ... and reserving it leaves nothing to allocate. */
    const char *last[] = {"10.0.0.6"};
    spec = (struct ipam_subnet_spec){
        .family = AF_INET, .cidr = "10.0.0.4/30", .reserved = last, .n_reserved = 1};
    s = subnet_ok(&spec);
    assert_int_equal(ipam_n_pools(s), 0);
    assert_int_equal(ipam_pool_size(s), 0);
    struct used_set u;
    used_init(&u, 16);
    assert_false(ipam_next_free(s, is_used, &u, NULL, &a));
    assert_int_equal(u.lookups, 0);
    used_destroy(&u);
    ipam_subnet_destroy(s);
}

static void
test_explicit_pools(void **state)
{
    (void)state;
    const struct ipam_range_text pools[] = {
        {"10.0.0.200", "10.0.0.210"},
        {"10.0.0.10", "10.0.0.20"},
        {"10.0.0.21", "10.0.0.21"}, /* Adjacent pools do not overlap. */
    };
    const char *reserved[] = {"10.0.0.15", "10.0.0.100", "10.0.0.210"};
    struct ipam_subnet_spec spec = {
        .family = AF_INET,
        .cidr = "10.0.0.0/24",
        .pools = pools,
        .n_pools = 3,
        .reserved = reserved,
        .n_reserved = 3,
    };
    struct ipam_subnet *s = subnet_ok(&spec);
    static const char *const sorted[] = {"10.0.0.10-10.0.0.20", "10.0.0.21-10.0.0.21",
                                         "10.0.0.200-10.0.0.210"};
    expect_pools(s, sorted, 3);
    /* 11 + 1 + 11 addresses, minus the two reserved ones inside pools. */
    assert_int_equal(ipam_pool_size(s), 21);
    struct net_addr a = addr("10.0.0.15");
    assert_false(ipam_is_allocatable(s, &a));
    a = addr("10.0.0.100");
    assert_false(ipam_is_allocatable(s, &a));
    assert_true(ipam_is_reserved(s, &a));
    a = addr("10.0.0.2");
    assert_false(ipam_is_allocatable(s, &a)); /* Outside the pools. */
    a = addr("10.0.0.21");
    assert_true(ipam_is_allocatable(s, &a));

    /* Allocating everything walks the pools in order, skipping reserved
     * addresses, and then runs out. */
    struct used_set u;
    used_init(&u, 64);
    const struct net_addr *hint = NULL;
    struct net_addr last;
    const char *expected[] = {"10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13",
                              "10.0.0.14", "10.0.0.16", "10.0.0.17", "10.0.0.18",
                              "10.0.0.19", "10.0.0.20", "10.0.0.21", "10.0.0.200"};
    for (size_t i = 0; i < 21; i++) {
        last = allocate(s, &u, hint);
        hint = &last;
        if (i < sizeof expected / sizeof *expected) {
            assert_string_equal(str(&last), expected[i]);
        }
    }
    assert_string_equal(str(&last), "10.0.0.209");
    assert_false(ipam_next_free(s, is_used, &u, hint, &a));
    assert_false(ipam_next_free(s, is_used, &u, NULL, &a));
    used_destroy(&u);
    ipam_subnet_destroy(s);
}

static void
test_exhaust_two(void **state)
{
    (void)state;
    const struct ipam_range_text pools[] = {{"192.168.0.10", "192.168.0.11"}};
    struct ipam_subnet_spec spec = {
        .family = AF_INET, .cidr = "192.168.0.0/24", .pools = pools, .n_pools = 1};
    struct ipam_subnet *s = subnet_ok(&spec);
    assert_int_equal(ipam_pool_size(s), 2);

    struct used_set u;
    used_init(&u, 16);
    struct net_addr a = allocate(s, &u, NULL);
    assert_string_equal(str(&a), "192.168.0.10");
    struct net_addr b = allocate(s, &u, &a);
    assert_string_equal(str(&b), "192.168.0.11");
    struct net_addr c = addr("1.1.1.1");
    assert_false(ipam_next_free(s, is_used, &u, &b, &c));
    assert_false(ipam_next_free(s, is_used, &u, NULL, &c));
    assert_false(ipam_next_free(s, is_used, &u, &a, &c));
    assert_string_equal(str(&c), "1.1.1.1");

    /* Freeing one makes it available again, whatever the hint. */
    used_remove(&u, &a);
    assert_true(ipam_next_free(s, is_used, &u, &b, &c));
    assert_string_equal(str(&c), "192.168.0.10");
    assert_true(ipam_next_free(s, is_used, &u, &a, &c));
    assert_string_equal(str(&c), "192.168.0.10");
    used_destroy(&u);
    ipam_subnet_destroy(s);
}

static void
test_hints(void **state)
{
    (void)state;
    const struct ipam_range_text pools[] = {
        {"10.0.0.50", "10.0.0.52"},
        {"10.0.0.10", "10.0.0.12"},
    };
    struct ipam_subnet_spec spec = {
        .family = AF_INET, .cidr = "10.0.0.0/24", .pools = pools, .n_pools = 2};
    struct ipam_subnet *s = subnet_ok(&spec);
    struct used_set u;
    used_init(&u, 64);
    struct net_addr used = addr("10.0.0.11");
    used_add(&u, &used);

    static const struct {
        const char *hint, *expected;
    } cases[] = {
        {NULL, "10.0.0.10"},
        {"10.0.0.10", "10.0.0.12"},       /* Skips the used one. */
        {"10.0.0.12", "10.0.0.50"},       /* End of a pool: next pool. */
        {"10.0.0.51", "10.0.0.52"},       /* After the hint, not the hint. */
        {"10.0.0.52", "10.0.0.10"},       /* End of the last pool: wraps. */
        {"10.0.0.30", "10.0.0.50"},       /* Between pools. */
        {"10.0.0.1", "10.0.0.10"},        /* Before the pools. */
        {"10.0.0.200", "10.0.0.10"},      /* After the pools: wraps. */
        {"10.0.0.11", "10.0.0.12"},       /* A used hint. */
        {"172.16.0.1", "10.0.0.10"},      /* Outside the subnet. */
        {"fd00::1", "10.0.0.10"},         /* Other family. */
        {"255.255.255.255", "10.0.0.10"}, /* Top of the address space. */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct net_addr hint, out;
        if (cases[i].hint) {
            hint = addr(cases[i].hint);
        }
        assert_true(ipam_next_free(s, is_used, &u, cases[i].hint ? &hint : NULL, &out));
        if (strcmp(str(&out), cases[i].expected)) {
            fail_msg("hint %s: got %s, expected %s", cases[i].hint ? cases[i].hint : "NULL",
                     str(&out), cases[i].expected);
        }
    }

    /* With everything else used, the hint itself comes last. */
    const char *others[] = {"10.0.0.10", "10.0.0.12", "10.0.0.50", "10.0.0.52"};
    for (size_t i = 0; i < 4; i++) {
        struct net_addr a = addr(others[i]);
        used_add(&u, &a);
    }
    struct net_addr hint = addr("10.0.0.51"), out;
    u.lookups = 0;
    assert_true(ipam_next_free(s, is_used, &u, &hint, &out));
    assert_string_equal(str(&out), "10.0.0.51");
    assert_int_equal(u.lookups, 6); /* Each pool address probed once. */
    used_add(&u, &hint);
    u.lookups = 0;
    assert_false(ipam_next_free(s, is_used, &u, &hint, &out));
    assert_int_equal(u.lookups, 6);
    used_destroy(&u);
    ipam_subnet_destroy(s);
}

static void
test_ipv6(void **state)
{
    (void)state;
    struct ipam_subnet *s = simple_subnet(AF_INET6, "fd00:1::/64", "");
    assert_string_equal(str(ipam_gateway(s)), "fd00:1::1");
    static const char *const pools[] = {"fd00:1::2-fd00:1::ffff:ffff:ffff:ffff"};
    expect_pools(s, pools, 1);
    assert_true(ipam_pool_size(s) == UINT64_MAX - 1); /* 2^64 - 2: exact. */
    struct net_addr a = addr("fd00:1::");
    assert_false(ipam_is_allocatable(s, &a));
    a = addr("fd00:1::ffff:ffff:ffff:ffff");
    assert_true(ipam_is_allocatable(s, &a)); /* No broadcast in IPv6. */

    struct used_set u;
    used_init(&u, 64);
    struct net_addr first = allocate(s, &u, NULL);
    assert_string_equal(str(&first), "fd00:1::2");
    struct net_addr second = allocate(s, &u, &first);
    assert_string_equal(str(&second), "fd00:1::3");
    /* Up to the very last address, then wrap to the start. */
    struct net_addr out, hint = addr("fd00:1::ffff:ffff:ffff:fffe");
    assert_true(ipam_next_free(s, is_used, &u, &hint, &out));
    assert_string_equal(str(&out), "fd00:1::ffff:ffff:ffff:ffff");
    used_add(&u, &a);
    assert_true(ipam_next_free(s, is_used, &u, &a, &out));
    assert_string_equal(str(&out), "fd00:1::4");
    used_destroy(&u);
    ipam_subnet_destroy(s);

    /* Explicit pools, reserved addresses and a custom gateway. */
    const struct ipam_range_text v6pools[] = {{"2001:db8::100", "2001:db8::1ff"}};
    const char *reserved[] = {"2001:db8::100", "2001:DB8::0:101"};
    struct ipam_subnet_spec spec = {
        .family = AF_INET6,
        .cidr = "2001:db8::/64",
        .gateway = "2001:db8::ffff",
        .pools = v6pools,
        .n_pools = 1,
        .reserved = reserved,
        .n_reserved = 2,
    };
    s = subnet_ok(&spec);
    assert_int_equal(ipam_pool_size(s), 254);
    used_init(&u, 16);
    first = allocate(s, &u, NULL);
    assert_string_equal(str(&first), "2001:db8::102");
    used_destroy(&u);
    ipam_subnet_destroy(s);

    /* The smallest IPv6 subnet with a host besides the gateway. */
    s = simple_subnet(AF_INET6, "fd00::/126", NULL);
    static const char *const small[] = {"fd00::2-fd00::3"};
    expect_pools(s, small, 1);
    assert_int_equal(ipam_pool_size(s), 2);
    ipam_subnet_destroy(s);

    /* The top of the IPv6 space, where address + 1 overflows. */
    const char *top_reserved[] = {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
    spec = (struct ipam_subnet_spec){.family = AF_INET6,
                                     .cidr = "ffff:ffff:ffff:ffff::/64",
                                     .reserved = top_reserved,
                                     .n_reserved = 1};
    s = subnet_ok(&spec);
    static const char *const top[] = {
        "ffff:ffff:ffff:ffff::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"};
    expect_pools(s, top, 1);
    used_init(&u, 16);
    hint = addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
    assert_true(ipam_next_free(s, is_used, &u, &hint, &out));
    assert_string_equal(str(&out), "ffff:ffff:ffff:ffff::2");
    used_destroy(&u);
    ipam_subnet_destroy(s);

    const struct ipam_range_text top_pool[] = {
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}};
    spec = (struct ipam_subnet_spec){
        .family = AF_INET6, .cidr = "ffff:ffff:ffff:ffff::/64", .pools = top_pool, .n_pools = 1};
    s = subnet_ok(&spec);
    used_init(&u, 16);
    hint = addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_true(ipam_next_free(s, is_used, &u, &hint, &out));
    assert_string_equal(str(&out), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
    used_add(&u, &out);
    hint = out;
    assert_true(ipam_next_free(s, is_used, &u, &hint, &out));
    assert_string_equal(str(&out), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    used_add(&u, &out);
    hint = out;
    assert_false(ipam_next_free(s, is_used, &u, &hint, &out));
    used_destroy(&u);
    ipam_subnet_destroy(s);
}

static void
test_thousand_allocations(void **state)
{
    (void)state;
    struct ipam_subnet *s = simple_subnet(AF_INET, "10.20.0.0/22", "");
    assert_int_equal(ipam_pool_size(s), 1021);
    struct used_set u;
    used_init(&u, 4096);
    struct net_addr last, all[1000];
    const struct net_addr *hint = NULL;
    long long start = lq_time_msec();
    for (int i = 0; i < 1000; i++) {
        size_t before = u.lookups;
        last = all[i] = allocate(s, &u, hint);
        hint = &last;
        /* One probe for the answer, plus the check in allocate(). */
        assert_int_equal(u.lookups - before, 2);
        uint64_t off;
        assert_true(net_cidr_offset(ipam_cidr(s), &last, &off));
        assert_int_equal(off, (uint64_t)i + 2);
    }
    assert_true(lq_time_msec() - start < 1000);

    struct ipam_counts c;
    ipam_count(s, all, 1000, &c);
    assert_int_equal(c.total, 1021);
    assert_int_equal(c.allocated, 1000);
    assert_int_equal(c.available, 21);

    /* Without hints the results are the same, only slower. */
    struct used_set v;
    used_init(&v, 4096);
    for (int i = 0; i < 1000; i++) {
        struct net_addr a = allocate(s, &v, NULL);
        assert_true(is_used(&u, &a));
    }
    used_destroy(&v);
    used_destroy(&u);
    ipam_subnet_destroy(s);
}

static void
test_large_subnets(void **state)
{
    (void)state;
    /* A /8: 2^24 addresses, and no scan of the whole thing. */
    const char *reserved[] = {"10.0.0.2"};
    struct ipam_subnet_spec spec = {
        .family = AF_INET, .cidr = "10.0.0.0/8", .reserved = reserved, .n_reserved = 1};
    struct ipam_subnet *s = subnet_ok(&spec);
    assert_int_equal(ipam_pool_size(s), (1 << 24) - 4);
    struct used_set u;
    used_init(&u, 4096);
    struct net_addr last;
    const struct net_addr *hint = NULL;
    for (int i = 0; i < 1000; i++) {
        last = allocate(s, &u, hint);
        hint = &last;
    }
    assert_string_equal(str(&last), "10.0.3.234"); /* 3 + 1000 - 1 = 0x3ea */
    assert_int_equal(u.lookups, 2000);

    struct net_addr end = addr("10.255.255.254"), out;
    u.lookups = 0;
    assert_true(ipam_next_free(s, is_used, &u, &end, &out));
    /* Wraps around, then steps over the 1000 used addresses. */
    assert_string_equal(str(&out), "10.0.3.235");
    assert_int_equal(u.lookups, 1001);
    used_destroy(&u);
    ipam_subnet_destroy(s);

    /* A /64 that is nearly empty, with used addresses right after the
     * hint: the scan stops at the first free one. */
    s = simple_subnet(AF_INET6, "fd00:abcd::/64", NULL);
    used_init(&u, 4096);
    struct net_addr a = addr("fd00:abcd::2");
    for (int i = 0; i < 256; i++) {
        used_add(&u, &a);
        net_addr_add(&a, 1, &a);
    }
    u.lookups = 0;
    assert_true(ipam_next_free(s, is_used, &u, NULL, &out));
    assert_string_equal(str(&out), "fd00:abcd::102");
    assert_int_equal(u.lookups, 257);
    struct net_addr far = addr("fd00:abcd::8000:0:0:0");
    assert_true(ipam_next_free(s, is_used, &u, &far, &out));
    assert_string_equal(str(&out), "fd00:abcd::8000:0:0:1");

    /* A caller whose is_used() says yes to everything: the search is
     * bounded, and fails rather than returning a used address. */
    size_t probes = 0;
    long long start = lq_time_msec();
    assert_false(ipam_next_free(s, always_used, &probes, NULL, &out));
    assert_int_equal(probes, IPAM_MAX_PROBES);
    assert_true(lq_time_msec() - start < 10000);

    struct ipam_counts c;
    const struct net_addr some[] = {addr("fd00:abcd::2"), addr("fd00:abcd::3")};
    ipam_count(s, some, 2, &c);
    assert_true(c.total == UINT64_MAX - 1);
    assert_int_equal(c.allocated, 2);
    assert_true(c.available == UINT64_MAX - 3);
    used_destroy(&u);
    ipam_subnet_destroy(s);

    /* A /32 IPv6: pool size saturates. */
    s = simple_subnet(AF_INET6, "2001:db8::/32", NULL);
    assert_true(ipam_pool_size(s) == UINT64_MAX);
    ipam_count(s, some, 0, &c);
    assert_true(c.total == UINT64_MAX && c.available == UINT64_MAX);
    assert_int_equal(c.allocated, 0);
    ipam_subnet_destroy(s);
}

static void
test_counts(void **state)
{
    (void)state;
    const struct ipam_range_text pools[] = {{"10.0.0.10", "10.0.0.19"}};
    const char *reserved[] = {"10.0.0.15"};
    struct ipam_subnet_spec spec = {
        .family = AF_INET,
        .cidr = "10.0.0.0/24",
        .pools = pools,
        .n_pools = 1,
        .reserved = reserved,
        .n_reserved = 1,
    };
    struct ipam_subnet *s = subnet_ok(&spec);
    const struct net_addr used[] = {
        addr("10.0.0.10"),  addr("10.0.0.11"), addr("10.0.0.10"), /* Duplicate. */
        addr("10.0.0.15"),  /* Reserved, requested explicitly. */
        addr("10.0.0.100"), /* A fixed IP outside the pools. */
        addr("10.0.1.1"),   /* Another subnet. */
        addr("fd00::10"),   /* Another family. */
    };
    struct ipam_counts c;
    ipam_count(s, used, sizeof used / sizeof *used, &c);
    assert_int_equal(c.total, 9);
    assert_int_equal(c.allocated, 4);
    assert_int_equal(c.available, 7);
    ipam_count(s, NULL, 0, &c);
    assert_int_equal(c.total, 9);
    assert_int_equal(c.allocated, 0);
    assert_int_equal(c.available, 9);
    ipam_subnet_destroy(s);
}

static void
test_fixed_ip(void **state)
{
    (void)state;
    const struct ipam_range_text pools[] = {{"10.0.0.10", "10.0.0.19"}};
    const char *reserved[] = {"10.0.0.15"};
    struct ipam_subnet_spec spec = {
        .family = AF_INET,
        .cidr = "10.0.0.0/24",
        .pools = pools,
        .n_pools = 1,
        .reserved = reserved,
        .n_reserved = 1,
    };
    struct ipam_subnet *s = subnet_ok(&spec);
    static const struct {
        const char *ip, *message;
    } cases[] = {
        {"10.0.0.12", NULL},
        {"10.0.0.15", NULL},  /* Reserved: only not auto-allocated. */
        {"10.0.0.200", NULL}, /* Outside the pools, inside the subnet. */
        {"10.0.0.254", NULL},
        {"10.0.0.1", "'10.0.0.1' is the gateway of 10.0.0.0/24"},
        {"10.0.0.0", "'10.0.0.0' is the network address of 10.0.0.0/24"},
        {"10.0.0.255", "'10.0.0.255' is the broadcast address of 10.0.0.0/24"},
        {"10.0.1.5", "'10.0.1.5' is not in subnet 10.0.0.0/24"},
        {"fd00::5", "'fd00::5' is not an IPv4 address"},
        {"10.0.0.012", "'10.0.0.012' is not an IP address"},
        {"", "'' is not an IP address"},
    };
    const char *field = "spec.fixedIps[0].ipAddress";
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct net_addr a;
        struct lq_error *err = ipam_parse_fixed_ip(s, cases[i].ip, field, &a);
        if (!cases[i].message) {
            if (err) {
                fail_msg("%s: unexpected error %s", cases[i].ip, err->message);
            }
            assert_string_equal(str(&a), cases[i].ip);
            continue;
        }
        assert_non_null(err);
        assert_int_equal(err->code, LQ_INVALID_ARGUMENT);
        assert_string_equal(err->field, field);
        char *full = xasprintf("%s: %s", field, cases[i].message);
        assert_string_equal(err->message, full);
        free(full);
        lq_error_free(err);
    }
    struct lq_error *err = ipam_parse_fixed_ip(s, NULL, field, &(struct net_addr){0});
    assert_non_null(err);
    lq_error_free(err);
    ipam_subnet_destroy(s);

    s = simple_subnet(AF_INET6, "fd00::/64", NULL);
    struct net_addr a = addr("fd00::");
    err = ipam_check_fixed_ip(s, &a, "ip");
    assert_string_equal(err->message, "ip: 'fd00::' is the network address of fd00::/64");
    lq_error_free(err);
    a = addr("fd00::1");
    err = ipam_check_fixed_ip(s, &a, "ip");
    assert_string_equal(err->message, "ip: 'fd00::1' is the gateway of fd00::/64");
    lq_error_free(err);
    a = addr("fd00::ffff:ffff:ffff:ffff");
    assert_null(ipam_check_fixed_ip(s, &a, "ip"));
    ipam_subnet_destroy(s);
}

static void
test_subnet_errors(void **state)
{
    (void)state;
    static const struct {
        int family;
        const char *cidr, *gateway, *field, *message;
    } cases[] = {
        {AF_INET, "", NULL, "ipv4Subnet", "is required"},
        {AF_INET, NULL, NULL, "ipv4Subnet", "is required"},
        {AF_INET, "10.0.1.0/33", NULL, "ipv4Subnet", "'10.0.1.0/33' is not a CIDR"},
        {AF_INET, "10.0.1.0", NULL, "ipv4Subnet", "'10.0.1.0' is not a CIDR"},
        {AF_INET, "010.0.1.0/24", NULL, "ipv4Subnet", "'010.0.1.0/24' is not a CIDR"},
        {AF_INET, "10.0.0.1/24", NULL, "ipv4Subnet",
         "'10.0.0.1/24' has host bits set (the network is 10.0.0.0/24)"},
        {AF_INET, "fd00::/64", NULL, "ipv4Subnet", "'fd00::/64' is not an IPv4 CIDR"},
        {AF_INET6, "10.0.0.0/24", NULL, "ipv6Subnet", "'10.0.0.0/24' is not an IPv6 CIDR"},
        {AF_INET6, "fd00::1/64", NULL, "ipv6Subnet",
         "'fd00::1/64' has host bits set (the network is fd00::/64)"},
        {AF_INET, "10.0.0.0/31", NULL, "ipv4Subnet",
         "'10.0.0.0/31' has no usable host addresses (IPv4 prefix length must be at most 30)"},
        {AF_INET, "10.0.0.1/32", NULL, "ipv4Subnet",
         "'10.0.0.1/32' has no usable host addresses (IPv4 prefix length must be at most 30)"},
        {AF_INET6, "fd00::/127", NULL, "ipv6Subnet",
         "'fd00::/127' has no usable host addresses (IPv6 prefix length must be at most 126)"},
        {AF_INET6, "fd00::/128", NULL, "ipv6Subnet",
         "'fd00::/128' has no usable host addresses (IPv6 prefix length must be at most 126)"},
        {AF_INET, "10.0.0.0/24", "10.1.0.1", "ipv4Gateway",
         "'10.1.0.1' is not in subnet 10.0.0.0/24"},
        {AF_INET, "10.0.0.0/24", "10.0.0.0", "ipv4Gateway",
         "'10.0.0.0' is the network address of 10.0.0.0/24"},
        {AF_INET, "10.0.0.0/24", "10.0.0.255", "ipv4Gateway",
         "'10.0.0.255' is the broadcast address of 10.0.0.0/24"},
        {AF_INET, "10.0.0.0/24", "fd00::1", "ipv4Gateway", "'fd00::1' is not an IPv4 address"},
        {AF_INET, "10.0.0.0/24", "gw", "ipv4Gateway", "'gw' is not an IP address"},
        {AF_INET, "10.0.0.0/24", "10.0.0.1 ", "ipv4Gateway", "'10.0.0.1 ' is not an IP address"},
        {AF_INET6, "fd00::/64", "fd00::", "ipv6Gateway",
         "'fd00::' is the network address of fd00::/64"},
        {AF_INET6, "fd00::/64", "fd01::1", "ipv6Gateway", "'fd01::1' is not in subnet fd00::/64"},
        {AF_INET6, "fd00::/64", "10.0.0.1", "ipv6Gateway", "'10.0.0.1' is not an IPv6 address"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ipam_subnet_spec spec = {
            .family = cases[i].family, .cidr = cases[i].cidr, .gateway = cases[i].gateway};
        char *field = xasprintf(PREFIX ".%s", cases[i].field);
        expect_error(&spec, PREFIX, field, cases[i].message);
        free(field);
    }

    /* The broadcast address of a /30 is not a gateway either. */
    struct ipam_subnet_spec spec = {
        .family = AF_INET, .cidr = "10.0.0.4/30", .gateway = "10.0.0.7"};
    expect_error(&spec, PREFIX, PREFIX ".ipv4Gateway",
                 "'10.0.0.7' is the broadcast address of 10.0.0.4/30");

    /* No prefix, and caller-chosen field names. */
    spec = (struct ipam_subnet_spec){.family = AF_INET, .cidr = "x"};
    expect_error(&spec, NULL, "ipv4Subnet", "'x' is not a CIDR");
    expect_error(&spec, "", "ipv4Subnet", "'x' is not a CIDR");
    spec.subnet_field = "cidr";
    expect_error(&spec, "subnets[2]", "subnets[2].cidr", "'x' is not a CIDR");
    spec = (struct ipam_subnet_spec){
        .family = AF_INET, .cidr = "10.0.0.0/24", .gateway = "10.0.0.0", .gateway_field = "gw"};
    expect_error(&spec, "s", "s.gw", "'10.0.0.0' is the network address of 10.0.0.0/24");
    spec = (struct ipam_subnet_spec){.family = 0, .cidr = "10.0.0.0/24"};
    expect_error(&spec, NULL, "ipv6Subnet", "unsupported address family 0");
}

static void
test_pool_errors(void **state)
{
    (void)state;
    static const struct {
        struct ipam_range_text pools[3];
        size_t n;
        const char *field, *message;
    } cases[] = {
        {{{"", "10.0.0.20"}}, 1, "allocationPools[0].start", "is required"},
        {{{NULL, "10.0.0.20"}}, 1, "allocationPools[0].start", "is required"},
        {{{"10.0.0.10", NULL}}, 1, "allocationPools[0].end", "is required"},
        {{{"10.0.0.10", "10.0.0.20"}, {"10.0.0.30", ""}},
         2,
         "allocationPools[1].end",
         "is required"},
        {{{"10.0.0.x", "10.0.0.20"}},
         1,
         "allocationPools[0].start",
         "'10.0.0.x' is not an IP address"},
        {{{"10.0.0.10", "10.0.0.020"}},
         1,
         "allocationPools[0].end",
         "'10.0.0.020' is not an IP address"},
        {{{"10.0.1.10", "10.0.1.20"}},
         1,
         "allocationPools[0].start",
         "'10.0.1.10' is not in subnet 10.0.0.0/24"},
        {{{"10.0.0.10", "10.0.1.20"}},
         1,
         "allocationPools[0].end",
         "'10.0.1.20' is not in subnet 10.0.0.0/24"},
        {{{"fd00::10", "fd00::20"}},
         1,
         "allocationPools[0].start",
         "'fd00::10' is not an IPv4 address"},
        {{{"10.0.0.10", "fd00::20"}},
         1,
         "allocationPools[0].end",
         "'fd00::20' is not an IPv4 address"},
        {{{"10.0.0.20", "10.0.0.10"}},
         1,
         "allocationPools[0]",
         "start 10.0.0.20 is after end 10.0.0.10"},
        {{{"10.0.0.0", "10.0.0.10"}},
         1,
         "allocationPools[0].start",
         "'10.0.0.0' is the network address of 10.0.0.0/24"},
        {{{"10.0.0.200", "10.0.0.255"}},
         1,
         "allocationPools[0].end",
         "'10.0.0.255' is the broadcast address of 10.0.0.0/24"},
        {{{"10.0.0.255", "10.0.0.255"}},
         1,
         "allocationPools[0].end",
         "'10.0.0.255' is the broadcast address of 10.0.0.0/24"},
        {{{"10.0.0.255", "10.0.0.254"}},
         1,
         "allocationPools[0]",
         "start 10.0.0.255 is after end 10.0.0.254"},
        {{{"10.0.0.10", "10.0.0.0"}},
         1,
         "allocationPools[0]",
         "start 10.0.0.10 is after end 10.0.0.0"},
        {{{"10.0.0.1", "10.0.0.10"}}, 1, "allocationPools[0]", "includes the gateway 10.0.0.1"},
        {{{"10.0.0.100", "10.0.0.200"}, {"10.0.0.2", "10.0.0.254"}},
         2,
         "allocationPools[1]",
         "overlaps allocationPools[0]"},
        {{{"10.0.0.10", "10.0.0.20"}, {"10.0.0.30", "10.0.0.40"}, {"10.0.0.20", "10.0.0.25"}},
         3,
         "allocationPools[2]",
         "overlaps allocationPools[0]"},
        {{{"10.0.0.10", "10.0.0.20"}, {"10.0.0.30", "10.0.0.40"}, {"10.0.0.35", "10.0.0.35"}},
         3,
         "allocationPools[2]",
         "overlaps allocationPools[1]"},
        {{{"10.0.0.10", "10.0.0.20"}, {"10.0.0.10", "10.0.0.20"}},
         2,
         "allocationPools[1]",
         "overlaps allocationPools[0]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ipam_subnet_spec spec = {.family = AF_INET,
                                        .cidr = "10.0.0.0/24",
                                        .pools = cases[i].pools,
                                        .n_pools = cases[i].n};
        char *field = xasprintf(PREFIX ".%s", cases[i].field);
        expect_error(&spec, PREFIX, field, cases[i].message);
        free(field);
    }

    /* IPv6: the network address (subnet-router anycast) is not for hosts,
     * the last address is. */
    const struct ipam_range_text v6[] = {{"fd00::", "fd00::10"}};
    struct ipam_subnet_spec spec = {
        .family = AF_INET6, .cidr = "fd00::/64", .pools = v6, .n_pools = 1};
    expect_error(&spec, PREFIX, PREFIX ".allocationPools[0].start",
                 "'fd00::' is the network address of fd00::/64");
    const struct ipam_range_text v6top[] = {{"fd00::ffff:0:0:0", "fd00::ffff:ffff:ffff:ffff"}};
    spec.pools = v6top;
    struct ipam_subnet *s = subnet_ok(&spec);
    assert_int_equal(ipam_pool_size(s), 1ull << 48);
    ipam_subnet_destroy(s);

    /* A custom gateway in a pool. */
    const struct ipam_range_text gw[] = {{"10.0.0.2", "10.0.0.100"}};
    spec = (struct ipam_subnet_spec){.family = AF_INET,
                                     .cidr = "10.0.0.0/24",
                                     .gateway = "10.0.0.50",
                                     .pools = gw,
                                     .n_pools = 1};
    expect_error(&spec, PREFIX, PREFIX ".allocationPools[0]", "includes the gateway 10.0.0.50");
    spec.pools_field = "ranges";
    expect_error(&spec, PREFIX, PREFIX ".ranges[0]", "includes the gateway 10.0.0.50");
}

static void
test_reserved_errors(void **state)
{
    (void)state;
    static const struct {
        const char *reserved[4];
        size_t n;
        const char *field, *message;
    } cases[] = {
        {{"10.0.0.5", "nope"}, 2, "reservedIps[1]", "'nope' is not an IP address"},
        {{""}, 1, "reservedIps[0]", "'' is not an IP address"},
        {{"10.0.1.5"}, 1, "reservedIps[0]", "'10.0.1.5' is not in subnet 10.0.0.0/24"},
        {{"10.0.0.5", "10.0.0.6", "fd00::1"},
         3,
         "reservedIps[2]",
         "'fd00::1' is not an IPv4 address"},
        {{"10.0.0.0"}, 1, "reservedIps[0]", "'10.0.0.0' is the network address of 10.0.0.0/24"},
        {{"10.0.0.255"},
         1,
         "reservedIps[0]",
         "'10.0.0.255' is the broadcast address of 10.0.0.0/24"},
        {{"10.0.0.1"}, 1, "reservedIps[0]", "'10.0.0.1' is the gateway of 10.0.0.0/24"},
        {{"10.0.0.5", "10.0.0.6", "10.0.0.5"}, 3, "reservedIps[2]", "duplicates reservedIps[0]"},
        {{"10.0.0.9", "10.0.0.6", "10.0.0.6", "10.0.0.9"},
         4,
         "reservedIps[2]",
         "duplicates reservedIps[1]"},
        {{"10.0.0.6", "10.0.0.9", "10.0.0.9", "10.0.0.6"},
         4,
         "reservedIps[2]",
         "duplicates reservedIps[1]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct ipam_subnet_spec spec = {
            .family = AF_INET,
            .cidr = "10.0.0.0/24",
            .reserved = cases[i].reserved,
            .n_reserved = cases[i].n,
        };
        char *field = xasprintf(PREFIX ".%s", cases[i].field);
        expect_error(&spec, PREFIX, field, cases[i].message);
        free(field);
    }

    /* Errors come in field order: subnet, gateway, pools, reserved IPs. */
    const struct ipam_range_text pools[] = {{"10.0.0.20", "10.0.0.10"}};
    const char *reserved[] = {"bad"};
    struct ipam_subnet_spec spec = {
        .family = AF_INET,
        .cidr = "10.0.0.0/24",
        .gateway = "10.0.0.0",
        .pools = pools,
        .n_pools = 1,
        .reserved = reserved,
        .n_reserved = 1,
    };
    expect_error(&spec, PREFIX, PREFIX ".ipv4Gateway",
                 "'10.0.0.0' is the network address of 10.0.0.0/24");
    spec.gateway = NULL;
    expect_error(&spec, PREFIX, PREFIX ".allocationPools[0]",
                 "start 10.0.0.20 is after end 10.0.0.10");
    spec.pools = NULL;
    expect_error(&spec, PREFIX, PREFIX ".reservedIps[0]", "'bad' is not an IP address");

    /* Long caller-chosen field names are not truncated. */
    const char *dups[] = {"10.0.0.7", "10.0.0.7"};
    spec = (struct ipam_subnet_spec){
        .family = AF_INET,
        .cidr = "10.0.0.0/24",
        .reserved = dups,
        .n_reserved = 2,
        .reserved_field = "addressesThatMustNeverBeHandedOutAutomatically",
    };
    expect_error(&spec, PREFIX, PREFIX ".addressesThatMustNeverBeHandedOutAutomatically[1]",
                 "duplicates addressesThatMustNeverBeHandedOutAutomatically[0]");
}

static void
test_mixed_families(void **state)
{
    (void)state;
    /* One list for both subnets, as in the API. */
    const struct ipam_range_text pools[] = {
        {"fd00::10", "fd00::20"},
        {"10.0.0.10", "10.0.0.20"},
        {"fd00::100", "fd00::1ff"},
    };
    const char *reserved[] = {"fd00::15", "10.0.0.15"};
    struct ipam_subnet_spec v4 = {
        .family = AF_INET,
        .cidr = "10.0.0.0/24",
        .pools = pools,
        .n_pools = 3,
        .reserved = reserved,
        .n_reserved = 2,
        .ignore_other_family = true,
    };
    struct ipam_subnet_spec v6 = v4;
    v6.family = AF_INET6;
    v6.cidr = "fd00::/64";

    struct ipam_subnet *s4 = subnet_ok(&v4), *s6 = subnet_ok(&v6);
    static const char *const p4[] = {"10.0.0.10-10.0.0.20"};
    static const char *const p6[] = {"fd00::10-fd00::20", "fd00::100-fd00::1ff"};
    expect_pools(s4, p4, 1);
    expect_pools(s6, p6, 2);
    assert_int_equal(ipam_pool_size(s4), 10);
    assert_int_equal(ipam_pool_size(s6), 17 + 256 - 1);
    struct net_addr a = addr("fd00::15");
    assert_true(ipam_is_reserved(s6, &a));
    assert_false(ipam_is_reserved(s4, &a));
    ipam_subnet_destroy(s4);
    ipam_subnet_destroy(s6);

    /* Indexes in messages are those of the shared list. */
    const struct ipam_range_text bad[] = {
        {"10.0.0.10", "10.0.0.20"},
        {"fd00::10", "10.0.0.20"},
    };
    v6.pools = bad;
    v6.n_pools = 2;
    expect_error(&v6, PREFIX, PREFIX ".allocationPools[1].end",
                 "'10.0.0.20' is not an IPv6 address");
    const char *bad_reserved[] = {"10.0.0.5", "fd01::1"};
    v6.pools = NULL;
    v6.reserved = bad_reserved;
    expect_error(&v6, PREFIX, PREFIX ".reservedIps[1]", "'fd01::1' is not in subnet fd00::/64");

    /* Only other-family pools given: this family gets the default. */
    const struct ipam_range_text only_v6[] = {{"fd00::10", "fd00::20"}};
    v4.pools = only_v6;
    v4.n_pools = 1;
    v4.reserved = NULL;
    s4 = subnet_ok(&v4);
    static const char *const def[] = {"10.0.0.2-10.0.0.254"};
    expect_pools(s4, def, 1);
    ipam_subnet_destroy(s4);

    /* Without the flag, other-family entries are errors. */
    v4.ignore_other_family = false;
    expect_error(&v4, PREFIX, PREFIX ".allocationPools[0].start",
                 "'fd00::10' is not an IPv4 address");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_pools_v4),
        cmocka_unit_test(test_default_pools_split),
        cmocka_unit_test(test_explicit_pools),
        cmocka_unit_test(test_exhaust_two),
        cmocka_unit_test(test_hints),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_thousand_allocations),
        cmocka_unit_test(test_large_subnets),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_fixed_ip),
        cmocka_unit_test(test_subnet_errors),
        cmocka_unit_test(test_pool_errors),
        cmocka_unit_test(test_reserved_errors),
        cmocka_unit_test(test_mixed_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
