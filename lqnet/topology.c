/* lqnet topology: VirtualNetworkService/GetNetworkTopology as a tree or as
 * Graphviz. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

enum {
    OPT_PROJECT = 256,
};

/* Node types, in the order the tree lists them under one parent. */
static const char *const node_types[] = {
    "external_network", "router", "network", "port", "floating_ip",
};

static size_t
type_rank(const char *type)
{
    for (size_t i = 0; i < LQ_ARRAY_SIZE(node_types); i++) {
        if (!strcmp(type, node_types[i])) {
            return i;
        }
    }
    return LQ_ARRAY_SIZE(node_types);
}

/* How each edge type links nodes: the types of its ends, and whether the
 * source sits under the target in the tree. */
static const struct edge_kind {
    const char *type;
    const char *source_type, *target_type;
    bool parent; /* The target is the source's parent in the tree. */
} edge_kinds[] = {
    {"attached", "port", "network", true},
    {"routed", "network", "router", true},
    {"gateway", "router", "external_network", true},
    {"allocated_from", "floating_ip", "external_network", true},
    {"nat", "floating_ip", "port", false},
};

static const struct edge_kind *
edge_kind(const char *type)
{
    for (size_t i = 0; i < LQ_ARRAY_SIZE(edge_kinds); i++) {
        if (!strcmp(type, edge_kinds[i].type)) {
            return &edge_kinds[i];
        }
    }
    return NULL;
}

/* Returns an object mapping node ids to nodes, with a stub node
 * {"id", "type", "stub": true} for every id an edge names but no node has
 * (a port on another project's shared network, say). Caller decrefs. */
static json_t *
topo_nodes(json_t *topology)
{
    json_t *nodes = json_object();
    size_t i;
    json_t *node, *edge;
    json_array_foreach(json_object_get(topology, "nodes"), i, node)
    {
        json_object_set(nodes, cli_json_str(node, "id"), node);
    }
    json_array_foreach(json_object_get(topology, "edges"), i, edge)
    {
        const struct edge_kind *kind = edge_kind(cli_json_str(edge, "type"));
        const char *ends[2] = {cli_json_str(edge, "sourceId"), cli_json_str(edge, "targetId")};
        for (int k = 0; k < 2; k++) {
            if (*ends[k] && !json_object_get(nodes, ends[k])) {
                const char *type = !kind ? "" : k ? kind->target_type : kind->source_type;
                json_object_set_new(
                    nodes, ends[k],
                    json_pack("{s:s, s:s, s:b}", "id", ends[k], "type", type, "stub", true));
            }
        }
    }
    return nodes;
}

static const char *
prop(json_t *node, const char *key)
{
    return cli_json_str(json_object_get(node, "properties"), key);
}

/* "4f1c2a3b…": enough of an id to tell routers apart in a picture. */
static char *
short_id(const char *id)
{
    return strlen(id) > 8 ? xasprintf("%.8s…", id) : xstrdup(id);
}

/* The name of 'node', or its short id when it has none. */
static char *
node_name(json_t *node)
{
    const char *name = cli_json_str(node, "name");
    return *name ? xstrdup(name) : short_id(cli_json_str(node, "id"));
}

/* The port's addresses (properties ip0, ip1, ...), joined with 'sep'. */
static char *
port_ips(json_t *node, const char *sep)
{
    char *out = xstrdup("");
    for (int i = 0;; i++) {
        char key[32];
        snprintf(key, sizeof key, "ip%d", i);
        const char *ip = prop(node, key);
        if (!*ip) {
            return out;
        }
        cli_append(&out, sep, "%s", ip);
    }
}

