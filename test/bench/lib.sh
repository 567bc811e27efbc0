# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the callers
# What test/bench/launch and test/bench/profile share: a Docker engine, the
# test image, an --internal network with N containers of it, the helper
# programs, the files the agents and the name lookups need, and the
# clean-up (also on ctrl-C).
#
#   . "$(dirname "$0")/lib.sh"
#   bench_setup 16            # sets RUNDIR, CONTAINERS, NET, RUNSTAT, ...
#   ...                       # bench_cleanup runs at exit
#
# Everything carries the label ompi-docker.test=bench-$BENCH_ID (and
# ompi-docker.session=$OD_SESSION when set) and is removed by id at exit.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$BENCH_DIR/../.." && pwd)
# shellcheck source=scripts/lib/dockerd.sh
. "$TOP/scripts/lib/dockerd.sh"
# shellcheck source=scripts/lib/image.sh
. "$TOP/scripts/lib/image.sh"
# shellcheck source=scripts/lib/deps.sh
. "$TOP/scripts/lib/deps.sh"

BENCH_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
LABEL=ompi-docker.test=bench-$BENCH_ID
LABELS=(--label "$LABEL")
[ -n "${OD_SESSION:-}" ] && LABELS+=(--label "ompi-docker.session=$OD_SESSION")
PREFIX=odb-$BENCH_ID
RUNDIR=
NET=
SUBNET=
GATEWAY=
IMAGE=
CONTAINERS=()       # c1..cN, by name
CONTAINER_IDS=()    # and by id
NET_ID=
RUNSTAT=
ENGINE_EXECS=
RESOLVER_ADDR=
BENCH_KEEP=${BENCH_KEEP:-0}
BENCH_FAILED=0      # the caller counts failures here: outputs are kept then
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

log() { od_log "$@"; }

bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # A running runstat passes INT/TERM on to mpirun's process group and
    # waits for it; whatever is left in our containers goes with them.
    dkr_remove_labelled "$LABEL"
    dkr_stop_dockerd_if_started
    if [ -n "$RUNDIR" ] && [ -d "$RUNDIR" ]; then
        if [ "$BENCH_KEEP" = 1 ] || [ "$BENCH_FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then
            log "outputs kept in $RUNDIR"
        else
            rm -rf "$RUNDIR"
        fi
    fi
    return "$rc"
}

# bench_tool NAME: path of test/bench/NAME built from test/bench/NAME.c: the
# one `make check` built (in-place, in $BENCH_BUILD_DIR or in _build/) when
# it is newer than its sources, else compiled now into the run directory
# (engine_execs straight from libdkr's sources).
bench_tool() {
    local name=$1 src=$BENCH_DIR/$1.c d cflags libs
    for d in "${BENCH_BUILD_DIR:-}" "$TOP" "$TOP/_build"; do
        if [ -n "$d" ] && [ -x "$d/test/bench/$name" ] && [ "$d/test/bench/$name" -nt "$src" ] \
            && [ "$d/test/bench/$name" -nt "$TOP/src/docker/dkr.h" ]; then
            echo "$d/test/bench/$name"
            return 0
        fi
    done
    if [ "$name" = engine_execs ]; then
        cflags=$(pkg-config --cflags libcurl json-c libevent_core 2>/dev/null)
        libs=$(pkg-config --libs libcurl json-c libevent_core 2>/dev/null) \
            || libs="-lcurl -ljson-c -levent_core"
        # shellcheck disable=SC2086  # flags are words
        ${CC:-cc} -O2 -Wall -I"$TOP/src/docker" $cflags -o "$RUNDIR/$name" "$src" \
            "$TOP"/src/docker/dkr_*.c $libs >&2 || return 1
    else
        ${CC:-cc} -O2 -Wall -o "$RUNDIR/$name" "$src" >&2 || return 1
    fi
    echo "$RUNDIR/$name"
}

