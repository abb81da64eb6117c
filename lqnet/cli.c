#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

/* A call that takes longer than this is reported as lqnetd not answering. */
#define CLI_TIMEOUT_MS 30000

static char *cli_url;
static char *cli_token;
static enum cli_output cli_output = CLI_OUTPUT_TABLE;
static const struct cli_group *current_group;
static const struct cli_command *current_command;
static json_t *(*cli_transport)(const char *method, json_t *req, struct cli_error *err);

const struct cli_option cli_global_options[] = {
    {"url", CLI_OPT_URL, "URL", "lqnetd address (default $LQNET_URL, else " CLI_DEFAULT_URL ")"},
    {"token", CLI_OPT_TOKEN, "TOKEN", "API token (default $LQNET_TOKEN)"},
    {"output", CLI_OPT_OUTPUT, "FORMAT",
     "'table' (default) or 'json' (the raw API response);\n'dot' (Graphviz) for 'lqnet topology'"},
    {"help", CLI_OPT_HELP, NULL, "show help"},
    {NULL, 0, NULL, NULL},
};

const struct cli_option cli_no_options[] = {
    {NULL, 0, NULL, NULL},
};

const struct cli_resource cli_network_resource = {
    "network",
    "network",
    "VirtualNetworkService/ListNetworks",
    "networks",
    "VirtualNetworkService/GetNetwork",
};
const struct cli_resource cli_port_resource = {
    "port", "port", "PortService/ListPorts", "ports", "PortService/GetPort",
};
const struct cli_resource cli_security_group_resource = {
    "security group",
    "security-group",
    "SecurityGroupService/ListSecurityGroups",
    "securityGroups",
    "SecurityGroupService/GetSecurityGroup",
};
const struct cli_resource cli_token_resource = {
    "token", "token", "TokenService/ListTokens", "tokens", NULL,
};
const struct cli_resource cli_external_network_resource = {
    "external network",
    "network",
    "VirtualNetworkService/ListNetworks",
    "networks",
    "VirtualNetworkService/GetNetwork",
};
const struct cli_resource cli_router_resource = {
    "router", "router", "RouterService/ListRouters", "routers", "RouterService/GetRouter",
};
const struct cli_resource cli_floating_ip_resource = {
    "floating IP",
    "floating-ip",
    "FloatingIpService/ListFloatingIps",
    "floatingIps",
    "FloatingIpService/GetFloatingIp",
    "ipAddress",
};

void
cli_error_set(struct cli_error *err, enum cli_status status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->status = status;
    err->code = code ? xstrdup(code) : NULL;
    err->message = xvasprintf(fmt, ap);
    va_end(ap);
}

void
cli_error_clear(struct cli_error *err)
{
    free(err->code);
    free(err->message);
    memset(err, 0, sizeof *err);
}

/* "lqnet network create", or as much of it as is known. */
static char *
current_path(void)
{
    return xasprintf(
        "lqnet%s%s%s%s", current_group ? " " : "", current_group ? current_group->name : "",
        current_command && current_group && !current_group->direct ? " " : "",
        current_command && current_group && !current_group->direct ? current_command->name : "");
}

int
cli_error_report(struct cli_error *err)
{
    int status = err->status;
    if (err->code) {
        fprintf(stderr, "error: %s: %s\n", err->code, err->message);
    } else {
        fprintf(stderr, "error: %s\n", err->message);
    }
    if (status == CLI_USAGE) {
        char *path = current_path();
        fprintf(stderr, "Run '%s --help' for usage.\n", path);
        free(path);
    } else if (err->code && !strcmp(err->code, "unauthenticated")) {
        fprintf(stderr, "hint: pass --token or set LQNET_TOKEN (for the sandbox: "
                        "eval \"$(scripts/sandbox env)\")\n");
    } else if (err->code && !strcmp(err->code, "permission_denied")) {
        fprintf(stderr, "hint: the token's role or project does not allow this "
                        "(see 'lqnet token list' with an admin token)\n");
    }
    cli_error_clear(err);
    return status;
}

