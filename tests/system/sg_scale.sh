#!/usr/bin/env bash
# Security groups at scale: one group with 50 rules (IPv4, distinct TCP
# ports) and 1,000 ports in it become one Port_Group with 50 ACLs -- not an
# ACL per rule and port -- and the rules still hold traffic on two of them.
# Prints how long Northbound took to get there.
# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

now_ms() { echo $(($(date +%s%N) / 1000000)); }

NET=$(api VirtualNetworkService/CreateNetwork '{"name":"scale","spec":{"ipConfig":{"ipv4Subnet":"10.100.0.0/20"}}}' | jq -r .id)
check "network with a /20 subnet" test "$(last_code)" = 200 || exit 1
RULES=$(for p in $(seq 10001 10050); do
    echo "{\"direction\":\"INGRESS\",\"protocol\":\"tcp\",\"portMin\":$p,\"ethertype\":\"IPv4\"}"
done | jq -sc '. + [{"direction":"EGRESS"}]')
T0=$(now_ms)
G=$(sg_create big "$RULES")
check "a group with 50 ingress tcp rules and 1 egress rule" test -n "$G" -a "$(last_body '.rules|length')" = 51 || exit 1
EGRESS_ID=$(last_body '.rules[] | select(.direction == "EGRESS") | .id')
acls_are() { [ "$(nb_acl_count "$G")" = "$1" ]; }
# 50 IPv4 rules + the egress rule for both families.
check "its 52 ACLs reach Northbound" eventually 20 acls_are 52
echo "  time: the group's 52 ACLs were in Northbound after $(($(now_ms) - T0)) ms"

# 1,000 ports through the API, four requests at a time.
mkport() {
    curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $LQNET_TOKEN" \
        -H 'Content-Type: application/json' \
        --data "{\"name\":\"p$1\",\"networkId\":\"$NET\",\"spec\":{\"securityGroupIds\":[\"$G\"]}}" \
        "$LQNET_URL/limiquantix.network.v1.PortService/CreatePort"
}
export -f mkport
export NET G LQNET_TOKEN LQNET_URL
T1=$(now_ms)
: >"$LQT_TMP/codes"
BATCHES=""
for b in $(seq 0 9); do
    tb=$(now_ms)
    seq $((b * 100 + 1)) $((b * 100 + 100)) | xargs -P 4 -I{} bash -c 'mkport {}' >>"$LQT_TMP/codes"
    BATCHES+=" $(($(now_ms) - tb))"
done
T2=$(now_ms)
check "1,000 CreatePort calls answer 200" test "$(grep -cx 200 "$LQT_TMP/codes")" = 1000
echo "  time: 1,000 CreatePort calls took $((T2 - T1)) ms (ms per 100:$BATCHES)"
pg_full() { [ "$(pg_ports "$G")" = 1000 ]; }
check "the group's Port_Group holds the 1,000 ports" eventually 60 pg_full
echo "  time: the Port_Group held all 1,000 ports $(($(now_ms) - T1)) ms after the first CreatePort"
secured_full() { [ "$(pg_ports lq_secured)" = 1000 ]; }
check "lq_secured holds them too" eventually 30 secured_full
check "still 52 ACLs for the group (not one per port)" acls_are 52
check "lq_secured still has its 8 ACLs" test "$(nb_acl_count lq_secured)" = 8
ACLS=$(ovn-nbctl --db="$OVN_NB_DB" --bare --columns=_uuid list acl | grep -c .)
check "Northbound has 60 ACLs in all ($ACLS)" test "$ACLS" = 60

# Two of the 1,000 with VMs: the rules hold.
vms() {
    vm_on_port srv "$NET" "{\"securityGroupIds\":[\"$G\"]}" &&
        vm_on_port cli "$NET" "{\"securityGroupIds\":[\"$G\"]}"
}
LQT_V4_PREFIX=20
check "two more ports of the group with VMs" vms || exit 1
vm_listen srv 10025 && vm_listen srv 10051
check "tcp 10025 (rule 25 of 50) opens" eventually 20 tcp_ok cli "${LQT_IP[srv]}" 10025
check_fails "tcp 10051 (no rule) stays closed" tcp_ok cli "${LQT_IP[srv]}" 10051

T3=$(now_ms)
api SecurityGroupService/RemoveRule "{\"securityGroupId\":\"$G\",\"ruleId\":\"$EGRESS_ID\"}" >/dev/null
check "RemoveRule on the group of 1,002 ports" test "$(last_code)" = 200
check "its 2 ACLs leave (52 -> 50: 50 IPv4 tcp rules)" eventually 20 acls_are 50
echo "  time: the rule change reached Northbound in $(($(now_ms) - T3)) ms"
