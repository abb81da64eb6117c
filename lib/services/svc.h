/* svc: what every RPC service shares: the databases, the store, the
 * reconciler, the caller's rights, and a transaction helper bound to a call. */
#ifndef LQ_SVC_H
#define LQ_SVC_H 1

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "ovsdb.h"
#include "pb.h"
#include "rpc.h"
#include "store.h"
#include "strmap.h"

struct reconciler;

struct svc {
    struct event_base *base;
    struct ovsdb_client *lqdb; /* the LQNet database */
    struct ovsdb_client *nb;
    struct ovsdb_client *sb;
    struct store *store;
    struct reconciler *reconciler;
    unsigned int physical_mtu;
    /* Addresses and MACs chosen by transactions still in flight, as
     * "network|value", so that concurrent calls do not pick the same one. */
    struct strmap inflight;
    /* "network|4" or "network|6" -> the struct net_addr handed out last, so
     * that the next search starts after it. */
    struct strmap hints;
};

/* The services' handler tables, for rpc_server_add_service(). */
extern const struct rpc_handler svc_network_handlers[];
extern const struct rpc_handler svc_port_handlers[];
extern const struct rpc_handler svc_token_handlers[];
extern const struct rpc_handler svc_sg_handlers[];
extern const struct rpc_handler svc_router_handlers[];
extern const struct rpc_handler svc_fip_handlers[];
/* Operations that disassociate every floating IP of port 'port_id' (for
 * the transaction that deletes the port). Returns a new JSON array. */
json_t *svc_fip_release_port_ops(struct svc *svc, const char *port_id);
/* VirtualNetworkService/GetNetworkTopology. */
void svc_get_topology(struct rpc_call *call, const ProtobufCMessage *msg, void *svc);

/* Whether a network spec asks for routing. */
bool svc_network_routed(const PB(VirtualNetworkSpec) * spec);
/* Sets the "router" column of network row 'row' for 'net': "" when it is
 * not routed; else its project's router towards its external gateway
 * network, appending that router's creation (and the reservation of its
 * outside address) to 'ops' when it does not exist yet. */
struct lq_error *svc_router_attach(struct svc *svc, const PB(VirtualNetwork) * net, json_t *ops,
                                   json_t *row);
/* Removes routers that no network uses any more (the reconciler's job:
 * call it where the reconciler lock is held). */
void svc_router_gc(struct svc *svc);

/* Appends to 'ops' the creation of 'project's "default" security group
 * (ingress from its own members, all egress); writes its new id to 'id'. */
void svc_default_sg_op(const char *project, json_t *ops, char id[37]);
/* Checks that every id names a group of 'project', once. */
struct lq_error *svc_check_sg_ids(struct svc *svc, const char *project, char **ids, size_t n,
                                  const char *field);

/* rpc_auth_fn for the server: 'aux' is the struct svc. */
bool svc_authenticate(void *svc, const char *token, struct rpc_principal *out);
/* Makes sure the admin token in 'path' exists (creating the file, mode
 * 0600, if needed) and is known to the LQNet database. Returns 0 or a
 * negative errno. */
int svc_ensure_admin_token(struct svc *svc, const char *path);

/* Decides which project a call acts on: 'requested' (may be empty: the
 * caller's own). Members and readers may name only their own project;
 * 'write' calls need member or admin. */
struct lq_error *svc_project(const struct rpc_principal *p, const char *requested, bool write,
                             const char **project);
/* Picks a free address of 'family' (AF_INET, AF_INET6) in network 'sn'
 * for lqnet to hand out: from the pools, after the last one handed out,
 * skipping used, reserved and statically bound addresses. Errors name
 * 'field'. */
struct lq_error *svc_pick_ip(struct svc *svc, const struct store_network *sn, int family,
                             const char *field, char out[46]);

/* Finds a network the caller may see ('write': may change); otherwise
 * returns NULL with not_found (no existence leak) or permission_denied. */
const struct store_network *svc_find_network(struct svc *svc, struct rpc_call *call, const char *id,
                                             bool write, struct lq_error **err);
/* Whether the caller may see / change a resource of 'project'. */
bool svc_can_read(const struct rpc_principal *p, const char *project);
bool svc_can_write(const struct rpc_principal *p, const char *project);
/* Whether the caller sees a network: its own project's, shared ones, and
 * every EXTERNAL network (the outside that routers and floating IPs use). */
bool svc_network_visible(const struct rpc_principal *p, const struct store_network *sn);

/* Runs 'ops' (consumed) on the LQNet database and calls 'done' with the
 * outcome; server-side index violations come back as LQ_ALREADY_EXISTS and
 * failed "wait" operations as LQ_ABORTED. */
typedef void svc_txn_done(struct svc *svc, struct rpc_call *call, const json_t *results,
                          const struct lq_error *err, void *aux);
void svc_transact(struct svc *svc, struct rpc_call *call, json_t *ops, svc_txn_done *done,
                  void *aux);

/* A svc_txn_done that answers the call with Empty (or the error). */
void svc_deleted(struct svc *svc, struct rpc_call *call, const json_t *results,
                 const struct lq_error *err, void *aux);
/* Deletes the row of 'table' with 'id' and answers the call with Empty. */
void svc_delete_row(struct svc *svc, struct rpc_call *call, const char *table, const char *id);

/* Fills 'ts' with the current time. */
void svc_now(Google__Protobuf__Timestamp *ts);
/* Allocates a new timestamp set to now. */
Google__Protobuf__Timestamp *svc_timestamp_now(void);

/* The layout protobuf-c gives every map<string, string> entry. */
struct svc_label {
    ProtobufCMessage base;
    char *key;
    char *value;
};

/* Common checks on name, description and labels ('labels' is the message's
 * array of map entries, of any labels entry type). */
struct lq_error *svc_check_meta(const char *name, const char *description, size_t n_labels,
                                void *labels);
/* Whether every label in 'want' is in 'have' with the same value. */
bool svc_labels_match(size_t n_want, void *want, size_t n_have, void *have);

/* One page of a List call: the matching items sorted by id. */
struct svc_page {
    const void **items; /* this page's items */
    size_t n;
    int32_t total;    /* matching items on all pages */
    char *next_token; /* "" on the last page */
};

/* Decides whether a List call returns 'item'; 'project' is the project the
 * call asks for, or NULL for every project the caller may see. */
typedef bool svc_keep_fn(const void *item, const char *project, const struct rpc_principal *p,
                         const void *aux);

/* Resolves the call's project filter ('requested' may be empty), keeps the
 * items of 'all' (id -> item) that 'keep' accepts, and cuts the page that
 * 'page_token' (the index of the next item) and 'page_size' (0: 1000, at
 * most 1000) select. Caller frees with svc_page_clear(). */
struct lq_error *svc_select(const struct rpc_principal *p, const char *requested,
                            const struct strmap *all, svc_keep_fn *keep, const void *aux,
                            const char *page_token, int page_size, struct svc_page *page);
void svc_page_clear(struct svc_page *page);

#endif
