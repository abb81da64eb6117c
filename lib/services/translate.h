/* translate: the Northbound rows lqnet wants, as a pure function of the
 * store. Every row carries external_ids lqnet:owner (the resource id) and
 * lqnet:kind; its key within its table is "<kind>:<owner>". References to
 * other desired rows are written ["lqref", TABLE, KEY] and resolved by diff. */
#ifndef LQ_TRANSLATE_H
#define LQ_TRANSLATE_H 1

#include <jansson.h>

#include "pb.h"
#include "strmap.h"

struct store;

struct translate_config {
    unsigned int physical_mtu;
    /* Southbound Chassis rows (uuid -> struct ovsdb_row): where gateways
     * may run. May be NULL. */
    const struct strmap *chassis;
    /* The chassis (name) a port is bound to, or NULL; may be NULL. */
    const char *(*port_chassis)(void *aux, const char *port_id);
    void *aux;
};

struct nb_row {
    char *table;
    char *key;
    char *owner;
    json_t *columns; /* column -> value in RFC 7047 notation, with lqrefs */
};

struct nb_desired {
    struct strmap rows;   /* "TABLE|KEY" -> struct nb_row */
    struct strmap owners; /* owner -> struct strmap whose keys are its "TABLE|KEY"s */
};

/* The Northbound tables whose lqnet-tagged rows translate owns. */
extern const char *const translate_tables[];
/* The owner (and port group name) of the default-deny group of every port
 * with port security. */
extern const char translate_secured_group[];

/* OVN ACL priorities: infrastructure (DHCP, neighbour discovery) above
 * every rule; rule priority p (0..TRANSLATE_MAX_RULE_PRIORITY, lower wins)
 * at TOP - 2p, plus one for DROP/REJECT so they win ties; default deny
 * below every rule. */
#define TRANSLATE_ACL_INFRA 4000
#define TRANSLATE_ACL_TOP 3000
#define TRANSLATE_MAX_RULE_PRIORITY 999
#define TRANSLATE_ACL_DROP 1000

/* An empty set of rows. Caller frees with translate_destroy(). */
struct nb_desired *translate_new(void);
/* The rows of every resource in 'store'. Caller frees with translate_destroy(). */
struct nb_desired *translate_build(const struct store *store, const struct translate_config *cfg);
/* Recomputes the rows of resource 'id' (a network: its switch and DHCP
 * options; a port: its switch port; a security group: its port group and
 * ACLs; a router: its ports, gateway, NAT (floating IPs included) and
 * routes; translate_secured_group: the default-deny group), or drops them
 * if 'store' no longer has it. Every key dropped or written is added to 'changed' (may be NULL).
 * A network's rows depend on its set of ports, a port's on its network,
 * a group's on its member ports, the default-deny group's on every port's
 * port security: callers recompute both sides when either changes. */
void translate_owner(struct nb_desired *d, const struct store *store,
                     const struct translate_config *cfg, const char *id, struct strmap *changed);
void translate_destroy(struct nb_desired *d);
/* The desired row of 'table' with 'key', or NULL. */
const struct nb_row *translate_find(const struct nb_desired *d, const char *table, const char *key);

/* The Port_Group name of a security group (malloc'd): OVN names allow no
 * '-'. Its address sets are $<name>_ip4 and $<name>_ip6. */
char *translate_pg_name(const char *sg_id);
/* The OVN priority and match of a rule in group 'pg', 'family' 4 or 6. */
int translate_acl_priority(const PB(SecurityGroupRule) * rule);
char *translate_rule_match(const PB(SecurityGroupRule) * rule, const char *pg, int family);

/* The name of router 'router_id's gateway port (malloc'd). */
char *translate_gateway_port_name(const char *router_id);

/* The Logical_Switch name of a network (malloc'd). */
char *translate_switch_name(const char *network_id);
/* The DHCP server's MAC for a network: stable, locally administered. */
void translate_server_mac(const char *network_id, char out[18]);

#endif
