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
/* Finds a network the caller may see ('write': may change); otherwise
 * returns NULL with not_found (no existence leak) or permission_denied. */
const struct store_network *svc_find_network(struct svc *svc, struct rpc_call *call,
                                             const char *id, bool write, struct lq_error **err);
/* Whether the caller may see / change a resource of 'project'. */
bool svc_can_read(const struct rpc_principal *p, const char *project);
bool svc_can_write(const struct rpc_principal *p, const char *project);

/* Runs 'ops' (consumed) on the LQNet database and calls 'done' with the
 * outcome; server-side index violations come back as LQ_ALREADY_EXISTS and
 * failed "wait" operations as LQ_ABORTED. */
typedef void svc_txn_done(struct svc *svc, struct rpc_call *call, const json_t *results,
                          const struct lq_error *err, void *aux);
void svc_transact(struct svc *svc, struct rpc_call *call, json_t *ops, svc_txn_done *done,
                  void *aux);

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

/* The page of 'n' sorted items that 'page_token'/'page_size' select:
 * sets '*first' and '*count'; '*next' gets the next token (malloc'd, "" at
 * the end). Tokens are the index of the next item. */
struct lq_error *svc_page(size_t n, const char *page_token, int page_size, size_t *first,
                          size_t *count, char **next);

#endif
