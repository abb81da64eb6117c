/* Routers: implied by networks' router settings (one logical router per
 * project and external network), created with the first network that
 * needs one and removed when the last one leaves. RouterService reads them. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "reconcile.h"
#include "svc.h"
#include "util.h"
#include "validate.h"

bool
svc_network_routed(const PB(VirtualNetworkSpec) * spec)
{
    return spec->router && (spec->router->enabled || *spec->router->external_gateway_network_id);
}

struct lq_error *
svc_router_attach(struct svc *svc, const PB(VirtualNetwork) * net, json_t *ops, json_t *row)
{
    if (!svc_network_routed(net->spec)) {
        json_object_set_new(row, "router", json_string(""));
        return NULL;
    }
    const char *ext = net->spec->router->external_gateway_network_id;
    const struct store_network *xn = *ext ? store_network(svc->store, ext) : NULL;
    if (*ext && !xn) {
        return lq_error_new(LQ_NOT_FOUND, "spec.router.externalGatewayNetworkId",
                            "network '%s' not found", ext);
    }
    if (xn && xn->net->spec->type != PB_NETWORK_TYPE(EXTERNAL)) {
        return lq_error_new(LQ_FAILED_PRECONDITION, "spec.router.externalGatewayNetworkId",
                            "network '%s' is not an EXTERNAL network", ext);
    }
    const struct store_router *r = store_router_for(svc->store, net->project_id, ext);
    if (r) {
        json_object_set_new(row, "router", json_string(r->id));
        return NULL;
    }
    char id[37], addr[46] = "";
    lq_uuid_generate(id);
    char *key = store_router_key(net->project_id, ext);
    json_t *router = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "project", net->project_id,
                               "external_network", ext, "unique_key", key, "gateway_address", "");
    free(key);
    if (xn) {
        /* The router's address on the outside, reserved like any other. */
        struct lq_error *err =
            svc_pick_ip(svc, xn, AF_INET, "spec.router.externalGatewayNetworkId", addr);
        if (err) {
            json_decref(router);
            return err;
        }
        json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "op", "insert",
                                             "table", "Ip_Allocation", "uuid-name", "gwip", "row",
                                             "network", ext, "address", addr));
        json_object_set_new(router, "gateway_ip", ovsdb_named_uuid("gwip"));
        json_object_set_new(router, "gateway_address", json_string(addr));
    }
    json_array_append_new(
        ops, json_pack("{s:s, s:s, s:o}", "op", "insert", "table", "Router", "row", router));
    json_object_set_new(row, "router", json_string(id));
    return NULL;
}

static void
gc_done(void *aux, const json_t *results, const struct lq_error *err)
{
    (void)aux;
    (void)results;
    /* A network attached meanwhile makes the "wait" fail: keep the router. */
    if (err && err->code != LQ_ABORTED) {
        LQ_LOG_RL(LQ_LOG_WARN, "router", "removing an unused router failed: %s", err->message);
    }
}

void
svc_router_gc(struct svc *svc)
{
    const struct strmap *routers = store_routers(svc->store);
    for (struct strmap_node *n = strmap_first(routers); n; n = strmap_next(routers, n)) {
        const struct store_router *r = n->value;
        if (strmap_count(&r->networks)) {
            continue;
        }
        json_t *ops = json_pack("[{s:s, s:s, s:i, s:[[s, s, s]], s:[s], s:s, s:[]}, "
                                "{s:s, s:s, s:[[s, s, s]]}]",
                                "op", "wait", "table", "Network", "timeout", 0, "where", "router",
                                "==", r->id, "columns", "id", "until", "==", "rows", "op", "delete",
                                "table", "Router", "where", "id", "==", r->id);
        ovsdb_client_transact(svc->lqdb, ops, gc_done, NULL);
    }
}

/* The router as the API shows it. Pointers into the store; free the
 * arrays with router_view_clear(). */
