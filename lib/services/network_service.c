/* VirtualNetworkService. */
#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "log.h"
#include "net.h"
#include "pbjson.h"
#include "reconcile.h"
#include "svc.h"
#include "translate.h"
#include "util.h"
#include "validate.h"

/* A copy of the stored network with its status filled in; caller frees
 * with protobuf_c_message_free_unpacked(). */
static PB(VirtualNetwork) * network_view(const struct svc *svc, const struct store_network *sn)
{
    PB(VirtualNetwork) *net = (PB(VirtualNetwork) *)pbjson_clone(&sn->net->base);
    PB(VirtualNetworkStatus) *st = xmalloc(sizeof *st);
    limiquantix__network__v1__virtual_network_status__init(st);
    net->status = st;
    const char *error = reconciler_error(svc->reconciler, sn->id);
    st->phase = error                                          ? PB_NET_PHASE(ERROR)
                : reconciler_is_ready(svc->reconciler, sn->id) ? PB_NET_PHASE(READY)
                                                               : PB_NET_PHASE(PENDING);
    st->error_message = xstrdup(error ? error : "");
    st->ovn_logical_switch = translate_switch_name(sn->id);
    st->port_count = (uint32_t)store_network_n_ports(sn);
    st->mtu = validate_network_mtu(net->spec, svc->physical_mtu);
    st->ip_status = xmalloc(sizeof *st->ip_status);
    limiquantix__network__v1__ip_allocation_status__init(st->ip_status);
    if (sn->v4) {
        uint64_t total = ipam_pool_size(sn->v4);
        total = total > UINT32_MAX ? UINT32_MAX : total;
        st->ip_status->ipv4_total = (uint32_t)total;
        st->ip_status->ipv4_allocated = (uint32_t)sn->n_v4_alloc;
        st->ip_status->ipv4_available = (uint32_t)(total - sn->n_v4_pool);
    }
    st->ip_status->ipv6_allocated = sn->n_v6_alloc;
    return net;
}

static void
reply_network(struct svc *svc, struct rpc_call *call, const char *id)
{
    const struct store_network *sn = store_network(svc->store, id);
    if (!sn) {
        rpc_call_fail(call, lq_error_new(LQ_INTERNAL, NULL, "network %s vanished", id));
        return;
    }
    PB(VirtualNetwork) *view = network_view(svc, sn);
    rpc_call_reply(call, &view->base);
    protobuf_c_message_free_unpacked(&view->base, NULL);
}

/* Finds a network the caller may see ('write': may change), or fails with
 * not_found (no existence leak). */
static const struct store_network *
find_network(struct svc *svc, struct rpc_call *call, const char *id, bool write,
             struct lq_error **err)
{
    const struct rpc_principal *p = rpc_call_principal(call);
    const struct store_network *sn = *id ? store_network(svc->store, id) : NULL;
    *err = NULL;
    if (!*id) {
        *err = lq_error_new(LQ_INVALID_ARGUMENT, "id", "required");
    } else if (!sn || !svc_network_visible(p, sn)) {
        *err = lq_error_new(LQ_NOT_FOUND, "id", "network '%s' not found", id);
    } else if (write && !svc_can_write(p, sn->net->project_id)) {
        *err = lq_error_new(LQ_PERMISSION_DENIED, "id", "cannot change network '%s'", id);
    }
    return *err ? NULL : sn;
}

const struct store_network *
svc_find_network(struct svc *svc, struct rpc_call *call, const char *id, bool write,
                 struct lq_error **err)
{
    return find_network(svc, call, id, write, err);
}

static json_t *
op_where_id(const char *op, const char *table, const char *id)
{
    return json_pack("{s:s, s:s, s:[[s, s, s]]}", "op", op, "table", table, "where", "id",
                     "==", id);
}

static void
network_written(struct svc *svc, struct rpc_call *call, const json_t *results,
                const struct lq_error *err, void *id_)
{
    char *id = id_;
    (void)results;
    if (err && err->code == LQ_ALREADY_EXISTS && strstr(err->message, "Segment")) {
        rpc_call_fail(call, lq_error_new(LQ_ALREADY_EXISTS, "spec.vlan.vlanId",
                                         "another network already uses this VLAN of this "
                                         "physical network"));
    } else if (err && err->code == LQ_ALREADY_EXISTS &&
               (strstr(err->message, "\"Router\"") || strstr(err->message, "\"Ip_Allocation\""))) {
        /* Another call created the project's router (or took the address
         * picked for it) at the same moment: nothing was written. */
        rpc_call_fail(call, lq_error_new(LQ_ABORTED, NULL,
                                         "a concurrent change created the router first; "
                                         "try again"));
    } else if (err) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
    } else {
        reconciler_kick(svc->reconciler);
        reply_network(svc, call, id);
    }
    free(id);
}

