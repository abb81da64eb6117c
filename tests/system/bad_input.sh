#!/usr/bin/env bash
# Bad input gets a clear error naming the field, and changes nothing: the
# LQNet and Northbound databases are exactly as before every failed call.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

# Both databases, rows sorted, uuids and all: any change shows.
snapshot() {
    for db in LQNet OVN_Northbound; do
        ovsdb-client -f json dump "$OVN_NB_DB" "$db" | jq -S -c '[.[] | {caption, data: (.data | sort)}]'
    done
}
NET=$(api VirtualNetworkService/CreateNetwork '{"name":"n","spec":{"ipConfig":{"ipv4Subnet":"10.30.0.0/24",
  "allocationPools":[{"start":"10.30.0.10","end":"10.30.0.20"}]}}}' | jq -r .id)
P=$(api PortService/CreatePort "{\"name\":\"p\",\"networkId\":\"$NET\",\"spec\":{\"fixedIps\":[{\"ipAddress\":\"10.30.0.15\"}]}}" | jq -r .id)
check "setup: a network and a port" test "$NET" != null -a "$P" != null
PUB=$(api VirtualNetworkService/CreateNetwork '{"name":"public","spec":{"type":"EXTERNAL",
  "vlan":{"physicalNetwork":"physnet"},"ipConfig":{"ipv4Subnet":"203.0.113.0/24",
  "dhcp":{"enabled":false}}}}' | jq -r .id)
MEMBER=$(api TokenService/CreateToken '{"projectId":"tenant","role":"member"}' | jq -r .token)
OTHER=$(api TokenService/CreateToken '{"projectId":"other","role":"member"}' | jq -r .token)
TN=$(api_as "$MEMBER" VirtualNetworkService/CreateNetwork "{\"name\":\"t\",\"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"10.31.0.0/24\"},\"router\":{\"externalGatewayNetworkId\":\"$PUB\"}}}" | jq -r .id)
TP=$(api_as "$MEMBER" PortService/CreatePort "{\"name\":\"tp\",\"networkId\":\"$TN\"}" | jq -r .id)
OF=$(api_as "$OTHER" FloatingIpService/AllocateFloatingIp "{\"externalNetworkId\":\"$PUB\"}" | jq -r .id)
check "setup: an external network, a routed tenant network, another project's floating IP" \
    test "$PUB" != null -a "$TP" != null -a "$OF" != null
ready() { api PortService/GetPort "{\"id\":\"$1\"}" | jq -e '.status.phase != "PENDING"'; }
check "setup: the ports reached Northbound" eventually 10 ready "$P"
check "setup: ..." eventually 10 ready "$TP"
router_ready() { api RouterService/ListRouters | jq -e '.routers[0].status.phase == "ACTIVE"' >/dev/null; }
check "setup: the tenant's router is in place" eventually 10 router_ready
sleep 0.5
snapshot >"$LQT_TMP/before"

# expect NAME HTTP CODE FIELD METHOD JSON: the call fails as said, the
# message names FIELD, and neither database changed.
expect() {
    local name=$1 http=$2 code=$3 field=$4 method=$5 json=$6
    api_as "${AS:-$LQNET_TOKEN}" "$method" "$json" >/dev/null
    local got_code got_msg
    got_code=$(last_body .code 2>/dev/null)
    got_msg=$(last_body .message 2>/dev/null)
    sleep 0.1
    snapshot >"$LQT_TMP/after"
    check "$name: HTTP $http $code" test "$(last_code)" = "$http" -a "$got_code" = "$code"
    check "$name: the message names $field" grep -qF -- "$field" <<<"$got_msg"
    check "$name: nothing changed" cmp -s "$LQT_TMP/before" "$LQT_TMP/after"
}
CN=VirtualNetworkService/CreateNetwork
CP=PortService/CreatePort
expect "malformed CIDR" 400 invalid_argument spec.ipConfig.ipv4Subnet $CN \
    '{"name":"x","spec":{"ipConfig":{"ipv4Subnet":"10.0.1.0/33"}}}'
expect "CIDR with host bits" 400 invalid_argument spec.ipConfig.ipv4Subnet $CN \
    '{"name":"x","spec":{"ipConfig":{"ipv4Subnet":"10.0.1.7/24"}}}'
