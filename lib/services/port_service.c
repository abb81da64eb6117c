/* PortService. */
#include <openssl/rand.h>
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

/* Automatic allocations are retried this often when another lqnetd took
 * the same address first. */
#define PORT_ALLOC_TRIES 4

/* A port as the API shows it: the stored port with its status. Fills
 * 'view' and 'st' (caller's storage) with pointers into the store and the
 * replicas, valid until the event loop runs again; port_view_clear() frees
 * what the view allocated. */
static void
port_view(const struct svc *svc, const struct store_port *sp, PB(Port) * view, PB(PortStatus) * st)
{
    *view = *sp->port;
    view->status = st;
    limiquantix__network__v1__port_status__init(st);
    struct port_state state;
    reconciler_port_state(svc->reconciler, sp->id, &state);
    const char *error = reconciler_error(svc->reconciler, sp->id);
    if (error) {
        st->phase = PB_PORT_PHASE(ERROR);
        st->error_message = (char *)error;
    } else if (!reconciler_is_ready(svc->reconciler, sp->id)) {
        st->phase = PB_PORT_PHASE(PENDING);
    } else {
        st->phase = state.up ? PB_PORT_PHASE(ACTIVE) : PB_PORT_PHASE(DOWN);
    }
    st->host_id = (char *)(state.chassis ? state.chassis : "");
    st->mac_address = view->spec->mac_address;
    st->n_ip_addresses = view->spec->n_fixed_ips;
    st->ip_addresses = xcalloc(st->n_ip_addresses + 1, sizeof *st->ip_addresses);
    for (size_t i = 0; i < st->n_ip_addresses; i++) {
        st->ip_addresses[i] = view->spec->fixed_ips[i]->ip_address;
    }
    st->ovn_port = sp->id;
    st->vm_id = sp->port->status ? sp->port->status->vm_id : "";
}

static void
port_view_clear(PB(PortStatus) * st)
{
    free(st->ip_addresses);
}

static void
reply_port(struct svc *svc, struct rpc_call *call, const char *id)
{
    const struct store_port *sp = store_port(svc->store, id);
    if (!sp) {
        rpc_call_fail(call, lq_error_new(LQ_INTERNAL, NULL, "port %s vanished", id));
        return;
    }
    PB(Port) view;
    PB(PortStatus) st;
    port_view(svc, sp, &view, &st);
    rpc_call_reply(call, &view.base);
    port_view_clear(&st);
}

static const struct store_port *
find_port(struct svc *svc, struct rpc_call *call, const char *id, bool write, struct lq_error **err)
{
    const struct rpc_principal *p = rpc_call_principal(call);
    const struct store_port *sp = *id ? store_port(svc->store, id) : NULL;
    *err = NULL;
    if (!*id) {
        *err = lq_error_new(LQ_INVALID_ARGUMENT, "id", "required");
    } else if (!sp || !svc_can_read(p, sp->port->project_id)) {
        *err = lq_error_new(LQ_NOT_FOUND, "id", "port '%s' not found", id);
    } else if (write && !svc_can_write(p, sp->port->project_id)) {
        *err = lq_error_new(LQ_PERMISSION_DENIED, "id", "cannot change port '%s'", id);
    }
    return *err ? NULL : sp;
}

/* What a port create or update is about to write. */
struct port_txn {
    char *id;
    char *network;
    char **inflight; /* keys in svc->inflight held by this transaction */
    size_t n_inflight;
    PB(Port) * port; /* CreatePort only, for retries */
    bool auto_ips;   /* CreatePort: the addresses were chosen by lqnet */
    bool auto_sgs;   /* CreatePort: the security groups are lqnet's choice */
    bool created_sg; /* ... and the transaction creates the default group */
    int tries;
};

static void
port_txn_free(struct svc *svc, struct port_txn *t)
{
    for (size_t i = 0; i < t->n_inflight; i++) {
        strmap_remove(&svc->inflight, t->inflight[i]);
        free(t->inflight[i]);
    }
    free(t->inflight);
    free(t->id);
    free(t->network);
    if (t->port) {
        protobuf_c_message_free_unpacked(&t->port->base, NULL);
    }
    free(t);
}

