/* Unit tests of the lqnet CLI: URL and HTTP parsing, the HTTP exchange
 * against a forked one-shot server, argument parsing, request building
 * (with name lookups answered by a fake transport) and table output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "http.h"
#include "util.h"

#define NET_WEB "11111111-1111-4111-8111-111111111111"
#define NET_DB1 "22222222-2222-4222-8222-222222222222"
#define NET_DB2 "33333333-3333-4333-8333-333333333333"
#define NET_PUB "44444444-4444-4444-8444-444444444444"
#define SG_WEB "55555555-5555-4555-8555-555555555555"
#define PORT_A "66666666-6666-4666-8666-666666666666"
#define SG_APP "77777777-7777-4777-8777-777777777777"
#define RULE_1 "88888888-8888-4888-8888-888888888888"
#define RULE_2 "99999999-9999-4999-8999-999999999999"
#define ROUTER_1 "4f1c2a3b-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define ROUTER_2 "5a5a5a5a-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define FIP_1 "f1f1f1f1-cccc-4ccc-8ccc-cccccccccccc"
#define FIP_2 "f2f2f2f2-dddd-4ddd-8ddd-dddddddddddd"

#define NET_LAB "a0a0a0a0-0000-4000-8000-000000000001"
#define NET_INT "a0a0a0a0-0000-4000-8000-000000000002"
#define NET_OTHER "a0a0a0a0-0000-4000-8000-000000000003"
#define PORT_VM1 "b0b0b0b0-0000-4000-8000-000000000001"
#define PORT_VM2 "b0b0b0b0-0000-4000-8000-000000000002"
#define PORT_VM10 "b0b0b0b0-0000-4000-8000-000000000003"
#define PORT_X1 "b0b0b0b0-0000-4000-8000-000000000004"
#define PORT_S1 "b0b0b0b0-0000-4000-8000-000000000005"

/* A project's topology: public with router 1 (web, db), an internal router
 * with int, an unrouted network lab, a port on another project's network,
 * a floating IP on vm1 and one not associated. Nodes in id order by type,
 * as the server sends them. */
static const char topology_json[] =
    "{\"nodes\": ["
    " {\"id\": \"" NET_WEB "\", \"type\": \"network\", \"name\": \"web\", \"properties\":"
    "  {\"type\": \"OVERLAY\", \"ipv4_subnet\": \"10.0.1.0/24\", \"mtu\": \"1442\","
    "   \"phase\": \"READY\"}},"
    " {\"id\": \"" NET_DB1 "\", \"type\": \"network\", \"name\": \"db\", \"properties\":"
    "  {\"type\": \"OVERLAY\", \"ipv4_subnet\": \"10.0.2.0/24\", \"ipv6_subnet\": "
    "\"fd00:2::/64\", \"mtu\": \"1442\", \"phase\": \"READY\"}},"
    " {\"id\": \"" NET_LAB "\", \"type\": \"network\", \"name\": \"lab\", \"properties\":"
    "  {\"type\": \"ISOLATED\", \"ipv4_subnet\": \"10.9.0.0/24\", \"mtu\": \"1442\","
    "   \"phase\": \"PENDING\"}},"
    " {\"id\": \"" NET_INT "\", \"type\": \"network\", \"name\": \"int\", \"properties\":"
    "  {\"ipv4_subnet\": \"10.8.0.0/24\", \"mtu\": \"1442\"}},"
    " {\"id\": \"" ROUTER_1 "\", \"type\": \"router\", \"name\": \"router\", \"properties\":"
    "  {\"external_ip\": \"203.0.113.100\", \"gateway_host\": \"hv1\"}},"
    " {\"id\": \"" NET_PUB "\", \"type\": \"external_network\", \"name\": \"public\","
    "  \"properties\": {\"type\": \"EXTERNAL\", \"ipv4_subnet\": \"203.0.113.0/24\","
    "   \"mtu\": \"1500\", \"phase\": \"READY\"}},"
    " {\"id\": \"" ROUTER_2 "\", \"type\": \"router\", \"name\": \"router\"},"
    " {\"id\": \"" PORT_VM1 "\", \"type\": \"port\", \"name\": \"vm1\", \"properties\":"
    "  {\"mac\": \"52:54:00:00:00:01\", \"ip0\": \"10.0.1.2\", \"host\": \"hv1\","
    "   \"phase\": \"ACTIVE\"}},"
    " {\"id\": \"" PORT_VM2 "\", \"type\": \"port\", \"name\": \"vm2\", \"properties\":"
    "  {\"ip0\": \"10.0.1.3\", \"phase\": \"DOWN\"}},"
    " {\"id\": \"" PORT_VM10 "\", \"type\": \"port\", \"name\": \"vm10\", \"properties\":"
    "  {\"ip0\": \"10.0.1.4\", \"ip1\": \"fd00:1::4\", \"phase\": \"DOWN\"}},"
    " {\"id\": \"" PORT_X1 "\", \"type\": \"port\", \"name\": \"x\\\"1\", \"properties\":"
    "  {\"ip0\": \"10.9.0.2\", \"phase\": \"DOWN\"}},"
    " {\"id\": \"" PORT_S1 "\", \"type\": \"port\", \"name\": \"s1\", \"properties\":"
    "  {\"ip0\": \"10.50.0.7\", \"phase\": \"DOWN\"}},"
    " {\"id\": \"" FIP_1 "\", \"type\": \"floating_ip\", \"name\": \"203.0.113.101\"},"
    " {\"id\": \"" FIP_2 "\", \"type\": \"floating_ip\", \"name\": \"203.0.113.99\"}],"
    " \"edges\": ["
    " {\"sourceId\": \"" NET_WEB "\", \"targetId\": \"" ROUTER_1 "\", \"type\": \"routed\"},"
    " {\"sourceId\": \"" NET_DB1 "\", \"targetId\": \"" ROUTER_1 "\", \"type\": \"routed\"},"
    " {\"sourceId\": \"" ROUTER_1 "\", \"targetId\": \"" NET_PUB "\", \"type\": \"gateway\"},"
    " {\"sourceId\": \"" NET_INT "\", \"targetId\": \"" ROUTER_2 "\", \"type\": \"routed\"},"
    " {\"sourceId\": \"" PORT_VM1 "\", \"targetId\": \"" NET_WEB "\", \"type\": \"attached\"},"
    " {\"sourceId\": \"" PORT_VM2 "\", \"targetId\": \"" NET_WEB "\", \"type\": \"attached\"},"
    " {\"sourceId\": \"" PORT_VM10 "\", \"targetId\": \"" NET_WEB "\", \"type\": "
    "\"attached\"},"
    " {\"sourceId\": \"" PORT_X1 "\", \"targetId\": \"" NET_LAB "\", \"type\": \"attached\"},"
    " {\"sourceId\": \"" PORT_S1 "\", \"targetId\": \"" NET_OTHER "\", \"type\": "
    "\"attached\"},"
    " {\"sourceId\": \"" FIP_1 "\", \"targetId\": \"" NET_PUB "\", \"type\": "
    "\"allocated_from\"},"
    " {\"sourceId\": \"" FIP_1 "\", \"targetId\": \"" PORT_VM1 "\", \"type\": \"nat\"},"
    " {\"sourceId\": \"" FIP_2 "\", \"targetId\": \"" NET_PUB "\", \"type\": "
    "\"allocated_from\"}]}";

/* The fake transport: canned replies by method, and a log of the calls. */
static json_t *fake_log;

static json_t *
fake_call(const char *method, json_t *req, struct cli_error *err)
{
    json_array_append_new(fake_log, json_pack("{s:s, s:O}", "method", method, "req", req));
    if (!strcmp(method, "VirtualNetworkService/ListNetworks") &&
        !strcmp(cli_json_str(req, "type"), "EXTERNAL")) {
        return json_pack("{s:[{s:s, s:s, s:{s:s}}]}", "networks", "id", NET_PUB, "name", "public",
                         "spec", "type", "EXTERNAL");
    }
    if (!strcmp(method, "VirtualNetworkService/ListNetworks")) {
        /* Two pages, so that name lookups must follow nextPageToken. */
        if (!*cli_json_str(req, "pageToken")) {
            return json_pack("{s:[{s:s, s:s}, {s:s, s:s}], s:s}", "networks", "id", NET_WEB, "name",
                             "web", "id", NET_DB1, "name", "db", "nextPageToken", "p2");
        }
        assert_string_equal(cli_json_str(req, "pageToken"), "p2");
        return json_pack("{s:[{s:s, s:s}, {s:s, s:s}]}", "networks", "id", NET_DB2, "name", "db",
                         "id", NET_PUB, "name", "public");
    }
    if (!strcmp(method, "SecurityGroupService/ListSecurityGroups")) {
        return json_pack("{s:[{s:s, s:s}, {s:s, s:s}]}", "securityGroups", "id", SG_WEB, "name",
                         "web", "id", SG_APP, "name", "app");
    }
    /* Group web has rule 1 (ingress from app); AddRule adds rule 2. */
    if (!strcmp(method, "SecurityGroupService/GetSecurityGroup") ||
        !strcmp(method, "SecurityGroupService/RemoveRule")) {
        return json_pack("{s:s, s:s, s:s, s:b, s:[{s:s, s:s, s:s, s:i, s:i}]}", "id", SG_WEB,
                         "name", "web", "projectId", "acme", "stateful", true, "rules", "id",
                         RULE_1, "protocol", "tcp", "remoteSecurityGroupId", SG_APP, "portMin",
                         5432, "portMax", 5432);
    }
    if (!strcmp(method, "SecurityGroupService/AddRule")) {
        return json_pack("{s:s, s:s, s:[{s:s}, {s:s, s:s}]}", "id", SG_WEB, "name", "web", "rules",
                         "id", RULE_1, "id", RULE_2, "direction", "EGRESS");
    }
    if (!strcmp(method, "PortService/ListPorts")) {
        return json_pack("{s:[{s:s, s:s}]}", "ports", "id", PORT_A, "name", "a");
    }
    if (!strcmp(method, "VirtualNetworkService/DeleteNetwork") ||
        !strcmp(method, "TokenService/RevokeToken") ||
        !strcmp(method, "FloatingIpService/ReleaseFloatingIp")) {
        return json_object();
    }
    /* Router 1 routes web and db1 to public; router 2 is internal. */
    if (!strcmp(method, "RouterService/ListRouters")) {
        return json_pack("{s:[{s:s, s:s, s:[s, s]}, {s:s, s:[]}]}", "routers", "id", ROUTER_1,
                         "externalNetworkId", NET_PUB, "networkIds", NET_WEB, NET_DB1, "id",
                         ROUTER_2, "networkIds");
    }
    if (!strcmp(method, "RouterService/GetRouter")) {
        if (!strcmp(cli_json_str(req, "id"), ROUTER_1)) {
            return json_pack("{s:s, s:s}", "id", ROUTER_1, "externalNetworkId", NET_PUB);
        }
        cli_error_set(err, CLI_API_ERROR, "not_found", "router %s not found",
                      cli_json_str(req, "id"));
        return NULL;
    }
    if (!strcmp(method, "FloatingIpService/ListFloatingIps")) {
        return json_pack("{s:[{s:s, s:s}, {s:s, s:s}]}", "floatingIps", "id", FIP_1, "ipAddress",
                         "203.0.113.101", "id", FIP_2, "ipAddress", "203.0.113.99");
    }
    if (!strcmp(method, "VirtualNetworkService/GetNetworkTopology")) {
        return json_loads(topology_json, 0, NULL);
    }
    cli_error_set(err, CLI_API_ERROR, "unimplemented", "fake has no %s", method);
    return NULL;
}

