/* cli: the pieces every lqnet subcommand shares: command and option tables
 * with generated help, argument parsing, the API call, name-or-id lookup,
 * JSON building helpers and table output. */
#ifndef LQNET_CLI_H
#define LQNET_CLI_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_DEFAULT_URL "http://127.0.0.1:9797"
#define CLI_API_PACKAGE "limiquantix.network.v1"

/* Process exit statuses; also what kind of failure a cli_error is. */
enum cli_status {
    CLI_OK = 0,
    CLI_API_ERROR = 1,   /* The server (or a name lookup) said no. */
    CLI_USAGE = 2,       /* The command line is wrong. */
    CLI_UNREACHABLE = 3, /* lqnetd cannot be reached. */
};

struct cli_error {
    enum cli_status status; /* CLI_OK while no error is set. */
    char *code;             /* Connect code ("not_found") for CLI_API_ERROR, else NULL. */
    char *message;
};

/* Sets 'err' (which must be clear) to a new error. 'code' may be NULL. */
void cli_error_set(struct cli_error *err, enum cli_status status, const char *code, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
/* Frees what 'err' holds and makes it clear again. */
void cli_error_clear(struct cli_error *err);
/* Prints 'err' to stderr ("error: <code>: <message>" plus a hint where one
 * helps), clears it and returns its status for use as the exit status. */
int cli_error_report(struct cli_error *err);

/* One option of a command. 'key' is what the parser reports; a printable
 * ASCII letter also gives the short form -<letter>. */
struct cli_option {
    const char *name; /* Long name without "--"; NULL ends a table. */
    int key;
    const char *metavar; /* Argument name, or NULL for a flag. */
    const char *help;
};

/* Keys of the options every command accepts. Commands use keys >= 256. */
enum {
    CLI_OPT_HELP = 'h',
    CLI_OPT_OUTPUT = 'o',
    CLI_OPT_URL = 200,
    CLI_OPT_TOKEN,
};

/* The parsed command line of one subcommand. Values point into argv. */
struct cli_args {
    struct cli_arg {
        int key;
        const char *value; /* NULL for flags. */
    } * opts;
    size_t n_opts;
    char **pos; /* Positional arguments, in order. */
    size_t n_pos;
    bool help; /* -h/--help was given. */
};

struct cli_command {
    const char *name;        /* "create" or "rule add"; NULL ends a table. */
    const char *synopsis;    /* Argument summary, "NAME --subnet CIDR [options]". */
    const char *summary;     /* One line for the group's command list. */
    const char *description; /* Paragraph for --help; may be NULL. */
    const struct cli_option *options;
    const char *examples; /* Lines for --help; may be NULL. */
    int min_pos, max_pos; /* Number of positional arguments; max -1: any. */
    int (*run)(const struct cli_args *args);
    bool dot_output; /* Accepts -o dot; the others refuse it as a usage error. */
};

/* A top-level command: a group of subcommands, or a single command when
 * 'direct' is set (then 'commands' holds exactly one). */
struct cli_group {
    const char *name;
    const char *summary;
    const struct cli_command *commands;
    bool direct;
    const char *alias; /* A shorter name ("sg"), or NULL. */
};

/* Returns the subcommand of 'group' called 'name', or NULL. */
const struct cli_command *cli_group_find(const struct cli_group *group, const char *name);

/* Parses argv[1..argc) (argv[0] is the command's name) against 'cmd''s
 * options plus the global ones; global options take effect at once. Checks
 * the number of positional arguments unless --help was given. Options and
 * positional arguments may be mixed; "--" ends the options. May permute
 * argv. Returns 0, or sets 'err' (CLI_USAGE) and returns -1. Caller frees
 * '*args' with cli_args_clear(). */
int cli_args_parse(const struct cli_command *cmd, int argc, char **argv, struct cli_args *args,
                   struct cli_error *err);
void cli_args_clear(struct cli_args *args);
/* Returns the value of the last option 'key' in 'args', or NULL. */
const char *cli_args_get(const struct cli_args *args, int key);
bool cli_args_has(const struct cli_args *args, int key);

/* Handles a global option for main()'s own parsing: returns true if 'key'
 * was one (and applies 'value'), false otherwise. Sets 'err' on a bad value. */
bool cli_global_option(int key, const char *value, struct cli_error *err);
/* The options every command accepts, for main()'s parsing and help. */
extern const struct cli_option cli_global_options[];
/* An empty option table, for commands that have only the global ones. */
extern const struct cli_option cli_no_options[];

/* Prints the help of 'cmd' of 'group' to stdout. */
void cli_print_command_help(const struct cli_group *group, const struct cli_command *cmd);
/* Prints the list of subcommands of 'group' to 'stream'. */
void cli_print_group_help(const struct cli_group *group, FILE *stream);
/* Prints the global options section of a help text to 'stream'. */
void cli_print_global_options(FILE *stream);
/* The group and command being run, for messages ("lqnet network create"). */
void cli_set_current(const struct cli_group *group, const struct cli_command *cmd);

/* Settings from global options and the environment. */
enum cli_output { CLI_OUTPUT_TABLE, CLI_OUTPUT_JSON, CLI_OUTPUT_DOT };
void cli_set_url(const char *url);
const char *cli_get_url(void);
void cli_set_token(const char *token); /* NULL or "" for none. */
enum cli_output cli_get_output(void);
/* Parses "table", "json" or "dot" (which only commands with 'dot_output'
 * accept; cli_args_parse() checks); returns false for anything else. */
bool cli_set_output(const char *name);

/* Calls 'method' ("VirtualNetworkService/ListNetworks") with request 'req'
 * (borrowed; NULL means {}). Returns the response (caller decrefs), or NULL
 * with 'err' set. */
json_t *cli_call(const char *method, json_t *req, struct cli_error *err);
/* Replaces the HTTP transport behind cli_call() (tests use a fake); NULL
 * restores HTTP. 'call' has cli_call()'s contract. */
void cli_set_transport(json_t *(*call)(const char *method, json_t *req, struct cli_error *err));

struct http_response;
/* Turns an HTTP response into the response message, or into an error the
 * way a Connect client reads it. Returns a new reference or NULL with 'err'
 * set. */
json_t *cli_decode_response(const struct http_response *resp, struct cli_error *err);

/* What the CLI needs to know to find a kind of resource by name. */
struct cli_resource {
    const char *noun;       /* "network", for messages. */
    const char *group;      /* "network", for "lqnet network list" hints. */
    const char *list;       /* "VirtualNetworkService/ListNetworks" */
    const char *list_field; /* "networks": the array in the list response. */
    const char *get;        /* "VirtualNetworkService/GetNetwork"; NULL if none. */
    /* What names are matched against; NULL: "name". Anything else is an
     * address (floating IPs go by "ipAddress"), and messages say so. */
    const char *name_field;
};
extern const struct cli_resource cli_network_resource;
/* Networks of type EXTERNAL, which every project sees; look them up with
 * cli_resolve_external(). */
extern const struct cli_resource cli_external_network_resource;
extern const struct cli_resource cli_router_resource;
/* Floating IPs are named by their address. */
extern const struct cli_resource cli_floating_ip_resource;
extern const struct cli_resource cli_port_resource;
extern const struct cli_resource cli_security_group_resource;
extern const struct cli_resource cli_token_resource;

/* Calls 'res''s list method with 'req' (borrowed; NULL means {}) and follows
 * next_page_token to the end. Returns the first response with its item
 * array holding every page's items (caller decrefs), or NULL and 'err'. */
json_t *cli_list_all(const struct cli_resource *res, json_t *req, struct cli_error *err);
/* Returns the id of the resource that 'name_or_id' names: a UUID is taken
 * as is; anything else must be the name of exactly one resource listed in
 * 'project' (NULL: the token's). Returns a new string (caller frees), or
 * NULL with 'err' set (not_found when no resource has the name,
 * invalid_argument when several do). */
char *cli_resolve(const struct cli_resource *res, const char *name_or_id, const char *project,
                  struct cli_error *err);
/* cli_resolve() among the items that list request 'filter' (borrowed; NULL
 * means {}) selects. */
char *cli_resolve_filtered(const struct cli_resource *res, const char *name_or_id, json_t *filter,
                           struct cli_error *err);
/* Returns the id of the EXTERNAL network 'name_or_id' names, as
 * cli_resolve() does; other networks of the same name do not count. */
char *cli_resolve_external(const char *name_or_id, struct cli_error *err);
/* Lists every item of 'res' that list request 'req' (borrowed; NULL means
 * {}) selects, for decorating output with names. Returns an object mapping
 * each id to its item (caller decrefs), or NULL if the list fails (the
 * error is dropped: output then shows ids). */
json_t *cli_index(const struct cli_resource *res, json_t *req);
/* Returns the name of 'id' in 'index' (from cli_index(); may be NULL), or
 * 'id' itself when it is not there or has no name. Borrowed. */
const char *cli_index_name(json_t *index, const char *id);
/* Resolves 'name_or_id' and fetches it with the get method. Returns the
 * resource (caller decrefs) or NULL and 'err'. */
json_t *cli_fetch(const struct cli_resource *res, const char *name_or_id, struct cli_error *err);

/* Returns the value at dotted 'path' ("spec.ipConfig.ipv4Subnet") under
 * 'obj' (borrowed), or NULL. */
json_t *cli_json_get(json_t *obj, const char *path);
/* Returns the string at 'path', or "" if there is none. */
const char *cli_json_str(json_t *obj, const char *path);
/* Returns the value at 'path' as display text: strings as they are,
 * numbers in decimal, booleans as yes/no, arrays of those joined with
 * 'sep'; "" when absent. Caller frees. */
char *cli_json_text(json_t *obj, const char *path, const char *sep);
/* Sets 'path' under 'obj' to 'value' (stolen), creating objects on the way. */
void cli_json_set(json_t *obj, const char *path, json_t *value);
/* Appends 'value' (stolen) to the array at 'path', creating it if needed. */
void cli_json_append(json_t *obj, const char *path, json_t *value);
/* Adds 'path' to the request's comma-separated "updateMask" if missing. */
void cli_mask_add(json_t *req, const char *path);
/* Appends 'sep' (only if '*s' is not empty) and the formatted text to the
 * heap string '*s'. */
void cli_append(char **s, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Returns "PHASE" or "PHASE: error message" from a resource's status.
 * Caller frees. */
char *cli_phase_text(json_t *resource);
/* Prints 'json' to stdout, indented. */
void cli_print_json(json_t *json);
struct cli_table;
/* Prints 'obj' as JSON with -o json, else as the table 'render' makes. */
void cli_print_object(json_t *obj, struct cli_table *(*render)(json_t *obj));
/* Prints 'reply', a response of 'res''s list method, as JSON with -o json,
 * else as the table 'render' makes of its item array. */
void cli_print_list(json_t *reply, const struct cli_resource *res,
                    struct cli_table *(*render)(json_t *items));

/* The bodies of the commands that several groups share. Each returns the
 * exit status, having printed the result or the error. */

/* Sends 'req' (consumed; NULL means 'err' is already set) to 'method' and
 * prints the resource that comes back with cli_print_object(). */
int cli_send_and_show(const char *method, json_t *req, struct cli_error *err,
                      struct cli_table *(*render)(json_t *obj));
/* Lists every page of 'res' with request 'req' (consumed; NULL means 'err'
 * is already set) and prints the items with cli_print_list(). */
int cli_list(const struct cli_resource *res, json_t *req, struct cli_error *err,
             struct cli_table *(*render)(json_t *items));
/* Fetches the resource 'name_or_id' names and prints it. */
int cli_show(const struct cli_resource *res, const char *name_or_id,
             struct cli_table *(*render)(json_t *obj));
/* How cli_delete_each() removes one kind of resource. */
struct cli_deleter {
    const struct cli_resource *res;
    const char *method; /* "PortService/DeletePort" */
    const char *done;   /* "Deleted": the table output is "Deleted port web-1 (ID)". */
    bool id_only;       /* Say "<done> <noun> ID", without the name given. */
};
/* Resolves each positional argument of 'args' and calls 'd''s method with
 * {"id": ID} plus the fields of 'extra' (borrowed; may be NULL). Keeps going
 * after a failure, since the resources are independent, and returns the
 * status of the first one. */
int cli_delete_each(const struct cli_deleter *d, const struct cli_args *args, json_t *extra);

/* Parsers for option values. Each returns false and sets 'err' (CLI_USAGE,
 * naming 'option') when 'value' is not acceptable. */
bool cli_parse_int(const char *option, const char *value, long long min, long long max,
                   long long *out, struct cli_error *err);
/* Splits "KEY=VALUE" into labels object 'labels' (KEY must be nonempty). */
bool cli_parse_label(const char *option, const char *value, json_t *labels, struct cli_error *err);

/* A text table in the style of "openstack ... list". */
struct cli_table;
/* Creates a table with 'n_cols' columns titled 'headers'. Caller frees with
 * cli_table_destroy(). */
struct cli_table *cli_table_new(size_t n_cols, const char *const *headers);
/* Appends a row of 'n_cols' cells (copied). A cell may hold several lines. */
void cli_table_add_row(struct cli_table *table, const char *const *cells);
/* Appends a row from 'n_cols' strings that the table takes ownership of. */
void cli_table_add_row_owned(struct cli_table *table, char **cells);
/* Returns the rendered table. Caller frees. */
char *cli_table_render(const struct cli_table *table);
void cli_table_print(const struct cli_table *table);
void cli_table_destroy(struct cli_table *table);

/* A "Field | Value" table that shows one resource. Caller frees with
 * cli_table_destroy(). */
struct cli_table *cli_table_new_fields(void);
/* Appends a "field | value" row to a cli_table_new_fields() table, taking
 * ownership of 'value'. */
void cli_table_add_field(struct cli_table *table, const char *field, char *value);
/* The same, but leaves the row out (and frees 'value') when 'value' is "". */
void cli_table_add_optional(struct cli_table *table, const char *field, char *value);
/* Returns the labels of 'obj' as "KEY=VALUE" lines, "" for none. Caller
 * frees. */
char *cli_labels_text(json_t *obj);

#endif
