#!/usr/bin/env bash
# Networks and ports end to end: DHCP hands out exactly what lqnet
# allocated, VMs talk, ports turn ACTIVE, projects are isolated, roles hold.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

token() { # PROJECT ROLE
    api TokenService/CreateToken "{\"projectId\":\"$1\",\"role\":\"$2\",\"name\":\"t\"}" >/dev/null
    last_body .token
}
A=$(token alpha member)
B=$(token beta member)
R=$(token alpha reader)
check "member tokens are issued" test -n "$A" -a "$A" != null -a -n "$B" -a -n "$R"

# --- one network, two VMs -------------------------------------------------
NET=$(api_as "$A" VirtualNetworkService/CreateNetwork '{"name":"web","spec":{"ipConfig":{
  "ipv4Subnet":"10.10.0.0/24","dhcp":{"dnsServers":["10.10.0.53","10.10.0.54"],
  "domainName":"web.example"}}}}' | jq -r .id)
check "CreateNetwork answers 200 with an id" test "$(last_code)" = 200 -a "$NET" != null
net_phase() { api_as "$A" VirtualNetworkService/GetNetwork "{\"id\":\"$NET\"}" | jq -e '.status.phase == "READY"'; }
check "network becomes READY" eventually 10 net_phase
check "network MTU is 1500 - 58" test "$(last_body .status.mtu)" = 1442

mkport() { # TOKEN NETWORK NAME [SPEC]
    api_as "$1" PortService/CreatePort "{\"name\":\"$3\",\"networkId\":\"$2\"${4:+,\"spec\":$4}}"
}
P1=$(mkport "$A" "$NET" vm1 | jq -r .id); MAC1=$(last_body .spec.macAddress); IP1=$(last_body '.status.ipAddresses[0]')
P2=$(mkport "$A" "$NET" vm2 | jq -r .id); MAC2=$(last_body .spec.macAddress); IP2=$(last_body '.status.ipAddresses[0]')
check "ports get distinct addresses from the subnet" test "$IP1" != "$IP2" -a "${IP1%.*}" = 10.10.0
check "generated MACs are locally administered unicast" \
    bash -c "[[ \$((16#${MAC1:0:2} & 3)) -eq 2 && \$((16#${MAC2:0:2} & 3)) -eq 2 ]]"
port_is() { # TOKEN PORT PHASE
    api_as "$1" PortService/GetPort "{\"id\":\"$2\"}" | jq -e ".status.phase == \"$3\""
}
check "an unbound port is DOWN" eventually 10 port_is "$A" "$P1" DOWN

check "vm1 plugs in" vm_create vm1 "$P1" "$MAC1" --mtu-from-dhcp
check "vm2 plugs in" vm_create vm2 "$P2" "$MAC2" --mtu-from-dhcp
check "vm1 gets a DHCP lease" vm_dhcp vm1
check "vm2 gets a DHCP lease" vm_dhcp vm2
check "vm1's lease is the address lqnet allocated" test "$(vm_lease vm1 ip)" = "$IP1"
check "vm2's lease is the address lqnet allocated" test "$(vm_lease vm2 ip)" = "$IP2"
lease_has_dns() { vm_lease vm1 dns | grep -q 10.10.0.53 && vm_lease vm1 dns | grep -q 10.10.0.54; }
check "the lease carries the DNS servers" lease_has_dns
check "the lease carries MTU 1442" test "$(vm_lease vm1 mtu)" = 1442
check "the lease carries the gateway as router" test "$(vm_lease vm1 routers)" = 10.10.0.1
check "vm1 pings vm2" eventually 10 vm_ping vm1 "$IP2"
check "vm2 pings vm1" vm_ping vm2 "$IP1"
check "a 1442-byte packet passes (ping -M do -s 1414)" vm_ping vm1 "$IP2" -M do -s 1414
check "the port turns ACTIVE once a hypervisor binds it" eventually 10 port_is "$A" "$P1" ACTIVE
check "status.hostId names the chassis" test "$(last_body .status.hostId)" = hv1
ip_status() { api_as "$A" VirtualNetworkService/GetNetwork "{\"id\":\"$NET\"}" | jq -c .status.ipStatus; }
check "ip status counts the allocations" test "$(ip_status)" = '{"ipv4Total":253,"ipv4Allocated":2,"ipv4Available":251}'