static void
hold(struct svc *svc, struct port_txn *t, const char *network, const char *value)
{
    char *key = xasprintf("%s|%s", network, value);
    strmap_put(&svc->inflight, key, t);
    t->inflight = xrealloc(t->inflight, (t->n_inflight + 1) * sizeof *t->inflight);
    t->inflight[t->n_inflight++] = key;
}

static bool
taken(const struct svc *svc, const char *network, const char *value, bool ip)
{
    char *key = xasprintf("%s|%s", network, value);
    bool held = strmap_contains(&svc->inflight, key);
    free(key);
    return held || (ip ? store_ip_used(svc->store, network, value)
                       : store_mac_used(svc->store, network, value));
}

struct used_ctx {
    const struct svc *svc;
    const struct store_network *sn;
};

/* Used addresses for automatic allocation: allocated, in flight, or bound
 * to a MAC by a DHCP static binding. */
static bool
ip_is_used(void *aux, const struct net_addr *a)
{
    struct used_ctx *u = aux;
    char buf[NET_ADDR_STRLEN];
    net_addr_to_string(a, buf);
    if (taken(u->svc, u->sn->id, buf, true)) {
        return true;
    }
    const PB(DhcpConfig) *d = u->sn->net->spec->ip_config->dhcp;
    for (size_t i = 0; d && i < d->n_static_bindings; i++) {
        if (!strcmp(d->static_bindings[i]->ip_address, buf)) {
            return true;
        }
    }
    return false;
}

struct lq_error *
svc_pick_ip(struct svc *svc, const struct store_network *sn, int family, const char *field,
            char out[NET_ADDR_STRLEN])
{
    const struct ipam_subnet *subnet = family == AF_INET ? sn->v4 : sn->v6;
    struct used_ctx u = {svc, sn};
    struct net_addr a;
    char *hint_key = xasprintf("%s|%d", sn->id, family == AF_INET ? 4 : 6);
    struct net_addr *hint = strmap_get(&svc->hints, hint_key);
    bool found = subnet && ipam_next_free(subnet, ip_is_used, &u, hint, &a);
    if (found) {
        if (!hint) {
            hint = xmalloc(sizeof *hint);
            strmap_put(&svc->hints, hint_key, hint);
        }
        *hint = a;
        net_addr_to_string(&a, out);
    }
    free(hint_key);
    return found ? NULL
                 : lq_error_new(subnet ? LQ_RESOURCE_EXHAUSTED : LQ_FAILED_PRECONDITION, field,
                                subnet ? "no free %s address left in network '%s'"
                                       : "network '%s' has no %s subnet",
                                subnet ? (family == AF_INET ? "IPv4" : "IPv6") : sn->id,
                                subnet ? sn->id : (family == AF_INET ? "IPv4" : "IPv6"));
}

static void
add_fixed_ip(PB(PortSpec) * spec, const char *addr)
{
    PB(FixedIp) *f = xmalloc(sizeof *f);
    limiquantix__network__v1__fixed_ip__init(f);
    f->ip_address = xstrdup(addr);
    spec->fixed_ips = xrealloc(spec->fixed_ips, (spec->n_fixed_ips + 1) * sizeof *spec->fixed_ips);
    spec->fixed_ips[spec->n_fixed_ips++] = f;
}

/* The static binding for 'mac' in the network, if any. */
static const PB(DhcpBinding) * static_binding(const struct store_network *sn, const char *mac)
{
    const PB(DhcpConfig) *d = sn->net->spec->ip_config->dhcp;
    for (size_t i = 0; d && i < d->n_static_bindings; i++) {
        if (!strcmp(d->static_bindings[i]->mac_address, mac)) {
            return d->static_bindings[i];
        }
    }
    return NULL;
}

