#!/usr/bin/env bash
# Faults: Northbound edited behind lqnet's back is repaired and traffic
# resumes; lqnetd killed with -9 in the middle of 200 creates loses nothing
# it acknowledged, allocates no address twice, and Northbound converges.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

NET=$(api VirtualNetworkService/CreateNetwork '{"name":"f","spec":{"ipConfig":{"ipv4Subnet":"10.40.0.0/22"}}}' | jq -r .id)
P1=$(api PortService/CreatePort "{\"name\":\"a\",\"networkId\":\"$NET\"}" | jq -r .id); MAC1=$(last_body .spec.macAddress); IP1=$(last_body '.status.ipAddresses[0]')
P2=$(api PortService/CreatePort "{\"name\":\"b\",\"networkId\":\"$NET\"}" | jq -r .id); MAC2=$(last_body .spec.macAddress); IP2=$(last_body '.status.ipAddresses[0]')
vm_create fa "$P1" "$MAC1" >/dev/null && vm_create fb "$P2" "$MAC2" >/dev/null
vm_dhcp fa >/dev/null; vm_dhcp fb >/dev/null
check "two VMs talk" eventually 10 vm_ping fa "$IP2"

LS=$(api VirtualNetworkService/GetNetwork "{\"id\":\"$NET\"}" | jq -r .status.ovnLogicalSwitch)
check "someone deletes lqnet's logical switch by hand" ovn-nbctl --db="$OVN_NB_DB" ls-del "$LS"
ls_back() { ovn-nbctl --db="$OVN_NB_DB" --bare --columns=ports list logical_switch "$LS" | grep -q .; }
check "lqnet puts it back with its ports" eventually 10 ls_back
check "traffic resumes" eventually 15 vm_ping fa "$IP2"
check "someone rewrites a port's addresses" ovn-nbctl --db="$OVN_NB_DB" lsp-set-addresses "$P1" "0a:00:00:00:00:99 10.40.0.99"
addr_back() { ovn-nbctl --db="$OVN_NB_DB" lsp-get-addresses "$P1" | grep -q "$MAC1 $IP1"; }
check "lqnet restores the addresses" eventually 10 addr_back
check "a switch that is not lqnet's is left alone" ovn-nbctl --db="$OVN_NB_DB" ls-add theirs
sleep 1
check "... and is still there" ovn-nbctl --db="$OVN_NB_DB" ls-list
grep -q theirs "$LQT_TMP/check.out" || lqt_fail "the foreign switch survived"

# --- a Northbound name someone else took ----------------------------------------
P3=$(api PortService/CreatePort "{\"name\":\"c\",\"networkId\":\"$NET\"}" | jq -r .id)
in_nb() { ovn-nbctl --db="$OVN_NB_DB" lsp-get-addresses "$P3" >/dev/null 2>&1; }
check "a third port reaches Northbound" eventually 10 in_nb
ovn-nbctl --db="$OVN_NB_DB" lsp-del "$P3" -- ls-add squatter -- lsp-add squatter "$P3"
port_error() { api PortService/GetPort "{\"id\":\"$P3\"}" | jq -e '.status.phase == "ERROR" and (.status.errorMessage | length > 0)' >/dev/null; }
check "when someone else's port takes its name, the port says ERROR, with the database's reason" eventually 10 port_error
OTHER=$(api VirtualNetworkService/CreateNetwork '{"name":"other","spec":{"ipConfig":{"ipv4Subnet":"10.41.0.0/24"}}}' | jq -r .id)
net_ready() { api VirtualNetworkService/GetNetwork "{\"id\":\"$1\"}" | jq -e '.status.phase == "READY"' >/dev/null; }
check "and everything else still goes through" eventually 10 net_ready "$OTHER"
ovn-nbctl --db="$OVN_NB_DB" ls-del squatter
port_ok() { api PortService/GetPort "{\"id\":\"$P3\"}" | jq -e '.status.phase == "DOWN"' >/dev/null; }
check "once the name is free again, lqnet takes it and the error clears" eventually 10 port_ok
check "traffic on the network still flows" eventually 10 vm_ping fa "$IP2"

