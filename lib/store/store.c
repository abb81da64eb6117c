#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "log.h"
#include "net.h"
#include "pbjson.h"
#include "util.h"

/* An Ip_Allocation or Mac_Allocation row. */
struct alloc {
    char *network;
    char *value; /* address or MAC */
};

struct store {
    store_subnets_fn *subnets;
    struct strmap networks;     /* id -> store_network */
    struct strmap ports;        /* id -> store_port */
    struct strmap tokens;       /* id -> store_token */
    struct strmap sgs;          /* id -> store_sg */
    struct strmap sg_rows;      /* row uuid -> store_sg */
    struct strmap default_sgs;  /* project -> store_sg */
    struct strmap touched;      /* ids of groups whose members changed */
    struct strmap routers;      /* id -> store_router */
    struct strmap router_rows;  /* row uuid -> store_router */
    struct strmap router_keys;  /* unique key -> store_router */
    struct strmap fips;         /* id -> store_fip */
    struct strmap fip_rows;     /* row uuid -> store_fip */
    struct strmap token_hashes; /* hash -> store_token */
    struct strmap net_rows;     /* row uuid -> store_network */
    struct strmap port_rows;    /* row uuid -> store_port */
    struct strmap token_rows;   /* row uuid -> store_token */
    struct strmap ip_rows;      /* row uuid -> alloc */
    struct strmap mac_rows;     /* row uuid -> alloc */
    struct strmap ips;          /* "network|address" -> alloc */
    struct strmap macs;         /* "network|mac" -> alloc */
};

struct store *
store_create(store_subnets_fn *subnets)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->subnets = subnets;
    strmap_init(&s->networks);
    strmap_init(&s->ports);
    strmap_init(&s->tokens);
    strmap_init(&s->sgs);
    strmap_init(&s->sg_rows);
    strmap_init(&s->default_sgs);
    strmap_init(&s->touched);
    strmap_init(&s->routers);
    strmap_init(&s->router_rows);
    strmap_init(&s->router_keys);
    strmap_init(&s->fips);
    strmap_init(&s->fip_rows);
    strmap_init(&s->token_hashes);
    strmap_init(&s->net_rows);
    strmap_init(&s->port_rows);
    strmap_init(&s->token_rows);
    strmap_init(&s->ip_rows);
    strmap_init(&s->mac_rows);
    strmap_init(&s->ips);
    strmap_init(&s->macs);
    return s;
}

static void
network_free(void *p)
{
    struct store_network *n = p;
    if (n) {
        free(n->id);
        free(n->row_uuid);
        free(n->router);
        strmap_destroy(&n->ports);
        protobuf_c_message_free_unpacked(&n->net->base, NULL);
        ipam_subnet_destroy(n->v4);
        ipam_subnet_destroy(n->v6);
        free(n);
    }
}

static void
port_free(void *p)
{
    struct store_port *sp = p;
    if (sp) {
        free(sp->id);
        free(sp->row_uuid);
        free(sp->network);
        free(sp->device);
        protobuf_c_message_free_unpacked(&sp->port->base, NULL);
        free(sp);
    }
}

static void
sg_free(void *p)
{
    struct store_sg *g = p;
    if (g) {
        free(g->id);
        free(g->row_uuid);
        strmap_destroy(&g->ports);
        protobuf_c_message_free_unpacked(&g->sg->base, NULL);
        free(g);
    }
}

static void
router_free(void *p)
{
    struct store_router *r = p;
    if (r) {
        free(r->id);
        free(r->row_uuid);
        free(r->project);
        free(r->external_network);
        free(r->gateway_ip);
        strmap_destroy(&r->networks);
        free(r);
    }
}

static void
fip_free(void *p)
{
    struct store_fip *f = p;
    if (f) {
        free(f->id);
        free(f->row_uuid);
        protobuf_c_message_free_unpacked(&f->fip->base, NULL);
        free(f);
    }
}

static void
token_free(void *p)
{
    struct store_token *t = p;
    if (t) {
        free(t->id);
        free(t->row_uuid);
        free(t->hash);
        free(t->project);
        free(t->name);
        free(t);
    }
}

static void
alloc_free(void *p)
{
    struct alloc *a = p;
    if (a) {
        free(a->network);
        free(a->value);
        free(a);
    }
}

