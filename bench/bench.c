/* lqnet-bench: creates ports through the API and measures what the
 * foundation issue asks for: ports per second, CreatePort latency, the time
 * from create to the port's row in Northbound, ListPorts latency, and
 * lqnetd's peak memory. Not a test: it prints figures. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb.h"
#include "strmap.h"
#include "util.h"

struct bench {
    struct event_base *base;
    struct evhttp_connection **conns;
    int n_conns;
    const char *host;
    int port;
    const char *token;
    char *network;
    int total, sent, done, failed;
    double *create_ms; /* per port: API latency */
    double *ready_ms;  /* per port: create sent -> row in Northbound */
    long long *sent_at;
    struct strmap pending; /* port id -> index, waiting for Northbound */
    struct strmap seen;    /* port ids Northbound already has */
    int n_ready;
    struct ovsdb_client *nb;
    long long start, end;
    char **ids; /* created ports */
    /* Attach phase: every port joins one security group. */
    char *sg_id;
    char *pg_name; /* its Port_Group */
    int attach_sent, attach_done;
    long long attach_start, attach_api_end, attach_end;
};

static void send_create(struct bench *b, int conn);

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
percentile(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n ? v[(int)((n - 1) * p + 0.5)] : 0;
}

static struct evhttp_request *
new_request(struct bench *b, void (*cb)(struct evhttp_request *, void *), void *arg,
            const char *body)
{
    struct evhttp_request *req = evhttp_request_new(cb, arg);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char *auth = xasprintf("Bearer %s", b->token);
    evhttp_add_header(h, "Authorization", auth);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "Host", b->host);
    free(auth);
    evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    return req;
}

static json_t *
reply_json(struct evhttp_request *req)
{
    if (!req || evhttp_request_get_response_code(req) != 200) {
        return NULL;
    }
    struct evbuffer *buf = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(buf);
    return json_loadb((const char *)evbuffer_pullup(buf, -1), len, 0, NULL);
}

struct create_ctx {
    struct bench *b;
    int conn;
    int index;
};

static void
check_done(struct bench *b)
{
    if (b->done == b->total && b->n_ready + b->failed >= b->total) {
        b->end = lq_time_msec();
        event_base_loopexit(b->base, NULL);
    }
}

static void
mark_ready(struct bench *b, const char *id)
{
    long long now = lq_time_msec();
    void *v = strmap_remove(&b->pending, id);
    if (v) {
        int i = (int)(intptr_t)v - 1;
        b->ready_ms[i] = (double)(now - b->sent_at[i]);
        b->n_ready++;
        check_done(b);
    } else {
        strmap_put(&b->seen, id, (void *)(intptr_t)now);
    }
}

static void
created(struct evhttp_request *req, void *c_)
{
    struct create_ctx *c = c_;
    struct bench *b = c->b;
    long long now = lq_time_msec();
    json_t *j = reply_json(req);
    const char *id = j ? json_string_value(json_object_get(j, "id")) : NULL;
    b->done++;
    if (!id) {
        b->failed++;
        fprintf(stderr, "CreatePort failed (HTTP %d)\n",
                req ? evhttp_request_get_response_code(req) : 0);
    } else {
        b->ids[c->index] = xstrdup(id);
        b->create_ms[c->index] = (double)(now - b->sent_at[c->index]);
        long long seen = (long long)(intptr_t)strmap_remove(&b->seen, id);
        if (seen) {
            b->ready_ms[c->index] = (double)(seen - b->sent_at[c->index]);
            b->n_ready++;
        } else {
            strmap_put(&b->pending, id, (void *)(intptr_t)(c->index + 1));
        }
    }
    json_decref(j);
    if (b->done % 100 == 0) {
        fprintf(stderr, "\r  %d/%d ports", b->done, b->total);
    }
    send_create(b, c->conn);
    free(c);
    check_done(b);
}

static void
send_create(struct bench *b, int conn)
{
    if (b->sent >= b->total) {
        return;
    }
    struct create_ctx *c = xmalloc(sizeof *c);
    c->b = b;
    c->conn = conn;
    c->index = b->sent++;
    char *body = xasprintf("{\"name\":\"bench-%d\",\"networkId\":\"%s\"}", c->index, b->network);
    struct evhttp_request *req = new_request(b, created, c, body);
    free(body);
    b->sent_at[c->index] = lq_time_msec();
    evhttp_make_request(b->conns[conn], req, EVHTTP_REQ_POST,
                        "/limiquantix.network.v1.PortService/CreatePort");
}

static void
check_attached(struct bench *b, const struct ovsdb_row *pg)
{
    const json_t *ports = ovsdb_row_elements(pg, "ports");
    if (b->pg_name && !strcmp(ovsdb_row_string(pg, "name"), b->pg_name) &&
        (int)json_array_size(ports) >= b->total - b->failed && !b->attach_end) {
        b->attach_end = lq_time_msec();
        if (b->attach_done == b->attach_sent) {
            event_base_loopexit(b->base, NULL);
        }
    }
}

