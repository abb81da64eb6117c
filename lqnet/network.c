/* lqnet network: VirtualNetworkService. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "util.h"

enum {
    OPT_SUBNET = 256,
    OPT_GATEWAY,
    OPT_POOL,
    OPT_RESERVE,
    OPT_DNS,
    OPT_NO_DNS,
    OPT_NTP,
    OPT_NO_NTP,
    OPT_DOMAIN,
    OPT_LEASE,
    OPT_DHCP,
    OPT_NO_DHCP,
    OPT_STATIC,
    OPT_NO_STATIC,
    OPT_TYPE,
    OPT_VLAN,
    OPT_PHYSNET,
    OPT_IPV6_SUBNET,
    OPT_IPV6_GATEWAY,
    OPT_MTU,
    OPT_PORT_SECURITY,
    OPT_NO_PORT_SECURITY,
    OPT_SHARED,
    OPT_NO_SHARED,
    OPT_PROJECT,
    OPT_DESCRIPTION,
    OPT_LABEL,
    OPT_ROUTER,
    OPT_NO_ROUTER,
    OPT_EXTERNAL_GATEWAY,
    OPT_NO_SNAT,
    OPT_ROUTE,
    OPT_FORCE,
};

#define DHCP "spec.ipConfig.dhcp."

static const struct {
    const char *cli;
    const char *api; /* NULL: the zero value, which is never sent. */
} network_types[] = {
    {"overlay", NULL},
    {"vlan", "VLAN"},
    {"external", "EXTERNAL"},
    {"isolated", "ISOLATED"},
};

/* Parses "--pool START-END" into an IpRange. */
static json_t *
parse_pool(const char *value, struct cli_error *err)
{
    const char *dash = strchr(value, '-');
    if (!dash || dash == value || !dash[1] || strchr(dash + 1, '-')) {
        cli_error_set(err, CLI_USAGE, NULL,
                      "--pool expects START-END, e.g. 10.0.1.10-10.0.1.99, "
                      "not '%s'",
                      value);
        return NULL;
    }
    char *start = xstrndup(value, dash - value);
    json_t *range = json_pack("{s:s, s:s}", "start", start, "end", dash + 1);
    free(start);
    return range;
}

/* Parses "--route DEST=NEXTHOP" into a StaticRoute; the server checks the
 * addresses. */
static json_t *
parse_route(const char *value, struct cli_error *err)
{
    const char *eq = strchr(value, '=');
    if (!eq || eq == value || !eq[1] || strchr(eq + 1, '=')) {
        cli_error_set(err, CLI_USAGE, NULL,
                      "--route expects DESTINATION=NEXTHOP, e.g. 192.168.0.0/16=10.0.1.254, "
                      "not '%s'",
                      value);
        return NULL;
    }
    char *dest = xstrndup(value, eq - value);
    json_t *route = json_pack("{s:s, s:s}", "destination", dest, "nextHop", eq + 1);
    free(dest);
    return route;
}

/* Parses "--static MAC=IP[=HOSTNAME]" into a DhcpBinding. */
static json_t *
parse_static(const char *value, struct cli_error *err)
{
    const char *eq1 = strchr(value, '=');
    const char *eq2 = eq1 ? strchr(eq1 + 1, '=') : NULL;
    if (!eq1 || eq1 == value || eq1[1] == '=' || !eq1[1] || (eq2 && !eq2[1])) {
        cli_error_set(err, CLI_USAGE, NULL,
                      "--static expects MAC=IP or MAC=IP=HOSTNAME, e.g. "
                      "52:54:00:12:34:56=10.0.1.20=db1, not '%s'",
                      value);
        return NULL;
    }
    char *mac = xstrndup(value, eq1 - value);
    char *ip = eq2 ? xstrndup(eq1 + 1, eq2 - eq1 - 1) : xstrdup(eq1 + 1);
    json_t *binding = json_pack("{s:s, s:s}", "macAddress", mac, "ipAddress", ip);
    if (eq2) {
        json_object_set_new(binding, "hostname", json_string(eq2 + 1));
    }
    free(mac);
    free(ip);
    return binding;
}

