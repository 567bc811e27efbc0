#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# IT_RUNTIMES: orte
# The multi-node rig itself (rig.sh), independent of the components: if
# these fail, test_swarm.sh's results mean nothing. The nodes, their TLS
# engines, the swarm, the images in every node, a global service with a
# task on every worker, the task leftover check, and a tear-down that
# leaves nothing (also after a set-up that failed half-way).
# shellcheck source=test/cluster/lib.sh
. "$(dirname "$0")/lib.sh"

cl_setup || { fail "rig"; it_summary; exit 1; }
read -r -a ADDRS <<<"$CL_NODE_ADDRS"
read -r -a NAMES <<<"$CL_NODE_NAMES"

case_nodes() {
    local i img workers
    note "rig up in $CL_UP_SECS s"
    [ "${#ADDRS[@]}" -eq 3 ] || fail "want 3 nodes, the state says ${#ADDRS[@]}"
    for i in "${!ADDRS[@]}"; do
        cl_node_ping "${ADDRS[$i]}" || fail "node ${NAMES[$i]}: no TLS /_ping at ${ADDRS[$i]}:2376"
        # TLS only: plain HTTP and a client without a certificate are refused
        if curl -sf --max-time 3 "http://${ADDRS[$i]}:2376/_ping" >/dev/null 2>&1; then
            fail "node ${NAMES[$i]} answers plain HTTP"
        fi
        if curl -sf --max-time 3 --cacert "$CL_CERTS/ca.pem" "https://${ADDRS[$i]}:2376/_ping" >/dev/null 2>&1; then
            fail "node ${NAMES[$i]} answers a client without a certificate"
        fi
        for img in $CL_IMAGES; do
            cl_node_docker "$i" image inspect "$img" >/dev/null 2>&1 || fail "node ${NAMES[$i]} lacks $img"
        done
        [ "$(cl_node_docker "$i" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}')" = "active false" ] ||
            fail "node ${NAMES[$i]} is not an active worker"
    done
    workers=$(od_docker node ls --filter role=worker --format '{{.Hostname}} {{.Status}} {{.Availability}}' | sort)
    [ "$workers" = "$(printf 'cl-node%s Ready Active\n' 1 2 3)" ] || fail "workers: $(echo "$workers" | tr '\n' ';')"
    [ "$(od_docker info --format '{{.Swarm.NodeAddr}}')" = "$CL_MANAGER_ADDR" ] || fail "the manager does not advertise $CL_MANAGER_ADDR"
    [ "$(od_docker network inspect -f '{{.Internal}}' "$CL_NET")" = true ] || fail "$CL_NET is not --internal"
    [ "$(od_docker network inspect -f '{{.Driver}} {{.Attachable}}' "$CL_OVERLAY")" = "overlay true" ] ||
        fail "$CL_OVERLAY is not an attachable overlay"
    # the nodes' engines use the rig's own address for DNS, nothing outside
    for i in "${!NAMES[@]}"; do
        grep -q -- "--dns $CL_MANAGER_ADDR" <(od_docker inspect -f '{{join .Args " "}}' "${NAMES[$i]}") ||
            fail "node ${NAMES[$i]}'s dockerd has no --dns $CL_MANAGER_ADDR"
    done
}

case_service() {
    local svc=odc-$IT_RUNID-rig t0 out
    cl_service_create "$svc" || { fail "no task on every worker"; return; }
    [ "$(printf '%s\n' "${SVC_NODES[@]}" | sort -u | wc -l)" -eq 3 ] || fail "tasks on ${SVC_NODES[*]}, want 3 nodes"
    cl_assert_tasks_clean
    # the leftover check can fail: a stray process in one task
    cl_task_docker "${SVC_TASKS[1]}" exec -d "${SVC_CIDS[1]}" sleep 1000 || fail "exec -d failed"
    sleep 0.5
    out=$(cl_assert_tasks_clean --within 1)
    [[ $out == *"sleep 1000"* ]] || fail "cl_assert_tasks_clean did not see the stray sleep: $out"
    t0=$(od_now)
    cl_service_rm "$svc" || fail "the service's containers stayed on the nodes"
    note "service removed, containers gone from every node in $(od_elapsed "$t0") s"
}

case_down() {
    local t0 left
    t0=$(od_now)
    cl_down
    note "rig down in $(od_elapsed "$t0") s"
    left=$(cl_leftovers; od_docker ps -aq --filter "label=$IT_LABEL"; od_docker network ls -q --filter "label=$IT_LABEL")
    [ -z "$left" ] || fail "left after down: $(echo "$left" | tr '\n' ';')"
    # again: nothing to do, no error
    cl_down >/dev/null 2>&1 || fail "a second down failed"
}

# A set-up that fails half-way (after the nodes are up and the swarm is
# made: an image that cannot be saved) removes what it made.
case_up_fails() {
    local dir=$IT_RUNDIR/rig2 rc left t0
    t0=$(od_now)
    CL_DIR=$dir CL_LABEL=$IT_LABEL CL_IMAGES=ompi-docker-nosuch:$IT_RUNID \
        "$CL_TESTDIR/rig.sh" up >"$IT_RUNDIR/rig2.log" 2>&1
    rc=$?
    [ "$rc" -ne 0 ] || fail "rig.sh up with a missing image succeeded"
    grep -q 'docker save failed' "$IT_RUNDIR/rig2.log" || { fail "it did not fail where expected"; sed 's/^/    | /' "$IT_RUNDIR/rig2.log"; }
    left=$(CL_STATE=$dir/state cl_leftovers; od_docker ps -aq --filter "label=$IT_LABEL"; od_docker network ls -q --filter "label=$IT_LABEL")
    [ -z "$left" ] || fail "left after the failed set-up: $(echo "$left" | tr '\n' ';')"
    [ ! -e "$dir/state" ] || fail "the state file stayed"
    note "failed set-up exited $rc and cleaned up in $(od_elapsed "$t0") s"
}

run_case "r1: 3 TLS node engines, swarm of 1 manager + 3 workers, images in every node" case_nodes
run_case "r2: a global service has a task on every worker; leftover check; removal" case_service
run_case "r3: down leaves nothing (containers, networks, swarm state, gwbridge, ingress)" case_down
run_case "r4: a set-up failing half-way removes what it made" case_up_fails
it_summary
