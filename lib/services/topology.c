/* GetNetworkTopology: a project's networks, routers, ports, floating IPs
 * and the external networks it reaches, as nodes and edges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"
#include "reconcile.h"
#include "svc.h"
#include "util.h"
#include "validate.h"

/* A response under construction: messages are allocated so that one
 * protobuf_c_message_free_unpacked() frees everything. */
struct topo {
    PB(GetNetworkTopologyResponse) * resp;
    struct strmap seen; /* node ids already added */
};

static PB(TopologyNode) *
    add_node(struct topo *t, const char *id, const char *type, const char *name)
{
    if (strmap_contains(&t->seen, id)) {
        return NULL;
    }
    strmap_put(&t->seen, id, NULL);
    PB(TopologyNode) *n = xmalloc(sizeof *n);
    limiquantix__network__v1__topology_node__init(n);
    n->id = xstrdup(id);
    n->type = xstrdup(type);
    n->name = xstrdup(name);
    PB(GetNetworkTopologyResponse) *r = t->resp;
    r->nodes = xrealloc(r->nodes, (r->n_nodes + 1) * sizeof *r->nodes);
    r->nodes[r->n_nodes++] = n;
    return n;
}

static void
add_prop(PB(TopologyNode) * n, const char *key, const char *value)
{
    if (!n || !value || !*value) {
        return;
    }
    Limiquantix__Network__V1__TopologyNode__PropertiesEntry *e = xmalloc(sizeof *e);
    limiquantix__network__v1__topology_node__properties_entry__init(e);
    e->key = xstrdup(key);
    e->value = xstrdup(value);
    n->properties = xrealloc(n->properties, (n->n_properties + 1) * sizeof *n->properties);
    n->properties[n->n_properties++] = e;
}

static void
add_edge(struct topo *t, const char *source, const char *target, const char *type)
{
    PB(TopologyEdge) *e = xmalloc(sizeof *e);
    limiquantix__network__v1__topology_edge__init(e);
    e->source_id = xstrdup(source);
    e->target_id = xstrdup(target);
    e->type = xstrdup(type);
    PB(GetNetworkTopologyResponse) *r = t->resp;
    r->edges = xrealloc(r->edges, (r->n_edges + 1) * sizeof *r->edges);
    r->edges[r->n_edges++] = e;
}

static const char *
type_name(PB(NetworkType) type)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &limiquantix__network__v1__network_type__descriptor, (int)type);
    return v ? v->name : "";
}

static void
add_network(struct svc *svc, struct topo *t, const struct store_network *sn)
{
    PB(TopologyNode) *n =
        add_node(t, sn->id,
                 sn->net->spec->type == PB_NETWORK_TYPE(EXTERNAL) ? "external_network" : "network",
                 sn->net->name);
    char mtu[16];
    snprintf(mtu, sizeof mtu, "%u", validate_network_mtu(sn->net->spec, svc->physical_mtu));
    add_prop(n, "type", type_name(sn->net->spec->type));
    add_prop(n, "ipv4_subnet", sn->net->spec->ip_config->ipv4_subnet);
    add_prop(n, "ipv6_subnet", sn->net->spec->ip_config->ipv6_subnet);
    add_prop(n, "mtu", mtu);
    add_prop(n, "phase", reconciler_is_ready(svc->reconciler, sn->id) ? "READY" : "PENDING");
}

void
svc_get_topology(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(GetNetworkTopologyRequest) *req = (const PB(GetNetworkTopologyRequest) *)msg;
    const char *project;
    struct lq_error *err = svc_project(rpc_call_principal(call), req->project_id, false, &project);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(GetNetworkTopologyResponse) *resp = xmalloc(sizeof *resp);
    limiquantix__network__v1__get_network_topology_response__init(resp);
    struct topo t = {resp, STRMAP_INITIALIZER};
    size_t n;
    struct strmap_node **nodes = strmap_sorted(store_networks(svc->store), &n);
    for (size_t i = 0; i < n; i++) {
        const struct store_network *sn = nodes[i]->value;
        if (!strcmp(sn->net->project_id, project)) {
            add_network(svc, &t, sn);
        }
    }
    free(nodes);
    nodes = strmap_sorted(store_routers(svc->store), &n);
    for (size_t i = 0; i < n; i++) {
        const struct store_router *r = nodes[i]->value;
        if (strcmp(r->project, project)) {
            continue;
        }
        PB(TopologyNode) *rn = add_node(&t, r->id, "router", "router");
        add_prop(rn, "external_ip", r->gateway_ip);
        add_prop(rn, "gateway_host", reconciler_gateway_host(svc->reconciler, r->id));
        for (struct strmap_node *m = strmap_first(&r->networks); m;
             m = strmap_next(&r->networks, m)) {
            add_edge(&t, m->key, r->id, "routed");
        }
        const struct store_network *xn =
            *r->external_network ? store_network(svc->store, r->external_network) : NULL;
        if (xn) {
            add_network(svc, &t, xn);
            add_edge(&t, r->id, xn->id, "gateway");
        }
    }
    free(nodes);
    nodes = strmap_sorted(store_ports(svc->store), &n);
    for (size_t i = 0; i < n; i++) {
        const struct store_port *sp = nodes[i]->value;
        if (strcmp(sp->port->project_id, project)) {
            continue;
        }
        PB(TopologyNode) *pn = add_node(&t, sp->id, "port", sp->port->name);
        struct port_state state;
        reconciler_port_state(svc->reconciler, sp->id, &state);
        add_prop(pn, "mac", sp->port->spec->mac_address);
        for (size_t k = 0; k < sp->port->spec->n_fixed_ips; k++) {
            char key[32];
            snprintf(key, sizeof key, "ip%zu", k);
            add_prop(pn, key, sp->port->spec->fixed_ips[k]->ip_address);
        }
        add_prop(pn, "host", state.chassis);
        add_prop(pn, "phase", state.up ? "ACTIVE" : "DOWN");
        add_edge(&t, sp->id, sp->network, "attached");
    }
    free(nodes);
    nodes = strmap_sorted(store_fips(svc->store), &n);
    for (size_t i = 0; i < n; i++) {
        const PB(FloatingIp) *fip = ((const struct store_fip *)nodes[i]->value)->fip;
        if (strcmp(fip->project_id, project)) {
            continue;
        }
        add_node(&t, fip->id, "floating_ip", fip->ip_address);
        add_edge(&t, fip->id, fip->external_network_id, "allocated_from");
        if (fip->assignment && *fip->assignment->port_id) {
            add_edge(&t, fip->id, fip->assignment->port_id, "nat");
        }
    }
    free(nodes);
    rpc_call_reply(call, &resp->base);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    strmap_destroy(&t.seen);
}
