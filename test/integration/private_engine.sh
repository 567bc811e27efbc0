# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# A second, private dockerd of the test run, beside the machine's engine
# (which is never touched): a unix socket in the run directory (for the
# test's own calls and, unless the caller adds more -H, for mpirun), its own
# data root, exec root (and so its own containerd), pid file, no default
# bridge and no iptables rules of its own. It gets the test image from the
# machine's engine (docker save | docker load, the exact tag, no pull), an
# --internal network with a subnet of 198.18.0.0/15 (off Docker's default
# pools, so no NAT rule of the machine's engine applies to it) and
# containers. Forwarding between them on that bridge is allowed by one
# FORWARD rule of the run (the machine's engine sets the policy to DROP),
# removed at exit.
#
# Sourced after lib.sh and it_setup (checked). The caller may set, before pd_start:
#   PD_ARGS     more dockerd arguments (an array), e.g. TLS and a tcp -H
#   PD_BRIDGE_OPT  dockerd's default bridge (an array; default --bridge none)
#   PD_C        the containers' names (an array; default two)
#   PD_NET      the network's name
# pd_start / pd_stop / pd_ready / pd_clean; pd_daemon_stop and
# pd_daemon_start stop and start the daemon alone (restart tests).

# Its files live in the run directory: it_setup must have made it.
if [ -z "${IT_RUNDIR:-}" ] || [ ! -d "$IT_RUNDIR" ]; then
    od_die "private_engine.sh: source it after it_setup"
fi
PD_SOCK=$IT_RUNDIR/pd-docker.sock
PD_PIDFILE=$IT_RUNDIR/dockerd.pid
PD_DATA=$IT_RUNDIR/data
PD_EXEC=$IT_RUNDIR/exec
PD_LOG=$IT_RUNDIR/dockerd.log
PD_PID=
PD_READY=0
PD_WHY=            # why the private engine is not ready
PD_NET=$IT_PREFIX-pdnet
PD_BRIDGE=         # its bridge interface, once the FORWARD rule is in
PD_C=("$IT_PREFIX-t1" "$IT_PREFIX-t2")
PD_ARGS=()
PD_BRIDGE_OPT=(--bridge none)

# pd ARGS...: the docker CLI against the private engine (its unix socket).
pd() {
    timeout -k 5 120 env -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH -u DOCKER_TLS \
        DOCKER_HOST="unix://$PD_SOCK" docker "$@"
}

# on_pd CMD...: a helper of lib.sh (check_ranks, assert_no_leftovers...)
# against the private engine.
on_pd() { DOCKER_HOST="unix://$PD_SOCK" "$@"; }

# A 198.18.N.0/24 (RFC 2544 benchmark range) no route of this machine uses.
free_subnet() {
    local n i
    for ((i = 0; i < 50; i++)); do
        n=$((RANDOM % 256))
        ip -4 route | grep -q "^198\.18\.$n\." && continue
        echo "198.18.$n.0/24"
        return 0
    done
    return 1
}

# pd_daemon_start: the daemon, until it answers (30 s). Sets PD_PID, or
# PD_WHY.
pd_daemon_start() {
    local i
    # Its own session: a ctrl-C of the test does not reach it first.
    setsid dockerd "${PD_ARGS[@]}" -H "unix://$PD_SOCK" \
        --data-root "$PD_DATA" --exec-root "$PD_EXEC" --pidfile "$PD_PIDFILE" \
        "${PD_BRIDGE_OPT[@]}" --iptables=false --ip6tables=false >>"$PD_LOG" 2>&1 </dev/null &
    PD_PID=$!
    for ((i = 0; i < 120; i++)); do
        pd version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
        if ! kill -0 "$PD_PID" 2>/dev/null; then
            wait "$PD_PID" 2>/dev/null
            PD_WHY="the private dockerd exited at start-up"
            return 1
        fi
        sleep 0.25
    done
    if [ "$i" -ge 120 ]; then PD_WHY="the private dockerd did not answer within 30 s"; return 1; fi
    i=$(cat "$PD_PIDFILE" 2>/dev/null)
    [ -n "$i" ] && [ "$(cat "/proc/$i/comm" 2>/dev/null)" = dockerd ] && PD_PID=$i
    return 0
}

# pd_daemon_stop [SIGNAL]: the daemon (SIGTERM by default), and its
# containerd when it stays behind; waits up to 30 s, then SIGKILL.
pd_daemon_stop() {
    local sig=${1:-TERM} pid=$PD_PID cpid i
    PD_PID=
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    cpid=$(cat "$PD_EXEC/containerd/containerd.pid" 2>/dev/null)
    kill "-$sig" "$pid" 2>/dev/null
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "private dockerd (pid $pid) still runs after 30 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    # Its containerd ends with it; after a SIGKILL it may not.
    if [ -n "$cpid" ] && [ "$(cat "/proc/$cpid/comm" 2>/dev/null)" = containerd ] \
        && tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -qF "$PD_EXEC/"; then
        kill -KILL "$cpid" 2>/dev/null
    fi
    return 0
}

