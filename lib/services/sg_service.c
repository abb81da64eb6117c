/* SecurityGroupService: groups of firewall rules, enforced by OVN ACLs on
 * every hypervisor (translate.c says how). */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pbjson.h"
#include "reconcile.h"
#include "svc.h"
#include "util.h"
#include "validate.h"

static PB(SecurityGroupRule) * new_rule(PB(RuleDirection) direction, const char *remote_sg)
{
    PB(SecurityGroupRule) *r = xmalloc(sizeof *r);
    limiquantix__network__v1__security_group_rule__init(r);
    char id[37];
    lq_uuid_generate(id);
    r->id = xstrdup(id);
    r->direction = direction;
    if (remote_sg) {
        r->remote_security_group_id = xstrdup(remote_sg);
    }
    return r;
}

static json_t *
sg_row(const PB(SecurityGroup) * sg, bool is_default)
{
    char *body = pbjson_encode_text(&sg->base);
    char *key = store_sg_unique_key(sg->project_id, sg->id, is_default);
    json_t *row = json_pack("{s:s, s:s, s:s, s:s}", "id", sg->id, "project", sg->project_id,
                            "unique_key", key, "body", body);
    free(key);
    free(body);
    return row;
}

void
svc_default_sg_op(const char *project, json_t *ops, char id[37])
{
    PB(SecurityGroup) sg = LIMIQUANTIX__NETWORK__V1__SECURITY_GROUP__INIT;
    lq_uuid_generate(id);
    sg.id = id;
    sg.name = "default";
    sg.description = "Ingress from members of this group, all egress";
    sg.project_id = (char *)project;
    sg.stateful = true;
    PB(SecurityGroupRule) *
        rules[] = {new_rule(PB_DIRECTION(INGRESS), id), new_rule(PB_DIRECTION(EGRESS), NULL)};
    sg.rules = rules;
    sg.n_rules = LQ_ARRAY_SIZE(rules);
    Google__Protobuf__Timestamp now;
    google__protobuf__timestamp__init(&now);
    svc_now(&now);
    sg.created_at = sg.updated_at = &now;
    json_array_append_new(ops, json_pack("{s:s, s:s, s:o}", "op", "insert", "table",
                                         "Security_Group", "row", sg_row(&sg, true)));
    for (size_t i = 0; i < LQ_ARRAY_SIZE(rules); i++) {
        protobuf_c_message_free_unpacked(&rules[i]->base, NULL);
    }
}

static const struct store_sg *
find_sg(struct svc *svc, struct rpc_call *call, const char *id, const char *field, bool write,
        struct lq_error **err)
{
    const struct rpc_principal *p = rpc_call_principal(call);
    const struct store_sg *g = *id ? store_sg(svc->store, id) : NULL;
    *err = NULL;
    if (!*id) {
        *err = lq_error_new(LQ_INVALID_ARGUMENT, field, "required");
    } else if (!g || !svc_can_read(p, g->sg->project_id)) {
        *err = lq_error_new(LQ_NOT_FOUND, field, "security group '%s' not found", id);
    } else if (write && !svc_can_write(p, g->sg->project_id)) {
        *err = lq_error_new(LQ_PERMISSION_DENIED, field, "cannot change security group '%s'", id);
    }
    return *err ? NULL : g;
}

struct lq_error *
svc_check_sg_ids(struct svc *svc, const char *project, char **ids, size_t n, const char *field)
{
    for (size_t i = 0; i < n; i++) {
        const struct store_sg *g = store_sg(svc->store, ids[i]);
        char *f = xasprintf("%s[%zu]", field, i);
        struct lq_error *err = NULL;
        if (!g || strcmp(g->sg->project_id, project)) {
            err = lq_error_new(LQ_NOT_FOUND, f, "security group '%s' not found", ids[i]);
        }
        for (size_t j = 0; !err && j < i; j++) {
            if (!strcmp(ids[i], ids[j])) {
                err = lq_error_new(LQ_INVALID_ARGUMENT, f, "'%s' is listed twice", ids[i]);
            }
        }
        free(f);
        if (err) {
            return err;
        }
    }
    return NULL;
}

