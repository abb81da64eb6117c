/* TokenService, bearer-token authentication, and the admin token bootstrap. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "svc.h"
#include "util.h"

#define TOKEN_PREFIX "lqt_"

static void
to_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", in[i]);
    }
}

/* The stored form of a token: its SHA-256, in hex (65 bytes). */
static void
token_hash(const char *token, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL);
    to_hex(md, 32, out);
}

static char *
token_generate(void)
{
    unsigned char rnd[24];
    char hex[49];
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        abort();
    }
    to_hex(rnd, sizeof rnd, hex);
    return xasprintf(TOKEN_PREFIX "%s", hex);
}

bool
svc_authenticate(void *svc_, const char *token, struct rpc_principal *out)
{
    struct svc *svc = svc_;
    char hash[65];
    token_hash(token, hash);
    const struct store_token *t = store_token_by_hash(svc->store, hash);
    if (!t) {
        return false;
    }
    out->token_id = xstrdup(t->id);
    out->project = xstrdup(t->project);
    out->role = t->role;
    return true;
}

static json_t *
token_insert_op(const char *id, const char *hash, const char *project, enum rpc_role role,
                const char *name)
{
    long long sec;
    int nsec;
    lq_time_wall(&sec, &nsec);
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:I}}", "op", "insert", "table",
                     "Token", "row", "id", id, "hash", hash, "project", project, "role",
                     rpc_role_name(role), "name", name, "created", (json_int_t)sec);
}

static struct lq_error *
require_admin(struct rpc_call *call)
{
    if (rpc_call_principal(call)->role != RPC_ROLE_ADMIN) {
        return lq_error_new(LQ_PERMISSION_DENIED, NULL, "only an admin token can manage tokens");
    }
    return NULL;
}

struct created {
    char *id;
    char *token;
};

static void
token_created(struct svc *svc, struct rpc_call *call, const json_t *results,
              const struct lq_error *err, void *c_)
{
    struct created *c = c_;
    (void)svc;
    (void)results;
    if (err) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
    } else {
        PB(CreateTokenResponse) resp = LIMIQUANTIX__NETWORK__V1__CREATE_TOKEN_RESPONSE__INIT;
        resp.id = c->id;
        resp.token = c->token;
        rpc_call_reply(call, &resp.base);
    }
    free(c->id);
    free(c->token);
    free(c);
}

static void
create_token(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(CreateTokenRequest) *req = (const PB(CreateTokenRequest) *)msg;
    enum rpc_role role;
    struct lq_error *err = require_admin(call);
    if (!err && !*req->project_id) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "projectId", "required");
    } else if (!err && strlen(req->project_id) > 64) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "projectId", "longer than 64 characters");
    } else if (!err && !rpc_role_from_name(req->role, &role)) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "role",
                           "'%s' is not a role (admin, member or reader)", req->role);
    } else if (!err) {
        err = svc_check_meta(req->name, NULL, 0, NULL);
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    struct created *c = xmalloc(sizeof *c);
    char id[37], hash[65];
    lq_uuid_generate(id);
    c->id = xstrdup(id);
    c->token = token_generate();
    token_hash(c->token, hash);
    json_t *ops = json_pack("[o]", token_insert_op(id, hash, req->project_id, role, req->name));
    svc_transact(svc, call, ops, token_created, c);
}

static int
cmp_token(const void *a_, const void *b_)
{
    const struct store_token *const *a = a_, *const *b = b_;
    return (*a)->created < (*b)->created   ? -1
           : (*a)->created > (*b)->created ? 1
                                           : strcmp((*a)->id, (*b)->id);
}

