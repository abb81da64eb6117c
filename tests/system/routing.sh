#!/usr/bin/env bash
# Routers, SNAT and floating IPs, with an "outside" host on br-ex standing
# for the data-centre network (203.0.113.0/24, documentation range).
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

OUT=lqt-rout
outside_down() {
    ovs-vsctl --db="$OVS_DB" --if-exists del-port "$LQNET_PHYS_BRIDGE" lqt-rx 2>/dev/null
    ip link del lqt-rx 2>/dev/null
    ip netns pids "$OUT" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$OUT" 2>/dev/null
    return 0
}
trap 'rc=$?; outside_down; (exit $rc); lqt_finish' EXIT
outside_up() {
    ip netns add "$OUT" && ip link add lqt-rx type veth peer name lqt-ri &&
        ip link set lqt-ri netns "$OUT" &&
        ovs-vsctl --db="$OVS_DB" add-port "$LQNET_PHYS_BRIDGE" lqt-rx &&
        ip link set lqt-rx up && ethtool -K lqt-rx tx off >/dev/null &&
        ip -n "$OUT" link set lqt-ri up && ip netns exec "$OUT" ethtool -K lqt-ri tx off >/dev/null &&
        ip -n "$OUT" addr add 203.0.113.1/24 dev lqt-ri && ip -n "$OUT" link set lo up
}
outside_down # leftovers of an interrupted run
check "an outside host on $LQNET_PHYS_BRIDGE (203.0.113.1)" outside_up
out_exec() { ip netns exec "$OUT" "$@"; }

PUB=$(api VirtualNetworkService/CreateNetwork '{"name":"public","spec":{"type":"EXTERNAL",
  "vlan":{"physicalNetwork":"physnet"},"ipConfig":{"ipv4Subnet":"203.0.113.0/24",
  "ipv4Gateway":"203.0.113.1","allocationPools":[{"start":"203.0.113.100","end":"203.0.113.199"}],
  "dhcp":{"enabled":false}}}}' | jq -r .id)
check "an admin creates the external network" test "$(last_code)" = 200
token() { api TokenService/CreateToken "{\"projectId\":\"$1\",\"role\":\"member\"}" | jq -r .token; }
A=$(token alpha)
B=$(token beta)

mknet() { # TOKEN NAME CIDR ROUTER-JSON
    api_as "$1" VirtualNetworkService/CreateNetwork "{\"name\":\"$2\",\"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"$3\"},\"router\":$4}}" | jq -r .id
}
N1=$(mknet "$A" web 10.70.1.0/24 "{\"externalGatewayNetworkId\":\"$PUB\"}")
check "a member routes a network to the external network" test "$(last_code)" = 200 -a "$(last_body .spec.router.enableSnat)" = true
N2=$(mknet "$A" db 10.70.2.0/24 "{\"externalGatewayNetworkId\":\"$PUB\"}")
api_as "$A" RouterService/ListRouters >/dev/null
R=$(last_body '.routers[0].id')
check "the project's two networks share one router" \
    test "$(last_body '.routers|length')" = 1 -a "$(last_body '.routers[0].networkIds|length')" = 2
GWIP=$(last_body '.routers[0].externalIp')
check "the router has an address on the outside" test "${GWIP%.*}" = 203.0.113
router_active() { api_as "$A" RouterService/GetRouter "{\"id\":\"$R\"}" | jq -e '.status.phase == "ACTIVE" and .gatewayHost == "hv1"' >/dev/null; }
check "the router becomes ACTIVE with its gateway on hv1" eventually 15 router_active

mkvm() { # TOKEN NETWORK VM
    local p
    p=$(api_as "$1" PortService/CreatePort "{\"name\":\"$3\",\"networkId\":\"$2\"}" | jq -r .id)
    vm_create "$3" "$p" >/dev/null && vm_dhcp "$3" >/dev/null && echo "$p"
}
P1=$(mkvm "$A" "$N1" a1); IP1=$(vm_lease a1 ip)
P2=$(mkvm "$A" "$N2" a2); IP2=$(vm_lease a2 ip)
check "VMs on two networks of a project reach each other through the router" eventually 15 vm_ping a1 "$IP2"
check "the lease's router is the network's gateway" test "$(vm_lease a1 routers)" = 10.70.1.1

# SNAT: the outside host sees the router's external address.
out_exec sh -c 'timeout 120 ncat -l -k 8080 -c "echo \$NCAT_REMOTE_ADDR" >/dev/null 2>&1 &'
sleep 0.3
seen_from() { vm_exec "$1" ncat --recv-only -w 2 203.0.113.1 8080 2>/dev/null | head -1; }
seen_is() { [ "$(seen_from "$1")" = "$2" ]; }
check "a VM reaches the outside through SNAT; the outside sees $GWIP" eventually 15 seen_is a1 "$GWIP"