/* Validates 'rule' for group 'sg' (in 'project'): fields, the remote group,
 * and duplicates among 'sg's rules. */
static struct lq_error *
check_rule(struct svc *svc, const char *project, PB(SecurityGroupRule) * rule, const char *prefix,
           PB(SecurityGroupRule) * *others, size_t n_others, const char *self_id)
{
    struct lq_error *err = validate_rule(rule, prefix);
    const char *remote = rule->remote_security_group_id;
    if (!err && *remote && strcmp(remote, self_id)) {
        const struct store_sg *g = store_sg(svc->store, remote);
        if (!g || strcmp(g->sg->project_id, project)) {
            char *f = xasprintf("%s.remoteSecurityGroupId", prefix);
            err = lq_error_new(LQ_NOT_FOUND, f, "security group '%s' not found in project '%s'",
                               remote, project);
            free(f);
        }
    }
    for (size_t i = 0; !err && i < n_others; i++) {
        if (others[i] != rule && validate_rules_equal(others[i], rule)) {
            err = lq_error_new(LQ_ALREADY_EXISTS, prefix, "the same rule exists already (%s)",
                               others[i]->id);
        }
    }
    return err;
}

static void
reply_sg(struct svc *svc, struct rpc_call *call, const char *id)
{
    const struct store_sg *g = store_sg(svc->store, id);
    if (!g) {
        rpc_call_fail(call, lq_error_new(LQ_INTERNAL, NULL, "security group %s vanished", id));
        return;
    }
    rpc_call_reply(call, &g->sg->base);
}

static void
sg_written(struct svc *svc, struct rpc_call *call, const json_t *results,
           const struct lq_error *err, void *id)
{
    (void)results;
    if (err) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
    } else {
        reconciler_kick(svc->reconciler);
        reply_sg(svc, call, id);
    }
    free(id);
}

static void
create_sg(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(CreateSecurityGroupRequest) *req = (const PB(CreateSecurityGroupRequest) *)msg;
    const char *project;
    struct lq_error *err = svc_project(rpc_call_principal(call), req->project_id, true, &project);
    if (!err) {
        err = svc_check_meta(req->name, req->description, req->n_labels, req->labels);
    }
    if (!err && !strcmp(req->name, "default")) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "name",
                           "'default' is the project's own group; lqnet creates it");
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(SecurityGroup) *sg = xmalloc(sizeof *sg);
    limiquantix__network__v1__security_group__init(sg);
    char id[37];
    lq_uuid_generate(id);
    sg->id = xstrdup(id);
    sg->name = xstrdup(req->name);
    sg->description = xstrdup(req->description);
    sg->project_id = xstrdup(project);
    sg->stateful = PB_HAS(req, stateful) ? req->stateful : true;
    sg->n_labels = req->n_labels;
    sg->labels = xcalloc(req->n_labels + 1, sizeof *sg->labels);
    for (size_t i = 0; i < req->n_labels; i++) {
        sg->labels[i] = (void *)pbjson_clone(&req->labels[i]->base);
    }
    sg->n_rules = req->n_rules;
    sg->rules = xcalloc(req->n_rules + 1, sizeof *sg->rules);
    for (size_t i = 0; i < req->n_rules && !err; i++) {
        sg->rules[i] = (PB(SecurityGroupRule) *)pbjson_clone(&req->rules[i]->base);
        char rid[37];
        lq_uuid_generate(rid);
        validate_set_string(&sg->rules[i]->id, rid);
        char *prefix = xasprintf("rules[%zu]", i);
        err = check_rule(svc, project, sg->rules[i], prefix, sg->rules, i, id);
        free(prefix);
    }
    sg->created_at = svc_timestamp_now();
    sg->updated_at = svc_timestamp_now();
    *sg->updated_at = *sg->created_at;
    if (err) {
        protobuf_c_message_free_unpacked(&sg->base, NULL);
        rpc_call_fail(call, err);
        return;
    }
    json_t *ops = json_pack("[{s:s, s:s, s:o}]", "op", "insert", "table", "Security_Group", "row",
                            sg_row(sg, false));
    protobuf_c_message_free_unpacked(&sg->base, NULL);
    svc_transact(svc, call, ops, sg_written, xstrdup(id));
}

