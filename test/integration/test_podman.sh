#!/bin/bash
# IT_RUNTIMES: orte
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# plm docker and ras docker against Podman's Docker-compatible API
# (`podman system service`, Debian 12's podman 4.3): exec mode, discovery
# by label and by name, job-owned containers, and the failures whose text
# comes from the engine. docs/podman.md says what differs from Docker.
#
# Skipped (one SKIP line, "0 passed, 0 failed") when podman is not
# installed. Nothing of the machine's Podman set-up is used or changed: the
# run has its own Podman (storage, run root, tmp dir, network configs, a
# containers.conf given by CONTAINERS_CONF) in its run directory, its own
# API service on a socket there (stopped by its pid), the test image copied
# from Docker with `docker save | podman load` (never pulled), an
# --internal network with a bridge of its own name, the host's address
# added to that bridge (an internal CNI network has no gateway), and
# everything is removed at exit: containers and networks by the run's
# label, the bridge, the CNI firewall chains if the run made them, the
# store.
#
# containers.conf: default_ulimits = [] and pids_limit = 0 (as root
# Podman 4.3 asks the runtime for NOFILE/NPROC 1048576, which needs
# CAP_SYS_RESOURCE), runtime runc (crun refuses hybrid cgroup layouts),
# cgroupfs (no systemd needed), file events, init_path Docker's
# docker-init when catatonit is not installed.
#
# OMPI_MCA_mca_base_component_path (components of a build tried without
# make install): its directories outside /usr are mounted read-only into
# the containers too, since the daemons inherit the variable.
. "$(dirname "$0")/lib.sh"

PM_DIR=          # the run's Podman: conf, storage, socket, logs
PM_SOCK=
PM_URL=
PM_PID=          # the API service
PM_BRIDGE=         # the network's bridge, made when the first container joins
PM_BRIDGE_OURS=1
PM_NET=$IT_PREFIX-pnet
PM_IMAGE=
PM_BACKEND=
PM_CNI_CHAIN_NEW=0
PM_MOUNTS=()     # -v options for the component path (see above)
PM_PLM_MOUNTS=   # the same for plm_docker_mounts

pm() { timeout -k 5 120 podman --root "$PM_DIR/root" --runroot "$PM_DIR/run" "$@"; }
# lib.sh's helpers (c_hostname, labelled_objects, ...) ask the engine
# through od_docker: once the image is copied (PM_OD=1), that is the run's
# Podman.
PM_OD=0
od_docker() {
    if [ "$PM_OD" = 1 ]; then pm "$@"; else timeout -k 5 "${OD_DOCKER_TIMEOUT:-120}" docker "$@"; fi
}

