# shellcheck shell=bash
# Helpers for the system tests (tests/system/*.sh). A test file starts with
#
#     . "$(dirname "$0")/lib.sh"
#     sandbox_up
#
# and then makes checks: `check NAME CMD...` passes when CMD exits 0,
# `check_fails NAME CMD...` when it does not; each prints "ok"/"FAIL" and the
# failing command's output. When the file ends (or dies) the EXIT trap takes
# the sandbox down and prints "<file>: N passed, N failed", which is what
# scripts/test counts; the exit status is non-zero when a check failed.
#
# Every test file gets a fresh sandbox of its own, in a new state folder
# ($LQNET_TEST_TMP/sandbox; scripts/test provides LQNET_TEST_TMP, otherwise
# it is a new temp folder). Files are independent of each other and of the
# order they run in; the price is about a second of start-up per file. Only
# one sandbox can run on the machine, so files run one after the other.
# LQNET_KEEP=1 leaves the sandbox running at the end, for debugging.
set -u

LQT_FILE=$(basename "$0")
LQT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$LQT_ROOT" || exit 1
if [ -n "${LQNET_TEST_TMP:-}" ]; then
    LQT_TMP=$LQNET_TEST_TMP
    LQT_OWN_TMP=0
    mkdir -p "$LQT_TMP"
else
    LQT_TMP=$(mktemp -d /tmp/lqnet-system.XXXXXX)
    LQT_OWN_TMP=1
fi
export LQNET_SANDBOX_DIR=$LQT_TMP/sandbox
LQT_PASS=0
LQT_FAIL=0
CODE=""
BODY=""

lqt_pass() {
    LQT_PASS=$((LQT_PASS + 1))
    echo "  ok   $1"
}

lqt_fail() {
    LQT_FAIL=$((LQT_FAIL + 1))
    echo "  FAIL $1"
}

# Shows the last lines of FILE indented under a failed check.
lqt_show() { tail -n "${2:-20}" "$1" | sed 's/^/       | /'; }

# check NAME CMD...: one check that passes when CMD exits 0. Returns CMD's
# status, so `check ... || exit` stops a file whose later checks depend on it.
check() {
    local name=$1 rc=0
    shift
    "$@" >"$LQT_TMP/check.out" 2>&1 || rc=$?
    if [ $rc -eq 0 ]; then
        lqt_pass "$name"
        return 0
    fi
    lqt_fail "$name"
    echo "       \$ $*  (exit status $rc)"
    lqt_show "$LQT_TMP/check.out"
    return $rc
}

# check_fails NAME CMD...: one check that passes when CMD fails.
check_fails() {
    local name=$1
    shift
    if "$@" >"$LQT_TMP/check.out" 2>&1; then
        lqt_fail "$name"
        echo "       \$ $*  (succeeded, expected to fail)"
        lqt_show "$LQT_TMP/check.out"
        return 1
    fi
    lqt_pass "$name"
}

# eventually TIMEOUT CMD...: runs CMD every 0.2 s until it succeeds (status
# 0) or TIMEOUT seconds are over (the status of the last try). Use it inside
# a check: check "port is up" eventually 10 port_is_up p1
eventually() {
    local timeout=$1 deadline
    shift
    deadline=$(($(date +%s%N) / 1000000 + timeout * 1000))
    while true; do
        "$@" && return 0
        [ $(($(date +%s%N) / 1000000)) -lt $deadline ] || return 1
        sleep 0.2
    done
}

# Ends the file here as a failure (after counting MESSAGE as a failed check).
die() {
    lqt_fail "$*"
    exit 1
}

# Brings the sandbox up (one check) and exports its environment
# (LQNET_URL, LQNET_TOKEN, OVN_NB_DB, OVN_SB_DB, OVS_DB, ...).
sandbox_up() {
    if ! scripts/sandbox up >"$LQT_TMP/sandbox-up.log" 2>&1; then
        lqt_show "$LQT_TMP/sandbox-up.log" 30
        die "sandbox up"
    fi
    lqt_pass "sandbox up"
    eval "$(scripts/sandbox env)"
}

