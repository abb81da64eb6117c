#include "net.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* 128-bit arithmetic keeps address math to one code path for both
 * families; GCC and Clang provide it on every 64-bit target we run on. */
__extension__ typedef unsigned __int128 u128;

int
net_family_bits(int family)
{
    return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

const char *
net_family_name(int family)
{
    return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "unknown";
}

static int
family_bytes(int family)
{
    return net_family_bits(family) / 8;
}

static u128
addr_value(const struct net_addr *a)
{
    u128 v = 0;
    for (int i = 0; i < family_bytes(a->family); i++) {
        v = (v << 8) | a->b[i];
    }
    return v;
}

static void
addr_set_value(int family, u128 v, struct net_addr *out)
{
    memset(out, 0, sizeof *out);
    out->family = family;
    for (int i = family_bytes(family) - 1; i >= 0; i--) {
        out->b[i] = (uint8_t)v;
        v >>= 8;
    }
}

static u128
family_max(int family)
{
    return family == AF_INET ? 0xffffffffu : ~(u128)0;
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    } else if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Parses exactly the 'len' bytes at 's' as a dotted quad. */
static bool
parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        unsigned int v = 0;
        int digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (digits == 1 && v == 0) {
                return false; /* Leading zero: some tools read it as octal. */
            }
            if (++digits > 3) {
                return false;
            }
            v = v * 10 + (unsigned int)(s[i++] - '0');
        }
        if (!digits || v > 255) {
            return false;
        }
        out[part] = (uint8_t)v;
        if (part < 3) {
            if (i >= len || s[i] != '.') {
                return false;
            }
            i++;
        }
    }
    return i == len;
}

static bool
parse_ipv6(const char *s, uint8_t out[16])
{
    uint16_t groups[8];
    int n = 0;
    int gap = -1; /* Index in 'groups' where "::" stands, if any. */
    const char *p = s;

    if (p[0] == ':') {
        if (p[1] != ':') {
            return false;
        }
        gap = 0;
        p += 2;
    }
    while (*p) {
        const char *start = p;
        unsigned int v = 0;
        int digits = 0;
        for (int h; (h = hex_value(*p)) >= 0; p++) {
            if (++digits > 4) {
                return false;
            }
            v = (v << 4) | (unsigned int)h;
        }
        if (*p == '.') {
            /* Embedded IPv4 ends the address and fills two groups. */
            uint8_t b4[4];
            if (n > 6 || !parse_ipv4(start, strlen(start), b4)) {
                return false;
            }
            groups[n++] = (uint16_t)(b4[0] << 8 | b4[1]);
            groups[n++] = (uint16_t)(b4[2] << 8 | b4[3]);
            break;
        }
        if (!digits || n == 8) {
            return false;
        }
        groups[n++] = (uint16_t)v;
        if (*p == '\0') {
            break;
        } else if (*p != ':') {
            return false;
        }
        p++;
        if (*p == ':') {
            if (gap >= 0) {
                return false;
            }
            gap = n;
            p++;
        } else if (*p == '\0') {
            return false; /* Trailing single ':'. */
        }
    }

    if (gap >= 0 ? n > 7 : n != 8) {
        return false;
    }
    memset(out, 0, 16);
    int tail = gap >= 0 ? n - gap : 0;
    int head = n - tail;
    for (int i = 0; i < head; i++) {
        out[2 * i] = (uint8_t)(groups[i] >> 8);
        out[2 * i + 1] = (uint8_t)groups[i];
    }
    for (int i = 0; i < tail; i++) {
        int g = 8 - tail + i;
        out[2 * g] = (uint8_t)(groups[head + i] >> 8);
        out[2 * g + 1] = (uint8_t)groups[head + i];
    }
    return true;
}

bool
net_addr_parse(const char *s, struct net_addr *out)
{
    if (!s) {
        return false;
    }
    struct net_addr a;
    memset(&a, 0, sizeof a);
    if (strchr(s, ':')) {
        a.family = AF_INET6;
        if (!parse_ipv6(s, a.b)) {
            return false;
        }
    } else {
        a.family = AF_INET;
        if (!parse_ipv4(s, strlen(s), a.b)) {
            return false;
        }
    }
    *out = a;
    return true;
}

bool
net_addr_parse_family(const char *s, int family, struct net_addr *out)
{
    struct net_addr a;
    if (!net_addr_parse(s, &a) || a.family != family) {
        return false;
    }
    *out = a;
    return true;
}

