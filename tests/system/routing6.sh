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
N1=$(api VirtualNetworkService/CreateNetwork '{"name":"six1","spec":{"ipConfig":{"ipv4Subnet":"10.80.1.0/24",
  "ipv6Subnet":"fd00:80:1::/64"},"router":{"enabled":true},"dns":{"nameservers":["10.80.0.53","fd00:80::53"],
  "searchDomains":["six.example","lab.example"]}}}' | jq -r .id)
N2=$(mknet six2 10.80.2.0/24 fd00:80:2::/64)
check "two dual-stack networks routed together" test -n "$N1" -a -n "$N2" -a "$(last_code)" = 200
R=$(api RouterService/ListRouters | jq -r '.routers[0].id')
active() { api RouterService/GetRouter "{\"id\":\"$R\"}" | jq -e '.status.phase == "ACTIVE"' >/dev/null; }
check "their router is ACTIVE" eventually 15 active
ra_mode() { ovn-nbctl --db="$OVN_NB_DB" --bare --columns=ipv6_ra_configs list logical_router_port "lqnet-lrp-$1" | grep -q "address_mode=$2"; }
check "the router sends advertisements: SLAAC on six2" eventually 10 ra_mode "$N2" slaac
check "SLAAC plus stateless DHCPv6 on six1, which has an IPv6 name server" eventually 10 ra_mode "$N1" dhcpv6_stateless

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

# The network's name servers and search domains: IPv4 ones by DHCP, IPv6
# ones by stateless DHCPv6 (the advertisement says so).
check "DHCPv4 hands out the network's IPv4 name server" test "$(vm_lease s1 dns)" = 10.80.0.53
check "and its search domains" bash -c "grep -q 'search=.*six.example' $LQNET_SANDBOX_DIR/vm-s1.lease-info"
printf '#!/bin/sh\necho "ns=$new_dhcp6_name_servers" >>%s\n' "$LQT_TMP/s1.dhcp6" >"$LQT_TMP/dhcp6.sh"
chmod +x "$LQT_TMP/dhcp6.sh"
dhcp6_info() {
    vm_exec s1 timeout 10 dhclient -6 -S -1 -lf "$LQT_TMP/s1.leases6" -pf "$LQT_TMP/s1.pid6" \
        -sf "$LQT_TMP/dhcp6.sh" eth0 >/dev/null 2>&1
    grep -q "ns=fd00:80::53" "$LQT_TMP/s1.dhcp6"
}
check "stateless DHCPv6 hands out the IPv6 name server" eventually 20 dhcp6_info