static struct lq_error *
choose_mac(struct svc *svc, const struct store_network *sn, PB(PortSpec) * spec)
{
    char buf[NET_MAC_STRLEN];
    struct net_mac mac;
    if (*spec->mac_address) {
        if (!net_mac_parse(spec->mac_address, &mac) || net_mac_is_multicast(&mac) ||
            net_mac_is_zero(&mac)) {
            return lq_error_new(LQ_INVALID_ARGUMENT, "spec.macAddress",
                                "'%s' is not a unicast MAC address", spec->mac_address);
        }
        net_mac_format(&mac, buf);
        if (taken(svc, sn->id, buf, false)) {
            return lq_error_new(LQ_ALREADY_EXISTS, "spec.macAddress",
                                "%s is already used in network '%s'", buf, sn->id);
        }
        validate_set_string(&spec->mac_address, buf);
        return NULL;
    }
    for (int i = 0; i < 64; i++) {
        uint8_t rnd[6];
        RAND_bytes(rnd, sizeof rnd);
        net_mac_generate(&mac, rnd);
        net_mac_format(&mac, buf);
        if (!taken(svc, sn->id, buf, false) && !static_binding(sn, buf)) {
            validate_set_string(&spec->mac_address, buf);
            return NULL;
        }
    }
    return lq_error_new(LQ_RESOURCE_EXHAUSTED, "spec.macAddress", "no free MAC address found");
}

/* On a /64, the modified EUI-64 address of 'mac', if it is free and may be
 * handed out: what a VM configures by itself from router advertisements. */
static bool
eui64_address(const struct svc *svc, const struct store_network *sn, const char *mac,
              char out[NET_ADDR_STRLEN])
{
    struct net_mac m;
    struct net_addr a;
    const struct net_cidr *c = ipam_cidr(sn->v6);
    if (c->plen != 64 || !net_mac_parse(mac, &m) || !net_addr_from_eui64(c, &m, &a) ||
        !ipam_is_allocatable(sn->v6, &a)) {
        return false;
    }
    net_addr_to_string(&a, out);
    return !taken(svc, sn->id, out, true);
}

/* Checks user-requested fixed IPs, or allocates one address per subnet. */
static struct lq_error *
choose_ips(struct svc *svc, const struct store_network *sn, PB(PortSpec) * spec, bool *auto_ips)
{
    *auto_ips = spec->n_fixed_ips == 0;
    for (size_t i = 0; i < spec->n_fixed_ips; i++) {
        PB(FixedIp) *f = spec->fixed_ips[i];
        char *field = xasprintf("spec.fixedIps[%zu].ipAddress", i);
        struct net_addr a = {0};
        struct lq_error *err = NULL;
        const struct ipam_subnet *s = NULL;
        if (*f->subnet_id && strcmp(f->subnet_id, "ipv4") && strcmp(f->subnet_id, "ipv6")) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, "spec.fixedIps.subnetId",
                               "'%s' is not a subnet of the network (use ipv4, ipv6 or leave "
                               "it empty)",
                               f->subnet_id);
        } else if (!*f->ip_address) {
            s = !strcmp(f->subnet_id, "ipv6") ? sn->v6 : sn->v4;
            struct used_ctx u = {svc, sn};
            if (!s) {
                err = lq_error_new(LQ_INVALID_ARGUMENT, field, "the network has no %s subnet",
                                   *f->subnet_id ? f->subnet_id : "ipv4");
            } else if (!ipam_next_free(s, ip_is_used, &u, NULL, &a)) {
                err = lq_error_new(LQ_RESOURCE_EXHAUSTED, field,
                                   "no free address left in network '%s'", sn->id);
            }
        } else if (!net_addr_parse(f->ip_address, &a)) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, field, "'%s' is not an IP address",
                               f->ip_address);
        } else {
            s = a.family == AF_INET ? sn->v4 : sn->v6;
            err = s ? ipam_check_fixed_ip(s, &a, field)
                    : lq_error_new(LQ_INVALID_ARGUMENT, field,
                                   "the network has no %s subnet for '%s'",
                                   a.family == AF_INET ? "IPv4" : "IPv6", f->ip_address);
            char buf[NET_ADDR_STRLEN];
            if (!err && taken(svc, sn->id, net_addr_to_string(&a, buf), true)) {
                err = lq_error_new(LQ_ALREADY_EXISTS, field, "%s is already used in network '%s'",
                                   buf, sn->id);
            }
        }
        for (size_t j = 0; !err && j < i; j++) {
            if (!strcmp(spec->fixed_ips[j]->ip_address, f->ip_address)) {
                err = lq_error_new(LQ_INVALID_ARGUMENT, field, "%s is listed twice", f->ip_address);
            }
        }
        free(field);
        if (err) {
            return err;
        }
        char buf[NET_ADDR_STRLEN];
        validate_set_string(&f->ip_address, net_addr_to_string(&a, buf));
        validate_set_string(&f->subnet_id, a.family == AF_INET ? "ipv4" : "ipv6");
    }
    if (!*auto_ips) {
        return NULL;
    }
    const PB(DhcpBinding) *b = static_binding(sn, spec->mac_address);
    if (b) {
        if (taken(svc, sn->id, b->ip_address, true)) {
            return lq_error_new(LQ_ALREADY_EXISTS, "spec.macAddress",
                                "the static binding's address %s is already in use", b->ip_address);
        }
        add_fixed_ip(spec, b->ip_address);
        *auto_ips = false;
    }
    const struct ipam_subnet *subnets[] = {b ? NULL : sn->v4, sn->v6};
    for (size_t i = 0; i < LQ_ARRAY_SIZE(subnets); i++) {
        char buf[NET_ADDR_STRLEN];
        struct lq_error *err = NULL;
        if (i && subnets[i] && eui64_address(svc, sn, spec->mac_address, buf)) {
            /* The address SLAAC gives the VM from its MAC. */
        } else if (subnets[i]) {
            err = svc_pick_ip(svc, sn, i ? AF_INET6 : AF_INET, "spec.fixedIps", buf);
        }
        if (err) {
            return err;
        }
        if (subnets[i]) {
            add_fixed_ip(spec, buf);
            validate_set_string(&spec->fixed_ips[spec->n_fixed_ips - 1]->subnet_id,
                                i ? "ipv6" : "ipv4");
        }
    }
    return NULL;
}

