#include "rpc.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "metrics.h"
#include "pbjson.h"
#include "strmap.h"
#include "util.h"

/* Bodies up to RPC_MAX_BODY are served; larger ones are answered
 * resource_exhausted, as JSON, up to RPC_HARD_MAX_BODY, beyond which
 * libevent drops the connection without reading them. */
#define RPC_MAX_BODY (1u << 20)
#define RPC_HARD_MAX_BODY (64u << 20)

struct route {
    char *name; /* "Service/Method" for metrics and logs */
    const ProtobufCMethodDescriptor *method;
    rpc_handler_fn *fn; /* NULL: unimplemented */
    void *aux;
};

struct plain {
    rpc_plain_fn *fn;
    void *aux;
};

struct rpc_server {
    struct event_base *base;
    struct evhttp *http;
    struct strmap routes; /* "/pkg.Service/Method" -> struct route */
    struct strmap plains; /* "/healthz" -> struct plain */
    rpc_auth_fn *auth;
    void *auth_aux;
};

enum rpc_codec { CODEC_JSON, CODEC_PROTO };

struct rpc_call {
    struct rpc_server *server;
    struct evhttp_request *req; /* NULL once answered or the client went away */
    const struct route *route;
    enum rpc_codec codec;
    struct rpc_principal principal;
    ProtobufCMessage *request;
    struct event *deadline;
    long long start_ms;
    bool answered;
};

static void
send_error(struct evhttp_request *req, const struct lq_error *err)
{
    json_t *j = json_pack("{s:s, s:s}", "code", lq_code_name(err->code), "message", err->message);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    struct evbuffer *buf = evbuffer_new();
    evbuffer_add(buf, text, strlen(text));
    free(text);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_send_reply(req, lq_code_http_status(err->code), NULL, buf);
    evbuffer_free(buf);
}

static void
fail_now(struct evhttp_request *req, enum lq_code code, const char *fmt, const char *arg)
{
    struct lq_error *err = lq_error_new(code, NULL, fmt, arg);
    send_error(req, err);
    lq_error_free(err);
}

static void
record(const struct rpc_call *call, enum lq_code code)
{
    char *series = xasprintf("lqnet_rpc_requests_total{method=\"%s\",code=\"%s\"}",
                             call->route->name, lq_code_name(code));
    metrics_counter_add(series, "RPC requests by method and result code", 1);
    free(series);
    char *labels = xasprintf("method=\"%s\"", call->route->name);
    metrics_observe("lqnet_rpc_duration_seconds", labels, "RPC latency by method",
                    (double)(lq_time_msec() - call->start_ms) / 1000.0);
    free(labels);
}

static void
on_conn_close(struct evhttp_connection *conn, void *call_)
{
    struct rpc_call *call = call_;
    (void)conn;
    call->req = NULL;
}

/* Returns the call's HTTP request (NULL if the client went away) and
 * detaches it, before a reply may free it. */
static struct evhttp_request *
take_req(struct rpc_call *call)
{
    struct evhttp_request *req = call->req;
    if (req) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
    }
    call->req = NULL;
    return req;
}

/* Marks 'call' answered. */
static void
detach(struct rpc_call *call)
{
    take_req(call);
    call->answered = true;
    if (call->deadline) {
        event_free(call->deadline);
        call->deadline = NULL;
    }
}

static void
call_free(struct rpc_call *call)
{
    protobuf_c_message_free_unpacked(call->request, NULL);
    rpc_principal_clear(&call->principal);
    free(call);
}

static void
on_deadline(evutil_socket_t fd, short what, void *call_)
{
    struct rpc_call *call = call_;
    (void)fd;
    (void)what;
    struct lq_error *err = lq_error_new(LQ_DEADLINE_EXCEEDED, NULL, "the call's deadline passed");
    record(call, err->code);
    struct evhttp_request *req = take_req(call);
    if (req) {
        send_error(req, err);
    }
    lq_error_free(err);
    detach(call);
}

void
rpc_call_reply(struct rpc_call *call, const ProtobufCMessage *response)
{
    struct evhttp_request *req = call->answered ? NULL : take_req(call);
    if (req) {
        struct evbuffer *buf = evbuffer_new();
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        if (call->codec == CODEC_JSON) {
            char *text = pbjson_encode_text(response);
            evbuffer_add(buf, text, strlen(text));
            free(text);
            evhttp_add_header(h, "Content-Type", "application/json");
        } else {
            size_t len = protobuf_c_message_get_packed_size(response);
            uint8_t *data = xmalloc(len);
            protobuf_c_message_pack(response, data);
            evbuffer_add(buf, data, len);
            free(data);
            evhttp_add_header(h, "Content-Type", "application/proto");
        }
        evhttp_send_reply(req, 200, "OK", buf);
        evbuffer_free(buf);
    }
    if (!call->answered) {
        record(call, LQ_OK);
    }
    detach(call);
    call_free(call);
}