/* A network's facts: "vlan, 10.0.1.0/24, fd00::/64, MTU 1442, PENDING". */
static char *
network_facts(json_t *node, const char *sep)
{
    char *out = xstrdup("");
    const char *type = prop(node, "type");
    if (*type && strcmp(type, "OVERLAY") && strcmp(type, "EXTERNAL")) {
        char *lower = xstrdup(type);
        for (char *p = lower; *p; p++) {
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        }
        cli_append(&out, sep, "%s", lower);
        free(lower);
    }
    static const char *const subnets[] = {"ipv4_subnet", "ipv6_subnet"};
    for (size_t i = 0; i < LQ_ARRAY_SIZE(subnets); i++) {
        if (*prop(node, subnets[i])) {
            cli_append(&out, sep, "%s", prop(node, subnets[i]));
        }
    }
    /* External networks carry no VM traffic of the project: no MTU. */
    if (*prop(node, "mtu") && strcmp(cli_json_str(node, "type"), "external_network")) {
        cli_append(&out, sep, "MTU %s", prop(node, "mtu"));
    }
    if (*prop(node, "phase") && strcmp(prop(node, "phase"), "READY")) {
        cli_append(&out, sep, "%s", prop(node, "phase"));
    }
    return out;
}

/* One line of the tree, with the lines under it. */
struct titem {
    char *key; /* Sort key among siblings. */
    char *label;
    struct titem **kids;
    size_t n_kids;
};

static struct titem *
titem_new(char *key, char *label)
{
    struct titem *it = xcalloc(1, sizeof *it);
    it->key = key;
    it->label = label;
    return it;
}

static void
titem_add(struct titem *parent, struct titem *kid)
{
    parent->kids = xrealloc(parent->kids, (parent->n_kids + 1) * sizeof *parent->kids);
    parent->kids[parent->n_kids++] = kid;
}

static void
titem_destroy(struct titem *it)
{
    if (!it) {
        return;
    }
    for (size_t i = 0; i < it->n_kids; i++) {
        titem_destroy(it->kids[i]);
    }
    free(it->kids);
    free(it->key);
    free(it->label);
    free(it);
}

static int
titem_cmp(const void *a_, const void *b_)
{
    const struct titem *a = *(struct titem *const *)a_;
    const struct titem *b = *(struct titem *const *)b_;
    /* Version order: vm2 before vm10, 203.0.113.9 before 203.0.113.10. */
    return strverscmp(a->key, b->key);
}

static void
titem_sort(struct titem *it)
{
    if (it->n_kids > 1) {
        qsort(it->kids, it->n_kids, sizeof *it->kids, titem_cmp);
    }
}

static void
titem_print(struct titem *it, const char *prefix, FILE *out)
{
    titem_sort(it);
    for (size_t i = 0; i < it->n_kids; i++) {
        bool last = i + 1 == it->n_kids;
        fprintf(out, "%s%s%s\n", prefix, last ? "└── " : "├── ", it->kids[i]->label);
        char *sub = xasprintf("%s%s", prefix, last ? "    " : "│   ");
        titem_print(it->kids[i], sub, out);
        free(sub);
    }
}

/* The tree line of 'node'; 'parent' is the node it hangs under (NULL at
 * the top) and 'fips' the floating IPs mapped to it (a port). */
