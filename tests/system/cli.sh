#!/usr/bin/env bash
# The lqnet CLI end to end against lqnetd: tokens, networks and ports by
# name and by id, table and JSON output, updates that reach the API (and
# OVN), and the exit statuses: 1 the API refused, 2 bad command line, 3
# lqnetd unreachable.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

require_cli
ADMIN=$LQNET_TOKEN


# --- tokens -------------------------------------------------------------------
T=$(lq token create --project clitest --role member --name cli-e2e 2>"$LQT_TMP/note")
check "token create prints the token alone on stdout" grep -qxE 'lqt_[0-9a-f]+' <<<"$T" || exit 1
check "token create notes project and role on stderr" \
    grep -qE "^Created token $UUID \(project clitest, role member\)" "$LQT_TMP/note"
R=$(lq token create --project clitest --role reader 2>/dev/null)
OTHER=$(lq token create --project elsewhere --role member 2>/dev/null)
check "reader and other-project tokens too" grep -qxE 'lqt_[0-9a-f]+ lqt_[0-9a-f]+' <<<"$R $OTHER"
export LQNET_TOKEN=$T

# --- networks -------------------------------------------------------------------
check "network create --subnet --dns --pool shows the network" \
    prints '^\| allocation pools +\| 10\.40\.0\.10 - 10\.40\.0\.99 +\|$' \
    network create web --subnet 10.40.0.0/24 --dns 10.40.0.53 --pool 10.40.0.10-10.40.0.99 || exit 1
check "... with its DNS server" grep -qE '^\| +\| dns: 10\.40\.0\.53 +\|$' "$LQT_TMP/out"
NET=$(lq network show web -o json | jq -r .id)
check "network show -o json gives the id" grep -qxE "$UUID" <<<"$NET" || exit 1
check "network list shows web READY" \
    eventually 10 prints "^\| $NET \| web +\| overlay +\| 10\.40\.0\.0/24 +\| READY +\| 0 +\| 1442 \|$" \
    network list
check "network show (table) has the pool's size and the MTU" \
    prints '^\| ip usage +\| IPv4: 0 allocated, 90 available, 90 total +\|$' network show web
check "... and the MTU" grep -qE '^\| mtu +\| 1442 +\|$' "$LQT_TMP/out"
check "network show -o json has the spec as given" is network show web -- \
    '.spec.ipConfig.ipv4Subnet == "10.40.0.0/24" and .spec.ipConfig.dhcp.dnsServers == ["10.40.0.53"]
     and .spec.ipConfig.allocationPools == [{"start":"10.40.0.10","end":"10.40.0.99"}]'
check "network list -o json is the API's list" is network list -- '[.networks[].id] == ["'"$NET"'"]'
check "network list --type vlan leaves web out" is network list --type vlan -- '.networks == []'

check "network update --dns --dns shows the new servers" \
    prints '^\| +\| dns: 10\.40\.0\.54, 10\.40\.0\.55 +\|$' \
    network update web --dns 10.40.0.54 --dns 10.40.0.55
check "network show -o json has the new DNS list" is network show "$NET" -- \
    '.spec.ipConfig.dhcp.dnsServers == ["10.40.0.54","10.40.0.55"]'
nb_dns() {
    ovn-nbctl --db="$OVN_NB_DB" --bare --columns=options \
        find DHCP_Options "external_ids:\"lqnet:owner\"=$NET" |
        grep -qF 'dns_server={10.40.0.54, 10.40.0.55}'
}
check "the new DNS servers reach Northbound's DHCP options" eventually 10 nb_dns
check "an update with no option is a usage error (2)" \
    fails_with 2 "nothing to update" network update web

# --- ports ---------------------------------------------------------------------------
check "port create --network NAME" prints "^\| network +\| $NET +\|$" port create p1 --network web ||
    exit 1
P1=$(lq port show p1 -o json | jq -r .id)
check "port show -o json gives the id" grep -qxE "$UUID" <<<"$P1" || exit 1
check "port list shows p1 on web (by name), from the pool" \
    prints "^\| $P1 \| p1 +\| web +\| ([0-9a-f]{2}:){5}[0-9a-f]{2} \| 10\.40\.0\.(1[0-9]|[2-9][0-9]) +\|" \
    port list
check "port list --network web -o json" is port list --network web -- '[.ports[].id] == ["'"$P1"'"]'
check "port show -o json: on web, admin up, address from the pool" is port show p1 -- \
    '.networkId == "'"$NET"'" and .spec.adminStateUp == true
     and (.status.ipAddresses[0] | test("^10\\.40\\.0\\.([1-9][0-9])$"))'
check "port update --admin-down shows it down" prints '^\| admin state +\| down +\|$' \
    port update p1 --admin-down
check "port show -o json: spec.adminStateUp is false" is port show "$P1" -- '.spec.adminStateUp == false'
check "network show counts the port" eventually 10 prints '^\| ports +\| 1 +\|$' network show web
check "port bind records the VM" is port bind p1 vm-0042 --device tap0 -- '.status.vmId == "vm-0042"'
check "port list --vm finds it" prints "^\\| $P1 +\\| p1 " port list --vm vm-0042
check "port unbind forgets it" is port unbind p1 -- '(.status.vmId // "") == ""'

