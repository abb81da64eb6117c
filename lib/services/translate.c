#include "translate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "net.h"
#include "ovsdb.h"
#include "pb.h"
#include "store.h"
#include "util.h"
#include "validate.h"

const char *const translate_tables[] = {"Logical_Switch",
                                        "Logical_Switch_Port",
                                        "DHCP_Options",
                                        "Port_Group",
                                        "ACL",
                                        "Logical_Router",
                                        "Logical_Router_Port",
                                        "Gateway_Chassis",
                                        "NAT",
                                        "Logical_Router_Static_Route",
                                        NULL};

/* The port group every port with port security is in: default deny, and
 * the infrastructure traffic (DHCP, neighbour discovery) no rule may block. */
const char translate_secured_group[] = "lq_secured";

char *
translate_switch_name(const char *network_id)
{
    return xasprintf("lqnet-%s", network_id);
}

void
translate_server_mac(const char *network_id, char out[18])
{
    unsigned int h = lq_hash_string(network_id);
    unsigned int h2 = lq_hash_string(network_id + (strlen(network_id) > 8 ? 8 : 0));
    snprintf(out, 18, "0a:%02x:%02x:%02x:%02x:%02x", h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff,
             (h >> 24) & 0xff, h2 & 0xff);
}

static json_t *
lqref(const char *table, const char *kind, const char *owner)
{
    char *key = xasprintf("%s:%s", kind, owner);
    json_t *ref = json_pack("[s, s, s]", "lqref", table, key);
    free(key);
    return ref;
}

static json_t *
external_ids(const char *kind, const char *owner, const char *name)
{
    json_t *pairs = json_pack("[[s, s], [s, s]]", "lqnet:kind", kind, "lqnet:owner", owner);
    if (name && *name) {
        json_array_append_new(pairs, json_pack("[s, s]", "lqnet:name", name));
    }
    return json_pack("[s, o]", "map", pairs);
}

static void row_free(void *r_);

/* Adds a desired row; 'sub' (may be NULL) tells apart several rows of one
 * kind and owner, and is also written as external_ids lqnet:sub. */
static void
add_sub_row(struct nb_desired *d, const char *table, const char *kind, const char *owner,
            const char *sub, json_t *columns)
{
    struct nb_row *r = xmalloc(sizeof *r);
    r->table = xstrdup(table);
    r->key = sub ? xasprintf("%s:%s/%s", kind, owner, sub) : xasprintf("%s:%s", kind, owner);
    r->owner = xstrdup(owner);
    r->columns = columns;
    char *k = xasprintf("%s|%s", table, r->key);
    row_free(strmap_put(&d->rows, k, r));
    struct strmap *keys = strmap_get(&d->owners, owner);
    if (!keys) {
        keys = xmalloc(sizeof *keys);
        strmap_init(keys);
        strmap_put(&d->owners, owner, keys);
    }
    strmap_put(keys, k, NULL);
    free(k);
}

static void
add_row(struct nb_desired *d, const char *table, const char *kind, const char *owner,
        json_t *columns)
{
    add_sub_row(d, table, kind, owner, NULL, columns);
}

/* "{a, b}": the OVN notation for a list-valued DHCP option. */
static char *
option_list(char **items, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++) {
        len += strlen(items[i]) + 2;
    }
    char *s = xmalloc(len);
    strcpy(s, "{");
    for (size_t i = 0; i < n; i++) {
        strcat(s, items[i]);
        strcat(s, i + 1 < n ? ", " : "");
    }
    strcat(s, "}");
    return s;
}

static void
map_add(json_t *pairs, const char *k, const char *v)
{
    json_array_append_new(pairs, json_pack("[s, s]", k, v));
}

static size_t
nameservers_count(const PB(VirtualNetworkSpec) * spec)
{
    return spec->dns ? spec->dns->n_nameservers : 0;
}

/* The network's name servers of 'family' (pointers into the spec, into
 * 'out' unless it is NULL); returns how many. */
static size_t
nameservers(const PB(VirtualNetworkSpec) * spec, int family, char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < nameservers_count(spec); i++) {
        bool v6 = strchr(spec->dns->nameservers[i], ':') != NULL;
        if (v6 == (family == AF_INET6)) {
            if (out) {
                out[n] = spec->dns->nameservers[i];
            }
            n++;
        }
    }
    return n;
}

/* "\"a.example,b.example\"": a DHCP domain search list. */
static char *
search_list(const PB(DnsConfig) * dns)
{
    size_t len = 3;
    for (size_t i = 0; i < dns->n_search_domains; i++) {
        len += strlen(dns->search_domains[i]) + 1;
    }
    char *s = xmalloc(len);
    strcpy(s, "\"");
    for (size_t i = 0; i < dns->n_search_domains; i++) {
        strcat(s, dns->search_domains[i]);
        strcat(s, i + 1 < dns->n_search_domains ? "," : "");
    }
    strcat(s, "\"");
    return s;
}

/* Whether a network's IPv6 hosts get DHCPv6 (stateless: addresses still
 * come from router advertisements): when it has IPv6 name servers or
 * search domains to hand out. */