char *
net_addr_to_string(const struct net_addr *a, char buf[NET_ADDR_STRLEN])
{
    const uint8_t *b = a->b;
    if (a->family == AF_INET) {
        snprintf(buf, NET_ADDR_STRLEN, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        return buf;
    }

    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(b, mapped, sizeof mapped)) {
        snprintf(buf, NET_ADDR_STRLEN, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
        return buf;
    }

    unsigned int g[8];
    for (int i = 0; i < 8; i++) {
        g[i] = (unsigned int)b[2 * i] << 8 | b[2 * i + 1];
    }
    /* RFC 5952 4.2: compress the longest run of two or more zero groups,
     * the first one on a tie. */
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && !g[j]) {
            j++;
        }
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }

    char *p = buf;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *p++ = ':';
            *p++ = ':';
            i += best_len - 1;
            continue;
        }
        if (i && i != best + best_len) {
            *p++ = ':';
        }
        p += sprintf(p, "%x", g[i]);
    }
    *p = '\0';
    return buf;
}

void
net_addr_from_ipv4(const uint8_t b[4], struct net_addr *out)
{
    memset(out, 0, sizeof *out);
    out->family = AF_INET;
    memcpy(out->b, b, 4);
}

void
net_addr_from_u32(uint32_t host_order, struct net_addr *out)
{
    addr_set_value(AF_INET, host_order, out);
}

bool
net_addr_is_ipv4(const struct net_addr *a)
{
    return a->family == AF_INET;
}

bool
net_addr_is_ipv6(const struct net_addr *a)
{
    return a->family == AF_INET6;
}

bool
net_addr_is_zero(const struct net_addr *a)
{
    for (int i = 0; i < family_bytes(a->family); i++) {
        if (a->b[i]) {
            return false;
        }
    }
    return true;
}

int
net_addr_compare(const struct net_addr *a, const struct net_addr *b)
{
    if (a->family != b->family) {
        return a->family == AF_INET ? -1 : b->family == AF_INET ? 1 : a->family - b->family;
    }
    return memcmp(a->b, b->b, (size_t)family_bytes(a->family));
}

bool
net_addr_equals(const struct net_addr *a, const struct net_addr *b)
{
    return !net_addr_compare(a, b);
}

bool
net_addr_add(const struct net_addr *a, uint64_t n, struct net_addr *out)
{
    u128 v = addr_value(a);
    if (n > family_max(a->family) - v) {
        return false;
    }
    addr_set_value(a->family, v + n, out);
    return true;
}

bool
net_addr_sub(const struct net_addr *a, uint64_t n, struct net_addr *out)
{
    u128 v = addr_value(a);
    if (n > v) {
        return false;
    }
    addr_set_value(a->family, v - n, out);
    return true;
}

bool
net_addr_diff(const struct net_addr *lo, const struct net_addr *hi, uint64_t *out)
{
    if (lo->family != hi->family) {
        return false;
    }
    u128 l = addr_value(lo), h = addr_value(hi);
    if (h < l || h - l > UINT64_MAX) {
        return false;
    }
    *out = (uint64_t)(h - l);
    return true;
}

bool
net_plen_is_valid(int family, int plen)
{
    int bits = net_family_bits(family);
    return bits && plen >= 0 && plen <= bits;
}

/* Parses 's' as "<address>/<plen>" without judging the host bits. */
static bool
parse_cidr_any(const char *s, struct net_cidr *out)
{
    if (!s) {
        return false;
    }
    const char *slash = strchr(s, '/');
    if (!slash || slash - s >= NET_ADDR_STRLEN) {
        return false;
    }
    char addr[NET_ADDR_STRLEN];
    memcpy(addr, s, (size_t)(slash - s));
    addr[slash - s] = '\0';

    struct net_cidr c;
    if (!net_addr_parse(addr, &c.addr)) {
        return false;
    }
    const char *p = slash + 1;
    int plen = 0, digits = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if ((digits == 1 && plen == 0) || ++digits > 3) {
            return false;
        }
        plen = plen * 10 + (*p - '0');
    }
    if (!digits || *p || !net_plen_is_valid(c.addr.family, plen)) {
        return false;
    }
    c.plen = plen;
    *out = c;
    return true;
}

enum net_cidr_status
net_cidr_parse_status(const char *s, struct net_cidr *out)
{
    struct net_cidr c;
    if (!parse_cidr_any(s, &c)) {
        return NET_CIDR_MALFORMED;
    }
    net_cidr_from_addr(&c.addr, c.plen, out);
    return net_addr_equals(&out->addr, &c.addr) ? NET_CIDR_OK : NET_CIDR_HOST_BITS;
}