static struct lq_error *
check_spec(const struct store_network *sn, PB(PortSpec) * spec)
{
    for (size_t i = 0; i < spec->n_allowed_address_pairs; i++) {
        PB(AddressPair) *pair = spec->allowed_address_pairs[i];
        struct net_cidr c;
        struct net_addr a;
        struct net_mac m;
        char *field = xasprintf("spec.allowedAddressPairs[%zu]", i);
        struct lq_error *err = NULL;
        if (!net_addr_parse(pair->ip_address, &a) && !net_cidr_parse(pair->ip_address, &c)) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, field, "'%s' is not an IP address or CIDR",
                               pair->ip_address);
        } else if (*pair->mac_address &&
                   (!net_mac_parse(pair->mac_address, &m) || net_mac_is_multicast(&m))) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, field, "'%s' is not a unicast MAC address",
                               pair->mac_address);
        }
        free(field);
        if (err) {
            return err;
        }
    }
    if (spec->qos && (spec->qos->ingress_rate_kbps || spec->qos->egress_rate_kbps ||
                      spec->qos->ingress_burst_kb || spec->qos->egress_burst_kb)) {
        return lq_error_new(LQ_UNIMPLEMENTED, "spec.qos", "port QoS is not available yet");
    }
    if (spec->binding && spec->binding->type != LIMIQUANTIX__NETWORK__V1__VNIC_TYPE__NORMAL) {
        return lq_error_new(LQ_UNIMPLEMENTED, "spec.binding.type",
                            "only NORMAL (OVS) ports are available yet");
    }
    if (!PB_HAS(spec, port_security_enabled)) {
        PB_MARK(spec, port_security_enabled);
        spec->port_security_enabled = sn->net->spec->port_security_enabled;
    }
    if (!PB_HAS(spec, admin_state_up)) {
        PB_MARK(spec, admin_state_up);
        spec->admin_state_up = true;
    }
    return NULL;
}

/* Settles the port's security groups: none without port security (asking
 * for some is failed_precondition); with it, the ones asked for, else the
 * network's default group, else the project's "default" group, whose
 * creation is then appended to 'ops' ('*created' set). */
