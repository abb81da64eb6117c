/* lqnet port: PortService. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

enum {
    OPT_NETWORK = 256,
    OPT_MAC,
    OPT_IP,
    OPT_PORT_SECURITY,
    OPT_NO_PORT_SECURITY,
    OPT_ADMIN_UP,
    OPT_ADMIN_DOWN,
    OPT_SECURITY_GROUP,
    OPT_NO_SECURITY_GROUPS,
    OPT_ALLOWED_ADDRESS,
    OPT_NO_ALLOWED_ADDRESSES,
    OPT_HOST,
    OPT_LABEL,
    OPT_PROJECT,
    OPT_VM,
    OPT_DEVICE,
};

/* Parses "--allowed-address IP[,MAC]" into an AddressPair. */
static json_t *
parse_address_pair(const char *value, struct cli_error *err)
{
    const char *comma = strchr(value, ',');
    if (comma == value || (comma && (!comma[1] || strchr(comma + 1, ','))) || !*value) {
        cli_error_set(err, CLI_USAGE, NULL,
                      "--allowed-address expects IP[/PREFIX][,MAC], e.g. 10.0.1.50,"
                      "52:54:00:aa:bb:cc, not '%s'",
                      value);
        return NULL;
    }
    char *ip = comma ? xstrndup(value, comma - value) : xstrdup(value);
    json_t *pair = json_pack("{s:s}", "ipAddress", ip);
    if (comma) {
        json_object_set_new(pair, "macAddress", json_string(comma + 1));
    }
    free(ip);
    return pair;
}

/* Resolves every --security-group of 'args' into the array at 'path' of
 * 'req'. Returns false with 'err' set if one cannot be found. */
static bool
resolve_security_groups(const struct cli_args *args, const char *project, json_t *req,
                        const char *path, struct cli_error *err)
{
    for (size_t i = 0; i < args->n_opts; i++) {
        if (args->opts[i].key == OPT_SECURITY_GROUP) {
            char *id = cli_resolve(&cli_security_group_resource, args->opts[i].value, project, err);
            if (!id) {
                return false;
            }
            cli_json_append(req, path, json_string(id));
            free(id);
        }
    }
    return true;
}

json_t *
port_create_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_pack("{s:s}", "name", args->pos[0]);
    json_t *labels = json_object();
    const char *network = NULL;
    const char *project = NULL;

    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        const char *v = args->opts[i].value;
        json_t *item;
        switch (args->opts[i].key) {
        case OPT_NETWORK:
            network = v;
            break;
        case OPT_PROJECT:
            project = v;
            break;
        case OPT_MAC:
            cli_json_set(req, "spec.macAddress", json_string(v));
            break;
        case OPT_IP:
            cli_json_append(req, "spec.fixedIps", json_pack("{s:s}", "ipAddress", v));
            break;
        case OPT_NO_PORT_SECURITY:
            cli_json_set(req, "spec.portSecurityEnabled", json_false());
            break;
        case OPT_ADMIN_DOWN:
            cli_json_set(req, "spec.adminStateUp", json_false());
            break;
        case OPT_ALLOWED_ADDRESS:
            if ((item = parse_address_pair(v, err))) {
                cli_json_append(req, "spec.allowedAddressPairs", item);
            }
            break;
        case OPT_HOST:
            cli_json_set(req, "spec.binding.hostId", json_string(v));
            break;
        case OPT_LABEL:
            cli_parse_label("label", v, labels, err);
            break;
        }
    }
    if (!err->status && !network) {
        cli_error_set(err, CLI_USAGE, NULL, "--network is required");
    }
    if (json_object_size(labels)) {
        json_object_set(req, "labels", labels);
    }
    json_decref(labels);

    /* Name lookups only once the command line is known to be good. */
    char *network_id =
        err->status ? NULL : cli_resolve(&cli_network_resource, network, project, err);
    if (network_id) {
        json_object_set_new(req, "networkId", json_string(network_id));
        free(network_id);
        if (project) {
            json_object_set_new(req, "projectId", json_string(project));
        }
        resolve_security_groups(args, project, req, "spec.securityGroupIds", err);
    }
    if (err->status) {
        json_decref(req);
        return NULL;
    }
    return req;
}

