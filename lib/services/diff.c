#include "diff.h"

#include <stdlib.h>
#include <string.h>

#include "ovsdb.h"
#include "util.h"

/* One element of a value, for sorting and comparing: a kind ('s'tring,
 * 'u'uid, 'n'amed-uuid, 'i'nteger, 't'rue, 'f'alse, 'j'son, 'm'ap pair),
 * its text (borrowed from the JSON where possible), and the element
 * itself (an atom, or a [key, value] pair of a map). */
struct elem {
    char kind;
    const char *text;
    char *owned; /* 'text' when it had to be made */
    const json_t *json;
};

static void
atom_elem(const json_t *a, struct elem *e)
{
    e->owned = NULL;
    if (json_is_string(a)) {
        e->kind = 's';
        e->text = json_string_value(a);
    } else if (json_is_array(a) && json_array_size(a) == 2 &&
               json_is_string(json_array_get(a, 1))) {
        e->kind = json_string_value(json_array_get(a, 0))[0];
        e->text = json_string_value(json_array_get(a, 1));
    } else if (json_is_boolean(a)) {
        e->kind = json_is_true(a) ? 't' : 'f';
        e->text = "";
    } else if (json_is_integer(a)) {
        e->kind = 'i';
        e->text = e->owned = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(a));
    } else {
        e->kind = 'j';
        e->text = e->owned = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
    }
}

static int
cmp_elems(const void *a_, const void *b_)
{
    const struct elem *a = a_, *b = b_;
    return a->kind != b->kind ? a->kind - b->kind : strcmp(a->text, b->text);
}

/* The sorted elements of 'v' (a set, a map, or a single atom, which is a
 * one-element set); '*is_map' tells which. Free with free_elems(). */
static struct elem *
elements(const json_t *v, size_t *n, bool *is_map)
{
    const char *tag = json_is_array(v) ? json_string_value(json_array_get(v, 0)) : NULL;
    *is_map = tag && !strcmp(tag, "map");
    const json_t *items = tag && (*is_map || !strcmp(tag, "set")) ? json_array_get(v, 1) : NULL;
    *n = items ? json_array_size(items) : 1;
    struct elem *e = xmalloc((*n + 1) * sizeof *e);
    for (size_t i = 0; i < *n; i++) {
        const json_t *item = items ? json_array_get(items, i) : v;
        if (*is_map) {
            /* Map pairs compare as the JSON of the pair: maps are small. */
            e[i].kind = 'm';
            e[i].text = e[i].owned = json_dumps(item, JSON_COMPACT);
        } else {
            atom_elem(item, &e[i]);
        }
        e[i].json = item;
    }
    qsort(e, *n, sizeof *e, cmp_elems);
    return e;
}

static void
free_elems(struct elem *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].owned);
    }
    free(e);
}

static bool
elems_equal(const struct elem *a, size_t na, const struct elem *b, size_t nb)
{
    bool eq = na == nb;
    for (size_t i = 0; eq && i < na; i++) {
        eq = !cmp_elems(&a[i], &b[i]);
    }
    return eq;
}

bool
diff_values_equal(const json_t *a, const json_t *b)
{
    size_t na, nb;
    bool ma, mb;
    struct elem *ea = elements(a, &na, &ma), *eb = elements(b, &nb, &mb);
    bool eq = ma == mb && elems_equal(ea, na, eb, nb);
    free_elems(ea, na);
    free_elems(eb, nb);
    return eq;
}

/* Large sets change by a few elements at a time (a port joins a group of a
 * thousand): send those as a mutation rather than the whole set again. */
#define DIFF_MUTATE_MIN 16

enum column_diff { COLUMN_SAME, COLUMN_MUTATED, COLUMN_REPLACE };

/* Compares column 'col' ('have' -> 'want'). When both are sets and 'want'
 * has at least DIFF_MUTATE_MIN elements, appends the inserts and deletes
 * that turn one into the other to 'mutations'. */
