#!/usr/bin/env bash
# IPv6 through a router: dual-stack networks get router advertisements
# (SLAAC), the VMs configure exactly the addresses lqnet allocated, and the
# router routes IPv6 between the networks.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

mknet() { # NAME V4 V6
    api VirtualNetworkService/CreateNetwork "{\"name\":\"$1\",\"spec\":{\"ipConfig\":{\"ipv4Subnet\":\"$2\",\"ipv6Subnet\":\"$3\"},\"router\":{\"enabled\":true}}}" | jq -r .id
}
N1=$(mknet six1 10.80.1.0/24 fd00:80:1::/64)
N2=$(mknet six2 10.80.2.0/24 fd00:80:2::/64)
check "two dual-stack networks routed together" test -n "$N1" -a -n "$N2" -a "$(last_code)" = 200
R=$(api RouterService/ListRouters | jq -r '.routers[0].id')
active() { api RouterService/GetRouter "{\"id\":\"$R\"}" | jq -e '.status.phase == "ACTIVE"' >/dev/null; }
check "their router is ACTIVE" eventually 15 active
ra_on() { ovn-nbctl --db="$OVN_NB_DB" --bare --columns=ipv6_ra_configs list logical_router_port "lqnet-lrp-$N1" | grep -q "address_mode=slaac"; }
check "the router port sends router advertisements (SLAAC)" eventually 10 ra_on

mkvm() { # VM NETWORK
    local p
    p=$(api PortService/CreatePort "{\"name\":\"$1\",\"networkId\":\"$2\"}" | jq -r .id)
    V6=$(last_body '.status.ipAddresses[1]')
    vm_create "$1" "$p" >/dev/null && vm_dhcp "$1" >/dev/null
}
mkvm s1 "$N1"; V6A=$V6
mkvm s2 "$N2"; V6B=$V6
in_subnets() { [[ $V6A == fd00:80:1:0:* && $V6B == fd00:80:2:0:* ]]; }
check "ports get an IPv6 address from their subnets ($V6A, $V6B)" in_subnets
has_addr() { vm_exec "$1" ip -6 addr show dev eth0 scope global | grep -q "$2/64"; }
check "s1 configures by SLAAC exactly the address lqnet allocated" eventually 15 has_addr s1 "$V6A"
check "s2 too" eventually 15 has_addr s2 "$V6B"
has_route() { vm_exec "$1" ip -6 route show default | grep -q "via fe80"; }
check "the advertisement gives a default route" eventually 10 has_route s1
ping6() { vm_exec "$1" ping -6 -c 1 -W 1 "$2" >/dev/null; }
check "IPv6 between the two networks through the router" eventually 15 ping6 s1 "$V6B"
check "and back" ping6 s2 "$V6A"
check "IPv4 too" eventually 10 vm_ping s1 "$(vm_lease s2 ip)"
