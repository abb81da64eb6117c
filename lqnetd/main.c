/* lqnetd: the lqnet controller. Serves the API, keeps replicas of the
 * LQNet, Northbound and Southbound databases, and reconciles Northbound. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "error.h"
#include "log.h"
#include "metrics.h"
#include "ovsdb.h"
#include "reconcile.h"
#include "rpc.h"
#include "store.h"
#include "svc.h"
#include "util.h"
#include "validate.h"

#include "limiquantix/network/v1/host.pb-c.h"
#include "limiquantix/network/v1/load_balancer.pb-c.h"
#include "limiquantix/network/v1/vpn.pb-c.h"

struct options {
    const char *listen;
    const char *lqnet_db;
    const char *nb_db;
    const char *sb_db;
    const char *state_dir;
    const char *pidfile;
    const char *log_file;
    bool detach;
    unsigned int physical_mtu;
};

struct lqnetd {
    struct svc svc;
    char *token_path;
    bool token_ok;
};

static void
usage(void)
{
    printf("lqnetd: the lqnet network controller (Connect RPC API over OVN)\n"
           "\n"
           "usage: lqnetd [options]\n"
           "  --listen HOST:PORT     API address (default 127.0.0.1:9797)\n"
           "  --lqnet-db REMOTES     LQNet database, e.g. unix:/run/lqnet/db.sock or\n"
           "                         tcp:10.0.0.1:6640,tcp:10.0.0.2:6640 (a cluster)\n"
           "  --nb-db REMOTES        OVN Northbound database\n"
           "  --sb-db REMOTES        OVN Southbound database\n"
           "  --state-dir DIR        where the admin token is written (default .)\n"
           "  --physical-mtu N       MTU of the physical network (default 1500); overlay\n"
           "                         networks get N - 58\n"
           "  --detach               run in the background once the API listens\n"
           "  --pidfile FILE         write the process id to FILE\n"
           "  --log-file FILE        log there instead of stderr\n"
           "  --log-level LEVEL      debug, info (default), warn or error\n"
           "  -h, --help             this text\n");
}

static void
parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"lqnet-db", required_argument, NULL, 'q'},
        {"nb-db", required_argument, NULL, 'n'},
        {"sb-db", required_argument, NULL, 's'},
        {"state-dir", required_argument, NULL, 'd'},
        {"pidfile", required_argument, NULL, 'p'},
        {"log-file", required_argument, NULL, 'f'},
        {"log-level", required_argument, NULL, 'v'},
        {"detach", no_argument, NULL, 'D'},
        {"physical-mtu", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){.listen = "127.0.0.1:9797", .state_dir = ".", .physical_mtu = 1500};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            o->listen = optarg;
            break;
        case 'q':
            o->lqnet_db = optarg;
            break;
        case 'n':
            o->nb_db = optarg;
            break;
        case 's':
            o->sb_db = optarg;
            break;
        case 'd':
            o->state_dir = optarg;
            break;
        case 'p':
            o->pidfile = optarg;
            break;
        case 'f':
            o->log_file = optarg;
            break;
        case 'D':
            o->detach = true;
            break;
        case 'v': {
            int level = lq_log_level_from_string(optarg);
            if (level < 0) {
                fprintf(stderr, "lqnetd: unknown log level '%s'\n", optarg);
                exit(2);
            }
            lq_log_set_level((enum lq_log_level)level);
            break;
        }
        case 'm': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 576 + VALIDATE_GENEVE_OVERHEAD || v > 65535) {
                fprintf(stderr, "lqnetd: --physical-mtu must be 634..65535\n");
                exit(2);
            }
            o->physical_mtu = (unsigned int)v;
            break;
        }
        case 'h':
            usage();
            exit(0);
        default:
            fprintf(stderr, "Try 'lqnetd --help'.\n");
            exit(2);
        }
    }
    if (!o->lqnet_db || !o->nb_db || !o->sb_db) {
        fprintf(stderr, "lqnetd: --lqnet-db, --nb-db and --sb-db are required "
                        "(try 'lqnetd --help')\n");
        exit(2);
    }
}

static void
mark(void *r, const char *id)
{
    reconciler_mark(r, strcmp(id, STORE_SECURED_PORTS) ? id : translate_secured_group);
}

static void
lqdb_row_changed(void *d_, const char *table, enum ovsdb_change_kind kind,
                 const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    struct lqnetd *d = d_;
    struct reconciler *r = d->svc.reconciler;
    store_row_changed(d->svc.store, table, kind, old, new);
    const struct ovsdb_row *row = new ? new : old;
    if (!strcmp(table, "Network")) {
        reconciler_mark_network(r, ovsdb_row_string(row, "id"));
    } else if (!strcmp(table, "Port")) {
        /* What lists the port (its switch, its groups) is marked through
         * store_drain_touched() below, when that list changed. */
        reconciler_mark(r, ovsdb_row_string(row, "id"));
    } else if (!strcmp(table, "Security_Group")) {
        reconciler_mark(r, ovsdb_row_string(row, "id"));
    } else if (!strcmp(table, "Router")) {
        reconciler_mark(r, ovsdb_row_string(row, "id"));
    }
    if (!strcmp(table, "Floating_Ip")) {
        /* Floating IPs live in their routers' NAT. (A port that goes lets
         * its floating IPs go in the same transaction: they change too.) */
        const struct strmap *routers = store_routers(d->svc.store);
        for (struct strmap_node *n = strmap_first(routers); n; n = strmap_next(routers, n)) {
            const struct store_router *rt = n->value;
            if (*rt->external_network) {
                reconciler_mark(r, rt->id);
            }
        }
    }
    store_drain_touched(d->svc.store, mark, r);
}

