#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

unsigned int
lq_hash_string(const char *s)
{
    unsigned int h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

void
strmap_init(struct strmap *map)
{
    map->buckets = NULL;
    map->n_buckets = 0;
    map->count = 0;
}

void
strmap_destroy_with(struct strmap *map, void (*free_value)(void *))
{
    if (!map) {
        return;
    }
    for (size_t i = 0; i < map->n_buckets; i++) {
        struct strmap_node *n = map->buckets[i];
        while (n) {
            struct strmap_node *next = n->next;
            if (free_value) {
                free_value(n->value);
            }
            free(n->key);
            free(n);
            n = next;
        }
    }
    free(map->buckets);
    strmap_init(map);
}

void
strmap_destroy(struct strmap *map)
{
    strmap_destroy_with(map, NULL);
}

static struct strmap_node **
find_slot(const struct strmap *map, const char *key, unsigned int hash)
{
    if (!map->n_buckets) {
        return NULL;
    }
    struct strmap_node **slot = &map->buckets[hash & (map->n_buckets - 1)];
    while (*slot && ((*slot)->hash != hash || strcmp((*slot)->key, key))) {
        slot = &(*slot)->next;
    }
    return slot;
}

static void
grow(struct strmap *map)
{
    size_t n = map->n_buckets ? map->n_buckets * 2 : 16;
    struct strmap_node **buckets = xcalloc(n, sizeof *buckets);
    for (size_t i = 0; i < map->n_buckets; i++) {
        struct strmap_node *node = map->buckets[i];
        while (node) {
            struct strmap_node *next = node->next;
            node->next = buckets[node->hash & (n - 1)];
            buckets[node->hash & (n - 1)] = node;
            node = next;
        }
    }
    free(map->buckets);
    map->buckets = buckets;
    map->n_buckets = n;
}

void *
strmap_put(struct strmap *map, const char *key, void *value)
{
    unsigned int hash = lq_hash_string(key);
    struct strmap_node **slot = find_slot(map, key, hash);
    if (slot && *slot) {
        void *old = (*slot)->value;
        (*slot)->value = value;
        return old;
    }
    if (map->count + 1 > map->n_buckets) {
        grow(map);
    }
    struct strmap_node *node = xmalloc(sizeof *node);
    node->key = xstrdup(key);
    node->value = value;
    node->hash = hash;
    size_t b = hash & (map->n_buckets - 1);
    node->next = map->buckets[b];
    map->buckets[b] = node;
    map->count++;
    return NULL;
}

void *
strmap_get(const struct strmap *map, const char *key)
{
    struct strmap_node **slot = find_slot(map, key, lq_hash_string(key));
    return slot && *slot ? (*slot)->value : NULL;
}

bool
strmap_contains(const struct strmap *map, const char *key)
{
    struct strmap_node **slot = find_slot(map, key, lq_hash_string(key));
    return slot && *slot;
}

void *
strmap_remove(struct strmap *map, const char *key)
{
    struct strmap_node **slot = find_slot(map, key, lq_hash_string(key));
    if (!slot || !*slot) {
        return NULL;
    }
    struct strmap_node *node = *slot;
    void *value = node->value;
    *slot = node->next;
    free(node->key);
    free(node);
    map->count--;
    return value;
}

size_t
strmap_count(const struct strmap *map)
{
    return map->count;
}

static struct strmap_node *
first_from(const struct strmap *map, size_t bucket)
{
    for (size_t i = bucket; i < map->n_buckets; i++) {
        if (map->buckets[i]) {
            return map->buckets[i];
        }
    }
    return NULL;
}

struct strmap_node *
strmap_first(const struct strmap *map)
{
    return first_from(map, 0);
}

struct strmap_node *
strmap_next(const struct strmap *map, const struct strmap_node *node)
{
    return node->next ? node->next : first_from(map, (node->hash & (map->n_buckets - 1)) + 1);
}

static int
cmp_nodes(const void *a, const void *b)
{
    const struct strmap_node *const *x = a, *const *y = b;
    return strcmp((*x)->key, (*y)->key);
}

struct strmap_node **
strmap_sorted(const struct strmap *map, size_t *n)
{
    struct strmap_node **nodes = xmalloc((map->count + 1) * sizeof *nodes);
    size_t i = 0;
    for (struct strmap_node *node = strmap_first(map); node; node = strmap_next(map, node)) {
        nodes[i++] = node;
    }
    qsort(nodes, i, sizeof *nodes, cmp_nodes);
    *n = i;
    return nodes;
}