static bool
parse_type(const char *value, json_t *req, const char *path, struct cli_error *err)
{
    for (size_t i = 0; i < LQ_ARRAY_SIZE(network_types); i++) {
        if (!strcasecmp(value, network_types[i].cli)) {
            if (req && network_types[i].api) {
                cli_json_set(req, path, json_string(network_types[i].api));
            }
            return true;
        }
    }
    cli_error_set(err, CLI_USAGE, NULL,
                  "--type must be overlay, vlan, external or isolated, not '%s'", value);
    return false;
}

json_t *
network_create_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_pack("{s:s}", "name", args->pos[0]);
    json_t *labels = json_object();
    const char *external = NULL;
    long long n;

    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        const char *v = args->opts[i].value;
        json_t *item;
        switch (args->opts[i].key) {
        case OPT_SUBNET:
            cli_json_set(req, "spec.ipConfig.ipv4Subnet", json_string(v));
            break;
        case OPT_GATEWAY:
            cli_json_set(req, "spec.ipConfig.ipv4Gateway", json_string(v));
            break;
        case OPT_IPV6_SUBNET:
            cli_json_set(req, "spec.ipConfig.ipv6Subnet", json_string(v));
            break;
        case OPT_IPV6_GATEWAY:
            cli_json_set(req, "spec.ipConfig.ipv6Gateway", json_string(v));
            break;
        case OPT_POOL:
            if ((item = parse_pool(v, err))) {
                cli_json_append(req, "spec.ipConfig.allocationPools", item);
            }
            break;
        case OPT_RESERVE:
            cli_json_append(req, "spec.ipConfig.reservedIps", json_string(v));
            break;
        case OPT_DNS:
            cli_json_append(req, DHCP "dnsServers", json_string(v));
            break;
        case OPT_NTP:
            cli_json_append(req, DHCP "ntpServers", json_string(v));
            break;
        case OPT_DOMAIN:
            cli_json_set(req, DHCP "domainName", json_string(v));
            break;
        case OPT_LEASE:
            if (cli_parse_int("lease", v, 60, 0x7fffffff, &n, err)) {
                cli_json_set(req, DHCP "leaseTimeSec", json_integer(n));
            }
            break;
        case OPT_NO_DHCP:
            cli_json_set(req, DHCP "enabled", json_false());
            break;
        case OPT_STATIC:
            if ((item = parse_static(v, err))) {
                cli_json_append(req, DHCP "staticBindings", item);
            }
            break;
        case OPT_TYPE:
            parse_type(v, req, "spec.type", err);
            break;
        case OPT_VLAN:
            if (cli_parse_int("vlan", v, 1, 4094, &n, err)) {
                cli_json_set(req, "spec.vlan.vlanId", json_integer(n));
            }
            break;
        case OPT_PHYSNET:
            cli_json_set(req, "spec.vlan.physicalNetwork", json_string(v));
            break;
        case OPT_MTU:
            if (cli_parse_int("mtu", v, 576, 65535, &n, err)) {
                cli_json_set(req, "spec.mtu", json_integer(n));
            }
            break;
        case OPT_NO_PORT_SECURITY:
            cli_json_set(req, "spec.portSecurityEnabled", json_false());
            break;
        case OPT_SHARED:
            cli_json_set(req, "spec.shared", json_true());
            break;
        case OPT_PROJECT:
            json_object_set_new(req, "projectId", json_string(v));
            break;
        case OPT_DESCRIPTION:
            json_object_set_new(req, "description", json_string(v));
            break;
        case OPT_LABEL:
            cli_parse_label("label", v, labels, err);
            break;
        case OPT_ROUTER:
            cli_json_set(req, "spec.router.enabled", json_true());
            break;
        case OPT_EXTERNAL_GATEWAY:
            external = v;
            break;
        case OPT_NO_SNAT:
            /* Sent explicitly: absent means true with an external gateway. */
            cli_json_set(req, "spec.router.enableSnat", json_false());
            break;
        case OPT_ROUTE:
            if ((item = parse_route(v, err))) {
                cli_json_set(req, "spec.router.enabled", json_true());
                cli_json_append(req, "spec.router.routes", item);
            }
            break;
        }
    }
    if (json_object_size(labels)) {
        json_object_set(req, "labels", labels);
    }
    json_decref(labels);

    /* Look names up only once the command line is known to be good. */
    if (!err->status && external) {
        char *id = cli_resolve_external(external, err);
        if (id) {
            cli_json_set(req, "spec.router.enabled", json_true());
            cli_json_set(req, "spec.router.externalGatewayNetworkId", json_string(id));
            free(id);
        }
    }
    if (err->status) {
        json_decref(req);
        return NULL;
    }
    return req;
}

