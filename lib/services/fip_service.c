/* FloatingIpService: public addresses of external networks, mapped to a
 * port's address by the router that connects the port's network to that
 * external network (NAT dnat_and_snat). */
#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "net.h"
#include "pbjson.h"
#include "reconcile.h"
#include "svc.h"
#include "util.h"
#include "validate.h"

/* The router a floating IP's association goes through, or NULL. */
static const struct store_router *
fip_router(const struct svc *svc, const PB(FloatingIp) * fip)
{
    const PB(FloatingIpAssignment) *a = fip->assignment;
    const struct store_port *sp = a && *a->port_id ? store_port(svc->store, a->port_id) : NULL;
    const struct store_network *sn = sp ? store_network(svc->store, sp->network) : NULL;
    const struct store_router *r = sn && *sn->router ? store_router(svc->store, sn->router) : NULL;
    return r && !strcmp(r->external_network, fip->external_network_id) ? r : NULL;
}

/* A floating IP as the API shows it: the stored one with its status.
 * Pointers into the store; free with fip_view_clear(). */
static void
fip_view(struct svc *svc, const struct store_fip *f, PB(FloatingIp) * v, PB(FloatingIpStatus) * st)
{
    *v = *f->fip;
    limiquantix__network__v1__floating_ip_status__init(st);
    v->status = st;
    const struct store_router *r = fip_router(svc, f->fip);
    char *sub = r ? xasprintf("nat:%s/fip/%s", r->id, f->id) : NULL;
    if (!f->fip->assignment || !*f->fip->assignment->port_id) {
        st->phase = LIMIQUANTIX__NETWORK__V1__FLOATING_IP_STATUS__PHASE__DOWN;
    } else if (!r) {
        st->phase = LIMIQUANTIX__NETWORK__V1__FLOATING_IP_STATUS__PHASE__DOWN;
        st->error_message = "the port's network is not routed to the floating IP's external "
                            "network";
    } else if (reconciler_row_ready(svc->reconciler, "NAT", r->id, sub)) {
        const struct store_port *sp = store_port(svc->store, f->fip->assignment->port_id);
        st->vm_id = sp && sp->port->status ? sp->port->status->vm_id : "";
        st->phase = LIMIQUANTIX__NETWORK__V1__FLOATING_IP_STATUS__PHASE__ACTIVE;
        st->router_id = r->id;
    } else {
        st->phase = LIMIQUANTIX__NETWORK__V1__FLOATING_IP_STATUS__PHASE__PENDING;
        st->router_id = (char *)(r ? r->id : "");
    }
    free(sub);
}

static void
reply_fip(struct svc *svc, struct rpc_call *call, const char *id)
{
    const struct store_fip *f = store_fip(svc->store, id);
    if (!f) {
        rpc_call_fail(call, lq_error_new(LQ_INTERNAL, NULL, "floating IP %s vanished", id));
        return;
    }
    PB(FloatingIp) v;
    PB(FloatingIpStatus) st;
    fip_view(svc, f, &v, &st);
    rpc_call_reply(call, &v.base);
}

static const struct store_fip *
find_fip(struct svc *svc, struct rpc_call *call, const char *id, const char *field, bool write,
         struct lq_error **err)
{
    const struct rpc_principal *p = rpc_call_principal(call);
    const struct store_fip *f = *id ? store_fip(svc->store, id) : NULL;
    *err = NULL;
    if (!*id) {
        *err = lq_error_new(LQ_INVALID_ARGUMENT, field, "required");
    } else if (!f || !svc_can_read(p, f->fip->project_id)) {
        *err = lq_error_new(LQ_NOT_FOUND, field, "floating IP '%s' not found", id);
    } else if (write && !svc_can_write(p, f->fip->project_id)) {
        *err = lq_error_new(LQ_PERMISSION_DENIED, field, "cannot change floating IP '%s'", id);
    }
    return *err ? NULL : f;
}

