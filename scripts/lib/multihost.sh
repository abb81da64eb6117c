# shellcheck shell=bash
# Several OVN hypervisors ("chassis") on one machine, beside a sandbox that
# provides the central part (NB/SB ovsdb-servers, ovn-northd, lqnetd). Sourced,
# not run. See docs/multihost.md.
#
# Each chassis is a network namespace with its own ovsdb-server (conf.db),
# ovs-vswitchd (userspace datapath), lqnet-agent and ovn-controller, all with
# their files in $MH_DIR/<chassis>. The chassis reach the Southbound database
# on its unix socket (a path, so reachable from every namespace) and each
# other over Geneve on an "underlay": a Linux bridge in namespace
# ${MH_PREFIX}ul, 172.31.250.0/24, one veth per chassis. Userspace tunnelling
# needs the tunnel endpoint on an OVS netdev bridge's internal port, so the
# veth is a port of the chassis' br-phy and the address sits on br-phy.
# Optionally ("--outside"), every chassis' br-ex has a veth into a second
# Linux bridge, namespace ${MH_PREFIX}out: one L2 segment standing for the
# data-centre network, where the "outside" host lives.
#
# Every namespace made is listed in $MH_DIR/namespaces; mh_down deletes them
# all, after killing what runs inside them (only processes started there by
# these functions). Device names inside a namespace are private to it, so
# only the namespace names need the unique prefix.
#
# Needs, before the first call: MH_DIR (state folder), MH_SB (the Southbound
# remote, unix:...), MH_AGENT (lqnet-agent binary). Optional: MH_PREFIX
# (default lqm-), MH_PHYSNET (default physnet).

MH_PREFIX=${MH_PREFIX:-lqm-}
MH_PHYSNET=${MH_PHYSNET:-physnet}
MH_UNDERLAY=172.31.250

mh_err() { printf 'multihost: %s\n' "$*" >&2; }

# The namespace of chassis or VM NAME, of the underlay and of the outside.
mh_ns() { echo "$MH_PREFIX$1"; }
mh_ul_ns() { echo "${MH_PREFIX}ul"; }
mh_out_ns() { echo "${MH_PREFIX}out"; }

# Tunnel endpoint of the chassis made with index N.
mh_encap_ip() { echo "$MH_UNDERLAY.$1"; }

mh_db() { echo "unix:$MH_DIR/$1/db.sock"; }
mh_vsctl() { # CHASSIS ARGS...
    local ch=$1
    shift
    ovs-vsctl --db="$(mh_db "$ch")" --timeout=10 "$@"
}

# Runs CMD inside chassis CHASSIS with its OVS/OVN run directories.
mh_exec() { # CHASSIS CMD...
    local ch=$1 dir=$MH_DIR/$1
    shift
    ip netns exec "$(mh_ns "$ch")" env OVS_RUNDIR="$dir" OVS_LOGDIR="$dir" OVS_DBDIR="$dir" \
        OVN_RUNDIR="$dir" OVN_LOGDIR="$dir" OVN_DBDIR="$dir" "$@"
}

# Prints the pid of daemon NAME of chassis CHASSIS if it runs.
mh_pid() { # CHASSIS NAME
    local f=$MH_DIR/$1/$2.pid pid
    [ -s "$f" ] || return 1
    pid=$(tr -dc 0-9 <"$f")
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
    [ "$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" != Z ] || return 1
    echo "$pid"
}