pm_cleanup() {
    local pid rc=$? ids
    trap - EXIT INT TERM
    for pid in "${IT_BG_PIDS[@]}" $IT_FG_PID; do
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    done
    if [ -n "$PM_DIR" ] && [ -d "$PM_DIR/root" ]; then
        ids=$(pm ps -aq --filter "label=$IT_LABEL")
        # shellcheck disable=SC2086  # ids are words
        [ -z "$ids" ] || pm rm -f -t 0 $ids >/dev/null 2>&1
        ids=$(pm ps -aq --filter label=ompi-docker.project=ompi-docker)
        # shellcheck disable=SC2086
        [ -z "$ids" ] || pm rm -f -t 0 $ids >/dev/null 2>&1
        for ids in $(pm network ls -q --filter "label=$IT_LABEL") \
                   $(pm network ls -q --filter label=ompi-docker.project=ompi-docker); do
            pm network rm -f "$ids" >/dev/null 2>&1
        done
    fi
    rl_cleanup
    if [ -n "$PM_PID" ]; then
        kill -TERM "$PM_PID" 2>/dev/null
        wait "$PM_PID" 2>/dev/null
    fi
    # Podman keeps a conmon per exec for 5 minutes after it ended, whose
    # exit command would write into the store again: end those of this run.
    if [ -n "$PM_DIR" ]; then
        grep -lsF "$PM_DIR/" /proc/[0-9]*/cmdline | cut -d/ -f3 | while read -r pid; do
            [ "$pid" != $$ ] && kill -TERM "$pid" 2>/dev/null
        done
    fi
    [ -n "$PM_BRIDGE" ] && [ "$PM_BRIDGE_OURS" = 1 ] && ip link del "$PM_BRIDGE" 2>/dev/null
    if [ "$PM_CNI_CHAIN_NEW" = 1 ] && iptables -S CNI-FORWARD >/dev/null 2>&1 \
       && [ "$(iptables -S CNI-FORWARD | grep -vc -e '^-N' -e 'CNI-ADMIN')" -eq 0 ]; then
        iptables -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null
        iptables -F CNI-FORWARD && iptables -X CNI-FORWARD
        iptables -F CNI-ADMIN 2>/dev/null && iptables -X CNI-ADMIN 2>/dev/null
    fi
    if [ -n "$PM_DIR" ] && [ -d "$PM_DIR" ]; then
        pm rmi -a -f >/dev/null 2>&1
        # the storage driver's own mounts, then the files
        findmnt -rn -o TARGET | grep -F "$PM_DIR/" | sort -r | while IFS= read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
        done
        rm -rf "$PM_DIR" 2>/dev/null || echo "could not remove all of $PM_DIR"
    fi
    if [ -n "$IT_RUNDIR" ] && [ -d "$IT_RUNDIR" ]; then
        if [ "${IT_KEEP:-0}" = 1 ] || [ "$IT_FAILED" -gt 0 ]; then
            echo "outputs kept in $IT_RUNDIR"
        else
            rm -rf "$IT_RUNDIR"
        fi
    fi
    return $rc
}

