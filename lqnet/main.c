/* lqnet: command-line client of lqnetd. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

static const struct cli_group *const groups[] = {
    &network_group, &port_group,     &sg_group,    &router_group,
    &fip_group,     &topology_group, &token_group, &call_group,
};

static void
print_main_help(FILE *stream)
{
    fprintf(stream, "lqnet: command-line client of lqnetd, the limiquantix network service.\n"
                    "\n"
                    "Usage: lqnet [GLOBAL OPTIONS] COMMAND [SUBCOMMAND] [ARGS] [OPTIONS]\n"
                    "\n"
                    "Commands:\n");
    char *names[LQ_ARRAY_SIZE(groups)];
    int width = 10;
    for (size_t i = 0; i < LQ_ARRAY_SIZE(groups); i++) {
        const struct cli_group *g = groups[i];
        names[i] = xasprintf("%s%s%s", g->name, g->alias ? ", " : "", g->alias ? g->alias : "");
        width = strlen(names[i]) > (size_t)width ? (int)strlen(names[i]) : width;
    }
    for (size_t i = 0; i < LQ_ARRAY_SIZE(groups); i++) {
        fprintf(stream, "  %-*s  %s\n", width, names[i], groups[i]->summary);
        free(names[i]);
    }
    fprintf(stream, "\nGlobal options (accepted anywhere on the command line):\n");
    cli_print_global_options(stream);
    fprintf(stream, "      --version               print the version\n"
                    "\n"
                    "Resources can be named by name or by id wherever a command takes one.\n"
                    "\n"
                    "Examples:\n"
                    "  eval \"$(scripts/sandbox env)\"     # point lqnet at the sandbox\n"
                    "  lqnet network create web --subnet 10.0.1.0/24\n"
                    "  lqnet port create web-1 --network web\n"
                    "  lqnet sg rule add default --protocol tcp --port 22\n"
                    "  lqnet fip allocate --external-network public\n"
                    "  lqnet topology\n"
                    "  lqnet network list -o json\n"
                    "  lqnet port create --help\n"
                    "\n"
                    "Exit status: 0 success, 1 the API refused (error: CODE: MESSAGE),\n"
                    "2 bad command line, 3 lqnetd cannot be reached.\n");
}

static const struct cli_group *
find_group(const char *name)
{
    for (size_t i = 0; i < LQ_ARRAY_SIZE(groups); i++) {
        if (!strcmp(groups[i]->name, name) ||
            (groups[i]->alias && !strcmp(groups[i]->alias, name))) {
            return groups[i];
        }
    }
    return NULL;
}

static int
usage_error(const char *fmt, const char *arg)
{
    struct cli_error err = {0};
    cli_error_set(&err, CLI_USAGE, NULL, fmt, arg);
    return cli_error_report(&err);
}

/* Finds the subcommand of 'group' named by argv[0], or by argv[0] and
 * argv[1] together for two-word names ("rule add"); '*n_words' gets how
 * many arguments the name took. Otherwise reports a usage error and returns
 * NULL. */
static const struct cli_command *
find_command(const struct cli_group *group, int argc, char **argv, int *n_words)
{
    const struct cli_command *cmd = cli_group_find(group, argv[0]);
    *n_words = 1;
    if (!cmd && argc > 1) {
        char *name = xasprintf("%s %s", argv[0], argv[1]);
        cmd = cli_group_find(group, name);
        *n_words = 2;
        free(name);
    }
    if (cmd) {
        return cmd;
    }
    /* "rule" alone, or with a bad second word: say what may follow it. */
    char *words = xstrdup("");
    size_t len = strlen(argv[0]);
    for (const struct cli_command *c = group->commands; c->name; c++) {
        if (!strncmp(c->name, argv[0], len) && c->name[len] == ' ') {
            cli_append(&words, ", ", "%s", c->name + len + 1);
        }
    }
    if (*words) {
        char *what = xasprintf("'%s' needs a subcommand: %s", argv[0], words);
        usage_error("%s", what);
        free(what);
    } else {
        usage_error("unknown subcommand '%s'", argv[0]);
    }
    free(words);
    return NULL;
}

/* "lqnet help [COMMAND [SUBCOMMAND]]". */
static int
help_command(int argc, char **argv)
{
    const struct cli_group *group = argc > 1 ? find_group(argv[1]) : NULL;
    if (argc <= 1) {
        print_main_help(stdout);
        return CLI_OK;
    }
    if (!group) {
        return usage_error("unknown command '%s'", argv[1]);
    }
    int n_words;
    const struct cli_command *cmd = group->direct ? group->commands : NULL;
    if (!cmd && argc > 2) {
        cli_set_current(group, NULL);
        if (!(cmd = find_command(group, argc - 2, argv + 2, &n_words))) {
            return CLI_USAGE;
        }
    }
    if (cmd) {
        cli_print_command_help(group, cmd);
    } else {
        cli_print_group_help(group, stdout);
    }
    return CLI_OK;
}

int
main(int argc, char **argv)
{
    const char *env_url = getenv("LQNET_URL");
    cli_set_url(env_url && *env_url ? env_url : CLI_DEFAULT_URL);
    cli_set_token(getenv("LQNET_TOKEN"));

    /* Global options before the command; '+' stops at the command name. */
    enum { OPT_VERSION = 300 };
    static const struct option longopts[] = {
        {"url", required_argument, NULL, CLI_OPT_URL},
        {"token", required_argument, NULL, CLI_OPT_TOKEN},
        {"output", required_argument, NULL, CLI_OPT_OUTPUT},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct cli_error err = {0};
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+:ho:", longopts, NULL)) != -1) {
        if (c == CLI_OPT_HELP) {
            print_main_help(stdout);
            return CLI_OK;
        } else if (c == OPT_VERSION) {
            printf("lqnet %s\n", LQNET_VERSION);
            return CLI_OK;
        } else if (c == '?') {
            return usage_error("unknown option '%s'", argv[optind - 1]);
        } else if (c == ':') {
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        } else if (cli_global_option(c, optarg, &err) && err.status) {
            return cli_error_report(&err);
        }
    }
    argc -= optind;
    argv += optind;

    if (argc == 0) {
        print_main_help(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[0], "help")) {
        return help_command(argc, argv);
    }
    const struct cli_group *group = find_group(argv[0]);
    if (!group) {
        return usage_error("unknown command '%s'", argv[0]);
    }
    cli_set_current(group, NULL);

    const struct cli_command *cmd;
    int n_words;
    if (group->direct) {
        cmd = group->commands;
    } else if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        cli_print_group_help(group, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    } else if (!(cmd = find_command(group, argc - 1, argv + 1, &n_words))) {
        return CLI_USAGE;
    } else {
        /* argv[0] is then the command's last word, as cli_args_parse() wants. */
        argc -= n_words;
        argv += n_words;
    }
    cli_set_current(group, cmd);

    struct cli_args args;
    if (cli_args_parse(cmd, argc, argv, &args, &err)) {
        return cli_error_report(&err);
    }
    int status;
    if (args.help) {
        cli_print_command_help(group, cmd);
        status = CLI_OK;
    } else {
        status = cmd->run(&args);
    }
    cli_args_clear(&args);
    return status;
}
