/* metrics: counters, gauges and latency histograms, rendered as Prometheus text. */
#ifndef LQ_METRICS_H
#define LQ_METRICS_H 1

struct evbuffer;

/* 'series' is a metric name with its labels, e.g. "lqnet_rpc_requests_total{method=\"X\"}".
 * 'help' is used the first time a metric name is seen. */
void metrics_counter_add(const char *series, const char *help, double value);
void metrics_gauge_set(const char *series, const char *help, double value);
/* Records one observation of 'seconds' into the histogram 'name' with 'labels' (may be ""). */
void metrics_observe(const char *name, const char *labels, const char *help, double seconds);
/* Appends every metric in Prometheus text format to 'out'. */
void metrics_render(struct evbuffer *out);
/* Frees everything (for tests and clean exits). */
void metrics_reset(void);

#endif