# pm_setup: the run's Podman and API service, the image, the network, the
# containers c1 and c2 (c1's hostname differs from its name, c2 keeps
# Podman's default, the short id). od_die on failure.
pm_setup() {
    local t0 init_path=/usr/libexec/podman/catatonit d i
    trap pm_cleanup EXIT
    trap 'pm_cleanup; exit 130' INT
    trap 'pm_cleanup; exit 143' TERM
    IT_RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/ompi-docker-it.$IT_RUNID.XXXXXX")
    # A short path: the socket's must fit in sun_path (108 bytes).
    PM_DIR=$(mktemp -d /tmp/odpm.XXXXXX)
    PM_SOCK=$PM_DIR/podman.sock
    PM_URL=unix://$PM_SOCK
    mkdir -p "$PM_DIR/root" "$PM_DIR/run" "$PM_DIR/tmp" "$PM_DIR/net"
    [ -x "$init_path" ] || init_path=/usr/bin/docker-init
    cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_ulimits = []
pids_limit = 0
init_path = "$init_path"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$PM_DIR/tmp"
# (the API's container create reads it here, the CLI in [containers])
init_path = "$init_path"

[network]
network_config_dir = "$PM_DIR/net"
EOF
    export CONTAINERS_CONF=$PM_DIR/containers.conf
    iptables -S CNI-FORWARD >/dev/null 2>&1 || PM_CNI_CHAIN_NEW=1

    # components of an uninstalled build: their directories in the containers
    local IFS=:
    for d in ${OMPI_MCA_mca_base_component_path:-}; do
        case $d in /usr/*|'') continue ;; esac
        [ -d "$d" ] || continue
        PM_MOUNTS+=(-v "$d:$d:ro")
        PM_PLM_MOUNTS=${PM_PLM_MOUNTS:+$PM_PLM_MOUNTS,}$d:$d:ro
    done
    unset IFS

    setsid podman --root "$PM_DIR/root" --runroot "$PM_DIR/run" system service --time=0 \
        "$PM_URL" >"$PM_DIR/service.log" 2>&1 </dev/null &
    PM_PID=$!
    for ((i = 0; i < 100; i++)); do
        [ -S "$PM_SOCK" ] && timeout 5 podman --remote --url "$PM_URL" version >/dev/null 2>&1 && break
        sleep 0.1
    done
    [ -S "$PM_SOCK" ] || od_die "podman system service did not come up: $(tail -n 5 "$PM_DIR/service.log")"
    PM_BACKEND=$(pm info --format '{{.Host.NetworkBackend}}')
    printf 'podman %s, network backend %s, runtime %s, service (libpod API) %s\n' \
        "$(podman --version | awk '{ print $3 }')" "$PM_BACKEND" \
        "$(pm info --format '{{.Host.OCIRuntime.Name}}')" \
        "$(timeout 10 podman --remote --url "$PM_URL" version --format '{{.Server.APIVersion}}')"

    dkr_ensure_dockerd
    IT_IMAGE=$(img_ensure_images) || od_die "no test image"
    t0=$(od_now)
    docker save "$IT_IMAGE" | pm load -q >/dev/null || od_die "podman load of $IT_IMAGE failed"
    # Podman names a docker-archive image localhost/NAME:TAG.
    PM_IMAGE=localhost/$IT_IMAGE
    pm image exists "$PM_IMAGE" || od_die "$PM_IMAGE not in Podman's store after the load"
    note "image $IT_IMAGE loaded into Podman as $PM_IMAGE in $(od_elapsed "$t0")s"

    PM_OD=1
    pm network create --internal "${IT_LABELS[@]}" "$PM_NET" >/dev/null \
        || od_die "podman network create $PM_NET failed"
    # (Podman 4.3 has no --interface-name: it picks cni-podmanN, N free
    # among its networks; refuse a bridge that exists already.)
    PM_BRIDGE=$(pm network inspect -f '{{.NetworkInterface}}' "$PM_NET")
    if [ -z "$PM_BRIDGE" ] || ip link show dev "$PM_BRIDGE" >/dev/null 2>&1; then
        PM_BRIDGE_OURS=0
        od_die "the bridge of $PM_NET, '$PM_BRIDGE', is missing or exists already"
    fi
    pm_container c1 --hostname "node-one-$IT_RUNID" >/dev/null || od_die "could not start c1"
    pm_container c2 >/dev/null || od_die "could not start c2"
    IT_CONTAINERS=("$IT_PREFIX-c1" "$IT_PREFIX-c2")
    # An internal network of the CNI backend has no gateway: give the host
    # the address Podman keeps for one (.1), so that the daemons reach
    # mpirun (docs/podman.md).
    IT_GATEWAY=$(pm network inspect -f '{{range .Subnets}}{{.Subnet}}{{end}}' "$PM_NET" \
                 | awk -F'[./]' '{ print $1 "." $2 "." $3 "." $4 + 1 "/" $5 }')
    if ! ip -4 -o addr show dev "$PM_BRIDGE" | grep -q .; then
        ip addr add "$IT_GATEWAY" dev "$PM_BRIDGE" || od_die "could not add $IT_GATEWAY to $PM_BRIDGE"
    fi
    printf 'run %s: network %s (%s, bridge %s, host %s), containers:\n' "$IT_RUNID" "$PM_NET" \
        "$(pm network inspect -f '{{range .Subnets}}{{.Subnet}}{{end}}' "$PM_NET")" "$PM_BRIDGE" "$IT_GATEWAY"
    for i in "${IT_CONTAINERS[@]}"; do
        printf '  %s  hostname %s  ip %s\n' "$i" "$(c_hostname "$i")" "$(c_ip "$i" "$PM_NET")"
    done
}

# pm_container NAME [PODMAN-RUN-OPTION...]: $IT_PREFIX-NAME, a container of
# the test image on the run's network, `sleep infinity` under an init.
pm_container() {
    local name=$IT_PREFIX-$1
    shift
    pm run -d --init --name "$name" "${IT_LABELS[@]}" --network "$PM_NET" "${PM_MOUNTS[@]}" \
        "$@" "$PM_IMAGE" sleep infinity
}

# mpirun_pm ARGS...: mpirun_docker with the run's Podman as the endpoint.
mpirun_pm() { mpirun_docker --mca plm_docker_host "$PM_URL" "$@"; }

# pm_no_leftovers C...: nothing runs in the containers but the init and
# `sleep infinity` (podman top: the container's own pids), within 10 s.
pm_no_leftovers() {
    local i c left
    for ((i = 0; i < 20; i++)); do
        left=$(for c in "$@"; do
                   pm top "$c" pid args 2>/dev/null | awk -v c="$c" 'NR > 1 {
                       pid = $1; $1 = ""; sub(/^ /, "")
                       if ($0 !~ /^(\/run\/podman-init -- )?sleep infinity$/) print c ": " pid " " $0 }'
               done)
        [ -z "$left" ] && return 0
        sleep 0.5
    done
    fail "processes left in the containers:"
    printf '%s\n' "$left" | sed -e 's/^/        /'
    return 1
}

# ------------------------------------------------------------------ cases

case_exec() {
    mpirun_pm -np 4 --host "$IT_PREFIX-c1:2,$IT_PREFIX-c2:2" ring
    expect_ok || return
    expect_output '^ring ok' 1 || return
    check_ranks 4 "${IT_CONTAINERS[@]}"
    pm_no_leftovers "${IT_CONTAINERS[@]}"
}

case_ras_label() {
    local tag=$IT_RUNID-ras want got
    pm_container r1 --label "ompi-docker.case=$tag" --label mpi.slots=3 >/dev/null || { fail "r1"; return; }
    pm_container r2 --label "ompi-docker.case=$tag" --cpus 1.5 >/dev/null || { fail "r2"; return; }
    mpirun_pm --mca ras docker --mca ras_docker_label "ompi-docker.case=$tag" \
        --display-allocation -np 5 ring
    expect_ok || return
    want=$(printf '%s 3\n%s 2' "$IT_PREFIX-r1" "$IT_PREFIX-r2")
    got=$(allocated_nodes)
    [ "$got" = "$want" ] || { fail "allocation: '$got', want '$want' (mpi.slots, --cpus 1.5 rounded up)"; show_output; }
    got=$(rank_placement "$IT_PREFIX-r1" "$IT_PREFIX-r2")
    want="$IT_PREFIX-r1 $IT_PREFIX-r1 $IT_PREFIX-r1 $IT_PREFIX-r2 $IT_PREFIX-r2"
    [ "$got" = "$want" ] || { fail "placement: '$got', want '$want'"; show_output; }
    note "allocation: $(allocated_nodes | tr '\n' ' ')"
    pm rm -f -t 0 "$IT_PREFIX-r1" "$IT_PREFIX-r2" >/dev/null
}

case_ras_names() {
    mpirun_pm --mca ras docker --mca ras_docker_names "$IT_PREFIX-c*" --display-allocation -np 2 ring
    expect_ok || return
    local got want
    want=$(printf '%s 1\n%s 1' "$IT_PREFIX-c1" "$IT_PREFIX-c2")
    got=$(allocated_nodes)
    [ "$got" = "$want" ] || { fail "allocation: '$got', want '$want'"; show_output; return; }
    check_ranks 2 "${IT_CONTAINERS[@]}"
}

case_ras_none() {
    expect_fail_with --within 10 'No running container on the Docker endpoint matches' \
        --and "label ompi-docker.case=$IT_RUNID-none" --and "$PM_SOCK" -- \
        mpirun_pm --mca ras docker --mca ras_docker_label "ompi-docker.case=$IT_RUNID-none" -np 1 ring
}

# job-owned containers on the run's network (the host is on it)
case_jobc() {
    local tag=$IT_RUNID-jobc h
    local -a mounts=()
    [ -n "$PM_PLM_MOUNTS" ] && mounts=(--mca plm_docker_mounts "$PM_PLM_MOUNTS")
    mkdir -p "$IT_RUNDIR/jobc" && cd "$IT_RUNDIR/jobc" || return
    mpirun_pm --mca ras docker --mca plm_docker_image "$PM_IMAGE" --mca plm_docker_network "$PM_NET" \
        --mca ras_docker_containers 2 --mca plm_docker_labels "ompi-docker.case=$tag" \
        "${mounts[@]}" -np 4 ring --write out.txt
    cd - >/dev/null || return
    expect_ok || return
    expect_output '^ring ok' 1 || return
    for h in node1 node2; do
        [ "$(grep -c "^rank [0-9] of 4 on $h\$" "$LAST_OUT")" -eq 2 ] || { fail "want 2 ranks on $h"; show_output; }
    done
    [ -s "$IT_RUNDIR/jobc/out.txt" ] || fail "ring --write left no out.txt in the working directory (bind mount)"
    assert_no_labelled "ompi-docker.case=$tag" && note "nothing labelled ompi-docker.case=$tag left"
}

# a network of the job's own: an internal CNI network gives the host no
# address, refused before any container is made
case_jobc_own_net() {
    local tag=$IT_RUNID-own
    if [ "$PM_BACKEND" != cni ]; then
        skip "network backend $PM_BACKEND: only CNI's internal networks lack a gateway"
        return
    fi
    expect_fail_with --within 15 "no address on the job's network" --and 'plm_docker_network' -- \
        mpirun_pm --mca ras docker --mca plm_docker_image "$PM_IMAGE" \
        --mca plm_docker_labels "ompi-docker.case=$tag" -np 1 ring
    assert_no_labelled "ompi-docker.case=$tag"
}

# SIGKILL of mpirun: the job's containers end and go (AutoRemove)
case_jobc_kill() {
    local tag=$IT_RUNID-kill
    local -a mounts=()
    [ -n "$PM_PLM_MOUNTS" ] && mounts=(--mca plm_docker_mounts "$PM_PLM_MOUNTS")
    cd "$IT_RUNDIR" || return
    mpirun_docker_bg --mca plm_docker_host "$PM_URL" --mca ras docker --mca plm_docker_image "$PM_IMAGE" \
        --mca plm_docker_network "$PM_NET" --mca ras_docker_containers 2 \
        --mca plm_docker_labels "ompi-docker.case=$tag" "${mounts[@]}" -np 2 sleep 120
    cd - >/dev/null || return
    local i n=0
    for ((i = 0; i < 300 && n < 2; i++)); do
        n=$(pm ps -q --filter "label=ompi-docker.case=$tag" | wc -l)
        sleep 0.1
    done
    [ "$n" -eq 2 ] || { fail "the 2 job containers did not come up"; show_output; return; }
    sleep 1
    kill -KILL "$IT_BG_MPIRUN"
    wait_pid_exit "$IT_BG_MPIRUN" 5
    assert_no_labelled --within 20 "ompi-docker.case=$tag" \
        && note "the job's containers were gone ${LABELLED_SECS}s after the SIGKILL"
}

case_missing_orted() {
    expect_fail_with --within 30 '/nonexistent/orted' --and 'no such file' \
        --and "$IT_PREFIX-c[12]" -- \
        mpirun_pm --mca plm_docker_orted /nonexistent/orted -np 2 --host "$(it_hosts)" ring
    pm_no_leftovers "${IT_CONTAINERS[@]}"
}

case_unknown_container() {
    expect_fail_with --within 30 "No container \"$IT_PREFIX-nosuch\"" --and "$PM_SOCK" -- \
        mpirun_pm -np 2 --host "$IT_PREFIX-c1,$IT_PREFIX-nosuch" ring
    pm_no_leftovers "${IT_CONTAINERS[@]}"
}

case_stopped_container() {
    if ! pm_container s1 >/dev/null || ! pm stop -t 0 "$IT_PREFIX-s1" >/dev/null; then
        fail "could not make the stopped container s1"
        return
    fi
    expect_fail_with --within 30 "$IT_PREFIX-s1" -- \
        mpirun_pm -np 2 --host "$IT_PREFIX-c1,$IT_PREFIX-s1" ring
    pm rm -f -t 0 "$IT_PREFIX-s1" >/dev/null
}

# ---------------------------------------------------------------- rootless
#
# A user's own Podman (rootless, user namespace through newuidmap, vfs
# storage): its networks live in a namespace of their own that the host
# cannot reach, and slirp4netns is not installed, so the containers use the
# host's network. mpirun runs as that user.

RL_USER=odtpodman
RL_UID=4343
RL_MADE_USER=0
RL_DIR=
RL_PID=

rl_pm() {
    local pre
    _it_as_user_cmd pre "$RL_USER"
    timeout -k 5 300 "${pre[@]}" "HOME=$RL_DIR/home" "XDG_RUNTIME_DIR=$RL_DIR/xdg" \
        "CONTAINERS_CONF=$RL_DIR/containers.conf" \
        podman --root "$RL_DIR/root" --runroot "$RL_DIR/run" "$@"
}

rl_cleanup() {
    local ids
    [ -n "$RL_DIR" ] && [ -d "$RL_DIR" ] || return 0
    ids=$(rl_pm ps -aq --filter "label=$IT_LABEL" 2>/dev/null)
    # shellcheck disable=SC2086  # ids are words
    [ -z "$ids" ] || rl_pm rm -f -t 0 $ids >/dev/null 2>&1
    if [ -n "$RL_PID" ]; then
        kill -TERM "$RL_PID" 2>/dev/null
        wait "$RL_PID" 2>/dev/null
        RL_PID=
    fi
    grep -lsF "$RL_DIR/" /proc/[0-9]*/cmdline | cut -d/ -f3 | while read -r pid; do
        [ "$pid" != $$ ] && kill -TERM "$pid" 2>/dev/null
    done
    # the pause process that holds the user's namespace (argv: "podman")
    find "$RL_DIR" -name pause.pid 2>/dev/null | while read -r f; do
        kill -TERM "$(cat "$f")" 2>/dev/null
    done
    sleep 0.5
    rm -rf "$RL_DIR" 2>/dev/null || echo "could not remove all of $RL_DIR"
    RL_DIR=
    if [ "$RL_MADE_USER" = 1 ]; then
        userdel "$RL_USER" || echo "could not remove the user $RL_USER"
        getent group "$RL_USER" >/dev/null && groupdel "$RL_USER" 2>/dev/null
        RL_MADE_USER=0
    fi
}

