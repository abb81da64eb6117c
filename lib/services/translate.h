/* translate: the Northbound rows lqnet wants, as a pure function of the
 * store. Every row carries external_ids lqnet:owner (the resource id) and
 * lqnet:kind; its key within its table is "<kind>:<owner>". References to
 * other desired rows are written ["lqref", TABLE, KEY] and resolved by diff. */
#ifndef LQ_TRANSLATE_H
#define LQ_TRANSLATE_H 1

#include <jansson.h>

#include "strmap.h"

struct store;

struct translate_config {
    unsigned int physical_mtu;
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

/* An empty set of rows. Caller frees with translate_destroy(). */
struct nb_desired *translate_new(void);
/* The rows of every resource in 'store'. Caller frees with translate_destroy(). */
struct nb_desired *translate_build(const struct store *store, const struct translate_config *cfg);
/* Recomputes the rows of resource 'id' (a network: its switch and DHCP
 * options; a port: its switch port), or drops them if 'store' no longer
 * has it. Every key dropped or written is added to 'changed' (may be NULL).
 * A network's rows depend on its set of ports, a port's on its network:
 * callers recompute both sides when either changes. */
void translate_owner(struct nb_desired *d, const struct store *store,
                     const struct translate_config *cfg, const char *id,
                     struct strmap *changed);
void translate_destroy(struct nb_desired *d);
/* The desired row of 'table' with 'key', or NULL. */
const struct nb_row *translate_find(const struct nb_desired *d, const char *table,
                                    const char *key);

/* The Logical_Switch name of a network (malloc'd). */
char *translate_switch_name(const char *network_id);
/* The DHCP server's MAC for a network: stable, locally administered. */
void translate_server_mac(const char *network_id, char out[18]);

#endif