# --- the agent keeps the hypervisor configured ----------------------------------
check "someone removes the tunnel endpoint from OVS" ovs-vsctl --db="$OVS_DB" remove open . external_ids ovn-encap-ip
encap_back() { [ "$(ovs-vsctl --db="$OVS_DB" get open . external_ids:ovn-encap-ip)" = '"127.0.0.1"' ]; }
check "lqnet-agent puts it back" eventually 10 encap_back

# --- kill -9 in the middle of 200 creates ------------------------------------------
# Four writers, 50 creates each; every 200 answer is recorded.
writer() {
    for i in $(seq 1 50); do
        code=$(curl -s -m 5 -o "$LQT_TMP/w$1.body" -w '%{http_code}' -X POST \
            -H "Authorization: Bearer $LQNET_TOKEN" -H 'Content-Type: application/json' \
            -d "{\"name\":\"k$1-$i\",\"networkId\":\"$NET\"}" \
            "$LQNET_URL/limiquantix.network.v1.PortService/CreatePort") || code=000
        if [ "$code" = 200 ]; then jq -r .id "$LQT_TMP/w$1.body" >>"$LQT_TMP/acked"; fi
    done
}
: >"$LQT_TMP/acked"
for w in 1 2 3 4; do writer $w & done
acked() { [ "$(wc -l <"$LQT_TMP/acked")" -ge "$1" ]; }
check "writers are creating ports" eventually 30 acked 40
check "kill -9 lqnetd mid-stream" kill -9 "$(cat "$LQNET_SANDBOX_DIR/lqnetd.pid")"
wait
check "sandbox up restarts lqnetd" scripts/sandbox up
N_ACKED=$(sort -u "$LQT_TMP/acked" | wc -l)
echo "       ($N_ACKED creates were acknowledged before and after the kill)"
missing() {
    local id
    while read -r id; do
        api PortService/GetPort "{\"id\":\"$id\"}" >/dev/null
        [ "$(last_code)" = 200 ] || { echo "lost $id"; return 1; }
    done <"$LQT_TMP/acked"
}
check "every acknowledged port exists" missing
api PortService/ListPorts "{\"networkId\":\"$NET\"}" >"$LQT_TMP/ports.json"
check "no address is allocated twice" test "$(jq -r '.ports[].status.ipAddresses[]' "$LQT_TMP/ports.json" | sort | uniq -d | wc -l)" = 0
check "no MAC is used twice" test "$(jq -r '.ports[].spec.macAddress' "$LQT_TMP/ports.json" | sort | uniq -d | wc -l)" = 0
lq_ports() { jq -r '.ports[].id' "$LQT_TMP/ports.json" | sort; }
nb_ports() { ovn-nbctl --db="$OVN_NB_DB" --bare --columns=name find logical_switch_port "external_ids:\"lqnet:network\"=$NET" | grep . | sort; }
nb_matches() { diff <(lq_ports) <(nb_ports) >/dev/null; }
check "Northbound holds exactly the ports lqnet has" eventually 20 nb_matches
nb_addresses_match() {
    diff <(jq -r '.ports[] | "\(.id) \(.spec.macAddress) \(.status.ipAddresses[0])"' "$LQT_TMP/ports.json" | sort) \
        <(ovn-nbctl --db="$OVN_NB_DB" -f csv --data=bare --no-headings --columns=name,addresses find logical_switch_port "external_ids:\"lqnet:network\"=$NET" | tr ',' ' ' | sort) >/dev/null
}
check "and with the addresses lqnet allocated" eventually 10 nb_addresses_match
check "traffic still flows after the restart" eventually 10 vm_ping fa "$IP2"
