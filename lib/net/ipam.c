#include "ipam.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "util.h"

struct ipam_pool {
    struct net_addr start;
    struct net_addr end;
};

struct ipam_subnet {
    struct net_cidr cidr;
    struct net_addr gateway;
    struct ipam_pool *pools; /* Sorted by address, disjoint. */
    size_t n_pools;
    struct net_addr *reserved; /* Sorted, distinct. */
    size_t n_reserved;
    uint64_t pool_size;
    bool pool_size_saturated;
};

/* Validation context: the subnet being built and how to name fields. */
struct builder {
    const struct ipam_subnet_spec *spec;
    const char *prefix;
    const char *subnet_field;
    const char *gateway_field;
    const char *pools_field;
    const char *reserved_field;
    struct ipam_subnet *s;
};

static bool
is_empty(const char *s)
{
    return !s || !*s;
}

/* Returns a new LQ_INVALID_ARGUMENT error for the field named by 'fmt'
 * (relative to b->prefix) with message 'msg'. */
static struct lq_error *field_error(const struct builder *b, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct lq_error *
field_error(const struct builder *b, const char *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *name = xvasprintf(fmt, ap);
    va_end(ap);
    char *field = is_empty(b->prefix) ? xstrdup(name) : xasprintf("%s.%s", b->prefix, name);
    struct lq_error *err = lq_error_new(LQ_INVALID_ARGUMENT, field, "%s", msg);
    free(field);
    free(name);
    return err;
}

/* Where a parsed address stands relative to the subnet. */
enum addr_check {
    ADDR_OK,
    ADDR_MALFORMED,
    ADDR_OTHER_FAMILY,
    ADDR_OUTSIDE,
    ADDR_NETWORK,
    ADDR_BROADCAST,
};

static enum addr_check
check_addr(const struct ipam_subnet *s, const struct net_addr *a)
{
    struct net_addr network, broadcast;
    if (a->family != s->cidr.addr.family) {
        return ADDR_OTHER_FAMILY;
    } else if (!net_cidr_contains_addr(&s->cidr, a)) {
        return ADDR_OUTSIDE;
    }
    net_cidr_network(&s->cidr, &network);
    if (net_addr_equals(a, &network)) {
        return ADDR_NETWORK;
    } else if (net_cidr_broadcast(&s->cidr, &broadcast) && net_addr_equals(a, &broadcast)) {
        return ADDR_BROADCAST;
    }
    return ADDR_OK;
}

static enum addr_check
parse_and_check(const struct ipam_subnet *s, const char *text, struct net_addr *out)
{
    return net_addr_parse(text, out) ? check_addr(s, out) : ADDR_MALFORMED;
}

/* Message explaining 'check' for 'text'; caller frees. */
static char *
addr_check_message(const struct ipam_subnet *s, enum addr_check check, const char *text)
{
    char cidr[NET_CIDR_STRLEN];
    net_cidr_format(&s->cidr, cidr);
    const char *family = net_family_name(s->cidr.addr.family);
    switch (check) {
    case ADDR_MALFORMED:
        return xasprintf("'%s' is not an IP address", text);
    case ADDR_OTHER_FAMILY:
        return xasprintf("'%s' is not an %s address", text, family);
    case ADDR_OUTSIDE:
        return xasprintf("'%s' is not in subnet %s", text, cidr);
    case ADDR_NETWORK:
        return xasprintf("'%s' is the network address of %s", text, cidr);
    case ADDR_BROADCAST:
        return xasprintf("'%s' is the broadcast address of %s", text, cidr);
    case ADDR_OK:
        break;
    }
    return xstrdup("is valid");
}

static struct lq_error *addr_error(const struct builder *b, enum addr_check check, const char *text,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct lq_error *
addr_error(const struct builder *b, enum addr_check check, const char *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *name = xvasprintf(fmt, ap);
    va_end(ap);
    char *msg = addr_check_message(b->s, check, text);
    struct lq_error *err = field_error(b, msg, "%s", name);
    free(msg);
    free(name);
    return err;
}

static struct lq_error *
build_cidr(struct builder *b)
{
    const char *text = b->spec->cidr;
    int family = b->spec->family;
    char *msg = NULL;
    struct net_cidr c;

    if (family != AF_INET && family != AF_INET6) {
        msg = xasprintf("unsupported address family %d", family);
    } else if (is_empty(text)) {
        msg = xstrdup("is required");
    } else {
        enum net_cidr_status status = net_cidr_parse_status(text, &c);
        int max_plen = net_family_bits(family) - 2;
        char suggestion[NET_CIDR_STRLEN];
        if (status == NET_CIDR_MALFORMED) {
            msg = xasprintf("'%s' is not a CIDR", text);
        } else if (c.addr.family != family) {
            msg = xasprintf("'%s' is not an %s CIDR", text, net_family_name(family));
        } else if (status == NET_CIDR_HOST_BITS) {
            msg = xasprintf("'%s' has host bits set (the network is %s)", text,
                            net_cidr_format(&c, suggestion));
        } else if (c.plen > max_plen) {
            /* A /31 or /127 has no room for a gateway and a host. */
            msg = xasprintf("'%s' has no usable host addresses (%s prefix length must be at most "
                            "%d)",
                            text, net_family_name(family), max_plen);
        }
    }
    if (msg) {
        struct lq_error *err = field_error(b, msg, "%s", b->subnet_field);
        free(msg);
        return err;
    }
    b->s->cidr = c;
    return NULL;
}

static struct lq_error *
build_gateway(struct builder *b)
{
    const char *text = b->spec->gateway;
    if (is_empty(text)) {
        net_cidr_first_host(&b->s->cidr, &b->s->gateway);
        return NULL;
    }
    enum addr_check check = parse_and_check(b->s, text, &b->s->gateway);
    return check == ADDR_OK ? NULL : addr_error(b, check, text, "%s", b->gateway_field);
}

/* Parses pool 'i' into '*pool'. Sets '*skip' if it belongs to the other
 * family and the spec says to ignore those. */
static struct lq_error *
build_pool(struct builder *b, size_t i, struct ipam_pool *pool, bool *skip)
{
    const struct ipam_range_text *r = &b->spec->pools[i];
    const char *pf = b->pools_field;
    char text[2 * NET_ADDR_STRLEN + 32];
    enum addr_check check;

    *skip = false;
    if (is_empty(r->start)) {
        return field_error(b, "is required", "%s[%zu].start", pf, i);
    }
    check = parse_and_check(b->s, r->start, &pool->start);
    if (check == ADDR_OTHER_FAMILY && b->spec->ignore_other_family) {
        *skip = true;
        return NULL;
    } else if (check != ADDR_OK && check != ADDR_BROADCAST) {
        /* A start at the broadcast address is reported below as "start
         * after end" or as including the broadcast address. */
        return addr_error(b, check, r->start, "%s[%zu].start", pf, i);
    }

    if (is_empty(r->end)) {
        return field_error(b, "is required", "%s[%zu].end", pf, i);
    }
    check = parse_and_check(b->s, r->end, &pool->end);
    if (check != ADDR_OK && check != ADDR_NETWORK && check != ADDR_BROADCAST) {
        return addr_error(b, check, r->end, "%s[%zu].end", pf, i);
    }

    char start_s[NET_ADDR_STRLEN], end_s[NET_ADDR_STRLEN];
    net_addr_to_string(&pool->start, start_s);
    net_addr_to_string(&pool->end, end_s);
    if (net_addr_compare(&pool->start, &pool->end) > 0) {
        snprintf(text, sizeof text, "start %s is after end %s", start_s, end_s);
        return field_error(b, text, "%s[%zu]", pf, i);
    }
    check = check_addr(b->s, &pool->end);
    if (check != ADDR_OK) {
        return addr_error(b, check, r->end, "%s[%zu].end", pf, i);
    }
    check = check_addr(b->s, &pool->start);
    if (check != ADDR_OK) {
        return addr_error(b, check, r->start, "%s[%zu].start", pf, i);
    }
    if (net_addr_compare(&pool->start, &b->s->gateway) <= 0 &&
        net_addr_compare(&b->s->gateway, &pool->end) <= 0) {
        char gw[NET_ADDR_STRLEN];
        snprintf(text, sizeof text, "includes the gateway %s",
                 net_addr_to_string(&b->s->gateway, gw));
        return field_error(b, text, "%s[%zu]", pf, i);
    }
    return NULL;
}

struct indexed_pool {
    struct ipam_pool pool;
    size_t index; /* In the spec. */
};

static int
compare_indexed_pools(const void *a_, const void *b_)
{
    const struct indexed_pool *a = a_, *b = b_;
    return net_addr_compare(&a->pool.start, &b->pool.start);
}

static struct lq_error *
build_pools(struct builder *b, struct indexed_pool **pools_out, size_t *n_out)
{
    size_t n_given = b->spec->pools ? b->spec->n_pools : 0;
    struct indexed_pool *pools = xcalloc(n_given, sizeof *pools);
    size_t n = 0;

    for (size_t i = 0; i < n_given; i++) {
        bool skip;
        struct lq_error *err = build_pool(b, i, &pools[n].pool, &skip);
        if (err) {
            free(pools);
            return err;
        }
        if (!skip) {
            pools[n++].index = i;
        }
    }
    /* Quadratic, but it reports the first overlap in spec order and there
     * are only a handful of pools. */
    for (size_t j = 1; j < n; j++) {
        for (size_t i = 0; i < j; i++) {
            const struct ipam_pool *p = &pools[i].pool, *q = &pools[j].pool;
            if (net_addr_compare(&p->start, &q->end) <= 0 &&
                net_addr_compare(&q->start, &p->end) <= 0) {
                char *msg = xasprintf("overlaps %s[%zu]", b->pools_field, pools[i].index);
                struct lq_error *err =
                    field_error(b, msg, "%s[%zu]", b->pools_field, pools[j].index);
                free(msg);
                free(pools);
                return err;
            }
        }
    }
    qsort(pools, n, sizeof *pools, compare_indexed_pools);
    *pools_out = pools;
    *n_out = n;
    return NULL;
}

struct indexed_addr {
    struct net_addr addr;
    size_t index;
};

static int
compare_indexed_addrs(const void *a_, const void *b_)
{
    const struct indexed_addr *a = a_, *b = b_;
    int cmp = net_addr_compare(&a->addr, &b->addr);
    return cmp ? cmp : a->index < b->index ? -1 : a->index > b->index;
}

static struct lq_error *
build_reserved(struct builder *b)
{
    size_t n_given = b->spec->reserved ? b->spec->n_reserved : 0;
    struct indexed_addr *r = xcalloc(n_given, sizeof *r);
    const char *rf = b->reserved_field;
    size_t n = 0;

    for (size_t i = 0; i < n_given; i++) {
        const char *text = b->spec->reserved[i];
        enum addr_check check = parse_and_check(b->s, text, &r[n].addr);
        struct lq_error *err = NULL;
        if (check == ADDR_OTHER_FAMILY && b->spec->ignore_other_family) {
            continue;
        } else if (check != ADDR_OK) {
            err = addr_error(b, check, text ? text : "", "%s[%zu]", rf, i);
        } else if (net_addr_equals(&r[n].addr, &b->s->gateway)) {
            char cidr[NET_CIDR_STRLEN];
            char *msg =
                xasprintf("'%s' is the gateway of %s", text, net_cidr_format(&b->s->cidr, cidr));
            err = field_error(b, msg, "%s[%zu]", rf, i);
            free(msg);
        }
        if (err) {
            free(r);
            return err;
        }
        r[n++].index = i;
    }

    /* Sorting by (address, index) puts each duplicate right after the
     * first entry with its address; report the earliest duplicate. */
    qsort(r, n, sizeof *r, compare_indexed_addrs);
    size_t dup = SIZE_MAX, orig = 0;
    for (size_t k = 1; k < n; k++) {
        if (net_addr_equals(&r[k].addr, &r[k - 1].addr) && r[k].index < dup) {
            size_t first = k - 1;
            while (first > 0 && net_addr_equals(&r[first - 1].addr, &r[k].addr)) {
                first--;
            }
            dup = r[k].index;
            orig = r[first].index;
        }
    }
    if (dup != SIZE_MAX) {
        free(r);
        char *msg = xasprintf("duplicates %s[%zu]", rf, orig);
        struct lq_error *err = field_error(b, msg, "%s[%zu]", rf, dup);
        free(msg);
        return err;
    }

    b->s->reserved = xcalloc(n, sizeof *b->s->reserved);
    for (size_t k = 0; k < n; k++) {
        b->s->reserved[k] = r[k].addr;
    }
    b->s->n_reserved = n;
    free(r);
    return NULL;
}

static void
add_pool(struct ipam_subnet *s, size_t *allocated, const struct net_addr *start,
         const struct net_addr *end)
{
    if (s->n_pools == *allocated) {
        *allocated = *allocated ? 2 * *allocated : 4;
        s->pools = xrealloc(s->pools, *allocated * sizeof *s->pools);
    }
    s->pools[s->n_pools++] = (struct ipam_pool){*start, *end};
}

static int
compare_addrs(const void *a, const void *b)
{
    return net_addr_compare(a, b);
}

/* The host range minus the gateway and the reserved addresses, cut into
 * as many pools as it takes. */
static void
build_default_pools(struct ipam_subnet *s)
{
    struct net_addr lo, hi;
    net_cidr_first_host(&s->cidr, &lo);
    net_cidr_last_host(&s->cidr, &hi);

    size_t n_holes = s->n_reserved + 1;
    struct net_addr *holes = xmalloc(n_holes * sizeof *holes);
    memcpy(holes, s->reserved, s->n_reserved * sizeof *holes);
    holes[s->n_reserved] = s->gateway;
    qsort(holes, n_holes, sizeof *holes, compare_addrs);

    size_t allocated = 0;
    struct net_addr start = lo;
    bool more = true;
    for (size_t i = 0; i < n_holes && more; i++) {
        if (net_addr_compare(&holes[i], &start) < 0) {
            continue; /* A duplicate of the previous hole. */
        }
        if (net_addr_compare(&holes[i], &start) > 0) {
            struct net_addr end;
            net_addr_sub(&holes[i], 1, &end);
            add_pool(s, &allocated, &start, &end);
        }
        more = net_addr_add(&holes[i], 1, &start) && net_addr_compare(&start, &hi) <= 0;
    }
    if (more) {
        add_pool(s, &allocated, &start, &hi);
    }
    free(holes);
}

static bool
find_reserved(const struct ipam_subnet *s, const struct net_addr *a, size_t *pos)
{
    size_t lo = 0, hi = s->n_reserved;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (net_addr_compare(&s->reserved[mid], a) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *pos = lo;
    return lo < s->n_reserved && net_addr_equals(&s->reserved[lo], a);
}

/* Returns the index of the last pool starting at or before 'a', or
 * SIZE_MAX if there is none. */
static size_t
find_pool(const struct ipam_subnet *s, const struct net_addr *a)
{
    size_t lo = 0, hi = s->n_pools;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (net_addr_compare(&s->pools[mid].start, a) <= 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo ? lo - 1 : SIZE_MAX;
}

static bool
in_pools(const struct ipam_subnet *s, const struct net_addr *a)
{
    size_t i = find_pool(s, a);
    return i != SIZE_MAX && net_addr_compare(a, &s->pools[i].end) <= 0;
}

static void
compute_pool_size(struct ipam_subnet *s)
{
    uint64_t total = 0;
    bool saturated = false;
    for (size_t i = 0; i < s->n_pools && !saturated; i++) {
        uint64_t d;
        if (!net_addr_diff(&s->pools[i].start, &s->pools[i].end, &d) || d == UINT64_MAX ||
            d + 1 > UINT64_MAX - total) {
            saturated = true;
        } else {
            total += d + 1;
        }
    }
    if (saturated) {
        s->pool_size = UINT64_MAX;
    } else {
        for (size_t i = 0; i < s->n_reserved; i++) {
            total -= in_pools(s, &s->reserved[i]);
        }
        s->pool_size = total;
    }
    s->pool_size_saturated = saturated;
}

struct lq_error *
ipam_subnet_new(const struct ipam_subnet_spec *spec, const char *prefix, struct ipam_subnet **out)
{
    bool v4 = spec->family == AF_INET;
    struct builder b = {
        .spec = spec,
        .prefix = prefix,
        .subnet_field = spec->subnet_field ? spec->subnet_field
                        : v4               ? "ipv4Subnet"
                                           : "ipv6Subnet",
        .gateway_field = spec->gateway_field ? spec->gateway_field
                         : v4                ? "ipv4Gateway"
                                             : "ipv6Gateway",
        .pools_field = spec->pools_field ? spec->pools_field : "allocationPools",
        .reserved_field = spec->reserved_field ? spec->reserved_field : "reservedIps",
        .s = xcalloc(1, sizeof *b.s),
    };
    struct indexed_pool *pools = NULL;
    size_t n_pools = 0;

    *out = NULL;
    struct lq_error *err = build_cidr(&b);
    if (!err) {
        err = build_gateway(&b);
    }
    if (!err) {
        err = build_pools(&b, &pools, &n_pools);
    }
    if (!err) {
        err = build_reserved(&b);
    }
    if (err) {
        free(pools);
        ipam_subnet_destroy(b.s);
        return err;
    }

    struct ipam_subnet *s = b.s;
    if (n_pools) {
        s->pools = xcalloc(n_pools, sizeof *s->pools);
        for (size_t i = 0; i < n_pools; i++) {
            s->pools[i] = pools[i].pool;
        }
        s->n_pools = n_pools;
    } else {
        build_default_pools(s);
    }
    free(pools);
    compute_pool_size(s);
    *out = s;
    return NULL;
}

void
ipam_subnet_destroy(struct ipam_subnet *subnet)
{
    if (subnet) {
        free(subnet->pools);
        free(subnet->reserved);
        free(subnet);
    }
}

int
ipam_family(const struct ipam_subnet *subnet)
{
    return subnet->cidr.addr.family;
}

const struct net_cidr *
ipam_cidr(const struct ipam_subnet *subnet)
{
    return &subnet->cidr;
}

const struct net_addr *
ipam_gateway(const struct ipam_subnet *subnet)
{
    return &subnet->gateway;
}

bool
ipam_subnet_contains(const struct ipam_subnet *subnet, const struct net_addr *a)
{
    return net_cidr_contains_addr(&subnet->cidr, a);
}

bool
ipam_is_reserved(const struct ipam_subnet *subnet, const struct net_addr *a)
{
    size_t pos;
    return find_reserved(subnet, a, &pos);
}

bool
ipam_is_allocatable(const struct ipam_subnet *subnet, const struct net_addr *a)
{
    return a->family == ipam_family(subnet) && in_pools(subnet, a) &&
           !net_addr_equals(a, &subnet->gateway) && !ipam_is_reserved(subnet, a);
}

size_t
ipam_n_pools(const struct ipam_subnet *subnet)
{
    return subnet->n_pools;
}

void
ipam_pool(const struct ipam_subnet *subnet, size_t i, struct net_addr *start, struct net_addr *end)
{
    *start = subnet->pools[i].start;
    *end = subnet->pools[i].end;
}

uint64_t
ipam_pool_size(const struct ipam_subnet *subnet)
{
    return subnet->pool_size;
}

struct scan {
    const struct ipam_subnet *s;
    ipam_is_used_func *is_used;
    void *aux;
    unsigned int probes;
};

/* Looks for a free address in [cur, last] (inside one pool). Returns 1 and
 * sets '*out' if found, 0 if there is none, -1 if out of probes. */
static int
scan_range(struct scan *sc, struct net_addr cur, const struct net_addr *last, struct net_addr *out)
{
    const struct ipam_subnet *s = sc->s;
    size_t r;
    find_reserved(s, &cur, &r);
    while (net_addr_compare(&cur, last) <= 0) {
        if (r < s->n_reserved && net_addr_equals(&s->reserved[r], &cur)) {
            r++;
        } else {
            if (sc->probes++ >= IPAM_MAX_PROBES) {
                return -1;
            }
            if (!sc->is_used(sc->aux, &cur)) {
                *out = cur;
                return 1;
            }
        }
        if (!net_addr_add(&cur, 1, &cur)) {
            break;
        }
    }
    return 0;
}

bool
ipam_next_free(const struct ipam_subnet *subnet, ipam_is_used_func *is_used, void *aux,
               const struct net_addr *hint, struct net_addr *out)
{
    size_t n = subnet->n_pools;
    if (!n) {
        return false;
    }

    /* The search is pools p, p+1, ..., p-1 (mod n), where the first one is
     * scanned from 'from' and, if 'hint' is in pool p, pool p is scanned
     * again at the end up to 'hint'. */
    size_t p = 0;
    struct net_addr from = subnet->pools[0].start;
    bool hint_in_pool = false, skip_first = false;
    if (hint && hint->family == ipam_family(subnet)) {
        size_t k = find_pool(subnet, hint);
        if (k != SIZE_MAX && net_addr_compare(hint, &subnet->pools[k].end) <= 0) {
            p = k;
            hint_in_pool = true;
            skip_first = !net_addr_add(hint, 1, &from);
        } else {
            p = k == SIZE_MAX ? 0 : (k + 1) % n;
            from = subnet->pools[p].start;
        }
    }

    struct scan sc = {.s = subnet, .is_used = is_used, .aux = aux};
    int found = 0;
    for (size_t k = 0; k < n && !found; k++) {
        const struct ipam_pool *pool = &subnet->pools[(p + k) % n];
        if (k == 0 && skip_first) {
            continue;
        }
        found = scan_range(&sc, k ? pool->start : from, &pool->end, out);
    }
    if (!found && hint_in_pool) {
        found = scan_range(&sc, subnet->pools[p].start, hint, out);
    }
    return found > 0;
}

void
ipam_count(const struct ipam_subnet *subnet, const struct net_addr *used, size_t n_used,
           struct ipam_counts *out)
{
    struct net_addr *in = xcalloc(n_used, sizeof *in);
    size_t n = 0;
    for (size_t i = 0; i < n_used; i++) {
        if (ipam_subnet_contains(subnet, &used[i])) {
            in[n++] = used[i];
        }
    }
    qsort(in, n, sizeof *in, compare_addrs);

    uint64_t allocated = 0, allocatable_used = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && net_addr_equals(&in[i], &in[i - 1])) {
            continue;
        }
        allocated++;
        allocatable_used += ipam_is_allocatable(subnet, &in[i]);
    }
    free(in);

    out->total = subnet->pool_size;
    out->allocated = allocated;
    if (subnet->pool_size_saturated) {
        out->available = UINT64_MAX;
    } else {
        out->available = subnet->pool_size - allocatable_used;
    }
}

struct lq_error *
ipam_check_fixed_ip(const struct ipam_subnet *subnet, const struct net_addr *a, const char *field)
{
    char text[NET_ADDR_STRLEN];
    net_addr_to_string(a, text);
    enum addr_check check = check_addr(subnet, a);
    if (check != ADDR_OK) {
        char *msg = addr_check_message(subnet, check, text);
        struct lq_error *err = lq_error_new(LQ_INVALID_ARGUMENT, field, "%s", msg);
        free(msg);
        return err;
    } else if (net_addr_equals(a, &subnet->gateway)) {
        char cidr[NET_CIDR_STRLEN];
        return lq_error_new(LQ_INVALID_ARGUMENT, field, "'%s' is the gateway of %s", text,
                            net_cidr_format(&subnet->cidr, cidr));
    }
    return NULL;
}

struct lq_error *
ipam_parse_fixed_ip(const struct ipam_subnet *subnet, const char *text, const char *field,
                    struct net_addr *out)
{
    if (!net_addr_parse(text, out)) {
        return lq_error_new(LQ_INVALID_ARGUMENT, field, "'%s' is not an IP address",
                            text ? text : "");
    }
    return ipam_check_fixed_ip(subnet, out, field);
}
