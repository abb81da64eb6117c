/* store: the LQNet replica seen as decoded resources, with the indexes the
 * services need (ports per network, IP and MAC allocations, tokens by hash).
 * It is fed the LQNet database's row changes by the OVSDB client and never
 * does I/O itself. Rows are written by the services as OVSDB transactions;
 * the database's unique indexes settle races between writers. */
#ifndef LQ_STORE_H
#define LQ_STORE_H 1

#include <stdbool.h>
#include <stddef.h>

#include "ovsdb.h"
#include "pb.h"
#include "rpc.h"
#include "strmap.h"

struct ipam_subnet;

struct store_network {
    char *id;
    char *row_uuid;
    char *router;             /* the router it is attached to, or "" */
    PB(VirtualNetwork) * net; /* decoded body: effective spec, no status */
    struct ipam_subnet *v4;   /* NULL without an IPv4 subnet */
    struct ipam_subnet *v6;
    struct strmap ports; /* id -> struct store_port, the network's ports */
    size_t n_v4_alloc;   /* IPv4 addresses allocated */
    size_t n_v4_pool;    /* ... of which inside the pools (not reserved) */
    size_t n_v6_alloc;
};

struct store_port {
    char *id;
    char *row_uuid;
    char *network;
    char *device; /* BindPort's device id, or "" */
    PB(Port) * port; /* decoded body: effective spec, no status */
};

struct store_sg {
    char *id;
    char *row_uuid;
    PB(SecurityGroup) * sg; /* decoded body */
    bool is_default;        /* the project's "default" group */
    struct strmap ports;    /* id -> struct store_port: the member ports */
};

/* A logical router: one per project and external network (possibly none),
 * shared by every network of the project routed to that external network. */
struct store_router {
    char *id;
    char *row_uuid;
    char *project;
    char *external_network; /* "" for internal routing only */
    char *gateway_ip;       /* on the external network, or "" */
    struct strmap networks; /* id -> struct store_network attached */
};

struct store_fip {
    char *id;
    char *row_uuid;
    PB(FloatingIp) * fip; /* decoded body, no status */
};

struct store_token {
    char *id;
    char *row_uuid;
    char *hash;
    char *project;
    char *name;
    enum rpc_role role;
    long long created;
};

/* Builds a network's IPAM subnets from its (already validated) spec. */
typedef void store_subnets_fn(const PB(VirtualNetwork) * net, struct ipam_subnet **v4,
                              struct ipam_subnet **v6);

struct store *store_create(store_subnets_fn *subnets);
void store_destroy(struct store *store);

/* Applies one change of the LQNet replica (an ovsdb row_changed callback). */
void store_row_changed(struct store *store, const char *table, enum ovsdb_change_kind kind,
                       const struct ovsdb_row *old, const struct ovsdb_row *new);

const struct store_network *store_network(const struct store *store, const char *id);
const struct store_port *store_port(const struct store *store, const char *id);
const struct store_sg *store_sg(const struct store *store, const char *id);
const struct store_router *store_router(const struct store *store, const char *id);
/* The router of 'project' towards 'external_network' ("" for none), or NULL. */
const struct store_router *store_router_for(const struct store *store, const char *project,
                                            const char *external_network);
const struct store_fip *store_fip(const struct store *store, const char *id);
/* The project's "default" security group, or NULL if not created yet. */
const struct store_sg *store_default_sg(const struct store *store, const char *project);
/* id -> struct store_network / struct store_port / struct store_token */
const struct strmap *store_networks(const struct store *store);
const struct strmap *store_ports(const struct store *store);
const struct strmap *store_tokens(const struct store *store);
const struct strmap *store_sgs(const struct store *store);
const struct strmap *store_routers(const struct store *store);
const struct strmap *store_fips(const struct store *store);

/* The unique_key column of a Router row. */
char *store_router_key(const char *project, const char *external_network);
const struct store_token *store_token_by_hash(const struct store *store, const char *hash);

/* The dependent that stands for "the set of ports with port security". */
#define STORE_SECURED_PORTS "*secured-ports"

/* Calls 'fn' for everything whose set of ports changed since the last call
 * (a port came, went, or joined or left it): networks, security groups, and
 * STORE_SECURED_PORTS; then forgets them. */
void store_drain_touched(struct store *store, void (*fn)(void *aux, const char *id), void *aux);

/* The unique_key column of a security group row. */
char *store_sg_unique_key(const char *project, const char *id, bool is_default);

/* The number of ports on a network. */
size_t store_network_n_ports(const struct store_network *sn);

/* Whether 'addr' (canonical text) / 'mac' is taken in network 'network'. */
bool store_ip_used(const struct store *store, const char *network, const char *addr);
bool store_mac_used(const struct store *store, const char *network, const char *mac);

#endif
