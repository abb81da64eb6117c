#include "ovsdb-replica.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define MOD "ovsdb"

bool
ovsdb_type_is_scalar(const struct ovsdb_type *type)
{
    return type->value == OVSDB_T_VOID && type->min == 1 && type->max == 1;
}

bool
ovsdb_type_is_map(const struct ovsdb_type *type)
{
    return type->value != OVSDB_T_VOID;
}

static int
atomic_from_json(const json_t *json, enum ovsdb_atomic_type *out)
{
    static const char *names[] = {
        [OVSDB_T_INTEGER] = "integer", [OVSDB_T_REAL] = "real", [OVSDB_T_BOOLEAN] = "boolean",
        [OVSDB_T_STRING] = "string",   [OVSDB_T_UUID] = "uuid",
    };
    if (json_is_object(json)) {
        json = json_object_get(json, "type");
    }
    const char *s = json_string_value(json);
    for (size_t i = OVSDB_T_INTEGER; s && i < LQ_ARRAY_SIZE(names); i++) {
        if (!strcmp(s, names[i])) {
            *out = (enum ovsdb_atomic_type)i;
            return 0;
        }
    }
    return -EINVAL;
}

int
ovsdb_type_from_json(const json_t *json, struct ovsdb_type *type)
{
    type->value = OVSDB_T_VOID;
    type->min = type->max = 1;
    if (json_is_string(json)) {
        return atomic_from_json(json, &type->key);
    }
    if (!json_is_object(json) || atomic_from_json(json_object_get(json, "key"), &type->key)) {
        return -EINVAL;
    }
    const json_t *value = json_object_get(json, "value");
    if (value && atomic_from_json(value, &type->value)) {
        return -EINVAL;
    }
    const json_t *min = json_object_get(json, "min");
    const json_t *max = json_object_get(json, "max");
    if (min) {
        if (!json_is_integer(min) || json_integer_value(min) < 0 || json_integer_value(min) > 1) {
            return -EINVAL;
        }
        type->min = (unsigned int)json_integer_value(min);
    }
    if (json_is_string(max) && !strcmp(json_string_value(max), "unlimited")) {
        type->max = UINT_MAX;
    } else if (json_is_integer(max) && json_integer_value(max) >= 1) {
        json_int_t m = json_integer_value(max);
        type->max = m >= UINT_MAX ? UINT_MAX : (unsigned int)m;
    } else if (max) {
        return -EINVAL;
    }
    return 0;
}

/* The text of a ["uuid", "..."] atom, or "". */
static const char *
uuid_text(const json_t *atom)
{
    const char *s = json_string_value(json_array_get(atom, 1));
    return s ? s : "";
}