static void
fip_written(struct svc *svc, struct rpc_call *call, const json_t *results,
            const struct lq_error *err, void *id)
{
    (void)results;
    if (err && err->code == LQ_ALREADY_EXISTS) {
        rpc_call_fail(
            call, lq_error_new(LQ_ALREADY_EXISTS, "ipAddress", "the address is already in use"));
    } else if (err) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
    } else {
        reconciler_kick(svc->reconciler);
        reply_fip(svc, call, id);
    }
    free(id);
}

static json_t *
fip_body(const PB(FloatingIp) * fip)
{
    char *body = pbjson_encode_text(&fip->base);
    json_t *j = json_string(body);
    free(body);
    return j;
}

static void
allocate_fip(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(AllocateFloatingIpRequest) *req = (const PB(AllocateFloatingIpRequest) *)msg;
    const struct rpc_principal *p = rpc_call_principal(call);
    const char *project;
    struct lq_error *err = svc_project(p, req->project_id, true, &project);
    const struct store_network *xn = NULL;
    if (!err) {
        err = svc_check_meta(NULL, req->description, req->n_labels, req->labels);
    }
    if (!err && !*req->external_network_id) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "externalNetworkId", "required");
    } else if (!err) {
        xn = store_network(svc->store, req->external_network_id);
        if (!xn || !svc_network_visible(p, xn)) {
            err = lq_error_new(LQ_NOT_FOUND, "externalNetworkId", "network '%s' not found",
                               req->external_network_id);
        } else if (xn->net->spec->type != PB_NETWORK_TYPE(EXTERNAL) || !xn->v4) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, "externalNetworkId",
                               "floating IPs come from EXTERNAL networks with an IPv4 subnet; "
                               "'%s' is not one",
                               xn->id);
        }
    }
    char addr[NET_ADDR_STRLEN] = "";
    if (!err && *req->ip_address) {
        struct net_addr a;
        err = ipam_parse_fixed_ip(xn->v4, req->ip_address, "ipAddress", &a);
        if (!err) {
            net_addr_to_string(&a, addr);
            if (store_ip_used(svc->store, xn->id, addr)) {
                err = lq_error_new(LQ_ALREADY_EXISTS, "ipAddress", "%s is already in use", addr);
            }
        }
    } else if (!err) {
        err = svc_pick_ip(svc, xn, AF_INET, "externalNetworkId", addr);
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(FloatingIp) fip = LIMIQUANTIX__NETWORK__V1__FLOATING_IP__INIT;
    char id[37];
    lq_uuid_generate(id);
    fip.id = id;
    fip.ip_address = addr;
    fip.external_network_id = xn->id;
    fip.project_id = (char *)project;
    fip.description = req->description;
    fip.n_labels = req->n_labels;
    fip.labels = (void *)req->labels;
    Google__Protobuf__Timestamp now = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    svc_now(&now);
    fip.created_at = fip.updated_at = &now;
    json_t *ops =
        json_pack("[{s:s, s:s, s:s, s:{s:s, s:s}}, {s:s, s:s, s:{s:s, s:s, s:o, s:o}}]", "op",
                  "insert", "table", "Ip_Allocation", "uuid-name", "ip", "row", "network", xn->id,
                  "address", addr, "op", "insert", "table", "Floating_Ip", "row", "id", id,
                  "project", project, "body", fip_body(&fip), "ip", ovsdb_named_uuid("ip"));
    svc_transact(svc, call, ops, fip_written, xstrdup(id));
}

static void
get_fip(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(GetFloatingIpRequest) *req = (const PB(GetFloatingIpRequest) *)msg;
    struct lq_error *err;
    const struct store_fip *f = find_fip(svc, call, req->id, "id", false, &err);
    if (!f) {
        rpc_call_fail(call, err);
        return;
    }
    reply_fip(svc, call, f->id);
}

static bool
keep_fip(const void *item, const char *project, const struct rpc_principal *p, const void *req_)
{
    const PB(ListFloatingIpsRequest) *req = req_;
    const PB(FloatingIp) *fip = ((const struct store_fip *)item)->fip;
    bool assigned = fip->assignment && *fip->assignment->port_id;
    return svc_can_read(p, fip->project_id) && (!project || !strcmp(project, fip->project_id)) &&
           (!*req->external_network_id ||
            !strcmp(req->external_network_id, fip->external_network_id)) &&
           !(req->unassigned_only && assigned);
}