void
store_destroy(struct store *s)
{
    if (!s) {
        return;
    }
    strmap_destroy(&s->net_rows);
    strmap_destroy(&s->sg_rows);
    strmap_destroy(&s->default_sgs);
    strmap_destroy(&s->touched);
    strmap_destroy(&s->router_rows);
    strmap_destroy(&s->router_keys);
    strmap_destroy_with(&s->routers, router_free);
    strmap_destroy(&s->fip_rows);
    strmap_destroy_with(&s->fips, fip_free);
    strmap_destroy_with(&s->sgs, sg_free);
    strmap_destroy(&s->port_rows);
    strmap_destroy(&s->token_rows);
    strmap_destroy(&s->token_hashes);
    strmap_destroy(&s->ips);
    strmap_destroy(&s->macs);
    strmap_destroy_with(&s->networks, network_free);
    strmap_destroy_with(&s->ports, port_free);
    strmap_destroy_with(&s->tokens, token_free);
    strmap_destroy_with(&s->ip_rows, alloc_free);
    strmap_destroy_with(&s->mac_rows, alloc_free);
    free(s);
}

static ProtobufCMessage *
decode_body(const struct ovsdb_row *row, const ProtobufCMessageDescriptor *desc)
{
    const char *body = ovsdb_row_string(row, "body");
    struct lq_error *err = NULL;
    ProtobufCMessage *m = pbjson_decode_text(desc, body, strlen(body), &err);
    if (!m) {
        LQ_LOG_RL(LQ_LOG_ERR, "store", "row %s: undecodable %s body: %s", row->uuid,
                  desc->short_name, err->message);
        lq_error_free(err);
    }
    return m;
}

/* Adjusts the per-network allocation counters for 'a' by 'delta'. */
static void
count_alloc(struct store *s, const struct alloc *a, int delta)
{
    struct store_network *n = strmap_get(&s->networks, a->network);
    struct net_addr addr;
    if (!n || !net_addr_parse(a->value, &addr)) {
        return;
    }
    if (addr.family == AF_INET) {
        n->n_v4_alloc += delta;
        n->n_v4_pool += n->v4 && ipam_is_allocatable(n->v4, &addr) ? delta : 0;
    } else {
        n->n_v6_alloc += delta;
    }
}

static void
recount_network(struct store *s, struct store_network *n)
{
    n->n_v4_alloc = n->n_v4_pool = n->n_v6_alloc = 0;
    for (struct strmap_node *p = strmap_first(&s->ports); p; p = strmap_next(&s->ports, p)) {
        struct store_port *sp = p->value;
        if (!strcmp(sp->network, n->id)) {
            strmap_put(&n->ports, sp->id, sp);
        }
    }
    for (struct strmap_node *i = strmap_first(&s->ip_rows); i; i = strmap_next(&s->ip_rows, i)) {
        const struct alloc *a = i->value;
        if (!strcmp(a->network, n->id)) {
            count_alloc(s, a, 1);
        }
    }
}

/* Attaches 'n' to (or detaches it from) its router's list of networks. */
static void
router_membership(struct store *s, struct store_network *n, bool add)
{
    struct store_router *r = *n->router ? strmap_get(&s->routers, n->router) : NULL;
    if (r && add) {
        strmap_put(&r->networks, n->id, n);
    } else if (r) {
        strmap_remove(&r->networks, n->id);
    }
    if (*n->router) {
        strmap_put(&s->touched, n->router, NULL);
    }
}

static void
network_changed(struct store *s, const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    if (old) {
        struct store_network *n = strmap_remove(&s->net_rows, old->uuid);
        if (n) {
            router_membership(s, n, false);
            strmap_remove(&s->networks, n->id);
            network_free(n);
        }
    }
    if (!new) {
        return;
    }
    ProtobufCMessage *m = decode_body(new, &limiquantix__network__v1__virtual_network__descriptor);
    if (!m) {
        return;
    }
    struct store_network *n = xcalloc(1, sizeof *n);
    n->id = xstrdup(ovsdb_row_string(new, "id"));
    n->row_uuid = xstrdup(new->uuid);
    n->net = (PB(VirtualNetwork) *)m;
    n->router = xstrdup(ovsdb_row_string(new, "router"));
    strmap_init(&n->ports);
    s->subnets(n->net, &n->v4, &n->v6);
    network_free(strmap_put(&s->networks, n->id, n));
    strmap_put(&s->net_rows, n->row_uuid, n);
    router_membership(s, n, true);
    recount_network(s, n);
}

