#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static enum lq_log_level min_level = LQ_LOG_INFO;
static FILE *log_stream;

void
lq_log_set_level(enum lq_log_level level)
{
    min_level = level;
}

int
lq_log_level_from_string(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < LQ_ARRAY_SIZE(names); i++) {
        if (!strcmp(s, names[i])) {
            return (int)i;
        }
    }
    return -1;
}

int
lq_log_open(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        return -errno;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (log_stream) {
        fclose(log_stream);
    }
    log_stream = f;
    return 0;
}

void
lq_log(enum lq_log_level level, const char *module, const char *fmt, ...)
{
    static const char *tags[] = {"DBG", "INFO", "WARN", "ERR"};
    if (level < min_level) {
        return;
    }
    FILE *out = log_stream ? log_stream : stderr;
    long long sec;
    int nsec;
    lq_time_wall(&sec, &nsec);
    time_t t = (time_t)sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    fprintf(out, "%s.%03dZ|%s|%s|%s\n", stamp, nsec / 1000000, tags[level], module, msg);
    free(msg);
}

int
lq_log_rate_ok(long long *window, int *count, int burst)
{
    long long now = lq_time_msec();
    if (now - *window > 60000) {
        *window = now;
        *count = 0;
    }
    return (*count)++ < burst;
}