static struct lq_error *
resolve_sgs(struct svc *svc, const struct store_network *sn, const char *project,
            PB(PortSpec) * spec, json_t *ops, bool *created)
{
    *created = false;
    if (!spec->port_security_enabled) {
        return spec->n_security_group_ids
                   ? lq_error_new(LQ_FAILED_PRECONDITION, "spec.securityGroupIds",
                                  "a port without port security has no firewall: drop its "
                                  "security groups or enable port security")
                   : NULL;
    }
    if (spec->n_security_group_ids) {
        return svc_check_sg_ids(svc, project, spec->security_group_ids, spec->n_security_group_ids,
                                "spec.securityGroupIds");
    }
    const char *net_default = sn->net->spec->default_security_group_id;
    const struct store_sg *g = store_default_sg(svc->store, project);
    char id[37];
    if (*net_default) {
        snprintf(id, sizeof id, "%s", net_default);
    } else if (g) {
        snprintf(id, sizeof id, "%s", g->id);
    } else {
        svc_default_sg_op(project, ops, id);
        *created = true;
    }
    spec->security_group_ids = xrealloc(spec->security_group_ids, 2 * sizeof(char *));
    spec->security_group_ids[0] = xstrdup(id);
    spec->n_security_group_ids = 1;
    return NULL;
}

static json_t *
port_ops(const PB(Port) * port, bool create)
{
    char *body = pbjson_encode_text(&port->base);
    json_t *ops = json_array();
    json_array_append_new(ops, json_pack("{s:s, s:s, s:i, s:[[s, s, s]], s:[s], s:s, s:[{s:s}]}",
                                         "op", "wait", "table", "Network", "timeout", 0, "where",
                                         "id", "==", port->network_id, "columns", "id", "until",
                                         "==", "rows", "id", port->network_id));
    if (!create) {
        json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, s]], s:{s:s}}", "op", "update",
                                             "table", "Port", "where", "id", "==", port->id, "row",
                                             "body", body));
        free(body);
        return ops;
    }
    json_t *ips = json_array();
    for (size_t i = 0; i < port->spec->n_fixed_ips; i++) {
        char name[32];
        snprintf(name, sizeof name, "ip%zu", i);
        json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "op", "insert",
                                             "table", "Ip_Allocation", "uuid-name", name, "row",
                                             "network", port->network_id, "address",
                                             port->spec->fixed_ips[i]->ip_address));
        json_array_append_new(ips, ovsdb_named_uuid(name));
    }
    json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "op", "insert", "table",
                                         "Mac_Allocation", "uuid-name", "mac", "row", "network",
                                         port->network_id, "mac", port->spec->mac_address));
    json_array_append_new(ops, json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:[s, o], s:o}}",
                                         "op", "insert", "table", "Port", "row", "id", port->id,
                                         "project", port->project_id, "network", port->network_id,
                                         "ovn_name", port->id, "body", body, "ips", "set", ips,
                                         "mac", ovsdb_named_uuid("mac")));
    free(body);
    return ops;
}

static void send_create(struct svc *svc, struct rpc_call *call, struct port_txn *t);

static void
port_written(struct svc *svc, struct rpc_call *call, const json_t *results,
             const struct lq_error *err, void *t_)
{
    struct port_txn *t = t_;
    (void)results;
    if (err && err->code == LQ_ALREADY_EXISTS && t->port && (t->auto_ips || t->created_sg) &&
        ++t->tries < PORT_ALLOC_TRIES) {
        /* Another writer took the address, or created the project's
         * default group, first: choose again. */
        const struct store_network *sn = store_network(svc->store, t->network);
        PB(PortSpec) *spec = t->port->spec;
        struct lq_error *e =
            sn ? NULL : lq_error_new(LQ_NOT_FOUND, "networkId", "network not found");
        if (!e && t->auto_ips) {
            for (size_t i = 0; i < spec->n_fixed_ips; i++) {
                protobuf_c_message_free_unpacked(&spec->fixed_ips[i]->base, NULL);
            }
            spec->n_fixed_ips = 0;
            bool auto_ips;
            e = choose_ips(svc, sn, spec, &auto_ips);
        }
        if (!e) {
            send_create(svc, call, t);
            return;
        }
        rpc_call_fail(call, e);
    } else if (err && err->code == LQ_ABORTED) {
        rpc_call_fail(
            call, lq_error_new(LQ_NOT_FOUND, "networkId", "network '%s' not found", t->network));
    } else if (err) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
    } else {
        reconciler_kick(svc->reconciler);
        reply_port(svc, call, t->id);
    }
    port_txn_free(svc, t);
}

