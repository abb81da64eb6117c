/* lqnet call: a raw API call, for debugging and for what has no command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "util.h"

static int
cmd_call(const struct cli_args *args)
{
    struct cli_error err = {0};
    const char *method = args->pos[0];
    if (*method == '/') {
        method++;
    }
    if (lq_str_starts_with(method, CLI_API_PACKAGE ".")) {
        method += strlen(CLI_API_PACKAGE ".");
    }
    const char *slash = strchr(method, '/');
    if (!slash || slash == method || !slash[1] || strchr(slash + 1, '/')) {
        cli_error_set(&err, CLI_USAGE, NULL,
                      "expected Service/Method, e.g. VirtualNetworkService/ListNetworks, "
                      "not '%s'",
                      args->pos[0]);
        return cli_error_report(&err);
    }

    const char *text = args->n_pos > 1 ? args->pos[1] : "{}";
    json_error_t jerr;
    json_t *req = !strcmp(text, "-") ? json_loadf(stdin, 0, &jerr) : json_loads(text, 0, &jerr);
    if (!json_is_object(req)) {
        cli_error_set(&err, CLI_USAGE, NULL, "the request must be a JSON object%s%s",
                      req ? "" : ": ", req ? "" : jerr.text);
        json_decref(req);
        return cli_error_report(&err);
    }
    json_t *reply = cli_call(method, req, &err);
    json_decref(req);
    if (!reply) {
        return cli_error_report(&err);
    }
    cli_print_json(reply);
    json_decref(reply);
    return CLI_OK;
}

static const struct cli_command call_commands[] = {
    {"call", "SERVICE/METHOD [JSON|-]", "Call any API method with a JSON request",
     "Sends JSON (default {}; '-' reads it from stdin) to\n"
     "POST $LQNET_URL/" CLI_API_PACKAGE ".SERVICE/METHOD and prints the JSON reply.",
     cli_no_options,
     "  lqnet call VirtualNetworkService/ListNetworks\n"
     "  lqnet call PortService/GetPort '{\"id\":\"3f1c...\"}'\n"
     "  echo '{\"projectId\":\"acme\"}' | lqnet call RouterService/ListRouters -\n",
     1, 2, cmd_call},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

const struct cli_group call_group = {
    "call", "Call any API method with a JSON request (for debugging)", call_commands, true, NULL,
};