static int
atom_cmp(enum ovsdb_atomic_type t, const json_t *a, const json_t *b)
{
    switch (t) {
    case OVSDB_T_INTEGER: {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    case OVSDB_T_REAL: {
        double x = json_number_value(a), y = json_number_value(b);
        return x < y ? -1 : x > y;
    }
    case OVSDB_T_BOOLEAN:
        return (int)json_is_true(a) - (int)json_is_true(b);
    case OVSDB_T_STRING: {
        const char *x = json_string_value(a), *y = json_string_value(b);
        return strcmp(x ? x : "", y ? y : "");
    }
    case OVSDB_T_UUID:
        return strcmp(uuid_text(a), uuid_text(b));
    case OVSDB_T_VOID:
        break;
    }
    return 0;
}

/* A new reference to 'json' as an atom of type 't', or NULL if it is not one. */
static json_t *
atom_normalize(enum ovsdb_atomic_type t, const json_t *json)
{
    switch (t) {
    case OVSDB_T_INTEGER:
        return json_is_integer(json) ? json_incref((json_t *)json) : NULL;
    case OVSDB_T_REAL:
        /* ovsdb-server prints 1.0 as "1", which parses as an integer. */
        return json_is_number(json) ? json_real(json_number_value(json)) : NULL;
    case OVSDB_T_BOOLEAN:
        return json_is_boolean(json) ? json_incref((json_t *)json) : NULL;
    case OVSDB_T_STRING:
        return json_is_string(json) ? json_incref((json_t *)json) : NULL;
    case OVSDB_T_UUID:
        if (json_array_size(json) == 2 && json_is_string(json_array_get(json, 0)) &&
            !strcmp(json_string_value(json_array_get(json, 0)), "uuid") &&
            lq_uuid_is_valid(uuid_text(json))) {
            return json_incref((json_t *)json);
        }
        return NULL;
    case OVSDB_T_VOID:
        break;
    }
    return NULL;
}

static json_t *
atom_default(enum ovsdb_atomic_type t)
{
    switch (t) {
    case OVSDB_T_INTEGER:
        return json_integer(0);
    case OVSDB_T_REAL:
        return json_real(0.0);
    case OVSDB_T_BOOLEAN:
        return json_false();
    case OVSDB_T_STRING:
        return json_string("");
    case OVSDB_T_UUID:
    case OVSDB_T_VOID:
        break;
    }
    return json_pack("[s, s]", "uuid", "00000000-0000-0000-0000-000000000000");
}

json_t *
ovsdb_datum_default(const struct ovsdb_type *type)
{
    if (ovsdb_type_is_scalar(type)) {
        return atom_default(type->key);
    }
    return json_pack("[s, []]", ovsdb_type_is_map(type) ? "map" : "set");
}

/* The elements of a set or map value: ["set",[...]] / ["map",[...]] gives the
 * inner array; for a set, any other value is a single atom. */
static const json_t *
datum_elements(const json_t *value, const char *tag, json_t **single)
{
    *single = NULL;
    const char *first = json_string_value(json_array_get(value, 0));
    if (json_array_size(value) == 2 && first && !strcmp(first, tag) &&
        json_is_array(json_array_get(value, 1))) {
        return json_array_get(value, 1);
    }
    if (!strcmp(tag, "map")) {
        return NULL;
    }
    *single = json_pack("[O]", value);
    return *single;
}

struct sort_ctx {
    enum ovsdb_atomic_type type;
    bool pairs; /* Elements are [key, value] pairs compared by key. */
};

static int
elem_cmp(const json_t *a, const json_t *b, const struct sort_ctx *ctx)
{
    if (ctx->pairs) {
        a = json_array_get(a, 0);
        b = json_array_get(b, 0);
    }
    return atom_cmp(ctx->type, a, b);
}

struct indexed {
    json_t *json;
    size_t idx;
};

/* Orders by element, then by input position, so that sorting is stable. */
static int
indexed_cmp(const void *a_, const void *b_, void *ctx)
{
    const struct indexed *a = a_, *b = b_;
    int c = elem_cmp(a->json, b->json, ctx);
    return c ? c : (a->idx < b->idx ? -1 : a->idx > b->idx);
}

/* Normalizes the elements of 'array' into a new C array of new references,
 * sorted, without duplicates (by key; the last one wins). Returns NULL (and
 * '*n' 0) if an element does not fit. */
static json_t **
elements_normalize(const struct ovsdb_type *type, const json_t *array, size_t *n)
{
    bool map = ovsdb_type_is_map(type);
    size_t count = json_array_size(array);
    struct indexed *v = xcalloc(count ? count : 1, sizeof *v);
    size_t i;
    for (i = 0; i < count; i++) {
        const json_t *e = json_array_get(array, i);
        json_t *atom;
        if (map) {
            json_t *k =
                json_array_size(e) == 2 ? atom_normalize(type->key, json_array_get(e, 0)) : NULL;
            json_t *val = k ? atom_normalize(type->value, json_array_get(e, 1)) : NULL;
            if (!val) {
                json_decref(k);
                break;
            }
            atom = json_pack("[o, o]", k, val);
        } else if (!(atom = atom_normalize(type->key, e))) {
            break;
        }
        v[i].json = atom;
        v[i].idx = i;
    }
    if (i < count) {
        while (i-- > 0) {
            json_decref(v[i].json);
        }
        free(v);
        *n = 0;
        return NULL;
    }
    struct sort_ctx ctx = {type->key, map};
    qsort_r(v, count, sizeof *v, indexed_cmp, &ctx);
    json_t **out = xcalloc(count ? count : 1, sizeof *out);
    size_t uniq = 0;
    for (i = 0; i < count; i++) {
        if (uniq && !elem_cmp(out[uniq - 1], v[i].json, &ctx)) {
            json_decref(out[uniq - 1]);
            out[uniq - 1] = v[i].json;
        } else {
            out[uniq++] = v[i].json;
        }
    }
    free(v);
    *n = uniq;
    return out;
}

/* A new ["set"|"map", [...]] from 'n' references in 'v' (consumed, freed). */
static json_t *
datum_from_elements(bool map, json_t **v, size_t n)
{
    json_t *array = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(array, v[i]);
    }
    free(v);
    return json_pack("[s, o]", map ? "map" : "set", array);
}