# --- errors and exit statuses ----------------------------------------------------------
check "a /33 subnet is an API error (1) naming the field" \
    fails_with 1 "error: invalid_argument: spec.ipConfig.ipv4Subnet" \
    network create bad --subnet 10.0.3.0/33
check "... and creates nothing" is network list -- '[.networks[].name] == ["web"]'
check "a missing NAME is a usage error (2)" fails_with 2 "missing arguments" network create
check "an unknown option is a usage error (2)" \
    fails_with 2 "unknown option '--bogus'" network create x --bogus
check "a bad --output is a usage error (2)" fails_with 2 "error:" --output yaml network list
check "a bad --pool is a usage error (2)" \
    fails_with 2 "--pool expects START-END" network create x --subnet 10.0.9.0/24 --pool 10.0.9.1
check "port create without --network is a usage error (2)" \
    fails_with 2 "--network is required" port create p9
check "an unknown network name is not_found (1)" \
    fails_with 1 "error: not_found: no network is named 'nope'" port create p9 --network nope
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
check "a closed --url is exit status 3" \
    fails_with 3 "cannot reach lqnetd at http://127.0.0.1:$CLOSED" --url "http://127.0.0.1:$CLOSED" network list
check "--url also works after the command" \
    fails_with 3 "cannot reach lqnetd" network list --url "http://127.0.0.1:$CLOSED"
check "a bad token is unauthenticated (1)" \
    fails_with 1 "error: unauthenticated" --token lqt_bogus network list
check "a reader cannot create (1, permission_denied)" \
    fails_with 1 "error: permission_denied" --token "$R" network create x --subnet 10.0.9.0/24
check "a reader can show" prints "^\| id +\| $NET +\|$" --token "$R" network show web
check "another project's member does not find web by name" \
    fails_with 1 "error: not_found: no network is named 'web'" --token "$OTHER" network show web
check "nor by id" fails_with 1 "error: not_found" --token "$OTHER" network show "$NET"

# --- names and ids -------------------------------------------------------------------------
NET2=$(lq network create web --subnet 10.41.0.0/24 -o json | jq -r .id)
check "a second network may also be called web" grep -qxE "$UUID" <<<"$NET2" || exit 1
check "the name web is now ambiguous; the error lists both ids" \
    fails_with 1 "error: invalid_argument: 2 networks are named 'web'" network show web
check "... both ids" bash -c "grep -qF '$NET' '$LQT_TMP/err' && grep -qF '$NET2' '$LQT_TMP/err'"
check "an id still works" is network show "$NET2" -- '.id == "'"$NET2"'" and .name == "web"'
check "port create --network with the ambiguous name fails (1)" \
    fails_with 1 "2 networks are named 'web'" port create p2 --network web
check "port create --network ID" prints "^\| network +\| $NET2 +\|$" port create p2 --network "$NET2"
check "port delete NAME" prints "^Deleted port p2 \($UUID\)$" port delete p2
check "the port is gone" is port list --network "$NET2" -- '.ports == []'
check "network delete ID of a network without ports" \
    prints "^Deleted network $NET2 \($NET2\)$" network delete "$NET2"
check "web is unambiguous again" is network list -- '[.networks[].id] == ["'"$NET"'"]'

# --- delete ----------------------------------------------------------------------------------
check "network delete of a network with ports fails (1, failed_precondition)" \
    fails_with 1 "error: failed_precondition" network delete web
check "... and the network stays" is network show web -- '.id == "'"$NET"'"'
check "network delete --force" prints "^Deleted network web \($NET\)$" network delete web --force
check "the network is gone" is network list -- '.networks == []'
check "its ports are gone" is port list -- '.ports == []'
check "its name no longer resolves" fails_with 1 "error: not_found" network show web
check "one delete of several failing still deletes the others, exit 1" \
    fails_with 1 "no network is named 'ghost'" network delete ghost "$P1"
check "... a missing id is not_found from the API" grep -qF "error: not_found" "$LQT_TMP/err"

# --- token list and revoke ------------------------------------------------------------------
check "a member cannot list tokens (1, permission_denied)" \
    fails_with 1 "error: permission_denied" token list
TID=$(LQNET_TOKEN=$ADMIN lq token list -o json | jq -r '.tokens[] | select(.name == "cli-e2e") | .id')
check "token list -o json has the token" grep -qxE "$UUID" <<<"$TID" || exit 1
check "token list (table) shows it with project and role" \
    prints "^\| $TID \| cli-e2e +\| clitest +\| member +\| " --token "$ADMIN" token list
check "token revoke NAME says the id" prints "^Revoked token $TID$" --token "$ADMIN" token revoke cli-e2e
check "the revoked token is unauthenticated (1)" fails_with 1 "error: unauthenticated" network list
check "token list no longer shows it" is --token "$ADMIN" token list -- \
    '[.tokens[].name] | index("cli-e2e") == null'
check "revoking it again is not_found (1)" \
    fails_with 1 "error: not_found: no token is named 'cli-e2e'" --token "$ADMIN" token revoke cli-e2e
check "lqnet call works with the admin token" is --token "$ADMIN" call TokenService/ListTokens -- \
    '.tokens | length >= 3'
