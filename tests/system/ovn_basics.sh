#!/usr/bin/env bash
# The sandbox and the VM helper with real packets, without lqnetd: one
# logical switch made with ovn-nbctl, two VMs, DHCP from OVN (address,
# routes, DNS, MTU 1442), ping, path MTU, and a stateful ACL (which fails
# silently if the VMs' veths kept TX checksum offload on).
# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

sandbox_up

MAC1=0a:00:00:00:01:01
MAC2=0a:00:00:00:01:02

chassis_registered() { [ "$(ovn-sbctl --bare --columns name find Chassis name=hv1)" = hv1 ]; }
check "ovn-controller registers chassis hv1 in Southbound" eventually 10 chassis_registered

make_switch() {
    local common d1 d2
    ovn-nbctl ls-add sw0 \
        -- lsp-add sw0 sw0-p1 -- lsp-set-addresses sw0-p1 "$MAC1 10.10.0.11" \
        -- lsp-set-port-security sw0-p1 "$MAC1 10.10.0.11" \
        -- lsp-add sw0 sw0-p2 -- lsp-set-addresses sw0-p2 "$MAC2 10.10.0.12" \
        -- lsp-set-port-security sw0-p2 "$MAC2 10.10.0.12" || return 1
    common='"server_id"="10.10.0.1" "server_mac"="0a:00:00:00:01:fe" "lease_time"="3600"'
    common+=' "router"="10.10.0.1" "mtu"="1442" "dns_server"="{192.0.2.53, 192.0.2.54}"'
    common+=' "domain_name"="\"lab.test\""'
    d1=$(ovn-nbctl create DHCP_Options cidr=10.10.0.0/24 options="$common") &&
        d2=$(ovn-nbctl create DHCP_Options cidr=10.10.0.0/24 \
            options="$common \"classless_static_route\"=\"{198.51.100.0/24,10.10.0.254, 0.0.0.0/0,10.10.0.1}\"") &&
        ovn-nbctl lsp-set-dhcpv4-options sw0-p1 "$d1" -- lsp-set-dhcpv4-options sw0-p2 "$d2"
}
check "logical switch sw0, ports sw0-p1/sw0-p2, DHCP_Options (ovn-nbctl)" make_switch || exit 1

check "vm1 created (MTU from DHCP)" vm_create vm1 sw0-p1 "$MAC1" --mtu-from-dhcp || exit 1
check "vm2 created" vm_create vm2 sw0-p2 "$MAC2" || exit 1
offload_off() {
    ethtool -k "lqo-$1" | grep -qx 'tx-checksumming: off' &&
        vm_exec "$1" ethtool -k eth0 | grep -qx 'tx-checksumming: off'
}
check "vm1: TX checksum offload off on both veth ends" offload_off vm1
check "vm2: TX checksum offload off on both veth ends" offload_off vm2
port_up() { [ "$(ovn-nbctl get Logical_Switch_Port "$1" up)" = true ]; }
check "sw0-p1 is bound and up" eventually 10 port_up sw0-p1
check "sw0-p2 is bound and up" eventually 10 port_up sw0-p2

check "vm1 leases 10.10.0.11" test "$(vm_dhcp vm1)" = 10.10.0.11
check "vm2 leases 10.10.0.12" test "$(vm_dhcp vm2)" = 10.10.0.12
has_addr() { vm_exec "$1" ip -4 -o addr show dev eth0 | grep -q " inet $2 "; }
check "vm1 has 10.10.0.11/24 on eth0" has_addr vm1 10.10.0.11/24
mtu_is() { vm_exec "$1" ip -o link show dev eth0 | grep -q " mtu $2 "; }
check "vm1 took MTU 1442 from DHCP" mtu_is vm1 1442
check "vm2 (no --mtu-from-dhcp) keeps MTU 1500" mtu_is vm2 1500
check "vm2's lease carries mtu 1442" test "$(vm_lease vm2 mtu)" = 1442
check "lease-info records the DNS servers" test "$(vm_lease vm1 dns)" = "192.0.2.53 192.0.2.54"
check "lease-info records the domain" test "$(vm_lease vm1 domain)" = lab.test
route_is() { vm_exec "$1" ip -4 route show "$2" | grep -q "^$2 via $3 dev eth0"; }
check "vm1: default route via the DHCP router" route_is vm1 default 10.10.0.1
check "vm2: classless static route 198.51.100.0/24 via 10.10.0.254" \
    route_is vm2 198.51.100.0/24 10.10.0.254
check "vm2: classless default route via 10.10.0.1" route_is vm2 default 10.10.0.1

check "vm1 pings vm2" eventually 5 vm_ping vm1 10.10.0.12
check "vm2 pings vm1" eventually 5 vm_ping vm2 10.10.0.11
check "vm1 -> vm2: 1442-byte packet with DF passes" vm_ping vm1 10.10.0.12 -Mdo -s 1414
check_fails "vm1 -> vm2: 1443-byte packet with DF is refused" vm_ping vm1 10.10.0.12 -Mdo -s 1415
check_fails "nobody answers at an unassigned address" vm_ping vm1 10.10.0.99

# Stateful ACLs go through the userspace datapath's conntrack.
vm_bg vm2 ncat -l -k 10.10.0.12 8080 --sh-exec 'echo hello-8080'
vm_bg vm2 ncat -l -k 10.10.0.12 2222 --sh-exec 'echo hello-2222'
check "stateful ACLs: allow-related tcp 8080 to vm2, drop other tcp" \
    ovn-nbctl --wait=hv \
    -- acl-add sw0 to-lport 1002 'outport == "sw0-p2" && ip4 && tcp.dst == 8080' allow-related \
    -- acl-add sw0 to-lport 1001 'outport == "sw0-p2" && ip4 && tcp' drop
tcp_says() { [ "$(vm_exec vm1 ncat -w 2 --recv-only 10.10.0.12 "$1")" = "$2" ]; }
check "vm1 -> vm2 tcp 8080 through conntrack" eventually 5 tcp_says 8080 hello-8080
check_fails "vm1 -> vm2 tcp 2222 dropped by the ACL" tcp_says 2222 hello-2222

check "vm delete vm2" vm_delete vm2
check_fails "vm2's namespace is gone" test -e /run/netns/lq-vm2
check_fails "vm2's veth left br-int" ovs-vsctl --db="$OVS_DB" port-to-br lqo-vm2
check "sw0-p2 goes down" eventually 10 eval '! port_up sw0-p2'

check "sandbox down" sandbox_down
check_fails "br-int is gone" ip link show br-int
check_fails "br-ex is gone" ip link show br-ex
check_fails "vm1's namespace is gone" test -e /run/netns/lq-vm1
check_fails "no daemon pid file left" compgen -G "$LQNET_SANDBOX_DIR/*.pid"
