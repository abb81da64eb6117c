/* lqnet floating-ip (fip): FloatingIpService. Floating IPs have no names:
 * they go by id or by their address. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

enum {
    OPT_EXTERNAL_NETWORK = 256,
    OPT_IP,
    OPT_DESCRIPTION,
    OPT_LABEL,
    OPT_PROJECT,
    OPT_UNASSIGNED,
    OPT_FIXED_IP,
};

json_t *
fip_allocate_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_object();
    json_t *labels = json_object();
    const char *external = NULL;
    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        const char *v = args->opts[i].value;
        switch (args->opts[i].key) {
        case OPT_EXTERNAL_NETWORK:
            external = v;
            break;
        case OPT_IP:
            json_object_set_new(req, "ipAddress", json_string(v));
            break;
        case OPT_DESCRIPTION:
            json_object_set_new(req, "description", json_string(v));
            break;
        case OPT_LABEL:
            cli_parse_label("label", v, labels, err);
            break;
        case OPT_PROJECT:
            json_object_set_new(req, "projectId", json_string(v));
            break;
        }
    }
    if (!err->status && !external) {
        cli_error_set(err, CLI_USAGE, NULL, "--external-network is required");
    }
    if (json_object_size(labels)) {
        json_object_set(req, "labels", labels);
    }
    json_decref(labels);

    char *id = err->status ? NULL : cli_resolve_external(external, err);
    if (!id) {
        json_decref(req);
        return NULL;
    }
    json_t *ordered = json_pack("{s:s}", "externalNetworkId", id);
    json_object_update(ordered, req);
    json_decref(req);
    free(id);
    return ordered;
}

json_t *
fip_list_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_object();
    const char *project = cli_args_get(args, OPT_PROJECT);
    const char *external = cli_args_get(args, OPT_EXTERNAL_NETWORK);
    if (project) {
        json_object_set_new(req, "projectId", json_string(project));
    }
    if (cli_args_has(args, OPT_UNASSIGNED)) {
        json_object_set_new(req, "unassignedOnly", json_true());
    }
    if (external) {
        char *id = cli_resolve_external(external, err);
        if (!id) {
            json_decref(req);
            return NULL;
        }
        json_object_set_new(req, "externalNetworkId", json_string(id));
        free(id);
    }
    return req;
}

json_t *
fip_associate_request(const struct cli_args *args, struct cli_error *err)
{
    char *fip = cli_resolve(&cli_floating_ip_resource, args->pos[0], NULL, err);
    char *port = fip ? cli_resolve(&cli_port_resource, args->pos[1], NULL, err) : NULL;
    json_t *req = NULL;
    if (port) {
        const char *fixed = cli_args_get(args, OPT_FIXED_IP);
        req = json_pack("{s:s, s:s}", "floatingIpId", fip, "portId", port);
        if (fixed) {
            json_object_set_new(req, "fixedIp", json_string(fixed));
        }
    }
    free(fip);
    free(port);
    return req;
}

/* "web-1 (ID)" from 'index' (may be NULL), or the id alone. */
static char *
ref_text(json_t *index, const char *id)
{
    const char *name = cli_index_name(index, id);
    return *id && strcmp(name, id) ? xasprintf("%s (%s)", name, id) : xstrdup(id);
}

struct cli_table *
fip_list_table(json_t *fips, json_t *networks, json_t *ports)
{
    static const char *const headers[] = {"ID",   "IP",       "EXTERNAL-NETWORK",
                                          "PORT", "FIXED-IP", "STATUS"};
    struct cli_table *t = cli_table_new(LQ_ARRAY_SIZE(headers), headers);
    size_t i;
    json_t *fip;
    json_array_foreach(fips, i, fip)
    {
        const char *cells[] = {
            cli_json_str(fip, "id"),
            cli_json_str(fip, "ipAddress"),
            cli_index_name(networks, cli_json_str(fip, "externalNetworkId")),
            cli_index_name(ports, cli_json_str(fip, "assignment.portId")),
            cli_json_str(fip, "assignment.fixedIp"),
            NULL,
        };
        /* ListFloatingIps may leave the status out; unassociated is DOWN
         * by definition. */
        bool derive = !*cli_json_str(fip, "status.phase") && !*cells[3];
        char *phase = derive ? xstrdup("DOWN") : cli_phase_text(fip);
        cells[5] = phase;
        cli_table_add_row(t, cells);
        free(phase);
    }
    return t;
}

struct cli_table *
fip_show_table(json_t *fip, json_t *networks, json_t *ports)
{
    struct cli_table *t = cli_table_new_fields();
    cli_table_add_field(t, "id", xstrdup(cli_json_str(fip, "id")));
    cli_table_add_field(t, "ip address", xstrdup(cli_json_str(fip, "ipAddress")));
    cli_table_add_field(t, "external network",
                        ref_text(networks, cli_json_str(fip, "externalNetworkId")));
    cli_table_add_optional(t, "project", xstrdup(cli_json_str(fip, "projectId")));
    cli_table_add_optional(t, "description", xstrdup(cli_json_str(fip, "description")));
    cli_table_add_field(t, "status", cli_phase_text(fip));
    const char *port = cli_json_str(fip, "assignment.portId");
    cli_table_add_field(t, "port", *port ? ref_text(ports, port) : xstrdup("none"));
    cli_table_add_optional(t, "fixed ip", xstrdup(cli_json_str(fip, "assignment.fixedIp")));
    cli_table_add_optional(t, "vm", xstrdup(cli_json_str(fip, "status.vmId")));
    cli_table_add_optional(t, "router", xstrdup(cli_json_str(fip, "status.routerId")));
    cli_table_add_optional(t, "labels", cli_labels_text(fip));
    cli_table_add_optional(t, "created", xstrdup(cli_json_str(fip, "createdAt")));
    cli_table_add_optional(t, "updated", xstrdup(cli_json_str(fip, "updatedAt")));
    return t;
}