/* What depends on the port: its network (the switch lists it), its
 * groups, and the secured ports as a whole. */
static void
port_dependents(const struct store_port *sp, struct strmap *out)
{
    const PB(PortSpec) *spec = sp->port->spec;
    strmap_put(out, sp->network, NULL);
    for (size_t i = 0; spec && i < spec->n_security_group_ids; i++) {
        strmap_put(out, spec->security_group_ids[i], NULL);
    }
    if (spec && spec->port_security_enabled) {
        strmap_put(out, STORE_SECURED_PORTS, NULL);
    }
}

/* Adds to 'touched' what is in one of 'a' and 'b' but not in both. */
static void
touch_difference(struct store *s, const struct strmap *a, const struct strmap *b)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct strmap *x = pass ? b : a, *y = pass ? a : b;
        for (struct strmap_node *n = strmap_first(x); n; n = strmap_next(x, n)) {
            if (!strmap_contains(y, n->key)) {
                strmap_put(&s->touched, n->key, NULL);
            }
        }
    }
}

/* Adds 'sp' to (or removes it from) the member sets of its groups. */
static void
sg_membership(struct store *s, struct store_port *sp, bool add)
{
    const PB(PortSpec) *spec = sp->port->spec;
    for (size_t i = 0; spec && i < spec->n_security_group_ids; i++) {
        struct store_sg *g = strmap_get(&s->sgs, spec->security_group_ids[i]);
        if (g && add) {
            strmap_put(&g->ports, sp->id, sp);
        } else if (g) {
            strmap_remove(&g->ports, sp->id);
        }
    }
}

static void
port_changed(struct store *s, const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    struct strmap before = STRMAP_INITIALIZER, after = STRMAP_INITIALIZER;
    if (old) {
        struct store_port *sp = strmap_remove(&s->port_rows, old->uuid);
        if (sp) {
            port_dependents(sp, &before);
            sg_membership(s, sp, false);
            struct store_network *n = strmap_get(&s->networks, sp->network);
            if (n) {
                strmap_remove(&n->ports, sp->id);
            }
            strmap_remove(&s->ports, sp->id);
            port_free(sp);
        }
    }
    ProtobufCMessage *m =
        new ? decode_body(new, &limiquantix__network__v1__port__descriptor) : NULL;
    if (m) {
        struct store_port *sp = xcalloc(1, sizeof *sp);
        sp->id = xstrdup(ovsdb_row_string(new, "id"));
        sp->row_uuid = xstrdup(new->uuid);
        sp->network = xstrdup(ovsdb_row_string(new, "network"));
        sp->device = xstrdup(ovsdb_row_string(new, "device"));
        sp->port = (PB(Port) *)m;
        port_free(strmap_put(&s->ports, sp->id, sp));
        strmap_put(&s->port_rows, sp->row_uuid, sp);
        sg_membership(s, sp, true);
        struct store_network *n = strmap_get(&s->networks, sp->network);
        if (n) {
            strmap_put(&n->ports, sp->id, sp);
        }
        port_dependents(sp, &after);
    }
    /* A port that comes or goes touches all it belongs to; a modified one
     * only what it joined or left. */
    touch_difference(s, &before, &after);
    strmap_destroy(&before);
    strmap_destroy(&after);
}

static void
alloc_changed(struct store *s, struct strmap *rows, struct strmap *index, const char *column,
              bool is_ip, const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    if (old) {
        struct alloc *a = strmap_remove(rows, old->uuid);
        if (a) {
            char *key = xasprintf("%s|%s", a->network, a->value);
            strmap_remove(index, key);
            free(key);
            if (is_ip) {
                count_alloc(s, a, -1);
            }
            alloc_free(a);
        }
    }
    if (new) {
        struct alloc *a = xmalloc(sizeof *a);
        a->network = xstrdup(ovsdb_row_string(new, "network"));
        a->value = xstrdup(ovsdb_row_string(new, column));
        alloc_free(strmap_put(rows, new->uuid, a));
        char *key = xasprintf("%s|%s", a->network, a->value);
        strmap_put(index, key, a);
        free(key);
        if (is_ip) {
            count_alloc(s, a, 1);
        }
    }
}

char *
store_sg_unique_key(const char *project, const char *id, bool is_default)
{
    return is_default ? xasprintf("default:%s", project) : xstrdup(id);
}