const struct cli_command *
cli_group_find(const struct cli_group *group, const char *name)
{
    for (const struct cli_command *c = group->commands; c->name; c++) {
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

void
cli_set_current(const struct cli_group *group, const struct cli_command *cmd)
{
    current_group = group;
    current_command = cmd;
}

void
cli_set_url(const char *url)
{
    free(cli_url);
    cli_url = xstrdup(url);
}

const char *
cli_get_url(void)
{
    return cli_url ? cli_url : CLI_DEFAULT_URL;
}

void
cli_set_token(const char *token)
{
    free(cli_token);
    cli_token = token && *token ? xstrdup(token) : NULL;
}

enum cli_output
cli_get_output(void)
{
    return cli_output;
}

bool
cli_set_output(const char *name)
{
    if (!strcmp(name, "table")) {
        cli_output = CLI_OUTPUT_TABLE;
    } else if (!strcmp(name, "json")) {
        cli_output = CLI_OUTPUT_JSON;
    } else if (!strcmp(name, "dot")) {
        cli_output = CLI_OUTPUT_DOT;
    } else {
        return false;
    }
    return true;
}

bool
cli_global_option(int key, const char *value, struct cli_error *err)
{
    switch (key) {
    case CLI_OPT_URL:
        cli_set_url(value);
        return true;
    case CLI_OPT_TOKEN:
        cli_set_token(value);
        return true;
    case CLI_OPT_OUTPUT:
        if (!cli_set_output(value)) {
            cli_error_set(err, CLI_USAGE, NULL,
                          "--output must be 'table', 'json' or 'dot', not '%s'", value);
        }
        return true;
    default:
        return false;
    }
}

static size_t
count_options(const struct cli_option *opts)
{
    size_t n = 0;
    while (opts && opts[n].name) {
        n++;
    }
    return n;
}

/* Appends 'opts' to the getopt tables. */
static void
add_getopt_options(const struct cli_option *opts, struct option *longopts, size_t *n_long,
                   char *shortopts, size_t *n_short)
{
    for (; opts && opts->name; opts++) {
        longopts[(*n_long)++] = (struct option){
            opts->name, opts->metavar ? required_argument : no_argument, NULL, opts->key};
        if (opts->key < 128 &&
            ((opts->key >= 'a' && opts->key <= 'z') || (opts->key >= 'A' && opts->key <= 'Z'))) {
            shortopts[(*n_short)++] = (char)opts->key;
            if (opts->metavar) {
                shortopts[(*n_short)++] = ':';
            }
        }
    }
}

int
cli_args_parse(const struct cli_command *cmd, int argc, char **argv, struct cli_args *args,
               struct cli_error *err)
{
    memset(args, 0, sizeof *args);
    size_t n = count_options(cmd->options) + count_options(cli_global_options);
    struct option *longopts = xcalloc(n + 1, sizeof *longopts);
    char *shortopts = xcalloc(2 * n + 2, 1);
    size_t n_long = 0, n_short = 0;
    shortopts[n_short++] = ':'; /* Report a missing value as ':', not '?'. */
    add_getopt_options(cmd->options, longopts, &n_long, shortopts, &n_short);
    add_getopt_options(cli_global_options, longopts, &n_long, shortopts, &n_short);

    args->opts = xcalloc(argc + 1, sizeof *args->opts);
    optind = 0; /* Fully reinitialize GNU getopt, which keeps state between calls. */
    opterr = 0;
    int c;
    while (!err->status && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == '?') {
            if (optopt) {
                cli_error_set(err, CLI_USAGE, NULL, "unknown option '-%c'", optopt);
            } else {
                cli_error_set(err, CLI_USAGE, NULL, "unknown option '%s'", argv[optind - 1]);
            }
        } else if (c == ':') {
            cli_error_set(err, CLI_USAGE, NULL, "option '%s' needs a value", argv[optind - 1]);
        } else if (c == CLI_OPT_HELP) {
            args->help = true;
        } else if (!cli_global_option(c, optarg, err)) {
            args->opts[args->n_opts++] = (struct cli_arg){c, optarg};
        }
    }
    free(longopts);
    free(shortopts);

    if (!err->status) {
        args->pos = argv + optind;
        args->n_pos = argc - optind;
        if (!args->help && args->n_pos < (size_t)cmd->min_pos) {
            char *path = current_path();
            cli_error_set(err, CLI_USAGE, NULL, "missing arguments; usage: %s %s", path,
                          cmd->synopsis);
            free(path);
        } else if (!args->help && cmd->max_pos >= 0 && args->n_pos > (size_t)cmd->max_pos) {
            cli_error_set(err, CLI_USAGE, NULL, "unexpected argument '%s'",
                          args->pos[cmd->max_pos]);
        } else if (!args->help && cli_output == CLI_OUTPUT_DOT && !cmd->dot_output) {
            cli_error_set(err, CLI_USAGE, NULL,
                          "--output dot is only for 'lqnet topology'; use table or json");
        }
    }
    if (err->status) {
        cli_args_clear(args);
        return -1;
    }
    return 0;
}

void
cli_args_clear(struct cli_args *args)
{
    free(args->opts);
    memset(args, 0, sizeof *args);
}

const char *
cli_args_get(const struct cli_args *args, int key)
{
    for (size_t i = args->n_opts; i-- > 0;) {
        if (args->opts[i].key == key) {
            return args->opts[i].value;
        }
    }
    return NULL;
}

bool
cli_args_has(const struct cli_args *args, int key)
{
    for (size_t i = 0; i < args->n_opts; i++) {
        if (args->opts[i].key == key) {
            return true;
        }
    }
    return false;
}

/* Prints an option table; help text continues under itself after a '\n'. */
static void
print_options(const struct cli_option *opts, FILE *stream)
{
    enum { COL = 30 };
    for (; opts->name; opts++) {
        bool letter = opts->key < 128 && opts->key >= 'a' && opts->key <= 'z';
        char *flag = xasprintf("  %c%c%s--%s%s%s", letter ? '-' : ' ', letter ? opts->key : ' ',
                               letter ? ", " : "  ", opts->name, opts->metavar ? " " : "",
                               opts->metavar ? opts->metavar : "");
        int width = (int)strlen(flag);
        fputs(flag, stream);
        if (width >= COL - 1) {
            fprintf(stream, "\n%*s", COL, "");
        } else {
            fprintf(stream, "%*s", COL - width, "");
        }
        for (const char *h = opts->help; *h; h++) {
            fputc(*h, stream);
            if (*h == '\n') {
                fprintf(stream, "%*s", COL, "");
            }
        }
        fputc('\n', stream);
        free(flag);
    }
}

void
cli_print_global_options(FILE *stream)
{
    print_options(cli_global_options, stream);
}

void
cli_print_command_help(const struct cli_group *group, const struct cli_command *cmd)
{
    if (group->direct) {
        printf("Usage: lqnet %s %s\n\n%s.\n", group->name, cmd->synopsis, cmd->summary);
    } else {
        printf("Usage: lqnet %s %s %s\n\n%s.\n", group->name, cmd->name, cmd->synopsis,
               cmd->summary);
    }
    if (cmd->description) {
        printf("\n%s\n", cmd->description);
    }
    if (cmd->options && cmd->options->name) {
        printf("\nOptions:\n");
        print_options(cmd->options, stdout);
    }
    printf("\nGlobal options (accepted anywhere on the command line):\n");
    print_options(cli_global_options, stdout);
    if (cmd->examples) {
        printf("\nExamples:\n%s", cmd->examples);
    }
}

void
cli_print_group_help(const struct cli_group *group, FILE *stream)
{
    fprintf(stream, "Usage: lqnet %s COMMAND [ARGS] [OPTIONS]\n\n%s.\n", group->name,
            group->summary);
    if (group->alias) {
        fprintf(stream, "'lqnet %s' is short for 'lqnet %s'.\n", group->alias, group->name);
    }
    int width = 10;
    for (const struct cli_command *c = group->commands; c->name; c++) {
        width = strlen(c->name) > (size_t)width ? (int)strlen(c->name) : width;
    }
    fprintf(stream, "\nCommands:\n");
    for (const struct cli_command *c = group->commands; c->name; c++) {
        fprintf(stream, "  %-*s %s\n", width, c->name, c->summary);
    }
    fprintf(stream, "\nRun 'lqnet %s COMMAND --help' for the options of a command.\n", group->name);
}

/* Connect's code for an HTTP status whose body is not a Connect error. */
static const char *
code_from_http_status(int status)
{
    switch (status) {
    case 400:
        return "internal";
    case 401:
        return "unauthenticated";
    case 403:
        return "permission_denied";
    case 404:
        return "unimplemented";
    case 429:
    case 502:
    case 503:
    case 504:
        return "unavailable";
    default:
        return "unknown";
    }
}

json_t *
cli_decode_response(const struct http_response *resp, struct cli_error *err)
{
    json_error_t jerr;
    json_t *body =
        resp->body_len ? json_loadb(resp->body, resp->body_len, 0, &jerr) : json_object();
    if (resp->status == 200) {
        if (!json_is_object(body)) {
            json_decref(body);
            cli_error_set(err, CLI_API_ERROR, "internal",
                          "lqnetd at %s answered with something that is not a JSON object",
                          cli_get_url());
            return NULL;
        }
        return body;
    }

    json_t *code = json_object_get(body, "code");
    if (json_is_string(code)) {
        const char *message = json_string_value(json_object_get(body, "message"));
        cli_error_set(err, CLI_API_ERROR, json_string_value(code), "%s",
                      message && *message ? message : "(no message)");
    } else {
        /* Not a Connect error: whatever answered is probably not lqnetd's API. */
        int len = (int)strcspn(resp->body, "\r\n");
        cli_error_set(err, CLI_API_ERROR, code_from_http_status(resp->status),
                      "HTTP %d from %s%s%.*s%s; is that lqnetd's API address?", resp->status,
                      cli_get_url(), len ? " (" : "", len > 200 ? 200 : len, resp->body,
                      len ? ")" : "");
    }
    json_decref(body);
    return NULL;
}

static json_t *
http_call(const char *method, json_t *req, struct cli_error *err)
{
    const char *url_text = cli_get_url();
    struct http_url url;
    int error = http_url_parse(url_text, &url);
    if (error) {
        cli_error_set(err, CLI_USAGE, NULL, "bad lqnetd URL '%s': %s", url_text,
                      error == -EPROTONOSUPPORT ? "https is not supported, use http://"
                                                : "expected http://HOST[:PORT]");
        return NULL;
    }

    char *body = json_dumps(req, JSON_COMPACT);
    char *path = xasprintf("/%s.%s", CLI_API_PACKAGE, method);
    size_t request_len;
    char *request = http_format_post(&url, path, "application/json", cli_token, body, strlen(body),
                                     &request_len);
    struct http_response resp;
    const char *detail;
    error = http_exchange(&url, request, request_len, CLI_TIMEOUT_MS, &resp, &detail);
    free(request);
    free(path);
    free(body);
    http_url_clear(&url);

    json_t *reply = NULL;
    if (error == -ETIMEDOUT) {
        cli_error_set(err, CLI_UNREACHABLE, NULL, "lqnetd at %s did not answer within %d s",
                      url_text, CLI_TIMEOUT_MS / 1000);
    } else if (error == -EPROTO) {
        cli_error_set(err, CLI_API_ERROR, "unknown",
                      "malformed HTTP response from %s; is that lqnetd's API address?", url_text);
    } else if (error) {
        cli_error_set(err, CLI_UNREACHABLE, NULL,
                      "cannot reach lqnetd at %s: %s; is the sandbox up? (scripts/sandbox up)",
                      url_text, detail ? detail : strerror(-error));
    } else {
        reply = cli_decode_response(&resp, err);
    }
    http_response_clear(&resp);
    return reply;
}

void
cli_set_transport(json_t *(*call)(const char *method, json_t *req, struct cli_error *err))
{
    cli_transport = call;
}

json_t *
cli_call(const char *method, json_t *req, struct cli_error *err)
{
    json_t *empty = req ? NULL : json_object();
    json_t *reply = (cli_transport ? cli_transport : http_call)(method, req ? req : empty, err);
    json_decref(empty);
    return reply;
}

json_t *
cli_list_all(const struct cli_resource *res, json_t *req, struct cli_error *err)
{
    json_t *page_req = req ? json_deep_copy(req) : json_object();
    json_t *first = NULL;
    for (;;) {
        json_t *reply = cli_call(res->list, page_req, err);
        if (!reply) {
            json_decref(first);
            first = NULL;
            break;
        }
        json_t *items = json_object_get(reply, res->list_field);
        if (!first) {
            first = reply;
            if (!json_is_array(items)) {
                json_object_set_new(first, res->list_field, json_array());
            }
        } else {
            json_array_extend(json_object_get(first, res->list_field), items);
        }

        const char *next = cli_json_str(reply, "nextPageToken");
        const char *prev = cli_json_str(page_req, "pageToken");
        bool done = !*next || !strcmp(next, prev); /* A repeated token would loop forever. */
        if (!done) {
            json_object_set_new(page_req, "pageToken", json_string(next));
        }
        if (reply != first) {
            json_decref(reply);
        }
        if (done) {
            json_object_del(first, "nextPageToken");
            break;
        }
    }
    json_decref(page_req);
    return first;
}

char *
cli_resolve(const struct cli_resource *res, const char *name_or_id, const char *project,
            struct cli_error *err)
{
    json_t *filter = project ? json_pack("{s:s}", "projectId", project) : NULL;
    char *id = cli_resolve_filtered(res, name_or_id, filter, err);
    json_decref(filter);
    return id;
}

char *
cli_resolve_filtered(const struct cli_resource *res, const char *name_or_id, json_t *filter,
                     struct cli_error *err)
{
    if (lq_uuid_is_valid(name_or_id)) {
        return xstrdup(name_or_id);
    }
    if (!*name_or_id) {
        cli_error_set(err, CLI_USAGE, NULL, "empty %s name", res->noun);
        return NULL;
    }

    json_t *list = cli_list_all(res, filter, err);
    if (!list) {
        return NULL;
    }

    const char *field = res->name_field ? res->name_field : "name";
    json_t *items = json_object_get(list, res->list_field);
    json_t *matches = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (!strcmp(cli_json_str(item, field), name_or_id)) {
            json_array_append_new(matches, json_string(cli_json_str(item, "id")));
        }
    }

    char *id = NULL;
    size_t n = json_array_size(matches);
    const char *project = cli_json_str(filter, "projectId");
    if (n == 1) {
        id = xstrdup(json_string_value(json_array_get(matches, 0)));
    } else if (n == 0) {
        cli_error_set(err, CLI_API_ERROR, "not_found",
                      "no %s %s '%s'%s%s; 'lqnet %s list' shows them", res->noun,
                      res->name_field ? "has address" : "is named", name_or_id,
                      *project ? " in project " : "", project, res->group);
    } else {
        char *ids = cli_json_text(matches, NULL, ", ");
        cli_error_set(err, CLI_API_ERROR, "invalid_argument",
                      "%zu %ss are named '%s' (%s); give the id instead", n, res->noun, name_or_id,
                      ids);
        free(ids);
    }
    json_decref(matches);
    json_decref(list);
    return id;
}

