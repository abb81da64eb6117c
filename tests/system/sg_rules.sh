#!/usr/bin/env bash
# Security group rules with real traffic: TCP ports and ranges, remote CIDRs,
# remote groups, REJECT (refused at once) against DROP (a timeout), rule
# priorities, an egress allow-list, ICMP types and codes, and IPv6 rules.
# Every VM has fixed addresses (spec.fixedIps) so that CIDRs are predictable.
# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

NET=$(api VirtualNetworkService/CreateNetwork '{"name":"rules","spec":{"ipConfig":{
  "ipv4Subnet":"10.80.0.0/24","ipv6Subnet":"fd00:80::/64"}}}' | jq -r .id)
check "dual-stack network created" test "$(last_code)" = 200 || exit 1

# vmx NAME HOST GROUP-ID...: VM NAME at 10.80.0.HOST and fd00:80::HOST.
vmx() {
    local name=$1 host=$2 ids
    shift 2
    ids=$(printf '"%s",' "$@")
    vm_on_port "$name" "$NET" "{\"fixedIps\":[{\"ipAddress\":\"10.80.0.$host\"},{\"ipAddress\":\"fd00:80::$host\"}],
      \"securityGroupIds\":[${ids%,}]}"
}
rule() { # JSON fields of one rule -> a one-rule list
    echo "[{$1}]"
}
CLI=$(sg_create clients "$(rule '"direction":"EGRESS"')")
MEMB=$(sg_create members "$(rule '"direction":"EGRESS"')")
TCPG=$(sg_create tcp '[{"protocol":"tcp","portMin":5000},{"protocol":"tcp","portMin":6000,"portMax":6010}]')
CIDRG=$(sg_create cidr '[{"protocol":"tcp","portMin":22,"remoteIpPrefix":"10.80.0.11/32"}]')
REMG=$(sg_create remote "[{\"remoteSecurityGroupId\":\"$MEMB\"}]")
RDG=$(sg_create rejdrop '[{"protocol":"tcp","portMin":5000},{"protocol":"tcp","portMin":5001,"action":"REJECT"},
  {"protocol":"tcp","portMin":5002,"action":"DROP"}]')
PRI=$(sg_create prio '[{"protocol":"tcp","portMin":6001,"priority":10},{"protocol":"tcp","portMin":6001,"priority":10,"action":"DROP"},
  {"protocol":"tcp","portMin":6002,"priority":5},{"protocol":"tcp","portMin":6002,"priority":10,"action":"DROP"},
  {"protocol":"tcp","portMin":6003,"priority":10},{"protocol":"tcp","portMin":6003,"priority":5,"action":"REJECT"}]')
OPEN=$(sg_create open '[{"direction":"INGRESS"},{"direction":"EGRESS"}]')
ONE=$(sg_create onedest "$(rule '"direction":"EGRESS","remoteIpPrefix":"10.80.0.61/32"')")
ICMP8=$(sg_create echo "$(rule '"protocol":"icmp","icmpType":8')")
ICMPX=$(sg_create notecho '[{"protocol":"icmp","icmpType":0},{"protocol":"icmp","icmpType":8,"icmpCode":1},{"protocol":"tcp","portMin":7}]')
V6G=$(sg_create v6 '[{"protocol":"icmpv6","ethertype":"IPv6"},{"protocol":"tcp","portMin":8080,"ethertype":"IPv6"},
  {"protocol":"tcp","portMin":9090,"ethertype":"IPv4"}]')
for g in CLI MEMB TCPG CIDRG REMG RDG PRI OPEN ONE ICMP8 ICMPX V6G; do
    [ -n "${!g}" ] || die "security group $g created"
done
lqt_pass "12 security groups created"

vms() {
    vmx c1 11 "$CLI" && vmx c2 12 "$CLI" && vmx c3 13 "$MEMB" && vmx c4 14 "$ONE" &&
        vmx s1 21 "$TCPG" && vmx s2 22 "$CIDRG" && vmx s3 23 "$REMG" && vmx s4 24 "$RDG" &&
        vmx s5 25 "$PRI" && vmx s6a 61 "$OPEN" && vmx s6b 62 "$OPEN" &&
        vmx s7 27 "$ICMP8" && vmx s8 28 "$ICMPX" && vmx s9 29 "$V6G"
}
check "14 VMs on ports with fixed addresses" vms || exit 1
listen() { # VM PORT...
    local vm=$1 p
    shift
    for p in "$@"; do vm_listen "$vm" "$p" || return 1; done
}
check "listeners up" eval 'listen s1 5000 5001 5999 6000 6005 6010 6011 && listen s2 22 &&
    listen s4 5000 5001 5002 5003 && listen s5 6001 6002 6003 && listen s6a 80 && listen s6b 80 &&
    listen s8 7 && listen s9 8080 8081 9090'
tcp_closed() { ! tcp_ok "$@"; }

# --- TCP ports and ranges -----------------------------------------------------------
check "tcp 5000 rule: c1 opens s1:5000" eventually 15 tcp_ok c1 10.80.0.21 5000
check "tcp 5000 rule: c2 opens s1:5000" tcp_ok c2 10.80.0.21 5000
check_fails "the neighbouring port 5001 stays closed" tcp_ok c1 10.80.0.21 5001
check "range 6000-6010: 6000 opens" tcp_ok c1 10.80.0.21 6000
check "range 6000-6010: 6005 opens" tcp_ok c1 10.80.0.21 6005
check "range 6000-6010: 6010 opens" tcp_ok c1 10.80.0.21 6010
check_fails "range 6000-6010: 6011 stays closed" tcp_ok c1 10.80.0.21 6011
check_fails "range 6000-6010: 5999 stays closed" tcp_ok c1 10.80.0.21 5999
check_fails "a TCP-only group does not admit ping" vm_ping c1 10.80.0.21