static void
list_tokens(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(ListTokensRequest) *req = (const PB(ListTokensRequest) *)msg;
    struct lq_error *err = require_admin(call);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    const struct strmap *all = store_tokens(svc->store);
    const struct store_token **match = xmalloc((strmap_count(all) + 1) * sizeof *match);
    size_t n = 0;
    for (struct strmap_node *node = strmap_first(all); node; node = strmap_next(all, node)) {
        const struct store_token *t = node->value;
        if (!*req->project_id || !strcmp(req->project_id, t->project)) {
            match[n++] = t;
        }
    }
    qsort(match, n, sizeof *match, cmp_token);
    PB(ListTokensResponse) resp = LIMIQUANTIX__NETWORK__V1__LIST_TOKENS_RESPONSE__INIT;
    PB(Token) *items = xcalloc(n + 1, sizeof *items);
    Google__Protobuf__Timestamp *times = xcalloc(n + 1, sizeof *times);
    resp.tokens = xcalloc(n + 1, sizeof *resp.tokens);
    resp.n_tokens = n;
    for (size_t i = 0; i < n; i++) {
        limiquantix__network__v1__token__init(&items[i]);
        google__protobuf__timestamp__init(&times[i]);
        times[i].seconds = match[i]->created;
        items[i].id = match[i]->id;
        items[i].project_id = match[i]->project;
        items[i].role = (char *)rpc_role_name(match[i]->role);
        items[i].name = match[i]->name;
        items[i].created_at = &times[i];
        resp.tokens[i] = &items[i];
    }
    rpc_call_reply(call, &resp.base);
    free(resp.tokens);
    free(times);
    free(items);
    free(match);
}

static void
token_revoked(struct svc *svc, struct rpc_call *call, const json_t *results,
              const struct lq_error *err, void *aux)
{
    (void)svc;
    (void)aux;
    const json_t *count = json_object_get(json_array_get(results, 0), "count");
    if (err) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
    } else if (json_integer_value(count) == 0) {
        rpc_call_fail(call, lq_error_new(LQ_NOT_FOUND, "id", "no such token"));
    } else {
        Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
        rpc_call_reply(call, &empty.base);
    }
}

static void
revoke_token(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(RevokeTokenRequest) *req = (const PB(RevokeTokenRequest) *)msg;
    struct lq_error *err = require_admin(call);
    if (!err && !*req->id) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "id", "required");
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    json_t *ops = json_pack("[{s:s, s:s, s:[[s, s, s]]}]", "op", "delete", "table", "Token",
                            "where", "id", "==", req->id);
    svc_transact(svc, call, ops, token_revoked, NULL);
}

const struct rpc_handler svc_token_handlers[] = {
    {"CreateToken", create_token},
    {"ListTokens", list_tokens},
    {"RevokeToken", revoke_token},
    {NULL, NULL},
};

/* Reads the token in 'path' (first line), or returns NULL. */
static char *
read_token(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    char buf[256];
    char *line = fgets(buf, sizeof buf, f);
    fclose(f);
    if (!line) {
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return *buf ? xstrdup(buf) : NULL;
}

static void
admin_inserted(void *aux, const json_t *results, const struct lq_error *err)
{
    (void)aux;
    (void)results;
    if (err) {
        LOG_WARN("token", "could not store the admin token: %s", err->message);
    }
}

int
svc_ensure_admin_token(struct svc *svc, const char *path)
{
    char *token = read_token(path);
    if (!token) {
        token = token_generate();
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) {
            int error = errno;
            free(token);
            return -error;
        }
        char *line = xasprintf("%s\n", token);
        ssize_t n = write(fd, line, strlen(line));
        int error = n == (ssize_t)strlen(line) ? 0 : errno ? errno : EIO;
        close(fd);
        free(line);
        if (error) {
            free(token);
            return -error;
        }
        LOG_INFO("token", "wrote a new admin token to %s", path);
    }
    char hash[65];
    token_hash(token, hash);
    free(token);
    if (!store_token_by_hash(svc->store, hash)) {
        char id[37];
        lq_uuid_generate(id);
        json_t *ops =
            json_pack("[o]", token_insert_op(id, hash, "admin", RPC_ROLE_ADMIN, "bootstrap admin"));
        ovsdb_client_transact(svc->lqdb, ops, admin_inserted, NULL);
    }
    return 0;
}