static char *
tree_label(json_t *node, json_t *parent, json_t *fips)
{
    const char *type = cli_json_str(node, "type");
    const char *id = cli_json_str(node, "id");
    bool stub = json_is_true(json_object_get(node, "stub"));
    char *name = node_name(node);
    char *facts;
    char *label;
    if (!strcmp(type, "external_network") || !strcmp(type, "network")) {
        facts = stub ? xstrdup(!strcmp(type, "network") ? "not in this project" : "")
                     : network_facts(node, ", ");
        if (!strcmp(type, "network") && !parent && !stub) {
            cli_append(&facts, ", ", "not routed");
        }
        label = xasprintf("%s %s%s%s%s", !strcmp(type, "network") ? "network" : "external network",
                          stub ? id : name, *facts ? " (" : "", facts, *facts ? ")" : "");
    } else if (!strcmp(type, "router")) {
        char *sid = short_id(id);
        facts = xstrdup(prop(node, "external_ip"));
        if (*prop(node, "gateway_host")) {
            cli_append(&facts, ", ", "on %s", prop(node, "gateway_host"));
        }
        if (!parent) {
            cli_append(&facts, ", ", "internal only");
        }
        label = xasprintf("router %s%s%s%s", sid, *facts ? " (" : "", facts, *facts ? ")" : "");
        free(sid);
    } else if (!strcmp(type, "port")) {
        facts = port_ips(node, ",");
        const char *phase = prop(node, "phase");
        const char *host = prop(node, "host");
        label = xasprintf("port %s%s%s%s%s%s%s", stub ? id : name, *facts ? " " : "", facts,
                          *phase ? " " : "", phase, *host ? " " : "", host);
        if (json_array_size(fips)) {
            char *list = cli_json_text(fips, NULL, ", ");
            cli_append(&label, "", "   ← floating IP%s %s", json_array_size(fips) > 1 ? "s" : "",
                       list);
            free(list);
        }
    } else if (!strcmp(type, "floating_ip")) {
        facts = xstrdup("");
        label = xasprintf("floating IP %s (%s)", stub ? id : name,
                          parent ? "not associated" : "from an unknown network");
    } else {
        facts = xstrdup("");
        label = xasprintf("%s %s", *type ? type : "node", stub ? id : name);
    }
    free(facts);
    free(name);
    return label;
}

/* Whether following 'parents' up from 'from' leads back to 'id' (edges that
 * make a cycle, which a well-formed topology never has). */
static bool
leads_to(json_t *parents, const char *from, const char *id)
{
    for (size_t steps = json_object_size(parents) + 1; from && steps; steps--) {
        if (!strcmp(from, id)) {
            return true;
        }
        from = json_string_value(json_object_get(parents, from));
    }
    return false;
}

/* Inserts string 's' into the sorted array 'list', keeping it sorted. */
static void
insert_sorted(json_t *list, const char *s)
{
    size_t i = 0;
    while (i < json_array_size(list) &&
           strverscmp(json_string_value(json_array_get(list, i)), s) <= 0) {
        i++;
    }
    json_array_insert_new(list, i, json_string(s));
}

char *
topology_tree(json_t *topology)
{
    json_t *nodes = topo_nodes(topology);
    json_t *parents = json_object(); /* node id -> parent node id */
    json_t *fips = json_object();    /* port id -> [floating IP address] */
    json_t *on_port = json_object(); /* floating IPs shown on their port's line */
    size_t i;
    json_t *edge;
    json_array_foreach(json_object_get(topology, "edges"), i, edge)
    {
        const struct edge_kind *kind = edge_kind(cli_json_str(edge, "type"));
        const char *src = cli_json_str(edge, "sourceId");
        const char *dst = cli_json_str(edge, "targetId");
        if (!kind || !*src || !*dst) {
            continue;
        }
        if (kind->parent) {
            json_object_set_new(parents, src, json_string(dst));
        } else {
            json_t *list = json_object_get(fips, dst);
            if (!list) {
                json_object_set_new(fips, dst, list = json_array());
            }
            char *name = node_name(json_object_get(nodes, src));
            insert_sorted(list, name);
            free(name);
            json_object_set_new(on_port, src, json_true());
        }
    }

    /* One item per node shown, then each under its parent's (or the top). */
    size_t n = json_object_size(nodes), n_items = 0;
    struct titem **items = xcalloc(n + 1, sizeof *items);
    json_t *index = json_object(); /* node id -> position in 'items' */
    const char *id;
    json_t *node;
    json_object_foreach(nodes, id, node)
    {
        if (json_object_get(on_port, id)) {
            continue;
        }
        json_t *parent = json_object_get(nodes, json_string_value(json_object_get(parents, id)));
        char *name = node_name(node);
        char *key = xasprintf("%zu %s\t%s", type_rank(cli_json_str(node, "type")), name, id);
        free(name);
        items[n_items] = titem_new(key, tree_label(node, parent, json_object_get(fips, id)));
        json_object_set_new(index, id, json_integer((json_int_t)n_items++));
    }
    struct titem *root = titem_new(xstrdup(""), xstrdup(""));
    json_t *pos;
    json_object_foreach(index, id, pos)
    {
        const char *parent_id = json_string_value(json_object_get(parents, id));
        json_t *parent =
            leads_to(parents, parent_id, id) ? NULL : json_object_get(index, parent_id);
        titem_add(parent ? items[json_integer_value(parent)] : root,
                  items[json_integer_value(pos)]);
    }

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        abort();
    }
    titem_sort(root);
    for (i = 0; i < root->n_kids; i++) {
        fprintf(out, "%s\n", root->kids[i]->label);
        titem_print(root->kids[i], "", out);
    }
    fclose(out);
    titem_destroy(root);
    free(items);
    json_decref(index);
    json_decref(on_port);
    json_decref(fips);
    json_decref(parents);
    json_decref(nodes);
    return text;
}