static bool
dhcp6_on(const struct store_network *sn)
{
    const PB(DnsConfig) *dns = sn->net->spec->dns;
    return sn->v6 && dns && (dns->n_search_domains || nameservers(sn->net->spec, AF_INET6, NULL));
}

static void
translate_dhcp6(struct nb_desired *d, const struct store_network *sn)
{
    const PB(VirtualNetworkSpec) *spec = sn->net->spec;
    char cidr[NET_CIDR_STRLEN], mac[18];
    net_cidr_format(ipam_cidr(sn->v6), cidr);
    translate_server_mac(sn->id, mac);
    json_t *opts = json_array();
    map_add(opts, "server_id", mac);
    map_add(opts, "dhcpv6_stateless", "true");
    char **dns = xcalloc(nameservers_count(spec) + 1, sizeof *dns);
    size_t n = nameservers(spec, AF_INET6, dns);
    if (n) {
        char *list = option_list(dns, n);
        map_add(opts, "dns_server", list);
        free(list);
    }
    free(dns);
    add_row(d, "DHCP_Options", "dhcp6", sn->id,
            json_pack("{s:s, s:[s, o], s:o}", "cidr", cidr, "options", "map", opts, "external_ids",
                      external_ids("dhcp6", sn->id, NULL)));
}

static void
translate_dhcp(struct nb_desired *d, const struct store_network *sn,
               const struct translate_config *cfg)
{
    const PB(VirtualNetworkSpec) *spec = sn->net->spec;
    const PB(DhcpConfig) *dhcp = spec->ip_config->dhcp;
    char gw[NET_ADDR_STRLEN], cidr[NET_CIDR_STRLEN], mac[18], num[16];
    net_addr_to_string(ipam_gateway(sn->v4), gw);
    net_cidr_format(ipam_cidr(sn->v4), cidr);
    translate_server_mac(sn->id, mac);
    json_t *opts = json_array();
    map_add(opts, "server_id", gw);
    map_add(opts, "server_mac", mac);
    snprintf(num, sizeof num, "%u", dhcp->lease_time_sec);
    map_add(opts, "lease_time", num);
    snprintf(num, sizeof num, "%u", validate_network_mtu(spec, cfg->physical_mtu));
    map_add(opts, "mtu", num);
    if (spec->type != PB_NETWORK_TYPE(ISOLATED)) {
        /* An isolated network has no way out: no default route. */
        map_add(opts, "router", gw);
    }
    /* DNS servers: DHCP's own, then the network's IPv4 name servers. */
    char **dns = xcalloc(dhcp->n_dns_servers + nameservers_count(spec) + 1, sizeof *dns);
    size_t n_dns = 0;
    for (size_t i = 0; i < dhcp->n_dns_servers; i++) {
        dns[n_dns++] = dhcp->dns_servers[i];
    }
    n_dns += nameservers(spec, AF_INET, dns + n_dns);
    if (n_dns) {
        char *list = option_list(dns, n_dns);
        map_add(opts, "dns_server", list);
        free(list);
    }
    free(dns);
    if (spec->dns && spec->dns->n_search_domains) {
        char *list = search_list(spec->dns);
        map_add(opts, "domain_search_list", list);
        free(list);
    }
    if (dhcp->n_ntp_servers) {
        char *list = option_list(dhcp->ntp_servers, dhcp->n_ntp_servers);
        map_add(opts, "ntp_server", list);
        free(list);
    }
    if (*dhcp->domain_name) {
        char *quoted = xasprintf("\"%s\"", dhcp->domain_name);
        map_add(opts, "domain_name", quoted);
        free(quoted);
    }
    json_t *cols = json_pack("{s:s, s:[s, o], s:o}", "cidr", cidr, "options", "map", opts,
                             "external_ids", external_ids("dhcp4", sn->id, NULL));
    add_row(d, "DHCP_Options", "dhcp4", sn->id, cols);
}

static bool
dhcp_on(const struct store_network *sn)
{
    const PB(DhcpConfig) *dhcp = sn->net->spec->ip_config->dhcp;
    return sn->v4 && dhcp && dhcp->enabled;
}

/* "MAC IP IP...": OVN's notation for a port's addresses. */
static char *
address_entry(const PB(Port) * port)
{
    size_t len = strlen(port->spec->mac_address) + 1;
    for (size_t i = 0; i < port->spec->n_fixed_ips; i++) {
        len += strlen(port->spec->fixed_ips[i]->ip_address) + 1;
    }
    char *s = xmalloc(len);
    strcpy(s, port->spec->mac_address);
    for (size_t i = 0; i < port->spec->n_fixed_ips; i++) {
        strcat(s, " ");
        strcat(s, port->spec->fixed_ips[i]->ip_address);
    }
    return s;
}