static void
nb_row(void *b_, const char *table, enum ovsdb_change_kind kind, const struct ovsdb_row *old,
       const struct ovsdb_row *new)
{
    (void)old;
    if (!strcmp(table, "Port_Group")) {
        if (new) {
            check_attached(b_, new);
        }
    } else if (kind == OVSDB_ROW_INSERT) {
        mark_ready(b_, ovsdb_row_string(new, "name"));
    }
}

static void send_attach(struct bench *b, int conn);

static void
attached(struct evhttp_request *req, void *c_)
{
    struct create_ctx *c = c_;
    struct bench *b = c->b;
    if (!req || evhttp_request_get_response_code(req) != 200) {
        fprintf(stderr, "UpdatePort failed (HTTP %d)\n",
                req ? evhttp_request_get_response_code(req) : 0);
    }
    if (++b->attach_done == b->attach_sent && b->attach_sent == b->total - b->failed) {
        b->attach_api_end = lq_time_msec();
        if (b->attach_end) {
            event_base_loopexit(b->base, NULL);
        }
    }
    send_attach(b, c->conn);
    free(c);
}

static void
send_attach(struct bench *b, int conn)
{
    while (b->attach_sent < b->total && !b->ids[b->attach_sent]) {
        b->attach_sent++;
    }
    if (b->attach_sent >= b->total) {
        return;
    }
    struct create_ctx *c = xmalloc(sizeof *c);
    c->b = b;
    c->conn = conn;
    c->index = b->attach_sent++;
    char *body = xasprintf("{\"id\":\"%s\",\"spec\":{\"securityGroupIds\":[\"%s\"]},"
                           "\"updateMask\":\"spec.securityGroupIds\"}",
                           b->ids[c->index], b->sg_id);
    evhttp_make_request(b->conns[conn], new_request(b, attached, c, body), EVHTTP_REQ_POST,
                        "/limiquantix.network.v1.PortService/UpdatePort");
    free(body);
}

static void
nb_synced(void *b_)
{
    struct bench *b = b_;
    if (!b->start) {
        b->start = lq_time_msec();
        for (int i = 0; i < b->n_conns; i++) {
            send_create(b, i);
        }
    }
}

/* One blocking-style call: runs the loop until the reply. */
struct sync_call {
    struct event_base *base;
    json_t *reply;
    int code;
};

static void
sync_done(struct evhttp_request *req, void *s_)
{
    struct sync_call *s = s_;
    s->code = req ? evhttp_request_get_response_code(req) : 0;
    s->reply = reply_json(req);
    event_base_loopbreak(s->base);
}

static json_t *
call(struct bench *b, const char *method, const char *body, double *ms)
{
    struct sync_call s = {b->base, NULL, 0};
    char *path = xasprintf("/limiquantix.network.v1.%s", method);
    long long t0 = lq_time_msec();
    evhttp_make_request(b->conns[0], new_request(b, sync_done, &s, body), EVHTTP_REQ_POST, path);
    event_base_dispatch(b->base);
    if (ms) {
        *ms = (double)(lq_time_msec() - t0);
    }
    free(path);
    if (!s.reply) {
        fprintf(stderr, "%s failed (HTTP %d)\n", method, s.code);
        exit(1);
    }
    return s.reply;
}

static long
peak_rss_kb(const char *pidfile)
{
    FILE *f = pidfile ? fopen(pidfile, "r") : NULL;
    long pid = 0, kb = -1;
    if (!f || fscanf(f, "%ld", &pid) != 1) {
        if (f) {
            fclose(f);
        }
        return -1;
    }
    fclose(f);
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmHWM:", 6)) {
            kb = strtol(line + 6, NULL, 10);
        }
    }
    if (f) {
        fclose(f);
    }
    return kb;
}