static void
send_create(struct svc *svc, struct rpc_call *call, struct port_txn *t)
{
    for (size_t i = 0; i < t->n_inflight; i++) {
        strmap_remove(&svc->inflight, t->inflight[i]);
        free(t->inflight[i]);
    }
    t->n_inflight = 0;
    const PB(PortSpec) *spec = t->port->spec;
    for (size_t i = 0; i < spec->n_fixed_ips; i++) {
        hold(svc, t, t->network, spec->fixed_ips[i]->ip_address);
    }
    hold(svc, t, t->network, spec->mac_address);
    json_t *ops = json_array();
    if (t->auto_sgs) {
        PB(PortSpec) *s = t->port->spec;
        for (size_t i = 0; i < s->n_security_group_ids; i++) {
            free(s->security_group_ids[i]);
        }
        s->n_security_group_ids = 0;
        const struct store_network *sn = store_network(svc->store, t->network);
        struct lq_error *err =
            sn ? resolve_sgs(svc, sn, t->port->project_id, s, ops, &t->created_sg)
               : lq_error_new(LQ_NOT_FOUND, "networkId", "network not found");
        if (err) {
            json_decref(ops);
            port_txn_free(svc, t);
            rpc_call_fail(call, err);
            return;
        }
    }
    json_t *port = port_ops(t->port, true);
    json_array_extend(ops, port);
    json_decref(port);
    svc_transact(svc, call, ops, port_written, t);
}

static void
create_port(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(CreatePortRequest) *req = (const PB(CreatePortRequest) *)msg;
    const struct rpc_principal *p = rpc_call_principal(call);
    const char *project;
    struct lq_error *err = svc_project(p, req->project_id, true, &project);
    if (!err) {
        err = svc_check_meta(req->name, NULL, req->n_labels, req->labels);
    }
    const struct store_network *sn = NULL;
    if (!err && !*req->network_id) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "networkId", "required");
    } else if (!err) {
        sn = store_network(svc->store, req->network_id);
        if (!sn || !(svc_can_read(p, sn->net->project_id) || sn->net->spec->shared) ||
            (strcmp(sn->net->project_id, project) && !sn->net->spec->shared)) {
            err =
                lq_error_new(LQ_NOT_FOUND, "networkId", "network '%s' not found", req->network_id);
        }
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(Port) *port = xmalloc(sizeof *port);
    limiquantix__network__v1__port__init(port);
    char id[37];
    lq_uuid_generate(id);
    port->id = xstrdup(id);
    port->name = xstrdup(req->name);
    port->network_id = xstrdup(sn->id);
    port->project_id = xstrdup(project);
    port->n_labels = req->n_labels;
    port->labels = xcalloc(req->n_labels + 1, sizeof *port->labels);
    for (size_t i = 0; i < req->n_labels; i++) {
        port->labels[i] = (void *)pbjson_clone(&req->labels[i]->base);
    }
    if (req->spec) {
        port->spec = (PB(PortSpec) *)pbjson_clone(&req->spec->base);
    } else {
        port->spec = xmalloc(sizeof *port->spec);
        limiquantix__network__v1__port_spec__init(port->spec);
    }
    port->created_at = svc_timestamp_now();
    port->updated_at = svc_timestamp_now();
    *port->updated_at = *port->created_at;

    struct port_txn *t = xcalloc(1, sizeof *t);
    t->id = xstrdup(id);
    t->network = xstrdup(sn->id);
    t->port = port;
    err = check_spec(sn, port->spec);
    t->auto_sgs = port->spec->n_security_group_ids == 0;
    if (!err && !t->auto_sgs) {
        bool created;
        err = resolve_sgs(svc, sn, project, port->spec, NULL, &created);
    }
    if (!err) {
        err = choose_mac(svc, sn, port->spec);
    }
    if (!err) {
        err = choose_ips(svc, sn, port->spec, &t->auto_ips);
    }
    if (err) {
        port_txn_free(svc, t);
        rpc_call_fail(call, err);
        return;
    }
    send_create(svc, call, t);
}

static void
get_port(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(GetPortRequest) *req = (const PB(GetPortRequest) *)msg;
    struct lq_error *err;
    const struct store_port *sp = find_port(svc, call, req->id, false, &err);
    if (!sp) {
        rpc_call_fail(call, err);
        return;
    }
    reply_port(svc, call, sp->id);
}