static void
router_view(struct svc *svc, const struct store_router *r, PB(Router) * v, PB(RouterStatus) * st)
{
    limiquantix__network__v1__router__init(v);
    limiquantix__network__v1__router_status__init(st);
    v->id = r->id;
    v->project_id = r->project;
    v->external_network_id = r->external_network;
    v->external_ip = r->gateway_ip;
    size_t n;
    struct strmap_node **nets = strmap_sorted(&r->networks, &n);
    v->network_ids = xcalloc(n + 1, sizeof *v->network_ids);
    v->n_network_ids = n;
    size_t n_routes = 0;
    for (size_t i = 0; i < n; i++) {
        const struct store_network *sn = nets[i]->value;
        v->network_ids[i] = sn->id;
        n_routes += sn->net->spec->router ? sn->net->spec->router->n_routes : 0;
    }
    v->routes = xcalloc(n_routes + 1, sizeof *v->routes);
    for (size_t i = 0; i < n; i++) {
        const PB(RouterConfig) *rc =
            ((const struct store_network *)nets[i]->value)->net->spec->router;
        for (size_t j = 0; rc && j < rc->n_routes; j++) {
            v->routes[v->n_routes++] = rc->routes[j];
        }
    }
    free(nets);
    const char *host = reconciler_gateway_host(svc->reconciler, r->id);
    v->gateway_host = (char *)(host ? host : "");
    v->status = st;
    const char *error = reconciler_error(svc->reconciler, r->id);
    st->error_message = (char *)(error ? error : "");
    st->phase = error ? LIMIQUANTIX__NETWORK__V1__ROUTER_STATUS__PHASE__ERROR
                : reconciler_is_ready(svc->reconciler, r->id)
                    ? LIMIQUANTIX__NETWORK__V1__ROUTER_STATUS__PHASE__ACTIVE
                    : LIMIQUANTIX__NETWORK__V1__ROUTER_STATUS__PHASE__PENDING;
}

static void
router_view_clear(PB(Router) * v)
{
    free(v->network_ids);
    free(v->routes);
}

static void
get_router(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(GetRouterRequest) *req = (const PB(GetRouterRequest) *)msg;
    const struct store_router *r = *req->id ? store_router(svc->store, req->id) : NULL;
    if (!r || !svc_can_read(rpc_call_principal(call), r->project)) {
        rpc_call_fail(call, lq_error_new(*req->id ? LQ_NOT_FOUND : LQ_INVALID_ARGUMENT, "id",
                                         *req->id ? "router not found" : "required"));
        return;
    }
    PB(Router) v;
    PB(RouterStatus) st;
    router_view(svc, r, &v, &st);
    rpc_call_reply(call, &v.base);
    router_view_clear(&v);
}

static bool
keep_router(const void *item, const char *project, const struct rpc_principal *p, const void *aux)
{
    const struct store_router *r = item;
    (void)aux;
    return svc_can_read(p, r->project) && (!project || !strcmp(project, r->project));
}

static void
list_routers(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(ListRoutersRequest) *req = (const PB(ListRoutersRequest) *)msg;
    struct svc_page page;
    struct lq_error *err =
        svc_select(rpc_call_principal(call), req->project_id, store_routers(svc->store),
                   keep_router, NULL, req->page_token, req->page_size, &page);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(ListRoutersResponse) resp = LIMIQUANTIX__NETWORK__V1__LIST_ROUTERS_RESPONSE__INIT;
    resp.total_count = page.total;
    resp.next_page_token = page.next_token;
    resp.n_routers = page.n;
    resp.routers = xcalloc(page.n + 1, sizeof *resp.routers);
    PB(Router) *views = xcalloc(page.n + 1, sizeof *views);
    PB(RouterStatus) *sts = xcalloc(page.n + 1, sizeof *sts);
    for (size_t i = 0; i < page.n; i++) {
        router_view(svc, page.items[i], &views[i], &sts[i]);
        resp.routers[i] = &views[i];
    }
    rpc_call_reply(call, &resp.base);
    for (size_t i = 0; i < page.n; i++) {
        router_view_clear(&views[i]);
    }
    free(views);
    free(sts);
    free(resp.routers);
    svc_page_clear(&page);
}

const struct rpc_handler svc_router_handlers[] = {
    {"ListRouters", list_routers},
    {"GetRouter", get_router},
    {NULL, NULL},
};