/* A network's default security group must be one of its project's. */
static struct lq_error *
check_default_sg(struct svc *svc, const PB(VirtualNetwork) * net)
{
    const char *id = net->spec->default_security_group_id;
    const struct store_sg *g = *id ? store_sg(svc->store, id) : NULL;
    if (*id && (!g || strcmp(g->sg->project_id, net->project_id))) {
        return lq_error_new(LQ_NOT_FOUND, "spec.defaultSecurityGroupId",
                            "security group '%s' not found in project '%s'", id, net->project_id);
    }
    return NULL;
}

static json_t *
network_row(const PB(VirtualNetwork) * net)
{
    char *body = pbjson_encode_text(&net->base);
    json_t *row =
        json_pack("{s:s, s:s, s:s}", "id", net->id, "project", net->project_id, "body", body);
    free(body);
    return row;
}

static void
create_network(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(CreateNetworkRequest) *req = (const PB(CreateNetworkRequest) *)msg;
    const struct rpc_principal *p = rpc_call_principal(call);
    const char *project;
    struct lq_error *err = svc_project(p, req->project_id, true, &project);
    if (!err) {
        err = svc_check_meta(req->name, req->description, req->n_labels, req->labels);
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(VirtualNetwork) *net = xmalloc(sizeof *net);
    limiquantix__network__v1__virtual_network__init(net);
    char id[37];
    lq_uuid_generate(id);
    net->id = xstrdup(id);
    net->name = xstrdup(req->name);
    net->project_id = xstrdup(project);
    net->description = xstrdup(req->description);
    net->n_labels = req->n_labels;
    net->labels = xcalloc(req->n_labels + 1, sizeof *net->labels);
    for (size_t i = 0; i < req->n_labels; i++) {
        net->labels[i] = (void *)pbjson_clone(&req->labels[i]->base);
    }
    if (req->spec) {
        net->spec = (PB(VirtualNetworkSpec) *)pbjson_clone(&req->spec->base);
    } else {
        net->spec = xmalloc(sizeof *net->spec);
        limiquantix__network__v1__virtual_network_spec__init(net->spec);
    }
    net->created_at = svc_timestamp_now();
    net->updated_at = svc_timestamp_now();
    *net->updated_at = *net->created_at;

    struct validate_config cfg = {svc->physical_mtu, p->role == RPC_ROLE_ADMIN};
    err = validate_network_spec(net->spec, &cfg, NULL, NULL);
    if (!err) {
        err = check_default_sg(svc, net);
    }
    if (err) {
        protobuf_c_message_free_unpacked(&net->base, NULL);
        rpc_call_fail(call, err);
        return;
    }
    json_t *row = network_row(net);
    json_t *ops = json_array();
    err = svc_router_attach(svc, net, ops, row);
    if (err) {
        json_decref(row);
        json_decref(ops);
        protobuf_c_message_free_unpacked(&net->base, NULL);
        rpc_call_fail(call, err);
        return;
    }
    const PB(VlanConfig) *v = net->spec->vlan;
    if (net->spec->type == PB_NETWORK_TYPE(VLAN) || net->spec->type == PB_NETWORK_TYPE(EXTERNAL)) {
        /* One network per VLAN (or untagged) of a physical network: the
         * database's index on Segment says so. */
        json_array_append_new(ops,
                              json_pack("{s:s, s:s, s:s, s:{s:s, s:i}}", "op", "insert", "table",
                                        "Segment", "uuid-name", "segment", "row", "physnet",
                                        v->physical_network, "vlan", (int)v->vlan_id));
        json_object_set_new(row, "segment", ovsdb_named_uuid("segment"));
    }
    json_array_append_new(
        ops, json_pack("{s:s, s:s, s:o}", "op", "insert", "table", "Network", "row", row));
    protobuf_c_message_free_unpacked(&net->base, NULL);
    svc_transact(svc, call, ops, network_written, xstrdup(id));
}

static void
get_network(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(GetNetworkRequest) *req = (const PB(GetNetworkRequest) *)msg;
    struct lq_error *err;
    const struct store_network *sn = find_network(svc, call, req->id, false, &err);
    if (!sn) {
        rpc_call_fail(call, err);
        return;
    }
    reply_network(svc, call, sn->id);
}

static bool
keep_network(const void *item, const char *project, const struct rpc_principal *p, const void *req_)
{
    const PB(ListNetworksRequest) *req = req_;
    const PB(VirtualNetwork) *net = ((const struct store_network *)item)->net;
    return svc_network_visible(p, item) && (!project || !strcmp(project, net->project_id)) &&
           (!PB_HAS(req, type) || req->type == net->spec->type) &&
           svc_labels_match(req->n_labels, req->labels, net->n_labels, net->labels);
}

static void
list_networks(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(ListNetworksRequest) *req = (const PB(ListNetworksRequest) *)msg;
    struct svc_page page;
    struct lq_error *err =
        svc_select(rpc_call_principal(call), req->project_id, store_networks(svc->store),
                   keep_network, req, req->page_token, req->page_size, &page);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(ListNetworksResponse) resp = LIMIQUANTIX__NETWORK__V1__LIST_NETWORKS_RESPONSE__INIT;
    resp.total_count = page.total;
    resp.next_page_token = page.next_token;
    resp.n_networks = page.n;
    resp.networks = xcalloc(page.n + 1, sizeof *resp.networks);
    for (size_t i = 0; i < page.n; i++) {
        resp.networks[i] = network_view(svc, page.items[i]);
    }
    rpc_call_reply(call, &resp.base);
    for (size_t i = 0; i < page.n; i++) {
        protobuf_c_message_free_unpacked(&resp.networks[i]->base, NULL);
    }
    free(resp.networks);
    svc_page_clear(&page);
}

/* Checks what an update may not change while ports use the network. */
static struct lq_error *
check_update(const struct store_network *sn, const PB(VirtualNetworkSpec) * new)
{
    const PB(VirtualNetworkSpec) *old = sn->net->spec;
    if (old->type != new->type) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.type", "the type of a network is fixed");
    }
    const PB(VlanConfig) *ov = old->vlan, *nv = new->vlan;
    if ((ov ? ov->vlan_id : 0) != (nv ? nv->vlan_id : 0) ||
        strcmp(ov ? ov->physical_network : "", nv ? nv->physical_network : "")) {
        return lq_error_new(LQ_INVALID_ARGUMENT, "spec.vlan",
                            "a network's VLAN and physical network are fixed");
    }
    bool v4_changed = strcmp(old->ip_config->ipv4_subnet, new->ip_config->ipv4_subnet);
    bool v6_changed = strcmp(old->ip_config->ipv6_subnet, new->ip_config->ipv6_subnet);
    if ((v4_changed || v6_changed) && store_network_n_ports(sn)) {
        return lq_error_new(LQ_FAILED_PRECONDITION,
                            v4_changed ? "spec.ipConfig.ipv4Subnet" : "spec.ipConfig.ipv6Subnet",
                            "cannot change the subnet of a network with %zu ports",
                            store_network_n_ports(sn));
    }
    return NULL;
}

