#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# IT_RUNTIMES: orte
# A job across the nodes of a real multi-node Swarm (the rig of rig.sh: the
# host as manager, 3 Docker-in-Docker workers with TLS engines): ras docker
# finds a global service's tasks through the manager, plm docker starts each
# daemon through the engine of the node that runs its task
# (plm_docker_node_host), all at once; and a node whose engine cannot be
# reached fails the job at once, naming that node.
# shellcheck source=test/cluster/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=test/integration/tree_image.sh
. "$IT_DIR/tree_image.sh"

cl_setup || { fail "rig"; it_summary; exit 1; }
SVC=odc-$IT_RUNID-svc
cl_service_create "$SVC" || fail "the service has no task on every worker"
read -r -a ADDRS <<<"$CL_NODE_ADDRS"

# the rank lines' hosts (container hostnames = short container ids) -> nodes
ranks_per_node() {
    local k short
    for k in "${!SVC_CIDS[@]}"; do
        short=${SVC_CIDS[$k]:0:12}
        printf '%s %s\n' "${SVC_NODES[$k]}" "$(grep -cE "^rank [0-9]+ of [0-9]+ on $short\$" "$LAST_OUT")"
    done
}

case_flat() {
    local per ep
    cl_mpirun --mca ras_docker_service "$SVC" --mca plm_docker_node_host "$CL_NODE_HOST" \
        --mca plm_base_verbose 1 --display-allocation -np 3 ring
    expect_ok || return
    expect_output '^ring ok: sum=6$' 1
    per=$(ranks_per_node)
    note "ranks per node: $(echo "$per" | tr '\n' ' ')"
    [ "$(echo "$per" | awk '$2 == 1' | wc -l)" -eq 3 ] || fail "want one rank on each of the 3 nodes"
    # the allocation: the 3 tasks by name, 1 slot each
    [ "$(allocated_nodes | sort)" = "$(printf '%s 1\n' "${SVC_TASKS[@]}" | sort)" ] ||
        fail "allocation is [$(allocated_nodes | tr '\n' ';')], want the 3 tasks"
    # each daemon through its own node's engine
    for ep in "${ADDRS[@]}"; do
        grep -qE "goes to container $SVC\..* on tcp://$ep:2376\$" "$LAST_OUT" ||
            fail "no daemon went through the engine at $ep:2376"
    done
    cl_assert_tasks_clean
}

# Two ranks per node, the slots from ras_docker_slots; the overlay is the
# only network the ranks use (without the restriction the job hangs on
# docker_gwbridge, the same subnet on every node).
case_flat_slots() {
    local per
    cl_mpirun --mca ras_docker_service "$SVC" --mca ras_docker_slots 2 \
        --mca plm_docker_node_host "$CL_NODE_HOST" --mca plm_base_verbose 2 -np 6 ring
    expect_ok || return
    expect_output '^ring ok: sum=21$' 1
    per=$(ranks_per_node)
    [ "$(echo "$per" | awk '$2 == 2' | wc -l)" -eq 3 ] || fail "want 2 ranks on each node, got $(echo "$per" | tr '\n' ' ')"
    grep -qE "network $CL_OVERLAY \(10\.[0-9.]+/[0-9]+\)" "$LAST_OUT" ||
        fail "the overlay $CL_OVERLAY was not chosen as the job's network"
    cl_assert_tasks_clean
}

# Without plm_docker_node_host, the manager cannot reach the containers on
# the workers: a clear error naming one of them, at once.
case_no_node_host() {
    expect_fail_with --within 10 "No container .*exists on the Docker endpoint" --and "plm_docker_node_host" \
        --and "$SVC\\." -- cl_mpirun --mca ras_docker_service "$SVC" -np 3 ring
    cl_assert_tasks_clean
}

node3_block() {   # node3's engine port: rejected (refused) or dropped (silent)
    local mode=$1
    docker exec "${CL_NODE_NAMES##* }" iptables -I INPUT -p tcp --dport 2376 -j "$mode" \
        ${2:+--reject-with tcp-reset}
}
node3_unblock() {
    local i
    for i in 1 2 3; do
        docker exec "${CL_NODE_NAMES##* }" iptables -D INPUT -p tcp --dport 2376 -j REJECT \
            --reject-with tcp-reset 2>/dev/null
        docker exec "${CL_NODE_NAMES##* }" iptables -D INPUT -p tcp --dport 2376 -j DROP 2>/dev/null
    done
    return 0
}

