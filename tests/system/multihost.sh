#!/usr/bin/env bash
# Several hypervisors on one machine (docs/multihost.md): four chassis, each
# a network namespace with its own OVS (userspace) and ovn-controller,
# bootstrapped by lqnet-agent, beside the sandbox's central databases,
# ovn-northd and lqnetd. VMs on different chassis talk over Geneve on an
# underlay segment, and a router's gateway fails over between the three
# chassis that map the physical network when the active one dies.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api
multihost_init
multihost_forget_ns a b hv5 hv4 hv3 hv2 out ul

check "the sandbox's own chassis hv1 (root namespace, 127.0.0.1) leaves" sandbox_chassis_leave

GW_CHASSIS="hv2 hv3 hv4"
chassis_up() {
    mh_underlay_up && mh_outside_up 203.0.113.1/24 &&
        mh_chassis_up hv2 2 && mh_chassis_up hv3 3 && mh_chassis_up hv4 4 &&
        mh_chassis_up hv5 5 --no-physnet
}
check "chassis hv2, hv3, hv4 (mapping physnet) and hv5 (compute only) start in namespaces" \
    chassis_up || exit 1
registered() {
    [ "$(ovn-sbctl --db="$OVN_SB_DB" --bare --columns=name list chassis | grep . | sort | xargs)" = \
        "hv2 hv3 hv4 hv5" ]
}
check "they register in the Southbound, and only they" eventually 15 registered
encaps() {
    [ "$(ovn-sbctl --db="$OVN_SB_DB" --bare --columns=ip find encap type=geneve | grep . | sort | xargs)" = \
        "172.31.250.2 172.31.250.3 172.31.250.4 172.31.250.5" ]
}
check "each with its Geneve endpoint on the underlay" encaps

PUB=$(api VirtualNetworkService/CreateNetwork '{"name":"public","spec":{"type":"EXTERNAL",
  "vlan":{"physicalNetwork":"physnet"},"ipConfig":{"ipv4Subnet":"203.0.113.0/24",
  "ipv4Gateway":"203.0.113.1","allocationPools":[{"start":"203.0.113.100","end":"203.0.113.199"}],
  "dhcp":{"enabled":false}}}}' | jq -r .id)
check "the external network (physnet, 203.0.113.0/24)" test "$(last_code)" = 200
NET=$(api VirtualNetworkService/CreateNetwork "{\"name\":\"web\",\"projectId\":\"alpha\",
  \"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"10.80.1.0/24\"},\"router\":{\"externalGatewayNetworkId\":\"$PUB\"}}}" |
    jq -r .id)
check "a project network routed to it" test "$(last_code)" = 200
ROUTER=$(api RouterService/ListRouters '{"projectId":"alpha"}' | jq -r '.routers[0].id // ""')
check "with a router" test -n "$ROUTER"

check "VM a on hv5" mh_port_vm a hv5 "$NET" alpha
check "VM b on hv2" mh_port_vm b hv2 "$NET" alpha
IPA=${LQT_IP[a]}
IPB=${LQT_IP[b]}

# 1. Two chassis, one network, Geneve between them.
check "a (hv5) reaches b (hv2)" eventually 15 mh_ping a "$IPB"
check "b reaches a" mh_ping b "$IPA"
check "a packet of the network's full MTU crosses the tunnel (ping -M do -s 1414)" \
    mh_ping a "$IPB" -M "do" -s 1414
check_fails "one byte more is refused at the VM (network MTU 1442 on a 1500 underlay)" \
    mh_ping a "$IPB" -M "do" -s 1415

# Only the VMs' pings are that long: BFD in Geneve is shorter.
TD=$LQT_TMP/underlay.tcpdump
ip netns exec "$(mh_ul_ns)" timeout 10 tcpdump -l -nn -v -i br0 -c 2 \
    'udp port 6081 and ip[2:2] > 120' >"$TD" 2>&1 &
TD_PID=$!
listening() { grep -q "listening on" "$TD"; }
check "tcpdump listens on the underlay bridge" eventually 5 listening
mh_vm_exec a ping -n -c 3 -i 0.2 -W 1 "$IPB" >/dev/null
wait "$TD_PID"
geneve_seen() {
    grep -q "Geneve" "$TD" && grep -q "Open Virtual Networking (OVN)" "$TD" &&
        grep -q "$IPA > $IPB: ICMP echo request" "$TD" && grep -Eq "172\.31\.250\.[25]\.[0-9]+ > 172\.31\.250\.[25]\.6081" "$TD"
}
check "the underlay carries the ping as Geneve (UDP 6081, OVN option) between hv5 and hv2" geneve_seen

# 2. Gateway HA.
gw_host() { api RouterService/GetRouter "{\"id\":\"$ROUTER\"}" | jq -r '.gatewayHost // ""'; }
candidates() {
    [ "$(ovn-nbctl --db="$OVN_NB_DB" --bare --columns=chassis_name list gateway_chassis | grep . | sort | xargs)" = \
        "$GW_CHASSIS" ]
}
check "the gateway may run on the chassis that map physnet, and only there" eventually 10 candidates
gw_on_candidate() { [[ " $GW_CHASSIS " == *" $(gw_host) "* ]]; }
check "GetRouter reports gatewayHost, one of them" eventually 15 gw_on_candidate
ACTIVE=$(gw_host)
echo "       gateway on $ACTIVE"
check "a reaches the outside host (203.0.113.1) through the router" eventually 15 mh_ping a 203.0.113.1

PING=$LQT_TMP/failover.ping
# Not through a function: $! must be ping itself, for the SIGINT below.
ip netns exec "$(mh_ns a)" ping -D -n -i 0.1 -W 1 -w 40 203.0.113.1 >"$PING" 2>&1 &
PING_PID=$!
flowing() { [ "$(ping_replies_after "$PING" 0)" -ge 10 ]; }
check "a pings the outside every 0.1 s" eventually 5 flowing
# Both at once, ovn-controller first, as when the host dies: an
# ovn-controller that outlived its ovs-vswitchd would release the gateway
# itself at once (it sees its tunnels go) and hide the detection time.
KILLED_NS=$(date +%s%N)
check "kill -9 ovn-controller and ovs-vswitchd of $ACTIVE" \
    kill -9 "$(mh_pid "$ACTIVE" ovn-controller)" "$(mh_pid "$ACTIVE" ovs-vswitchd)"
moved() {
    local h
    h=$(gw_host)
    [ -n "$h" ] && [ "$h" != "$ACTIVE" ] && [[ " $GW_CHASSIS " == *" $h "* ]]
}
check "the gateway moves to another chassis (GetRouter gatewayHost)" eventually 20 moved
echo "       gateway now on $(gw_host), $((($(date +%s%N) - KILLED_NS) / 1000000)) ms after the kill"
# Replies well after the kill (not ones still in flight at that moment).
AFTER=$(awk -v ns="$KILLED_NS" 'BEGIN { printf "%.3f", ns / 1e9 + 0.5 }')
resumed() { [ "$(ping_replies_after "$PING" "$AFTER")" -ge 10 ]; }
check "the pings are answered again" eventually 20 resumed
kill -INT "$PING_PID" 2>/dev/null
wait "$PING_PID" 2>/dev/null
read -r GAP_MS LOST < <(ping_gap "$PING")
echo "       outage: $GAP_MS ms without replies ($LOST echo requests of 0.1 s lost)"
check "the outage lasts less than 10 s (default BFD: about 3 s)" test "$GAP_MS" -lt 10000
check "and the kill did interrupt the traffic (the gateway was where GetRouter said)" test "$LOST" -ge 2