static void
translate_port(struct nb_desired *d, const struct store_port *sp, const struct store_network *sn)
{
    const PB(Port) *port = sp->port;
    const PB(PortSpec) *spec = port->spec;
    char *addr = address_entry(port);
    json_t *security = json_array();
    if (spec->port_security_enabled) {
        json_array_append_new(security, json_string(addr));
        for (size_t i = 0; i < spec->n_allowed_address_pairs; i++) {
            const PB(AddressPair) *pair = spec->allowed_address_pairs[i];
            const char *mac = *pair->mac_address ? pair->mac_address : spec->mac_address;
            char *entry = xasprintf("%s %s", mac, pair->ip_address);
            json_array_append_new(security, json_string(entry));
            free(entry);
        }
    }
    bool v4 = false;
    for (size_t i = 0; i < spec->n_fixed_ips; i++) {
        v4 |= strchr(spec->fixed_ips[i]->ip_address, ':') == NULL;
    }
    bool v6 = false;
    for (size_t i = 0; i < spec->n_fixed_ips; i++) {
        v6 |= strchr(spec->fixed_ips[i]->ip_address, ':') != NULL;
    }
    json_t *dhcp6 = v6 && dhcp6_on(sn)
                        ? json_pack("[s, [o]]", "set", lqref("DHCP_Options", "dhcp6", sn->id))
                        : json_pack("[s, []]", "set");
    json_t *dhcp = v4 && dhcp_on(sn)
                       ? json_pack("[s, [o]]", "set", lqref("DHCP_Options", "dhcp4", sn->id))
                       : json_pack("[s, []]", "set");
    json_t *options = json_array();
    if (spec->binding && *spec->binding->host_id) {
        map_add(options, "requested-chassis", spec->binding->host_id);
    }
    /* Pairs with a MAC of their own are addresses of the port too, or OVN
     * would not deliver to them (its L2 lookup knows only these). */
    json_t *addresses = json_pack("[s]", addr);
    for (size_t i = 0; i < spec->n_allowed_address_pairs; i++) {
        const PB(AddressPair) *pair = spec->allowed_address_pairs[i];
        if (!*pair->mac_address || !strcmp(pair->mac_address, spec->mac_address)) {
            continue;
        }
        char *entry = strchr(pair->ip_address, '/')
                          ? xstrdup(pair->mac_address)
                          : xasprintf("%s %s", pair->mac_address, pair->ip_address);
        json_array_append_new(addresses, json_string(entry));
        free(entry);
    }
    json_t *cols =
        json_pack("{s:s, s:[s, o], s:[s, o], s:o, s:b, s:[s, o], s:o}", "name", sp->id, "addresses",
                  "set", addresses, "port_security", "set", security, "dhcpv4_options", dhcp,
                  "enabled", spec->admin_state_up, "options", "map", options, "external_ids",
                  external_ids("port", sp->id, port->name));
    json_object_set_new(cols, "dhcpv6_options", dhcp6);
    json_t *ext = json_array_get(json_object_get(cols, "external_ids"), 1);
    json_array_append_new(ext, json_pack("[s, s]", "lqnet:network", sn->id));
    if (port->status && *port->status->vm_id) {
        json_array_append_new(ext, json_pack("[s, s]", "lqnet:vm", port->status->vm_id));
    }
    if (*sp->device) {
        json_array_append_new(ext, json_pack("[s, s]", "lqnet:device", sp->device));
    }
    free(addr);
    add_row(d, "Logical_Switch_Port", "port", sp->id, cols);
}

char *
translate_gateway_port_name(const char *router_id)
{
    return xasprintf("lqnet-lrp-gw-%s", router_id);
}

/* "ADDRESS/PLEN" of a subnet's gateway, for a router port. */
static char *
gateway_cidr(const struct ipam_subnet *s)
{
    char gw[NET_ADDR_STRLEN];
    net_addr_to_string(ipam_gateway(s), gw);
    return xasprintf("%s/%d", gw, ipam_cidr(s)->plen);
}

/* The router's side of a routed network: the network's switch gets a
 * port of type router that patches to it. */
static void
translate_router_port(struct nb_desired *d, const struct store_network *sn, json_t *ports)
{
    char *name = xasprintf("lqnet-rp-%s", sn->id);
    char *peer = xasprintf("lqnet-lrp-%s", sn->id);
    json_t *cols =
        json_pack("{s:s, s:s, s:[s, [s]], s:[s, [[s, s]]], s:o}", "name", name, "type", "router",
                  "addresses", "set", "router", "options", "map", "router-port", peer,
                  "external_ids", external_ids("rport", sn->id, NULL));
    add_row(d, "Logical_Switch_Port", "rport", sn->id, cols);
    json_array_append_new(ports, lqref("Logical_Switch_Port", "rport", sn->id));
    free(name);
    free(peer);
}

/* Whether chassis 'row' maps physical network 'physnet' to a bridge. */
static bool
chassis_maps(const struct ovsdb_row *row, const char *physnet)
{
    const char *m = ovsdb_row_map_get(row, "other_config", "ovn-bridge-mappings");
    m = m ? m : ovsdb_row_map_get(row, "external_ids", "ovn-bridge-mappings");
    size_t len = strlen(physnet);
    for (const char *p = m; p && *p;) {
        if (!strncmp(p, physnet, len) && p[len] == ':') {
            return true;
        }
        p = strchr(p, ',');
        p = p ? p + 1 : NULL;
    }
    return false;
}