static void
sg_changed(struct store *s, const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    if (old) {
        struct store_sg *g = strmap_remove(&s->sg_rows, old->uuid);
        if (g) {
            strmap_remove(&s->sgs, g->id);
            if (g->is_default && strmap_get(&s->default_sgs, g->sg->project_id) == g) {
                strmap_remove(&s->default_sgs, g->sg->project_id);
            }
            sg_free(g);
        }
    }
    if (!new) {
        return;
    }
    ProtobufCMessage *m = decode_body(new, &limiquantix__network__v1__security_group__descriptor);
    if (!m) {
        return;
    }
    struct store_sg *g = xcalloc(1, sizeof *g);
    g->id = xstrdup(ovsdb_row_string(new, "id"));
    g->row_uuid = xstrdup(new->uuid);
    g->sg = (PB(SecurityGroup) *)m;
    g->is_default = lq_str_starts_with(ovsdb_row_string(new, "unique_key"), "default:");
    strmap_init(&g->ports);
    sg_free(strmap_put(&s->sgs, g->id, g));
    strmap_put(&s->sg_rows, g->row_uuid, g);
    if (g->is_default) {
        strmap_put(&s->default_sgs, g->sg->project_id, g);
    }
    for (struct strmap_node *p = strmap_first(&s->ports); p; p = strmap_next(&s->ports, p)) {
        struct store_port *sp = p->value;
        const PB(PortSpec) *spec = sp->port->spec;
        for (size_t i = 0; spec && i < spec->n_security_group_ids; i++) {
            if (!strcmp(spec->security_group_ids[i], g->id)) {
                strmap_put(&g->ports, sp->id, sp);
            }
        }
    }
}

char *
store_router_key(const char *project, const char *external_network)
{
    return xasprintf("%s|%s", project, external_network);
}

static void
router_changed(struct store *s, const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    if (old) {
        struct store_router *r = strmap_remove(&s->router_rows, old->uuid);
        if (r) {
            char *key = store_router_key(r->project, r->external_network);
            strmap_remove(&s->router_keys, key);
            free(key);
            strmap_remove(&s->routers, r->id);
            strmap_put(&s->touched, r->external_network, NULL);
            router_free(r);
        }
    }
    if (!new) {
        return;
    }
    struct store_router *r = xcalloc(1, sizeof *r);
    r->id = xstrdup(ovsdb_row_string(new, "id"));
    r->row_uuid = xstrdup(new->uuid);
    r->project = xstrdup(ovsdb_row_string(new, "project"));
    r->external_network = xstrdup(ovsdb_row_string(new, "external_network"));
    /* The address is also a column: the allocation row that reserves it
     * may arrive after this one. */
    r->gateway_ip = xstrdup(ovsdb_row_string(new, "gateway_address"));
    strmap_init(&r->networks);
    for (struct strmap_node *n = strmap_first(&s->networks); n; n = strmap_next(&s->networks, n)) {
        struct store_network *sn = n->value;
        if (!strcmp(sn->router, r->id)) {
            strmap_put(&r->networks, sn->id, sn);
        }
    }
    router_free(strmap_put(&s->routers, r->id, r));
    strmap_put(&s->router_rows, r->row_uuid, r);
    char *key = store_router_key(r->project, r->external_network);
    strmap_put(&s->router_keys, key, r);
    free(key);
    strmap_put(&s->touched, r->id, NULL);
    strmap_put(&s->touched, r->external_network, NULL);
}

static void
fip_changed(struct store *s, const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    if (old) {
        struct store_fip *f = strmap_remove(&s->fip_rows, old->uuid);
        if (f) {
            strmap_remove(&s->fips, f->id);
            fip_free(f);
        }
    }
    ProtobufCMessage *m =
        new ? decode_body(new, &limiquantix__network__v1__floating_ip__descriptor) : NULL;
    if (m) {
        struct store_fip *f = xcalloc(1, sizeof *f);
        f->id = xstrdup(ovsdb_row_string(new, "id"));
        f->row_uuid = xstrdup(new->uuid);
        f->fip = (PB(FloatingIp) *)m;
        fip_free(strmap_put(&s->fips, f->id, f));
        strmap_put(&s->fip_rows, f->row_uuid, f);
    }
}

