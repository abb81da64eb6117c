/* lqnet security-group (sg): SecurityGroupService. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "util.h"

enum {
    OPT_DESCRIPTION = 256,
    OPT_STATELESS,
    OPT_LABEL,
    OPT_RULE,
    OPT_PROJECT,
    OPT_FORCE,
    OPT_INGRESS,
    OPT_EGRESS,
    OPT_PROTOCOL,
    OPT_PORT,
    OPT_ICMP_TYPE,
    OPT_ICMP_CODE,
    OPT_REMOTE_IP,
    OPT_REMOTE_GROUP,
    OPT_ACTION,
    OPT_PRIORITY,
    OPT_ETHERTYPE,
};

/* Highest (numerically) rule priority the API takes; 0 wins over all. */
#define SG_MAX_PRIORITY 999

static const char *const protocols[] = {"tcp", "udp", "sctp", "icmp", "icmpv6", "any"};

static const struct {
    const char *cli;
    const char *api; /* NULL: the zero value, which is never sent. */
} actions[] = {
    {"allow", NULL},
    {"drop", "DROP"},
    {"reject", "REJECT"},
};

/* Sets 'err' to "WHAT expects ..., not 'VALUE'". */
static bool __attribute__((format(printf, 4, 5)))
expects(struct cli_error *err, const char *what, const char *value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *wanted = xvasprintf(fmt, ap);
    va_end(ap);
    cli_error_set(err, CLI_USAGE, NULL, "%s expects %s, not '%s'", what, wanted, value);
    free(wanted);
    return false;
}

/* Parses a decimal number within [min, max], digits only. */
static bool
parse_number(const char *value, long long min, long long max, long long *out)
{
    if (!*value || strspn(value, "0123456789") != strlen(value) || strlen(value) > 9) {
        return false;
    }
    *out = strtoll(value, NULL, 10);
    return *out >= min && *out <= max;
}

/* Sets integer field 'field' of 'rule' from 'value'; 'noun' says what it is
 * in the message if 'value' is not a number within [min, max]. */
static bool
set_number(json_t *rule, const char *field, const char *what, const char *noun, const char *value,
           long long min, long long max, struct cli_error *err)
{
    long long n;
    if (!parse_number(value, min, max, &n)) {
        return expects(err, what, value, "%s from %lld to %lld", noun, min, max);
    }
    json_object_set_new(rule, field, json_integer(n));
    return true;
}

/* Sets the rule's protocol from a name (any case) or a number 0-255. "any"
 * is what an absent protocol means, so it is not sent. */
static bool
set_protocol(json_t *rule, const char *what, const char *value, struct cli_error *err)
{
    for (size_t i = 0; i < LQ_ARRAY_SIZE(protocols); i++) {
        if (!strcasecmp(value, protocols[i])) {
            if (strcmp(protocols[i], "any")) {
                json_object_set_new(rule, "protocol", json_string(protocols[i]));
            } else {
                json_object_del(rule, "protocol");
            }
            return true;
        }
    }
    long long n;
    if (!parse_number(value, 0, 255, &n)) {
        return expects(err, what, value, "tcp, udp, sctp, icmp, icmpv6, any or a number 0-255");
    }
    char *text = xasprintf("%lld", n);
    json_object_set_new(rule, "protocol", json_string(text));
    free(text);
    return true;
}

/* Sets portMin and portMax from "N" or "MIN-MAX". */
static bool
set_ports(json_t *rule, const char *what, const char *value, struct cli_error *err)
{
    const char *dash = strchr(value, '-');
    char *low = dash ? xstrndup(value, dash - value) : xstrdup(value);
    long long min, max;
    bool ok = parse_number(low, 1, 65535, &min) &&
              parse_number(dash ? dash + 1 : low, 1, 65535, &max) && min <= max;
    free(low);
    if (!ok) {
        return expects(err, what, value, "a port 1-65535 or a range MIN-MAX");
    }
    json_object_set_new(rule, "portMin", json_integer(min));
    json_object_set_new(rule, "portMax", json_integer(max));
    return true;
}