int
main(int argc, char **argv)
{
    struct bench b = {.host = "127.0.0.1", .port = 9797, .total = 1000, .n_conns = 8};
    const char *nb_db = getenv("OVN_NB_DB"), *pidfile = NULL, *url = getenv("LQNET_URL");
    b.token = getenv("LQNET_TOKEN");
    static const struct option opts[] = {{"ports", required_argument, NULL, 'n'},
                                         {"concurrency", required_argument, NULL, 'c'},
                                         {"lqnetd-pidfile", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'n':
            b.total = atoi(optarg);
            break;
        case 'c':
            b.n_conns = atoi(optarg);
            break;
        case 'p':
            pidfile = optarg;
            break;
        default:
            printf(
                "usage: lqnet-bench [--ports N] [--concurrency C] [--lqnetd-pidfile F]\n"
                "needs LQNET_URL, LQNET_TOKEN and OVN_NB_DB (eval \"$(scripts/sandbox env)\")\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (!b.token || !nb_db || b.total < 1 || b.n_conns < 1) {
        fprintf(stderr, "lqnet-bench: set LQNET_TOKEN and OVN_NB_DB (see --help)\n");
        return 2;
    }
    if (url && sscanf(url, "http://%*[^:]:%d", &b.port) != 1) {
        fprintf(stderr, "lqnet-bench: cannot read the port of LQNET_URL=%s\n", url);
        return 2;
    }
    b.base = event_base_new();
    b.conns = xcalloc((size_t)b.n_conns, sizeof *b.conns);
    for (int i = 0; i < b.n_conns; i++) {
        b.conns[i] = evhttp_connection_base_new(b.base, NULL, b.host, (ev_uint16_t)b.port);
    }
    b.create_ms = xcalloc((size_t)b.total, sizeof *b.create_ms);
    b.ids = xcalloc((size_t)b.total, sizeof *b.ids);
    b.ready_ms = xcalloc((size_t)b.total, sizeof *b.ready_ms);
    b.sent_at = xcalloc((size_t)b.total, sizeof *b.sent_at);
    strmap_init(&b.pending);
    strmap_init(&b.seen);

    json_t *net = call(
        &b, "VirtualNetworkService/CreateNetwork",
        "{\"name\":\"bench\",\"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"10.128.0.0/16\"}}}", NULL);
    b.network = xstrdup(json_string_value(json_object_get(net, "id")));
    json_decref(net);

    static const struct ovsdb_client_cbs cbs = {.synced = nb_synced, .row_changed = nb_row};
    b.nb = ovsdb_client_create(b.base, nb_db, "OVN_Northbound", &cbs, &b);
    static const char *const cols[] = {"name", NULL};
    static const char *const pg_cols[] = {"name", "ports", NULL};
    ovsdb_client_monitor(b.nb, "Logical_Switch_Port", cols);
    ovsdb_client_monitor(b.nb, "Port_Group", pg_cols);
    ovsdb_client_start(b.nb);
    fprintf(stderr, "creating %d ports over %d connections\n", b.total, b.n_conns);
    event_base_dispatch(b.base);
    fprintf(stderr, "\n");

    int ok = b.done - b.failed;
    double secs = (double)(b.end - b.start) / 1000.0;
    double lists[20];
    for (int i = 0; i < 20; i++) {
        char *body = xasprintf("{\"networkId\":\"%s\"}", b.network);
        json_decref(call(&b, "PortService/ListPorts", body, &lists[i]));
        free(body);
    }
    double *create = xmalloc((size_t)ok * sizeof *create),
           *ready = xmalloc((size_t)ok * sizeof *ready);
    int n = 0;
    for (int i = 0; i < b.total; i++) {
        if (b.create_ms[i] > 0 || b.ready_ms[i] > 0) {
            create[n] = b.create_ms[i];
            ready[n++] = b.ready_ms[i];
        }
    }
    printf("ports created              %d (%d failed)\n", ok, b.failed);
    printf(
        "throughput                 %.0f ports/s (%.2f s for all, to the last row in Northbound)\n",
        secs > 0 ? ok / secs : 0, secs);
    printf("CreatePort latency         p50 %.1f ms   p99 %.1f ms\n", percentile(create, n, 0.5),
           percentile(create, n, 0.99));
    printf("create -> in Northbound    p50 %.1f ms   p99 %.1f ms\n", percentile(ready, n, 0.5),
           percentile(ready, n, 0.99));
    printf("ListPorts (%d ports)     p50 %.1f ms   max %.1f ms\n", ok, percentile(lists, 20, 0.5),
           percentile(lists, 20, 1.0));
    /* Attach one security group to every port. */
    json_t *sg =
        call(&b, "SecurityGroupService/CreateSecurityGroup",
             "{\"name\":\"bench\",\"rules\":[{\"protocol\":\"tcp\",\"portMin\":443}]}", NULL);
    b.sg_id = xstrdup(json_string_value(json_object_get(sg, "id")));
    b.pg_name = xasprintf("lq_%s", b.sg_id);
    for (char *p = b.pg_name; *p; p++) {
        *p = *p == '-' ? '_' : *p;
    }
    json_decref(sg);
    b.attach_start = lq_time_msec();
    for (int i = 0; i < b.n_conns; i++) {
        send_attach(&b, i);
    }
    event_base_dispatch(b.base);
    printf("attach a group to %d ports %.2f s for the API calls, %.2f s until all are in its "
           "port group\n",
           ok, (double)(b.attach_api_end - b.attach_start) / 1000.0,
           (double)(b.attach_end - b.attach_start) / 1000.0);

    long rss = peak_rss_kb(pidfile);
    if (rss >= 0) {
        printf("lqnetd peak RSS            %.1f MiB\n", rss / 1024.0);
    }
    return b.failed ? 1 : 0;
}