json_t *
ovsdb_datum_normalize(const struct ovsdb_type *type, const json_t *value)
{
    if (!value) {
        return NULL;
    }
    if (ovsdb_type_is_scalar(type)) {
        return atom_normalize(type->key, value);
    }
    bool map = ovsdb_type_is_map(type);
    json_t *single;
    const json_t *elems = datum_elements(value, map ? "map" : "set", &single);
    size_t n;
    json_t **v = elems ? elements_normalize(type, elems, &n) : NULL;
    json_decref(single);
    return v ? datum_from_elements(map, v, n) : NULL;
}

json_t *
ovsdb_datum_apply_diff(const struct ovsdb_type *type, const json_t *old, const json_t *diff)
{
    /* ovsdb-server sends the new value, not a difference, for every column
     * that holds at most one atom: scalars and optional values alike
     * (checked against ovsdb-server 3.1: "up" going from [false] to [true]
     * arrives as true, and to [] as ["set",[]]). */
    if (ovsdb_type_is_scalar(type) || (type->max == 1 && type->value == OVSDB_T_VOID)) {
        return ovsdb_datum_normalize(type, diff);
    }
    bool map = ovsdb_type_is_map(type);
    json_t *single;
    const json_t *diff_elems = datum_elements(diff, map ? "map" : "set", &single);
    size_t nd = 0;
    json_t **d = diff_elems ? elements_normalize(type, diff_elems, &nd) : NULL;
    json_decref(single);
    const json_t *old_elems = json_array_get(old, 1);
    if (!d || !json_is_array(old_elems)) {
        for (size_t i = 0; i < nd; i++) {
            json_decref(d[i]);
        }
        free(d);
        return NULL;
    }
    /* Both sides are sorted: merge them. */
    struct sort_ctx ctx = {type->key, map};
    size_t no = json_array_size(old_elems), i = 0, j = 0, n = 0;
    json_t **out = xcalloc(no + nd + 1, sizeof *out);
    while (i < no || j < nd) {
        json_t *o = i < no ? json_array_get(old_elems, i) : NULL;
        int c = !o ? 1 : j >= nd ? -1 : elem_cmp(o, d[j], &ctx);
        if (c < 0) {
            out[n++] = json_incref(o);
            i++;
        } else if (c > 0) {
            out[n++] = d[j++];
        } else {
            /* In both: a set element (or an unchanged map pair) goes away; a
             * map key with a new value takes it. */
            if (map && !json_equal(json_array_get(o, 1), json_array_get(d[j], 1))) {
                out[n++] = d[j];
            } else {
                json_decref(d[j]);
            }
            i++;
            j++;
        }
    }
    free(d);
    return datum_from_elements(map, out, n);
}

void
ovsdb_row_free(struct ovsdb_row *row)
{
    if (row) {
        json_decref(row->columns);
        free(row);
    }
}

static void
row_free_void(void *row)
{
    ovsdb_row_free(row);
}

void
ovsdb_replica_init(struct ovsdb_replica *r)
{
    r->tables = NULL;
    r->n_tables = 0;
    strmap_init(&r->by_name);
}