static bool
set_action(json_t *rule, const char *what, const char *value, struct cli_error *err)
{
    for (size_t i = 0; i < LQ_ARRAY_SIZE(actions); i++) {
        if (!strcasecmp(value, actions[i].cli)) {
            if (actions[i].api) {
                json_object_set_new(rule, "action", json_string(actions[i].api));
            } else {
                json_object_del(rule, "action");
            }
            return true;
        }
    }
    return expects(err, what, value, "allow, drop or reject");
}

static bool
set_ethertype(json_t *rule, const char *what, const char *value, struct cli_error *err)
{
    if (strcasecmp(value, "IPv4") && strcasecmp(value, "IPv6")) {
        return expects(err, what, value, "IPv4 or IPv6");
    }
    json_object_set_new(rule, "ethertype", json_string(value[3] == '4' ? "IPv4" : "IPv6"));
    return true;
}

/* Sets the direction from "ingress" or "egress". INGRESS is the zero value
 * and not sent. */
static bool
set_direction(json_t *rule, const char *what, const char *value, struct cli_error *err)
{
    if (!strcasecmp(value, "ingress")) {
        json_object_del(rule, "direction");
    } else if (!strcasecmp(value, "egress")) {
        json_object_set_new(rule, "direction", json_string("EGRESS"));
    } else {
        return expects(err, what, value, "ingress or egress first");
    }
    return true;
}

/* The kinds of field a RULESPEC gives, each at most once. */
enum spec_kind {
    SPEC_PORTS,
    SPEC_REMOTE,
    SPEC_ACTION,
    SPEC_PRIORITY,
    SPEC_TYPE,
    SPEC_CODE,
    SPEC_ETHERTYPE,
};

static const char *const spec_kind_names[] = {
    "ports", "remote (CIDR or group=)", "action", "priority", "ICMP type", "ICMP code", "ethertype",
};

/* Parses one field after the protocol of a RULESPEC into 'rule'; '*seen'
 * holds a bit for each spec_kind given so far. 'what' names the spec in
 * messages. */
static bool
parse_spec_field(json_t *rule, const char *what, const char *field, unsigned *seen,
                 struct cli_error *err)
{
    const char *eq = strchr(field, '=');
    const char *v = eq ? eq + 1 : field;
    char *key = eq ? xstrndup(field, eq - field) : NULL;
    enum spec_kind kind;
    bool ok;
    if (key && !strcmp(key, "priority")) {
        kind = SPEC_PRIORITY;
        ok = set_number(rule, "priority", what, "a priority", v, 0, SG_MAX_PRIORITY, err);
    } else if (key && !strcmp(key, "type")) {
        kind = SPEC_TYPE;
        ok = set_number(rule, "icmpType", what, "an ICMP type", v, 0, 255, err);
    } else if (key && !strcmp(key, "code")) {
        kind = SPEC_CODE;
        ok = set_number(rule, "icmpCode", what, "an ICMP code", v, 0, 255, err);
    } else if (key && !strcmp(key, "ethertype")) {
        kind = SPEC_ETHERTYPE;
        ok = set_ethertype(rule, what, v, err);
    } else if (key && !strcmp(key, "group") && *v) {
        kind = SPEC_REMOTE;
        json_object_set_new(rule, "remoteSecurityGroupId", json_string(v));
        ok = true;
    } else if (key) {
        kind = SPEC_REMOTE;
        ok = expects(err, what, field, "priority=N, type=T, code=C, ethertype=E or group=SG");
    } else if (strchr("0123456789", *field) && strspn(field, "0123456789-") == strlen(field)) {
        kind = SPEC_PORTS;
        ok = set_ports(rule, what, field, err);
    } else if (strpbrk(field, "./:")) {
        kind = SPEC_REMOTE;
        json_object_set_new(rule, "remoteIpPrefix", json_string(field));
        ok = true;
    } else if (!strcasecmp(field, "allow") || !strcasecmp(field, "drop") ||
               !strcasecmp(field, "reject")) {
        kind = SPEC_ACTION;
        ok = set_action(rule, what, field, err);
    } else {
        kind = SPEC_ACTION;
        ok = expects(err, what, field, "a port, MIN-MAX, a CIDR, allow, drop, reject or KEY=VALUE");
    }
    free(key);
    if (ok && (*seen & (1u << kind))) {
        cli_error_set(err, CLI_USAGE, NULL, "%s gives the %s twice", what, spec_kind_names[kind]);
        return false;
    }
    *seen |= 1u << kind;
    return ok;
}