# Fails the file unless lqnetd serves the API (for tests that need it).
require_api() {
    if [ -z "${LQNET_TOKEN:-}" ] || ! curl -sf "$LQNET_URL/readyz" >/dev/null; then
        die "lqnetd serves the API (build/lqnetd/lqnetd built and ready)"
    fi
}

sandbox_down() { scripts/sandbox down; }

# api SERVICE/METHOD [JSON]: calls limiquantix.network.v1.SERVICE/METHOD
# with $LQNET_TOKEN, prints the body and sets CODE (HTTP status) and BODY.
# Inside $(...) those variables are lost: use last_code and last_body there.
api() { api_as "$LQNET_TOKEN" "$@"; }

# api_as TOKEN SERVICE/METHOD [JSON]: api with another token ("" for none).
api_as() {
    local token=$1 method=$2 data=${3:-}
    [ -n "$data" ] || data='{}'
    CODE=$(curl -s -o "$LQT_TMP/body" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data "$data" "$LQNET_URL/limiquantix.network.v1.$method") || CODE=000
    echo "$CODE" >"$LQT_TMP/code"
    BODY=$(cat "$LQT_TMP/body")
    printf '%s\n' "$BODY"
}

last_code() { cat "$LQT_TMP/code"; }
# last_body [JQ-FILTER]: the last api reply, or jq -r FILTER of it.
last_body() { jq -r "${1:-.}" "$LQT_TMP/body"; }

# VMs (scripts/vm)
# vm_create NAME PORT [MAC] [--mtu-from-dhcp]: MAC defaults to the port's.
vm_create() {
    local name=$1 port=$2
    shift 2
    if [[ ${1:-} =~ ^[0-9a-fA-F]{2}: ]]; then
        set -- --mac "$1" "${@:2}"
    fi
    scripts/vm create "$name" --port "$port" "$@"
}
vm_dhcp() { scripts/vm dhcp "$1"; }
vm_exec() { scripts/vm exec "$@"; }
vm_delete() { scripts/vm delete "$1"; }
# vm_bg NAME CMD...: runs CMD in the background inside VM NAME (a listener,
# say), output in $LQT_TMP/vm_bg.NAME.log. It ends with the VM: vm_delete
# and sandbox down kill every process of the VM's namespace.
vm_bg() {
    local name=$1
    shift
    scripts/vm exec "$name" "$@" >>"$LQT_TMP/vm_bg.$name.log" 2>&1 &
    disown
}
# vm_ping NAME IP [PING-ARGS...]: one ping with a 1 s deadline.
vm_ping() {
    local name=$1 ip=$2
    shift 2
    scripts/vm exec "$name" ping -c 1 -W 1 "$@" "$ip"
}
# vm_lease NAME KEY: a value from the VM's last DHCP lease (ip, prefix,
# routers, dns, mtu, domain, search, classless_routes, lease_time, server).
vm_lease() { sed -n "s/^$2=//p" "$LQNET_SANDBOX_DIR/vm-$1.lease-info"; }

lqt_finish() {
    local rc=$?
    trap - EXIT INT TERM
    # Background jobs the file started itself (vm_bg ones go with the VMs).
    local jobs
    jobs=$(jobs -p)
    if [ -n "$jobs" ]; then
        disown -a
        # shellcheck disable=SC2086 # one pid per word
        kill $jobs 2>/dev/null
    fi
    if [ "$rc" -ne 0 ] && [ "$LQT_FAIL" -eq 0 ]; then
        lqt_fail "$LQT_FILE stopped early (exit status $rc)"
    fi
    if [ "${LQNET_KEEP:-0}" = 1 ]; then
        echo "sandbox left running: eval \"\$(LQNET_SANDBOX_DIR=$LQNET_SANDBOX_DIR scripts/sandbox env)\""
    else
        scripts/sandbox down >"$LQT_TMP/sandbox-down.log" 2>&1 ||
            lqt_fail "sandbox down: $(tail -n 3 "$LQT_TMP/sandbox-down.log")"
        if [ "$LQT_OWN_TMP" = 1 ] && [ "$LQT_FAIL" -eq 0 ]; then
            rm -rf "$LQT_TMP"
        elif [ "$LQT_FAIL" -ne 0 ]; then
            echo "logs: $LQNET_SANDBOX_DIR"
        fi
    fi
    echo "$LQT_FILE: $LQT_PASS passed, $LQT_FAIL failed"
    exit $((LQT_FAIL > 0))
}
trap lqt_finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- security groups (sg_*.sh) -------------------------------------------------
# VMs on API ports, addressed by hand (no DHCP): LQT_PORT[NAME] is the port's
# id, LQT_IP[NAME] / LQT_IP6[NAME] its IPv4 / IPv6 address.
declare -A LQT_PORT LQT_IP LQT_IP6