json_t *
network_update_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_object();
    const char *external = NULL;
    bool router_off = false;
    long long n;

    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        const char *v = args->opts[i].value;
        json_t *item;
        const char *path = NULL; /* The field this option sets, for the mask. */
        switch (args->opts[i].key) {
        case OPT_DESCRIPTION:
            json_object_set_new(req, path = "description", json_string(v));
            break;
        case OPT_LABEL:
            if (!json_object_get(req, "labels")) {
                json_object_set_new(req, "labels", json_object());
            }
            cli_parse_label("label", v, json_object_get(req, "labels"), err);
            path = "labels";
            break;
        case OPT_DNS:
            cli_json_append(req, path = DHCP "dnsServers", json_string(v));
            break;
        case OPT_NO_DNS:
            cli_json_set(req, path = DHCP "dnsServers", json_array());
            break;
        case OPT_NTP:
            cli_json_append(req, path = DHCP "ntpServers", json_string(v));
            break;
        case OPT_NO_NTP:
            cli_json_set(req, path = DHCP "ntpServers", json_array());
            break;
        case OPT_DOMAIN:
            cli_json_set(req, path = DHCP "domainName", json_string(v));
            break;
        case OPT_LEASE:
            if (cli_parse_int("lease", v, 60, 0x7fffffff, &n, err)) {
                cli_json_set(req, path = DHCP "leaseTimeSec", json_integer(n));
            }
            break;
        case OPT_DHCP:
        case OPT_NO_DHCP:
            cli_json_set(req, path = DHCP "enabled", json_boolean(args->opts[i].key == OPT_DHCP));
            break;
        case OPT_STATIC:
            if ((item = parse_static(v, err))) {
                cli_json_append(req, path = DHCP "staticBindings", item);
            }
            break;
        case OPT_NO_STATIC:
            cli_json_set(req, path = DHCP "staticBindings", json_array());
            break;
        case OPT_MTU:
            if (cli_parse_int("mtu", v, 0, 65535, &n, err)) {
                cli_json_set(req, path = "spec.mtu", json_integer(n));
            }
            break;
        case OPT_PORT_SECURITY:
        case OPT_NO_PORT_SECURITY:
            cli_json_set(req, path = "spec.portSecurityEnabled",
                         json_boolean(args->opts[i].key == OPT_PORT_SECURITY));
            break;
        case OPT_SHARED:
        case OPT_NO_SHARED:
            cli_json_set(req, path = "spec.shared", json_boolean(args->opts[i].key == OPT_SHARED));
            break;
        case OPT_ROUTER:
        case OPT_NO_ROUTER:
            router_off = args->opts[i].key == OPT_NO_ROUTER;
            cli_json_set(req, path = "spec.router.enabled", json_boolean(!router_off));
            break;
        case OPT_EXTERNAL_GATEWAY:
            external = v;
            break;
        }
        if (path) {
            cli_mask_add(req, path);
        }
    }
    if (!err->status && !json_object_get(req, "updateMask") && !external) {
        cli_error_set(err, CLI_USAGE, NULL, "nothing to update: give at least one option");
    }
    if (!err->status && external && router_off) {
        cli_error_set(err, CLI_USAGE, NULL, "--external-gateway needs routing; drop --no-router");
    }

    char *id = NULL;
    if (!err->status) {
        id = cli_resolve(&cli_network_resource, args->pos[0], NULL, err);
    }
    if (id) {
        json_object_set_new(req, "id", json_string(id));
        free(id);
    }
    if (!err->status && external) {
        /* "" detaches the network from its external gateway. */
        char *gw = *external ? cli_resolve_external(external, err) : xstrdup("");
        if (gw) {
            cli_json_set(req, "spec.router.externalGatewayNetworkId", json_string(gw));
            cli_mask_add(req, "spec.router.externalGatewayNetworkId");
            if (*gw) {
                cli_json_set(req, "spec.router.enabled", json_true());
                cli_mask_add(req, "spec.router.enabled");
            }
            free(gw);
        }
    }
    if (err->status) {
        json_decref(req);
        return NULL;
    }
    /* The id goes first so that a printed request reads naturally. */
    json_t *ordered = json_pack("{s:O}", "id", json_object_get(req, "id"));
    json_object_del(req, "id");
    json_object_update(ordered, req);
    json_decref(req);
    return ordered;
}