json_t *
sg_rule_parse(const char *spec, struct cli_error *err)
{
    char *what = xasprintf("--rule '%s'", spec);
    char *copy = xstrdup(spec);
    json_t *rule = json_object();
    unsigned seen = 0;
    size_t i = 0;
    for (char *field = copy, *next; field && !err->status; field = next, i++) {
        next = strchr(field, ',');
        if (next) {
            *next++ = '\0';
        }
        if (!*field) {
            cli_error_set(err, CLI_USAGE, NULL, "%s has an empty field", what);
        } else if (i == 0) {
            set_direction(rule, what, field, err);
        } else if (i == 1) {
            set_protocol(rule, what, field, err);
        } else {
            parse_spec_field(rule, what, field, &seen, err);
        }
    }
    free(copy);
    free(what);
    if (err->status) {
        json_decref(rule);
        return NULL;
    }
    return rule;
}

/* Replaces a remote group name in 'rule' by its id. */
static bool
resolve_remote_group(json_t *rule, const char *project, struct cli_error *err)
{
    const char *name = cli_json_str(rule, "remoteSecurityGroupId");
    if (!*name) {
        return true;
    }
    char *id = cli_resolve(&cli_security_group_resource, name, project, err);
    if (!id) {
        return false;
    }
    json_object_set_new(rule, "remoteSecurityGroupId", json_string(id));
    free(id);
    return true;
}

json_t *
sg_create_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_pack("{s:s}", "name", args->pos[0]);
    json_t *labels = json_object();
    const char *project = NULL;
    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        const char *v = args->opts[i].value;
        json_t *rule;
        switch (args->opts[i].key) {
        case OPT_DESCRIPTION:
            json_object_set_new(req, "description", json_string(v));
            break;
        case OPT_STATELESS:
            json_object_set_new(req, "stateful", json_false());
            break;
        case OPT_LABEL:
            cli_parse_label("label", v, labels, err);
            break;
        case OPT_PROJECT:
            project = v;
            json_object_set_new(req, "projectId", json_string(v));
            break;
        case OPT_RULE:
            if ((rule = sg_rule_parse(v, err))) {
                cli_json_append(req, "rules", rule);
            }
            break;
        }
    }
    if (json_object_size(labels)) {
        json_object_set(req, "labels", labels);
    }
    json_decref(labels);

    /* Name lookups only once the command line is known to be good. */
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(req, "rules"), i, rule)
    {
        if (err->status || !resolve_remote_group(rule, project, err)) {
            break;
        }
    }
    if (err->status) {
        json_decref(req);
        return NULL;
    }
    return req;
}

json_t *
sg_update_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *req = json_object();
    json_t *labels = json_object();
    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        const char *v = args->opts[i].value;
        switch (args->opts[i].key) {
        case OPT_DESCRIPTION:
            if (!*v) {
                cli_error_set(err, CLI_USAGE, NULL,
                              "--description cannot be empty (the API keeps the old one)");
            }
            json_object_set_new(req, "description", json_string(v));
            break;
        case OPT_LABEL:
            cli_parse_label("label", v, labels, err);
            break;
        }
    }
    if (json_object_size(labels)) {
        json_object_set(req, "labels", labels);
    }
    json_decref(labels);
    if (!err->status && !json_object_size(req)) {
        cli_error_set(err, CLI_USAGE, NULL, "nothing to update: give --description or --label");
    }

    char *id =
        err->status ? NULL : cli_resolve(&cli_security_group_resource, args->pos[0], NULL, err);
    if (!id) {
        json_decref(req);
        return NULL;
    }
    json_t *ordered = json_pack("{s:s}", "id", id);
    json_object_update(ordered, req);
    json_decref(req);
    free(id);
    return ordered;
}

