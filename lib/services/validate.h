/* validate: checks resource specs field by field and fills in their
 * defaults, so that what is stored is the effective configuration. Pure. */
#ifndef LQ_VALIDATE_H
#define LQ_VALIDATE_H 1

#include <stdbool.h>

#include "pb.h"

struct ipam_subnet;
struct lq_error;

/* Geneve over IPv4 costs 58 bytes of every physical frame. */
#define VALIDATE_GENEVE_OVERHEAD 58
#define VALIDATE_DEFAULT_LEASE 43200

struct validate_config {
    unsigned int physical_mtu;
    bool admin;
};

/* Validates 'spec' (in place: defaults are filled in) for a network. On
 * success returns NULL and, when 'v4'/'v6' are nonnull, the IPAM subnets
 * (caller destroys). Errors name the field under "spec". */
struct lq_error *validate_network_spec(PB(VirtualNetworkSpec) * spec,
                                       const struct validate_config *cfg, struct ipam_subnet **v4,
                                       struct ipam_subnet **v6);
/* Builds the IPAM subnets of an already validated network (store hook). */
void validate_network_subnets(const PB(VirtualNetwork) * net, struct ipam_subnet **v4,
                              struct ipam_subnet **v6);
/* The MTU the network's VMs get. */
unsigned int validate_network_mtu(const PB(VirtualNetworkSpec) * spec, unsigned int physical_mtu);
/* The largest MTU a network of this spec's type may ask for. */
unsigned int validate_max_mtu(const PB(VirtualNetworkSpec) * spec, unsigned int physical_mtu);

/* Validates a security group rule in place (protocol and ethertype
 * normalized, port_max defaulted to port_min, prefix canonical). Errors
 * name the field under 'prefix' (e.g. "rule" or "rules[2]"). Whether a
 * remote group exists is the caller's to check. */
struct lq_error *validate_rule(PB(SecurityGroupRule) * rule, const char *prefix);
/* Whether two rules match the same traffic the same way (ids and
 * descriptions aside). */
bool validate_rules_equal(const PB(SecurityGroupRule) * a, const PB(SecurityGroupRule) * b);

/* Replaces a string field of a decoded message (frees the old value). */
void validate_set_string(char **field, const char *value);
/* True for a DNS domain name ("example.com"). */
bool validate_domain_name(const char *s);

#endif