json_t *
network_list_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_object();
    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        const char *v = args->opts[i].value;
        switch (args->opts[i].key) {
        case OPT_PROJECT:
            json_object_set_new(req, "projectId", json_string(v));
            break;
        case OPT_LABEL:
            if (!json_object_get(req, "labels")) {
                json_object_set_new(req, "labels", json_object());
            }
            cli_parse_label("label", v, json_object_get(req, "labels"), err);
            break;
        case OPT_TYPE:
            /* Checked here, applied by cmd_list(): overlay is the zero
             * value, which a request cannot ask for. */
            parse_type(v, NULL, NULL, err);
            break;
        }
    }
    if (err->status) {
        json_decref(req);
        return NULL;
    }
    return req;
}

/* "overlay", "vlan", ...: the way the CLI spells types, defaulting to the
 * zero value that the API omits. */
static char *
type_text(json_t *network)
{
    const char *type = cli_json_str(network, "spec.type");
    char *s = xstrdup(*type ? type : "OVERLAY");
    for (char *p = s; *p; p++) {
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    }
    return s;
}

/* The effective MTU, or the configured one before the server reports it. */
static char *
mtu_text(json_t *network)
{
    char *mtu = cli_json_text(network, "status.mtu", "");
    if (!*mtu) {
        free(mtu);
        mtu = cli_json_text(network, "spec.mtu", "");
    }
    return mtu;
}

struct cli_table *
network_list_table(json_t *networks)
{
    static const char *const headers[] = {"ID", "NAME", "TYPE", "SUBNET", "STATUS", "PORTS", "MTU"};
    struct cli_table *t = cli_table_new(LQ_ARRAY_SIZE(headers), headers);
    size_t i;
    json_t *net;
    json_array_foreach(networks, i, net)
    {
        const char *v4 = cli_json_str(net, "spec.ipConfig.ipv4Subnet");
        const char *v6 = cli_json_str(net, "spec.ipConfig.ipv6Subnet");
        char *ports = cli_json_text(net, "status.portCount", "");
        char *cells[] = {
            xstrdup(cli_json_str(net, "id")),
            xstrdup(cli_json_str(net, "name")),
            type_text(net),
            xasprintf("%s%s%s", v4, *v4 && *v6 ? ", " : "", v6),
            cli_phase_text(net),
            *ports ? ports : xstrdup("0"),
            mtu_text(net),
        };
        if (!*ports) {
            free(ports);
        }
        cli_table_add_row_owned(t, cells);
    }
    return t;
}

