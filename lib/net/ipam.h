/* ipam: one IPv4 or IPv6 subnet of a network, with its gateway, allocation
 * pools and reserved addresses; validation with precise field paths, and
 * next-free-address search. Pure: the caller owns the set of used addresses
 * and passes it in (as a callback or an array). */
#ifndef LQ_IPAM_H
#define LQ_IPAM_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

struct ipam_subnet;
struct lq_error;

/* An allocation pool as the user wrote it. */
struct ipam_range_text {
    const char *start;
    const char *end;
};

/* What ipam_subnet_new() builds a subnet from. Strings are borrowed. */
struct ipam_subnet_spec {
    int family;          /* AF_INET or AF_INET6: which subnet this is. */
    const char *cidr;    /* "10.0.0.0/24"; required. */
    const char *gateway; /* NULL or "": the first host (network + 1). */

    /* NULL or empty: the whole subnet minus the network address, the IPv4
     * broadcast address, the gateway and the reserved addresses. */
    const struct ipam_range_text *pools;
    size_t n_pools;

    /* Addresses never handed out automatically (they may still be
     * requested explicitly as fixed IPs). */
    const char *const *reserved;
    size_t n_reserved;

    /* The API has one list of pools and one of reserved IPs for both
     * families. With this set, entries of the other family are skipped
     * (the other family's subnet checks them); without it they are errors.
     * Set it only when the network has subnets of both families. */
    bool ignore_other_family;

    /* Field names for messages; NULL: "ipv4Subnet"/"ipv6Subnet",
     * "ipv4Gateway"/"ipv6Gateway", "allocationPools", "reservedIps". */
    const char *subnet_field;
    const char *gateway_field;
    const char *pools_field;
    const char *reserved_field;
};

/* Validates 'spec' and builds '*out'. On error returns an LQ_INVALID_ARGUMENT
 * error whose field is 'prefix' (may be NULL) + "." + the offending field,
 * e.g. "spec.ipConfig.allocationPools[1]", and sets '*out' to NULL.
 * Caller frees '*out' with ipam_subnet_destroy() and the error with
 * lq_error_free(). */
struct lq_error *ipam_subnet_new(const struct ipam_subnet_spec *spec, const char *prefix,
                                 struct ipam_subnet **out);
void ipam_subnet_destroy(struct ipam_subnet *subnet);

/* Queries. Returned pointers live as long as 'subnet'. */
int ipam_family(const struct ipam_subnet *subnet);
const struct net_cidr *ipam_cidr(const struct ipam_subnet *subnet);
const struct net_addr *ipam_gateway(const struct ipam_subnet *subnet);
/* True if 'a' is inside the subnet (any address, gateway included). */
bool ipam_subnet_contains(const struct ipam_subnet *subnet, const struct net_addr *a);
/* True if 'a' is in a pool and is neither the gateway nor reserved: an
 * address ipam_next_free() may return. */
bool ipam_is_allocatable(const struct ipam_subnet *subnet, const struct net_addr *a);
bool ipam_is_reserved(const struct ipam_subnet *subnet, const struct net_addr *a);
/* The effective pools, sorted by address (the defaults when none were
 * given): 'i' < ipam_n_pools(). */
size_t ipam_n_pools(const struct ipam_subnet *subnet);
void ipam_pool(const struct ipam_subnet *subnet, size_t i, struct net_addr *start,
               struct net_addr *end);
/* Number of allocatable addresses (pool addresses minus reserved ones),
 * saturating at UINT64_MAX. */
uint64_t ipam_pool_size(const struct ipam_subnet *subnet);

/* The caller's view of which addresses are taken. */
typedef bool ipam_is_used_func(void *aux, const struct net_addr *a);

/* Upper bound on is_used() calls in one ipam_next_free(). Each call that
 * does not end the search hits a used address, so the bound only matters
 * when more addresses than this are in use. */
#define IPAM_MAX_PROBES (1u << 22)

/* Finds an allocatable address for which is_used(aux, addr) is false. The
 * search starts just after 'hint' (normally the last address handed out,
 * so that freed addresses are not reused at once; NULL: from the start of
 * the first pool), runs through the pools in address order and wraps
 * around once, ending with 'hint' itself. Returns false when every
 * allocatable address is used (or after IPAM_MAX_PROBES probes). */
bool ipam_next_free(const struct ipam_subnet *subnet, ipam_is_used_func *is_used, void *aux,
                    const struct net_addr *hint, struct net_addr *out);

/* Address counts for a network's status. */
struct ipam_counts {
    uint64_t total;     /* ipam_pool_size(). */
    uint64_t allocated; /* Distinct used addresses inside the subnet. */
    uint64_t available; /* Allocatable addresses not used. */
};

/* Counts with 'used' as the addresses in use (any family, duplicates and
 * addresses outside the subnet allowed). */
void ipam_count(const struct ipam_subnet *subnet, const struct net_addr *used, size_t n_used,
                struct ipam_counts *out);

/* Checks an address a user asks for explicitly (a fixed IP). Like Neutron,
 * any address of the subnet is fine, inside the pools or not, reserved or
 * not, except the gateway, the network address and the IPv4 broadcast
 * address. Returns NULL or an LQ_INVALID_ARGUMENT error for 'field'. Does
 * not check whether the address is in use. */
struct lq_error *ipam_check_fixed_ip(const struct ipam_subnet *subnet, const struct net_addr *a,
                                     const char *field);
/* Parses 'text' into '*out' and checks it with ipam_check_fixed_ip(). */
struct lq_error *ipam_parse_fixed_ip(const struct ipam_subnet *subnet, const char *text,
                                     const char *field, struct net_addr *out);

#endif