# --- binding a port to a VM -------------------------------------------------------
api_as "$A" PortService/BindPort "{\"portId\":\"$P1\",\"vmId\":\"vm-0001\",\"deviceId\":\"tap0\"}" >/dev/null
check "BindPort records the VM" test "$(last_code)" = 200 -a "$(last_body .status.vmId)" = vm-0001
api_as "$A" PortService/ListPorts '{"vmId":"vm-0001"}' >/dev/null
check "ListPorts finds the port by VM" test "$(last_body '[.ports[].id]|join(",")')" = "$P1"
vm_in_nb() { ovn-nbctl --db="$OVN_NB_DB" get logical_switch_port "$P1" external_ids | grep -q 'lqnet:vm"*=vm-0001'; }
check "the switch port carries the VM for operators" eventually 10 vm_in_nb
api_as "$A" PortService/BindPort "{\"portId\":\"$P1\",\"vmId\":\"vm-0002\"}" >/dev/null
check "binding it to another VM is failed_precondition" test "$(last_code)" = 400 -a "$(last_body .code)" = failed_precondition
api_as "$A" PortService/UnbindPort "{\"portId\":\"$P1\"}" >/dev/null
check "UnbindPort clears it" test "$(last_code)" = 200 -a "$(last_body '.status.vmId // ""')" = ""
check "traffic is not disturbed by binding" vm_ping vm1 "$IP2"

# --- dual stack ----------------------------------------------------------------
DS=$(api_as "$A" VirtualNetworkService/CreateNetwork '{"name":"ds","spec":{"ipConfig":{
  "ipv4Subnet":"10.11.0.0/24","ipv6Subnet":"fd00:11::/64"}}}' | jq -r .id)
check "a dual-stack network is accepted, with the IPv6 gateway defaulted" test "$(last_body .spec.ipConfig.ipv6Gateway)" = fd00:11::1
D1=$(mkport "$A" "$DS" d1 | jq -r .id); D1MAC=$(last_body .spec.macAddress); D1V6=$(last_body '.status.ipAddresses[1]')
D2=$(mkport "$A" "$DS" d2 | jq -r .id); D2MAC=$(last_body .spec.macAddress); D2V6=$(last_body '.status.ipAddresses[1]')
check "each port gets an IPv4 and an IPv6 address" test "${D1V6%::*}" = fd00:11 -a "${D2V6%::*}" = fd00:11 -a "$D1V6" != "$D2V6"
vm_create d1 "$D1" "$D1MAC" >/dev/null && vm_create d2 "$D2" "$D2MAC" >/dev/null
vm_exec d1 ip -6 addr add "$D1V6/64" dev eth0 nodad && vm_exec d2 ip -6 addr add "$D2V6/64" dev eth0 nodad
check "the VMs reach each other over IPv6 with the addresses lqnet allocated" eventually 10 vm_exec d1 ping -6 -c 1 -W 1 "$D2V6"
vm_exec d2 ip -6 addr add fd00:11::99/64 dev eth0 nodad
check_fails "an IPv6 address lqnet did not allocate is dropped by port security" vm_exec d2 ping -6 -c 2 -W 1 -I fd00:11::99 "$D1V6"
vm_delete d1 >/dev/null; vm_delete d2 >/dev/null

# --- projects are isolated --------------------------------------------------
NETB=$(api_as "$B" VirtualNetworkService/CreateNetwork '{"name":"web","spec":{"ipConfig":{"ipv4Subnet":"10.10.0.0/24"}}}' | jq -r .id)
check "another project may use the same subnet" test "$(last_code)" = 200
PB=$(mkport "$B" "$NETB" vmb | jq -r .id); MACB=$(last_body .spec.macAddress); IPB=$(last_body '.status.ipAddresses[0]')
check "the other project's VM plugs in" vm_create vmb "$PB" "$MACB"
check "the other project's VM gets its lease" vm_dhcp vmb
check "it got the same first address as project alpha's vm1" test "$IPB" = "$IP1"
check_fails "project beta's VM cannot reach project alpha's vm2" vm_ping vmb "$IP2"

api_as "$B" VirtualNetworkService/GetNetwork "{\"id\":\"$NET\"}" >/dev/null
check "another project's network is not_found" test "$(last_code)" = 404 -a "$(last_body .code)" = not_found
mkport "$B" "$NET" intruder >/dev/null
check "a port cannot be plugged into another project's network" test "$(last_code)" = 404 -a "$(last_body .code)" = not_found
api_as "$B" VirtualNetworkService/ListNetworks '{}' >/dev/null
check "ListNetworks shows only the caller's project" test "$(last_body '.networks|length')" = 1 -a "$(last_body '.networks[0].id')" = "$NETB"
api_as "$B" VirtualNetworkService/ListNetworks '{"projectId":"alpha"}' >/dev/null
check "naming another project is permission_denied" test "$(last_code)" = 403 -a "$(last_body .code)" = permission_denied