# Floating IPs. The VMs open TCP 9090 to the world, besides their default group.
OPEN=$(api_as "$A" SecurityGroupService/CreateSecurityGroup '{"name":"open9090","rules":[{"protocol":"tcp","portMin":9090},{"direction":"EGRESS"}]}' | jq -r .id)
DEF=$(api_as "$A" SecurityGroupService/ListSecurityGroups | jq -r '.securityGroups[]|select(.name=="default")|.id')
for p in "$P1" "$P2"; do
    api_as "$A" PortService/UpdatePort "{\"id\":\"$p\",\"spec\":{\"securityGroupIds\":[\"$DEF\",\"$OPEN\"]},\"updateMask\":\"spec.securityGroupIds\"}" >/dev/null
done
check "the VMs open TCP 9090 with a security group" test "$(last_code)" = 200
F=$(api_as "$A" FloatingIpService/AllocateFloatingIp "{\"externalNetworkId\":\"$PUB\"}" | jq -r .id)
FIP=$(last_body .ipAddress)
check "a member allocates a floating IP from the external network" test "${FIP%.*}" = 203.0.113 -a "$FIP" != "$GWIP"
api_as "$A" FloatingIpService/AssociateFloatingIp "{\"floatingIpId\":\"$F\",\"portId\":\"$P1\"}" >/dev/null
check "and associates it with a1" test "$(last_code)" = 200 -a "$(last_body .assignment.fixedIp)" = "$IP1"
fip_active() { api_as "$A" FloatingIpService/GetFloatingIp "{\"id\":\"$F\"}" | jq -e '.status.phase == "ACTIVE"' >/dev/null; }
check "the floating IP becomes ACTIVE" eventually 15 fip_active
distributed() { [ "$(ovn-nbctl --db="$OVN_NB_DB" --bare --columns=logical_port find nat "external_ip=\"$FIP\"")" = "$P1" ]; }
check "its NAT is distributed: handled on a1's host, which maps physnet" eventually 10 distributed
vm_bg a1 sh -c 'ncat -l -k 9090 -c "echo a1 \$NCAT_REMOTE_ADDR"'
vm_bg a2 sh -c 'ncat -l -k 9090 -c "echo a2 \$NCAT_REMOTE_ADDR"'
sleep 0.3
reach() { out_exec ncat --recv-only -w 2 "$1" 9090 2>/dev/null | head -1; }
fip_to_a1() { [ "$(reach "$FIP")" = "a1 203.0.113.1" ]; }
check "the outside reaches a1 by its floating IP, and a1 sees the outside's real address" eventually 15 fip_to_a1
check "with a floating IP, a1's own traffic leaves as the floating IP" eventually 10 seen_is a1 "$FIP"
too_big() { out_exec ping -c 2 -W 1 -M do -s 1472 "$FIP" 2>&1 | grep -Eq "mtu ?= ?1442"; }
check "a 1500-byte packet from outside gets 'fragmentation needed, mtu 1442' back" eventually 10 too_big

api_as "$A" FloatingIpService/AssociateFloatingIp "{\"floatingIpId\":\"$F\",\"portId\":\"$P2\"}" >/dev/null
check "the floating IP moves to a2" test "$(last_code)" = 200
moved() { [ "$(reach "$FIP")" = "a2 203.0.113.1" ] && seen_is a2 "$FIP"; }
check "it now reaches a2 (and a2 leaves as it)" eventually 15 moved
check "a1 is back behind SNAT" eventually 10 seen_is a1 "$GWIP"
api_as "$A" FloatingIpService/ReleaseFloatingIp "{\"id\":\"$F\"}" >/dev/null
released() { ! out_exec ping -c 1 -W 1 "$FIP" >/dev/null; }
check "a released floating IP answers nothing" eventually 10 released
nat_gone() { ! ovn-nbctl --db="$OVN_NB_DB" --bare --columns=external_ip list nat | grep -qx "$FIP"; }
check "and leaves no NAT row behind" eventually 10 nat_gone

# A port that goes takes its floating IP's NAT with it.
PX=$(api_as "$A" PortService/CreatePort "{\"name\":\"x1\",\"networkId\":\"$N1\"}" | jq -r .id)
FX=$(api_as "$A" FloatingIpService/AllocateFloatingIp "{\"externalNetworkId\":\"$PUB\"}" | jq -r .id)
FXIP=$(last_body .ipAddress)
api_as "$A" FloatingIpService/AssociateFloatingIp "{\"floatingIpId\":\"$FX\",\"portId\":\"$PX\"}" >/dev/null
nat_for() { ovn-nbctl --db="$OVN_NB_DB" --bare --columns=external_ip list nat | grep -qx "$1"; }
check "a floating IP on a port has its NAT" eventually 10 nat_for "$FXIP"
api_as "$A" PortService/DeletePort "{\"id\":\"$PX\"}" >/dev/null
nat_gone_for() { ! nat_for "$1"; }
check "deleting the port removes the NAT" eventually 10 nat_gone_for "$FXIP"
api_as "$A" FloatingIpService/GetFloatingIp "{\"id\":\"$FX\"}" >/dev/null
check "and leaves the floating IP allocated, unassociated and DOWN" \
    test "$(last_body '.assignment // "none"')" = none -a "$(last_body .status.phase)" = DOWN

# Static routes.
api_as "$A" VirtualNetworkService/UpdateNetwork "{\"id\":\"$N2\",\"spec\":{\"router\":{\"externalGatewayNetworkId\":\"$PUB\",\"routes\":[{\"destination\":\"198.51.100.0/24\",\"nextHop\":\"203.0.113.1\"}]}},\"updateMask\":\"spec.router\"}" >/dev/null
check "a static route is accepted" test "$(last_code)" = 200
route_in() { ovn-nbctl --db="$OVN_NB_DB" lr-route-list "lqnet-r-$R" | grep -q "198.51.100.0/24 *203.0.113.1"; }
check "and reaches the router" eventually 10 route_in
check "RouterService lists it" test "$(api_as "$A" RouterService/GetRouter "{\"id\":\"$R\"}" | jq -r '.routes[0].destination')" = 198.51.100.0/24
api_as "$A" VirtualNetworkService/UpdateNetwork "{\"id\":\"$N2\",\"spec\":{\"router\":{\"externalGatewayNetworkId\":\"$PUB\",\"routes\":[{\"destination\":\"198.51.100.0/33\",\"nextHop\":\"203.0.113.1\"}]}},\"updateMask\":\"spec.router\"}" >/dev/null
check "a bad route destination is invalid_argument naming it" \
    test "$(last_code)" = 400 -a "$(last_body '.message|startswith("spec.router.routes[0].destination")')" = true

# Isolation and the rules.
NB_=$(mknet "$B" web 10.70.1.0/24 "{\"externalGatewayNetworkId\":\"$PUB\"}")
PB=$(mkvm "$B" "$NB_" b1)
check "another project with the same subnet reaches the outside too" eventually 15 seen_is b1 "$(api_as "$B" RouterService/ListRouters | jq -r '.routers[0].externalIp')"
check_fails "but not project alpha's VMs" vm_ping b1 "$IP2"
ISO=$(api_as "$A" VirtualNetworkService/CreateNetwork '{"name":"iso","spec":{"type":"ISOLATED","ipConfig":{"ipv4Subnet":"10.70.9.0/24"},"router":{"enabled":true}}}')
check "an ISOLATED network cannot route" test "$(last_code)" = 400
api_as "$A" VirtualNetworkService/CreateNetwork '{"name":"x","spec":{"type":"EXTERNAL","vlan":{"physicalNetwork":"physnet","vlanId":9}}}' >/dev/null
check "a member cannot create an external network" test "$(last_code)" = 403
api_as "$A" FloatingIpService/AllocateFloatingIp "{\"externalNetworkId\":\"$N1\"}" >/dev/null
check "a floating IP from a non-external network is invalid_argument" test "$(last_code)" = 400 -a "$(last_body .code)" = invalid_argument
api_as "$A" FloatingIpService/AllocateFloatingIp "{\"externalNetworkId\":\"$PUB\",\"ipAddress\":\"198.51.100.7\"}" >/dev/null
check "an address outside the external subnet is invalid_argument naming ipAddress" \
    test "$(last_code)" = 400 -a "$(last_body '.message|startswith("ipAddress")')" = true
F2=$(api_as "$A" FloatingIpService/AllocateFloatingIp "{\"externalNetworkId\":\"$PUB\"}" | jq -r .id)
api_as "$B" FloatingIpService/AssociateFloatingIp "{\"floatingIpId\":\"$F2\",\"portId\":\"$PB\"}" >/dev/null
check "associating another project's floating IP is not_found" test "$(last_code)" = 404
api_as "$A" FloatingIpService/AssociateFloatingIp "{\"floatingIpId\":\"$F2\",\"portId\":\"$PB\"}" >/dev/null
check "associating with another project's port is not_found" test "$(last_code)" = 404
LOCAL=$(mknet "$A" local 10.70.5.0/24 '{"enabled":true}')
PL=$(api_as "$A" PortService/CreatePort "{\"name\":\"l1\",\"networkId\":\"$LOCAL\"}" | jq -r .id)
api_as "$A" FloatingIpService/AssociateFloatingIp "{\"floatingIpId\":\"$F2\",\"portId\":\"$PL\"}" >/dev/null
check "a port whose network is not routed to that external network is failed_precondition" \
    test "$(last_code)" = 400 -a "$(last_body .code)" = failed_precondition