bool
net_cidr_parse(const char *s, struct net_cidr *out)
{
    struct net_cidr c;
    if (net_cidr_parse_status(s, &c) != NET_CIDR_OK) {
        return false;
    }
    *out = c;
    return true;
}

bool
net_cidr_parse_host(const char *s, struct net_cidr *out)
{
    return parse_cidr_any(s, out);
}

char *
net_cidr_format(const struct net_cidr *c, char buf[NET_CIDR_STRLEN])
{
    char addr[NET_ADDR_STRLEN];
    snprintf(buf, NET_CIDR_STRLEN, "%s/%d", net_addr_to_string(&c->addr, addr), c->plen);
    return buf;
}

/* Writes the mask of 'plen' bits for 'family' into 'mask'. */
static void
make_mask(int family, int plen, uint8_t mask[16])
{
    memset(mask, 0, 16);
    for (int i = 0; i < family_bytes(family); i++, plen -= 8) {
        mask[i] = plen >= 8 ? 0xff : plen > 0 ? (uint8_t)(0xff << (8 - plen)) : 0;
    }
}

void
net_cidr_from_addr(const struct net_addr *a, int plen, struct net_cidr *out)
{
    uint8_t mask[16];
    make_mask(a->family, plen, mask);
    struct net_cidr c = {.addr = *a, .plen = plen};
    for (int i = 0; i < 16; i++) {
        c.addr.b[i] &= mask[i];
    }
    *out = c;
}

bool
net_cidr_is_ipv4(const struct net_cidr *c)
{
    return c->addr.family == AF_INET;
}

bool
net_cidr_is_ipv6(const struct net_cidr *c)
{
    return c->addr.family == AF_INET6;
}

bool
net_cidr_equals(const struct net_cidr *a, const struct net_cidr *b)
{
    return a->plen == b->plen && net_addr_equals(&a->addr, &b->addr);
}

void
net_cidr_first(const struct net_cidr *c, struct net_addr *out)
{
    struct net_cidr n;
    net_cidr_from_addr(&c->addr, c->plen, &n);
    *out = n.addr;
}

void
net_cidr_last(const struct net_cidr *c, struct net_addr *out)
{
    uint8_t mask[16];
    make_mask(c->addr.family, c->plen, mask);
    struct net_addr a = c->addr;
    for (int i = 0; i < family_bytes(a.family); i++) {
        a.b[i] |= (uint8_t)~mask[i];
    }
    *out = a;
}

void
net_cidr_network(const struct net_cidr *c, struct net_addr *out)
{
    net_cidr_first(c, out);
}

bool
net_cidr_broadcast(const struct net_cidr *c, struct net_addr *out)
{
    if (c->addr.family != AF_INET || c->plen > 30) {
        return false;
    }
    net_cidr_last(c, out);
    return true;
}

bool
net_cidr_first_host(const struct net_cidr *c, struct net_addr *out)
{
    if (c->plen >= net_family_bits(c->addr.family)) {
        return false;
    }
    struct net_addr first;
    net_cidr_first(c, &first);
    return net_addr_add(&first, 1, out);
}

void
net_cidr_last_host(const struct net_cidr *c, struct net_addr *out)
{
    struct net_addr bcast;
    if (net_cidr_broadcast(c, &bcast)) {
        net_addr_sub(&bcast, 1, out);
    } else {
        net_cidr_last(c, out);
    }
}

uint64_t
net_cidr_size(const struct net_cidr *c)
{
    int host_bits = net_family_bits(c->addr.family) - c->plen;
    return host_bits >= 64 ? UINT64_MAX : (uint64_t)1 << host_bits;
}

uint64_t
net_cidr_host_count(const struct net_cidr *c)
{
    int host_bits = net_family_bits(c->addr.family) - c->plen;
    if (host_bits >= 64) {
        return UINT64_MAX; /* Exact for /64 (2^64 - 1), saturated above. */
    } else if (c->addr.family == AF_INET) {
        return host_bits >= 2 ? ((uint64_t)1 << host_bits) - 2 : (uint64_t)1 << host_bits;
    }
    return host_bits ? ((uint64_t)1 << host_bits) - 1 : 1;
}