# --- roles --------------------------------------------------------------------
api_as "$R" VirtualNetworkService/GetNetwork "{\"id\":\"$NET\"}" >/dev/null
check "a reader reads its project" test "$(last_code)" = 200
api_as "$R" VirtualNetworkService/CreateNetwork '{"name":"x"}' >/dev/null
check "a reader cannot create" test "$(last_code)" = 403 -a "$(last_body .code)" = permission_denied
api_as "$R" PortService/DeletePort "{\"id\":\"$P1\"}" >/dev/null
check "a reader cannot delete" test "$(last_code)" = 403
api_as "$A" TokenService/CreateToken '{"projectId":"alpha","role":"admin"}' >/dev/null
check "a member cannot mint tokens" test "$(last_code)" = 403
api_as "bogus" VirtualNetworkService/ListNetworks >/dev/null
check "a bad token is unauthenticated" test "$(last_code)" = 401 -a "$(last_body .code)" = unauthenticated

# --- pools ----------------------------------------------------------------------
SMALL=$(api_as "$A" VirtualNetworkService/CreateNetwork '{"name":"small","spec":{"ipConfig":{
  "ipv4Subnet":"10.20.0.0/24","allocationPools":[{"start":"10.20.0.10","end":"10.20.0.11"}]}}}' | jq -r .id)
S1=$(mkport "$A" "$SMALL" s1 | jq -r '.status.ipAddresses[0]')
S2=$(mkport "$A" "$SMALL" s2 | jq -r '.status.ipAddresses[0]')
check "a pool of two hands out both addresses" test "$S1 $S2" = "10.20.0.10 10.20.0.11"
mkport "$A" "$SMALL" s3 >/dev/null
check "the third port is resource_exhausted" test "$(last_code)" = 429 -a "$(last_body .code)" = resource_exhausted
mkport "$A" "$SMALL" s4 '{"fixedIps":[{"ipAddress":"10.20.0.50"}]}' >/dev/null
check "a fixed IP outside the pool but inside the subnet is accepted" test "$(last_code)" = 200

# --- pages ---------------------------------------------------------------------
# Project alpha has three networks now (web, ds, small).
api_as "$A" VirtualNetworkService/ListNetworks '{"pageSize":2}' >/dev/null
FIRST=$(last_body '[.networks[].id]|join(",")'); NEXT=$(last_body .nextPageToken)
check "a page of two networks, with the total and a next token" \
    test "$(last_body '.networks|length')" = 2 -a "$(last_body .totalCount)" = 3 -a -n "$NEXT" -a "$NEXT" != null
api_as "$A" VirtualNetworkService/ListNetworks "{\"pageSize\":2,\"pageToken\":\"$NEXT\"}" >/dev/null
check "the next page holds the third network, and is the last" \
    test "$(last_body '.networks|length')" = 1 -a "$(last_body '.nextPageToken // ""')" = "" \
    -a "$(grep -c "$(last_body '.networks[0].id')" <<<"$FIRST")" = 0
api_as "$A" VirtualNetworkService/ListNetworks '{"pageToken":"x"}' >/dev/null
check "a bad page token is invalid_argument naming pageToken" \
    test "$(last_code)" = 400 -a "$(last_body '.message|startswith("pageToken")')" = true

# --- delete ---------------------------------------------------------------------
api_as "$A" VirtualNetworkService/DeleteNetwork "{\"id\":\"$SMALL\"}" >/dev/null
check "deleting a network with ports is failed_precondition" test "$(last_code)" = 400 -a "$(last_body .code)" = failed_precondition
api_as "$A" VirtualNetworkService/DeleteNetwork "{\"id\":\"$SMALL\",\"force\":true}" >/dev/null
check "force deletes it with its ports" test "$(last_code)" = 200
gone() { ! ovn-nbctl --db="$OVN_NB_DB" --bare --columns=name find logical_switch "external_ids:\"lqnet:owner\"=$SMALL" | grep -q .; }
check "its logical switch leaves Northbound" eventually 10 gone
api_as "$A" PortService/ListPorts "{\"networkId\":\"$SMALL\"}" >/dev/null
check "its ports are gone" test "$(last_body '.ports|length')" = 0
