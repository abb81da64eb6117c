/* Value helpers of ovsdb.h: reading replica rows, building operation values. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ovsdb-replica.h"
#include "ovsdb.h"
#include "util.h"

const json_t *
ovsdb_row_get(const struct ovsdb_row *row, const char *column)
{
    return row ? json_object_get(row->columns, column) : NULL;
}

static bool
is_tagged(const json_t *value, const char *tag)
{
    const char *first = json_string_value(json_array_get(value, 0));
    return json_array_size(value) == 2 && first && !strcmp(first, tag);
}

/* The one atom of a scalar or a one-element set; NULL otherwise. */
static const json_t *
single_atom(const json_t *value)
{
    if (is_tagged(value, "set")) {
        const json_t *elems = json_array_get(value, 1);
        return json_array_size(elems) == 1 ? json_array_get(elems, 0) : NULL;
    }
    return is_tagged(value, "map") ? NULL : value;
}

/* A string atom's text, or a uuid atom's; NULL for anything else. */
static const char *
atom_text(const json_t *atom)
{
    if (json_is_string(atom)) {
        return json_string_value(atom);
    }
    return is_tagged(atom, "uuid") ? json_string_value(json_array_get(atom, 1)) : NULL;
}

const char *
ovsdb_row_string(const struct ovsdb_row *row, const char *column)
{
    const char *s = atom_text(single_atom(ovsdb_row_get(row, column)));
    return s ? s : "";
}

long long
ovsdb_row_int(const struct ovsdb_row *row, const char *column)
{
    const json_t *atom = single_atom(ovsdb_row_get(row, column));
    return json_is_number(atom) ? (long long)json_number_value(atom) : 0;
}

bool
ovsdb_row_bool(const struct ovsdb_row *row, const char *column)
{
    return json_is_true(single_atom(ovsdb_row_get(row, column)));
}

const char *
ovsdb_row_map_get(const struct ovsdb_row *row, const char *column, const char *key)
{
    const json_t *value = ovsdb_row_get(row, column);
    if (!is_tagged(value, "map")) {
        return NULL;
    }
    size_t i;
    const json_t *pair;
    json_array_foreach(json_array_get(value, 1), i, pair)
    {
        const char *k = atom_text(json_array_get(pair, 0));
        if (k && !strcmp(k, key)) {
            return atom_text(json_array_get(pair, 1));
        }
    }
    return NULL;
}

const json_t *
ovsdb_row_elements(const struct ovsdb_row *row, const char *column)
{
    const json_t *value = ovsdb_row_get(row, column);
    return is_tagged(value, "set") || is_tagged(value, "map") ? json_array_get(value, 1) : NULL;
}

static json_t *
string_or_abort(const char *s)
{
    json_t *j = json_string(s);
    if (!j) {
        LOG_ERR("ovsdb", "string is not valid UTF-8");
        abort();
    }
    return j;
}

static json_t *
canonical(enum ovsdb_atomic_type key, enum ovsdb_atomic_type value, json_t *raw)
{
    struct ovsdb_type type = {key, value, 0, UINT_MAX};
    json_t *datum = ovsdb_datum_normalize(&type, raw);
    json_decref(raw);
    return datum;
}

json_t *
ovsdb_string_map(const char *const *keys, const char *const *values, size_t n)
{
    json_t *pairs = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(
            pairs, json_pack("[o, o]", string_or_abort(keys[i]), string_or_abort(values[i])));
    }
    return canonical(OVSDB_T_STRING, OVSDB_T_STRING, json_pack("[s, o]", "map", pairs));
}

json_t *
ovsdb_map_from_strmap(const struct strmap *map)
{
    json_t *pairs = json_array();
    for (struct strmap_node *n = strmap_first(map); n; n = strmap_next(map, n)) {
        json_array_append_new(
            pairs, json_pack("[o, o]", string_or_abort(n->key), string_or_abort(n->value)));
    }
    return canonical(OVSDB_T_STRING, OVSDB_T_STRING, json_pack("[s, o]", "map", pairs));
}

json_t *
ovsdb_string_set(const char *const *v, size_t n)
{
    json_t *elems = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(elems, string_or_abort(v[i]));
    }
    return canonical(OVSDB_T_STRING, OVSDB_T_VOID, json_pack("[s, o]", "set", elems));
}

json_t *
ovsdb_uuid_set(const char *const *uuids, size_t n)
{
    json_t *elems = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(elems, ovsdb_uuid(uuids[i]));
    }
    return canonical(OVSDB_T_UUID, OVSDB_T_VOID, json_pack("[s, o]", "set", elems));
}

json_t *
ovsdb_uuid(const char *uuid)
{
    return json_pack("[s, o]", "uuid", string_or_abort(uuid));
}

json_t *
ovsdb_named_uuid(const char *name)
{
    return json_pack("[s, o]", "named-uuid", string_or_abort(name));
}