json_t *
sg_list_request(const struct cli_args *args, struct cli_error *err)
{
    (void)err;
    const char *project = cli_args_get(args, OPT_PROJECT);
    return project ? json_pack("{s:s}", "projectId", project) : json_object();
}

json_t *
sg_rule_add_request(const struct cli_args *args, struct cli_error *err)
{
    json_t *rule = json_object();
    for (size_t i = 0; i < args->n_opts && !err->status; i++) {
        const char *v = args->opts[i].value;
        switch (args->opts[i].key) {
        case OPT_INGRESS:
            json_object_del(rule, "direction");
            break;
        case OPT_EGRESS:
            json_object_set_new(rule, "direction", json_string("EGRESS"));
            break;
        case OPT_PROTOCOL:
            set_protocol(rule, "--protocol", v, err);
            break;
        case OPT_PORT:
            set_ports(rule, "--port", v, err);
            break;
        case OPT_ICMP_TYPE:
            set_number(rule, "icmpType", "--icmp-type", "an ICMP type", v, 0, 255, err);
            break;
        case OPT_ICMP_CODE:
            set_number(rule, "icmpCode", "--icmp-code", "an ICMP code", v, 0, 255, err);
            break;
        case OPT_REMOTE_IP:
            json_object_set_new(rule, "remoteIpPrefix", json_string(v));
            break;
        case OPT_REMOTE_GROUP:
            json_object_set_new(rule, "remoteSecurityGroupId", json_string(v));
            break;
        case OPT_ACTION:
            set_action(rule, "--action", v, err);
            break;
        case OPT_PRIORITY:
            set_number(rule, "priority", "--priority", "a priority", v, 0, SG_MAX_PRIORITY, err);
            break;
        case OPT_ETHERTYPE:
            set_ethertype(rule, "--ethertype", v, err);
            break;
        case OPT_DESCRIPTION:
            json_object_set_new(rule, "description", json_string(v));
            break;
        }
    }
    if (!err->status && json_object_get(rule, "remoteIpPrefix") &&
        json_object_get(rule, "remoteSecurityGroupId")) {
        cli_error_set(err, CLI_USAGE, NULL, "give --remote-ip or --remote-group, not both");
    }

    char *id =
        err->status ? NULL : cli_resolve(&cli_security_group_resource, args->pos[0], NULL, err);
    if (!id || !resolve_remote_group(rule, NULL, err)) {
        free(id);
        json_decref(rule);
        return NULL;
    }
    json_t *req = json_pack("{s:s, s:o}", "securityGroupId", id, "rule", rule);
    free(id);
    return req;
}

const char *
sg_new_rule_id(json_t *before, json_t *after)
{
    json_t *rules = json_object_get(after, "rules");
    for (size_t i = json_array_size(rules); i-- > 0;) {
        const char *id = cli_json_str(json_array_get(rules, i), "id");
        bool known = false;
        size_t j;
        json_t *old;
        json_array_foreach(json_object_get(before, "rules"), j, old)
        {
            known |= !strcmp(id, cli_json_str(old, "id"));
        }
        if (!known) {
            return id;
        }
    }
    return NULL;
}

struct cli_table *
sg_list_table(json_t *groups)
{
    static const char *const headers[] = {"ID", "NAME", "STATEFUL", "RULES", "DESCRIPTION"};
    struct cli_table *t = cli_table_new(LQ_ARRAY_SIZE(headers), headers);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        char *cells[] = {
            xstrdup(cli_json_str(g, "id")),
            xstrdup(cli_json_str(g, "name")),
            xstrdup(json_is_true(json_object_get(g, "stateful")) ? "yes" : "no"),
            xasprintf("%zu", json_array_size(json_object_get(g, "rules"))),
            xstrdup(cli_json_str(g, "description")),
        };
        cli_table_add_row_owned(t, cells);
    }
    return t;
}

