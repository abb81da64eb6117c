/* net: IPv4/IPv6 addresses, CIDRs and MAC addresses: strict parsing,
 * canonical formatting and arithmetic. Pure functions, no I/O.
 *
 * Parsing is strict on purpose: user input ends up in OVN and in other
 * tools that disagree about "010.1.1.1" (octal or decimal?) or trailing
 * junk, so we accept exactly one spelling of each IPv4 address, and IPv6
 * in RFC 4291 text form (any case, "::" compression, embedded IPv4). */
#ifndef LQ_NET_H
#define LQ_NET_H 1

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Buffer sizes for the formatting functions, including the final NUL. */
#define NET_ADDR_STRLEN 46 /* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" */
#define NET_CIDR_STRLEN (NET_ADDR_STRLEN + 4)
#define NET_MAC_STRLEN 18 /* "aa:bb:cc:dd:ee:ff" */

struct net_addr {
    int family;    /* AF_INET or AF_INET6. */
    uint8_t b[16]; /* Network byte order; IPv4 uses b[0..3], the rest is zero. */
};

struct net_cidr {
    struct net_addr addr; /* Host bits are zero, except from net_cidr_parse_host(). */
    int plen;
};

struct net_mac {
    uint8_t b[6];
};

/* Number of address bits of 'family' (32 or 128), 0 for anything else. */
int net_family_bits(int family);
/* "IPv4", "IPv6" or "unknown", for messages. */
const char *net_family_name(int family);

/* Addresses. */

/* Parses an IPv4 or IPv6 address. Returns false (and leaves '*out'
 * unspecified) on anything else: leading zeros in IPv4 octets, spaces,
 * trailing junk, zone ids ("fe80::1%eth0"), prefix lengths. */
bool net_addr_parse(const char *s, struct net_addr *out);
/* Like net_addr_parse(), and the address must be of 'family'. */
bool net_addr_parse_family(const char *s, int family, struct net_addr *out);
/* Writes 'a' into 'buf' in canonical form (dotted quad, or RFC 5952 IPv6:
 * lower case, longest run of zero groups compressed, IPv4-mapped addresses
 * as ::ffff:a.b.c.d) and returns 'buf'. */
char *net_addr_to_string(const struct net_addr *a, char buf[NET_ADDR_STRLEN]);
/* Fills '*out' from the 4 bytes of an IPv4 address (network order). */
void net_addr_from_ipv4(const uint8_t b[4], struct net_addr *out);
/* Fills '*out' from an IPv4 address given as a host-order integer. */
void net_addr_from_u32(uint32_t host_order, struct net_addr *out);

bool net_addr_is_ipv4(const struct net_addr *a);
bool net_addr_is_ipv6(const struct net_addr *a);
/* True for 0.0.0.0 and ::. */
bool net_addr_is_zero(const struct net_addr *a);

/* Orders by family (IPv4 first), then numerically. Returns <0, 0, >0. */
int net_addr_compare(const struct net_addr *a, const struct net_addr *b);
bool net_addr_equals(const struct net_addr *a, const struct net_addr *b);

/* '*out' = 'a' + 'n' (or 'a' - 'n'). Returns false, leaving '*out'
 * untouched, when the result would leave the family's address space.
 * 'out' may be 'a'. */
bool net_addr_add(const struct net_addr *a, uint64_t n, struct net_addr *out);
bool net_addr_sub(const struct net_addr *a, uint64_t n, struct net_addr *out);
/* '*out' = 'hi' - 'lo'. Returns false if the families differ, 'hi' < 'lo',
 * or the difference does not fit in 64 bits. */
bool net_addr_diff(const struct net_addr *lo, const struct net_addr *hi, uint64_t *out);

/* CIDRs. */

enum net_cidr_status {
    NET_CIDR_OK,
    NET_CIDR_MALFORMED, /* Not "<address>/<prefix length>" with a valid length. */
    NET_CIDR_HOST_BITS, /* Well formed, but bits beyond the prefix are set. */
};

/* Parses "<address>/<plen>" (plen in decimal, no leading zeros, at most 32
 * or 128) with host bits zero. Returns false on anything else. */
bool net_cidr_parse(const char *s, struct net_cidr *out);
/* Like net_cidr_parse() but tells why it failed. On NET_CIDR_HOST_BITS,
 * '*out' holds the network (host bits cleared), so that the caller can
 * suggest it; on NET_CIDR_MALFORMED '*out' is unspecified. */
enum net_cidr_status net_cidr_parse_status(const char *s, struct net_cidr *out);
/* Parses "<address>/<plen>" allowing host bits, as in an interface address
 * ("10.0.0.5/24"); '*out' keeps the address as written. */
bool net_cidr_parse_host(const char *s, struct net_cidr *out);
/* Writes "<address>/<plen>" into 'buf' and returns 'buf'. */
char *net_cidr_format(const struct net_cidr *c, char buf[NET_CIDR_STRLEN]);
/* Sets '*out' to 'a'/'plen' with host bits cleared. 'plen' must be valid
 * for the family. */