static int
setup_fake(void **state)
{
    (void)state;
    fake_log = json_array();
    cli_set_transport(fake_call);
    return 0;
}

static int
teardown_fake(void **state)
{
    (void)state;
    json_decref(fake_log);
    cli_set_transport(NULL);
    return 0;
}

static const char *
logged_method(size_t i)
{
    return cli_json_str(json_array_get(fake_log, i), "method");
}

static void
assert_json_eq(json_t *actual, const char *expected_text)
{
    json_error_t jerr;
    json_t *expected = json_loads(expected_text, 0, &jerr);
    if (!expected) {
        fail_msg("bad expected JSON: %s", jerr.text);
    }
    if (!json_equal(actual, expected)) {
        char *a = json_dumps(actual, JSON_SORT_KEYS);
        char *e = json_dumps(expected, JSON_SORT_KEYS);
        print_error("actual:   %s\nexpected: %s\n", a, e);
        free(a);
        free(e);
        json_decref(expected);
        fail();
    }
    json_decref(expected);
}

/* Parses a NULL-terminated command line for 'cmd' of 'group'. argv[0] is
 * the subcommand's name, as main() passes it. */
#define MAX_ARGV 64
struct cmdline {
    char *argv[MAX_ARGV];
    int argc;
    struct cli_args args;
};

/* A NULL-terminated argument list for parse_cmdline(). */
#define ARGV(...) ((const char *[]){__VA_ARGS__, NULL})

static int
parse_cmdline(struct cmdline *cl, const struct cli_group *group, const char *name,
              struct cli_error *err, const char *const *args)
{
    cl->argc = 0;
    cl->argv[cl->argc++] = xstrdup(name);
    for (; *args; args++) {
        assert_true(cl->argc < MAX_ARGV - 1);
        cl->argv[cl->argc++] = xstrdup(*args);
    }
    cl->argv[cl->argc] = NULL;
    const struct cli_command *cmd = cli_group_find(group, name);
    assert_non_null(cmd);
    return cli_args_parse(cmd, cl->argc, cl->argv, &cl->args, err);
}

static void
cmdline_free(struct cmdline *cl)
{
    cli_args_clear(&cl->args);
    for (int i = 0; i < cl->argc; i++) {
        free(cl->argv[i]);
    }
}

static void
test_url_parse(void **state)
{
    (void)state;
    struct http_url u;
    assert_int_equal(http_url_parse("http://127.0.0.1:9797", &u), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.port, "9797");
    assert_string_equal(u.prefix, "");
    http_url_clear(&u);

    assert_int_equal(http_url_parse("HTTP://lqnet.example/api/v1/", &u), 0);
    assert_string_equal(u.host, "lqnet.example");
    assert_string_equal(u.port, "80");
    assert_string_equal(u.prefix, "/api/v1");
    http_url_clear(&u);

    assert_int_equal(http_url_parse("http://[::1]:8080/", &u), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.port, "8080");
    assert_string_equal(u.prefix, "");
    http_url_clear(&u);

    assert_int_equal(http_url_parse("https://x", &u), -EPROTONOSUPPORT);
    static const char *const bad[] = {
        "127.0.0.1:9797", "http://",      "http://:80", "http://h:",    "http://h:0",
        "http://h:65536", "http://h:12x", "http://u@h", "http://h/p?q", "http://[::1",
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(bad); i++) {
        if (http_url_parse(bad[i], &u) != -EINVAL) {
            fail_msg("'%s' was accepted", bad[i]);
        }
    }
}

/* Feeds 'text' to the parser one prefix at a time: every proper prefix must
 * ask for more, the whole text must complete. */
static void
parse_incrementally(const char *text, struct http_response *resp)
{
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i++) {
        int ret = http_response_parse(text, i, false, resp);
        if (ret != 0) {
            fail_msg("prefix of %zu bytes gave %d", i, ret);
        }
    }
    assert_int_equal(http_response_parse(text, len, false, resp), 1);
}

static void
test_response_content_length(void **state)
{
    (void)state;
    struct http_response r;
    parse_incrementally("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "content-length:  7 \r\n\r\n{\"a\":1}",
                        &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_int_equal(r.body_len, 7);
    assert_string_equal(r.body, "{\"a\":1}");
    http_response_clear(&r);

    /* Extra bytes after the body are not part of it. */
    const char *extra = "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nabXYZ";
    assert_int_equal(http_response_parse(extra, strlen(extra), false, &r), 1);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "ab");
    assert_null(r.content_type);
    http_response_clear(&r);
}

static void
test_response_chunked(void **state)
{
    (void)state;
    struct http_response r;
    parse_incrementally("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n"
                        "1;ext=1\r\n \r\n"
                        "A\r\n0123456789\r\n"
                        "0\r\nX-Trailer: t\r\n\r\n",
                        &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(r.body_len, 16);
    assert_string_equal(r.body, "hello 0123456789");
    http_response_clear(&r);

    parse_incrementally("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", &r);
    assert_int_equal(r.body_len, 0);
    assert_string_equal(r.body, "");
    http_response_clear(&r);

    const char *bad_size = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert_int_equal(http_response_parse(bad_size, strlen(bad_size), false, &r), -EPROTO);
    const char *bad_end = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n";
    assert_int_equal(http_response_parse(bad_end, strlen(bad_end), false, &r), -EPROTO);
    const char *cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
    assert_int_equal(http_response_parse(cut, strlen(cut), false, &r), 0);
    assert_int_equal(http_response_parse(cut, strlen(cut), true, &r), -EPROTO);
}

static void
test_response_other(void **state)
{
    (void)state;
    struct http_response r;
    /* No length: the body runs to the end of the connection. */
    const char *close = "HTTP/1.0 500 Oops\r\n\r\nboom";
    assert_int_equal(http_response_parse(close, strlen(close), false, &r), 0);
    assert_int_equal(http_response_parse(close, strlen(close), true, &r), 1);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "boom");
    http_response_clear(&r);

    /* An interim 100 Continue comes before the real response. */
    const char *cont = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    assert_int_equal(http_response_parse(cont, strlen(cont), false, &r), 1);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.body_len, 0);
    http_response_clear(&r);

    const char *truncated = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
    assert_int_equal(http_response_parse(truncated, strlen(truncated), true, &r), -EPROTO);
    static const char *const bad[] = {
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(bad); i++) {
        if (http_response_parse(bad[i], strlen(bad[i]), false, &r) != -EPROTO) {
            fail_msg("'%s' was accepted", bad[i]);
        }
    }
    const char *no_header_end = "HTTP/1.1 200 OK\r\n";
    assert_int_equal(http_response_parse(no_header_end, strlen(no_header_end), true, &r), -EPROTO);
}

static void
test_format_post(void **state)
{
    (void)state;
    struct http_url u;
    assert_int_equal(http_url_parse("http://[::1]:9797/base", &u), 0);
    size_t len;
    char *req = http_format_post(&u, "/limiquantix.network.v1.PortService/GetPort",
                                 "application/json", "s3cret", "{}", 2, &len);
    assert_string_equal(req, "POST /base/limiquantix.network.v1.PortService/GetPort HTTP/1.1\r\n"
                             "Host: [::1]:9797\r\n"
                             "User-Agent: lqnet-cli\r\n"
                             "Content-Type: application/json\r\n"
                             "Connect-Protocol-Version: 1\r\n"
                             "Authorization: Bearer s3cret\r\n"
                             "Content-Length: 2\r\n"
                             "Connection: close\r\n"
                             "\r\n"
                             "{}");
    assert_int_equal(len, strlen(req));
    free(req);
    req = http_format_post(&u, "/x", "application/json", NULL, "", 0, &len);
    assert_null(strstr(req, "Authorization"));
    free(req);
    http_url_clear(&u);
}

/* Listens on an ephemeral loopback port; returns the socket and the port. */
static int
listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t len = sizeof sin;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    *port = ntohs(sin.sin_port);
    return fd;
}

/* The child of test_exchange: answers one request, in pieces, with a chunked
 * body that echoes the request line. */
static void
one_shot_server(int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    char req[4096];
    size_t len = 0;
    while (len < sizeof req - 1 && !memmem(req, len, "\r\n\r\n{}", 6)) {
        ssize_t n = read(fd, req + len, sizeof req - 1 - len);
        if (n <= 0) {
            _exit(1);
        }
        len += n;
    }
    size_t line = strcspn(req, "\r");
    char *chunk = xasprintf("%zx\r\n%.*s\r\n", line, (int)line, req);
    const char *parts[] = {"HTTP/1.1 200 OK\r\nTransfer-", "Encoding: chunked\r\n\r\n", chunk,
                           "0\r\n", "\r\n"};
    for (size_t i = 0; i < LQ_ARRAY_SIZE(parts); i++) {
        if (write(fd, parts[i], strlen(parts[i])) < 0) {
            _exit(1);
        }
        usleep(20000);
    }
    /* Keep the connection open: the client must stop at the end of the body. */
    usleep(300000);
    _exit(0);
}

static void
test_exchange(void **state)
{
    (void)state;
    int port;
    int lfd = listen_loopback(&port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        one_shot_server(lfd);
    }
    close(lfd);

    char *url_text = xasprintf("http://127.0.0.1:%d", port);
    struct http_url url;
    assert_int_equal(http_url_parse(url_text, &url), 0);
    size_t req_len;
    char *req = http_format_post(&url, "/p/Q", "application/json", "t", "{}", 2, &req_len);
    struct http_response resp;
    const char *detail;
    long long start = lq_time_msec();
    assert_int_equal(http_exchange(&url, req, req_len, 5000, &resp, &detail), 0);
    assert_true(lq_time_msec() - start < 300);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "POST /p/Q HTTP/1.1");
    http_response_clear(&resp);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Nothing listens there any more. */
    assert_int_equal(http_exchange(&url, req, req_len, 5000, &resp, &detail), -ECONNREFUSED);
    free(req);
    free(url_text);
    http_url_clear(&url);
}