# vm_on_port NAME NETWORK [SPEC-JSON]: CreatePort NAME in NETWORK (with
# SPEC), then VM NAME on it with the port's addresses on eth0 (IPv4 /24,
# IPv6 /64 nodad; LQT_V4_PREFIX overrides the 24).
vm_on_port() {
    local name=$1 net=$2 spec=${3:-}
    api PortService/CreatePort "{\"name\":\"$name\",\"networkId\":\"$net\"${spec:+,\"spec\":$spec}}" >/dev/null
    if [ "$CODE" != 200 ]; then
        echo "CreatePort $name: $CODE $BODY" >&2
        return 1
    fi
    LQT_PORT[$name]=$(last_body .id)
    LQT_IP[$name]=$(last_body '[.status.ipAddresses[] | select(contains(":") | not)][0] // ""')
    LQT_IP6[$name]=$(last_body '[.status.ipAddresses[] | select(contains(":"))][0] // ""')
    vm_create "$name" "${LQT_PORT[$name]}" "$(last_body .spec.macAddress)" >/dev/null || return 1
    if [ -n "${LQT_IP[$name]}" ]; then
        vm_exec "$name" ip addr add "${LQT_IP[$name]}/${LQT_V4_PREFIX:-24}" dev eth0 || return 1
    fi
    if [ -n "${LQT_IP6[$name]}" ]; then
        vm_exec "$name" ip -6 addr add "${LQT_IP6[$name]}/64" dev eth0 nodad || return 1
    fi
}

# sg_create NAME RULES-JSON [EXTRA-JSON-FIELDS]: CreateSecurityGroup; prints
# the new group's id (empty on failure, with the reply on stderr).
sg_create() {
    api SecurityGroupService/CreateSecurityGroup \
        "{\"name\":\"$1\",\"rules\":$2${3:+,$3}}" >/dev/null
    if [ "$(last_code)" != 200 ]; then
        echo "CreateSecurityGroup $1: $(last_code) $(cat "$LQT_TMP/body")" >&2
        return 1
    fi
    last_body .id
}

# set_sgs PORT-ID GROUP-ID...: UpdatePort masking spec.securityGroupIds
# (no group: an empty list).
set_sgs() {
    local port=$1 ids
    shift
    ids=$(printf '%s\n' "$@" | jq -R . | jq -sc 'map(select(. != ""))')
    api PortService/UpdatePort "{\"id\":\"$port\",\"updateMask\":\"spec.securityGroupIds\",
      \"spec\":{\"securityGroupIds\":$ids}}" >/dev/null
    [ "$CODE" = 200 ] || { echo "UpdatePort $port: $CODE $BODY" >&2; return 1; }
}

# vm_listen NAME PORT [NCAT-ARGS...]: a TCP (or, with -u, UDP) listener in
# VM NAME that stays up; waits (5 s at most) until it listens.
vm_listen() {
    local name=$1 port=$2
    shift 2
    vm_bg "$name" ncat "$@" -l -k "$port"
    eventually 5 lqt_listening "$name" "$port"
}
lqt_listening() { vm_exec "$1" ss -Hlntu | grep -q "[:.]$2 "; }

# tcp_ok NAME IP PORT [NCAT-ARGS...]: VM NAME opens a TCP connection to IP:PORT
# (2 s at most).
tcp_ok() {
    local name=$1 ip=$2 port=$3
    shift 3
    vm_exec "$name" ncat "$@" -z -w 2 "$ip" "$port"
}

# timed_ms CMD...: runs CMD; prints "STATUS MILLISECONDS".
timed_ms() {
    local t0 rc=0
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || rc=$?
    echo "$rc $((($(date +%s%N) - t0) / 1000000))"
}