void net_cidr_from_addr(const struct net_addr *a, int plen, struct net_cidr *out);
/* True if 'plen' is a valid prefix length for 'family'. */
bool net_plen_is_valid(int family, int plen);

bool net_cidr_is_ipv4(const struct net_cidr *c);
bool net_cidr_is_ipv6(const struct net_cidr *c);
bool net_cidr_equals(const struct net_cidr *a, const struct net_cidr *b);

/* First and last address of 'c' (network address and all-ones host part). */
void net_cidr_first(const struct net_cidr *c, struct net_addr *out);
void net_cidr_last(const struct net_cidr *c, struct net_addr *out);
/* The network address (same as net_cidr_first()). */
void net_cidr_network(const struct net_cidr *c, struct net_addr *out);
/* The IPv4 broadcast address. Returns false for IPv6, which has none, and
 * for /31 and /32, where RFC 3021 gives the top address to a host. */
bool net_cidr_broadcast(const struct net_cidr *c, struct net_addr *out);
/* The network address + 1, the conventional gateway. Returns false when
 * the prefix has a single address (/32, /128). */
bool net_cidr_first_host(const struct net_cidr *c, struct net_addr *out);
/* The highest address a host may use: the broadcast - 1 for IPv4 up to
 * /30, the last address otherwise. */
void net_cidr_last_host(const struct net_cidr *c, struct net_addr *out);

/* Number of addresses in 'c', saturating at UINT64_MAX (from /64 down). */
uint64_t net_cidr_size(const struct net_cidr *c);
/* Number of addresses a host may use: IPv4 excludes the network and
 * broadcast addresses (except /31 and /32), IPv6 excludes the network
 * address, which is the subnet-router anycast address (except /128).
 * Saturates at UINT64_MAX. */
uint64_t net_cidr_host_count(const struct net_cidr *c);

/* True if 'a' is of the family of 'c' and inside it. */
bool net_cidr_contains_addr(const struct net_cidr *c, const struct net_addr *a);
/* True if 'inner' is of the family of 'outer' and inside it. */
bool net_cidr_contains_cidr(const struct net_cidr *outer, const struct net_cidr *inner);
/* True if 'a' and 'b' share at least one address. */
bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b);
/* Sets '*off' to the offset of 'a' from the network address of 'c'.
 * Returns false if 'a' is not in 'c' or the offset does not fit in 64 bits. */
bool net_cidr_offset(const struct net_cidr *c, const struct net_addr *a, uint64_t *off);

/* The netmask of 'c' as an address (255.255.255.0, ffff:ffff::). */
void net_cidr_netmask(const struct net_cidr *c, struct net_addr *out);
/* The dotted-quad netmask of an IPv4 'c' in 'buf'; NULL for IPv6. */
char *net_cidr_netmask_string(const struct net_cidr *c, char buf[NET_ADDR_STRLEN]);

/* MAC addresses. */

/* Parses six two-digit hex bytes separated by ':' (or all by '-'), any
 * case. Returns false on anything else. */
bool net_mac_parse(const char *s, struct net_mac *out);
/* Writes 'm' as "aa:bb:cc:dd:ee:ff" (lower case) and returns 'buf'. */
char *net_mac_format(const struct net_mac *m, char buf[NET_MAC_STRLEN]);
/* Builds a locally administered unicast MAC (first byte x2, x6, xa or xe)
 * from 6 caller-supplied random bytes, so this module stays pure. */
void net_mac_generate(struct net_mac *out, const uint8_t random[6]);
/* Builds a MAC from the first 'n_prefix' (at most 6) bytes of 'prefix'
 * followed by the matching bytes of 'random'. The prefix is used as given:
 * the caller chooses its unicast and locally-administered bits. */
void net_mac_generate_prefixed(struct net_mac *out, const uint8_t *prefix, int n_prefix,
                               const uint8_t random[6]);
/* True if the group bit is set (this includes the broadcast address). */
bool net_mac_is_multicast(const struct net_mac *m);
bool net_mac_is_broadcast(const struct net_mac *m);
bool net_mac_is_zero(const struct net_mac *m);
/* True if the locally administered bit is set. */
bool net_mac_is_local(const struct net_mac *m);
bool net_mac_equals(const struct net_mac *a, const struct net_mac *b);

/* Sets '*out' to the SLAAC address of 'm' in 'prefix' (RFC 4291 appendix
 * A: the prefix's upper 64 bits, then the modified EUI-64 of 'm'), the
 * address OVN gives a port with dynamic IPv6 addressing. Returns false
 * unless 'prefix' is IPv6 and at most /64. */
bool net_addr_from_eui64(const struct net_cidr *prefix, const struct net_mac *m,
                         struct net_addr *out);

#endif