static void
test_decode_response(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct http_response r = {200, NULL, xstrdup("{\"id\":\"x\"}"), 10};
    json_t *j = cli_decode_response(&r, &err);
    assert_json_eq(j, "{\"id\":\"x\"}");
    json_decref(j);
    http_response_clear(&r);

    r = (struct http_response){200, NULL, xstrdup(""), 0};
    j = cli_decode_response(&r, &err);
    assert_json_eq(j, "{}");
    json_decref(j);
    http_response_clear(&r);

    const char *connect_err = "{\"code\":\"invalid_argument\",\"message\":\"spec.ipConfig."
                              "ipv4Subnet: '10.0.1.0/33' is not a CIDR\"}";
    r = (struct http_response){400, NULL, xstrdup(connect_err), strlen(connect_err)};
    assert_null(cli_decode_response(&r, &err));
    assert_int_equal(err.status, CLI_API_ERROR);
    assert_string_equal(err.code, "invalid_argument");
    assert_string_equal(err.message, "spec.ipConfig.ipv4Subnet: '10.0.1.0/33' is not a CIDR");
    cli_error_clear(&err);
    http_response_clear(&r);

    /* Not a Connect error body: the code comes from the HTTP status. */
    r = (struct http_response){404, NULL, xstrdup("Not Found\nmore"), 14};
    assert_null(cli_decode_response(&r, &err));
    assert_string_equal(err.code, "unimplemented");
    assert_non_null(strstr(err.message, "HTTP 404"));
    assert_non_null(strstr(err.message, "(Not Found)"));
    cli_error_clear(&err);
    http_response_clear(&r);

    r = (struct http_response){401, NULL, xstrdup(""), 0};
    assert_null(cli_decode_response(&r, &err));
    assert_string_equal(err.code, "unauthenticated");
    cli_error_clear(&err);
    http_response_clear(&r);

    r = (struct http_response){200, NULL, xstrdup("[1]"), 3};
    assert_null(cli_decode_response(&r, &err));
    assert_string_equal(err.code, "internal");
    cli_error_clear(&err);
    http_response_clear(&r);
}

static void
test_table(void **state)
{
    (void)state;
    static const char *const headers[] = {"ID", "NAME", "IPS"};
    struct cli_table *t = cli_table_new(3, headers);
    cli_table_add_row(t, (const char *[]){"1", "caf\xc3\xa9", "10.0.0.1\n10.0.0.22"});
    cli_table_add_row(t, (const char *[]){"22", "", NULL});
    char *s = cli_table_render(t);
    assert_string_equal(s, "+----+------+-----------+\n"
                           "| ID | NAME | IPS       |\n"
                           "+----+------+-----------+\n"
                           "| 1  | caf\xc3\xa9 | 10.0.0.1  |\n"
                           "|    |      | 10.0.0.22 |\n"
                           "| 22 |      |           |\n"
                           "+----+------+-----------+\n");
    free(s);
    cli_table_destroy(t);

    t = cli_table_new(1, (const char *[]){"ID"});
    s = cli_table_render(t);
    assert_string_equal(s, "+----+\n| ID |\n+----+\n");
    free(s);
    cli_table_destroy(t);
    cli_table_destroy(NULL);
}

static void
test_args_parse(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    /* Options and positionals mix; globals apply at once. */
    assert_int_equal(
        parse_cmdline(&cl, &network_group, "create", &err,
                      ARGV("--subnet", "10.0.0.0/24", "web", "-o", "json", "--dns=1.1.1.1")),
        0);
    assert_int_equal(cl.args.n_pos, 1);
    assert_string_equal(cl.args.pos[0], "web");
    assert_int_equal(cl.args.n_opts, 2);
    assert_string_equal(cli_args_get(&cl.args, cl.args.opts[0].key), "10.0.0.0/24");
    assert_string_equal(cl.args.opts[1].value, "1.1.1.1");
    assert_int_equal(cli_get_output(), CLI_OUTPUT_JSON);
    assert_false(cl.args.help);
    cmdline_free(&cl);
    assert_true(cli_set_output("table"));

    assert_int_equal(parse_cmdline(&cl, &network_group, "create", &err, ARGV("-h")), 0);
    assert_true(cl.args.help); /* No NAME needed for help. */
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &network_group, "create", &err, ARGV("web", "--bogus")),
                     -1);
    assert_int_equal(err.status, CLI_USAGE);
    assert_string_equal(err.message, "unknown option '--bogus'");
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &network_group, "create", &err, ARGV("web", "--mtu")), -1);
    assert_string_equal(err.message, "option '--mtu' needs a value");
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &network_group, "show", &err, ARGV("a", "b")), -1);
    assert_string_equal(err.message, "unexpected argument 'b'");
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &network_group, "show", &err, (const char *[]){NULL}), -1);
    assert_non_null(strstr(err.message, "missing arguments"));
    cli_error_clear(&err);
    cmdline_free(&cl);

    /* "--" ends the options: a name may start with a dash. */
    assert_int_equal(parse_cmdline(&cl, &network_group, "delete", &err, ARGV("--", "-odd")), 0);
    assert_string_equal(cl.args.pos[0], "-odd");
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &network_group, "list", &err, ARGV("-o", "yaml")), -1);
    assert_non_null(strstr(err.message, "'yaml'"));
    cli_error_clear(&err);
    cmdline_free(&cl);
}

static void
test_network_create(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(
        parse_cmdline(
            &cl, &network_group, "create", &err,
            ARGV("app", "--subnet", "10.0.1.0/24", "--gateway", "10.0.1.1", "--pool",
                 "10.0.1.10-10.0.1.99", "--pool", "10.0.1.150-10.0.1.160", "--reserve", "10.0.1.5",
                 "--dns", "1.1.1.1", "--dns", "8.8.8.8", "--ntp", "10.0.0.123", "--domain",
                 "lab.example", "--lease", "3600", "--type", "VLAN", "--vlan", "100",
                 "--physical-network", "physnet1", "--ipv6-subnet", "fd00::/64", "--ipv6-gateway",
                 "fd00::1", "--mtu", "1400", "--no-port-security", "--shared", "--project", "acme",
                 "--description", "the app tier", "--label", "tier=app", "--label",
                 "env=", "--static", "52:54:00:00:00:01=10.0.1.20=db1", "--static",
                 "52:54:00:00:00:02=10.0.1.21", "--external-gateway", "public", "--no-dhcp")),
        0);
    json_t *req = network_create_request(&cl.args, &err);
    assert_int_equal(err.status, CLI_OK);
    assert_json_eq(req, "{\"name\": \"app\", \"projectId\": \"acme\", \"description\": \"the app "
                        "tier\", \"labels\": {\"tier\": \"app\", \"env\": \"\"},"
                        " \"spec\": {\"type\": \"VLAN\","
                        "  \"ipConfig\": {\"ipv4Subnet\": \"10.0.1.0/24\", \"ipv4Gateway\": "
                        "\"10.0.1.1\", \"ipv6Subnet\": \"fd00::/64\", \"ipv6Gateway\": \"fd00::1\","
                        "   \"dhcp\": {\"enabled\": false, \"leaseTimeSec\": 3600,"
                        "     \"dnsServers\": [\"1.1.1.1\", \"8.8.8.8\"], \"ntpServers\": "
                        "[\"10.0.0.123\"], \"domainName\": \"lab.example\","
                        "     \"staticBindings\": [{\"macAddress\": \"52:54:00:00:00:01\", "
                        "\"ipAddress\": \"10.0.1.20\", \"hostname\": \"db1\"},"
                        "       {\"macAddress\": \"52:54:00:00:00:02\", \"ipAddress\": "
                        "\"10.0.1.21\"}]},"
                        "   \"allocationPools\": [{\"start\": \"10.0.1.10\", \"end\": "
                        "\"10.0.1.99\"}, {\"start\": \"10.0.1.150\", \"end\": \"10.0.1.160\"}],"
                        "   \"reservedIps\": [\"10.0.1.5\"]},"
                        "  \"vlan\": {\"vlanId\": 100, \"physicalNetwork\": \"physnet1\"},"
                        "  \"router\": {\"enabled\": true, \"externalGatewayNetworkId\": \"" NET_PUB
                        "\"},"
                        "  \"mtu\": 1400, \"portSecurityEnabled\": false, \"shared\": true}}");
    json_decref(req);
    cmdline_free(&cl);
    /* The gateway network was found by name among the external ones. */
    assert_int_equal(json_array_size(fake_log), 1);
    assert_string_equal(logged_method(0), "VirtualNetworkService/ListNetworks");
    assert_string_equal(cli_json_str(json_array_get(fake_log, 0), "req.type"), "EXTERNAL");

    /* The minimal form, and overlay (the zero value) is never sent. */
    json_array_clear(fake_log);
    assert_int_equal(parse_cmdline(&cl, &network_group, "create", &err,
                                   ARGV("web", "--type", "overlay", "--subnet", "10.0.2.0/24")),
                     0);
    req = network_create_request(&cl.args, &err);
    assert_json_eq(req, "{\"name\": \"web\", \"spec\": {\"ipConfig\": {\"ipv4Subnet\": "
                        "\"10.0.2.0/24\"}}}");
    assert_int_equal(json_array_size(fake_log), 0);
    json_decref(req);
    cmdline_free(&cl);

    static const char *const bad[][2] = {
        {"--pool", "10.0.0.1"},    {"--pool", "-10.0.0.9"}, {"--static", "aa:bb"},
        {"--static", "=10.0.0.1"}, {"--static", "m=ip="},   {"--type", "flat"},
        {"--vlan", "4095"},        {"--vlan", "x"},         {"--mtu", "100"},
        {"--label", "=v"},         {"--label", "novalue"},  {"--lease", "10"},
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(bad); i++) {
        assert_int_equal(
            parse_cmdline(&cl, &network_group, "create", &err, ARGV("n", bad[i][0], bad[i][1])), 0);
        req = network_create_request(&cl.args, &err);
        if (req || err.status != CLI_USAGE) {
            fail_msg("%s %s was accepted", bad[i][0], bad[i][1]);
        }
        cli_error_clear(&err);
        cmdline_free(&cl);
    }
}