static void
free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++) {
        free(v[i]);
    }
    free(v);
}

static void
table_clear_columns(struct ovsdb_replica_table *t)
{
    for (size_t i = 0; i < t->n_columns; i++) {
        free(t->columns[i].name);
    }
    free(t->columns);
    t->columns = NULL;
    t->n_columns = 0;
}

void
ovsdb_replica_destroy(struct ovsdb_replica *r)
{
    for (size_t i = 0; i < r->n_tables; i++) {
        struct ovsdb_replica_table *t = r->tables[i];
        strmap_destroy_with(&t->rows, row_free_void);
        table_clear_columns(t);
        free_strv(t->want);
        free(t->name);
        free(t);
    }
    free(r->tables);
    strmap_destroy(&r->by_name);
    ovsdb_replica_init(r);
}

struct ovsdb_replica_table *
ovsdb_replica_find(const struct ovsdb_replica *r, const char *table)
{
    return strmap_get(&r->by_name, table);
}

struct ovsdb_replica_table *
ovsdb_replica_add(struct ovsdb_replica *r, const char *table, const char *const *columns)
{
    struct ovsdb_replica_table *t = ovsdb_replica_find(r, table);
    if (!t) {
        t = xcalloc(1, sizeof *t);
        t->name = xstrdup(table);
        strmap_init(&t->rows);
        r->tables = xrealloc(r->tables, (r->n_tables + 1) * sizeof *r->tables);
        r->tables[r->n_tables++] = t;
        strmap_put(&r->by_name, table, t);
    }
    free_strv(t->want);
    t->want = NULL;
    if (columns) {
        size_t n = 0;
        while (columns[n]) {
            n++;
        }
        t->want = xcalloc(n + 1, sizeof *t->want);
        for (size_t i = 0; i < n; i++) {
            t->want[i] = xstrdup(columns[i]);
        }
    }
    return t;
}

static void
table_add_column(struct ovsdb_replica_table *t, const char *name, const json_t *column)
{
    struct ovsdb_type type;
    if (ovsdb_type_from_json(json_object_get(column, "type"), &type)) {
        LOG_WARN(MOD, "table %s column %s: type not understood, skipped", t->name, name);
        return;
    }
    t->columns = xrealloc(t->columns, (t->n_columns + 1) * sizeof *t->columns);
    t->columns[t->n_columns].name = xstrdup(name);
    t->columns[t->n_columns].type = type;
    t->n_columns++;
}

void
ovsdb_replica_set_schema(struct ovsdb_replica *r, const json_t *schema)
{
    const json_t *tables = json_object_get(schema, "tables");
    for (size_t i = 0; i < r->n_tables; i++) {
        struct ovsdb_replica_table *t = r->tables[i];
        const json_t *columns = json_object_get(json_object_get(tables, t->name), "columns");
        table_clear_columns(t);
        t->in_schema = json_is_object(columns);
        if (!t->in_schema) {
            LOG_WARN(MOD, "table %s is not in the schema of %s, not replicated", t->name,
                     json_string_value(json_object_get(schema, "name")));
            continue;
        }
        if (!t->want) {
            const char *name;
            const json_t *column;
            json_object_foreach((json_t *)columns, name, column)
            {
                table_add_column(t, name, column);
            }
            continue;
        }
        for (char **w = t->want; *w; w++) {
            const json_t *column = json_object_get(columns, *w);
            if (column) {
                table_add_column(t, *w, column);
            } else {
                LOG_WARN(MOD, "column %s.%s is not in the schema, not replicated", t->name, *w);
            }
        }
    }
}

json_t *
ovsdb_replica_monitor_requests(const struct ovsdb_replica *r)
{
    json_t *requests = json_object();
    for (size_t i = 0; i < r->n_tables; i++) {
        const struct ovsdb_replica_table *t = r->tables[i];
        if (!t->in_schema) {
            continue;
        }
        json_t *columns = json_array();
        for (size_t j = 0; j < t->n_columns; j++) {
            json_array_append_new(columns, json_string(t->columns[j].name));
        }
        json_object_set_new(requests, t->name,
                            json_pack("[{s:o, s:[b]}]", "columns", columns, "where", 1));
    }
    return requests;
}

