#!/usr/bin/env bash
# Security groups with real traffic, the basics: the project's default group
# (members talk, others are kept out), two groups on a port give the union,
# taking a group off a port closes new connections (and no group at all
# leaves the default deny), an established TCP session survives rule
# changes that do not concern it, and DHCP works under a drop-everything
# group.
# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

NET=$(api VirtualNetworkService/CreateNetwork '{"name":"basics","spec":{"ipConfig":{"ipv4Subnet":"10.70.0.0/24"}}}' | jq -r .id)
check "network created" test "$(last_code)" = 200 || exit 1
EGR=$(sg_create egress '[{"direction":"EGRESS"}]')
G80=$(sg_create tcp80 '[{"direction":"INGRESS","protocol":"tcp","portMin":80}]')
G81=$(sg_create tcp81 '[{"direction":"INGRESS","protocol":"tcp","portMin":81}]')
SESS=$(sg_create session '[{"direction":"INGRESS","protocol":"tcp","portMin":7000}]')
DROPALL=$(sg_create dropall '[{"direction":"INGRESS","action":"DROP"},{"direction":"EGRESS","action":"DROP"}]')
check "groups created" test -n "$EGR" -a -n "$G80" -a -n "$G81" -a -n "$SESS" -a -n "$DROPALL" || exit 1

vms() {
    vm_on_port d1 "$NET" &&
        vm_on_port d2 "$NET" &&
        vm_on_port o1 "$NET" "{\"securityGroupIds\":[\"$EGR\"]}" &&
        vm_on_port u1 "$NET" "{\"securityGroupIds\":[\"$G80\",\"$G81\"]}" &&
        vm_on_port es "$NET" "{\"securityGroupIds\":[\"$SESS\"]}"
}
check "VMs d1, d2 (default group), o1 (egress only), u1 (tcp80+tcp81), es (tcp7000)" vms || exit 1
D1=${LQT_IP[d1]} D2=${LQT_IP[d2]} O1=${LQT_IP[o1]} U1=${LQT_IP[u1]} ES=${LQT_IP[es]}
api PortService/GetPort "{\"id\":\"${LQT_PORT[d1]}\"}" >/dev/null
DEF=$(last_body '.spec.securityGroupIds[0]')
api SecurityGroupService/GetSecurityGroup "{\"id\":\"$DEF\"}" >/dev/null
check "a port created without groups is in the project's default group" test "$(last_body .name)" = default

# --- the default group -------------------------------------------------------------
check "d1 pings d2 (both in the default group)" eventually 10 vm_ping d1 "$D2"
check "d2 pings d1" vm_ping d2 "$D1"
vm_listen d2 8000 && vm_listen d1 8000
check "d1 opens TCP 8000 on d2" tcp_ok d1 "$D2" 8000
check "d2 opens TCP 8000 on d1" tcp_ok d2 "$D1" 8000

# --- two groups: the union ------------------------------------------------------------
vm_listen u1 80 && vm_listen u1 81 && vm_listen u1 82
check "u1 (tcp80 + tcp81): o1 opens 80" eventually 10 tcp_ok o1 "$U1" 80
check "u1 (tcp80 + tcp81): o1 opens 81" eventually 10 tcp_ok o1 "$U1" 81
check_fails "u1: 82 (in neither group) stays closed" tcp_ok o1 "$U1" 82
check_fails "u1: the default group's members are not admitted (not in u1's groups)" vm_ping d1 "$U1" -c 2
# o1 works (above): what it cannot do is the groups' doing.
check_fails "default group keeps others out: o1 (another group) cannot ping d1" vm_ping o1 "$D1" -c 2
check_fails "default group keeps others out: o1 cannot open TCP 8000 on d2" tcp_ok o1 "$D2" 8000
check_fails "d1 cannot ping o1 (o1's group admits no ingress)" vm_ping d1 "$O1" -c 2