static char *
dhcp_text(json_t *network)
{
    json_t *dhcp = cli_json_get(network, "spec.ipConfig.dhcp");
    bool has_v4 = *cli_json_str(network, "spec.ipConfig.ipv4Subnet");
    json_t *enabled = json_object_get(dhcp, "enabled");
    if (json_is_false(enabled) || (!enabled && !has_v4)) {
        return xstrdup("disabled");
    }

    char *out = xstrdup("enabled");
    static const struct {
        const char *label, *path, *unit;
    } fields[] = {
        {"lease", "leaseTimeSec", " s"},
        {"dns", "dnsServers", ""},
        {"ntp", "ntpServers", ""},
        {"domain", "domainName", ""},
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(fields); i++) {
        char *text = cli_json_text(dhcp, fields[i].path, ", ");
        if (*text) {
            cli_append(&out, "\n", "%s: %s%s", fields[i].label, text, fields[i].unit);
        }
        free(text);
    }
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(dhcp, "staticBindings"), i, b)
    {
        const char *host = cli_json_str(b, "hostname");
        cli_append(&out, "\n", "static: %s -> %s%s%s", cli_json_str(b, "macAddress"),
                   cli_json_str(b, "ipAddress"), *host ? " " : "", host);
    }
    return out;
}

static char *
pools_text(json_t *network)
{
    char *out = xstrdup("");
    size_t i;
    json_t *pool;
    json_array_foreach(cli_json_get(network, "spec.ipConfig.allocationPools"), i, pool)
    {
        cli_append(&out, "\n", "%s - %s", cli_json_str(pool, "start"), cli_json_str(pool, "end"));
    }
    return out;
}

static char *
ip_usage_text(json_t *network)
{
    json_t *st = cli_json_get(network, "status.ipStatus");
    if (!*cli_json_str(network, "spec.ipConfig.ipv4Subnet") && !st) {
        return xstrdup("");
    }
    char *total = cli_json_text(st, "ipv4Total", "");
    char *allocated = cli_json_text(st, "ipv4Allocated", "");
    char *available = cli_json_text(st, "ipv4Available", "");
    char *v6 = cli_json_text(st, "ipv6Allocated", "");
    char *out = xasprintf("IPv4: %s allocated, %s available, %s total%s%s%s",
                          *allocated ? allocated : "0", *available ? available : "0",
                          *total ? total : "0", *v6 ? "\nIPv6: " : "", v6, *v6 ? " allocated" : "");
    free(total);
    free(allocated);
    free(available);
    free(v6);
    return out;
}

static char *
router_text(json_t *network)
{
    json_t *router = cli_json_get(network, "spec.router");
    if (!json_is_true(json_object_get(router, "enabled"))) {
        return xstrdup("no");
    }
    const char *ext = cli_json_str(router, "externalGatewayNetworkId");
    json_t *snat = json_object_get(router, "enableSnat");
    char *out = xasprintf("yes%s%s%s", *ext ? ", external gateway " : " (internal only)", ext,
                          *ext && json_is_false(snat) ? ", no SNAT" : "");
    size_t i;
    json_t *route;
    json_array_foreach(json_object_get(router, "routes"), i, route)
    {
        cli_append(&out, "\n", "route %s via %s", cli_json_str(route, "destination"),
                   cli_json_str(route, "nextHop"));
    }
    return out;
}

static char *
vlan_text(json_t *network)
{
    char *id = cli_json_text(network, "spec.vlan.vlanId", "");
    const char *physnet = cli_json_str(network, "spec.vlan.physicalNetwork");
    char *out = xasprintf("%s%s%s%s", *id ? "id " : "", id, *id && *physnet ? " on " : "", physnet);
    free(id);
    return out;
}