/* Appends 's' to 'out' as the inside of a DOT string. */
static void
dot_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', out);
            fputc(*s, out);
        } else if (*s == '\n' || *s == '\r') {
            fputc(' ', out);
        } else {
            fputc(*s, out);
        }
    }
}

static const struct {
    const char *type, *title, *shape;
} dot_styles[] = {
    {"external_network", "external network", "doubleoctagon"},
    {"router", "router", "diamond"},
    {"network", "network", "box"},
    {"port", "port", "ellipse"},
    {"floating_ip", "floating IP", "note"},
};

/* Appends 'text' (taken; "" adds nothing) to the array 'lines'. */
static void
add_line(json_t *lines, char *text)
{
    if (*text) {
        json_array_append_new(lines, json_string(text));
    }
    free(text);
}

/* The label lines of 'node' after its title; a line may hold several,
 * joined with real newlines. */
static json_t *
dot_lines(json_t *node)
{
    json_t *lines = json_array();
    const char *type = cli_json_str(node, "type");
    if (json_is_true(json_object_get(node, "stub"))) {
        add_line(lines, xstrdup(cli_json_str(node, "id")));
    } else if (!strcmp(type, "router")) {
        add_line(lines, short_id(cli_json_str(node, "id")));
        add_line(lines, xstrdup(prop(node, "external_ip")));
        const char *host = prop(node, "gateway_host");
        add_line(lines, *host ? xasprintf("on %s", host) : xstrdup(""));
    } else {
        add_line(lines, node_name(node));
        if (!strcmp(type, "network") || !strcmp(type, "external_network")) {
            add_line(lines, network_facts(node, "\n"));
        } else if (!strcmp(type, "port")) {
            const char *phase = prop(node, "phase");
            const char *host = prop(node, "host");
            add_line(lines, port_ips(node, "\n"));
            add_line(lines, xasprintf("%s%s%s", phase, *phase && *host ? " on " : "", host));
        }
    }
    return lines;
}

