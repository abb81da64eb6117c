/* ovsdb-replica: schema types, canonical values, and applying monitor
 * updates (RFC 7047 "update" rows and the "update2" diffs of
 * ovsdb-server(7)) to an in-memory replica. Internal to the ovsdb module;
 * pure (no I/O), so the unit tests drive it with data. */
#ifndef LQ_OVSDB_REPLICA_H
#define LQ_OVSDB_REPLICA_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ovsdb.h"
#include "strmap.h"

enum ovsdb_atomic_type {
    OVSDB_T_VOID, /* No value type: the column is not a map. */
    OVSDB_T_INTEGER,
    OVSDB_T_REAL,
    OVSDB_T_BOOLEAN,
    OVSDB_T_STRING,
    OVSDB_T_UUID,
};

struct ovsdb_type {
    enum ovsdb_atomic_type key, value;
    unsigned int min, max; /* 'max' is UINT_MAX for "unlimited". */
};

/* One atom per value: not a set, not a map. */
bool ovsdb_type_is_scalar(const struct ovsdb_type *type);
bool ovsdb_type_is_map(const struct ovsdb_type *type);
/* Parses a <type> of RFC 7047 section 3.2. Returns 0 or -EINVAL. */
int ovsdb_type_from_json(const json_t *json, struct ovsdb_type *type);

/* Canonical values (see ovsdb.h). Each returns a new reference. */
/* The column type's default value: 0, 0.0, false, "", the all-zero uuid, or
 * an empty set or map. */
json_t *ovsdb_datum_default(const struct ovsdb_type *type);
/* 'value' as the server wrote it (a bare atom for a one-element set,
 * integers for whole reals, any order) in canonical form. Returns NULL if
 * 'value' does not fit 'type'. */
json_t *ovsdb_datum_normalize(const struct ovsdb_type *type, const json_t *value);
/* Applies an update2 "modify" diff to the canonical 'old': a scalar is
 * replaced; a set takes the symmetric difference; a map removes the pairs
 * in both, adds the keys only in 'diff', and changes the value of the keys
 * in both with different values. Returns NULL if 'diff' does not fit. */
json_t *ovsdb_datum_apply_diff(const struct ovsdb_type *type, const json_t *old,
                               const json_t *diff);

/* The columns of one replicated table, as the server's schema has them. */
struct ovsdb_column {
    char *name;
    struct ovsdb_type type;
};

struct ovsdb_replica_table {
    char *name;
    char **want; /* Columns the caller asked for (NULL-terminated), or NULL for all. */
    struct ovsdb_column *columns;
    size_t n_columns;
    bool in_schema;     /* Cleared if the last schema did not have the table. */
    struct strmap rows; /* uuid -> struct ovsdb_row * */
};

/* A set of replicated tables, kept in the order they were added. */
struct ovsdb_replica {
    struct ovsdb_replica_table **tables;
    size_t n_tables;
    struct strmap by_name;
};

void ovsdb_replica_init(struct ovsdb_replica *r);
void ovsdb_replica_destroy(struct ovsdb_replica *r);
/* Adds (or redefines the wanted columns of) 'table'. */
struct ovsdb_replica_table *ovsdb_replica_add(struct ovsdb_replica *r, const char *table,
                                              const char *const *columns);
struct ovsdb_replica_table *ovsdb_replica_find(const struct ovsdb_replica *r, const char *table);
/* Resolves every table's columns against the <database-schema> 'schema'.
 * Missing tables and columns are logged and left out. */
void ovsdb_replica_set_schema(struct ovsdb_replica *r, const json_t *schema);
/* The <monitor-cond-requests> object for the tables in the schema, with
 * explicit columns and condition [true]. New reference. */
json_t *ovsdb_replica_monitor_requests(const struct ovsdb_replica *r);

/* A change found while applying a batch, reported after the batch. */
struct ovsdb_change {
    struct ovsdb_replica_table *table;
    enum ovsdb_change_kind kind;
    struct ovsdb_row *row; /* The live row; for a delete, the removed row (owned here). */
    json_t *old_columns;   /* For a modify, the columns before (owned here). */
};

struct ovsdb_changes {
    struct ovsdb_change *v;
    size_t n, cap;
};

void ovsdb_changes_init(struct ovsdb_changes *c);
/* Frees deleted rows and old columns, and empties 'c'. */
void ovsdb_changes_clear(struct ovsdb_changes *c);

/* Applies a <table-updates2> notification. Appends what changed to 'out'.
 * Malformed entries are skipped (and logged); returns their count. */
int ovsdb_replica_apply_update2(struct ovsdb_replica *r, const json_t *updates,
                                struct ovsdb_changes *out);
/* Replaces every table with the <table-updates2> snapshot 'initial' (the
 * monitor_cond reply), appending the differences to the old contents to
 * 'out'. Returns the count of malformed entries skipped. */
int ovsdb_replica_apply_snapshot(struct ovsdb_replica *r, const json_t *initial,
                                 struct ovsdb_changes *out);

void ovsdb_row_free(struct ovsdb_row *row);

#endif
