/* commands: the subcommand groups of lqnet (one file each) and the pure
 * pieces of them that the unit tests drive. */
#ifndef LQNET_COMMANDS_H
#define LQNET_COMMANDS_H 1

#include <jansson.h>
#include <stdbool.h>

#include "cli.h"

extern const struct cli_group network_group;
extern const struct cli_group port_group;
extern const struct cli_group sg_group;
extern const struct cli_group token_group;
extern const struct cli_group call_group;
extern const struct cli_group router_group;
extern const struct cli_group fip_group;
extern const struct cli_group topology_group;

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

/* AllocateFloatingIpRequest; the external network is looked up by name
 * among EXTERNAL networks. */
json_t *fip_allocate_request(const struct cli_args *args, struct cli_error *err);
json_t *fip_list_request(const struct cli_args *args, struct cli_error *err);
/* AssociateFloatingIpRequest from "associate FIP PORT [--fixed-ip IP]". */
json_t *fip_associate_request(const struct cli_args *args, struct cli_error *err);
/* Returns the Router that 'ref' names: a router id or, failing that (or
 * with 'network_only'), a network (name or id) the router routes, or the
 * external network its gateway is on if only one router has it there.
 * Caller decrefs; NULL with 'err' set. */
json_t *router_find(const char *ref, bool network_only, struct cli_error *err);

/* The topology (a GetNetworkTopologyResponse) as a tree of UTF-8 lines:
 * external networks, their routers, the routed networks and their ports
 * with floating IPs, then internal routers and unrouted networks; siblings
 * sorted by kind, then name in version order. Caller frees. */
char *topology_tree(json_t *topology);
/* The topology as a Graphviz digraph: one node per node (stubs, dashed, for
 * ids only edges name), one edge per edge. Caller frees. */
char *topology_dot(json_t *topology);

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
/* 'networks' and 'ports' (each may be NULL) map ids to VirtualNetworks and
 * Ports (cli_index()), for names. */
struct cli_table *router_list_table(json_t *routers, json_t *networks);
struct cli_table *router_show_table(json_t *router, json_t *networks);
/* The networks 'router' routes: id, name, subnet, gateway, SNAT. */
struct cli_table *router_networks_table(json_t *router, json_t *networks);
struct cli_table *fip_list_table(json_t *fips, json_t *networks, json_t *ports);
struct cli_table *fip_show_table(json_t *fip, json_t *networks, json_t *ports);

#endif