static void
get_sg(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(GetSecurityGroupRequest) *req = (const PB(GetSecurityGroupRequest) *)msg;
    struct lq_error *err;
    const struct store_sg *g = find_sg(svc, call, req->id, "id", false, &err);
    if (!g) {
        rpc_call_fail(call, err);
        return;
    }
    reply_sg(svc, call, g->id);
}

static bool
keep_sg(const void *item, const char *project, const struct rpc_principal *p, const void *aux)
{
    const PB(SecurityGroup) *sg = ((const struct store_sg *)item)->sg;
    (void)aux;
    return svc_can_read(p, sg->project_id) && (!project || !strcmp(project, sg->project_id));
}

static void
reply_list(struct svc *svc, struct rpc_call *call, const PB(ListSecurityGroupsRequest) * req)
{
    struct svc_page page;
    struct lq_error *err =
        svc_select(rpc_call_principal(call), req->project_id, store_sgs(svc->store), keep_sg, NULL,
                   req->page_token, req->page_size, &page);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(ListSecurityGroupsResponse)
    resp = LIMIQUANTIX__NETWORK__V1__LIST_SECURITY_GROUPS_RESPONSE__INIT;
    resp.total_count = page.total;
    resp.next_page_token = page.next_token;
    resp.n_security_groups = page.n;
    resp.security_groups = xcalloc(page.n + 1, sizeof *resp.security_groups);
    for (size_t i = 0; i < page.n; i++) {
        resp.security_groups[i] = ((const struct store_sg *)page.items[i])->sg;
    }
    rpc_call_reply(call, &resp.base);
    free(resp.security_groups);
    svc_page_clear(&page);
}

static void
listed_after_default(struct svc *svc, struct rpc_call *call, const json_t *results,
                     const struct lq_error *err, void *aux)
{
    (void)results;
    (void)aux;
    /* Another writer creating it first is fine: the group exists either way. */
    if (err && err->code != LQ_ALREADY_EXISTS) {
        rpc_call_fail(call, lq_error_new(err->code, NULL, "%s", err->message));
        return;
    }
    reconciler_kick(svc->reconciler);
    reply_list(svc, call, (const PB(ListSecurityGroupsRequest) *)rpc_call_request(call));
}

static void
list_sgs(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(ListSecurityGroupsRequest) *req = (const PB(ListSecurityGroupsRequest) *)msg;
    const struct rpc_principal *p = rpc_call_principal(call);
    const char *project = *req->project_id ? req->project_id : p->project;
    /* Like Neutron, a project's default group exists from its first look. */
    if (p->role != RPC_ROLE_READER && svc_can_write(p, project) &&
        !store_default_sg(svc->store, project)) {
        json_t *ops = json_array();
        char id[37];
        svc_default_sg_op(project, ops, id);
        svc_transact(svc, call, ops, listed_after_default, NULL);
        return;
    }
    reply_list(svc, call, req);
}

/* Writes 'sg' (a modified copy of stored group 'g'), guarded against
 * concurrent changes, then replies with it. Takes ownership of 'sg'. */
static void
write_sg(struct svc *svc, struct rpc_call *call, const struct store_sg *g, PB(SecurityGroup) * sg,
         json_t *ops)
{
    svc_now(sg->updated_at);
    const struct ovsdb_row *row = ovsdb_client_get_row(svc->lqdb, "Security_Group", g->row_uuid);
    json_t *wait =
        json_pack("{s:s, s:s, s:i, s:[[s, s, s]], s:[s], s:s, s:[{s:s}]}", "op", "wait", "table",
                  "Security_Group", "timeout", 0, "where", "id", "==", g->id, "columns", "body",
                  "until", "==", "rows", "body", row ? ovsdb_row_string(row, "body") : "");
    json_t *update =
        json_pack("{s:s, s:s, s:[[s, s, s]], s:o}", "op", "update", "table", "Security_Group",
                  "where", "id", "==", g->id, "row", sg_row(sg, g->is_default));
    ops = ops ? ops : json_array();
    json_array_insert_new(ops, 0, update);
    json_array_insert_new(ops, 0, wait);
    protobuf_c_message_free_unpacked(&sg->base, NULL);
    svc_transact(svc, call, ops, sg_written, xstrdup(g->id));
}

