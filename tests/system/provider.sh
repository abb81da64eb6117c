#!/usr/bin/env bash
# Provider networks: an EXTERNAL (flat) and a VLAN network on physical
# network "physnet" (br-ex), reached by an "outside" host on br-ex.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

# The outside: a host on br-ex at 203.0.113.1 (untagged), a host on VLAN 100
# at 198.51.100.1 (an access port of br-ex), and a trunk port that only
# listens, to see the tags on the wire (this kernel has no 802.1Q devices).
# Documentation ranges; the traffic stays in namespaces.
OUT=lqt-out
outside_down() {
    local p
    for p in lqt-ox lqt-vx lqt-tx; do
        ovs-vsctl --db="$OVS_DB" --if-exists del-port "$LQNET_PHYS_BRIDGE" "$p" 2>/dev/null
        ip link del "$p" 2>/dev/null
    done
    for ns in "$OUT" lqt-v100; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    return 0
}
trap 'rc=$?; outside_down; (exit $rc); lqt_finish' EXIT
host_on_br_ex() { # NAMESPACE OUTER INNER ADDRESS [ovs-vsctl port settings...]
    local ns=$1 outer=$2 inner=$3 addr=$4
    shift 4
    { ip netns list | grep -qw "$ns" || ip netns add "$ns"; } &&
        ip link add "$outer" type veth peer name "$inner" && ip link set "$inner" netns "$ns" &&
        ovs-vsctl --db="$OVS_DB" add-port "$LQNET_PHYS_BRIDGE" "$outer" "$@" &&
        ip link set "$outer" up && ethtool -K "$outer" tx off >/dev/null &&
        ip -n "$ns" link set "$inner" up && ip netns exec "$ns" ethtool -K "$inner" tx off >/dev/null &&
        { [ -z "$addr" ] || ip -n "$ns" addr add "$addr" dev "$inner"; }
}
outside_up() {
    host_on_br_ex "$OUT" lqt-ox lqt-oi 203.0.113.1/24 &&
        host_on_br_ex lqt-v100 lqt-vx lqt-vi 198.51.100.1/24 -- set port lqt-vx tag=100 &&
        host_on_br_ex "$OUT" lqt-tx lqt-ti ""
}
outside_down # leftovers of an interrupted run
check "an outside host on $LQNET_PHYS_BRIDGE" outside_up

PUB=$(api VirtualNetworkService/CreateNetwork '{"name":"public","spec":{"type":"EXTERNAL",
  "vlan":{"physicalNetwork":"physnet"},"ipConfig":{"ipv4Subnet":"203.0.113.0/24",
  "ipv4Gateway":"203.0.113.1","allocationPools":[{"start":"203.0.113.100","end":"203.0.113.200"}]}}}' | jq -r .id)
check "an admin creates a flat EXTERNAL network" test "$(last_code)" = 200 -a "$PUB" != null
check "a provider network has the physical MTU" test "$(last_body .status.mtu)" = 1500
net_ready() { api VirtualNetworkService/GetNetwork "{\"id\":\"$1\"}" | jq -e '.status.phase == "READY"' >/dev/null; }
check "it becomes READY" eventually 10 net_ready "$PUB"
ln_ok() { ovn-nbctl --db="$OVN_NB_DB" --bare --columns=type,options find logical_switch_port name="lqnet-ln-$PUB" | tr '\n' ' ' | grep -q "localnet.*network_name=physnet"; }
check "its switch has a localnet port on physnet" eventually 10 ln_ok

P=$(api PortService/CreatePort "{\"name\":\"e1\",\"networkId\":\"$PUB\"}" | jq -r .id); IP=$(last_body '.status.ipAddresses[0]')
check "a VM on it" vm_create e1 "$P" --mtu-from-dhcp
check "gets its lease from OVN" vm_dhcp e1
check "the address lqnet allocated, from the pool" test "$(vm_lease e1 ip)" = "$IP" -a "${IP%.*}" = 203.0.113
check "the lease says MTU 1500" test "$(vm_lease e1 mtu)" = 1500
check "the VM reaches the outside host" eventually 10 vm_ping e1 203.0.113.1

