/* commands: the subcommand groups of lqnet (one file each) and the pure
 * pieces of them that the unit tests drive. */
#ifndef LQNET_COMMANDS_H
#define LQNET_COMMANDS_H 1

#include <jansson.h>

#include "cli.h"

extern const struct cli_group network_group;
extern const struct cli_group port_group;
extern const struct cli_group token_group;
extern const struct cli_group call_group;

/* Builders of request messages from parsed arguments, one per command that
 * sends a non-trivial one. Each returns the request (caller decrefs) or
 * NULL with 'err' set; name lookups go through cli_call(). */
json_t *network_create_request(const struct cli_args *args, struct cli_error *err);
json_t *network_update_request(const struct cli_args *args, struct cli_error *err);
json_t *network_list_request(const struct cli_args *args, struct cli_error *err);
json_t *port_create_request(const struct cli_args *args, struct cli_error *err);
json_t *port_update_request(const struct cli_args *args, struct cli_error *err);
json_t *port_list_request(const struct cli_args *args, struct cli_error *err);
json_t *token_create_request(const struct cli_args *args, struct cli_error *err);

/* Tables for output. 'networks' is an array of VirtualNetwork, 'ports' of
 * Port; 'network_names' (may be NULL) maps network ids to names. Caller
 * frees with cli_table_destroy(). */
struct cli_table *network_list_table(json_t *networks);
struct cli_table *network_show_table(json_t *network);
struct cli_table *port_list_table(json_t *ports, json_t *network_names);
struct cli_table *port_show_table(json_t *port);

#endif
