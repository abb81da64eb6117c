/* strmap: a hash map from strings (copied) to caller-owned pointers. */
#ifndef LQ_STRMAP_H
#define LQ_STRMAP_H 1

#include <stdbool.h>
#include <stddef.h>

struct strmap_node {
    struct strmap_node *next;
    char *key;
    void *value;
    unsigned int hash;
};

struct strmap {
    struct strmap_node **buckets;
    size_t n_buckets;
    size_t count;
};

#define STRMAP_INITIALIZER                                                                         \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void strmap_init(struct strmap *map);
/* Frees the nodes and keys; values stay the caller's. */
void strmap_destroy(struct strmap *map);
/* Calls 'free_value' on every value, then destroys the map. */
void strmap_destroy_with(struct strmap *map, void (*free_value)(void *));

/* Sets 'key' to 'value'; returns the previous value or NULL. */
void *strmap_put(struct strmap *map, const char *key, void *value);
void *strmap_get(const struct strmap *map, const char *key);
bool strmap_contains(const struct strmap *map, const char *key);
/* Removes 'key'; returns its value or NULL. */
void *strmap_remove(struct strmap *map, const char *key);
size_t strmap_count(const struct strmap *map);

/* Iteration: for (n = strmap_first(m); n; n = strmap_next(m, n)). The map
 * must not change during iteration, except strmap_remove() of the node
 * just visited after its successor has been taken. */
struct strmap_node *strmap_first(const struct strmap *map);
struct strmap_node *strmap_next(const struct strmap *map, const struct strmap_node *node);

/* Returns a new array of the map's nodes sorted by key (caller frees the
 * array, not the nodes); '*n' gets the count. */
struct strmap_node **strmap_sorted(const struct strmap *map, size_t *n);

unsigned int lq_hash_string(const char *s);

#endif
