#!/bin/bash
# shellcheck disable=SC2119,SC2120  # helpers with optional arguments
# ras docker: the containers on the Docker endpoint are the job's allocation
# (which ones: labels, name patterns, a Swarm service; slots: mpi.slots, the
# CPU limit, ras_docker_slots; order: by name). Launch through plm docker.
#
# Each case makes its own containers, named $IT_PREFIX-TAG-X and labelled
# ompi-docker.case=$IT_RUNID-TAG, and selects with that label too: other
# containers on the engine may carry mpi.node (other test files, a
# developer's containers). Only the cases about the real default label
# (mpi.node alone: "default label", "params file") cannot narrow it; they
# are skipped when some other running container carries mpi.node.

# shellcheck source=test/integration/lib.sh
. "$(dirname "$0")/lib.sh"

it_setup 0

# The endpoint the component uses by default, as its messages spell it.
EP=${DOCKER_HOST:-unix:///var/run/docker.sock}

# re_quote STRING: STRING as an extended regular expression matching itself.
re_quote() { printf '%s' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g'; }

# ---------------------------------------------------------------- helpers

TAG=       # the current case's tag
CL=        # its label, key=value
MADE=()    # the containers it made

# case_tag TAG: the containers of this case are $IT_PREFIX-TAG-*, with the
# label ompi-docker.case=$IT_RUNID-TAG ($CL).
case_tag() {
    TAG=$1
    CL=ompi-docker.case=$IT_RUNID-$TAG
    MADE=()
}

# n X: the name of container X of the current case.
n() { echo "$IT_PREFIX-$TAG-$1"; }

# mk [--create] X [DOCKER-RUN-OPTION...]: container X of the current case
# (running, or created only), with the case label and the options.
mk() {
    local fn=it_container_run
    if [ "$1" = --create ]; then fn=it_container_create; shift; fi
    local name
    name=$(n "$1")
    shift
    if ! "$fn" "$name" --label "$CL" "$@" >/dev/null; then
        fail "could not make container $name"
        return 1
    fi
    MADE+=("$name")
}

# unmake: removes the containers of the current case.
unmake() {
    [ ${#MADE[@]} -eq 0 ] || od_docker rm -f "${MADE[@]}" >/dev/null 2>&1 || true
    MADE=()
}

# names X...: the full names of containers X... of the current case.
names() {
    local x out=()
    for x in "$@"; do out+=("$(n "$x")"); done
    echo "${out[*]}"
}

# expect_alloc X:SLOTS...: the last output's --display-allocation lists
# exactly the containers X of the current case with these slots, in this
# order.
expect_alloc() {
    local x want=() got
    for x in "$@"; do want+=("$(n "${x%%:*}") ${x##*:}"); done
    got=$(allocated_nodes)
    if [ "$got" != "$(printf '%s\n' "${want[@]}")" ]; then
        fail "allocation is [$(echo "$got" | tr '\n' ';')], want [$(printf '%s;' "${want[@]}")]"
        show_output
        return 1
    fi
    note "allocation: $(echo "$got" | sed "s|^$IT_PREFIX-$TAG-||" | tr '\n' ' ')"
}

# expect_placement X... -- C...: rank r ran in container X_r of the current
# case (the C are all the case's containers, to map hostnames).
expect_placement() {
    local want=() got x
    while [ "$1" != -- ]; do want+=("$(n "$1")"); shift; done
    shift
    got=$(rank_placement "$@")
    if [ "$got" != "${want[*]}" ]; then
        fail "ranks ran in [${got//$IT_PREFIX-$TAG-/}], want [${want[*]//$IT_PREFIX-$TAG-/}]"
        show_output
        return 1
    fi
    note "placement by rank: ${got//$IT_PREFIX-$TAG-/}"
}

# foreign_mpi_node: running containers, other than this case's, that carry
# the label mpi.node.
foreign_mpi_node() {
    local id name mine x out=()
    for id in $(od_docker ps -q --filter label=mpi.node); do
        name=$(od_docker inspect -f '{{.Name}}' "$id" 2>/dev/null) || continue
        name=${name#/}
        mine=0
        for x in "${MADE[@]}"; do [ "$x" = "$name" ] && mine=1; done
        [ "$mine" = 1 ] || out+=("$name")
    done
    echo "${out[*]}"
}

# ras ARGS...: mpirun_docker with ras docker.
ras() { mpirun_docker --mca ras docker "$@"; }

# --------------------------------------------------------------- 1. accept

# 4 containers with mpi.node and mpi.slots=2, one without mpi.node: 8 ranks,
# 2 in each labelled container by slot in name order, none in the other.
case_acceptance() {
    case_tag acc
    local x
    for x in n1 n2 n3 n4; do mk "$x" --label mpi.node --label mpi.slots=2 || return; done
    mk n2u || return   # sorts between n2 and n3; no mpi.node
    local L=() U
    read -ra L <<<"$(names n1 n2 n3 n4)"
    U=$(n n2u)
    ras --mca ras_docker_label "mpi.node,$CL" --display-allocation -np 8 ring
    if expect_ok; then
        expect_output '^ring ok: sum=36$' 1
        expect_alloc n1:2 n2:2 n3:2 n4:2
        check_ranks 8 "${L[@]}"
        expect_placement n1 n1 n2 n2 n3 n3 n4 n4 -- "${L[@]}" "$U"
    fi
    assert_no_leftovers "${L[@]}" "$U"
    unmake
}

# ------------------------------------------------------------ 2. labels

# K present (empty value), K=blue, K=red, J only, K=blue and J.
case_labels() {
    case_tag lbl
    local K=odt.k-$IT_RUNID J=odt.j-$IT_RUNID all=()
    mk p1 --label "$K" || return
    mk p2 --label "$K=blue" || return
    mk p3 --label "$K=red" || return
    mk p4 --label "$J=1" || return
    mk p5 --label "$K=blue" --label "$J=1" || return
    read -ra all <<<"$(names p1 p2 p3 p4 p5)"

    note "filter $K (presence)"
    ras --mca ras_docker_label "$K" --display-allocation -np 4 ring
    if expect_ok; then
        expect_alloc p1:1 p2:1 p3:1 p5:1
        expect_placement p1 p2 p3 p5 -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"

    note "filter $K=blue (value)"
    ras --mca ras_docker_label "$K=blue" --display-allocation -np 2 ring
    if expect_ok; then
        expect_alloc p2:1 p5:1
        expect_placement p2 p5 -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"

    note "filters $K=blue,$J (both must match)"
    ras --mca ras_docker_label "$K=blue,$J" --display-allocation -np 1 ring
    if expect_ok; then
        expect_alloc p5:1
        expect_placement p5 -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"

    note "filters $K=red,$J=1: no container has both"
    expect_fail_with --within 10 'No running container on the Docker endpoint matches' \
        --and "$(re_quote "label $K=red,$J=1")" -- ras --mca ras_docker_label "$K=red,$J=1" -np 1 ring
    assert_no_leftovers "${all[@]}"
    unmake
}

# 2b. The owner label: containers labelled ompi-docker.owner with another
#     uid are never taken (mpirun runs as uid $(id -u) here), unless the
#     selection names that owner; only such containers: a message naming
#     them.
case_owner() {
    case_tag own
    local K=odt.o-$IT_RUNID me other=99999 all=()
    me=$(id -u)
    [ "$me" != "$other" ] || other=99998
    mk o1 --label "$K" --label "ompi-docker.owner=$me" || return
    mk o2 --label "$K" --label "ompi-docker.owner=$other" || return
    mk o3 --label "$K" || return
    mk o4 --label "$K=alone" --label "ompi-docker.owner=$other" || return
    read -ra all <<<"$(names o1 o2 o3 o4)"

    note "filter $K: o2 and o4 are uid $other's"
    ras --mca ras_docker_label "$K" --display-allocation -np 2 ring
    if expect_ok; then
        expect_alloc o1:1 o3:1
        expect_placement o1 o3 -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"

    note "filter $K,ompi-docker.owner=$other: asked for by owner"
    ras --mca ras_docker_label "$K,ompi-docker.owner=$other" --display-allocation -np 2 ring
    if expect_ok; then
        expect_alloc o2:1 o4:1
    fi
    assert_no_leftovers "${all[@]}"

    note "filter $K=alone: only another user's container matches"
    expect_fail_with --within 10 'belongs to another user' --and "$(re_quote "$(n o4)")" \
        --and "your uid \\($me\\)" -- ras --mca ras_docker_label "$K=alone" -np 1 ring
    assert_no_leftovers "${all[@]}"
    unmake
}

# ------------------------------------------------------------- 3. names

case_names() {
    case_tag nm
    local S=odt.sel-$IT_RUNID x all=()
    for x in a1 b1 c1 c3; do mk "$x" || return; done
    mk a2 --label "$S" || return
    mk c2 --label "$S" || return
    read -ra all <<<"$(names a1 a2 b1 c1 c2 c3)"
    local pfx=$IT_PREFIX-$TAG

    note "names '$pfx-a*,$pfx-c[12]' (none of them carries mpi.node)"
    ras --mca ras_docker_names "$pfx-a*,$pfx-c[12]" --display-allocation -np 4 ring
    if expect_ok; then
        expect_output '^ring ok: sum=10$' 1
        expect_alloc a1:1 a2:1 c1:1 c2:1
        expect_placement a1 a2 c1 c2 -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"

    note "the same names and ras_docker_label $S: both apply"
    ras --mca ras_docker_names "$pfx-a*,$pfx-c[12]" --mca ras_docker_label "$S" \
        --display-allocation -np 2 ring
    if expect_ok; then
        expect_alloc a2:1 c2:1
        expect_placement a2 c2 -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"

    note "an exact name, no pattern"
    ras --mca ras_docker_names "$pfx-b1" --display-allocation -np 1 ring
    if expect_ok; then
        expect_alloc b1:1
        expect_placement b1 -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"
    unmake
}

# ------------------------------------------------------------- 4. slots

case_slots() {
    case_tag sl
    local all=()
    mk a --label mpi.slots=3 || return
    mk b --cpus 1.5 || return
    mk c --cpuset-cpus 0-1 || return
    mk d --cpuset-cpus 1 || return
    mk e || return
    mk f --label mpi.slots=3 --cpus 1.5 || return
    mk g --cpus 0.5 || return
    read -ra all <<<"$(names a b c d e f g)"

    # Open MPI 5 binds to cores by default and refuses more ranks than a
    # node has CPUs (a, f: 3 slots on 2 CPUs), as on any host.
    local bind=()
    it_rt_is_prrte && bind=(--bind-to none)
    note "slots from mpi.slots, --cpus, --cpuset-cpus, default; 13 ranks fill them"
    ras --mca ras_docker_label "$CL" "${bind[@]}" --display-allocation -np 13 ring
    if expect_ok; then
        expect_output '^ring ok: sum=91$' 1
        expect_alloc a:3 b:2 c:2 d:1 e:1 f:3 g:1
        expect_placement a a a b b c c d e f f f g -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"

    note "one rank more than the slots: refused"
    expect_fail_with --within 20 'not enough slots' -- \
        ras --mca ras_docker_label "$CL" "${bind[@]}" -np 14 ring
    assert_no_leftovers "${all[@]}"

    note "ras_docker_slots 2 overrides every source"
    ras --mca ras_docker_label "$CL" --mca ras_docker_slots 2 --display-allocation -np 14 ring
    if expect_ok; then
        expect_alloc a:2 b:2 c:2 d:2 e:2 f:2 g:2
        expect_placement a a b b c c d d e e f f g g -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"
    unmake
}

# An mpi.slots label that is no positive number is ignored: the CPU
# limit gives the slots (today: 1, the inspect is skipped).
case_slots_bad_label() {
    case_tag slb
    mk a --label mpi.slots=zero --cpus 1.5 || return
    mk b --label mpi.slots=0 --cpuset-cpus 0-1 || return
    ras --mca ras_docker_label "$CL" --display-allocation -np 1 ring
    expect_ok && expect_alloc a:2 b:2
    assert_no_leftovers "${MADE[@]}"
    unmake
}

# ----------------------------------------------------- 5. not running

case_not_running() {
    case_tag st
    local run=()
    mk a || return
    mk b || return
    mk --create c || return
    mk d || return
    mk e || return
    od_docker stop -t 1 "$(n b)" >/dev/null || fail "could not stop $(n b)"
    od_docker pause "$(n d)" >/dev/null || fail "could not pause $(n d)"
    read -ra run <<<"$(names a e)"

    note "b stopped, c created, d paused: only a and e"
    ras --mca ras_docker_label "$CL" --display-allocation -np 2 ring
    if expect_ok; then
        expect_alloc a:1 e:1
        expect_placement a e -- "${run[@]}"
    fi
    assert_no_leftovers "${run[@]}"
    local x st want
    for x in b:exited c:created d:paused; do
        want=${x#*:}
        st=$(od_docker inspect -f '{{.State.Status}}' "$(n "${x%%:*}")")
        [ "$st" = "$want" ] || fail "$(n "${x%%:*}") is $st after the job, want $want"
    done

    note "a selection that matches only the stopped container: no nodes"
    expect_fail_with --within 10 'No running container on the Docker endpoint matches' \
        --and "$(re_quote "names $(n b)")" -- ras --mca ras_docker_names "$(n b)" -np 1 ring
    assert_no_leftovers "${run[@]}"
    od_docker unpause "$(n d)" >/dev/null 2>&1
    unmake
}

# ------------------------------------------------------------- 6. order

# Made in the order z, a, m, with hostnames in the reverse order of the
# names: nodes (and ranks) follow the names.
case_order() {
    case_tag ord
    local all=()
    mk z --hostname "h1-$IT_RUNID" || return
    mk a --hostname "h3-$IT_RUNID" || return
    mk m --hostname "h2-$IT_RUNID" || return
    read -ra all <<<"$(names z a m)"
    ras --mca ras_docker_label "$CL" --display-allocation -np 3 ring
    if expect_ok; then
        expect_alloc a:1 m:1 z:1
        expect_placement a m z -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"
    unmake
}

# ------------------------------------------------------------ 7. --host

case_host_narrows() {
    case_tag hst
    local all=() x
    for x in c1 c2 c3 c4; do mk "$x" || return; done
    read -ra all <<<"$(names c1 c2 c3 c4)"
    # outside the selection (no case label), running
    local outsider=$IT_PREFIX-$TAG-x
    it_container_run "$outsider" >/dev/null || { fail "could not make $outsider"; return; }
    MADE+=("$outsider")

    note "discovery finds c1..c4; --host c2,c3"
    ras --mca ras_docker_label "$CL" --host "$(n c2),$(n c3)" -np 2 ring
    if expect_ok; then
        expect_output '^ring ok: sum=3$' 1
        check_ranks 2 "$(n c2)" "$(n c3)"
    fi
    assert_no_leftovers "${all[@]}" "$outsider"

    # (Open MPI 4 finds no slots for it; 5 says it is not in the allocation.)
    note "--host naming a running container outside the selection: refused"
    expect_fail_with --within 20 'slots|requested hosts is not included' -- \
        ras --mca ras_docker_label "$CL" --host "$(n c2),$outsider" -np 2 ring
    if grep -qE '^rank [0-9]+ of ' "$LAST_OUT"; then
        fail "ranks ran although a host is outside the allocation"
    fi
    assert_no_leftovers "${all[@]}" "$outsider"
    unmake
}

# ------------------------------------------------------------ 8. errors

case_no_match_label() {
    local sel="nosuch-$IT_RUNID=1"
    expect_fail_with --within 10 'No running container on the Docker endpoint matches' \
        --and "$(re_quote "label $sel")" --and "$(re_quote "$EP")" -- \
        ras --mca ras_docker_label "$sel" -np 2 ring
    assert_no_leftovers
}

case_no_match_names() {
    local sel="$IT_PREFIX-nosuch-*"
    expect_fail_with --within 10 'No running container on the Docker endpoint matches' \
        --and "$(re_quote "names $sel")" --and "$(re_quote "$EP")" -- \
        ras --mca ras_docker_names "$sel" -np 2 ring
    assert_no_leftovers
}

case_bad_label_filter() {
    expect_fail_with --within 10 '"=x" has no key' -- ras --mca ras_docker_label '=x' -np 1 ring
    assert_no_leftovers
}

case_endpoint_missing_socket() {
    local sock=/nonexistent/ras-$IT_RUNID.sock
    expect_fail_with --within 10 "$(re_quote "$sock")" -- \
        ras --mca ras_docker_host "unix://$sock" -np 2 ring
    assert_no_leftovers
}

case_endpoint_closed_port() {
    local port
    port=$(closed_port) || { fail "no closed port found"; return; }
    expect_fail_with --within 10 "127\.0\.0\.1:$port" -- \
        ras --mca ras_docker_host "tcp://127.0.0.1:$port" -np 2 ring
    assert_no_leftovers
}

case_endpoint_http_500() {
    fake_endpoint_start http-500 unix || return
    expect_fail_with --within 10 "$(re_quote "${FAKE_URL#unix://}")" \
        --and 'internal error of the fake engine' -- \
        ras --mca ras_docker_host "$FAKE_URL" -np 2 ring
    fake_endpoint_stop
    assert_no_leftovers
}

# ras_docker_host unset: plm_docker_host's endpoint. (Were it the default
# socket, the message would be "No running container ... matches".)
case_endpoint_from_plm() {
    local sock=/nonexistent/plm-$IT_RUNID.sock
    expect_fail_with --within 10 "$(re_quote "$sock")" -- \
        ras --mca plm_docker_host "unix://$sock" --mca ras_docker_label "nosuch-$IT_RUNID" -np 2 ring
    if grep -q 'No running container' "$LAST_OUT"; then
        fail "ras docker listed the default endpoint, not plm_docker_host"
    fi
    assert_no_leftovers
}

# An endpoint that never answers, with plm_docker_timeout 3 (as in
# plm docker's stall case): today ras docker waits its fixed 30 s.
case_endpoint_stall() {
    fake_endpoint_start stall unix || return
    expect_fail_with --within 20 "$(re_quote "${FAKE_URL#unix://}")" -- \
        ras --mca ras_docker_host "$FAKE_URL" --mca plm_docker_timeout 3 -np 2 ring
    fake_endpoint_stop
    assert_no_leftovers
}

# ------------------------------------------------- 9. selection, defaults

# Never chosen silently; chosen by a ras_docker_* parameter alone (command
# line or environment).
case_selection() {
    case_tag sel
    local all=()
    mk a --label mpi.node || return
    mk b --label mpi.node || return
    read -ra all <<<"$(names a b)"

    note "no ras docker, no ras_docker_*: the host is the allocation"
    mpirun_docker --display-allocation -np 1 true
    if expect_ok; then
        if [ -z "$(allocated_nodes)" ]; then
            fail "no allocation shown"; show_output
        elif allocated_nodes | grep -q -- "$IT_PREFIX-$TAG-"; then
            fail "containers allocated without ras docker being asked for"; show_output
        else
            note "allocation: $(allocated_nodes | tr '\n' ' ')"
        fi
    fi
    assert_no_leftovers "${all[@]}"

    note "--mca ras_docker_label alone selects it"
    mpirun_docker --mca ras_docker_label "mpi.node,$CL" --display-allocation -np 2 ring
    if expect_ok; then
        expect_alloc a:1 b:1
        expect_placement a b -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"

    local cmd pfx
    pfx=$(it_rt_env_prefix)
    note "${pfx}ras_docker_names in the environment alone selects it"
    _it_mpirun_cmd cmd
    run_capture -- env "${pfx}ras_docker_names=$(n b)" "${cmd[@]}" --display-allocation -np 1 ring
    if expect_ok; then
        expect_alloc b:1
        expect_placement b -- "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}"
    unmake
}

# The real default label, mpi.node, with --mca ras docker and nothing else.
case_default_label() {
    case_tag def
    local foreign all=() x
    foreign=$(foreign_mpi_node)
    if [ -n "$foreign" ]; then
        skip "other running containers carry mpi.node: $foreign"
        return
    fi
    for x in n1 n2 n3 n4; do mk "$x" --label mpi.node || return; done
    mk u || return
    read -ra all <<<"$(names n1 n2 n3 n4)"
    ras --display-allocation -np 4 ring
    if expect_ok; then
        expect_output '^ring ok: sum=10$' 1
        expect_alloc n1:1 n2:1 n3:1 n4:1
        check_ranks 4 "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}" "$(n u)"
    unmake
}

# plm = docker and ras = docker in the user's params file
# ($HOME/.openmpi/mca-params.conf; Open MPI 5: $HOME/.prte/mca-params.conf):
# a bare mpirun runs across the mpi.node containers.
case_params_file() {
    case_tag pf
    local foreign all=() x home=$IT_RUNDIR/home-pf
    foreign=$(foreign_mpi_node)
    if [ -n "$foreign" ]; then
        skip "other running containers carry mpi.node: $foreign"
        return
    fi
    for x in n1 n2 n3 n4; do mk "$x" --label mpi.node || return; done
    mk u || return
    read -ra all <<<"$(names n1 n2 n3 n4)"
    local conf rt=()
    conf=$(it_rt_params_file "$home")
    mkdir -p "$(dirname "$conf")"
    printf 'plm = docker\nras = docker\n' >"$conf"
    it_rt_cmd rt
    run_capture -- env "HOME=$home" "${rt[@]}" mpirun --allow-run-as-root -np 4 ring
    if expect_ok; then
        expect_output '^ring ok: sum=10$' 1
        check_ranks 4 "${all[@]}"
    fi
    assert_no_leftovers "${all[@]}" "$(n u)"
    unmake
}

# ------------------------------------------------------------- 10. swarm

SWARM_STATE=        # up | skip | failed (empty: not tried)
SWARM_WHY=
SWARM_MINE=0        # we ran swarm init
SWARM_GWBRIDGE_NEW=0
SVC=$IT_PREFIX-svc
SVC_NET=$IT_PREFIX-ov
SVC_TASKS=()

# svc_tasks: names of the running containers of $SVC.
svc_tasks() {
    od_docker ps --filter "label=com.docker.swarm.service.name=$SVC" --filter status=running \
        --format '{{.Names}}' | sort
}

# swarm_up: a single-node swarm of ours with a 3-task service $SVC on the
# attachable overlay $SVC_NET, once. Non-zero (SWARM_WHY says why) when it
# cannot be had; SWARM_STATE=skip when the engine is in a swarm already.
swarm_up() {
    case $SWARM_STATE in
        up) return 0 ;;
        skip | failed) return 1 ;;
    esac
    local state i
    state=$(od_docker info --format '{{.Swarm.LocalNodeState}}')
    if [ "$state" != inactive ]; then
        SWARM_STATE=skip
        SWARM_WHY="the engine's swarm state is '$state', not inactive: not ours to change"
        return 1
    fi
    SWARM_STATE=failed
    od_docker network inspect docker_gwbridge >/dev/null 2>&1 || SWARM_GWBRIDGE_NEW=1
    it_at_exit swarm_down
    if ! od_docker swarm init --advertise-addr 127.0.0.1 >/dev/null; then
        SWARM_WHY="docker swarm init failed"
        return 1
    fi
    SWARM_MINE=1
    if ! od_docker network create -d overlay --attachable "${IT_LABELS[@]}" "$SVC_NET" >/dev/null; then
        SWARM_WHY="could not create overlay network $SVC_NET"
        return 1
    fi
    local cl=(--container-label "$IT_LABEL")
    [ -n "${OD_SESSION:-}" ] && cl+=(--container-label "ompi-docker.session=$OD_SESSION")
    # --dns 127.0.0.1: the embedded DNS forwards unknown names to nothing.
    if ! od_docker service create -d --name "$SVC" --replicas 3 --no-resolve-image \
        --stop-grace-period 1s --init --network "$SVC_NET" --dns 127.0.0.1 \
        "${IT_LABELS[@]}" "${cl[@]}" "$IT_IMAGE" sleep infinity >/dev/null; then
        SWARM_WHY="docker service create failed"
        return 1
    fi
    for ((i = 0; i < 120; i++)); do
        mapfile -t SVC_TASKS < <(svc_tasks)
        [ ${#SVC_TASKS[@]} -eq 3 ] && break
        sleep 0.5
    done
    if [ ${#SVC_TASKS[@]} -ne 3 ]; then
        SWARM_WHY="${#SVC_TASKS[@]} of 3 tasks running after 60 s"
        return 1
    fi
    # mpirun's side must reach the tasks on the overlay (the host does through
    # docker_gwbridge; Open MPI 5's launcher container joins the overlay).
    if ! it_rt_network_connect "$SVC_NET"; then
        SWARM_WHY="the launcher could not join $SVC_NET"
        return 1
    fi
    note "swarm up, $SVC: ${SVC_TASKS[*]}"
    SWARM_STATE=up
}

# swarm_down: undoes what swarm_up did, as far as it got (idempotent).
swarm_down() {
    [ "$SWARM_MINE" = 1 ] || return 0
    local i
    if od_docker service inspect "$SVC" >/dev/null 2>&1; then
        od_docker service rm "$SVC" >/dev/null || true
        for ((i = 0; i < 60; i++)); do
            [ -z "$(od_docker ps -aq --filter "label=com.docker.swarm.service.name=$SVC")" ] && break
            sleep 0.5
        done
    fi
    it_rt_network_disconnect "$SVC_NET"
    for ((i = 0; i < 20; i++)); do
        od_docker network inspect "$SVC_NET" >/dev/null 2>&1 || break
        od_docker network rm "$SVC_NET" >/dev/null 2>&1 && break
        sleep 0.5
    done
    od_docker swarm leave --force >/dev/null || true
    if [ "$SWARM_GWBRIDGE_NEW" = 1 ]; then
        for ((i = 0; i < 20; i++)); do
            od_docker network inspect docker_gwbridge >/dev/null 2>&1 || break
            od_docker network rm docker_gwbridge >/dev/null 2>&1 && break
            sleep 0.5
        done
    fi
    SWARM_MINE=0
    SWARM_STATE=
}

case_swarm_service() {
    if ! swarm_up; then
        if [ "$SWARM_STATE" = skip ]; then skip "$SWARM_WHY"; else fail "$SWARM_WHY"; fi
        return
    fi
    ras --mca ras_docker_service "$SVC" --display-allocation -np 3 ring
    if expect_ok; then
        expect_output '^ring ok: sum=6$' 1
        local got
        got=$(allocated_nodes)
        [ "$got" = "$(printf '%s 1\n' "${SVC_TASKS[@]}")" ] \
            || fail "allocation is [$(echo "$got" | tr '\n' ';')], want the 3 tasks, 1 slot each, by name"
        check_ranks 3 "${SVC_TASKS[@]}"
    fi
    assert_no_leftovers "${SVC_TASKS[@]}"
}

# An explicitly set ras_docker_label also applies to a service's
# tasks (as to name patterns), and the message separates the two.
case_swarm_service_label() {
    if ! swarm_up; then
        if [ "$SWARM_STATE" = skip ]; then skip "$SWARM_WHY"; else fail "$SWARM_WHY"; fi
        return
    fi
    local sel="nosuch-$IT_RUNID=1"
    expect_fail_with --within 10 'No running container on the Docker endpoint matches' \
        --and "$(re_quote "label $sel, service $SVC")" -- \
        ras --mca ras_docker_service "$SVC" --mca ras_docker_label "$sel" -np 3 ring
    assert_no_leftovers "${SVC_TASKS[@]}"
}

case_swarm_teardown() {
    local before=$SWARM_MINE
    swarm_down
    [ "$before" = 1 ] || { note "no swarm of ours"; return; }
    local state
    state=$(od_docker info --format '{{.Swarm.LocalNodeState}}')
    [ "$state" = inactive ] || fail "swarm state is $state after teardown"
    od_docker network inspect "$SVC_NET" >/dev/null 2>&1 && fail "$SVC_NET still exists"
    if [ "$SWARM_GWBRIDGE_NEW" = 1 ] && od_docker network inspect docker_gwbridge >/dev/null 2>&1; then
        fail "docker_gwbridge (made by swarm init) still exists"
    fi
    [ -z "$(od_docker ps -aq --filter "label=com.docker.swarm.service.name=$SVC")" ] \
        || fail "task containers of $SVC left"
}

# ------------------------------------------------------------------ run

run_case "1: 4 labelled containers x 2 slots, 8 ranks, one unlabelled beside" case_acceptance
run_case "2: label filters: key, key=value, two ANDed" case_labels
run_case "2b: other users' containers (owner label) are not taken" case_owner
run_case "3: name patterns, alone and with a label" case_names
run_case "4: slots: mpi.slots, --cpus, --cpuset-cpus, default, ras_docker_slots" case_slots
run_case "4b: an mpi.slots label that is no number: the CPU limit counts" case_slots_bad_label
run_case "5: stopped, created and paused containers are skipped" case_not_running
run_case "6: nodes in name order, not creation or hostname order" case_order
run_case "7: --host narrows the discovered set" case_host_narrows
run_case "8a: no match (label): message, endpoint, fast" case_no_match_label
run_case "8b: no match (names)" case_no_match_names
run_case "8c: bad label filter" case_bad_label_filter
run_case "8d: endpoint: missing unix socket" case_endpoint_missing_socket
run_case "8e: endpoint: closed tcp port" case_endpoint_closed_port
run_case "8f: endpoint: HTTP 500" case_endpoint_http_500
run_case "8g: endpoint: plm_docker_host is the default" case_endpoint_from_plm
run_case "8h: endpoint: stalls, plm_docker_timeout 3" case_endpoint_stall
run_case "9a: selection: never silent; a ras_docker_* parameter selects" case_selection
run_case "9b: the default label mpi.node" case_default_label
run_case "9c: plm/ras = docker in the user's MCA params file" case_params_file
run_case "10a: swarm: a service's 3 tasks are the nodes" case_swarm_service
run_case "10b: swarm: an explicit label applies to the tasks too" case_swarm_service_label
run_case "10c: swarm: teardown leaves the engine as it was" case_swarm_teardown

it_summary