static void
add_child(struct nb_desired *d, const char *table, const char *kind, const char *owner,
          const char *sub, json_t *cols, json_t *refs)
{
    json_t *ext = json_object_get(cols, "external_ids");
    if (ext) {
        json_array_append_new(json_array_get(ext, 1), json_pack("[s, s]", "lqnet:sub", sub));
    }
    add_sub_row(d, table, kind, owner, sub, cols);
    char *key = xasprintf("%s/%s", owner, sub);
    json_array_append_new(refs, lqref(table, kind, key));
    free(key);
}

/* The gateway: a port on the external network, active on one chassis that
 * maps its physical network (the others stand by, by priority), SNAT for
 * the attached subnets, and the default route out. */
static void
translate_gateway(struct nb_desired *d, const struct store *store, const struct store_router *r,
                  const struct translate_config *cfg, json_t *ports, json_t *nat, json_t *routes)
{
    const struct store_network *xn = store_network(store, r->external_network);
    if (!xn || !xn->v4 || !*r->gateway_ip) {
        return;
    }
    char *lrp = translate_gateway_port_name(r->id);
    char *seed = xasprintf("gw-%s", r->id);
    char mac[18];
    translate_server_mac(seed, mac);
    free(seed);
    char *net = xasprintf("%s/%d", r->gateway_ip, ipam_cidr(xn->v4)->plen);
    /* Every chassis that maps the physical network is a candidate. Its
     * priority is a hash of router and chassis: stable whatever other
     * chassis come and go (no needless failovers), and different per
     * router, so that the active gateways spread over the candidates. */
    json_t *gcs = json_array();
    const struct strmap *all = cfg->chassis;
    for (struct strmap_node *node = all ? strmap_first(all) : NULL; node;
         node = strmap_next(all, node)) {
        const struct ovsdb_row *ch = node->value;
        const char *name = ovsdb_row_string(ch, "name");
        if (!chassis_maps(ch, xn->net->spec->vlan->physical_network)) {
            continue;
        }
        char *seed2 = xasprintf("%s|%s", r->id, name);
        int priority = 1 + (int)(lq_hash_string(seed2) % 32000);
        free(seed2);
        char *sub = xasprintf("gc/%s", name);
        char *gcname = xasprintf("%s-%s", lrp, name);
        add_child(d, "Gateway_Chassis", "gc", r->id, sub,
                  json_pack("{s:s, s:s, s:i, s:o}", "name", gcname, "chassis_name", name,
                            "priority", priority, "external_ids", external_ids("gc", r->id, NULL)),
                  gcs);
        free(gcname);
        free(sub);
    }
    /* Packets too big for the smallest network behind the router get
     * "fragmentation needed" / "packet too big" instead of vanishing. */
    unsigned int mtu = 0;
    for (struct strmap_node *node = strmap_first(&r->networks); node;
         node = strmap_next(&r->networks, node)) {
        const struct store_network *sn = node->value;
        unsigned int m = validate_network_mtu(sn->net->spec, cfg->physical_mtu);
        mtu = !mtu || m < mtu ? m : mtu;
    }
    char mtu_text[16];
    snprintf(mtu_text, sizeof mtu_text, "%u", mtu ? mtu : cfg->physical_mtu);
    add_child(d, "Logical_Router_Port", "lrp", r->id, "gw",
              json_pack("{s:s, s:s, s:[s, [s]], s:[s, o], s:[s, [[s, s]]], s:o}", "name", lrp,
                        "mac", mac, "networks", "set", net, "gateway_chassis", "set", gcs,
                        "options", "map", "gateway_mtu", mtu_text, "external_ids",
                        external_ids("lrp", r->id, NULL)),
              ports);
    /* The external switch's side, announcing the router's NAT addresses. */
    char *lsp = xasprintf("lqnet-rp-gw-%s", r->id);
    add_row(d, "Logical_Switch_Port", "gwport", r->id,
            json_pack("{s:s, s:s, s:[s, [s]], s:[s, [[s, s], [s, s]]], s:o}", "name", lsp, "type",
                      "router", "addresses", "set", "router", "options", "map", "nat-addresses",
                      "router", "router-port", lrp, "external_ids",
                      external_ids("gwport", r->id, NULL)));
    char gw[NET_ADDR_STRLEN];
    net_addr_to_string(ipam_gateway(xn->v4), gw);
    add_child(d, "Logical_Router_Static_Route", "route", r->id, "default",
              json_pack("{s:s, s:s, s:o}", "ip_prefix", "0.0.0.0/0", "nexthop", gw, "external_ids",
                        external_ids("route", r->id, NULL)),
              routes);
    for (struct strmap_node *node = strmap_first(&r->networks); node;
         node = strmap_next(&r->networks, node)) {
        const struct store_network *sn = node->value;
        const PB(RouterConfig) *rc = sn->net->spec->router;
        if (!sn->v4 || !rc || !rc->enable_snat) {
            continue;
        }
        char cidr[NET_CIDR_STRLEN];
        net_cidr_format(ipam_cidr(sn->v4), cidr);
        char *sub = xasprintf("snat/%s", sn->id);
        add_child(d, "NAT", "nat", r->id, sub,
                  json_pack("{s:s, s:s, s:s, s:o}", "type", "snat", "external_ip", r->gateway_ip,
                            "logical_ip", cidr, "external_ids", external_ids("nat", r->id, NULL)),
                  nat);
        free(sub);
    }
    free(lsp);
    free(net);
    free(lrp);
}