static void
test_network_update(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(
        parse_cmdline(&cl, &network_group, "update", &err,
                      ARGV("web", "--dns", "1.1.1.1", "--description", "d", "--dns", "9.9.9.9",
                           "--no-port-security", "--lease", "600", "--label", "a=b")),
        0);
    json_t *req = network_update_request(&cl.args, &err);
    assert_json_eq(req, "{\"id\": \"" NET_WEB "\", \"description\": \"d\","
                        " \"labels\": {\"a\": \"b\"},"
                        " \"spec\": {\"ipConfig\": {\"dhcp\": {\"dnsServers\": [\"1.1.1.1\", "
                        "\"9.9.9.9\"], \"leaseTimeSec\": 600}}, \"portSecurityEnabled\": false},"
                        " \"updateMask\": \"spec.ipConfig.dhcp.dnsServers,description,"
                        "spec.portSecurityEnabled,spec.ipConfig.dhcp.leaseTimeSec,labels\"}");
    json_decref(req);
    cmdline_free(&cl);

    /* Clearing a list sends it empty and names it in the mask. */
    assert_int_equal(parse_cmdline(&cl, &network_group, "update", &err,
                                   ARGV(NET_DB1, "--no-dns", "--port-security", "--no-router")),
                     0);
    json_array_clear(fake_log);
    req = network_update_request(&cl.args, &err);
    assert_int_equal(json_array_size(fake_log), 0); /* An id needs no lookup. */
    assert_json_eq(req, "{\"id\": \"" NET_DB1 "\", \"spec\": {\"ipConfig\": {\"dhcp\": "
                        "{\"dnsServers\": []}}, \"portSecurityEnabled\": true, \"router\": "
                        "{\"enabled\": false}}, \"updateMask\": \"spec.ipConfig.dhcp.dnsServers,"
                        "spec.portSecurityEnabled,spec.router.enabled\"}");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &network_group, "update", &err,
                                   ARGV("web", "--external-gateway", "public")),
                     0);
    req = network_update_request(&cl.args, &err);
    assert_json_eq(req, "{\"id\": \"" NET_WEB "\", \"spec\": {\"router\": {\"enabled\": true, "
                        "\"externalGatewayNetworkId\": \"" NET_PUB "\"}}, \"updateMask\": "
                        "\"spec.router.externalGatewayNetworkId,spec.router.enabled\"}");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &network_group, "update", &err, ARGV("web")), 0);
    assert_null(network_update_request(&cl.args, &err));
    assert_int_equal(err.status, CLI_USAGE);
    assert_non_null(strstr(err.message, "nothing to update"));
    cli_error_clear(&err);
    cmdline_free(&cl);

    /* Name lookups fail as API errors. */
    assert_int_equal(parse_cmdline(&cl, &network_group, "update", &err, ARGV("db", "--mtu", "0")),
                     0);
    assert_null(network_update_request(&cl.args, &err));
    assert_int_equal(err.status, CLI_API_ERROR);
    assert_string_equal(err.code, "invalid_argument");
    assert_non_null(strstr(err.message, NET_DB1));
    assert_non_null(strstr(err.message, NET_DB2));
    cli_error_clear(&err);
    cmdline_free(&cl);
}

static void
test_resolve(void **state)
{
    (void)state;
    struct cli_error err = {0};
    char *id = cli_resolve(&cli_network_resource, NET_DB2, NULL, &err);
    assert_string_equal(id, NET_DB2);
    assert_int_equal(json_array_size(fake_log), 0);
    free(id);

    id = cli_resolve(&cli_network_resource, "public", "acme", &err);
    assert_string_equal(id, NET_PUB);
    free(id);
    assert_string_equal(cli_json_str(json_array_get(fake_log, 0), "req.projectId"), "acme");
    assert_string_equal(cli_json_str(json_array_get(fake_log, 1), "req.projectId"), "acme");

    assert_null(cli_resolve(&cli_network_resource, "nope", NULL, &err));
    assert_int_equal(err.status, CLI_API_ERROR);
    assert_string_equal(err.code, "not_found");
    assert_string_equal(err.message, "no network is named 'nope'; 'lqnet network list' shows them");
    cli_error_clear(&err);

    assert_null(cli_resolve(&cli_network_resource, "db", NULL, &err));
    assert_string_equal(err.message, "2 networks are named 'db' (" NET_DB1 ", " NET_DB2
                                     "); give the id instead");
    cli_error_clear(&err);

    /* A failing list call is passed on as it is. */
    assert_null(cli_resolve(&cli_token_resource, "ci", NULL, &err));
    assert_string_equal(err.code, "unimplemented");
    cli_error_clear(&err);

    json_t *all = cli_list_all(&cli_network_resource, NULL, &err);
    assert_int_equal(json_array_size(json_object_get(all, "networks")), 4);
    assert_null(json_object_get(all, "nextPageToken"));
    json_decref(all);
}

static void
test_port_requests(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(
        parse_cmdline(&cl, &port_group, "create", &err,
                      ARGV("p1", "--network", "web", "--mac", "52:54:00:00:00:09", "--ip",
                           "10.0.1.9", "--ip", "fd00::9", "--no-port-security", "--admin-down",
                           "--security-group", "web", "--security-group", SG_WEB,
                           "--allowed-address", "10.0.1.250", "--allowed-address",
                           "10.0.1.0/24,52:54:00:00:00:0a", "--host", "hv1", "--label", "role=lb")),
        0);
    json_t *req = port_create_request(&cl.args, &err);
    assert_json_eq(req, "{\"name\": \"p1\", \"networkId\": \"" NET_WEB "\", \"labels\": "
                        "{\"role\": \"lb\"}, \"spec\": {\"macAddress\": \"52:54:00:00:00:09\","
                        " \"fixedIps\": [{\"ipAddress\": \"10.0.1.9\"}, {\"ipAddress\": "
                        "\"fd00::9\"}], \"portSecurityEnabled\": false, \"adminStateUp\": false,"
                        " \"securityGroupIds\": [\"" SG_WEB "\", \"" SG_WEB "\"],"
                        " \"allowedAddressPairs\": [{\"ipAddress\": \"10.0.1.250\"}, "
                        "{\"ipAddress\": \"10.0.1.0/24\", \"macAddress\": \"52:54:00:00:00:0a\"}],"
                        " \"binding\": {\"hostId\": \"hv1\"}}}");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &port_group, "create", &err, ARGV("p1")), 0);
    assert_null(port_create_request(&cl.args, &err));
    assert_int_equal(err.status, CLI_USAGE);
    assert_string_equal(err.message, "--network is required");
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(
        parse_cmdline(&cl, &port_group, "update", &err,
                      ARGV("a", "--admin-up", "--security-group", "web", "--no-allowed-addresses")),
        0);
    req = port_update_request(&cl.args, &err);
    assert_json_eq(req, "{\"id\": \"" PORT_A "\", \"spec\": {\"adminStateUp\": true, "
                        "\"allowedAddressPairs\": [], \"securityGroupIds\": [\"" SG_WEB "\"]},"
                        " \"updateMask\": \"spec.adminStateUp,spec.allowedAddressPairs,"
                        "spec.securityGroupIds\"}");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(
        parse_cmdline(&cl, &port_group, "list", &err, ARGV("--network", "public", "--vm", "vm-7")),
        0);
    req = port_list_request(&cl.args, &err);
    assert_json_eq(req, "{\"vmId\": \"vm-7\", \"networkId\": \"" NET_PUB "\"}");
    json_decref(req);
    cmdline_free(&cl);
}

static void
test_token_request(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(parse_cmdline(&cl, &token_group, "create", &err,
                                   ARGV("--project", "acme", "--role", "member", "--name", "ci")),
                     0);
    json_t *req = token_create_request(&cl.args, &err);
    assert_json_eq(req, "{\"projectId\": \"acme\", \"role\": \"member\", \"name\": \"ci\"}");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &token_group, "create", &err,
                                   ARGV("--project", "acme", "--role", "root")),
                     0);
    assert_null(token_create_request(&cl.args, &err));
    assert_int_equal(err.status, CLI_USAGE);
    cli_error_clear(&err);
    cmdline_free(&cl);
}

static void
test_json_helpers(void **state)
{
    (void)state;
    json_t *req = json_object();
    cli_mask_add(req, "spec.mtu");
    cli_mask_add(req, "spec");
    cli_mask_add(req, "spec.mtu");
    cli_mask_add(req, "spec.mt");
    assert_string_equal(cli_json_str(req, "updateMask"), "spec.mtu,spec,spec.mt");
    cli_json_set(req, "a.b.c", json_integer(7));
    cli_json_append(req, "a.list", json_true());
    cli_json_append(req, "a.list", json_string("x"));
    char *text = cli_json_text(req, "a.b.c", "");
    assert_string_equal(text, "7");
    free(text);
    text = cli_json_text(req, "a.list", "|");
    assert_string_equal(text, "yes|x");
    free(text);
    text = cli_json_text(req, "a.missing", "|");
    assert_string_equal(text, "");
    free(text);
    assert_string_equal(cli_json_str(req, "a.b"), "");
    json_decref(req);

    char *s = xstrdup("");
    cli_append(&s, ", ", "%d", 1);
    cli_append(&s, ", ", "%s", "two");
    assert_string_equal(s, "1, two");
    free(s);
}

static void
test_output_tables(void **state)
{
    (void)state;
    json_t *net = json_loads(
        "{\"id\": \"" NET_WEB "\", \"name\": \"web\", \"projectId\": \"acme\","
        " \"spec\": {\"ipConfig\": {\"ipv4Subnet\": \"10.0.1.0/24\", \"dhcp\": {\"dnsServers\":"
        " [\"1.1.1.1\", \"8.8.8.8\"], \"leaseTimeSec\": 3600}}, \"type\": \"VLAN\"},"
        " \"status\": {\"phase\": \"READY\", \"portCount\": 3, \"mtu\": 1442,"
        " \"ipStatus\": {\"ipv4Total\": \"253\", \"ipv4Allocated\": \"3\", \"ipv4Available\": "
        "\"250\"}}}",
        0, NULL);
    assert_non_null(net);
    struct cli_table *t = network_show_table(net);
    char *s = cli_table_render(t);
    /* Column widths depend on the longest value; compare cell by cell. */
    static const char *const cells[][2] = {
        {"type", "vlan"},
        {"status", "READY"},
        {"mtu", "1442"},
        {"ports", "3"},
        {"port security", "enabled"},
        {"ip usage", "IPv4: 3 allocated, 250 available, 253 total"},
        {"dhcp", "enabled"},
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(cells); i++) {
        char *needle = xasprintf("| %s ", cells[i][0]);
        const char *row = strstr(s, needle);
        const char *bar = row ? strchr(row + 1, '|') : NULL;
        if (!bar || strncmp(bar + 2, cells[i][1], strlen(cells[i][1]))) {
            fail_msg("row '%s' is not '%s' in\n%s", cells[i][0], cells[i][1], s);
        }
        free(needle);
    }
    assert_non_null(strstr(s, "| lease: 3600 s"));
    assert_non_null(strstr(s, "| dns: 1.1.1.1, 8.8.8.8"));
    assert_null(strstr(s, "\n| vlan ")); /* Rows without a value are left out. */
    free(s);
    cli_table_destroy(t);

    json_t *list = json_pack("[O, {s:s, s:s}]", net, "id", NET_DB1, "name", "db");
    t = network_list_table(list);
    s = cli_table_render(t);
    assert_string_equal(s,
                        "+--------------------------------------+------+---------+-------------"
                        "+---------+-------+------+\n"
                        "| ID                                   | NAME | TYPE    | SUBNET      "
                        "| STATUS  | PORTS | MTU  |\n"
                        "+--------------------------------------+------+---------+-------------"
                        "+---------+-------+------+\n"
                        "| " NET_WEB " | web  | vlan    | 10.0.1.0/24 | READY   | 3     | 1442 |\n"
                        "| " NET_DB1 " | db   | overlay |             | UNKNOWN | 0     |      |\n"
                        "+--------------------------------------+------+---------+-------------"
                        "+---------+-------+------+\n");
    free(s);
    cli_table_destroy(t);
    json_decref(list);
    json_decref(net);

    json_t *ports =
        json_loads("[{\"id\": \"" PORT_A "\", \"name\": \"a\", \"networkId\": \"" NET_WEB "\","
                   " \"spec\": {\"fixedIps\": [{\"ipAddress\": \"10.0.1.9\"}]},"
                   " \"status\": {\"phase\": \"ACTIVE\", \"macAddress\": \"52:54:00:00:00:09\","
                   " \"hostId\": \"hv1\"}}]",
                   0, NULL);
    json_t *names = json_pack("{s:s}", NET_WEB, "web");
    t = port_list_table(ports, names);
    s = cli_table_render(t);
    assert_non_null(strstr(s, "| " PORT_A " | a    | web     | 52:54:00:00:00:09 | 10.0.1.9 | "
                              "ACTIVE | hv1  |\n"));
    free(s);
    cli_table_destroy(t);
    json_decref(names);
    json_decref(ports);
}