void
rpc_call_fail(struct rpc_call *call, struct lq_error *err)
{
    if (!call->answered) {
        record(call, err->code);
        if (err->code == LQ_INTERNAL || err->code == LQ_UNAVAILABLE) {
            LQ_LOG_RL(LQ_LOG_WARN, "rpc", "%s: %s", call->route->name, err->message);
        }
        struct evhttp_request *req = take_req(call);
        if (req) {
            send_error(req, err);
        }
    }
    lq_error_free(err);
    detach(call);
    call_free(call);
}

const struct rpc_principal *
rpc_call_principal(const struct rpc_call *call)
{
    return &call->principal;
}

const ProtobufCMessage *
rpc_call_request(const struct rpc_call *call)
{
    return call->request;
}

void
rpc_principal_clear(struct rpc_principal *p)
{
    free(p->token_id);
    free(p->project);
    p->token_id = p->project = NULL;
}

static const char *role_names[] = {"reader", "member", "admin"};

const char *
rpc_role_name(enum rpc_role role)
{
    return role_names[role];
}

bool
rpc_role_from_name(const char *name, enum rpc_role *role)
{
    for (size_t i = 0; i < LQ_ARRAY_SIZE(role_names); i++) {
        if (!strcmp(name, role_names[i])) {
            *role = (enum rpc_role)i;
            return true;
        }
    }
    return false;
}

/* Returns the codec for a Content-Type header, or -1. */
static int
codec_from_header(const char *ct)
{
    if (!ct) {
        return -1;
    }
    size_t len = strcspn(ct, "; ");
    if (len == strlen("application/json") && !strncasecmp(ct, "application/json", len)) {
        return CODEC_JSON;
    }
    if ((len == strlen("application/proto") && !strncasecmp(ct, "application/proto", len)) ||
        (len == strlen("application/protobuf") && !strncasecmp(ct, "application/protobuf", len))) {
        return CODEC_PROTO;
    }
    return -1;
}

static void
handle_plain(struct rpc_server *server, struct evhttp_request *req, const char *path)
{
    struct plain *p = strmap_get(&server->plains, path);
    if (!p) {
        fail_now(req, LQ_NOT_FOUND, "no such endpoint '%s'", path);
        return;
    }
    struct evbuffer *buf = evbuffer_new();
    const char *ct = "text/plain; charset=utf-8";
    int status = p->fn(p->aux, buf, &ct);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ct);
    evhttp_send_reply(req, status, status == 200 ? "OK" : "Service Unavailable", buf);
    evbuffer_free(buf);
}

static bool
authenticate(struct rpc_server *server, struct evhttp_request *req, struct rpc_principal *p)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) || !server->auth) {
        return false;
    }
    h += 7;
    while (*h == ' ') {
        h++;
    }
    return *h && server->auth(server->auth_aux, h, p);
}

static ProtobufCMessage *
decode_body(const struct route *route, enum rpc_codec codec, struct evbuffer *body,
            struct lq_error **err)
{
    size_t len = evbuffer_get_length(body);
    const uint8_t *data = len ? evbuffer_pullup(body, -1) : (const uint8_t *)"";
    if (codec == CODEC_JSON) {
        if (!len) {
            data = (const uint8_t *)"{}";
            len = 2;
        }
        return pbjson_decode_text(route->method->input, (const char *)data, len, err);
    }
    ProtobufCMessage *m = protobuf_c_message_unpack(route->method->input, NULL, len, data);
    if (!m) {
        *err = lq_error_new(LQ_INVALID_ARGUMENT, NULL, "the request is not a valid %s message",
                            route->method->input->name);
    }
    return m;
}