static void
update_sg(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(UpdateSecurityGroupRequest) *req = (const PB(UpdateSecurityGroupRequest) *)msg;
    struct lq_error *err;
    const struct store_sg *g = find_sg(svc, call, req->id, "id", true, &err);
    if (g) {
        err = svc_check_meta(NULL, req->description, req->n_labels, req->labels);
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(SecurityGroup) *sg = (PB(SecurityGroup) *)pbjson_clone(&g->sg->base);
    if (*req->description) {
        validate_set_string(&sg->description, req->description);
    }
    if (req->n_labels) {
        for (size_t i = 0; i < sg->n_labels; i++) {
            protobuf_c_message_free_unpacked(&sg->labels[i]->base, NULL);
        }
        free(sg->labels);
        sg->n_labels = req->n_labels;
        sg->labels = xcalloc(req->n_labels + 1, sizeof *sg->labels);
        for (size_t i = 0; i < req->n_labels; i++) {
            sg->labels[i] = (void *)pbjson_clone(&req->labels[i]->base);
        }
    }
    write_sg(svc, call, g, sg, NULL);
}

static void
add_rule(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(AddRuleRequest) *req = (const PB(AddRuleRequest) *)msg;
    struct lq_error *err;
    const struct store_sg *g =
        find_sg(svc, call, req->security_group_id, "securityGroupId", true, &err);
    if (g && !req->rule) {
        err = lq_error_new(LQ_INVALID_ARGUMENT, "rule", "required");
    }
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(SecurityGroup) *sg = (PB(SecurityGroup) *)pbjson_clone(&g->sg->base);
    PB(SecurityGroupRule) *rule = (PB(SecurityGroupRule) *)pbjson_clone(&req->rule->base);
    char rid[37];
    lq_uuid_generate(rid);
    validate_set_string(&rule->id, rid);
    sg->rules = xrealloc(sg->rules, (sg->n_rules + 2) * sizeof *sg->rules);
    sg->rules[sg->n_rules++] = rule;
    err = check_rule(svc, sg->project_id, rule, "rule", sg->rules, sg->n_rules - 1, sg->id);
    if (err) {
        protobuf_c_message_free_unpacked(&sg->base, NULL);
        rpc_call_fail(call, err);
        return;
    }
    write_sg(svc, call, g, sg, NULL);
}

static void
remove_rule(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(RemoveRuleRequest) *req = (const PB(RemoveRuleRequest) *)msg;
    struct lq_error *err;
    const struct store_sg *g =
        find_sg(svc, call, req->security_group_id, "securityGroupId", true, &err);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    PB(SecurityGroup) *sg = (PB(SecurityGroup) *)pbjson_clone(&g->sg->base);
    size_t i = 0;
    while (i < sg->n_rules && strcmp(sg->rules[i]->id, req->rule_id)) {
        i++;
    }
    if (i == sg->n_rules) {
        protobuf_c_message_free_unpacked(&sg->base, NULL);
        rpc_call_fail(
            call, lq_error_new(LQ_NOT_FOUND, "ruleId", "no rule '%s' in this group", req->rule_id));
        return;
    }
    protobuf_c_message_free_unpacked(&sg->rules[i]->base, NULL);
    memmove(&sg->rules[i], &sg->rules[i + 1], (sg->n_rules - i - 1) * sizeof *sg->rules);
    sg->n_rules--;
    write_sg(svc, call, g, sg, NULL);
}

/* Appends to 'ops' the update of every port in 'g' without the group. */
static void
detach_ports(const struct store_sg *g, json_t *ops)
{
    for (struct strmap_node *n = strmap_first(&g->ports); n; n = strmap_next(&g->ports, n)) {
        const struct store_port *sp = n->value;
        PB(Port) *port = (PB(Port) *)pbjson_clone(&sp->port->base);
        PB(PortSpec) *spec = port->spec;
        size_t k = 0;
        for (size_t i = 0; i < spec->n_security_group_ids; i++) {
            if (strcmp(spec->security_group_ids[i], g->id)) {
                spec->security_group_ids[k++] = spec->security_group_ids[i];
            } else {
                free(spec->security_group_ids[i]);
            }
        }
        spec->n_security_group_ids = k;
        svc_now(port->updated_at);
        char *body = pbjson_encode_text(&port->base);
        json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, s]], s:{s:s}}", "op", "update",
                                             "table", "Port", "where", "id", "==", sp->id, "row",
                                             "body", body));
        free(body);
        protobuf_c_message_free_unpacked(&port->base, NULL);
    }
}