/* Runs subcommand 'name' of 'group' on 'argv' and returns its exit status,
 * with what it printed to stdout in '*out' and to stderr in '*errout'
 * (caller frees both). */
static int
run_captured(const struct cli_group *group, const char *name, const char *const *argv, char **out,
             char **errout)
{
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(parse_cmdline(&cl, group, name, &err, argv), 0);
    FILE *files[2] = {tmpfile(), tmpfile()};
    int saved[2];
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 2; i++) {
        assert_non_null(files[i]);
        saved[i] = dup(i + 1);
        assert_true(saved[i] >= 0);
        assert_true(dup2(fileno(files[i]), i + 1) >= 0);
    }
    int status = cli_group_find(group, name)->run(&cl.args);
    fflush(stdout);
    fflush(stderr);
    char **texts[2] = {out, errout};
    for (int i = 0; i < 2; i++) {
        assert_true(dup2(saved[i], i + 1) >= 0);
        close(saved[i]);
        long len = ftell(files[i]);
        assert_true(len >= 0);
        *texts[i] = xcalloc(1, len + 1);
        rewind(files[i]);
        assert_int_equal(fread(*texts[i], 1, len, files[i]), (size_t)len);
        fclose(files[i]);
    }
    cmdline_free(&cl);
    return status;
}

static void
test_delete_each(void **state)
{
    (void)state;
    assert_true(cli_set_output("table"));
    char *out, *errout;
    /* A failure in the middle stops neither the rest nor the --force. */
    assert_int_equal(run_captured(&network_group, "delete",
                                  ARGV("web", "nope", "public", "--force"), &out, &errout),
                     CLI_API_ERROR);
    assert_string_equal(out, "Deleted network web (" NET_WEB ")\n"
                             "Deleted network public (" NET_PUB ")\n");
    assert_string_equal(errout, "error: not_found: no network is named 'nope'; 'lqnet network "
                                "list' shows them\n");
    json_t *deletes = json_array();
    size_t i;
    json_t *call;
    json_array_foreach(fake_log, i, call)
    {
        if (!strcmp(logged_method(i), "VirtualNetworkService/DeleteNetwork")) {
            json_array_append(deletes, json_object_get(call, "req"));
        }
    }
    assert_json_eq(deletes, "[{\"id\": \"" NET_WEB "\", \"force\": true},"
                            " {\"id\": \"" NET_PUB "\", \"force\": true}]");
    json_decref(deletes);
    free(out);
    free(errout);

    /* Without --force the request is the id alone; tokens are reported by id. */
    json_array_clear(fake_log);
    assert_int_equal(run_captured(&network_group, "delete", ARGV(NET_DB1), &out, &errout), CLI_OK);
    assert_json_eq(json_object_get(json_array_get(fake_log, 0), "req"),
                   "{\"id\": \"" NET_DB1 "\"}");
    free(out);
    free(errout);
    assert_int_equal(run_captured(&token_group, "revoke", ARGV(PORT_A), &out, &errout), CLI_OK);
    assert_string_equal(out, "Revoked token " PORT_A "\n");
    assert_string_equal(errout, "");
    free(out);
    free(errout);

    /* -o json prints nothing on success. */
    assert_true(cli_set_output("json"));
    assert_int_equal(run_captured(&token_group, "revoke", ARGV(PORT_A), &out, &errout), CLI_OK);
    assert_string_equal(out, "");
    free(out);
    free(errout);
    assert_true(cli_set_output("table"));
}

static void
test_sg_rule_parse(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *json;
    } good[] = {
        {"egress", "{\"direction\": \"EGRESS\"}"},
        {"ingress,any", "{}"},
        {"Ingress,TCP,22", "{\"protocol\": \"tcp\", \"portMin\": 22, \"portMax\": 22}"},
        {"ingress,tcp,8000-8080,10.0.0.0/8,drop",
         "{\"protocol\": \"tcp\", \"portMin\": 8000, \"portMax\": 8080,"
         " \"remoteIpPrefix\": \"10.0.0.0/8\", \"action\": \"DROP\"}"},
        {"ingress,udp,reject,fd00::/64,53,priority=999,ethertype=ipv6",
         "{\"protocol\": \"udp\", \"portMin\": 53, \"portMax\": 53, \"remoteIpPrefix\": "
         "\"fd00::/64\", \"action\": \"REJECT\", \"priority\": 999, \"ethertype\": \"IPv6\"}"},
        {"egress,icmp,type=8,code=0,allow",
         "{\"direction\": \"EGRESS\", \"protocol\": \"icmp\", \"icmpType\": 8, \"icmpCode\": 0}"},
        {"ingress,132,group=web", "{\"protocol\": \"132\", \"remoteSecurityGroupId\": \"web\"}"},
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(good); i++) {
        struct cli_error err = {0};
        json_t *rule = sg_rule_parse(good[i].spec, &err);
        if (!rule) {
            fail_msg("'%s': %s", good[i].spec, err.message);
        }
        assert_json_eq(rule, good[i].json);
        json_decref(rule);
    }

    static const struct {
        const char *spec, *message;
    } bad[] = {
        {"tcp,22", "--rule 'tcp,22' expects ingress or egress first, not 'tcp'"},
        {"", "--rule '' has an empty field"},
        {"ingress,,22", "--rule 'ingress,,22' has an empty field"},
        {"ingress,gre", "--rule 'ingress,gre' expects tcp, udp, sctp, icmp, icmpv6, any or a "
                        "number 0-255, not 'gre'"},
        {"ingress,256", "not '256'"},
        {"ingress,tcp,0", "expects a port 1-65535 or a range MIN-MAX, not '0'"},
        {"ingress,tcp,90-80", "not '90-80'"},
        {"ingress,tcp,1-2-3", "not '1-2-3'"},
        {"ingress,tcp,65536", "not '65536'"},
        {"ingress,tcp,ssh", "expects a port, MIN-MAX, a CIDR, allow, drop, reject or KEY=VALUE, "
                            "not 'ssh'"},
        {"ingress,tcp,22,23", "--rule 'ingress,tcp,22,23' gives the ports twice"},
        {"ingress,tcp,10.0.0.0/8,group=web", "gives the remote (CIDR or group=) twice"},
        {"ingress,tcp,drop,allow", "gives the action twice"},
        {"ingress,tcp,priority=1000", "expects a priority from 0 to 999, not '1000'"},
        {"ingress,icmp,type=-1", "expects an ICMP type from 0 to 255, not '-1'"},
        {"ingress,any,ethertype=ipx", "expects IPv4 or IPv6, not 'ipx'"},
        {"ingress,any,group=", "not 'group='"},
        {"ingress,any,port=22", "not 'port=22'"},
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(bad); i++) {
        struct cli_error err = {0};
        if (sg_rule_parse(bad[i].spec, &err)) {
            fail_msg("'%s' was accepted", bad[i].spec);
        }
        assert_int_equal(err.status, CLI_USAGE);
        if (!strstr(err.message, bad[i].message)) {
            fail_msg("'%s': '%s' does not say '%s'", bad[i].spec, err.message, bad[i].message);
        }
        cli_error_clear(&err);
    }
}

static void
test_sg_requests(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(parse_cmdline(&cl, &sg_group, "create", &err,
                                   ARGV("db", "--rule", "ingress,tcp,5432,group=app", "--stateless",
                                        "--description", "the db", "--rule", "egress", "--project",
                                        "acme", "--label", "tier=db")),
                     0);
    json_t *req = sg_create_request(&cl.args, &err);
    assert_json_eq(req,
                   "{\"name\": \"db\", \"stateful\": false, \"description\": \"the db\","
                   " \"projectId\": \"acme\", \"labels\": {\"tier\": \"db\"}, \"rules\": ["
                   "{\"protocol\": \"tcp\", \"portMin\": 5432, \"portMax\": 5432,"
                   " \"remoteSecurityGroupId\": \"" SG_APP "\"}, {\"direction\": \"EGRESS\"}]}");
    json_decref(req);
    /* The remote group's name was looked up in the group's project. */
    assert_string_equal(logged_method(0), "SecurityGroupService/ListSecurityGroups");
    assert_string_equal(cli_json_str(json_array_get(fake_log, 0), "req.projectId"), "acme");
    cmdline_free(&cl);

    /* A bad RULESPEC is found before any lookup. */
    json_array_clear(fake_log);
    assert_int_equal(parse_cmdline(&cl, &sg_group, "create", &err,
                                   ARGV("db", "--rule", "ingress,any,group=app", "--rule", "out")),
                     0);
    assert_null(sg_create_request(&cl.args, &err));
    assert_int_equal(err.status, CLI_USAGE);
    assert_int_equal(json_array_size(fake_log), 0);
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &sg_group, "create", &err,
                                   ARGV("db", "--rule", "ingress,any,group=nope")),
                     0);
    assert_null(sg_create_request(&cl.args, &err));
    assert_string_equal(err.code, "not_found");
    assert_non_null(strstr(err.message, "no security group is named 'nope'"));
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(
        parse_cmdline(&cl, &sg_group, "update", &err,
                      ARGV("web", "--description", "public", "--label", "a=1", "--label", "b=2")),
        0);
    req = sg_update_request(&cl.args, &err);
    assert_json_eq(req, "{\"id\": \"" SG_WEB "\", \"description\": \"public\","
                        " \"labels\": {\"a\": \"1\", \"b\": \"2\"}}");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &sg_group, "update", &err, ARGV("web")), 0);
    assert_null(sg_update_request(&cl.args, &err));
    assert_int_equal(err.status, CLI_USAGE);
    assert_non_null(strstr(err.message, "nothing to update"));
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(
        parse_cmdline(&cl, &sg_group, "rule add", &err,
                      ARGV("web", "--egress", "--protocol", "ICMPv6", "--icmp-type", "128",
                           "--icmp-code", "0", "--remote-group", "app", "--action", "Reject",
                           "--priority", "7", "--ethertype", "IPv6", "--description", "ping")),
        0);
    req = sg_rule_add_request(&cl.args, &err);
    assert_json_eq(req, "{\"securityGroupId\": \"" SG_WEB "\", \"rule\": {\"direction\": "
                        "\"EGRESS\", \"protocol\": \"icmpv6\", \"icmpType\": 128, \"icmpCode\": 0,"
                        " \"remoteSecurityGroupId\": \"" SG_APP "\", \"action\": \"REJECT\","
                        " \"priority\": 7, \"ethertype\": \"IPv6\", \"description\": \"ping\"}}");
    json_decref(req);
    cmdline_free(&cl);

    /* Defaults are the zero values, which are not sent; the last of
     * --ingress/--egress wins. */
    assert_int_equal(
        parse_cmdline(&cl, &sg_group, "rule add", &err,
                      ARGV(SG_APP, "--egress", "--ingress", "--protocol", "any", "--action",
                           "allow", "--port", "80-81", "--remote-ip", "10.0.0.0/8")),
        0);
    req = sg_rule_add_request(&cl.args, &err);
    assert_json_eq(req, "{\"securityGroupId\": \"" SG_APP "\", \"rule\": {\"portMin\": 80,"
                        " \"portMax\": 81, \"remoteIpPrefix\": \"10.0.0.0/8\"}}");
    json_decref(req);
    cmdline_free(&cl);

    static const char *const bad[][4] = {
        {"--remote-ip", "10.0.0.0/8", "--remote-group", "give --remote-ip or --remote-group"},
        {"--port", "0", NULL, "--port expects a port 1-65535"},
        {"--priority", "-1", NULL, "--priority expects a priority from 0 to 999, not '-1'"},
        {"--action", "deny", NULL, "--action expects allow, drop or reject, not 'deny'"},
        {"--icmp-code", "256", NULL, "--icmp-code expects an ICMP code from 0 to 255"},
        {"--protocol", "ip", NULL, "--protocol expects tcp, udp"},
        {"--ethertype", "4", NULL, "--ethertype expects IPv4 or IPv6"},
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(bad); i++) {
        assert_int_equal(parse_cmdline(&cl, &sg_group, "rule add", &err,
                                       bad[i][2]
                                           ? ARGV("web", bad[i][0], bad[i][1], bad[i][2], "app")
                                           : ARGV("web", bad[i][0], bad[i][1])),
                         0);
        assert_null(sg_rule_add_request(&cl.args, &err));
        assert_int_equal(err.status, CLI_USAGE);
        if (!strstr(err.message, bad[i][3])) {
            fail_msg("'%s' does not say '%s'", err.message, bad[i][3]);
        }
        cli_error_clear(&err);
        cmdline_free(&cl);
    }

    assert_int_equal(parse_cmdline(&cl, &sg_group, "list", &err, ARGV("--project", "acme")), 0);
    req = sg_list_request(&cl.args, &err);
    assert_json_eq(req, "{\"projectId\": \"acme\"}");
    json_decref(req);
    cmdline_free(&cl);
}