/* The port a floating IP points at, and its address, when the association
 * is valid: the port exists and its network is routed by 'r'. */
static const char *
fip_target(const struct store *store, const struct store_fip *f, const struct store_router *r)
{
    const PB(FloatingIpAssignment) *a = f->fip->assignment;
    const struct store_port *sp = a && *a->port_id ? store_port(store, a->port_id) : NULL;
    const struct store_network *sn = sp ? store_network(store, sp->network) : NULL;
    if (!sn || strcmp(sn->router, r->id) ||
        strcmp(f->fip->external_network_id, r->external_network)) {
        return NULL;
    }
    return *a->fixed_ip ? a->fixed_ip : NULL;
}

/* Whether port 'port''s host maps the physical network of 'r''s external
 * network, so that its floating IP can be handled there. */
static bool
fip_distributed(const struct store *store, const struct store_router *r, const char *port,
                const struct translate_config *cfg)
{
    const struct store_network *xn = store_network(store, r->external_network);
    const char *host = cfg->port_chassis ? cfg->port_chassis(cfg->aux, port) : NULL;
    for (struct strmap_node *n = host && xn && cfg->chassis ? strmap_first(cfg->chassis) : NULL; n;
         n = strmap_next(cfg->chassis, n)) {
        const struct ovsdb_row *ch = n->value;
        if (!strcmp(ovsdb_row_string(ch, "name"), host)) {
            return chassis_maps(ch, xn->net->spec->vlan->physical_network);
        }
    }
    return false;
}

static void
translate_router(struct nb_desired *d, const struct store *store, const struct store_router *r,
                 const struct translate_config *cfg)
{
    json_t *ports = json_array(), *nat = json_array(), *routes = json_array();
    size_t n;
    struct strmap_node **nets = strmap_sorted(&r->networks, &n);
    for (size_t i = 0; i < n; i++) {
        const struct store_network *sn = nets[i]->value;
        json_t *networks = json_array();
        const struct ipam_subnet *subnets[] = {sn->v4, sn->v6};
        for (size_t k = 0; k < LQ_ARRAY_SIZE(subnets); k++) {
            if (subnets[k]) {
                char *c = gateway_cidr(subnets[k]);
                json_array_append_new(networks, json_string(c));
                free(c);
            }
        }
        char *name = xasprintf("lqnet-lrp-%s", sn->id);
        char *sub = xasprintf("net/%s", sn->id);
        char mac[18], mtu[16];
        translate_server_mac(sn->id, mac);
        snprintf(mtu, sizeof mtu, "%u", validate_network_mtu(sn->net->spec, cfg->physical_mtu));
        /* IPv6: router advertisements for SLAAC (lqnet hands out the EUI-64
         * address SLAAC makes), with the network's MTU. */
        json_t *ra = sn->v6 ? json_pack("[[s, s], [s, s], [s, s]]", "address_mode",
                                        dhcp6_on(sn) ? "dhcpv6_stateless" : "slaac",
                                        "send_periodic", "true", "mtu", mtu)
                            : json_array();
        add_child(d, "Logical_Router_Port", "lrp", r->id, sub,
                  json_pack("{s:s, s:s, s:[s, o], s:[s, o], s:o}", "name", name, "mac", mac,
                            "networks", "set", networks, "ipv6_ra_configs", "map", ra,
                            "external_ids", external_ids("lrp", r->id, NULL)),
                  ports);
        const PB(RouterConfig) *rc = sn->net->spec->router;
        for (size_t k = 0; rc && k < rc->n_routes; k++) {
            char *rsub = xasprintf("route/%s/%zu", sn->id, k);
            add_child(d, "Logical_Router_Static_Route", "route", r->id, rsub,
                      json_pack("{s:s, s:s, s:o}", "ip_prefix", rc->routes[k]->destination,
                                "nexthop", rc->routes[k]->next_hop, "external_ids",
                                external_ids("route", r->id, NULL)),
                      routes);
            free(rsub);
        }
        free(sub);
        free(name);
    }
    free(nets);
    if (*r->external_network) {
        translate_gateway(d, store, r, cfg, ports, nat, routes);
        const struct strmap *fips = store_fips(store);
        for (struct strmap_node *node = strmap_first(fips); node; node = strmap_next(fips, node)) {
            const struct store_fip *f = node->value;
            const char *ip = fip_target(store, f, r);
            if (!ip) {
                continue;
            }
            char *sub = xasprintf("fip/%s", f->id);
            json_t *cols = json_pack("{s:s, s:s, s:s, s:o}", "type", "dnat_and_snat", "external_ip",
                                     f->fip->ip_address, "logical_ip", ip, "external_ids",
                                     external_ids("nat", r->id, NULL));
            const char *port = f->fip->assignment->port_id;
            if (fip_distributed(store, r, port, cfg)) {
                /* Handled on the VM's own host, which reaches the outside
                 * itself, with a MAC of its own there. */
                char mac[18];
                translate_server_mac(f->id, mac);
                json_object_set_new(cols, "logical_port", json_pack("[s, [s]]", "set", port));
                json_object_set_new(cols, "external_mac", json_pack("[s, [s]]", "set", mac));
            } else {
                json_object_set_new(cols, "logical_port", json_pack("[s, []]", "set"));
                json_object_set_new(cols, "external_mac", json_pack("[s, []]", "set"));
            }
            add_child(d, "NAT", "nat", r->id, sub, cols, nat);
            free(sub);
        }
    }
    char *name = xasprintf("lqnet-r-%s", r->id);
    add_row(d, "Logical_Router", "router", r->id,
            json_pack("{s:s, s:[s, o], s:[s, o], s:[s, o], s:o}", "name", name, "ports", "set",
                      ports, "nat", "set", nat, "static_routes", "set", routes, "external_ids",
                      external_ids("router", r->id, NULL)));
    free(name);
}