# A node whose engine refuses: the message names the node, its address and
# the endpoint; nothing starts anywhere (all endpoints are pinged first).
case_node_refused() {
    it_at_exit node3_unblock
    node3_block REJECT reset
    expect_fail_with --within 10 'could not reach the Docker engine of Swarm node cl-node3' \
        --and "address ${ADDRS[2]}" --and "tcp://${ADDRS[2]}:2376" --and 'refused' -- \
        cl_mpirun --mca ras_docker_service "$SVC" --mca plm_docker_node_host "$CL_NODE_HOST" -np 3 ring
    node3_unblock
    cl_assert_tasks_clean
}

# A node whose engine does not answer at all: bounded by plm_docker_timeout.
case_node_silent() {
    it_at_exit node3_unblock
    node3_block DROP
    expect_fail_with --within 20 'could not reach the Docker engine of Swarm node cl-node3' \
        --and "tcp://${ADDRS[2]}:2376" -- \
        cl_mpirun --mca ras_docker_service "$SVC" --mca plm_docker_node_host "$CL_NODE_HOST" \
        --mca plm_docker_timeout 3 -np 3 ring
    node3_unblock
    cl_assert_tasks_clean
}

# Plain tcp:// with TLS off: one warning, and the TLS engines are never
# spoken to in plain HTTP.
case_plain_warns() {
    expect_fail_with --within 10 'plain tcp:// endpoints without TLS' --and 'speaks TLS' -- \
        mpirun_docker --mca ras docker --mca ras_docker_service "$SVC" \
        --mca plm_docker_node_host "$CL_NODE_HOST" -np 3 ring
    [ "$(grep -c 'plain tcp:// endpoints without TLS' "$LAST_OUT")" -eq 1 ] || fail "the warning is not shown once"
    cl_assert_tasks_clean
}

# What a job labelled CASE left: containers on the manager and on every
# node, networks on the manager.
jc_leftovers() {
    local i
    od_docker ps -aq --filter "label=ompi-docker.case=$1" | sed 's/^/manager container /'
    od_docker network ls -q --filter "label=ompi-docker.case=$1" | sed 's/^/manager network /'
    for i in "${!ADDRS[@]}"; do
        cl_node_docker "$i" ps -aq --filter "label=ompi-docker.case=$1" | sed "s/^/cl-node$((i + 1)) container /"
    done
}

# Job-owned containers (plm_docker_image), one per Swarm node named in
# --host, each made through its node's engine, on a per-job overlay made on
# the manager; nothing left on any node afterwards, also after a rank fails.
case_job_containers() {
    local tag=$IT_RUNID-jc left jdir=$IT_RUNDIR/jc
    mkdir -p "$jdir"
    # mpirun's working directory is bind-mounted: one of the run's own
    cd "$jdir" || return
    cl_mpirun --mca plm_docker_image "${CL_IMAGES%% *}" --mca plm_docker_node_host "$CL_NODE_HOST" \
        --mca plm_docker_labels "ompi-docker.case=$tag" --mca plm_base_verbose 2 \
        --host cl-node1,cl-node2,cl-node3 -np 3 ring
    if expect_ok; then
        expect_output '^ring ok: sum=6$' 1
        # the ranks were told the job's overlay (without it they hang on docker_gwbridge)
        expect_output "3 daemons; network ompi-[^ ]*-net \\([0-9.]+/[0-9]+\\)"
        for i in 1 2 3; do
            expect_output "^rank [0-9] of 3 on cl-node$i\$" 1
            grep -qE "goes to container ompi-.*-cl-node$i on tcp://${ADDRS[$((i - 1))]}:2376\$" "$LAST_OUT" ||
                fail "cl-node$i's container was not made through its engine"
        done
    fi
    left=$(jc_leftovers "$tag")
    [ -z "$left" ] || fail "left after the job: $(echo "$left" | tr '\n' ';')"
    cl_mpirun --mca plm_docker_image "${CL_IMAGES%% *}" --mca plm_docker_node_host "$CL_NODE_HOST" \
        --mca plm_docker_labels "ompi-docker.case=$tag" --host cl-node1,cl-node2,cl-node3 -np 3 \
        ring --fail-rank 2
    cd - >/dev/null || return
    [ "$LAST_RC" -ne 0 ] || fail "a failing rank: exit 0"
    note "failing rank: exit $LAST_RC in ${LAST_SECS}s"
    left=$(jc_leftovers "$tag")
    [ -z "$left" ] || fail "left after the failed job: $(echo "$left" | tr '\n' ';')"
}

