/* diff: the transaction that turns the Northbound replica into the desired
 * rows. Pure. Only rows tagged with lqnet:kind and lqnet:owner are ever
 * updated or deleted; they are found through an index of the replica that
 * the caller keeps up to date with diff_index_add() / diff_index_remove(),
 * so a pass costs what changed, not the size of the database. */
#ifndef LQ_DIFF_H
#define LQ_DIFF_H 1

#include <jansson.h>

#include "strmap.h"
#include "translate.h"

struct ovsdb_row;

/* "TABLE|kind:owner" for a tagged row (malloc'd), or NULL. */
char *diff_row_key(const char *table, const struct ovsdb_row *row);
/* The index maps "TABLE|KEY" to a struct strmap of row uuid -> row. Rows
 * must stay at the same address while indexed (the OVSDB client's do). */
void diff_index_add(struct strmap *index, const char *table, const struct ovsdb_row *row);
void diff_index_remove(struct strmap *index, const char *table, const struct ovsdb_row *row);
void diff_index_destroy(struct strmap *index);

/* Returns a new JSON array of RFC 7047 operations that make the replica
 * rows of every key in 'check' ("TABLE|KEY" keys) equal to 'desired'
 * (empty when they already are). Rows that other rows refer to are
 * inserted in the same transaction when missing. Adds every key whose rows
 * differ to 'differs' (may be NULL). */
json_t *diff_compute(const struct nb_desired *desired, const struct strmap *index,
                     const struct strmap *check, struct strmap *differs);

/* Whether two values in RFC 7047 notation are equal (sets and maps in any
 * order, a one-element set equal to its atom). */
bool diff_values_equal(const json_t *a, const json_t *b);

#endif