void
ovsdb_changes_init(struct ovsdb_changes *c)
{
    c->v = NULL;
    c->n = c->cap = 0;
}

void
ovsdb_changes_clear(struct ovsdb_changes *c)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].kind == OVSDB_ROW_DELETE) {
            ovsdb_row_free(c->v[i].row);
        }
        json_decref(c->v[i].old_columns);
    }
    free(c->v);
    ovsdb_changes_init(c);
}

static void
changes_add(struct ovsdb_changes *c, struct ovsdb_replica_table *t, enum ovsdb_change_kind kind,
            struct ovsdb_row *row, json_t *old_columns)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->v = xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = (struct ovsdb_change){t, kind, row, old_columns};
}

static const struct ovsdb_column *
table_column(const struct ovsdb_replica_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_columns; i++) {
        if (!strcmp(t->columns[i].name, name)) {
            return &t->columns[i];
        }
    }
    return NULL;
}

/* Full columns from an "initial"/"insert" <row>, which leaves out the
 * columns at their default value. NULL if a value does not fit its type. */
static json_t *
columns_from_row(const struct ovsdb_replica_table *t, const json_t *row)
{
    if (!json_is_object(row)) {
        return NULL;
    }
    json_t *columns = json_object();
    for (size_t i = 0; i < t->n_columns; i++) {
        const struct ovsdb_column *c = &t->columns[i];
        const json_t *value = json_object_get(row, c->name);
        json_t *datum =
            value ? ovsdb_datum_normalize(&c->type, value) : ovsdb_datum_default(&c->type);
        if (!datum) {
            LOG_WARN(MOD, "%s.%s: value does not fit the column type", t->name, c->name);
            json_decref(columns);
            return NULL;
        }
        json_object_set_new(columns, c->name, datum);
    }
    return columns;
}

/* Columns of 'old' with the update2 diffs of 'diff' applied (a new object
 * sharing unchanged values), or NULL if a diff does not fit. */
static json_t *
columns_apply_diff(const struct ovsdb_replica_table *t, const json_t *old, const json_t *diff)
{
    if (!json_is_object(diff)) {
        return NULL;
    }
    json_t *columns = json_copy((json_t *)old);
    const char *name;
    const json_t *d;
    json_object_foreach((json_t *)diff, name, d)
    {
        const struct ovsdb_column *c = table_column(t, name);
        if (!c) {
            continue;
        }
        json_t *def = NULL;
        const json_t *cur = json_object_get(old, name);
        if (!cur) {
            cur = def = ovsdb_datum_default(&c->type);
        }
        json_t *datum = ovsdb_datum_apply_diff(&c->type, cur, d);
        json_decref(def);
        if (!datum) {
            LOG_WARN(MOD, "%s.%s: diff does not fit the column type", t->name, name);
            json_decref(columns);
            return NULL;
        }
        json_object_set_new(columns, name, datum);
    }
    return columns;
}

static struct ovsdb_row *
row_new(const char *uuid, json_t *columns)
{
    struct ovsdb_row *row = xmalloc(sizeof *row);
    snprintf(row->uuid, sizeof row->uuid, "%s", uuid);
    row->columns = columns;
    return row;
}

/* Puts 'columns' (consumed) as the content of row 'uuid', inserting it or
 * replacing an existing row's columns. */
static void
table_put(struct ovsdb_replica_table *t, const char *uuid, json_t *columns,
          struct ovsdb_changes *out)
{
    struct ovsdb_row *row = strmap_get(&t->rows, uuid);
    if (!row) {
        row = row_new(uuid, columns);
        strmap_put(&t->rows, uuid, row);
        changes_add(out, t, OVSDB_ROW_INSERT, row, NULL);
    } else if (json_equal(row->columns, columns)) {
        json_decref(columns);
    } else {
        changes_add(out, t, OVSDB_ROW_MODIFY, row, row->columns);
        row->columns = columns;
    }
}