# --- removing a group --------------------------------------------------------------------
check "UpdatePort spec.securityGroupIds = [tcp80]" set_sgs "${LQT_PORT[u1]}" "$G80"
tcp_closed() { ! tcp_ok "$@"; }
check "new connections to 81 are refused once tcp81 is off the port" eventually 10 tcp_closed o1 "$U1" 81
check "80 still opens" tcp_ok o1 "$U1" 80
check "the port has left tcp81's Port_Group" test "$(pg_ports "$G81")" = 0
check "UpdatePort spec.securityGroupIds = [] is accepted" set_sgs "${LQT_PORT[u1]}"
api PortService/GetPort "{\"id\":\"${LQT_PORT[u1]}\"}" >/dev/null
check "... and the port keeps no group (not the default one)" test "$(last_body '.spec.securityGroupIds // [] | length')" = 0
check "with no group, 80 closes too (default deny)" eventually 10 tcp_closed o1 "$U1" 80
check_fails "with no group, ping is dropped" vm_ping o1 "$U1" -c 2
u1_secured() {
    ovn-nbctl --db="$OVN_NB_DB" --bare --columns=ports find port_group name=lq_secured | tr ' ' '\n' |
        grep -qxF "$(ovn-nbctl --db="$OVN_NB_DB" --bare --columns=_uuid find logical_switch_port "name=${LQT_PORT[u1]}")"
}
check "the port stays in lq_secured" u1_secured
check "giving the group back reopens 80" set_sgs "${LQT_PORT[u1]}" "$G80"
check "... (o1 opens 80 again)" eventually 10 tcp_ok o1 "$U1" 80

# --- an established session survives an unrelated rule change ---------------------------
vm_listen es 7000
check "o1 opens TCP 7000 on es" eventually 10 tcp_ok o1 "$ES" 7000
mkfifo "$LQT_TMP/session.fifo"
vm_exec o1 ncat "$ES" 7000 <"$LQT_TMP/session.fifo" >"$LQT_TMP/session.client" 2>&1 &
exec 7>"$LQT_TMP/session.fifo"
arrived() { grep -qx "$1" "$LQT_TMP/vm_bg.es.log"; }
echo before-change >&7
check "a long-lived TCP session from o1 to es:7000 carries data" eventually 5 arrived before-change
acls_are() { [ "$(nb_acl_count "$SESS")" = "$1" ]; }
hv_sync() { timeout 15 ovn-nbctl --db="$OVN_NB_DB" --timeout=10 --wait=hv sync; }
api SecurityGroupService/AddRule "{\"securityGroupId\":\"$SESS\",\"rule\":{\"direction\":\"INGRESS\",\"protocol\":\"udp\",\"portMin\":53}}" >/dev/null
RID=$(last_body '.rules[] | select(.protocol == "udp") | .id')
check "AddRule (udp 53) to es's group" test "$(last_code)" = 200 -a -n "$RID"
check "its ACLs reach Northbound (2 -> 4) and the hypervisor" eventually 10 acls_are 4
hv_sync
echo after-add >&7
check "the established session still carries data after AddRule" eventually 5 arrived after-add
api SecurityGroupService/RemoveRule "{\"securityGroupId\":\"$SESS\",\"ruleId\":\"$RID\"}" >/dev/null
check "RemoveRule (udp 53) and its ACLs leave (4 -> 2)" eventually 10 acls_are 2
hv_sync
echo after-remove >&7
check "the established session still carries data after RemoveRule" eventually 5 arrived after-remove
session_one_conn() { [ "$(vm_exec es ss -Htn state established "( sport = :7000 )" | grep -c .)" = 1 ]; }
check "... over the one connection it opened (es has one established 7000 connection)" session_one_conn
exec 7>&-

# --- DHCP under a group that drops everything ------------------------------------------------
api PortService/CreatePort "{\"name\":\"dh\",\"networkId\":\"$NET\",\"spec\":{\"securityGroupIds\":[\"$DROPALL\"]}}" >/dev/null
DHIP=$(last_body '.status.ipAddresses[0]')
check "a port in a DROP-all (both directions) group" test "$(last_code)" = 200 || exit 1
vm_create dh "$(last_body .id)" "$(last_body .spec.macAddress)" >/dev/null
dh_acls() { [ "$(nb_acl_count "$DROPALL")" = 4 ] && [ "$(pg_ports "$DROPALL")" = 1 ]; }
check "the DROP-all group is in place in Northbound with the port" eventually 10 dh_acls
hv_sync
check "still gets its DHCP lease" vm_dhcp dh
check "the lease is the address lqnet allocated" test "$(vm_lease dh ip)" = "$DHIP"
check_fails "and IP traffic from it is dropped (no ping to d1)" vm_ping dh "$D1" -c 2
check_fails "and nothing reaches it (d1 cannot ping it)" vm_ping d1 "$DHIP" -c 2