struct cli_table *
sg_show_table(json_t *g)
{
    struct cli_table *t = cli_table_new_fields();
    cli_table_add_field(t, "id", xstrdup(cli_json_str(g, "id")));
    cli_table_add_field(t, "name", xstrdup(cli_json_str(g, "name")));
    cli_table_add_field(t, "project", xstrdup(cli_json_str(g, "projectId")));
    cli_table_add_optional(t, "description", xstrdup(cli_json_str(g, "description")));
    cli_table_add_field(t, "stateful",
                        xstrdup(json_is_true(json_object_get(g, "stateful")) ? "yes" : "no"));
    cli_table_add_field(t, "rules", xasprintf("%zu", json_array_size(json_object_get(g, "rules"))));
    cli_table_add_optional(t, "labels", cli_labels_text(g));
    cli_table_add_optional(t, "created", xstrdup(cli_json_str(g, "createdAt")));
    cli_table_add_optional(t, "updated", xstrdup(cli_json_str(g, "updatedAt")));
    return t;
}

/* "22", "8000-8080", "type 8 code 0" or "any". */
static char *
rule_ports_text(json_t *rule)
{
    json_t *min = json_object_get(rule, "portMin");
    json_t *max = json_object_get(rule, "portMax");
    json_t *type = json_object_get(rule, "icmpType");
    json_t *code = json_object_get(rule, "icmpCode");
    if (json_integer_value(min)) {
        json_int_t lo = json_integer_value(min);
        json_int_t hi = json_integer_value(max) ? json_integer_value(max) : lo;
        return lo == hi ? xasprintf("%" JSON_INTEGER_FORMAT, lo)
                        : xasprintf("%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT, lo, hi);
    }
    if (type) {
        char *out = xasprintf("type %" JSON_INTEGER_FORMAT, json_integer_value(type));
        if (code) {
            cli_append(&out, " ", "code %" JSON_INTEGER_FORMAT, json_integer_value(code));
        }
        return out;
    }
    return xstrdup("any");
}

/* The family the rule matches: as given, else the remote prefix's. */
static const char *
rule_ethertype(json_t *rule)
{
    const char *ethertype = cli_json_str(rule, "ethertype");
    const char *prefix = cli_json_str(rule, "remoteIpPrefix");
    return *ethertype ? ethertype : strchr(prefix, ':') ? "IPv6" : *prefix ? "IPv4" : "any";
}

static char *
rule_remote_text(json_t *rule, json_t *group_names)
{
    const char *prefix = cli_json_str(rule, "remoteIpPrefix");
    const char *group = cli_json_str(rule, "remoteSecurityGroupId");
    const char *name = json_string_value(json_object_get(group_names, group));
    if (*group) {
        return xasprintf("group %s", name && *name ? name : group);
    }
    return xstrdup(*prefix ? prefix : "any");
}

static char *
lower(const char *s)
{
    char *out = xstrdup(s);
    for (char *c = out; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    return out;
}

struct cli_table *
sg_rules_table(json_t *g, json_t *group_names)
{
    static const char *const headers[] = {"ID",    "DIRECTION", "ETHERTYPE", "PROTOCOL",
                                          "PORTS", "REMOTE",    "ACTION",    "PRIORITY"};
    struct cli_table *t = cli_table_new(LQ_ARRAY_SIZE(headers), headers);
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(g, "rules"), i, rule)
    {
        const char *direction = cli_json_str(rule, "direction");
        const char *protocol = cli_json_str(rule, "protocol");
        const char *action = cli_json_str(rule, "action");
        char *cells[] = {
            xstrdup(cli_json_str(rule, "id")),
            lower(*direction ? direction : "INGRESS"),
            xstrdup(rule_ethertype(rule)),
            xstrdup(*protocol ? protocol : "any"),
            rule_ports_text(rule),
            rule_remote_text(rule, group_names),
            lower(*action ? action : "ALLOW"),
            xasprintf("%" JSON_INTEGER_FORMAT,
                      json_integer_value(json_object_get(rule, "priority"))),
        };
        cli_table_add_row_owned(t, cells);
    }
    return t;
}

/* Maps the ids of the groups that 'g''s rules refer to to their names; the
 * group's own is known, the others take a list call. Ids whose names
 * cannot be found stay out (the table then shows the id). */
static json_t *
remote_group_names(json_t *g)
{
    json_t *names = json_pack("{s:s}", cli_json_str(g, "id"), cli_json_str(g, "name"));
    bool others = false;
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(g, "rules"), i, rule)
    {
        const char *remote = cli_json_str(rule, "remoteSecurityGroupId");
        others |= *remote && !json_object_get(names, remote);
    }
    struct cli_error err = {0};
    json_t *req = json_pack("{s:s}", "projectId", cli_json_str(g, "projectId"));
    json_t *list = others ? cli_list_all(&cli_security_group_resource, req, &err) : NULL;
    cli_error_clear(&err);
    json_decref(req);
    json_t *item;
    json_array_foreach(json_object_get(list, "securityGroups"), i, item)
    {
        json_object_set_new(names, cli_json_str(item, "id"),
                            json_string(cli_json_str(item, "name")));
    }
    json_decref(list);
    return names;
}

