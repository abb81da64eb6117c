#!/usr/bin/env bash
# lqnet router, floating-ip and topology end to end against lqnetd: an
# external network made by an admin with the CLI, a member's networks routed
# to it (with --no-snat and --route), the router by id and by network,
# floating IPs by id and by address through allocate, associate, list,
# show, disassociate and release, the topology tree, -o dot and -o json, and
# the exit statuses (1 failed_precondition / not_found, 2 usage).
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

require_cli
ADMIN=$LQNET_TOKEN

# same FILE EXPECTED-FILE: the files are equal (a diff otherwise).
same() { diff -u "$2" "$1"; }


# --- the outside: an external network, as an admin ---------------------------------
check "an admin creates an external network with the CLI" \
    prints '^\| type +\| external +\|$' network create public --type external \
    --physical-network physnet --subnet 203.0.113.0/24 --gateway 203.0.113.1 \
    --pool 203.0.113.100-203.0.113.199 --no-dhcp || exit 1
PUB=$(lq network show public -o json | jq -r .id)
check "... sent as type EXTERNAL on physnet, untagged" is network show public -- \
    '.spec.type == "EXTERNAL" and .spec.vlan.physicalNetwork == "physnet"
     and (.spec.vlan.vlanId // 0) == 0 and .spec.ipConfig.ipv4Gateway == "203.0.113.1"'

T=$(lq token create --project clir --role member 2>/dev/null)
check "a member token for project clir" grep -qxE 'lqt_[0-9a-f]+' <<<"$T" || exit 1
export LQNET_TOKEN=$T

# --- a member's routed networks ------------------------------------------------------
check "network create --external-gateway public (by name: external networks are visible)" \
    prints "^\| router +\| yes, external gateway $PUB +\|$" \
    network create web --subnet 10.71.1.0/24 --external-gateway public || exit 1
check "network create --no-snat --route" \
    prints "^\| +\| route 192\.168\.50\.0/24 via 10\.71\.2\.254 +\|$" \
    network create db --subnet 10.71.2.0/24 --external-gateway "$PUB" --no-snat \
    --route 192.168.50.0/24=10.71.2.254 || exit 1
check "... enableSnat false and the route reached the API" is network show db -- \
    '.spec.router.enabled and .spec.router.enableSnat == false
     and .spec.router.externalGatewayNetworkId == "'"$PUB"'"
     and .spec.router.routes == [{"destination": "192.168.50.0/24", "nextHop": "10.71.2.254"}]'
check "web has SNAT (the default with a gateway)" is network show web -- \
    '.spec.router.enableSnat == true'
check "a network that is not routed" lq network create lab --subnet 10.71.9.0/24 || exit 1
check "a port on web" lq port create vm1 --network web || exit 1
check "a port on lab" lq port create x1 --network lab || exit 1
P1=$(lq port show vm1 -o json | jq -r .id)
IP1=$(lq port show vm1 -o json | jq -r '.status.ipAddresses[0]')

# --- routers ----------------------------------------------------------------------------
check "router list: one router, gateway on public, routing web and db" \
    prints "^\| $UUID \| public +\| 203\.0\.113\.[0-9]+ +\| (web|db) +\|" router list || exit 1
R=$(lq router list -o json | jq -r '.routers[0].id')
check "router list -o json: the router routes both networks" \
    is router list -- '(.routers | length) == 1 and (.routers[0].networkIds | length) == 2'
router_ready() { is router show "$R" -- '.status.phase == "ACTIVE" and .gatewayHost == "hv1"'; }
check "router show ID: ACTIVE with its gateway on hv1" eventually 15 router_ready
GWIP=$(lq router show "$R" -o json | jq -r .externalIp)
check "router show web (a network it routes): the fields" \
    prints "^\| external network \| public \($PUB\) +\|$" router show web
check "... gateway host and external IP" \
    grep -qE "^\| gateway host +\| hv1 +\|$" "$LQT_TMP/out"
check "... the networks table: web with SNAT, db without" \
    grep -qE "^\| $UUID \| web +\| 10\.71\.1\.0/24 \| 10\.71\.1\.1 +\| yes +\|$" "$LQT_TMP/out"
check "... db without SNAT" \
    grep -qE "^\| $UUID \| db +\| 10\.71\.2\.0/24 \| 10\.71\.2\.1 +\| no +\|$" "$LQT_TMP/out"
check "router show --network db -o json is the same router" \
    is router show --network db -- '.id == "'"$R"'"'
check "router show public (its gateway network)" is router show public -- '.id == "'"$R"'"'
check "router show lab: not routed (1, not_found)" \
    fails_with 1 "error: not_found: no router routes network lab" router show lab
check "router show with nothing is a usage error (2)" \
    fails_with 2 "give a router id or --network NET" router show

# --- floating IPs ---------------------------------------------------------------------
check "floating-ip allocate --external-network public" \
    prints '^\| status +\| DOWN +\|$' floating-ip allocate --external-network public \
    --description www --label app=web || exit 1
F=$(sed -nE 's/^\| id +\| ([0-9a-f-]+) +\|$/\1/p' "$LQT_TMP/out")
FIP=$(sed -nE 's/^\| ip address +\| ([0-9.]+) +\|$/\1/p' "$LQT_TMP/out")
check "... an address of the external network's pool, not the router's" \
    test "${FIP%.*}" = 203.0.113 -a "$FIP" != "$GWIP"
check "... port none, external network by name" \
    grep -qE "^\| external network \| public \($PUB\) +\|$" "$LQT_TMP/out"
check "fip allocate --ip 203.0.113.150 (the alias)" \
    is fip allocate --external-network "$PUB" --ip 203.0.113.150 -- \
    '.ipAddress == "203.0.113.150" and .externalNetworkId == "'"$PUB"'"'
F2=$(lq fip show 203.0.113.150 -o json | jq -r .id)
check "fip list: both, DOWN, on public" \
    prints "^\| $F \| $FIP +\| public +\| +\| +\| DOWN +\|$" fip list
check "... and the other" grep -qE "^\| $F2 \| 203\.0\.113\.150 +\| public +\|" "$LQT_TMP/out"
check "fip list --unassigned --external-network public -o json: 2" \
    is fip list --unassigned --external-network public -- '.floatingIps | length == 2'
check "fip associate by address with a port by name" \
    prints "^\| port +\| vm1 \($P1\) +\|$" fip associate "$FIP" vm1 || exit 1
check "... to the port's address" grep -qE "^\| fixed ip +\| $IP1 +\|$" "$LQT_TMP/out"
check "fip list --unassigned: only the other one" \
    is fip list --unassigned -- '[.floatingIps[].id] == ["'"$F2"'"]'
check "fip list (table): the port by name and its fixed IP" \
    prints "^\| $F \| $FIP +\| public +\| vm1 +\| $IP1 +\| [A-Z]+ +\|$" fip list
fip_active() { is floating-ip show "$F" -- '.status.phase == "ACTIVE" and .status.routerId == "'"$R"'"'; }
check "floating-ip show ID: ACTIVE through the router" eventually 15 fip_active
check "floating-ip show IP -o json" \
    is floating-ip show "$FIP" -- '.id == "'"$F"'" and .assignment.portId == "'"$P1"'"
      and .description == "www" and .labels.app == "web"'

# --- topology ---------------------------------------------------------------------------
# The tree with what varies between runs (router id, addresses, MTU) named.
normalize() {
    sed -E -e "s/[0-9a-f]{8}…/RID…/" -e "s/$GWIP/GWIP/" -e "s/ $FIP\$/ FIP/" \
        -e "s/$IP1 /IP1 /" -e "s/10\.71\.9\.[0-9]+ /LABIP /" -e "s/MTU [0-9]+/MTU N/"
}
cat >"$LQT_TMP/tree.expected" <<'EOF'
external network public (203.0.113.0/24)
├── router RID… (GWIP, on hv1)
│   ├── network db (10.71.2.0/24, MTU N)
│   └── network web (10.71.1.0/24, MTU N)
│       └── port vm1 IP1 DOWN   ← floating IP FIP
└── floating IP 203.0.113.150 (not associated)
network lab (10.71.9.0/24, MTU N, not routed)
└── port x1 LABIP DOWN
EOF
topology_is() { # EXPECTED-FILE [ARGS...]
    local want=$1
    shift
    lq topology "$@" >"$LQT_TMP/topo" 2>&1 || { cat "$LQT_TMP/topo"; return 1; }
    normalize <"$LQT_TMP/topo" >"$LQT_TMP/topo.norm"
    same "$LQT_TMP/topo.norm" "$want" || { echo "as printed:" && cat "$LQT_TMP/topo"; return 1; }
}
check "topology: the router under public, the networks and the port beneath" \
    topology_is "$LQT_TMP/tree.expected"
admin_topology() { LQNET_TOKEN=$ADMIN "$LQ" topology --project clir >"$LQT_TMP/admin-topo"; }
check "topology --project clir with an admin token" admin_topology
check "... identical" same "$LQT_TMP/admin-topo" "$LQT_TMP/topo"
lq topology -o json >"$LQT_TMP/topo.json"
check "topology -o json: the API's nodes and edges" jq -e '
    ([.nodes[].type] | sort) == ["external_network","floating_ip","floating_ip","network",
                                 "network","network","port","port","router"]
    and ([.edges[] | select(.type == "nat")] == [{"sourceId":"'"$F"'","targetId":"'"$P1"'","type":"nat"}])' \
    "$LQT_TMP/topo.json"
lq topology -o dot >"$LQT_TMP/topo.dot"
check "topology -o dot starts with 'digraph'" test "$(head -c 7 "$LQT_TMP/topo.dot")" = digraph
check "... one node statement per node and one edge per edge" test \
    "$(grep -c ' \[label=.*shape=' "$LQT_TMP/topo.dot"):$(grep -c '" -> "' "$LQT_TMP/topo.dot")" = \
    "$(jq '.nodes | length' "$LQT_TMP/topo.json"):$(jq '.edges | length' "$LQT_TMP/topo.json")"
check "... the router's gateway edge" \
    grep -qF "\"$R\" -> \"$PUB\" [label=\"gateway\"];" "$LQT_TMP/topo.dot"
check "... and the floating IP's NAT to the port" \
    grep -qF "\"$F\" -> \"$P1\" [label=\"nat\", style=dashed];" "$LQT_TMP/topo.dot"
if command -v dot >/dev/null; then
    check "... which Graphviz accepts" dot -Tsvg -o /dev/null "$LQT_TMP/topo.dot"
fi

# --- errors -------------------------------------------------------------------------------
check "-o dot is only for topology (2)" \
    fails_with 2 "--output dot is only for 'lqnet topology'" network list -o dot
check "... also before the command (2)" \
    fails_with 2 "--output dot is only for 'lqnet topology'" -o dot fip list
check "associate with a port whose network is not routed: 1 failed_precondition" \
    fails_with 1 "error: failed_precondition" fip associate 203.0.113.150 x1
check "... which stays unassociated" \
    is fip show 203.0.113.150 -- '(.assignment.portId // "") == ""'
check "associate with an unknown port: 1 not_found" \
    fails_with 1 "error: not_found: no port is named 'nope'" fip associate "$FIP" nope
check "an unknown address: 1 not_found" \
    fails_with 1 "error: not_found: no floating IP has address '203.0.113.7'" fip show 203.0.113.7
check "allocate from a network that is not external: 1 not_found" \
    fails_with 1 "error: not_found: no external network is named 'web'" \
    fip allocate --external-network web
check "allocate without --external-network: 2" \
    fails_with 2 "--external-network is required" fip allocate
check "allocate an address in use: 1" fails_with 1 "error: " \
    fip allocate --external-network public --ip "$FIP"
check "network create --route without '=': 2" \
    fails_with 2 "--route expects DESTINATION=NEXTHOP" network create x --route 10.0.0.0/8

# --- disassociate and release ----------------------------------------------------------------
check "fip disassociate by address: port none" \
    prints '^\| port +\| none +\|$' fip disassociate "$FIP"
fip_down() { is fip show "$F" -- '.status.phase == "DOWN"'; }
check "... and DOWN" eventually 15 fip_down
check "fip release by address and by id" \
    prints "^Released floating IP $F2 \($F2\)$" floating-ip release "$FIP" "$F2"
check "... both" grep -qxF "Released floating IP $FIP ($F)" "$LQT_TMP/out"
check "none are left" is fip list -- '.floatingIps | length == 0'
check "releasing again: 1 not_found" \
    fails_with 1 "error: not_found: no floating IP has address '$FIP'" fip release "$FIP"
cat >"$LQT_TMP/tree2.expected" <<'EOF'
external network public (203.0.113.0/24)
└── router RID… (GWIP, on hv1)
    ├── network db (10.71.2.0/24, MTU N)
    └── network web (10.71.1.0/24, MTU N)
        └── port vm1 IP1 DOWN
network lab (10.71.9.0/24, MTU N, not routed)
└── port x1 LABIP DOWN
EOF
check "the tree has no floating IP any more" topology_is "$LQT_TMP/tree2.expected"
