#include "metrics.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_BUCKETS LQ_ARRAY_SIZE(buckets)

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct family {
    char *help;
    enum metric_type type;
    struct strmap series; /* labels -> struct series */
};

struct series {
    double value;             /* counter, gauge; histogram: sum */
    unsigned long long count; /* histogram only */
    unsigned long long bucket[N_BUCKETS];
};

static struct strmap families = STRMAP_INITIALIZER;

/* Splits "name{labels}" into its family and labels. */
static struct series *
lookup(const char *name, size_t name_len, const char *labels, const char *help,
       enum metric_type type)
{
    char *fname = xstrndup(name, name_len);
    struct family *f = strmap_get(&families, fname);
    if (!f) {
        f = xcalloc(1, sizeof *f);
        f->help = xstrdup(help);
        f->type = type;
        strmap_init(&f->series);
        strmap_put(&families, fname, f);
    }
    free(fname);
    struct series *s = strmap_get(&f->series, labels);
    if (!s) {
        s = xcalloc(1, sizeof *s);
        strmap_put(&f->series, labels, s);
    }
    return s;
}

static struct series *
lookup_series(const char *series, const char *help, enum metric_type type)
{
    const char *brace = strchr(series, '{');
    size_t len = brace ? (size_t)(brace - series) : strlen(series);
    return lookup(series, len, brace ? brace : "", help, type);
}

void
metrics_counter_add(const char *series, const char *help, double value)
{
    lookup_series(series, help, METRIC_COUNTER)->value += value;
}

void
metrics_gauge_set(const char *series, const char *help, double value)
{
    lookup_series(series, help, METRIC_GAUGE)->value = value;
}

void
metrics_observe(const char *name, const char *labels, const char *help, double seconds)
{
    char *l = labels && *labels ? xasprintf("{%s}", labels) : xstrdup("");
    struct series *s = lookup(name, strlen(name), l, help, METRIC_HISTOGRAM);
    free(l);
    s->value += seconds;
    s->count++;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        if (seconds <= buckets[i]) {
            s->bucket[i]++;
        }
    }
}

/* Renders "name_suffix{labels,extra}". */
static void
render_name(struct evbuffer *out, const char *name, const char *suffix, const char *labels,
            const char *extra)
{
    evbuffer_add_printf(out, "%s%s", name, suffix);
    size_t len = strlen(labels);
    if (len >= 2) {
        evbuffer_add(out, labels, len - 1);
        evbuffer_add_printf(out, "%s%s}", extra ? "," : "", extra ? extra : "");
    } else if (extra) {
        evbuffer_add_printf(out, "{%s}", extra);
    }
}

void
metrics_render(struct evbuffer *out)
{
    static const char *types[] = {"counter", "gauge", "histogram"};
    size_t nf;
    struct strmap_node **fams = strmap_sorted(&families, &nf);
    for (size_t i = 0; i < nf; i++) {
        const char *name = fams[i]->key;
        struct family *f = fams[i]->value;
        evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, f->help, name,
                            types[f->type]);
        size_t ns;
        struct strmap_node **series = strmap_sorted(&f->series, &ns);
        for (size_t j = 0; j < ns; j++) {
            const char *labels = series[j]->key;
            struct series *s = series[j]->value;
            if (f->type != METRIC_HISTOGRAM) {
                render_name(out, name, "", labels, NULL);
                evbuffer_add_printf(out, " %.17g\n", s->value);
                continue;
            }
            for (size_t b = 0; b < N_BUCKETS; b++) {
                char le[32];
                snprintf(le, sizeof le, "le=\"%g\"", buckets[b]);
                render_name(out, name, "_bucket", labels, le);
                evbuffer_add_printf(out, " %llu\n", s->bucket[b]);
            }
            render_name(out, name, "_bucket", labels, "le=\"+Inf\"");
            evbuffer_add_printf(out, " %llu\n", s->count);
            render_name(out, name, "_sum", labels, NULL);
            evbuffer_add_printf(out, " %.9f\n", s->value);
            render_name(out, name, "_count", labels, NULL);
            evbuffer_add_printf(out, " %llu\n", s->count);
        }
        free(series);
    }
    free(fams);
}

static void
free_family(void *p)
{
    struct family *f = p;
    strmap_destroy_with(&f->series, free);
    free(f->help);
    free(f);
}

void
metrics_reset(void)
{
    strmap_destroy_with(&families, free_family);
}