# bench_setup N: the run directory, the helpers, dockerd, the image, the
# network and containers c1..cN (`sleep infinity` under --init), and in
# RUNDIR: hosts (/etc/hosts plus the containers), resolv.conf (fail-fast
# loopback resolver), pids/NAME (each container's init PID, host view).
bench_setup() {
    local n=$1 i name ip pid
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    [ "$(id -u)" -eq 0 ] || od_die "run as root (containers, mount namespaces, nsenter)"
    # the project's packages, plus what only the benchmark uses (the curl
    # agent, the plot, ss)
    od_install_deps curl gnuplot-nox iproute2
    RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/ompi-docker-bench.$BENCH_ID.XXXXXX")
    for i in mpirun ompi_info nsenter curl unshare ss; do
        command -v "$i" >/dev/null || od_die "$i not found"
    done
    ompi_info 2>/dev/null | grep -q 'plm: docker' || od_die "plm docker is not installed (make install)"
    RUNSTAT=$(bench_tool runstat) || od_die "cannot build runstat"
    ENGINE_EXECS=$(bench_tool engine_execs) || od_die "cannot build engine_execs"
    dkr_ensure_dockerd
    IMAGE=$(img_ensure_images) || od_die "no test image"

    NET=$PREFIX-net
    NET_ID=$(od_docker network create --internal "${LABELS[@]}" "$NET") || od_die "cannot create $NET"
    GATEWAY=$(od_docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' "$NET")
    SUBNET=$(od_docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' "$NET")
    log "network $NET ($SUBNET); starting $n containers of $IMAGE"
    for ((i = 1; i <= n; i++)); do
        name=$PREFIX-c$i
        # --dns: Docker's embedded DNS forwards unknown names to the host's
        # address on our network (nothing answers), never off the machine.
        CONTAINER_IDS+=("$(od_docker run -d --init --name "$name" "${LABELS[@]}" --network "$NET" \
            --dns "$GATEWAY" "$IMAGE" sleep infinity)") || od_die "cannot start $name"
        CONTAINERS+=("$name")
    done

    mkdir -p "$RUNDIR/pids"
    cp /etc/hosts "$RUNDIR/hosts"
    for name in "${CONTAINERS[@]}"; do
        ip=$(od_docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$name")
        pid=$(od_docker inspect -f '{{.State.Pid}}' "$name")
        printf '%s %s\n' "$ip" "$name" >>"$RUNDIR/hosts"
        echo "$pid" >"$RUNDIR/pids/$name"
    done
    make_resolv_conf "$RUNDIR/resolv.conf"
}

# make_resolv_conf FILE: the machine's resolv.conf with every nameserver
# replaced by one unused loopback address (nothing listens on its port 53),
# keeping search and options. Sets RESOLVER_ADDR.
make_resolv_conf() {
    local f=$1 cand
    RESOLVER_ADDR=
    local listening
    listening=$(ss -Hlnut 2>/dev/null | awk '{ print $5 }' | sed -e 's/%[^:]*:/:/' | grep -E ':53$')
    if grep -qE '^(0\.0\.0\.0|\*|\[::\]):53$' <<<"$listening"; then
        od_die "something listens on port 53 on every address: no unused loopback resolver"
    fi
    for cand in 127.0.0.53 127.0.0.54 127.0.0.153 127.53.53.53; do
        if ! grep -qxF "$cand:53" <<<"$listening"; then
            RESOLVER_ADDR=$cand
            break
        fi
    done
    [ -n "$RESOLVER_ADDR" ] || od_die "no unused loopback address for the fail-fast resolver"
    {
        echo "# test/bench: lookups that reach DNS fail at once (nothing listens here)"
        echo "nameserver $RESOLVER_ADDR"
        grep -E '^(search|domain|options)' /etc/resolv.conf 2>/dev/null || true
    } >"$f"
}

# hosts_list N: "c1,...,cN" (names) for --host
hosts_list() {
    local IFS=,
    echo "${CONTAINERS[*]:0:$1}"
}

# engine_pids: dockerd, containerd and the shims of our containers.
engine_pids() {
    local p c
    for p in $(pidof dockerd containerd 2>/dev/null); do echo "$p"; done
    for c in "${CONTAINERS[@]}"; do
        p=$(cat "$RUNDIR/pids/$c")
        awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null
    done | sort -u
}

# leftovers: "PID ARGS" of every process in our containers' PID namespaces
# other than their init and `sleep infinity` (an orted that outlived its
# mpirun; nsenter's are not in the containers' cgroups, hence namespaces).
leftovers() {
    local c nslist=
    for c in "${CONTAINERS[@]}"; do
        nslist="$nslist $(readlink "/proc/$(cat "$RUNDIR/pids/$c")/ns/pid" 2>/dev/null)"
    done
    find /proc/[0-9]*/ns -maxdepth 1 -name pid -printf '%h %l\n' 2>/dev/null | awk -v ns="$nslist" '
        BEGIN { n = split(ns, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
        want[$2] { split($1, p, "/"); print p[3] }' | while read -r p; do
        c=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
        case $c in "/sbin/docker-init -- sleep infinity "|"sleep infinity "|"") ;; *) echo "$p $c" ;; esac
    done
}

# settle: wait (up to 15 s) until no daemon is left in our containers; kill
# what is left after that and count it as a failure. Also containers and
# networks with our label that are not ours (a job-owned container plm
# docker did not remove): listed, removed, counted.
settle() {
    local i left ids mine c
    mine=" ${CONTAINER_IDS[*]} "
    ids=$(od_docker ps -aq --no-trunc --filter "label=$LABEL" | while read -r c; do
        [[ $mine == *" $c "* ]] || echo "$c"; done)
    if [ -n "$ids" ]; then
        log "containers left by a job (removed): $(echo "$ids" | cut -c1-12 | tr '\n' ' ')"
        # shellcheck disable=SC2086  # ids are words
        od_docker rm -f $ids >/dev/null 2>&1 || true
        BENCH_FAILED=$((BENCH_FAILED + 1))
    fi
    ids=$(od_docker network ls -q --no-trunc --filter "label=$LABEL" | while read -r c; do
        [ "$c" = "$NET_ID" ] || echo "$c"; done)
    if [ -n "$ids" ]; then
        log "networks left by a job (removed): $(echo "$ids" | cut -c1-12 | tr '\n' ' ')"
        # shellcheck disable=SC2086
        od_docker network rm $ids >/dev/null 2>&1 || true
        BENCH_FAILED=$((BENCH_FAILED + 1))
    fi
    for ((i = 0; i < 30; i++)); do
        left=$(leftovers)
        [ -z "$left" ] && return 0
        sleep 0.5
    done
    log "processes left in the containers after 15 s (killed):"
    printf '%s\n' "$left" | cut -c1-150 >&2
    BENCH_FAILED=$((BENCH_FAILED + 1))
    awk '{ print $1 }' <<<"$left" | xargs -r kill -KILL 2>/dev/null || true
}

# ns_cmd VAR ROW: the start of a command line (an array in VAR) that runs
# what follows in bench-ns.sh's private namespace for ROW: the fail-fast
# resolver always, the containers in /etc/hosts for the rows that want them.
ns_cmd() {
    local -n _ns=$1
    _ns=("$BENCH_DIR/bench-ns.sh" --resolv "$RUNDIR/resolv.conf")
    case $2 in
        shim-hosts|curl|nsenter) _ns+=(--hosts "$RUNDIR/hosts") ;;
    esac
    _ns+=(--)
}

# rsh_cmd VAR AGENT: the environment and mpirun options of plm rsh with
# AGENT (a path), in VAR (an array): the agent goes in the environment and
# environment MCA parameters are not forwarded (orted would get the host's
# agent path and abort); no tree spawn (orted needs no agent in the image,
# daemonizes, and the agents end at once so that mpirun reaps them and
# their CPU time is counted).
rsh_cmd() {
    local -n _rsh=$1
    _rsh=(env "OMPI_MCA_plm_rsh_agent=$2" "BENCH_PIDDIR=$RUNDIR/pids")
}
RSH_MCA=(--mca plm rsh --mca plm_rsh_pass_environ_mca_params 0 --mca plm_rsh_no_tree_spawn 1)