static void
dispatch(struct evhttp_request *req, void *server_)
{
    struct rpc_server *server = server_;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    path = path ? path : "/";
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cmd == EVHTTP_REQ_GET) {
        handle_plain(server, req, path);
        return;
    }
    if (cmd != EVHTTP_REQ_POST) {
        fail_now(req, LQ_UNIMPLEMENTED, "method not allowed on '%s'", path);
        return;
    }
    const struct route *route = strmap_get(&server->routes, path);
    if (!route) {
        struct lq_error *err = lq_error_new(LQ_UNIMPLEMENTED, NULL, "no procedure '%s'", path);
        send_error(req, err);
        lq_error_free(err);
        return;
    }
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    int codec = codec_from_header(evhttp_find_header(in, "Content-Type"));
    if (codec < 0) {
        evhttp_send_reply(req, 415, "Unsupported Media Type", NULL);
        return;
    }
    struct rpc_call *call = xcalloc(1, sizeof *call);
    call->server = server;
    call->route = route;
    call->start_ms = lq_time_msec();
    call->req = req;
    struct lq_error *err = NULL;
    call->codec = (enum rpc_codec)codec;
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_conn_close, call);

    struct evbuffer *body = evhttp_request_get_input_buffer(req);
    if (!authenticate(server, req, &call->principal)) {
        err = lq_error_new(LQ_UNAUTHENTICATED, NULL, "a valid bearer token is required");
    } else if (evbuffer_get_length(body) > RPC_MAX_BODY) {
        err = lq_error_new(LQ_RESOURCE_EXHAUSTED, NULL, "the request body is larger than %u bytes",
                           RPC_MAX_BODY);
    } else if (!route->fn) {
        err = lq_error_new(LQ_UNIMPLEMENTED, NULL, "%s is not implemented yet", route->name);
    } else {
        call->request = decode_body(route, call->codec, body, &err);
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }

    const char *timeout = evhttp_find_header(in, "Connect-Timeout-Ms");
    if (timeout) {
        char *end;
        errno = 0;
        long long ms = strtoll(timeout, &end, 10);
        if (!errno && *end == '\0' && ms > 0) {
            struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
            call->deadline = evtimer_new(server->base, on_deadline, call);
            evtimer_add(call->deadline, &tv);
        }
    }
    route->fn(call, call->request, route->aux);
}

struct rpc_server *
rpc_server_create(struct event_base *base, const char *addr, struct lq_error **err)
{
    const char *colon = strrchr(addr, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || *end || port < 0 || port > 65535) {
        *err = lq_error_new(LQ_INVALID_ARGUMENT, "listen", "'%s' is not HOST:PORT", addr);
        return NULL;
    }
    char *host = xstrndup(addr, (size_t)(colon - addr));
    struct evhttp *http = evhttp_new(base);
    if (evhttp_bind_socket(http, host, (ev_uint16_t)port)) {
        *err = lq_error_new(LQ_UNAVAILABLE, "listen", "cannot listen on %s: %s", addr,
                            strerror(errno));
        evhttp_free(http);
        free(host);
        return NULL;
    }
    free(host);
    struct rpc_server *server = xcalloc(1, sizeof *server);
    server->base = base;
    server->http = http;
    strmap_init(&server->routes);
    strmap_init(&server->plains);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(http, RPC_HARD_MAX_BODY);
    evhttp_set_timeout(http, 120);
    evhttp_set_gencb(http, dispatch, server);
    *err = NULL;
    return server;
}

static void
route_free(void *r_)
{
    struct route *r = r_;
    if (r) {
        free(r->name);
        free(r);
    }
}

void
rpc_server_destroy(struct rpc_server *server)
{
    if (!server) {
        return;
    }
    evhttp_free(server->http);
    strmap_destroy_with(&server->routes, route_free);
    strmap_destroy_with(&server->plains, free);
    free(server);
}

void
rpc_server_set_auth(struct rpc_server *server, rpc_auth_fn *fn, void *aux)
{
    server->auth = fn;
    server->auth_aux = aux;
}

void
rpc_server_add_service(struct rpc_server *server, const ProtobufCServiceDescriptor *service,
                       const struct rpc_handler *handlers, void *aux)
{
    for (unsigned i = 0; i < service->n_methods; i++) {
        const ProtobufCMethodDescriptor *m = &service->methods[i];
        struct route *r = xcalloc(1, sizeof *r);
        r->name = xasprintf("%s/%s", service->short_name, m->name);
        r->method = m;
        r->aux = aux;
        for (const struct rpc_handler *h = handlers; h && h->method; h++) {
            if (!strcmp(h->method, m->name)) {
                r->fn = h->fn;
            }
        }
        char *path = xasprintf("/%s/%s", service->name, m->name);
        route_free(strmap_put(&server->routes, path, r));
        free(path);
    }
}

void
rpc_server_add_plain(struct rpc_server *server, const char *path, rpc_plain_fn *fn, void *aux)
{
    struct plain *p = xmalloc(sizeof *p);
    p->fn = fn;
    p->aux = aux;
    free(strmap_put(&server->plains, path, p));
}
