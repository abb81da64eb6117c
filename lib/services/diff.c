#include "diff.h"

#include <stdlib.h>
#include <string.h>

#include "ovsdb.h"
#include "util.h"

static int
cmp_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* A canonical text for a value: sorted elements of a set or map. */
static char *
canonical(const json_t *v)
{
    const char *tag = json_is_array(v) ? json_string_value(json_array_get(v, 0)) : NULL;
    bool is_map = tag && !strcmp(tag, "map");
    const json_t *items = tag && (is_map || !strcmp(tag, "set")) ? json_array_get(v, 1) : NULL;
    size_t n = items ? json_array_size(items) : 1;
    char **parts = xmalloc((n + 1) * sizeof *parts);
    size_t len = 3;
    for (size_t i = 0; i < n; i++) {
        parts[i] = json_dumps(items ? json_array_get(items, i) : v, JSON_COMPACT | JSON_ENCODE_ANY);
        len += strlen(parts[i]) + 1;
    }
    qsort(parts, n, sizeof *parts, cmp_strings);
    char *s = xmalloc(len);
    strcpy(s, is_map ? "M:" : "S:");
    for (size_t i = 0; i < n; i++) {
        strcat(s, parts[i]);
        strcat(s, ",");
        free(parts[i]);
    }
    free(parts);
    return s;
}

bool
diff_values_equal(const json_t *a, const json_t *b)
{
    char *ca = canonical(a), *cb = canonical(b);
    bool eq = !strcmp(ca, cb);
    free(ca);
    free(cb);
    return eq;
}

struct plan {
    const struct nb_desired *desired;
    struct strmap existing; /* "TABLE|KEY" -> const struct ovsdb_row */
    struct strmap names;    /* "TABLE|KEY" -> uuid-name for rows to insert */
};

static bool
is_lqref(const json_t *v)
{
    return json_is_array(v) && json_array_size(v) == 3
           && !strcmp(json_string_value(json_array_get(v, 0)) ?: "", "lqref");
}

/* Replaces lqrefs in 'v' by uuids (existing rows) or named-uuids (rows
 * inserted now); returns a new value. */
static json_t *
resolve(const struct plan *p, const json_t *v)
{
    if (is_lqref(v)) {
        char *k = xasprintf("%s|%s", json_string_value(json_array_get(v, 1)),
                            json_string_value(json_array_get(v, 2)));
        const struct ovsdb_row *row = strmap_get(&p->existing, k);
        const char *name = strmap_get(&p->names, k);
        free(k);
        return row ? ovsdb_uuid(row->uuid) : name ? ovsdb_named_uuid(name) : NULL;
    }
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *e;
        json_object_foreach((json_t *) v, key, e)
        {
            json_object_set_new(out, key, resolve(p, e));
        }
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            json_t *r = resolve(p, e);
            if (r) {
                json_array_append_new(out, r);
            }
        }
        return out;
    }
    return json_deep_copy(v);
}

static json_t *
where_uuid(const char *uuid)
{
    return json_pack("[[s, s, o]]", "_uuid", "==", ovsdb_uuid(uuid));
}

static void
mark(struct strmap *dirty, const char *owner)
{
    if (dirty && owner) {
        strmap_put(dirty, owner, NULL);
    }
}

/* Indexes the lqnet-tagged replica rows; deletes duplicates and rows that
 * are not desired. */
static void
index_replica(struct plan *p, diff_table_fn *tables, void *aux, json_t *ops, struct strmap *dirty)
{
    for (const char *const *t = translate_tables; *t; t++) {
        const struct strmap *rows = tables(aux, *t);
        for (struct strmap_node *n = rows ? strmap_first(rows) : NULL; n;
             n = strmap_next(rows, n)) {
            const struct ovsdb_row *row = n->value;
            const char *kind = ovsdb_row_map_get(row, "external_ids", "lqnet:kind");
            const char *owner = ovsdb_row_map_get(row, "external_ids", "lqnet:owner");
            if (!kind || !owner) {
                continue;
            }
            char *key = xasprintf("%s:%s", kind, owner);
            char *k = xasprintf("%s|%s", *t, key);
            if (!translate_find(p->desired, *t, key) || strmap_contains(&p->existing, k)) {
                json_array_append_new(ops, json_pack("{s:s, s:s, s:o}", "op", "delete", "table",
                                                     *t, "where", where_uuid(row->uuid)));
                mark(dirty, owner);
            } else {
                strmap_put(&p->existing, k, (void *) row);
            }
            free(k);
            free(key);
        }
    }
}

json_t *
diff_compute(const struct nb_desired *desired, diff_table_fn *tables, void *aux,
             struct strmap *dirty)
{
    struct plan p = { desired, STRMAP_INITIALIZER, STRMAP_INITIALIZER };
    json_t *ops = json_array();
    index_replica(&p, tables, aux, ops, dirty);

    size_t n_new = 0;
    for (struct strmap_node *n = strmap_first(&desired->rows); n;
         n = strmap_next(&desired->rows, n)) {
        if (!strmap_contains(&p.existing, n->key)) {
            strmap_put(&p.names, n->key, xasprintf("row%zu", n_new++));
        }
    }
    for (struct strmap_node *n = strmap_first(&desired->rows); n;
         n = strmap_next(&desired->rows, n)) {
        const struct nb_row *want = n->value;
        const struct ovsdb_row *have = strmap_get(&p.existing, n->key);
        json_t *cols = resolve(&p, want->columns);
        if (!have) {
            json_array_append_new(ops, json_pack("{s:s, s:s, s:o, s:s}", "op", "insert", "table",
                                                 want->table, "row", cols, "uuid-name",
                                                 (char *) strmap_get(&p.names, n->key)));
            mark(dirty, want->owner);
            continue;
        }
        json_t *changed = json_object();
        const char *col;
        json_t *value;
        json_object_foreach(cols, col, value)
        {
            const json_t *cur = json_object_get(have->columns, col);
            if (!cur || !diff_values_equal(cur, value)) {
                json_object_set(changed, col, value);
            }
        }
        if (json_object_size(changed)) {
            json_array_append_new(ops, json_pack("{s:s, s:s, s:o, s:o}", "op", "update", "table",
                                                 want->table, "where", where_uuid(have->uuid),
                                                 "row", changed));
            mark(dirty, want->owner);
        } else {
            json_decref(changed);
        }
        json_decref(cols);
    }
    strmap_destroy(&p.existing);
    strmap_destroy_with(&p.names, free);
    return ops;
}