static bool
keep_port(const void *item, const char *project, const struct rpc_principal *p, const void *req_)
{
    const PB(ListPortsRequest) *req = req_;
    const PB(Port) *port = ((const struct store_port *)item)->port;
    return svc_can_read(p, port->project_id) && (!project || !strcmp(project, port->project_id)) &&
           (!*req->network_id || !strcmp(req->network_id, port->network_id)) &&
           (!*req->vm_id || (port->status && !strcmp(req->vm_id, port->status->vm_id)));
}

static void
list_ports(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(ListPortsRequest) *req = (const PB(ListPortsRequest) *)msg;
    struct svc_page page;
    struct lq_error *err =
        svc_select(rpc_call_principal(call), req->project_id, store_ports(svc->store), keep_port,
                   req, req->page_token, req->page_size, &page);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(ListPortsResponse) resp = LIMIQUANTIX__NETWORK__V1__LIST_PORTS_RESPONSE__INIT;
    resp.total_count = page.total;
    resp.next_page_token = page.next_token;
    resp.n_ports = page.n;
    resp.ports = xcalloc(page.n + 1, sizeof *resp.ports);
    PB(Port) *views = xcalloc(page.n + 1, sizeof *views);
    PB(PortStatus) *sts = xcalloc(page.n + 1, sizeof *sts);
    for (size_t i = 0; i < page.n; i++) {
        port_view(svc, page.items[i], &views[i], &sts[i]);
        resp.ports[i] = &views[i];
    }
    rpc_call_reply(call, &resp.base);
    for (size_t i = 0; i < page.n; i++) {
        port_view_clear(&sts[i]);
    }
    free(sts);
    free(views);
    free(resp.ports);
    svc_page_clear(&page);
}

static void
update_port(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(UpdatePortRequest) *req = (const PB(UpdatePortRequest) *)msg;
    struct lq_error *err;
    const struct store_port *sp = find_port(svc, call, req->id, true, &err);
    if (!sp) {
        rpc_call_fail(call, err);
        return;
    }
    const struct store_network *sn = store_network(svc->store, sp->network);
    if (!req->update_mask || !req->update_mask->n_paths) {
        rpc_call_fail(call, lq_error_new(LQ_INVALID_ARGUMENT, "updateMask",
                                         "required: name the fields to change"));
        return;
    }
    PB(Port) *port = (PB(Port) *)pbjson_clone(&sp->port->base);
    for (size_t i = 0; !err && i < req->update_mask->n_paths; i++) {
        const char *path = req->update_mask->paths[i];
        if (!lq_str_starts_with(path, "spec.")) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, "updateMask", "'%s' cannot be updated", path);
        } else if (lq_str_starts_with(path, "spec.mac_address") ||
                   lq_str_starts_with(path, "spec.fixed_ips")) {
            err = lq_error_new(LQ_INVALID_ARGUMENT, "updateMask",
                               "'%s' is fixed once the port exists; create a new port", path);
        }
    }
    if (!err) {
        PB(Port) src = LIMIQUANTIX__NETWORK__V1__PORT__INIT;
        src.spec = req->spec;
        err = pbjson_apply_mask(&port->base, &src.base, &req->update_mask->base, NULL);
    }
    if (!err && !port->spec) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "spec", "a port needs a spec");
    }
    /* A masked switch that the request left out is turned off, as FieldMask
     * semantics say, not back to its default. */
    PB(PortSpec) *spec = err ? NULL : port->spec;
    if (spec && !PB_HAS(spec, port_security_enabled)) {
        PB_MARK(spec, port_security_enabled);
    }
    if (spec && !PB_HAS(spec, admin_state_up)) {
        PB_MARK(spec, admin_state_up);
    }
    if (!err && sn) {
        err = check_spec(sn, port->spec);
    }
    json_t *ops = json_array();
    bool created = false;
    if (!err && !sn) {
        err = lq_error_new(LQ_NOT_FOUND, "networkId", "network '%s' not found", sp->network);
    }
    if (!err && spec->port_security_enabled && !sp->port->spec->port_security_enabled &&
        !spec->n_security_group_ids) {
        /* Port security turned on: the port gets its default group. */
        err = resolve_sgs(svc, sn, port->project_id, spec, ops, &created);
    } else if (!err && (spec->n_security_group_ids || !spec->port_security_enabled)) {
        err = resolve_sgs(svc, sn, port->project_id, spec, NULL, &created);
    }
    if (err) {
        json_decref(ops);
        protobuf_c_message_free_unpacked(&port->base, NULL);
        rpc_call_fail(call, err);
        return;
    }
    svc_now(port->updated_at);
    struct port_txn *t = xcalloc(1, sizeof *t);
    t->id = xstrdup(sp->id);
    t->network = xstrdup(sp->network);
    json_t *update = port_ops(port, false);
    json_array_extend(ops, update);
    json_decref(update);
    protobuf_c_message_free_unpacked(&port->base, NULL);
    svc_transact(svc, call, ops, port_written, t);
}