json_t *
port_update_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_object();
    bool groups = false;
    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        int key = args->opts[i].key;
        json_t *item;
        const char *path = NULL; /* The field this option sets, for the mask. */
        switch (key) {
        case OPT_ADMIN_UP:
        case OPT_ADMIN_DOWN:
            cli_json_set(req, path = "spec.adminStateUp", json_boolean(key == OPT_ADMIN_UP));
            break;
        case OPT_PORT_SECURITY:
        case OPT_NO_PORT_SECURITY:
            cli_json_set(req, path = "spec.portSecurityEnabled",
                         json_boolean(key == OPT_PORT_SECURITY));
            break;
        case OPT_SECURITY_GROUP:
            groups = true;
            break;
        case OPT_NO_SECURITY_GROUPS:
            cli_json_set(req, path = "spec.securityGroupIds", json_array());
            break;
        case OPT_ALLOWED_ADDRESS:
            if ((item = parse_address_pair(args->opts[i].value, err))) {
                cli_json_append(req, path = "spec.allowedAddressPairs", item);
            }
            break;
        case OPT_NO_ALLOWED_ADDRESSES:
            cli_json_set(req, path = "spec.allowedAddressPairs", json_array());
            break;
        }
        if (path) {
            cli_mask_add(req, path);
        }
    }
    if (!err->status && groups && cli_json_get(req, "spec.securityGroupIds")) {
        cli_error_set(err, CLI_USAGE, NULL,
                      "give --security-group or --no-security-groups, not both");
    } else if (!err->status && !groups && !json_object_get(req, "updateMask")) {
        cli_error_set(err, CLI_USAGE, NULL, "nothing to update: give at least one option");
    }

    char *id = err->status ? NULL : cli_resolve(&cli_port_resource, args->pos[0], NULL, err);
    if (id && groups && resolve_security_groups(args, NULL, req, "spec.securityGroupIds", err)) {
        cli_mask_add(req, "spec.securityGroupIds");
    }
    if (err->status) {
        free(id);
        json_decref(req);
        return NULL;
    }
    json_t *ordered = json_pack("{s:s}", "id", id);
    json_object_update(ordered, req);
    json_decref(req);
    free(id);
    return ordered;
}

json_t *
port_list_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_object();
    const char *network = cli_args_get(args, OPT_NETWORK);
    const char *project = cli_args_get(args, OPT_PROJECT);
    const char *vm = cli_args_get(args, OPT_VM);
    if (project) {
        json_object_set_new(req, "projectId", json_string(project));
    }
    if (vm) {
        json_object_set_new(req, "vmId", json_string(vm));
    }
    if (network) {
        char *id = cli_resolve(&cli_network_resource, network, project, err);
        if (!id) {
            json_decref(req);
            return NULL;
        }
        json_object_set_new(req, "networkId", json_string(id));
        free(id);
    }
    return req;
}

/* The port's addresses: what the server assigned, else what was asked for. */
static char *
ips_text(json_t *port, const char *sep)
{
    char *ips = cli_json_text(port, "status.ipAddresses", sep);
    if (!*ips) {
        size_t i;
        json_t *fixed;
        json_array_foreach(cli_json_get(port, "spec.fixedIps"), i, fixed)
        {
            cli_append(&ips, sep, "%s", cli_json_str(fixed, "ipAddress"));
        }
    }
    return ips;
}

static const char *
first_of(json_t *obj, const char *path1, const char *path2)
{
    const char *s = cli_json_str(obj, path1);
    return *s ? s : cli_json_str(obj, path2);
}

struct cli_table *
port_list_table(json_t *ports, json_t *network_names)
{
    static const char *const headers[] = {"ID", "NAME", "NETWORK", "MAC", "IPS", "STATUS", "HOST"};
    struct cli_table *t = cli_table_new(LQ_ARRAY_SIZE(headers), headers);
    size_t i;
    json_t *port;
    json_array_foreach(ports, i, port)
    {
        const char *net = cli_json_str(port, "networkId");
        const char *net_name = json_string_value(json_object_get(network_names, net));
        char *cells[] = {
            xstrdup(cli_json_str(port, "id")),
            xstrdup(cli_json_str(port, "name")),
            xstrdup(net_name && *net_name ? net_name : net),
            xstrdup(first_of(port, "status.macAddress", "spec.macAddress")),
            ips_text(port, ", "),
            cli_phase_text(port),
            xstrdup(first_of(port, "status.hostId", "spec.binding.hostId")),
        };
        cli_table_add_row_owned(t, cells);
    }
    return t;
}