expect "gateway outside the subnet" 400 invalid_argument spec.ipConfig.ipv4Gateway $CN \
    '{"name":"x","spec":{"ipConfig":{"ipv4Subnet":"10.0.1.0/24","ipv4Gateway":"10.0.2.1"}}}'
expect "pool outside the subnet" 400 invalid_argument "spec.ipConfig.allocationPools[0]" $CN \
    '{"name":"x","spec":{"ipConfig":{"ipv4Subnet":"10.0.1.0/24","allocationPools":[{"start":"10.0.2.10","end":"10.0.2.20"}]}}}'
expect "overlapping pools" 400 invalid_argument "spec.ipConfig.allocationPools[1]" $CN \
    '{"name":"x","spec":{"ipConfig":{"ipv4Subnet":"10.0.1.0/24","allocationPools":[{"start":"10.0.1.10","end":"10.0.1.20"},{"start":"10.0.1.15","end":"10.0.1.30"}]}}}'
expect "a DNS server that is not an address" 400 invalid_argument "spec.ipConfig.dhcp.dnsServers[1]" $CN \
    '{"name":"x","spec":{"ipConfig":{"ipv4Subnet":"10.0.1.0/24","dhcp":{"dnsServers":["10.0.0.1","ten"]}}}}'
expect "an MTU above what Geneve can carry" 400 invalid_argument spec.mtu $CN \
    '{"name":"x","spec":{"mtu":1500,"ipConfig":{"ipv4Subnet":"10.0.1.0/24"}}}'
expect "an unknown network type" 400 invalid_argument spec.type $CN \
    '{"name":"x","spec":{"type":"MESH"}}'
expect "an unknown JSON field" 400 invalid_argument spec.ipConfig.bogus $CN \
    '{"name":"x","spec":{"ipConfig":{"bogus":1}}}'
expect "a wrong type" 400 invalid_argument spec.ipConfig.ipv4Subnet $CN \
    '{"name":"x","spec":{"ipConfig":{"ipv4Subnet":42}}}'
expect "truncated JSON" 400 invalid_argument JSON $CN '{"name":"x","spec":{"ipConf'
expect "a fixed IP outside the subnet" 400 invalid_argument "spec.fixedIps[0].ipAddress" $CP \
    "{\"name\":\"q\",\"networkId\":\"$NET\",\"spec\":{\"fixedIps\":[{\"ipAddress\":\"10.31.0.5\"}]}}"
expect "a fixed IP that is the gateway" 400 invalid_argument "spec.fixedIps[0].ipAddress" $CP \
    "{\"name\":\"q\",\"networkId\":\"$NET\",\"spec\":{\"fixedIps\":[{\"ipAddress\":\"10.30.0.1\"}]}}"
expect "a duplicate fixed IP" 409 already_exists "spec.fixedIps[0].ipAddress" $CP \
    "{\"name\":\"q\",\"networkId\":\"$NET\",\"spec\":{\"fixedIps\":[{\"ipAddress\":\"10.30.0.15\"}]}}"
expect "a multicast MAC" 400 invalid_argument spec.macAddress $CP \
    "{\"name\":\"q\",\"networkId\":\"$NET\",\"spec\":{\"macAddress\":\"01:00:5e:00:00:01\"}}"
expect "a port on a network that does not exist" 404 not_found networkId $CP \
    '{"name":"q","networkId":"4b0c1d7e-0000-4000-8000-000000000000"}'
expect "deleting a network with ports" 400 failed_precondition id VirtualNetworkService/DeleteNetwork \
    "{\"id\":\"$NET\"}"
expect "an update mask naming no field" 400 invalid_argument updateMask VirtualNetworkService/UpdateNetwork \
    "{\"id\":\"$NET\",\"spec\":{},\"updateMask\":\"spec.nothing\"}"

# Routing and floating IPs, as a project member.
AS=$MEMBER expect "a member creating an external network" 403 permission_denied spec.type $CN \
    '{"name":"x","spec":{"type":"EXTERNAL","vlan":{"physicalNetwork":"physnet","vlanId":7}}}'