/* After each change of the LQNet database: routers nobody uses go (the
 * reconciler does it, so only one lqnetd tries). */
static void
lqdb_batch(void *d_)
{
    struct lqnetd *d = d_;
    if (ovsdb_client_has_lock(d->svc.lqdb)) {
        svc_router_gc(&d->svc);
    }
    reconciler_kick(d->svc.reconciler);
}

static void
lqdb_synced(void *d_)
{
    struct lqnetd *d = d_;
    int error = svc_ensure_admin_token(&d->svc, d->token_path);
    if (error) {
        LOG_ERR("lqnetd", "cannot write the admin token to %s: %s", d->token_path,
                strerror(-error));
    }
    d->token_ok = !error;
    reconciler_kick(d->svc.reconciler);
}

static void
kick(void *d_)
{
    struct lqnetd *d = d_;
    reconciler_kick(d->svc.reconciler);
}

static void
ovn_row_changed(void *d_, const char *table, enum ovsdb_change_kind kind,
                const struct ovsdb_row *old, const struct ovsdb_row *new)
{
    struct lqnetd *d = d_;
    (void)kind;
    reconciler_row_changed(d->svc.reconciler, table, old, new);
}

/* After a (re)connect, or on becoming the reconciler, compare everything. */
static void
check_all(void *d_)
{
    struct lqnetd *d = d_;
    reconciler_check_all(d->svc.reconciler);
    reconciler_kick(d->svc.reconciler);
}

static void
lock_changed(void *d_, bool have)
{
    LOG_INFO("lqnetd", "%s the reconciler lock", have ? "holding" : "lost");
    check_all(d_);
}

static int
healthz(void *d_, struct evbuffer *out, const char **ct)
{
    (void)d_;
    (void)ct;
    evbuffer_add_printf(out, "ok\n");
    return 200;
}

static int
readyz(void *d_, struct evbuffer *out, const char **ct)
{
    struct lqnetd *d = d_;
    (void)ct;
    struct {
        const char *name;
        struct ovsdb_client *c;
    } dbs[] = {{"lqnet", d->svc.lqdb}, {"northbound", d->svc.nb}, {"southbound", d->svc.sb}};
    bool ready = d->token_ok;
    for (size_t i = 0; i < LQ_ARRAY_SIZE(dbs); i++) {
        bool synced = ovsdb_client_is_synced(dbs[i].c);
        evbuffer_add_printf(out, "%s: %s\n", dbs[i].name, synced ? "synced" : "not synced");
        ready &= synced;
    }
    return ready ? 200 : 503;
}

