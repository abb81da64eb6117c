#!/usr/bin/env bash
# Security group figures, against a running sandbox (bench/run starts one):
# the time from AddRule to the first packet of the newly allowed flow, and
# the time to attach a group to every port of the benchmark network.
set -eu
cd "$(dirname "$0")/.."
call() { # METHOD JSON
    curl -s -X POST -H "Authorization: Bearer $LQNET_TOKEN" -H 'Content-Type: application/json' \
        -d "$2" "$LQNET_URL/limiquantix.network.v1.$1"
}
ms() { echo $(($(date +%s%N) / 1000000)); }

# AddRule -> enforcement: a server in a group without the rule, a client.
NET=$(call VirtualNetworkService/CreateNetwork '{"name":"sgbench","spec":{"ipConfig":{"ipv4Subnet":"10.129.0.0/24"}}}' | jq -r .id)
G=$(call SecurityGroupService/CreateSecurityGroup '{"name":"closed","rules":[{"direction":"EGRESS"}]}' | jq -r .id)
S=$(call PortService/CreatePort "{\"name\":\"srv\",\"networkId\":\"$NET\",\"spec\":{\"securityGroupIds\":[\"$G\"]}}" | jq -r .id)
C=$(call PortService/CreatePort "{\"name\":\"cli\",\"networkId\":\"$NET\"}" | jq -r .id)
SIP=$(call PortService/GetPort "{\"id\":\"$S\"}" | jq -r '.status.ipAddresses[0]')
scripts/vm create sgsrv --port "$S" >/dev/null && scripts/vm create sgcli --port "$C" >/dev/null
scripts/vm dhcp sgsrv >/dev/null && scripts/vm dhcp sgcli >/dev/null
scripts/vm exec sgsrv timeout 60 ncat -l -k 8080 >/dev/null 2>&1 &
sleep 0.5
if scripts/vm exec sgcli ncat -z -w 1 "$SIP" 8080 2>/dev/null; then
    echo "sg bench: port 8080 is open before the rule exists" >&2
    exit 1
fi
t0=$(ms)
call SecurityGroupService/AddRule "{\"securityGroupId\":\"$G\",\"rule\":{\"protocol\":\"tcp\",\"portMin\":8080}}" >/dev/null
until scripts/vm exec sgcli ncat -z -w 0.2 "$SIP" 8080 2>/dev/null; do
    [ $(($(ms) - t0)) -lt 10000 ] || { echo "sg bench: rule not enforced within 10 s" >&2; exit 1; }
done
echo "AddRule -> enforcement      $(($(ms) - t0)) ms (first TCP connect that succeeds)"

# Attach a group to every port of the benchmark network (made by lqnet-bench).
BN=$(call VirtualNetworkService/ListNetworks '{}' | jq -r '.networks[]|select(.name=="bench")|.id')
[ -n "$BN" ] || { echo "sg bench: run lqnet-bench first (bench/run does)" >&2; exit 1; }
A=$(call SecurityGroupService/CreateSecurityGroup '{"name":"attach","rules":[{"protocol":"tcp","portMin":443}]}' | jq -r .id)
PG=lq_${A//-/_}
call PortService/ListPorts "{\"networkId\":\"$BN\"}" | jq -r '.ports[].id' >/tmp/lqnet-sg-bench.ports
N=$(wc -l </tmp/lqnet-sg-bench.ports)
t0=$(ms)
xargs -P 8 -I{} curl -s -o /dev/null -X POST -H "Authorization: Bearer $LQNET_TOKEN" \
    -H 'Content-Type: application/json' \
    -d "{\"id\":\"{}\",\"spec\":{\"securityGroupIds\":[\"$A\"]},\"updateMask\":\"spec.securityGroupIds\"}" \
    "$LQNET_URL/limiquantix.network.v1.PortService/UpdatePort" </tmp/lqnet-sg-bench.ports
t1=$(ms)
until [ "$(ovn-nbctl --db="$OVN_NB_DB" --bare --columns=ports find port_group name="$PG" | wc -w)" -ge "$N" ]; do
    [ $(($(ms) - t0)) -lt 120000 ] || { echo "sg bench: attach did not finish" >&2; exit 1; }
    sleep 0.05
done
echo "attach a group to $N ports  $((t1 - t0)) ms for the API calls, $(($(ms) - t0)) ms until all are in the port group"
ACLS=$(ovn-nbctl --db="$OVN_NB_DB" --bare --columns=_uuid find acl "external_ids:\"lqnet:owner\"=$A" | grep -c .)
echo "ACL rows of that group      $ACLS (1 rule, IPv4 and IPv6)"
scripts/vm delete sgsrv >/dev/null; scripts/vm delete sgcli >/dev/null
rm -f /tmp/lqnet-sg-bench.ports
