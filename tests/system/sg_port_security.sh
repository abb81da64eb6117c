#!/usr/bin/env bash
# Port security with security groups, with real traffic: a port without port
# security receives (and sends) everything and takes no groups; turning port
# security off and on through UpdatePort; a VM that spoofs its source IP or
# MAC reaches nobody, while its allowed address pairs work.
# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

NET=$(api VirtualNetworkService/CreateNetwork '{"name":"ps","spec":{"ipConfig":{"ipv4Subnet":"10.90.0.0/24"}}}' | jq -r .id)
check "network created" test "$(last_code)" = 200 || exit 1
EGR=$(sg_create egress '[{"direction":"EGRESS"}]')
OPEN=$(sg_create open '[{"direction":"INGRESS"},{"direction":"EGRESS"}]')
check "groups created" test -n "$EGR" -a -n "$OPEN" || exit 1
fixed() { # HOST [MORE-SPEC-FIELDS]
    echo "{\"fixedIps\":[{\"ipAddress\":\"10.90.0.$1\"}]${2:+,$2}}"
}
vms() {
    vm_on_port a "$NET" "$(fixed 11 "\"securityGroupIds\":[\"$EGR\"]")" &&
        vm_on_port t "$NET" "$(fixed 21 "\"securityGroupIds\":[\"$OPEN\"]")" &&
        vm_on_port off "$NET" "$(fixed 31 '"portSecurityEnabled":false')" &&
        vm_on_port d "$NET" "$(fixed 41)" &&
        vm_on_port q "$NET" "$(fixed 51 "\"securityGroupIds\":[\"$EGR\"]")"
}
check "VMs a (egress only), t (open), off (no port security), d (default group), q (egress only)" vms || exit 1
nb() { ovn-nbctl --db="$OVN_NB_DB" "$@"; }
in_secured() { # PORT-ID
    nb --bare --columns=ports find port_group name=lq_secured | tr ' ' '\n' |
        grep -qxF "$(nb --bare --columns=_uuid find logical_switch_port "name=$1")"
}
port_field() { # PORT-ID JQ
    api PortService/GetPort "{\"id\":\"$1\"}" >/dev/null
    last_body "$2"
}

# --- a port without port security ---------------------------------------------------
check "a pings off (no port security: no filtering)" eventually 10 vm_ping a 10.90.0.31
vm_listen off 1234 && vm_listen off 4321
check "a opens off:1234" tcp_ok a 10.90.0.31 1234
check "a opens off:4321" tcp_ok a 10.90.0.31 4321
check "d (default group) pings off" eventually 10 vm_ping d 10.90.0.31
check "off pings t" eventually 10 vm_ping off 10.90.0.21
check "off's port has no security groups" test "$(port_field "${LQT_PORT[off]}" '.spec.securityGroupIds // [] | length')" = 0
check_fails "off's port is not in lq_secured" in_secured "${LQT_PORT[off]}"
check_fails "off's port has no port_security in Northbound" \
    test -n "$(nb get logical_switch_port "${LQT_PORT[off]}" port_security | tr -d '[]')"
api PortService/UpdatePort "{\"id\":\"${LQT_PORT[off]}\",\"updateMask\":\"spec.securityGroupIds\",\"spec\":{\"securityGroupIds\":[\"$OPEN\"]}}" >/dev/null
check "giving it a group is failed_precondition naming spec.securityGroupIds" \
    test "$(last_code)" = 400 -a "$(last_body .code)" = failed_precondition -a "$(last_body '.message|startswith("spec.securityGroupIds")')" = true
vm_exec off ip addr add 10.90.0.99/24 dev eth0
check "without anti-spoofing, off may send from an address it was not given" eventually 5 vm_ping off 10.90.0.21 -I 10.90.0.99

# --- turning port security off and on ---------------------------------------------------
check "q (egress only) pings t" eventually 10 vm_ping q 10.90.0.21
check_fails "a cannot ping q (q admits no ingress)" vm_ping a 10.90.0.51 -c 2
api PortService/UpdatePort "{\"id\":\"${LQT_PORT[q]}\",\"updateMask\":\"spec.portSecurityEnabled\",\"spec\":{}}" >/dev/null
check "masking spec.portSecurityEnabled alone while groups remain is failed_precondition" \
    test "$(last_code)" = 400 -a "$(last_body .code)" = failed_precondition
api PortService/UpdatePort "{\"id\":\"${LQT_PORT[q]}\",\"updateMask\":\"spec.portSecurityEnabled,spec.securityGroupIds\",\"spec\":{}}" >/dev/null
check "masking spec.portSecurityEnabled and spec.securityGroupIds, both absent: accepted" test "$(last_code)" = 200
check "... port security is off and no group is left" \
    test "$(last_body '.spec.portSecurityEnabled // false')" = false -a "$(last_body '.spec.securityGroupIds // [] | length')" = 0