static int
metrics(void *d_, struct evbuffer *out, const char **ct)
{
    struct lqnetd *d = d_;
    *ct = "text/plain; version=0.0.4";
    metrics_gauge_set("lqnet_db_connected{db=\"lqnet\"}", "Database connection state (1 up)",
                      ovsdb_client_is_connected(d->svc.lqdb));
    metrics_gauge_set("lqnet_db_connected{db=\"northbound\"}", "",
                      ovsdb_client_is_connected(d->svc.nb));
    metrics_gauge_set("lqnet_db_connected{db=\"southbound\"}", "",
                      ovsdb_client_is_connected(d->svc.sb));
    metrics_gauge_set("lqnet_reconciler_lock_held", "Whether this lqnetd reconciles",
                      ovsdb_client_has_lock(d->svc.lqdb));
    metrics_render(out);
    return 200;
}

static const char *const nb_ls[] = {"name", "ports", "external_ids", NULL};
static const char *const nb_lsp[] = {"name",    "addresses",   "port_security",  "dhcpv4_options",
                                     "enabled", "options",     "external_ids",   "up",
                                     "type",    "tag_request", "dhcpv6_options", NULL};
static const char *const nb_dhcp[] = {"cidr", "options", "external_ids", NULL};
static const char *const nb_pg[] = {"name", "ports", "acls", "external_ids", NULL};
static const char *const nb_acl[] = {"priority", "direction",    "match",
                                     "action",   "external_ids", NULL};
static const char *const nb_lr[] = {"name", "ports", "nat", "static_routes", "external_ids", NULL};
static const char *const nb_lrp[] = {
    "name",    "mac",          "networks",        "gateway_chassis",
    "options", "external_ids", "ipv6_ra_configs", NULL};
static const char *const nb_gc[] = {"name", "chassis_name", "priority", "external_ids", NULL};
static const char *const nb_nat[] = {"type",         "external_ip",  "logical_ip", "logical_port",
                                     "external_mac", "external_ids", NULL};
static const char *const nb_route[] = {"ip_prefix", "nexthop", "external_ids", NULL};
static const char *const sb_pb[] = {"logical_port", "chassis", NULL};
static const char *const sb_chassis[] = {"name", "hostname", "other_config", "external_ids", NULL};