char *
cli_resolve_external(const char *name_or_id, struct cli_error *err)
{
    json_t *filter = json_pack("{s:s}", "type", "EXTERNAL");
    char *id = cli_resolve_filtered(&cli_external_network_resource, name_or_id, filter, err);
    json_decref(filter);
    return id;
}

json_t *
cli_index(const struct cli_resource *res, json_t *req)
{
    struct cli_error err = {0};
    json_t *list = cli_list_all(res, req, &err);
    cli_error_clear(&err);
    if (!list) {
        return NULL;
    }
    json_t *index = json_object();
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(list, res->list_field), i, item)
    {
        json_object_set(index, cli_json_str(item, "id"), item);
    }
    json_decref(list);
    return index;
}

const char *
cli_index_name(json_t *index, const char *id)
{
    const char *name = cli_json_str(json_object_get(index, id), "name");
    return *name ? name : id;
}

json_t *
cli_fetch(const struct cli_resource *res, const char *name_or_id, struct cli_error *err)
{
    char *id = cli_resolve(res, name_or_id, NULL, err);
    if (!id) {
        return NULL;
    }
    json_t *req = json_pack("{s:s}", "id", id);
    json_t *reply = cli_call(res->get, req, err);
    json_decref(req);
    free(id);
    return reply;
}