static void
update_network(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(UpdateNetworkRequest) *req = (const PB(UpdateNetworkRequest) *)msg;
    const struct rpc_principal *p = rpc_call_principal(call);
    struct lq_error *err;
    const struct store_network *sn = find_network(svc, call, req->id, true, &err);
    if (!sn) {
        rpc_call_fail(call, err);
        return;
    }
    err = svc_check_meta(NULL, req->description, req->n_labels, req->labels);
    PB(VirtualNetwork) *net = (PB(VirtualNetwork) *)pbjson_clone(&sn->net->base);
    if (!err && req->update_mask && req->update_mask->n_paths) {
        /* The mask's paths are relative to the request, whose spec,
         * labels and description mirror the network's. */
        PB(VirtualNetwork) src = LIMIQUANTIX__NETWORK__V1__VIRTUAL_NETWORK__INIT;
        src.spec = req->spec;
        src.n_labels = req->n_labels;
        src.labels = (void *)req->labels;
        src.description = req->description;
        for (size_t i = 0; !err && i < req->update_mask->n_paths; i++) {
            const char *path = req->update_mask->paths[i];
            if (strcmp(path, "description") && strcmp(path, "labels") &&
                !lq_str_starts_with(path, "spec.") && strcmp(path, "spec")) {
                err =
                    lq_error_new(LQ_INVALID_ARGUMENT, "updateMask", "'%s' cannot be updated", path);
            }
        }
        if (!err) {
            err = pbjson_apply_mask(&net->base, &src.base, &req->update_mask->base, NULL);
        }
    } else if (!err) {
        if (req->spec) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, "updateMask",
                               "required when spec is given: name the fields to change");
        }
        if (!err && *req->description) {
            validate_set_string(&net->description, req->description);
        }
        if (!err && req->n_labels) {
            for (size_t i = 0; i < net->n_labels; i++) {
                protobuf_c_message_free_unpacked(&net->labels[i]->base, NULL);
            }
            free(net->labels);
            net->n_labels = req->n_labels;
            net->labels = xcalloc(req->n_labels + 1, sizeof *net->labels);
            for (size_t i = 0; i < req->n_labels; i++) {
                net->labels[i] = (void *)pbjson_clone(&req->labels[i]->base);
            }
        }
    }
    if (!err && !net->spec) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "spec", "a network needs a spec");
    }
    struct validate_config cfg = {svc->physical_mtu, p->role == RPC_ROLE_ADMIN};
    if (!err) {
        err = validate_network_spec(net->spec, &cfg, NULL, NULL);
    }
    if (!err) {
        err = check_update(sn, net->spec);
    }
    if (!err) {
        err = check_default_sg(svc, net);
    }
    if (err) {
        protobuf_c_message_free_unpacked(&net->base, NULL);
        rpc_call_fail(call, err);
        return;
    }
    svc_now(net->updated_at);
    const struct ovsdb_row *old_row = ovsdb_client_get_row(svc->lqdb, "Network", sn->row_uuid);
    json_t *row = network_row(net);
    json_t *ops = json_array();
    err = svc_router_attach(svc, net, ops, row);
    if (err) {
        json_decref(row);
        json_decref(ops);
        protobuf_c_message_free_unpacked(&net->base, NULL);
        rpc_call_fail(call, err);
        return;
    }
    /* Guarded: nobody changed the network since it was read. */
    json_array_append_new(ops,
                          json_pack("{s:s, s:s, s:i, s:[[s, s, s]], s:[s], s:s, s:[{s:s}]}", "op",
                                    "wait", "table", "Network", "timeout", 0, "where", "id",
                                    "==", sn->id, "columns", "body", "until", "==", "rows", "body",
                                    old_row ? ovsdb_row_string(old_row, "body") : ""));
    json_object_del(row, "id");
    json_object_del(row, "project");
    json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, s]], s:o}", "op", "update", "table",
                                         "Network", "where", "id", "==", sn->id, "row", row));
    protobuf_c_message_free_unpacked(&net->base, NULL);
    svc_transact(svc, call, ops, network_written, xstrdup(sn->id));
}