static void
list_fips(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(ListFloatingIpsRequest) *req = (const PB(ListFloatingIpsRequest) *)msg;
    struct svc_page page;
    struct lq_error *err =
        svc_select(rpc_call_principal(call), req->project_id, store_fips(svc->store), keep_fip, req,
                   req->page_token, req->page_size, &page);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(ListFloatingIpsResponse) resp = LIMIQUANTIX__NETWORK__V1__LIST_FLOATING_IPS_RESPONSE__INIT;
    resp.total_count = page.total;
    resp.next_page_token = page.next_token;
    resp.n_floating_ips = page.n;
    resp.floating_ips = xcalloc(page.n + 1, sizeof *resp.floating_ips);
    PB(FloatingIp) *views = xcalloc(page.n + 1, sizeof *views);
    PB(FloatingIpStatus) *sts = xcalloc(page.n + 1, sizeof *sts);
    for (size_t i = 0; i < page.n; i++) {
        fip_view(svc, page.items[i], &views[i], &sts[i]);
        resp.floating_ips[i] = &views[i];
    }
    rpc_call_reply(call, &resp.base);
    free(sts);
    free(views);
    free(resp.floating_ips);
    svc_page_clear(&page);
}

/* Writes 'fip' (a changed copy of 'f'), guarded against concurrent changes. */
static void
write_fip(struct svc *svc, struct rpc_call *call, const struct store_fip *f, PB(FloatingIp) * fip)
{
    svc_now(fip->updated_at);
    const struct ovsdb_row *row = ovsdb_client_get_row(svc->lqdb, "Floating_Ip", f->row_uuid);
    json_t *ops = json_pack(
        "[{s:s, s:s, s:i, s:[[s, s, s]], s:[s], s:s, s:[{s:s}]}, "
        "{s:s, s:s, s:[[s, s, s]], s:{s:o}}]",
        "op", "wait", "table", "Floating_Ip", "timeout", 0, "where", "id", "==", f->id, "columns",
        "body", "until", "==", "rows", "body", row ? ovsdb_row_string(row, "body") : "", "op",
        "update", "table", "Floating_Ip", "where", "id", "==", f->id, "row", "body", fip_body(fip));
    svc_transact(svc, call, ops, fip_written, xstrdup(f->id));
}

static void
associate_fip(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(AssociateFloatingIpRequest) *req = (const PB(AssociateFloatingIpRequest) *)msg;
    const struct rpc_principal *p = rpc_call_principal(call);
    struct lq_error *err;
    const struct store_fip *f =
        find_fip(svc, call, req->floating_ip_id, "floatingIpId", true, &err);
    const struct store_port *sp = NULL;
    const char *ip = NULL;
    if (f) {
        sp = *req->port_id ? store_port(svc->store, req->port_id) : NULL;
        if (!*req->port_id) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, "portId", "required");
        } else if (!sp || !svc_can_read(p, sp->port->project_id) ||
                   strcmp(sp->port->project_id, f->fip->project_id)) {
            err = lq_error_new(LQ_NOT_FOUND, "portId", "port '%s' not found in project '%s'",
                               req->port_id, f->fip->project_id);
        }
    }
    if (sp && !err) {
        const struct store_network *sn = store_network(svc->store, sp->network);
        const struct store_router *r =
            sn && *sn->router ? store_router(svc->store, sn->router) : NULL;
        if (!r || strcmp(r->external_network, f->fip->external_network_id)) {
            err = lq_error_new(LQ_FAILED_PRECONDITION, "portId",
                               "the port's network is not routed to external network '%s' "
                               "(set its router.externalGatewayNetworkId)",
                               f->fip->external_network_id);
        }
        const PB(PortSpec) *spec = sp->port->spec;
        for (size_t i = 0; !err && i < spec->n_fixed_ips; i++) {
            const char *a = spec->fixed_ips[i]->ip_address;
            bool v4 = !strchr(a, ':');
            if (*req->fixed_ip ? !strcmp(req->fixed_ip, a) : v4 && !ip) {
                ip = a;
            }
        }
        if (!err && !ip) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, "fixedIp",
                               *req->fixed_ip ? "'%s' is not an address of the port"
                                              : "the port has no IPv4 address%s",
                               req->fixed_ip);
        }
        const struct strmap *fips = store_fips(svc->store);
        for (struct strmap_node *n = strmap_first(fips); !err && n; n = strmap_next(fips, n)) {
            const struct store_fip *o = n->value;
            const PB(FloatingIpAssignment) *a = o->fip->assignment;
            if (o != f && a && !strcmp(a->port_id, sp->id) && !strcmp(a->fixed_ip, ip)) {
                err = lq_error_new(LQ_ALREADY_EXISTS, "fixedIp",
                                   "floating IP %s already points at %s", o->fip->ip_address, ip);
            }
        }
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(FloatingIp) *fip = (PB(FloatingIp) *)pbjson_clone(&f->fip->base);
    if (!fip->assignment) {
        fip->assignment = xmalloc(sizeof *fip->assignment);
        limiquantix__network__v1__floating_ip_assignment__init(fip->assignment);
    }
    validate_set_string(&fip->assignment->port_id, sp->id);
    validate_set_string(&fip->assignment->fixed_ip, ip);
    write_fip(svc, call, f, fip);
    protobuf_c_message_free_unpacked(&fip->base, NULL);
}