# nb_acl_count OWNER: ACL rows lqnet made for OWNER (a group id or lq_secured).
nb_acl_count() {
    ovn-nbctl --db="$OVN_NB_DB" --bare --columns=_uuid find acl \
        "external_ids:\"lqnet:owner\"=$1" | grep -c .
}

# pg_name GROUP-ID: the OVN Port_Group of a security group.
pg_name() { echo "lq_${1//-/_}"; }

# pg_ports GROUP-ID-or-PG-NAME: how many ports the Port_Group holds.
pg_ports() {
    local pg=$1
    [[ $pg == lq_* ]] || pg=$(pg_name "$pg")
    ovn-nbctl --db="$OVN_NB_DB" --bare --columns=ports find port_group "name=$pg" | wc -w
}

# --- several hypervisors (multihost.sh) -----------------------------------------
# multihost_init: loads scripts/lib/multihost.sh with its state in
# $LQT_TMP/multihost and this sandbox's Southbound, and makes the EXIT trap
# delete the chassis and VM namespaces before the sandbox goes down.
# Namespaces of an interrupted earlier run (same names) are removed first.
multihost_init() {
    MH_DIR=$LQT_TMP/multihost
    MH_SB=$OVN_SB_DB
    MH_AGENT=${LQNET_BUILD_DIR:-$LQT_ROOT/build}/agent/lqnet-agent
    case $MH_AGENT in /*) ;; *) MH_AGENT=$LQT_ROOT/$MH_AGENT ;; esac
    # shellcheck source=scripts/lib/multihost.sh
    . "$LQT_ROOT/scripts/lib/multihost.sh"
    trap 'rc=$?; mh_down; (exit $rc); lqt_finish' EXIT
    mh_down
}

# multihost_forget_ns NAME...: deletes namespaces ${MH_PREFIX}NAME left by an
# interrupted run of this file (only one sandbox, hence one such test, runs).
multihost_forget_ns() {
    local n ns
    for n in "$@"; do
        ns=$(mh_ns "$n")
        [ -e "/run/netns/$ns" ] || continue
        mh_ns_kill "$ns"
        ip netns del "$ns"
    done
}

# sandbox_chassis_leave: the sandbox's own chassis hv1 (root namespace,
# tunnel endpoint 127.0.0.1, which no namespaced chassis can reach) stops
# being one: its ovn-controller stops and its Chassis row goes, so lqnet
# neither places gateways on it nor does OVN tunnel to it.
sandbox_chassis_leave() {
    local f=$LQNET_SANDBOX_DIR/ovn-controller.pid pid _
    pid=$(tr -dc 0-9 <"$f" 2>/dev/null)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ovn-controller ]; then
        kill "$pid"
        for _ in $(seq 50); do
            [ -d "/proc/$pid" ] || break
            sleep 0.1
        done
    fi
    ovn-sbctl --db="$OVN_SB_DB" --timeout=10 --if-exists chassis-del hv1
}

# mh_port_vm NAME CHASSIS NETWORK [PROJECT]: CreatePort NAME in NETWORK, then
# VM NAME on CHASSIS with the port's MAC and first IPv4 address, the
# network's MTU and its gateway as the default route (what DHCP would give).
# Sets LQT_PORT[NAME] and LQT_IP[NAME].
mh_port_vm() {
    local name=$1 ch=$2 net=$3 project=${4:-} plen mtu gw
    api VirtualNetworkService/GetNetwork "{\"id\":\"$net\"}" >/dev/null
    [ "$CODE" = 200 ] || { echo "GetNetwork $net: $CODE $BODY" >&2; return 1; }
    plen=$(last_body '.spec.ipConfig.ipv4Subnet | split("/")[1]')
    gw=$(last_body .spec.ipConfig.ipv4Gateway)
    mtu=$(last_body .status.mtu)
    api PortService/CreatePort "{\"name\":\"$name\",\"networkId\":\"$net\"${project:+,\"projectId\":\"$project\"}}" >/dev/null
    [ "$CODE" = 200 ] || { echo "CreatePort $name: $CODE $BODY" >&2; return 1; }
    LQT_PORT[$name]=$(last_body .id)
    LQT_IP[$name]=$(last_body '[.status.ipAddresses[] | select(contains(":") | not)][0]')
    mh_vm_create "$name" "$ch" "${LQT_PORT[$name]}" "$(last_body .spec.macAddress)" &&
        mh_vm_exec "$name" ip link set eth0 mtu "$mtu" &&
        mh_vm_exec "$name" ip addr add "${LQT_IP[$name]}/$plen" dev eth0 &&
        mh_vm_exec "$name" ip route add default via "$gw"
}

# mh_ping NAME IP [PING-ARGS...]: one ping from VM NAME, 1 s deadline.
mh_ping() {
    local name=$1 ip=$2
    shift 2
    mh_vm_exec "$name" ping -n -c 1 -W 1 "$@" "$ip"
}

# ping_replies_after FILE EPOCH: replies in FILE (the output of ping -D)
# received after EPOCH (seconds, may have decimals).
ping_replies_after() {
    awk -v t="$2" '/bytes from/ { ts = substr($1, 2, length($1) - 2); if (ts + 0 > t + 0) n++ }
        END { print n + 0 }' "$1"
}

# ping_gap FILE: "MS LOST" for the output of ping -D -i 0.1: the longest
# time between two consecutive replies (ms) and the echo requests lost in it.
ping_gap() {
    awk '/bytes from/ {
            ts = substr($1, 2, length($1) - 2); split($0, a, "icmp_seq="); split(a[2], b, " ")
            if (n++ && ts - last > gap) { gap = ts - last; lost = b[1] - seq - 1 }
            last = ts; seq = b[1]
        }
        END { printf "%d %d\n", gap * 1000, lost }' "$1"
}

# The CLI tests (tests/system/cli*.sh): require_cli finds the built lqnet
# in $LQ (failing the file if it is missing); the helpers below run it.
require_cli() {
    local build=${LQNET_BUILD_DIR:-build}
    case $build in /*) ;; *) build=$LQT_ROOT/$build ;; esac
    LQ=$build/lqnet/lqnet
    [ -x "$LQ" ] || die "the CLI is built ($LQ)"
}

# lq ARGS...: the CLI with $LQNET_URL and $LQNET_TOKEN from the environment.
lq() { "$LQ" "$@"; }

# fails_with STATUS TEXT ARGS...: lqnet ARGS exits with STATUS and says TEXT
# on stderr; stdout and stderr stay in $LQT_TMP/out and $LQT_TMP/err.
fails_with() {
    local want=$1 text=$2 rc=0
    shift 2
    "$LQ" "$@" >"$LQT_TMP/out" 2>"$LQT_TMP/err" || rc=$?
    if [ "$rc" -ne "$want" ] || ! grep -qF -- "$text" "$LQT_TMP/err"; then
        echo "exit status $rc, expected $want with '$text' on stderr"
        echo "stderr:" && cat "$LQT_TMP/err"
        echo "stdout:" && cat "$LQT_TMP/out"
        return 1
    fi
}

# prints TEXT ARGS...: lqnet ARGS succeeds and its stdout has a line
# matching the extended regular expression TEXT.
prints() {
    local text=$1
    shift
    "$LQ" "$@" >"$LQT_TMP/out" 2>"$LQT_TMP/err" || {
        echo "exit status $?:" && cat "$LQT_TMP/err"
        return 1
    }
    grep -qE -- "$text" "$LQT_TMP/out" || {
        echo "no line matches '$text' in:" && cat "$LQT_TMP/out"
        return 1
    }
}

# is JSON-ARGS... -- JQ: lqnet ARGS -o json, and jq -e JQ of what it printed.
is() {
    local args=()
    while [ "$1" != -- ]; do
        args+=("$1")
        shift
    done
    "$LQ" "${args[@]}" -o json >"$LQT_TMP/out" 2>"$LQT_TMP/err" || {
        echo "exit status $?:" && cat "$LQT_TMP/err"
        return 1
    }
    jq -e "$2" "$LQT_TMP/out" >/dev/null || {
        echo "jq -e '$2' is false for:" && cat "$LQT_TMP/out"
        return 1
    }
}

UUID='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