static void
network_deleted(struct svc *svc, struct rpc_call *call, const json_t *results,
                const struct lq_error *err, void *id)
{
    (void)results;
    if (err && err->code == LQ_ABORTED) {
        rpc_call_fail(call, lq_error_new(LQ_FAILED_PRECONDITION, "id",
                                         "network '%s' still has ports; delete them first or "
                                         "pass force",
                                         (char *)id));
    } else if (err) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
    } else {
        for (int family = 4; family <= 6; family += 2) {
            char *key = xasprintf("%s|%d", (char *)id, family);
            free(strmap_remove(&svc->hints, key));
            free(key);
        }
        reconciler_kick(svc->reconciler);
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
        rpc_call_reply(call, &empty.base);
    }
    free(id);
}

static void
delete_network(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(DeleteNetworkRequest) *req = (const PB(DeleteNetworkRequest) *)msg;
    struct lq_error *err;
    const struct store_network *sn = find_network(svc, call, req->id, true, &err);
    if (!sn) {
        rpc_call_fail(call, err);
        return;
    }
    if (store_network_n_ports(sn) && !req->force) {
        rpc_call_fail(call, lq_error_new(LQ_FAILED_PRECONDITION, "id",
                                         "network '%s' still has %zu port(s); delete them first "
                                         "or pass force",
                                         sn->id, store_network_n_ports(sn)));
        return;
    }
    json_t *ops = json_array();
    if (req->force) {
        /* Their floating IPs are let go with the ports. */
        for (struct strmap_node *n = strmap_first(&sn->ports); n; n = strmap_next(&sn->ports, n)) {
            json_t *release = svc_fip_release_port_ops(svc, n->key);
            json_array_extend(ops, release);
            json_decref(release);
        }
        json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, s]]}", "op", "delete", "table",
                                             "Port", "where", "network", "==", sn->id));
    } else {
        /* Atomically: no port was created since the check above. */
        json_array_append_new(ops,
                              json_pack("{s:s, s:s, s:i, s:[[s, s, s]], s:[s], s:s, s:[]}", "op",
                                        "wait", "table", "Port", "timeout", 0, "where", "network",
                                        "==", sn->id, "columns", "id", "until", "==", "rows"));
    }
    json_array_append_new(ops, op_where_id("delete", "Network", sn->id));
    svc_transact(svc, call, ops, network_deleted, xstrdup(sn->id));
}

const struct rpc_handler svc_network_handlers[] = {
    {"CreateNetwork", create_network},
    {"GetNetwork", get_network},
    {"ListNetworks", list_networks},
    {"UpdateNetwork", update_network},
    {"DeleteNetwork", delete_network},
    {"GetNetworkTopology", svc_get_topology},
    {NULL, NULL},
};