char *
topology_dot(json_t *topology)
{
    json_t *nodes = topo_nodes(topology);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        abort();
    }
    fputs("digraph lqnet {\n"
          "  rankdir=BT;\n"
          "  node [fontname=\"sans-serif\", fontsize=10];\n"
          "  edge [fontname=\"sans-serif\", fontsize=8];\n",
          out);
    /* The response's nodes in their order (the server sorts them), then
     * stubs for ids only edges name, in id order. */
    json_t *order = json_array();
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(topology, "nodes"), i, node)
    {
        json_array_append(order, node);
    }
    const char *id;
    json_object_foreach(nodes, id, node)
    {
        if (json_is_true(json_object_get(node, "stub"))) {
            json_array_append(order, node);
        }
    }
    json_array_foreach(order, i, node)
    {
        const char *type = cli_json_str(node, "type");
        const char *title = type, *shape = "ellipse";
        for (size_t k = 0; k < LQ_ARRAY_SIZE(dot_styles); k++) {
            if (!strcmp(type, dot_styles[k].type)) {
                title = dot_styles[k].title;
                shape = dot_styles[k].shape;
            }
        }
        fputs("  \"", out);
        dot_escape(out, cli_json_str(node, "id"));
        fputs("\" [label=\"", out);
        dot_escape(out, *title ? title : "node");
        json_t *lines = dot_lines(node);
        size_t k;
        json_t *line;
        json_array_foreach(lines, k, line)
        {
            /* Multi-line facts come joined with real newlines. */
            const char *s = json_string_value(line);
            while (*s) {
                size_t n = strcspn(s, "\n");
                char *part = xstrndup(s, n);
                fputs("\\n", out);
                dot_escape(out, part);
                free(part);
                s += n + (s[n] == '\n');
            }
        }
        json_decref(lines);
        fprintf(out, "\", shape=%s%s];\n", shape,
                json_is_true(json_object_get(node, "stub")) ? ", style=dashed" : "");
    }
    json_decref(order);
    json_t *edge;
    json_array_foreach(json_object_get(topology, "edges"), i, edge)
    {
        fputs("  \"", out);
        dot_escape(out, cli_json_str(edge, "sourceId"));
        fputs("\" -> \"", out);
        dot_escape(out, cli_json_str(edge, "targetId"));
        fputs("\" [label=\"", out);
        dot_escape(out, cli_json_str(edge, "type"));
        fprintf(out, "\"%s];\n",
                !strcmp(cli_json_str(edge, "type"), "nat") ? ", style=dashed" : "");
    }
    fputs("}\n", out);
    fclose(out);
    json_decref(nodes);
    return text;
}

static int
cmd_topology(const struct cli_args *args)
{
    struct cli_error err = {0};
    const char *project = cli_args_get(args, OPT_PROJECT);
    json_t *req = project ? json_pack("{s:s}", "projectId", project) : json_object();
    json_t *reply = cli_call("VirtualNetworkService/GetNetworkTopology", req, &err);
    json_decref(req);
    if (!reply) {
        return cli_error_report(&err);
    }
    char *text = NULL;
    switch (cli_get_output()) {
    case CLI_OUTPUT_JSON:
        cli_print_json(reply);
        break;
    case CLI_OUTPUT_DOT:
        text = topology_dot(reply);
        break;
    case CLI_OUTPUT_TABLE:
        text = topology_tree(reply);
        if (!*text) {
            free(text);
            text = xstrdup("(no networks)\n");
        }
        break;
    }
    if (text) {
        fputs(text, stdout);
        free(text);
    }
    json_decref(reply);
    return CLI_OK;
}

static const struct cli_option topology_options[] = {
    {"project", OPT_PROJECT, "ID", "the topology of this project (default: the token's)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command topology_commands[] = {
    {"topology", "[--project ID] [-o json|dot]",
     "Show a project's networks, routers, ports and floating IPs",
     "Prints a tree: external networks with the routers that have their gateway\n"
     "there, the networks each router routes and their ports (with the floating\n"
     "IPs mapped to them), then internal routers and networks that are not\n"
     "routed. -o dot prints a Graphviz graph (render it with 'dot -Tsvg'); -o json\n"
     "the API's nodes and edges.",
     topology_options,
     "  lqnet topology\n"
     "  lqnet topology -o dot | dot -Tsvg > topology.svg\n"
     "  lqnet topology --project acme -o json\n",
     0, 0, cmd_topology, true},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

const struct cli_group topology_group = {
    "topology",
    "Show a project's network topology (tree, Graphviz or JSON)",
    topology_commands,
    true,
    NULL,
};