static enum column_diff
column_diff(const char *col, const json_t *have, const json_t *want, json_t *mutations)
{
    size_t nh, nw;
    bool mh, mw;
    struct elem *eh = elements(have, &nh, &mh), *ew = elements(want, &nw, &mw);
    enum column_diff result = COLUMN_REPLACE;
    if (mh == mw && elems_equal(eh, nh, ew, nw)) {
        result = COLUMN_SAME;
    } else if (!mh && !mw && nw >= DIFF_MUTATE_MIN && json_is_array(have) && json_is_array(want)) {
        json_t *ins = json_array(), *del = json_array();
        size_t i = 0, j = 0;
        while (i < nh || j < nw) {
            int c = i == nh ? 1 : j == nw ? -1 : cmp_elems(&eh[i], &ew[j]);
            if (c < 0) {
                json_array_append(del, (json_t *)eh[i++].json);
            } else if (c > 0) {
                json_array_append(ins, (json_t *)ew[j++].json);
            } else {
                i++;
                j++;
            }
        }
        json_t *both[] = {del, ins};
        const char *verbs[] = {"delete", "insert"};
        for (size_t k = 0; k < 2; k++) {
            if (json_array_size(both[k])) {
                json_array_append_new(mutations,
                                      json_pack("[s, s, [s, O]]", col, verbs[k], "set", both[k]));
            }
            json_decref(both[k]);
        }
        result = COLUMN_MUTATED;
    }
    free_elems(eh, nh);
    free_elems(ew, nw);
    return result;
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
    strmap_put(rows, row->uuid, (void *)row);
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
    struct strmap names;  /* "TABLE|KEY" -> uuid-name of a row inserted now */
    struct strmap queued; /* keys ever put on 'queue' */
    char **queue;         /* keys to plan, in order (a worklist) */
    size_t n_queue, allocated;
    json_t *ops;
    struct strmap *differs;
    size_t n_names;
};

static void
queue_key(struct plan *p, const char *key)
{
    if (strmap_contains(&p->queued, key)) {
        return;
    }
    strmap_put(&p->queued, key, NULL);
    if (p->n_queue == p->allocated) {
        p->allocated = p->allocated ? 2 * p->allocated : 64;
        p->queue = xrealloc(p->queue, p->allocated * sizeof *p->queue);
    }
    p->queue[p->n_queue++] = xstrdup(key);
}

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
    return json_is_array(v) && json_array_size(v) == 3 &&
           !strcmp(json_string_value(json_array_get(v, 0)) ?: "", "lqref");
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
                strmap_put(&p->names, k, (void *)name);
                queue_key(p, k);
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
        json_object_foreach((json_t *)v, key, e)
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
    char *table = xstrndup(key, table_end ? (size_t)(table_end - key) : strlen(key));
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
            strmap_put(&p->names, key, (void *)name);
        }
        json_t *cols = resolve(p, want->columns);
        json_array_append_new(p->ops, json_pack("{s:s, s:s, s:o, s:s}", "op", "insert", "table",
                                                table, "row", cols, "uuid-name", name));
        differs(p, key);
    } else if (want) {
        json_t *cols = resolve(p, want->columns);
        json_t *changed = json_object();
        json_t *mutations = json_array();
        const char *col;
        json_t *value;
        json_object_foreach(cols, col, value)
        {
            const json_t *cur = json_object_get(have->columns, col);
            if (!cur || column_diff(col, cur, value, mutations) == COLUMN_REPLACE) {
                json_object_set(changed, col, value);
            }
        }
        json_decref(cols);
        if (json_object_size(changed)) {
            json_array_append_new(p->ops,
                                  json_pack("{s:s, s:s, s:o, s:O}", "op", "update", "table", table,
                                            "where", where_uuid(have->uuid), "row", changed));
        }
        if (json_array_size(mutations)) {
            json_array_append_new(p->ops, json_pack("{s:s, s:s, s:o, s:O}", "op", "mutate", "table",
                                                    table, "where", where_uuid(have->uuid),
                                                    "mutations", mutations));
        }
        if (json_object_size(changed) || json_array_size(mutations)) {
            differs(p, key);
        }
        json_decref(changed);
        json_decref(mutations);
    }
    free(table);
}

json_t *
diff_compute(const struct nb_desired *desired, const struct strmap *index,
             const struct strmap *check, struct strmap *differs_out)
{
    struct plan p = {
        .desired = desired, .index = index, .ops = json_array(), .differs = differs_out};
    strmap_init(&p.names);
    strmap_init(&p.queued);
    for (struct strmap_node *n = strmap_first(check); n; n = strmap_next(check, n)) {
        queue_key(&p, n->key);
    }
    /* Resolving a reference may queue a row that is missing: go on until
     * nothing is left. */
    for (size_t i = 0; i < p.n_queue; i++) {
        plan_key(&p, p.queue[i]);
    }
    for (size_t i = 0; i < p.n_queue; i++) {
        free(p.queue[i]);
    }
    free(p.queue);
    strmap_destroy(&p.queued);
    strmap_destroy_with(&p.names, free);
    return p.ops;
}