static void
write_binding(struct svc *svc, struct rpc_call *call, const struct store_port *sp,
              const char *vm_id, const char *device)
{
    PB(Port) *port = (PB(Port) *)pbjson_clone(&sp->port->base);
    if (!port->status) {
        port->status = xmalloc(sizeof *port->status);
        limiquantix__network__v1__port_status__init(port->status);
    }
    validate_set_string(&port->status->vm_id, vm_id);
    svc_now(port->updated_at);
    char *body = pbjson_encode_text(&port->base);
    json_t *ops =
        json_pack("[{s:s, s:s, s:[[s, s, s]], s:{s:s, s:s}}]", "op", "update", "table", "Port",
                  "where", "id", "==", sp->id, "row", "body", body, "device", device);
    free(body);
    protobuf_c_message_free_unpacked(&port->base, NULL);
    struct port_txn *t = xcalloc(1, sizeof *t);
    t->id = xstrdup(sp->id);
    t->network = xstrdup(sp->network);
    svc_transact(svc, call, ops, port_written, t);
}

static void
delete_port(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(DeletePortRequest) *req = (const PB(DeletePortRequest) *)msg;
    struct lq_error *err;
    const struct store_port *sp = find_port(svc, call, req->id, true, &err);
    if (!sp) {
        rpc_call_fail(call, err);
        return;
    }
    /* Its floating IPs are let go in the same transaction. */
    json_t *ops = svc_fip_release_port_ops(svc, sp->id);
    json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, s]]}", "op", "delete", "table",
                                         "Port", "where", "id", "==", sp->id));
    svc_transact(svc, call, ops, svc_deleted, NULL);
}

/* Records which VM (and device) uses the port: status.vmId, and the
 * switch port's external_ids lqnet:vm and lqnet:device for operators. */
static void
bind_port(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(BindPortRequest) *req = (const PB(BindPortRequest) *)msg;
    struct lq_error *err;
    const struct store_port *sp = find_port(svc, call, req->port_id, true, &err);
    if (sp && !*req->vm_id) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "vmId", "required");
    } else if (sp && (strlen(req->vm_id) > 255 || strlen(req->device_id) > 255)) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, strlen(req->vm_id) > 255 ? "vmId" : "deviceId",
                           "longer than 255 characters");
    } else if (sp && sp->port->status && *sp->port->status->vm_id &&
               strcmp(sp->port->status->vm_id, req->vm_id)) {
        err = lq_error_new(LQ_FAILED_PRECONDITION, "portId", "port '%s' is bound to VM '%s'",
                           sp->id, sp->port->status->vm_id);
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    write_binding(svc, call, sp, req->vm_id, req->device_id);
}

static void
unbind_port(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(UnbindPortRequest) *req = (const PB(UnbindPortRequest) *)msg;
    struct lq_error *err;
    const struct store_port *sp = find_port(svc, call, req->port_id, true, &err);
    if (!sp) {
        rpc_call_fail(call, err);
        return;
    }
    write_binding(svc, call, sp, "", "");
}

const struct rpc_handler svc_port_handlers[] = {
    {"CreatePort", create_port}, {"GetPort", get_port},
    {"ListPorts", list_ports},   {"UpdatePort", update_port},
    {"DeletePort", delete_port}, {"BindPort", bind_port},
    {"UnbindPort", unbind_port}, {NULL, NULL},
};
