/* lqnet router: RouterService. Routers follow from the networks' router
 * settings, so there is nothing to create; they have no names either, so
 * a router can also be named by a network it routes. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

enum {
    OPT_PROJECT = 256,
    OPT_NETWORK,
};

/* Returns the router of 'routers' (an array of Router) that routes network
 * 'net_id', or else the only one whose gateway is on it. Borrowed; NULL
 * with 'err' set if there is none or several. */
static json_t *
router_of_network(json_t *routers, const char *net_id, const char *net_text, struct cli_error *err)
{
    json_t *gateway = NULL;
    size_t n_gateway = 0;
    size_t i;
    json_t *r;
    json_array_foreach(routers, i, r)
    {
        size_t k;
        json_t *id;
        json_array_foreach(json_object_get(r, "networkIds"), k, id)
        {
            if (!strcmp(json_string_value(id), net_id)) {
                return r;
            }
        }
        if (!strcmp(cli_json_str(r, "externalNetworkId"), net_id)) {
            gateway = r;
            n_gateway++;
        }
    }
    if (n_gateway == 1) {
        return gateway;
    }
    if (n_gateway) {
        cli_error_set(err, CLI_API_ERROR, "invalid_argument",
                      "%zu routers have their gateway on %s; give the router id", n_gateway,
                      net_text);
    } else {
        cli_error_set(err, CLI_API_ERROR, "not_found",
                      "no router routes %s; 'lqnet router list' shows the routers", net_text);
    }
    return NULL;
}

json_t *
router_find(const char *ref, bool network_only, struct cli_error *err)
{
    if (!network_only && lq_uuid_is_valid(ref)) {
        json_t *req = json_pack("{s:s}", "id", ref);
        json_t *router = cli_call("RouterService/GetRouter", req, err);
        json_decref(req);
        if (router || strcmp(err->code ? err->code : "", "not_found")) {
            return router;
        }
        /* Not a router id: perhaps a network's. */
        cli_error_clear(err);
    }
    char *net_id = cli_resolve(&cli_network_resource, ref, NULL, err);
    if (!net_id) {
        if (!network_only && err->code && !strcmp(err->code, "not_found")) {
            cli_error_clear(err);
            cli_error_set(err, CLI_API_ERROR, "not_found",
                          "'%s' is neither a router id nor a network's name; 'lqnet router "
                          "list' shows the routers",
                          ref);
        }
        return NULL;
    }
    json_t *list = cli_list_all(&cli_router_resource, NULL, err);
    json_t *router = NULL;
    if (list) {
        char *text = strcmp(ref, net_id) ? xasprintf("network %s (%s)", ref, net_id)
                                         : xasprintf("network %s", net_id);
        router =
            json_incref(router_of_network(json_object_get(list, "routers"), net_id, text, err));
        free(text);
        json_decref(list);
    }
    free(net_id);
    return router;
}

/* The attached networks by name, one per line. */
static char *
networks_text(json_t *router, json_t *networks)
{
    char *out = xstrdup("");
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(router, "networkIds"), i, id)
    {
        cli_append(&out, "\n", "%s", cli_index_name(networks, json_string_value(id)));
    }
    return out;
}

/* "public (ID)", or the id alone when the name is unknown. */
static char *
network_ref_text(json_t *networks, const char *id)
{
    const char *name = cli_index_name(networks, id);
    return strcmp(name, id) ? xasprintf("%s (%s)", name, id) : xstrdup(id);
}

struct cli_table *
router_list_table(json_t *routers, json_t *networks)
{
    static const char *const headers[] = {"ID",       "EXTERNAL-NETWORK", "EXTERNAL-IP",
                                          "NETWORKS", "GATEWAY-HOST",     "STATUS"};
    struct cli_table *t = cli_table_new(LQ_ARRAY_SIZE(headers), headers);
    size_t i;
    json_t *r;
    json_array_foreach(routers, i, r)
    {
        const char *ext = cli_json_str(r, "externalNetworkId");
        char *cells[] = {
            xstrdup(cli_json_str(r, "id")),
            xstrdup(*ext ? cli_index_name(networks, ext) : ""),
            xstrdup(cli_json_str(r, "externalIp")),
            networks_text(r, networks),
            xstrdup(cli_json_str(r, "gatewayHost")),
            cli_phase_text(r),
        };
        cli_table_add_row_owned(t, cells);
    }
    return t;
}