check "a now pings q" eventually 10 vm_ping a 10.90.0.51
check_fails "q has left lq_secured" in_secured "${LQT_PORT[q]}"
api PortService/UpdatePort "{\"id\":\"${LQT_PORT[q]}\",\"updateMask\":\"spec.portSecurityEnabled\",\"spec\":{\"portSecurityEnabled\":true}}" >/dev/null
check "turning port security back on is accepted" test "$(last_code)" = 200
DEF=$(last_body '.spec.securityGroupIds[0] // ""')
api SecurityGroupService/GetSecurityGroup "{\"id\":\"$DEF\"}" >/dev/null
check "... and gives the port the project's default group" test "$(last_body .name)" = default
check "q is back in lq_secured" eventually 10 in_secured "${LQT_PORT[q]}"
a_out() { ! vm_ping a 10.90.0.51; }
check "a (not in the default group) is shut out of q again" eventually 10 a_out
check "d (in the default group) reaches q" eventually 10 vm_ping d 10.90.0.51

# --- spoofing -------------------------------------------------------------------------------
check "a pings t with its own address" eventually 10 vm_ping a 10.90.0.21
vm_exec a ip addr add 10.90.0.77/24 dev eth0
check_fails "a spoofing source 10.90.0.77 cannot ping t" vm_ping a 10.90.0.21 -I 10.90.0.77 -c 2
check_fails "a spoofing source 10.90.0.77 cannot ping off (no port security there)" vm_ping a 10.90.0.31 -I 10.90.0.77 -c 2
tcp_from() { vm_exec a ncat -z -w 2 -s "$1" "$2" "$3"; }
check_fails "a spoofing source 10.90.0.77 cannot open off:1234" tcp_from 10.90.0.77 10.90.0.31 1234
MAC_A=$(vm_exec a cat /sys/class/net/eth0/address)
spoof_mac() {
    vm_exec a ip link set eth0 address "$1" && vm_exec a ip neigh flush dev eth0 &&
        vm_exec t ip neigh flush dev eth0 && vm_exec off ip neigh flush dev eth0
}
check "a changes its MAC to 0a:66:66:66:66:66" spoof_mac 0a:66:66:66:66:66
check_fails "with a spoofed MAC a cannot ping t" vm_ping a 10.90.0.21 -c 2
check_fails "with a spoofed MAC a cannot ping off" vm_ping a 10.90.0.31 -c 2
check "a takes its own MAC back" spoof_mac "$MAC_A"
check "and pings t again" eventually 10 vm_ping a 10.90.0.21

# --- allowed address pairs ---------------------------------------------------------------------
pairs() { # JSON list
    api PortService/UpdatePort "{\"id\":\"${LQT_PORT[a]}\",\"updateMask\":\"spec.allowedAddressPairs\",
      \"spec\":{\"allowedAddressPairs\":$1}}" >/dev/null
    [ "$CODE" = 200 ] || { echo "$CODE $BODY" >&2; return 1; }
}
check "UpdatePort: allowed address pairs 10.90.0.200 and 10.90.0.128/28" \
    pairs '[{"ipAddress":"10.90.0.200"},{"ipAddress":"10.90.0.128/28"}]'
vm_exec a ip addr add 10.90.0.200/24 dev eth0
vm_exec a ip addr add 10.90.0.130/24 dev eth0
check "a pings t from the pair address 10.90.0.200" eventually 10 vm_ping a 10.90.0.21 -I 10.90.0.200
check "a pings off from the pair address 10.90.0.200" vm_ping a 10.90.0.31 -I 10.90.0.200
check "a opens off:1234 from 10.90.0.200" tcp_from 10.90.0.200 10.90.0.31 1234
check "a pings t from 10.90.0.130 (inside the pair CIDR 10.90.0.128/28)" vm_ping a 10.90.0.21 -I 10.90.0.130
check_fails "10.90.0.77 (not a pair) is still dropped" vm_ping a 10.90.0.21 -I 10.90.0.77 -c 2
check "a pair with its own MAC: 10.90.0.210 at 0a:77:77:77:77:01" \
    pairs '[{"ipAddress":"10.90.0.200"},{"ipAddress":"10.90.0.210","macAddress":"0a:77:77:77:77:01"}]'
macvlan() {
    vm_exec a ip link add link eth0 name mv0 address 0a:77:77:77:77:01 type macvlan mode bridge &&
        vm_exec a ip addr add 10.90.0.210/32 dev mv0 && vm_exec a ip link set mv0 up &&
        vm_exec a ip route add 10.90.0.21/32 dev mv0 src 10.90.0.210
}
check "a second interface in a with that MAC and address (macvlan)" macvlan
check "a pings t from 10.90.0.210 at its pair MAC (the replies, to that MAC, must reach a)" eventually 10 vm_ping a 10.90.0.21 -I mv0
check_fails "10.90.0.130 was dropped from the pairs: no longer allowed" vm_ping a 10.90.0.31 -I 10.90.0.130 -c 2