json_t *
cli_json_get(json_t *obj, const char *path)
{
    while (obj && path && *path) {
        size_t len = strcspn(path, ".");
        char *key = xstrndup(path, len);
        obj = json_object_get(obj, key);
        free(key);
        path += len + (path[len] == '.');
    }
    return obj;
}

const char *
cli_json_str(json_t *obj, const char *path)
{
    const char *s = json_string_value(cli_json_get(obj, path));
    return s ? s : "";
}

char *
cli_json_text(json_t *obj, const char *path, const char *sep)
{
    json_t *v = cli_json_get(obj, path);
    if (!v) {
        return xstrdup("");
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        return xstrdup(json_string_value(v));
    case JSON_INTEGER:
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return xasprintf("%g", json_real_value(v));
    case JSON_TRUE:
        return xstrdup("yes");
    case JSON_FALSE:
        return xstrdup("no");
    case JSON_ARRAY: {
        char *out = xstrdup("");
        size_t i;
        json_t *elem;
        json_array_foreach(v, i, elem)
        {
            char *text = cli_json_text(elem, NULL, sep);
            char *joined = xasprintf("%s%s%s", out, i ? sep : "", text);
            free(text);
            free(out);
            out = joined;
        }
        return out;
    }
    case JSON_OBJECT: {
        char *dump = json_dumps(v, JSON_COMPACT);
        char *out = xstrdup(dump);
        free(dump);
        return out;
    }
    case JSON_NULL:
    default:
        return xstrdup("");
    }
}

