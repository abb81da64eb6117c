#include "validate.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "ipam.h"
#include "net.h"
#include "translate.h"
#include "util.h"

void
validate_set_string(char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string) {
        free(*field);
    }
    *field = xstrdup(value);
}

bool
validate_domain_name(const char *s)
{
    size_t len = strlen(s);
    if (!len || len > 253) {
        return false;
    }
    size_t label = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            if (!label || p[-1] == '-') {
                return false;
            }
            label = 0;
        } else if (isalnum((unsigned char)*p) || (*p == '-' && label)) {
            if (++label > 63) {
                return false;
            }
        } else {
            return false;
        }
    }
    return label || s[len - 1] == '.';
}

unsigned int
validate_max_mtu(const PB(VirtualNetworkSpec) * spec, unsigned int physical_mtu)
{
    bool tunnelled =
        spec->type == PB_NETWORK_TYPE(OVERLAY) || spec->type == PB_NETWORK_TYPE(ISOLATED);
    return tunnelled ? physical_mtu - VALIDATE_GENEVE_OVERHEAD : physical_mtu;
}

unsigned int
validate_network_mtu(const PB(VirtualNetworkSpec) * spec, unsigned int physical_mtu)
{
    return spec->mtu ? spec->mtu : validate_max_mtu(spec, physical_mtu);
}

/* Checks that every entry of a list of addresses is an address of 'family'
 * (0: either). */
static struct lq_error *
check_addresses(char **list, size_t n, int family, const char *field)
{
    for (size_t i = 0; i < n; i++) {
        struct net_addr a;
        bool ok = family ? net_addr_parse_family(list[i], family, &a) : net_addr_parse(list[i], &a);
        if (!ok) {
            char *f = xasprintf("%s[%zu]", field, i);
            struct lq_error *e =
                lq_error_new(LQ_INVALID_ARGUMENT, f, "'%s' is not an %s address", list[i],
                             family == AF_INET6 ? "IPv6"
                             : family           ? "IPv4"
                                                : "IP");
            free(f);
            return e;
        }
    }
    return NULL;
}

static struct lq_error *
build_subnet(const PB(IpAddressManagement) * ip, int family, struct ipam_subnet **out)
{
    const char *cidr = family == AF_INET ? ip->ipv4_subnet : ip->ipv6_subnet;
    const char *gw = family == AF_INET ? ip->ipv4_gateway : ip->ipv6_gateway;
    struct ipam_range_text *pools = xcalloc(ip->n_allocation_pools + 1, sizeof *pools);
    for (size_t i = 0; i < ip->n_allocation_pools; i++) {
        pools[i].start = ip->allocation_pools[i]->start;
        pools[i].end = ip->allocation_pools[i]->end;
    }
    struct ipam_subnet_spec spec = {
        .family = family,
        .cidr = cidr,
        .gateway = gw,
        .pools = pools,
        .n_pools = ip->n_allocation_pools,
        .reserved = (const char *const *)ip->reserved_ips,
        .n_reserved = ip->n_reserved_ips,
        .ignore_other_family = *ip->ipv4_subnet && *ip->ipv6_subnet,
    };
    struct lq_error *err = ipam_subnet_new(&spec, "spec.ipConfig", out);
    free(pools);
    return err;
}