/* A provider network (VLAN, EXTERNAL) reaches its physical network
 * through a localnet port, tagged with its VLAN if it has one. */
static void
translate_localnet(struct nb_desired *d, const struct store_network *sn, json_t *ports)
{
    const PB(VlanConfig) *v = sn->net->spec->vlan;
    char *name = xasprintf("lqnet-ln-%s", sn->id);
    json_t *tag =
        v->vlan_id ? json_pack("[s, [i]]", "set", (int)v->vlan_id) : json_pack("[s, []]", "set");
    json_t *cols = json_pack("{s:s, s:s, s:[s, [s]], s:[s, [[s, s]]], s:o, s:o}", "name", name,
                             "type", "localnet", "addresses", "set", "unknown", "options", "map",
                             "network_name", v->physical_network, "tag_request", tag,
                             "external_ids", external_ids("localnet", sn->id, NULL));
    add_row(d, "Logical_Switch_Port", "localnet", sn->id, cols);
    json_array_append_new(ports, lqref("Logical_Switch_Port", "localnet", sn->id));
    free(name);
}

static void
translate_network(struct nb_desired *d, const struct store *store, const struct store_network *sn,
                  const struct translate_config *cfg)
{
    json_t *ports = json_array();
    if (sn->net->spec->type == PB_NETWORK_TYPE(VLAN) ||
        sn->net->spec->type == PB_NETWORK_TYPE(EXTERNAL)) {
        translate_localnet(d, sn, ports);
    }
    if (*sn->router) {
        translate_router_port(d, sn, ports);
    }
    if (sn->net->spec->type == PB_NETWORK_TYPE(EXTERNAL)) {
        /* The routers that use it as their way out. */
        const struct strmap *routers = store_routers(store);
        for (struct strmap_node *n = strmap_first(routers); n; n = strmap_next(routers, n)) {
            const struct store_router *r = n->value;
            if (!strcmp(r->external_network, sn->id) && *r->gateway_ip) {
                json_array_append_new(ports, lqref("Logical_Switch_Port", "gwport", r->id));
            }
        }
    }
    size_t n;
    struct strmap_node **ids = strmap_sorted(&sn->ports, &n);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(ports, lqref("Logical_Switch_Port", "port", ids[i]->key));
    }
    free(ids);
    char *name = translate_switch_name(sn->id);
    json_t *ext = external_ids("network", sn->id, sn->net->name);
    json_array_append_new(json_array_get(ext, 1),
                          json_pack("[s, s]", "lqnet:project", sn->net->project_id));
    json_t *cols =
        json_pack("{s:s, s:[s, o], s:o}", "name", name, "ports", "set", ports, "external_ids", ext);
    free(name);
    add_row(d, "Logical_Switch", "network", sn->id, cols);
    if (dhcp_on(sn)) {
        translate_dhcp(d, sn, cfg);
    }
    if (dhcp6_on(sn)) {
        translate_dhcp6(d, sn);
    }
}

char *
translate_pg_name(const char *sg_id)
{
    char *name = xasprintf("lq_%s", sg_id);
    for (char *p = name; *p; p++) {
        *p = *p == '-' ? '_' : *p;
    }
    return name;
}

int
translate_acl_priority(const PB(SecurityGroupRule) * rule)
{
    return TRANSLATE_ACL_TOP - 2 * (int)rule->priority + (rule->action != PB_ACTION(ALLOW));
}