struct cli_table *
port_show_table(json_t *port)
{
    struct cli_table *t = cli_table_new_fields();
    json_t *security = cli_json_get(port, "spec.portSecurityEnabled");
    char *pairs = xstrdup("");
    size_t i;
    json_t *pair;
    json_array_foreach(cli_json_get(port, "spec.allowedAddressPairs"), i, pair)
    {
        const char *mac = cli_json_str(pair, "macAddress");
        cli_append(&pairs, "\n", "%s%s%s", cli_json_str(pair, "ipAddress"), *mac ? " " : "", mac);
    }

    cli_table_add_optional(t, "id", xstrdup(cli_json_str(port, "id")));
    cli_table_add_optional(t, "name", xstrdup(cli_json_str(port, "name")));
    cli_table_add_optional(t, "project", xstrdup(cli_json_str(port, "projectId")));
    cli_table_add_optional(t, "network", xstrdup(cli_json_str(port, "networkId")));
    cli_table_add_optional(t, "status", cli_phase_text(port));
    cli_table_add_optional(t, "mac address",
                           xstrdup(first_of(port, "status.macAddress", "spec.macAddress")));
    cli_table_add_optional(t, "ip addresses", ips_text(port, "\n"));
    cli_table_add_optional(
        t, "admin state",
        xstrdup(json_is_false(cli_json_get(port, "spec.adminStateUp")) ? "down" : "up"));
    /* Absent means the network's value, which the server fills in. */
    cli_table_add_optional(t, "port security",
                           xstrdup(json_is_false(security) ? "disabled"
                                   : security              ? "enabled"
                                                           : "network default"));
    cli_table_add_optional(t, "security groups",
                           cli_json_text(port, "spec.securityGroupIds", "\n"));
    cli_table_add_optional(t, "allowed addresses", pairs);
    cli_table_add_optional(t, "requested host", xstrdup(cli_json_str(port, "spec.binding.hostId")));
    cli_table_add_optional(t, "bound host", xstrdup(cli_json_str(port, "status.hostId")));
    cli_table_add_optional(t, "vm", xstrdup(cli_json_str(port, "status.vmId")));
    cli_table_add_optional(t, "ovn port", xstrdup(cli_json_str(port, "status.ovnPort")));
    cli_table_add_optional(t, "labels", cli_labels_text(port));
    cli_table_add_optional(t, "created", xstrdup(cli_json_str(port, "createdAt")));
    cli_table_add_optional(t, "updated", xstrdup(cli_json_str(port, "updatedAt")));
    return t;
}

static int
cmd_create(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_send_and_show("PortService/CreatePort", port_create_request(args, &err), &err,
                             port_show_table);
}

static int
cmd_update(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_send_and_show("PortService/UpdatePort", port_update_request(args, &err), &err,
                             port_show_table);
}

static int
cmd_show(const struct cli_args *args)
{
    return cli_show(&cli_port_resource, args->pos[0], port_show_table);
}

/* Returns an object mapping network ids to names, or NULL if the networks
 * cannot be listed (the table then shows ids). */
static json_t *
network_names(void)
{
    struct cli_error err = {0};
    json_t *list = cli_list_all(&cli_network_resource, NULL, &err);
    cli_error_clear(&err);
    if (!list) {
        return NULL;
    }
    json_t *names = json_object();
    size_t i;
    json_t *net;
    json_array_foreach(json_object_get(list, "networks"), i, net)
    {
        json_object_set_new(names, cli_json_str(net, "id"), json_string(cli_json_str(net, "name")));
    }
    json_decref(list);
    return names;
}

/* The list table with network names, which only the table output needs. */
static struct cli_table *
port_list_render(json_t *ports)
{
    json_t *names = network_names();
    struct cli_table *t = port_list_table(ports, names);
    json_decref(names);
    return t;
}

static int
cmd_list(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_list(&cli_port_resource, port_list_request(args, &err), &err, port_list_render);
}

static int
cmd_delete(const struct cli_args *args)
{
    static const struct cli_deleter deleter = {&cli_port_resource, "PortService/DeletePort",
                                               "Deleted", false};
    return cli_delete_each(&deleter, args, NULL);
}