int
main(int argc, char **argv)
{
    struct options o;
    parse_options(argc, argv, &o);
    if (o.log_file && lq_log_open(o.log_file)) {
        fprintf(stderr, "lqnetd: cannot open log file %s: %s\n", o.log_file, strerror(errno));
        return 1;
    }
    if (o.detach) {
        daemon_detach();
    }
    struct event_base *base = event_base_new();
    struct lqnetd d = {0};
    d.token_path = xasprintf("%s/admin.token", o.state_dir);
    struct svc *svc = &d.svc;
    svc->base = base;
    svc->physical_mtu = o.physical_mtu;
    strmap_init(&svc->inflight);
    strmap_init(&svc->hints);
    svc->store = store_create(validate_network_subnets);

    static const struct ovsdb_client_cbs lq_cbs = {
        .synced = lqdb_synced,
        .row_changed = lqdb_row_changed,
        .batch_done = lqdb_batch,
        .lock_changed = lock_changed,
    };
    static const struct ovsdb_client_cbs nb_cbs = {
        .synced = check_all,
        .row_changed = ovn_row_changed,
        .batch_done = kick,
    };
    static const struct ovsdb_client_cbs sb_cbs = {.row_changed = ovn_row_changed};
    svc->lqdb = ovsdb_client_create(base, o.lqnet_db, "LQNet", &lq_cbs, &d);
    svc->nb = ovsdb_client_create(base, o.nb_db, "OVN_Northbound", &nb_cbs, &d);
    svc->sb = ovsdb_client_create(base, o.sb_db, "OVN_Southbound", &sb_cbs, &d);
    const char *lq_tables[] = {"Network", "Port",        "Ip_Allocation",  "Mac_Allocation",
                               "Token",   "Floating_Ip", "Security_Group", "Router"};
    for (size_t i = 0; i < LQ_ARRAY_SIZE(lq_tables); i++) {
        ovsdb_client_monitor(svc->lqdb, lq_tables[i], NULL);
    }
    ovsdb_client_monitor(svc->nb, "Logical_Switch", nb_ls);
    ovsdb_client_monitor(svc->nb, "Logical_Switch_Port", nb_lsp);
    ovsdb_client_monitor(svc->nb, "DHCP_Options", nb_dhcp);
    ovsdb_client_monitor(svc->nb, "Port_Group", nb_pg);
    ovsdb_client_monitor(svc->nb, "ACL", nb_acl);
    ovsdb_client_monitor(svc->nb, "Logical_Router", nb_lr);
    ovsdb_client_monitor(svc->nb, "Logical_Router_Port", nb_lrp);
    ovsdb_client_monitor(svc->nb, "Gateway_Chassis", nb_gc);
    ovsdb_client_monitor(svc->nb, "NAT", nb_nat);
    ovsdb_client_monitor(svc->nb, "Logical_Router_Static_Route", nb_route);
    ovsdb_client_monitor(svc->sb, "Port_Binding", sb_pb);
    ovsdb_client_monitor(svc->sb, "Chassis", sb_chassis);
    ovsdb_client_lock(svc->lqdb, "lqnet_reconciler");

    struct translate_config tcfg = {o.physical_mtu};
    svc->reconciler = reconciler_create(base, svc->nb, svc->sb, svc->lqdb, svc->store, &tcfg);

    struct lq_error *err = NULL;
    struct rpc_server *server = rpc_server_create(base, o.listen, &err);
    if (!server) {
        fprintf(stderr, "lqnetd: %s\n", err->message);
        LOG_ERR("lqnetd", "%s", err->message);
        return 1;
    }
    rpc_server_set_auth(server, svc_authenticate, svc);
    rpc_server_add_service(server, &limiquantix__network__v1__virtual_network_service__descriptor,
                           svc_network_handlers, svc);
    rpc_server_add_service(server, &limiquantix__network__v1__port_service__descriptor,
                           svc_port_handlers, svc);
    rpc_server_add_service(server, &limiquantix__network__v1__token_service__descriptor,
                           svc_token_handlers, svc);
    rpc_server_add_service(server, &limiquantix__network__v1__security_group_service__descriptor,
                           svc_sg_handlers, svc);
    rpc_server_add_service(server, &limiquantix__network__v1__router_service__descriptor,
                           svc_router_handlers, svc);
    rpc_server_add_service(server, &limiquantix__network__v1__floating_ip_service__descriptor,
                           svc_fip_handlers, svc);
    const ProtobufCServiceDescriptor *later[] = {
        &limiquantix__network__v1__load_balancer_service__descriptor,
        &limiquantix__network__v1__vpn_service_manager__descriptor,
        &limiquantix__network__v1__host_service__descriptor,
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(later); i++) {
        rpc_server_add_service(server, later[i], NULL, NULL);
    }
    rpc_server_add_plain(server, "/healthz", healthz, &d);
    rpc_server_add_plain(server, "/readyz", readyz, &d);
    rpc_server_add_plain(server, "/metrics", metrics, &d);

    if (o.pidfile) {
        int error = daemon_write_pidfile(o.pidfile);
        if (error) {
            fprintf(stderr, "lqnetd: cannot write %s: %s\n", o.pidfile, strerror(-error));
            return 1;
        }
    }
    ovsdb_client_start(svc->lqdb);
    ovsdb_client_start(svc->nb);
    ovsdb_client_start(svc->sb);
    LOG_INFO("lqnetd", "API listening on http://%s", o.listen);
    daemon_ready();

    daemon_run(base, "lqnetd");

    rpc_server_destroy(server);
    reconciler_destroy(svc->reconciler);
    ovsdb_client_destroy(svc->lqdb);
    ovsdb_client_destroy(svc->nb);
    ovsdb_client_destroy(svc->sb);
    store_destroy(svc->store);
    strmap_destroy(&svc->inflight);
    strmap_destroy_with(&svc->hints, free);
    free(d.token_path);
    metrics_reset();
    event_base_free(base);
    if (o.pidfile) {
        unlink(o.pidfile);
    }
    return 0;
}