static void
test_port_security_groups(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(
        parse_cmdline(&cl, &port_group, "update", &err,
                      ARGV("a", "--security-group", "app", "--security-group", SG_WEB)),
        0);
    json_t *req = port_update_request(&cl.args, &err);
    assert_json_eq(req, "{\"id\": \"" PORT_A "\", \"spec\": {\"securityGroupIds\": [\"" SG_APP
                        "\", \"" SG_WEB "\"]}, \"updateMask\": \"spec.securityGroupIds\"}");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &port_group, "update", &err,
                                   ARGV("a", "--no-security-groups", "--no-port-security")),
                     0);
    req = port_update_request(&cl.args, &err);
    assert_json_eq(req, "{\"id\": \"" PORT_A "\", \"spec\": {\"securityGroupIds\": [],"
                        " \"portSecurityEnabled\": false}, \"updateMask\": "
                        "\"spec.securityGroupIds,spec.portSecurityEnabled\"}");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &port_group, "update", &err,
                                   ARGV("a", "--no-security-groups", "--security-group", "web")),
                     0);
    assert_null(port_update_request(&cl.args, &err));
    assert_int_equal(err.status, CLI_USAGE);
    assert_string_equal(err.message, "give --security-group or --no-security-groups, not both");
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(
        parse_cmdline(&cl, &port_group, "update", &err, ARGV("a", "--security-group", "nope")), 0);
    assert_null(port_update_request(&cl.args, &err));
    assert_string_equal(err.code, "not_found");
    cli_error_clear(&err);
    cmdline_free(&cl);
}

static void
test_sg_output(void **state)
{
    (void)state;
    json_t *g = json_loads(
        "{\"id\": \"" SG_WEB "\", \"name\": \"web\", \"stateful\": true, \"description\": \"d\","
        " \"rules\": [{\"id\": \"" RULE_1 "\", \"protocol\": \"tcp\", \"portMin\": 80,"
        " \"portMax\": 81, \"remoteIpPrefix\": \"fd00::/64\", \"action\": \"DROP\","
        " \"priority\": 5}, {\"id\": \"" RULE_2 "\", \"direction\": \"EGRESS\","
        " \"protocol\": \"icmp\", \"icmpType\": 8, \"remoteSecurityGroupId\": \"" SG_APP "\"},"
        " {\"id\": \"r3\", \"ethertype\": \"IPv4\", \"remoteSecurityGroupId\": \"" SG_WEB "\"}]}",
        0, NULL);
    assert_non_null(g);
    json_t *names = json_pack("{s:s, s:s}", SG_WEB, "web", SG_APP, "app");
    struct cli_table *t = sg_rules_table(g, names);
    char *s = cli_table_render(t);
    assert_non_null(strstr(s, "| ID                                   | DIRECTION | ETHERTYPE |"
                              " PROTOCOL | PORTS  | REMOTE    | ACTION | PRIORITY |\n"));
    assert_non_null(strstr(s, "| " RULE_1 " | ingress   | IPv6      | tcp      | 80-81  |"
                              " fd00::/64 | drop   | 5        |\n"));
    assert_non_null(strstr(s, "| " RULE_2 " | egress    | any       | icmp     | type 8 |"
                              " group app | allow  | 0        |\n"));
    assert_non_null(strstr(s, "| r3                                   | ingress   | IPv4      |"
                              " any      | any    | group web | allow  | 0        |\n"));
    free(s);
    cli_table_destroy(t);
    /* Without names, ids. */
    t = sg_rules_table(g, NULL);
    s = cli_table_render(t);
    assert_non_null(strstr(s, "| group " SG_APP " |"));
    free(s);
    cli_table_destroy(t);

    json_t *list = json_pack("[O, {s:s, s:s}]", g, "id", SG_APP, "name", "app");
    t = sg_list_table(list);
    s = cli_table_render(t);
    assert_string_equal(s, "+--------------------------------------+------+----------+-------"
                           "+-------------+\n"
                           "| ID                                   | NAME | STATEFUL | RULES "
                           "| DESCRIPTION |\n"
                           "+--------------------------------------+------+----------+-------"
                           "+-------------+\n"
                           "| " SG_WEB " | web  | yes      | 3     | d           |\n"
                           "| " SG_APP " | app  | no       | 0     |             |\n"
                           "+--------------------------------------+------+----------+-------"
                           "+-------------+\n");
    free(s);
    cli_table_destroy(t);
    json_decref(list);
    json_decref(names);

    /* The new rule is the one the group did not have before. */
    json_t *before = json_pack("{s:[{s:s}, {s:s}]}", "rules", "id", RULE_1, "id", "r3");
    assert_string_equal(sg_new_rule_id(before, g), RULE_2);
    json_array_remove(json_object_get(before, "rules"), 1);
    assert_string_equal(sg_new_rule_id(before, g), "r3");
    assert_null(sg_new_rule_id(g, g));
    json_decref(before);
    json_decref(g);
}

static void
test_sg_commands(void **state)
{
    (void)state;
    assert_true(cli_set_output("table"));
    char *out, *errout;
    assert_int_equal(run_captured(&sg_group, "rule add", ARGV("web", "--egress"), &out, &errout),
                     CLI_OK);
    assert_string_equal(out, RULE_2 "\n");
    assert_string_equal(errout, "Added rule " RULE_2 " to security group web (" SG_WEB ")\n");
    assert_string_equal(logged_method(1), "SecurityGroupService/GetSecurityGroup");
    assert_json_eq(json_object_get(json_array_get(fake_log, 2), "req"),
                   "{\"securityGroupId\": \"" SG_WEB "\", \"rule\": {\"direction\": \"EGRESS\"}}");
    free(out);
    free(errout);

    assert_int_equal(run_captured(&sg_group, "rule remove", ARGV("web", RULE_2), &out, &errout),
                     CLI_OK);
    assert_string_equal(out, "Removed rule " RULE_2 " from security group web (" SG_WEB ")\n");
    assert_string_equal(logged_method(json_array_size(fake_log) - 1),
                        "SecurityGroupService/RemoveRule");
    assert_json_eq(json_object_get(json_array_get(fake_log, json_array_size(fake_log) - 1), "req"),
                   "{\"securityGroupId\": \"" SG_WEB "\", \"ruleId\": \"" RULE_2 "\"}");
    free(out);
    free(errout);

    /* show: the fields, then the rules with the remote group's name. */
    assert_int_equal(run_captured(&sg_group, "show", ARGV("web"), &out, &errout), CLI_OK);
    assert_non_null(strstr(out, "| stateful | yes "));
    assert_non_null(strstr(out, "| rules    | 1 "));
    assert_non_null(strstr(out, "-+\n\n+---"));
    assert_non_null(strstr(out, "| " RULE_1 " | ingress   | any       | tcp      | 5432  |"
                                " group app | allow  | 0        |\n"));
    assert_string_equal(errout, "");
    free(out);
    free(errout);

    /* -o json: the group as the API sent it. */
    assert_true(cli_set_output("json"));
    assert_int_equal(run_captured(&sg_group, "rule add", ARGV("web"), &out, &errout), CLI_OK);
    json_t *reply = json_loads(out, 0, NULL);
    assert_string_equal(cli_json_str(reply, "rules.1.id"), "");
    assert_int_equal(json_array_size(json_object_get(reply, "rules")), 2);
    assert_string_equal(errout, "");
    json_decref(reply);
    free(out);
    free(errout);
    assert_true(cli_set_output("table"));
}