static struct lq_error *
check_dhcp(PB(IpAddressManagement) * ip, const struct ipam_subnet *v4)
{
    if (!ip->dhcp) {
        ip->dhcp = xmalloc(sizeof *ip->dhcp);
        limiquantix__network__v1__dhcp_config__init(ip->dhcp);
    }
    PB(DhcpConfig) *d = ip->dhcp;
    if (!PB_HAS(d, enabled)) {
        PB_MARK(d, enabled);
        d->enabled = v4 != NULL;
    }
    if (d->enabled && !v4) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.ipConfig.dhcp.enabled",
                            "DHCP needs an ipv4Subnet");
    }
    if (!d->lease_time_sec) {
        d->lease_time_sec = VALIDATE_DEFAULT_LEASE;
    } else if (d->lease_time_sec < 60) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.ipConfig.dhcp.leaseTimeSec",
                            "%u is shorter than the 60 s minimum", d->lease_time_sec);
    }
    struct lq_error *err =
        check_addresses(d->dns_servers, d->n_dns_servers, AF_INET, "spec.ipConfig.dhcp.dnsServers");
    if (!err) {
        err = check_addresses(d->ntp_servers, d->n_ntp_servers, AF_INET,
                              "spec.ipConfig.dhcp.ntpServers");
    }
    if (err) {
        return err;
    }
    if (*d->domain_name && !validate_domain_name(d->domain_name)) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.ipConfig.dhcp.domainName",
                            "'%s' is not a domain name", d->domain_name);
    }
    for (size_t i = 0; i < d->n_static_bindings; i++) {
        PB(DhcpBinding) *b = d->static_bindings[i];
        char *field = xasprintf("spec.ipConfig.dhcp.staticBindings[%zu]", i);
        struct net_mac mac;
        struct net_addr addr;
        char *sub = NULL;
        if (!net_mac_parse(b->mac_address, &mac) || net_mac_is_multicast(&mac) ||
            net_mac_is_zero(&mac)) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, (sub = xasprintf("%s.macAddress", field)),
                               "'%s' is not a unicast MAC address", b->mac_address);
        } else if (!v4) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, field, "static bindings need an ipv4Subnet");
        } else {
            sub = xasprintf("%s.ipAddress", field);
            err = ipam_parse_fixed_ip(v4, b->ip_address, sub, &addr);
        }
        if (!err && *b->hostname && !validate_domain_name(b->hostname)) {
            free(sub);
            err = lq_error_new(LQ_INVALID_ARGUMENT, (sub = xasprintf("%s.hostname", field)),
                               "'%s' is not a host name", b->hostname);
        }
        for (size_t j = 0; !err && j < i; j++) {
            PB(DhcpBinding) *o = d->static_bindings[j];
            struct net_mac omac;
            struct net_addr oaddr;
            if (net_mac_parse(o->mac_address, &omac) && net_mac_equals(&mac, &omac)) {
                err = lq_error_new(LQ_INVALID_ARGUMENT, field, "MAC %s is already bound in [%zu]",
                                   b->mac_address, j);
            } else if (net_addr_parse(o->ip_address, &oaddr) && net_addr_equals(&addr, &oaddr)) {
                err = lq_error_new(LQ_INVALID_ARGUMENT, field, "%s is already bound in [%zu]",
                                   b->ip_address, j);
            }
        }
        if (!err) {
            char buf[NET_MAC_STRLEN], abuf[NET_ADDR_STRLEN];
            validate_set_string(&b->mac_address, net_mac_format(&mac, buf));
            validate_set_string(&b->ip_address, net_addr_to_string(&addr, abuf));
        }
        free(sub);
        free(field);
        if (err) {
            return err;
        }
    }
    return NULL;
}

/* Writes the canonical text of a CIDR or address back into the message. */
static void
canonicalize(PB(IpAddressManagement) * ip, const struct ipam_subnet *s, int family)
{
    char buf[NET_CIDR_STRLEN], gbuf[NET_ADDR_STRLEN];
    validate_set_string(family == AF_INET ? &ip->ipv4_subnet : &ip->ipv6_subnet,
                        net_cidr_format(ipam_cidr(s), buf));
    validate_set_string(family == AF_INET ? &ip->ipv4_gateway : &ip->ipv6_gateway,
                        net_addr_to_string(ipam_gateway(s), gbuf));
}