/* Returns the object that holds the last component of 'path', creating
 * objects on the way; '*last' gets that component. Caller frees '*last'. */
static json_t *
json_parent(json_t *obj, const char *path, char **last)
{
    for (;;) {
        size_t len = strcspn(path, ".");
        char *key = xstrndup(path, len);
        if (!path[len]) {
            *last = key;
            return obj;
        }
        json_t *child = json_object_get(obj, key);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(obj, key, child);
        }
        free(key);
        obj = child;
        path += len + 1;
    }
}

void
cli_json_set(json_t *obj, const char *path, json_t *value)
{
    char *key;
    json_t *parent = json_parent(obj, path, &key);
    json_object_set_new(parent, key, value);
    free(key);
}

void
cli_json_append(json_t *obj, const char *path, json_t *value)
{
    char *key;
    json_t *parent = json_parent(obj, path, &key);
    json_t *array = json_object_get(parent, key);
    if (!json_is_array(array)) {
        array = json_array();
        json_object_set_new(parent, key, array);
    }
    json_array_append_new(array, value);
    free(key);
}

void
cli_mask_add(json_t *req, const char *path)
{
    const char *mask = cli_json_str(req, "updateMask");
    size_t len = strlen(path);
    for (const char *p = mask; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        if (strcspn(p, ",") == len && !strncmp(p, path, len)) {
            return;
        }
    }
    char *joined = xasprintf("%s%s%s", mask, *mask ? "," : "", path);
    json_object_set_new(req, "updateMask", json_string(joined));
    free(joined);
}