json_t *
svc_fip_release_port_ops(struct svc *svc, const char *port_id)
{
    json_t *ops = json_array();
    const struct strmap *fips = store_fips(svc->store);
    for (struct strmap_node *n = strmap_first(fips); n; n = strmap_next(fips, n)) {
        const struct store_fip *f = n->value;
        if (!f->fip->assignment || strcmp(f->fip->assignment->port_id, port_id)) {
            continue;
        }
        PB(FloatingIp) *fip = (PB(FloatingIp) *)pbjson_clone(&f->fip->base);
        protobuf_c_message_free_unpacked(&fip->assignment->base, NULL);
        fip->assignment = NULL;
        svc_now(fip->updated_at);
        json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, s]], s:{s:o}}", "op", "update",
                                             "table", "Floating_Ip", "where", "id", "==", f->id,
                                             "row", "body", fip_body(fip)));
        protobuf_c_message_free_unpacked(&fip->base, NULL);
    }
    return ops;
}

static void
disassociate_fip(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(DisassociateFloatingIpRequest) *req = (const PB(DisassociateFloatingIpRequest) *)msg;
    struct lq_error *err;
    const struct store_fip *f =
        find_fip(svc, call, req->floating_ip_id, "floatingIpId", true, &err);
    if (!f) {
        rpc_call_fail(call, err);
        return;
    }
    PB(FloatingIp) *fip = (PB(FloatingIp) *)pbjson_clone(&f->fip->base);
    protobuf_c_message_free_unpacked(fip->assignment ? &fip->assignment->base : NULL, NULL);
    fip->assignment = NULL;
    write_fip(svc, call, f, fip);
    protobuf_c_message_free_unpacked(&fip->base, NULL);
}

static void
release_fip(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(ReleaseFloatingIpRequest) *req = (const PB(ReleaseFloatingIpRequest) *)msg;
    struct lq_error *err;
    const struct store_fip *f = find_fip(svc, call, req->id, "id", true, &err);
    if (!f) {
        rpc_call_fail(call, err);
        return;
    }
    svc_delete_row(svc, call, "Floating_Ip", f->id);
}

const struct rpc_handler svc_fip_handlers[] = {
    {"AllocateFloatingIp", allocate_fip},
    {"GetFloatingIp", get_fip},
    {"ListFloatingIps", list_fips},
    {"ReleaseFloatingIp", release_fip},
    {"AssociateFloatingIp", associate_fip},
    {"DisassociateFloatingIp", disassociate_fip},
    {NULL, NULL},
};