# Sends SIGNAL to daemon NAME of CHASSIS (ovs-vswitchd, ovn-controller,
# ovsdb-server, lqnet-agent) and waits (2 s at most) until it is gone.
mh_kill() { # CHASSIS NAME [SIGNAL]
    local pid _
    pid=$(mh_pid "$1" "$2") || return 1
    kill "-${3:-KILL}" "$pid" || return 1
    for _ in $(seq 20); do
        mh_pid "$1" "$2" >/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# Makes namespace NS and records it for mh_down.
mh_netns_add() {
    mkdir -p "$MH_DIR"
    if [ -e "/run/netns/$1" ]; then
        mh_err "namespace $1 exists already (a leftover? mh_down removes ours)"
        return 1
    fi
    echo "$1" >>"$MH_DIR/namespaces"
    ip netns add "$1" && ip -n "$1" link set lo up
}

# A Linux bridge br0 in a new namespace NS (no STP: no loop can form).
mh_segment_up() { # NS
    mh_netns_add "$1" &&
        ip -n "$1" link add br0 type bridge stp_state 0 forward_delay 0 &&
        ip -n "$1" link set br0 up
}

# The underlay segment; call once before the first chassis.
mh_underlay_up() { mh_segment_up "$(mh_ul_ns)"; }

# The outside segment, with the outside host's ADDRESS/PLEN on its bridge.
mh_outside_up() { # ADDRESS/PLEN
    local ns
    ns=$(mh_out_ns)
    mh_segment_up "$ns" && ip -n "$ns" addr add "$1" dev br0
}

# A veth pair: end A in namespace NSA, end B in NSB, both up, without TX
# checksum offload (the userspace datapath drops packets with partial sums).
mh_veth() { # NSA A NSB B
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" &&
        ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up &&
        ip netns exec "$1" ethtool -K "$2" tx off >/dev/null &&
        ip netns exec "$3" ethtool -K "$4" tx off >/dev/null
}

mh_wait() { # TENTHS CMD...: runs CMD every 0.1 s until it succeeds
    local n=$1 _
    shift
    for _ in $(seq "$n"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    "$@"
}

mh_daemon_started() { # CHASSIS NAME
    if ! mh_wait 50 mh_pid "$1" "$2"; then
        mh_err "$1: $2 did not start"
        tail -n 15 "$MH_DIR/$1/$2.log" "$MH_DIR/$1/$2.start.log" >&2 2>/dev/null
        return 1
    fi
}

mh_bridges_ready() { # CHASSIS [BRIDGE]
    mh_vsctl "$1" br-exists br-int || return 1
    [ -z "${2:-}" ] || { mh_vsctl "$1" br-exists "$2" && ip -n "$(mh_ns "$1")" link show "$2"; }
}

# mh_chassis_up NAME INDEX [--no-physnet]: chassis NAME (system-id) with
# tunnel endpoint 172.31.250.INDEX (1-254, unique), bootstrapped by
# lqnet-agent with $MH_PHYSNET:br-ex (unless --no-physnet), its br-ex
# plugged into the outside segment when that exists. Returns once
# ovn-controller runs; the Chassis row follows in the Southbound shortly.
mh_chassis_up() {
    local ch=$1 idx=$2 maps="$MH_PHYSNET:br-ex" ns dir
    [ "${3:-}" = --no-physnet ] && maps=""
    ns=$(mh_ns "$ch")
    dir=$MH_DIR/$ch
    mkdir -p "$dir" || return 1
    mh_netns_add "$ns" || return 1
    ovsdb-tool create "$dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
    mh_exec "$ch" ovsdb-server --detach --no-chdir --pidfile="$dir/ovsdb-server.pid" \
        --log-file="$dir/ovsdb-server.log" --unixctl="$dir/ovsdb-server.ctl" \
        --remote=punix:"$dir/db.sock" "$dir/conf.db" >"$dir/ovsdb-server.start.log" 2>&1 || return 1
    mh_daemon_started "$ch" ovsdb-server || return 1
    mh_vsctl "$ch" --no-wait init || return 1
    mh_exec "$ch" ovs-vswitchd --detach --no-chdir --pidfile="$dir/ovs-vswitchd.pid" \
        --log-file="$dir/ovs-vswitchd.log" "$(mh_db "$ch")" >"$dir/ovs-vswitchd.start.log" 2>&1 ||
        return 1
    mh_daemon_started "$ch" ovs-vswitchd || return 1
    mh_exec "$ch" "$MH_AGENT" --ovs-db "$(mh_db "$ch")" --system-id "$ch" \
        --ovn-remote "$MH_SB" --encap-type geneve --encap-ip "$(mh_encap_ip "$idx")" \
        --bridge-mappings "$maps" --datapath-type netdev --detach \
        --pidfile "$dir/lqnet-agent.pid" --log-file "$dir/lqnet-agent.log" \
        >"$dir/lqnet-agent.start.log" 2>&1 || return 1
    mh_daemon_started "$ch" lqnet-agent || return 1
    if ! mh_wait 100 mh_bridges_ready "$ch" "${maps:+br-ex}"; then
        mh_err "$ch: lqnet-agent did not make br-int ${maps:+and br-ex }within 10 s"
        tail -n 15 "$dir/lqnet-agent.log" >&2
        return 1
    fi
    # The tunnel endpoint: a fixed MAC keeps the peers' ARP caches valid
    # across restarts of ovs-vswitchd.
    mh_veth "$(mh_ul_ns)" "$ch" "$ns" ul0 &&
        ip -n "$(mh_ul_ns)" link set "$ch" master br0 &&
        mh_vsctl "$ch" add-br br-phy -- set bridge br-phy datapath_type=netdev \
            other_config:hwaddr="$(printf '0a:6c:71:fa:00:%02x' "$idx")" \
            -- add-port br-phy ul0 &&
        mh_wait 50 ip -n "$ns" link show br-phy &&
        ip -n "$ns" addr add "$(mh_encap_ip "$idx")/24" dev br-phy &&
        ip -n "$ns" link set br-phy up || return 1
    if [ -n "$maps" ] && [ -e "/run/netns/$(mh_out_ns)" ]; then
        mh_veth "$(mh_out_ns)" "$ch" "$ns" ex0 &&
            ip -n "$(mh_out_ns)" link set "$ch" master br0 &&
            mh_vsctl "$ch" add-port br-ex ex0 && ip -n "$ns" link set br-ex up || return 1
    fi
    mh_exec "$ch" ovn-controller --detach --no-chdir --pidfile="$dir/ovn-controller.pid" \
        --log-file="$dir/ovn-controller.log" "$(mh_db "$ch")" \
        >"$dir/ovn-controller.start.log" 2>&1 || return 1
    mh_daemon_started "$ch" ovn-controller
}

# mh_vm_create NAME CHASSIS PORT MAC: a "VM": namespace ${MH_PREFIX}NAME
# whose eth0 (MAC) is a veth to CHASSIS' br-int, bound to OVN port PORT.
# NAME: 1-11 characters (it also names the veth's end in the chassis).
mh_vm_create() {
    local vm=$1 ch=$2 port=$3 mac=$4 ns
    ns=$(mh_ns "$vm")
    mh_netns_add "$ns" &&
        mh_veth "$ns" eth0 "$(mh_ns "$ch")" "vm-$vm" &&
        ip -n "$ns" link set eth0 address "$mac" &&
        mh_vsctl "$ch" add-port br-int "vm-$vm" \
            -- set interface "vm-$vm" external_ids:iface-id="$port"
}

# Runs CMD inside VM NAME.
mh_vm_exec() { # NAME CMD...
    local ns
    ns=$(mh_ns "$1")
    shift
    ip netns exec "$ns" "$@"
}

mh_ns_kill() { # NS: every process inside it, TERM then KILL
    local pids _
    pids=$(ip netns pids "$1" 2>/dev/null)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086 # one pid per word
    kill $pids 2>/dev/null
    for _ in $(seq 30); do
        [ -n "$(ip netns pids "$1" 2>/dev/null)" ] || return 0
        sleep 0.1
    done
    # shellcheck disable=SC2046 # one pid per word
    kill -9 $(ip netns pids "$1" 2>/dev/null) 2>/dev/null
    sleep 0.2
}

# Deletes every namespace this state folder made (VMs and chassis before
# the segments they hang on), with everything running inside. Harmless
# when nothing was made or it is half made.
mh_down() {
    local f=$MH_DIR/namespaces ns
    [ -f "$f" ] || return 0
    for ns in $(tac "$f"); do
        [ -e "/run/netns/$ns" ] || continue
        mh_ns_kill "$ns"
        ip netns del "$ns" || mh_err "could not delete namespace $ns"
    done
    rm -f "$f"
}