void
cli_append(char **s, const char *sep, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    char *joined = xasprintf("%s%s%s", *s, **s ? sep : "", text);
    free(text);
    free(*s);
    *s = joined;
}

char *
cli_phase_text(json_t *resource)
{
    const char *phase = cli_json_str(resource, "status.phase");
    const char *error = cli_json_str(resource, "status.errorMessage");
    return xasprintf("%s%s%s", *phase ? phase : "UNKNOWN", *error ? ": " : "", error);
}

void
cli_print_json(json_t *json)
{
    json_dumpf(json, stdout, JSON_INDENT(2));
    putchar('\n');
}

void
cli_print_object(json_t *obj, struct cli_table *(*render)(json_t *obj))
{
    if (cli_get_output() == CLI_OUTPUT_JSON) {
        cli_print_json(obj);
    } else {
        struct cli_table *t = render(obj);
        cli_table_print(t);
        cli_table_destroy(t);
    }
}

void
cli_print_list(json_t *reply, const struct cli_resource *res,
               struct cli_table *(*render)(json_t *items))
{
    if (cli_get_output() == CLI_OUTPUT_JSON) {
        cli_print_json(reply);
    } else {
        struct cli_table *t = render(json_object_get(reply, res->list_field));
        cli_table_print(t);
        cli_table_destroy(t);
    }
}

int
cli_send_and_show(const char *method, json_t *req, struct cli_error *err,
                  struct cli_table *(*render)(json_t *obj))
{
    json_t *reply = req ? cli_call(method, req, err) : NULL;
    json_decref(req);
    if (!reply) {
        return cli_error_report(err);
    }
    cli_print_object(reply, render);
    json_decref(reply);
    return CLI_OK;
}