static void
test_network_routing_options(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(
        parse_cmdline(&cl, &network_group, "create", &err,
                      ARGV("app", "--external-gateway", NET_PUB, "--no-snat", "--route",
                           "192.168.0.0/16=10.0.1.254", "--route", "fd00:9::/64=fd00:1::fe")),
        0);
    json_t *req = network_create_request(&cl.args, &err);
    assert_json_eq(req, "{\"name\": \"app\", \"spec\": {\"router\": {\"enabled\": true,"
                        " \"enableSnat\": false, \"externalGatewayNetworkId\": \"" NET_PUB "\","
                        " \"routes\": [{\"destination\": \"192.168.0.0/16\", \"nextHop\": "
                        "\"10.0.1.254\"}, {\"destination\": \"fd00:9::/64\", \"nextHop\": "
                        "\"fd00:1::fe\"}]}}}");
    assert_int_equal(json_array_size(fake_log), 0); /* An id needs no lookup. */
    json_decref(req);
    cmdline_free(&cl);

    /* VLAN and EXTERNAL as the API spells them; a route implies routing. */
    assert_int_equal(parse_cmdline(&cl, &network_group, "create", &err,
                                   ARGV("public", "--type", "external", "--physical-network",
                                        "physnet", "--vlan", "7", "--route", "0.0.0.0/0=10.0.0.1")),
                     0);
    req = network_create_request(&cl.args, &err);
    assert_json_eq(req, "{\"name\": \"public\", \"spec\": {\"type\": \"EXTERNAL\", \"vlan\": "
                        "{\"physicalNetwork\": \"physnet\", \"vlanId\": 7}, \"router\": "
                        "{\"enabled\": true, \"routes\": [{\"destination\": \"0.0.0.0/0\", "
                        "\"nextHop\": \"10.0.0.1\"}]}}}");
    json_decref(req);
    cmdline_free(&cl);

    /* Only external networks count as gateways: 'web' is not one. */
    assert_int_equal(
        parse_cmdline(&cl, &network_group, "create", &err, ARGV("x", "--external-gateway", "web")),
        0);
    assert_null(network_create_request(&cl.args, &err));
    assert_string_equal(err.code, "not_found");
    assert_string_equal(err.message, "no external network is named 'web'; 'lqnet network list' "
                                     "shows them");
    cli_error_clear(&err);
    cmdline_free(&cl);

    static const char *const bad[] = {"10.0.0.0/8", "=10.0.0.1", "10.0.0.0/8=", "a=b=c"};
    for (size_t i = 0; i < LQ_ARRAY_SIZE(bad); i++) {
        assert_int_equal(
            parse_cmdline(&cl, &network_group, "create", &err, ARGV("n", "--route", bad[i])), 0);
        if (network_create_request(&cl.args, &err) || err.status != CLI_USAGE ||
            !strstr(err.message, "--route expects DESTINATION=NEXTHOP")) {
            fail_msg("--route %s was accepted", bad[i]);
        }
        cli_error_clear(&err);
        cmdline_free(&cl);
    }

    /* update --external-gateway resolves among external networks too. */
    json_array_clear(fake_log);
    assert_int_equal(parse_cmdline(&cl, &network_group, "update", &err,
                                   ARGV(NET_WEB, "--external-gateway", "public")),
                     0);
    req = network_update_request(&cl.args, &err);
    assert_string_equal(cli_json_str(req, "spec.router.externalGatewayNetworkId"), NET_PUB);
    assert_string_equal(cli_json_str(json_array_get(fake_log, 0), "req.type"), "EXTERNAL");
    json_decref(req);
    cmdline_free(&cl);
}

static void
test_fip_requests(void **state)
{
    (void)state;
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(
        parse_cmdline(&cl, &fip_group, "allocate", &err,
                      ARGV("--external-network", "public", "--ip", "203.0.113.150", "--description",
                           "www", "--label", "app=web", "--project", "acme")),
        0);
    json_t *req = fip_allocate_request(&cl.args, &err);
    assert_json_eq(req, "{\"externalNetworkId\": \"" NET_PUB "\", \"ipAddress\": "
                        "\"203.0.113.150\", \"description\": \"www\", \"labels\": {\"app\": "
                        "\"web\"}, \"projectId\": \"acme\"}");
    assert_string_equal(cli_json_str(json_array_get(fake_log, 0), "req.type"), "EXTERNAL");
    json_decref(req);
    cmdline_free(&cl);

    json_array_clear(fake_log);
    assert_int_equal(parse_cmdline(&cl, &fip_group, "allocate", &err, ARGV("--ip", "1.2.3.4")), 0);
    assert_null(fip_allocate_request(&cl.args, &err));
    assert_int_equal(err.status, CLI_USAGE);
    assert_string_equal(err.message, "--external-network is required");
    assert_int_equal(json_array_size(fake_log), 0);
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &fip_group, "list", &err,
                                   ARGV("--unassigned", "--external-network", "public")),
                     0);
    req = fip_list_request(&cl.args, &err);
    assert_json_eq(req, "{\"unassignedOnly\": true, \"externalNetworkId\": \"" NET_PUB "\"}");
    json_decref(req);
    cmdline_free(&cl);

    /* The floating IP by its address, the port by name. */
    json_array_clear(fake_log);
    assert_int_equal(parse_cmdline(&cl, &fip_group, "associate", &err,
                                   ARGV("203.0.113.99", "a", "--fixed-ip", "10.0.1.9")),
                     0);
    req = fip_associate_request(&cl.args, &err);
    assert_json_eq(req, "{\"floatingIpId\": \"" FIP_2 "\", \"portId\": \"" PORT_A "\", "
                        "\"fixedIp\": \"10.0.1.9\"}");
    assert_string_equal(logged_method(0), "FloatingIpService/ListFloatingIps");
    assert_string_equal(logged_method(1), "PortService/ListPorts");
    json_decref(req);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &fip_group, "associate", &err, ARGV("203.0.113.7", "a")),
                     0);
    assert_null(fip_associate_request(&cl.args, &err));
    assert_string_equal(err.code, "not_found");
    assert_string_equal(err.message, "no floating IP has address '203.0.113.7'; 'lqnet "
                                     "floating-ip list' shows them");
    cli_error_clear(&err);
    cmdline_free(&cl);

    assert_int_equal(parse_cmdline(&cl, &fip_group, "associate", &err, ARGV(FIP_1)), -1);
    assert_int_equal(err.status, CLI_USAGE);
    cli_error_clear(&err);
    cmdline_free(&cl);
}

static void
test_router_find(void **state)
{
    (void)state;
    struct cli_error err = {0};
    /* By id, then by a network it routes (name or id), then by the
     * external network its gateway is on. */
    json_t *r = router_find(ROUTER_1, false, &err);
    assert_string_equal(cli_json_str(r, "id"), ROUTER_1);
    assert_int_equal(json_array_size(fake_log), 1);
    json_decref(r);
    r = router_find("web", false, &err);
    assert_string_equal(cli_json_str(r, "id"), ROUTER_1);
    json_decref(r);
    r = router_find(NET_DB1, true, &err);
    assert_string_equal(cli_json_str(r, "id"), ROUTER_1);
    json_decref(r);
    r = router_find("public", false, &err);
    assert_string_equal(cli_json_str(r, "id"), ROUTER_1);
    json_decref(r);
    /* A network id given as a router id: GetRouter says not_found first. */
    json_array_clear(fake_log);
    r = router_find(NET_WEB, false, &err);
    assert_string_equal(cli_json_str(r, "id"), ROUTER_1);
    assert_string_equal(logged_method(0), "RouterService/GetRouter");
    json_decref(r);

    assert_null(router_find(NET_DB2, false, &err));
    assert_string_equal(err.code, "not_found");
    assert_string_equal(err.message, "no router routes network " NET_DB2
                                     "; 'lqnet router list' shows the routers");
    cli_error_clear(&err);
    assert_null(router_find("nope", false, &err));
    assert_string_equal(err.message, "'nope' is neither a router id nor a network's name; "
                                     "'lqnet router list' shows the routers");
    cli_error_clear(&err);
}

static const char expected_tree[] =
    "external network public (203.0.113.0/24)\n"
    "├── router 4f1c2a3b… (203.0.113.100, on hv1)\n"
    "│   ├── network db (10.0.2.0/24, fd00:2::/64, MTU 1442)\n"
    "│   └── network web (10.0.1.0/24, MTU 1442)\n"
    "│       ├── port vm1 10.0.1.2 ACTIVE hv1   ← floating IP 203.0.113.101\n"
    "│       ├── port vm2 10.0.1.3 DOWN\n"
    "│       └── port vm10 10.0.1.4,fd00:1::4 DOWN\n"
    "└── floating IP 203.0.113.99 (not associated)\n"
    "router 5a5a5a5a… (internal only)\n"
    "└── network int (10.8.0.0/24, MTU 1442)\n"
    "network " NET_OTHER " (not in this project)\n"
    "└── port s1 10.50.0.7 DOWN\n"
    "network lab (isolated, 10.9.0.0/24, MTU 1442, PENDING, not routed)\n"
    "└── port x\"1 10.9.0.2 DOWN\n";

static void
test_topology_render(void **state)
{
    (void)state;
    json_t *topo = json_loads(topology_json, 0, NULL);
    assert_non_null(topo);
    char *tree = topology_tree(topo);
    assert_string_equal(tree, expected_tree);
    free(tree);

    /* The order of nodes and edges in the response does not matter. */
    json_t *shuffled = json_deep_copy(topo);
    json_t *nodes = json_object_get(shuffled, "nodes");
    json_t *edges = json_object_get(shuffled, "edges");
    json_t *rev_nodes = json_array(), *rev_edges = json_array();
    for (size_t i = json_array_size(nodes); i-- > 0;) {
        json_array_append(rev_nodes, json_array_get(nodes, i));
    }
    for (size_t i = json_array_size(edges); i-- > 0;) {
        json_array_append(rev_edges, json_array_get(edges, i));
    }
    json_object_set_new(shuffled, "nodes", rev_nodes);
    json_object_set_new(shuffled, "edges", rev_edges);
    tree = topology_tree(shuffled);
    assert_string_equal(tree, expected_tree);
    free(tree);
    json_decref(shuffled);

    char *dot = topology_dot(topo);
    assert_true(!strncmp(dot, "digraph lqnet {\n", 16));
    assert_true(strlen(dot) > 2 && !strcmp(dot + strlen(dot) - 2, "}\n"));
    static const char *const lines[] = {
        "  \"" NET_PUB "\" [label=\"external network\\npublic\\n203.0.113.0/24\", "
        "shape=doubleoctagon];\n",
        "  \"" ROUTER_1 "\" [label=\"router\\n4f1c2a3b…\\n203.0.113.100\\non hv1\", "
        "shape=diamond];\n",
        "  \"" NET_DB1 "\" [label=\"network\\ndb\\n10.0.2.0/24\\nfd00:2::/64\\nMTU 1442\", "
        "shape=box];\n",
        "  \"" PORT_VM1 "\" [label=\"port\\nvm1\\n10.0.1.2\\nACTIVE on hv1\", shape=ellipse];\n",
        /* A quote in a name is escaped. */
        "  \"" PORT_X1 "\" [label=\"port\\nx\\\"1\\n10.9.0.2\\nDOWN\", shape=ellipse];\n",
        "  \"" FIP_1 "\" [label=\"floating IP\\n203.0.113.101\", shape=note];\n",
        "  \"" NET_OTHER "\" [label=\"network\\n" NET_OTHER "\", shape=box, style=dashed];\n",
        "  \"" PORT_VM1 "\" -> \"" NET_WEB "\" [label=\"attached\"];\n",
        "  \"" NET_WEB "\" -> \"" ROUTER_1 "\" [label=\"routed\"];\n",
        "  \"" ROUTER_1 "\" -> \"" NET_PUB "\" [label=\"gateway\"];\n",
        "  \"" FIP_1 "\" -> \"" NET_PUB "\" [label=\"allocated_from\"];\n",
        "  \"" FIP_1 "\" -> \"" PORT_VM1 "\" [label=\"nat\", style=dashed];\n",
    };
    for (size_t i = 0; i < LQ_ARRAY_SIZE(lines); i++) {
        if (!strstr(dot, lines[i])) {
            fail_msg("no line\n%sin\n%s", lines[i], dot);
        }
    }
    /* One statement per node (14, and the stub) and per edge (12). */
    size_t n_nodes = 0, n_edges = 0;
    for (const char *p = dot; (p = strstr(p, "\n  \"")); p++) {
        const char *eol = strchr(p + 1, '\n');
        const char *arrow = strstr(p + 1, "\" -> \"");
        *(arrow && arrow < eol ? &n_edges : &n_nodes) += 1;
    }
    assert_int_equal(n_nodes, 15);
    assert_int_equal(n_edges, 12);
    free(dot);

    /* An empty topology: no lines, and an empty graph. */
    json_t *empty = json_object();
    tree = topology_tree(empty);
    assert_string_equal(tree, "");
    free(tree);
    dot = topology_dot(empty);
    assert_non_null(strstr(dot, "digraph lqnet {\n"));
    assert_null(strstr(dot, "->"));
    free(dot);
    json_decref(empty);
    json_decref(topo);
}