# Tree-spawn across the nodes: a second service of the tree image (the
# test image with this build's plm docker, docs/tree-spawn.md), the rig's
# client certificates mounted read-only from each node's /certs (never the
# Docker socket). mpirun launches its children in Open MPI's routing tree
# (routed_radix 2: daemons 1 and 2), daemon 1 launches daemon 3 through the
# engine of daemon 3's node, which mpirun passed on (plm_docker_endpoints).
TREE_IMAGE=ompi-docker-tree-test:$IT_RUNID
SVC2=odc-$IT_RUNID-tree
TREE_WHY=
tree_image_rm() { od_docker rmi -f "$TREE_IMAGE" >/dev/null 2>&1 || true; }
tree_setup() {
    local i
    it_at_exit cl_service_rm "$SVC2"
    it_at_exit tree_image_rm
    tree_image_build od_docker "${CL_IMAGES%% *}" "$TREE_IMAGE" "$IT_RUNDIR" "${IT_LABELS[@]}" \
        || { TREE_WHY=$TI_WHY; return 1; }
    od_docker save "$TREE_IMAGE" >"$IT_RUNDIR/tree.tar" || { TREE_WHY="docker save failed"; return 1; }
    for i in "${!ADDRS[@]}"; do
        cl_node_docker "$i" load -q <"$IT_RUNDIR/tree.tar" >/dev/null \
            || { TREE_WHY="could not load $TREE_IMAGE into cl-node$((i + 1))"; return 1; }
    done
    rm -f "$IT_RUNDIR/tree.tar"
    cl_service_create --image "$TREE_IMAGE" "$SVC2" \
        --mount type=bind,src=/certs,dst=/certs,readonly || { TREE_WHY="the tree service has no task on every worker"; return 1; }
}

case_tree() {
    local per by_daemon
    if ! tree_setup; then fail "tree set-up: $TREE_WHY"; return; fi
    cl_mpirun --mca ras_docker_service "$SVC2" --mca plm_docker_node_host "$CL_NODE_HOST" \
        --mca plm_docker_tree_spawn 1 --mca routed_radix 2 \
        --mca plm_docker_tree_host "tcp://${ADDRS[0]}:2376" --mca plm_docker_tree_cert_path /certs \
        --mca plm_base_verbose 5 -np 3 ring
    expect_ok || return
    expect_output '^ring ok: sum=6$' 1
    per=$(ranks_per_node)
    note "ranks per node: $(echo "$per" | tr '\n' ' ')"
    [ "$(echo "$per" | awk '$2 == 1' | wc -l)" -eq 3 ] || fail "want one rank on each of the 3 nodes"
    by_daemon=$(grep -E '\[\[[0-9]+,0\],[1-9][0-9]*\] plm:docker: launching daemon' "$LAST_OUT")
    if [ -n "$by_daemon" ]; then
        note "launched by a daemon: $(echo "$by_daemon" | sed -E 's/.*(\[\[[0-9]+,0\],[0-9]+\]) plm:docker: launching daemon (\[\[[0-9]+,0\],[0-9]+\]).* via ([^ ]+).*/\1 -> \2 via \3/' | tr '\n' ' ')"
        echo "$by_daemon" | grep -qE "via tcp://(${ADDRS[0]}|${ADDRS[1]}|${ADDRS[2]}):2376" \
            || fail "the daemon did not go through a node's engine"
    else
        fail "no daemon was launched by another daemon"
        show_output
    fi
    grep -q 'tree-spawn' "$LAST_OUT" && grep -qiE 'could not launch daemons' "$LAST_OUT" \
        && fail "fell back to a flat launch"
    cl_assert_tasks_clean
}

run_case "s1: flat: one rank on each of 3 Swarm nodes, each daemon through its node's engine" case_flat
run_case "s2: flat: 2 slots per node, 6 ranks, the overlay chosen" case_flat_slots
run_case "s3: no plm_docker_node_host: the manager cannot reach the tasks, clear error" case_no_node_host
run_case "s4: a node's engine refuses: error naming the node, at once" case_node_refused
run_case "s5: a node's engine is silent: error within plm_docker_timeout" case_node_silent
run_case "s6: plain tcp:// template without TLS: one warning, no downgrade" case_plain_warns
run_case "s7: job-owned containers on 3 Swarm nodes, nothing left on any node" case_job_containers
run_case "s8: tree-spawn across 3 Swarm nodes, routed_radix 2: a daemon launched by a daemon" case_tree
cl_service_rm "$SVC2"
cl_service_rm "$SVC" || fail "the service's containers stayed on the nodes"
it_summary