static void append(char **m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
append(char **m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *part = xvasprintf(fmt, ap);
    va_end(ap);
    char *joined = xasprintf("%s && %s", *m, part);
    free(part);
    free(*m);
    *m = joined;
}

/* The OVN match of 'rule' for IPv4 ('family' 4) or IPv6 (6) on group 'pg'. */
char *
translate_rule_match(const PB(SecurityGroupRule) * rule, const char *pg, int family)
{
    bool ingress = rule->direction == PB_DIRECTION(INGRESS);
    char *m = xasprintf("%s == @%s && ip%d", ingress ? "outport" : "inport", pg, family);
    const char *peer = ingress ? "src" : "dst";
    if (*rule->remote_ip_prefix) {
        append(&m, "ip%d.%s == %s", family, peer, rule->remote_ip_prefix);
    } else if (*rule->remote_security_group_id) {
        char *remote = translate_pg_name(rule->remote_security_group_id);
        append(&m, "ip%d.%s == $%s_ip%d", family, peer, remote, family);
        free(remote);
    }
    const char *proto = rule->protocol;
    if (!strcmp(proto, "tcp") || !strcmp(proto, "udp") || !strcmp(proto, "sctp")) {
        append(&m, "%s", proto);
        if (rule->port_min && rule->port_min == rule->port_max) {
            append(&m, "%s.dst == %u", proto, rule->port_min);
        } else if (rule->port_min) {
            append(&m, "%s.dst >= %u && %s.dst <= %u", proto, rule->port_min, proto,
                   rule->port_max);
        }
    } else if (!strcmp(proto, "icmp") || !strcmp(proto, "icmpv6")) {
        const char *icmp = family == 4 ? "icmp4" : "icmp6";
        append(&m, "%s", icmp);
        if (PB_HAS(rule, icmp_type)) {
            append(&m, "%s.type == %d", icmp, rule->icmp_type);
        }
        if (PB_HAS(rule, icmp_code)) {
            append(&m, "%s.code == %d", icmp, rule->icmp_code);
        }
    } else if (*proto && strcmp(proto, "any")) {
        append(&m, "ip.proto == %s", proto);
    }
    return m;
}

/* Which address families a rule covers: bit 0 IPv4, bit 1 IPv6. */
static int
rule_families(const PB(SecurityGroupRule) * rule)
{
    int f = 3;
    if (!strcmp(rule->ethertype, "IPv4")) {
        f = 1;
    } else if (!strcmp(rule->ethertype, "IPv6")) {
        f = 2;
    } else if (*rule->remote_ip_prefix) {
        f = strchr(rule->remote_ip_prefix, ':') ? 2 : 1;
    }
    if (!strcmp(rule->protocol, "icmp")) {
        f &= 1;
    } else if (!strcmp(rule->protocol, "icmpv6")) {
        f &= 2;
    }
    return f;
}

static const char *
acl_action(const PB(SecurityGroupRule) * rule, bool stateful)
{
    switch (rule->action) {
    case PB_ACTION(DROP):
        return "drop";
    case PB_ACTION(REJECT):
        return "reject";
    default:
        return stateful ? "allow-related" : "allow-stateless";
    }
}

static json_t *
acl_row(const char *owner, const char *sub, int priority, bool ingress, const char *match,
        const char *action)
{
    json_t *ext = external_ids("acl", owner, NULL);
    json_array_append_new(json_array_get(ext, 1), json_pack("[s, s]", "lqnet:sub", sub));
    return json_pack("{s:i, s:s, s:s, s:s, s:o}", "priority", priority, "direction",
                     ingress ? "to-lport" : "from-lport", "match", match, "action", action,
                     "external_ids", ext);
}

/* The member ports of a group (those with port security) as lqrefs. */
static json_t *
port_refs(const struct strmap *ports)
{
    json_t *refs = json_array();
    size_t n;
    struct strmap_node **ids = strmap_sorted(ports, &n);
    for (size_t i = 0; i < n; i++) {
        const struct store_port *sp = ids[i]->value;
        if (sp->port->spec->port_security_enabled) {
            json_array_append_new(refs, lqref("Logical_Switch_Port", "port", sp->id));
        }
    }
    free(ids);
    return refs;
}

static void
translate_sg(struct nb_desired *d, const struct store_sg *g)
{
    const PB(SecurityGroup) *sg = g->sg;
    char *pg = translate_pg_name(g->id);
    json_t *acls = json_array();
    for (size_t i = 0; i < sg->n_rules; i++) {
        const PB(SecurityGroupRule) *rule = sg->rules[i];
        int families = rule_families(rule);
        for (int family = 4; family <= 6; family += 2) {
            if (!(families & (family == 4 ? 1 : 2))) {
                continue;
            }
            char *sub = xasprintf("%s/%d", rule->id, family);
            char *match = translate_rule_match(rule, pg, family);
            add_sub_row(d, "ACL", "acl", g->id, sub,
                        acl_row(g->id, sub, translate_acl_priority(rule),
                                rule->direction == PB_DIRECTION(INGRESS), match,
                                acl_action(rule, sg->stateful)));
            char *key = xasprintf("%s/%s", g->id, sub);
            json_array_append_new(acls, lqref("ACL", "acl", key));
            free(key);
            free(match);
            free(sub);
        }
    }
    json_t *cols = json_pack("{s:s, s:[s, o], s:[s, o], s:o}", "name", pg, "ports", "set",
                             port_refs(&g->ports), "acls", "set", acls, "external_ids",
                             external_ids("sg", g->id, sg->name));
    add_row(d, "Port_Group", "sg", g->id, cols);
    free(pg);
}

/* The default-deny group: every port with port security. */
static void
translate_secured(struct nb_desired *d, const struct store *store)
{
    const char *pg = translate_secured_group;
    static const struct {
        const char *sub;
        int priority;
        bool ingress;
        const char *match; /* %s: the group */
        const char *action;
    } infra[] = {
        {"dhcp4-out", TRANSLATE_ACL_INFRA, false,
         "inport == @%s && ip4 && udp.src == 68 && udp.dst == 67", "allow"},
        {"dhcp4-in", TRANSLATE_ACL_INFRA, true,
         "outport == @%s && ip4 && udp.src == 67 && udp.dst == 68", "allow"},
        {"dhcp6-out", TRANSLATE_ACL_INFRA, false,
         "inport == @%s && ip6 && udp.src == 546 && udp.dst == 547", "allow"},
        {"dhcp6-in", TRANSLATE_ACL_INFRA, true,
         "outport == @%s && ip6 && udp.src == 547 && udp.dst == 546", "allow"},
        {"nd-out", TRANSLATE_ACL_INFRA, false, "inport == @%s && (nd || nd_rs || nd_ra)", "allow"},
        {"nd-in", TRANSLATE_ACL_INFRA, true, "outport == @%s && (nd || nd_rs || nd_ra)", "allow"},
        {"drop-out", TRANSLATE_ACL_DROP, false, "inport == @%s && ip", "drop"},
        {"drop-in", TRANSLATE_ACL_DROP, true, "outport == @%s && ip", "drop"},
    };
    json_t *acls = json_array();
    for (size_t i = 0; i < LQ_ARRAY_SIZE(infra); i++) {
        char *match = xasprintf(infra[i].match, pg);
        add_sub_row(
            d, "ACL", "acl", pg, infra[i].sub,
            acl_row(pg, infra[i].sub, infra[i].priority, infra[i].ingress, match, infra[i].action));
        char *key = xasprintf("%s/%s", pg, infra[i].sub);
        json_array_append_new(acls, lqref("ACL", "acl", key));
        free(key);
        free(match);
    }
    json_t *cols = json_pack("{s:s, s:[s, o], s:[s, o], s:o}", "name", pg, "ports", "set",
                             port_refs(store_ports(store)), "acls", "set", acls, "external_ids",
                             external_ids("sg", pg, NULL));
    add_row(d, "Port_Group", "sg", pg, cols);
}

/* Removes every row of 'owner', adding their keys to 'changed'. */
static void
remove_owner(struct nb_desired *d, const char *owner, struct strmap *changed)
{
    struct strmap *keys = strmap_remove(&d->owners, owner);
    if (!keys) {
        return;
    }
    for (struct strmap_node *n = strmap_first(keys); n; n = strmap_next(keys, n)) {
        row_free(strmap_remove(&d->rows, n->key));
        if (changed) {
            strmap_put(changed, n->key, NULL);
        }
    }
    strmap_destroy(keys);
    free(keys);
}

void
translate_owner(struct nb_desired *d, const struct store *store, const struct translate_config *cfg,
                const char *id, struct strmap *changed)
{
    remove_owner(d, id, changed);
    const struct store_network *sn = store_network(store, id);
    const struct store_port *sp = sn ? NULL : store_port(store, id);
    const struct store_sg *g = sn || sp ? NULL : store_sg(store, id);
    const struct store_router *r = sn || sp || g ? NULL : store_router(store, id);
    if (!strcmp(id, translate_secured_group)) {
        translate_secured(d, store);
    } else if (g) {
        translate_sg(d, g);
    } else if (r) {
        translate_router(d, store, r, cfg);
    } else if (sp) {
        sn = store_network(store, sp->network);
        if (!sn) {
            return;
        }
        translate_port(d, sp, sn);
    } else if (sn) {
        translate_network(d, store, sn, cfg);
    }
    struct strmap *keys = strmap_get(&d->owners, id);
    for (struct strmap_node *n = keys ? strmap_first(keys) : NULL; n && changed;
         n = strmap_next(keys, n)) {
        strmap_put(changed, n->key, NULL);
    }
}

struct nb_desired *
translate_new(void)
{
    struct nb_desired *d = xmalloc(sizeof *d);
    strmap_init(&d->rows);
    strmap_init(&d->owners);
    return d;
}

struct nb_desired *
translate_build(const struct store *store, const struct translate_config *cfg)
{
    struct nb_desired *d = translate_new();
    const struct strmap *maps[] = {store_networks(store), store_ports(store), store_sgs(store),
                                   store_routers(store)};
    for (size_t i = 0; i < LQ_ARRAY_SIZE(maps); i++) {
        for (struct strmap_node *n = strmap_first(maps[i]); n; n = strmap_next(maps[i], n)) {
            translate_owner(d, store, cfg, n->key, NULL);
        }
    }
    translate_owner(d, store, cfg, translate_secured_group, NULL);
    return d;
}

static void
row_free(void *r_)
{
    struct nb_row *r = r_;
    if (!r) {
        return;
    }
    free(r->table);
    free(r->key);
    free(r->owner);
    json_decref(r->columns);
    free(r);
}

void
translate_destroy(struct nb_desired *d)
{
    if (d) {
        strmap_destroy_with(&d->rows, row_free);
        for (struct strmap_node *n = strmap_first(&d->owners); n; n = strmap_next(&d->owners, n)) {
            strmap_destroy(n->value);
        }
        strmap_destroy_with(&d->owners, free);
        free(d);
    }
}

const struct nb_row *
translate_find(const struct nb_desired *d, const char *table, const char *key)
{
    char *k = xasprintf("%s|%s", table, key);
    const struct nb_row *r = strmap_get(&d->rows, k);
    free(k);
    return r;
}