static int
apply_row_update2(struct ovsdb_replica_table *t, const char *uuid, const json_t *update,
                  struct ovsdb_changes *out)
{
    const char *op;
    const json_t *row;
    if (!lq_uuid_is_valid(uuid) || json_object_size(update) != 1) {
        return -EPROTO;
    }
    json_object_foreach((json_t *)update, op, row)
    {
        if (!strcmp(op, "initial") || !strcmp(op, "insert")) {
            json_t *columns = columns_from_row(t, row);
            if (!columns) {
                return -EPROTO;
            }
            table_put(t, uuid, columns, out);
        } else if (!strcmp(op, "delete")) {
            struct ovsdb_row *gone = strmap_remove(&t->rows, uuid);
            if (!gone) {
                return -EPROTO;
            }
            changes_add(out, t, OVSDB_ROW_DELETE, gone, NULL);
        } else if (!strcmp(op, "modify")) {
            struct ovsdb_row *cur = strmap_get(&t->rows, uuid);
            json_t *columns = cur ? columns_apply_diff(t, cur->columns, row) : NULL;
            if (!columns) {
                return -EPROTO;
            }
            changes_add(out, t, OVSDB_ROW_MODIFY, cur, cur->columns);
            cur->columns = columns;
        } else {
            return -EPROTO;
        }
    }
    return 0;
}

int
ovsdb_replica_apply_update2(struct ovsdb_replica *r, const json_t *updates,
                            struct ovsdb_changes *out)
{
    int bad = 0;
    const char *table, *uuid;
    const json_t *rows, *update;
    json_object_foreach((json_t *)updates, table, rows)
    {
        struct ovsdb_replica_table *t = ovsdb_replica_find(r, table);
        if (!t || !json_is_object(rows)) {
            LOG_WARN(MOD, "update for table %s, which is not replicated", table);
            bad++;
            continue;
        }
        json_object_foreach((json_t *)rows, uuid, update)
        {
            if (apply_row_update2(t, uuid, update, out)) {
                LOG_WARN(MOD, "%s row %s: update not understood, skipped", table, uuid);
                bad++;
            }
        }
    }
    return bad;
}

int
ovsdb_replica_apply_snapshot(struct ovsdb_replica *r, const json_t *initial,
                             struct ovsdb_changes *out)
{
    int bad = 0;
    for (size_t i = 0; i < r->n_tables; i++) {
        struct ovsdb_replica_table *t = r->tables[i];
        const json_t *rows = t->in_schema ? json_object_get(initial, t->name) : NULL;
        struct strmap seen = STRMAP_INITIALIZER;
        const char *uuid;
        const json_t *update;
        json_object_foreach((json_t *)rows, uuid, update)
        {
            const json_t *row = json_object_get(update, "initial");
            json_t *columns = lq_uuid_is_valid(uuid) ? columns_from_row(t, row) : NULL;
            if (!columns) {
                LOG_WARN(MOD, "%s row %s: snapshot row not understood, skipped", t->name, uuid);
                bad++;
                continue;
            }
            table_put(t, uuid, columns, out);
            strmap_put(&seen, uuid, NULL);
        }
        /* What the snapshot does not have was deleted while we were away. */
        size_t n_gone = 0;
        struct ovsdb_row **gone = xcalloc(strmap_count(&t->rows) + 1, sizeof *gone);
        for (struct strmap_node *n = strmap_first(&t->rows); n; n = strmap_next(&t->rows, n)) {
            if (!strmap_contains(&seen, n->key)) {
                gone[n_gone++] = n->value;
            }
        }
        for (size_t j = 0; j < n_gone; j++) {
            strmap_remove(&t->rows, gone[j]->uuid);
            changes_add(out, t, OVSDB_ROW_DELETE, gone[j], NULL);
        }
        free(gone);
        strmap_destroy(&seen);
    }
    return bad;
}
