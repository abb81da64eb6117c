#!/usr/bin/env bash
# Two lqnetd on the same databases: both serve the API, one reconciles
# (it holds the OVSDB lock), and when it dies the other takes over.
. "$(dirname "$0")/lib.sh"
sandbox_up
require_api

DIR=$LQNET_SANDBOX_DIR
URL2=http://127.0.0.1:19798
cleanup_second() {
    if [ -s "$DIR/lqnetd2.pid" ]; then kill "$(cat "$DIR/lqnetd2.pid")" 2>/dev/null; fi
    rm -f "$DIR/lqnetd2.pid"
    return 0
}
trap 'rc=$?; cleanup_second; (exit $rc); lqt_finish' EXIT
check "a second lqnetd starts on the same databases" \
    build/lqnetd/lqnetd --listen 127.0.0.1:19798 --lqnet-db "unix:$DIR/nb.sock" \
    --nb-db "unix:$DIR/nb.sock" --sb-db "unix:$DIR/sb.sock" --state-dir "$DIR" --detach \
    --pidfile "$DIR/lqnetd2.pid" --log-file "$DIR/lqnetd2.log"
ready2() { curl -sf "$URL2/readyz" >/dev/null; }
check "it becomes ready" eventually 10 ready2
lock_of() { curl -s "$1/metrics" | awk '/^lqnet_reconciler_lock_held/ {print $2}'; }
check "the first holds the reconciler lock, the second does not" \
    test "$(lock_of "$LQNET_URL")" = 1 -a "$(lock_of "$URL2")" = 0

call2() { # METHOD JSON
    curl -s -X POST -H "Authorization: Bearer $LQNET_TOKEN" -H 'Content-Type: application/json' \
        -d "$2" "$URL2/limiquantix.network.v1.$1"
}
N1=$(call2 VirtualNetworkService/CreateNetwork '{"name":"via2","spec":{"ipConfig":{"ipv4Subnet":"10.60.0.0/24"}}}' | jq -r .id)
check "the second serves writes" test -n "$N1" -a "$N1" != null
ready_on() { call2 VirtualNetworkService/GetNetwork "{\"id\":\"$1\"}" | jq -e '.status.phase == "READY"' >/dev/null; }
check "the first reconciles it into Northbound (the second sees READY)" eventually 10 ready_on "$N1"

check "kill -9 the first" kill -9 "$(cat "$DIR/lqnetd.pid")"
took_over() { [ "$(lock_of "$URL2")" = 1 ]; }
check "the second takes the reconciler lock" eventually 15 took_over
N2=$(call2 VirtualNetworkService/CreateNetwork '{"name":"after","spec":{"ipConfig":{"ipv4Subnet":"10.61.0.0/24"}}}' | jq -r .id)
check "a network created now reaches Northbound" eventually 10 ready_on "$N2"
LS=$(call2 VirtualNetworkService/GetNetwork "{\"id\":\"$N1\"}" | jq -r .status.ovnLogicalSwitch)
ovn-nbctl --db="$OVN_NB_DB" ls-del "$LS"
ls_back() { ovn-nbctl --db="$OVN_NB_DB" --bare --columns=name find logical_switch name="$LS" | grep -q .; }
check "and drift is repaired by the second" eventually 10 ls_back
cleanup_second
check "sandbox up brings the first back" scripts/sandbox up
first_holds() { [ "$(lock_of "$LQNET_URL")" = 1 ]; }
check "which reconciles again" eventually 10 first_holds
