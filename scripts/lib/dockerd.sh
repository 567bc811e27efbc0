# shellcheck shell=bash
# shellcheck disable=SC2034,SC2119,SC2120  # variables for the callers; optional arguments
# dkr_ensure_dockerd: make sure a Docker engine answers on the default socket
# (or $DOCKER_HOST). Uses one that already runs; otherwise starts `dockerd`
# in the background and remembers its pid, so that
# dkr_stop_dockerd_if_started stops that one and no other.

# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DKR_STARTED_PID=
DKR_LOG=${DKR_LOG:-/var/log/ompi-docker-dockerd.log}
# For a private engine beside the machine's (tests of this file): extra
# dockerd arguments, e.g. "-H unix:///x.sock --data-root ... --pidfile P"
# with DOCKER_HOST=unix:///x.sock and DKR_PIDFILE=P.
DKR_DOCKERD_ARGS=${DKR_DOCKERD_ARGS:-}
DKR_PIDFILE=${DKR_PIDFILE:-/var/run/docker.pid}

dkr_ping() { timeout -k 2 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

dkr_ensure_dockerd() {
    local i pid
    if dkr_ping; then return 0; fi
    if [ -n "${DOCKER_HOST:-}" ] && [ -z "$DKR_DOCKERD_ARGS" ]; then
        od_die "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST"
    fi
    command -v dockerd >/dev/null || od_die "dockerd not installed (apt-get install docker.io)"
    od_log "no Docker engine answers: starting dockerd (log: $DKR_LOG)"
    # Its own session, so that a ctrl-C of the script does not reach it first;
    # we stop it ourselves at exit.
    # shellcheck disable=SC2086  # DKR_DOCKERD_ARGS is split on purpose
    setsid dockerd $DKR_DOCKERD_ARGS >>"$DKR_LOG" 2>&1 </dev/null &
    DKR_STARTED_PID=$!
    for i in $(seq 1 120); do
        if dkr_ping; then
            # setsid may have forked: the pid file names the daemon itself.
            pid=$(cat "$DKR_PIDFILE" 2>/dev/null || true)
            if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
                DKR_STARTED_PID=$pid
            fi
            od_log "dockerd (pid $DKR_STARTED_PID) answers after ~$((i / 2)) s"
            return 0
        fi
        if ! kill -0 "$DKR_STARTED_PID" 2>/dev/null; then
            tail -n 20 "$DKR_LOG" >&2
            DKR_STARTED_PID=
            od_die "dockerd exited at start-up (see $DKR_LOG)"
        fi
        sleep 0.5
    done
    tail -n 20 "$DKR_LOG" >&2
    dkr_stop_dockerd_if_started
    od_die "dockerd did not answer within 60 s (see $DKR_LOG)"
}

dkr_stop_dockerd_if_started() {
    local pid=$DKR_STARTED_PID i
    [ -n "$pid" ] || return 0
    DKR_STARTED_PID=
    kill -0 "$pid" 2>/dev/null || return 0
    od_log "stopping the dockerd we started (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    od_log "dockerd (pid $pid) still runs after 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

# dkr_remove_labelled LABEL: removes the containers, then the networks, that
# carry LABEL (key=value), by id.
dkr_remove_labelled() {
    local ids
    dkr_ping || return 0
    ids=$(od_docker ps -aq --filter "label=$1")
    # shellcheck disable=SC2086  # ids are words
    [ -z "$ids" ] || od_docker rm -f $ids >/dev/null || true
    ids=$(od_docker network ls -q --filter "label=$1")
    # shellcheck disable=SC2086
    [ -z "$ids" ] || od_docker network rm $ids >/dev/null || true
}