V=$(api VirtualNetworkService/CreateNetwork '{"name":"vlan100","spec":{"type":"VLAN",
  "vlan":{"physicalNetwork":"physnet","vlanId":100},"ipConfig":{"ipv4Subnet":"198.51.100.0/24",
  "allocationPools":[{"start":"198.51.100.10","end":"198.51.100.20"}]}}}' | jq -r .id)
check "an admin creates a VLAN network (id 100 on physnet)" test "$(last_code)" = 200 -a "$V" != null
VP=$(api PortService/CreatePort "{\"name\":\"v1\",\"networkId\":\"$V\"}" | jq -r .id)
vm_create v1 "$VP" >/dev/null && vm_dhcp v1 >/dev/null
ip netns exec "$OUT" timeout 8 tcpdump -l -n -e -c 1 -i lqt-ti 'vlan 100' >"$LQT_TMP/tcpdump" 2>/dev/null &
sleep 1
check "the VLAN VM reaches the outside host's VLAN 100 address" eventually 10 vm_ping v1 198.51.100.1
wait
check "its frames leave $LQNET_PHYS_BRIDGE tagged with VLAN 100 (tcpdump -e on a trunk port)" grep -q "vlan 100" "$LQT_TMP/tcpdump"
check_fails "the VLAN VM cannot reach the untagged outside address" vm_ping v1 203.0.113.1

api VirtualNetworkService/CreateNetwork '{"name":"dup","spec":{"type":"VLAN","vlan":{"physicalNetwork":"physnet","vlanId":100}}}' >/dev/null
check "VLAN 100 on physnet again is already_exists naming spec.vlan.vlanId" \
    test "$(last_code)" = 409 -a "$(last_body '.message|startswith("spec.vlan.vlanId")')" = true
api VirtualNetworkService/CreateNetwork '{"name":"flat2","spec":{"type":"EXTERNAL","vlan":{"physicalNetwork":"physnet"}}}' >/dev/null
check "a second untagged network on physnet is already_exists" test "$(last_code)" = 409
api VirtualNetworkService/CreateNetwork '{"name":"big","spec":{"type":"VLAN","vlan":{"physicalNetwork":"physnet","vlanId":4095}}}' >/dev/null
check "VLAN 4095 is invalid_argument" test "$(last_code)" = 400 -a "$(last_body .code)" = invalid_argument

M=$(api TokenService/CreateToken '{"projectId":"tenant","role":"member"}' | jq -r .token)
api_as "$M" VirtualNetworkService/CreateNetwork '{"name":"x","spec":{"type":"EXTERNAL","vlan":{"physicalNetwork":"physnet","vlanId":7}}}' >/dev/null
check "a member cannot create an EXTERNAL network" test "$(last_code)" = 403 -a "$(last_body .code)" = permission_denied
api_as "$M" VirtualNetworkService/ListNetworks >/dev/null
check "a member sees the external network" test "$(last_body "[.networks[].id]|index(\"$PUB\") != null")" = true
check_fails "... but not the admin's VLAN network" test "$(last_body "[.networks[].id]|index(\"$V\") != null")" = true
api_as "$M" PortService/CreatePort "{\"name\":\"x\",\"networkId\":\"$PUB\"}" >/dev/null
check "a member cannot plug a VM straight into the (unshared) external network" test "$(last_code)" = 404

vm_delete v1 >/dev/null
api VirtualNetworkService/DeleteNetwork "{\"id\":\"$V\",\"force\":true}" >/dev/null
api VirtualNetworkService/CreateNetwork '{"name":"again","spec":{"type":"VLAN","vlan":{"physicalNetwork":"physnet","vlanId":100}}}' >/dev/null
check "deleting the VLAN network frees VLAN 100" test "$(last_code)" = 200
