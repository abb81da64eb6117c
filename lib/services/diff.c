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

char *
diff_row_key(const char *table, const struct ovsdb_row *row)
{
    const char *kind = ovsdb_row_map_get(row, "external_ids", "lqnet:kind");
    const char *owner = ovsdb_row_map_get(row, "external_ids", "lqnet:owner");
    const char *sub = ovsdb_row_map_get(row, "external_ids", "lqnet:sub");
    if (!kind || !owner) {
        return NULL;
    }
    return sub ? xasprintf("%s|%s:%s/%s", table, kind, owner, sub)
               : xasprintf("%s|%s:%s", table, kind, owner);
}

void
diff_index_add(struct strmap *index, const char *table, const struct ovsdb_row *row)
{
    char *key = diff_row_key(table, row);
    if (!key) {
        return;
    }
    struct strmap *rows = strmap_get(index, key);
    if (!rows) {
        rows = xmalloc(sizeof *rows);
        strmap_init(rows);
        strmap_put(index, key, rows);
    }
    strmap_put(rows, row->uuid, (void *) row);
    free(key);
}

void
diff_index_remove(struct strmap *index, const char *table, const struct ovsdb_row *row)
{
    char *key = diff_row_key(table, row);
    struct strmap *rows = key ? strmap_get(index, key) : NULL;
    if (rows) {
        strmap_remove(rows, row->uuid);
        if (!strmap_count(rows)) {
            strmap_remove(index, key);
            strmap_destroy(rows);
            free(rows);
        }
    }
    free(key);
}

static void
rows_free(void *rows)
{
    strmap_destroy(rows);
    free(rows);
}

void
diff_index_destroy(struct strmap *index)
{
    strmap_destroy_with(index, rows_free);
}

struct plan {
    const struct nb_desired *desired;
    const struct strmap *index;
    struct strmap names;   /* "TABLE|KEY" -> uuid-name of a row inserted now */
    struct strmap pending; /* "TABLE|KEY" still to process (a worklist) */
    struct strmap done;
    json_t *ops;
    struct strmap *differs;
    size_t n_names;
};

/* The replica row that stands for 'key' (the smallest uuid, so that the
 * choice is stable), or NULL; the others are duplicates. */
static const struct ovsdb_row *
chosen(const struct plan *p, const char *key)
{
    const struct strmap *rows = strmap_get(p->index, key);
    const struct ovsdb_row *best = NULL;
    for (struct strmap_node *n = rows ? strmap_first(rows) : NULL; n; n = strmap_next(rows, n)) {
        if (!best || strcmp(n->key, best->uuid) < 0) {
            best = n->value;
        }
    }
    return best;
}

static bool
is_lqref(const json_t *v)
{
    return json_is_array(v) && json_array_size(v) == 3
           && !strcmp(json_string_value(json_array_get(v, 0)) ?: "", "lqref");
}

/* Replaces lqrefs in 'v' by uuids (existing rows) or named-uuids (rows
 * inserted now, queued for insertion if need be); returns a new value. */
static json_t *
resolve(struct plan *p, const json_t *v)
{
    if (is_lqref(v)) {
        char *k = xasprintf("%s|%s", json_string_value(json_array_get(v, 1)),
                            json_string_value(json_array_get(v, 2)));
        const struct ovsdb_row *row = chosen(p, k);
        json_t *out = NULL;
        if (row) {
            out = ovsdb_uuid(row->uuid);
        } else if (strmap_contains(&p->desired->rows, k)) {
            const char *name = strmap_get(&p->names, k);
            if (!name) {
                name = xasprintf("row%zu", p->n_names++);
                strmap_put(&p->names, k, (void *) name);
                if (!strmap_contains(&p->done, k)) {
                    strmap_put(&p->pending, k, NULL);
                }
            }
            out = ovsdb_named_uuid(name);
        }
        free(k);
        return out;
    }
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *e;
        json_object_foreach((json_t *) v, key, e)
        {
            json_t *r = resolve(p, e);
            json_object_set_new(out, key, r ? r : json_null());
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
differs(struct plan *p, const char *key)
{
    if (p->differs) {
        strmap_put(p->differs, key, NULL);
    }
}

/* Emits the operations for one key. */
static void
plan_key(struct plan *p, const char *key)
{
    const char *table_end = strchr(key, '|');
    char *table = xstrndup(key, table_end ? (size_t) (table_end - key) : strlen(key));
    const struct nb_row *want = strmap_get(&p->desired->rows, key);
    const struct ovsdb_row *have = want ? chosen(p, key) : NULL;
    const struct strmap *rows = strmap_get(p->index, key);
    for (struct strmap_node *n = rows ? strmap_first(rows) : NULL; n; n = strmap_next(rows, n)) {
        if (n->value != have) {
            json_array_append_new(p->ops, json_pack("{s:s, s:s, s:o}", "op", "delete", "table",
                                                    table, "where", where_uuid(n->key)));
            differs(p, key);
        }
    }
    if (want && !have) {
        const char *name = strmap_get(&p->names, key);
        if (!name) {
            name = xasprintf("row%zu", p->n_names++);
            strmap_put(&p->names, key, (void *) name);
        }
        json_t *cols = resolve(p, want->columns);
        json_array_append_new(p->ops, json_pack("{s:s, s:s, s:o, s:s}", "op", "insert", "table",
                                                table, "row", cols, "uuid-name", name));
        differs(p, key);
    } else if (want) {
        json_t *cols = resolve(p, want->columns);
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
        json_decref(cols);
        if (json_object_size(changed)) {
            json_array_append_new(p->ops, json_pack("{s:s, s:s, s:o, s:o}", "op", "update",
                                                    "table", table, "where",
                                                    where_uuid(have->uuid), "row", changed));
            differs(p, key);
        } else {
            json_decref(changed);
        }
    }
    free(table);
}

json_t *
diff_compute(const struct nb_desired *desired, const struct strmap *index,
             const struct strmap *check, struct strmap *differs_out)
{
    struct plan p = { desired, index, STRMAP_INITIALIZER, STRMAP_INITIALIZER,
                      STRMAP_INITIALIZER, json_array(), differs_out, 0 };
    for (struct strmap_node *n = strmap_first(check); n; n = strmap_next(check, n)) {
        strmap_put(&p.pending, n->key, NULL);
    }
    /* Resolving a reference may queue a row that is missing: repeat until
     * nothing is left. */
    while (strmap_count(&p.pending)) {
        struct strmap_node *n = strmap_first(&p.pending);
        char *key = xstrdup(n->key);
        strmap_remove(&p.pending, key);
        strmap_put(&p.done, key, NULL);
        plan_key(&p, key);
        free(key);
    }
    strmap_destroy(&p.done);
    strmap_destroy(&p.pending);
    strmap_destroy_with(&p.names, free);
    return p.ops;
}
