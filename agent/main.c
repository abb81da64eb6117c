/* lqnet-agent: the per-hypervisor agent. For now it bootstraps Open
 * vSwitch for OVN (chassis identity, Southbound remote, tunnel endpoint,
 * bridge mappings, br-int) and keeps it that way: if someone removes a
 * setting or a bridge, the agent puts it back. */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "daemon.h"
#include "log.h"
#include "ovsdb.h"
#include "util.h"

struct agent {
    struct agent_config cfg;
    struct ovsdb_client *conf;
    bool in_flight;
    bool again;
};

static void
usage(void)
{
    printf("lqnet-agent: prepares this hypervisor's Open vSwitch for OVN and keeps it so\n"
           "\n"
           "usage: lqnet-agent [options]\n"
           "  --ovs-db REMOTE         Open vSwitch database (default\n"
           "                          unix:/var/run/openvswitch/db.sock)\n"
           "  --system-id NAME        chassis name (required)\n"
           "  --ovn-remote REMOTES    OVN Southbound database (required)\n"
           "  --encap-ip IP           this host's tunnel endpoint (required)\n"
           "  --encap-type TYPE       geneve (default) or vxlan\n"
           "  --bridge-mappings MAP   physical networks, e.g. physnet:br-ex\n"
           "  --datapath-type TYPE    system (kernel, default) or netdev (userspace)\n"
           "  --detach, --pidfile FILE, --log-file FILE, --log-level LEVEL\n"
           "  -h, --help\n");
}

static void reconcile(struct agent *a);

static const struct strmap *
conf_table(void *a_, const char *table)
{
    struct agent *a = a_;
    return ovsdb_client_table(a->conf, table);
}

static void
txn_done(void *a_, const json_t *results, const struct lq_error *err)
{
    struct agent *a = a_;
    (void)results;
    a->in_flight = false;
    if (err) {
        LQ_LOG_RL(LQ_LOG_WARN, "agent", "conf.db transaction failed: %s", err->message);
        return;
    }
    LOG_INFO("agent", "Open vSwitch configured for OVN (chassis %s)", a->cfg.system_id);
    if (a->again) {
        a->again = false;
        reconcile(a);
    }
}

static void
reconcile(struct agent *a)
{
    if (!ovsdb_client_is_synced(a->conf)) {
        return;
    }
    if (a->in_flight) {
        a->again = true;
        return;
    }
    const char *error = NULL;
    json_t *ops = bootstrap_ops(&a->cfg, conf_table, a, &error);
    if (!ops) {
        LQ_LOG_RL(LQ_LOG_ERR, "agent", "%s", error);
        return;
    }
    if (!json_array_size(ops)) {
        json_decref(ops);
        return;
    }
    a->in_flight = true;
    ovsdb_client_transact(a->conf, ops, txn_done, a);
}

static void
on_change(void *a)
{
    reconcile(a);
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"ovs-db", required_argument, NULL, 'o'},
        {"system-id", required_argument, NULL, 's'},
        {"ovn-remote", required_argument, NULL, 'r'},
        {"encap-ip", required_argument, NULL, 'i'},
        {"encap-type", required_argument, NULL, 't'},
        {"bridge-mappings", required_argument, NULL, 'b'},
        {"datapath-type", required_argument, NULL, 'p'},
        {"detach", no_argument, NULL, 'D'},
        {"pidfile", required_argument, NULL, 'P'},
        {"log-file", required_argument, NULL, 'f'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct agent a = {
        .cfg = {.encap_type = "geneve", .bridge_mappings = "", .datapath_type = "system"}};
    const char *ovs_db = "unix:/var/run/openvswitch/db.sock", *pidfile = NULL, *log_file = NULL;
    bool detach = false;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            ovs_db = optarg;
            break;
        case 's':
            a.cfg.system_id = optarg;
            break;
        case 'r':
            a.cfg.ovn_remote = optarg;
            break;
        case 'i':
            a.cfg.encap_ip = optarg;
            break;
        case 't':
            a.cfg.encap_type = optarg;
            break;
        case 'b':
            a.cfg.bridge_mappings = optarg;
            break;
        case 'p':
            a.cfg.datapath_type = optarg;
            break;
        case 'D':
            detach = true;
            break;
        case 'P':
            pidfile = optarg;
            break;
        case 'f':
            log_file = optarg;
            break;
        case 'v':
            if (lq_log_level_from_string(optarg) < 0) {
                fprintf(stderr, "lqnet-agent: unknown log level '%s'\n", optarg);
                return 2;
            }
            lq_log_set_level((enum lq_log_level)lq_log_level_from_string(optarg));
            break;
        case 'h':
            usage();
            return 0;
        default:
            fprintf(stderr, "Try 'lqnet-agent --help'.\n");
            return 2;
        }
    }
    if (!a.cfg.system_id || !a.cfg.ovn_remote || !a.cfg.encap_ip) {
        fprintf(stderr, "lqnet-agent: --system-id, --ovn-remote and --encap-ip are required "
                        "(try 'lqnet-agent --help')\n");
        return 2;
    }
    if (strcmp(a.cfg.datapath_type, "system") && strcmp(a.cfg.datapath_type, "netdev")) {
        fprintf(stderr, "lqnet-agent: --datapath-type must be system or netdev\n");
        return 2;
    }
    if (log_file && lq_log_open(log_file)) {
        fprintf(stderr, "lqnet-agent: cannot open %s: %s\n", log_file, strerror(errno));
        return 1;
    }
    if (detach) {
        daemon_detach();
    }
    if (pidfile && daemon_write_pidfile(pidfile)) {
        fprintf(stderr, "lqnet-agent: cannot write %s\n", pidfile);
        return 1;
    }
    struct event_base *base = event_base_new();
    static const struct ovsdb_client_cbs cbs = {.synced = on_change, .batch_done = on_change};
    a.conf = ovsdb_client_create(base, ovs_db, "Open_vSwitch", &cbs, &a);
    if (!a.conf) {
        fprintf(stderr, "lqnet-agent: cannot use --ovs-db '%s'\n", ovs_db);
        return 2;
    }
    static const char *const ovs_cols[] = {"external_ids", "bridges", NULL};
    static const char *const br_cols[] = {"name", "datapath_type", NULL};
    ovsdb_client_monitor(a.conf, "Open_vSwitch", ovs_cols);
    ovsdb_client_monitor(a.conf, "Bridge", br_cols);
    ovsdb_client_start(a.conf);
    LOG_INFO("agent", "chassis %s: watching %s", a.cfg.system_id, ovs_db);
    daemon_ready();

    daemon_run(base, "agent");
    ovsdb_client_destroy(a.conf);
    event_base_free(base);
    if (pidfile) {
        unlink(pidfile);
    }
    return 0;
}