/* Prints a group: as JSON with -o json, else its fields and its rules. */
static void
print_group(json_t *g)
{
    if (cli_get_output() == CLI_OUTPUT_JSON) {
        cli_print_json(g);
        return;
    }
    struct cli_table *t = sg_show_table(g);
    cli_table_print(t);
    cli_table_destroy(t);
    json_t *names = remote_group_names(g);
    t = sg_rules_table(g, names);
    putchar('\n');
    cli_table_print(t);
    cli_table_destroy(t);
    json_decref(names);
}

/* Sends 'req' (consumed; NULL means 'err' is already set) to 'method' and
 * prints the group that comes back. */
static int
send_and_print(const char *method, json_t *req, struct cli_error *err)
{
    json_t *reply = req ? cli_call(method, req, err) : NULL;
    json_decref(req);
    if (!reply) {
        return cli_error_report(err);
    }
    print_group(reply);
    json_decref(reply);
    return CLI_OK;
}

static int
cmd_create(const struct cli_args *args)
{
    struct cli_error err = {0};
    return send_and_print("SecurityGroupService/CreateSecurityGroup", sg_create_request(args, &err),
                          &err);
}

static int
cmd_update(const struct cli_args *args)
{
    struct cli_error err = {0};
    return send_and_print("SecurityGroupService/UpdateSecurityGroup", sg_update_request(args, &err),
                          &err);
}

static int
cmd_show(const struct cli_args *args)
{
    struct cli_error err = {0};
    json_t *g = cli_fetch(&cli_security_group_resource, args->pos[0], &err);
    if (!g) {
        return cli_error_report(&err);
    }
    print_group(g);
    json_decref(g);
    return CLI_OK;
}

static int
cmd_list(const struct cli_args *args)
{
    struct cli_error err = {0};
    return cli_list(&cli_security_group_resource, sg_list_request(args, &err), &err, sg_list_table);
}

static int
cmd_delete(const struct cli_args *args)
{
    static const struct cli_deleter deleter = {
        &cli_security_group_resource, "SecurityGroupService/DeleteSecurityGroup", "Deleted", false};
    json_t *extra = cli_args_has(args, OPT_FORCE) ? json_pack("{s:b}", "force", true) : NULL;
    int status = cli_delete_each(&deleter, args, extra);
    json_decref(extra);
    return status;
}

static int
cmd_rule_add(const struct cli_args *args)
{
    struct cli_error err = {0};
    json_t *req = sg_rule_add_request(args, &err);
    /* The group as it was, to tell the new rule from the old ones. */
    json_t *get = req ? json_pack("{s:O}", "id", json_object_get(req, "securityGroupId")) : NULL;
    json_t *before = get ? cli_call(cli_security_group_resource.get, get, &err) : NULL;
    json_t *reply = before ? cli_call("SecurityGroupService/AddRule", req, &err) : NULL;
    const char *rule_id = reply ? sg_new_rule_id(before, reply) : NULL;
    if (reply && !rule_id) {
        cli_error_set(&err, CLI_API_ERROR, "internal",
                      "lqnetd's answer to AddRule holds no new rule");
    }
    int status = CLI_OK;
    if (err.status) {
        status = cli_error_report(&err);
    } else if (cli_get_output() == CLI_OUTPUT_JSON) {
        cli_print_json(reply);
    } else {
        /* The id alone on stdout, so that R=$(lqnet sg rule add ...) works. */
        puts(rule_id);
        fprintf(stderr, "Added rule %s to security group %s (%s)\n", rule_id, args->pos[0],
                cli_json_str(reply, "id"));
    }
    json_decref(req);
    json_decref(get);
    json_decref(before);
    json_decref(reply);
    return status;
}

