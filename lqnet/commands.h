/* commands: the subcommand groups of lqnet (one file each) and the pure
 * pieces of them that the unit tests drive. */
#ifndef LQNET_COMMANDS_H
#define LQNET_COMMANDS_H 1

#include <jansson.h>

#include "cli.h"

extern const struct cli_group network_group;
extern const struct cli_group port_group;
extern const struct cli_group sg_group;
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
json_t *sg_create_request(const struct cli_args *args, struct cli_error *err);
json_t *sg_update_request(const struct cli_args *args, struct cli_error *err);
json_t *sg_list_request(const struct cli_args *args, struct cli_error *err);
/* AddRuleRequest {securityGroupId, rule} from "rule add GROUP [options]". */
json_t *sg_rule_add_request(const struct cli_args *args, struct cli_error *err);
/* Parses a RULESPEC ("ingress,tcp,22"; see 'lqnet security-group create
 * --help') into a SecurityGroupRule. A "group=SG" stays as given in
 * remoteSecurityGroupId: the caller resolves it. Returns the rule (caller
 * decrefs) or NULL with 'err' set (CLI_USAGE). */
json_t *sg_rule_parse(const char *spec, struct cli_error *err);
/* Returns the id of the rule that 'after' (a SecurityGroup) has and 'before'
 * (the same group earlier) has not; the last such one if several. Returns
 * NULL if there is none. Borrowed from 'after'. */
const char *sg_new_rule_id(json_t *before, json_t *after);

/* Tables for output. 'networks' is an array of VirtualNetwork, 'ports' of
 * Port; 'network_names' (may be NULL) maps network ids to names. Caller
 * frees with cli_table_destroy(). */
struct cli_table *network_list_table(json_t *networks);
struct cli_table *network_show_table(json_t *network);
struct cli_table *port_list_table(json_t *ports, json_t *network_names);
struct cli_table *port_show_table(json_t *port);
/* 'groups' is an array of SecurityGroup, 'group' one SecurityGroup;
 * 'group_names' (may be NULL) maps group ids to names for the rules'
 * remote groups. */
struct cli_table *sg_list_table(json_t *groups);
struct cli_table *sg_show_table(json_t *group);
struct cli_table *sg_rules_table(json_t *group, json_t *group_names);

#endif
