#!/usr/bin/env bash
# Security group figure, against a running sandbox (bench/run starts one):
# the time from AddRule to the first packet of the newly allowed flow.
# (lqnet-bench measures attaching a group to its 1,000 ports.)
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

scripts/vm delete sgsrv >/dev/null; scripts/vm delete sgcli >/dev/null