case_rootless() {
    local i c t0 tag=$IT_RUNID-rl
    if ! command -v newuidmap >/dev/null 2>&1; then
        skip "rootless Podman needs newuidmap (apt-get install uidmap)"
        return
    fi
    if ! getent passwd "$RL_UID" >/dev/null; then
        # (useradd gives it a subordinate id range in /etc/subuid, /etc/subgid)
        useradd -u "$RL_UID" -U -M -d /nonexistent -s /usr/sbin/nologin "$RL_USER" \
            || { fail "useradd $RL_USER"; return; }
        RL_MADE_USER=1
    fi
    RL_USER=$(getent passwd "$RL_UID" | cut -d: -f1)
    grep -q "^$RL_USER:" /etc/subuid || { skip "$RL_USER has no range in /etc/subuid"; return; }
    RL_DIR=$(mktemp -d /tmp/odpmrl.XXXXXX)
    mkdir -p "$RL_DIR/home" "$RL_DIR/xdg" "$RL_DIR/net"
    sed -e "s|^tmp_dir = .*|tmp_dir = \"$RL_DIR/tmp\"|" \
        -e "s|^network_config_dir = .*|network_config_dir = \"$RL_DIR/net\"|" \
        "$PM_DIR/containers.conf" >"$RL_DIR/containers.conf"
    chown -R "$RL_UID:$(id -g "$RL_USER")" "$RL_DIR"
    chmod 700 "$RL_DIR" "$RL_DIR/xdg"
    t0=$(od_now)
    if ! { pm save -o "$RL_DIR/image.tar" "$PM_IMAGE" >/dev/null 2>"$RL_DIR/load.err" \
           && chown "$RL_UID" "$RL_DIR/image.tar" \
           && rl_pm load -q -i "$RL_DIR/image.tar" >/dev/null 2>>"$RL_DIR/load.err"; }; then
        fail "rootless podman load: $(tail -n 3 "$RL_DIR/load.err")"
        return
    fi
    rm -f "$RL_DIR/image.tar"
    note "image loaded into $RL_USER's Podman ($(rl_pm info --format '{{.Store.GraphDriverName}}') storage) in $(od_elapsed "$t0")s"
    local pre
    _it_as_user_cmd pre "$RL_USER"
    setsid "${pre[@]}" "HOME=$RL_DIR/home" "XDG_RUNTIME_DIR=$RL_DIR/xdg" \
        "CONTAINERS_CONF=$RL_DIR/containers.conf" \
        podman --root "$RL_DIR/root" --runroot "$RL_DIR/run" system service --time=0 \
        "unix://$RL_DIR/podman.sock" >"$RL_DIR/service.log" 2>&1 </dev/null &
    RL_PID=$!
    for ((i = 0; i < 100; i++)); do
        [ -S "$RL_DIR/podman.sock" ] && break
        sleep 0.1
    done
    [ -S "$RL_DIR/podman.sock" ] || { fail "rootless service: $(tail -n 3 "$RL_DIR/service.log")"; return; }
    for c in rl1 rl2; do
        rl_pm run -d --init --name "$IT_PREFIX-$c" --hostname "$IT_PREFIX-$c" "${IT_LABELS[@]}" \
            --label "ompi-docker.case=$tag" --network host "${PM_MOUNTS[@]}" "$PM_IMAGE" \
            sleep infinity >/dev/null 2>"$RL_DIR/run.err" \
            || { fail "rootless podman run $c: $(tail -n 3 "$RL_DIR/run.err")"; return; }
    done
    mpirun_docker_as "$RL_USER" --mca plm_docker_host "unix://$RL_DIR/podman.sock" \
        -np 4 --host "$IT_PREFIX-rl1:2,$IT_PREFIX-rl2:2" ring
    expect_ok "exec mode, rootless" || return
    for c in rl1 rl2; do
        [ "$(grep -cE "^rank [0-3] of 4 on $IT_PREFIX-$c\$" "$LAST_OUT")" -eq 2 ] \
            || { fail "want 2 ranks on $IT_PREFIX-$c"; show_output; }
    done
    expect_output '^ring ok' 1
    mpirun_docker_as "$RL_USER" --mca plm_docker_host "unix://$RL_DIR/podman.sock" --mca ras docker \
        --mca ras_docker_label "ompi-docker.case=$tag" --display-allocation -np 2 ring
    expect_ok "ras docker, rootless" || return
    local want got
    want=$(printf '%s 1\n%s 1' "$IT_PREFIX-rl1" "$IT_PREFIX-rl2")
    got=$(allocated_nodes)
    [ "$got" = "$want" ] || { fail "allocation: '$got', want '$want'"; show_output; }
    expect_output '^ring ok' 1
    note "mpirun as $RL_USER (uid $RL_UID), containers on the host's network"
    rl_cleanup
}

if ! podman --version >/dev/null 2>&1; then
    case_begin "podman: plm docker and ras docker against Podman's API"
    skip "podman is not installed (apt-get install podman)"
    it_summary
    exit
fi
[ "$(id -u)" -eq 0 ] || od_die "run as root (rootful Podman, ip addr on the test bridge)"
pm_setup

run_case "p1: exec mode, 4 ranks in 2 containers (--host)" case_exec
run_case "p2: ras docker by label, slots from mpi.slots and --cpus" case_ras_label
run_case "p3: ras docker by name pattern" case_ras_names
run_case "p4: ras docker, nothing matches" case_ras_none
run_case "p5: job-owned containers on the run's network, working directory mounted" case_jobc
run_case "p6: job-owned containers, own internal network refused (CNI)" case_jobc_own_net
run_case "p7: job-owned containers gone after SIGKILL of mpirun" case_jobc_kill
run_case "p8: orted missing in the container" case_missing_orted
run_case "p9: unknown container" case_unknown_container
run_case "p10: stopped container" case_stopped_container
run_case "p11: rootless Podman: exec mode and ras docker, mpirun as a user" case_rootless
it_summary