int
cli_list(const struct cli_resource *res, json_t *req, struct cli_error *err,
         struct cli_table *(*render)(json_t *items))
{
    json_t *reply = req ? cli_list_all(res, req, err) : NULL;
    json_decref(req);
    if (!reply) {
        return cli_error_report(err);
    }
    cli_print_list(reply, res, render);
    json_decref(reply);
    return CLI_OK;
}

int
cli_show(const struct cli_resource *res, const char *name_or_id,
         struct cli_table *(*render)(json_t *obj))
{
    struct cli_error err = {0};
    json_t *obj = cli_fetch(res, name_or_id, &err);
    if (!obj) {
        return cli_error_report(&err);
    }
    cli_print_object(obj, render);
    json_decref(obj);
    return CLI_OK;
}

int
cli_delete_each(const struct cli_deleter *d, const struct cli_args *args, json_t *extra)
{
    int status = CLI_OK;
    for (size_t i = 0; i < args->n_pos; i++) {
        struct cli_error err = {0};
        char *id = cli_resolve(d->res, args->pos[i], NULL, &err);
        json_t *reply = NULL;
        if (id) {
            json_t *req = json_pack("{s:s}", "id", id);
            if (extra) {
                json_object_update(req, extra);
            }
            reply = cli_call(d->method, req, &err);
            json_decref(req);
        }
        if (reply) {
            if (cli_get_output() == CLI_OUTPUT_TABLE && d->id_only) {
                printf("%s %s %s\n", d->done, d->res->noun, id);
            } else if (cli_get_output() == CLI_OUTPUT_TABLE) {
                printf("%s %s %s (%s)\n", d->done, d->res->noun, args->pos[i], id);
            }
            json_decref(reply);
        } else {
            int s = cli_error_report(&err);
            status = status ? status : s;
        }
        free(id);
    }
    return status;
}

bool
cli_parse_int(const char *option, const char *value, long long min, long long max, long long *out,
              struct cli_error *err)
{
    char *end;
    errno = 0;
    long long n = strtoll(value, &end, 10);
    if (end == value || *end || errno || n < min || n > max) {
        cli_error_set(err, CLI_USAGE, NULL,
                      "--%s expects a whole number from %lld to %lld, not '%s'", option, min, max,
                      value);
        return false;
    }
    *out = n;
    return true;
}

bool
cli_parse_label(const char *option, const char *value, json_t *labels, struct cli_error *err)
{
    const char *eq = strchr(value, '=');
    if (!eq || eq == value) {
        cli_error_set(err, CLI_USAGE, NULL, "--%s expects KEY=VALUE, not '%s'", option, value);
        return false;
    }
    char *key = xstrndup(value, eq - value);
    json_object_set_new(labels, key, json_string(eq + 1));
    free(key);
    return true;
}

struct cli_table {
    size_t n_cols;
    char **headers;
    char ***rows;
    size_t n_rows;
};

struct cli_table *
cli_table_new(size_t n_cols, const char *const *headers)
{
    struct cli_table *t = xcalloc(1, sizeof *t);
    t->n_cols = n_cols;
    t->headers = xcalloc(n_cols, sizeof *t->headers);
    for (size_t i = 0; i < n_cols; i++) {
        t->headers[i] = xstrdup(headers[i]);
    }
    return t;
}

void
cli_table_add_row_owned(struct cli_table *t, char **cells)
{
    t->rows = xrealloc(t->rows, (t->n_rows + 1) * sizeof *t->rows);
    t->rows[t->n_rows] = xcalloc(t->n_cols, sizeof **t->rows);
    for (size_t i = 0; i < t->n_cols; i++) {
        t->rows[t->n_rows][i] = cells[i] ? cells[i] : xstrdup("");
    }
    t->n_rows++;
}

void
cli_table_add_row(struct cli_table *t, const char *const *cells)
{
    char **copy = xcalloc(t->n_cols, sizeof *copy);
    for (size_t i = 0; i < t->n_cols; i++) {
        copy[i] = xstrdup(cells[i] ? cells[i] : "");
    }
    cli_table_add_row_owned(t, copy);
    free(copy);
}

/* Display width of 'n' bytes of UTF-8: one column per code point. */
static size_t
text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        w += ((unsigned char)s[i] & 0xc0) != 0x80;
    }
    return w;
}