struct cli_table *
router_show_table(json_t *router, json_t *networks)
{
    struct cli_table *t = cli_table_new_fields();
    const char *ext = cli_json_str(router, "externalNetworkId");
    char *routes = xstrdup("");
    size_t i;
    json_t *route;
    json_array_foreach(json_object_get(router, "routes"), i, route)
    {
        cli_append(&routes, "\n", "%s via %s", cli_json_str(route, "destination"),
                   cli_json_str(route, "nextHop"));
    }
    cli_table_add_field(t, "id", xstrdup(cli_json_str(router, "id")));
    cli_table_add_optional(t, "project", xstrdup(cli_json_str(router, "projectId")));
    cli_table_add_field(t, "status", cli_phase_text(router));
    cli_table_add_field(t, "external network",
                        *ext ? network_ref_text(networks, ext) : xstrdup("none (internal only)"));
    cli_table_add_optional(t, "external ip", xstrdup(cli_json_str(router, "externalIp")));
    cli_table_add_optional(t, "gateway host", xstrdup(cli_json_str(router, "gatewayHost")));
    cli_table_add_optional(t, "routes", routes);
    cli_table_add_field(t, "networks",
                        xasprintf("%zu", json_array_size(json_object_get(router, "networkIds"))));
    return t;
}

struct cli_table *
router_networks_table(json_t *router, json_t *networks)
{
    static const char *const headers[] = {"NETWORK-ID", "NAME", "SUBNET", "GATEWAY", "SNAT"};
    struct cli_table *t = cli_table_new(LQ_ARRAY_SIZE(headers), headers);
    bool external = *cli_json_str(router, "externalNetworkId");
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(router, "networkIds"), i, id)
    {
        json_t *net = json_object_get(networks, json_string_value(id));
        const char *v4 = cli_json_str(net, "spec.ipConfig.ipv4Subnet");
        const char *v6 = cli_json_str(net, "spec.ipConfig.ipv6Subnet");
        json_t *snat = cli_json_get(net, "spec.router.enableSnat");
        char *cells[] = {
            xstrdup(json_string_value(id)),
            xstrdup(cli_json_str(net, "name")),
            xasprintf("%s%s%s", v4, *v4 && *v6 ? "\n" : "", v6),
            xstrdup(cli_json_str(net, "spec.ipConfig.ipv4Gateway")),
            xstrdup(!external || !net     ? ""
                    : json_is_false(snat) ? "no"
                                          : "yes"),
        };
        cli_table_add_row_owned(t, cells);
    }
    return t;
}

/* Every visible network by id, for names: external networks belong to
 * other projects, so no project filter. */
static json_t *
network_index(void)
{
    return cli_index(&cli_network_resource, NULL);
}

static int
cmd_list(const struct cli_args *args)
{
    struct cli_error err = {0};
    const char *project = cli_args_get(args, OPT_PROJECT);
    json_t *req = project ? json_pack("{s:s}", "projectId", project) : json_object();
    json_t *reply = cli_list_all(&cli_router_resource, req, &err);
    json_decref(req);
    if (!reply) {
        return cli_error_report(&err);
    }
    if (cli_get_output() == CLI_OUTPUT_JSON) {
        cli_print_json(reply);
    } else {
        json_t *networks = network_index();
        struct cli_table *t = router_list_table(json_object_get(reply, "routers"), networks);
        cli_table_print(t);
        cli_table_destroy(t);
        json_decref(networks);
    }
    json_decref(reply);
    return CLI_OK;
}

static int
cmd_show(const struct cli_args *args)
{
    struct cli_error err = {0};
    const char *network = cli_args_get(args, OPT_NETWORK);
    if (!network == !args->n_pos) {
        cli_error_set(&err, CLI_USAGE, NULL, "give a router id or --network NET (one of them)");
        return cli_error_report(&err);
    }
    json_t *router = router_find(network ? network : args->pos[0], network != NULL, &err);
    if (!router) {
        return cli_error_report(&err);
    }
    if (cli_get_output() == CLI_OUTPUT_JSON) {
        cli_print_json(router);
    } else {
        json_t *networks = network_index();
        struct cli_table *t = router_show_table(router, networks);
        cli_table_print(t);
        cli_table_destroy(t);
        if (json_array_size(json_object_get(router, "networkIds"))) {
            putchar('\n');
            t = router_networks_table(router, networks);
            cli_table_print(t);
            cli_table_destroy(t);
        }
        json_decref(networks);
    }
    json_decref(router);
    return CLI_OK;
}

static const struct cli_option list_options[] = {
    {"project", OPT_PROJECT, "ID", "routers of this project (default: the token's)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option show_options[] = {
    {"network", OPT_NETWORK, "NET", "the router that routes network NET (name or id)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command router_commands[] = {
    {"list", "[--project ID]", "List routers",
     "lqnetd keeps one router per project and external network (or none, for\n"
     "internal routing): the networks' --router and --external-gateway settings\n"
     "make and remove them.",
     list_options,
     "  lqnet router list\n"
     "  lqnet router list -o json\n",
     0, 0, cmd_list},
    {"show", "ID|NETWORK | --network NET", "Show a router and the networks it routes",
     "Routers have no names: give the router's id, or a network it routes (by\n"
     "name or id), or the external network its gateway is on.",
     show_options,
     "  lqnet router show 4f1c2a3b-...\n"
     "  lqnet router show web\n"
     "  lqnet router show --network web -o json\n",
     0, 1, cmd_show},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

const struct cli_group router_group = {
    "router",
    "List and show routers (made by the networks' router settings)",
    router_commands,
    false,
    NULL,
};
