#include "bootstrap.h"

#include <stdlib.h>
#include <string.h>

#include "ovsdb.h"
#include "util.h"

static const struct ovsdb_row *
only_row(bootstrap_table_fn *tables, void *aux, const char *table)
{
    const struct strmap *rows = tables(aux, table);
    struct strmap_node *n = rows ? strmap_first(rows) : NULL;
    return n ? n->value : NULL;
}

static const struct ovsdb_row *
bridge_by_name(bootstrap_table_fn *tables, void *aux, const char *name)
{
    const struct strmap *rows = tables(aux, "Bridge");
    for (struct strmap_node *n = rows ? strmap_first(rows) : NULL; n; n = strmap_next(rows, n)) {
        const struct ovsdb_row *row = n->value;
        if (!strcmp(ovsdb_row_string(row, "name"), name)) {
            return row;
        }
    }
    return NULL;
}

/* Adds the ops that create bridge 'name' with its internal port. */
static void
add_bridge(json_t *ops, const char *ovs_uuid, const char *name, const char *datapath_type,
           bool integration, int n)
{
    char iface[32], port[32], br[32];
    snprintf(iface, sizeof iface, "iface%d", n);
    snprintf(port, sizeof port, "port%d", n);
    snprintf(br, sizeof br, "bridge%d", n);
    json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "op", "insert", "table",
                                         "Interface", "uuid-name", iface, "row", "name", name,
                                         "type", "internal"));
    json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:{s:s, s:o}}", "op", "insert", "table",
                                         "Port", "uuid-name", port, "row", "name", name,
                                         "interfaces", ovsdb_named_uuid(iface)));
    json_t *row = json_pack("{s:s, s:o, s:s}", "name", name, "ports", ovsdb_named_uuid(port),
                            "datapath_type", datapath_type);
    if (integration) {
        /* OVN owns every flow on br-int: no default normal switching. */
        json_object_set_new(row, "fail_mode", json_string("secure"));
        json_object_set_new(row, "other_config",
                            json_pack("[s, [[s, s]]]", "map", "disable-in-band", "true"));
    }
    json_array_append_new(ops, json_pack("{s:s, s:s, s:s, s:o}", "op", "insert", "table", "Bridge",
                                         "uuid-name", br, "row", row));
    json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, o]], s:[[s, s, o]]}", "op", "mutate",
                                         "table", "Open_vSwitch", "where", "_uuid",
                                         "==", ovsdb_uuid(ovs_uuid), "mutations", "bridges",
                                         "insert", ovsdb_named_uuid(br)));
}

/* The bridge names in "physnet:br-ex,physnet2:br-ex2" (malloc'd, NULL-terminated). */
static char **
mapping_bridges(const char *mappings, const char **error)
{
    char **out = xcalloc(strlen(mappings) / 2 + 2, sizeof *out);
    size_t n = 0;
    char *copy = xstrdup(mappings), *save = NULL;
    for (char *m = strtok_r(copy, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(m, ':');
        if (!colon || colon == m || !colon[1]) {
            *error = "bridge mappings must look like physnet:br-ex[,physnet2:br-ex2]";
            for (size_t i = 0; i < n; i++) {
                free(out[i]);
            }
            free(out);
            free(copy);
            return NULL;
        }
        out[n++] = xstrdup(colon + 1);
    }
    free(copy);
    return out;
}

json_t *
bootstrap_ops(const struct agent_config *cfg, bootstrap_table_fn *tables, void *aux,
              const char **error)
{
    const struct ovsdb_row *ovs = only_row(tables, aux, "Open_vSwitch");
    char **bridges = mapping_bridges(cfg->bridge_mappings, error);
    if (!bridges) {
        return NULL;
    }
    json_t *ops = json_array();
    if (!ovs) {
        *error = "the Open_vSwitch table has no row (run ovs-vsctl init)";
        json_decref(ops);
        ops = NULL;
        goto out;
    }
    const char *keys[] = {"system-id",    "ovn-remote",          "ovn-encap-type",
                          "ovn-encap-ip", "ovn-bridge-mappings", "ovn-bridge-datapath-type"};
    const char *values[] = {cfg->system_id, cfg->ovn_remote,      cfg->encap_type,
                            cfg->encap_ip,  cfg->bridge_mappings, cfg->datapath_type};
    json_t *stale = json_array();
    json_t *fresh = json_array();
    for (size_t i = 0; i < LQ_ARRAY_SIZE(keys); i++) {
        const char *cur = ovsdb_row_map_get(ovs, "external_ids", keys[i]);
        if (!cur || strcmp(cur, values[i])) {
            json_array_append_new(stale, json_string(keys[i]));
            json_array_append_new(fresh, json_pack("[s, s]", keys[i], values[i]));
        }
    }
    if (json_array_size(stale)) {
        json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, o]], s:[[s, s, [s, o]], "
                                             "[s, s, [s, o]]]}",
                                             "op", "mutate", "table", "Open_vSwitch", "where",
                                             "_uuid", "==", ovsdb_uuid(ovs->uuid), "mutations",
                                             "external_ids", "delete", "set", stale, "external_ids",
                                             "insert", "map", fresh));
    } else {
        json_decref(stale);
        json_decref(fresh);
    }
    int n = 0;
    for (int i = -1; i < 0 || bridges[i]; i++) {
        const char *name = i < 0 ? "br-int" : bridges[i];
        const struct ovsdb_row *br = bridge_by_name(tables, aux, name);
        if (!br) {
            add_bridge(ops, ovs->uuid, name, cfg->datapath_type, i < 0, n++);
        } else if (strcmp(ovsdb_row_string(br, "datapath_type"), cfg->datapath_type)) {
            json_array_append_new(ops, json_pack("{s:s, s:s, s:[[s, s, o]], s:{s:s}}", "op",
                                                 "update", "table", "Bridge", "where", "_uuid",
                                                 "==", ovsdb_uuid(br->uuid), "row", "datapath_type",
                                                 cfg->datapath_type));
        }
    }
out:
    for (size_t i = 0; bridges[i]; i++) {
        free(bridges[i]);
    }
    free(bridges);
    return ops;
}
