/* lqnet token: TokenService. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

enum {
    OPT_PROJECT = 256,
    OPT_ROLE,
    OPT_NAME,
};

json_t *
token_create_request(const struct cli_args *args, struct cli_error *err)
{
    const char *project = cli_args_get(args, OPT_PROJECT);
    const char *role = cli_args_get(args, OPT_ROLE);
    const char *name = cli_args_get(args, OPT_NAME);
    if (!project || !*project) {
        cli_error_set(err, CLI_USAGE, NULL, "--project is required");
    } else if (!role) {
        cli_error_set(err, CLI_USAGE, NULL, "--role is required (admin, member or reader)");
    } else if (strcmp(role, "admin") && strcmp(role, "member") && strcmp(role, "reader")) {
        cli_error_set(err, CLI_USAGE, NULL, "--role must be admin, member or reader, not '%s'",
                      role);
    }
    if (err->status) {
        return NULL;
    }
    json_t *req = json_pack("{s:s, s:s}", "projectId", project, "role", role);
    if (name) {
        json_object_set_new(req, "name", json_string(name));
    }
    return req;
}

static int
cmd_create(const struct cli_args *args)
{
    struct cli_error err = {0};
    json_t *req = token_create_request(args, &err);
    json_t *reply = req ? cli_call("TokenService/CreateToken", req, &err) : NULL;
    if (!reply) {
        json_decref(req);
        return cli_error_report(&err);
    }
    if (cli_get_output() == CLI_OUTPUT_JSON) {
        cli_print_json(reply);
    } else {
        /* The token alone on stdout, so that T=$(lqnet token create ...) works;
         * the note goes to the terminal. */
        puts(cli_json_str(reply, "token"));
        fprintf(stderr,
                "Created token %s (project %s, role %s). Save it now: it cannot be shown "
                "again.\n",
                cli_json_str(reply, "id"), cli_json_str(req, "projectId"),
                cli_json_str(req, "role"));
    }
    json_decref(req);
    json_decref(reply);
    return CLI_OK;
}

static struct cli_table *
token_table(json_t *tokens)
{
    static const char *const headers[] = {"ID", "NAME", "PROJECT", "ROLE", "CREATED"};
    struct cli_table *t = cli_table_new(LQ_ARRAY_SIZE(headers), headers);
    size_t i;
    json_t *tok;
    json_array_foreach(tokens, i, tok)
    {
        const char *cells[] = {
            cli_json_str(tok, "id"),        cli_json_str(tok, "name"),
            cli_json_str(tok, "projectId"), cli_json_str(tok, "role"),
            cli_json_str(tok, "createdAt"),
        };
        cli_table_add_row(t, cells);
    }
    return t;
}

static int
cmd_list(const struct cli_args *args)
{
    (void)args;
    struct cli_error err = {0};
    return cli_list(&cli_token_resource, json_object(), &err, token_table);
}

static int
cmd_revoke(const struct cli_args *args)
{
    static const struct cli_deleter revoker = {&cli_token_resource, "TokenService/RevokeToken",
                                               "Revoked", true};
    return cli_delete_each(&revoker, args, NULL);
}

static const struct cli_option create_options[] = {
    {"project", OPT_PROJECT, "ID", "project the token acts in (required)"},
    {"role", OPT_ROLE, "ROLE",
     "admin (everything), member (read/write its project)\nor reader (read its project); "
     "required"},
    {"name", OPT_NAME, "NAME", "a name to recognize the token by in 'lqnet token list'"},
    {NULL, 0, NULL, NULL},
};

static const struct cli_command token_commands[] = {
    {"create", "--project ID --role ROLE [--name NAME]", "Create an API token (admin only)",
     "Prints the token on stdout and a note on stderr. Only a hash is stored:\n"
     "the token cannot be shown again.",
     create_options,
     "  lqnet token create --project acme --role member --name ci\n"
     "  T=$(lqnet token create --project acme --role reader)\n",
     0, 0, cmd_create},
    {"list", "", "List API tokens (admin only; never shows the secrets)", NULL, cli_no_options,
     "  lqnet token list\n", 0, 0, cmd_list},
    {"revoke", "ID|NAME...", "Revoke API tokens; they stop working at once", NULL, cli_no_options,
     "  lqnet token revoke ci\n", 1, -1, cmd_revoke},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

const struct cli_group token_group = {
    "token", "Create, list and revoke API tokens", token_commands, false, NULL,
};
