/* rpc: the Connect protocol (unary, HTTP/1.1) over libevent's HTTP server.
 *
 * Routes "POST /<package>.<Service>/<Method>" to handlers registered per
 * service descriptor; decodes the body as proto3 JSON ("application/json")
 * or binary protobuf ("application/proto"); authenticates the bearer token
 * through a hook; replies in the request's codec; errors are always Connect
 * error JSON with the protocol's HTTP status. Methods of a registered
 * service that have no handler answer "unimplemented". */
#ifndef LQ_RPC_H
#define LQ_RPC_H 1

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

struct event_base;
struct evbuffer;
struct lq_error;
struct rpc_call;
struct rpc_server;

/* Who is calling: filled by the auth hook. */
enum rpc_role { RPC_ROLE_READER, RPC_ROLE_MEMBER, RPC_ROLE_ADMIN };
struct rpc_principal {
    char *token_id;
    char *project;
    enum rpc_role role;
};

/* A handler must eventually call rpc_call_reply() or rpc_call_fail() once,
 * now or later (after a database round trip). 'request' stays valid until
 * then. */
typedef void rpc_handler_fn(struct rpc_call *call, const ProtobufCMessage *request, void *aux);
struct rpc_handler {
    const char *method; /* e.g. "CreateNetwork" */
    rpc_handler_fn *fn;
};

/* Fills 'out' (strings malloc'd) and returns true if 'token' is valid. */
typedef bool rpc_auth_fn(void *aux, const char *token, struct rpc_principal *out);
/* Plain GET endpoint: appends the body to 'out', sets '*content_type', returns an HTTP status. */
typedef int rpc_plain_fn(void *aux, struct evbuffer *out, const char **content_type);

/* Listens on 'addr' ("HOST:PORT"). Returns NULL and sets '*err' on failure. */
struct rpc_server *rpc_server_create(struct event_base *base, const char *addr,
                                     struct lq_error **err);
/* Stops listening; calls still in flight are answered "unavailable". */
void rpc_server_destroy(struct rpc_server *server);
void rpc_server_set_auth(struct rpc_server *server, rpc_auth_fn *fn, void *aux);
/* Registers every method of 'service'; 'handlers' (terminated by {NULL,
 * NULL}) must outlive the server. */
void rpc_server_add_service(struct rpc_server *server, const ProtobufCServiceDescriptor *service,
                            const struct rpc_handler *handlers, void *aux);
void rpc_server_add_plain(struct rpc_server *server, const char *path, rpc_plain_fn *fn, void *aux);

/* The caller's identity; valid for the call's lifetime. */
const struct rpc_principal *rpc_call_principal(const struct rpc_call *call);
/* The decoded request of the call. */
const ProtobufCMessage *rpc_call_request(const struct rpc_call *call);
/* Sends 'response' (borrowed) and ends the call. */
void rpc_call_reply(struct rpc_call *call, const ProtobufCMessage *response);
/* Sends 'err' as Connect error JSON and ends the call; takes ownership of 'err'. */
void rpc_call_fail(struct rpc_call *call, struct lq_error *err);

void rpc_principal_clear(struct rpc_principal *p);
const char *rpc_role_name(enum rpc_role role);
/* Parses "admin", "member", "reader"; returns false for anything else. */
bool rpc_role_from_name(const char *name, enum rpc_role *role);

#endif
