# shellcheck shell=bash disable=SC2034 # the variables are used by the sourcing scripts
# Shared by scripts/sandbox, scripts/vm and scripts/test (sourced, not run).
# Resolves the project root and the sandbox state folder, installs missing
# Debian packages, builds the project, and manages daemons by pid file.

LQ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LQ_BUILD=${LQNET_BUILD_DIR:-$LQ_ROOT/build}
case $LQ_BUILD in /*) ;; *) LQ_BUILD=$PWD/$LQ_BUILD ;; esac

# The state folder: $LQNET_SANDBOX_DIR made absolute, or <root>/.sandbox.
LQ_DIR=${LQNET_SANDBOX_DIR:-$LQ_ROOT/.sandbox}
case $LQ_DIR in /*) ;; *) LQ_DIR=$PWD/$LQ_DIR ;; esac
LQ_DIR=${LQ_DIR%/}

LQ_PORT=${LQNET_API_PORT:-9797}
LQ_PHYSNET=physnet
LQ_PHYS_BRIDGE=br-ex
LQ_NB_SOCK=$LQ_DIR/nb.sock
LQ_SB_SOCK=$LQ_DIR/sb.sock
LQ_OVS_SOCK=$LQ_DIR/db.sock
LQ_OVS_DB=unix:$LQ_OVS_SOCK

LQ_PACKAGES="ovn-central ovn-host openvswitch-switch iproute2 ethtool iputils-ping
ncat tcpdump isc-dhcp-client jq curl meson ninja-build pkg-config gcc
libevent-dev libjansson-dev libssl-dev libcmocka-dev protobuf-c-compiler
libprotobuf-c-dev libprotobuf-dev"

lq_say() { printf '%s\n' "$*"; }
lq_err() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
lq_die() {
    lq_err "$*"
    exit 1
}

# Every OVS/OVN program looks for its sockets, logs and databases here.
lq_export_dirs() {
    export OVS_RUNDIR=$LQ_DIR OVS_LOGDIR=$LQ_DIR OVS_DBDIR=$LQ_DIR OVS_SYSCONFDIR=$LQ_DIR
    export OVN_RUNDIR=$LQ_DIR OVN_LOGDIR=$LQ_DIR OVN_DBDIR=$LQ_DIR OVN_SYSCONFDIR=$LQ_DIR
}

# Installs whatever of $LQ_PACKAGES is missing (apt-get update only then).
lq_ensure_packages() {
    local missing="" p
    for p in $LQ_PACKAGES; do
        if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
            missing="$missing $p"
        fi
    done
    [ -z "$missing" ] && return 0
    lq_say "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086 # word splitting of the package list is wanted
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } \
        >/tmp/lqnet-apt.$$.log 2>&1; then
        tail -n 20 /tmp/lqnet-apt.$$.log >&2
        rm -f /tmp/lqnet-apt.$$.log
        lq_die "apt-get install failed"
    fi
    rm -f /tmp/lqnet-apt.$$.log
}

# Configures (once) and builds $LQ_BUILD quietly; on failure shows the errors.
lq_build() {
    local log
    log=$(mktemp)
    if [ ! -f "$LQ_BUILD/build.ninja" ]; then
        if ! meson setup "$LQ_BUILD" "$LQ_ROOT" >"$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            lq_die "meson setup $LQ_BUILD failed"
        fi
    fi
    if ! ninja -C "$LQ_BUILD" -j2 >"$log" 2>&1; then
        grep -v '^\[[0-9]*/[0-9]*\] ' "$log" | tail -n 60 >&2
        rm -f "$log"
        lq_die "build failed (ninja -C $LQ_BUILD)"
    fi
    rm -f "$log"
}

# True while process PID exists and is not a zombie waiting for its reaper.
lq_alive() {
    local state
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# Prints the pid of daemon NAME if its pid file names a live process that is
# really this sandbox's daemon (program name and state folder both match), so
# a stale pid file never makes us signal somebody else's process.
lq_pid() {
    local name=$1 prog=${2:-$1} pid comm
    [ -s "$LQ_DIR/$name.pid" ] || return 1
    pid=$(tr -dc 0-9 <"$LQ_DIR/$name.pid")
    [ -n "$pid" ] && lq_alive "$pid" || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = "${prog:0:15}" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$LQ_DIR/" || return 1
    echo "$pid"
}

# Stops daemon NAME: SIGTERM, up to 5 s of waiting, then SIGKILL.
lq_stop() {
    local name=$1 prog=${2:-$1} pid _
    pid=$(lq_pid "$name" "$prog") || {
        rm -f "$LQ_DIR/$name.pid"
        return 0
    }
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        lq_alive "$pid" || break
        sleep 0.1
    done
    if lq_alive "$pid"; then
        lq_err "$name (pid $pid) did not stop: killing it"
        kill -9 "$pid" 2>/dev/null || true
        for _ in $(seq 20); do
            lq_alive "$pid" || break
            sleep 0.1
        done
    fi
    rm -f "$LQ_DIR/$name.pid"
}

lq_vsctl() { ovs-vsctl --db="$LQ_OVS_DB" --timeout=10 "$@"; }