static void
test_routing_output(void **state)
{
    (void)state;
    json_t *networks =
        json_pack("{s:{s:s, s:{s:{s:s, s:s}}}, s:{s:s, s:{s:{s:s}, s:{s:b}}}, s:{s:s}}", NET_WEB,
                  "name", "web", "spec", "ipConfig", "ipv4Subnet", "10.0.1.0/24", "ipv4Gateway",
                  "10.0.1.1", NET_DB1, "name", "db", "spec", "ipConfig", "ipv4Subnet",
                  "10.0.2.0/24", "router", "enableSnat", false, NET_PUB, "name", "public");
    json_t *router =
        json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:{s:s}, s:[{s:s, s:s}]}", "id", ROUTER_1,
                  "projectId", "acme", "externalNetworkId", NET_PUB, "externalIp", "203.0.113.100",
                  "networkIds", NET_WEB, NET_DB1, "status", "phase", "ACTIVE", "routes",
                  "destination", "192.168.0.0/16", "nextHop", "10.0.1.254");
    json_t *routers = json_pack("[O, {s:s, s:[s]}]", router, "id", ROUTER_2, "networkIds", NET_DB2);
    struct cli_table *t = router_list_table(routers, networks);
    char *s = cli_table_render(t);
    assert_non_null(strstr(s, "| ID                                   | EXTERNAL-NETWORK | "
                              "EXTERNAL-IP   | NETWORKS                             | "
                              "GATEWAY-HOST | STATUS  |\n"));
    assert_non_null(strstr(s, "| " ROUTER_1 " | public           | 203.0.113.100 | web       "
                              "                           |              | ACTIVE  |\n"
                              "|                                      |                  |     "
                              "          | db                                   |              "
                              "|         |\n"));
    /* A network the index lacks shows as its id. */
    assert_non_null(strstr(s, "| " ROUTER_2 " |                  |               | " NET_DB2
                              " |              | UNKNOWN |\n"));
    free(s);
    cli_table_destroy(t);

    t = router_show_table(router, networks);
    s = cli_table_render(t);
    assert_non_null(strstr(s, "| external network | public (" NET_PUB ") |"));
    assert_non_null(strstr(s, "| routes           | 192.168.0.0/16 via 10.0.1.254 "));
    assert_non_null(strstr(s, "| networks         | 2 "));
    assert_null(strstr(s, "gateway host"));
    free(s);
    cli_table_destroy(t);

    t = router_networks_table(router, networks);
    s = cli_table_render(t);
    assert_non_null(strstr(s, "| " NET_WEB " | web  | 10.0.1.0/24 | 10.0.1.1 | yes  |\n"));
    assert_non_null(strstr(s, "| " NET_DB1 " | db   | 10.0.2.0/24 |          | no   |\n"));
    free(s);
    cli_table_destroy(t);

    json_t *ports = json_pack("{s:{s:s}}", PORT_A, "name", "a");
    json_t *fips =
        json_pack("[{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s}}, {s:s, s:s, s:s}]", "id", FIP_1,
                  "ipAddress", "203.0.113.101", "externalNetworkId", NET_PUB, "assignment",
                  "portId", PORT_A, "fixedIp", "10.0.1.9", "status", "phase", "ACTIVE", "id", FIP_2,
                  "ipAddress", "203.0.113.99", "externalNetworkId", NET_PUB);
    t = fip_list_table(fips, networks, ports);
    s = cli_table_render(t);
    assert_non_null(strstr(s, "| ID                                   | IP            | "
                              "EXTERNAL-NETWORK | PORT | FIXED-IP | STATUS |\n"));
    assert_non_null(strstr(s, "| " FIP_1 " | 203.0.113.101 | public           | a    | 10.0.1.9 "
                              "| ACTIVE |\n"));
    assert_non_null(strstr(s, "| " FIP_2 " | 203.0.113.99  | public           |      |          "
                              "| DOWN   |\n"));
    free(s);
    cli_table_destroy(t);

    t = fip_show_table(json_array_get(fips, 0), networks, ports);
    s = cli_table_render(t);
    assert_non_null(strstr(s, "| port             | a (" PORT_A ") "));
    assert_non_null(strstr(s, "| fixed ip         | 10.0.1.9 "));
    free(s);
    cli_table_destroy(t);
    t = fip_show_table(json_array_get(fips, 1), NULL, NULL);
    s = cli_table_render(t);
    assert_non_null(strstr(s, "| port             | none "));
    assert_non_null(strstr(s, "| external network | " NET_PUB " |"));
    free(s);
    cli_table_destroy(t);

    json_decref(fips);
    json_decref(ports);
    json_decref(routers);
    json_decref(router);
    json_decref(networks);
}

static void
test_routing_commands(void **state)
{
    (void)state;
    char *out, *errout;
    assert_true(cli_set_output("table"));
    assert_int_equal(
        run_captured(&topology_group, "topology", ARGV("--project", "acme"), &out, &errout),
        CLI_OK);
    assert_string_equal(out, expected_tree);
    assert_string_equal(errout, "");
    assert_json_eq(json_object_get(json_array_get(fake_log, 0), "req"),
                   "{\"projectId\": \"acme\"}");
    free(out);
    free(errout);

    assert_int_equal(run_captured(&topology_group, "topology", ARGV("-o", "dot"), &out, &errout),
                     CLI_OK);
    assert_true(!strncmp(out, "digraph lqnet {\n", 16));
    free(out);
    free(errout);
    assert_int_equal(run_captured(&topology_group, "topology", ARGV("-o", "json"), &out, &errout),
                     CLI_OK);
    json_t *reply = json_loads(out, 0, NULL);
    json_t *expected = json_loads(topology_json, 0, NULL);
    assert_true(json_equal(reply, expected));
    json_decref(reply);
    json_decref(expected);
    free(out);
    free(errout);

    /* -o dot is for the topology only. */
    struct cli_error err = {0};
    struct cmdline cl;
    assert_int_equal(parse_cmdline(&cl, &network_group, "list", &err, ARGV("-o", "dot")), -1);
    assert_int_equal(err.status, CLI_USAGE);
    assert_string_equal(err.message,
                        "--output dot is only for 'lqnet topology'; use table or json");
    cli_error_clear(&err);
    cmdline_free(&cl);
    assert_int_equal(parse_cmdline(&cl, &fip_group, "list", &err, ARGV("-o", "dot")), -1);
    cli_error_clear(&err);
    cmdline_free(&cl);
    assert_true(cli_set_output("table"));

    /* release by address and by id; a missing one is reported, the rest
     * go on. */
    json_array_clear(fake_log);
    assert_int_equal(run_captured(&fip_group, "release", ARGV("203.0.113.99", "203.0.113.5", FIP_1),
                                  &out, &errout),
                     CLI_API_ERROR);
    assert_string_equal(out, "Released floating IP 203.0.113.99 (" FIP_2 ")\n"
                             "Released floating IP " FIP_1 " (" FIP_1 ")\n");
    assert_string_equal(errout, "error: not_found: no floating IP has address '203.0.113.5'; "
                                "'lqnet floating-ip list' shows them\n");
    assert_string_equal(logged_method(json_array_size(fake_log) - 1),
                        "FloatingIpService/ReleaseFloatingIp");
    free(out);
    free(errout);

    /* router show: the fields, then the networks it routes. */
    assert_int_equal(run_captured(&router_group, "show", ARGV("--network", "web"), &out, &errout),
                     CLI_OK);
    assert_non_null(strstr(out, "| id               | " ROUTER_1 " "));
    assert_non_null(strstr(out, "| external network | public (" NET_PUB ") |\n"));
    assert_non_null(strstr(out, "-+\n\n+---"));
    assert_non_null(strstr(out, "| " NET_WEB " | web  |"));
    free(out);
    free(errout);
    assert_int_equal(run_captured(&router_group, "show", (const char *[]){NULL}, &out, &errout),
                     CLI_USAGE);
    assert_non_null(strstr(errout, "give a router id or --network NET"));
    free(out);
    free(errout);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parse),
        cmocka_unit_test(test_response_content_length),
        cmocka_unit_test(test_response_chunked),
        cmocka_unit_test(test_response_other),
        cmocka_unit_test(test_format_post),
        cmocka_unit_test(test_exchange),
        cmocka_unit_test(test_decode_response),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_args_parse),
        cmocka_unit_test_setup_teardown(test_network_create, setup_fake, teardown_fake),
        cmocka_unit_test_setup_teardown(test_network_update, setup_fake, teardown_fake),
        cmocka_unit_test_setup_teardown(test_resolve, setup_fake, teardown_fake),
        cmocka_unit_test_setup_teardown(test_port_requests, setup_fake, teardown_fake),
        cmocka_unit_test_setup_teardown(test_delete_each, setup_fake, teardown_fake),
        cmocka_unit_test(test_sg_rule_parse),
        cmocka_unit_test_setup_teardown(test_sg_requests, setup_fake, teardown_fake),
        cmocka_unit_test_setup_teardown(test_port_security_groups, setup_fake, teardown_fake),
        cmocka_unit_test(test_sg_output),
        cmocka_unit_test_setup_teardown(test_sg_commands, setup_fake, teardown_fake),
        cmocka_unit_test(test_token_request),
        cmocka_unit_test(test_json_helpers),
        cmocka_unit_test(test_output_tables),
        cmocka_unit_test_setup_teardown(test_network_routing_options, setup_fake, teardown_fake),
        cmocka_unit_test_setup_teardown(test_fip_requests, setup_fake, teardown_fake),
        cmocka_unit_test_setup_teardown(test_router_find, setup_fake, teardown_fake),
        cmocka_unit_test(test_topology_render),
        cmocka_unit_test(test_routing_output),
        cmocka_unit_test_setup_teardown(test_routing_commands, setup_fake, teardown_fake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