/* Returns the 'line'th line of 's' in '*start'/'*len', or false. */
static bool
cell_line(const char *s, size_t line, const char **start, size_t *len)
{
    for (; line > 0; line--) {
        s = strchr(s, '\n');
        if (!s) {
            return false;
        }
        s++;
    }
    *start = s;
    *len = strcspn(s, "\n");
    return true;
}

struct buf {
    char *s;
    size_t len, cap;
};

static void
buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void
buf_repeat(struct buf *b, char c, size_t n)
{
    while (n--) {
        buf_put(b, &c, 1);
    }
}

static void
render_rule(struct buf *b, const size_t *widths, size_t n_cols)
{
    for (size_t i = 0; i < n_cols; i++) {
        buf_put(b, "+", 1);
        buf_repeat(b, '-', widths[i] + 2);
    }
    buf_put(b, "+\n", 2);
}

static void
render_row(struct buf *b, char *const *cells, const size_t *widths, size_t n_cols)
{
    for (size_t line = 0;; line++) {
        bool any = false;
        for (size_t i = 0; i < n_cols; i++) {
            const char *start;
            size_t len;
            any |= cell_line(cells[i], line, &start, &len);
        }
        if (!any) {
            break;
        }
        for (size_t i = 0; i < n_cols; i++) {
            const char *start = "";
            size_t len = 0;
            cell_line(cells[i], line, &start, &len);
            buf_put(b, "| ", 2);
            buf_put(b, start, len);
            buf_repeat(b, ' ', widths[i] - text_width(start, len) + 1);
        }
        buf_put(b, "|\n", 2);
    }
}

static void
widen(size_t *width, const char *cell)
{
    const char *start;
    size_t len;
    for (size_t line = 0; cell_line(cell, line, &start, &len); line++) {
        size_t w = text_width(start, len);
        if (w > *width) {
            *width = w;
        }
    }
}

char *
cli_table_render(const struct cli_table *t)
{
    size_t *widths = xcalloc(t->n_cols, sizeof *widths);
    for (size_t i = 0; i < t->n_cols; i++) {
        widen(&widths[i], t->headers[i]);
        for (size_t r = 0; r < t->n_rows; r++) {
            widen(&widths[i], t->rows[r][i]);
        }
    }
    struct buf b = {NULL, 0, 0};
    buf_put(&b, "", 0);
    render_rule(&b, widths, t->n_cols);
    render_row(&b, t->headers, widths, t->n_cols);
    render_rule(&b, widths, t->n_cols);
    for (size_t r = 0; r < t->n_rows; r++) {
        render_row(&b, t->rows[r], widths, t->n_cols);
    }
    if (t->n_rows) {
        render_rule(&b, widths, t->n_cols);
    }
    free(widths);
    return b.s;
}

void
cli_table_print(const struct cli_table *t)
{
    char *s = cli_table_render(t);
    fputs(s, stdout);
    free(s);
}

void
cli_table_destroy(struct cli_table *t)
{
    if (!t) {
        return;
    }
    for (size_t i = 0; i < t->n_cols; i++) {
        free(t->headers[i]);
    }
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t i = 0; i < t->n_cols; i++) {
            free(t->rows[r][i]);
        }
        free(t->rows[r]);
    }
    free(t->headers);
    free(t->rows);
    free(t);
}

struct cli_table *
cli_table_new_fields(void)
{
    static const char *const headers[] = {"Field", "Value"};
    return cli_table_new(2, headers);
}

void
cli_table_add_field(struct cli_table *t, const char *field, char *value)
{
    if (t->n_cols != 2) {
        abort(); /* Not a cli_table_new_fields() table: the row would be short. */
    }
    cli_table_add_row_owned(t, (char *[]){xstrdup(field), value});
}

void
cli_table_add_optional(struct cli_table *t, const char *field, char *value)
{
    if (*value) {
        cli_table_add_field(t, field, value);
    } else {
        free(value);
    }
}

char *
cli_labels_text(json_t *obj)
{
    char *out = xstrdup("");
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(obj, "labels"), key, value)
    {
        cli_append(&out, "\n", "%s=%s", key, cli_json_str(value, NULL));
    }
    return out;
}