/* The tables name networks and ports; only they need the lists. Networks
 * unfiltered, as external networks belong to other projects. */
static struct cli_table *
fip_show_render(json_t *fip)
{
    json_t *networks = cli_index(&cli_network_resource, NULL);
    json_t *ports =
        *cli_json_str(fip, "assignment.portId") ? cli_index(&cli_port_resource, NULL) : NULL;
    struct cli_table *t = fip_show_table(fip, networks, ports);
    json_decref(networks);
    json_decref(ports);
    return t;
}

static struct cli_table *
fip_list_render(json_t *fips)
{
    json_t *networks = cli_index(&cli_network_resource, NULL);
    json_t *ports = cli_index(&cli_port_resource, NULL);
    struct cli_table *t = fip_list_table(fips, networks, ports);
    json_decref(networks);
    json_decref(ports);
    return t;
}

static int
cmd_allocate(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_send_and_show("FloatingIpService/AllocateFloatingIp",
                             fip_allocate_request(args, &err), &err, fip_show_render);
}

static int
cmd_list(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_list(&cli_floating_ip_resource, fip_list_request(args, &err), &err, fip_list_render);
}

static int
cmd_show(const struct cli_args *args)
{
    return cli_show(&cli_floating_ip_resource, args->pos[0], fip_show_render);
}

static int
cmd_associate(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_send_and_show("FloatingIpService/AssociateFloatingIp",
                             fip_associate_request(args, &err), &err, fip_show_render);
}

static int
cmd_disassociate(const struct cli_args *args)
{
    struct cli_error err = {0};
    char *id = cli_resolve(&cli_floating_ip_resource, args->pos[0], NULL, &err);
    json_t *req = id ? json_pack("{s:s}", "floatingIpId", id) : NULL;
    free(id);
    return cli_send_and_show("FloatingIpService/DisassociateFloatingIp", req, &err,
                             fip_show_render);
}

static int
cmd_release(const struct cli_args *args)
{
    static const struct cli_deleter releaser = {
        &cli_floating_ip_resource, "FloatingIpService/ReleaseFloatingIp", "Released", false};
    return cli_delete_each(&releaser, args, NULL);
}

static const struct cli_option allocate_options[] = {
    {"external-network", OPT_EXTERNAL_NETWORK, "NET",
     "external network to take the address from\n(name or id; required)"},
    {"ip", OPT_IP, "IP", "this address (default: one from the network's pools)"},
    {"description", OPT_DESCRIPTION, "TEXT", "free text"},
    {"label", OPT_LABEL, "KEY=VALUE", "label (repeatable)"},
    {"project", OPT_PROJECT, "ID", "owning project (default: the token's)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option list_options[] = {
    {"external-network", OPT_EXTERNAL_NETWORK, "NET", "only addresses of this external network"},
    {"unassigned", OPT_UNASSIGNED, NULL, "only floating IPs not associated with a port"},
    {"project", OPT_PROJECT, "ID", "floating IPs of this project (default: the token's)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option associate_options[] = {
    {"fixed-ip", OPT_FIXED_IP, "IP", "the port's address to map to\n(default: its first IPv4 one)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command fip_commands[] = {
    {"allocate", "--external-network NET [options]", "Allocate a floating IP",
     "Takes an address of an EXTERNAL network for the project. It is DOWN until\n"
     "associated with a port.",
     allocate_options,
     "  lqnet floating-ip allocate --external-network public\n"
     "  lqnet fip allocate --external-network public --ip 203.0.113.150 --description www\n",
     0, 0, cmd_allocate},
    {"list", "[options]", "List floating IPs", NULL, list_options,
     "  lqnet floating-ip list\n"
     "  lqnet fip list --unassigned -o json\n",
     0, 0, cmd_list},
    {"show", "ID|IP", "Show a floating IP and what it is associated with", NULL, cli_no_options,
     "  lqnet floating-ip show 203.0.113.150\n", 1, 1, cmd_show},
    {"associate", "FIP PORT [--fixed-ip IP]", "Map a floating IP to a port",
     "FIP is an id or the address; PORT a name or id. The port's network must be\n"
     "routed to the floating IP's external network (lqnet network create/update\n"
     "--external-gateway). The outside then reaches the port at the floating IP,\n"
     "and the port's own traffic leaves as it. Associating an associated floating\n"
     "IP moves it.",
     associate_options,
     "  lqnet floating-ip associate 203.0.113.150 web-1\n"
     "  lqnet fip associate 203.0.113.150 web-1 --fixed-ip 10.0.1.20\n",
     2, 2, cmd_associate},
    {"disassociate", "FIP", "Remove a floating IP's mapping (it stays allocated)", NULL,
     cli_no_options, "  lqnet floating-ip disassociate 203.0.113.150\n", 1, 1, cmd_disassociate},
    {"release", "FIP...", "Give floating IPs back to their external network", NULL, cli_no_options,
     "  lqnet floating-ip release 203.0.113.150\n", 1, -1, cmd_release},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

const struct cli_group fip_group = {
    "floating-ip", "Allocate, associate and release floating IPs", fip_commands, false, "fip",
};
