/* util: allocation that never fails, small string helpers. */
#ifndef LQ_UTIL_H
#define LQ_UTIL_H 1

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define LQ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Out-of-memory is not an error path: these abort instead of returning NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Returns true if 's' starts with 'prefix'. */
bool lq_str_starts_with(const char *s, const char *prefix);

/* Monotonic time in milliseconds, and wall-clock time in seconds + nanoseconds. */
long long lq_time_msec(void);
void lq_time_wall(long long *sec, int *nsec);

/* Writes a fresh random UUID (RFC 4122 version 4, lower case) into 'out' (37 bytes). */
void lq_uuid_generate(char out[37]);
/* Returns true if 's' is a UUID in canonical text form. */
bool lq_uuid_is_valid(const char *s);

#endif
