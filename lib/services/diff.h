/* diff: the transaction that turns the Northbound replica into the desired
 * rows. Pure: the replica comes in through a callback. Only rows tagged
 * with lqnet:kind and lqnet:owner are ever updated or deleted. */
#ifndef LQ_DIFF_H
#define LQ_DIFF_H 1

#include <jansson.h>

#include "strmap.h"
#include "translate.h"

/* Returns the replica rows (row uuid -> struct ovsdb_row) of 'table'. */
typedef const struct strmap *diff_table_fn(void *aux, const char *table);

/* Returns a new JSON array of RFC 7047 operations (empty when the replica
 * already matches). Adds the owner of every row that differs to 'dirty'
 * (keys only; may be NULL). */
json_t *diff_compute(const struct nb_desired *desired, diff_table_fn *tables, void *aux,
                     struct strmap *dirty);

/* Whether two values in RFC 7047 notation are equal (sets and maps in any
 * order, a one-element set equal to its atom). */
bool diff_values_equal(const json_t *a, const json_t *b);

#endif