struct cli_table *
network_show_table(json_t *net)
{
    struct cli_table *t = cli_table_new_fields();
    json_t *port_security = cli_json_get(net, "spec.portSecurityEnabled");
    char *ports = cli_json_text(net, "status.portCount", "");
    char *spec_mtu = cli_json_text(net, "spec.mtu", "");
    char *mtu = mtu_text(net);

    cli_table_add_field(t, "id", xstrdup(cli_json_str(net, "id")));
    cli_table_add_field(t, "name", xstrdup(cli_json_str(net, "name")));
    cli_table_add_field(t, "project", xstrdup(cli_json_str(net, "projectId")));
    cli_table_add_optional(t, "description", xstrdup(cli_json_str(net, "description")));
    cli_table_add_field(t, "type", type_text(net));
    cli_table_add_field(t, "status", cli_phase_text(net));
    cli_table_add_optional(t, "vlan", vlan_text(net));
    cli_table_add_optional(t, "ipv4 subnet",
                           xstrdup(cli_json_str(net, "spec.ipConfig.ipv4Subnet")));
    cli_table_add_optional(t, "ipv4 gateway",
                           xstrdup(cli_json_str(net, "spec.ipConfig.ipv4Gateway")));
    cli_table_add_optional(t, "allocation pools", pools_text(net));
    cli_table_add_optional(t, "reserved ips",
                           cli_json_text(net, "spec.ipConfig.reservedIps", "\n"));
    cli_table_add_optional(t, "ipv6 subnet",
                           xstrdup(cli_json_str(net, "spec.ipConfig.ipv6Subnet")));
    cli_table_add_optional(t, "ipv6 gateway",
                           xstrdup(cli_json_str(net, "spec.ipConfig.ipv6Gateway")));
    cli_table_add_optional(t, "ip usage", ip_usage_text(net));
    cli_table_add_field(t, "dhcp", dhcp_text(net));
    cli_table_add_field(t, "mtu",
                        *spec_mtu && strcmp(spec_mtu, mtu)
                            ? xasprintf("%s (configured %s)", mtu, spec_mtu)
                            : xstrdup(*mtu ? mtu : "derived"));
    cli_table_add_field(t, "router", router_text(net));
    cli_table_add_field(t, "port security",
                        xstrdup(json_is_false(port_security) ? "disabled" : "enabled"));
    cli_table_add_field(t, "shared",
                        xstrdup(json_is_true(cli_json_get(net, "spec.shared")) ? "yes" : "no"));
    cli_table_add_field(t, "ports", xstrdup(*ports ? ports : "0"));
    cli_table_add_optional(t, "default security group",
                           xstrdup(cli_json_str(net, "spec.defaultSecurityGroupId")));
    cli_table_add_optional(t, "labels", cli_labels_text(net));
    cli_table_add_optional(t, "ovn logical switch",
                           xstrdup(cli_json_str(net, "status.ovnLogicalSwitch")));
    cli_table_add_optional(t, "ovn logical router",
                           xstrdup(cli_json_str(net, "status.ovnLogicalRouter")));
    cli_table_add_optional(t, "created", xstrdup(cli_json_str(net, "createdAt")));
    cli_table_add_optional(t, "updated", xstrdup(cli_json_str(net, "updatedAt")));
    free(ports);
    free(spec_mtu);
    free(mtu);
    return t;
}

static int
cmd_create(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_send_and_show("VirtualNetworkService/CreateNetwork",
                             network_create_request(args, &err), &err, network_show_table);
}

static int
cmd_update(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_send_and_show("VirtualNetworkService/UpdateNetwork",
                             network_update_request(args, &err), &err, network_show_table);
}

static int
cmd_show(const struct cli_args *args)
{
    return cli_show(&cli_network_resource, args->pos[0], network_show_table);
}

static int
cmd_list(const struct cli_args *args)
{
    struct cli_error err = {0};
    json_t *req = network_list_request(args, &err);
    json_t *reply = req ? cli_list_all(&cli_network_resource, req, &err) : NULL;
    json_decref(req);
    if (!reply) {
        return cli_error_report(&err);
    }
    const char *type = cli_args_get(args, OPT_TYPE);
    json_t *networks = json_object_get(reply, "networks");
    for (size_t i = json_array_size(networks); type && i-- > 0;) {
        char *t = type_text(json_array_get(networks, i));
        if (strcasecmp(t, type)) {
            json_array_remove(networks, i);
        }
        free(t);
    }
    cli_print_list(reply, &cli_network_resource, network_list_table);
    json_decref(reply);
    return CLI_OK;
}