# pd_load_image: the test image from the machine's engine, by its exact tag
# (nothing is ever pulled). Else PD_WHY.
pd_load_image() {
    local img_id
    img_id=$(od_docker image inspect -f '{{.Id}}' "$IT_IMAGE") \
        || { PD_WHY="no image $IT_IMAGE on the machine's engine"; return 1; }
    od_docker save "$IT_IMAGE" | pd load -q >/dev/null \
        || { PD_WHY="docker save | docker load of $IT_IMAGE failed"; return 1; }
    [ "$(pd image inspect -f '{{.Id}}' "$IT_IMAGE" 2>/dev/null)" = "$img_id" ] \
        || { PD_WHY="$IT_IMAGE is not on the private engine after the load"; return 1; }
}

# pd_start: the private engine, its image, network, FORWARD rule and the
# containers. Sets PD_READY=1, or PD_WHY.
pd_start() {
    local i subnet gw c out
    pd_daemon_start && pd_load_image || return 1
    for ((i = 0; i < 5; i++)); do
        subnet=$(free_subnet) || break
        gw=${subnet%.0/24}.1
        pd network create --internal --subnet "$subnet" --gateway "$gw" "${IT_LABELS[@]}" \
            "$PD_NET" >/dev/null 2>&1 && break
        subnet=
    done
    [ -n "$subnet" ] || { PD_WHY="could not create network $PD_NET"; return 1; }
    c=br-$(pd network inspect -f '{{.Id}}' "$PD_NET" | cut -c1-12)
    iptables -I FORWARD -i "$c" -o "$c" -j ACCEPT \
        || { PD_WHY="could not allow forwarding on $c"; return 1; }
    PD_BRIDGE=$c
    for c in "${PD_C[@]}"; do
        if ! out=$(pd run -d --init --name "$c" --hostname "$c" "${IT_LABELS[@]}" \
                --network "$PD_NET" --dns "$gw" --pull never "$IT_IMAGE" sleep infinity 2>&1); then
            PD_WHY="could not start $c on the private engine: $out"
            return 1
        fi
    done
    printf 'private engine unix://%s (pid %s, data %s): network %s %s, containers %s\n' \
        "$PD_SOCK" "$PD_PID" "$PD_DATA" "$PD_NET" "$subnet" "${PD_C[*]}"
    PD_READY=1
}

# pd_stop: everything of the private engine, idempotent: its containers and
# network, the FORWARD rule, the daemon (and its containerd), its mounts,
# data and exec roots. The log stays with the outputs.
pd_stop() {
    local ids m
    if [ -n "$PD_PID" ] && kill -0 "$PD_PID" 2>/dev/null; then
        ids=$(pd ps -aq --filter "label=$IT_LABEL" 2>/dev/null)
        # shellcheck disable=SC2086  # ids are words
        [ -z "$ids" ] || pd rm -f $ids >/dev/null 2>&1
        ids=$(pd network ls -q --filter "label=$IT_LABEL" 2>/dev/null)
        # shellcheck disable=SC2086
        [ -z "$ids" ] || pd network rm $ids >/dev/null 2>&1
    fi
    if [ -n "$PD_BRIDGE" ]; then
        iptables -D FORWARD -i "$PD_BRIDGE" -o "$PD_BRIDGE" -j ACCEPT 2>/dev/null
        PD_BRIDGE=
    fi
    pd_daemon_stop
    for m in $(findmnt -rn -o TARGET | grep -F "$IT_RUNDIR/" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    rm -rf "$PD_DATA" "$PD_EXEC" "$PD_SOCK"
}

# pd_ready: the private engine runs; otherwise the case fails, with the
# daemon's log.
pd_ready() {
    [ "$PD_READY" = 1 ] && return 0
    fail "no private engine: $PD_WHY"
    [ -f "$PD_LOG" ] && tail -n 15 "$PD_LOG" | sed -e 's/^/    | /'
    return 1
}

# pd_clean: nothing of ours left on the private engine: only the holder
# containers (no exec of a job still running in them), and no process but
# init and sleep in them (nor of mpirun's session on the host).
pd_clean() {
    local names execs c e
    names=$(pd ps -a --format '{{.Names}}' | sort | tr '\n' ' ')
    [ "$names" = "$(printf '%s\n' "${PD_C[@]}" | sort | tr '\n' ' ')" ] \
        || fail "containers on the private engine: $names (want only ${PD_C[*]})"
    for c in "${PD_C[@]}"; do
        execs=$(pd inspect -f '{{range .ExecIDs}}{{.}} {{end}}' "$c")
        for e in $execs; do
            [ "$(pd exec inspect -f '{{.Running}}' "$e" 2>/dev/null)" = true ] \
                && fail "an exec still runs in $c: $(pd exec inspect -f '{{.ProcessConfig.Entrypoint}}' "$e")"
        done
    done
    on_pd assert_no_leftovers "${PD_C[@]}"
}