static struct lq_error *
check_ip_config(PB(VirtualNetworkSpec) * spec, struct ipam_subnet **v4, struct ipam_subnet **v6)
{
    if (!spec->ip_config) {
        spec->ip_config = xmalloc(sizeof *spec->ip_config);
        limiquantix__network__v1__ip_address_management__init(spec->ip_config);
    }
    PB(IpAddressManagement) *ip = spec->ip_config;
    struct lq_error *err = NULL;
    if (!*ip->ipv4_subnet && *ip->ipv4_gateway) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.ipConfig.ipv4Gateway",
                            "a gateway needs an ipv4Subnet");
    }
    if (!*ip->ipv6_subnet && *ip->ipv6_gateway) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.ipConfig.ipv6Gateway",
                            "a gateway needs an ipv6Subnet");
    }
    if (!*ip->ipv4_subnet && !*ip->ipv6_subnet && (ip->n_allocation_pools || ip->n_reserved_ips)) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.ipConfig",
                            "allocation pools and reserved IPs need a subnet");
    }
    if (*ip->ipv4_subnet && (err = build_subnet(ip, AF_INET, v4))) {
        return err;
    }
    if (*ip->ipv6_subnet && (err = build_subnet(ip, AF_INET6, v6))) {
        return err;
    }
    if (*v4) {
        canonicalize(ip, *v4, AF_INET);
    }
    if (*v6) {
        canonicalize(ip, *v6, AF_INET6);
    }
    return check_dhcp(ip, *v4);
}

static struct lq_error *
check_router(PB(RouterConfig) * rc)
{
    if (*rc->external_gateway_network_id) {
        rc->enabled = true;
        if (!PB_HAS(rc, enable_snat)) {
            PB_MARK(rc, enable_snat);
            rc->enable_snat = true;
        }
    } else if (PB_HAS(rc, enable_snat) && rc->enable_snat) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.router.enableSnat",
                            "SNAT needs an externalGatewayNetworkId");
    }
    if (rc->n_routes && !rc->enabled) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.router.routes",
                            "static routes need routing enabled");
    }
    for (size_t i = 0; i < rc->n_routes; i++) {
        PB(StaticRoute) *r = rc->routes[i];
        struct net_cidr c;
        struct net_addr a;
        char field[64], buf[NET_CIDR_STRLEN];
        snprintf(field, sizeof field, "spec.router.routes[%zu].destination", i);
        if (!net_cidr_parse(r->destination, &c)) {
            return lq_error_new(LQ_INVALID_ARGUMENT, field, "'%s' is not a CIDR", r->destination);
        }
        validate_set_string(&r->destination, net_cidr_format(&c, buf));
        snprintf(field, sizeof field, "spec.router.routes[%zu].nextHop", i);
        if (!net_addr_parse(r->next_hop, &a) || a.family != c.addr.family) {
            return lq_error_new(LQ_INVALID_ARGUMENT, field,
                                "'%s' is not an address of the destination's family", r->next_hop);
        }
    }
    return NULL;
}