static int
cmd_rule_remove(const struct cli_args *args)
{
    struct cli_error err = {0};
    char *id = cli_resolve(&cli_security_group_resource, args->pos[0], NULL, &err);
    json_t *req =
        id ? json_pack("{s:s, s:s}", "securityGroupId", id, "ruleId", args->pos[1]) : NULL;
    json_t *reply = req ? cli_call("SecurityGroupService/RemoveRule", req, &err) : NULL;
    int status = CLI_OK;
    if (!reply) {
        status = cli_error_report(&err);
    } else if (cli_get_output() == CLI_OUTPUT_JSON) {
        cli_print_json(reply);
    } else {
        printf("Removed rule %s from security group %s (%s)\n", args->pos[1], args->pos[0], id);
    }
    free(id);
    json_decref(req);
    json_decref(reply);
    return status;
}

static const struct cli_option create_options[] = {
    {"rule", OPT_RULE, "RULESPEC", "a rule, e.g. ingress,tcp,22 (repeatable; see above)"},
    {"description", OPT_DESCRIPTION, "TEXT", "free text"},
    {"stateless", OPT_STATELESS, NULL,
     "do not track connections: replies then need rules\nof their own (default: stateful)"},
    {"project", OPT_PROJECT, "ID", "owning project (default: the token's)"},
    {"label", OPT_LABEL, "KEY=VALUE", "label (repeatable)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option list_options[] = {
    {"project", OPT_PROJECT, "ID", "groups of this project (default: the token's)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option update_options[] = {
    {"description", OPT_DESCRIPTION, "TEXT", "new description"},
    {"label", OPT_LABEL, "KEY=VALUE", "set the labels to these (repeatable; replaces all)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option delete_options[] = {
    {"force", OPT_FORCE, NULL, "delete even if ports use the group (they leave it)"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_option rule_add_options[] = {
    {"ingress", OPT_INGRESS, NULL, "traffic to the ports (the default)"},
    {"egress", OPT_EGRESS, NULL, "traffic from the ports"},
    {"protocol", OPT_PROTOCOL, "P",
     "tcp, udp, sctp, icmp, icmpv6, any (the default)\nor a protocol number 0-255"},
    {"port", OPT_PORT, "N|MIN-MAX", "destination port or range (tcp, udp, sctp)"},
    {"icmp-type", OPT_ICMP_TYPE, "T", "ICMP type (icmp, icmpv6; default: any)"},
    {"icmp-code", OPT_ICMP_CODE, "C", "ICMP code (needs --icmp-type; default: any)"},
    {"remote-ip", OPT_REMOTE_IP, "CIDR", "only this remote address prefix (default: anywhere)"},
    {"remote-group", OPT_REMOTE_GROUP, "GROUP",
     "only the ports of this security group (name or id)"},
    {"action", OPT_ACTION, "ACTION",
     "allow (the default), drop (silently) or reject\n(TCP reset / ICMP unreachable)"},
    {"priority", OPT_PRIORITY, "N",
     "0-999, lower wins; at equal priority drop and\nreject win "
     "over allow (default 0)"},
    {"ethertype", OPT_ETHERTYPE, "IPv4|IPv6",
     "address family (default: the remote prefix's, else\nboth)"},
    {"description", OPT_DESCRIPTION, "TEXT", "free text"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command sg_commands[] = {
    {"create", "NAME [--rule RULESPEC]... [options]", "Create a security group",
     "A port with port security lets through only what a rule of one of its\n"
     "groups allows, in either direction, so a group usually needs an egress\n"
     "rule too. Stateful groups also let the replies of allowed connections\n"
     "through. More rules: 'lqnet security-group rule add'.\n"
     "\n"
     "RULESPEC is DIRECTION[,PROTOCOL[,FIELD]...], separated by commas:\n"
     "  DIRECTION            ingress or egress\n"
     "  PROTOCOL             tcp, udp, sctp, icmp, icmpv6, any (the default)\n"
     "                       or a protocol number 0-255\n"
     "then, in any order, each at most once:\n"
     "  N or MIN-MAX         destination port or range (tcp, udp, sctp)\n"
     "  CIDR                 remote address prefix, e.g. 10.0.0.0/8 (default:\n"
     "                       anywhere)\n"
     "  group=SG             remote security group, by name or id, instead\n"
     "  allow|drop|reject    action (default allow)\n"
     "  priority=N           0-999, lower wins (default 0)\n"
     "  type=T, code=C       ICMP type and code (icmp, icmpv6)\n"
     "  ethertype=IPv4|IPv6  address family (default: the CIDR's, else both)",
     create_options,
     "  lqnet security-group create web --rule ingress,tcp,80 --rule ingress,tcp,443 \\\n"
     "      --rule egress\n"
     "  lqnet sg create ssh --description 'ssh from the office' \\\n"
     "      --rule ingress,tcp,22,198.51.100.0/24\n"
     "  lqnet sg create app --rule ingress,tcp,8000-8080,group=web \\\n"
     "      --rule ingress,tcp,8000-8080,10.0.0.0/8,drop,priority=10 --rule egress,any\n"
     "  lqnet sg create ping --rule ingress,icmp,type=8 --rule ingress,icmpv6,type=128\n",
     1, 1, cmd_create},
    {"list", "[--project ID]", "List security groups",
     "The project's 'default' group (ingress from its own members, all\n"
     "egress) is created the first time its groups are listed.",
     list_options,
     "  lqnet security-group list\n"
     "  lqnet sg list -o json\n",
     0, 0, cmd_list},
    {"show", "NAME|ID", "Show a security group and its rules", NULL, cli_no_options,
     "  lqnet security-group show default\n"
     "  lqnet sg show web -o json | jq '.rules[].id'\n",
     1, 1, cmd_show},
    {"update", "NAME|ID [options]", "Change a security group's description or labels",
     "Rules change with 'rule add' and 'rule remove'.", update_options,
     "  lqnet security-group update web --description 'public web servers'\n"
     "  lqnet sg update web --label tier=web --label env=prod\n",
     1, 1, cmd_update},
    {"delete", "NAME|ID... [--force]", "Delete security groups",
     "A group that ports use is refused unless --force is given (the ports\n"
     "then leave it). A group that a network uses as its default, or that\n"
     "another group's rule names, is always refused.",
     delete_options,
     "  lqnet security-group delete web\n"
     "  lqnet sg delete web app --force\n",
     1, -1, cmd_delete},
    {"rule add", "GROUP [options]", "Add a rule to a security group",
     "Prints the new rule's id (what 'rule remove' takes); -o json prints the\n"
     "whole group. Without options the rule allows all ingress.",
     rule_add_options,
     "  lqnet security-group rule add web --protocol tcp --port 443\n"
     "  lqnet sg rule add db --protocol tcp --port 5432 --remote-group app\n"
     "  lqnet sg rule add web --protocol tcp --port 8000-8080 --remote-ip 10.0.0.0/8 \\\n"
     "      --action reject --priority 10\n"
     "  lqnet sg rule add web --egress --protocol udp --port 53 --ethertype IPv4\n"
     "  R=$(lqnet sg rule add web --protocol icmp --icmp-type 8)\n",
     1, 1, cmd_rule_add},
    {"rule remove", "GROUP RULE_ID", "Remove a rule from a security group",
     "'lqnet security-group show GROUP' lists the rules' ids.", cli_no_options,
     "  lqnet security-group rule remove web 0c4a6f3e-2b1d-4c8e-9f70-5d2a1b3c4d5e\n"
     "  lqnet sg rule remove web \"$R\"\n",
     2, 2, cmd_rule_remove},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

const struct cli_group sg_group = {
    "security-group",
    "Create, list, show, update and delete security groups and rules",
    sg_commands,
    false,
    "sg",
};