static int
cmd_delete(const struct cli_args *args)
{
    static const struct cli_deleter deleter = {
        &cli_network_resource, "VirtualNetworkService/DeleteNetwork", "Deleted", false};
    json_t *extra = cli_args_has(args, OPT_FORCE) ? json_pack("{s:b}", "force", true) : NULL;
    int status = cli_delete_each(&deleter, args, extra);
    json_decref(extra);
    return status;
}

static const struct cli_option create_options[] = {
    {"subnet", OPT_SUBNET, "CIDR", "IPv4 subnet, e.g. 10.0.1.0/24"},
    {"gateway", OPT_GATEWAY, "IP", "IPv4 gateway (default: the first host address)"},
    {"pool", OPT_POOL, "START-END",
     "range of addresses handed out (repeatable;\ndefault: the whole subnet)"},
    {"reserve", OPT_RESERVE, "IP", "address never handed out (repeatable)"},
    {"dns", OPT_DNS, "IP", "DNS server announced by DHCP (repeatable)"},
    {"ntp", OPT_NTP, "IP", "NTP server announced by DHCP (repeatable)"},
    {"domain", OPT_DOMAIN, "NAME", "DNS domain announced by DHCP"},
    {"lease", OPT_LEASE, "SECONDS", "DHCP lease time"},
    {"no-dhcp", OPT_NO_DHCP, NULL, "do not run DHCP on this network"},
    {"static", OPT_STATIC, "MAC=IP[=HOST]", "fixed DHCP answer for a MAC (repeatable)"},
    {"type", OPT_TYPE, "TYPE",
     "overlay (default), isolated, vlan or external;\nvlan and external need an admin token"},
    {"vlan", OPT_VLAN, "ID", "VLAN tag (1-4094) for vlan/external networks"},
    {"physical-network", OPT_PHYSNET, "NAME",
     "provider network (bridge mapping) for vlan/external"},
    {"ipv6-subnet", OPT_IPV6_SUBNET, "CIDR", "IPv6 subnet, e.g. fd00:1::/64"},
    {"ipv6-gateway", OPT_IPV6_GATEWAY, "IP", "IPv6 gateway"},
    {"mtu", OPT_MTU, "N", "MTU (default: derived from the physical MTU)"},
    {"no-port-security", OPT_NO_PORT_SECURITY, NULL,
     "ports default to no filtering and no anti-spoofing"},
    {"shared", OPT_SHARED, NULL, "visible to every project (admin only)"},
    {"router", OPT_ROUTER, NULL, "route to the project's other routed networks"},
    {"external-gateway", OPT_EXTERNAL_GATEWAY, "NET",
     "route to the outside through external network NET\n(name or id; implies --router)"},
    {"no-snat", OPT_NO_SNAT, NULL,
     "no source NAT to the external network: the outside\nsees the network's own addresses"},
    {"route", OPT_ROUTE, "DEST=NEXTHOP",
     "static route on the router, e.g. 192.168.0.0/16=10.0.1.254\n(repeatable; implies --router)"},
    {"project", OPT_PROJECT, "ID", "owning project (default: the token's)"},
    {"description", OPT_DESCRIPTION, "TEXT", "free text"},
    {"label", OPT_LABEL, "KEY=VALUE", "label (repeatable)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option update_options[] = {
    {"description", OPT_DESCRIPTION, "TEXT", "new description"},
    {"label", OPT_LABEL, "KEY=VALUE", "set the labels to these (repeatable; replaces all)"},
    {"dns", OPT_DNS, "IP", "DHCP DNS servers (repeatable; replaces the list)"},
    {"no-dns", OPT_NO_DNS, NULL, "announce no DNS servers"},
    {"ntp", OPT_NTP, "IP", "DHCP NTP servers (repeatable; replaces the list)"},
    {"no-ntp", OPT_NO_NTP, NULL, "announce no NTP servers"},
    {"domain", OPT_DOMAIN, "NAME", "DNS domain announced by DHCP"},
    {"lease", OPT_LEASE, "SECONDS", "DHCP lease time"},
    {"dhcp", OPT_DHCP, NULL, "turn DHCP on"},
    {"no-dhcp", OPT_NO_DHCP, NULL, "turn DHCP off"},
    {"static", OPT_STATIC, "MAC=IP[=HOST]", "static DHCP bindings (repeatable; replaces all)"},
    {"no-static", OPT_NO_STATIC, NULL, "remove all static DHCP bindings"},
    {"mtu", OPT_MTU, "N", "MTU (0: derived)"},
    {"port-security", OPT_PORT_SECURITY, NULL, "ports default to filtering and anti-spoofing"},
    {"no-port-security", OPT_NO_PORT_SECURITY, NULL, "ports default to no filtering"},
    {"shared", OPT_SHARED, NULL, "share with every project (admin only)"},
    {"no-shared", OPT_NO_SHARED, NULL, "stop sharing"},
    {"router", OPT_ROUTER, NULL, "attach to the project's router"},
    {"no-router", OPT_NO_ROUTER, NULL, "detach from the router"},
    {"external-gateway", OPT_EXTERNAL_GATEWAY, "NET",
     "route to the outside through external network NET\n(implies --router; \"\" removes it)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option list_options[] = {
    {"project", OPT_PROJECT, "ID", "networks of this project (default: the token's)"},
    {"label", OPT_LABEL, "KEY=VALUE", "only networks with this label (repeatable)"},
    {"type", OPT_TYPE, "TYPE", "only networks of this type"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option delete_options[] = {
    {"force", OPT_FORCE, NULL, "delete even if the network still has ports"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command network_commands[] = {
    {"create", "NAME [--subnet CIDR] [options]", "Create a virtual network",
     "The network is PENDING until it exists in OVN, then READY. Without --subnet\n"
     "it carries no IPv4 addressing (and no DHCP).",
     create_options,
     "  lqnet network create web --subnet 10.0.1.0/24 --dns 10.0.0.2 --router\n"
     "  lqnet network create db --subnet 10.0.2.0/24 --pool 10.0.2.100-10.0.2.200 \\\n"
     "      --static 52:54:00:00:00:10=10.0.2.10=db1 --label tier=db\n"
     "  lqnet network create public --type external --physical-network physnet1 \\\n"
     "      --subnet 203.0.113.0/24 --shared\n"
     "  lqnet network create app --subnet 10.0.3.0/24 --external-gateway public\n"
     "  lqnet network create lab --subnet 10.0.4.0/24 --external-gateway public --no-snat \\\n"
     "      --route 192.168.0.0/16=10.0.4.254\n",
     1, 1, cmd_create},
    {"list", "[options]", "List networks", NULL, list_options,
     "  lqnet network list\n"
     "  lqnet network list --label tier=db -o json\n",
     0, 0, cmd_list},
    {"show", "NAME|ID", "Show a network with its status, IP usage, MTU and DHCP", NULL,
     cli_no_options,
     "  lqnet network show web\n"
     "  lqnet network show web -o json | jq .status\n",
     1, 1, cmd_show},
    {"update", "NAME|ID [options]", "Change a network",
     "Only the fields named by options change (the request's updateMask lists\n"
     "them); list options replace the whole list.",
     update_options,
     "  lqnet network update web --dns 10.0.0.2 --dns 10.0.0.3\n"
     "  lqnet network update web --no-port-security --description 'lab only'\n"
     "  lqnet network update web --external-gateway public\n",
     1, 1, cmd_update},
    {"delete", "NAME|ID... [--force]", "Delete networks",
     "A network that still has ports is refused unless --force is given.", delete_options,
     "  lqnet network delete web\n"
     "  lqnet network delete web db --force\n",
     1, -1, cmd_delete},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

const struct cli_group network_group = {
    "network", "Create, list, show, update and delete virtual networks", network_commands, false,
    NULL,
};