static struct lq_error *
check_type(PB(VirtualNetworkSpec) * spec, const struct validate_config *cfg)
{
    switch (spec->type) {
    case PB_NETWORK_TYPE(OVERLAY):
    case PB_NETWORK_TYPE(ISOLATED):
        break;
    case PB_NETWORK_TYPE(VLAN):
    case PB_NETWORK_TYPE(EXTERNAL): {
        if (!cfg->admin) {
            return lq_error_new(LQ_PERMISSION_DENIED, "spec.type",
                                "only an admin can create VLAN and EXTERNAL networks");
        }
        const PB(VlanConfig) *v = spec->vlan;
        bool vlan = spec->type == PB_NETWORK_TYPE(VLAN);
        if (!v || !*v->physical_network) {
            return lq_error_new(LQ_INVALID_ARGUMENT, "spec.vlan.physicalNetwork",
                                "required: the provider network (a bridge mapping) it is on");
        }
        for (const char *c = v->physical_network; *c; c++) {
            if (!isalnum((unsigned char)*c) && !strchr("_.-", *c)) {
                return lq_error_new(LQ_INVALID_ARGUMENT, "spec.vlan.physicalNetwork",
                                    "'%s' may hold only letters, digits, '_', '.' and '-'",
                                    v->physical_network);
            }
        }
        if (v->vlan_id > 4094 || (vlan && !v->vlan_id)) {
            return lq_error_new(LQ_INVALID_ARGUMENT, "spec.vlan.vlanId", "%u is outside %s..4094",
                                v->vlan_id, vlan ? "1" : "0 (untagged)");
        }
        if (spec->type == PB_NETWORK_TYPE(EXTERNAL) && spec->router &&
            (spec->router->enabled || *spec->router->external_gateway_network_id)) {
            return lq_error_new(LQ_INVALID_ARGUMENT, "spec.router",
                                "an EXTERNAL network is the outside: routers attach to it, it "
                                "does not route itself");
        }
        break;
    }
    default:
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.type", "unknown network type %d",
                            (int)spec->type);
    }
    bool provider = spec->type == PB_NETWORK_TYPE(VLAN) || spec->type == PB_NETWORK_TYPE(EXTERNAL);
    if (!provider && spec->vlan && (spec->vlan->vlan_id || *spec->vlan->physical_network)) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.vlan",
                            "only VLAN and EXTERNAL networks take a VLAN");
    }
    if (spec->router && spec->type == PB_NETWORK_TYPE(ISOLATED) &&
        (spec->router->enabled || *spec->router->external_gateway_network_id)) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.router.enabled",
                            "an ISOLATED network cannot be routed");
    }
    if (spec->router) {
        struct lq_error *err = check_router(spec->router);
        if (err) {
            return err;
        }
    }
    if (spec->shared && !cfg->admin) {
        return lq_error_new(LQ_PERMISSION_DENIED, "spec.shared",
                            "only an admin can share a network");
    }
    return NULL;
}

struct lq_error *
validate_network_spec(PB(VirtualNetworkSpec) * spec, const struct validate_config *cfg,
                      struct ipam_subnet **v4_out, struct ipam_subnet **v6_out)
{
    struct ipam_subnet *v4 = NULL, *v6 = NULL;
    struct lq_error *err = check_type(spec, cfg);
    if (!err) {
        err = check_ip_config(spec, &v4, &v6);
    }
    unsigned int max = validate_max_mtu(spec, cfg->physical_mtu);
    if (!err && spec->mtu && (spec->mtu < 68 || spec->mtu > max)) {
        err =
            lq_error_new(LQ_INVALID_ARGUMENT, "spec.mtu",
                         "%u is outside 68..%u (the physical MTU %u%s)", spec->mtu, max,
                         cfg->physical_mtu, max < cfg->physical_mtu ? " minus 58 for Geneve" : "");
    }
    if (!err && spec->dns) {
        err = check_addresses(spec->dns->nameservers, spec->dns->n_nameservers, 0,
                              "spec.dns.nameservers");
        for (size_t i = 0; !err && i < spec->dns->n_search_domains; i++) {
            if (!validate_domain_name(spec->dns->search_domains[i])) {
                char *f = xasprintf("spec.dns.searchDomains[%zu]", i);
                err = lq_error_new(LQ_INVALID_ARGUMENT, f, "'%s' is not a domain name",
                                   spec->dns->search_domains[i]);
                free(f);
            }
        }
    }
    if (!err && !PB_HAS(spec, port_security_enabled)) {
        PB_MARK(spec, port_security_enabled);
        spec->port_security_enabled = true;
    }
    if (err || !v4_out) {
        ipam_subnet_destroy(v4);
    } else {
        *v4_out = v4;
    }
    if (err || !v6_out) {
        ipam_subnet_destroy(v6);
    } else {
        *v6_out = v6;
    }
    return err;
}