/* What still refers to group 'g' besides its ports, as a message, or NULL. */
static char *
other_uses(struct svc *svc, const struct store_sg *g)
{
    const struct strmap *nets = store_networks(svc->store);
    for (struct strmap_node *n = strmap_first(nets); n; n = strmap_next(nets, n)) {
        const struct store_network *sn = n->value;
        if (!strcmp(sn->net->spec->default_security_group_id, g->id)) {
            return xasprintf("network '%s' uses it as its default group", sn->id);
        }
    }
    const struct strmap *sgs = store_sgs(svc->store);
    for (struct strmap_node *n = strmap_first(sgs); n; n = strmap_next(sgs, n)) {
        const struct store_sg *o = n->value;
        for (size_t i = 0; o != g && i < o->sg->n_rules; i++) {
            if (!strcmp(o->sg->rules[i]->remote_security_group_id, g->id)) {
                return xasprintf("a rule of security group '%s' refers to it", o->id);
            }
        }
    }
    return NULL;
}

static void
delete_sg(struct rpc_call *call, const ProtobufCMessage *msg, void *svc_)
{
    struct svc *svc = svc_;
    const PB(DeleteSecurityGroupRequest) *req = (const PB(DeleteSecurityGroupRequest) *)msg;
    struct lq_error *err;
    const struct store_sg *g = find_sg(svc, call, req->id, "id", true, &err);
    if (!g) {
        rpc_call_fail(call, err);
        return;
    }
    char *use = other_uses(svc, g);
    size_t n_ports = strmap_count(&g->ports);
    if (use) {
        err = lq_error_new(LQ_FAILED_PRECONDITION, "id", "security group '%s' is in use: %s", g->id,
                           use);
    } else if (n_ports && !req->force) {
        err = lq_error_new(LQ_FAILED_PRECONDITION, "id",
                           "security group '%s' is in use by %zu ports; detach it first or pass "
                           "force",
                           g->id, n_ports);
    }
    free(use);
    if (err) {
        rpc_call_fail(call, err);
        return;
    }
    json_t *ops = json_array();
    if (req->force) {
        detach_ports(g, ops);
    } else {
        /* Atomically: still exactly this group, with no member since the check. */
        const struct ovsdb_row *row =
            ovsdb_client_get_row(svc->lqdb, "Security_Group", g->row_uuid);
        json_array_append_new(
            ops, json_pack("{s:s, s:s, s:i, s:[[s, s, s]], s:[s], s:s, s:[{s:s}]}", "op", "wait",
                           "table", "Security_Group", "timeout", 0, "where", "id", "==", g->id,
                           "columns", "body", "until", "==", "rows", "body",
                           row ? ovsdb_row_string(row, "body") : ""));
    }
    json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, s]]}", "op", "delete", "table",
                                         "Security_Group", "where", "id", "==", g->id));
    svc_transact(svc, call, ops, svc_deleted, NULL);
}

const struct rpc_handler svc_sg_handlers[] = {
    {"CreateSecurityGroup", create_sg}, {"GetSecurityGroup", get_sg},
    {"ListSecurityGroups", list_sgs},   {"UpdateSecurityGroup", update_sg},
    {"DeleteSecurityGroup", delete_sg}, {"AddRule", add_rule},
    {"RemoveRule", remove_rule},        {NULL, NULL},
};