static const struct cli_option create_options[] = {
    {"network", OPT_NETWORK, "NET", "network to attach to, by name or id (required)"},
    {"mac", OPT_MAC, "MAC", "MAC address (default: generated)"},
    {"ip", OPT_IP, "IP", "fixed IP address (repeatable; default: allocated)"},
    {"no-port-security", OPT_NO_PORT_SECURITY, NULL,
     "no filtering and no anti-spoofing on this port\n(default: the network's setting)"},
    {"admin-down", OPT_ADMIN_DOWN, NULL, "create the port administratively down"},
    {"security-group", OPT_SECURITY_GROUP, "SG",
     "security group by name or id (repeatable;\ndefault: the project's 'default' group)"},
    {"allowed-address", OPT_ALLOWED_ADDRESS, "IP[,MAC]",
     "extra address the port may send from, e.g. a VIP\n(repeatable)"},
    {"host", OPT_HOST, "HOST", "hypervisor the port will be bound on"},
    {"project", OPT_PROJECT, "ID", "owning project (default: the token's)"},
    {"label", OPT_LABEL, "KEY=VALUE", "label (repeatable)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option update_options[] = {
    {"admin-up", OPT_ADMIN_UP, NULL, "set the port administratively up"},
    {"admin-down", OPT_ADMIN_DOWN, NULL, "set the port administratively down"},
    {"security-group", OPT_SECURITY_GROUP, "SG",
     "security group by name or id (repeatable; replaces\nthe list)"},
    {"no-security-groups", OPT_NO_SECURITY_GROUPS, NULL,
     "leave every security group: with port security on,\nonly DHCP and neighbour discovery then "
     "pass"},
    {"port-security", OPT_PORT_SECURITY, NULL, "turn filtering and anti-spoofing on"},
    {"no-port-security", OPT_NO_PORT_SECURITY, NULL, "turn filtering and anti-spoofing off"},
    {"allowed-address", OPT_ALLOWED_ADDRESS, "IP[,MAC]",
     "allowed address pairs (repeatable; replaces the list)"},
    {"no-allowed-addresses", OPT_NO_ALLOWED_ADDRESSES, NULL, "remove all allowed address pairs"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option list_options[] = {
    {"network", OPT_NETWORK, "NET", "only ports on this network (name or id)"},
    {"vm", OPT_VM, "VM", "only ports bound to this VM id"},
    {"project", OPT_PROJECT, "ID", "ports of this project (default: the token's)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option bind_options[] = {
    {"device", OPT_DEVICE, "ID", "the VM's device (e.g. its NIC) using the port"},
    {NULL, 0, NULL, NULL},
};

/* BindPort / UnbindPort: which VM uses the port (its status shows it). */
static int
bind_or_unbind(const struct cli_args *args, bool bind)
{
    struct cli_error err = {0};
    char *id = cli_resolve(&cli_port_resource, args->pos[0], NULL, &err);
    if (!id) {
        return cli_error_report(&err);
    }
    json_t *req = json_pack("{s:s}", "portId", id);
    if (bind) {
        json_object_set_new(req, "vmId", json_string(args->pos[1]));
        const char *device = cli_args_get(args, OPT_DEVICE);
        if (device) {
            json_object_set_new(req, "deviceId", json_string(device));
        }
    }
    free(id);
    return cli_send_and_show(bind ? "PortService/BindPort" : "PortService/UnbindPort", req, &err,
                             port_show_table);
}

static int
cmd_bind(const struct cli_args *args)
{
    return bind_or_unbind(args, true);
}

static int
cmd_unbind(const struct cli_args *args)
{
    return bind_or_unbind(args, false);
}

static const struct cli_command port_commands[] = {
    {"create", "NAME --network NET [options]", "Create a port on a network",
     "The port is DOWN until a hypervisor binds it (its interface sets\n"
     "external_ids:iface-id to the port's 'ovn port'), then ACTIVE.",
     create_options,
     "  lqnet port create web-1 --network web\n"
     "  lqnet port create db-1 --network db --ip 10.0.2.10 --security-group db\n"
     "  lqnet port create lb-1 --network web --allowed-address 10.0.1.250\n",
     1, 1, cmd_create},
    {"list", "[options]", "List ports", NULL, list_options,
     "  lqnet port list\n"
     "  lqnet port list --network web -o json\n",
     0, 0, cmd_list},
    {"show", "NAME|ID", "Show a port with its addresses and binding", NULL, cli_no_options,
     "  lqnet port show web-1\n", 1, 1, cmd_show},
    {"update", "NAME|ID [options]", "Change a port",
     "Only the fields named by options change; list options replace the whole list.",
     update_options,
     "  lqnet port update web-1 --admin-down\n"
     "  lqnet port update web-1 --security-group web --security-group ssh\n"
     "  lqnet port update web-1 --no-security-groups --no-port-security\n",
     1, 1, cmd_update},
    {"delete", "NAME|ID...", "Delete ports", NULL, cli_no_options,
     "  lqnet port delete web-1 web-2\n", 1, -1, cmd_delete},
    {"bind", "NAME|ID VM [--device ID]", "Record which VM uses a port",
     "Shows the VM in the port's status (and 'port list --vm VM'). The hypervisor\n"
     "plugging the VM's interface is what makes the port ACTIVE.",
     bind_options, "  lqnet port bind web-1 vm-0001 --device tap0\n", 2, 2, cmd_bind},
    {"unbind", "NAME|ID", "Forget which VM uses a port", NULL, cli_no_options,
     "  lqnet port unbind web-1\n", 1, 1, cmd_unbind},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

const struct cli_group port_group = {
    "port", "Create, list, show, update and delete ports", port_commands, false, NULL,
};