void
validate_network_subnets(const PB(VirtualNetwork) * net, struct ipam_subnet **v4,
                         struct ipam_subnet **v6)
{
    *v4 = *v6 = NULL;
    const PB(IpAddressManagement) *ip = net->spec ? net->spec->ip_config : NULL;
    if (!ip) {
        return;
    }
    struct lq_error *e4 = *ip->ipv4_subnet ? build_subnet(ip, AF_INET, v4) : NULL;
    struct lq_error *e6 = *ip->ipv6_subnet ? build_subnet(ip, AF_INET6, v6) : NULL;
    lq_error_free(e4);
    lq_error_free(e6);
}

static struct lq_error *
rule_error(const char *prefix, const char *field, const char *fmt, const char *arg)
{
    char *path = xasprintf("%s.%s", prefix, field);
    struct lq_error *err = lq_error_new(LQ_INVALID_ARGUMENT, path, fmt, arg);
    free(path);
    return err;
}

static bool
is_port_protocol(const char *p)
{
    return !strcmp(p, "tcp") || !strcmp(p, "udp") || !strcmp(p, "sctp");
}

struct lq_error *
validate_rule(PB(SecurityGroupRule) * r, const char *prefix)
{
    char num[16];
    /* Protocol: a name (any case) or a number 0..255; "" and "any" are any. */
    char *proto = xstrdup(r->protocol);
    for (char *c = proto; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    validate_set_string(&r->protocol, proto);
    free(proto);
    const char *p = r->protocol;
    static const char *const names[] = {"", "any", "tcp", "udp", "sctp", "icmp", "icmpv6"};
    bool named = false;
    for (size_t i = 0; i < LQ_ARRAY_SIZE(names); i++) {
        named |= !strcmp(p, names[i]);
    }
    if (!named) {
        char *end;
        long n = strtol(p, &end, 10);
        if (*end || end == p || n < 0 || n > 255) {
            return rule_error(prefix, "protocol",
                              "'%s' is not tcp, udp, sctp, icmp, icmpv6, any "
                              "or a protocol number 0..255",
                              p);
        }
        /* Numbers of protocols we know by name are written by name. */
        static const struct {
            long n;
            const char *name;
        } known[] = {{6, "tcp"}, {17, "udp"}, {132, "sctp"}, {1, "icmp"}, {58, "icmpv6"}};
        snprintf(num, sizeof num, "%ld", n);
        const char *canon = num;
        for (size_t i = 0; i < LQ_ARRAY_SIZE(known); i++) {
            canon = known[i].n == n ? known[i].name : canon;
        }
        validate_set_string(&r->protocol, canon);
        p = r->protocol;
    }
    if (r->direction != PB_DIRECTION(INGRESS) && r->direction != PB_DIRECTION(EGRESS)) {
        snprintf(num, sizeof num, "%d", (int)r->direction);
        return rule_error(prefix, "direction", "unknown direction %s", num);
    }
    if (r->action != PB_ACTION(ALLOW) && r->action != PB_ACTION(DROP) &&
        r->action != PB_ACTION(REJECT)) {
        snprintf(num, sizeof num, "%d", (int)r->action);
        return rule_error(prefix, "action", "unknown action %s", num);
    }
    if (r->port_min || r->port_max) {
        if (!is_port_protocol(p)) {
            return rule_error(prefix, "portMin",
                              "port ranges need protocol tcp, udp or sctp, "
                              "not '%s'",
                              *p ? p : "any");
        }
        if (!r->port_min || r->port_min > 65535) {
            return rule_error(prefix, "portMin", "%s", "ports must be within 1..65535");
        }
        if (r->port_max > 65535) {
            return rule_error(prefix, "portMax", "%s", "ports must be within 1..65535");
        }
        if (!r->port_max) {
            r->port_max = r->port_min;
        }
        if (r->port_min > r->port_max) {
            return rule_error(prefix, "portMin", "%s", "portMin is greater than portMax");
        }
    }
    bool icmp = !strcmp(p, "icmp") || !strcmp(p, "icmpv6");
    if ((PB_HAS(r, icmp_type) || PB_HAS(r, icmp_code)) && !icmp) {
        return rule_error(prefix, PB_HAS(r, icmp_type) ? "icmpType" : "icmpCode",
                          "ICMP type and code need protocol icmp or icmpv6, not '%s'",
                          *p ? p : "any");
    }
    if (PB_HAS(r, icmp_type) && (r->icmp_type < 0 || r->icmp_type > 255)) {
        return rule_error(prefix, "icmpType", "%s", "must be within 0..255");
    }
    if (PB_HAS(r, icmp_code) && (r->icmp_code < 0 || r->icmp_code > 255)) {
        return rule_error(prefix, "icmpCode", "%s", "must be within 0..255");
    }
    if (PB_HAS(r, icmp_code) && !PB_HAS(r, icmp_type)) {
        return rule_error(prefix, "icmpCode", "%s", "an ICMP code needs an ICMP type");
    }
    int family = 0;
    if (*r->ethertype) {
        if (!strcasecmp(r->ethertype, "ipv4")) {
            validate_set_string(&r->ethertype, "IPv4");
            family = AF_INET;
        } else if (!strcasecmp(r->ethertype, "ipv6")) {
            validate_set_string(&r->ethertype, "IPv6");
            family = AF_INET6;
        } else {
            return rule_error(prefix, "ethertype", "'%s' is not IPv4 or IPv6", r->ethertype);
        }
    }
    if (*r->remote_ip_prefix) {
        struct net_cidr c;
        enum net_cidr_status st = net_cidr_parse_status(r->remote_ip_prefix, &c);
        char buf[NET_CIDR_STRLEN];
        if (st == NET_CIDR_HOST_BITS) {
            return rule_error(prefix, "remoteIpPrefix", "'%s' has host bits set",
                              r->remote_ip_prefix);
        }
        if (st != NET_CIDR_OK) {
            return rule_error(prefix, "remoteIpPrefix", "'%s' is not a CIDR", r->remote_ip_prefix);
        }
        if (family && family != c.addr.family) {
            return rule_error(prefix, "remoteIpPrefix", "'%s' does not match the ethertype",
                              r->remote_ip_prefix);
        }
        family = c.addr.family;
        validate_set_string(&r->remote_ip_prefix, net_cidr_format(&c, buf));
        if (*r->remote_security_group_id) {
            return rule_error(prefix, "remoteSecurityGroupId", "%s",
                              "give either remoteIpPrefix or remoteSecurityGroupId, not both");
        }
    }
    if ((!strcmp(p, "icmp") && family == AF_INET6) || (!strcmp(p, "icmpv6") && family == AF_INET)) {
        return rule_error(prefix, "protocol", "'%s' does not match the address family", p);
    }
    if (r->priority > TRANSLATE_MAX_RULE_PRIORITY) {
        snprintf(num, sizeof num, "%d", TRANSLATE_MAX_RULE_PRIORITY);
        return rule_error(prefix, "priority", "must be within 0..%s (0 is the highest)", num);
    }
    if (strlen(r->description) > 255) {
        return rule_error(prefix, "description", "%s", "longer than 255 characters");
    }
    return NULL;
}

bool
validate_rules_equal(const PB(SecurityGroupRule) * a, const PB(SecurityGroupRule) * b)
{
    return a->direction == b->direction && !strcmp(a->protocol, b->protocol) &&
           a->port_min == b->port_min && a->port_max == b->port_max &&
           PB_HAS(a, icmp_type) == PB_HAS(b, icmp_type) &&
           (!PB_HAS(a, icmp_type) || a->icmp_type == b->icmp_type) &&
           PB_HAS(a, icmp_code) == PB_HAS(b, icmp_code) &&
           (!PB_HAS(a, icmp_code) || a->icmp_code == b->icmp_code) &&
           !strcmp(a->remote_ip_prefix, b->remote_ip_prefix) &&
           !strcmp(a->remote_security_group_id, b->remote_security_group_id) &&
           a->action == b->action && a->priority == b->priority &&
           !strcmp(a->ethertype, b->ethertype);
}