# --- remote CIDR ---------------------------------------------------------------------
check "CIDR 10.80.0.11/32 on tcp 22: c1 (10.80.0.11) opens s2:22" eventually 10 tcp_ok c1 10.80.0.22 22
check_fails "c2 (10.80.0.12) cannot" tcp_ok c2 10.80.0.22 22
check_fails "c1 over IPv6 cannot (the rule is an IPv4 CIDR)" tcp_ok c1 fd00:80::22 22 -6

# --- remote group ----------------------------------------------------------------------
check "remote group: c3 (a member of 'members') pings s3" eventually 10 vm_ping c3 10.80.0.23
check "remote group: c3 pings s3 over IPv6 too" eventually 10 vm_ping c3 fd00:80::23 -6
check_fails "c1 (not a member) cannot ping s3" vm_ping c1 10.80.0.23 -c 2
check "adding 'members' to c1's port" set_sgs "${LQT_PORT[c1]}" "$CLI" "$MEMB"
check "... admits c1 (the group's address set follows its ports)" eventually 10 vm_ping c1 10.80.0.23
check "taking it off again" set_sgs "${LQT_PORT[c1]}" "$CLI"
c1_out() { ! vm_ping c1 10.80.0.23; }
check "... shuts c1 out again" eventually 10 c1_out

# --- REJECT and DROP -------------------------------------------------------------------
check "s4: tcp 5000 allowed (rules in place)" eventually 10 tcp_ok c1 10.80.0.24 5000
read -r RC MS < <(timed_ms tcp_ok c1 10.80.0.24 5001)
check "REJECT tcp 5001: refused at once (status $RC, $MS ms < 1000)" test "$RC" != 0 -a "$MS" -lt 1000
refused() { vm_exec c1 ncat -v -z -w 2 10.80.0.24 5001 2>&1 | grep -q 'Connection refused'; }
check "REJECT: ncat says 'Connection refused' (a TCP RST)" refused
read -r RC MS < <(timed_ms tcp_ok c1 10.80.0.24 5002)
check "DROP tcp 5002: a timeout (status $RC, $MS ms >= 1800)" test "$RC" != 0 -a "$MS" -ge 1800
read -r RC MS < <(timed_ms tcp_ok c1 10.80.0.24 5003)
check "no rule (5003): the default deny is silent too (status $RC, $MS ms >= 1800)" test "$RC" != 0 -a "$MS" -ge 1800

# --- priorities --------------------------------------------------------------------------
check "ALLOW 6002 at priority 5 beats DROP at 10: open" eventually 10 tcp_ok c1 10.80.0.25 6002
check_fails "ALLOW and DROP 6001 both at priority 10: DROP wins" tcp_ok c1 10.80.0.25 6001
read -r RC MS < <(timed_ms tcp_ok c1 10.80.0.25 6003)
check "REJECT 6003 at priority 5 beats ALLOW at 10: refused at once (status $RC, $MS ms)" test "$RC" != 0 -a "$MS" -lt 1000

# --- an egress allow-list of one destination --------------------------------------------
check "s6b is reachable from c1 (sanity)" eventually 10 vm_ping c1 10.80.0.62
check "c4 (egress only to 10.80.0.61/32) pings s6a" eventually 10 vm_ping c4 10.80.0.61
check "c4 opens s6a:80" tcp_ok c4 10.80.0.61 80
check_fails "c4 cannot ping s6b" vm_ping c4 10.80.0.62 -c 2
check_fails "c4 cannot open s6b:80" tcp_ok c4 10.80.0.62 80
check_fails "c4 cannot reach s6a over IPv6 (the rule is IPv4)" vm_ping c4 fd00:80::61 -6 -c 2

# --- ICMP types ---------------------------------------------------------------------------
check "icmp type 8 (echo request) allowed: c1 pings s7" eventually 10 vm_ping c1 10.80.0.27
check_fails "ICMP rules are IPv4 only: no ping -6 to s7" vm_ping c1 fd00:80::27 -6 -c 2
check "s8 (icmp type 0, type 8 code 1, tcp 7) is up: c1 opens s8:7" eventually 10 tcp_ok c1 10.80.0.28 7
check_fails "type 0 and type 8/code 1 allowed: ping (type 8 code 0) is not admitted" vm_ping c1 10.80.0.28 -c 2

# --- IPv6 rules -------------------------------------------------------------------------------
check "icmpv6 rule: c1 pings s9 over IPv6" eventually 10 vm_ping c1 fd00:80::29 -6
check "IPv6 tcp 8080: c1 opens [fd00:80::29]:8080" eventually 10 tcp_ok c1 fd00:80::29 8080 -6
check "IPv4 tcp 9090: c1 opens 10.80.0.29:9090" tcp_ok c1 10.80.0.29 9090
check_fails "IPv6 tcp 8081 (no rule) stays closed" tcp_ok c1 fd00:80::29 8081 -6
check_fails "the IPv6 8080 rule does not open 8080 over IPv4" tcp_ok c1 10.80.0.29 8080
check_fails "the IPv4 9090 rule does not open 9090 over IPv6" tcp_ok c1 fd00:80::29 9090 -6
check_fails "icmpv6 does not admit IPv4 ping" vm_ping c1 10.80.0.29 -c 2