AS=$MEMBER expect "a floating IP from a non-external network" 400 invalid_argument externalNetworkId \
    FloatingIpService/AllocateFloatingIp "{\"externalNetworkId\":\"$TN\"}"
AS=$MEMBER expect "a floating IP outside the external subnet" 400 invalid_argument ipAddress \
    FloatingIpService/AllocateFloatingIp "{\"externalNetworkId\":\"$PUB\",\"ipAddress\":\"198.51.100.7\"}"
AS=$MEMBER expect "associating another project's floating IP" 404 not_found floatingIpId \
    FloatingIpService/AssociateFloatingIp "{\"floatingIpId\":\"$OF\",\"portId\":\"$TP\"}"
AS=$OTHER expect "associating with another project's port" 404 not_found portId \
    FloatingIpService/AssociateFloatingIp "{\"floatingIpId\":\"$OF\",\"portId\":\"$TP\"}"
AS=$MEMBER expect "routing to a network that is not external" 400 failed_precondition \
    spec.router.externalGatewayNetworkId $CN \
    "{\"name\":\"x\",\"spec\":{\"router\":{\"externalGatewayNetworkId\":\"$TN\"}}}"
AS=$MEMBER expect "a duplicate security group rule" 409 already_exists rules[1] \
    SecurityGroupService/CreateSecurityGroup '{"name":"x","rules":[{"protocol":"tcp","portMin":22},{"protocol":"6","portMin":22}]}'
AS=$MEMBER expect "a port range with ICMP" 400 invalid_argument rules[0].portMin \
    SecurityGroupService/CreateSecurityGroup '{"name":"x","rules":[{"protocol":"icmp","portMin":22}]}'

# A body over 1 MiB.
head -c 1200000 /dev/zero | tr '\0' ' ' >"$LQT_TMP/huge"
printf '{"name":"x"}' >>"$LQT_TMP/huge"
CODE=$(curl -s -o "$LQT_TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $LQNET_TOKEN" \
    -H 'Content-Type: application/json' --data-binary "@$LQT_TMP/huge" "$LQNET_URL/limiquantix.network.v1.$CN")
check "a huge body: HTTP 429 resource_exhausted" test "$CODE" = 429 -a "$(last_body .code)" = resource_exhausted
snapshot >"$LQT_TMP/after"
check "a huge body: nothing changed" cmp -s "$LQT_TMP/before" "$LQT_TMP/after"

# A binary (application/proto) call works, and its errors are JSON.
printf '' >"$LQT_TMP/empty.bin"
CODE=$(curl -s -o "$LQT_TMP/list.bin" -w '%{http_code}' -X POST -H "Authorization: Bearer $LQNET_TOKEN" \
    -H 'Content-Type: application/proto' --data-binary "@$LQT_TMP/empty.bin" "$LQNET_URL/limiquantix.network.v1.VirtualNetworkService/ListNetworks")
check "a binary ListNetworks answers 200 with protobuf" test "$CODE" = 200 -a -s "$LQT_TMP/list.bin"
printf '\x0a\xff' >"$LQT_TMP/bad.bin"
CODE=$(curl -s -o "$LQT_TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $LQNET_TOKEN" \
    -H 'Content-Type: application/proto' --data-binary "@$LQT_TMP/bad.bin" "$LQNET_URL/limiquantix.network.v1.$CN")
check "malformed protobuf: a JSON invalid_argument error" test "$CODE" = 400 -a "$(last_body .code)" = invalid_argument
api LoadBalancerService/ListLoadBalancers >/dev/null
check "a method not built yet is unimplemented" test "$(last_code)" = 501 -a "$(last_body .code)" = unimplemented

# What a real Connect client sends: chunked bodies, protocol headers.
printf '{"name":"chunked","spec":{"ipConfig":{"ipv4Subnet":"10.33.0.0/24"}}}' >"$LQT_TMP/chunked.json"
CODE=$(curl -s -o "$LQT_TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $LQNET_TOKEN" \
    -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' -H 'Connect-Protocol-Version: 1' \
    -H 'Connect-Timeout-Ms: 5000' --data-binary "@$LQT_TMP/chunked.json" "$LQNET_URL/limiquantix.network.v1.$CN")
check "a chunked request with Connect headers is served" test "$CODE" = 200 -a "$(last_body .name)" = chunked