static void
token_changed(struct store *s, const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    if (old) {
        struct store_token *t = strmap_remove(&s->token_rows, old->uuid);
        if (t) {
            strmap_remove(&s->tokens, t->id);
            strmap_remove(&s->token_hashes, t->hash);
            token_free(t);
        }
    }
    if (new) {
        struct store_token *t = xcalloc(1, sizeof *t);
        t->id = xstrdup(ovsdb_row_string(new, "id"));
        t->row_uuid = xstrdup(new->uuid);
        t->hash = xstrdup(ovsdb_row_string(new, "hash"));
        t->project = xstrdup(ovsdb_row_string(new, "project"));
        t->name = xstrdup(ovsdb_row_string(new, "name"));
        t->created = ovsdb_row_int(new, "created");
        if (!rpc_role_from_name(ovsdb_row_string(new, "role"), &t->role)) {
            t->role = RPC_ROLE_READER;
        }
        token_free(strmap_put(&s->tokens, t->id, t));
        strmap_put(&s->token_rows, t->row_uuid, t);
        strmap_put(&s->token_hashes, t->hash, t);
    }
}

void
store_row_changed(struct store *s, const char *table, enum ovsdb_change_kind kind,
                  const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    (void)kind;
    if (!strcmp(table, "Network")) {
        network_changed(s, old, new);
    } else if (!strcmp(table, "Port")) {
        port_changed(s, old, new);
    } else if (!strcmp(table, "Ip_Allocation")) {
        alloc_changed(s, &s->ip_rows, &s->ips, "address", true, old, new);
    } else if (!strcmp(table, "Mac_Allocation")) {
        alloc_changed(s, &s->mac_rows, &s->macs, "mac", false, old, new);
    } else if (!strcmp(table, "Token")) {
        token_changed(s, old, new);
    } else if (!strcmp(table, "Security_Group")) {
        sg_changed(s, old, new);
    } else if (!strcmp(table, "Router")) {
        router_changed(s, old, new);
    } else if (!strcmp(table, "Floating_Ip")) {
        fip_changed(s, old, new);
    }
}

const struct store_network *
store_network(const struct store *s, const char *id)
{
    return strmap_get(&s->networks, id);
}

const struct store_port *
store_port(const struct store *s, const char *id)
{
    return strmap_get(&s->ports, id);
}

const struct strmap *
store_networks(const struct store *s)
{
    return &s->networks;
}

const struct strmap *
store_ports(const struct store *s)
{
    return &s->ports;
}

const struct store_sg *
store_sg(const struct store *s, const char *id)
{
    return strmap_get(&s->sgs, id);
}

const struct store_sg *
store_default_sg(const struct store *s, const char *project)
{
    return strmap_get(&s->default_sgs, project);
}

const struct store_router *
store_router(const struct store *s, const char *id)
{
    return strmap_get(&s->routers, id);
}

const struct store_router *
store_router_for(const struct store *s, const char *project, const char *external_network)
{
    char *key = store_router_key(project, external_network);
    const struct store_router *r = strmap_get(&s->router_keys, key);
    free(key);
    return r;
}

const struct store_fip *
store_fip(const struct store *s, const char *id)
{
    return strmap_get(&s->fips, id);
}

const struct strmap *
store_routers(const struct store *s)
{
    return &s->routers;
}

const struct strmap *
store_fips(const struct store *s)
{
    return &s->fips;
}

const struct strmap *
store_sgs(const struct store *s)
{
    return &s->sgs;
}

const struct strmap *
store_tokens(const struct store *s)
{
    return &s->tokens;
}

const struct store_token *
store_token_by_hash(const struct store *s, const char *hash)
{
    return strmap_get(&s->token_hashes, hash);
}

static bool
indexed(const struct strmap *index, const char *network, const char *value)
{
    char *key = xasprintf("%s|%s", network, value);
    bool found = strmap_contains(index, key);
    free(key);
    return found;
}

bool
store_ip_used(const struct store *s, const char *network, const char *addr)
{
    return indexed(&s->ips, network, addr);
}

bool
store_mac_used(const struct store *s, const char *network, const char *mac)
{
    return indexed(&s->macs, network, mac);
}

void
store_drain_touched(struct store *s, void (*fn)(void *aux, const char *id), void *aux)
{
    for (struct strmap_node *n = strmap_first(&s->touched); n; n = strmap_next(&s->touched, n)) {
        fn(aux, n->key);
    }
    strmap_destroy(&s->touched);
}

size_t
store_network_n_ports(const struct store_network *sn)
{
    return strmap_count(&sn->ports);
}