/* True if the first 'plen' bits of 'a' and 'b' are equal. */
static bool
prefix_equal(const uint8_t *a, const uint8_t *b, int plen)
{
    int whole = plen / 8, rest = plen % 8;
    if (memcmp(a, b, (size_t)whole)) {
        return false;
    }
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return !rest || !((a[whole] ^ b[whole]) & mask);
}

bool
net_cidr_contains_addr(const struct net_cidr *c, const struct net_addr *a)
{
    return c->addr.family == a->family && prefix_equal(c->addr.b, a->b, c->plen);
}

bool
net_cidr_contains_cidr(const struct net_cidr *outer, const struct net_cidr *inner)
{
    return outer->addr.family == inner->addr.family && inner->plen >= outer->plen &&
           prefix_equal(outer->addr.b, inner->addr.b, outer->plen);
}

bool
net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b)
{
    int plen = a->plen < b->plen ? a->plen : b->plen;
    return a->addr.family == b->addr.family && prefix_equal(a->addr.b, b->addr.b, plen);
}

bool
net_cidr_offset(const struct net_cidr *c, const struct net_addr *a, uint64_t *off)
{
    if (!net_cidr_contains_addr(c, a)) {
        return false;
    }
    struct net_addr first;
    net_cidr_first(c, &first);
    return net_addr_diff(&first, a, off);
}

void
net_cidr_netmask(const struct net_cidr *c, struct net_addr *out)
{
    memset(out, 0, sizeof *out);
    out->family = c->addr.family;
    make_mask(c->addr.family, c->plen, out->b);
}

char *
net_cidr_netmask_string(const struct net_cidr *c, char buf[NET_ADDR_STRLEN])
{
    if (c->addr.family != AF_INET) {
        return NULL;
    }
    struct net_addr mask;
    net_cidr_netmask(c, &mask);
    return net_addr_to_string(&mask, buf);
}

bool
net_mac_parse(const char *s, struct net_mac *out)
{
    if (!s) {
        return false;
    }
    char sep = s[0] && s[1] ? s[2] : '\0';
    if (sep != ':' && sep != '-') {
        return false;
    }
    struct net_mac m;
    for (int i = 0; i < 6; i++) {
        const char *p = s + 3 * i;
        int hi = hex_value(p[0]);
        int lo = hi >= 0 ? hex_value(p[1]) : -1;
        if (lo < 0 || p[2] != (i < 5 ? sep : '\0')) {
            return false;
        }
        m.b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = m;
    return true;
}

char *
net_mac_format(const struct net_mac *m, char buf[NET_MAC_STRLEN])
{
    snprintf(buf, NET_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2],
             m->b[3], m->b[4], m->b[5]);
    return buf;
}

void
net_mac_generate(struct net_mac *out, const uint8_t random[6])
{
    memcpy(out->b, random, 6);
    out->b[0] = (uint8_t)((out->b[0] & ~0x01) | 0x02);
}

void
net_mac_generate_prefixed(struct net_mac *out, const uint8_t *prefix, int n_prefix,
                          const uint8_t random[6])
{
    n_prefix = n_prefix < 0 ? 0 : n_prefix > 6 ? 6 : n_prefix;
    memcpy(out->b, random, 6);
    memcpy(out->b, prefix, (size_t)n_prefix);
}

bool
net_mac_is_multicast(const struct net_mac *m)
{
    return m->b[0] & 0x01;
}

bool
net_mac_is_broadcast(const struct net_mac *m)
{
    static const uint8_t ones[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    return !memcmp(m->b, ones, 6);
}

bool
net_mac_is_zero(const struct net_mac *m)
{
    static const uint8_t zeros[6];
    return !memcmp(m->b, zeros, 6);
}

bool
net_mac_is_local(const struct net_mac *m)
{
    return m->b[0] & 0x02;
}

bool
net_mac_equals(const struct net_mac *a, const struct net_mac *b)
{
    return !memcmp(a->b, b->b, 6);
}

bool
net_addr_from_eui64(const struct net_cidr *prefix, const struct net_mac *m, struct net_addr *out)
{
    if (prefix->addr.family != AF_INET6 || prefix->plen > 64) {
        return false;
    }
    struct net_addr a;
    net_cidr_first(prefix, &a);
    const uint8_t eui64[8] = {m->b[0] ^ 0x02, m->b[1], m->b[2], 0xff,
                              0xfe,           m->b[3], m->b[4], m->b[5]};
    memcpy(a.b + 8, eui64, sizeof eui64);
    *out = a;
    return true;
}
