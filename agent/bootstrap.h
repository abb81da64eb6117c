/* bootstrap: what a hypervisor's Open vSwitch needs for OVN, as the
 * operations that take its conf.db there. Pure: the replica comes in
 * through a callback, and an empty result means the host is ready. */
#ifndef LQ_AGENT_BOOTSTRAP_H
#define LQ_AGENT_BOOTSTRAP_H 1

#include <jansson.h>

#include "strmap.h"

struct agent_config {
    const char *system_id;       /* the chassis name */
    const char *ovn_remote;      /* Southbound database */
    const char *encap_type;      /* "geneve" */
    const char *encap_ip;        /* this host's tunnel endpoint */
    const char *bridge_mappings; /* "physnet:br-ex,..." or "" */
    const char *datapath_type;   /* "system" (kernel) or "netdev" (userspace) */
};

/* Returns the conf.db replica rows (uuid -> struct ovsdb_row) of 'table'. */
typedef const struct strmap *bootstrap_table_fn(void *aux, const char *table);

/* Returns a new JSON array of operations (empty when nothing is missing),
 * or NULL with '*error' set when the configuration is unusable. */
json_t *bootstrap_ops(const struct agent_config *cfg, bootstrap_table_fn *tables, void *aux,
                      const char **error);

#endif
