# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the callers
# Harness of the multi-node tests: test/integration/lib.sh (cases,
# mpirun_docker, expect_*, labels, clean-up at exit) plus the Swarm rig of
# rig.sh. A test file sources it and calls cl_setup:
#
#   . "$(dirname "$0")/lib.sh"
#   cl_setup            # dockerd, the rig up (taken down at exit, also on failure)
#   run_case "x: ..." case_x
#   it_summary
#
# The rig's objects carry the run's labels (ompi-docker.test=$IT_RUNID, and
# ompi-docker.session when set); its state lives in $CL_DIR, which check.sh
# finds by the session to take a killed test's rig down.
#
# Helpers: cl_service_create [--image IMAGE] NAME [OPTION...] (a global
# service of the test image, or IMAGE, on every worker, `sleep infinity` under --init, on the rig's
# overlay, with the run's labels; waits until a task runs on every worker;
# sets SVC_TASKS (container names), SVC_CIDS (container ids) and
# SVC_NODES (Swarm node hostnames), in the same order); cl_task_docker
# NAME ARGS... (the docker CLI against the engine of the node that runs
# task container NAME); cl_assert_tasks_clean (every task container holds
# only its init and `sleep infinity`, within 10 s); cl_mpirun ARGS... (mpirun_docker with
# ras docker, plm_docker_node_host and the rig's TLS certificates).

CL_TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/integration/lib.sh
. "$CL_TESTDIR/../integration/lib.sh"
# shellcheck source=test/cluster/rig.sh
. "$CL_TESTDIR/rig.sh"

CL_DIR=${TMPDIR:-/tmp}/ompi-docker-cluster.${OD_SESSION:-none}.$IT_RUNID
CL_STATE=$CL_DIR/state
CL_LABEL=$IT_LABEL
CL_NODE_HOST='tcp://{addr}:2376'
SVC_TASKS=()
SVC_CIDS=()
SVC_NODES=()
CL_UP_SECS=

cl_setup() {
    trap it_cleanup EXIT
    trap 'it_cleanup; exit 130' INT
    trap 'it_cleanup; exit 143' TERM
    IT_RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/ompi-docker-it.$IT_RUNID.XXXXXX")
    dkr_ensure_dockerd
    it_at_exit cl_down
    local t0
    t0=$(od_now)
    CL_DIR=$CL_DIR CL_LABEL=$CL_LABEL "$CL_TESTDIR/rig.sh" up >"$IT_RUNDIR/rig-up.log" 2>&1
    local rc=$?
    CL_UP_SECS=$(od_elapsed "$t0")
    cat "$IT_RUNDIR/rig-up.log"
    cl_state_load
    if [ "$rc" -ne 0 ] || [ "${CL_UP:-}" != 1 ]; then
        echo "the rig did not come up (status $rc)"
        return 1
    fi
    printf 'run %s: rig up in %s s: manager %s, nodes %s, overlay %s\n' "$IT_RUNID" "$CL_UP_SECS" \
        "$CL_MANAGER_ADDR" "$CL_NODE_ADDRS" "$CL_OVERLAY"
}

# cl_service_create NAME [OPTION...]
cl_service_create() {
    local image=${CL_IMAGES%% *}
    if [ "$1" = --image ]; then image=$2; shift 2; fi
    local name=$1 i n t0 line
    shift
    local labels=(--label "$IT_LABEL" --label ompi-docker.rig=cluster)
    [ -n "${OD_SESSION:-}" ] && labels+=(--label "ompi-docker.session=$OD_SESSION")
    t0=$(od_now)
    od_docker service create -d --name "$name" "${labels[@]}" --mode global \
        --constraint node.role==worker --network "$CL_OVERLAY" --no-resolve-image --init \
        --stop-grace-period 1s "$@" "$image" sleep infinity >/dev/null || return 1
    read -r -a n <<<"$CL_NODE_ADDRS"
    for i in $(seq 1 120); do
        [ "$(od_docker service ps --filter desired-state=running --format '{{.CurrentState}}' "$name" |
            grep -c '^Running')" -eq "${#n[@]}" ] && break
        sleep 1
    done
    SVC_TASKS=()
    SVC_CIDS=()
    SVC_NODES=()
    local tid cid nid st
    while read -r tid cid nid st; do
        [ "$st" = running ] || continue
        SVC_CIDS+=("$cid")
        SVC_TASKS+=("$name.$nid.$tid")
        SVC_NODES+=("$(od_docker node inspect -f '{{.Description.Hostname}}' "$nid")")
    done < <(od_docker service ps -q --filter desired-state=running "$name" |
        xargs -r docker inspect -f '{{.ID}} {{.Status.ContainerStatus.ContainerID}} {{.NodeID}} {{.Status.State}}')
    note "service $name: ${#SVC_TASKS[@]} tasks running after $(od_elapsed "$t0") s on ${SVC_NODES[*]}"
    [ "${#SVC_TASKS[@]}" -eq "${#n[@]}" ]
}

# cl_service_rm NAME: removes it and waits until its containers are gone
# from every node.
cl_service_rm() {
    local name=$1 i j left
    od_docker service rm "$name" >/dev/null 2>&1
    for i in $(seq 1 60); do
        left=0
        read -r -a n <<<"$CL_NODE_ADDRS"
        for j in "${!n[@]}"; do
            left=$((left + $(cl_node_docker "$j" ps -aq --filter "label=com.docker.swarm.service.name=$name" | wc -l)))
        done
        [ "$left" -eq 0 ] && return 0
        sleep 0.5
    done
    return 1
}

# cl_node_index HOSTNAME: the index of the rig node (cl-nodeN -> N-1).
cl_node_index() { echo $((${1#cl-node} - 1)); }

# cl_task_docker NAME ARGS...
cl_task_docker() {
    local name=$1 k
    shift
    for k in "${!SVC_TASKS[@]}"; do
        if [ "${SVC_TASKS[$k]}" = "$name" ]; then
            cl_node_docker "$(cl_node_index "${SVC_NODES[$k]}")" "$@"
            return
        fi
    done
    return 1
}

# cl_assert_tasks_clean [--within S]: nothing but init and `sleep infinity`
# in the tasks, at once or within S seconds (default 10).
cl_assert_tasks_clean() {
    local k procs i out within=10
    [ "${1:-}" = --within ] && within=$2
    for i in $(seq 1 $((within * 2))); do
        procs=
        for k in "${!SVC_TASKS[@]}"; do
            out=$(cl_task_docker "${SVC_TASKS[$k]}" top "${SVC_CIDS[$k]}" -eo pid,args) ||
                { fail "no process list of task ${SVC_TASKS[$k]} on ${SVC_NODES[$k]}"; return 1; }
            procs+=$(echo "$out" | tail -n +2 | sed -E 's/^ *[0-9]+ +//' |
                grep -v -e '^/sbin/docker-init' -e '^sleep infinity$' | sed "s|^|${SVC_NODES[$k]}: |")
        done
        [ -z "$procs" ] && return 0
        sleep 0.5
    done
    fail "left in the tasks: $(echo "$procs" | tr '\n' ';')"
}

# cl_mpirun ARGS...
cl_mpirun() {
    mpirun_docker --mca ras docker --mca plm_docker_tls_verify 1 --mca plm_docker_cert_path "$CL_CERTS" "$@"
}
